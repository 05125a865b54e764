"""The fixed text banks every model embeds: a background bank of unrelated everyday texts
(weather, cooking, sport, other politics ... in ja/en/ko) and a parallel bank (the same 87
sentences in Japanese, English and Korean).

They are what makes scores comparable across models and languages: the language offsets of the
score come from the parallel bank, and the confidence threshold and the cosine spread term
weights are counted in are measured on both (``indexing.calibration``). Their vectors are kept
on disk per model, so a cold start does not re-embed them.
"""

from __future__ import annotations

import hashlib
import json
import logging
from importlib import resources

import numpy as np

from assistant.encoding.encoder import Encoder

log = logging.getLogger(__name__)


def background_texts() -> list[str]:
    path = resources.files("assistant") / "data" / "background.json"
    return list(json.loads(path.read_text(encoding="utf-8"))["passages"])


def document_vectors(
    encoder: Encoder, texts: list[str], cache_key: str | None = None, as_queries: bool = False
) -> np.ndarray:
    """``texts`` embedded as passages (or as questions) by ``encoder``, kept on disk per model
    under the model cache (a fixed bank would otherwise cost a cold start ~0.4 s every time)."""
    from assistant.encoding.models import cache_root

    encode = encoder.encode_queries if as_queries else encoder.encode_documents
    if not cache_key:
        return encode(texts)
    kind = "query" if as_queries else "bank"
    digest = hashlib.sha256(("\n".join(texts) + cache_key).encode()).hexdigest()[:16]
    path = cache_root() / f"{kind}-{digest}.npy"
    try:
        vectors = np.load(path)
        if vectors.shape[0] == len(texts):
            return vectors
    except (OSError, ValueError):
        pass
    vectors = encode(texts)
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
    return document_vectors(encoder, background_texts(), cache_key)


def parallel_bank_texts() -> dict[str, list[str]]:
    """The parallel bank (``parallel_bank.json``) per language: {lang: texts}, row-aligned (the
    i-th text of every language is the same sentence)."""
    path = resources.files("assistant") / "data" / "parallel_bank.json"
    bank = json.loads(path.read_text(encoding="utf-8"))
    return {lang: [row[i] for row in bank["rows"]] for i, lang in enumerate(bank["languages"])}


def parallel_bank_vectors(encoder: Encoder, cache_key: str | None = None) -> dict[str, np.ndarray]:
    """The parallel bank embedded per language: {lang: vectors}, row-aligned."""
    bank = parallel_bank_texts()
    vectors = document_vectors(encoder, [t for texts in bank.values() for t in texts], cache_key)
    size = len(next(iter(bank.values())))
    return {lang: vectors[i * size : (i + 1) * size] for i, lang in enumerate(bank)}
