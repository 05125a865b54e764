"""Retrieval: dense passage and sentence scores fused with lexical BM25; highlight; confidence.

Scoring a passage p for a question q (cosines are of normalised e5 vectors):

    dense(p)   = max(cos(q, p), max over sentences s of p of cos(q, s))
    lexical(p) = BM25(q, p) / max over passages of BM25(q, .)          (0..1)
    hybrid(p)  = dense(p) + LEXICAL_WEIGHT * coverage(q)**2 * lexical(p)

The sentence term lets a long paragraph that covers several topics rank for a question about
any one of them. ``coverage`` is the share of the question's tokens that occur in the corpus at
all: a Japanese question about a Japanese corpus gets the lexical arm's full weight, while an
English or Korean one (whose words the corpus does not contain) is left to the dense arm, which
understands across languages. Plain rank fusion had dragged English and Korean questions down
(DESIGN.md: RRF en 0.57, ko 0.17 hit@1 vs dense 0.93 / 0.83).

The highlight is the passage's sentence with the best sentence score, scored the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from assistant.confidence import background_vectors, is_confident
from assistant.store import StoredIndex

LEXICAL_WEIGHT = 0.05
"""Measured with eval/tune_fusion.py on dev + extra questions (88 questions, ja/en/ko): with
coverage squared, 0.05 was the only setting with hit@1 = 1.0 in every language; 0.03-0.2 and
plain coverage all reached 0.985 (one Japanese miss each). Squaring keeps a question that shares
only a few words with the corpus (外相会合はどこで…: coverage 0.36) from being pulled to the
paragraph that happens to share them."""

CANDIDATES = 100
"""Passages the dense index proposes when the corpus is larger than this; the lexical arm adds
its own best ones, and only this union is scored in full."""


@dataclass
class Hit:
    passage: dict[str, Any]
    score: float
    highlight: str


class Retriever:
    """Scores the passages of one stored index for a question."""

    def __init__(self, stored: StoredIndex, model: Any, model_key: str | None = None):
        self.stored = stored
        self.model = model
        passages = stored.passages
        self.sentence_start = np.zeros(len(passages) + 1, dtype=np.int64)
        np.cumsum([len(p["sentences"]) for p in passages], out=self.sentence_start[1:])
        self.lexical = stored.lexical
        self.sentence_lexical = stored.sentence_lexical
        self.background = background_vectors(model, model_key)
        import faiss

        # One question is one small search: measured at 100k passages, an exact scan took
        # 11-14 ms on one thread and 43 ms on two while the encoder held the other core.
        faiss.omp_set_num_threads(1)

    def encode_query(self, question: str) -> np.ndarray:
        vector = self.model.encode_query(
            [question], normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
        )
        return np.asarray(vector, dtype=np.float32)

    def candidates(self, query: np.ndarray, lexical_scores: np.ndarray) -> np.ndarray:
        """Passage ids worth scoring in full: all of a small corpus, else the union of the
        dense index's and the lexical arm's best CANDIDATES."""
        n = len(self.stored.passages)
        if n <= CANDIDATES:
            return np.arange(n)
        _, ids = self.stored.faiss_index.search(query, CANDIDATES)
        dense_ids = ids[0][ids[0] >= 0]
        lexical_ids = np.argpartition(-lexical_scores, CANDIDATES)[:CANDIDATES]
        lexical_ids = lexical_ids[lexical_scores[lexical_ids] > 0]
        return np.unique(np.concatenate([dense_ids, lexical_ids]))

    def dense_scores(
        self, query: np.ndarray, candidates: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """For each candidate passage: its cosine to the question and its best sentence's;
        and the cosine of every candidate sentence (in candidate order)."""
        if candidates is None:
            candidates = np.arange(len(self.stored.passages))
        vector = query[0]
        passage = np.asarray(self.stored.passage_vectors[candidates], dtype=np.float32) @ vector
        rows, counts = self.sentence_rows(candidates)
        sentence = np.asarray(self.stored.sentence_vectors[rows], dtype=np.float32) @ vector
        best_sentence = np.full(len(candidates), -1.0, dtype=np.float32)
        np.maximum.at(best_sentence, np.repeat(np.arange(len(candidates)), counts), sentence)
        return passage, best_sentence, sentence

    def sentence_rows(self, candidates: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Rows of the candidates' sentences (in candidate order) and how many each has."""
        starts = self.sentence_start[candidates]
        counts = self.sentence_start[candidates + 1] - starts
        rows = np.repeat(starts - np.cumsum(counts) + counts, counts) + np.arange(counts.sum())
        return rows, counts

    @staticmethod
    def _normalised(scores: np.ndarray) -> np.ndarray:
        top = float(scores.max()) if scores.size else 0.0
        return scores / top if top > 0 else np.zeros_like(scores)

    def retrieve(self, question: str, k: int, mode: str = "hybrid") -> tuple[list[Hit], bool]:
        """The k best passages for ``question`` and whether the corpus answers it."""
        if not self.stored.passages:
            return [], False
        query = self.encode_query(question)
        tokens = self.lexical.query_tokens(question)
        coverage = self.lexical.coverage(tokens)
        all_lexical = self.lexical.scores(tokens)
        candidates = self.candidates(query, all_lexical)
        passage, best_sentence, sentence_scores = self.dense_scores(query, candidates)
        dense = np.maximum(passage, best_sentence)
        lexical = self._normalised(all_lexical[candidates])
        rows, counts = self.sentence_rows(candidates)
        sentence_lexical = self._normalised(self.sentence_lexical.scores(tokens)[rows])
        if mode == "dense":
            weight, ranking = 0.0, dense
        elif mode == "lexical":
            weight, ranking = 1.0, lexical
        else:
            weight = LEXICAL_WEIGHT * coverage**2
            ranking = dense + weight * lexical
        sentence_ranking = sentence_scores + weight * sentence_lexical
        offsets = np.concatenate([[0], np.cumsum(counts)])
        hits = []
        for position in np.argsort(-ranking, kind="stable")[:k]:
            p = self.stored.passages[int(candidates[position])]
            first, last = offsets[position], offsets[position + 1]
            if last > first:
                s0, s1 = p["sentences"][int(np.argmax(sentence_ranking[first:last]))]
                highlight = p["text"][s0:s1]
            else:
                highlight = p["text"]
            hits.append(Hit(p, float(ranking[position]), highlight))
        confident, _ = is_confident(float(dense.max()), query[0], self.background, coverage)
        return hits, confident
