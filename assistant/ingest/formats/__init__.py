"""Documents in other formats than plain text (HTML, PDF, Word), read into the same structure
that :func:`assistant.documents.parse_document` builds from text.

Each format module turns a file's bytes into an :class:`Extracted`: a flat list of blocks
(headings, paragraphs, code) plus what the format says about the document (title, language,
date). :func:`document_from_blocks` then numbers the paragraphs and splits their sentences
exactly as for text files, so citations work the same whatever the source was.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from assistant.ingest.chunking import Sentence, split_sentences

BlockKind = Literal["heading", "text", "code"]


class UnreadableFile(Exception):
    """A file of a known format that holds no usable text; the message says why, in a few
    words (it follows ``skipped PATH: ``)."""


@dataclass(frozen=True)
class Block:
    """One block of a document in reading order."""

    kind: BlockKind
    text: str
    page: int | None = None
    level: int = 0
    """Heading level 1-6 (0 for other blocks)."""


@dataclass
class Extracted:
    """What a format reader found: blocks and the document's own metadata."""

    blocks: list[Block] = field(default_factory=list)
    title: str | None = None
    lang: str | None = None
    date: str | None = None


def document_from_blocks(extracted: Extracted, source: str):
    """A Document from extracted blocks: the title (the format's, else a first heading, else
    the file name), headings as sections, and every text or code block a numbered paragraph.

    ``Document.text`` is the blocks joined by blank lines, and each paragraph's
    ``first_line``/``last_line`` point into it, as they do for text files.
    """
    from assistant.ingest.structure import Document, Paragraph, annotate

    blocks = [b for b in extracted.blocks if b.text.strip()]
    title = extracted.title
    if blocks and blocks[0].kind == "heading" and (title is None or title == blocks[0].text):
        title = blocks[0].text
        blocks = blocks[1:]
    pieces: list[str] = []
    paragraphs: list[Paragraph] = []
    section: str | None = None
    line = 1
    for block in blocks:
        text = block.text if block.kind == "code" else block.text.strip()
        first = line
        line += text.count("\n") + 2  # the block's lines, then one blank line
        pieces.append(text)
        if block.kind == "heading":
            section = text
            continue
        sentences = (
            (Sentence(text, 0, len(text)),) if block.kind == "code" else split_sentences(text)
        )
        paragraphs.append(
            Paragraph(
                number=len(paragraphs) + 1,
                text=text,
                section=section,
                sentences=tuple(sentences),
                first_line=first,
                last_line=first + text.count("\n"),
                page=block.page,
                code=block.kind == "code",
            )
        )
    document = Document(
        title=title or Path(source).stem,
        source=source,
        text="\n\n".join(pieces) + "\n",
        paragraphs=paragraphs,
        lang=extracted.lang,
        date=extracted.date,
    )
    return annotate(document)  # language and date from the text where the format gave none


def read_format(suffix: str, data: bytes) -> Extracted:
    """Extract a file of a known non-text format by its suffix (``.html``, ``.pdf``, ...).

    Raises UnreadableFile when it holds no usable text, and ValueError for an unknown suffix.
    """
    suffix = suffix.lower()
    if suffix in (".html", ".htm", ".xhtml"):
        from assistant.ingest.formats.html import read_html

        return read_html(data)
    if suffix == ".pdf":
        from assistant.ingest.formats.pdf import read_pdf

        return read_pdf(data)
    if suffix == ".docx":
        from assistant.ingest.formats.docx import read_docx

        return read_docx(data)
    raise ValueError(f"no reader for {suffix!r} files; known: .html, .htm, .xhtml, .pdf, .docx")
