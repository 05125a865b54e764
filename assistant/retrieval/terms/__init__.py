"""The evidence terms, by the name ``assistant.config`` weights them under.

Adding a term: one module here with a class whose instances score candidates
(``retrieval.candidates.EvidenceTerm``), one line below, one weight in ``config.TERM_WEIGHTS``.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from assistant.retrieval.candidates import TermFactory
from assistant.retrieval.terms.date import DateTerm
from assistant.retrieval.terms.gloss import GlossTerm
from assistant.retrieval.terms.lexical import LexicalTerm
from assistant.retrieval.terms.reading import ReadingTerm

TERMS: Mapping[str, TermFactory] = MappingProxyType(
    {
        "lexical": LexicalTerm,
        "date": DateTerm,
        "reading": ReadingTerm,
        "gloss": GlossTerm,
    }
)
