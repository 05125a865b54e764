"""The one interface every embedding runtime offers the rest of the assistant.

Search, confidence, indexing and benchmarks call ``encode_queries`` / ``encode_documents`` and
get normalised float32 rows; which runtime computes them (onnxruntime for the built-in model,
sentence-transformers on torch for any other) is decided once, in ``assistant.model``, whose
``load_model`` returns a ``ModelEncoder`` around it. ``info`` says which model it is: what an
index manifest records and compares.

>>> from assistant.encoding.models import load_model
>>> encoder, info = load_model()
>>> encoder.encode_queries(["暗号資産の窃取"]).shape
(1, 384)
>>> encoder.info is info
True
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, TypeAlias, runtime_checkable

import numpy as np

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

    from assistant.encoding.onnx_runtime import OnnxEncoder

    EncoderRuntime: TypeAlias = SentenceTransformer | OnnxEncoder
    """What computes the vectors: both offer sentence-transformers' ``encode_query`` /
    ``encode_document`` calls."""

BATCH_SIZE = 32
"""Most texts per encoder run (the ONNX runtime also caps a run at TOKEN_BUDGET tokens)."""


@dataclass(frozen=True)
class ModelInfo:
    """Identity of an embedding model, recorded in every index manifest."""

    name: str
    dimension: int
    probe_checksum: str

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "dimension": self.dimension,
            "probe_checksum": self.probe_checksum,
        }

    @property
    def key(self) -> str:
        """A short identity for caches of vectors this model computed."""
        return f"{self.name}:{self.probe_checksum}"

    def built(self, recorded: dict, exactly: bool = False) -> bool:
        """Whether an index whose manifest recorded ``recorded`` (its "model" entry) was built
        by this model: same name and dimension, and with ``exactly`` the same probe vectors
        too (a folder model retrained under the same name computes other vectors). The one
        place this comparison is made."""
        same = recorded.get("name") == self.name and recorded.get("dimension") == self.dimension
        return same and (not exactly or recorded.get("probe_checksum") == self.probe_checksum)


@runtime_checkable
class Encoder(Protocol):
    """Normalised embeddings for questions and for passages (e5 reads them with different
    prompts, so the two are separate calls), and the identity of the model computing them."""

    @property
    def info(self) -> ModelInfo: ...

    @property
    def dimension(self) -> int: ...

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray: ...

    def encode_documents(
        self, texts: Sequence[str], batch_size: int = BATCH_SIZE
    ) -> np.ndarray: ...


class ModelEncoder:
    """The ``Encoder`` over a loaded runtime (``SentenceTransformer`` or ``OnnxEncoder``):
    the one place the runtime's options are spelled out. ``runtime`` stays reachable for the
    model's own probe check and for tests that compare runtimes."""

    def __init__(self, runtime: EncoderRuntime, info: ModelInfo):
        self.runtime = runtime
        self._info = info

    @property
    def info(self) -> ModelInfo:
        return self._info

    @property
    def dimension(self) -> int:
        return self._info.dimension

    def _encode(self, method: str, texts: Sequence[str], batch_size: int) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = getattr(self.runtime, method)(
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
