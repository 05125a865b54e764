"""The public Python API: ``Assistant``, ``Passage``, ``Answer`` and ``build_index``."""

from __future__ import annotations

import datetime
import logging
import math
import os
import re
import threading
import time
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.config import Config
from assistant.errors import (
    AssistantError,
    IndexMismatchError,
    IndexNotFoundError,
    InputError,
    ModelError,
)

if TYPE_CHECKING:
    from assistant.answer.timeline import Timeline
    from assistant.encoding.cluster import RaySettings
    from assistant.encoding.encoder import Encoder, ModelInfo
    from assistant.indexing.indexer import BuildReport
    from assistant.indexing.store import StoredIndex
    from assistant.retrieval.filters import Filters
    from assistant.retrieval.retriever import Retriever

log = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INDEX_ENV = "ASSISTANT_INDEX"
MAX_K = 50
VERSIONS_WIDEN = 3
"""Hits asked of the retriever per answer wanted: versions of one paragraph count once (an
answer has at most three: ja, en, ko)."""
MAX_LISTED_DOCUMENTS = 10
"""An unknown document filter is answered with at most this many of the indexed file names."""
MAX_QUESTION_CHARS = 2000
"""Longer questions are cut here before tokenising; the model reads at most 512 tokens, which
Japanese text reaches at roughly 600-900 characters, so nothing the model would read is lost."""
GONE_RECHECK_SECONDS = 0.2
"""How long a server waits before looking once more for an index with no live generation: a
build swaps ``current`` atomically (store.save_index), so one still missing then was deleted or
moved, and is refused rather than answered from memory."""


def default_index_dir() -> Path:
    """``$ASSISTANT_INDEX``, else ``index/`` beside ``corpus/`` in the project checkout."""
    return Path(os.environ.get(INDEX_ENV) or PROJECT_ROOT / "index")


def default_corpus_dir() -> Path:
    return PROJECT_ROOT / "corpus"


@dataclass
class Passage:
    """A retrieved paragraph with its citation.

    ``text`` is the paragraph as it stands in the source (hard-wrapped lines joined) and
    ``highlight`` is the sentence of it that best answers the question. A paragraph longer than
    ``chunking.MAX_PASSAGE_CHARS`` is indexed in parts: ``text`` is then part ``part`` of
    ``parts`` and the citation says so (``¶7 (part 2 of 3)``).
    """

    text: str
    doc: str
    source: str
    section: str | None
    paragraph: int
    citation: str
    score: float
    highlight: str
    lang: str | None = None
    """Language of the paragraph (``ja``, ``en``, ``ko``, ...)."""
    date: str | None = None
    """Date of its document (ISO), when the document names one."""
    page: int | None = None
    """The page the paragraph starts on, for documents with pages (PDF)."""
    url: str | None = None
    """The web address of a document fetched from a URL (cite by linking to it)."""
    versions: list[dict[str, Any]] = field(default_factory=list)
    """The same paragraph in every language the index has it in (this one first), each as
    ``{lang, source, paragraph, part, parts, citation, text, highlight}``; empty when it has
    no versions."""
    part: int = 1
    """Which part of its paragraph ``text`` is (1 for a paragraph indexed whole)."""
    parts: int = 1
    """How many parts its paragraph was indexed in (1: the paragraph is ``text``, whole)."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Answer:
    """The passages that answer a question, best first; ``confident`` is False when nothing in
    the corpus seems to answer it (the passages are then only the closest ones)."""

    question: str
    passages: list[Passage]
    confident: bool
    notice: str | None = None
    context: dict[str, Any] | None = None
    """For a follow-up (``ask(history=...)``): the statement the conversation is about and
    ``read_as``, the line that says how the question was read; None otherwise."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "confident": self.confident,
            "notice": self.notice,
            "context": self.context,
            "passages": [p.to_dict() for p in self.passages],
        }


