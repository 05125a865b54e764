"""Retrieval: candidates from the dense and lexical indexes, scored by assistant.scoring;
the answering sentence; whether the corpus answers at all; filters by language, document and
date.

How a passage's score is computed is in one place: :func:`assistant.scoring.passage_scores`.
This module gathers its evidence (cosines, BM25, language offsets, dates) for the candidates.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from assistant.accounts import account_language, without_account
from assistant.amounts import missing_amount, missing_amount_notice
from assistant.answer.confidence import (
    REFERENCE_NULL_MARGIN,
    background_vectors,
    is_confident,
    parallel_bank_vectors,
)
from assistant.bridging import bridge_scores
from assistant.encoding.encoder import Encoder
from assistant.glosses import OTHER_LANGUAGE as OTHER_GLOSS_LANGUAGE
from assistant.glosses import gloss_table, gloss_terms
from assistant.indexing.hubness import HUB_WEIGHT
from assistant.indexing.store import StoredIndex
from assistant.ingest.documents import file_name
from assistant.ingest.metadata import (
    detect_language,
    other_dates_notice,
    question_months,
    question_years,
    undated_notice,
    without_dates,
)
from assistant.key_terms import (
    AcronymIndex,
    key_terms,
    latin_vocabulary,
    missing_terms,
    name_runs,
    not_found_notice,
)
from assistant.name_sounds import NameSounds, SpokenNameIndex, spoken_words
from assistant.ordinals import missing_ordinal_notice, missing_ordinals, ordinals
from assistant.retrieval import scoring
from assistant.setting import FOCUS_WEIGHT, question_focus
from assistant.sino_korean import OTHER_LANGUAGE as OTHER_READ_LANGUAGE
from assistant.sino_korean import reading_pairs

DATE_CHECK_DEPTH = 3
"""How many of the best passages are checked for one from the time the question asks: when none
is and one is known to be from another, the answer is not confident (scoring.dates_contradicted).
The amount and ordinal checks read as many (assistant.amounts, assistant.ordinals).
"""

CANDIDATES = 100
"""Passages the dense index proposes when the corpus is larger than this; the lexical arm adds
its own best ones, and only this union is scored in full."""


@dataclass
class Hit:
    passage: dict[str, Any]
    score: float
    highlight: str


@dataclass(frozen=True)
class Filters:
    """Which passages may answer: by language, document (source path or file name) and date
    (ISO, inclusive; a document without a date is outside any date range)."""

    language: str | None = None
    source: str | None = None
    date_from: str | None = None
    date_to: str | None = None

    def __bool__(self) -> bool:
        return any((self.language, self.source, self.date_from, self.date_to))

    def mask(
        self, languages: np.ndarray, sources: np.ndarray, names: np.ndarray, dates: np.ndarray
    ) -> np.ndarray:
        """Which of the passages described by these parallel arrays the filters admit (dates
        ISO strings, "" for none): the one statement of the rule, as array comparisons, so a
        filter costs about a millisecond even at 100k passages."""
        keep = np.ones(len(languages), dtype=bool)
        if self.language:
            keep &= languages == self.language
        if self.source:
            keep &= (sources == self.source) | (names == self.source)
        if self.date_from or self.date_to:
            keep &= dates != ""
        if self.date_from:
            keep &= dates >= self.date_from
        if self.date_to:
            keep &= np.array([d[: len(self.date_to)] for d in dates]) <= self.date_to
        return keep

    def admits(self, passage: dict[str, Any]) -> bool:
        """Whether one passage (a stored passage dict) is admitted."""
        source = passage["source"]
        return bool(
            self.mask(
                np.array([passage.get("lang") or "und"]),
                np.array([source]),
                np.array([file_name(source)]),
                np.array([passage.get("date") or ""]),
            )[0]
        )


class Retriever:
    """Scores the passages of one stored index for a question."""

    def __init__(self, stored: StoredIndex, encoder: Encoder, model_key: str | None = None):
        self.stored = stored
        self.encoder = encoder
        passages = stored.passages
        self.sentence_start = np.zeros(len(passages) + 1, dtype=np.int64)
        np.cumsum([len(p["sentences"]) for p in passages], out=self.sentence_start[1:])
        self.lexical = stored.lexical
        self.sentence_lexical = stored.sentence_lexical
        self.background = background_vectors(self.encoder, model_key)
        self.language_bank = parallel_bank_vectors(self.encoder, model_key)
        # What unrelated questions score here, overall and per language (older indexes: overall)
        self.corpus_nulls = stored.manifest.get("null_margins") or {
            "all": float(stored.manifest.get("null_margin", REFERENCE_NULL_MARGIN))
        }
        documents = stored.documents
        self.latin_only = bool(documents) and all(d.get("lang") == "en" for d in documents)
        self._latin_vocabulary: frozenset[str] | None = None
        self._name_sounds: NameSounds | None = None
        self._spoken_index: SpokenNameIndex | None = None
        self._acronym_index: AcronymIndex | None = None
        self._reading_terms: dict[int, str] = {}  # a passage's reading pairs, space-joined
        self._gloss_terms: dict[int, str] = {}  # a passage's English stems, space-joined
        # How far each passage and sentence lies above ordinary text's closeness to unrelated
        # questions (assistant.hubness); indexes built before it carry none.
        self.passage_hub = HUB_WEIGHT * np.array([p.get("hub", 0.0) for p in passages], np.float32)
        self.sentence_hub = HUB_WEIGHT * np.array(
            [h for p in passages for h in p.get("sentence_hub") or [0.0] * len(p["sentences"])],
            np.float32,
        )
        self.passage_languages = np.array([p.get("lang") or "und" for p in passages])
        self.passage_dates = np.array([p.get("date") or "" for p in passages])
        self.passage_files = np.array([p["source"] for p in passages])
        self.passage_file_names = np.array([file_name(s) for s in self.passage_files])
        self.passage_documents = np.unique(self.passage_files, return_inverse=True)[1]
        self._time_coverage: tuple[frozenset[str], frozenset[int], float] | None = None
        import faiss

        # One question is one small search: measured at 100k passages, an exact scan took
        # 11-14 ms on one thread and 43 ms on two while the encoder held the other core.
        faiss.omp_set_num_threads(1)

    def encode_query(self, question: str, focus: str | None = None) -> np.ndarray:
        """The question's vector as one row; with ``focus`` (what it asks, its setting clause
        taken off: assistant.setting) a second row, its vector (both encoded in one run)."""
        return self.encoder.encode_queries([question, focus] if focus else [question])

    @staticmethod
    def query_weights(query: np.ndarray) -> np.ndarray:
        """How much each row of ``query`` counts: all of a lone question; with a focus row,
        FOCUS_WEIGHT for it and the rest for the whole question."""
        if len(query) == 1:
            return np.ones(1, dtype=np.float32)
        return np.array([1 - FOCUS_WEIGHT, FOCUS_WEIGHT], dtype=np.float32)

    def mixed(self, query: np.ndarray) -> np.ndarray:
        """One vector for the question's rows (the weighted sum): what the terms that are
        linear in the question (language offsets, the background bank) and the index read."""
        return (self.query_weights(query) @ query).astype(np.float32)

    @staticmethod
    def wording(question: str) -> str:
        """What the wording arms read of a question: its dates and the account it names
        count once, in their own terms (metadata.without_dates, accounts.without_account)."""
        return without_account(without_dates(question)) or question

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
        and the cosine of every candidate sentence (in candidate order). Each cosine is less
        its text's hubness (assistant.hubness), so text close to every question stops
        winning. With a focus row (see encode_query) each of the three is the weighted mean of
        the whole question's and the focus's, so each picks its own best sentence; and the
        whole question's passage and best-sentence cosines are its document's best, so that
        the setting picks the document and what is asked the paragraph (assistant.setting)."""
        if candidates is None:
            candidates = np.arange(len(self.stored.passages))
        weights = self.query_weights(query)
        passage_rows = np.asarray(self.stored.passage_vectors[candidates], dtype=np.float32)
        rows, counts = self.sentence_rows(candidates)
        sentence_rows = np.asarray(self.stored.sentence_vectors[rows], dtype=np.float32)
        owner = np.repeat(np.arange(len(candidates)), counts)
        passage = np.zeros(len(candidates), dtype=np.float32)
        best_sentence = np.zeros(len(candidates), dtype=np.float32)
        sentence = np.zeros(len(rows), dtype=np.float32)
        documents = self.passage_documents[candidates]
        for row, (weight, vector) in enumerate(zip(weights, query, strict=True)):
            cosines = sentence_rows @ vector - self.sentence_hub[rows]
            best = np.full(len(candidates), -1.0, dtype=np.float32)
            np.maximum.at(best, owner, cosines)
            closeness = passage_rows @ vector - self.passage_hub[candidates]
            if row == 0 and len(query) > 1:
                closeness = scoring.document_best(closeness, documents)
                best = scoring.document_best(best, documents)
            passage += weight * closeness
            best_sentence += weight * best
            sentence += weight * cosines
        return passage, best_sentence, sentence

    def sentence_rows(self, candidates: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Rows of the candidates' sentences (in candidate order) and how many each has."""
        starts = self.sentence_start[candidates]
        counts = self.sentence_start[candidates + 1] - starts
        rows = np.repeat(starts - np.cumsum(counts) + counts, counts) + np.arange(counts.sum())
        return rows, counts

    def prepare(self) -> None:
        """Build now what questions would build on first need: the Latin vocabulary, the name
        sounds, the spoken-name and the acronym index (at 100k passages 3.7 s, 0.8 s, 1.2 s and
        1.2 s; at the archive's 86, 10 ms) and the dictionary's gloss table (0.3 s)."""
        _ = self.latin_vocabulary, self.name_sounds, gloss_table()
        self._document_indexes()

    @property
    def latin_vocabulary(self) -> frozenset[str]:
        """Latin-script tokens of every document (built on first need: 3.7 s at 100k passages,
        and only questions with Latin key terms need it)."""
        if self._latin_vocabulary is None:
            self._latin_vocabulary = latin_vocabulary(
                f"{d['title']}\n{d['text']}" for d in self.stored.documents
            )
        return self._latin_vocabulary

    def document_texts(self) -> list[str]:
        """Each document's indexed text (its passages joined), in document-id order: what the
        name and acronym evidence is read from, exactly as it was indexed."""
        texts: list[list[str]] = [[] for _ in range(int(self.passage_documents.max()) + 1)]
        for p, d in zip(self.stored.passages, self.passage_documents, strict=True):
            texts[d].append(p["text"])
        return ["\n".join(t) for t in texts]

    def _document_indexes(self) -> tuple[SpokenNameIndex, AcronymIndex]:
        """The spoken-name and acronym indexes, whichever is missing built from one reading of
        the document texts."""
        if self._spoken_index is None or self._acronym_index is None:
            texts = self.document_texts()
            if self._spoken_index is None:
                self._spoken_index = SpokenNameIndex(texts)
            if self._acronym_index is None:
                self._acronym_index = AcronymIndex(texts)
        return self._spoken_index, self._acronym_index

    def _times(self) -> tuple[frozenset[str], frozenset[int], float]:
        """Every month and year some document is from or about, and the share of documents
        that have one: worked out on the first question that names a time."""
        if self._time_coverage is None:
            months: set[str] = set()
            dated: set[int] = set()
            for p, document in zip(self.stored.passages, self.passage_documents, strict=True):
                if p.get("months"):
                    months.update(p["months"])
                    dated.add(int(document))
            documents = len(set(self.passage_documents.tolist())) or 1
            years = frozenset(int(m[:4]) for m in months)
            self._time_coverage = frozenset(months), years, len(dated) / documents
        return self._time_coverage

    def texts_of_documents_of(self, passage_ids: np.ndarray) -> list[str]:
        """The text of every passage of the documents these passages are from."""
        documents = np.unique(self.passage_documents[np.asarray(passage_ids, dtype=np.int64)])
        members = np.flatnonzero(np.isin(self.passage_documents, documents))
        return [self.stored.passages[int(i)]["text"] for i in members]

    def has_time(self, months: list[str], years: list[int]) -> bool:
        """Whether some document is from (or about) one of the months, else the years, named."""
        known_months, known_years, _ = self._times()
        if months:
            return bool(known_months.intersection(months))
        return bool(known_years.intersection(years))

    @property
    def dated_share(self) -> float:
        """The share of documents whose text gives a date (scoring.DATED_SHARE)."""
        return self._times()[2]

    @property
    def spoken_index(self) -> SpokenNameIndex:
        """Which documents spell which names, by sound and script (assistant.name_sounds),
        built on first need: 1.2 s at 100k passages."""
        return self._document_indexes()[0]

    @property
    def acronym_index(self) -> AcronymIndex:
        """Which documents name which acronyms (key_terms.AcronymIndex), built on first need:
        1.2 s at 100k passages."""
        return self._document_indexes()[1]

    def name_evidence(self, question: str, candidates: np.ndarray) -> np.ndarray | None:
        """1 for each candidate whose document spells one of the question's names in another
        script, or names one of its acronyms that few documents name (scoring.NAME_WEIGHT),
        else 0; None when no document does."""
        if not scoring.NAME_WEIGHT or not self.stored.passages:
            return None
        wanted = spoken_words(question, name_runs(question))
        named = (
            self.spoken_index.naming(wanted, scoring.NAME_SHARE) if any(wanted.values()) else set()
        )
        if key_terms(question)[0]:
            named |= self.acronym_index.naming(question, scoring.NAME_SHARE)
        if not named:
            return None
        return np.isin(self.passage_documents[candidates], list(named)).astype(np.float32)

    def reading_evidence(self, question: str, candidates: np.ndarray) -> np.ndarray | None:
        """How much of a Japanese question's Sino-Korean reading each Korean candidate has, or
        of a Korean question's each Japanese one (scoring.READING_WEIGHT); None for questions in
        other languages."""
        if not scoring.READING_WEIGHT:
            return None
        return self._bridge_evidence(
            question, candidates, OTHER_READ_LANGUAGE, reading_pairs, self._reading_terms
        )

    def gloss_evidence(self, question: str, candidates: np.ndarray) -> np.ndarray | None:
        """How much of an English question each Japanese candidate says, read through the
        dictionary, or of a Japanese question's glosses each English one (scoring.GLOSS_WEIGHT);
        None for questions in other languages."""
        if not scoring.GLOSS_WEIGHT:
            return None
        return self._bridge_evidence(
            question, candidates, OTHER_GLOSS_LANGUAGE, gloss_terms, self._gloss_terms
        )

    def _bridge_evidence(
        self,
        question: str,
        candidates: np.ndarray,
        other_language: dict[str, str],
        terms_of: Callable[[str, str], list[str]],
        cache: dict[int, str],
    ) -> np.ndarray | None:
        """A lexical bridge's score (bridging.bridge_scores) for the candidates in the language
        the question's is bridged to, 0 for the rest; None when the question's language has no
        bridge, no candidate is in the bridged language (then the gloss table is not even
        read) or the question gives no terms. Each passage's terms are worked out when it is
        first a candidate and kept, space-joined (measured on the archive's paragraphs of about
        150 characters: readings 0.15 ms and 0.3 kB a Japanese one, glosses 0.11 ms and 0.8 kB
        a Japanese one, 0.05 ms and 0.3 kB an English one)."""
        language = detect_language(question)
        other = other_language.get(language)
        if other is None:
            return None
        bridged = np.flatnonzero(self.passage_languages[candidates] == other)
        question_terms = terms_of(question, language) if len(bridged) else []
        if not question_terms:
            return None
        passage_terms = []
        for index in candidates[bridged].tolist():
            packed = cache.get(index)
            if packed is None:
                packed = " ".join(terms_of(self.stored.passages[index]["text"], other))
                cache[index] = packed
            passage_terms.append(packed.split())
        evidence = np.zeros(len(candidates), dtype=np.float32)
        evidence[bridged] = bridge_scores(question_terms, passage_terms)
        return evidence

    @property
    def name_sounds(self) -> NameSounds:
        """Sound keys of every document's katakana and Hangul (assistant.name_sounds), built on
        first need: only a question naming something the Latin text lacks needs them."""
        if self._name_sounds is None:
            self._name_sounds = NameSounds.of(
                f"{d['title']}\n{d['text']}" for d in self.stored.documents
            )
        return self._name_sounds

    def allowed(self, filters: Filters) -> np.ndarray | None:
        """Ids of the passages ``filters`` admit (None: all of them); array comparisons, so a
        filter costs about a millisecond even at 100k passages."""
        if not filters:
            return None
        keep = filters.mask(
            self.passage_languages, self.passage_files, self.passage_file_names, self.passage_dates
        )
        return np.flatnonzero(keep)

    def retrieve(
        self, question: str, k: int, mode: str = "hybrid", filters: Filters | None = None
    ) -> tuple[list[Hit], bool, str | None]:
        """The k best passages for ``question``, whether the corpus answers it, and why not
        (a notice naming the key terms the documents never mention), if that is why."""
        allowed = self.allowed(filters or Filters())
        if not self.stored.passages or (allowed is not None and not allowed.size):
            return [], False, None
        wording = self.wording(question)
        focus = question_focus(question)
        query = self.encode_query(wording, focus and self.wording(focus))
        vector = self.mixed(query)
        tokens = self.lexical.query_tokens(wording)
        coverage = self.lexical.coverage(tokens)
        all_lexical = self.lexical.scores(tokens)
        candidates = self.candidates(vector[None, :], all_lexical) if allowed is None else allowed
        passage, best_sentence, sentence_scores = self.dense_scores(query, candidates)
        rows, counts = self.sentence_rows(candidates)
        sentence_lexical = scoring.normalised(self.sentence_lexical.scores(tokens)[rows])
        passages = [self.stored.passages[int(i)] for i in candidates]
        months, years = question_months(question), question_years(question)
        date = scoring.date_evidence(months, years, [p.get("months") or [] for p in passages])
        evidence = scoring.Evidence(
            passage=passage,
            best_sentence=best_sentence,
            lexical=scoring.normalised(all_lexical[candidates]),
            language=scoring.language_offsets(
                vector, self.language_bank, self.passage_languages[candidates]
            ),
            date=date,
            account=scoring.account_evidence(
                account_language(question), self.passage_languages[candidates], date
            ),
        )
        names = self.name_evidence(question, candidates)
        if names is not None:
            evidence = dataclasses.replace(evidence, names=names)
        reading = self.reading_evidence(wording, candidates)
        if reading is not None:
            evidence = dataclasses.replace(evidence, reading=reading)
        gloss = self.gloss_evidence(wording, candidates)
        if gloss is not None:
            evidence = dataclasses.replace(evidence, gloss=gloss)
        dense = scoring.dense_scores(evidence)
        if mode == "dense":
            weight, ranking = 0.0, dense
        elif mode == "lexical":
            weight, ranking = 1.0, evidence.lexical
        else:
            weight = scoring.LEXICAL_WEIGHT * coverage**2
            ranking = scoring.passage_scores(evidence, coverage)
        sentence_ranking = sentence_scores + weight * sentence_lexical
        offsets = np.concatenate([[0], np.cumsum(counts)])
        hits = []
        order = np.argsort(-ranking, kind="stable")
        for position in order[:k]:
            p = passages[position]
            first, last = offsets[position], offsets[position + 1]
            if last > first:
                s0, s1 = p["sentences"][int(np.argmax(sentence_ranking[first:last]))]
                highlight = p["text"][s0:s1]
            else:
                highlight = p["text"]
            hits.append(Hit(p, float(ranking[position]), highlight))
        confident, _ = is_confident(
            float(dense.max()),
            vector,
            self.background,
            coverage,
            self.corpus_nulls,
            detect_language(question),
        )
        acronyms, names = key_terms(question)
        missing = (
            missing_terms(
                question,
                self.latin_vocabulary,
                self.latin_only,
                None if self.latin_only else self.name_sounds,
            )
            if acronyms or names
            else []
        )
        if missing:
            return hits, False, not_found_notice(missing)
        best_dates = evidence.date[order[:DATE_CHECK_DEPTH]]
        if scoring.dates_contradicted(best_dates):
            return hits, False, other_dates_notice(question)
        if (months or years) and scoring.time_unvouched(  # the corpus's times read on first need
            best_dates, True, self.has_time(months, years), self.dated_share
        ):
            return hits, False, undated_notice(question)
        unstated = missing_amount(
            question, [passages[int(i)]["text"] for i in order[:DATE_CHECK_DEPTH]]
        )
        if unstated:
            return hits, False, missing_amount_notice(unstated)
        if ordinals(question):  # the documents are read only for a question that names one
            best_documents = self.texts_of_documents_of(candidates[order[:DATE_CHECK_DEPTH]])
            unnamed = missing_ordinals(question, best_documents)
            if unnamed:
                return hits, False, missing_ordinal_notice(unnamed)
        return hits, confident, None
