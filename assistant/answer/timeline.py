"""A topic's timeline: what each statement said about it, in date order, with the wording
changes from one to the next.

    question ─ retrieve every candidate paragraph (one pipeline, as ``search``) ─ group by
      statement (parallel versions are one) ─ each statement's best paragraph, shown in the
      asker's language when a version exists ─ does it address the topic? ─ date order ─
      word changes from the previous addressing entry in the same language

Finding a statement's best paragraph is the easy part (0.81 right on a held-out archive with
plain ``search``); deciding whether a statement addresses the topic at all is the hard one. Two
model-independent tests decide it: the topic is addressed at all only when the best paragraph
is a confident answer (``Config.timeline_quantile``, a rate of unrelated questions, as for
answers), and a statement addresses it when its best paragraph stands out from the statement's
other paragraphs (``Config.timeline_lift``, in the model's cosine spreads). What was measured
for these and the alternatives is in docs/evaluation.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from assistant.answer import confidence
from assistant.answer.wording import changes
from assistant.config import Config
from assistant.ingest.structure import file_name

if TYPE_CHECKING:
    from assistant.retrieval.filters import Filters
    from assistant.retrieval.question import Question
    from assistant.retrieval.retriever import Hit, Retriever


@dataclass
class TimelineEntry:
    """One statement: its best paragraph on the topic (in the asker's language when it has that
    version), whether it addresses the topic, and the changes from the previous one that did."""

    date: str | None
    addresses: bool
    citation: str
    source: str
    paragraph: int
    lang: str | None
    title: str
    text: str
    highlight: str
    versions: list[dict[str, Any]] = field(default_factory=list)
    """The statement's other language versions: their best paragraph on the topic."""
    diff: list[dict[str, str]] | None = None
    """Word changes from the previous addressing entry in the same language (``wording``);
    None for the first one in its language and for entries that do not address the topic."""
    page: int | None = None
    url: str | None = None
    score: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Timeline:
    """The statements on a topic in date order (undated ones last); ``notice`` says what a
    reader should know: no statement addresses the topic, or some are undated."""

    question: str
    entries: list[TimelineEntry]
    notice: str | None = None

    @property
    def addressing(self) -> list[TimelineEntry]:
        return [e for e in self.entries if e.addresses]

    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "notice": self.notice,
            "entries": [e.to_dict() for e in self.entries],
        }


def statement_groups(stored: Any) -> dict[str, int]:
    """Source -> statement number: parallel versions (linked by the index's alignments) share
    one, every other document has its own. Made once per loaded index (an index is immutable):
    every timeline and every follow-up's history reads it."""
    cached = stored.__dict__.get("_statement_groups")
    if cached is None:
        cached = stored.__dict__["_statement_groups"] = _statement_groups(stored)
    return cached


def _statement_groups(stored: Any) -> dict[str, int]:
    from assistant.indexing.versions import connected_groups

    sources = sorted({p["source"] for p in stored.passages})
    links = [tuple(a["sources"]) for a in stored.manifest.get("alignments") or []]
    links = [(left, right) for left, right in links if left in sources and right in sources]
    numbers: dict[str, int] = {}
    for index, group in enumerate(connected_groups(sources, links, singles=True)):
        numbers.update(dict.fromkeys(group, index))
    return numbers


def lifts(hits: Sequence[Hit], spread: float) -> dict[str, float]:
    """Per document, how far its best paragraph scores above the median of its other candidate
    paragraphs, in cosine spreads: a paragraph on the topic stands out from the rest of its
    statement, while a statement that does not address it scores about evenly. A document with
    one candidate paragraph is measured against the median of all candidates instead."""
    by_source: dict[str, list[float]] = {}
    for hit in hits:
        by_source.setdefault(hit.passage["source"], []).append(hit.score)
    everyone = float(np.median([hit.score for hit in hits])) if hits else 0.0
    out = {}
    for source, scores in by_source.items():
        ordered = sorted(scores, reverse=True)
        baseline = float(np.median(ordered[1:])) if len(ordered) > 1 else everyone
        out[source] = (ordered[0] - baseline) / spread
    return out


