"""What depends on the model, measured when an index is built and kept in its manifest.

Nothing in scoring or confidence may assume one model's cosine scale (a user may build with
bge-m3, multilingual-e5-large or the built-in USE). Two things are measured instead:

* ``spread``: the model's typical spread of question-passage cosines (the mean, over the fixed
  banks' texts asked as questions, of the standard deviation of their cosines to the banks'
  texts as passages). Term weights are counted in it (``assistant.config``). Measured:
  multilingual-e5-small 0.033.
* ``null_margins``: for each language, the confidence margins (``answer.confidence.margin``)
  that unrelated questions (the banks' texts asked as questions, each compared with the
  background less itself) get on *this* index, sorted. A corpus raises them as it grows and
  most in its own languages; the confidence threshold is a quantile of them.

>>> c = Calibration(spread=0.03, null_margins={"en": [-0.05, 0.0, 0.01, 0.02]})
>>> c.threshold("en", 0.5), c.confident(0.011, "en", 0.5), c.confident(0.011, "en", 0.9)
(0.005, True, False)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from assistant.answer.confidence import BACKGROUND_TOP
from assistant.encoding.banks import (
    background_texts,
    background_vectors,
    document_vectors,
    parallel_bank_texts,
    parallel_bank_vectors,
)
from assistant.encoding.encoder import Encoder
from assistant.text import LANGUAGES, detect_language

_BLOCK = 65536
"""Rows per matrix product, so memory stays bounded at any index size."""


def bank_questions(encoder: Encoder, cache_key: str | None = None) -> tuple[list[str], np.ndarray]:
    """The unrelated questions: the background bank's texts, then the parallel bank's, as
    texts and embedded as questions."""
    texts = background_texts() + [t for texts in parallel_bank_texts().values() for t in texts]
    return texts, document_vectors(encoder, texts, cache_key, as_queries=True)


def measure_spread(encoder: Encoder, cache_key: str | None = None) -> float:
    """The model's spread of cosines (see the module docstring)."""
    _, questions = bank_questions(encoder, cache_key)
    bank = parallel_bank_vectors(encoder, cache_key)
    passages = np.vstack([background_vectors(encoder, cache_key), *bank.values()])
    cosines = questions @ passages.T
    np.fill_diagonal(cosines, np.nan)  # a text against itself
    return float(np.nanmean(np.nanstd(cosines, axis=1)))


def measure_null_margins(
    encoder: Encoder,
    passage_vectors: np.ndarray,
    sentence_vectors: np.ndarray,
    cache_key: str | None = None,
) -> dict[str, list[float]]:
    """Per language of the text asked, the sorted margins unrelated questions get here."""
    texts, questions = bank_questions(encoder, cache_key)
    if not len(passage_vectors):
        return {}
    best = np.full(len(questions), -np.inf, dtype=np.float32)
    for vectors in (passage_vectors, sentence_vectors):
        for start in range(0, len(vectors), _BLOCK):
            block = np.asarray(vectors[start : start + _BLOCK], dtype=np.float32)
            best = np.maximum(best, (questions @ block.T).max(axis=1))
    background = background_vectors(encoder, cache_key)
    against = questions @ background.T
    own = np.arange(len(background))
    against[own, own] = -np.inf  # a background text is not compared with itself
    top = -np.sort(-against, axis=1)[:, :BACKGROUND_TOP]
    margins = best - top.mean(axis=1)
    languages = np.array([detect_language(t) for t in texts])
    return {
        lang: sorted(round(float(m), 5) for m in margins[languages == lang])
        for lang in LANGUAGES
        if (languages == lang).any()
    }


def measure(
    encoder: Encoder,
    passage_vectors: np.ndarray,
    sentence_vectors: np.ndarray,
    cache_key: str | None = None,
) -> dict[str, Any]:
    """Everything model-dependent an index records (its manifest's ``calibration``)."""
    return {
        "spread": round(measure_spread(encoder, cache_key), 5),
        "null_margins": measure_null_margins(encoder, passage_vectors, sentence_vectors, cache_key),
    }


@dataclass
class Calibration:
    """An open index's model-dependent measures, with the bank vectors the score reads."""

    spread: float
    null_margins: Mapping[str, list[float]]
    background: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.float32))
    language_bank: Mapping[str, np.ndarray] = field(default_factory=dict)

    @classmethod
    def of(cls, manifest: Mapping[str, Any], encoder: Encoder) -> Calibration:
        """Read from an index's manifest; the bank vectors from ``encoder`` (cached on disk)."""
        recorded = manifest.get("calibration") or {}
        key = encoder.info.key
        return cls(
            spread=float(recorded.get("spread") or measure_spread(encoder, key)),
            null_margins=recorded.get("null_margins") or {},
            background=background_vectors(encoder, key),
            language_bank=parallel_bank_vectors(encoder, key),
        )

    def threshold(self, language: str, quantile: float) -> float:
        """The margin an answer in ``language`` must reach: ``quantile`` of the unrelated
        questions' margins in that language (all languages' for another)."""
        margins = self.null_margins.get(language) or [
            m for values in self.null_margins.values() for m in values
        ]
        if not margins:
            return 0.0
        return float(np.quantile(np.asarray(margins), quantile))

    def confident(self, margin: float, language: str, quantile: float) -> bool:
        return margin >= self.threshold(language, quantile)
