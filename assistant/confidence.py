"""Whether the corpus answers a question at all.

e5's cosines are compressed (on-topic answers ~0.78-0.92, off-topic questions ~0.70-0.82) and
shift with the question's language, so no fixed cosine threshold separates them: measured on
the seed, the best Japanese off-topic question (0.819) outscored the worst on-topic English one
(0.783). The rule here compares the corpus with *unrelated text*: a fixed bank of everyday
passages (weather, cooking, sport, health, other politics ... in ja/en/ko, ``background.json``).

    margin = best corpus score - mean of the 3 best background scores
    confident  <=>  margin + LEXICAL_BONUS * lexical coverage >= MIN_MARGIN

When the corpus matches a question no better than texts about nothing in particular, nothing
in the corpus answers it. The lexical coverage (share of the question's tokens found in the
corpus) adds a little for questions written in the corpus's own words.
"""

from __future__ import annotations

import hashlib
import json
import logging
from importlib import resources

import numpy as np

from assistant.encoder import Encoder

log = logging.getLogger(__name__)

BACKGROUND_TOP = 3
MIN_MARGIN = -0.004
"""Measured on dev + extra questions (ja/en/ko, 66 on-topic and 22 off-topic): on-topic
margins + bonus >= +0.002, off-topic <= -0.006; the threshold sits in that gap. With it,
100% of off-topic questions were rejected and 100% of on-topic ones stayed confident."""

LEXICAL_BONUS = 0.02
"""Weight of lexical coverage (0..1) in the margin; 0.02-0.03 gave the same separation."""


def _background_texts() -> list[str]:
    path = resources.files("assistant") / "background.json"
    return list(json.loads(path.read_text(encoding="utf-8"))["passages"])


def document_vectors(
    encoder: Encoder, texts: list[str], cache_key: str | None = None
) -> np.ndarray:
    """``texts`` embedded as passages by ``encoder``, kept on disk per model under the model
    cache (a fixed bank would otherwise cost a cold start ~0.4 s of embedding every time)."""
    from assistant.model import cache_root

    if not cache_key:
        return encoder.encode_documents(texts)
    digest = hashlib.sha256(("\n".join(texts) + cache_key).encode()).hexdigest()[:16]
    path = cache_root() / f"bank-{digest}.npy"
    try:
        vectors = np.load(path)
        if vectors.shape[0] == len(texts):
            return vectors
    except (OSError, ValueError):
        pass
    vectors = encoder.encode_documents(texts)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.npy")
        np.save(tmp, vectors)
        tmp.replace(path)
    except OSError as exc:
        log.debug("cannot cache bank vectors: %s", exc)
    return vectors


def background_vectors(encoder: Encoder, cache_key: str | None = None) -> np.ndarray:
    """The background bank of unrelated texts, embedded by ``encoder``."""
    return document_vectors(encoder, _background_texts(), cache_key)


def parallel_bank_vectors(encoder: Encoder, cache_key: str | None = None) -> dict[str, np.ndarray]:
    """The parallel bank (``parallel_bank.json``) embedded per language: {lang: vectors}."""
    path = resources.files("assistant") / "parallel_bank.json"
    bank = json.loads(path.read_text(encoding="utf-8"))
    languages = bank["languages"]
    texts = [row[i] for i in range(len(languages)) for row in bank["rows"]]
    vectors = document_vectors(encoder, texts, cache_key)
    size = len(bank["rows"])
    return {lang: vectors[i * size : (i + 1) * size] for i, lang in enumerate(languages)}


def is_confident(
    best_score: float, query: np.ndarray, background: np.ndarray, coverage: float
) -> tuple[bool, float]:
    """Apply the rule in the module docstring; returns (confident, margin)."""
    if background.size == 0:
        return best_score >= 0.8, best_score - 0.8
    scores = np.sort(background @ query)[::-1][:BACKGROUND_TOP]
    margin = float(best_score - scores.mean() + LEXICAL_BONUS * coverage)
    return margin >= MIN_MARGIN, margin
