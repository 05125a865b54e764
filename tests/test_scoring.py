"""Pure logic of archive retrieval on synthetic data: no model, runs in milliseconds."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.ingest.documents import parse_document
from assistant.ingest.metadata import (
    date_in_name,
    dateline_date,
    detect_language,
    document_date,
    document_months,
    find_dates,
    question_months,
    question_years,
    undated_notice,
    without_dates,
)
from assistant.key_terms import key_terms, missing_terms, not_found_notice
from assistant.retrieval import scoring
from assistant.retrieval.retriever import Filters


@pytest.mark.parametrize(
    "text",
    [
        "令和7年4月3日",
        "２０２５年４月３日",
        "2025年4月3日",
        "April 3, 2025",
        "3 April 2025",
        "2025년 4월 3일",
        "2025-04-03",
    ],
)
def test_every_form_of_a_date_reads_as_one_iso_date(text):
    assert [m.iso for m in find_dates(f"会合は{text}に行われた。")] == ["2025-04-03"]


def test_era_first_year_and_invalid_dates():
    assert [m.iso for m in find_dates("令和元年5月1日")] == ["2019-05-01"]
    assert find_dates("2025年13月1日") == []
    assert find_dates("room 2025-99-99") == []


def test_document_date_prefers_the_first_full_date_and_months_use_its_year():
    text = "Readout\n\nJune 1, 2024\n\nThe ministers met on May 31 in Washington."
    assert document_date(text) == "2024-06-01"
    assert document_months(text, document_date(text)) == ["2024-05", "2024-06"]
    assert document_date("No date here.") is None


@pytest.mark.parametrize(
    ("name", "date"),
    [
        ("12_fm-bali-2022-07.en.txt", "2022-07"),
        ("2024-05-31_outcome.pdf", "2024-05-31"),
        ("20241115.D1J.html", "2024-11-15"),
        ("statement_2023_09.docx", "2023-09"),
        ("000_2daad77d3c406492.txt", None),  # a hash is not a date
        ("report-2025-13.txt", None),  # no month 13
        ("page4_006011.html", None),
    ],
)
def test_date_in_file_name(name, date):
    assert date_in_name(name) == date


def test_text_date_wins_and_file_name_date_is_the_fallback():
    dated = parse_document("Readout\n\nJune 1, 2024\n\nThey met.", "docs/x-2023-07.txt")
    assert dated.date == "2024-06-01"
    undated = parse_document("Readout\n\nThey met on July 24 by phone.", "docs/x-2023-07.txt")
    assert undated.date == "2023-07"
    assert document_months(undated.text, undated.date) == ["2023-07"]


def test_a_dateline_without_a_year_takes_the_one_year_the_text_names():
    seed_like = "共同声明\n\n外相は、4月3日、ブリュッセルにおいて会談した。2025年のAPECを支持した。"
    assert dateline_date(seed_like) == "2025-04-03"
    assert parse_document(seed_like, "corpus/000_2daad77d3c406492.txt").date == "2025-04-03"
    # the file name's date comes first; two different years, or none, give no guess
    assert parse_document(seed_like, "docs/x-2024-11.txt").date == "2024-11"
    assert dateline_date("On May 31 they met, recalling 2023 and looking to 2025.") is None
    assert dateline_date("On May 31 they met.") is None
    late = "声明\n\n" + "三か国は協力を確認した。" * 40 + "4月3日に会談した。2025年。"
    assert dateline_date(late) is None  # a month-day far into the text is not a dateline


def test_document_best_lifts_every_paragraph_to_its_documents_best():
    values = np.array([0.80, 0.86, 0.84, 0.70], dtype=np.float32)
    documents = np.array([5, 5, 9, 9])
    np.testing.assert_allclose(scoring.document_best(values, documents), [0.86, 0.86, 0.84, 0.84])
    assert scoring.document_best(values[:0], documents[:0]).size == 0
    with pytest.raises(ValueError, match="document ids"):
        scoring.document_best(values, documents[:2])


@pytest.mark.parametrize(
    ("question", "wording"),
    [
        ("2024年5月の第13回次官級対話の成果は", "第13回次官級対話の成果は"),
        ("2024년 9월 뉴욕 회의에서", "뉴욕 회의에서"),
        ("What did they say on 3 April 2025 about Gaza?", "What did they say on about Gaza?"),
        ("令和6年10月17日の会合", "会合"),
        ("2023年7月、電話会談の目的は", "電話会談の目的は"),
        ("No date at all, 15億 dollars", "No date at all, 15億 dollars"),
    ],
)
def test_dates_are_taken_out_of_the_wording_arms(question, wording):
    assert without_dates(question) == wording
    assert question_months(wording) == [] and question_years(wording) == []


def test_question_months_and_years():
    assert question_months("2024年5月末に行われた協議") == ["2024-05"]
    assert question_months("in late September 2025?") == ["2025-09"]
    assert question_months("2025년 7월 쿼드") == ["2025-07"]
    assert question_years("2024年の首脳会議") == [2024]


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("日米韓の外相は会談した。", "ja"),
        ("日米韓共同声明", "ja"),
        ("한미일 외교장관은 회담했다.", "ko"),
        ("The ministers met in Brussels.", "en"),
        ("12345", "und"),
        ("中华人民共和国外交部发言人表示欢迎各方", "zh"),
    ],
)
def test_language_by_script(text, lang):
    assert detect_language(text) == lang


def test_language_offset_lets_a_foreign_passage_win():
    """The bank shows the question prefers Korean text by 0.1 whatever it says; the English
    passage that is only 0.05 behind in raw cosine must then win."""
    bank = {
        "en": np.array([[1.0, 0.0, 0.0]], dtype=np.float32),
        "ko": np.array([[0.0, 1.0, 0.0]], dtype=np.float32),
    }
    query = np.array([0.5, 0.6, 0.0], dtype=np.float32)
    offsets = scoring.language_offsets(query, bank, ["ko", "en"])
    evidence = scoring.Evidence(
        passage=np.array([0.85, 0.80]),
        best_sentence=np.array([0.0, 0.0]),
        lexical=np.zeros(2),
        language=offsets,
        date=np.zeros(2),
    )
    assert np.argmax(scoring.dense_scores(evidence)) == 0
    assert np.argmax(scoring.passage_scores(evidence, coverage=0.0)) == 1


def test_date_evidence_matches_months_and_years():
    months = [["2024-09"], ["2024-10"], ["2023-09"], []]
    # another month of the same year is a mismatch
    assert scoring.date_evidence(["2024-09"], [2024], months).tolist() == [1.0, -1.0, -1.0, 0.0]
    assert scoring.date_evidence([], [2023], months).tolist() == [-1.0, -1.0, 1.0, 0.0]
    assert scoring.date_evidence([], [], months).tolist() == [0.0, 0.0, 0.0, 0.0]


def test_date_term_breaks_a_tie_between_similar_statements():
    evidence = scoring.Evidence(
        passage=np.array([0.850, 0.845]),
        best_sentence=np.zeros(2),
        lexical=np.zeros(2),
        language=np.zeros(2),
        date=scoring.date_evidence(["2024-10"], [2024], [["2024-05"], ["2024-10"]]),
    )
    assert np.argmax(scoring.passage_scores(evidence, coverage=0.0)) == 1


def test_lexical_weight_follows_coverage_squared():
    evidence = scoring.Evidence(
        passage=np.array([0.80, 0.80]),
        best_sentence=np.zeros(2),
        lexical=np.array([1.0, 0.0]),
        language=np.zeros(2),
        date=np.zeros(2),
    )
    full = scoring.passage_scores(evidence, coverage=1.0)
    half = scoring.passage_scores(evidence, coverage=0.5)
    assert full[0] - full[1] == pytest.approx(scoring.LEXICAL_WEIGHT)
    assert half[0] - half[1] == pytest.approx(scoring.LEXICAL_WEIGHT / 4)


def test_evidence_arrays_must_agree_in_length():
    with pytest.raises(ValueError, match="differ in length"):
        scoring.Evidence(np.zeros(2), np.zeros(2), np.zeros(3), np.zeros(2), np.zeros(2))
    with pytest.raises(ValueError, match="differ in length"):
        scoring.Evidence(*[np.zeros(2)] * 5, names=np.zeros(3))


@pytest.mark.parametrize(
    ("term", "weight", "value", "closer_by"),
    [
        # a Korean question naming 브뤼셀; the Japanese statement spells ブリュッセル
        ("names", "NAME_WEIGHT", 1.0, 0.04),
        # a Korean question whose words the Japanese paragraph's kanji read as (sino_korean)
        ("reading", "READING_WEIGHT", 0.5, 0.02),
        # an English question whose words the Japanese paragraph's glosses hold (glosses)
        ("gloss", "GLOSS_WEIGHT", 0.5, 0.02),
    ],
)
def test_a_cross_language_term_lifts_the_other_languages_passage_by_its_weight(
    term, weight, value, closer_by
):
    """Against a Korean paragraph of another meeting, closer for being Korean, the Japanese
    passage the term points to rises by exactly weight x value, and only through the term."""
    evidence = scoring.Evidence(
        passage=np.array([0.84, 0.84 - closer_by]),
        best_sentence=np.zeros(2),
        lexical=np.zeros(2),
        language=np.zeros(2),
        date=np.zeros(2),
        **{term: np.array([0.0, value])},
    )
    scores = scoring.passage_scores(evidence, coverage=0.0)
    assert scores[1] - scores[0] == pytest.approx(value * getattr(scoring, weight) - closer_by)
    assert np.argmax(scores) == 1
    unweighted = scoring.passage_scores(evidence, coverage=0.0, **{weight.lower(): 0.0})
    assert np.argmax(unweighted) == 0
    with pytest.raises(ValueError, match="differ in length"):
        scoring.Evidence(*[np.zeros(2)] * 5, **{term: np.zeros(3)})


def test_acronym_index_names_the_few_documents_with_the_acronym():
    from assistant.key_terms import AcronymIndex

    documents = ["UEFIとBIOSの設定", "ＩＳＤＮ回線", "APEC에서", "APEC and the US", "plain text"]
    index = AcronymIndex(documents)
    assert index.naming("Can ISDN be used?", most=0.2) == {1}  # full-width ＩＳＤＮ read
    assert index.naming("UEFI or BIOS?", most=0.2) == {0}
    assert index.naming("What about APEC?", most=0.2) == set()  # in 2 of 5: no evidence
    assert index.naming("What about APEC?", most=0.4) == {2, 3}
    assert index.naming("What did the US say?", most=1.0) == set()  # a country code
    assert index.naming("no acronym here", most=1.0) == set()


def test_key_terms_and_missing_ones():
    acronyms, names = key_terms("What did the G7 and NATO say about Wilmington, Delaware?")
    assert acronyms == ["G7", "NATO"] and names == ["Wilmington", "Delaware"]
    corpus = "The G7 ministers met. NATO was mentioned."
    assert missing_terms("What did the G20 decide?", corpus, latin_only=False) == ["G20"]
    # names are checked by spelling only where every document is in Latin script (elsewhere by
    # sound, when the sounds are given: tests/test_name_sounds.py)
    assert missing_terms("Did they meet in Wilmington?", corpus, latin_only=False) == []
    assert missing_terms("Did they meet in Wilmington?", corpus, latin_only=True) == ["Wilmington"]
    # country codes are written in other scripts in Japanese and Korean documents
    assert missing_terms("What did the US say?", "米国は述べた。", latin_only=False) == []
    assert not_found_notice(["Quad", "FTA"]) == "The documents do not mention Quad or FTA."


def test_filters_admit_by_language_document_and_date():
    passage = {"lang": "en", "source": "docs/a.en.txt", "date": "2024-10-16"}
    undated = {"lang": "ja", "source": "docs/b.ja.txt", "date": None}
    assert Filters(language="en").admits(passage) and not Filters(language="ja").admits(passage)
    assert Filters(source="a.en.txt").admits(passage)
    assert Filters(source="docs/a.en.txt").admits(passage)
    assert not Filters(source="b.ja.txt").admits(passage)
    assert Filters(date_from="2024-10", date_to="2024").admits(passage)
    assert not Filters(date_from="2024-11").admits(passage)
    assert not Filters(date_to="2024-09-30").admits(passage)
    assert not Filters(date_from="2020").admits(undated)
    assert not Filters() and Filters().admits(undated)


def test_the_last_place_goes_to_a_close_answer_in_another_language():
    scores = [0.90, 0.89, 0.88, 0.86, 0.85]
    ko, en = {"ko"}, {"en"}
    assert scoring.top_positions(scores, [ko, ko, ko, en, en], 3) == [0, 1, 3]
    assert scoring.top_positions(scores, [ko, ko, ko, en, en], 3, margin=0.03) == [0, 1, 2]
    # fewer than three places, or every language already shown: plain ranking
    assert scoring.top_positions(scores, [ko, ko, ko, en, en], 2) == [0, 1]
    assert scoring.top_positions(scores, [ko, en, ko, en, en], 3) == [0, 1, 2]
    # a paragraph with parallel versions is in each of their languages
    assert scoring.top_positions(scores, [ko, ko | en, ko, en, en], 3) == [0, 1, 2]
    assert scoring.top_positions(scores[:3], [ko, ko, ko], 3) == [0, 1, 2]


def test_dates_contradicted_when_no_best_passage_is_from_the_time_asked():
    assert scoring.dates_contradicted(np.array([-1.0, -1.0, -1.0]))
    assert not scoring.dates_contradicted(np.array([-1.0, 1.0, -1.0]))  # one supports it
    assert scoring.dates_contradicted(np.array([-1.0, 0.0, 0.0]))  # undated ones support nothing
    assert not scoring.dates_contradicted(np.array([0.0, 0.0, 0.0]))  # no date asked, or none known
    assert not scoring.dates_contradicted(np.array([]))


def test_a_time_no_document_is_from_is_unvouched_only_by_undated_passages_of_a_dated_corpus():
    undated = np.zeros(3)
    assert scoring.time_unvouched(undated, True, False, 0.9)
    assert not scoring.time_unvouched(undated, False, False, 0.9)  # no time asked
    assert not scoring.time_unvouched(undated, True, True, 0.9)  # some document is from then
    assert not scoring.time_unvouched(undated, True, False, 0.5)  # most documents are undated
    assert not scoring.time_unvouched(np.array([0.0, 1.0, 0.0]), True, False, 0.9)
    # passages dated otherwise are dates_contradicted's case, not this one
    assert not scoring.time_unvouched(np.array([-1.0, 0.0, 0.0]), True, False, 0.9)


def test_the_undated_notice_names_the_time_asked():
    assert (
        undated_notice("2022年11月のプノンペンでの首脳会合では何が合意されたか。")
        == "No document is from November 2022; the passages found are undated."
    )
    assert undated_notice("What did they agree in 2019?") == (
        "No document is from 2019; the passages found are undated."
    )
