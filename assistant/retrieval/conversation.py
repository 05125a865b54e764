"""Follow-up questions: what an earlier question established, carried into the next one by
retrieval alone.

People ask in conversations: "What did the ministers say in Bali about the missile launches?",
then "Were condolences expressed at that meeting?". Asked alone, the follow-up lands in whichever
statement scores highest. Here the conversation's *statement* (the document, with its language
versions, that answered the earlier questions) is a soft prior: its passages gain
``Config.context_weight`` cosine spreads. A follow-up that names another meeting or time still
moves there (its own date and name evidence outweighs the prior), and one that stands on its own
is answered as before, since its answer outscores the prior.

A follow-up that names only another meeting ("And in Lima a year later?", "2024年5月末の
次官協議では？") asks the earlier question again there: the follow-up picks the statement, the
earlier question what is asked in it, as a setting clause and what it asks do within one
question (``retrieval.focus``). The prior does not apply to it: it names its own meeting.

Prefixing the earlier question instead (the usual trick without an LLM) pulls the follow-up
back to the earlier meeting's words: on the dialogue dev set it kept hit@3 at 0.67 and dropped
follow-ups that change the meeting from 0.75 to 0.38 (docs/evaluation.md).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from assistant.retrieval.focus import question_focus
from assistant.retrieval.question import Question

if TYPE_CHECKING:
    from assistant.config import Config
    from assistant.retrieval.filters import Filters
    from assistant.retrieval.retriever import Retriever

MAX_HISTORY_READ = 4
"""Earlier questions read, the latest last: each is resolved in the context of the one before,
so a third question still knows the meeting the first one named."""


@dataclass(frozen=True)
class Context:
    """The statement a conversation is about: its documents (one per language version), and
    how to name it to the reader."""

    sources: frozenset[str]
    title: str
    date: str | None
    ask: str | None = None
    """What the conversation asks: the latest earlier question that asked something of its own
    (its setting clause off), asked again by a follow-up that names only another meeting."""

    def read_as(self, asked_again: str | None = None) -> str:
        """``Read as a follow-up on: 日米韓外相会合 (2024-09-23)``; for a follow-up that names
        only a meeting, the earlier question it asks again there."""
        if asked_again:
            return f"Read as: “{asked_again}” asked of the meeting this question names"
        when = f" ({self.date})" if self.date else ""
        return f"Read as a follow-up on: {self.title}{when}"

    def to_dict(self, asked_again: str | None = None) -> dict[str, Any]:
        """What a reader is shown (not the server's file paths)."""
        if asked_again:
            return {"title": None, "date": None, "read_as": self.read_as(asked_again)}
        return {"title": self.title, "date": self.date, "read_as": self.read_as()}


def statement_of(retriever: Retriever, source: str) -> frozenset[str]:
    """``source`` and its language versions (the index's alignments)."""
    from assistant.answer.timeline import statement_groups

    groups = statement_groups(retriever.stored)
    group = groups.get(source)
    return frozenset(s for s, g in groups.items() if g == group) or frozenset({source})


def context_of(
    retriever: Retriever,
    history: Sequence[str],
    filters: Filters | None,
    config: Config,
) -> Context | None:
    """The statement the earlier questions established, or None when none was answered
    confidently. Each is read in the context of the one before it."""
    context: Context | None = None
    for question in list(history)[-MAX_HISTORY_READ:]:
        found = retriever.retrieve(question, 1, filters=filters, config=config, context=context)
        carried = found.asked_again  # a meeting-only turn keeps the conversation's ask
        ask = carried or question_focus(question) or question
        if not found.confident or not found.hits:
            if context is not None and not carried:
                context = dataclasses.replace(context, ask=ask)
            continue
        source = found.hits[0].passage["source"]
        sources = statement_of(retriever, source)
        documents = [d for d in retriever.stored.documents if d["source"] in sources]
        language = Question.parse(question).language  # named in the asker's language if it can
        document = next((d for d in documents if d.get("lang") == language), None)
        document = document or next((d for d in documents if d["source"] == source), {})
        context = Context(
            sources,
            document.get("title") or found.hits[0].passage.get("doc") or source,
            document.get("date"),
            ask,
        )
    return context


def prior(passage_files: np.ndarray, ids: np.ndarray, context: Context | None) -> np.ndarray:
    """1 for the candidates from the conversation's statement, else 0."""
    if context is None:
        return np.zeros(len(ids), dtype=np.float32)
    return np.isin(passage_files[ids], list(context.sources)).astype(np.float32)
