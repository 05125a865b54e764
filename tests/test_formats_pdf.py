"""PDFs as people have them: Japanese and English pages printed to PDF by headless Chromium
(its running header and footer left on), long enough that paragraphs cross page breaks."""

from __future__ import annotations

import re
from html import escape
from pathlib import Path

import pytest
from fixtures.printing import chromium, print_to_pdf

from assistant.ingest.documents import parse_document, read_document

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "corpus" / "000_2daad77d3c406492.txt"
DEV = ROOT.parent / "shared" / "eval" / "dev_questions.jsonl"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(chromium() is None, reason="needs chromium (scripts/setup.sh --test)"),
]

LOOKALIKES = "閣僚は、⻑期的な⽇本の協力‧連携の重要性を確認した。"
"""Radical look-alikes (⻑ U+2ED1, ⽇ U+2F47) and U+2027, as some PDF producers emit them."""

ENGLISH = [
    "On November 15th, commencing around 2:45 p.m., the three leaders held a summit meeting "
    "in Lima and confirmed that strategic collaboration among Japan, the United States and "
    "the Republic of Korea has become more important than ever.",
    "The leaders concurred to establish the Trilateral Coordinating Secretariat and to continue "
    "working closely together through this Secretariat in various fields, including policies "
    "toward North Korea and economic security.",
    "The three leaders shared serious concerns about the advancement of nuclear and missile "
    "activities and of the military cooperation between Russia and North Korea, and "
    "reaffirmed that they would continue to work closely together.",
]
HYPHENATED = (
    "The ministers welcomed the trilateral coop-<br>eration on maritime security and "
    "law enforcement, and committed to further joint exercises."
)


def _page(title: str, blocks: list[tuple[str, str]], lang: str, css: str) -> str:
    body = "".join(
        f"<h2>{escape(text)}</h2>" if kind == "h2" else f"<p>{text}</p>" for kind, text in blocks
    )
    return (
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{css}</style></head>"
        f"<body><h1>{escape(title)}</h1>{body}</body></html>"
    )


@pytest.fixture(scope="module")
def printed(tmp_path_factory) -> dict[str, Path]:
    """The seed as HTML in a large font (several pages), an English page, and the seed .txt
    printed as it is, all by Chromium."""
    folder = tmp_path_factory.mktemp("pdfs")
    seed = parse_document(SEED.read_text(encoding="utf-8"), SEED.name)
    blocks: list[tuple[str, str]] = []
    section = None
    for paragraph in seed.paragraphs:
        if paragraph.section != section:
            section = paragraph.section
            blocks.append(("h2", section))
        blocks.append(("p", escape(paragraph.text)))
    blocks.append(("p", escape(LOOKALIKES)))
    css = "body { font-size: 17pt; line-height: 1.5; }"
    (folder / "ja.html").write_text(_page(seed.title, blocks, "ja", css), encoding="utf-8")
    english = [("p", escape(p)) for p in ENGLISH * 3] + [("p", HYPHENATED)]
    (folder / "en.html").write_text(
        _page("Trilateral Summit", english, "en", "body { font-size: 16pt; }"), encoding="utf-8"
    )
    (folder / "seed.txt").write_text(SEED.read_text(encoding="utf-8"), encoding="utf-8")
    return {
        name: print_to_pdf(folder / source, folder / f"{name}.pdf")
        for name, source in (("ja", "ja.html"), ("en", "en.html"), ("seed", "seed.txt"))
    }


def _raw_pages(pdf: Path) -> list[str]:
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(pdf)
    try:
        return [document[i].get_textpage().get_text_range() for i in range(len(document))]
    finally:
        document.close()


def test_japanese_pdf_paragraphs_are_the_source_paragraphs(printed):
    source = parse_document(SEED.read_text(encoding="utf-8"), SEED.name)
    document, _ = read_document(printed["ja"])
    assert document is not None
    raw = _raw_pages(printed["ja"])
    assert len(raw) >= 3
    # Chromium's running header and footer are in the text layer, and are dropped.
    assert any("file://" in page for page in raw)
    assert "file://" not in document.text and not re.search(r"\d+/\d+", document.text)
    assert document.title == source.title
    expected = [(p.section, p.text) for p in source.paragraphs]
    expected.append(
        (source.paragraphs[-1].section, "閣僚は、長期的な日本の協力・連携の重要性を確認した。")
    )
    assert [(p.section, p.text) for p in document.paragraphs] == expected
    pages = [p.page for p in document.paragraphs]
    assert pages == sorted(pages) and pages[0] == 1 and pages[-1] == len(raw)
    # At least one paragraph runs over a page break, and is one paragraph all the same.
    crossing = [
        p for p in document.paragraphs if p.text[-12:] not in raw[p.page - 1].replace("\r\n", "")
    ]
    assert crossing, "the fixture should break a paragraph across pages"
    assert "経済的威圧" in document.text


def test_english_pdf_lines_joined_and_hyphenation_mended(printed):
    document, _ = read_document(printed["en"])
    assert document is not None
    assert document.title == "Trilateral Summit"
    texts = [p.text for p in document.paragraphs]
    assert texts[:9] == ENGLISH * 3
    assert texts[9] == HYPHENATED.replace("coop-<br>", "coop")
    assert max(p.page for p in document.paragraphs) >= 2


@pytest.mark.skipif(not DEV.exists(), reason="the shared seed dev set is not beside the checkout")
def test_seed_printed_to_pdf_answers_the_dev_questions_with_pages(printed, tmp_path):
    from assistant import Assistant, build_index
    from assistant.evaluate import evaluate, read_questions

    build_index([printed["seed"]], index_dir=tmp_path / "index")
    assistant = Assistant.load(tmp_path / "index")
    summary = evaluate(assistant, read_questions(DEV), k=3)
    assert summary["overall"]["hit@1"] == 1.0, summary.get("misses")
    top = assistant.ask("経済的威圧について", k=1).passages[0]
    assert "経済的威圧" in top.text  # whole: the 経/済 page-break split is mended
    # Paragraph 9 starts on page 1 and runs onto page 2; its citation gives where it starts.
    assert (top.paragraph, top.page) == (9, 1) and top.citation.startswith(
        "日米韓共同声明 ¶9, p. 1"
    )
    last = assistant.ask("次官級を含む全てのレベルで三か国会合を継続", k=1).passages[0]
    assert (last.paragraph, last.page) == (10, 2) and ", p. 2" in last.citation
