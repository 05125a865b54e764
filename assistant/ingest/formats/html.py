"""HTML pages (.html/.htm, as a browser saves them): the main content only.

Boilerplate (navigation, breadcrumbs, menus, sidebars, footers, "print this page") is dropped
by trafilatura, chosen by measurement over readability-lxml on the same ministry-like and
documentation pages (see benchmarks/extraction.py and the README). Its output tree keeps the
structure we need: headings (``head rend="h2"``), paragraphs, list items, quotes and code.
"""

from __future__ import annotations

import codecs
import re
from typing import Any

from assistant.ingest.chunking import has_sentence_punctuation
from assistant.ingest.formats import Block, Extracted, UnreadableFile

HTML_SUFFIXES = (".html", ".htm", ".xhtml")

_DECLARED_CHARSET = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-:.]+)"""
    rb"""|<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9_\-:.]+)""",
    re.IGNORECASE,
)
_HTML_LANG = re.compile(rb"""<html[^>]*?\blang\s*=\s*["']?\s*([A-Za-z]{2,3}(?:-[A-Za-z0-9]+)*)""")
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)
_SPACES = re.compile(r"\s+")

MIN_MAIN_TEXT_CHARS = 200
"""A page whose extracted text has no sentence and is shorter than this is only navigation
(a site map's menu came out as "Home Policy Press About Us")."""

SNIFF_BYTES = 4096
"""Where a page declares its charset and language: the HTML standard tells browsers to look
for <meta charset> in the first 1024 bytes; saved pages often have long <head>s, so more."""


def declared_charset(data: bytes) -> str | None:
    """The encoding a page declares in <meta charset>, http-equiv or an XML declaration, if
    Python knows it."""
    match = _DECLARED_CHARSET.search(data[:SNIFF_BYTES])
    if not match:
        return None
    name = (match.group(1) or match.group(2)).decode("ascii").lower()
    if name in ("shift_jis", "shift-jis", "sjis", "x-sjis", "windows-31j"):
        name = "cp932"  # what "Shift_JIS" pages really hold (the Windows superset)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def decode_html(data: bytes) -> str | None:
    """The page's text: a byte-order mark first, then the declared charset, then the same
    detection as for text files. None when it is not text."""
    from assistant.ingest.encodings import decode_bytes

    charset = declared_charset(data)
    if charset and not data.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode(charset)
        except UnicodeDecodeError:
            pass  # a wrong declaration: detect instead
    return decode_bytes(data)


def page_language(data: bytes) -> str | None:
    """The primary language subtag of <html lang> (``ja`` for ``ja-JP``), lower-case."""
    match = _HTML_LANG.search(data[:SNIFF_BYTES])
    return match.group(1).decode("ascii").split("-")[0].lower() if match else None


def _clean(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def _page_title(tree: Any) -> str | None:
    """The first <h1> of the main content (<main>, <article>, else the page), else <title>.

    A site-wide <h1> (an mdBook menu bar's book title) comes before the page's own in the
    markup, so the main element is looked at first.
    """
    for scope in ("//main//h1", "//article//h1", "//h1"):
        for heading in tree.xpath(scope):
            text = _clean(heading.text_content())
            if text:
                return text
    titles = tree.xpath("//title")
    text = _clean(titles[0].text_content()) if titles else ""
    return text or None


def _merge_terms_into_definitions(tree: Any) -> None:
    """``<dt>term</dt><dd>text</dd>`` becomes one paragraph ``term: text`` (a term alone is
    not a paragraph, and the definition needs it to be understood)."""
    for term in tree.xpath("//dt"):
        definition = term.getnext()
        text = _clean(term.text_content())
        if definition is not None and definition.tag == "dd" and text:
            definition.text = f"{text}: {definition.text or ''}"
        term.drop_tree()


def body_blocks(body: Any) -> list[Block]:
    """Blocks from trafilatura's output tree: head -> heading, p/item/quote/cell rows -> text,
    code -> code (its line breaks kept)."""
    blocks: list[Block] = []

    def walk(element: Any) -> None:
        for child in element:
            tag = child.tag
            if tag == "head":
                rend = child.get("rend", "h2")
                level = int(rend[1]) if re.fullmatch(r"h[1-6]", rend) else 2
                blocks.append(Block("heading", _clean("".join(child.itertext())), level=level))
            elif tag == "code":
                code = "".join(child.itertext()).strip("\n")
                if code.strip():
                    blocks.append(Block("code", code))
            elif tag in ("list", "quote", "table", "div"):
                walk(child)
            elif tag == "row":
                cells = [_clean("".join(cell.itertext())) for cell in child]
                blocks.append(Block("text", " | ".join(c for c in cells if c)))
            elif tag == "item" and child.find("list") is not None:  # an item with a sublist
                own = (child.text or "") + "".join(
                    "".join(c.itertext()) + (c.tail or "") for c in child if c.tag != "list"
                )
                if _clean(own):
                    blocks.append(Block("text", _clean(own)))
                walk(child.find("list"))
            elif isinstance(tag, str):  # p, item, and any other element with text
                text = _clean("".join(child.itertext()))
                if text:
                    blocks.append(Block("text", text))

    walk(body)
    return [b for b in blocks if b.text]


def read_html(data: bytes) -> Extracted:
    """The main content of a page as blocks, with its title, language and date.

    Raises UnreadableFile when the bytes are not text or the page has no main text.
    """
    import lxml.html
    import trafilatura

    text = decode_html(data)
    if text is None:
        raise UnreadableFile("not an HTML text file")
    text = _XML_DECLARATION.sub("", text, count=1)  # lxml refuses str with an encoding decl.
    if not text.strip():
        raise UnreadableFile("empty page")
    try:
        tree = lxml.html.document_fromstring(text)
    except Exception as exc:  # lxml raises ParserError and ValueError on markup it cannot use
        raise UnreadableFile(f"not a readable HTML page ({exc})") from exc
    title = _page_title(tree)  # before extraction, which prunes the tree
    _merge_terms_into_definitions(tree)
    result = trafilatura.bare_extraction(
        tree,
        with_metadata=True,
        include_comments=False,
        include_tables=True,
        include_images=False,
        include_formatting=False,
        include_links=False,
        deduplicate=False,
    )
    blocks = body_blocks(result.body) if result is not None and result.body is not None else []
    body_text = [b.text for b in blocks if b.kind != "heading"]
    if not any(map(has_sentence_punctuation, body_text)) and (
        sum(map(len, body_text)) < MIN_MAIN_TEXT_CHARS
    ):
        raise UnreadableFile("no main text found in the page")
    date = getattr(result, "date", None) or None
    return Extracted(blocks=blocks, title=title, lang=page_language(data), date=date)
