"""Reading files into Documents: encodings, formats, titles, section headings and paragraphs.

A Document keeps what a citation needs: the title, and each body paragraph with its number
(1-based, body paragraphs only), its section heading, its text as it stands in the source
(hard-wrapped lines joined) and the source lines it came from.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from assistant.errors import CorpusError
from assistant.ingest.chunking import (
    ends_sentence,
    has_sentence_punctuation,
    is_broken_continuation,
    is_cjk,
    join_lines,
    split_sentences,
)
from assistant.ingest.encodings import decode_bytes
from assistant.ingest.structure import (
    MAX_HEADING_CHARS,
    Document,
    FileState,
    Paragraph,
    annotate,
    file_name,
)

__all__ = [
    "MAX_HEADING_CHARS",
    "Document",
    "FileState",
    "Paragraph",
    "annotate",
    "decode_bytes",
    "file_name",
]

log = logging.getLogger(__name__)

TEXT_SUFFIXES = (".txt", ".md", ".markdown", ".text")
FORMAT_SUFFIXES = (".html", ".htm", ".xhtml", ".pdf", ".docx")
"""Read by the modules in assistant/formats (HTML, PDF, Word) rather than as text."""
SUPPORTED_SUFFIXES = TEXT_SUFFIXES + FORMAT_SUFFIXES
"""File types read from folders; a file named explicitly is read whatever its suffix."""


MAX_TITLE_CHARS = 200
"""A first line up to this long that stands alone and ends no sentence is the title: English
titles of official readouts run to 130 characters ("Secretary Blinken's Trilateral Meeting with
Japanese Foreign Minister Hayashi and Republic of Korea Foreign Minister Park")."""

MAX_FILE_BYTES = 20 * 1024 * 1024
"""Larger files are skipped with a warning: an index is for reading, not for dumps."""
MAX_BINARY_FILE_BYTES = 100 * 1024 * 1024
"""The same for PDF and Word files, whose pictures and fonts take most of their bytes."""


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
    followed (no loops); a link inside a folder that leads out of it is skipped with a warning
    (a folder's contents are what gets indexed, not what its links reach); a file named
    explicitly is read wherever it is. Files are visited once each, in a stable order.
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    seen: set[Path] = set()
    for raw in paths:
        path = Path(raw).expanduser()
        if not path.exists():
            raise CorpusError(f"no such file or folder: {raw}")
        candidates = [path] if path.is_file() else _folder_files(path)
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


def _folder_files(folder: Path) -> list[Path]:
    """The supported, not hidden files under ``folder``, sorted; links to folders are not
    followed, and links (to files or folders) that resolve outside ``folder`` are left out
    with one warning each."""
    root = folder.resolve()
    found = []
    for current, folders, files in os.walk(folder):  # links to folders are listed, not entered
        here = Path(current)
        folders[:] = [name for name in folders if not name.startswith(".")]
        for name in folders:
            _leads_outside(here / name, root)
        for name in files:
            candidate = here / name
            if name.startswith(".") or candidate.suffix.lower() not in SUPPORTED_SUFFIXES:
                continue
            if not _leads_outside(candidate, root):
                found.append(candidate)
    return sorted(found)


def _leads_outside(path: Path, root: Path) -> bool:
    """Whether ``path`` is a link that resolves outside ``root`` (warned about, once per call);
    a broken or looping link is not: the caller skips it with its own line."""
    if not path.is_symlink():
        return False
    try:
        target = path.resolve(strict=True)
    except (OSError, RuntimeError):
        return False
    if target == root or root in target.parents:
        return False
    log.warning("skipped %s: a link to outside the indexed folder", path)
    return True


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
