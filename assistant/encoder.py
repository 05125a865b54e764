"""The one interface every embedding runtime offers the rest of the assistant.

Search, confidence, indexing and benchmarks call ``encode_queries`` / ``encode_documents`` and
get normalised float32 rows; which runtime computes them (onnxruntime for the built-in model,
sentence-transformers on torch for any other) is decided once, in ``assistant.model``.

>>> from assistant.model import load_model
>>> model, info = load_model()
>>> encoder = as_encoder(model)
>>> encoder.encode_queries(["暗号資産の窃取"]).shape
(1, 384)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np

BATCH_SIZE = 32
"""Most texts per encoder run (the ONNX runtime also caps a run at TOKEN_BUDGET tokens)."""


@runtime_checkable
class Encoder(Protocol):
    """Normalised embeddings for questions and for passages (e5 reads them with different
    prompts, so the two are separate calls)."""

    @property
    def dimension(self) -> int: ...

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray: ...

    def encode_documents(
        self, texts: Sequence[str], batch_size: int = BATCH_SIZE
    ) -> np.ndarray: ...


class ModelEncoder:
    """An ``Encoder`` over a runtime with sentence-transformers' calls (``SentenceTransformer``
    itself, or ``OnnxEncoder``, which offers the same ``encode_query``/``encode_document``)."""

    def __init__(self, model: Any):
        self.model = model

    @property
    def dimension(self) -> int:
        return int(self.model.get_embedding_dimension())

    def _encode(self, method: str, texts: Sequence[str], batch_size: int) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = getattr(self.model, method)(
            list(texts),
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode("encode_query", texts, BATCH_SIZE)

    def encode_documents(self, texts: Sequence[str], batch_size: int = BATCH_SIZE) -> np.ndarray:
        return self._encode("encode_document", texts, batch_size)


def as_encoder(model: Any) -> Encoder:
    """``model`` itself when it already is an Encoder, else wrapped in a ModelEncoder."""
    if isinstance(model, Encoder):
        return model
    return ModelEncoder(model)
