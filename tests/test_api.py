"""The public Python API: shapes of what it returns, and a clear exception for bad input."""

from __future__ import annotations

import dataclasses

import pytest

from assistant import (
    Answer,
    Assistant,
    AssistantError,
    CorpusError,
    InputError,
    Passage,
    build_index,
)
from assistant.api import MAX_QUESTION_CHARS

PASSAGE_FIELDS = [
    "text",
    "doc",
    "source",
    "section",
    "paragraph",
    "citation",
    "score",
    "highlight",
    "lang",
    "date",
    "page",  # of a PDF (None otherwise)
    "url",  # of a fetched page (None otherwise)
    "versions",
    "part",  # of a paragraph longer than a passage (1 of 1 otherwise)
    "parts",
]


def test_search_returns_five_passages_best_first(seed_assistant):
    passages = seed_assistant.search("北朝鮮のサイバー攻撃による暗号資産の窃取", k=5)
    assert len(passages) == 5
    assert all(isinstance(p, Passage) for p in passages)
    assert [f.name for f in dataclasses.fields(Passage)] == PASSAGE_FIELDS
    scores = [p.score for p in passages]
    assert scores == sorted(scores, reverse=True)
    assert passages[0].paragraph == 7
    assert passages[0].citation == "日米韓共同声明 ¶7 (北朝鮮の脅威への対処)"
    assert len({p.paragraph for p in passages}) == 5


def test_ask_returns_an_answer(seed_assistant):
    answer = seed_assistant.ask("What did the ministers say about the wildfires?", k=3)
    assert isinstance(answer, Answer)
    assert answer.question == "What did the ministers say about the wildfires?"
    assert isinstance(answer.confident, bool)
    assert len(answer.passages) == 3
    top = answer.passages[0]
    assert top.paragraph == 1 and top.citation == "日米韓共同声明 ¶1" and top.section is None
    assert top.doc == "日米韓共同声明"
    assert top.source.endswith("000_2daad77d3c406492.txt")
    assert isinstance(top.score, float) and isinstance(top.paragraph, int)
    assert "山火事" in top.highlight and top.highlight in top.text
    assert set(answer.to_dict()) == {"question", "confident", "notice", "context", "passages"}
    assert answer.context is None  # asked without history
    assert list(answer.to_dict()["passages"][0]) == PASSAGE_FIELDS


def test_load_and_build_index_signatures(seed_index, tmp_path):
    """``Assistant.load(path)`` and ``build_index([...], index_dir=..., model=None)``."""
    qa = Assistant.load(seed_index)
    assert qa.ask("ユース・サミット", k=1).passages[0].paragraph == 10
    with pytest.raises(CorpusError):
        build_index([tmp_path / "missing"], index_dir=tmp_path / "index", model=None)


@pytest.mark.parametrize(
    "question",
    ["", "   ", "\n\t ", "\x00\x07", "\ud800", "\u200b\u200d", "\ufeff\u2060\u200e ", "\u3164"],
)
def test_empty_questions_are_input_errors(seed_assistant, question):
    with pytest.raises(InputError, match="empty"):
        seed_assistant.ask(question)


@pytest.mark.parametrize("question", [None, 42, b"bytes", ["list"]])
def test_non_text_questions_are_input_errors(seed_assistant, question):
    with pytest.raises(InputError, match="text"):
        seed_assistant.ask(question)


@pytest.mark.parametrize("k", [0, -1, 51, 2.5, "3", True, None])
def test_bad_k_is_an_input_error(seed_assistant, k):
    with pytest.raises(InputError, match="k must be"):
        seed_assistant.ask("暗号資産", k=k)


def test_bad_mode_is_an_input_error(seed_assistant):
    with pytest.raises(InputError, match="mode"):
        seed_assistant.ask("暗号資産", mode="magic")


@pytest.mark.parametrize(
    ("filter_name", "value"),
    [
        ("date_from", "2025-13-45"),
        ("date_to", "2025-02-30"),
        ("date_from", "2025-00"),
        ("date_to", "0000"),
    ],
)
def test_impossible_dates_are_input_errors(seed_assistant, filter_name, value):
    """A date that matches the pattern but not the calendar would compare as text and quietly
    match nothing; the library's ask and search refuse it in one line."""
    for call in (seed_assistant.ask, seed_assistant.search):
        with pytest.raises(InputError, match="not a date on the calendar") as raised:
            call("暗号資産", **{filter_name: value})
        assert value in str(raised.value) and "\n" not in str(raised.value)
    seed_assistant.ask("暗号資産", date_from="2024-02-29", date_to="2025")  # a leap day is a date


def test_an_unknown_document_is_answered_with_the_indexed_file_names(seed_assistant):
    with pytest.raises(InputError) as raised:
        seed_assistant.ask("暗号資産", source="missing.txt")
    message = str(raised.value)
    assert "'missing.txt'" in message and "000_2daad77d3c406492.txt" in message
    assert "assistant documents" not in message and "\n" not in message


def test_input_errors_are_assistant_errors_and_value_errors():
    assert issubclass(InputError, AssistantError) and issubclass(InputError, ValueError)
    assert issubclass(CorpusError, AssistantError)


def test_long_question_is_cut_with_a_notice(seed_assistant):
    question = "北朝鮮が窃取した暗号資産について。" + "あ" * 100_000
    answer = seed_assistant.ask(question, k=3)
    assert len(answer.question) == MAX_QUESTION_CHARS
    assert answer.notice and "100017" in answer.notice
    assert answer.passages[0].paragraph == 7


@pytest.mark.parametrize(
    ("question", "paragraph"),
    [
        ("暗号資産\x00の窃取\x1b[31m", 7),  # control characters are dropped
        ("暗号資産の窃取\ud800\udfff", 7),  # lone surrogates too
        ("  ユース・サミット\r\n", 10),
    ],
)
def test_control_characters_and_surrogates_are_dropped(seed_assistant, question, paragraph):
    answer = seed_assistant.ask(question, k=3)
    assert "\x00" not in answer.question and "\ud800" not in answer.question
    assert answer.passages[0].paragraph == paragraph


@pytest.mark.parametrize(
    "question",
    ["ما هو موقف الوزراء من وقف إطلاق النار؟", "🙂🚀🔥", "∑∫√", "zzzz qqqq xxxx"],
)
def test_questions_in_unexpected_scripts_are_answered(seed_assistant, question):
    answer = seed_assistant.ask(question, k=3)
    assert len(answer.passages) == 3
    assert isinstance(answer.confident, bool)


def test_off_topic_question_is_not_confident(seed_assistant):
    assert not seed_assistant.ask("🙂🚀🔥", k=3).confident
