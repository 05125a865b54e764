"""All-but-one ablation of the shipped configuration on question sets, pooled: for every
evidence term, answer check and score component, what removing it does (``Config.without``),
per set. A term earns its place when removing it costs at least one question in all (hit@1,
hit@3 and off-topic rejections counted together) and costs no set more than one question
(docs/evaluation.md says why one question is the tolerance).

Usage (from the repo root; ~5 minutes)::

    .venv/bin/python eval/ablate.py eval/fresh/fresh_archive_a.jsonl \\
        eval/fresh/fresh_archive_b.jsonl eval/fresh/fresh_archive_c.jsonl \\
        eval/fresh/fresh_book.jsonl:book [--book DIR] [--model NAME] [--json OUT]

A set is evaluated on ``corpus/`` + the shared archive's documents; ``:book`` adds the Debian
installation guide chapters (``eval/measure_book.py`` says which; ``--book`` names a folder
holding them as ``en-ch01s01.html`` ..., else they are fetched with apt). ``:seed`` evaluates on
``corpus/`` alone.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from assistant import Assistant, build_index
from assistant.config import Config
from assistant.evaluate import evaluate, read_questions

ROOT = Path(__file__).resolve().parent.parent
ARCHIVE = ROOT.parent / "shared" / "eval" / "archive"


def book_folder(given: Path | None, work: Path) -> Path:
    """The book's chapters as one folder of HTML pages (see eval/measure_book.py)."""
    if given:
        return given
    sys.path.insert(0, str(ROOT / "eval"))
    from measure_book import CHAPTERS, GUIDE, extracted_package

    root = extracted_package(work)
    book = work / "book"
    book.mkdir()
    for lang, pattern in CHAPTERS.items():
        for page in sorted((root / GUIDE / lang).glob(pattern)):
            (book / f"{lang}-{page.name}").write_bytes(page.read_bytes())
    return book


def counts(summary: dict) -> dict[str, int]:
    """Questions (not rates) answered right at 1 and 3, answerable ones answered confidently,
    and off-topic ones rejected: what a term gains or loses is counted in questions."""
    answerable = summary["overall"].get("mrr") is not None
    n_answerable = sum(
        summary[k]["n"] for k in summary if k.startswith("kind:") and k != "kind:ood"
    ) or (summary["overall"]["n"] if answerable else 0)
    ood = summary.get("kind:ood", {})
    overall = summary["overall"]
    return {
        "hit@1": round(overall.get("hit@1", 0) * n_answerable),
        "hit@3": round(overall.get("hit@3", 0) * n_answerable),
        "confident": round(overall.get("confident", 0) * n_answerable),
        "rejected": round(ood.get("rejected", 0) * ood.get("n", 0)),
    }


GRADED = ("hit@1", "hit@3", "rejected")
"""What a term's place is judged on; answerable questions answered confidently are shown beside."""

TOLERANCE = 1
"""Questions one set may lose to a term that earns in all: one question moves a 32-question
set's hit@1 by 3 points, where its 95% interval is about +-16 points."""


def gain(base: dict[str, int], without: dict[str, int]) -> int:
    """Questions a term gains on one set (hit@1, hit@3 and rejections together)."""
    return sum(base[m] - without[m] for m in GRADED)


def earns(per_set: dict[str, int]) -> bool:
    return sum(per_set.values()) >= 1 and min(per_set.values()) >= -TOLERANCE


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sets", nargs="+", help="question files, each optionally :book or :seed")
    parser.add_argument("--book", type=Path, help="folder of the book's HTML chapters")
    parser.add_argument("--model", help="embedding model (default: the built-in)")
    parser.add_argument("--json", type=Path, help="write every summary here")
    parser.add_argument("--only", nargs="+", help="ablate only these (Config.ablatable names)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        sets = []
        for spec in args.sets:
            path, _, corpus = spec.partition(":")
            sets.append((Path(path).stem, read_questions(path), corpus or "archive"))
        folders = {"seed": [ROOT / "corpus"], "archive": [ROOT / "corpus", ARCHIVE / "docs"]}
        if any(corpus == "book" for *_, corpus in sets):
            folders["book"] = [*folders["archive"], book_folder(args.book, work)]
        shipped = Config()
        indexes: dict[tuple[str, str], Assistant] = {}

        def assistant_for(corpus: str, config: Config) -> Assistant:
            """An index of ``corpus`` built with ``config``'s build-time settings (one per
            distinct setting: only the build-time ablations build again)."""
            key = (corpus, f"dates-{config.inferred_dates}-lead-{config.dateline_context}")
            if key not in indexes:
                folder = work / "-".join(key)
                build_index(folders[corpus], index_dir=folder, model=args.model, config=config)
                indexes[key] = Assistant.load(folder, model=args.model)
            return indexes[key]

        results: dict[str, dict] = {}
        for name in ("shipped", *(f"without {n}" for n in Config.ablatable())):
            config = shipped if name == "shipped" else shipped.without(name[len("without ") :])
            if name != "shipped" and config == shipped:
                continue  # already off in the shipped configuration
            if name != "shipped" and args.only and name[len("without ") :] not in args.only:
                continue
            results[name] = {}
            for set_name, rows, corpus in sets:
                qa = assistant_for(corpus, config)
                qa.config = config
                results[name][set_name] = evaluate(qa, rows)
            print_row(name, results, sets)
        if args.json:
            args.json.write_text(json.dumps(results, ensure_ascii=False, indent=1))


def print_row(name: str, results: dict, sets: list) -> None:
    """One line: the pooled counts, and for an ablation what the term gains per set."""
    summaries = results[name]
    pooled = {m: sum(counts(s)[m] for s in summaries.values()) for m in counts_keys()}
    line = f"{name:<24} " + " ".join(f"{m} {v:>4}" for m, v in pooled.items())
    if name != "shipped":
        per_set = {s: gain(counts(results["shipped"][s]), counts(summaries[s])) for s, *_ in sets}
        confident = sum(
            counts(results["shipped"][s])["confident"] - counts(summaries[s])["confident"]
            for s, *_ in sets
        )
        verdict = "earns" if earns(per_set) else "FAILS"
        line += f"   gain {sum(per_set.values()):>3} {per_set} confident {confident:+d} {verdict}"
    print(line, flush=True)


def counts_keys() -> tuple[str, ...]:
    return ("hit@1", "hit@3", "confident", "rejected")


if __name__ == "__main__":
    main()
