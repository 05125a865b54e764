"""Paragraph rules: joining wrapped lines, repairing paragraphs split by a stray blank line
(and leaving real paragraph breaks alone), sentences with offsets, and paragraphs too long for
one passage cut into parts."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.ingest.chunking import (
    MAX_PASSAGE_CHARS,
    is_broken_continuation,
    join_lines,
    split_paragraph,
    split_sentences,
)
from assistant.ingest.documents import parse_document, read_corpus

ROOT = Path(__file__).resolve().parent.parent
ARCHIVE = ROOT.parent / "shared" / "eval" / "archive" / "docs"


@pytest.mark.parametrize(
    ("block", "following"),
    [
        ("協力を歓迎した。経", "済的威圧に反対した。"),  # the seed's case: split inside a word
        ("閣僚は会談した。さらに、閣僚は", "停戦に向けた進展を促した。"),
        ("The ministers met in Brussels. They discussed trade and the", "committee agreed."),
    ],
)
def test_broken_paragraph_is_repaired(block, following):
    assert is_broken_continuation(block, following)


@pytest.mark.parametrize(
    ("block", "following"),
    [
        ("経済安全保障の強化", "閣僚は合意した。"),  # a heading, then its paragraph
        ("閣僚は会談した。", "閣僚は停戦を促した。"),  # a paragraph that ends in 。
        ("閣僚は次の点で一致した：", "第一に、協力を強化する。"),  # a list introduction
        ("The ministers met. They agreed on the following:", "trade comes first."),
        (
            "The ministers met in Brussels. They discussed trade and",
            "The committee agreed.",
        ),  # a capitalised new paragraph
        ("閣僚は会談した。さらに", "・協力の強化。"),  # a list item
        ("閣僚は会談した。さらに", "「協力を強化する」と述べた。"),  # a quotation
        ("The ministers met. Then", "2025 was declared a year of cooperation."),
        ("閣僚は会談した。さらに", "今後の予定"),  # the next block is a heading
    ],
)
def test_real_paragraph_breaks_are_left_alone(block, following):
    assert not is_broken_continuation(block, following)


def test_repair_in_a_document_joins_japanese_without_space_and_english_with_one():
    text = (
        "会議の記録\n\n"
        "閣僚は三か国協力を歓迎した。経\n\n済的威圧に断固反対した。\n\n"
        "次の点で一致した：\n\n第一に、協力を強化する。\n\n"
        "English part\n\n"
        "The ministers met in Brussels. They discussed trade and the\n\n"
        "committee agreed.\n\n"
        "The next day they left.\n"
    )
    document = parse_document(text, "notes.txt")
    texts = [p.text for p in document.paragraphs]
    assert texts == [
        "閣僚は三か国協力を歓迎した。経済的威圧に断固反対した。",
        "次の点で一致した：",
        "第一に、協力を強化する。",
        "The ministers met in Brussels. They discussed trade and the committee agreed.",
        "The next day they left.",
    ]
    assert [p.section for p in document.paragraphs] == [None] * 3 + ["English part"] * 2
    assert (document.paragraphs[0].first_line, document.paragraphs[0].last_line) == (3, 5)


def test_blocks_in_different_sections_are_never_joined():
    text = "題\n\n閣僚は会談した。経\n\n第二部\n\n済的威圧に反対した。\n"
    document = parse_document(text, "x.txt")
    assert [p.text for p in document.paragraphs] == ["閣僚は会談した。経", "済的威圧に反対した。"]


def test_join_lines():
    assert (
        join_lines(["閣僚は、地域の平和と", "安定について協議した。"])
        == "閣僚は、地域の平和と安定について協議した。"
    )
    assert (
        join_lines(["The ministers met in", "  Brussels and agreed.  "])
        == "The ministers met in Brussels and agreed."
    )
    assert (
        join_lines(["The ministers discussed", "日米韓協力"]) == "The ministers discussed日米韓協力"
    )
    assert join_lines(["", "  ", "one"]) == "one"


def test_sentences_have_exact_offsets():
    text = "閣僚は会談した。「停戦を促した。」Then they left. Did they? Yes!  最後"
    sentences = split_sentences(text)
    assert [s.text for s in sentences] == [
        "閣僚は会談した。",
        "「停戦を促した。」",
        "Then they left.",
        "Did they?",
        "Yes!",
        "最後",
    ]
    for sentence in sentences:
        assert text[sentence.start : sentence.end] == sentence.text


def test_decimal_points_and_abbreviations_do_not_end_sentences():
    sentences = split_sentences("約1.5億ドルが窃取された。The U.S.-Japan alliance grew 2.5 times.")
    assert [s.text for s in sentences] == [
        "約1.5億ドルが窃取された。",
        "The U.S.-Japan alliance grew 2.5 times.",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "1. Vice Minister Kim met them. They agreed.",
            ["Vice Minister Kim met them.", "They agreed."],
        ),
        ("3. 三者は、会談した。", ["三者は、会談した。"]),
        ("a. First point. b. Second.", ["First point.", "Second."]),
        ("The U.S. and Japan met. Mr. Kim spoke.", ["The U.S. and Japan met.", "Mr. Kim spoke."]),
        (
            "It began at 2:45 p.m. (local time), when H.E. ISHIBA arrived. They met.",
            ["It began at 2:45 p.m. (local time), when H.E. ISHIBA arrived.", "They met."],
        ),
        ("They flew to the U.S.", ["They flew to the U.S."]),
        ("1.", ["1."]),  # a paragraph that is only a number is still text
    ],
)
def test_numbers_and_abbreviations_are_not_sentences_of_their_own(text, expected):
    """A readout's "1." was a sentence of its own, near to nothing and so the highlighted answer
    of unrelated questions; "p.m." and "H.E." cut a sentence in two."""
    sentences = split_sentences(text)
    assert [s.text for s in sentences] == expected
    for sentence in sentences:
        assert text[sentence.start : sentence.end] == sentence.text


# -- paragraphs too long for one passage ------------------------------------------------------


def _parts(text: str, limit: int = MAX_PASSAGE_CHARS) -> list[str]:
    """The parts' texts, after checking what every cut must keep: each part within ``limit``,
    the parts joined the paragraph exactly, each part's sentences at their offsets."""
    parts = split_paragraph(text, split_sentences(text), limit)
    assert "".join(p.text for p in parts) == text
    assert all(0 < len(p.text) <= limit for p in parts), [len(p.text) for p in parts]
    for part in parts:
        assert text[part.start : part.end] == part.text
        assert part.sentences
        for sentence in part.sentences:
            assert part.text[sentence.start : sentence.end] == sentence.text
    return [p.text for p in parts]


