"""What a document is once read: its title, sections and numbered paragraphs, the file it came
from, and the language and date it is annotated with. The readers (plain text in
``ingest.documents``, HTML, PDF and Word in ``ingest.formats``) all produce these.

A Document keeps what a citation needs: the title, and each body paragraph with its number
(1-based, body paragraphs only), its section heading, its text as it stands in the source
(hard-wrapped lines joined) and the source lines it came from.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from assistant.ingest.chunking import Sentence

MAX_HEADING_CHARS = 40
"""A plain-text line longer than this is prose, not a heading (the seed's longest heading is
17 characters; its shortest paragraph over 80)."""


@dataclass(frozen=True)
class FileState:
    """A file as it was when read: its size and mtime (from before the read) and the sha256 of
    the bytes actually read, so a later change is noticed even if it raced the read."""

    file: str
    size: int
    mtime_ns: int
    sha256: str | None = None

    def to_dict(self) -> dict[str, object]:
        record: dict[str, object] = {
            "file": self.file,
            "size": self.size,
            "mtime_ns": self.mtime_ns,
        }
        if self.sha256 is not None:
            record["sha256"] = self.sha256
        return record


@dataclass(frozen=True)
class Paragraph:
    """One body paragraph: the unit of citation."""

    number: int
    text: str
    section: str | None
    sentences: tuple[Sentence, ...]
    first_line: int
    last_line: int
    page: int | None = None
    """The page it starts on, for documents that have pages (PDF)."""
    code: bool = False
    """A code block (HTML <pre>): kept whole, shown as code."""


@dataclass
class Document:
    """A text file read into title, sections and numbered paragraphs."""

    title: str
    source: str
    text: str
    paragraphs: list[Paragraph] = field(default_factory=list)
    state: FileState | None = None
    """The file it was read from, as it was then: for judging later whether it changed."""
    lang: str | None = None
    """Language of the text (``ja``, ``en``, ``ko``, ...; see assistant.metadata)."""
    date: str | None = None
    """The document's date as ISO (``2025-04-03``): from its text, else inferred (below)."""
    date_inferred: bool = False
    """Whether ``date`` came from the file name or a dateline without a year rather than a full
    date in the text (an index built without ``Config.inferred_dates`` drops it)."""
    url: str | None = None
    """The web address it was fetched from, for documents read from a URL."""


def annotate(document: Document) -> Document:
    """Fill in the language and date a document does not state otherwise: from its text, and
    the date from its file name when the text names none with a year, or else from a dateline
    without a year and the one year the text names (dates.dateline_date)."""
    from assistant.ingest.dates import date_in_name, dateline_date, document_date
    from assistant.text import detect_language

    if document.lang is None:
        document.lang = detect_language(document.text)
    if document.date is None:
        document.date = document_date(document.text)
        if document.date is None:
            document.date = date_in_name(file_name(document.source)) or dateline_date(document.text)
            document.date_inferred = document.date is not None
    return document


def file_name(source: str) -> str:
    """The file name of a recorded source path, whichever separator it was recorded with."""
    return source.replace("\\", "/").rsplit("/", 1)[-1]
