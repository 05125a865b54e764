"""Helpers for the retrieval study: an HNSW passage index to put in place of the exact one.

Why: ``assistant.search.Retriever.candidates`` asks ``stored.faiss_index`` for the best
CANDIDATES passages, an exact scan of every passage vector; at 100k passages that scan is the
largest dense cost left. HNSW answers the same request from a graph in about a millisecond; the
study measures what that costs in recall and build time.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np


def hnsw_index(
    vectors: np.ndarray, m: int = 32, ef_construction: int = 40, ef_search: int = 128
) -> Any:
    """HNSW over normalised vectors with inner product (= cosine)."""
    import faiss

    index = faiss.IndexHNSWFlat(vectors.shape[1], m, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = ef_construction
    index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    index.hnsw.efSearch = ef_search
    return index


def with_index(stored: Any, faiss_index: Any) -> Any:
    """A copy of a StoredIndex that searches ``faiss_index`` instead of its own."""
    return dataclasses.replace(stored, faiss_index=faiss_index)
