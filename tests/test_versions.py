"""Parallel versions: alignment on synthetic similarity matrices (pure logic), sidecar
declarations, and with the real model on the shared archive's translation pairs: alignment
accuracy against the gold links in eval/alignments.json, groups found, answers with versions."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from assistant.indexing import versions
from assistant.indexing.versions import Link, align, dates_compatible, declared_links

ROOT = Path(__file__).resolve().parent.parent
GOLD = json.loads((ROOT / "eval" / "alignments.json").read_text(encoding="utf-8"))
ARCHIVE_DOCS = (ROOT / GOLD["corpus"]).resolve()  # relative to the checkout


def pairs_of(links: list[Link]) -> list[tuple[tuple[int, ...], tuple[int, ...]]]:
    return [(link.left, link.right) for link in links]


# -- pure alignment ----------------------------------------------------------------------------


def test_a_diagonal_aligns_one_to_one_and_keeps_scores():
    similarity = np.full((3, 3), 0.1) + np.diag([0.6, 0.5, 0.7])
    links = align(similarity, skip=0.25)
    assert pairs_of(links) == [((0,), (0,)), ((1,), (1,)), ((2,), (2,))]
    assert [link.score for link in links] == [0.7, 0.6, 0.8]


def test_a_paragraph_without_counterpart_stays_unaligned():
    # right has an extra paragraph in the middle that matches nothing
    similarity = np.array([[0.7, 0.1, 0.1], [0.1, 0.15, 0.6]])
    assert pairs_of(align(similarity, skip=0.25)) == [((0,), (0,)), ((1,), (2,))]


def test_nothing_is_forced_when_nothing_matches():
    assert align(np.full((2, 3), 0.1), skip=0.25) == []


def test_alignment_is_monotonic():
    # the best cells cross; a monotonic alignment takes only the better one
    similarity = np.array([[0.1, 0.8], [0.7, 0.1]])
    assert pairs_of(align(similarity, skip=0.25)) == [((0,), (1,))]


def test_one_to_two_merge_when_the_merged_pair_matches_best():
    similarity = np.array([[0.45, 0.4], [0.1, 0.1]])
    merged_right = np.array([[0.9], [0.1]])  # left 0 = right 0 and 1 together
    links = align(similarity, skip=0.25, merged_right=merged_right, merge_penalty=0.3)
    assert pairs_of(links) == [((0,), (0, 1))]
    assert links[0].score == 0.9
    # without merges allowed, only the one-to-one link is made
    assert pairs_of(align(similarity, skip=0.25)) == [((0,), (0,))]


def test_two_to_one_merge_and_the_penalty_that_guards_it():
    similarity = np.array([[0.5], [0.45]])
    merged_left = np.array([[0.5]])
    merged = align(similarity, skip=0.25, merged_left=merged_left, merge_penalty=0.0)
    assert pairs_of(merged) == [((0, 1), (0,))]
    guarded = align(similarity, skip=0.25, merged_left=merged_left, merge_penalty=0.3)
    assert pairs_of(guarded) == [((0,), (0,))]


def test_dates_allow_a_day_or_two_between_capitals():
    assert dates_compatible("2024-05-31", "2024-06-01")
    assert not dates_compatible("2024-05-31", "2024-10-16")
    assert dates_compatible(None, "2024-10-16")
    assert dates_compatible("2024-05", "2024-05-31") and not dates_compatible("2024-05", "2024-06")


def test_sidecars_declare_groups_and_translations(tmp_path):
    files = {name: tmp_path / name for name in ("a.ja.txt", "a.en.txt", "b.ko.txt", "c.txt")}
    for path in files.values():
        path.write_text("text\n", encoding="utf-8")
    (tmp_path / "a.ja.meta.json").write_text('{"group": "lima"}', encoding="utf-8")
    (tmp_path / "a.en.meta.json").write_text('{"group": "lima"}', encoding="utf-8")
    (tmp_path / "b.ko.txt.meta.json").write_text('{"translation-of": "a.en.txt"}', encoding="utf-8")
    (tmp_path / "c.meta.json").write_text("not json", encoding="utf-8")
    sources = [str(p) for p in files.values()]
    pairs = declared_links(sources)
    groups = versions.connected_groups(sources, pairs)
    assert groups == [sorted(str(files[n]) for n in ("a.ja.txt", "a.en.txt", "b.ko.txt"))]


def test_alignment_accuracy_counts_found_and_false_links_in_either_order():
    alignments = [
        {"sources": ["/x/b.ko.txt", "/x/a.en.txt"], "links": [[[1], [1], 0.4], [[2], [3], 0.3]]}
    ]
    gold = [{"left": "a.en.txt", "right": "b.ko.txt", "links": [[[1], [1]], [[2], [2]]]}]
    report = versions.alignment_accuracy(alignments, gold)
    assert report == {"a.en.txt|b.ko.txt": {"gold": 2, "found": 1, "false": 1}}
    assert versions.alignment_accuracy([], gold)["a.en.txt|b.ko.txt"]["found"] == 0


def _indexed(source: str, lang: str, paragraph: int, text: str, part: int = 1, parts: int = 1):
    """A passage as an index stores it, with one sentence: its whole text."""
    from assistant.indexing.indexer import citation_for

    title = source[0].upper()
    return {
        "doc": title,
        "source": source,
        "section": None,
        "paragraph": paragraph,
        "part": part,
        "parts": parts,
        "citation": citation_for(title, paragraph, None, None, part, parts),
        "text": text,
        "sentences": [[0, len(text)]],
        "lang": lang,
        "date": None,
    }


def test_the_parts_of_a_long_paragraph_align_and_answer_as_that_one_paragraph():
    """Japanese ¶2 is indexed in three parts, its English version whole: alignment sees one ¶2
    on each side, two parts found count as one answer, and each version quotes one part."""
    from types import SimpleNamespace

    from assistant.retrieval.retriever import Hit

    passages = [
        _indexed("a.ja.txt", "ja", 1, "一"),
        *(_indexed("a.ja.txt", "ja", 2, f"二の{n}", n, 3) for n in (1, 2, 3)),
        _indexed("a.ja.txt", "ja", 3, "三"),
        _indexed("b.en.txt", "en", 1, "one"),
        _indexed("b.en.txt", "en", 2, "two"),
        _indexed("b.en.txt", "en", 3, "three"),
    ]
    e = np.eye(8, dtype=np.float32)
    vectors = np.stack(
        [e[0], e[1] + 0.3 * e[5], e[1] + 0.3 * e[6], e[1] + 0.1 * e[7], e[2], e[0], e[1], e[2]]
    )
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    documents = versions.version_documents(passages, vectors, {})
    assert [d.paragraphs for d in documents] == [[1, 2, 3], [1, 2, 3]]
    found = versions.find_versions(documents)
    (alignment,) = found["alignments"]
    assert [(a, b) for a, b, _ in alignment["links"]] == [([1], [1]), ([2], [2]), ([3], [3])]

    stored = SimpleNamespace(
        passages=passages, manifest={"alignments": found["alignments"]}, sentence_vectors=vectors
    )
    starts = np.arange(len(passages) + 1)
    hits = [
        Hit(passages[2], 0.9, "二の2"),
        Hit(passages[3], 0.8, "二の3"),
        Hit(passages[0], 0.7, "一"),
    ]
    answers = versions.with_versions(hits, 3, stored, starts, "ja")
    assert [hit.passage["citation"] for hit, _ in answers] == ["A ¶2 (part 2 of 3)", "A ¶1"]
    quoted = [(v["citation"], v["text"], v["part"], v["parts"]) for v in answers[0][1]]
    assert quoted == [("A ¶2 (part 2 of 3)", "二の2", 2, 3), ("B ¶2", "two", 1, 1)]
    # asked from the English side, the Japanese version quotes the part closest to its answer
    (answer,) = versions.with_versions([Hit(passages[6], 0.9, "two")], 1, stored, starts, "en")
    assert [(v["citation"], v["text"]) for v in answer[1]] == [
        ("B ¶2", "two"),
        ("A ¶2 (part 3 of 3)", "二の3"),
    ]


# -- the real model on the archive ---------------------------------------------------------------

needs_archive = pytest.mark.skipif(
    not ARCHIVE_DOCS.is_dir(), reason="the shared archive is not beside the checkout"
)


@pytest.fixture(scope="module")
def archive_qa(tmp_path_factory):
    from assistant import Assistant, build_index

    index_dir = tmp_path_factory.mktemp("versions-index")
    build_index([ARCHIVE_DOCS], index_dir=index_dir)
    return Assistant.load(index_dir)


def _name(source: str) -> str:
    return Path(source).name


@pytest.mark.slow
@needs_archive
def test_alignment_accuracy_on_the_gold_pairs(archive_qa):
    report = versions.alignment_accuracy(archive_qa.manifest["alignments"], GOLD["pairs"])
    found = sum(r["found"] for r in report.values())
    total = sum(r["gold"] for r in report.values())
    assert found / total >= 0.95, report
    assert all(r["false"] == 0 for r in report.values()), report


@pytest.mark.slow
@needs_archive
def test_groups_are_the_translation_pairs_and_not_readouts_of_one_meeting(archive_qa):
    groups = {frozenset(_name(s) for s in g) for g in archive_qa.manifest["groups"]}
    gold = {frozenset((p["left"], p["right"])) for p in GOLD["pairs"]}
    assert gold <= groups
    for first, second in GOLD["not_versions"]:
        assert not any({first, second} <= g for g in groups)
    manifest = archive_qa.manifest
    # build cost of grouping and alignment: well under 10 % of the build (embedding)
    assert manifest["versions_seconds"] <= 0.1 * manifest["build_seconds"]


@pytest.mark.slow
@needs_archive
def test_a_korean_question_gets_the_korean_paragraph_with_the_english_attached(archive_qa):
    answer = archive_qa.ask("블링컨 장관은 아베 전 총리 서거에 대해 무엇을 표명했나?", k=3)
    first = answer.passages[0]
    assert _name(first.source) == "12_fm-bali-2022-07.ko.txt" and first.paragraph == 3
    assert [(v["lang"], v["paragraph"]) for v in first.versions] == [("ko", 3), ("en", 3)]
    assert "Abe" in first.versions[1]["highlight"]
    # top-k counts an aligned paragraph once: no answer is a version of another
    shown = [(_name(v["source"]), v["paragraph"]) for p in answer.passages for v in p.versions]
    assert len(shown) == len(set(shown)) and len(answer.passages) == 3
    assert answer.to_dict()["passages"][0]["versions"][1]["lang"] == "en"


@pytest.mark.slow
@needs_archive
def test_the_source_view_shows_two_versions_side_by_side(archive_qa):
    """The chat's source view of an answer with versions: the shown (Korean) document and the
    English one in two columns, each at its own aligned paragraph with its sentence marked."""
    from ui.handlers import ChatHandlers, _source_view

    handlers = ChatHandlers(archive_qa, uploads=None, full_paths=False)
    _, data = handlers._answer("블링컨 장관은 아베 전 총리 서거에 대해 무엇을 표명했나?", 3)
    html = _source_view(archive_qa, data, 0)
    assert html.startswith('<div class="src-pair">') and html.count('class="src-doc"') == 2
    korean, english = html.split('class="src-doc"')[1:]
    assert "12_fm-bali-2022-07.ko.txt" in korean and "12_fm-bali-2022-07.en.txt" in english
    assert "<mark>" in korean and "<mark>" in english
    assert "Abe" in english.split("<mark>")[1].split("</mark>")[0]
    # an answer without versions keeps the single view
    single = dict(data, passages=[dict(data["passages"][0], versions=[])])
    assert 'class="src-pair"' not in _source_view(archive_qa, single, 0)


@pytest.mark.slow
@needs_archive
def test_a_document_filter_keeps_the_version_it_admitted(archive_qa):
    question = "블링컨 장관은 아베 전 총리 서거에 대해 무엇을 표명했나?"
    found = archive_qa.ask(question, k=3, source="12_fm-bali-2022-07.en.txt").passages
    assert {_name(p.source) for p in found} == {"12_fm-bali-2022-07.en.txt"}
    assert 3 in [p.paragraph for p in found]  # the condolences, read across languages
    assert all([v["lang"] for v in p.versions] == ["en", "ko"] for p in found)


@pytest.mark.slow
@needs_archive
def test_an_english_question_gets_the_english_version_first(archive_qa):
    answer = archive_qa.ask("Whom did the Secretary offer condolences on Abe's passing?", k=3)
    first = answer.passages[0]
    assert (_name(first.source), first.paragraph) == ("12_fm-bali-2022-07.en.txt", 3)
    assert [v["lang"] for v in first.versions] == ["en", "ko"]
    assert "아베" in first.versions[1]["highlight"]


@pytest.mark.slow
@needs_archive
def test_a_sidecar_declares_versions_and_a_rebuild_picks_it_up(tmp_path):
    """03/04 (a statement and a readout of one meeting) are not found as versions; declared,
    they are grouped, by an incremental rebuild that embeds nothing again."""
    from assistant import build_index
    from assistant.indexing.store import read_manifest

    folder = tmp_path / "docs"
    folder.mkdir()
    for name in ("03_vm-seoul-2024-10-statement.en.txt", "04_vm-seoul-2024-10-overview.ja.txt"):
        (folder / name).write_text((ARCHIVE_DOCS / name).read_text(encoding="utf-8"), "utf-8")
    index_dir = tmp_path / "index"
    build_index([folder], index_dir=index_dir)
    assert read_manifest(index_dir)["groups"] == []
    (folder / "04_vm-seoul-2024-10-overview.ja.meta.json").write_text(
        '{"translation-of": "03_vm-seoul-2024-10-statement.en.txt"}', encoding="utf-8"
    )
    report = build_index([folder], index_dir=index_dir)
    assert report.kept == report.passages
    groups = read_manifest(index_dir)["groups"]
    assert [sorted(_name(s) for s in g) for g in groups] == [
        ["03_vm-seoul-2024-10-statement.en.txt", "04_vm-seoul-2024-10-overview.ja.txt"]
    ]


# -- the web chat in a real browser ---------------------------------------------------------------

BALI_JA = """\
ブリンケン国務長官と林外務大臣及び朴振韓国外交部長官との日米韓外相会合

