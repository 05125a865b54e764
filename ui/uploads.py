"""Visitors' uploads: checked names and sizes, saved atomically, indexed on a worker thread of
their own under caps (files, bytes, sentences, seconds), so questions never wait behind them.

An upload is saved into ``<index>/uploads/`` and then indexed; one a crash interrupted between
the two is found at the next start (a file there that the index does not know) and indexed
then. Partial ``.upload-*`` files are removed.
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
import time
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant import Assistant, AssistantError
from assistant.durable import remove_leftovers, writing
from assistant.ingest.provenance import uploads_dir

log = logging.getLogger(__name__)

UPLOAD_SUFFIXES = (".txt", ".md", ".html", ".htm", ".pdf", ".docx")
UPLOAD_MAGIC = {".pdf": b"%PDF-", ".docx": b"PK\x03\x04"}
"""How binary uploads must begin (the other types are text and must hold no NUL bytes)."""
MAX_UPLOAD_BYTES = 2 * 1024 * 1024
MAX_UPLOAD_FILES = 10
MAX_UPLOAD_TOTAL_BYTES = 8 * 1024 * 1024
MAX_UPLOAD_NAME = 120
MAX_UPLOAD_SENTENCES = 2000
"""Sentences one uploaded file may hold. Embedding runs at roughly 14-30 texts a second here
(README: ~14 passages/s for the fp32 model; sentences are shorter), so 2,000 sentences plus
their paragraphs take one to three minutes; the 2 MB one-line file of issue 13 held 83,890
and kept both cores busy for 9.5 minutes."""
MAX_INDEXING_SECONDS = 240.0
"""An upload still indexing after this long is abandoned (its files removed, the index as
before), so one upload cannot hold the machine."""
PARTIAL_PREFIX = ".upload-"
_REFUSED_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Zl", "Zp"}
"""Control, format (bidi overrides such as U+202E, zero-width), surrogate, private-use and
line/paragraph separators: none belongs in a file name a reader must trust."""


class UploadError(AssistantError):
    """An uploaded file that is refused (name, type, size or count)."""


class UploadTimeoutError(UploadError):
    """Indexing an upload took longer than MAX_INDEXING_SECONDS."""


def safe_upload_name(name: str, suffixes: Sequence[str] = UPLOAD_SUFFIXES) -> str:
    """The file name an upload is saved under, or UploadError.

    Only the last path component is kept; hidden files, control and bidi characters and other
    suffixes are refused so nothing can land outside ``<index>/uploads/``, be skipped by the
    indexer or show a name that reads differently from what it is.
    """
    base = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    if not base or base.startswith(".") or len(base) > MAX_UPLOAD_NAME:
        raise UploadError(f"refused file name {base or name!r}: use a plain name like notes.md")
    if any(ch in '<>:"|?*' or unicodedata.category(ch) in _REFUSED_CATEGORIES for ch in base):
        raise UploadError(
            f"refused file name {base!r}: it contains control, direction or other characters "
            "file names cannot have"
        )
    if Path(base).suffix.lower() not in suffixes:
        raise UploadError(f"refused {base!r}: only {', '.join(suffixes)} files")
    return base


def versioned_name(name: str, taken: set[str]) -> str:
    """``name``, or ``stem-2.suffix``, ``stem-3.suffix``... when it is taken (by an earlier
    upload or an indexed document), so an upload never replaces or poses as another file."""
    if name.casefold() not in taken:
        return name
    path = Path(name)
    number = 2
    while f"{path.stem}-{number}{path.suffix}".casefold() in taken:
        number += 1
    return f"{path.stem}-{number}{path.suffix}"


def check_uploads(
    paths: Sequence[str],
    suffixes: Sequence[str] = UPLOAD_SUFFIXES,
    magic: Mapping[str, bytes] = UPLOAD_MAGIC,
) -> list[tuple[str, bytes]]:
    """Every file's name, size and kind checked, and the batch's count and total size, before
    any is saved; returns (name, bytes) pairs. ``magic`` maps a binary suffix (``.pdf``) to the
    bytes such a file must begin with; every other type is text and may hold no NUL bytes."""
    if len(paths) > MAX_UPLOAD_FILES:
        raise UploadError(f"{len(paths)} files at once; the limit is {MAX_UPLOAD_FILES}")
    checked: list[tuple[str, bytes]] = []
    total = 0
    for path in paths:
        name = safe_upload_name(Path(path).name, suffixes)
        size = Path(path).stat().st_size
        if size > MAX_UPLOAD_BYTES:
            raise UploadError(
                f"{name} is {size / 1e6:.1f} MB; the limit is "
                f"{MAX_UPLOAD_BYTES // (1024 * 1024)} MB a file"
            )
        total += size
        if total > MAX_UPLOAD_TOTAL_BYTES:
            raise UploadError(
                f"the files add up to more than {MAX_UPLOAD_TOTAL_BYTES // (1024 * 1024)} MB; "
                "add them in smaller batches"
            )
        data = Path(path).read_bytes()
        start = magic.get(Path(name).suffix.lower())
        if start is not None and not data.startswith(start):
            raise UploadError(f"{name} is not a {Path(name).suffix.lower()} file")
        text = start is None
        if text and b"\x00" in data and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
            raise UploadError(f"{name} does not look like a text file")
        checked.append((name, data))
    return checked


def save_uploads(
    paths: Sequence[str],
    folder: Path,
    suffixes: Sequence[str] = UPLOAD_SUFFIXES,
    taken: set[str] | None = None,
    magic: Mapping[str, bytes] = UPLOAD_MAGIC,
) -> list[str]:
    """Check every file first, then save them all into ``folder`` under names no earlier upload
    or indexed document has (see versioned_name); returns the names saved. A failed write
    (disk full) removes its partial file and raises a one-line StorageError."""
    checked = check_uploads(paths, suffixes, magic)
    with writing(folder):
        folder.mkdir(parents=True, exist_ok=True)
    taken = {n.casefold() for n in (taken or set())}
    taken |= {p.name.casefold() for p in folder.iterdir()}
    saved = []
    for name, data in checked:
        name = versioned_name(name, taken)
        taken.add(name.casefold())
        handle, partial = tempfile.mkstemp(dir=folder, prefix=PARTIAL_PREFIX)
        with writing(folder / name, cleanup=Path(partial)):
            with os.fdopen(handle, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(partial, 0o644)  # readable like any file the user copied there
            os.replace(partial, folder / name)
        saved.append(name)
    return saved


@dataclass
class UploadOutcome:
    """What became of one batch: indexed and skipped file names (with reasons)."""

    indexed: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    passages: int = 0
    documents: int = 0
    copies: dict[str, int] = field(default_factory=dict)
    """Paragraphs per file left out for repeating an indexed document."""

    def message(self) -> str:
        parts = []
        if self.indexed:
            parts.append(
                f"Added {', '.join(self.indexed)}: now {self.passages} passages from "
                f"{self.documents} documents. Ask away."
            )
        for name, count in self.copies.items():
            parts.append(
                f"{count} paragraph{'s' if count > 1 else ''} of {name} repeat the indexed "
                "documents and are answered from those, not from the upload."
            )
        for name, reason in self.skipped.items():
            parts.append(f"Skipped {name}: {reason}.")
        return " ".join(parts) or "Nothing was added."


MAX_READING_SECONDS = 30.0
"""Reading one upload (before it is indexed) is stopped after this long. The largest files an
upload may be (2 MB of text, PDF or DOCX) read in under 3 s here; issue 29's 131 KB DOCX of a
million empty paragraphs took 6 minutes."""
MAX_READING_MEMORY = 1536 * 1024 * 1024
"""Address space the reading process may take (the same DOCX took 1 GB above the server's own)."""


def _count_sentences(path: str) -> int:
    """Sentences in the file once read (run in the reading process)."""
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (MAX_READING_MEMORY, MAX_READING_MEMORY))
    from assistant.ingest.chunking import split_paragraph
    from assistant.ingest.documents import read_corpus

    corpus = read_corpus([Path(path)])
    parts = (  # a sentence longer than a passage counts once per piece, as each is embedded
        part
        for document in corpus.documents
        for paragraph in document.paragraphs
        for part in split_paragraph(paragraph.text, paragraph.sentences)
    )
    return sum(len(part.sentences) for part in parts)


