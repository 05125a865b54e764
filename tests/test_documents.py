"""Reading files into Documents: the seed's structure and citations, encodings, binary and
empty files, wrapped lines, Markdown, and odd things found in corpus folders."""

from __future__ import annotations

import logging
import os
import random
from pathlib import Path

import pytest

from assistant.errors import CorpusError
from assistant.indexing.indexer import citation_for, passages_from
from assistant.ingest.documents import (
    iter_files,
    load_documents,
    parse_document,
    read_corpus,
    read_file,
)

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "corpus" / "000_2daad77d3c406492.txt"


@pytest.fixture(scope="module")
def seed():
    return load_documents([SEED])[0]


# -- the seed statement ------------------------------------------------------------------------


def section_headings(document) -> list[str]:
    """The document's section headings in order, each once."""
    return list(dict.fromkeys(p.section for p in document.paragraphs if p.section))


def test_seed_title_sections_and_paragraphs(seed):
    assert seed.title == "日米韓共同声明"
    assert len(seed.paragraphs) == 10
    assert [p.number for p in seed.paragraphs] == list(range(1, 11))
    assert section_headings(seed) == [
        "地域及びグローバルな関与の強化",
        "北朝鮮の脅威への対処",
        "経済安全保障及び経済的強靱性の強化",
        "三か国協力の推進",
    ]
    p = {paragraph.number: paragraph for paragraph in seed.paragraphs}
    assert "ブリュッセル" in p[1].text and p[1].section is None
    assert "暗号資産" in p[7].text and p[7].section == "北朝鮮の脅威への対処"
    assert "経済的威圧" in p[9].text and p[9].section == "経済安全保障及び経済的強靱性の強化"
    assert "ユース・サミット" in p[10].text and p[10].section == "三か国協力の推進"
    # Headings are not paragraphs, and no paragraph holds a heading.
    for paragraph in seed.paragraphs:
        assert all(not paragraph.text.startswith(section) for section in section_headings(seed))


def test_seed_citation_format(seed):
    passages = passages_from([seed])
    assert passages[6]["citation"] == "日米韓共同声明 ¶7 (北朝鮮の脅威への対処)"
    assert passages[0]["citation"] == "日米韓共同声明 ¶1"
    assert citation_for("T", 3, None) == "T ¶3"


def test_seed_passages_are_verbatim_with_sentences_inside(seed):
    flat = SEED.read_text(encoding="utf-8").replace("\n", "")
    for paragraph in seed.paragraphs:
        assert paragraph.text in flat
        assert "\n" not in paragraph.text
        assert paragraph.sentences
        for sentence in paragraph.sentences:
            assert paragraph.text[sentence.start : sentence.end] == sentence.text
    lines = SEED.read_text(encoding="utf-8").split("\n")
    nine = seed.paragraphs[8]
    assert "".join(lines[nine.first_line - 1 : nine.last_line]) == nine.text


def test_seed_highlights_are_substrings(seed_assistant):
    for question in ("北朝鮮の暗号資産窃取", "wildfires", "청년 서밋"):
        for passage in seed_assistant.search(question, k=5):
            assert passage.highlight and passage.highlight in passage.text


# -- encodings ---------------------------------------------------------------------------------

LONG_JA = (
    "日米韓外相会合\n\n"
    "閣僚は、地域の平和と安定のために三か国の協力を強化することで一致した。"
    "北朝鮮の核・ミサイル開発に深刻な懸念を表明した。\n\n"
    "経済安全保障\n\n"
    "閣僚は、重要鉱物のサプライチェーンの強靱化に取り組むことを確認した。\n"
)
SHORT_JA = "会議\n\n閣僚は会談した。\n"
CP932_JA = "議題①～③\n\n閣僚は①から③までの議題について話し合った。～以上～\n"


def _encode(text: str, encoding: str) -> bytes:
    boms = {
        "utf-16-le-bom": (b"\xff\xfe", "utf-16-le"),
        "utf-16-be-bom": (b"\xfe\xff", "utf-16-be"),
    }
    if encoding in boms:
        bom, codec = boms[encoding]
        return bom + text.encode(codec)
    return text.encode(encoding)


@pytest.mark.parametrize("text", [LONG_JA, SHORT_JA], ids=["long", "short"])
@pytest.mark.parametrize(
    "encoding",
    [
        "utf-8",
        "utf-8-sig",
        "shift_jis",
        "cp932",
        "euc_jp",
        "utf-16-le-bom",
        "utf-16-be-bom",
        "utf-16",
        "iso2022_jp",
    ],
)
def test_encodings_are_read(tmp_path, text, encoding):
    path = tmp_path / "doc.txt"
    path.write_bytes(_encode(text, encoding))
    assert read_file(path)[0] == text
    document = load_documents([path])[0]
    assert document.paragraphs[0].text.startswith("閣僚は")
    assert not document.title.startswith("\ufeff")


