"""Archive retrieval with the real model: the seed plus the 20 real statements of the shared
development archive (ja/en/ko), built once for the module."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.evaluate import evaluate, read_questions

ROOT = Path(__file__).resolve().parent.parent
ARCHIVE = ROOT.parent / "shared" / "eval" / "archive"

pytestmark = pytest.mark.skipif(
    not (ARCHIVE / "questions.jsonl").exists(),
    reason="the shared archive set is not beside the checkout",
)


@pytest.fixture(scope="module")
def archive(archive_index):
    from assistant import Assistant

    return Assistant.load(archive_index)


FLOORS = {
    # set: (corpus, hit@1, hit@3, off-topic rejected), about one question under what the shipped
    # configuration measured (docs/evaluation.md); the fresh sets were written blind and frozen
    # before anything was measured on them (F and G after the dateline context, 6eb8b2f).
    "archive dev": ("questions.jsonl", 0.62, 0.84, 0.7),
    "fresh archive a": ("fresh_archive_a.jsonl", 0.68, 0.81, 0.0),
    "fresh archive b": ("fresh_archive_b.jsonl", 0.5, 0.78, 0.07),
    "fresh archive c": ("fresh_archive_c.jsonl", 0.46, 0.75, 0.3),
    "fresh archive f": ("fresh_archive_f.jsonl", 0.62, 0.78, 0.07),
    "fresh archive g": ("fresh_archive_g.jsonl", 0.59, 0.9, 0.15),
}


@pytest.mark.parametrize("name", FLOORS)
def test_question_sets_stay_above_their_measured_floors(archive, name):
    file, hit1, hit3, rejected = FLOORS[name]
    path = ARCHIVE / file if file == "questions.jsonl" else ROOT / "eval" / "fresh" / file
    summary = evaluate(archive, read_questions(path))
    assert summary["overall"]["hit@1"] >= hit1
    assert summary["overall"]["hit@3"] >= hit3
    assert summary["kind:ood"]["rejected"] >= rejected
    assert summary["overall"]["confident"] >= 0.9


def test_an_undated_dateline_takes_the_year_the_text_names(archive):
    """The seed statement says only 4月3日; it names one year, 2025. Dated, it is the answer to
    a question that names April 2025 (undated, three other meetings' English readouts won)."""
    answer = archive.ask(
        "Who represented Japan at the trilateral foreign ministers' meeting held in Brussels in "
        "April 2025?",
        k=3,
    )
    top = answer.passages[0]
    assert top.source.endswith("000_2daad77d3c406492.txt"), [p.citation for p in answer.passages]
    assert top.date == "2025-04-03" and "岩屋" in top.text
    assert answer.confident


def test_everyday_english_questions_are_not_confident_beside_english_statements(archive):
    """A third of the archive is English, so an unrelated English question comes closer to it
    than to the Japanese seed alone; the threshold follows the question's own language (it is
    measured per language on the index itself at build time)."""
    everyday = [
        "What are good running shoes for a beginner?",
        "Which team won the 2024 World Series?",
        "How long should I boil an egg?",
        "What time does the Louvre open on Sundays?",
        "Who won the Nobel Prize in Literature in 2024?",
        "How do I reset my home router?",
    ]
    refused = [question for question in everyday if not archive.ask(question).confident]
    # measured with the threshold taken from the index's own unrelated questions (the median of
    # their margins in English): 5 of the 6 refused; "Which team won the 2024 World Series?"
    # comes through (its margin lies just above the English median)
    assert len(refused) >= 5, refused
    assert archive.ask("What new agenda did the Quad foreign ministers launch?").confident


def test_passages_carry_language_and_date(archive):
    answer = archive.ask("What did the three leaders agree to establish in Lima?", k=5)
    lima = [p for p in answer.passages if p.source.endswith("02_lima-summit-overview.en.txt")]
    assert lima, [p.citation for p in answer.passages]
    assert (lima[0].lang, lima[0].date) == ("en", "2024-11-15")
    data = answer.to_dict()["passages"][0]
    assert {"lang", "date"} <= data.keys()


def test_a_korean_question_finds_the_english_statement(archive):
    answer = archive.ask(
        "2025년 7월 쿼드 외교장관 공동성명은 어떤 영역의 평화와 안정을 강조했나?", k=3
    )
    assert any(p.source.endswith("14_quad-fm-2025-07-statement.en.txt") for p in answer.passages)


def test_the_month_picks_the_statement(archive):
    """Two vice-ministerial meetings (May and October 2024) are described alike; the month in
    the question decides."""
    may = archive.ask("2024年5月の日米韓次官協議はどこで開催されたか。", k=1).passages[0]
    october = archive.ask("2024年10月の日米韓次官協議はどこで開催されたか。", k=1).passages[0]
    assert Path(may.source).name.startswith(("05_vm-virginia", "06_vm-virginia")), may.citation
    assert Path(october.source).name.startswith(("03_vm-seoul", "04_vm-seoul")), october.citation


def test_filters_restrict_language_document_and_date(archive):
    question = "北朝鮮のミサイル発射について閣僚は何を述べたか"
    assert {p.lang for p in archive.search(question, k=10, language="ko")} == {"ko"}
    only = archive.search(question, k=3, source="12_fm-bali-2022-07.en.txt")
    assert {Path(p.source).name for p in only} == {"12_fm-bali-2022-07.en.txt"}
    dated = archive.search(question, k=10, date_from="2025-01-01")
    assert dated and all(p.date >= "2025-01-01" for p in dated)


def test_a_question_about_something_never_mentioned_says_so(archive):
    answer = archive.ask("2024年のG20リオデジャネイロ首脳宣言は気候資金について何を掲げたか。")
    assert not answer.confident
    assert answer.notice == "The documents do not mention G20."


def test_a_sum_rate_or_count_no_document_states_is_not_answered_confidently(archive):
    """Near-topic questions whose dense margins lie in the answerable range: the secretariat,
    the tariffs and Freedom Edge are in the archive, a budget, a tariff rate or a number of
    ships is not (assistant.amounts). A count the archive gives is answered."""
    for question, notice in (
        ("What is the annual budget of the trilateral secretariat?", "an amount of money"),
        ("日米韓調整事務局の予算はいくらですか。", "an amount of money"),
        ("한미일 사무국의 연간 예산은 얼마인가?", "an amount of money"),
        ("What tariff rate did the United States agree on Japanese cars in 2025?", "a percentage"),
        ("How many destroyers did the three countries send to Freedom Edge?", "a number of ships"),
        ("프리덤 에지 훈련에는 몇 척의 함정이 참가했나?", "a number of ships"),
    ):
        answer = archive.ask(question)
        assert not answer.confident, question
        assert answer.notice == f"No passage found states {notice}.", question
    counted = archive.ask("フリーダム・エッジは、リマでの首脳共同声明の時点で何回行われていたか。")
    assert counted.confident and counted.notice is None
    assert "最初の二回" in counted.passages[0].text, counted.passages[0].citation


def test_an_ordinal_the_best_documents_never_name_is_not_answered_confidently(archive):
    """The Lima statement praises the first two rounds of Freedom Edge; no document records a
    fourth. An ordinal that names the meeting is looked for in the whole document, as the
    readout's dateline says "the 13th" and another paragraph answers."""
    for question in (
        "フリーダム・エッジの第4回はどこで行われたか。",
        "When and where was the fourth Freedom Edge exercise held?",
    ):
        answer = archive.ask(question)
        assert not answer.confident, question
        assert answer.notice == "The best-matching documents do not mention the 4th."
    thirteenth = archive.ask(
        "제13차 한미일 외교차관협의에서 김 차관은 3국 협력이 어떤 분야로 확대되고 있다고 했나?"
    )
    assert thirteenth.confident and thirteenth.notice is None
    assert Path(thirteenth.passages[0].source).name.startswith("05_vm-virginia")


def test_a_name_spelled_in_no_script_of_the_archive_says_so(archive):
    """Names are looked up by sound in the katakana and Hangul (assistant.name_sounds): those
    the English text lacks but the Japanese or Korean spells are found, others are reported."""
    quad = archive.ask("What did the Quad leaders agree at their summit in Wilmington, Delaware?")
    assert not quad.confident and quad.notice == "The documents do not mention Wilmington."
    lumpur = archive.ask("What did the trilateral foreign ministers agree in Kuala Lumpur?")
    assert lumpur.notice == "The documents do not mention Kuala Lumpur."
    # Kamikawa, San Francisco, Israel and Hamas are only in the Japanese and Korean texts
    spelled = archive.ask(
        "What did Kamikawa, Blinken and Park Jin say in San Francisco about Israel and Hamas?"
    )
    assert spelled.confident and spelled.notice is None


def test_a_korean_question_finds_the_japanese_paragraph_by_its_sino_korean_words(archive):
    """Only Japan's readout of the secretariat's launch says what it will do (調整及び履行に関す
    る業務); the Korean question's 조정 and 업무 are those words read in Hangul (the reading
    term). Measured: with the term the paragraph ranks 5th of the archive's 86, without it 8th
    (before the dateline context: 8th, and not among the best ten)."""
    question = "일본 외무성 설명에 따르면 한미일 조정사무국은 어떤 업무를 수행할 기구로 상정되었나?"

    def rank() -> int:
        passages = archive.ask(question, k=50).passages
        found = [i for i, p in enumerate(passages, 1) if "調整及び履行に関する業務" in p.text]
        return found[0] if found else 51

    with_term = rank()
    shipped = archive.config
    archive.config = shipped.without("reading")
    try:
        assert with_term <= 10 and with_term < rank()
    finally:
        archive.config = shipped


@pytest.mark.parametrize(
    ("question", "document", "answer"),
    [
        # Japanese asked, English answers: インド洋 and 機構 gloss as Indian Ocean, organization
        (
            "クアッド外相はインド洋のどの地域機構との協力を支持したか。",
            "14_quad-fm-2025-07-statement.en.txt",
            "Indian Ocean Rim Association",
        ),
    ],
)
def test_the_dictionary_bridge_finds_the_answer_across_english_and_japanese(
    archive, question, document, answer
):
    """The model finds the right statement but, within it, the dateline or a neighbouring
    paragraph outranked the answer (ranks 5 and 3 without the gloss term); the dictionary's
    glosses link the answer's words (the gloss term)."""
    top = archive.ask(question, k=3).passages[0]
    assert top.source.endswith(document) and answer in top.text, top.citation
    shipped = archive.config
    archive.config = shipped.without("gloss")
    try:
        top = archive.ask(question, k=3).passages[0]
    finally:
        archive.config = shipped
    assert not (top.source.endswith(document) and answer in top.text)


def test_bad_filters_are_one_line_listing_the_allowed_values(archive):
    from assistant import InputError

    with pytest.raises(InputError, match="this index has: en, ja, ko"):
        archive.ask("test", language="fr")
    with pytest.raises(InputError, match="YYYY"):
        archive.ask("test", date_from="last year")
    with pytest.raises(InputError, match="no document"):
        archive.ask("test", source="missing.txt")


def test_a_setting_clause_does_not_draw_the_dateline(archive):
    """The question opens with the meeting (who met whom), which the press release's first
    paragraph states; what is asked (history) is in the fourth. Read whole, the question put
    the first paragraph first; read with its focus, the answer comes first."""
    answer = archive.ask(
        "李在明大統領との首脳会談で、石破総理は歴史認識について日本政府のどのような立場を述べたか。",
        k=3,
    )
    top = answer.passages[0]
    assert Path(top.source).name.startswith("16_japan-rok"), top.citation
    assert "歴史認識" in top.text, top.citation


def test_within_the_document_the_setting_picks_what_is_asked_not_the_dateline(archive):
    """The setting "When Blinken met Hayashi and Park in Bali," names who met where, as the
    readout's first paragraph does; the whole question counts at its document's best, so what
    is asked (condemned) orders the paragraphs. Measured: the condemnation ranks 2nd with the
    setting read apart, 4th without."""
    question = "When Blinken met Hayashi and Park in Bali, what did they condemn?"

    def rank() -> int:
        passages = archive.ask(question, k=10).passages
        return next(i for i, p in enumerate(passages, 1) if "condemn" in p.text or "규탄" in p.text)

    with_setting = rank()
    shipped = archive.config
    archive.config = shipped.without("setting")
    try:
        assert with_setting < rank()
    finally:
        archive.config = shipped
    assert with_setting <= 2
