"""Every weight and threshold of retrieval and answering, in one frozen value.

The score of a candidate passage p for a question q is (docs/how-it-works.md)::

    score(p) = dense(q, p) - language(q, p) + spread * sum(weights[t] * t(q, p))

``dense`` and ``language`` are cosines of whatever model built the index. Every term ``t`` is a
number between -1 and 1, and its weight is counted in *spreads*: the model's typical spread of
question-passage cosines, measured when the index is built (``indexing.calibration``) and kept
in its manifest. So a weight means the same for multilingual-e5-small, whose cosines crowd into
0.7-0.9, as for a model whose cosines spread over the whole range, and swapping the encoder
re-tunes nothing. Thresholds that depend on the model are measured the same way (the
confidence threshold is a quantile of what unrelated questions score on the index itself).

Ablation is a new value, never a patched global:

>>> config = Config()
>>> config.without("date").weights.get("date") is None
True
>>> Config().replace(confidence_quantile=0.8).confidence_quantile
0.8
>>> Config().without("tides")
Traceback (most recent call last):
...
ValueError: unknown term, check or component 'tides'; known: ...

Each default says where it came from: measured on which questions, and the figures are in
docs/evaluation.md. e5-small's spread is 0.033 (the bank's mean per-question standard
deviation), so a weight w here is w * 0.033 in e5 cosines.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

TERM_WEIGHTS: Mapping[str, float] = MappingProxyType(
    {
        # BM25 of the question's tokens, scaled by the share of its tokens the index knows at all
        # (squared): 0.05 e5 cosines, tuned on the seed's dev + extra questions (88, ja/en/ko).
        "lexical": 1.5,
        # +1 a passage's document is about the month (else year) the question names, -1 it names
        # other dates: 0.06 e5 cosines, tuned on the archive dev set; the largest single term on
        # the fresh blind sets (docs/evaluation.md).
        "date": 1.8,
        # Sino-Korean readings shared by a Japanese question and a Korean passage (or the
        # reverse), BM25 0..1: 0.06 e5 cosines, tuned on the archive dev set.
        "reading": 1.8,
        # English stems shared through the JMdict glosses by an English question and a Japanese
        # passage (or the reverse), BM25 0..1: 0.06 e5 cosines, tuned on blind sets 1-3.
        "gloss": 1.8,
    }
)
"""Evidence terms and their weights, in spreads (see the module docstring)."""

CHECKS: tuple[str, ...] = ("key_terms", "amounts", "ordinals")
"""Answer checks run in this order; the first notice makes the answer not confident."""

COMPONENTS: Mapping[str, str] = MappingProxyType(
    {
        "calibration": "language_calibration",
        "setting": "focus_weight",
        "sentence": "sentence_match",
        "inferred_dates": "inferred_dates",
        "carry": "carry_weight",
        "dateline": "dateline_context",
    }
)
"""Parts of the score that are not weighted terms, by the name ``Config.without`` takes."""


@dataclass(frozen=True)
class Config:
    """Retrieval and answering settings; ``Config()`` is what ships."""

    weights: Mapping[str, float] = field(default_factory=lambda: dict(TERM_WEIGHTS))
    checks: tuple[str, ...] = CHECKS
    language_calibration: bool = True
    """Subtract the question's bias towards passages in its own language, measured on the
    parallel bank (the same sentences in ja/en/ko): cross-language answers become reachable."""
    sentence_match: bool = True
    """A passage scores as its best sentence when that is closer than the whole paragraph: a
    long paragraph ranks for any one of its topics. Kept for the seed: without it the seed's
    dev set fell to hit@1 0.95 and its extra questions to 0.87 (docs/evaluation.md)."""
    focus_weight: float = 0.5
    """Share of the question's vector given to what it asks when it opens with a setting clause
    ("At the Lima meeting, | what ..."): the setting picks the document, what is asked the
    paragraph (``retrieval.focus``). Tuned on the archive dev set (0.4-0.6 the same)."""
    confidence_quantile: float = 0.5
    """An answer is confident when its margin over the background bank beats this share of the
    margins unrelated questions in its language get on the same index (measured at build time):
    a rate, so it does not depend on the model's scale. Tuned on the dev sets and the seven
    earlier archive blind sets (348 answerable, 123 off-topic questions): 0.5 kept 0.974 of the
    answerable confident and rejected 0.723 of the off-topic; 0.6 0.960 / 0.740, 0.7 0.920 /
    0.772, 0.8 0.839 / 0.821."""
    inferred_dates: bool = True
    """Build time: a document whose text gives no full date is dated by its file name
    (``fm-bali-2022-07.en.txt``) or by a dateline without a year and the one year its text
    names."""
    dateline_context: bool = True
    """Build time: in an index of several documents, a dated document's passages are embedded
    under its dateline (its opening sentence when that names a date: who met where and when),
    so a question that names the meeting matches the paragraph that answers, not only the
    dateline (``indexing.indexer.dateline``). On archive sets written after it
    (eval/fresh/fresh_archive_{f,g}.jsonl, 64 answerable, 26 off-topic): hit@1 0.59 -> 0.64,
    hit@3 0.88 both, off-topic rejected 0.23 -> 0.19; the book set written after it unchanged."""
    candidates: int = 100
    """Passages the dense index proposes (and the lexical arm as many) on a large index."""
    check_depth: int = 3
    """How many of the best passages the answer checks read."""
    context_weight: float = 2.0
    """Cosine spreads a follow-up question's candidates gain when they come from the statement
    the conversation is about (``retrieval.conversation``). Tuned on the dialogue dev set
    (eval/dialogues_dev.jsonl, 24 two-turn dialogues) with standalone_quantile: hit@3 0.67
    without, 0.83 at 1, 0.88 at 2, 0.79 at 4. On fresh dialogues written after it
    (eval/fresh/fresh_dialogues_c.jsonl): hit@3 0.72, 0.61 without."""
    standalone_quantile: float = 0.9
    """A question with history stands on its own, and is answered as without it, when its own
    best answer beats this share of unrelated questions' margins (as confidence_quantile).
    Measured on the archive dev questions each asked after the one before it: hit@1 0.67 alone,
    0.57 with the context always applied, 0.66 at 0.9 (0.67 at 0.7, where dialogues fell from
    0.88 to 0.79). On the fresh archive sets asked so: hit@1 0.57 with it, 0.55 without (0.60
    alone)."""
    carry_weight: float = 0.5
    """Share of the question's vector given to the earlier question when a follow-up names only
    another meeting ("And in Lima a year later?"): the follow-up picks the statement, the earlier
    question the paragraph (``retrieval.conversation``), as ``focus_weight`` splits one question.
    Set equal to focus_weight, not tuned (flat from 0.3 to 0.85 on the used dialogue sets). On
    dialogues written after it (eval/fresh/fresh_dialogues_{d,e}.jsonl, 48): hit@1 / hit@3
    0.38 / 0.54 without, 0.42 / 0.65 with it."""
    timeline_quantile: float = 0.75
    """A timeline's topic is addressed at all only when its best paragraph is a confident
    answer at this quantile (as ``confidence_quantile``, stricter: a topic nothing addresses
    should show no entry). Tuned on the timeline dev set (eval/timeline_dev.jsonl, 36 rows) with
    timeline_lift 1, on the index with dateline context: recall / precision / absent topics
    clean 0.50 / 0.54 / 0.75 at 0.7, 0.50 / 0.58 / 0.92 at 0.75, 0.41 / 0.56 / 0.92 at 0.8
    (0.7 was chosen before the dateline context, where it gave 0.52 / 0.54 / 0.92). On the
    fresh timeline set without it: absent topics clean 0.08 instead of 0.75."""
    timeline_lift: float = 1.0
    """A statement addresses the topic when its best paragraph scores this many cosine spreads
    above the median of its document's other paragraphs (``answer.timeline.lifts``). Tuned with
    timeline_quantile: recall / precision 0.65 / 0.27 at 0.5, 0.52 / 0.54 at 1.0, 0.34 / 0.70 at
    1.5. On the fresh timeline set without it: precision 0.20 instead of 0.47."""

    def __post_init__(self) -> None:
        unknown = set(self.weights) - set(TERM_WEIGHTS)
        if unknown:
            raise ValueError(
                f"unknown evidence term(s) {sorted(unknown)}; known: {', '.join(TERM_WEIGHTS)}"
            )
        bad_checks = set(self.checks) - set(CHECKS)
        if bad_checks:
            raise ValueError(f"unknown check(s) {sorted(bad_checks)}; known: {', '.join(CHECKS)}")
        if not 0 < self.confidence_quantile < 1:
            raise ValueError(
                f"confidence_quantile must lie in (0, 1), not {self.confidence_quantile}"
            )
        for name in ("focus_weight", "carry_weight"):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"{name} must lie in [0, 1], not {getattr(self, name)}")
        object.__setattr__(self, "weights", MappingProxyType(dict(self.weights)))

    def replace(self, **changes: object) -> Config:
        """A copy with ``changes`` (field names of this class)."""
        fields = {f.name for f in dataclasses.fields(self)}
        unknown = set(changes) - fields
        if unknown:
            known = ", ".join(sorted(fields))
            raise ValueError(f"unknown setting(s) {sorted(unknown)}; known: {known}")
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]

    def without(self, name: str) -> Config:
        """A copy with one evidence term, answer check or score component switched off."""
        if name in self.weights or name in TERM_WEIGHTS:
            return self.replace(weights={t: w for t, w in self.weights.items() if t != name})
        if name in CHECKS:
            return self.replace(checks=tuple(c for c in self.checks if c != name))
        if name in COMPONENTS:
            attribute = COMPONENTS[name]
            off = {"focus_weight": 0.0, "carry_weight": 0.0}
            return self.replace(**{attribute: off.get(attribute, False)})
        known = [*TERM_WEIGHTS, *CHECKS, *COMPONENTS]
        raise ValueError(f"unknown term, check or component {name!r}; known: {', '.join(known)}")

    @staticmethod
    def ablatable() -> tuple[str, ...]:
        """Every name ``without`` takes: what an ablation walks through."""
        return (*TERM_WEIGHTS, *CHECKS, *COMPONENTS)