def _sentence_count_or_reason(
    path: Path, seconds: float = MAX_READING_SECONDS
) -> tuple[int, str | None]:
    """How many sentences the file holds once read, or why it cannot be indexed.

    The file is read in a process of its own, stopped after ``seconds`` or when it needs more
    than MAX_READING_MEMORY, so a file built to be slow or huge to read (a zip bomb, a million
    empty paragraphs) costs a bounded amount whatever its format.
    """
    import multiprocessing

    from assistant.errors import CorpusError

    with multiprocessing.get_context("spawn").Pool(1) as pool:  # leaving it kills the reader
        reading = pool.apply_async(_count_sentences, (str(path),))
        try:
            return reading.get(timeout=seconds), None
        except CorpusError:
            return 0, "no readable text (empty, binary or unreadable)"
        except multiprocessing.TimeoutError:
            return 0, f"reading it took longer than {seconds:.0f} s"
        except MemoryError:
            return 0, "reading it needed more memory than an upload may use"


class UploadWorker:
    """Indexes uploads one batch at a time on a thread of its own, while the loaded index keeps
    answering; the assistant swaps in the new index when a batch is done."""

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant
        self.folder = uploads_dir(assistant.index_dir)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="uploads")
        self._progress: dict[str, float] = {}
        self._lock = threading.Lock()

    def submit(self, names: list[str]) -> Future[UploadOutcome]:
        return self._executor.submit(self._index, names)

    def progress(self) -> tuple[float, str]:
        """(fraction done, stage) of the batch being indexed."""
        with self._lock:
            stage, fraction = next(iter(self._progress.items()), ("waiting", 0.0))
        return fraction, stage

    def recover(self, index_pending: bool = True) -> Future[UploadOutcome] | None:
        """Finish what a crash interrupted: remove partial files, and (``index_pending``) index
        files saved into the uploads folder that the index does not hold yet."""
        if not self.folder.is_dir():
            return None
        remove_leftovers(self.folder, [f"{PARTIAL_PREFIX}*"])
        folder = self.folder.resolve()
        known = {
            Path(record["file"]).name
            for key in ("sources", "skipped")
            for record in self.assistant.manifest.get(key, [])
            if "file" in record and Path(record["file"]).resolve().parent == folder
        }
        pending = sorted(p.name for p in folder.iterdir() if p.is_file() and p.name not in known)
        if not pending or not index_pending:
            return None
        log.warning("indexing %d upload(s) a restart interrupted: %s", len(pending), pending)
        return self.submit(pending)

    def shutdown(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)

    def _report(self, stage: str, done: int, total: int, started: float) -> None:
        if time.monotonic() - started > MAX_INDEXING_SECONDS:
            raise UploadTimeoutError(
                f"indexing took longer than {MAX_INDEXING_SECONDS:.0f} s and was stopped; "
                "add a smaller file"
            )
        with self._lock:
            self._progress = {stage: done / max(total, 1)}

    def _index(self, names: list[str]) -> UploadOutcome:
        outcome = UploadOutcome()
        for name in names:
            count, reason = _sentence_count_or_reason(self.folder / name)
            if reason is None and count > MAX_UPLOAD_SENTENCES:
                reason = f"{count} sentences; the limit is {MAX_UPLOAD_SENTENCES} a file"
            if reason is None:
                outcome.indexed.append(name)
            else:
                outcome.skipped[name] = reason
                (self.folder / name).unlink(missing_ok=True)  # never indexed later either
        if not outcome.indexed:
            return outcome
        started = time.monotonic()
        progress: Callable[[str, int, int], None] = lambda stage, done, total: self._report(  # noqa: E731
            stage, done, total, started
        )
        try:
            report: Any = self.assistant.add_documents([self.folder], progress=progress)
        except AssistantError:
            for name in outcome.indexed:
                (self.folder / name).unlink(missing_ok=True)
            raise
        finally:
            with self._lock:
                self._progress = {}
        outcome.passages, outcome.documents = report.passages, report.documents
        copies = self.assistant.manifest.get("upload_copies", {})
        outcome.copies = {name: copies[name] for name in outcome.indexed if name in copies}
        return outcome


