"""HTML, Word and bad files of every format, read from real files (no browser needed).

PDFs printed by Chromium are in test_formats_pdf.py; URLs in test_formats_fetch.py.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from assistant.errors import CorpusError
from assistant.indexing.indexer import citation_for, passages_from
from assistant.ingest.documents import parse_document, read_corpus, read_document
from assistant.ingest.formats import UnreadableFile
from assistant.ingest.formats.html import declared_charset, read_html
from assistant.ingest.formats.pdf import join_wrapped, normalise_lookalikes, read_pdf

FIXTURES = Path(__file__).parent / "fixtures" / "html"
EXPECTED = json.loads((FIXTURES / "expected.json").read_text(encoding="utf-8"))
SEED = Path(__file__).resolve().parent.parent / "corpus" / "000_2daad77d3c406492.txt"


# -- HTML ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_html_page_keeps_the_statement_and_drops_the_page_chrome(name):
    expected = EXPECTED[name]
    document, state = read_document(FIXTURES / name)
    assert document is not None and state is not None and state.sha256
    texts = [p.text for p in document.paragraphs]
    for paragraph in expected["paragraphs"]:
        assert any(paragraph in text for text in texts), paragraph
    # Each kept paragraph is one of the statement's (no boilerplate paragraph came along).
    for text in texts:
        assert any(p in text for p in expected["paragraphs"] + expected["code"]), text
    for chrome in expected["boilerplate"]:
        assert chrome not in document.text, chrome
    assert document.title == expected["title"]
    assert document.lang == expected["lang"]
    assert document.date == expected["date"]
    assert [p.number for p in document.paragraphs] == list(range(1, len(texts) + 1))
    assert all(p.sentences for p in document.paragraphs)


def test_shift_jis_page_is_read_as_declared():
    data = (FIXTURES / "mofa_ja.html").read_bytes()
    assert declared_charset(data) == "cp932"
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    assert "石破茂内閣総理大臣" in read_document(FIXTURES / "mofa_ja.html")[0].text


def test_documentation_page_headings_code_and_definitions():
    document = read_document(FIXTURES / "mdbook.html")[0]
    expected = EXPECTED["mdbook.html"]
    headings = list(dict.fromkeys(p.section for p in document.paragraphs if p.section))
    assert headings == expected["headings"]
    code = [p for p in document.paragraphs if p.code]
    assert [p.text for p in code] == expected["code"]
    assert len(code[0].sentences) == 1  # a code block is quoted whole, never split
    passages = passages_from([document])
    assert [p.get("code", False) for p in passages] == [p.code for p in document.paragraphs]
    by_text = {p.text: p for p in document.paragraphs}
    assert "Plain text: Text files are read" in " ".join(by_text)  # <dt> leads its <dd>
    kept = next(p for p in document.paragraphs if p.text.startswith("Paragraphs whose"))
    assert kept.section == "Rebuilding after a change"


def test_html_without_main_text_is_skipped_with_one_line(caplog):
    with caplog.at_level(logging.WARNING):
        document, state = read_document(FIXTURES / "no_main_text.html")
    assert document is None and state is not None
    lines = [r.getMessage() for r in caplog.records]
    assert lines == [f"skipped {FIXTURES / 'no_main_text.html'}: no main text found in the page"]


def test_html_that_is_not_text():
    with pytest.raises(UnreadableFile):
        read_html(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))


# -- plain text stays plain ------------------------------------------------------------------


def test_hash_lines_in_plain_text_are_text_not_headings():
    text = (
        "使い方\n\n"
        "# 設定ファイルの行は、先頭に # を付けるとコメントになる。\n\n"
        "閣僚は、設定の見直しについて協議した。\n"
    )
    document = parse_document(text, "help.txt")
    assert document.title == "使い方"
    assert [(p.section, p.text) for p in document.paragraphs] == [
        (None, "# 設定ファイルの行は、先頭に # を付けるとコメントになる。"),
        (None, "閣僚は、設定の見直しについて協議した。"),
    ]
    markdown = parse_document(text.replace("使い方\n\n", ""), "help.md")
    assert markdown.title.startswith("設定ファイルの行は")  # in Markdown it is a heading


def test_short_hash_line_in_plain_text_is_not_a_section():
    document = parse_document("# comment\n閣僚は会談した。\n\n#2\n\n閣僚は合意した。\n", "a.txt")
    assert all(p.section is None for p in document.paragraphs)
    assert document.paragraphs[-2].text == "#2"


# -- PDF text repair (pure logic) --------------------------------------------------------------


def test_wrapped_lines_join_by_script_and_mend_hyphens():
    assert (
        join_wrapped(["閣僚は、経済的威圧に", "断固反対した。"])
        == "閣僚は、経済的威圧に断固反対した。"
    )
    assert join_wrapped(["the trilateral coop-", "eration framework"]) == (
        "the trilateral cooperation framework"
    )
    assert join_wrapped(["a Japan-", "U.S. meeting"]) == "a Japan-U.S. meeting"  # capital: kept
    assert join_wrapped(["soft\u00ad", "ware"]) == "software"


def test_lookalike_radicals_become_the_kanji_they_show():
    assert normalise_lookalikes("⻑期的な⽇本の⾏動‧協力") == "長期的な日本の行動・協力"
    assert normalise_lookalikes("ＡＢＣ①") == "ＡＢＣ①"  # nothing else is folded


def test_citation_gives_the_page():
    assert citation_for("声明", 7, None, 2) == "声明 ¶7, p. 2"
    assert citation_for("声明", 7, "経済", 2) == "声明 ¶7, p. 2 (経済)"
    assert citation_for("声明", 7, "経済") == "声明 ¶7 (経済)"


# -- Word -----------------------------------------------------------------------------------


def test_word_document_headings_paragraphs_and_lists(tmp_path):
    import docx

    word = docx.Document()
    word.core_properties.language = "ja-JP"
    word.add_paragraph("日米韓外相会合", style="Title")
    word.add_paragraph("前文として、三か国の外相はブリュッセルで会談した。")
    word.add_heading("経済安全保障", level=1)
    word.add_paragraph("閣僚は、経済的威圧に断固反対した。")
    word.add_paragraph("重要鉱物の供給網を強化する。", style="List Bullet")
    word.add_paragraph("エネルギー協力を進める。", style="List Bullet")
    table = word.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "会合"
    table.rows[0].cells[1].text = "2025年4月3日"
    path = tmp_path / "会合.docx"
    word.save(path)

    document, state = read_document(path)
    assert document is not None and state is not None and state.sha256
    assert document.title == "日米韓外相会合"
    assert document.lang == "ja"
    assert [(p.number, p.section, p.text) for p in document.paragraphs] == [
        (1, None, "前文として、三か国の外相はブリュッセルで会談した。"),
        (2, "経済安全保障", "閣僚は、経済的威圧に断固反対した。"),
        (3, "経済安全保障", "重要鉱物の供給網を強化する。"),
        (4, "経済安全保障", "エネルギー協力を進める。"),
        (5, "経済安全保障", "会合 | 2025年4月3日"),
    ]


# -- bad files: one line each, nothing else lost --------------------------------------------


def _encrypted_pdf(source: bytes, path: Path) -> Path:
    """A real password-protected PDF (RC4-128, which pypdf writes without extra packages)."""
    import io

    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(source)))
    writer.encrypt(user_password="secret", owner_password="owner", algorithm="RC4-128")
    with path.open("wb") as out:
        writer.write(out)
    return path


def _small_pdf() -> bytes:
    """A one-page PDF with a text layer, made with pypdfium2 (no browser needed)."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    pdf = pdfium.PdfDocument.new()
    page = pdf.new_page(595, 842)
    font = pdfium_c.FPDFText_LoadStandardFont(pdf.raw, b"Helvetica")
    text = pdfium_c.FPDFPageObj_NewTextObj(pdf.raw, b"Helvetica", 12.0)
    words = "The ministers met in Brussels and agreed to deepen cooperation."
    encoded = (words + "\x00").encode("utf-16-le")
    import ctypes

    buffer = (ctypes.c_ushort * (len(encoded) // 2)).from_buffer_copy(encoded)
    pdfium_c.FPDFText_SetText(text, buffer)
    pdfium_c.FPDFPageObj_Transform(text, 1, 0, 0, 1, 72, 720)
    pdfium_c.FPDFPage_InsertObject(page.raw, text)
    pdfium_c.FPDFPage_GenerateContent(page.raw)
    del font
    import io

    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def test_small_pdf_is_read():
    extracted = read_pdf(_small_pdf())
    assert [b.text for b in extracted.blocks] == [
        "The ministers met in Brussels and agreed to deepen cooperation."
    ]
    assert extracted.blocks[0].page == 1


def test_bad_files_are_skipped_with_one_line_each(tmp_path, caplog):
    good_pdf = _small_pdf()
    (tmp_path / "good.txt").write_text(SEED.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "good.pdf").write_bytes(good_pdf)
    (tmp_path / "truncated.pdf").write_bytes(good_pdf[: len(good_pdf) // 3])
    _encrypted_pdf(good_pdf, tmp_path / "locked.pdf")
    (tmp_path / "scan.pdf").write_bytes(_image_only_pdf())
    (tmp_path / "empty.html").write_text(
        (FIXTURES / "no_main_text.html").read_text(encoding="utf-8"), encoding="utf-8"
    )
    (tmp_path / "broken.docx").write_bytes(b"PK\x03\x04 not really a zip")
    with (tmp_path / "huge.html").open("wb") as huge:  # sparse: 200 MB without the disk
        huge.truncate(200 * 1024 * 1024)
    with caplog.at_level(logging.WARNING):
        corpus = read_corpus([tmp_path])
    assert sorted(d.source.rsplit("/", 1)[-1] for d in corpus.documents) == ["good.pdf", "good.txt"]
    reasons = {
        Path(r.getMessage().split(": ", 1)[0].removeprefix("skipped ")).name: r.getMessage()
        for r in caplog.records
    }
    assert len(caplog.records) == 6  # one line per bad file, nothing more
    assert "encrypted PDF" in reasons["locked.pdf"]
    assert "damaged PDF" in reasons["truncated.pdf"]
    assert "no text layer" in reasons["scan.pdf"]
    assert "no main text" in reasons["empty.html"]
    assert "damaged Word file" in reasons["broken.docx"]
    assert "larger than 20 MB" in reasons["huge.html"]
    assert all("\n" not in line for line in reasons.values())
    assert {s.name for s in corpus.skipped} == set(reasons)


def _image_only_pdf() -> bytes:
    """A page with a drawn rectangle and no text: what a scan looks like to a text reader."""
    import io

    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    pdf = pdfium.PdfDocument.new()
    page = pdf.new_page(595, 842)
    rect = pdfium_c.FPDFPageObj_CreateNewRect(50, 50, 400, 600)
    pdfium_c.FPDFPath_SetDrawMode(rect, pdfium_c.FPDF_FILLMODE_ALTERNATE, 0)
    pdfium_c.FPDFPage_InsertObject(page.raw, rect)
    pdfium_c.FPDFPage_GenerateContent(page.raw)
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def test_a_folder_of_only_bad_files_says_what_is_readable(tmp_path):
    (tmp_path / "locked.pdf").write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    with pytest.raises(CorpusError, match=r"\.html, \.pdf, \.docx"):
        read_corpus([tmp_path])


# -- the web chat: uploads and the source view -----------------------------------------------


def test_uploads_take_the_same_formats_and_the_source_view_shows_pages(tmp_path):
    from ui import render
    from ui.uploads import UploadError, safe_upload_name

    for name in ("statement.pdf", "page.html", "memo.docx", "notes.txt"):
        assert safe_upload_name(name) == name
    with pytest.raises(UploadError, match=r"\.pdf, \.docx"):
        safe_upload_name("sheet.xlsx")

    (tmp_path / "statement.pdf").write_bytes(_small_pdf())
    passages = passages_from([read_document(tmp_path / "statement.pdf")[0]])
    assert passages[0]["page"] == 1 and passages[0]["citation"].endswith("¶1, p. 1")
    html = render.source_html("statement", "statement.pdf", passages, 1, None)
    assert "¶1, p. 1" in html
    card = render.passage_card({**passages[0], "score": 0.9, "url": None}, 1, True, passages)
    assert "¶1, p. 1" in card

    page = read_document(FIXTURES / "mdbook.html")[0]
    code_html = render.source_html("guide", "mdbook.html", passages_from([page]), 1, None)
    assert '<code class="src-code">assistant build corpus/ --index index/' in code_html


def test_binary_uploads_must_be_what_their_suffix_says(tmp_path):
    from ui.uploads import UploadError, save_uploads

    pdf = tmp_path / "statement.pdf"
    pdf.write_bytes(_small_pdf())
    assert save_uploads([str(pdf)], tmp_path / "uploads") == ["statement.pdf"]
    fake = tmp_path / "fake.pdf"
    fake.write_bytes(b"\x89PNG\x00\x00\x00")
    with pytest.raises(UploadError, match=r"not a \.pdf file"):
        save_uploads([str(fake)], tmp_path / "uploads")