TIMELINE_CANDIDATES = 400
"""Passages a timeline weighs on a large index (the dense and lexical arms' best, each): more
than an answer's 100, since every statement needs its best paragraph among them."""


def timeline_of(
    retriever: Retriever,
    q: Question,
    filters: Filters | None,
    config: Config,
    language: str | None,
) -> Timeline:
    """The timeline of ``q`` over the statements ``filters`` admit, scored by the one
    retrieval pipeline (``Retriever.score``)."""
    config = config.replace(candidates=max(config.candidates, TIMELINE_CANDIDATES))
    scored = retriever.score(q, "hybrid", filters, config)
    if scored is None:
        return Timeline(q.text, [], "No statement matches these filters.")
    order = np.argsort(-scored.ranking, kind="stable")
    hits = retriever.highlighted(
        scored.candidates, order, scored.ranking, scored.sentence, scored.tokens, config
    )
    calibration = retriever.calibration
    margin = confidence.margin(float(scored.closeness.max()), scored.vector, calibration.background)
    answered = calibration.confident(margin, q.language, config.timeline_quantile)
    return build_timeline(
        q.text,
        hits,
        retriever.stored,
        calibration.spread,
        language,
        config.timeline_lift if answered else np.inf,
    )


def build_timeline(
    question: str,
    hits: Sequence[Hit],
    stored: Any,
    spread: float,
    language: str | None,
    min_lift: float,
) -> Timeline:
    """The timeline from every candidate paragraph's hit (best first) of one retrieval: a
    statement addresses the topic when its best paragraph stands ``min_lift`` cosine spreads
    above the median of its document's other candidate paragraphs (``inf``: none does)."""
    groups = statement_groups(stored)
    documents = {d["source"]: d for d in stored.documents}
    proof = lifts(hits, spread)
    best: dict[str, Hit] = {}
    for hit in hits:
        best.setdefault(hit.passage["source"], hit)
    statements: dict[int, list[Hit]] = {}
    for source, hit in best.items():
        statements.setdefault(groups.get(source, -1 - len(statements)), []).append(hit)
    entries = []
    for members in statements.values():
        members.sort(key=lambda h: -h.score)
        shown = next((h for h in members if h.passage.get("lang") == language), members[0])
        addresses = bool(proof[members[0].passage["source"]] >= min_lift)
        entries.append(_entry(shown, members, documents, addresses))
    entries.sort(key=lambda e: (e.date is None, e.date or "", e.source))
    _add_changes(entries)
    return Timeline(question, entries, _notice(entries))


def _entry(
    shown: Hit, members: list[Hit], documents: dict[str, dict[str, Any]], addresses: bool
) -> TimelineEntry:
    passage = shown.passage
    document = documents.get(passage["source"], {})
    versions = [
        {
            "lang": h.passage.get("lang"),
            "source": file_name(h.passage["source"]),
            "paragraph": h.passage["paragraph"],
            "text": h.passage["text"],
        }
        for h in members
        if h is not shown
    ]
    return TimelineEntry(
        date=document.get("date") or passage.get("date"),
        addresses=addresses,
        citation=passage["citation"],
        source=passage["source"],
        paragraph=passage["paragraph"],
        lang=passage.get("lang"),
        title=document.get("title") or passage.get("title") or file_name(passage["source"]),
        text=passage["text"],
        highlight=shown.highlight,
        versions=versions,
        page=passage.get("page"),
        url=document.get("url"),
        score=round(float(shown.score), 4),
    )


def _add_changes(entries: list[TimelineEntry]) -> None:
    previous: dict[str | None, TimelineEntry] = {}
    for entry in entries:
        if not entry.addresses:
            continue
        before = previous.get(entry.lang)
        if before is not None:
            entry.diff = changes(before.text, entry.text)
        previous[entry.lang] = entry


def _notice(entries: list[TimelineEntry]) -> str | None:
    if not any(e.addresses for e in entries):
        return "No statement here addresses this topic; the closest paragraphs are listed."
    undated = sum(1 for e in entries if e.date is None)
    if undated:
        return f"{undated} statement{'s' if undated > 1 else ''} without a date listed last."
    return None
