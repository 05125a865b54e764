"""A question that names something the documents never mention (an acronym, or a name in any
script, found by sound in katakana and Hangul) is not answered by them, however close a passage
comes: "What was agreed in Wilmington?" over an archive that never names Wilmington."""

from __future__ import annotations

from typing import TYPE_CHECKING

from assistant.answer.checks.protocol import Ranked
from assistant.retrieval.key_terms import latin_vocabulary, missing_terms, not_found_notice
from assistant.retrieval.name_sounds import NameSounds

if TYPE_CHECKING:
    from assistant.retrieval.question import Question
    from assistant.retrieval.retriever import Retriever


class KeyTermCheck:
    def __init__(self, index: Retriever):
        self.index = index
        documents = index.stored.documents
        self.latin_only = bool(documents) and all(d.get("lang") == "en" for d in documents)
        self._vocabulary: frozenset[str] | None = None
        self._sounds: NameSounds | None = None

    def prepare(self) -> None:
        """Read the documents' Latin vocabulary and name sounds now (3.7 s and 0.8 s at 100k
        passages), not on the first question that names something."""
        texts = [f"{d['title']}\n{d['text']}" for d in self.index.stored.documents]
        if self._vocabulary is None:
            self._vocabulary = latin_vocabulary(texts)
        if self._sounds is None and not self.latin_only:
            self._sounds = NameSounds.of(texts)

    def __call__(self, question: Question, ranked: Ranked) -> str | None:
        if not (question.acronyms or question.names):
            return None
        self.prepare()
        assert self._vocabulary is not None
        missing = missing_terms(question.text, self._vocabulary, self.latin_only, self._sounds)
        return not_found_notice(missing) if missing else None
