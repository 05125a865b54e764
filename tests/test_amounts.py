"""Questions that ask for a sum of money or a percentage (assistant.amounts): pure logic on
written examples, then the rule on the real seed index."""

from __future__ import annotations

import pytest

from assistant.answer.checks.amounts import (
    asked_amount,
    missing_amount,
    missing_amount_notice,
    states_amount,
)


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("What tariff rate did Washington put on steel imports?", "percent"),
        ("What percentage of its GDP will Japan spend on defence?", "percent"),
        ("自動車への関税率は何%か。", "percent"),
        ("관세율은 몇 퍼센트인가?", "percent"),
        ("How much money did Japan pledge for Ukraine's power grid?", "money"),
        ("How much did the hackers steal from the exchange?", "money"),
        ("What is the secretariat's annual budget?", "money"),
        ("防衛予算の総額はいくらか。", "money"),
        ("事務局の予算と職員数を教えてください", "money"),
        ("입장권 가격은 얼마인가?", "money"),
        ("한국이 약속한 대미 투자 규모는 얼마인가?", "money"),
        ("How many ships took part in Freedom Edge?", "ships"),
        ("How many North Korean soldiers were sent to Russia?", "people"),
        ("함정과 항공기 수는 몇 대였나?", "vehicles"),
        ("フリーダム・エッジは何回実施されたか。", "times"),
        ("몇 개국이 참가했나?", "countries"),
        # not asked: counts of things not listed, ordinals, durations, or a rate as a topic
        ("How many pillars does the agenda have?", None),
        ("通算で何回目の協議だったか。", None),
        ("그해 몇 번째 만남이었어?", None),
        ("How long did the meeting last?", None),
        ("회의는 얼마 동안 진행됐나?", None),
        ("What did the ministers say about exchange rate volatility?", None),
        ("予算についての議論はあったか", None),
        ("What did the leaders say about North Korea?", None),
    ],
)
def test_questions_asking_for_money_or_a_percentage_are_recognised(question, kind):
    assert asked_amount(question) == kind


@pytest.mark.parametrize(
    ("text", "kind", "states"),
    [
        ("approximately $1.5 billion in cryptocurrency", "money", True),
        ("Japan will provide 4.5 billion yen", "money", True),
        ("約15億米ドルに相当する暗号資産", "money", True),
        ("総額３０００万円を拠出する", "money", True),  # full-width digits
        ("10억 달러 규모의 투자", "money", True),
        ("5만원", "money", True),
        ("a 25% tariff", "percent", True),
        ("関税を１５％とする", "percent", True),
        ("2 per cent of GDP", "percent", True),
        ("관세 15퍼센트", "percent", True),
        ("円相場は1ドル150円台で推移した", "percent", True),  # an exchange rate is a price
        # numbers that are not amounts, and words that only look like currencies
        ("協力を円滑に進める。2025年4月3日", "money", False),
        ("The party won 3 seats in 2024.", "money", False),
        ("3원칙을 확인했다", "money", False),
        ("a 25% tariff", "money", False),
        # a count needs a number before what is counted, in any of the three languages
        ("最初の二回の成功裏の実施", "times", True),
        ("두 차례 실시된 훈련", "times", True),
        ("13척의 함정", "ships", True),
        ("some 10,000 troops were sent", "people", True),
        ("the three leaders discussed the troops sent to Russia", "people", False),
        ("三か国の首脳は2024年11月15日に会談した", "ships", False),
        ("the three countries met for the 13th time", "percent", False),
        ("関税率について議論した", "percent", False),
    ],
)
def test_a_passage_states_an_amount_only_with_a_currency_or_percent_sign(text, kind, states):
    assert states_amount(text, kind) is states


def test_missing_amount_needs_every_passage_to_lack_one():
    question = "What tariff rate did the US set?"
    assert missing_amount(question, ["Tariffs were discussed.", "No figure here."]) == "percent"
    assert missing_amount(question, ["Tariffs were discussed.", "A 15% tariff."]) is None
    assert missing_amount("What did they discuss?", ["Tariffs were discussed."]) is None
    assert missing_amount_notice("money") == "No passage found states an amount of money."


def test_a_money_question_the_seed_answers_stays_confident(seed_assistant):
    """¶7 says 約15億米ドル: the amount is there, so the answer is given as before."""
    for question in (
        "How much did North Korean hackers steal from a single exchange in February?",
        "北朝鮮が2月に取引所から窃取した暗号資産はいくらか。",
    ):
        answer = seed_assistant.ask(question, k=3)
        assert answer.confident and answer.notice is None, question
        assert answer.passages[0].paragraph == 7, answer.passages[0].citation


def test_a_percentage_the_seed_never_states_is_not_answered_confidently(seed_assistant):
    """The seed speaks of steel and trade but gives no tariff rate; the passages found are
    still shown, with the reason."""
    for question in (
        "What tariff rate did the United States set on Japanese steel?",
        "미국이 일본산 철강에 부과한 관세율은 몇 퍼센트인가?",
    ):
        answer = seed_assistant.ask(question, k=3)
        assert not answer.confident, question
        assert answer.notice == "No passage found states a percentage."
        assert answer.passages
