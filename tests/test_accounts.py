"""Which government's account a question asks for (pure logic, no model)."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.accounts import account_language, without_account
from assistant.retrieval.scoring import Evidence, account_evidence, passage_scores


@pytest.mark.parametrize(
    ("question", "language"),
    [
        ("What did Tokyo's readout say about the missile launches?", "ja"),
        ("Which projects does the Japanese summary list?", "ja"),
        ("What was agreed, according to the Japanese side?", "ja"),
        ("How does Seoul's press release describe the talks?", "ko"),
        ("What did the State Department's readout say about Taiwan?", "en"),
        ("일본 외무성 설명에 따르면 사무국은 무엇을 하나?", "ja"),
        ("한국 측 발표에서 언급된 협력 분야는?", "ko"),
        ("미 국무부 발표에 따르면 통화는 언제 있었나?", "en"),
        ("韓国側の発表では、何が強調されたか。", "ko"),
        ("外務省の概要によれば、会合はどこで開かれたか。", "ja"),
        ("米国務省の発表によれば、会談の目的は何か。", "en"),
    ],
)
def test_a_named_account_is_its_governments_language(question, language):
    assert account_language(question) == language


@pytest.mark.parametrize(
    "question",
    [
        # the government is what is asked about, not whose account is wanted
        "2024년 11월 회의에 미국 측에서는 누가 참석했나?",
        "Who represented the U.S. side at the meeting?",
        "What did Japan's prime minister say about the abductions?",
        "日本の外務省から出席したのは誰か。",
        "미국 국무부를 대표해 참석한 인물은 누구인가?",
        # a joint document is no one government's account
        "What does the Japan-ROK joint statement say about youth exchanges?",
        # two governments named: no preference
        "Compare Japan's readout with Seoul's press release.",
        "What did the ministers agree on LNG?",
    ],
)
def test_no_account_is_read_where_none_is_asked_for(question):
    assert account_language(question) is None


def test_the_account_phrase_leaves_the_wording():
    assert without_account("What did they agree, according to Japan's summary?") == (
        "What did they agree, ?"
    )
    assert "일본 측 개요" not in without_account("일본 측 개요에서 언급된 틀은?")
    assert without_account("What did the ministers agree on LNG?") == (
        "What did the ministers agree on LNG?"
    )


def test_the_account_prefers_its_language_only_among_documents_from_the_time_asked():
    languages = ["ja", "en", "ja", "ko"]
    dated = account_evidence("ja", languages, np.array([1.0, 1.0, -1.0, 1.0]))
    assert dated.tolist() == [1.0, 0.0, 0.0, 0.0]
    undated_question = account_evidence("ja", languages, np.zeros(4))
    assert undated_question.tolist() == [1.0, 0.0, 1.0, 0.0]
    assert account_evidence(None, languages, np.zeros(4)) is None


def test_the_account_term_can_turn_a_close_ranking():
    """An English readout 0.05 ahead of the Japanese one; asked for Japan's account, the
    Japanese one comes first, and without an account the score is unchanged."""
    ones = np.ones(2)
    base = dict(
        passage=np.array([0.85, 0.80]),
        best_sentence=np.array([0.80, 0.78]),
        lexical=np.zeros(2),
        language=np.zeros(2),
        date=ones,
    )
    plain = passage_scores(Evidence(**base), coverage=0.0)
    named = passage_scores(
        Evidence(**base, account=account_evidence("ja", ["en", "ja"], ones)), coverage=0.0
    )
    assert plain.argmax() == 0 and named.argmax() == 1
    assert passage_scores(Evidence(**base, account=None), coverage=0.0).tolist() == plain.tolist()


def test_evidence_arrays_must_agree_in_length():
    with pytest.raises(ValueError, match="differ in length"):
        Evidence(*(np.zeros(2) for _ in range(5)), account=np.zeros(3))
