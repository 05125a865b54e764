"""Answers to take away: an answer, or a whole conversation, as Markdown with its citations.

Each passage is quoted exactly as it stands in the source (a Markdown block quote, one ``> ``
line per line of text, nothing escaped or reflowed), followed by its citation: document, date,
paragraph, section, page and, for a document fetched from the web, its URL.

>>> answer = {"question": "Q?", "confident": True, "passages": [{"text": "A *star*.",
...   "doc": "Doc", "citation": "Doc ¶2 (S)", "section": "S", "paragraph": 2,
...   "shown_source": "d.txt", "date": "2025-04-03", "lang": "en"}]}
>>> print(answer_markdown(answer), end="")
## Q?
<BLANKLINE>
> A *star*.
<BLANKLINE>
— Doc, 2025-04-03, ¶2, section “S” (d.txt)
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

KEEP_SECONDS = 600.0
"""A download file is removed this long after it was written (Gradio keeps its own copy for as
long as it serves it)."""


def citation_line(passage: dict[str, Any]) -> str:
    """``— Title, 2025-04-03, ¶7, section “…”, p. 3 (file or URL)``."""
    parts = [str(passage.get("doc") or passage.get("title") or "")]
    if passage.get("date"):
        parts.append(str(passage["date"]))
    parts.append(f"¶{passage['paragraph']}")
    if passage.get("section"):
        parts.append(f"section “{passage['section']}”")
    if passage.get("page") is not None:
        parts.append(f"p. {passage['page']}")
    where = passage.get("url") or passage.get("shown_source") or passage.get("source")
    return "— " + ", ".join(p for p in parts if p) + (f" ({where})" if where else "")


def quoted(text: str) -> str:
    """``text`` as a Markdown block quote, exactly (each line prefixed, nothing escaped)."""
    return "\n".join(f"> {line}" if line else ">" for line in text.split("\n"))


def answer_markdown(answer: dict[str, Any], read_as: str | None = None) -> str:
    """One answer (``Answer.to_dict()``, sources as shown) as Markdown."""
    lines = [f"## {answer['question']}", ""]
    if read_as:
        lines += [f"*{read_as}*", ""]
    if not answer.get("confident"):
        lines += ["*Nothing in the documents seems to answer this; the closest passages:*", ""]
    for passage in answer.get("passages", []):
        lines += [quoted(passage["text"]), "", citation_line(passage), ""]
    return "\n".join(lines).rstrip() + "\n"


def conversation_markdown(answers: Sequence[dict[str, Any]], title: str) -> str:
    """Every answer of a conversation, in order, under one title."""
    body = "\n".join(answer_markdown(a, (a.get("context") or {}).get("read_as")) for a in answers)
    return f"# {title}\n\n{body}" if answers else f"# {title}\n\n(no questions yet)\n"


def saved(text: str, folder: Path) -> Path:
    """``text`` written to a file in ``folder`` named by its content (a repeated export reuses
    it), after removing files there older than KEEP_SECONDS, so the folder stays small."""
    folder.mkdir(parents=True, exist_ok=True)
    now = time.time()
    for old in folder.glob("*.md"):
        if now - old.stat().st_mtime > KEEP_SECONDS:
            old.unlink(missing_ok=True)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
    path = folder / f"conversation-{digest}.md"
    if not path.exists():
        path.write_text(text, encoding="utf-8")
    return path