def clean_question(question: object) -> tuple[str, str | None]:
    """Validate and normalise a question; returns (question, notice or None).

    Raises InputError for a non-string, an empty or blank question (also one of only invisible
    characters, such as zero-width spaces and joiners). Control characters and lone
    surrogates are dropped; an over-long question is cut, with a notice.
    """
    if not isinstance(question, str):
        raise InputError(f"the question must be text (str), not {type(question).__name__}")
    cleaned = "".join(
        " " if ch in "\t\n\r" else ch
        for ch in question
        if unicodedata.category(ch) not in {"Cc", "Cs", "Co"} or ch in "\t\n\r"
    ).strip()
    if not any(_visible(ch) for ch in cleaned):
        raise InputError("the question is empty: type a question about the documents")
    notice = None
    if len(cleaned) > MAX_QUESTION_CHARS:
        notice = (
            f"the question was {len(cleaned)} characters long; only the first "
            f"{MAX_QUESTION_CHARS} were read"
        )
        cleaned = cleaned[:MAX_QUESTION_CHARS]
    return cleaned, notice


_INVISIBLE_CATEGORIES = {"Cf", "Mn", "Me", "Zs", "Zl", "Zp"}
"""Format characters (zero-width space and joiners, BOM, bidi marks), combining marks and
spaces: a question of only these shows nothing and asks nothing."""
_FILLERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")
"""Letters and symbols that render as blank (Hangul fillers, the blank Braille pattern)."""


def _visible(ch: str) -> bool:
    return ch not in _FILLERS and unicodedata.category(ch) not in _INVISIBLE_CATEGORIES


_ISO_DATE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


def check_date(value: object, name: str) -> str | None:
    """``value`` as a date filter (YYYY, YYYY-MM or YYYY-MM-DD that exists on the calendar);
    None stays None. Raises InputError otherwise: an impossible date (2025-02-30) would
    otherwise compare as text and quietly match nothing. Every way in checks dates here.

    >>> check_date("2024-02-29", "start date")
    '2024-02-29'
    """
    if value is None:
        return None
    text = str(value)
    match = _ISO_DATE.fullmatch(text)
    if match is None:
        raise InputError(f"the {name} must be a date as YYYY, YYYY-MM or YYYY-MM-DD, not {text!r}")
    year, month, day = (int(part) if part else 1 for part in match.groups())
    try:
        datetime.date(year, month, day)
    except ValueError:
        raise InputError(
            f"the {name} {text!r} is not a date on the calendar (YYYY, YYYY-MM or YYYY-MM-DD)"
        ) from None
    return text


MAX_HISTORY = 50
"""Earlier questions ``ask`` takes (only the last few are read: MAX_HISTORY_READ)."""


def check_history(history: object) -> list[str]:
    """Earlier questions of a conversation, checked like a question each; oldest first.

    >>> check_history(["What was said in Bali?", " "])
    ['What was said in Bali?']
    """
    if history is None:
        return []
    if isinstance(history, str) or not isinstance(history, (list, tuple)):
        raise InputError(
            f"history must be a list of earlier questions (text), not {type(history).__name__}"
        )
    if len(history) > MAX_HISTORY:
        history = list(history)[-MAX_HISTORY:]
    earlier = []
    for item in history:
        if not isinstance(item, str):
            raise InputError(f"each earlier question in history must be text, not {item!r}")
        if any(_visible(ch) for ch in item):
            earlier.append(clean_question(item)[0])
    return earlier


def check_whole_number(value: object, name: str, low: int, high: int) -> int:
    """``value`` as a whole number from ``low`` to ``high``; raises InputError otherwise. 3.0
    counts as 3, since JSON and sliders send floats, but True, "3" and 3.5 are refused.

    >>> check_whole_number(3.0, "k", 1, 50)
    3
    """
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InputError(f"{name} must be a whole number from {low} to {high}, not {value!r}")
    return value


