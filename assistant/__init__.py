"""Retrieval question answering over paragraphs, with exact citations.

>>> from assistant import Assistant
>>> qa = Assistant.load()                      # builds index/ from corpus/ when missing
>>> qa.ask("暗号資産の窃取について").passages[0].citation
'日米韓共同声明 ¶7 (北朝鮮の脅威への対処)'
"""

from __future__ import annotations

from typing import TYPE_CHECKING

__all__ = [
    "Answer",
    "Assistant",
    "AssistantError",
    "CorpusError",
    "IndexMismatchError",
    "IndexNotFoundError",
    "InputError",
    "Passage",
    "build_index",
]

if TYPE_CHECKING:
    from assistant.api import Answer, Assistant, Passage, build_index
    from assistant.errors import (
        AssistantError,
        CorpusError,
        IndexMismatchError,
        IndexNotFoundError,
        InputError,
    )


def __getattr__(name: str):
    """Import lazily: `assistant --help` and error paths need not load the model or FAISS."""
    if name in {"Answer", "Assistant", "Passage", "build_index"}:
        from assistant import api

        return getattr(api, name)
    if name in __all__:
        from assistant import errors

        return getattr(errors, name)
    raise AttributeError(f"module 'assistant' has no attribute {name!r}")
