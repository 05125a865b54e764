"""Retrieval: one pipeline from a question to ranked, highlighted passages and whether the
corpus answers it.

    question ─ parse once (Question) ─ encode ─ candidates (dense ∪ lexical) ─ dense cosines
      ─ language offsets ─ evidence terms ─ score ─ rank ─ highlight ─ confidence ─ checks

The score is ``retrieval.scoring.combine``; the terms live in ``retrieval/terms/`` and the
checks in ``answer/checks/``; every weight and threshold in ``assistant.config.Config``. What
depends on the model (the cosine spread the weights are counted in, what unrelated questions
score here) was measured when the index was built (``indexing.calibration``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from assistant.answer import confidence
from assistant.answer.checks import CHECKS
from assistant.answer.checks.protocol import AnswerCheck, Ranked
from assistant.config import Config
from assistant.encoding.encoder import Encoder
from assistant.indexing.calibration import Calibration
from assistant.indexing.store import StoredIndex
from assistant.ingest.documents import file_name
from assistant.retrieval import conversation, scoring
from assistant.retrieval.candidates import Candidates, EvidenceTerm
from assistant.retrieval.conversation import Context
from assistant.retrieval.filters import Filters
from assistant.retrieval.focus import names_only_a_setting
from assistant.retrieval.question import Question
from assistant.retrieval.terms import TERMS

RETRIEVAL_MODES = ("hybrid", "dense", "lexical")


@dataclass
class Hit:
    passage: dict[str, Any]
    score: float
    highlight: str


@dataclass
class Retrieval:
    """What ``Retriever.retrieve`` found: the hits best first, whether the corpus answers the
    question, and why not when a check said so."""

    hits: list[Hit]
    confident: bool
    notice: str | None = None
    followed: bool = False
    """Whether the question was read as a follow-up in the conversation's context."""
    asked_again: str | None = None
    """For a follow-up that names only another meeting: the earlier question it asks again
    there (``retrieval.conversation``)."""


@dataclass
class Scored:
    """Every candidate passage of one question, scored (``Retriever.score``)."""

    candidates: Candidates
    ranking: np.ndarray
    """The score passages are ranked by."""
    closeness: np.ndarray
    """Dense cosine less the language offset: what confidence weighs."""
    evidence: dict[str, np.ndarray]
    """Each evidence term's value, before its weight."""
    sentence: np.ndarray
    """Every candidate sentence's cosine, in candidate order (what picks the highlight)."""
    tokens: list[str]
    vector: np.ndarray