def check_k(k: object, name: str = "k", maximum: int = MAX_K) -> int:
    """``k`` from 1 to ``maximum``: every way in (API, command line, web page, MCP) checks it
    here."""
    return check_whole_number(k, name, 1, maximum)


class Assistant:
    """Answers questions from a built index.

    >>> qa = Assistant.load()
    >>> [p.paragraph for p in qa.search("暗号資産の窃取", k=2)][:1]
    [7]

    ``config`` (``assistant.config.Config``) holds every weight and threshold; an ablation
    is ``qa.config = qa.config.without("date")``.
    """

    def __init__(
        self, index_dir: Path, model: Encoder, model_info: ModelInfo, retriever: Retriever
    ):
        self.index_dir = index_dir
        self._model = model
        self.model_info = model_info
        self._retriever = retriever
        self._lock = threading.Lock()
        self._reloading = threading.Lock()
        self._refused: tuple[Any, AssistantError | None] | None = None
        """The generation identity (and, when the served one is damaged, the refusal) last
        found unusable: reported once, not re-verified on every question."""
        self._serving = False
        """Set by prepare_in_background: a swapped-in index is prepared the same way."""

    @property
    def config(self) -> Config:
        """The retrieval and answering settings in force (``assistant.config``)."""
        return self._retriever.config

    @config.setter
    def config(self, config: Config) -> None:
        if not isinstance(config, Config):
            kind = type(config).__name__
            raise InputError(f"config must be an assistant.config.Config, not {kind}")
        self._retriever.config = config

    # -- loading ------------------------------------------------------------------------------

    @classmethod
    def load(
        cls,
        index_dir: str | os.PathLike[str] | None = None,
        *,
        model: str | None = None,
        build_missing: bool | None = None,
        progress: Callable[[str, int, int], None] | None = None,
        config: Config | None = None,
    ) -> Assistant:
        """Open an index; the default ``index/`` is built from ``corpus/`` when missing or stale
        (logged at INFO; ``progress`` follows the build's stages).

        ``model`` must match the model the index was built with (it is read from the index
        when not given). Raises IndexNotFoundError, IndexMismatchError or ModelError.
        """
        from assistant.encoding.models import load_model
        from assistant.indexing import indexer
        from assistant.indexing.store import load_index, refuse_newer_format

        path = Path(index_dir) if index_dir is not None else default_index_dir()
        if build_missing is None:
            build_missing = index_dir is None
        stored = None
        try:
            stored = load_index(path)  # checked before the model loads: bad indexes fail fast
        except (IndexNotFoundError, IndexMismatchError) as exc:
            if not build_missing:
                raise
            refuse_newer_format(path)  # never rebuilt over: a newer version still reads it
            if isinstance(exc, IndexMismatchError):
                log.warning("the index at %s cannot be used (%s); rebuilding it", path, exc)
        manifest = stored.manifest if stored else None
        recorded = manifest["model"]["name"] if manifest else None
        if model and recorded and model != recorded and not build_missing:
            raise IndexMismatchError(
                f"index at {path} was built with model {recorded!r}, not {model!r}; "
                f"rebuild it with: assistant build --model {model}"
            )
        try:
            encoder, info = load_model(model or recorded)
        except ModelError as exc:
            if model or not recorded:
                raise
            if not build_missing:
                raise IndexMismatchError(
                    f"index at {path} was built with model {recorded!r}, which cannot be loaded "
                    f"here; rebuild it with: assistant build"
                ) from exc
            encoder, info = load_model(None)  # the default index is rebuilt with the default model
        if manifest is None or (
            build_missing and (indexer.is_stale(manifest) or not info.built(manifest["model"]))
        ):
            inputs = manifest["inputs"] if manifest else [str(default_corpus_dir())]
            log.info("building the index at %s from %s ...", path, ", ".join(inputs))
            report = indexer.build(inputs, path, encoder, info, progress=progress, wait=None)
            log.info("%s", report.summary())
            stored = load_index(path)
        return cls.open_with(path, encoder, info, stored, config)

    @classmethod
    def open_with(
        cls,
        path: Path,
        encoder: Encoder,
        info: ModelInfo,
        stored: StoredIndex | None = None,
        config: Config | None = None,
    ) -> Assistant:
        """Open the index at ``path`` with a model already loaded (``load_model``): for a
        process that holds one model for several indexes, as tests and benchmarks do.
        Raises IndexMismatchError when the index was built with another model."""
        from assistant.indexing.store import load_index
        from assistant.retrieval.retriever import Retriever

        stored = stored or load_index(path)
        check_model(stored.manifest, info, path)
        retriever = Retriever(stored, encoder, config)
        return cls(path, encoder, info, retriever)

    def add_documents(
        self,
        paths: list[str | os.PathLike[str]],
        progress: Callable[[str, int, int], None] | None = None,
        wait: float | None = 0,
    ) -> BuildReport:
        """Index more files into this assistant's index (with its loaded model) and answer
        from them at once. Returns the BuildReport; raises CorpusError, BuildLockedError."""
        from assistant.indexing import indexer

        recorded = self.manifest.get("inputs", [])
        added = [str(Path(p).expanduser().absolute()) for p in paths]
        inputs = list(dict.fromkeys([*recorded, *added]))
        report = indexer.build(
            inputs, self.index_dir, self._model, self.model_info, progress=progress, wait=wait
        )
        self.reload()
        return report

    def reload(self) -> bool:
        """Make sure the next answer comes from an intact, current index; True when a
        different one was swapped in. Call it before answering (it costs a few stats).

        The live generation is compared by identity (its build id and manifest), not by path,
        so an index deleted and rebuilt under the same folder is picked up. A memory-mapped
        file changed on disk since it was verified triggers a full re-verify: the live index is
        reopened, or, when it cannot be, IndexMismatchError refuses the question (a damaged
        map would give NaN scores or kill the process). An index deleted or moved (no live
        generation, looked for twice) is refused with IndexNotFoundError, never answered from
        memory. A newer generation built with another model is opened with that model (loaded
        here); one that cannot be opened (damaged, a model not available here, a newer format) is
        refused in one line, logged once, never answered from the older one.
        Every reader (web chat, MCP tools, library) calls this and lets its refusal through.
        """
        with self._reloading:  # one verification at a time; the others then find it done
            return self._reload()

    def _reload(self) -> bool:
        from assistant.indexing.store import changed_mapped_files, generation_identity

        served = self._retriever.stored
        live = generation_identity(self.index_dir)
        changed = changed_mapped_files(served)
        if not changed and live == served.identity:
            return False
        key = (live, tuple(changed.items()))  # the same damage is verified and reported once
        if self._refused is not None and self._refused[0] == key:
            if self._refused[1] is not None:
                raise self._refused[1]
            return False
        if live is None:
            time.sleep(GONE_RECHECK_SECONDS)  # not mid-build (the swap is atomic): look once more
            live = generation_identity(self.index_dir)
            changed = changed_mapped_files(served)
            if live is None:
                refusal = IndexNotFoundError(
                    f"the index at {self.index_dir} is gone (deleted or moved); "
                    "build it again with: assistant build"
                )
                log.error("%s", refusal)
                self._refused = (key, refusal)
                raise refusal
            if not changed and live == served.identity:
                return False
            key = (live, tuple(changed.items()))
        try:
            fresh = self._open_newer()
        except (IndexNotFoundError, IndexMismatchError, ModelError) as exc:
            if changed:
                refusal = IndexMismatchError(
                    f"the index at {self.index_dir} changed on disk ({', '.join(changed)}) and "
                    f"cannot be used: {exc}"
                )
            else:
                refusal = IndexMismatchError(
                    f"the index at {self.index_dir} was replaced by one this server cannot open "
                    f"({exc}); restart the server, or rebuild the index with: assistant build"
                )
            log.error("%s", refusal)
            self._refused = (key, refusal)
            raise refusal from exc
        with self._lock:
            self._retriever = fresh._retriever
            self._model, self.model_info = fresh._model, fresh.model_info
            self._refused = None
        log.info("switched to index generation %s", fresh._retriever.stored.path.name)
        if self._serving:
            self.prepare_in_background()
        return True

    def _open_newer(self) -> Assistant:
        """The index's live generation, opened with this assistant's model, or with the model
        it records when a rebuild changed the model (loaded here, as ``load`` would)."""
        from assistant.encoding.models import load_model
        from assistant.indexing.store import load_index

        stored = load_index(self.index_dir)
        recorded = stored.manifest.get("model", {})
        if self.model_info.built(recorded):
            return Assistant.open_with(
                self.index_dir, self._model, self.model_info, stored, self.config
            )
        log.info("the index was rebuilt with model %s; loading it", recorded.get("name"))
        encoder, info = load_model(recorded.get("name"))
        return Assistant.open_with(self.index_dir, encoder, info, stored, self.config)

    def prepare_in_background(self) -> threading.Thread:
        """Build the index's lookups that questions build on first need (Retriever.prepare)
        in a background thread, now and after every index swap: what a server calls, so that
        its first question naming a person or place does not wait for them (about 6 s at 100k
        passages)."""
        self._serving = True
        thread = threading.Thread(target=self._retriever.prepare, name="prepare-index", daemon=True)
        thread.start()
        return thread

    # -- asking -------------------------------------------------------------------------------

    def search(self, question: str, k: int = 5, **filters: Any) -> list[Passage]:
        """The k passages that best answer ``question``, best first (filters as for ``ask``)."""
        return self.ask(question, k=k, **filters).passages

    def ask(
        self,
        question: str,
        k: int = 3,
        *,
        mode: str = "hybrid",
        language: str | None = None,
        source: str | None = None,
        date_from: str | None = None,
        date_to: str | None = None,
        history: Sequence[str] | None = None,
    ) -> Answer:
        """Answer ``question`` with the k best passages and whether the corpus answers it.

        ``mode`` picks the retrieval arm: ``hybrid`` (default), ``dense`` or ``lexical``.
        ``language`` (``ja``, ``en``, ``ko``), ``source`` (a document's path or file name) and
        ``date_from``/``date_to`` (ISO dates, inclusive) restrict which passages may answer.
        ``history`` (earlier questions of the conversation, oldest first) makes it a follow-up:
        it is answered in the context of the statement they established, and the answer's
        ``context`` says how it was read (``retrieval.conversation``).

        >>> qa.ask("Were condolences expressed?", history=["What was said in Bali in 2022?"])
        ... .context["read_as"]  # doctest: +SKIP
        'Read as a follow-up on: Secretary Blinken’s Trilateral Meeting ... (2022-07)'
        """
        from assistant.retrieval.conversation import context_of
        from assistant.retrieval.retriever import RETRIEVAL_MODES

        cleaned, notice = clean_question(question)
        k = check_k(k)
        if mode not in RETRIEVAL_MODES:
            raise InputError(f"mode must be one of {', '.join(RETRIEVAL_MODES)}, not {mode!r}")
        filters = self.check_filters(language, source, date_from, date_to)
        earlier = check_history(history)
        retriever = self._retriever
        context = context_of(retriever, earlier, filters, retriever.config) if earlier else None
        found = retriever.retrieve(
            cleaned, k * VERSIONS_WIDEN, mode=mode, filters=filters, context=context
        )
        hits, confident, why_not = found.hits, found.confident, found.notice
        answers = self._with_versions(hits, len(hits), cleaned, language, source)
        hits_and_versions = answers[:k]
        if why_not:
            notice = f"{notice}; {why_not}" if notice else why_not
        if not all(math.isfinite(h.score) for h in hits):  # never a NaN score (damaged map)
            raise IndexMismatchError(
                f"index at {retriever.stored.path} gave invalid scores; rebuild it with: "
                "assistant build"
            )
        passages = [
            Passage(
                text=h.passage["text"],
                doc=h.passage["doc"],
                source=h.passage["source"],
                section=h.passage["section"],
                paragraph=h.passage["paragraph"],
                citation=h.passage["citation"],
                score=round(float(h.score), 4),
                highlight=h.highlight,
                lang=h.passage.get("lang"),
                date=h.passage.get("date"),
                page=h.passage.get("page"),
                url=h.passage.get("url"),
                versions=versions,
                part=h.passage.get("part", 1),
                parts=h.passage.get("parts", 1),
            )
            for h, versions in hits_and_versions
        ]
        return Answer(
            question=cleaned,
            passages=passages,
            confident=confident,
            notice=notice,
            context=context.to_dict(found.asked_again) if context and found.followed else None,
        )

    def timeline(
        self,
        question: str,
        *,
        language: str | None = None,
        source: str | None = None,
        date_from: str | None = None,
        date_to: str | None = None,
    ) -> Timeline:
        """What each statement said about the topic of ``question``, in date order.

        One entry per statement (parallel versions are one, shown in the question's language
        when it has that version, or in ``language``), each with its best paragraph on the
        topic, whether it ``addresses`` the topic at all, and the word changes (``diff``) from
        the previous addressing entry in the same language. Filters as for ``ask``.

        >>> [e.date for e in qa.timeline("拉致問題").addressing][:1]
        ['2025-04-03']
        """
        from assistant.answer.timeline import timeline_of
        from assistant.retrieval.question import Question

        cleaned, notice = clean_question(question)
        filters = self.check_filters(language, source, date_from, date_to)
        q = Question.parse(cleaned)
        retriever = self._retriever
        found = timeline_of(retriever, q, filters, retriever.config, language or q.language)
        if not all(math.isfinite(e.score) for e in found.entries):
            raise IndexMismatchError(
                f"index at {retriever.stored.path} gave invalid scores; rebuild it with: "
                "assistant build"
            )
        if notice:
            found.notice = f"{notice}; {found.notice}" if found.notice else notice
        return found

    def _with_versions(
        self, hits: list[Any], k: int, question: str, language: str | None, source: str | None
    ) -> list[tuple[Any, list[dict[str, Any]]]]:
        """Parallel versions (assistant.versions): the k best different answers, each shown in
        the question's language when the index has it in that language (a language or
        document filter keeps the version it admitted), with its versions attached."""
        from assistant.indexing.versions import with_versions
        from assistant.text import detect_language

        retriever = self._retriever
        preferred = language or (None if source else detect_language(question))
        return with_versions(hits, k, retriever.stored, retriever.sentence_start, preferred)

    def check_filters(
        self,
        language: str | None = None,
        source: str | None = None,
        date_from: str | None = None,
        date_to: str | None = None,
    ) -> Filters:
        """The filters as given, checked against this index; raises InputError listing the
        allowed values."""
        from assistant.ingest.documents import file_name
        from assistant.retrieval.filters import Filters

        if language is not None and language not in self.languages:
            raise InputError(
                f"no documents in language {language!r}; "
                f"this index has: {', '.join(self.languages)}"
            )
        if source is not None:
            names = {d["source"] for d in self.documents}
            files = sorted({file_name(n) for n in names})
            if source not in names | set(files):
                listed = ", ".join(files[:MAX_LISTED_DOCUMENTS])
                more = " …" if len(files) > MAX_LISTED_DOCUMENTS else ""
                raise InputError(
                    f"no document {source!r} in this index; give a path or file name of one "
                    f"of: {listed}{more}"
                )
        date_from = check_date(date_from, "start date")
        date_to = check_date(date_to, "end date")
        return Filters(language, source, date_from, date_to)

    # -- the source at hand -------------------------------------------------------------------

    @property
    def languages(self) -> list[str]:
        """The languages the index's paragraphs are in (what the language filter accepts)."""
        return sorted({p.get("lang") for p in self._retriever.stored.passages} - {None})

    @property
    def documents(self) -> list[dict[str, Any]]:
        """Source documents of the index: source, title and full text."""
        return self._retriever.stored.documents

    def shown_source(self, source: str, full_paths: bool = False) -> str:
        """A document's source as a client of a server sees it: relative to the indexed folder
        (its file name when it was indexed by itself), unless ``full_paths``."""
        from assistant.ingest.provenance import shown_source

        return shown_source(source, self.manifest.get("inputs", []), full_paths)

    def public_message(self, error: BaseException | str, full_paths: bool = False) -> str:
        """An error's one line as a server's client sees it: without the server's absolute
        paths (documents as shown_source shows them, the index folder by its name), unless
        ``full_paths``."""
        from assistant.ingest.provenance import public_message

        if full_paths:
            return str(error)
        sources = [d["source"] for d in self.documents]
        return public_message(str(error), self.index_dir, sources, self.manifest.get("inputs", []))

    def document_paragraphs(self, source: str) -> list[dict[str, Any]]:
        """Every paragraph of one indexed document, in order and whole (the parts of a long one
        joined; ``part_starts`` says where each begins), for a view of the document."""
        from assistant.indexing.indexer import whole_paragraphs

        return whole_paragraphs(self.document_passages(source))

    def document_passages(self, source: str) -> list[dict[str, Any]]:
        """Every passage of one indexed document, in order: its paragraphs, each long one in
        its parts (``part`` of ``parts``), as they are searched and cited."""
        return [p for p in self._retriever.stored.passages if p["source"] == source]

    @property
    def retriever(self) -> Retriever:
        """The retriever answering now (its evidence functions are public for benchmarks and
        evaluation scripts; a reload swaps it)."""
        return self._retriever

    @property
    def manifest(self) -> dict[str, Any]:
        return self._retriever.stored.manifest


