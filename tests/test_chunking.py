"""Paragraph rules: joining wrapped lines, repairing paragraphs split by a stray blank line
(and leaving real paragraph breaks alone), and sentences with offsets."""

from __future__ import annotations

import pytest

from assistant.ingest.chunking import is_broken_continuation, join_lines, split_sentences
from assistant.ingest.documents import parse_document


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
