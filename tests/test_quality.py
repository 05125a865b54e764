"""Retrieval quality on the real model and index: hybrid search, sentence evidence, confidence."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.evaluate import evaluate, read_questions
from assistant.indexing.lexical import LexicalIndex, bigram_tokens

ROOT = Path(__file__).resolve().parent.parent
DEV = ROOT.parent / "shared" / "eval" / "dev_questions.jsonl"
EXTRA = ROOT / "eval" / "extra_questions.jsonl"


def test_shipbuilding_question_finds_paragraph_9_and_highlights_its_sentence(seed_assistant):
    answer = seed_assistant.ask("造船業についてはどう書かれていますか", k=3)
    top = answer.passages[0]
    assert top.paragraph == 9
    assert "造船産業" in top.highlight
    assert top.highlight in top.text


def test_fresh_seed_questions_stay_above_their_measured_floor(seed_assistant):
    """45 questions about the statement, written blind by a helper that saw only the statement
    and frozen before anything was measured on them: 0.91 / 1.0, off-topic rejected 0.33,
    answerable confident 0.97 (docs/evaluation.md); floors about one question under."""
    summary = evaluate(seed_assistant, read_questions(ROOT / "eval" / "fresh" / "fresh_seed.jsonl"))
    assert summary["overall"]["hit@1"] >= 0.87
    assert summary["overall"]["hit@3"] >= 0.96
    assert summary["kind:ood"]["rejected"] >= 0.25
    assert summary["overall"]["confident"] >= 0.9


@pytest.mark.parametrize(
    ("question", "phrase"),
    [
        ("What did they say about coast guard cooperation?", "海上保安機関"),
        ("핵심 광물 공급망에 대해 무엇을 말했나?", "重要鉱物"),
        ("先進的な原子炉の開発について", "原子炉"),
    ],
)
def test_each_topic_of_a_long_paragraph_ranks_it_first(seed_assistant, question, phrase):
    top = seed_assistant.ask(question, k=1).passages[0]
    assert top.paragraph == 9
    assert phrase in top.highlight


@pytest.mark.parametrize(
    "question",
    ["明日の大阪の天気を教えて", "How do I make pancakes?", "오늘 프로축구 경기 결과는?"],
)
def test_off_topic_questions_are_not_confident(seed_assistant, question):
    answer = seed_assistant.ask(question, k=3)
    assert answer.confident is False
    assert len(answer.passages) == 3  # the closest passages are still given


def test_latin_and_digits_inside_japanese_match():
    assert "lng" in bigram_tokens("米国産の液化天然ガス（ＬＮＧ）")
    assert {"apec", "2025"} <= set(bigram_tokens("2025年のAPEC"))
    index = LexicalIndex(["韓国が2025年のAPECを主催する。", "閣僚は停戦を促した。"])
    scores = index.scores(index.query_tokens("ＡＰＥＣの主催国"))
    assert scores[0] > 0 and scores[1] == 0


def test_lexical_coverage_is_low_for_other_languages():
    index = LexicalIndex(["閣僚は、北朝鮮の暗号資産の窃取に懸念を表明した。"])
    assert index.coverage(index.query_tokens("暗号資産の窃取")) == 1.0
    assert index.coverage(index.query_tokens("crypto theft by North Korea")) == 0.0
    assert index.coverage(index.query_tokens("북한의 암호화폐 탈취")) == 0.0


@pytest.mark.parametrize("path", [DEV, EXTRA], ids=["dev", "extra"])
def test_hybrid_meets_targets_and_beats_each_arm(seed_assistant, path):
    if not path.exists():
        pytest.skip("the shared seed dev set is not beside the checkout")
    rows = read_questions(path)
    hybrid = evaluate(seed_assistant, rows, mode="hybrid")
    dense = evaluate(seed_assistant, rows, mode="dense")
    lexical = evaluate(seed_assistant, rows, mode="lexical")
    for lang in ("ja", "en", "ko"):
        assert hybrid[lang]["hit@1"] >= 0.95, (lang, hybrid["misses"])
        assert hybrid[lang]["hit@3"] == 1.0, (lang, hybrid["misses"])
    assert hybrid["overall"]["mrr"] >= dense["overall"]["mrr"]
    assert hybrid["overall"]["mrr"] > lexical["overall"]["mrr"]
    assert hybrid["overall"]["confident"] >= 0.95
    assert hybrid["overall"]["rejected"] >= 0.9
