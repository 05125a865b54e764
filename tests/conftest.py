"""Shared fixtures: one real index of the seed corpus, built once per test session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # nothing may be downloaded in tests

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "corpus" / "000_2daad77d3c406492.txt"


@pytest.fixture(scope="session")
def seed_index(tmp_path_factory) -> Path:
    """A real FAISS index of the seed corpus, built with the real default model."""
    from assistant import build_index

    index_dir = tmp_path_factory.mktemp("seed-index")
    build_index([SEED], index_dir=index_dir)
    return index_dir


@pytest.fixture(scope="session")
def seed_assistant(seed_index):
    from assistant import Assistant

    return Assistant.load(seed_index)


@pytest.fixture(scope="session")
def embedding_model():
    """The default model and its identity, loaded once for tests that embed or build in-process
    (each load costs about 3 s)."""
    from assistant.encoding.models import load_model

    return load_model()
