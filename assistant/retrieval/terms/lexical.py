"""Lexical evidence: BM25 over Japanese-aware tokens (``indexing.lexical``), counted as far as
the question is written in the corpus's own words.

A question whose tokens the index mostly lacks (an English question over Japanese text) gets
almost nothing from BM25 and must not be pulled by the few tokens it shares by chance, so the
normalised BM25 is scaled by the squared share of the question's tokens the index knows
(measured on the seed's dev + extra questions: plain coverage and no scaling each cost a
Japanese question).

>>> import numpy as np
>>> from assistant.retrieval.candidates import Candidates
>>> c = Candidates(np.arange(2), [{}, {}], np.array(["ja", "ja"]), np.zeros(2),
...                np.array([1.0, 0.5]), 0.5)
>>> LexicalTerm(None)(None, c).tolist()
[0.25, 0.125]
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from assistant.retrieval.candidates import Candidates

if TYPE_CHECKING:
    from assistant.retrieval.question import Question
    from assistant.retrieval.retriever import Retriever


class LexicalTerm:
    def __init__(self, index: Retriever | None):
        self.index = index

    def __call__(self, question: Question | None, candidates: Candidates) -> np.ndarray | None:
        if not candidates.coverage:
            return None
        return (candidates.coverage**2 * candidates.lexical).astype(np.float32)
