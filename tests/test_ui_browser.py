"""The web chat in a real headless Chromium against the real ``assistant serve``.

Checks what a visitor sees: a cited answer with the sentence highlighted, the source document
with the cited paragraph, friendly errors, and that markup inside the corpus stays text.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from serving import open_page, running_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
START_TIMEOUT = 120
SCREENSHOT = Path("/tmp/ui-shot.png")
CYBER_THEFT_QUESTION = "北朝鮮のサイバー攻撃で盗まれた暗号資産について"

MARKUP_DOCUMENT = """\
<b>会議</b>の記録

保管の方針

この段落は、暗号資産の保管方法について説明している。本文には <script>window.__pwned=1</script> と \
<img src=x onerror="window.__pwned=2"> という文字列がそのまま含まれている。暗号資産の保管には専用の\
金庫を用いることが決まった。

会議の日程

二つ目の段落では、会議の日程と場所について述べる。会議は十月に東京で開かれた。
"""


@pytest.fixture(scope="module")
def seed_server(seed_index, tmp_path_factory):
    log = tmp_path_factory.mktemp("seed-server") / "server.log"
    with running_server(seed_index, log) as (url, _, _):
        yield url


@pytest.fixture(scope="module")
def markup_index(tmp_path_factory) -> Path:
    """An index of one document whose text holds HTML that must never run."""
    from assistant import build_index

    folder = tmp_path_factory.mktemp("markup-corpus")
    (folder / "markup.txt").write_text(MARKUP_DOCUMENT, encoding="utf-8")
    index_dir = tmp_path_factory.mktemp("markup-index")
    build_index([folder], index_dir=index_dir)
    return index_dir


@pytest.fixture(scope="module")
def markup_server(markup_index, tmp_path_factory):
    log = tmp_path_factory.mktemp("markup-server") / "server.log"
    with running_server(markup_index, log, "--allow-upload") as (url, _, _):
        yield url


def _ask(page, question: str) -> float:
    """Type and submit a question; wait for its reply; return the seconds it took."""
    replies = page.locator("#chat [data-testid='bot']")
    before = replies.count()
    box = page.locator("#question textarea")
    box.fill(question)
    started = time.monotonic()
    box.press("Enter")
    replies.nth(before).wait_for()
    return time.monotonic() - started


def test_question_gets_a_cited_answer_and_the_source_view(seed_server, page):
    open_page(page, seed_server)
    assert page.locator("#upload-panel").count() == 0  # uploads are off by default
    assert page.get_by_text("Add documents").count() == 0

    seconds = _ask(page, CYBER_THEFT_QUESTION)
    print(f"\nanswer shown {seconds * 1000:.0f} ms after Enter")
    reply = page.locator("#chat [data-testid='bot']").last
    first_card = reply.locator(".qa-card").first
    assert "¶7" in first_card.locator(".qa-cite").inner_text()
    highlight = first_card.locator(".qa-text mark")
    assert "暗号資産" in highlight.inner_text()
    assert "score" in first_card.inner_text()
    assert reply.locator(".qa-card").count() == 3
    assert "¶7" in reply.locator(".qa-status").inner_text()  # "Best answer: ... ¶7 (...)"

    # The card expands to the paragraph in its document, numbered, cited one highlighted.
    first_card.locator("summary").click()
    context = first_card.locator(".qa-context")
    assert context.is_visible()
    assert "¶6" in context.inner_text() and "¶8" in context.inner_text()
    assert context.locator(".src-cited mark").count() == 1

    # The Source panel shows the whole document, scrolled to the highlighted paragraph.
    source = page.locator("#source-view")
    cited = source.locator(".src-cited")
    cited.wait_for()
    assert cited.get_attribute("data-paragraph") == "7"
    assert cited.get_attribute("id") == "src-p7"
    assert "暗号資産" in cited.locator("mark").inner_text()
    numbers = source.locator(".src-num").all_inner_texts()
    assert numbers == [f"¶{n}" for n in range(1, 11)]
    assert "北朝鮮の脅威への対処" in source.locator(".src-section").all_inner_texts()
    page.wait_for_function(
        """() => { const box = document.querySelector('#source-view .src-scroll');
                   const hit = box.querySelector('.src-cited');
                   const a = box.getBoundingClientRect(), b = hit.getBoundingClientRect();
                   return box.scrollTop > 0 && b.top >= a.top - 1 && b.top < a.bottom; }"""
    )

    # Choosing another citation shows its paragraph instead.
    page.locator("#cited label").nth(1).click()
    page.wait_for_function(
        "() => document.querySelector('#source-view .src-cited')?.dataset.paragraph !== '7'"
    )
    page.locator("#cited label").first.click()
    page.wait_for_function(
        "() => document.querySelector('#source-view .src-cited')?.dataset.paragraph === '7'"
    )
    page.screenshot(path=str(SCREENSHOT), full_page=True)

    # An example question fills the box; an English question is answered too.
    page.get_by_text("What did the ministers say about the wildfires?", exact=True).click()
    page.wait_for_function(
        "() => document.querySelector('#question textarea').value.includes('wildfires')"
    )
    _ask(page, page.locator("#question textarea").input_value())
    assert page.locator("#chat [data-testid='bot']").last.locator(".qa-card").count() == 3

    # The page's k changes how many passages come back.
    k_box = page.locator("#k input[type='number']")
    k_box.fill("5")
    k_box.press("Enter")
    _ask(page, "山火事について閣僚は何を述べましたか")
    assert page.locator("#chat [data-testid='bot']").last.locator(".qa-card").count() == 5

    # An over-long question is answered from its beginning, with a visible note.
    _ask(page, "暗号資産の窃取について。" * 200)
    assert (
        "were read"
        in page.locator("#chat [data-testid='bot']").last.locator(".qa-notice").inner_text()
    )

    # An empty question gets a friendly message, not a traceback.
    _ask(page, "")
    error = page.locator("#chat [data-testid='bot']").last.locator(".qa-error")
    assert "empty" in error.inner_text().lower()
    assert "Traceback" not in page.locator("#chat").inner_text()

    page.locator("#clear").click()
    page.wait_for_function("() => !document.querySelector('#chat [data-testid=\"bot\"]')")
    assert page.locator("#source-view .src-cited").count() == 0


def test_markup_in_the_corpus_is_shown_as_text_and_never_runs(markup_server, page):
    open_page(page, markup_server)
    _ask(page, "暗号資産の保管方法について")
    _ask(page, '<img src=x onerror="window.__pwned=3">金庫はどこ？')
    chat = page.locator("#chat")
    text = chat.inner_text()
    assert "<script>window.__pwned=1</script>" in text
    assert '<img src=x onerror="window.__pwned=2">' in text
    assert '<img src=x onerror="window.__pwned=3">' in text  # the question, too
    assert "<b>会議</b>の記録 ¶1" in text
    assert "<script>" in page.locator("#source-view").inner_text()
    assert "<b>会議</b>の記録" in page.locator("#cited").inner_text()

    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.locator("img[src='x']").count() == 0
    assert chat.locator("img").count() == 0
    assert page.locator("#chat script, #source-view script").count() == 0
    assert chat.locator("b").count() == 0


def test_uploaded_document_answers_at_once(markup_server, markup_index, page, tmp_path):
    open_page(page, markup_server)
    upload = tmp_path / "南極観測.md"
    upload.write_text(
        "# 南極観測の報告\n\nペンギン観測隊は、三月に昭和基地の近くで新しい観測小屋を開設した。"
        "観測小屋では皇帝ペンギンの繁殖を記録する。\n",
        encoding="utf-8",
    )
    page.get_by_text("Add documents").click()
    page.locator("#upload-files input[type='file']").set_input_files(str(upload))
    page.locator("#upload-files").filter(has_text="南極観測").wait_for()  # name shown in parts
    page.get_by_role("button", name="Add to the documents").click()
    page.locator("#upload-status .qa-status, #upload-status .qa-error").wait_for(timeout=120_000)
    assert "Added 南極観測.md" in page.locator("#upload-status").inner_text()
    assert (markup_index / "uploads" / "南極観測.md").is_file()

    _ask(page, "ペンギンの観測小屋はいつ開設されましたか")
    first_card = page.locator("#chat [data-testid='bot']").last.locator(".qa-card").first
    assert "観測小屋" in first_card.locator(".qa-text mark").inner_text()
    assert first_card.locator(".qa-cite").inner_text().startswith("uploaded: 南極観測.md ¶1")
    assert first_card.locator(".qa-file").inner_text() == "南極観測.md"  # no server path

    # The Filters accordion offers the new document at once.
    page.get_by_text("Filters", exact=True).click()
    page.locator("#filter-document input").click()
    assert page.get_by_role("option").filter(has_text="南極観測").count() == 1
