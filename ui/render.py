"""Small HTML for the chat: answer cards and the source view.

Every piece of text that comes from the corpus, a file name or a visitor goes through
``html.escape`` here, because Gradio's Chatbot and HTML components render HTML: a document
holding ``<script>`` or ``<img onerror=...>`` must show those characters, never run them.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from html import escape
from typing import Any

from assistant.indexing import indexer

CONTEXT_PARAGRAPHS = 2
"""Paragraphs shown either side of a cited one inside a card; the Source panel has them all."""

MAX_VERSION_TABS = 6
"""Version tabs the stylesheet can switch between (an answer has one per language: ja, en, ko)."""

LANGUAGE_NAMES = {"ja": "日本語", "en": "English", "ko": "한국어", "zh": "中文"}
"""Tab labels, each language named in itself."""

CSS = """
.qa-answer { display: flex; flex-direction: column; gap: 10px; }
.qa-question { white-space: pre-wrap; }
.qa-status { margin: 0; font-weight: 600; }
.qa-unsure { color: #9a3412; }
.qa-notice { margin: 0; padding: 6px 10px; border-radius: 6px; background: #fef9c3;
  color: #713f12; font-size: 0.92em; }
.qa-filtered { margin: 0; font-size: 0.88em; color: #1e40af; }
.qa-read-as { margin: 0; font-size: 0.9em; color: #1e3a8a; font-style: italic; }
.qa-link { font-size: 0.85em; margin-left: auto; }
.qa-error { margin: 0; padding: 8px 12px; border-radius: 6px; background: #fee2e2;
  color: #7f1d1d; }
.qa-label { margin: 0; font-size: 0.92em; color: #57534e; }
.qa-card { border: 1px solid #d6d3d1; border-radius: 8px; padding: 10px 12px;
  background: #fafaf9; color: #1c1917; }
.qa-card.qa-weak { border-style: dashed; }
.qa-head { display: flex; flex-wrap: wrap; align-items: baseline; gap: 6px 10px; }
.qa-rank { display: inline-block; min-width: 1.5em; text-align: center; border-radius: 999px;
  background: #1d4ed8; color: #fff; font-size: 0.8em; font-weight: 700; padding: 1px 6px; }
.qa-cite { font-weight: 700; }
.qa-section { color: #57534e; }
.qa-lang { font-size: 0.8em; color: #57534e; border: 1px solid #d6d3d1; border-radius: 4px;
  padding: 0 4px; }
.qa-score { margin-left: auto; font-size: 0.85em; color: #44403c; white-space: nowrap; }
.qa-meter { display: inline-block; width: 56px; height: 6px; border-radius: 3px;
  background: #e7e5e4; vertical-align: middle; overflow: hidden; margin-right: 4px; }
.qa-meter > span { display: block; height: 100%; background: #16a34a; }
.qa-weak .qa-meter > span { background: #d97706; }
.qa-text { margin: 8px 0 4px; line-height: 1.7; }
.qa-card mark, .src-doc mark { background: #fde047; color: inherit; padding: 0 1px;
  border-radius: 2px; }
.qa-file { font-size: 0.8em; color: #78716c; word-break: break-all; }
.qa-card details { margin-top: 6px; }
.qa-card summary { cursor: pointer; color: #1d4ed8; font-size: 0.9em; }
.qa-context { margin-top: 6px; padding-left: 8px; border-left: 3px solid #e7e5e4; }
.src-scroll { position: relative; max-height: 460px; overflow-y: auto; padding: 4px 12px;
  border: 1px solid #d6d3d1; border-radius: 8px; background: #fff; color: #1c1917; }
.src-empty { color: #78716c; }
.src-pair { display: flex; gap: 10px; align-items: flex-start; }
.src-pair > .src-scroll { flex: 1 1 0; min-width: 0; }
.src-title { margin: 8px 0 0; font-size: 1.15em; }
.src-path { font-size: 0.8em; color: #78716c; word-break: break-all; margin-bottom: 6px; }
.src-section { margin: 14px 0 4px; font-size: 1em; color: #44403c; }
.src-para { margin: 6px 0; padding: 4px 8px; line-height: 1.7; border-radius: 6px; }
.src-num { display: inline-block; min-width: 2.6em; color: #78716c; font-size: 0.85em;
  font-variant-numeric: tabular-nums; user-select: none; }
.src-cited { background: #eff6ff; outline: 2px solid #3b82f6; }
.src-gap { color: #a8a29e; font-size: 0.85em; margin: 4px 8px; }
.src-code { display: block; white-space: pre-wrap; font-family: ui-monospace, monospace;
  font-size: 0.9em; background: #f5f5f4; padding: 6px 8px; border-radius: 4px; }
.qa-versions { margin-top: 6px; }
.qa-vtabs { display: flex; gap: 4px; border-bottom: 1px solid #d6d3d1; }
.qa-vtab { cursor: pointer; padding: 2px 10px; border: 1px solid #d6d3d1; border-bottom: none;
  border-radius: 6px 6px 0 0; font-size: 0.9em; color: #1d4ed8; background: #f5f5f4; }
.qa-vtab input { position: absolute; opacity: 0; pointer-events: none; }
.qa-vtab:has(input:checked) { background: #fff; color: #1c1917; font-weight: 700; }
.qa-vpanel { display: none; }
.qa-vcite { margin-top: 6px; font-size: 0.85em; color: #57534e; }
""" + "".join(
    f".qa-versions:has(.qa-vtab:nth-child({n}) input:checked) .qa-vpanel:nth-child({n}) "
    "{ display: block; }\n"
    for n in range(1, MAX_VERSION_TABS + 1)
)


def highlighted(text: str, highlight: str | None, after: int = 0) -> str:
    """The paragraph as safe HTML, its answering sentence wrapped in ``<mark>`` (its first
    occurrence from ``after`` on: the cited part of a paragraph indexed in parts)."""
    start = text.find(highlight, after) if highlight else -1
    if start < 0 and highlight:
        start = text.find(highlight)
    if start < 0:
        return escape(text)
    end = start + len(highlight)
    return f"{escape(text[:start])}<mark>{escape(text[start:end])}</mark>{escape(text[end:])}"


def _score_cue(score: float, strong: bool) -> str:
    width = max(4, min(100, round(score * 100)))
    label = "strong match" if strong else "weak match"
    return (
        f'<span class="qa-score" title="{label}"><span class="qa-meter">'
        f'<span style="width:{width}%"></span></span>score {score:.3f}</span>'
    )


def paragraph_label(passage: dict[str, Any]) -> str:
    """``¶7``, or ``¶7 (part 2 of 3)`` for a part of a paragraph indexed in parts (its
    citation says the same); a whole paragraph (``Assistant.document_paragraphs``, without a
    ``part``) is ``¶7`` however many parts it was indexed in."""
    if "part" not in passage:
        return f"¶{int(passage['paragraph'])}"
    return indexer.paragraph_label(
        int(passage["paragraph"]), int(passage["part"]), int(passage.get("parts", 1))
    )


def page_label(page: Any) -> str:
    """``, p. 2`` for a paragraph of a document with pages (PDF), else nothing."""
    return f", p. {int(page)}" if page is not None else ""


def source_link(passage: dict[str, Any]) -> str:
    """The source as shown under a card: a link for a document fetched from a URL."""
    url = passage.get("url")
    if url and str(url).startswith(("http://", "https://")):
        href = escape(url, quote=True)
        return f'<a href="{href}" rel="noopener" target="_blank">{escape(url)}</a>'
    return escape(passage.get("shown_source", passage["source"]))  # relative unless asked


def _paragraph_lines(
    paragraphs: Sequence[dict[str, Any]],
    cited: int,
    highlight: str | None,
    id_prefix: str | None,
    part: int = 1,
) -> list[str]:
    """Section headings and numbered paragraphs, the cited one highlighted (and anchored).
    ``paragraphs`` are whole (``Assistant.document_paragraphs``: the highlight is looked for
    from the cited ``part`` on) or passages (``document_passages``: the cited part is marked)."""
    lines: list[str] = []
    section = None
    previous_number = 0
    for paragraph in paragraphs:
        number = int(paragraph["paragraph"])
        if number > previous_number + 1 and lines:
            lines.append('<div class="src-gap">⋯</div>')
        previous_number = number
        if paragraph.get("section") and paragraph["section"] != section:
            lines.append(f'<h4 class="src-section">{escape(paragraph["section"])}</h4>')
        section = paragraph.get("section")
        starts = paragraph.get("part_starts") or [0]
        is_cited = number == cited and int(paragraph.get("part", part)) == part
        anchor = f' id="{id_prefix}-p{number}"' if id_prefix else ""
        body = escape(paragraph["text"])
        if is_cited:
            body = highlighted(paragraph["text"], highlight, starts[min(part, len(starts)) - 1])
        if paragraph.get("code"):
            body = f'<code class="src-code">{body}</code>'
        css = "src-para src-cited" if is_cited else "src-para"
        label = paragraph_label(paragraph) + page_label(paragraph.get("page"))
        lines.append(
            f'<p class="{css}"{anchor} data-paragraph="{number}">'
            f'<span class="src-num">{label}</span>{body}</p>'
        )
    return lines


def _context(passages: Sequence[dict[str, Any]], passage: dict[str, Any]) -> list[dict[str, Any]]:
    """The passages around a cited one (CONTEXT_PARAGRAPHS either side): the paragraphs
    before and after it, or the parts of its own paragraph when it is one of several."""
    cited = (int(passage["paragraph"]), int(passage.get("part", 1)))
    for position, other in enumerate(passages):
        if (int(other["paragraph"]), int(other.get("part", 1))) == cited:
            first = max(0, position - CONTEXT_PARAGRAPHS)
            return list(passages[first : position + CONTEXT_PARAGRAPHS + 1])
    return []


def passage_card(
    passage: dict[str, Any], rank: int, strong: bool, passages: Sequence[dict[str, Any]]
) -> str:
    """One readable card: citation, paragraph with the answer highlighted, score, and the
    passages around it (``passages``: the document's, ``Assistant.document_passages``)."""
    section = (
        f'<span class="qa-section">{escape(passage["section"])}</span>'
        if passage.get("section")
        else ""
    )
    cited, part = int(passage["paragraph"]), int(passage.get("part", 1))
    title = f"{passage['doc']} {paragraph_label(passage)}" + page_label(passage.get("page"))
    context = _context(passages, passage)
    details = ""
    if context:
        total = max(int(p["paragraph"]) for p in passages)
        lines = _paragraph_lines(context, cited, passage.get("highlight"), None, part)
        details = (
            f"<details><summary>Show in context (¶{cited} of {total})</summary>"
            f'<div class="qa-context">{"".join(lines)}</div></details>'
        )
    weak = "" if strong else " qa-weak"
    link = ""
    if passage.get("link"):  # opens this paragraph in the chat: a page of its own
        href = escape(passage["link"], quote=True)
        link = f'<a class="qa-link" href="{href}" target="_blank" rel="noopener">link</a>'
    return (
        f'<div class="qa-card{weak}" data-rank="{rank}">'
        f'<div class="qa-head"><span class="qa-rank">{rank}</span>'
        f'<span class="qa-cite">{escape(title)}</span>{section}{_language_badge(passage)}'
        f"{_score_cue(float(passage['score']), strong)}{link}</div>"
        f"{_body(passage, rank)}{details}</div>"
    )


def _language_badge(passage: dict[str, Any]) -> str:
    """Which language the paragraph is in, for an answer without version tabs: a question
    may be answered from a document in another language than it was asked in."""
    lang = passage.get("lang")
    if not lang or len(passage.get("versions") or []) >= 2:
        return ""
    return f'<span class="qa-lang">{escape(LANGUAGE_NAMES.get(lang, lang))}</span>'


def _body(passage: dict[str, Any], rank: int) -> str:
    """The paragraph and its file; with parallel versions, one tab per language (the shown
    version first, selected), each with its own answering sentence highlighted. The tabs are
    radio buttons switched by CSS alone: the chat sanitises its HTML, so no script runs."""
    versions = passage.get("versions") or []
    if len(versions) < 2:
        return (
            f'<p class="qa-text">{highlighted(passage["text"], passage.get("highlight"))}</p>'
            f'<div class="qa-file">{source_link(passage)}</div>'
        )
    versions = versions[:MAX_VERSION_TABS]
    group = f"qa-v-{uuid.uuid4().hex[:12]}"  # radio groups are page-wide: one per card
    tabs, panels = [], []
    for i, version in enumerate(versions):
        lang = re.sub(r"[^a-z]", "", version.get("lang") or "") or "und"  # a class name
        label = LANGUAGE_NAMES.get(lang, lang)
        checked = " checked" if i == 0 else ""
        tabs.append(
            f'<label class="qa-vtab qa-lang-{escape(lang)}">'
            f'<input type="radio" name="{group}"{checked}>{escape(label)}</label>'
        )
        panels.append(
            f'<div class="qa-vpanel qa-lang-{escape(lang)}">'
            f'<div class="qa-vcite">{escape(version["citation"])}</div>'
            f'<p class="qa-text">{highlighted(version["text"], version.get("highlight"))}</p>'
            f'<div class="qa-file">{source_link(version)}</div></div>'
        )
    return (
        f'<div class="qa-versions"><div class="qa-vtabs">{"".join(tabs)}</div>'
        f'<div class="qa-vpanels">{"".join(panels)}</div></div>'
    )


def answer_html(
    answer: dict[str, Any], notice: str | None, paragraphs_of: Any, filtered: str | None = None
) -> str:
    """The whole reply for one answer (``answer`` as ``Answer.to_dict()``).

    ``paragraphs_of(source)`` gives a document's passages for the in-card context
    (``Assistant.document_passages``: a long paragraph's parts, not the whole of it);
    ``filtered`` says which search filters were on (so missing documents are explained).
    """
    passages = answer["passages"]
    parts = ['<div class="qa-answer">']
    if filtered:
        parts.append(f'<p class="qa-filtered">{escape(filtered)}</p>')
    if notice:
        parts.append(f'<p class="qa-notice">Note: {escape(notice)}</p>')
    context = answer.get("context")
    if context:
        parts.append(f'<p class="qa-read-as">{escape(context["read_as"])}</p>')
    if not passages and filtered:
        parts.append(
            '<p class="qa-status qa-unsure">No passage passes these filters; widen or clear '
            "them to search every document.</p>"
        )
    elif not passages:
        parts.append('<p class="qa-status qa-unsure">The index holds no passages yet.</p>')
    elif answer["confident"]:
        best = passages[0]["citation"]
        parts.append(f'<p class="qa-status">Best answer: {escape(best)}</p>')
    else:
        parts.append(
            '<p class="qa-status qa-unsure">Nothing in the documents seems to answer '
            "this question.</p>"
        )
        parts.append('<p class="qa-label">Closest passages (they may not be relevant):</p>')
    documents: dict[str, Sequence[dict[str, Any]]] = {}
    for rank, passage in enumerate(passages, start=1):
        source = passage["source"]
        if source not in documents:
            documents[source] = paragraphs_of(source)
        parts.append(passage_card(passage, rank, bool(answer["confident"]), documents[source]))
    parts.append("</div>")
    return "".join(parts)


def error_html(message: str) -> str:
    """A friendly, visible message for input the assistant cannot answer."""
    text = message[:1].upper() + message[1:]
    return f'<div class="qa-answer"><p class="qa-error">{escape(text)}</p></div>'


def question_html(question: str) -> str:
    """The visitor's question, shown as typed (markup in it is text)."""
    return f'<span class="qa-question">{escape(question)}</span>'


def source_html(
    title: str,
    source: str,
    paragraphs: Sequence[dict[str, Any]],
    cited: int,
    highlight: str | None,
    part: int = 1,
) -> str:
    """The whole document, paragraph numbers visible, the cited paragraph highlighted (each
    paragraph whole, the answering sentence marked in its cited ``part``)."""
    lines = _paragraph_lines(paragraphs, cited, highlight, "src", part)
    return (
        f'<div class="src-scroll"><div class="src-doc">'
        f'<h3 class="src-title">{escape(title)}</h3>'
        f'<div class="src-path">{escape(source)}</div>{"".join(lines)}</div></div>'
    )


def side_by_side_html(views: Sequence[str]) -> str:
    """Two (or more) source views in columns: a paragraph's versions read side by side."""
    return f'<div class="src-pair">{"".join(views)}</div>'


def empty_source_html() -> str:
    return (
        '<div class="src-scroll"><p class="src-empty">Ask a question: the document of the '
        "cited passage appears here, with the paragraph highlighted.</p></div>"
    )


def status_html(message: str, ok: bool = True) -> str:
    css = "qa-status" if ok else "qa-error"
    return f'<p class="{css}">{escape(message)}</p>'
