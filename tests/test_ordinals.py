"""Ordinals a question names and whether the documents found name them (assistant.ordinals):
pure logic on written examples; the rule on the real archive is in tests/test_archive.py."""

from __future__ import annotations

import pytest

from assistant.answer.checks.ordinals import missing_ordinal_notice, missing_ordinals, ordinals


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("第3回のフリーダム・エッジ", {3}),
        ("フリーダム・エッジの3回目", {3}),
        ("第十三回日米韓次官協議", {13}),
        ("二十回目の会合", {20}),
        ("国交正常化60周年", {60}),
        ("21世紀の課題", {21}),
        ("the 13th trilateral dialogue", {13}),
        ("the third Freedom Edge", {3}),
        ("a 22nd round", {22}),
        ("세 번째 만남", {3}),
        ("제13차 한미일 외교차관협의", {13}),
        ("국교정상화 60주년", {60}),
        # the first only as a meeting's number, never as a title; numbers that are not
        # ordinals are not read
        ("第1回日米韓グローバル・リーダーシップ・ユース・サミット", {1}),
        ("第一回の会合", {1}),
        ("제1회 청년 서밋", {1}),
        ("最初の会合、初の首脳会合、the first meeting, 첫 번째, 1st round", set()),
        ("張虎鎮第1次官、장호진 제1차관, 1st Vice Minister", set()),
        ("三か国は2025年4月3日に二回会合した", set()),
        ("three countries met twice in 2024", set()),
    ],
)
def test_ordinals_are_read_in_each_language(text, found):
    assert ordinals(text) == found


def test_an_ordinal_is_missing_only_when_no_text_names_it():
    question = "When was the third Freedom Edge held?"
    assert missing_ordinals(question, ["最初の二回の成功裏の実施", "三か国の共同訓練"]) == {3}
    assert missing_ordinals(question, ["the first two rounds", "第3回目の訓練"]) == set()
    assert missing_ordinals("When was Freedom Edge held?", ["nothing"]) == set()


def test_a_numbered_first_meeting_is_not_found_in_a_first_of_another_kind():
    question = "제1회 한미일 청년 서밋은 어디에서 열렸나?"
    others = ["이재명 정부 출범 후 첫 운영이사회", "장호진 제1차관"]
    assert missing_ordinals(question, others) == {1}
    assert missing_ordinals(question, ["第1回日米韓ユース・サミット"]) == set()


def test_the_notice_names_the_ordinals_in_english():
    assert missing_ordinal_notice({3}) == "The best-matching documents do not mention the 3rd."
    assert missing_ordinal_notice({13, 2}) == (
        "The best-matching documents do not mention the 2nd or 13th."
    )