VISITOR_UPLOAD_BYTES = 2 * MAX_UPLOAD_TOTAL_BYTES
"""What one visitor (client address) may send to the upload routes within STORAGE_WINDOW_SECONDS:
two full batches."""
ALL_UPLOAD_BYTES = 8 * MAX_UPLOAD_TOTAL_BYTES
"""What all visitors together may send within STORAGE_WINDOW_SECONDS (64 MB of temporary copies
at most, whatever the number of visitors)."""
STORAGE_WINDOW_SECONDS = 1200.0
"""Gradio removes its temporary copies older than ten minutes every ten minutes (ui.app's
GRADIO_CACHE_SECONDS), so a copy lives at most twenty; the chat removes a batch's copies as
soon as it is saved into the index."""


class UploadLedger:
    """Bytes sent to the upload routes over the last STORAGE_WINDOW_SECONDS, per visitor and in
    all, so temporary storage stays bounded however many requests arrive."""

    def __init__(
        self,
        per_visitor: int = VISITOR_UPLOAD_BYTES,
        total: int = ALL_UPLOAD_BYTES,
        window: float = STORAGE_WINDOW_SECONDS,
    ) -> None:
        self.per_visitor, self.total, self.window = per_visitor, total, window
        self._sent: list[tuple[float, str, int]] = []
        self._lock = threading.Lock()

    def admit(self, visitor: str, size: int) -> str | None:
        """Record ``size`` bytes from ``visitor``, or say why they are refused."""
        now = time.monotonic()
        with self._lock:
            self._sent = [entry for entry in self._sent if now - entry[0] < self.window]
            mine = sum(n for _, who, n in self._sent if who == visitor)
            everyone = sum(n for _, _, n in self._sent)
            minutes = round(self.window / 60)
            if mine + size > self.per_visitor:
                return (
                    f"you have sent {self.per_visitor // (1024 * 1024)} MB of uploads in "
                    f"{minutes} minutes, the most one visitor may; try again later"
                )
            if everyone + size > self.total:
                return "the server's upload storage is full for now; try again in a few minutes"
            self._sent.append((now, visitor, size))
        return None


