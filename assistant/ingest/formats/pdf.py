"""PDF files: the text layer, read with pypdfium2 (PDFium, BSD/Apache licensed).

A PDF has no paragraphs, only positioned characters. Lines are rebuilt from PDFium's text
order, and paragraphs from the geometry: a larger gap than the usual line pitch, a change of
font size (a heading) or a short line that ends a sentence closes one. Hard-wrapped lines are
joined (Japanese without spaces, English with hyphenation repaired), a paragraph cut by a page
break is joined back, and running headers, footers and page numbers are dropped.
"""

from __future__ import annotations

import itertools
import re
import statistics
import unicodedata
from dataclasses import dataclass

from assistant.ingest.chunking import (
    CONTINUATION_END,
    ends_sentence,
    has_sentence_punctuation,
    is_broken_continuation,
    is_cjk,
)
from assistant.ingest.formats import Block, Extracted, UnreadableFile

PDF_SUFFIXES = (".pdf",)

RADICAL_EQUIVALENTS = str.maketrans(
    dict(
        zip(
            "⺄⺅⺈⺊⺌⺒⺓⺗⺘⺜⺝⺟⺠⺡⺧⺩⺫⺬⺶⺼⺾⻁⻄⻆⻌⻏⻑⻖⻗⻘⻝⻣⻤⻨⻩⻫⻭⻯⻲",
            "乙亻刀卜小巳幺心扌日月母民氵牛王目示羊肉艹虎西角辶邑長阝雨青食骨鬼麦黄斉歯竜亀",
            strict=True,
        )
    )
    | {"\u2027": "・"}
)
"""CJK Radicals Supplement characters (U+2E80-U+2EFF) that some PDF producers write instead of
the kanji they look like (⻑ for 長), mapped to the unified ideograph that Unicode's
EquivalentUnifiedIdeograph.txt gives for each (the ones Japanese text uses); NFKC does not
fold these. Also U+2027 HYPHENATION POINT, written for the middle dot ・."""

FONT_SIZE_RATIO = 1.15
"""A line this much taller than the body text is a heading (Chromium prints h2 at 1.5x)."""
GAP_RATIO = 1.45
"""A line pitch this much larger than the usual one starts a new paragraph (a blank line or a
paragraph margin makes it about 2x; wrapped lines of one paragraph are 1.0x)."""
SHORT_LINE_RATIO = 0.8
"""A line ending a sentence and ending before this share of the text width closes a
paragraph (the last line of a paragraph with no gap after it)."""
BOX_SAMPLES = 9
"""Characters per line whose boxes are read (PDFium answers one box per call; asking for all
of them made reading 2x slower)."""
MARGIN_SHARE = 0.08
"""Running headers and footers sit in this top or bottom share of the page."""

_PAGE_NUMBER = re.compile(
    r"^\s*(?:[-–—]\s*)?(?:p(?:age|\.)?\s*)?\d{1,4}(?:\s*(?:/|of|／)\s*\d{1,4})?(?:\s*[-–—])?\s*$",
    re.IGNORECASE,
)
_SOFT_HYPHENS = "\u00ad\ufffe\x02"


def normalise_lookalikes(text: str) -> str:
    """Kangxi radicals (U+2F00-U+2FDF, by NFKC) and CJK radical supplements (by the table)
    back to the kanji they stand for; everything else untouched."""
    text = text.translate(RADICAL_EQUIVALENTS)
    if any("\u2f00" <= ch <= "\u2fdf" for ch in text):
        text = "".join(
            unicodedata.normalize("NFKC", ch) if "\u2f00" <= ch <= "\u2fdf" else ch for ch in text
        )
    return text


@dataclass
class _Line:
    text: str
    page: int
    top: float
    bottom: float
    left: float
    right: float
    size: float  # median character height: the font size, near enough


def _page_chars(textpage) -> str:
    """The page's characters, one per PDFium character index (the \\r\\n it generates at line
    ends included). get_text_range is one call; it is used when it lines up index for index
    (characters outside the BMP take two UTF-16 units there), else each one is asked for."""
    import pypdfium2.raw as pdfium_c

    count = textpage.count_chars()
    text = textpage.get_text_range()
    if len(text) == count:
        return text
    return "".join(chr(pdfium_c.FPDFText_GetUnicode(textpage.raw, i) or 32) for i in range(count))


