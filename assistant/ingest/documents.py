"""Reading files into Documents: encodings, formats, titles, section headings and paragraphs.

A Document keeps what a citation needs: the title, and each body paragraph with its number
(1-based, body paragraphs only), its section heading, its text as it stands in the source
(hard-wrapped lines joined) and the source lines it came from.
"""

from __future__ import annotations

import codecs
import hashlib
import logging
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from assistant.errors import CorpusError
from assistant.ingest.chunking import (
    Sentence,
    ends_sentence,
    has_sentence_punctuation,
    is_broken_continuation,
    is_cjk,
    join_lines,
    split_sentences,
)

log = logging.getLogger(__name__)

TEXT_SUFFIXES = (".txt", ".md", ".markdown", ".text")
FORMAT_SUFFIXES = (".html", ".htm", ".xhtml", ".pdf", ".docx")
"""Read by the modules in assistant/formats (HTML, PDF, Word) rather than as text."""
SUPPORTED_SUFFIXES = TEXT_SUFFIXES + FORMAT_SUFFIXES
"""File types read from folders; a file named explicitly is read whatever its suffix."""

MAX_HEADING_CHARS = 40
"""A plain-text line longer than this is prose, not a heading (the seed's longest heading is
17 characters; its shortest paragraph over 80)."""

MAX_TITLE_CHARS = 200
"""A first line up to this long that stands alone and ends no sentence is the title: English
titles of official readouts run to 130 characters ("Secretary Blinken's Trilateral Meeting with
Japanese Foreign Minister Hayashi and Republic of Korea Foreign Minister Park")."""

MAX_FILE_BYTES = 20 * 1024 * 1024
"""Larger files are skipped with a warning: an index is for reading, not for dumps."""
MAX_BINARY_FILE_BYTES = 100 * 1024 * 1024
"""The same for PDF and Word files, whose pictures and fonts take most of their bytes."""


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


# --------------------------------------------------------------------------------------------
# Bytes to text

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


JAPANESE_ENCODINGS = ("cp932", "euc_jp")
"""Legacy Japanese encodings tried strictly before any guessing: CP932 is the superset of
Shift_JIS that Windows writes (①, ～ and the NEC/IBM extensions), so it reads Shift_JIS too.
charset-normalizer alone read short Shift_JIS and EUC-JP texts as Korean, and found no
encoding at all for CP932 text with ① and ～ (measured on made-up texts)."""

MIN_KANA_SHARE = 0.1
"""A legacy decoding counts as Japanese when kana are at least this share of its non-ASCII
letters: Japanese prose runs 40-70 % kana, while Korean or Chinese bytes read as EUC-JP come
out as kanji with next to no kana."""

MAX_ODD_SHARE = 0.01
"""Characters no real text is made of (controls, private use, U+FFFD, stray Hangul in a
Japanese decoding) above this share mean the decoding is wrong or the file is binary."""


def _is_kana(ch: str) -> bool:
    return "\u3041" <= ch <= "\u30ff" and ch not in "\u30fb"


def _is_odd(ch: str) -> bool:
    """Characters that betray a wrong decoding or a binary file."""
    code = ord(ch)
    return (
        (code < 0x20 and ch not in "\t\n\r\f\v")
        or 0x7F <= code <= 0x9F
        or 0xE000 <= code <= 0xF8FF  # private use
        or code == 0xFFFD
        or 0xD800 <= code <= 0xDFFF
    )


def _odd_share(text: str) -> float:
    return sum(1 for ch in text if _is_odd(ch)) / max(1, len(text))


def _kana_share(text: str) -> float:
    letters = [ch for ch in text if ord(ch) > 0x7F and ch.isalpha()]
    return sum(1 for ch in letters if _is_kana(ch)) / max(1, len(letters))


def _as_japanese(data: bytes) -> str | None:
    """The best strict legacy-Japanese decoding that looks like Japanese text, if any."""
    best: tuple[float, str] | None = None
    for encoding in JAPANESE_ENCODINGS:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        hangul = sum(1 for ch in text if "\uac00" <= ch <= "\ud7af" or "\u3130" <= ch <= "\u318f")
        odd = _odd_share(text) + hangul / max(1, len(text))
        kana = _kana_share(text)
        if odd > MAX_ODD_SHARE or kana < MIN_KANA_SHARE:
            continue
        if best is None or kana - odd > best[0]:
            best = (kana - odd, text)
    return best[1] if best else None


