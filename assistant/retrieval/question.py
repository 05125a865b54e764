"""A question, read once: everything the evidence terms and answer checks look at.

Each term and check used to re-read the question (its language, its dates, its names) on its
own; here it is parsed once into a frozen value that is handed to all of them.

>>> q = Question.parse("At the November 2024 meeting in Lima, what did they say about APEC?")
>>> q.language, q.months, q.acronyms
('en', ('2024-11',), ('APEC',))
>>> q.focus
'what did they say about APEC?'
"""

from __future__ import annotations

from dataclasses import dataclass

from assistant.answer.checks.amounts import AmountKind, asked_amount
from assistant.answer.checks.ordinals import ordinals
from assistant.ingest.dates import question_bare_months, question_months, question_years
from assistant.retrieval.focus import question_focus
from assistant.retrieval.key_terms import key_terms, name_runs
from assistant.text import detect_language


@dataclass(frozen=True)
class Question:
    """What is asked, and what it names."""

    text: str
    """As asked (cleaned of control characters)."""
    language: str
    """``ja``, ``en``, ``ko``, ``zh`` or ``und``, by script."""
    focus: str | None
    """What it asks, when it opens with a setting clause ("At the Lima meeting, | what ..."):
    the setting picks the document, what is asked the paragraph. None otherwise."""
    months: tuple[str, ...]
    """Months it names (``YYYY-MM``), in any of the three languages' spellings."""
    years: tuple[int, ...]
    """Years it names, with or without a month."""
    bare_months: tuple[int, ...]
    """Months it names without any year ("10월 서울 차관 협의", "that October"), as numbers."""
    acronyms: tuple[str, ...]
    """Acronyms it names in Latin letters (APEC, G7)."""
    names: tuple[str, ...]
    """Capitalised Latin names it gives (Brussels, Rubio), not sentence openers."""
    name_runs: tuple[str, ...]
    """Its names as runs of adjacent capitalised words (Kuala Lumpur): what is looked up by
    sound in other scripts."""
    amount: AmountKind | None
    """The kind of amount it asks for (a sum, a percentage, a count), if any."""
    ordinals: frozenset[int]
    """Ordinals it names as a meeting's number (第3回, the 13th)."""

    @classmethod
    def parse(cls, text: str) -> Question:
        """Read ``text`` once (about 0.1 ms)."""
        acronyms, names = key_terms(text)
        runs = name_runs(text)
        return cls(
            text=text,
            language=detect_language(text),
            months=tuple(question_months(text)),
            years=tuple(question_years(text)),
            bare_months=tuple(question_bare_months(text)),
            acronyms=tuple(acronyms),
            names=tuple(names),
            name_runs=tuple(runs),
            focus=question_focus(text),
            amount=asked_amount(text),
            ordinals=frozenset(ordinals(text)),
        )

    @property
    def names_a_time(self) -> bool:
        return bool(self.months or self.years or self.bare_months)