class Retriever:
    """Scores the passages of one stored index for a question."""

    def __init__(self, stored: StoredIndex, encoder: Encoder, config: Config | None = None):
        self.stored = stored
        self.encoder = encoder
        self.config = config or Config()
        passages = stored.passages
        self.sentence_start = np.zeros(len(passages) + 1, dtype=np.int64)
        np.cumsum([len(p["sentences"]) for p in passages], out=self.sentence_start[1:])
        self.calibration = Calibration.of(stored.manifest, encoder)
        self.passage_languages = np.array([p.get("lang") or "und" for p in passages])
        self.passage_dates = np.array([p.get("date") or "" for p in passages])
        self.passage_files = np.array([p["source"] for p in passages])
        self.passage_file_names = np.array([file_name(s) for s in self.passage_files])
        self.passage_documents = np.unique(self.passage_files, return_inverse=True)[1]
        self._terms: dict[str, EvidenceTerm] = {}
        self._checks: dict[str, AnswerCheck] = {}
        import faiss

        # One question is one small search: measured at 100k passages, an exact scan took
        # 11-14 ms on one thread and 43 ms on two while the encoder held the other core.
        faiss.omp_set_num_threads(1)

    # -- the pipeline -------------------------------------------------------------------------

    def retrieve(
        self,
        question: str | Question,
        k: int,
        mode: str = "hybrid",
        filters: Filters | None = None,
        config: Config | None = None,
        context: Context | None = None,
    ) -> Retrieval:
        """The k best passages for ``question`` and whether the corpus answers it; with the
        ``context`` of a conversation (``retrieval.conversation``), as a follow-up."""
        config = config or self.config
        q = question if isinstance(question, Question) else Question.parse(question)
        asked_again = (
            context.ask
            if context and config.carry_weight and names_only_a_setting(q.text)
            else None
        )
        scored = self.score(q, mode, filters, config, asked_again)
        if scored is None:
            return Retrieval([], False)
        candidates, ranking = scored.candidates, scored.ranking
        margin = confidence.margin(
            float(scored.closeness.max()), scored.vector, self.calibration.background
        )
        followed = context is not None and not self.calibration.confident(
            margin, q.language, config.standalone_quantile
        )
        if followed and not asked_again:
            prior = conversation.prior(self.passage_files, candidates.ids, context)
            ranking = ranking + config.context_weight * self.calibration.spread * prior
        order = np.argsort(-ranking, kind="stable")
        hits = self.highlighted(
            candidates, order[:k], ranking, scored.sentence, scored.tokens, config
        )
        confident = self.calibration.confident(margin, q.language, config.confidence_quantile)
        ranked = Ranked(
            ids=[int(candidates.ids[i]) for i in order[: config.check_depth]],
            passages=[candidates.passages[i] for i in order[: config.check_depth]],
        )
        for name in config.checks:
            notice = self.check(name)(q, ranked)
            if notice:
                return Retrieval(hits, False, notice, followed, asked_again)
        followed = followed or bool(asked_again)
        return Retrieval(hits, confident, followed=followed, asked_again=asked_again)

    def score(
        self,
        q: Question,
        mode: str,
        filters: Filters | None,
        config: Config,
        asked_again: str | None = None,
    ) -> Scored | None:
        """Every candidate passage scored for ``q`` (None when no passage is allowed): what
        ``retrieve`` ranks, and what a timeline weighs statement by statement. With
        ``asked_again`` (an earlier question, for a follow-up that names only a meeting) that is
        what is asked and ``q`` the setting that picks the statement."""
        allowed = self.allowed(filters or Filters())
        if not self.stored.passages or (allowed is not None and not allowed.size):
            return None
        focus = asked_again or (q.focus if config.focus_weight else None)
        query = self.encode(q.text, focus)
        share = config.carry_weight if asked_again else config.focus_weight
        weights = scoring.query_weights(len(query), share)
        vector = (weights @ query).astype(np.float32)
        tokens = self.stored.lexical.query_tokens(asked_again or q.text)
        coverage = self.stored.lexical.coverage(tokens)
        lexical = self.stored.lexical.scores(tokens)
        ids = self.candidate_ids(vector, lexical, allowed, config.candidates)
        candidates = Candidates(
            ids=ids,
            passages=[self.stored.passages[int(i)] for i in ids],
            languages=self.passage_languages[ids],
            documents=self.passage_documents[ids],
            lexical=scoring.normalised(lexical)[ids],
            coverage=coverage,
        )
        passage, best_sentence, sentence = self.dense_scores(query, ids, weights)
        dense = np.maximum(passage, best_sentence) if config.sentence_match else passage
        language = (
            scoring.language_offsets(vector, self.calibration.language_bank, candidates.languages)
            if config.language_calibration
            else np.zeros(len(ids), dtype=np.float32)
        )
        evidence = {name: self.term(name)(q, candidates) for name in config.weights}
        if mode == "dense":
            ranking = dense - language
        elif mode == "lexical":
            ranking = candidates.lexical
        else:
            ranking = scoring.combine(
                dense, language, evidence, config.weights, self.calibration.spread
            )
        return Scored(candidates, ranking, dense - language, evidence, sentence, tokens, vector)

    # -- the steps ----------------------------------------------------------------------------

    def encode(self, question: str, focus: str | None = None) -> np.ndarray:
        """The question's vector as one row; with ``focus`` (what it asks, its setting clause
        taken off) a second row, both encoded in one run."""
        return self.encoder.encode_queries([question, focus] if focus else [question])

    encode_query = encode
    """What benchmarks and the ANN recall check time."""

    def candidate_ids(
        self, vector: np.ndarray, lexical: np.ndarray, allowed: np.ndarray | None, size: int
    ) -> np.ndarray:
        """Passage ids worth scoring in full: those a filter admits, all of a small corpus, else
        the union of the dense index's and the lexical arm's best ``size``."""
        if allowed is not None:
            return allowed
        n = len(self.stored.passages)
        if n <= size:
            return np.arange(n)
        _, found = self.stored.faiss_index.search(vector[None, :], size)
        dense_ids = found[0][found[0] >= 0]
        lexical_ids = np.argpartition(-lexical, size)[:size]
        lexical_ids = lexical_ids[lexical[lexical_ids] > 0]
        return np.unique(np.concatenate([dense_ids, lexical_ids]))

    def dense_scores(
        self, query: np.ndarray, ids: np.ndarray, weights: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """For each candidate: its cosine to the question and its best sentence's; and the
        cosine of every candidate sentence, in candidate order (what picks the highlight). With
        a focus row (see ``encode``) each is the ``weights`` mix of the whole question's and the
        focus's, and the whole question's passage and best-sentence cosines count at their
        document's best: the setting picks the document, what is asked the paragraph."""
        weights = np.ones(1, dtype=np.float32) if weights is None else weights
        passage_rows = np.asarray(self.stored.passage_vectors[ids], dtype=np.float32)
        rows, counts = self.sentence_rows(ids)
        sentence_rows = np.asarray(self.stored.sentence_vectors[rows], dtype=np.float32)
        owner = np.repeat(np.arange(len(ids)), counts)
        documents = self.passage_documents[ids]
        passage = np.zeros(len(ids), dtype=np.float32)
        best_sentence = np.zeros(len(ids), dtype=np.float32)
        sentence = np.zeros(len(rows), dtype=np.float32)
        for row, (weight, vector) in enumerate(zip(weights, query, strict=True)):
            cosines = sentence_rows @ vector
            best = np.full(len(ids), -1.0, dtype=np.float32)
            np.maximum.at(best, owner, cosines)
            closeness = passage_rows @ vector
            if row == 0 and len(query) > 1:
                closeness = scoring.document_best(closeness, documents)
                best = scoring.document_best(best, documents)
            passage += weight * closeness
            best_sentence += weight * best
            sentence += weight * cosines
        return passage, best_sentence, sentence

    def highlighted(
        self,
        candidates: Candidates,
        top: np.ndarray,
        ranking: np.ndarray,
        sentence: np.ndarray,
        tokens: list[str],
        config: Config,
    ) -> list[Hit]:
        """The hits for the ``top`` candidate positions, each with its answering sentence:
        the closest by cosine, nudged by BM25 as the lexical term nudges the passage."""
        rows, counts = self.sentence_rows(candidates.ids)
        offsets = np.concatenate([[0], np.cumsum(counts)])
        weight = config.weights.get("lexical", 0.0) * self.calibration.spread
        if weight and len(rows):
            lexical = scoring.normalised(self.stored.sentence_lexical.scores(tokens)[rows])
            sentence = sentence + weight * candidates.coverage**2 * lexical
        hits = []
        for position in top:
            p = candidates.passages[position]
            first, last = offsets[position], offsets[position + 1]
            if last > first:
                s0, s1 = p["sentences"][int(np.argmax(sentence[first:last]))]
                highlight = p["text"][s0:s1]
            else:
                highlight = p["text"]
            hits.append(Hit(p, float(ranking[position]), highlight))
        return hits

    # -- what the steps read ------------------------------------------------------------------

    def term(self, name: str) -> EvidenceTerm:
        """The evidence term ``name`` for this index (built on first use)."""
        if name not in self._terms:
            self._terms[name] = TERMS[name](self)
        return self._terms[name]

    def check(self, name: str) -> AnswerCheck:
        """The answer check ``name`` for this index (built on first use)."""
        if name not in self._checks:
            self._checks[name] = CHECKS[name](self)
        return self._checks[name]

    def prepare(self) -> None:
        """Build now what a first question would wait for: every term's and check's document
        lookups (at 100k passages about 6 s; at the archive's 86, 10 ms)."""
        for name in self.config.weights:
            getattr(self.term(name), "prepare", lambda: None)()
        for name in self.config.checks:
            getattr(self.check(name), "prepare", lambda: None)()

    def sentence_rows(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Rows of the passages' sentences (in the order of ``ids``) and how many each has."""
        starts = self.sentence_start[ids]
        counts = self.sentence_start[ids + 1] - starts
        rows = np.repeat(starts - np.cumsum(counts) + counts, counts) + np.arange(counts.sum())
        return rows, counts

    def document_texts(self) -> list[str]:
        """Each document's indexed text (its passages joined), in document-id order."""
        texts: list[list[str]] = [[] for _ in range(int(self.passage_documents.max()) + 1)]
        for p, d in zip(self.stored.passages, self.passage_documents, strict=True):
            texts[d].append(p["text"])
        return ["\n".join(t) for t in texts]

    def texts_of_documents_of(self, passage_ids: list[int] | np.ndarray) -> list[str]:
        """The text of every passage of the documents these passages are from."""
        documents = np.unique(self.passage_documents[np.asarray(passage_ids, dtype=np.int64)])
        members = np.flatnonzero(np.isin(self.passage_documents, documents))
        return [self.stored.passages[int(i)]["text"] for i in members]

    def allowed(self, filters: Filters) -> np.ndarray | None:
        """Ids of the passages ``filters`` admit (None: all of them)."""
        if not filters:
            return None
        keep = filters.mask(
            self.passage_languages, self.passage_files, self.passage_file_names, self.passage_dates
        )
        return np.flatnonzero(keep)