def _as_utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 written without a byte-order mark (NUL bytes are half of its ASCII): accepted only
    when it reads as clean text, so binary files with NULs are still refused."""
    if len(data) % 2:
        return None
    for encoding in ("utf-16-le", "utf-16-be"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        plain = sum(1 for ch in text if ch.isascii() and (ch.isprintable() or ch in "\n\r\t"))
        if _odd_share(text) == 0 and (plain + sum(map(_is_kana, text))) / len(text) > 0.3:
            return text
    return None


def decode_bytes(data: bytes) -> str | None:
    """Decode a file's bytes, or None when they are not text.

    A byte-order mark decides first, then strict UTF-8 (or ISO-2022-JP, which is 7-bit), then
    the legacy Japanese encodings (see JAPANESE_ENCODINGS), and only then does
    charset-normalizer guess. Any decoding with control or private-use characters is refused:
    that is a binary file.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError:
                return None
            return text if _odd_share(text) <= MAX_ODD_SHARE and "\x00" not in text else None
    if b"\x00" in data:
        return _as_utf16_without_bom(data)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is not None:
        if "\x1b$B" in text or "\x1b$@" in text:
            try:
                text = data.decode("iso2022_jp")
            except UnicodeDecodeError:
                return None
        return text if _odd_share(text) <= MAX_ODD_SHARE else None
    japanese = _as_japanese(data)
    if japanese is not None:
        return japanese
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        return None
    text = str(best)
    return text if _odd_share(text) <= MAX_ODD_SHARE else None


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


