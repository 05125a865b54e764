"""How well a question's terms, carried into another language, match each candidate passage:
the scoring both lexical bridges share (``terms.reading`` reads Japanese and Korean as one
another's Hangul, ``terms.gloss`` Japanese and English through a dictionary).

A bridge's terms are weak evidence (a character has several readings, a word several meanings),
so the score says how much of the question a passage holds, not only which passage holds most:
see ``bridge_scores``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from assistant.retrieval.candidates import Candidates

if TYPE_CHECKING:
    from assistant.retrieval.question import Question
    from assistant.retrieval.retriever import Retriever

BM25_K1 = 1.2
BM25_B = 0.75
"""BM25's usual saturation and length constants (Robertson and Zaragoza); not tuned here."""


def bridge_scores(
    question: Sequence[str], passages: Sequence[Sequence[str] | Counter[str]]
) -> np.ndarray:
    """BM25 of the question's terms (reading pairs, gloss stems) against each passage's, with
    document frequencies taken over ``passages`` (the candidates of one question: all of a
    small corpus; each a list of terms or their Counter), as a share of what a passage of
    average length would score that held every term once, each term found in no other passage
    (capped at 1): a passage that shares only a common word (문제, 問題) with the question gets
    little, however it ranks among the others.
    Scaling so that the best passage always gets 1 gave that word's passage full weight and
    cost the seed's extra set a Korean question (남중국해 문제 drew 拉致問題).

    >>> terms = [["협력", "확대"], ["협력"], ["안보"]]
    >>> [round(float(s), 2) for s in bridge_scores(["협력", "확대"], terms)]
    [0.5, 0.22, 0.0]
    """
    if not passages or not question:
        return np.zeros(len(passages), dtype=np.float32)
    counts = [terms if isinstance(terms, Counter) else Counter(terms) for terms in passages]
    lengths = np.array([c.total() for c in counts], dtype=np.float32)
    average = float(lengths.mean()) or 1.0
    norm = BM25_K1 * (1 - BM25_B + BM25_B * lengths / average)
    scores = np.zeros(len(passages), dtype=np.float32)
    ideal = 0.0  # every term once (tf 1 at average length scores 1), each in one passage alone
    for term in dict.fromkeys(question):
        tf = np.array([c.get(term, 0) for c in counts], dtype=np.float32)
        df = int((tf > 0).sum())
        if df:
            idf = np.log(1 + (len(passages) - df + 0.5) / (df + 0.5))
            scores += idf * tf * (BM25_K1 + 1) / (tf + norm)
        ideal += np.log(1 + (len(passages) + 0.5) / 1.5)
    return np.minimum(scores / ideal, 1.0)


class BridgeTerm:
    """A lexical bridge as an evidence term: the question's terms in its language against each
    candidate's in the language it is bridged to (``other_language``), 0 for the other
    candidates; None when the question's language has no bridge, no candidate is in the bridged
    language (then the bridge's tables are not even read) or the question gives no terms.
    Each passage's terms are worked out when it is first a candidate and kept, counted (on
    the archive's ~150-character paragraphs: readings 0.15 ms, glosses 0.11 ms a Japanese one).
    Keeping the counts rather than the joined terms took warm archive search from 1.05x to
    1.00x the previous release's p50 in one run (benchmarks/archive_search.py)."""

    other_language: ClassVar[dict[str, str]] = {}

    def __init__(self, index: Retriever):
        self.index = index
        self._counts: dict[int, Counter[str]] = {}

    def terms(self, text: str, language: str) -> list[str]:
        raise NotImplementedError

    def __call__(self, question: Question, candidates: Candidates) -> np.ndarray | None:
        other = self.other_language.get(question.language)
        if other is None:
            return None
        bridged = np.flatnonzero(candidates.languages == other)
        asked = self.terms(question.text, question.language) if len(bridged) else []
        if not asked:
            return None
        passage_counts = []
        for position in bridged.tolist():
            index = int(candidates.ids[position])
            counts = self._counts.get(index)
            if counts is None:
                counts = Counter(self.terms(candidates.passages[position]["text"], other))
                self._counts[index] = counts
            passage_counts.append(counts)
        evidence = np.zeros(len(candidates), dtype=np.float32)
        evidence[bridged] = bridge_scores(asked, passage_counts)
        return evidence
