"""The answerability rule and the build-time calibration on synthetic vectors with a stand-in
encoder: no model needed.

The stand-in is a fake by design (these tests check the arithmetic of the rule, which the
real-model tests in test_archive.py and test_quality.py check end to end)."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from assistant.answer import confidence
from assistant.encoding.banks import background_texts
from assistant.encoding.encoder import Encoder, ModelInfo
from assistant.indexing.calibration import Calibration, measure_null_margins, measure_spread

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


def test_the_margin_is_taken_against_the_best_background_texts():
    background = np.eye(4, dtype=np.float32)
    query = np.array([0.8, 0.6, 0.0, 0.0], dtype=np.float32)
    assert confidence.margin(0.9, query, background) == pytest.approx(0.9 - (0.8 + 0.6 + 0.0) / 3)
    assert confidence.margin(0.9, query, np.zeros((0, 4))) == 0.9


def test_the_threshold_is_a_quantile_of_what_unrelated_questions_score_in_the_language():
    c = Calibration(spread=0.03, null_margins={"en": [-0.05, 0.0, 0.01, 0.02], "ja": [0.1, 0.2]})
    assert c.threshold("en", 0.5) == pytest.approx(0.005)
    assert c.threshold("ja", 0.5) == pytest.approx(0.15)
    # a language the index has no unrelated questions in: all of them
    assert c.threshold("ko", 0.5) == pytest.approx(
        np.quantile([-0.05, 0.0, 0.01, 0.02, 0.1, 0.2], 0.5)
    )
    assert c.confident(0.011, "en", 0.5) and not c.confident(0.011, "en", 0.9)
    assert Calibration(spread=0.03, null_margins={}).threshold("en", 0.5) == 0.0


def test_null_margins_are_measured_per_language_of_the_unrelated_question():
    encoder = HashingEncoder()
    everyday = encoder.encode_documents(background_texts()[::2])
    empty = np.zeros((0, DIMENSION), dtype=np.float32)
    nulls = measure_null_margins(encoder, everyday, empty)
    assert set(nulls) == {"ja", "en", "ko"}
    assert all(values == sorted(values) for values in nulls.values())


def test_a_corpus_of_everyday_text_raises_what_unrelated_questions_score():
    """The threshold moves with the corpus: unrelated questions come closer to everyday text
    than to a corpus of symbols, so the confidence bar rises with it."""
    encoder = HashingEncoder()
    everyday = encoder.encode_documents(background_texts()[::2])
    symbols = encoder.encode_documents(["§§§ ¶¶¶ ###", "@@@ %%% &&&", "||| ~~~ ^^^"])
    empty = np.zeros((0, DIMENSION), dtype=np.float32)
    near = measure_null_margins(encoder, everyday, empty)
    far = measure_null_margins(encoder, symbols, empty)
    assert np.median(near["en"]) > np.median(far["en"])
    # sentences count as well as passages
    assert np.median(measure_null_margins(encoder, symbols, everyday)["en"]) > np.median(far["en"])


def test_the_spread_is_the_models_own_scale():
    """A model whose cosines spread wider gets a larger spread, so term weights (counted in it)
    keep their effect on its scale."""
    spread = measure_spread(HashingEncoder())
    assert 0 < spread < 1
