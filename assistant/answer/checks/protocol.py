"""What an answer check reads and returns.

A check looks at the question and the best passages found and may return the one-line notice
that makes the answer not confident ("The documents do not mention Wilmington."); None lets the
answer stand. It is built once per open index (``make(index)``), then called per question.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from assistant.retrieval.question import Question
    from assistant.retrieval.retriever import Retriever


@dataclass(frozen=True)
class Ranked:
    """The best passages for a question, best first (as many as ``Config.check_depth``)."""

    ids: list[int]
    passages: list[dict[str, Any]]


class AnswerCheck(Protocol):
    def __call__(self, question: Question, ranked: Ranked) -> str | None: ...


CheckFactory = Callable[["Retriever"], AnswerCheck]