def _sample(indices: list[int]) -> list[int]:
    """First, last and evenly spaced characters of a line: their boxes give its extent and
    type size at a fraction of the cost of asking for every character's box."""
    if len(indices) <= BOX_SAMPLES:
        return indices
    step = (len(indices) - 1) / (BOX_SAMPLES - 1)
    return [indices[round(i * step)] for i in range(BOX_SAMPLES)]


def _page_lines(page, number: int) -> list[_Line]:
    """The text lines of one page, in PDFium's reading order, with their boxes."""
    textpage = page.get_textpage()
    try:
        chars = _page_chars(textpage)
        lines: list[_Line] = []
        start = 0
        for end in [*(i for i, ch in enumerate(chars) if ch == "\n"), len(chars)]:
            text = chars[start:end].replace("\r", "").strip()
            inked = [
                i
                for i in range(start, end)
                if not chars[i].isspace() and chars[i] not in _SOFT_HYPHENS
            ]
            start = end + 1
            if not text or not inked:
                continue
            boxes = [textpage.get_charbox(i, loose=True) for i in _sample(inked)]
            boxes = [b for b in boxes if b[3] > b[1]]
            if not boxes:
                continue
            lines.append(
                _Line(
                    text=normalise_lookalikes(text),
                    page=number,
                    top=max(b[3] for b in boxes),
                    bottom=min(b[1] for b in boxes),
                    left=min(b[0] for b in boxes),
                    right=max(b[2] for b in boxes),
                    size=statistics.median(b[3] - b[1] for b in boxes),
                )
            )
        return lines
    finally:
        textpage.close()


