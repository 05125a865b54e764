"""The passages scored in full for one question, and the protocol of the evidence terms that
score them.

An evidence term is one file in ``retrieval/terms/`` and one weight in ``assistant.config``:
built once per index (``make(index)``), then called per question with the candidates, it
returns one number per candidate between -1 and 1 (or None when it has nothing to say about
this question, which costs nothing).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

if TYPE_CHECKING:
    from assistant.retrieval.question import Question
    from assistant.retrieval.retriever import Retriever


@dataclass(frozen=True)
class Candidates:
    """Candidate passages (parallel arrays in candidate order) and what every term may read."""

    ids: np.ndarray
    """Passage ids in the index."""
    passages: list[dict[str, Any]]
    """The stored passage records."""
    languages: np.ndarray
    documents: np.ndarray
    """Document id of each candidate (passages of one file share one)."""
    lexical: np.ndarray
    """BM25 of the question's wording, divided by the best over the whole index (0..1)."""
    coverage: float
    """Share of the question's tokens found anywhere in the index."""

    def __len__(self) -> int:
        return len(self.ids)


class EvidenceTerm(Protocol):
    """Scores candidates for a question: an array of len(candidates) in [-1, 1], or None."""

    def __call__(self, question: Question, candidates: Candidates) -> np.ndarray | None: ...


TermFactory = Callable[["Retriever"], EvidenceTerm]
"""How a term is built for one open index (it may prepare lookups over the documents)."""
