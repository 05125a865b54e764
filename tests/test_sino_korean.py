"""The Sino-Korean reading bridge between Japanese and Korean (assistant.sino_korean): pure logic
on short texts written for these tests and on the seed statement's own characters."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from assistant.retrieval.terms.bridging import bridge_scores
from assistant.retrieval.terms.reading import (
    initial_form,
    kanji_words,
    reading_pairs,
)

SEED = Path(__file__).resolve().parent.parent / "corpus"


@pytest.mark.parametrize(
    ("japanese", "korean"),
    [
        ("協力", "협력"),
        ("安全保障", "안전보장"),
        ("調整", "조정"),
        ("対話", "대화"),  # 対 is read as its traditional form 對
        ("継続", "계속"),
        ("台湾", "대만"),  # 台 as 臺, not 태
        ("理事会", "이사회"),  # initial-sound rule: 리 -> 이 at a word's start
        ("旅行", "여행"),  # 려 -> 여
        ("老人", "노인"),  # 로 -> 노
        ("各々", "각각"),  # 々 repeats the character before it
    ],
)
def test_a_japanese_word_reads_as_the_korean_word(japanese, korean):
    assert kanji_words(japanese) == [korean]


def test_kana_and_latin_end_a_word_and_are_not_read():
    assert kanji_words("北朝鮮のICBM発射を非難した") == ["북조선", "발사", "비난"]


def test_initial_form_leaves_other_syllables_alone():
    assert [initial_form(s) for s in "량녀류협가"] == ["양", "여", "유", "협", "가"]
    assert initial_form("a") == "a"


def test_pairs_are_taken_within_words_so_korean_endings_cost_one_pair():
    assert reading_pairs("협력을 확대", "ko") == ["협력", "력을", "확대"]
    assert reading_pairs("協力を拡大した", "ja") == ["협력", "확대"]
    assert reading_pairs("cooperation", "en") == []


def test_the_seeds_kanji_nearly_all_have_a_reading():
    """The table covers what Japanese statements write: measured on the seed, every kanji but
    a handful has a reading (missing ones only cut a word in two)."""
    text = next(SEED.glob("*.txt")).read_text(encoding="utf-8")
    kanji = [c for c in text if "\u4e00" <= c <= "\u9fff"]
    read = sum(len(w) for w in kanji_words(text))
    assert len(kanji) > 500
    assert read / len(kanji) >= 0.99


def test_bridge_scores_rank_by_shared_rare_pairs_and_stay_within_0_and_1():
    question = reading_pairs("한미일 조정사무국은 어떤 업무를 수행하나", "ko")
    passages = [
        reading_pairs("日米韓調整事務局は調整及び履行に関する業務を行う", "ja"),
        reading_pairs("事務局で会談した", "ja"),
        reading_pairs("天気は晴れ", "ja"),
    ]
    scores = bridge_scores(question, passages)
    assert scores[0] > scores[1] > scores[2] == 0.0
    assert ((scores >= 0) & (scores <= 1)).all()


def test_a_common_word_alone_gets_little_however_it_ranks():
    """Only 문제/問題 in common: the best passage is not lifted to full weight."""
    question = reading_pairs("남중국해 문제에 대한 입장", "ko")
    passages = [reading_pairs(t, "ja") for t in ("拉致問題の解決", "航行の自由", "首脳会談")]
    scores = bridge_scores(question, passages)
    assert scores.argmax() == 0
    assert scores[0] < 0.3


def test_nothing_to_match_scores_zero():
    assert bridge_scores([], [["협력"]]).tolist() == [0.0]
    assert bridge_scores(["협력"], []).size == 0
    assert np.array_equal(bridge_scores(["협력"], [["안보"], []]), np.zeros(2))
