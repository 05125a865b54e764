"""Follow-up questions and answers to take away (issue 31): the history checks, the context
prior and the Markdown export on synthetic data, then the real model on the real archive: a
follow-up read in its conversation's context, a question that stands on its own answered as
before, and the dialogue dev set's figures."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from assistant import InputError
from assistant.api import check_history
from assistant.retrieval.conversation import Context, prior

ROOT = Path(__file__).resolve().parent.parent
BALI = "What did the foreign ministers say about North Korea's missiles in Bali in July 2022?"
CONDOLENCES = "Were any condolences expressed at that meeting?"


def test_history_is_a_list_of_questions_checked_like_questions():
    assert check_history(None) == []
    assert check_history(["  Bali?\n", "\u200b", "Lima?"]) == ["Bali?", "Lima?"]
    for bad in ("one string", 42, [1, 2], {"q": "x"}):
        with pytest.raises(InputError, match=r"history|earlier question"):
            check_history(bad)
    assert len(check_history(["q"] * 500)) == 50


def test_the_prior_marks_the_statements_passages_only():
    files = np.array(["a.en.txt", "a.ko.txt", "b.txt", "a.en.txt"])
    context = Context(frozenset({"a.en.txt", "a.ko.txt"}), "A", "2022-07")
    assert prior(files, np.array([0, 1, 2, 3]), context).tolist() == [1, 1, 0, 1]
    assert prior(files, np.array([2]), None).tolist() == [0]
    assert context.read_as() == "Read as a follow-up on: A (2022-07)"


def test_an_answer_exports_as_markdown_quoting_each_passage_exactly():
    from ui.export import answer_markdown, conversation_markdown

    text = "Line one with *stars* and <b>tags</b>.\nLine two."
    passage = {
        "text": text,
        "doc": "Statement",
        "paragraph": 7,
        "section": "North Korea",
        "page": 3,
        "date": "2025-04-03",
        "url": "https://example.org/s.html",
        "shown_source": "s.html",
    }
    answer = {"question": "What?", "confident": True, "passages": [passage]}
    markdown = answer_markdown(answer, "Read as a follow-up on: X")
    quoted = "\n".join(line[2:] for line in markdown.splitlines() if line.startswith("> "))
    assert quoted == text  # the text as it stands, nothing escaped
    assert "— Statement, 2025-04-03, ¶7, section “North Korea”, p. 3 (https://example.org" in (
        markdown
    )
    assert "*Read as a follow-up on: X*" in markdown
    whole = conversation_markdown([answer, {**answer, "question": "Then?"}], "Title")
    assert whole.startswith("# Title") and whole.index("## What?") < whole.index("## Then?")


# -- the real model on the real archive ------------------------------------------------------


@pytest.fixture(scope="module")
def archive(archive_index):
    from assistant import Assistant

    return Assistant.load(archive_index)


def test_a_follow_up_is_read_in_the_context_of_the_earlier_question(archive):
    alone = archive.ask(CONDOLENCES, k=3)
    follow = archive.ask(CONDOLENCES, k=3, history=[BALI])
    assert alone.context is None
    assert follow.context is not None and follow.context["date"] == "2022-07"
    assert follow.context["read_as"].startswith("Read as a follow-up on: ")
    top = follow.passages[0]
    assert "12_fm-bali-2022-07" in top.source and "condolences" in top.text


def test_a_question_that_stands_alone_is_answered_as_without_history(archive):
    cyber = "日米韓外相は2025年4月のブリュッセルで北朝鮮の暗号資産窃取について何と述べたか"
    alone = archive.ask(cyber, k=3)
    after = archive.ask(cyber, k=3, history=[BALI])
    assert after.context is None
    assert [p.citation for p in after.passages] == [p.citation for p in alone.passages]


def test_the_dialogue_dev_set_is_graded_with_its_history(archive):
    from assistant.evaluate import evaluate, read_questions

    summary = evaluate(archive, read_questions(ROOT / "eval" / "dialogues_dev.jsonl"))
    assert {"kind:change-topic", "kind:detail", "kind:change-meeting"} <= set(summary)
    # measured when the weight was tuned: hit@3 0.88 (0.67 with each follow-up asked alone)
    assert summary["overall"]["hit@3"] >= 0.8


def test_a_follow_up_naming_only_another_meeting_asks_the_earlier_question_there(archive):
    earlier = "ブリュッセルでの日米韓外相会合の共同声明は、拉致問題にどう触れていますか？"
    follow = archive.ask("2022年7月のバリでの三者会談ではどうでしたか？", k=3, history=[earlier])
    assert follow.context is not None
    assert "拉致問題にどう触れていますか" in follow.context["read_as"]
    assert all("12_fm-bali-2022-07" in p.source for p in follow.passages)
    assert any(w in p.text for p in follow.passages for w in ("abduction", "납치"))
