"""The setting clause of a question (pure logic, no model), and how the retriever weighs what
is asked against the whole question (real model)."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.config import Config
from assistant.retrieval.focus import question_focus

FOCUS_WEIGHT = Config().focus_weight


@pytest.mark.parametrize(
    ("question", "focus"),
    [
        ("2024年5月の次官協議で、三者は何で一致したか。", "三者は何で一致したか。"),
        ("リマ共同声明によれば、事務局は何を確保するのか。", "事務局は何を確保するのか。"),
        ("G7外相声明は、ハイチについて何を歓迎したか。", "ハイチについて何を歓迎したか。"),
        ("서울 회의에서, 참석자들은 무엇을 논의했나?", "참석자들은 무엇을 논의했나?"),
        ("일본 측 개요에 따르면, 사무국은 무엇을 하나?", "사무국은 무엇을 하나?"),
        (
            "According to the Lima statement, what will the secretariat do?",
            "what will the secretariat do?",
        ),
        (
            "During the May 2024 talks, what did Vice Minister Kim stress?",
            "what did Vice Minister Kim stress?",
        ),
        (  # a list of names in the setting: cut where the question proper begins
            "At the meeting of Kamikawa, Blinken and Park in New York, what did Kamikawa want?",
            "what did Kamikawa want?",
        ),
        (
            "岡野次官がキャンベル副長官、金次官と行ったソウルでの協議で、三者は何を確認したか。",
            "三者は何を確認したか。",
        ),
        ("At the Lima meeting, the leaders agreed on what?", "the leaders agreed on what?"),
    ],
)
def test_an_opening_setting_is_split_from_what_is_asked(question, focus):
    assert question_focus(question) == focus


@pytest.mark.parametrize(
    "question",
    [
        "What did the ministers say about LNG?",  # no opening clause
        "無線LANを使う場合、調べておくべきネットワーク名は何か。",  # a condition is the content
        "Debianは、何を必要とせずにアップグレードできたか。",  # a plain topic is the content
        "At the November 2024 leaders' meeting in Lima and the APEC summit there, who?",  # no comma
        "2024年9月にニューヨークで開かれた日米韓外相会合で、誰か。",  # nothing left to ask
        "Yes, but what did they agree?",  # a comma, but no setting before it
    ],
)
def test_no_setting_is_split_where_none_opens_the_question(question):
    assert question_focus(question) is None


def test_the_focus_row_counts_its_weight_in_every_cosine(seed_assistant):
    """With a setting the retriever reads two rows, and each cosine it scores by is the
    FOCUS_WEIGHT mix of the whole question's (its document's best: the seed is one document)
    and the focus's (each with its own best sentence): checked against cosines computed here
    from the real vectors. So within a document, what is asked alone orders the paragraphs."""
    retriever = seed_assistant.retriever
    question = "ブリュッセルでの外相会合で、閣僚は暗号資産の窃取について何を述べたか。"
    focus = question_focus(question)
    assert focus == "閣僚は暗号資産の窃取について何を述べたか。"
    query = retriever.encode(question, focus)
    assert query.shape == (2, retriever.encoder.dimension)
    ids = np.arange(len(retriever.stored.passages))
    weights = np.array([1 - FOCUS_WEIGHT, FOCUS_WEIGHT], dtype=np.float32)
    passage, best_sentence, _ = retriever.dense_scores(query, ids, weights)
    whole, _, _ = retriever.dense_scores(query[:1], ids)
    asked, _, _ = retriever.dense_scores(query[1:], ids)
    np.testing.assert_allclose(
        passage, (1 - FOCUS_WEIGHT) * whole.max() + FOCUS_WEIGHT * asked, rtol=1e-5, atol=1e-6
    )
    assert best_sentence.shape == passage.shape
    order = np.argsort(-passage, kind="stable").tolist()
    assert order == np.argsort(-asked, kind="stable").tolist()