アントニー・ブリンケン国務長官は本日、インドネシアのバリにおいて、林芳正日本国外務大臣及び朴振\
大韓民国外交部長官と会談した。6月29日のバイデン大統領と尹錫悦大韓民国大統領及び岸田文雄日本国\
総理大臣との日米韓首脳会合を踏まえ、ブリンケン長官と両外相は、共有する価値並びに地域の平和、安定\
及び繁栄への願いを支えるため、インド太平洋及び世界における日米韓協力を強化する取組について議論\
した。三者は中華人民共和国がもたらす課題について意見を交換した。また、ロシアによるウクライナに\
対する残虐な侵略戦争と、ウクライナの人々を支援する世界的な取組についても議論した。

長官と両外相は、北朝鮮による違法な弾道ミサイル発射を非難し、日米韓の安全保障協力を拡大する方策\
について議論した。長官は、朝鮮半島の完全な非核化及び拉致問題の即時解決に対する米国のコミット\
メントを改めて表明した。

長官と朴長官は、安倍晋三元総理大臣の逝去に関し、林外務大臣に改めて哀悼の意を表した。
"""
"""A Japanese version of the Bali readout (archive 12), translated from the English for this
test: the archive has no statement in all three languages. Grouped and aligned automatically
with the real en and ko texts (no sidecar)."""


@pytest.fixture(scope="module")
def trilingual_index(tmp_path_factory) -> Path:
    from assistant import build_index

    folder = tmp_path_factory.mktemp("bali")
    for lang in ("en", "ko"):
        source = ARCHIVE_DOCS / f"12_fm-bali-2022-07.{lang}.txt"
        (folder / f"bali.{lang}.txt").write_text(source.read_text(encoding="utf-8"), "utf-8")
    (folder / "bali.ja.txt").write_text(BALI_JA, encoding="utf-8")
    index_dir = tmp_path_factory.mktemp("bali-index")
    build_index([folder], index_dir=index_dir)
    return index_dir


@pytest.mark.slow
@pytest.mark.browser
@needs_archive
def test_the_chat_shows_versions_as_tabs_in_the_askers_language_first(
    trilingual_index, tmp_path, page
):
    from serving import open_page, running_server
    from test_ui_browser import _ask

    with running_server(trilingual_index, tmp_path / "server.log") as (url, _, _):
        open_page(page, url)
        _ask(page, "블링컨 장관은 아베 전 총리 서거에 대해 무엇을 표명했나?")
        cards = page.locator("#chat [data-testid='bot']").last.locator(".qa-card")
        first = cards.first
        assert first.locator(".qa-vtab").all_inner_texts() == ["한국어", "日本語", "English"]
        shown = first.locator(".qa-vpanel.qa-lang-ko")
        assert shown.is_visible() and not first.locator(".qa-vpanel.qa-lang-ja").is_visible()
        assert "아베" in shown.locator("mark").inner_text()
        assert "bali.ko.txt" in shown.locator(".qa-file").inner_text()
        assert cards.count() == 3  # three different paragraphs, not one in three languages

        first.locator(".qa-vtab.qa-lang-ja").click()
        japanese = first.locator(".qa-vpanel.qa-lang-ja")
        assert japanese.is_visible() and not shown.is_visible()
        assert "安倍" in japanese.locator("mark").inner_text()
        first.locator(".qa-vtab.qa-lang-en").click()
        assert "Abe" in first.locator(".qa-vpanel.qa-lang-en mark").inner_text()
        page.screenshot(path="/tmp/versions-tabs.png", full_page=False)

        _ask(page, "What did the Secretary and the ministers condemn?")
        english = page.locator("#chat [data-testid='bot']").last.locator(".qa-card").first
        assert english.locator(".qa-vtab").first.inner_text() == "English"
        assert "ballistic missile" in english.locator(".qa-vpanel.qa-lang-en").inner_text()
