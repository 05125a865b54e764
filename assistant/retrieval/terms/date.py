"""Date evidence: statements of one series differ mostly in when they were made, and a month
written 2024年9月, 2024년 9월 or September 2024 is one month.

+1 where a passage's document is about a month the question names (or, when it names only
years, a year; or, when it names a month without any year, that month of any year), -1 where
the document names dates and none matches, 0 where either names none.
Another month of the same year is a mismatch: counted half a match, it let October's statement
answer a question about May (archive dev set: cross-language hit@3 0.40 -> 0.50 as a mismatch).

>>> date_evidence(("2024-05",), (2024,), [["2024-05"], ["2024-10"], []]).tolist()
[1.0, -1.0, 0.0]
>>> date_evidence((), (2024,), [["2024-05"], ["2023-11"]]).tolist()
[1.0, -1.0]
>>> date_evidence((), (), [["2024-10"], ["2024-05"]], bare_months=(10,)).tolist()
[1.0, -1.0]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from assistant.retrieval.candidates import Candidates

if TYPE_CHECKING:
    from assistant.retrieval.question import Question
    from assistant.retrieval.retriever import Retriever


def date_evidence(
    months: Sequence[str],
    years: Sequence[int],
    passage_months: Sequence[Sequence[str]],
    bare_months: Sequence[int] = (),
) -> np.ndarray:
    """The evidence for each passage, from the months (``YYYY-MM``) its document is about."""
    evidence = np.zeros(len(passage_months), dtype=np.float32)
    if not months and not years and not bare_months:
        return evidence
    wanted_months, wanted_years = set(months), set(years)
    for i, about in enumerate(passage_months):
        if not about:
            continue
        if not wanted_months and not wanted_years:
            evidence[i] = 1.0 if {int(m[5:7]) for m in about} & set(bare_months) else -1.0
        elif wanted_months:
            evidence[i] = 1.0 if wanted_months & set(about) else -1.0
        else:
            evidence[i] = 1.0 if {int(m[:4]) for m in about} & wanted_years else -1.0
    return evidence


class DateTerm:
    def __init__(self, index: Retriever):
        self.index = index

    def __call__(self, question: Question, candidates: Candidates) -> np.ndarray | None:
        if not question.names_a_time:
            return None
        return date_evidence(
            question.months,
            question.years,
            [p.get("months") or [] for p in candidates.passages],
            question.bare_months,
        )
