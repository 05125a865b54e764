"""Word documents (.docx) through python-docx: headings from the heading styles, the Title
style (or the document properties) as title, and every other paragraph or list item as a
numbered paragraph, in document order (tables row by row)."""

from __future__ import annotations

import io
import re
import zipfile

from assistant.ingest.formats import Block, Extracted, UnreadableFile

DOCX_SUFFIXES = (".docx",)

_HEADING_STYLE = re.compile(r"^(?:heading|見出し|제목)\s*(\d)$", re.IGNORECASE)


def _blocks(document) -> list[Block]:
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    blocks: list[Block] = []
    for item in document.iter_inner_content():
        if isinstance(item, Table):
            for row in item.rows:
                cells = []
                for cell in row.cells:
                    text = " ".join(cell.text.split())
                    if text and (not cells or cells[-1] != text):  # merged cells repeat
                        cells.append(text)
                if cells:
                    blocks.append(Block("text", " | ".join(cells)))
            continue
        if not isinstance(item, Paragraph):
            continue
        text = " ".join(item.text.split())
        if not text:
            continue
        style = (item.style.name if item.style is not None else "") or ""
        match = _HEADING_STYLE.match(style)
        if style.lower() == "title":
            blocks.append(Block("heading", text, level=1))
        elif match:
            blocks.append(Block("heading", text, level=min(6, int(match.group(1)) + 1)))
        else:
            blocks.append(Block("text", text))
    return blocks


def read_docx(data: bytes) -> Extracted:
    """Blocks, title and language of a .docx; UnreadableFile when it is not one."""
    import docx

    try:
        document = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise UnreadableFile("damaged Word file (not a .docx package)") from exc
    except Exception as exc:  # python-docx raises its own PackageNotFoundError and lxml errors
        raise UnreadableFile(f"damaged Word file ({type(exc).__name__})") from exc
    blocks = _blocks(document)
    if not any(b.kind == "text" for b in blocks):
        raise UnreadableFile("no paragraphs of text in the Word file")
    properties = document.core_properties
    title = (properties.title or "").strip() or None
    if title is None and blocks[0].kind == "heading" and blocks[0].level == 1:
        title = blocks[0].text
    language = (properties.language or "").split("-")[0].lower() or None
    # No date: the core "created" property is copied from whatever template the file began as.
    return Extracted(blocks=blocks, title=title, lang=language)
