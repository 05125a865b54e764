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
from typing import Any

import numpy as np

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


def _embed_background(model: Any) -> np.ndarray:
    return model.encode_document(
        _background_texts(),
        normalize_embeddings=True,
        convert_to_numpy=True,
        show_progress_bar=False,
    )


def background_vectors(model: Any, cache_key: str | None = None) -> np.ndarray:
    """The background bank embedded by ``model`` (kept on disk per model under the model cache,
    so a cold start does not spend ~0.4 s re-embedding it)."""
    from assistant.model import cache_root

    texts = _background_texts()
    if cache_key:
        digest = hashlib.sha256(("\n".join(texts) + cache_key).encode()).hexdigest()[:16]
        path = cache_root() / f"background-{digest}.npy"
        try:
            vectors = np.load(path)
            if vectors.shape[0] == len(texts):
                return vectors
        except (OSError, ValueError):
            pass
        vectors = _embed_background(model)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp.npy")
            np.save(tmp, vectors)
            tmp.replace(path)
        except OSError as exc:
            log.debug("cannot cache background vectors: %s", exc)
        return vectors
    return _embed_background(model)


def is_confident(
    best_score: float, query: np.ndarray, background: np.ndarray, coverage: float
) -> tuple[bool, float]:
    """Apply the rule in the module docstring; returns (confident, margin)."""
    if background.size == 0:
        return best_score >= 0.8, best_score - 0.8
    scores = np.sort(background @ query)[::-1][:BACKGROUND_TOP]
    margin = float(best_score - scores.mean() + LEXICAL_BONUS * coverage)
    return margin >= MIN_MARGIN, margin
