"""The runnable examples in the library's docstrings stay true.

Every module of the ``assistant`` package with examples is collected, so a new module's
examples are tested without being listed here; those whose examples load the model or an index
are tiered ``integration`` by tests/conftest.py, the rest run as ``unit``.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import assistant

SKIPPED = {
    # examples that build the default index under the checkout (the API's own test covers them)
    "assistant",
    "assistant.api",
    "assistant.evaluate",
    # illustrative examples that name a cluster, an exported model or aligned vectors
    "assistant.encoding.cluster",
    "assistant.encoding.onnx_runtime",
    "assistant.indexing.versions",
}


def modules_with_examples() -> list:
    found = []
    for info in pkgutil.walk_packages(assistant.__path__, "assistant."):
        if info.name in SKIPPED or info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        if any(t.examples for t in doctest.DocTestFinder().find(module)):
            found.append(module)
    return found


@pytest.mark.parametrize("module", modules_with_examples(), ids=lambda m: m.__name__)
def test_docstring_examples_hold(module):
    flags = doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS
    result = doctest.testmod(module, optionflags=flags)
    assert result.attempted > 0 and result.failed == 0
