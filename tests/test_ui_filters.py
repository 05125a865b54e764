"""The web chat's search filters on a real index of four documents in three languages (the seed
and three archive statements): the handlers in-process, the real ``assistant serve`` through
gradio_client at ``/ask``, and the Filters accordion in a headless Chromium."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from serving import copy_index, running_server

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "corpus" / "000_2daad77d3c406492.txt"
ARCHIVE_DOCS = ROOT.parent / "shared" / "eval" / "archive" / "docs"
ENGLISH_QUAD = "14_quad-fm-2025-07-statement.en.txt"
KOREAN_DOCS = ("11_fm-sanfrancisco-2023-11.ko.txt", "08_secretariat-board-2025-08.ko.txt")
QUESTION = "北朝鮮の核・ミサイル開発について外相は何を述べたか"

pytestmark = pytest.mark.skipif(
    not (ARCHIVE_DOCS / ENGLISH_QUAD).exists(),
    reason="the shared archive documents are not beside the checkout",
)


@pytest.fixture(scope="module")
def filter_index(tmp_path_factory) -> Path:
    """A real index of ja (seed, no date), en (2025-07) and ko (2023-11, 2025-08) documents,
    none of them a version of another (so every card shows its own language)."""
    from assistant import build_index

    folder = tmp_path_factory.mktemp("filter-corpus")
    (folder / "ko").mkdir()
    shutil.copy(SEED, folder)
    shutil.copy(ARCHIVE_DOCS / ENGLISH_QUAD, folder)
    for name in KOREAN_DOCS:
        shutil.copy(ARCHIVE_DOCS / name, folder / "ko")  # shown as ko/name
    index_dir = tmp_path_factory.mktemp("filter-index")
    build_index([folder], index_dir=index_dir)
    return index_dir


@pytest.fixture(scope="module")
def handlers(filter_index, tmp_path_factory, embedding_model):
    """The page's handlers on a private copy of the index (a test adds a document to it)."""
    from assistant import Assistant
    from ui.handlers import ChatHandlers

    index_dir = copy_index(filter_index, tmp_path_factory.mktemp("filter-handlers"))
    return ChatHandlers(Assistant.open_with(index_dir, *embedding_model))


@pytest.fixture(scope="module")
def filter_server(filter_index, tmp_path_factory):
    log = tmp_path_factory.mktemp("filter-server") / "server.log"
    with running_server(filter_index, log) as (url, _, _):
        yield url


@pytest.fixture(scope="module")
def client(filter_server):
    from gradio_client import Client

    return Client(filter_server, verbose=False)


# -- what a form sends (no index needed) -----------------------------------------------------


def test_any_and_blank_fields_are_no_filter():
    from ui.filters import ANY, SearchFilters

    assert SearchFilters.from_form(ANY, "", None, "  ") == SearchFilters()
    assert SearchFilters().summary() is None
    picked = SearchFilters.from_form("ko", "/docs/a.ko.txt", " 2024-09 ", "2025")
    assert picked.as_kwargs() == {
        "language": "ko",
        "source": "/docs/a.ko.txt",
        "date_from": "2024-09",
        "date_to": "2025",
    }
    assert picked.summary() == "Filtered: ko, a.ko.txt, since 2024-09, until 2025"


# -- the handlers, in-process ----------------------------------------------------------------


def test_the_dropdowns_offer_the_indexed_languages_and_documents(handlers):
    from ui.filters import ANY, document_choices, language_choices

    assistant = handlers.assistant
    assert [value for _, value in language_choices(assistant)] == [ANY, "en", "ja", "ko"]
    documents = document_choices(assistant)
    assert documents[0] == ("Any", ANY)
    assert {Path(value).name for _, value in documents[1:]} == {
        SEED.name,
        ENGLISH_QUAD,
        *KOREAN_DOCS,
    }
    assert any("2025-07" in label for label, _ in documents)  # dated documents say when
    # the values are the sources as answers show them, never this machine's paths
    assert {value for _, value in documents[1:]} == {
        SEED.name,
        ENGLISH_QUAD,
        *(f"ko/{name}" for name in KOREAN_DOCS),
    }


def test_a_document_chosen_in_the_filters_keeps_only_that_document(handlers):
    shown = f"ko/{KOREAN_DOCS[0]}"
    history, _, _, _, data, *_ = handlers.respond(QUESTION, 3, [], None, None, shown, None, None)
    assert data["passages"], history[-1]["content"]
    assert {p["shown_source"] for p in data["passages"]} == {shown}


