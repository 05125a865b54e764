"""Topic timelines (issue 30): the word changes and the statement grouping on synthetic data,
then the real model on the real archive: date order, versions, what addresses a topic, the
command's JSON and the dev set's figures."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from commands import assert_one_line_error

from assistant.answer.timeline import build_timeline, lifts, statement_groups
from assistant.answer.wording import changes, spelled, tokens
from assistant.retrieval.retriever import Hit

ROOT = Path(__file__).resolve().parent.parent
ABDUCTIONS = "What have the statements said about the abductions issue?"


# -- word changes ----------------------------------------------------------------------------

TEXTS = [
    "The ministers condemned North Korea's missile launches and its cyber theft.",
    "The leaders strongly condemned North Korea's nuclear and missile activities.",
    "三者は、北朝鮮による核・ミサイル活動の進展に対する深刻な懸念を共有した。",
    "閣僚は、北朝鮮の核・ミサイル開発を強く非難し、拉致問題の即時解決を求めた。",
    "세 장관은 북한의 핵·미사일 활동에 대해 깊은 우려를 공유하였습니다.",
    "3국 정상은 북한의 납치 문제의 즉각적인 해결을 위한 협력을 재확인하였습니다.",
    "",
]


@pytest.mark.parametrize("before", TEXTS)
@pytest.mark.parametrize("after", TEXTS)
def test_changes_spell_both_texts(before, after):
    pieces = changes(before, after)
    assert spelled(pieces, "before") == before
    assert spelled(pieces, "after") == after
    assert all(p["text"] and p["op"] in ("equal", "insert", "delete") for p in pieces)


def test_changes_spell_both_texts_of_random_edits():
    rng = random.Random(30)
    words = [
        "the",
        "of",
        "北朝鮮",
        "拉致",
        "問題",
        "は",
        "を",
        "납치",
        "문제",
        "missile",
        ",",
        "。",
        "(1)",
        " ",
        "  ",
    ]
    for _ in range(300):
        before = "".join(rng.choice(words) for _ in range(rng.randint(0, 25)))
        after = list(before)
        for _ in range(rng.randint(0, 5)):
            after.insert(rng.randint(0, len(after)), rng.choice(words))
        after = "".join(after)
        pieces = changes(before, after)
        assert (spelled(pieces, "before"), spelled(pieces, "after")) == (before, after)


def test_tokens_keep_every_character_and_cut_japanese_by_script():
    text = "北朝鮮の核開発を非難した。 The 2025 statement; 납치 문제"
    assert "".join(tokens(text)) == text
    assert tokens("拉致問題について")[:4] == ["拉", "致", "問", "題"]
    assert "について" in tokens("拉致問題について")


def test_a_rewritten_sentence_reads_as_one_replacement_not_word_confetti():
    pieces = changes("They condemned the launch and the theft.", "They praised a new plan.")
    assert [p["op"] for p in pieces] == ["equal", "delete", "insert", "equal"]


# -- grouping and ordering on synthetic passages ----------------------------------------------


class _Stored:
    def __init__(self, passages, documents, alignments=()):
        self.passages, self.documents = passages, documents
        self.manifest = {"alignments": [{"sources": list(a), "links": []} for a in alignments]}


def _passage(source, number, text, lang="en"):
    return {
        "source": source,
        "paragraph": number,
        "text": text,
        "lang": lang,
        "citation": f"{source} ¶{number}",
        "title": source,
    }


def test_lifts_measure_how_far_a_paragraph_stands_above_its_document():
    hits = [Hit(_passage("a", 1, "x"), 0.9, "x"), Hit(_passage("a", 2, "y"), 0.5, "y")]
    hits += [Hit(_passage("a", 3, "z"), 0.5, "z"), Hit(_passage("b", 1, "w"), 0.6, "w")]
    lift = lifts(hits, spread=0.1)
    assert lift["a"] == pytest.approx(4.0)  # 0.9 against its others' median 0.5
    assert lift["b"] == pytest.approx(0.5)  # one paragraph: against every candidate's median 0.55


def test_versions_are_one_entry_in_the_askers_language_dated_entries_first():
    passages = [
        _passage("s1.en.txt", 1, "The ministers condemned the launches."),
        _passage("s1.ko.txt", 1, "장관들은 발사를 규탄했다.", "ko"),
        _passage("s2.en.txt", 1, "The ministers strongly condemned the launches."),
        _passage("s3.en.txt", 1, "They spoke about trade."),
        _passage("s4.en.txt", 1, "The ministers condemned the launches again."),
    ]
    documents = [
        {"source": "s1.en.txt", "date": "2023-01-05", "title": "First"},
        {"source": "s1.ko.txt", "date": "2023-01-05", "title": "첫째"},
        {"source": "s2.en.txt", "date": "2024-03-01", "title": "Second"},
        {"source": "s3.en.txt", "date": "2022-01-01", "title": "Third"},
        {"source": "s4.en.txt", "date": None, "title": "Undated"},
    ]
    stored = _Stored(passages, documents, [("s1.en.txt", "s1.ko.txt")])
    assert statement_groups(stored)["s1.en.txt"] == statement_groups(stored)["s1.ko.txt"]
    scores = [0.8, 0.9, 0.85, 0.3, 0.8]
    hits = [Hit(p, score, p["text"]) for p, score in zip(passages, scores, strict=True)]
    # each document's other paragraphs, off the topic
    hits += [Hit(_passage(p["source"], 2, "Other."), 0.25, "Other.") for p in passages]
    timeline = build_timeline("launches", hits, stored, 0.1, "ko", min_lift=1.0)
    assert [e.date for e in timeline.entries] == ["2022-01-01", "2023-01-05", "2024-03-01", None]
    first = timeline.entries[1]
    assert (first.lang, first.source, first.versions[0]["source"]) == (
        "ko",
        "s1.ko.txt",
        "s1.en.txt",
    )
    assert [e.addresses for e in timeline.entries] == [False, True, True, True]
    second = timeline.entries[2]
    assert second.diff is None  # the previous addressing entry is in Korean, this one in English
    undated = timeline.entries[3]
    assert spelled(undated.diff, "before") == second.text and undated.diff[1]["op"] == "delete"
    assert timeline.notice == "1 statement without a date listed last."


def test_a_topic_nothing_addresses_has_no_addressing_entry_and_says_so():
    passages = [_passage("a.txt", 1, "Trade."), _passage("b.txt", 1, "Weather.")]
    stored = _Stored(passages, [{"source": "a.txt", "date": "2024"}, {"source": "b.txt"}])
    hits = [Hit(p, 0.5, p["text"]) for p in passages]
    timeline = build_timeline("Iran", hits, stored, 0.1, "en", min_lift=float("inf"))
    assert timeline.addressing == [] and "No statement here addresses" in timeline.notice


# -- the real model on the real archive ------------------------------------------------------


@pytest.fixture(scope="module")
def archive(archive_index):
    from assistant import Assistant

    return Assistant.load(archive_index)


def test_a_timeline_lists_each_statement_once_in_date_order(archive):
    timeline = archive.timeline(ABDUCTIONS)
    dates = [e.date for e in timeline.entries]
    dated = [d for d in dates if d]
    assert dated == sorted(dated) and dates[len(dated) :] == [None] * (len(dates) - len(dated))
    files = [e.source for e in timeline.entries] + [
        v["source"] for e in timeline.entries for v in e.versions
    ]
    assert len(files) == len({Path(f).name for f in files})  # every document once
    bali = next(e for e in timeline.entries if "12_fm-bali" in e.source)
    assert bali.lang == "en" and [v["lang"] for v in bali.versions] == ["ko"]
    seed = next(e for e in timeline.entries if e.date == "2025-04-03")
    assert seed.addresses and seed.paragraph == 8 and "拉致問題" in seed.highlight
    previous = None
    for entry in timeline.addressing:
        if entry.diff is not None:
            assert spelled(entry.diff, "after") == entry.text
            assert spelled(entry.diff, "before") in {e.text for e in timeline.addressing}
        previous = entry
    assert previous is not None


def test_the_same_statement_is_shown_in_the_askers_language(archive):
    korean = archive.timeline("납치 문제에 대해 각 성명은 뭐라고 했나?")
    bali = next(e for e in korean.entries if "12_fm-bali" in e.source)
    assert bali.lang == "ko"


def test_timeline_filters_are_checked_like_ask(archive):
    from assistant import InputError

    with pytest.raises(InputError, match="language"):
        archive.timeline(ABDUCTIONS, language="xx")
    within = archive.timeline(ABDUCTIONS, date_from="2024-01-01", date_to="2024-12-31")
    assert within.entries and all(e.date and e.date.startswith("2024") for e in within.entries)


def test_the_timeline_dev_set_is_graded_per_language(archive):
    from assistant.evaluate import evaluate_timeline, read_questions

    summary = evaluate_timeline(archive, read_questions(ROOT / "eval" / "timeline_dev.jsonl"))
    assert set(summary) >= {"overall", "ja", "en", "ko"}
    overall = summary["overall"]
    assert overall["in_order"] and overall["diffs_spell"]
    # measured when the rule was tuned: recall 0.52, precision 0.54, absent clean 0.92
    assert overall["recall"] >= 0.45 and overall["precision"] >= 0.45
    assert overall["absent_clean"] >= 0.8


def test_the_timeline_command_prints_json_and_marks_changes(archive_index):
    import subprocess
    import sys

    command = [sys.executable, "-m", "assistant", "timeline", "--index", str(archive_index)]
    result = subprocess.run([*command, "拉致問題", "--json"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) == {"question", "notice", "entries"}
    entry = data["entries"][0]
    for key in ("date", "addresses", "citation", "source", "paragraph", "lang", "title"):
        assert key in entry
    for key in ("text", "highlight", "versions", "diff"):
        assert key in entry
    plain = subprocess.run([*command, "拉致問題"], capture_output=True, text=True)
    assert plain.returncode == 0 and "statements address it" in plain.stdout
    assert "{+" in plain.stdout or "[-" in plain.stdout
    bad = subprocess.run([*command, "拉致問題", "--lang", "xx"], capture_output=True, text=True)
    assert_one_line_error(bad, "language")
