"""Names looked up by sound across scripts (assistant.name_sounds): pure logic on small texts
written for these tests, no model needed."""

from __future__ import annotations

import pytest

from assistant.retrieval.key_terms import missing_terms, name_runs
from assistant.retrieval.name_sounds import (
    NameSounds,
    SpokenNameIndex,
    may_be_han,
    sound_key,
    spelled_foreign,
    spoken_words,
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


def test_foreign_looking_hangul_words():
    assert all(spelled_foreign(w) for w in ["브뤼셀에서", "프리덤", "트럼프", "샌프란시스코"])
    # native and Sino-Korean words would match names by chance
    assert not any(spelled_foreign(w) for w in ["밝혔나", "정신을", "공동성명", "외교장관"])


def test_spoken_name_index_finds_a_name_in_other_scripts_only_where_it_is_rare():
    documents = [
        "ブリュッセルにおいて外相会合が開かれた。グローバルな課題について議論した。",
        "The ministers met in Washington. They discussed global challenges.",
        "장관들은 트럼프 대통령의 글로벌 과제를 논의했다.",
        "トランプ大統領とグローバルなパートナーシップを確認した。",
        "글로벌 협력을 강화한다.",
    ]
    index = SpokenNameIndex(documents)
    brussels = spoken_words("브뤼셀 외교장관회의에서 무엇을 논의했나?")
    assert brussels["hangul"] and index.naming(brussels, most=0.4) == {0}
    # the same script is the lexical arm's business: the Korean document that spells it is no
    # evidence, the Japanese one is
    assert index.naming(spoken_words("트럼프 대통령은 무엇을 말했나?"), most=0.4) == {3}
    # a loanword found in most documents is no evidence
    assert spoken_words("글로벌 과제")["hangul"] == set()  # not foreign-looking enough
    assert index.naming(spoken_words("グローバルな課題"), most=0.4) == set()
    assert index.naming({"latin": {sound_key("Brussels")}}, most=0.4) == {0}
