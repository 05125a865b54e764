"""Warm search latency on the archive (corpus/ + the shared archive's 20 documents): p50 and p95
of ``Assistant.ask`` over the archive's dev questions, optionally for two checkouts of the
project in one run, so that their ratio is measured under the same machine load.

    .venv/bin/python benchmarks/archive_search.py                   # this checkout
    .venv/bin/python benchmarks/archive_search.py --against ../old  # old and new, alternating

Each checkout builds its own index with its own code, then every round runs each checkout's
measurement in a fresh child process (``--child``), alternating, and the medians of the rounds
are compared: absolute times on these shared 2-core machines vary by +-50 %, ratios far less.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ARCHIVE = REPO.parent / "shared" / "eval" / "archive"


def child(tree: Path, index: Path, repeat: int) -> None:
    """In a fresh process whose imports come from ``tree``: build the index when missing,
    warm up, then time every dev question ``repeat`` times; print the timings as JSON."""
    sys.path.insert(0, str(tree))
    from assistant import Assistant, build_index

    if not (index / "current").exists():
        build_index([tree / "corpus", ARCHIVE / "docs"], index_dir=index)
    qa = Assistant.load(index)
    lines = (ARCHIVE / "questions.jsonl").read_text(encoding="utf-8").splitlines()
    questions = [json.loads(line)["question"] for line in lines if line.strip()]
    for question in questions[:5]:
        qa.ask(question)
    times = []
    for _ in range(repeat):
        for question in questions:
            started = time.perf_counter()
            qa.ask(question)
            times.append(1000 * (time.perf_counter() - started))
    print(json.dumps(times))


def measure(tree: Path, index: Path, repeat: int) -> list[float]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(tree), str(index), str(repeat)],
        capture_output=True,
        text=True,
        check=True,
        cwd=tree,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--against", type=Path, help="another checkout to measure in the same run")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    trees = {"this": REPO}
    if args.against:
        trees["against"] = args.against.resolve()
    with tempfile.TemporaryDirectory() as tmp:
        rounds: dict[str, list[tuple[float, float]]] = {name: [] for name in trees}
        for _ in range(args.rounds):
            for name, tree in trees.items():
                times = sorted(measure(tree, Path(tmp) / name, args.repeat))
                rounds[name].append((statistics.median(times), times[int(0.95 * len(times))]))
    result = {}
    for name, values in rounds.items():
        p50 = statistics.median(v[0] for v in values)
        p95 = statistics.median(v[1] for v in values)
        result[name] = {"p50_ms": round(p50, 1), "p95_ms": round(p95, 1)}
        print(f"{name:<8} p50 {p50:6.1f} ms   p95 {p95:6.1f} ms   ({trees[name]})")
    if "against" in result:
        ratio = result["this"]["p50_ms"] / result["against"]["p50_ms"]
        print(f"p50 ratio this/against: {ratio:.2f}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4]))
    else:
        main()