def test_a_filtered_answer_says_so_and_an_empty_one_says_why(handlers):
    history, _, box, *_ = handlers.respond(QUESTION, 3, [], None, "ko", None, "2023-01", "2023-12")
    reply = history[-1]["content"]
    assert "Filtered: ko, since 2023-01, until 2023-12" in reply
    assert box == ""
    assert reply.count('class="qa-card') >= 1 and "한국어" in reply

    history, *_ = handlers.respond(QUESTION, 3, [], None, "en", None, "2030", None)
    assert "No passage passes these filters" in history[-1]["content"]
    assert 'class="qa-card' not in history[-1]["content"]


def test_a_bad_date_is_one_line_and_the_question_stays(handlers):
    history, _, box, *_ = handlers.respond(QUESTION, 3, [], None, None, None, "last year", None)
    assert box == QUESTION
    assert (
        "the start date must be a date as yyyy, yyyy-mm or yyyy-mm-dd"
        in history[-1]["content"].lower()
    )
    assert "Traceback" not in history[-1]["content"]


def test_an_added_document_joins_the_choices(handlers, tmp_path):
    extra = tmp_path / "penguins.txt"
    extra.write_text(
        "南極観測の報告\n\nペンギン観測隊は、三月に昭和基地の近くで新しい観測小屋を開設した。\n",
        encoding="utf-8",
    )
    chosen = handlers.assistant.shown_source(handlers.assistant.documents[0]["source"])
    handlers.assistant.add_documents([extra])
    languages, documents = handlers.filter_choices("ko", chosen)
    assert any(Path(value).name == "penguins.txt" for _, value in documents["choices"])
    assert (languages["value"], documents["value"]) == ("ko", chosen)  # choices kept


def test_an_impossible_date_is_one_line_in_the_chat_and_at_ask(handlers):
    from gradio import Error

    history, _, box, *_ = handlers.respond(QUESTION, 3, [], None, None, None, None, "2025-02-30")
    assert box == QUESTION
    assert "not a date on the calendar" in history[-1]["content"]
    with pytest.raises(Error, match="not a date on the calendar"):
        handlers.ask(QUESTION, 3, None, None, "2025-13-45", None)


# -- the served /ask endpoint ----------------------------------------------------------------


@pytest.mark.slow
def test_a_language_filter_returns_only_that_language(client):
    unfiltered = client.predict(QUESTION, 6, api_name="/ask")  # old calls still work
    assert {p["lang"] for p in unfiltered["passages"]} != {"ko"}
    result = client.predict(QUESTION, 6, "ko", None, None, None, api_name="/ask")
    assert result["passages"]
    assert {p["lang"] for p in result["passages"]} == {"ko"}


@pytest.mark.slow
def test_a_document_filter_returns_only_that_document(client):
    result = client.predict(QUESTION, 4, None, ENGLISH_QUAD, None, None, api_name="/ask")
    assert result["passages"]
    assert {Path(p["source"]).name for p in result["passages"]} == {ENGLISH_QUAD}
    shown = f"ko/{KOREAN_DOCS[0]}"  # as /ask shows it: relative to the indexed folder
    again = client.predict(QUESTION, 4, None, shown, None, None, api_name="/ask")
    assert again["passages"]
    assert {p["source"] for p in again["passages"]} == {shown}


@pytest.mark.slow
def test_a_date_range_keeps_dated_documents_inside_it(client):
    result = client.predict(QUESTION, 6, None, None, "2025-01", "2025-12", api_name="/ask")
    assert result["passages"]
    assert all("2025-01" <= p["date"] <= "2025-12-31" for p in result["passages"])


@pytest.mark.slow
def test_a_bad_date_is_a_one_line_error(client):
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError) as raised:
        client.predict(QUESTION, 3, None, None, "2024/09", None, api_name="/ask")
    message = str(raised.value)
    assert "the start date must be a date as YYYY, YYYY-MM or YYYY-MM-DD, not '2024/09'" in message
    assert "\n" not in message.strip()


# -- the page, in a real browser -------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.slow
def test_picking_a_language_in_the_filters_answers_in_it(filter_server, page):
    from serving import open_page
    from test_ui_browser import _ask

    open_page(page, filter_server)
    assert not page.locator("#filter-language").is_visible()  # collapsed until opened
    page.get_by_text("Filters", exact=True).click()
    page.locator("#filter-language input").click()
    page.get_by_role("option", name="한국어 (ko)").click()
    _ask(page, QUESTION)
    reply = page.locator("#chat [data-testid='bot']").last
    assert "Filtered: ko" in reply.locator(".qa-filtered").inner_text()
    languages = reply.locator(".qa-card .qa-lang").all_inner_texts()
    assert languages and set(languages) == {"한국어"}
    assert reply.locator(".qa-card").count() == len(languages)