def _furniture(pages: list[list[_Line]], heights: list[float]) -> set[int]:
    """ids of lines that are running headers, footers or page numbers: in the top or bottom
    margin band and either a page number or repeated (digits aside) on other pages."""

    def key(line: _Line) -> str:
        return re.sub(r"\d+", "#", line.text)

    in_band: list[_Line] = []
    for lines, height in zip(pages, heights, strict=True):
        in_band += [
            line
            for line in lines
            if line.bottom > height * (1 - MARGIN_SHARE) or line.top < height * MARGIN_SHARE
        ]
    counts: dict[str, set[int]] = {}
    for line in in_band:
        counts.setdefault(key(line), set()).add(line.page)
    repeated = max(2, (len(pages) + 1) // 2)
    return {
        id(line)
        for line in in_band
        if _PAGE_NUMBER.match(line.text) or (len(pages) > 1 and len(counts[key(line)]) >= repeated)
    }


def join_wrapped(lines: list[str]) -> str:
    """Join the lines of one paragraph: Japanese without a space, others with one; a word
    hyphenated at a line end is mended ("coop-" + "eration" -> "cooperation"), while a hyphen
    before a capital is part of the name ("Japan-" + "U.S." -> "Japan-U.S.")."""
    out = ""
    for raw in lines:
        line = raw.strip()
        if not line:
            continue
        hyphenated = out.endswith("-") and len(out) > 1 and out[-2].isalpha()
        if out and (out[-1] in _SOFT_HYPHENS or (hyphenated and line[0].islower())):
            out = out[:-1] + line
        elif out and not (is_cjk(out[-1]) or is_cjk(line[0]) or hyphenated):
            out += " " + line
        else:
            out += line
    return out.replace("\u00ad", "").replace("\ufffe", "").replace("\x02", "")


@dataclass
class _Paragraph:
    lines: list[_Line]

    @property
    def text(self) -> str:
        return join_wrapped([line.text for line in self.lines])


def _paragraphs(lines: list[_Line], body_size: float, pitch: float) -> list[_Paragraph]:
    """Lines grouped into paragraphs by gaps, font size and short sentence-ending lines."""
    paragraphs: list[_Paragraph] = []
    width = max((line.right for line in lines), default=0) - min(
        (line.left for line in lines), default=0
    )
    left = min((line.left for line in lines), default=0)
    for line in lines:
        previous = paragraphs[-1].lines[-1] if paragraphs else None
        new = previous is None or previous.page != line.page
        if not new:
            big_prev = previous.size > body_size * FONT_SIZE_RATIO
            big_line = line.size > body_size * FONT_SIZE_RATIO
            step = previous.bottom - line.bottom
            short = previous.right - left < width * SHORT_LINE_RATIO
            new = (
                big_prev != big_line
                or step > pitch * GAP_RATIO
                or step < 0  # a new column or a jump back up
                or (short and ends_sentence(previous.text))
            )
        if new:
            paragraphs.append(_Paragraph([line]))
        else:
            paragraphs[-1].lines.append(line)
    return paragraphs


def _is_heading(paragraph: _Paragraph, body_size: float) -> bool:
    """Larger type, or (as in plain text) one short line with no sentence punctuation."""
    text = paragraph.text
    if all(line.size > body_size * FONT_SIZE_RATIO for line in paragraph.lines):
        return not ends_sentence(text) or len(text) <= 80
    from assistant.ingest.structure import MAX_HEADING_CHARS

    return (
        len(paragraph.lines) == 1
        and len(text) <= MAX_HEADING_CHARS
        and not has_sentence_punctuation(text)
        and not text.endswith(tuple(CONTINUATION_END))
        and not _PAGE_NUMBER.match(text)
    )


def _join(first: str, second: str) -> str:
    if is_cjk(first[-1]) or is_cjk(second[0]):
        return first + second
    if first.endswith("-") and second[:1].islower():
        return first[:-1] + second
    return first + " " + second


def read_pdf(data: bytes) -> Extracted:
    """The text blocks of a PDF, each with the page it starts on.

    Raises UnreadableFile for an encrypted, damaged or image-only PDF.
    """
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        reason = str(exc)
        if "password" in reason.lower() or "security" in reason.lower():
            raise UnreadableFile("encrypted PDF (it needs a password)") from exc
        raise UnreadableFile("damaged PDF (PDFium could not open it)") from exc
    try:
        pages: list[list[_Line]] = []
        heights: list[float] = []
        for number in range(len(pdf)):
            try:
                page = pdf[number]
            except pdfium.PdfiumError as exc:
                raise UnreadableFile(f"damaged PDF (page {number + 1} cannot be read)") from exc
            try:
                heights.append(page.get_height())
                pages.append(_page_lines(page, number + 1))
            finally:
                page.close()
        metadata_title = (pdf.get_metadata_dict().get("Title") or "").strip()
    finally:
        pdf.close()
    if not any(pages):
        raise UnreadableFile("no text layer (a scanned PDF?); run OCR on it first")
    furniture = _furniture(pages, heights)
    lines = [line for page in pages for line in page if id(line) not in furniture]
    if not lines:
        raise UnreadableFile("no text besides page headers and footers")
    body_size = statistics.median(line.size for line in lines)
    steps = [
        a.bottom - b.bottom
        for a, b in itertools.pairwise(lines)
        if a.page == b.page and 0 < a.bottom - b.bottom < 3 * body_size
    ]
    pitch = statistics.median(steps) if steps else body_size * 1.2
    blocks: list[Block] = []
    for paragraph in _paragraphs(lines, body_size, pitch):
        text = paragraph.text
        page = paragraph.lines[0].page
        heading = _is_heading(paragraph, body_size)
        previous = blocks[-1] if blocks else None
        if previous is not None and previous.kind == "text" and not heading:
            across_page = previous.page != page and not ends_sentence(previous.text)
            if across_page or is_broken_continuation(previous.text, text):
                blocks[-1] = Block("text", _join(previous.text, text), page=previous.page)
                continue
        blocks.append(Block("heading" if heading else "text", text, page=page))
    title = blocks[0].text if blocks and blocks[0].kind == "heading" else None
    if title is None and metadata_title and not re.search(r"\.\w{2,4}$", metadata_title):
        title = metadata_title
    return Extracted(blocks=blocks, title=title)
