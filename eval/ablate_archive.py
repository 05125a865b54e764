"""The archive table of the closing note: each retrieval technique alone and together, measured
on the shared development archive with the shipped code (not a test; ~2 minutes).

Usage (from the repo root)::

    .venv/bin/python eval/ablate_archive.py ../shared/eval/archive

Builds two indexes of corpus/ + ARCHIVE/docs (with and without the title/date context header)
and evaluates ARCHIVE/questions.jsonl with the scoring terms switched on one at a time, by
setting the constants of assistant.scoring and assistant.search for the run.
"""

from __future__ import annotations

import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

from assistant import Assistant, build_index, indexer, scoring
from assistant.evaluate import evaluate, read_questions

ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def patched(obj, **values):
    saved = {name: getattr(obj, name) for name in values}
    for name, value in values.items():
        setattr(obj, name, value)
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(obj, name, value)


def build(archive: Path, folder: Path, header: bool) -> Assistant:
    context = indexer.context_line
    plain = lambda document, section, several: context(document, section, False)  # noqa: E731
    with patched(indexer, context_line=context if header else plain):
        build_index([ROOT / "corpus", archive / "docs"], index_dir=folder)
    return Assistant.load(folder)


def row(name: str, qa: Assistant, rows: list[dict], calibrate: bool, date: float) -> str:
    retriever = qa.retriever
    bank = retriever.language_bank
    with (
        patched(retriever, language_bank=bank if calibrate else {}),
        patched(scoring, DATE_WEIGHT=date),
    ):
        summary = evaluate(qa, rows)
    cells = [f"{summary['overall']['hit@1']:.2f} / {summary['overall']['hit@3']:.2f}"]
    for kind in ("same-lang", "cross-lang", "disambig"):
        metrics = summary[f"kind:{kind}"]
        cells.append(f"{metrics['hit@1']:.2f} / {metrics['hit@3']:.2f}")
    cells += [f"{summary[lang]['hit@1']:.2f}" for lang in ("ja", "en", "ko")]
    cells.append(f"{summary['kind:ood']['rejected']:.2f}")
    cells.append(f"{summary['overall']['confident']:.2f}")
    return f"| {name} | " + " | ".join(cells) + " |"


def main(archive: Path) -> None:
    rows = read_questions(archive / "questions.jsonl")
    print(
        "| scoring | hit@1 / hit@3 | same-lang | cross-lang | disambig | ja hit@1 | en hit@1 "
        "| ko hit@1 | off-topic rejected | answerable confident |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        plain = build(archive, Path(tmp) / "plain", header=False)
        headed = build(archive, Path(tmp) / "headed", header=True)
        print(row("none of the new terms", plain, rows, calibrate=False, date=0.0))
        print(row("context header alone", headed, rows, calibrate=False, date=0.0))
        print(row("language calibration alone", plain, rows, calibrate=True, date=0.0))
        print(row("date evidence alone", plain, rows, calibrate=False, date=scoring.DATE_WEIGHT))
        print(row("header + date", headed, rows, calibrate=False, date=scoring.DATE_WEIGHT))
        print(row("header + calibration", headed, rows, calibrate=True, date=0.0))
        print(row("shipped: all three", headed, rows, calibrate=True, date=scoring.DATE_WEIGHT))


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else ROOT.parent / "shared" / "eval" / "archive"))
