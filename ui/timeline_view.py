"""The Timeline view: a date axis showing at a glance which statements address a topic, then
each statement's entry top-down with its citation, answering sentence and wording changes.

Changes are shown as ``<del>`` (struck through, marked "−") and ``<ins>`` (underlined, marked
"+"), so they read without colour. Every text from the corpus is escaped here.
"""

from __future__ import annotations

from datetime import date as Date
from html import escape
from typing import Any

from ui.render import highlighted, page_label

AXIS_WIDTH = 640
AXIS_HEIGHT = 96
AXIS_MARGIN = 28

CSS = """
.tl { display: flex; flex-direction: column; gap: 10px; }
.tl-summary { margin: 0; font-weight: 600; }
.tl-notice { margin: 0; padding: 6px 10px; border-radius: 6px; background: #fef9c3;
  color: #713f12; font-size: 0.92em; }
.tl-axis { width: 100%; max-width: 720px; height: auto; }
.tl-axis text { font-size: 11px; fill: #44403c; }
.tl-axis .tl-yes { fill: #1d4ed8; stroke: #1d4ed8; }
.tl-axis .tl-no { fill: #fff; stroke: #a8a29e; stroke-width: 1.5; }
.tl-legend { margin: 0; font-size: 0.88em; color: #57534e; }
.tl-entry { border: 1px solid #d6d3d1; border-radius: 8px; padding: 8px 12px;
  background: #fafaf9; color: #1c1917; }
.tl-entry.tl-off { border-style: dashed; background: transparent; color: #78716c;
  padding: 4px 12px; }
.tl-head { display: flex; flex-wrap: wrap; gap: 4px 10px; align-items: baseline; }
.tl-date { font-weight: 700; font-variant-numeric: tabular-nums; }
.tl-cite { font-weight: 600; }
.tl-lang { font-size: 0.8em; border: 1px solid #a8a29e; border-radius: 4px; padding: 0 4px; }
.tl-text { margin: 6px 0 0; }
.tl-changes { margin: 6px 0 0; font-size: 0.95em; }
.tl-changes del { text-decoration: line-through; background: #fee2e2; color: #7f1d1d; }
.tl-changes ins { text-decoration: underline; background: #dcfce7; color: #14532d; }
.tl-changes del::before { content: "[−"; } .tl-changes del::after { content: "]"; }
.tl-changes ins::before { content: "[+"; } .tl-changes ins::after { content: "]"; }
.tl-link { font-size: 0.85em; }
"""


def _day(value: str | None) -> int | None:
    """A YYYY, YYYY-MM or YYYY-MM-DD date as a day number (missing parts count as the first)."""
    if not value:
        return None
    parts = [int(p) for p in value.split("-")[:3]]
    parts += [1] * (3 - len(parts))
    try:
        return Date(*parts).toordinal()
    except ValueError:
        return None


def date_axis_svg(entries: list[dict[str, Any]]) -> str:
    """The statements on a date axis: filled dots on the upper row address the topic, hollow
    ones below do not; each dot names its date and title (hover, screen readers)."""
    dated = [(e, _day(e.get("date"))) for e in entries]
    days = [d for _, d in dated if d is not None]
    if not days:
        return ""
    first, last = min(days), max(days)
    span = max(last - first, 1)
    inner = AXIS_WIDTH - 2 * AXIS_MARGIN

    def x(day: int) -> float:
        return AXIS_MARGIN + inner * (day - first) / span

    marks = [
        f'<line x1="{AXIS_MARGIN}" y1="74" x2="{AXIS_WIDTH - AXIS_MARGIN}" y2="74" '
        'stroke="#a8a29e"/>'
    ]
    for year in range(Date.fromordinal(first).year, Date.fromordinal(last).year + 2):
        day = Date(year, 1, 1).toordinal()
        if first <= day <= last or (first == last and year == Date.fromordinal(first).year):
            position = x(day) if first != last else AXIS_WIDTH / 2
            marks.append(
                f'<line x1="{position:.1f}" y1="70" x2="{position:.1f}" y2="78" '
                f'stroke="#78716c"/><text x="{position:.1f}" y="92" '
                f'text-anchor="middle">{year}</text>'
            )
    for entry, day in dated:
        if day is None:
            continue
        yes = bool(entry.get("addresses"))
        label = escape(f"{entry.get('date')} · {entry.get('title')}", quote=True)
        state = "addresses the topic" if yes else "does not address it"
        position = x(day) if first != last else AXIS_WIDTH / 2
        marks.append(
            f'<circle class="{"tl-yes" if yes else "tl-no"}" cx="{position:.1f}" '
            f'cy="{24 if yes else 52}" r="6"><title>{label}: {state}</title></circle>'
        )
    return (
        f'<svg class="tl-axis" viewBox="0 0 {AXIS_WIDTH} {AXIS_HEIGHT}" role="img" '
        f'aria-label="Statements by date; filled dots address the topic">{"".join(marks)}</svg>'
    )


