"""The answerability rule on synthetic vectors with a stand-in encoder: no model needed.

The stand-in is a fake by design (these tests check the arithmetic of the rule, which the
real-model tests in test_archive.py and test_quality.py check end to end)."""

from __future__ import annotations

import hashlib

import numpy as np

from assistant.answer import confidence
from assistant.encoding.encoder import Encoder, ModelInfo

DIMENSION = 64


class HashingEncoder:
    """Deterministic unit vectors from character trigrams: similar texts, similar vectors."""

    dimension = DIMENSION
    info = ModelInfo("trigram-hashing", DIMENSION, "none")

    def _vector(self, text: str) -> np.ndarray:
        vector = np.zeros(DIMENSION, dtype=np.float32)
        for i in range(max(1, len(text) - 2)):
            digest = hashlib.blake2b(text[i : i + 3].encode(), digest_size=4).digest()
            vector[int.from_bytes(digest, "little") % DIMENSION] += 1.0
        return vector / (np.linalg.norm(vector) or 1.0)

    def encode_queries(self, texts):
        return np.stack([self._vector(t) for t in texts]) if texts else np.zeros((0, DIMENSION))

    def encode_documents(self, texts, batch_size=32):
        return self.encode_queries(texts)


def test_stand_in_is_an_encoder():
    assert isinstance(HashingEncoder(), Encoder)


def test_threshold_rises_with_the_corpus_null_margin():
    query = np.eye(4, dtype=np.float32)[0]
    background = np.array([[0.5, 0.5, 0.5, 0.5], [0.0, 1.0, 0.0, 0.0]], dtype=np.float32)
    best = 0.3  # margin = 0.3 - mean(0.5, 0.0) = +0.05 (top 3 of 2 is both)
    confident, margin = confidence.is_confident(best, query, background, coverage=0.0)
    assert confident and abs(margin - 0.05) < 1e-6
    raised = confidence.REFERENCE_NULL_MARGIN + 0.06  # threshold now MIN_MARGIN + 0.06 > 0.05
    assert not confidence.is_confident(best, query, background, 0.0, {"all": raised})[0]
    lowered = confidence.REFERENCE_NULL_MARGIN - 0.5  # never below MIN_MARGIN
    assert confidence.is_confident(best, query, background, 0.0, {"all": lowered})[0]


def test_the_threshold_follows_the_questions_own_language_when_the_index_knows_it():
    reference = confidence.REFERENCE_NULL_MARGINS
    nulls = {"all": -0.01, "en": reference["en"] + 0.05, "ja": reference["ja"] + 0.01}
    base = confidence.MIN_MARGIN
    assert abs(confidence.margin_threshold(nulls, "en") - (base + 0.05)) < 1e-9
    assert abs(confidence.margin_threshold(nulls, "ja") - (base + 0.01)) < 1e-9
    # a language the index has no null for, or an index built before per-language nulls
    overall = base + (-0.01 - confidence.REFERENCE_NULL_MARGIN)
    assert abs(confidence.margin_threshold(nulls, "ko") - overall) < 1e-9
    assert abs(confidence.margin_threshold({"all": -0.01}, "en") - overall) < 1e-9
    # never below MIN_MARGIN
    low = {"all": -0.5, "en": reference["en"] - 0.3}
    assert confidence.margin_threshold(low, "en") == base


def test_null_margins_are_kept_per_language_of_the_question():
    encoder = HashingEncoder()
    everyday = encoder.encode_documents(confidence._background_texts()[::2])
    empty = np.zeros((0, DIMENSION), dtype=np.float32)
    nulls = confidence.null_margins(encoder, everyday, empty)
    assert set(nulls) == {"all", "en", "ja", "ko"}
    assert min(nulls[lang] for lang in ("en", "ja", "ko")) <= nulls["all"]
    assert nulls["all"] <= max(nulls[lang] for lang in ("en", "ja", "ko"))


def test_lexical_coverage_adds_to_the_margin():
    query = np.eye(2, dtype=np.float32)[0]
    background = np.eye(2, dtype=np.float32)[[0]]
    _, plain = confidence.is_confident(0.9, query, background, coverage=0.0)
    _, covered = confidence.is_confident(0.9, query, background, coverage=1.0)
    assert abs(covered - plain - confidence.LEXICAL_BONUS) < 1e-6


def test_a_corpus_made_of_everyday_text_has_a_higher_null_margin():
    """Unrelated questions come closer to a corpus of everyday sentences than to one of
    unrelated symbols: the null margin measures exactly that."""
    encoder = HashingEncoder()
    everyday = encoder.encode_documents(confidence._background_texts()[::2])
    symbols = encoder.encode_documents([f"§{i}§¤{i * 7}¤" for i in range(20)])
    empty = np.zeros((0, DIMENSION), dtype=np.float32)
    near = confidence.null_margins(encoder, everyday, empty)["all"]
    far = confidence.null_margins(encoder, symbols, empty)["all"]
    assert near > far
    # sentence vectors count too: adding the everyday ones as sentences lifts the far corpus
    assert confidence.null_margins(encoder, symbols, everyday)["all"] > far
