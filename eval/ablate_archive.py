"""The archive table of the closing note: each retrieval technique alone, all together, and all
but one, measured on the shared development archive with the shipped code (not a test; ~2
minutes).

Usage (from the repo root)::

    .venv/bin/python eval/ablate_archive.py ../shared/eval/archive
    .venv/bin/python eval/ablate_archive.py ../shared/eval/archive \
        eval/archive_fresh_questions.jsonl     # the 21 questions written after tuning
    .venv/bin/python eval/ablate_archive.py ../shared/eval/archive \
        eval/archive_blind_questions.jsonl     # the 45 written blind (README)

Builds four indexes of corpus/ + ARCHIVE/docs (with and without the title/date context header,
with and without dates read from file names) and evaluates ARCHIVE/questions.jsonl with the
query-time terms switched on and off, by setting the functions and constants of the shipped
modules for the run. The techniques:

* header: the document's title and date embedded and indexed with each paragraph (build time);
* names: a document's date from its file name, or from a dateline without a year and the one
  year its text names, when its text gives no full date (build time);
* calibration: the question's own-language bias, measured on the parallel bank, removed;
* date: documents about the month the question names score higher (DATE_WEIGHT);
* wording: the question's dates taken out of what the dense and lexical arms read;
* hubness: passages close to every question lose their excess (HUB_WEIGHT);
* slot: the last of the 3 places goes to a close answer in a language not yet shown
  (LANGUAGE_SLOT_MARGIN);
* account: a question naming one government's account ("Japan's readout") prefers passages in
  that government's language (ACCOUNT_WEIGHT), and the phrase leaves the wording;
* setting: a question's opening setting clause is read apart from what it asks (FOCUS_WEIGHT);
* sounds: names looked up by sound across scripts (assistant.name_sounds): a Latin name no
  script of the documents spells is reported missing, and a document that spells a name of the
  question in another script, or names an acronym of it few documents name, scores higher
  (NAME_WEIGHT);
* reading: Japanese and Korean words of one Chinese-character origin matched by their Korean
  reading across the two languages (assistant.sino_korean, READING_WEIGHT);
* gloss: Japanese and English words matched through the JMdict dictionary's English glosses
  (assistant.glosses, GLOSS_WEIGHT).
"""

from __future__ import annotations

import sys
import tempfile
from contextlib import ExitStack, contextmanager
from pathlib import Path

import numpy as np

from assistant import Assistant, build_index, name_sounds
from assistant.evaluate import evaluate, read_questions
from assistant.indexing import indexer
from assistant.ingest import metadata
from assistant.retrieval import retriever as search
from assistant.retrieval import scoring

ROOT = Path(__file__).resolve().parent.parent
TECHNIQUES = (
    "header",
    "names",
    "calibration",
    "date",
    "wording",
    "hubness",
    "slot",
    "account",
    "setting",
    "sounds",
    "reading",
    "gloss",
)


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


def build(archive: Path, folder: Path, header: bool, names: bool) -> Assistant:
    context = indexer.context_line
    plain = lambda document, section, several: context(document, section, False)  # noqa: E731
    with ExitStack() as stack:
        if not header:
            stack.enter_context(patched(indexer, context_line=plain))
        if not names:
            stack.enter_context(patched(metadata, date_in_name=lambda name: None))
            stack.enter_context(patched(metadata, dateline_date=lambda text: None))
        build_index([ROOT / "corpus", archive / "docs"], index_dir=folder)
    return Assistant.load(folder)


def row(name: str, qa: Assistant, rows: list[dict], on: set[str]) -> str:
    retriever = qa.retriever
    zeros_p = np.zeros_like(retriever.passage_hub)
    zeros_s = np.zeros_like(retriever.sentence_hub)
    with ExitStack() as stack:
        if "calibration" not in on:
            stack.enter_context(patched(retriever, language_bank={}))
        if "date" not in on:
            stack.enter_context(patched(scoring, DATE_WEIGHT=0.0))
        if "wording" not in on:
            stack.enter_context(patched(search, without_dates=lambda question: question))
        if "slot" not in on:
            stack.enter_context(patched(scoring, LANGUAGE_SLOT_MARGIN=-1.0))
        if "account" not in on:
            stack.enter_context(patched(scoring, ACCOUNT_WEIGHT=0.0))
            stack.enter_context(patched(search, without_account=lambda question: question))
        if "setting" not in on:
            stack.enter_context(patched(search, question_focus=lambda question: None))
        if "sounds" not in on:
            stack.enter_context(patched(scoring, NAME_WEIGHT=0.0))
            stack.enter_context(patched(name_sounds.NameSounds, mentions=lambda self, name: True))
        if "reading" not in on:
            stack.enter_context(patched(scoring, READING_WEIGHT=0.0))
        if "gloss" not in on:
            stack.enter_context(patched(scoring, GLOSS_WEIGHT=0.0))
        if "hubness" not in on:
            stack.enter_context(patched(retriever, passage_hub=zeros_p, sentence_hub=zeros_s))
        summary = evaluate(qa, rows)
    cells = [f"{summary['overall']['hit@1']:.2f} / {summary['overall']['hit@3']:.2f}"]
    for kind in ("same-lang", "cross-lang", "disambig"):
        metrics = summary.get(f"kind:{kind}")
        cells.append(f"{metrics['hit@1']:.2f} / {metrics['hit@3']:.2f}" if metrics else "-")
    cells += [f"{summary[lang]['hit@1']:.2f}" for lang in ("ja", "en", "ko")]
    ood = summary.get("kind:ood")
    cells.append(f"{ood['rejected']:.2f}" if ood else "-")
    cells.append(f"{summary['overall']['confident']:.2f}")
    return f"| {name} | " + " | ".join(cells) + " |"


def main(archive: Path, questions: Path | None = None) -> None:
    rows = read_questions(questions or archive / "questions.jsonl")
    print(
        "| scoring | hit@1 / hit@3 | same-lang | cross-lang | disambig | ja hit@1 | en hit@1 "
        "| ko hit@1 | off-topic rejected | answerable confident |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        indexes = {
            (header, names): build(archive, Path(tmp) / f"{header}-{names}", header, names)
            for header in (False, True)
            for names in (False, True)
        }

        def measure(name: str, on: set[str]) -> None:
            qa = indexes[("header" in on, "names" in on)]
            print(row(name, qa, rows, on), flush=True)

        measure("none of the new terms", set())
        for technique in TECHNIQUES:
            measure(f"{technique} alone", {technique})
        measure("names + date", {"names", "date"})
        measure("shipped: all", set(TECHNIQUES))
        for technique in TECHNIQUES:
            measure(f"all but {technique}", set(TECHNIQUES) - {technique})


if __name__ == "__main__":
    main(
        Path(sys.argv[1] if len(sys.argv) > 1 else ROOT.parent / "shared" / "eval" / "archive"),
        Path(sys.argv[2]) if len(sys.argv) > 2 else None,
    )
