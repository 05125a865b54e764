"""The chat as a workbench, in a real headless Chromium against a real ``assistant serve`` over
the seed and the shared archive: the Timeline tab (issue 30) and links to a paragraph (31)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import pytest
from serving import open_page, running_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ABDUCTIONS = "What have the statements said about the abductions issue?"


@pytest.fixture(scope="module")
def archive_server(archive_index, tmp_path_factory):
    log = tmp_path_factory.mktemp("archive-server") / "server.log"
    with running_server(archive_index, log) as (url, _, _):
        yield url


def _timeline(page, topic: str) -> None:
    page.get_by_role("tab", name="Timeline").click()
    box = page.locator("#timeline-topic textarea")
    box.fill(topic)
    box.press("Enter")
    page.locator("#timeline-view .tl-summary").wait_for()


def test_the_timeline_tab_shows_the_axis_entries_and_changes(archive_server, page, archive_index):
    from assistant import Assistant

    expected = Assistant.load(archive_index).timeline(ABDUCTIONS)
    open_page(page, archive_server)
    _timeline(page, ABDUCTIONS)
    view = page.locator("#timeline-view")
    addressing = len(expected.addressing)
    assert f"{addressing} of {len(expected.entries)} statements address" in view.inner_text()
    dated = [e for e in expected.entries if e.date]
    assert view.locator("svg.tl-axis circle.tl-yes").count() == sum(e.addresses for e in dated)
    assert view.locator("svg.tl-axis circle").count() == len(dated)
    entries = view.locator(".tl-entry:not(.tl-off)")
    assert entries.count() == addressing
    first_changed = next(e for e in expected.addressing if e.diff)
    card = view.locator(".tl-entry", has_text=first_changed.citation).first
    inserted = [c["text"] for c in first_changed.diff if c["op"] == "insert"]
    assert card.locator("ins").first.inner_text() == inserted[0]
    # without colour: struck through and bracketed
    style = card.locator("del").first.evaluate("e => getComputedStyle(e).textDecorationLine")
    assert "line-through" in style
    # the Source panel offers the addressing entries and opens the one chosen
    choices = page.locator("#cited label")
    assert choices.count() == addressing
    choices.nth(addressing - 1).click()
    last = expected.addressing[-1]
    cited = page.locator("#source-view .src-cited")
    page.wait_for_function(
        "n => document.querySelector('#source-view .src-cited')?.dataset.paragraph == n",
        arg=str(last.paragraph),
    )
    assert cited.locator("mark").inner_text() in last.text


def test_a_link_opens_its_paragraph_in_the_source_panel(archive_server, page):
    open_page(page, f"{archive_server}?doc={quote('12_fm-bali-2022-07.ko.txt')}&p=2")
    cited = page.locator("#source-view .src-cited")
    cited.wait_for()
    assert cited.get_attribute("data-paragraph") == "2"
    assert "12_fm-bali-2022-07.ko.txt" in page.locator("#source-view .src-path").inner_text()
    open_page(page, f"{archive_server}?doc=nope.txt&p=2")
    page.locator("#source-view .qa-error").wait_for()
    assert "no document" in page.locator("#source-view").inner_text()


def test_timeline_entry_links_open_their_paragraph(archive_server, page):
    open_page(page, archive_server)
    _timeline(page, "拉致問題")
    link = page.locator("#timeline-view .tl-entry a.tl-link").first
    href = link.get_attribute("href")
    assert href.startswith("?doc=") and "&p=" in href
    open_page(page, archive_server + href)
    cited = page.locator("#source-view .src-cited")
    cited.wait_for()
    assert cited.get_attribute("data-paragraph") == href.rsplit("=", 1)[1]


KOREAN_CONVERSATION = [
    "2022년 7월 발리에서 열린 한미일 외교장관 회의에서 북한 미사일에 대해 무슨 말을 했나요?",
    "그 회의에서 애도의 뜻도 표했나요?",
    "누가 참석했나요?",
]


def _ask(page, question: str) -> None:
    replies = page.locator("#chat [data-testid='bot']")
    before = replies.count()
    box = page.locator("#question textarea")
    box.fill(question)
    box.press("Enter")
    replies.nth(before).wait_for()


def test_a_korean_conversation_shows_its_context_drops_it_and_exports(
    archive_server, page, archive_index
):
    from assistant import Assistant

    qa = Assistant.load(archive_index)
    open_page(page, archive_server)
    for question in KOREAN_CONVERSATION:
        _ask(page, question)
    replies = page.locator("#chat [data-testid='bot']")
    assert replies.nth(0).locator(".qa-read-as").count() == 0
    for turn in (1, 2):
        read_as = replies.nth(turn).locator(".qa-read-as").inner_text()
        assert read_as.startswith("Read as a follow-up on: 블링컨")
    expected = qa.ask(KOREAN_CONVERSATION[2], history=KOREAN_CONVERSATION[:2])
    first_card = replies.nth(2).locator(".qa-card").first
    top = expected.passages[0]
    assert first_card.locator(".qa-cite").inner_text() == f"{top.doc} ¶{top.paragraph}"

    # one click drops the context: the last question again, on its own
    page.locator("#drop-context").click()
    replies.nth(3).wait_for()
    assert replies.nth(3).locator(".qa-read-as").count() == 0
    alone = qa.ask(KOREAN_CONVERSATION[2]).passages[0]
    assert (
        replies.nth(3).locator(".qa-cite").first.inner_text() == f"{alone.doc} ¶{alone.paragraph}"
    )
    assert not page.locator("#drop-context").is_visible()

    # the conversation as Markdown quotes every cited passage exactly
    page.get_by_text("Take the answers away (Markdown)").click()
    markdown = page.locator("#export-text .cm-content").inner_text()
    for passage in expected.passages:
        quoted = "\n".join(f"> {line}" for line in passage.text.split("\n"))
        assert quoted in markdown
    with page.expect_download() as downloading:
        page.locator("#export-download").click()
    downloaded = Path(downloading.value.path()).read_text(encoding="utf-8")
    assert downloaded.startswith("# Questions and cited answers")
    assert downloaded.count("\n## ") == 4
    for passage in expected.passages:
        assert "\n".join(f"> {line}" for line in passage.text.split("\n")) in downloaded
