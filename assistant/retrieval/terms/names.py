"""Name evidence: a document that spells a name of the question in another script (Brussels,
ブリュッセル, 브뤼셀: by sound, ``retrieval.name_sounds``) or names one of its acronyms that few
documents name (G7, UEFI: ``retrieval.key_terms.AcronymIndex``), whatever its language.

+1 for every candidate of such a document, else 0. A name found in more than ``NAME_SHARE`` of
the documents picks none out: it is a loanword (글로벌, グローバル) or matches by chance.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from assistant.retrieval.candidates import Candidates
from assistant.retrieval.key_terms import AcronymIndex
from assistant.retrieval.name_sounds import SpokenNameIndex

if TYPE_CHECKING:
    from assistant.retrieval.question import Question
    from assistant.retrieval.retriever import Retriever

NAME_SHARE = 0.1
"""Measured on the archive (21 documents): at 0.05 the Freedom Edge exercise, named in two, was
lost; 0.1-0.2 the same. A share of documents, so it holds for any model."""


class NamesTerm:
    def __init__(self, index: Retriever):
        self.index = index
        self._spoken: SpokenNameIndex | None = None
        self._acronyms: AcronymIndex | None = None

    def prepare(self) -> None:
        """Build the two document lookups now (1.2 s each at 100k passages), not on the first
        question that names something."""
        if self._spoken is None or self._acronyms is None:
            texts = self.index.document_texts()
            self._spoken = SpokenNameIndex(texts)
            self._acronyms = AcronymIndex(texts)

    def __call__(self, question: Question, candidates: Candidates) -> np.ndarray | None:
        if not (question.acronyms or any(question.spoken.values())):
            return None
        self.prepare()
        assert self._spoken is not None and self._acronyms is not None
        named: set[int] = set()
        if any(question.spoken.values()):
            named |= self._spoken.naming(question.spoken, NAME_SHARE)
        if question.acronyms:
            named |= self._acronyms.naming(question.acronyms, NAME_SHARE)
        if not named:
            return None
        return np.isin(candidates.documents, list(named)).astype(np.float32)
