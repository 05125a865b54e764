"""The runnable examples in the docstrings of the pure modules stay true (no model needed)."""

from __future__ import annotations

import doctest

import pytest

from assistant import (
    accounts,
    amounts,
    bridging,
    glosses,
    key_terms,
    name_sounds,
    ordinals,
    setting,
    sino_korean,
)
from assistant.indexing import hubness
from assistant.ingest import metadata
from assistant.retrieval import scoring

PURE_MODULES = [
    amounts,
    scoring,
    metadata,
    hubness,
    key_terms,
    name_sounds,
    ordinals,
    accounts,
    setting,
    sino_korean,
    bridging,
    glosses,
]


@pytest.mark.parametrize("module", PURE_MODULES, ids=lambda m: m.__name__)
def test_docstring_examples_hold(module):
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