def read_bytes(path: Path, limit: int = MAX_FILE_BYTES) -> tuple[bytes | None, FileState | None]:
    """A file's bytes (None, with a one-line warning, when it is unreadable, empty or larger
    than ``limit``) and its state (None when it cannot even be looked at)."""
    try:
        stat = path.stat()
    except OSError as exc:
        log.warning("skipped %s: cannot read it (%s)", path, exc.strerror or exc)
        return None, None
    state = FileState(str(path.absolute()), stat.st_size, stat.st_mtime_ns)
    if stat.st_size > limit:
        log.warning("skipped %s: larger than %d MB", path, limit // 2**20)
        return None, state
    try:
        data = path.read_bytes()
    except OSError as exc:
        log.warning("skipped %s: cannot read it (%s)", path, exc.strerror or exc)
        return None, state
    if not data.strip():
        log.warning("skipped %s: empty file", path)
        return None, state
    return data, state


def read_file(path: Path) -> tuple[str | None, FileState | None]:
    """The text of a file (None, with a one-line warning, when it is not readable text) and
    its state (None when it cannot even be looked at)."""
    data, state = read_bytes(path)
    if data is None or state is None:
        return None, state
    text = decode_bytes(data)
    if text is None:
        log.warning("skipped %s: not a text file", path)
        return None, state
    state = FileState(state.file, state.size, state.mtime_ns, hashlib.sha256(data).hexdigest())
    return text.replace("\r\n", "\n").replace("\r", "\n"), state


def read_document(
    path: Path, source: str | None = None
) -> tuple[Document | None, FileState | None]:
    """A file read into a Document by its suffix: HTML, PDF and Word through
    assistant.formats, anything else as text. None (with a one-line warning saying why) when
    the file holds no usable text; the state as for read_file."""
    suffix = path.suffix.lower()
    source = source or display_path(path)
    if suffix not in FORMAT_SUFFIXES:
        text, state = read_file(path)
        return (parse_document(text, source) if text is not None else None), state
    from assistant.ingest.formats import UnreadableFile, document_from_blocks, read_format

    limit = MAX_FILE_BYTES if suffix in (".html", ".htm", ".xhtml") else MAX_BINARY_FILE_BYTES
    data, state = read_bytes(path, limit)
    if data is None or state is None:
        return None, state
    try:
        extracted = read_format(suffix, data)
    except UnreadableFile as exc:
        log.warning("skipped %s: %s", source if source.startswith("http") else path, exc)
        return None, state
    state = FileState(state.file, state.size, state.mtime_ns, hashlib.sha256(data).hexdigest())
    return document_from_blocks(extracted, source), state


# --------------------------------------------------------------------------------------------
# Text to structure

_MD_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")


@dataclass
class _Block:
    lines: list[str]
    first_line: int  # 1-based
    last_line: int

    @property
    def text(self) -> str:
        return join_lines(self.lines)


def _blocks(lines: list[str], markdown: bool) -> Iterator[_Block]:
    """Runs of non-blank lines; in Markdown a heading line is always a block of its own."""
    current: list[str] = []
    start = 0
    for number, line in enumerate(lines, start=1):
        if not line.strip() or (markdown and _MD_HEADING.match(line)):
            if current:
                yield _Block(current, start, number - 1)
                current = []
            if line.strip():
                yield _Block([line], number, number)
            continue
        if not current:
            start = number
        current.append(line)
    if current:
        yield _Block(current, start, len(lines))


def _heading_text(block: _Block, markdown: bool) -> str | None:
    """The heading a block stands for, or None when it is body text."""
    if markdown:
        match = _MD_HEADING.match(block.lines[0]) if len(block.lines) == 1 else None
        return (match.group(2).strip() or None) if match else None
    if block.lines[0].lstrip().startswith("#"):
        return None  # plain text: a line starting with # is text (a comment), not a heading
    text = block.text
    if (
        len(block.lines) == 1
        and len(text) <= MAX_HEADING_CHARS
        and not has_sentence_punctuation(text)
        and not text.endswith((":", "：", "、", ","))
    ):
        return text
    return None


def _plain_title(block: _Block, markdown: bool) -> str | None:
    """Plain text: a short first line that is not a sentence is the title."""
    text = block.text
    if markdown or len(block.lines) != 1 or len(text) > MAX_TITLE_CHARS:
        return None
    return None if ends_sentence(text) or text.startswith("#") else text


def _join_blocks(first: str, second: str) -> str:
    first, second = first.rstrip(), second.lstrip()
    if is_cjk(first[-1]) or is_cjk(second[0]):
        return first + second
    return first + " " + second


def parse_document(text: str, source: str) -> Document:
    """Split text into title, section headings and numbered body paragraphs.

    The title is a Markdown heading or a short first line that is not a sentence (else the
    file name). Section headings are Markdown headings (.md/.markdown only) or, in plain text,
    short one-line blocks without sentence punctuation; in plain text a line starting with
    ``#`` is text (a comment in a help file), never a heading.
    A paragraph split by a stray blank line mid-sentence is joined back
    (see :func:`assistant.chunking.is_broken_continuation`).
    """
    markdown = source.lower().endswith((".md", ".markdown"))
    lines = text.split("\n")
    if lines and lines[0].startswith("\ufeff"):
        lines[0] = lines[0][1:]
    blocks = list(_blocks(lines, markdown))
    title: str | None = None
    title_block: _Block | None = None
    section: str | None = None
    bodies: list[tuple[str, str | None, int, int]] = []  # text, section, first, last line
    for index, block in enumerate(blocks):
        heading = _heading_text(block, markdown)
        if index == 0:
            title = heading if heading is not None else _plain_title(block, markdown)
            if title is not None:
                title_block = block
                continue
        if heading is not None:
            section = heading
            continue
        body = block.text
        if not body:
            continue
        previous = bodies[-1] if bodies else None
        if previous and previous[1] == section and is_broken_continuation(previous[0], body):
            bodies[-1] = (_join_blocks(previous[0], body), section, previous[2], block.last_line)
        else:
            bodies.append((body, section, block.first_line, block.last_line))
    if not bodies and title_block is not None and not markdown:
        # A one-line plain-text file: its line is the text, not a title over nothing.
        bodies.append((title_block.text, None, title_block.first_line, title_block.last_line))
        title = None
    if title is None:
        title = Path(source).stem
    paragraphs = [
        Paragraph(number, body, sec, tuple(split_sentences(body)), first, last)
        for number, (body, sec, first, last) in enumerate(bodies, start=1)
    ]
    document = Document(title=title, source=source, text=text, paragraphs=paragraphs)
    annotate(document)
    return document


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


# --------------------------------------------------------------------------------------------
# Paths to documents


def file_name(source: str) -> str:
    """The file name of a recorded source path, whichever separator it was recorded with."""
    return source.replace("\\", "/").rsplit("/", 1)[-1]


def display_path(path: Path) -> str:
    """The path as a user would recognise it: relative to the working directory if inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def iter_files(paths: Iterable[str | os.PathLike[str]]) -> Iterator[Path]:
    """Files to index: named files, and supported files found recursively in named folders.

    Raises CorpusError for a path that does not exist. Symbolic links to folders are not
    followed (no loops); files are visited once each, in a stable order.
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    seen: set[Path] = set()
    for raw in paths:
        path = Path(raw).expanduser()
        if not path.exists():
            raise CorpusError(f"no such file or folder: {raw}")
        if path.is_file():
            candidates: Iterable[Path] = [path]
        else:
            candidates = sorted(
                p
                for p in path.rglob("*")
                if p.suffix.lower() in SUPPORTED_SUFFIXES
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
        for candidate in candidates:
            try:
                key = candidate.resolve(strict=True)
            except (OSError, RuntimeError):
                log.warning("skipped %s: broken or looping link", candidate)
                continue
            if key in seen or not key.is_file():
                continue
            seen.add(key)
            yield candidate


@dataclass
class Corpus:
    """What reading a set of paths found: the documents, and the files visited but skipped
    (binary, empty, unreadable or without paragraphs) with their states, so staleness can be
    judged later."""

    documents: list[Document]
    skipped: list[Path]
    skipped_states: list[FileState] = field(default_factory=list)


def read_corpus(paths: Iterable[str | os.PathLike[str]]) -> Corpus:
    """Read every readable text file under ``paths`` (unreadable ones are skipped with a
    one-line warning). Raises CorpusError for a missing path or when nothing readable is found."""
    paths = [paths] if isinstance(paths, (str, os.PathLike)) else list(paths)
    corpus = Corpus([], [])
    for path in iter_files(paths):
        document, state = read_document(path)
        if document is not None and not document.paragraphs:
            log.warning("skipped %s: no paragraphs of text", path)
            document = None
        if document is None:
            corpus.skipped.append(path)
            if state is not None:
                corpus.skipped_states.append(FileState(state.file, state.size, state.mtime_ns))
            continue
        document.state = state
        corpus.documents.append(document)
    if not corpus.documents:
        raise CorpusError(
            "no readable documents (.txt, .md, .html, .pdf, .docx) found in: "
            + ", ".join(map(str, paths))
        )
    return corpus


def load_documents(paths: Iterable[str | os.PathLike[str]]) -> list[Document]:
    """Read every readable text file under ``paths`` into Documents (see read_corpus)."""
    return read_corpus(paths).documents