@pytest.mark.parametrize("encoding", ["cp932", "utf-8", "utf-16"])
def test_windows_characters(tmp_path, encoding):
    path = tmp_path / "win.txt"
    path.write_bytes(CP932_JA.replace("\n", "\r\n").encode(encoding))
    assert read_file(path)[0] == CP932_JA
    document = load_documents([path])[0]
    assert document.title == "議題①～③"


def test_one_line_document_is_a_paragraph_not_a_title(tmp_path):
    path = tmp_path / "memo.txt"
    path.write_bytes("閣僚は会談した。".encode("shift_jis"))
    document = load_documents([path])[0]
    assert document.title == "memo"
    assert [p.text for p in document.paragraphs] == ["閣僚は会談した。"]


# -- files that are not text -------------------------------------------------------------------


def _png_like() -> bytes:
    rng = random.Random(7)
    return b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(rng.randrange(256) for _ in range(3000))


def _random_with_nuls() -> bytes:
    rng = random.Random(11)
    return bytes(rng.choice([0, 0, 1, 7, 65, 130, 200, 255]) for _ in range(5000))


def _random_high() -> bytes:
    rng = random.Random(13)
    return bytes(rng.randrange(256) for _ in range(5000))


@pytest.mark.parametrize("content", [_png_like, _random_with_nuls, _random_high])
def test_binary_file_is_skipped_with_one_line_warning(tmp_path, caplog, content):
    good = tmp_path / "good.txt"
    good.write_text(LONG_JA, encoding="utf-8")
    bad = tmp_path / "picture.txt"
    bad.write_bytes(content())
    with caplog.at_level(logging.WARNING):
        corpus = read_corpus([tmp_path])
    assert [d.source for d in corpus.documents] == [str(good)]
    assert corpus.skipped == [bad]
    warnings = [r.getMessage() for r in caplog.records if "picture.txt" in r.getMessage()]
    assert len(warnings) == 1 and "\n" not in warnings[0] and "not a text file" in warnings[0]


@pytest.mark.parametrize("content", [b"", b"   \n\n\t \r\n"])
def test_empty_file_is_skipped(tmp_path, caplog, content):
    (tmp_path / "good.md").write_text("# T\n\n閣僚は会談した。\n", encoding="utf-8")
    (tmp_path / "empty.txt").write_bytes(content)
    with caplog.at_level(logging.WARNING):
        corpus = read_corpus([tmp_path])
    assert len(corpus.documents) == 1
    assert [p.name for p in corpus.skipped] == ["empty.txt"]
    assert any("empty.txt" in r.getMessage() and "empty" in r.getMessage() for r in caplog.records)


def test_only_unreadable_files_is_a_corpus_error(tmp_path):
    (tmp_path / "a.txt").write_bytes(b"")
    (tmp_path / "b.txt").write_bytes(_png_like())
    with pytest.raises(CorpusError, match="no readable"):
        read_corpus([tmp_path])


def test_empty_folder_and_missing_path_are_corpus_errors(tmp_path):
    with pytest.raises(CorpusError, match="no readable"):
        load_documents([tmp_path])
    with pytest.raises(CorpusError, match="no such file or folder"):
        load_documents([tmp_path / "missing"])


def test_file_that_fails_to_read_is_skipped(tmp_path, caplog):
    """An I/O error while reading (root reads any chmod-000 file, so use /proc/self/mem, a
    regular file whose first page is unmapped: reading it fails with EIO; named explicitly, as a
    link out of an indexed folder is not read)."""
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "good.txt").write_text(LONG_JA, encoding="utf-8")
    (tmp_path / "broken.txt").symlink_to("/proc/self/mem")
    with caplog.at_level(logging.WARNING):
        corpus = read_corpus([tmp_path / "docs", tmp_path / "broken.txt"])
    assert len(corpus.documents) == 1
    assert any(
        "broken.txt" in r.getMessage() and "cannot read" in r.getMessage() for r in caplog.records
    )


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_file_is_skipped(tmp_path):
    (tmp_path / "good.txt").write_text(LONG_JA, encoding="utf-8")
    secret = tmp_path / "secret.txt"
    secret.write_text(LONG_JA, encoding="utf-8")
    secret.chmod(0)
    try:
        assert len(read_corpus([tmp_path]).documents) == 1
    finally:
        secret.chmod(0o644)


