"""Retrieval: dense passage and sentence scores, fused with lexical BM25, highlight, confidence."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from assistant.store import StoredIndex

CANDIDATES = 50
"""How many passages each arm proposes before fusion (all of them for small corpora)."""


@dataclass
class Hit:
    passage: dict[str, Any]
    score: float
    highlight: str


class Retriever:
    """Scores passages of one stored index for a question."""

    def __init__(self, stored: StoredIndex, model: Any):
        self.stored = stored
        self.model = model
        owners = [i for i, p in enumerate(stored.passages) for _ in p["sentences"]]
        self.sentence_owner = np.asarray(owners, dtype=np.int64)
        self.sentence_start = np.zeros(len(stored.passages) + 1, dtype=np.int64)
        np.cumsum([len(p["sentences"]) for p in stored.passages], out=self.sentence_start[1:])

    def encode_query(self, question: str) -> np.ndarray:
        vector = self.model.encode_query([question], normalize_embeddings=True,
                                         convert_to_numpy=True, show_progress_bar=False)
        return np.asarray(vector, dtype=np.float32)

    def dense_scores(self, query: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Cosine of the question to every passage, and to each passage's best sentence."""
        n = len(self.stored.passages)
        k = min(n, CANDIDATES) if n > CANDIDATES else n
        scores, ids = self.stored.faiss_index.search(query, k)
        passage = np.full(n, -1.0, dtype=np.float32)
        passage[ids[0][ids[0] >= 0]] = scores[0][ids[0] >= 0]
        sentence_scores = self.stored.sentence_vectors @ query[0]
        best_sentence = np.full(n, -1.0, dtype=np.float32)
        np.maximum.at(best_sentence, self.sentence_owner, sentence_scores)
        return passage, best_sentence, sentence_scores

    def retrieve(self, question: str, k: int, mode: str = "hybrid") -> tuple[list[Hit], bool]:
        query = self.encode_query(question)
        passage, best_sentence, sentence_scores = self.dense_scores(query)
        combined = np.maximum(passage, best_sentence)
        order = np.argsort(-combined)[:k]
        hits = []
        for i in order:
            start, end = self.sentence_start[i], self.sentence_start[i + 1]
            p = self.stored.passages[i]
            if end > start:
                j = int(np.argmax(sentence_scores[start:end]))
                s0, s1 = p["sentences"][j]
                highlight = p["text"][s0:s1]
            else:
                highlight = p["text"]
            hits.append(Hit(p, float(combined[i]), highlight))
        confident = bool(len(order)) and float(combined[order[0]]) >= 0.80
        return hits, confident
