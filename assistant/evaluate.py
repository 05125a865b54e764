"""hit@1, hit@3 and MRR over a JSONL question set, overall, per language and per kind.

Two row formats are graded:

* single-document rows: ``{"lang": "ja", "question": "...", "expect": "phrase" | null,
  "paragraph": 7 | null}``: a hit is a passage that contains ``expect`` (and, when given, has
  that paragraph number);
* archive rows, which also name the answering file: ``{"lang", "question", "doc": "name.txt",
  "expect", "kind": "same-lang" | "cross-lang" | "disambig" | "ood", "alt": [{"doc",
  "expect"}]}``: a hit is a passage from a file of that name containing ``expect``, or one of
  the ``alt`` citations (a translation's paragraph answers as well). Paragraph numbers are not
  compared: ``expect`` is unique within its document.

Rows with ``expect: null`` have no answer in the corpus: they count as rejected when the answer
is not confident. ``confident`` is the share of answerable questions answered confidently.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.errors import InputError
from assistant.ingest.documents import file_name

if TYPE_CHECKING:
    from assistant.api import Assistant, Passage

K_VALUES = (1, 3)


def read_questions(path: str | Path) -> list[dict[str, Any]]:
    """Parse the question file; raises InputError naming the bad line."""
    rows = []
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InputError(f"cannot read questions file {path}: {exc.strerror or exc}") from exc
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError as exc:
            raise InputError(f"{path}:{number}: not valid JSON ({exc.msg})") from exc
        if not isinstance(row, dict) or not isinstance(row.get("question"), str):
            raise InputError(f'{path}:{number}: each line needs a "question" string')
        problem = _row_problem(row)
        if problem:
            raise InputError(f"{path}:{number}: {problem}")
        rows.append(row)
    if not rows:
        raise InputError(f"{path} holds no questions")
    return rows


KINDS = ("same-lang", "cross-lang", "disambig", "ood")
DIALOGUE_KINDS = ("change-topic", "detail", "change-meeting")
"""Kinds of follow-up in a dialogue set (rows with ``history``): the follow-up keeps the
meeting but changes the topic, asks a narrower detail, or keeps the topic at another meeting."""


def _row_problem(row: dict[str, Any]) -> str | None:
    """What makes a parsed row ungradable, if anything: an empty phrase would be found in
    every passage and grade any answer a hit."""
    kind = row.get("kind")
    kinds = (*KINDS, *DIALOGUE_KINDS)
    if kind is not None and kind not in kinds:
        return f'"kind" must be one of {", ".join(kinds)}, not {kind!r}'
    history = row.get("history")
    if history is not None and (
        not isinstance(history, list) or not all(isinstance(h, str) for h in history)
    ):
        return '"history" must be a list of the earlier questions (text), oldest first'
    expect = row.get("expect")
    if kind == "ood" and expect is not None:
        return '"expect" must be null for an off-topic ("ood") question'
    if expect is not None and (not isinstance(expect, str) or not expect.strip()):
        return '"expect" must be the phrase that answers, or null when nothing does'
    for alt in row.get("alt") or []:
        if (
            not isinstance(alt, dict)
            or not alt.get("doc")
            or not str(alt.get("expect", "")).strip()
        ):
            return 'each "alt" needs a "doc" and a non-empty "expect"'
    return None


def is_hit(passage: Passage, row: dict[str, Any]) -> bool:
    """Whether ``passage`` answers ``row`` (see the module docstring for both formats)."""
    if row.get("doc"):
        targets = [row, *(row.get("alt") or [])]
        name = file_name(passage.source)
        return any(
            name == t.get("doc") and t.get("expect") and t["expect"] in passage.text
            for t in targets
        )
    if row.get("paragraph") is not None and passage.paragraph != row["paragraph"]:
        return False
    return row["expect"] in passage.text


def _wanted(row: dict) -> str:
    """What a row asks for, as a miss line shows it: the document and the paragraph number, or
    the expected text when the row gives no number (the archive sets)."""
    where = f"¶{row['paragraph']}" if row.get("paragraph") else f"“{row.get('expect')}”"
    return f"{row['doc']} {where}" if row.get("doc") else where


def evaluate(
    assistant: Assistant, rows: list[dict[str, Any]], k: int = 3, mode: str | None = None
) -> dict[str, Any]:
    """Run every question; returns metrics overall and per language, plus the misses.

    >>> metrics = evaluate(qa, read_questions("dev_questions.jsonl"))
    >>> metrics["overall"]["hit@1"]
    0.95
    """
    depth = max(k, *K_VALUES)
    per_bucket: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    misses = []
    latencies = []
    for row in rows:
        lang = row.get("lang", "?")
        buckets = ["overall", lang] + ([f"kind:{row['kind']}"] if row.get("kind") else [])
        started = time.perf_counter()
        options: dict[str, Any] = {"mode": mode} if mode else {}
        if row.get("history"):
            options["history"] = row["history"]
        answer = assistant.ask(row["question"], k=depth, **options)
        latencies.append(time.perf_counter() - started)
        if row.get("expect") is None:
            for bucket in buckets:
                per_bucket[bucket]["rejected"].append(0.0 if answer.confident else 1.0)
            continue
        rank = next((i for i, p in enumerate(answer.passages, 1) if is_hit(p, row)), None)
        for bucket in buckets:
            metrics = per_bucket[bucket]
            for cutoff in K_VALUES:
                metrics[f"hit@{cutoff}"].append(1.0 if rank and rank <= cutoff else 0.0)
            metrics["mrr"].append(1.0 / rank if rank else 0.0)
            metrics["confident"].append(1.0 if answer.confident else 0.0)
        if rank != 1:
            top = answer.passages[0] if answer.passages else None
            misses.append(
                {
                    "lang": lang,
                    "kind": row.get("kind"),
                    "question": row["question"],
                    "want": _wanted(row),
                    "rank": rank,
                    "got": top.citation if top else None,
                }
            )
    summary: dict[str, Any] = {}
    order = {"overall": 0, "ja": 1, "en": 2, "ko": 3}
    for bucket, metrics in sorted(
        per_bucket.items(), key=lambda kv: (kv[0].startswith("kind:"), order.get(kv[0], 9), kv[0])
    ):
        summary[bucket] = {name: round(sum(v) / len(v), 3) for name, v in metrics.items()}
        summary[bucket]["n"] = len(metrics.get("mrr", [])) + len(metrics.get("rejected", []))
    latencies.sort()
    summary["latency_ms_p50"] = round(1000 * latencies[len(latencies) // 2], 1)
    summary["misses"] = misses
    return summary


def format_table(summary: dict[str, Any]) -> str:
    """A plain table of the metrics, one row per language."""
    columns = ["n", "hit@1", "hit@3", "mrr", "confident", "rejected"]
    lines = ["bucket           " + "".join(f"{c:>10}" for c in columns)]
    for bucket, metrics in summary.items():
        if not isinstance(metrics, dict):
            continue
        cells = "".join(f"{metrics[c]:>10}" if c in metrics else f"{'-':>10}" for c in columns)
        lines.append(f"{bucket:<17}" + cells)
    lines.append(f"search latency p50: {summary['latency_ms_p50']} ms")
    for miss in summary["misses"]:
        lines.append(
            f"  miss [{miss['lang']}{' ' + miss['kind'] if miss.get('kind') else ''}] "
            f"{miss['question']} -> want {miss['want']}, "
            f"rank {miss['rank']}, top {miss['got']}"
        )
    return "\n".join(lines)


# -- timelines -------------------------------------------------------------------------------


def is_timeline_set(rows: list[dict[str, Any]]) -> bool:
    """A timeline set's rows name every document that addresses a topic (``addressing``)."""
    return all("addressing" in row for row in rows)


