"""The web chat's server, end to end: the real ``assistant serve`` in a subprocess, asked through
gradio_client at ``/ask``; plus the upload name and size rules it enforces."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from serving import build_in_subprocess, copy_index, running_server

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "corpus" / "000_2daad77d3c406492.txt"
CYBER_THEFT_QUESTION = "北朝鮮のサイバー攻撃で盗まれた暗号資産について"


@pytest.fixture(scope="module")
def served_index(seed_index, tmp_path_factory) -> Path:
    """A private copy of the seed index, so a test may rebuild it under the running server."""
    return copy_index(seed_index, tmp_path_factory.mktemp("ui-served"))


@pytest.fixture(scope="module")
def server(served_index, tmp_path_factory):
    """``assistant serve`` on the seed index at a free port.

    Yields (url, seconds from start until the page answered, process, log file).
    """
    log = tmp_path_factory.mktemp("ui-server") / "server.log"
    with running_server(served_index, log) as (url, seconds, proc):
        yield url, seconds, proc, log


@pytest.fixture(scope="module")
def client(server):
    from gradio_client import Client

    return Client(server[0], verbose=False)


@pytest.mark.slow
def test_server_prints_its_url(server):
    """The line comes right after Gradio's launch returns, which can be a moment after the page
    first answers: wait for it a little."""
    url, _, _, log = server
    deadline = time.monotonic() + 10
    while f"Serving the chat at {url}" not in log.read_text() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert f"Serving the chat at {url}" in log.read_text()


@pytest.mark.slow
def test_ask_endpoint_returns_the_answer_json(server, client, seed_assistant):
    asked = time.monotonic()
    result = client.predict(CYBER_THEFT_QUESTION, 3, api_name="/ask")
    latency = time.monotonic() - asked
    print(f"\nserver up in {server[1]:.1f} s; /ask answered in {latency * 1000:.0f} ms")

    assert result["passages"][0]["paragraph"] == 7
    expected = seed_assistant.ask(CYBER_THEFT_QUESTION, k=3).to_dict()
    assert result.keys() == expected.keys()
    assert [p.keys() - {"link"} for p in result["passages"]] == [
        p.keys() for p in expected["passages"]
    ]
    assert result["passages"][0]["link"] == "?doc=000_2daad77d3c406492.txt&p=7"  # as in the CLI
    assert [p["citation"] for p in result["passages"]] == [
        p["citation"] for p in expected["passages"]
    ]
    assert result["confident"] == expected["confident"]
    assert len(result["passages"]) == 3


@pytest.mark.slow
def test_k_changes_the_number_of_passages(client):
    assert len(client.predict(CYBER_THEFT_QUESTION, 1, api_name="/ask")["passages"]) == 1
    assert len(client.predict(CYBER_THEFT_QUESTION, 5, api_name="/ask")["passages"]) == 5


@pytest.mark.slow
@pytest.mark.parametrize(
    ("question", "k", "message"),
    [
        ("", 3, "empty"),
        ("   \n ", 3, "empty"),
        (CYBER_THEFT_QUESTION, 0, "k must be"),
    ],
)
def test_bad_input_is_an_error_and_the_server_keeps_answering(server, client, question, k, message):
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match=message):
        client.predict(question, k, api_name="/ask")
    assert server[2].poll() is None
    assert client.predict(CYBER_THEFT_QUESTION, 3, api_name="/ask")["passages"][0]["paragraph"] == 7


@pytest.mark.slow
def test_only_ask_and_timeline_are_public_endpoints(client):
    endpoints = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    assert set(endpoints) == {"/ask", "/timeline"}


def test_timeline_endpoint_gives_the_command_json_with_links(client):
    data = client.predict(CYBER_THEFT_QUESTION, api_name="/timeline")
    assert set(data) == {"question", "notice", "entries"}
    entry = data["entries"][0]
    assert entry["paragraph"] == 7 and entry["addresses"] is True
    assert entry["source"] == "000_2daad77d3c406492.txt"  # as shown, not the server's path
    assert entry["link"] == "?doc=000_2daad77d3c406492.txt&p=7"


@pytest.mark.slow
def test_a_rebuild_by_another_process_answers_without_restart(
    server, client, served_index, tmp_path
):
    extra = tmp_path / "penguins.txt"
    extra.write_text(
        "南極観測の報告\n\nペンギン観測隊は、三月に昭和基地の近くで新しい観測小屋を開設した。"
        "観測小屋では皇帝ペンギンの繁殖を記録する。\n",
        encoding="utf-8",
    )
    build_in_subprocess(served_index, SEED, extra)
    result = client.predict("ペンギンの観測小屋はいつ開設されましたか", 3, api_name="/ask")
    assert result["passages"][0]["source"].endswith("penguins.txt")
    assert client.predict(CYBER_THEFT_QUESTION, 3, api_name="/ask")["passages"][0]["paragraph"] == 7


# -- how answers are rendered (no server needed) --------------------------------------------

MARKUP = '<script>alert(1)</script><img src=x onerror="alert(2)">'


def _passage(**changes):
    passage = {
        "text": f"前の文。{MARKUP}答えの文です。後の文。",
        "doc": f"題{MARKUP}",
        "source": f"docs/{MARKUP}.txt",
        "section": f"節{MARKUP}",
        "paragraph": 2,
        "citation": f"題{MARKUP} ¶2 (節{MARKUP})",
        "score": 0.91,
        "highlight": f"{MARKUP}答えの文です。",
    }
    return {**passage, **changes}


def _paragraphs():
    return [
        {"text": f"一つ目{MARKUP}", "paragraph": 1, "section": None},
        {**_passage(), "paragraph": 2},
        {"text": "三つ目", "paragraph": 3, "section": f"節{MARKUP}"},
    ]


def test_every_piece_of_corpus_text_is_escaped():
    from ui import render

    answer = {"question": MARKUP, "confident": True, "passages": [_passage()]}
    html = render.answer_html(answer, f"note {MARKUP}", lambda source: _paragraphs())
    html += render.source_html(
        f"題{MARKUP}", f"docs/{MARKUP}.txt", _paragraphs(), 2, _passage()["highlight"]
    )
    html += render.question_html(MARKUP) + render.error_html(MARKUP)
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=&quot;alert(2)&quot;&gt;" in html


def test_the_answering_sentence_is_marked_in_place():
    from ui.render import highlighted

    assert highlighted("前。答え。後。", "答え。") == "前。<mark>答え。</mark>後。"
    assert highlighted("a < b", "b") == "a &lt; <mark>b</mark>"
    assert highlighted("no match here", "missing") == "no match here"
    assert highlighted("text", "") == "text"


def test_an_unanswered_question_says_so_and_labels_the_closest_passages():
    from ui import render

    answer = {"question": "q", "confident": False, "passages": [_passage(score=0.5)]}
    html = render.answer_html(answer, None, lambda source: _paragraphs())
    assert "Nothing in the documents seems to answer" in html
    assert "Closest passages" in html
    assert "qa-weak" in html


def test_a_truncated_question_shows_the_notice():
    from ui import render

    answer = {"question": "q", "confident": True, "passages": [_passage()]}
    html = render.answer_html(
        answer, "only the first 2000 characters were read", lambda source: _paragraphs()
    )
    assert "only the first 2000 characters were read" in html
    assert "Best answer" in html


def test_a_card_names_the_language_of_its_paragraph_unless_tabs_do():
    from ui import render

    english = _passage(lang="en")
    html = render.answer_html(
        {"question": "q", "confident": True, "passages": [english]}, None, lambda s: []
    )
    assert '<span class="qa-lang">English</span>' in html
    versions = [
        {"lang": "en", "source": "a.en.txt", "paragraph": 1, "citation": "A ¶1", "text": "t"},
        {"lang": "ja", "source": "a.ja.txt", "paragraph": 1, "citation": "A ¶1", "text": "文"},
    ]
    tabbed = render.answer_html(
        {"question": "q", "confident": True, "passages": [_passage(lang="en", versions=versions)]},
        None,
        lambda s: [],
    )
    assert 'class="qa-lang"' not in tabbed and "日本語" in tabbed


def test_the_source_view_numbers_paragraphs_and_anchors_the_cited_one():
    from ui import render

    html = render.source_html("題", "docs/a.txt", _paragraphs(), 2, _passage()["highlight"])
    assert html.count('class="src-num"') == 3
    assert '<p class="src-para src-cited" id="src-p2" data-paragraph="2">' in html
    assert "<mark>" in html
    assert html.count('class="src-section"') == 1  # ¶2 and ¶3 share a section


def _parts_of(text: str, starts: list[int]) -> list[dict]:
    """A paragraph indexed in parts, as Assistant.document_passages gives it."""
    ends = [*starts[1:], len(text)]
    return [
        {
            "text": text[a:b],
            "paragraph": 2,
            "part": number,
            "parts": len(starts),
            "section": None,
            "citation": f"題 ¶2 (part {number} of {len(starts)})",
        }
        for number, (a, b) in enumerate(zip(starts, ends, strict=True), start=1)
    ]


def test_a_paragraph_in_parts_is_whole_in_the_source_view_marked_in_the_cited_part():
    """The same sentence in two parts: the mark is in the part the answer cites."""
    from ui import render

    text = "同じ文です。別の文です。同じ文です。最後の文です。"
    whole = {"text": text, "paragraph": 2, "section": None, "parts": 2, "part_starts": [0, 12]}
    html = render.source_html("題", "a.txt", [_paragraphs()[0], whole], 2, "同じ文です。", 2)
    assert html.count('data-paragraph="2"') == 1
    assert "同じ文です。別の文です。<mark>同じ文です。</mark>最後の文です。" in html
    assert ">¶2<" in html  # the whole paragraph has no part in its number


def test_a_card_of_a_part_cites_it_and_gives_the_parts_around_it_as_context():
    from ui import render

    text = "".join(f"第{i}文です。" for i in range(10))
    passages = [_paragraphs()[0], *_parts_of(text, [0, 12, 24, 36, 48])]
    cited = {**passages[3], "doc": "題", "source": "a.txt", "score": 0.9}
    cited["highlight"] = "第4文です。"
    html = render.passage_card(cited, 1, True, passages)
    assert "題 ¶2 (part 3 of 5)" in html and "<mark>第4文です。</mark>" in html
    context = html[html.index('class="qa-context"') :]
    assert context.count('class="src-para') == 5  # parts 1-5: two either side of part 3
    assert "¶2 (part 1 of 5)" in context and "一つ目" not in context
    assert context.count("src-cited") == 1 and "¶2 (part 3 of 5)</span><mark>" in context


# -- the rules the server applies to uploads (no server needed) -----------------------------


@pytest.mark.parametrize("name", ["notes.md", "報告書.txt", "Report 2025.MD"])
def test_plain_text_file_names_are_kept(name):
    from ui.uploads import safe_upload_name

    assert safe_upload_name(name) == name


@pytest.mark.parametrize(
    ("name", "kept"),
    [
        ("../../etc/notes.txt", "notes.txt"),
        ("C:\\Users\\x\\notes.md", "notes.md"),
        ("/abs/path/a.txt", "a.txt"),
    ],
)
def test_only_the_base_name_of_an_upload_is_kept(name, kept):
    from ui.uploads import safe_upload_name

    assert safe_upload_name(name) == kept


@pytest.mark.parametrize(
    "name",
    [
        ".hidden.txt",
        "..",
        "",
        "script.py",
        "sheet.xlsx",
        "archive.txt.gz",
        "a\x00b.txt",
        "a<b>.txt",
        "x" * 200 + ".txt",
    ],
)
def test_unsafe_or_unsupported_upload_names_are_refused(name):
    from ui.uploads import UploadError, safe_upload_name

    with pytest.raises(UploadError):
        safe_upload_name(name)


def test_uploads_are_checked_before_any_is_saved(tmp_path):
    from ui.uploads import MAX_UPLOAD_BYTES, UploadError, save_uploads

    incoming = tmp_path / "incoming"
    incoming.mkdir()
    good = incoming / "good.txt"
    good.write_text("本文です。", encoding="utf-8")
    big = incoming / "big.md"
    big.write_bytes(b"a" * (MAX_UPLOAD_BYTES + 1))
    uploads = tmp_path / "index" / "uploads"
    with pytest.raises(UploadError, match="limit"):
        save_uploads([str(good), str(big)], uploads)
    assert not uploads.exists() or not any(uploads.iterdir())

    assert save_uploads([str(good)], uploads) == ["good.txt"]
    assert [p.name for p in uploads.iterdir()] == ["good.txt"]


def test_binary_uploads_are_refused(tmp_path):
    from ui.uploads import UploadError, save_uploads

    binary = tmp_path / "image.txt"
    binary.write_bytes(b"\x89PNG\x00\x00\x00")
    with pytest.raises(UploadError, match="text"):
        save_uploads([str(binary)], tmp_path / "uploads")


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("localhost", True),
        ("::1", True),
        ("0.0.0.0", False),
        ("192.168.1.5", False),
        ("example.org", False),
    ],
)
def test_non_loopback_hosts_are_recognised(host, loopback):
    from ui.app import is_loopback

    assert is_loopback(host) is loopback
