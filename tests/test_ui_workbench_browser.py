"""The chat as a workbench, in a real headless Chromium against a real ``assistant serve`` over
the seed and the shared archive: the Timeline tab (issue 30) and links to a paragraph (31)."""

from __future__ import annotations

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
