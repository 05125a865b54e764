"""Pure logic of archive retrieval on synthetic data: no model, runs in milliseconds."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.config import Config
from assistant.ingest.dates import (
    date_in_name,
    dateline_date,
    document_date,
    document_months,
    find_dates,
    question_months,
    question_years,
)
from assistant.ingest.documents import parse_document
from assistant.retrieval import scoring
from assistant.retrieval.filters import Filters
from assistant.retrieval.key_terms import key_terms, missing_terms, not_found_notice
from assistant.retrieval.question import Question
from assistant.retrieval.terms.date import date_evidence
from assistant.text import detect_language


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
    dense = np.array([0.85, 0.80], dtype=np.float32)
    assert np.argmax(scoring.combine(dense, np.zeros(2), {}, {}, 0.03)) == 0
    assert np.argmax(scoring.combine(dense, offsets, {}, {}, 0.03)) == 1


def test_date_evidence_matches_months_and_years():
    months = [["2024-09"], ["2024-10"], ["2023-09"], []]
    # another month of the same year is a mismatch
    assert date_evidence(["2024-09"], [2024], months).tolist() == [1.0, -1.0, -1.0, 0.0]
    assert date_evidence([], [2023], months).tolist() == [-1.0, -1.0, 1.0, 0.0]
    assert date_evidence([], [], months).tolist() == [0.0, 0.0, 0.0, 0.0]


def test_a_term_counts_in_spreads_so_any_model_scale_gives_the_same_ranking():
    """The same evidence on a compressed scale (e5-like) and a wide one (10x): the date term
    breaks the tie in both, because its weight is counted in the model's spread."""
    date = date_evidence(["2024-10"], [2024], [["2024-05"], ["2024-10"]])
    weights = Config().weights
    for scale in (1.0, 10.0):
        dense = scale * np.array([0.020, 0.015], dtype=np.float32)
        spread = scale * 0.033
        scores = scoring.combine(dense, np.zeros(2), {"date": date}, weights, spread)
        assert np.argmax(scores) == 1
        assert scores[1] - scores[0] == pytest.approx(
            2 * spread * weights["date"] - scale * 0.005, rel=1e-4
        )
    assert np.argmax(scoring.combine(dense, np.zeros(2), {"date": None}, weights, spread)) == 0


def test_config_ablation_is_a_new_value_and_names_are_checked():
    shipped = Config()
    assert "date" not in shipped.without("date").weights and "date" in shipped.weights
    assert "amounts" not in shipped.without("amounts").checks
    assert shipped.without("calibration").language_calibration is False
    assert shipped.without("setting").focus_weight == 0.0
    for name in Config.ablatable():
        assert shipped.without(name) != shipped, name
    with pytest.raises(ValueError, match="known: "):
        shipped.without("tides")
    with pytest.raises(ValueError, match="unknown evidence term"):
        Config(weights={"tides": 1.0})
    with pytest.raises(ValueError, match="confidence_quantile"):
        shipped.replace(confidence_quantile=1.5)
    with pytest.raises(ValueError, match="unknown setting"):
        shipped.replace(colour="red")


def test_a_question_is_parsed_once_into_what_every_term_reads():
    q = Question.parse(
        "2024年5月の第13回次官級対話で、北朝鮮のICBMについて何が述べられたか。何人？"
    )
    assert q.language == "ja" and q.months == ("2024-05",) and q.years == (2024,)
    assert q.acronyms == ("ICBM",) and 13 in q.ordinals and q.amount == "people"
    plain = Question.parse("What did the ministers say about Ukraine?")
    assert plain.language == "en" and not plain.names_a_time and plain.focus is None
    assert plain.names == ("Ukraine",) and plain.amount is None and not plain.ordinals


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