def _statement_files(entry: Any) -> set[str]:
    return {file_name(entry.source), *(file_name(v["source"]) for v in entry.versions)}


def _right_paragraph(entry: Any, gold: dict[str, list[str]]) -> bool:
    """Whether the entry's paragraph (or one of its versions') holds a phrase the set gives
    for that file."""
    shown = [(file_name(entry.source), entry.text)]
    shown += [(file_name(v["source"]), v["text"]) for v in entry.versions]
    return any(any(x in text for x in gold.get(name, [])) for name, text in shown)


def grade_timeline(timeline: Any, row: dict[str, Any]) -> dict[str, Any]:
    """One timeline graded against its row: addressing statements found with a right paragraph,
    entries marked addressing that do, dates in order, every diff spelling both texts."""
    from assistant.answer.wording import spelled

    gold = {a["doc"]: list(a["expect"]) for a in row.get("addressing") or []}
    marked = timeline.addressing
    true_marked = [e for e in marked if _statement_files(e) & set(gold)]
    found = [e for e in true_marked if _right_paragraph(e, gold)]
    statements = {
        frozenset(_statement_files(e)) for e in timeline.entries if _statement_files(e) & set(gold)
    }
    dated = [e.date for e in timeline.entries if e.date]
    previous: dict[str | None, str] = {}
    diffs_spell = True
    for entry in marked:
        if entry.diff is not None:
            before = previous.get(entry.lang)
            diffs_spell &= spelled(entry.diff, "before") == before
            diffs_spell &= spelled(entry.diff, "after") == entry.text
        previous[entry.lang] = entry.text
    return {
        "addressing": len(statements),
        "found": len(found),
        "marked": len(marked),
        "true_marked": len(true_marked),
        "clean": not marked,
        "in_order": dated == sorted(dated)
        and all(e.date is None for e in timeline.entries[len(dated) :]),
        "diffs_spell": diffs_spell,
    }