class UploadGate:
    """ASGI middleware in front of Gradio's upload routes (``/gradio_api/upload`` among them).

    Without ``--allow-upload`` every one is closed, so nothing is written to Gradio's temp
    folder, where other Gradio servers on the machine could read it back. With it, a request
    larger than one batch may be (MAX_UPLOAD_TOTAL_BYTES), or beyond what its visitor or all
    visitors may store for now (UploadLedger), is refused before it is read. Calls that name a
    file are ``ui.calls.CallGate``'s.
    """

    UPLOAD_ROUTES = ("/upload", "/process_recording")
    MULTIPART_OVERHEAD = 64 * 1024

    def __init__(self, app: Any, allow: bool = False, ledger: UploadLedger | None = None) -> None:
        self.app = app
        self.allow = allow
        self.ledger = ledger or UploadLedger()

    @classmethod
    def middleware(cls, allow: bool, ledger: UploadLedger | None = None) -> Any:
        from starlette.middleware import Middleware

        return Middleware(cls, allow=allow, ledger=ledger)

    @classmethod
    def is_upload(cls, scope: dict) -> bool:
        return scope["type"] == "http" and scope["path"].rstrip("/").endswith(cls.UPLOAD_ROUTES)

    def _refusal(self, scope: dict) -> tuple[int, str] | None:
        if not self.is_upload(scope):
            return None
        if not self.allow:
            return 403, "uploads are off on this server"
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length", b"")
        if not length.isdigit():
            return 411, "an upload must say its length"
        if int(length) > MAX_UPLOAD_TOTAL_BYTES + self.MULTIPART_OVERHEAD:
            return 413, f"uploads are limited to {MAX_UPLOAD_TOTAL_BYTES // (1024 * 1024)} MB"
        visitor = (scope.get("client") or ("unknown", 0))[0]
        refused = self.ledger.admit(visitor, int(length))
        return None if refused is None else (429, refused)

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        refusal = self._refusal(scope)
        if refusal is None:
            await self.app(scope, receive, send)
            return
        from starlette.responses import PlainTextResponse

        status, message = refusal
        await PlainTextResponse(message, status_code=status)(scope, receive, send)
