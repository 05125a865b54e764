"""How `assistant eval` names what a missed question wanted (pure logic, no model)."""

from __future__ import annotations

from assistant.evaluate import _wanted


def test_a_miss_names_the_paragraph_number_when_the_row_gives_one():
    assert _wanted({"doc": "a.ja.txt", "expect": "協力", "paragraph": 7}) == "a.ja.txt ¶7"
    assert _wanted({"expect": "協力", "paragraph": 7}) == "¶7"


def test_a_miss_names_the_expected_text_when_the_row_gives_no_number():
    """The archive sets give a document and a phrase, no paragraph number: "¶None" said
    nothing."""
    assert _wanted({"doc": "b.en.txt", "expect": "Indian Ocean"}) == "b.en.txt “Indian Ocean”"