def evaluate_timeline(assistant: Assistant, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Recall (addressing statements whose entry is marked and cites a right paragraph),
    precision (entries marked addressing that do) and, for topics nothing addresses, the share
    left without an addressing entry; overall and per language.

    >>> evaluate_timeline(qa, read_questions("eval/timeline_dev.jsonl"))["overall"]["recall"]
    0.5
    """
    buckets: dict[str, list[tuple[dict[str, Any], dict[str, Any]]]] = defaultdict(list)
    latencies = []
    for row in rows:
        started = time.perf_counter()
        timeline = assistant.timeline(row["question"])
        latencies.append(time.perf_counter() - started)
        graded = grade_timeline(timeline, row)
        for bucket in ("overall", row.get("lang", "?")):
            buckets[bucket].append((row, graded))
    order = {"overall": 0, "ja": 1, "en": 2, "ko": 3}
    summary: dict[str, Any] = {}
    for bucket, graded_rows in sorted(buckets.items(), key=lambda kv: order.get(kv[0], 9)):
        present = [g for r, g in graded_rows if not r.get("absent")]
        absent = [g for r, g in graded_rows if r.get("absent")]
        addressing = sum(g["addressing"] for g in present)
        marked = sum(g["marked"] for _, g in graded_rows)
        summary[bucket] = {
            "n": len(graded_rows),
            "recall": round(sum(g["found"] for g in present) / max(addressing, 1), 3),
            "precision": round(
                sum(g["true_marked"] for _, g in graded_rows) / marked if marked else 1.0, 3
            ),
            "absent_clean": round(sum(g["clean"] for g in absent) / len(absent), 3)
            if absent
            else None,
            "in_order": all(g["in_order"] for _, g in graded_rows),
            "diffs_spell": all(g["diffs_spell"] for _, g in graded_rows),
        }
    latencies.sort()
    summary["latency_ms_p50"] = round(1000 * latencies[len(latencies) // 2], 1)
    return summary


def format_timeline_table(summary: dict[str, Any]) -> str:
    """A plain table of the timeline metrics, one row per language."""
    columns = ["n", "recall", "precision", "absent_clean", "in_order", "diffs_spell"]
    lines = ["bucket    " + "".join(f"{c:>14}" for c in columns)]
    for bucket, metrics in summary.items():
        if isinstance(metrics, dict):
            cells = "".join(f"{metrics[c]!s:>14}" for c in columns)
            lines.append(f"{bucket:<10}" + cells)
    lines.append(f"timeline latency p50: {summary['latency_ms_p50']} ms")
    return "\n".join(lines)
