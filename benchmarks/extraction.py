"""Extraction benchmark: which HTML extractor keeps the statement and drops the page chrome,
how fast HTML and PDF are read (embedding excluded), and whether saved pages answer as well
as the same text given as .txt.

Run from the repository root with the project's interpreter::

    .venv/bin/python benchmarks/extraction.py              # extractors and speed (~30 s)
    .venv/bin/python benchmarks/extraction.py --quality    # + build both corpora, compare hit@1

Pages: the HTML fixtures of tests/fixtures/html and, when ../shared/eval/archive is there, its
20 ja/en/ko statements wrapped in ministry-like pages (benchmarks/ministry_pages.py). PDFs: the
same statements printed by headless Chromium. readability-lxml is measured when installed
(``pip install readability-lxml``); it is not a dependency of the assistant.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path[:0] = [str(REPO), str(HERE), str(REPO / "tests")]

from ministry_pages import boilerplate, language_of, statement_blocks, wrap_archive  # noqa: E402

FIXTURES = REPO / "tests" / "fixtures" / "html"
ARCHIVE = REPO.parent / "shared" / "eval" / "archive"
MIN_SECONDS = 3.0
"""Each speed is timed over repeated passes for at least this long (one pass is too short)."""


# -- pages with known content ------------------------------------------------------------------


def labelled_pages(workdir: Path) -> list[dict[str, Any]]:
    """Pages with the paragraphs they must keep and the chrome they must drop."""
    expected = json.loads((FIXTURES / "expected.json").read_text(encoding="utf-8"))
    pages = [
        {"name": name, "path": FIXTURES / name, "keep": e["paragraphs"], "drop": e["boilerplate"]}
        for name, e in sorted(expected.items())
    ]
    if ARCHIVE.is_dir():
        headings = json.loads((ARCHIVE / "headings.json").read_text(encoding="utf-8"))
        for page in wrap_archive(ARCHIVE / "docs", headings, workdir / "archive-html"):
            source = ARCHIVE / "docs" / (page.stem + ".txt")
            _, blocks = statement_blocks(source, headings.get(source.name, []))
            pages.append(
                {
                    "name": page.name,
                    "path": page,
                    "keep": [t for kind, t in blocks if kind == "text"],
                    "drop": boilerplate(language_of(source)),
                }
            )
    return pages


def trafilatura_paragraphs(data: bytes) -> list[str]:
    from assistant.ingest.formats.html import read_html

    return [b.text for b in read_html(data).blocks if b.kind != "heading"]


def readability_paragraphs(data: bytes) -> list[str]:
    """readability-lxml's article, split into the same blocks (p, li, dd, blockquote, pre)."""
    import lxml.html
    from readability import Document

    from assistant.ingest.formats.html import decode_html

    summary = Document(decode_html(data) or "").summary(html_partial=True)
    tree = lxml.html.fragment_fromstring(summary, create_parent="div")
    texts = []
    for element in tree.iter("p", "li", "dd", "blockquote", "pre"):
        text = " ".join(element.text_content().split())
        if text:
            texts.append(text)
    return texts


def score(extract: Callable[[bytes], list[str]], pages: list[dict[str, Any]]) -> dict[str, Any]:
    """Paragraph recall (kept paragraphs found whole), chrome leaked, extra paragraphs, speed."""
    kept = total_keep = leaked = total_drop = extra = 0
    seconds = []
    for page in pages:
        data = page["path"].read_bytes()
        started = time.perf_counter()
        try:
            texts = extract(data)
        except Exception:
            texts = []
        seconds.append(time.perf_counter() - started)
        joined = "\n".join(texts)
        kept += sum(any(k in t for t in texts) for k in page["keep"])
        total_keep += len(page["keep"])
        leaked += sum(d in joined for d in page["drop"])
        total_drop += len(page["drop"])
        extra += sum(not any(k in t for k in page["keep"]) for t in texts)
    return {
        "paragraph_recall": round(kept / total_keep, 3),
        "chrome_leaked": round(leaked / total_drop, 3),
        "extra_paragraphs": extra,
        "ms_per_page": round(1000 * statistics.mean(seconds), 2),
        "pages": len(pages),
    }


# -- speed -------------------------------------------------------------------------------------


def pages_per_second(paths: list[Path], pages_in: Callable[[Path], int]) -> float:
    """read_document over ``paths`` repeatedly for MIN_SECONDS; pages read per second."""
    from assistant.ingest.documents import read_document

    count, started = 0, time.perf_counter()
    while time.perf_counter() - started < MIN_SECONDS:
        for path in paths:
            document, _ = read_document(path)
            assert document is not None, path
            count += pages_in(path)
    return count / (time.perf_counter() - started)


def pdf_pages(path: Path) -> int:
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(path)
    try:
        return len(document)
    finally:
        document.close()


def printed_pdfs(pages: list[Path], folder: Path) -> list[Path]:
    from fixtures.printing import chromium, print_to_pdf

    if chromium() is None:
        return []
    folder.mkdir(parents=True, exist_ok=True)
    return [print_to_pdf(page, folder / (page.stem + ".pdf")) for page in pages]


# -- quality: saved pages against the same text as .txt ----------------------------------------


