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

The margin an *unrelated* question gets grows with the corpus: among more and broader passages
one is more likely to come close by chance. So each index measures its own null margin at build
time (``null_margins``: the median margin of the background texts asked as questions, each left
out of the bank it is compared with) and the threshold moves up by how far that lies above the
seed's, on which MIN_MARGIN was tuned. Measured: the seed's null median is -0.034, the archive
dev set's (seed + 20 statements) -0.002; there the threshold becomes +0.028, which rejected 7 of
10 off-topic questions (was 2) while every answerable one stayed confident (lowest +0.044).

A corpus raises unrelated questions most in its own languages (a question is closest to text in
its own language), so the null margin is also kept per language of the background text asked,
and a question's threshold moves by its own language's shift (``REFERENCE_NULL_MARGINS``).
Measured on the archive (a third English): English shifted +0.056, Korean +0.035, Japanese
+0.012, against +0.020 for all together. With the per-language shift, off-topic questions
rejected on the blind set 0.46 -> 0.62 (English 0/5 -> 2/5) and of 8 everyday English questions
written afterwards 2 -> 6; answerable questions confident on the dev set stayed at 1.0, on the
later sets 1.0 -> 0.97 (two Korean questions at the margin, one of them answered wrongly).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping
from importlib import resources

import numpy as np

from assistant.encoding.encoder import Encoder

log = logging.getLogger(__name__)

BACKGROUND_TOP = 3
MIN_MARGIN = -0.004
"""Measured on dev + extra questions (ja/en/ko, 66 on-topic and 22 off-topic): on-topic
margins + bonus >= +0.002, off-topic <= -0.006; the threshold sits in that gap. With it,
100% of off-topic questions were rejected and 100% of on-topic ones stayed confident."""

REFERENCE_NULL_MARGIN = -0.0336
"""The seed index's null margin (see the module docstring), measured when MIN_MARGIN was tuned."""

REFERENCE_NULL_MARGINS = {"en": -0.0512, "ja": -0.0242, "ko": -0.0575}
"""The seed index's null margin per question language: the bank's texts in that language asked
as questions (see ``null_margins``). The threshold moves by the question's own language's
shift: measured on the archive dev set (seed + 20 statements, a third of them English), an
unrelated English question's margin rose by 0.056 over the seed's, a Japanese one's by 0.012
and a Korean one's by 0.035, where the single shift of all of them (0.020) let every one of 5
English off-topic questions of the blind set through (Wimbledon, jet lag, steel tariffs ...)."""

LEXICAL_BONUS = 0.02
"""Weight of lexical coverage (0..1) in the margin; 0.02-0.03 gave the same separation."""


def _background_texts() -> list[str]:
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
    return document_vectors(encoder, _background_texts(), cache_key)


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


def null_margins(
    encoder: Encoder,
    passage_vectors: np.ndarray,
    sentence_vectors: np.ndarray,
    cache_key: str | None = None,
    passage_penalty: np.ndarray | None = None,
    sentence_penalty: np.ndarray | None = None,
) -> dict[str, float]:
    """The median margin of the background texts asked as questions of this corpus (each
    compared with the bank less itself): what an unrelated question scores here, over all of
    them (``"all"``) and per language of the text asked (``"en"``, ``"ja"``, ``"ko"``). A
    corpus raises unrelated questions most in its own languages. The penalties (hubness, see
    assistant.hubness) come off the cosines as they do in search."""
    from assistant.ingest.metadata import detect_language

    texts = _background_texts()
    if not len(passage_vectors) or len(texts) < 2:
        return {"all": REFERENCE_NULL_MARGIN, **REFERENCE_NULL_MARGINS}
    questions = document_vectors(encoder, texts, cache_key, as_queries=True)
    background = background_vectors(encoder, cache_key)
    cosines = questions @ np.asarray(passage_vectors, dtype=np.float32).T
    if passage_penalty is not None:
        cosines -= passage_penalty
    best = cosines.max(axis=1)
    if len(sentence_vectors):
        for start in range(0, len(sentence_vectors), 65536):  # bounded memory at any size
            block = np.asarray(sentence_vectors[start : start + 65536], dtype=np.float32)
            cosines = questions @ block.T
            if sentence_penalty is not None:
                cosines -= sentence_penalty[start : start + 65536]
            best = np.maximum(best, cosines.max(axis=1))
    against_bank = questions @ background.T
    np.fill_diagonal(against_bank, -np.inf)
    top = -np.sort(-against_bank, axis=1)[:, :BACKGROUND_TOP]
    margins = best - top.mean(axis=1)
    languages = np.array([detect_language(text) for text in texts])
    medians = {"all": float(np.median(margins))}
    for language in REFERENCE_NULL_MARGINS:
        if (languages == language).any():
            medians[language] = float(np.median(margins[languages == language]))
    return medians


def margin_threshold(
    corpus_nulls: Mapping[str, float] | None = None, language: str | None = None
) -> float:
    """The margin a question must reach here: MIN_MARGIN, raised by how far this corpus's null
    margin (``null_margins``) lies above the seed's, for the question's language when both are
    known, else overall (``"all"``: indexes built before per-language nulls carry only that).

    >>> round(margin_threshold({"all": -0.0134, "en": 0.0051, "ja": -0.0120}, "en"), 4)
    0.0523
    >>> round(margin_threshold({"all": -0.0134, "en": 0.0051}, "zh"), 4)
    0.0162
    """
    nulls = corpus_nulls or {}
    if language in nulls and language in REFERENCE_NULL_MARGINS:
        shift = nulls[language] - REFERENCE_NULL_MARGINS[language]
    else:
        shift = nulls.get("all", REFERENCE_NULL_MARGIN) - REFERENCE_NULL_MARGIN
    return MIN_MARGIN + max(0.0, shift)


def is_confident(
    best_score: float,
    query: np.ndarray,
    background: np.ndarray,
    coverage: float,
    corpus_nulls: Mapping[str, float] | None = None,
    language: str | None = None,
) -> tuple[bool, float]:
    """Apply the rule in the module docstring; returns (confident, margin)."""
    if background.size == 0:
        return best_score >= 0.8, best_score - 0.8
    scores = np.sort(background @ query)[::-1][:BACKGROUND_TOP]
    margin = float(best_score - scores.mean() + LEXICAL_BONUS * coverage)
    return margin >= margin_threshold(corpus_nulls, language), margin
