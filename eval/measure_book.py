"""The "real multilingual book beside the statements" measurement of the archive issue.

The book is the Debian Installation Guide (amd64), a real technical manual that Debian ships
in English, Japanese and Korean (package ``installation-guide-amd64``; not copied into this
repository). To make every question cross-language, each language contributes different
chapters: English chapter 1 (about Debian), Japanese chapter 2 (system requirements), Korean
chapter 3 (before installing), 19 HTML pages, 231 paragraphs. They are indexed beside the seed
and the 20 archive statements, and ``eval/book_questions.jsonl`` (24 questions written here,
each asked in a language its answering page is not in) is graded as ``assistant eval`` does.

Usage (from the repo root; downloads the package with apt when no folder is given)::

    .venv/bin/python eval/measure_book.py [EXTRACTED_PACKAGE_ROOT]
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from assistant import Assistant, build_index
from assistant.evaluate import evaluate, format_table, read_questions

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
ARCHIVE = ROOT.parent / "shared" / "eval" / "archive"
GUIDE = "usr/share/doc/installation-guide-amd64"
CHAPTERS = {"en": "ch01s0[1-8].html", "ja": "ch02s0[1-5].html", "ko": "ch03s0[1-6].html"}


def extracted_package(folder: Path) -> Path:
    """Download installation-guide-amd64 with apt and unpack it into ``folder``."""
    subprocess.run(["apt-get", "download", "installation-guide-amd64"], cwd=folder, check=True)
    package = next(folder.glob("installation-guide-amd64_*.deb"))
    subprocess.run(["dpkg", "-x", str(package), str(folder / "x")], check=True)
    return folder / "x"


def main(package_root: Path | None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        root = package_root or extracted_package(work)
        book = work / "book"
        book.mkdir()
        for lang, pattern in CHAPTERS.items():
            for page in sorted((root / GUIDE / lang).glob(pattern)):
                shutil.copy(page, book / f"{lang}-{page.name}")
        build_index([ROOT / "corpus", ARCHIVE / "docs", book], index_dir=work / "index")
        summary = evaluate(
            Assistant.load(work / "index"), read_questions(HERE / "book_questions.jsonl")
        )
        print(format_table(summary))


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else None)
