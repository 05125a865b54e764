"""Which questions name only a meeting (and so, in a conversation, ask the earlier question
again there): never a question that stands on its own."""

import json
from pathlib import Path

import pytest

from assistant.retrieval.focus import names_only_a_setting

ROOT = Path(__file__).resolve().parent.parent


def _questions(pattern: str) -> list[dict]:
    rows = []
    for path in sorted((ROOT / "eval").glob(pattern)):
        rows += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return [r for r in rows if r.get("question")]


def test_no_question_that_stands_on_its_own_names_only_a_setting():
    standalone = [r["question"] for r in _questions("*questions.jsonl")]
    standalone += [r["question"] for r in _questions("fresh/fresh_[abs]*.jsonl")]
    assert len(standalone) > 500
    assert [q for q in standalone if names_only_a_setting(q)] == []


def test_follow_ups_that_change_the_topic_or_ask_a_detail_ask_something_of_their_own():
    rows = _questions("dialogues_dev.jsonl") + _questions("fresh/fresh_dialogues_*.jsonl")
    others = [r["question"] for r in rows if r["kind"] != "change-meeting"]
    assert others and not any(names_only_a_setting(q) for q in others)


@pytest.mark.parametrize(
    "question",
    [
        "What about in Munich?",
        "And at the Camp David summit in August 2023?",
        "2023年8月のキャンプ・デービッドでは？",
        "ミュンヘンでの会合のほうは？",
        "2025년 2월 뮌헨 회의에서는 어땠나요?",
    ],
)
def test_a_question_naming_only_a_meeting_is_recognised_in_each_language(question):
    assert names_only_a_setting(question)