def changes_html(diff: list[dict[str, str]]) -> str:
    """Word changes as HTML: deleted words struck through, inserted ones underlined."""
    tags = {"equal": "{}", "delete": "<del>{}</del>", "insert": "<ins>{}</ins>"}
    return "".join(tags[piece["op"]].format(escape(piece["text"])) for piece in diff)


def _entry_html(entry: dict[str, Any], position: int) -> str:
    date = escape(entry.get("date") or "undated")
    if not entry.get("addresses"):
        return (
            f'<div class="tl-entry tl-off" data-position="{position}"><span class="tl-date">'
            f"{date}</span> {escape(entry.get('title') or '')} — does not address this topic"
            "</div>"
        )
    cite = escape(entry["citation"] + page_label(entry.get("page")))
    languages = [entry.get("lang")] + [v.get("lang") for v in entry.get("versions", [])]
    badges = "".join(f'<span class="tl-lang">{escape(str(lang))}</span>' for lang in languages)
    body = f'<p class="tl-text">{highlighted(entry["text"], entry.get("highlight"))}</p>'
    if entry.get("diff"):
        body += (
            f'<p class="tl-changes"><span class="tl-label">Changes from the previous statement'
            f" in {escape(str(entry.get('lang')))}:</span> {changes_html(entry['diff'])}</p>"
        )
    link = escape(entry.get("link") or "", quote=True)
    anchor = f' <a class="tl-link" href="{link}" target="_blank">link</a>' if link else ""
    return (
        f'<div class="tl-entry" data-position="{position}"><div class="tl-head">'
        f'<span class="tl-date">{date}</span><span class="tl-cite">{cite}</span>{badges}'
        f"{anchor}</div>{body}</div>"
    )


def timeline_html(data: dict[str, Any], filtered: str | None = None) -> str:
    """The whole Timeline view for ``Timeline.to_dict()`` (entries may carry a ``link``)."""
    entries = data["entries"]
    addressing = sum(1 for e in entries if e.get("addresses"))
    parts = [
        f'<p class="tl-summary">{addressing} of {len(entries)} statements address '
        f"“{escape(data['question'])}”</p>"
    ]
    if filtered:
        parts.append(f'<p class="tl-legend">{escape(filtered)}</p>')
    if data.get("notice"):
        parts.append(f'<p class="tl-notice">{escape(data["notice"])}</p>')
    parts.append(date_axis_svg(entries))
    parts.append(
        '<p class="tl-legend">● addresses the topic · ○ does not · changes: '
        '<span class="tl-changes"><del>dropped</del> <ins>added</ins></span></p>'
    )
    parts += [_entry_html(entry, i) for i, entry in enumerate(entries)]
    return f'<div class="tl">{"".join(parts)}</div>'


def empty_timeline_html() -> str:
    return (
        '<p class="tl-legend">Name a topic (for example "North Korea\'s cyber theft" or '
        "拉致問題) to see what each statement said about it, in date order, with the wording "
        "changes from one statement to the next.</p>"
    )
