"""Measure paragraph alignment and translation grouping against eval/alignments.json (not a
test; tests/test_versions.py asserts the targets).

Usage (from the repo root)::

    .venv/bin/python eval/measure_alignments.py [INDEX]

Without INDEX, builds a temporary index of the gold set's corpus (the shared archive, ~1 min).
Prints alignment accuracy per gold pair, the groups found, false groups among the pairs that
must not be grouped, and what grouping and alignment cost against the whole build.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from assistant import Assistant, build_index
from assistant.indexing.versions import alignment_accuracy

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str]) -> int:
    gold = json.loads((ROOT / "eval" / "alignments.json").read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory() as scratch:
        index_dir = Path(argv[0]) if argv else Path(scratch)
        if not argv:
            print(build_index([ROOT / gold["corpus"]], index_dir=index_dir).summary())
        manifest = Assistant.load(index_dir).manifest
    report = alignment_accuracy(manifest.get("alignments", []), gold["pairs"])
    for pair, counts in report.items():
        print(f"{pair}: {counts['found']}/{counts['gold']} gold links, {counts['false']} false")
    found = sum(c["found"] for c in report.values())
    total = sum(c["gold"] for c in report.values())
    false = sum(c["false"] for c in report.values())
    print(f"alignment accuracy {found / total:.3f} ({found}/{total}), false links {false}")
    groups = [sorted(Path(s).name for s in group) for group in manifest.get("groups", [])]
    print(f"groups found ({len(groups)}): {groups}")
    wrong = [pair for pair in gold["not_versions"] if any(set(pair) <= set(g) for g in groups)]
    print(f"false groups among not_versions: {wrong}")
    seconds, build = manifest.get("versions_seconds", 0.0), manifest.get("build_seconds", 0.0)
    print(f"grouping + alignment {seconds:.3f} s of a {build:.1f} s build")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