def doc_hit_at_1(index: Path, questions: Path) -> dict[str, Any]:
    """hit@1 of the rows that name a document, two ways: ``doc+phrase`` (the top passage is
    from that document, any suffix, and holds the expected phrase, or matches an ``alt``) and
    ``doc+paragraph`` (that, and the paragraph number too; the archive numbers every block
    not listed in headings.json, while .txt reading makes short lines such as dates headings,
    so numbers differ between the two corpora for the same passage)."""
    from assistant import Assistant

    assistant = Assistant.load(index)
    rows = [json.loads(line) for line in questions.read_text(encoding="utf-8").splitlines()]
    rows = [r for r in rows if r.get("doc")]
    hits: dict[str, dict[str, list[int]]] = {"doc+phrase": {}, "doc+paragraph": {}}
    for row in rows:
        top = assistant.ask(row["question"], k=1).passages[0]
        stem = Path(top.source).stem
        targets = [row, *row.get("alt", [])]
        phrase = any(
            stem == Path(t["doc"]).stem and t.get("expect", row["expect"]) in top.text
            for t in targets
        )
        paragraph = any(
            stem == Path(t["doc"]).stem
            and top.paragraph == t["paragraph"]
            and t.get("expect", row["expect"]) in top.text
            for t in targets
        )
        for metric, hit in (("doc+phrase", phrase), ("doc+paragraph", paragraph)):
            for lang in (row["lang"], "overall"):
                hits[metric].setdefault(lang, []).append(int(hit))
    return {
        metric: {lang: round(sum(h) / len(h), 3) for lang, h in sorted(by_lang.items())}
        for metric, by_lang in hits.items()
    } | {"questions": len(rows)}


def renamed_questions(questions: Path, suffix: str, out: Path) -> Path:
    """The archive questions with their document names given ``suffix`` (``.html``), so that
    ``assistant eval`` grades the saved pages exactly as it grades the .txt files."""

    def rename(target: dict[str, Any]) -> dict[str, Any]:
        if target.get("doc"):
            target["doc"] = str(Path(target["doc"]).with_suffix(suffix))
        for alt in target.get("alt") or []:
            rename(alt)
        return target

    rows = [json.loads(line) for line in questions.read_text(encoding="utf-8").splitlines()]
    out.write_text(
        "".join(json.dumps(rename(r), ensure_ascii=False) + "\n" for r in rows), encoding="utf-8"
    )
    return out


def quality(workdir: Path) -> dict[str, Any]:
    """Build the archive as .txt and as saved pages; grade both with ``assistant eval``'s own
    evaluate() on the same questions, plus hit@1 with paragraph numbers (doc_hit_at_1)."""
    from assistant import Assistant, build_index
    from assistant.evaluate import evaluate, read_questions

    headings = json.loads((ARCHIVE / "headings.json").read_text(encoding="utf-8"))
    html_dir = workdir / "quality-html"
    wrap_archive(ARCHIVE / "docs", headings, html_dir)
    questions = ARCHIVE / "questions.jsonl"
    results = {}
    for name, corpus, rows in (
        ("txt", ARCHIVE / "docs", questions),
        ("html", html_dir, renamed_questions(questions, ".html", workdir / "q-html.jsonl")),
    ):
        index = workdir / f"index-{name}"
        report = build_index([corpus], index_dir=index)
        summary = evaluate(Assistant.load(index), read_questions(rows), k=3)
        results[name] = {
            "passages": report.passages,
            "eval": {
                bucket: {m: summary[bucket].get(m) for m in ("n", "hit@1", "hit@3", "mrr")}
                for bucket in summary
                if isinstance(summary[bucket], dict) and "hit@1" in summary[bucket]
            },
            "with_paragraph_numbers": doc_hit_at_1(index, rows),
        }
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quality", action="store_true", help="also compare hit@1 txt vs html")
    parser.add_argument("--json", type=Path, help="write the results here too")
    args = parser.parse_args()
    results: dict[str, Any] = {"load_average_before": os.getloadavg()[0], "cores": os.cpu_count()}
    with tempfile.TemporaryDirectory(prefix="extraction-") as tmp:
        workdir = Path(tmp)
        pages = labelled_pages(workdir)
        results["extractors"] = {"trafilatura": score(trafilatura_paragraphs, pages)}
        try:
            import readability  # noqa: F401

            results["extractors"]["readability-lxml"] = score(readability_paragraphs, pages)
        except ImportError:
            results["extractors"]["readability-lxml"] = "not installed"
        html_paths = [p["path"] for p in pages]
        results["html_pages_per_s"] = round(pages_per_second(html_paths, lambda _: 1), 1)
        pdfs = printed_pdfs([p for p in html_paths if p.parent.name == "archive-html"], workdir)
        if pdfs:
            counts = {p: pdf_pages(p) for p in pdfs}
            results["pdf_files"] = len(pdfs)
            results["pdf_pages"] = sum(counts.values())
            results["pdf_pages_per_s"] = round(pages_per_second(pdfs, counts.__getitem__), 1)
        results["load_average_after_speed"] = os.getloadavg()[0]  # the machine is shared
        if args.quality:
            results["doc_hit@1"] = quality(workdir)
    print(json.dumps(results, ensure_ascii=False, indent=2))
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