def check_model(manifest: dict[str, Any], info: ModelInfo, path: Path) -> None:
    """Refuse to query an index with another model than the one it was built with."""
    recorded = manifest.get("model", {})
    if not info.built(recorded):
        raise IndexMismatchError(
            f"index at {path} was built with model {recorded.get('name')!r} "
            f"({recorded.get('dimension')} dims), not {info.name!r}; rebuild it with: "
            f"assistant build --model {info.name}"
        )
    if not info.built(recorded, exactly=True):
        log.warning(
            "model %s computes slightly different vectors than when %s was built", info.name, path
        )


def build_index(
    paths: list[str | os.PathLike[str]] | str | os.PathLike[str],
    index_dir: str | os.PathLike[str] | None = None,
    model: str | None = None,
    *,
    progress: Callable[[str, int, int], None] | None = None,
    wait: float | None = 0,
    ray: RaySettings | None = None,
    config: Config | None = None,
) -> BuildReport:
    """Build (or incrementally rebuild) an index from files and folders of .txt/.md.

    ``progress`` is a callback ``(stage, done, total)`` (stages: ``indexer.STAGES``); ``wait`` is
    how long to wait for another build of the same index (None: as long as it takes); ``ray``
    (an ``assistant.encoding.cluster.RaySettings``) embeds on a Ray cluster instead of here;
    ``config`` gives the build-time setting ``Config.inferred_dates``.
    Returns a BuildReport with counts. Raises CorpusError when no readable text is found and
    BuildLockedError when another build holds the index.
    """
    from assistant.indexing import indexer

    target = Path(index_dir) if index_dir is not None else default_index_dir()
    # Paths, files and the build lock are checked before the model loads (fast failure).
    wrap = None
    if ray is not None:
        from assistant.encoding.cluster import ray_encoder_factory

        wrap = ray_encoder_factory(ray)
    return indexer.build_files(
        paths, target, model, progress=progress, wait=wait, wrap_encoder=wrap, config=config
    )
