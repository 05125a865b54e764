"""Warm latency of the workbench's calls on the archive (corpus/ + the shared archive's 20
documents): a plain answer, a follow-up answered with its history, and a topic timeline, in
one process and interleaved round by round, so their ratios are measured under the same load.

    .venv/bin/python benchmarks/workbench.py             # 5 rounds
    .venv/bin/python benchmarks/workbench.py --rounds 9 --json

The questions are the archive's dev questions, the dialogue dev set (eval/dialogues_dev.jsonl)
and the timeline dev set (eval/timeline_dev.jsonl). Absolute times on these shared 2-core
machines vary by +-50 %; read the ratios to the plain answer.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ARCHIVE = REPO.parent / "shared" / "eval" / "archive"


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def _timed(call: Callable[[], object]) -> float:
    started = time.perf_counter()
    call()
    return 1000 * (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    from assistant import Assistant, build_index

    questions = [r["question"] for r in _rows(ARCHIVE / "questions.jsonl")]
    dialogues = _rows(REPO / "eval" / "dialogues_dev.jsonl")
    topics = [r["question"] for r in _rows(REPO / "eval" / "timeline_dev.jsonl")]
    with tempfile.TemporaryDirectory() as tmp:
        build_index([REPO / "corpus", ARCHIVE / "docs"], index_dir=Path(tmp))
        qa = Assistant.load(Path(tmp))
        calls: dict[str, list[Callable[[], object]]] = {
            "ask": [lambda q=q: qa.ask(q) for q in questions],
            "follow-up": [
                lambda r=r: qa.ask(r["question"], history=r["history"]) for r in dialogues
            ],
            "timeline": [lambda t=t: qa.timeline(t) for t in topics],
        }
        for warm in calls.values():
            for call in warm[:3]:
                call()
        medians: dict[str, list[float]] = {name: [] for name in calls}
        for _ in range(args.rounds):
            for name, group in calls.items():
                medians[name].append(statistics.median(_timed(call) for call in group))
    result = {name: round(statistics.median(values), 1) for name, values in medians.items()}
    ratios = {name: round(value / result["ask"], 2) for name, value in result.items()}
    if args.json:
        print(json.dumps({"p50_ms": result, "ratio_to_ask": ratios}, indent=2))
        return
    for name, value in result.items():
        print(f"{name:<10} p50 {value:6.1f} ms   {ratios[name]:.2f}x a plain answer")


if __name__ == "__main__":
    main()
