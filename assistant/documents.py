"""Reading files into Documents: encodings, formats, titles, section headings and paragraphs.

A Document keeps what a citation needs: the title, and each body paragraph with its number
(1-based, body paragraphs only), its section heading, its text as it stands in the source
(hard-wrapped lines joined) and the source lines it came from.
"""

from __future__ import annotations

import codecs
import logging
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from assistant.chunking import (
    Sentence,
    has_sentence_punctuation,
    is_broken_continuation,
    is_cjk,
    join_lines,
    split_sentences,
)
from assistant.errors import CorpusError

log = logging.getLogger(__name__)

SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".text")
"""File types read from folders; a file named explicitly is read whatever its suffix."""

MAX_HEADING_CHARS = 40
"""A plain-text line longer than this is prose, not a heading (the seed's longest heading is
17 characters; its shortest paragraph over 80)."""

MAX_FILE_BYTES = 20 * 1024 * 1024
"""Larger files are skipped with a warning: an index is for reading, not for dumps."""


@dataclass(frozen=True)
class Paragraph:
    """One body paragraph: the unit of citation."""

    number: int
    text: str
    section: str | None
    sentences: tuple[Sentence, ...]
    first_line: int
    last_line: int


@dataclass
class Document:
    """A text file read into title, sections and numbered paragraphs."""

    title: str
    source: str
    text: str
    paragraphs: list[Paragraph] = field(default_factory=list)

    @property
    def sections(self) -> list[str]:
        seen: list[str] = []
        for p in self.paragraphs:
            if p.section and p.section not in seen:
                seen.append(p.section)
        return seen


# --------------------------------------------------------------------------------------------
# Bytes to text

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def _kana_count(text: str) -> int:
    return sum(1 for ch in text if "\u3040" <= ch <= "\u30ff")


def decode_bytes(data: bytes) -> str | None:
    """Decode a file's bytes, or None when they are not text.

    A byte-order mark decides first, then strict UTF-8; otherwise charset-normalizer detects
    the encoding. When several encodings fit equally well (short Japanese texts can decode as
    EUC-JP and as a Korean code page), the one whose text holds the most kana wins.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is not None:
        return None if "\x00" in text else text
    from charset_normalizer import from_bytes

    matches = list(from_bytes(data))
    if not matches:
        return None
    least_chaos = min(m.chaos for m in matches)
    best = max((m for m in matches if m.chaos == least_chaos), key=lambda m: _kana_count(str(m)))
    text = str(best)
    return None if "\x00" in text else text


def read_text(path: Path) -> str | None:
    """The text of a file, or None (with a one-line warning) when it is not readable text."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            log.warning("skipped %s: larger than %d MB", path, MAX_FILE_BYTES // 2**20)
            return None
        data = path.read_bytes()
    except OSError as exc:
        log.warning("skipped %s: cannot read it (%s)", path, exc.strerror or exc)
        return None
    if not data.strip():
        log.warning("skipped %s: empty file", path)
        return None
    text = decode_bytes(data)
    if text is None:
        log.warning("skipped %s: not a text file", path)
        return None
    return text.replace("\r\n", "\n").replace("\r", "\n")


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


def _blocks(lines: list[str]) -> Iterator[_Block]:
    """Runs of non-blank lines; a Markdown heading line is always a block of its own."""
    current: list[str] = []
    start = 0
    for number, line in enumerate(lines, start=1):
        if not line.strip() or _MD_HEADING.match(line):
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
    match = _MD_HEADING.match(block.lines[0]) if len(block.lines) == 1 else None
    if match:
        return match.group(2).strip() or None
    if markdown:
        return None
    text = block.text
    if len(block.lines) == 1 and len(text) <= MAX_HEADING_CHARS:
        if not has_sentence_punctuation(text) and not text.endswith((":", "：", "、", ",")):
            return text
    return None


def _join_blocks(first: str, second: str) -> str:
    first, second = first.rstrip(), second.lstrip()
    if is_cjk(first[-1]) or is_cjk(second[0]):
        return first + second
    return first + " " + second


def parse_document(text: str, source: str) -> Document:
    """Split text into title, section headings and numbered body paragraphs.

    The title is the first Markdown ``#`` heading or the first line. Section headings are
    Markdown headings or, in plain text, short one-line blocks without sentence punctuation.
    A paragraph split by a stray blank line mid-sentence is joined back
    (see :func:`assistant.chunking.is_broken_continuation`).
    """
    markdown = source.lower().endswith((".md", ".markdown"))
    lines = text.split("\n")
    if lines and lines[0].startswith("\ufeff"):
        lines[0] = lines[0][1:]
    blocks = list(_blocks(lines))
    title: str | None = None
    section: str | None = None
    bodies: list[tuple[str, str | None, int, int]] = []  # text, section, first, last line
    for index, block in enumerate(blocks):
        heading = _heading_text(block, markdown)
        if title is None:
            if heading is not None:
                title = heading
                continue
            if not markdown and len(block.lines) == 1 and len(block.text) <= 2 * MAX_HEADING_CHARS:
                title = block.text  # plain text: the first line is the title
                continue
        if heading is not None and index > 0:
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
    if title is None:
        title = Path(source).stem
    paragraphs = [
        Paragraph(number, body, sec, tuple(split_sentences(body)), first, last)
        for number, (body, sec, first, last) in enumerate(bodies, start=1)
    ]
    return Document(title=title, source=source, text=text, paragraphs=paragraphs)


# --------------------------------------------------------------------------------------------
# Paths to documents


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
    seen: set[Path] = set()
    for raw in paths:
        path = Path(raw).expanduser()
        if not path.exists():
            raise CorpusError(f"no such file or folder: {raw}")
        if path.is_file():
            candidates: Iterable[Path] = [path]
        else:
            candidates = sorted(
                p for p in path.rglob("*")
                if p.suffix.lower() in SUPPORTED_SUFFIXES and not any(
                    part.startswith(".") for part in p.relative_to(path).parts)
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


def load_documents(paths: Iterable[str | os.PathLike[str]]) -> list[Document]:
    """Read every readable text file under ``paths`` into Documents (unreadable ones are
    skipped with a warning). Raises CorpusError when nothing readable is found."""
    documents = []
    for path in iter_files(paths):
        text = read_text(path)
        if text is None:
            continue
        document = parse_document(text, display_path(path))
        if not document.paragraphs:
            log.warning("skipped %s: no paragraphs of text", path)
            continue
        documents.append(document)
    if not documents:
        raise CorpusError("no readable .txt or .md text found in: " + ", ".join(map(str, paths)))
    return documents
