"""How a passage's score is computed: pure functions over arrays.

For a question q and candidate passages p, with cosines from the index's own model::

    dense(p)    = max(cos(q, p), max over sentences s of p of cos(q, s))
    language(p) = mean cos(q, b) over the parallel bank B_L in p's language L,
                  less its mean over all the bank's languages
    score(p)    = dense(p) - language(p) + spread * sum over terms t of weight[t] * t(q, p)

``language`` removes the question's bias towards passages in its own language: the parallel
bank (the same sentences in Japanese, English and Korean) differs between languages in nothing
but language, so how much closer q is to the Korean bank than to the English one is how much q
prefers Korean text for being Korean. ``spread`` is the model's typical spread of cosines
(``indexing.calibration``), so term weights (``assistant.config``) mean the same for any model.
The terms are in ``retrieval/terms/``; docs/how-it-works.md walks through all of it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np


def combine(
    dense: np.ndarray,
    language: np.ndarray,
    evidence: Mapping[str, np.ndarray | None],
    weights: Mapping[str, float],
    spread: float,
) -> np.ndarray:
    """The score of every candidate; higher is better. A term that returned None adds nothing.

    >>> combine(np.array([0.80, 0.78]), np.array([0.02, -0.02]),
    ...         {"date": np.array([0.0, 1.0]), "names": None}, {"date": 2.0, "names": 3.0}, 0.03)
    array([0.78, 0.86], dtype=float32)
    """
    score = (dense - language).astype(np.float32)
    for name, values in evidence.items():
        if values is not None and weights.get(name):
            score += np.float32(spread * weights[name]) * values
    return score


def query_weights(rows: int, focus_weight: float) -> np.ndarray:
    """How much each row of the encoded question counts: all of a lone question; with a focus
    row (what it asks, its setting clause off), ``focus_weight`` for it, the rest for the whole.

    >>> query_weights(2, 0.5).tolist(), query_weights(1, 0.5).tolist()
    ([0.5, 0.5], [1.0])
    """
    if rows == 1:
        return np.ones(1, dtype=np.float32)
    return np.array([1 - focus_weight, focus_weight], dtype=np.float32)


def document_best(values: np.ndarray, documents: np.ndarray) -> np.ndarray:
    """Each value replaced by the largest of its document's (``documents``: one document id
    per value): evidence that picks a document and not a paragraph within it.

    >>> document_best(np.array([0.2, 0.9, 0.5, 0.1]), np.array([7, 7, 3, 3])).tolist()
    [0.9, 0.9, 0.5, 0.5]
    """
    if len(values) != len(documents):
        raise ValueError(f"{len(values)} values but {len(documents)} document ids")
    if not len(values):
        return values.copy()
    _, group = np.unique(documents, return_inverse=True)
    best = np.full(group.max() + 1, -np.inf, dtype=values.dtype)
    np.maximum.at(best, group, values)
    return best[group]


def normalised(scores: np.ndarray) -> np.ndarray:
    """Scores divided by their maximum (all zeros when nothing scores above zero)."""
    top = float(scores.max()) if scores.size else 0.0
    return scores / top if top > 0 else np.zeros_like(scores)


def language_offsets(
    query: np.ndarray, bank: dict[str, np.ndarray], passage_languages: Sequence[str]
) -> np.ndarray:
    """For each passage, how much closer the question is to the parallel bank in the passage's
    language than to the bank as a whole (0 for a language the bank lacks). Centred so that
    scores stay on the cosine scale people see (0.8-0.9 for a good answer).

    >>> bank = {"en": np.array([[1.0, 0.0]]), "ko": np.array([[0.6, 0.8]])}
    >>> offsets = language_offsets(np.array([0.6, 0.8]), bank, ["en", "ko", "fr"])
    >>> [round(float(x), 2) for x in offsets]
    [-0.2, 0.2, 0.0]
    """
    if not bank:
        return np.zeros(len(passage_languages), dtype=np.float32)
    means = {lang: float((vectors @ query).mean()) for lang, vectors in bank.items()}
    neutral = float(np.mean(list(means.values())))
    return np.array(
        [means.get(lang, neutral) - neutral for lang in passage_languages], dtype=np.float32
    )