def test_a_paragraph_within_the_cap_is_one_part_with_its_sentences():
    text = "閣僚は会談した。停戦を促した。"
    sentences = split_sentences(text)
    (part,) = split_paragraph(text, sentences)
    assert (part.text, part.start, part.end) == (text, 0, len(text))
    assert part.sentences == tuple(sentences)


def test_japanese_sentences_are_cut_at_their_full_stops():
    text = "".join(f"閣僚は第{i}回会合で三か国の協力を確認した。" for i in range(200))
    parts = _parts(text)
    assert len(parts) == 4
    assert all(part.endswith("した。") and part.startswith("閣僚は") for part in parts)
    assert max(map(len, parts)) - min(map(len, parts)) < 100  # of about even length


def test_english_sentences_are_cut_after_the_space_that_follows_a_full_stop():
    text = " ".join(f"The ministers met for the {i}th time and agreed on it." for i in range(90))
    parts = _parts(text)
    assert len(parts) > 1
    assert all(part.endswith("it. ") for part in parts[:-1]) and parts[-1].endswith("it.")
    assert all(part.startswith("The ministers") for part in parts)


@pytest.mark.parametrize(("comma", "joiner"), [(",", " "), ("、", "")])
def test_one_giant_sentence_is_cut_at_its_commas(comma, joiner):
    text = (comma + joiner).join(f"clause {i} of 1,000 in one sentence" for i in range(150)) + "."
    assert len(split_sentences(text)) == 1
    parts = _parts(text)
    assert len(parts) > 1
    assert all(part.rstrip().endswith(comma) for part in parts[:-1])
    assert all(part.startswith("clause") for part in parts)  # never inside "1,000"


def test_a_run_without_punctuation_is_cut_into_even_parts_after_a_space_when_it_can():
    assert list(map(len, _parts("あ" * 5000))) == [1250, 1250, 1250, 1250]
    assert list(map(len, _parts("あ" * 1600))) == [800, 800]  # not 1,500 and 100
    words = _parts(" ".join(["word"] * 1000))
    assert len(words) == 4 and all(part.endswith("word ") for part in words[:-1])


@pytest.mark.parametrize(
    "pair",
    [
        "\ud83d\ude00",  # a surrogate pair, as text decoded with surrogatepass holds it
        "e\u0301",  # e and its combining acute accent
        "👍🏽",  # an emoji and its skin tone
        "👩\u200d💻",  # a zero-width-joiner sequence
        "葛\U000e0100",  # an ideograph and its variation selector
    ],
)
def test_a_hard_cut_never_splits_one_character_as_read(pair):
    for lead in range(1500 - len(pair), 1501):
        text = "x" * lead + pair + "y" * 10
        parts = _parts(text)
        assert any(pair in part for part in parts), (lead, [len(p) for p in parts])


def test_a_cut_sentence_keeps_its_pieces_as_the_sentences_of_each_part():
    long_sentence = "、".join(f"第{i}項" for i in range(600)) + "を確認した。"
    text = "閣僚は会談した。" + long_sentence + "停戦を促した。"
    parts = split_paragraph(text, split_sentences(text))
    assert parts[0].sentences[0].text == "閣僚は会談した。"
    assert parts[-1].sentences[-1].text == "停戦を促した。"
    pieces = "".join(s.text for p in parts for s in p.sentences)
    assert pieces == text


def test_no_paragraph_of_the_real_documents_is_cut():
    """MAX_PASSAGE_CHARS is above every paragraph of corpus/ and of the shared archive."""
    folders = [ROOT / "corpus", ROOT / "tests" / "fixtures", ARCHIVE]
    documents = read_corpus([f for f in folders if f.is_dir()]).documents
    longest = max(len(p.text) for d in documents for p in d.paragraphs)
    assert longest < MAX_PASSAGE_CHARS
    assert all(
        len(split_paragraph(p.text, p.sentences)) == 1 for d in documents for p in d.paragraphs
    )
