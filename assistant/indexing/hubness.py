"""Hubness: how close a passage is to *every* question, whatever it asks.

Some texts sit near the centre of the embedding space: a one-line message ("中止しています...",
"デバッグ 警告:") is about nothing in particular, so every question is moderately close to it.
In a cross-language match, where the right paragraph's cosine is itself only moderate, such
hubs win: a help file of one-line messages indexed beside the seed took the top place from the
seed's answers for most English and Korean questions (bash and coreutils messages from their
Japanese gettext catalogues, 780 lines; seed dev + extra questions, 88: hit@1
1.0 -> 0.59).

A passage's hubness is its mean cosine to a fixed set of unrelated questions (the background
and parallel banks' texts asked as questions). Ordinary text has a typical range, measured on
the banks' own texts as passages (each against the questions other than its own row); the
score is lowered only by how far a passage lies *above* the upper quartile of that range
(``excess``), so ordinary passages are not touched and hubs lose what they gained from being
central.

Measured (seed dev + extra questions beside the help file; archive dev set; seed dev + extra +
holdout alone), hit@1:

============================  ==========  =============  ===========
level (quantile), weight      help file   archive        seed alone
============================  ==========  =============  ===========
no correction                 0.61        0.71           0.99
median, 1.0                   0.91        0.69           0.99
upper quartile, 1.0 (kept)    0.85        0.74           0.99
upper quartile, 2.0           0.86        0.74           0.99
90th percentile, 2.0          0.83        0.74           0.99
============================  ==========  =============  ===========

Corrections that move every passage (centring on the index's own median, or on the mean of its
k nearest questions, as CSLS does) cost the seed up to 0.09 hit@1 and did not lift the
help-file case as far.

>>> import numpy as np
>>> passages = np.array([[1.0, 0.0], [0.6, 0.8]])
>>> [round(float(x), 3) for x in excess(passages, np.array([[1.0, 0.0], [0.8, 0.6]]), 0.8)]
[0.1, 0.0]
"""

from __future__ import annotations

import numpy as np

from assistant.answer.confidence import (
    _background_texts,
    background_vectors,
    document_vectors,
    parallel_bank_texts,
    parallel_bank_vectors,
)
from assistant.encoding.encoder import Encoder

HUB_WEIGHT = 1.0
"""How much of a passage's excess closeness to unrelated questions comes off its score: all of
it, so a hub scores as text at the ordinary level would (2.0 gained one help-file question of
88 and nothing elsewhere; see the table above)."""

ORDINARY_QUANTILE = 0.75
"""Where ordinary text's closeness to unrelated questions ends (see the table above): the
median also lowered ordinary passages of the archive (hit@1 0.74 -> 0.69)."""

_BLOCK = 65536
"""Rows per matrix product, so memory stays bounded at any index size."""


def reference_questions(encoder: Encoder, cache_key: str | None = None) -> np.ndarray:
    """The unrelated questions hubness is measured against: the background bank's texts, then
    the parallel bank's row by row (each sentence in every language), embedded as questions."""
    rows = zip(*parallel_bank_texts().values(), strict=True)
    parallel = [text for row in rows for text in row]
    return document_vectors(encoder, _background_texts() + parallel, cache_key, as_queries=True)


def ordinary_level(encoder: Encoder, cache_key: str | None = None) -> float:
    """The upper end of ordinary text's hubness (its ORDINARY_QUANTILE): each bank text
    embedded as a passage, against the reference questions other than itself (and, for the
    parallel bank, its translations)."""
    bank = parallel_bank_vectors(encoder, cache_key)  # per language, row-aligned
    passages = np.vstack([background_vectors(encoder, cache_key), *bank.values()])
    cosines = passages @ reference_questions(encoder, cache_key).T
    languages, size = len(bank), len(next(iter(bank.values())))
    offset = len(passages) - languages * size
    own_row = np.zeros(cosines.shape, dtype=bool)
    own_row[np.arange(offset), np.arange(offset)] = True
    for row in range(size):  # a parallel sentence and its translations are one row
        as_passages = offset + row + size * np.arange(languages)
        as_questions = offset + row * languages + np.arange(languages)
        own_row[np.ix_(as_passages, as_questions)] = True
    cosines[own_row] = np.nan
    return float(np.quantile(np.nanmean(cosines, axis=1), ORDINARY_QUANTILE))


def excess(vectors: np.ndarray, questions: np.ndarray, level: float) -> np.ndarray:
    """For each row of ``vectors``: how far its mean cosine to ``questions`` lies above
    ``level`` (0 for ordinary text)."""
    out = np.zeros(len(vectors), dtype=np.float32)
    for start in range(0, len(vectors), _BLOCK):
        block = np.asarray(vectors[start : start + _BLOCK], dtype=np.float32)
        out[start : start + len(block)] = (block @ questions.T).mean(axis=1)
    return np.maximum(out - level, 0.0).astype(np.float32)
