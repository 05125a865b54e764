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
from assistant.indexer import passage_embedding_text, sentence_texts
from assistant.lexical import LexicalIndex
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
        owners = [i for i, p in enumerate(passages) for _ in p["sentences"]]
        self.sentence_owner = np.asarray(owners, dtype=np.int64)
        self.sentence_start = np.zeros(len(passages) + 1, dtype=np.int64)
        np.cumsum([len(p["sentences"]) for p in passages], out=self.sentence_start[1:])
        self.lexical = LexicalIndex([passage_embedding_text(p) for p in passages])
        self.sentence_lexical = LexicalIndex([t for p in passages for t in sentence_texts(p)])
        self.background = background_vectors(model, model_key)

    def encode_query(self, question: str) -> np.ndarray:
        vector = self.model.encode_query(
            [question], normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
        )
        return np.asarray(vector, dtype=np.float32)

    def dense_scores(self, query: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Cosine of the question to every passage (-1 where not a candidate), to each
        passage's best sentence, and to every sentence."""
        n = len(self.stored.passages)
        passage = np.full(n, -1.0, dtype=np.float32)
        scores, ids = self.stored.faiss_index.search(query, min(n, CANDIDATES))
        found = ids[0] >= 0
        passage[ids[0][found]] = scores[0][found]
        sentence_scores = self.stored.sentence_vectors @ query[0]
        best_sentence = np.full(n, -1.0, dtype=np.float32)
        np.maximum.at(best_sentence, self.sentence_owner, sentence_scores)
        return passage, best_sentence, sentence_scores

    @staticmethod
    def _normalised(scores: np.ndarray) -> np.ndarray:
        top = float(scores.max()) if scores.size else 0.0
        return scores / top if top > 0 else np.zeros_like(scores)

    def retrieve(self, question: str, k: int, mode: str = "hybrid") -> tuple[list[Hit], bool]:
        """The k best passages for ``question`` and whether the corpus answers it."""
        if not self.stored.passages:
            return [], False
        query = self.encode_query(question)
        passage, best_sentence, sentence_scores = self.dense_scores(query)
        dense = np.maximum(passage, best_sentence)
        tokens = self.lexical.query_tokens(question)
        coverage = self.lexical.coverage(tokens)
        lexical = self._normalised(self.lexical.scores(tokens))
        sentence_lexical = self._normalised(self.sentence_lexical.scores(tokens))
        if mode == "dense":
            weight, ranking = 0.0, dense
        elif mode == "lexical":
            weight, ranking = 1.0, lexical
        else:
            weight = LEXICAL_WEIGHT * coverage**2
            ranking = dense + weight * lexical
        sentence_ranking = sentence_scores + weight * sentence_lexical
        order = np.argsort(-ranking, kind="stable")[:k]
        hits = []
        for i in order:
            p = self.stored.passages[i]
            start, end = self.sentence_start[i], self.sentence_start[i + 1]
            if end > start:
                s0, s1 = p["sentences"][int(np.argmax(sentence_ranking[start:end]))]
                highlight = p["text"][s0:s1]
            else:
                highlight = p["text"]
            hits.append(Hit(p, float(ranking[i]), highlight))
        confident, _ = is_confident(float(dense.max()), query[0], self.background, coverage)
        return hits, confident
