"""Names looked up by sound across scripts (assistant.name_sounds): pure logic on small texts
written for these tests, no model needed."""

from __future__ import annotations

import pytest

from assistant.retrieval.key_terms import missing_terms, name_runs
from assistant.retrieval.name_sounds import (
    NameSounds,
    may_be_han,
    sound_key,
)

JAPANESE = (
    "ブリュッセルにおいて岩屋外務大臣とマルコ・ルビオ国務長官が会談し、"
    "サンフランシスコの成果を確認した。"
)
KOREAN = "조태열 장관은 브뤼셀에서 마르코 루비오 국무장관과 트럼프 행정부의 정책을 논의했다."


@pytest.mark.parametrize(
    ("latin", "written"),
    [
        ("Brussels", "ブリュッセル"),
        ("Brussels", "브뤼셀"),
        ("Trump", "トランプ"),
        ("Trump", "트럼프"),
        ("Israel", "イスラエル"),
        ("Hamas", "하마스"),
        # ッ doubles a consonant and katakana has no th: found since blind set 6 was refused
        # "the second Global Leadership Youth Summit" on the seed's リーダーシップ・ユース
        ("Leadership Youth", "グローバル・リーダーシップ・ユース・サミット"),
        ("Smith", "スミス"),
        ("Thomas", "トーマス"),
    ],
)
def test_a_name_and_its_katakana_or_hangul_spelling_share_a_key(latin, written):
    sounds = NameSounds.of([written])
    assert sounds.mentions(latin), (sound_key(latin), sound_key(written))


def test_names_found_in_katakana_and_hangul():
    sounds = NameSounds.of([JAPANESE, KOREAN])
    for name in ["Brussels", "Marco Rubio", "San Francisco", "Trump", "Cho Tae-yul"]:
        assert sounds.mentions(name), name


def test_a_long_name_is_found_inside_a_korean_compound():
    sounds = NameSounds.of(["장관들은 샌프란시스코에서 만났다."])
    assert sounds.mentions("Francisco") and sounds.mentions("San Francisco")
    assert not sounds.mentions("Wilmington")


def test_names_not_found_are_reported():
    sounds = NameSounds.of([JAPANESE, KOREAN])
    for name in ["Wilmington", "Kuala Lumpur", "Wimbledon", "Zelensky"]:
        assert not sounds.mentions(name), name


def test_short_keys_and_han_readable_names_are_not_checked():
    sounds = NameSounds.of([KOREAN])  # no Han characters, no katakana
    assert sounds.mentions("Peru")  # PR: too short to tell from chance
    assert not sounds.mentions("Toshimitsu Motegi")  # would be spelled in Hangul, and is not
    japanese = NameSounds.of([JAPANESE])
    assert japanese.mentions("Toshimitsu Motegi")  # may be written 茂木敏充
    assert japanese.mentions("Pyongyang")  # Korean-looking, no Hangul: may be 平壌
    both = NameSounds.of([JAPANESE, KOREAN])
    assert not both.mentions("Pyongyang")  # Korean text would spell it 평양


def test_romanisation_patterns():
    assert all(may_be_han(n) for n in ["Iwaya", "Takeshi Iwaya", "Tokyo", "Xi Jinping"])
    assert not any(may_be_han(n) for n in ["Wilmington", "Brussels", "Kuala Lumpur"])
    assert may_be_han("Pyongyang", korean_too=True) and not may_be_han("Wimbledon", True)


def test_a_word_in_ing_that_opens_the_question_is_not_a_name():
    """ "Regarding Haiti, ..." once read as the name "Regarding Haiti", missing from the archive."""
    assert name_runs("Regarding Haiti, whose proposal did the G7 welcome?") == ["Haiti"]
    assert name_runs("Following Wilmington, what did the Quad agree?") == ["Wilmington", "Quad"]
    assert name_runs("What did Beijing say?") == ["Beijing"]  # only the opening word


def test_name_runs_join_adjacent_names_and_leave_translated_words():
    assert name_runs("What did Marco Rubio say in Kuala Lumpur?") == ["Marco Rubio", "Kuala Lumpur"]
    assert name_runs("Did the Middle East come up in Wilmington, Delaware?") == [
        "Wilmington",
        "Delaware",
    ]


def test_missing_terms_look_names_up_by_sound_in_mixed_corpora():
    sounds = NameSounds.of([JAPANESE, KOREAN])
    vocabulary = "NATO"
    question = "Did Rubio and Cho discuss NATO in Brussels or in Kuala Lumpur?"
    assert missing_terms(question, vocabulary, False, sounds) == ["Kuala Lumpur"]
    assert missing_terms(question, vocabulary, False) == []  # without sounds, names unchecked
    # a name in the Latin text needs no sound
    assert missing_terms("Was Wilmington named?", "Wilmington", False, sounds) == []