def test_odd_things_in_a_corpus_folder(tmp_path, caplog):
    """Symlink loops, a FIFO (reading it would block forever), unknown types, hidden files, a
    folder named like a text file and a link to a file already seen are all passed over."""
    (tmp_path / "good.txt").write_text(LONG_JA, encoding="utf-8")
    (tmp_path / "loop-a.txt").symlink_to(tmp_path / "loop-b.txt")
    (tmp_path / "loop-b.txt").symlink_to(tmp_path / "loop-a.txt")
    (tmp_path / "self.txt").symlink_to(tmp_path / "self.txt")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "up").symlink_to(tmp_path)  # a folder loop
    (tmp_path / "sub" / "same.txt").symlink_to(tmp_path / "good.txt")
    os.mkfifo(tmp_path / "pipe.txt")
    (tmp_path / "data.xlsx").write_bytes(b"PK\x03\x04 binary")
    (tmp_path / "image.png").write_bytes(_png_like())
    (tmp_path / ".hidden.txt").write_text("閣僚は秘密に会談した。", encoding="utf-8")
    (tmp_path / "folder.txt").mkdir()
    with caplog.at_level(logging.WARNING):
        files = list(iter_files([tmp_path]))
        documents = load_documents([tmp_path])
    assert [f.name for f in files] == ["good.txt"]
    assert len(documents) == 1
    assert any("loop" in r.getMessage() for r in caplog.records)


def test_links_out_of_an_indexed_folder_are_skipped_with_one_line_each(tmp_path, caplog):
    """A link inside a folder that leads out of it (to a file such as /etc/shadow, or to a
    folder) is not indexed: one warning line each. A link within the folder is read once, and
    the same link named explicitly is read wherever it leads."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "secret.txt").write_text("閣僚は秘密裏に核協議を行った。", encoding="utf-8")
    corpus = tmp_path / "corpus"
    (corpus / "sub").mkdir(parents=True)
    (corpus / "good.txt").write_text(LONG_JA, encoding="utf-8")
    (corpus / "shadow.txt").symlink_to(elsewhere / "secret.txt")
    (corpus / "sub" / "out.md").symlink_to("../../elsewhere/secret.txt")
    (corpus / "outside").symlink_to(elsewhere, target_is_directory=True)
    (corpus / "sub" / "alias.txt").symlink_to(corpus / "good.txt")
    with caplog.at_level(logging.WARNING):
        files = list(iter_files([corpus]))
    assert [f.name for f in files] == ["good.txt"]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 3 and all("outside the indexed folder" in w for w in warnings)
    assert {Path(w.split()[1].rstrip(":")).name for w in warnings} == {
        "shadow.txt",
        "out.md",
        "outside",
    }
    assert "\n" not in "".join(warnings)
    assert [f.name for f in iter_files([corpus / "shadow.txt"])] == ["shadow.txt"]
    assert "秘密裏" in load_documents([corpus / "shadow.txt"])[0].text


def test_unknown_file_type_named_explicitly_is_read(tmp_path):
    path = tmp_path / "notes.log"
    path.write_text(LONG_JA, encoding="utf-8")
    assert load_documents([path])[0].title == "日米韓外相会合"


# -- structure ---------------------------------------------------------------------------------


def test_hard_wrapped_lines():
    text = (
        "Wrapped\n\n"
        "閣僚は、地域の平和と\n安定について\n協議した。\n\n"
        "The ministers met in\nBrussels and\nagreed.\n"
    )
    document = parse_document(text, "w.txt")
    assert [p.text for p in document.paragraphs] == [
        "閣僚は、地域の平和と安定について協議した。",
        "The ministers met in Brussels and agreed.",
    ]


def test_markdown_title_and_sections():
    text = (
        "# 会議の記録\n\n"
        "前文として、閣僚は会談した。\n\n"
        "## 第一部\n\n"
        "閣僚は、地域の平和と\n安定について協議した。\n"
        "## Part two ##\n"
        "The ministers met in\nBrussels.\n\n"
        "Short line\n"
    )
    document = parse_document(text, "notes.md")
    assert document.title == "会議の記録"
    assert [(p.section, p.text) for p in document.paragraphs] == [
        (None, "前文として、閣僚は会談した。"),
        ("第一部", "閣僚は、地域の平和と安定について協議した。"),
        ("Part two", "The ministers met in Brussels."),
        ("Part two", "Short line"),  # in Markdown only # lines are headings
    ]


def test_plain_text_without_title_line_uses_file_name():
    document = parse_document(
        "閣僚は会談した。閣僚は合意した。\n\n閣僚は帰国した。\n", "dir/minutes.txt"
    )
    assert document.title == "minutes"
    assert len(document.paragraphs) == 2


def test_crlf_and_cr_line_ends(tmp_path):
    path = tmp_path / "crlf.txt"
    path.write_bytes(LONG_JA.replace("\n", "\r\n").encode("utf-8"))
    assert load_documents([path])[0].paragraphs[0].text.endswith("表明した。")
    path.write_bytes(LONG_JA.replace("\n", "\r").encode("utf-8"))
    assert len(load_documents([path])[0].paragraphs) == 2
