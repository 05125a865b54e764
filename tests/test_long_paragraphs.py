"""A paragraph longer than chunking.MAX_PASSAGE_CHARS, end to end: a real index of a file whose
one 200 KB line is a paragraph answers from the part that holds the answer, cites it as
"¶2 (part k of n)" everywhere (API, JSON, command line, MCP, chat cards), and shows the whole
paragraph once in the source view; a normal paragraph is cited as before (issue 29, finding 7).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.ingest.chunking import MAX_PASSAGE_CHARS

TITLE = "Harbour notes"
FILLER = (
    "The committee reviewed routine administrative matters and adjourned without further comment. "
)
ANSWER = (
    "In the harbour town of Kesennuma, the lighthouse keeper counted 4,271 migrating cranes "
    "on the ninth of March."
)
LONG_LINE = FILLER * 1100 + ANSWER + " " + (FILLER * 1100).rstrip()
"""About 205,000 characters on one line. The filler repeats, so a build embeds only the few
different parts and sentences (a build reuses one vector per text): seconds, not minutes."""
NORMAL = (
    "The ministers of the three countries met in Brussels and agreed to strengthen cooperation "
    "on maritime security."
)
CRANES = "How many migrating cranes did the lighthouse keeper in Kesennuma count?"
MINISTERS = "What did the ministers agree in Brussels?"


@pytest.fixture(scope="module")
def long_index(tmp_path_factory) -> Path:
    from assistant import build_index

    folder = tmp_path_factory.mktemp("long-paragraph")
    (folder / "harbour.txt").write_text(
        f"{TITLE}\n\n{NORMAL}\n\n{LONG_LINE}\n\nThe festival of lanterns closed the season.\n",
        encoding="utf-8",
    )
    index_dir = tmp_path_factory.mktemp("long-index")
    build_index([folder], index_dir=index_dir)
    return index_dir


@pytest.fixture(scope="module")
def long_qa(long_index):
    from assistant import Assistant

    return Assistant.load(long_index)


def test_the_answer_is_the_part_that_holds_it_cited_with_its_paragraph_and_part(long_qa):
    assert len(LONG_LINE) > 200_000
    answer = long_qa.ask(CRANES, k=3)
    top = answer.passages[0]
    assert "4,271 migrating cranes" in top.highlight and top.highlight in top.text
    assert len(top.text) <= MAX_PASSAGE_CHARS
    assert top.paragraph == 2 and 1 < top.part < top.parts
    assert top.parts >= len(LONG_LINE) / MAX_PASSAGE_CHARS
    assert top.citation == f"{TITLE} ¶2 (part {top.part} of {top.parts})"
    data = answer.to_dict()
    assert (data["passages"][0]["part"], data["passages"][0]["parts"]) == (top.part, top.parts)
    assert len(json.dumps(data, ensure_ascii=False)) < 4 * 3 * MAX_PASSAGE_CHARS  # not 4-6 MB


def test_a_normal_paragraph_is_cited_as_before(long_qa):
    top = long_qa.ask(MINISTERS, k=3).passages[0]
    assert top.citation == f"{TITLE} ¶1"
    assert (top.paragraph, top.part, top.parts, top.text) == (1, 1, 1, NORMAL)
    last = long_qa.search("the festival of lanterns", k=1)[0]
    assert last.citation == f"{TITLE} ¶3" and last.parts == 1  # numbering goes on after it


def test_the_document_view_has_each_paragraph_once_and_whole(long_qa):
    source = long_qa.documents[0]["source"]
    paragraphs = long_qa.document_paragraphs(source)
    assert [p["paragraph"] for p in paragraphs] == [1, 2, 3]
    whole = paragraphs[1]
    assert whole["text"] == LONG_LINE and whole["citation"] == f"{TITLE} ¶2"
    passages = long_qa.document_passages(source)
    assert len(passages) == 2 + whole["parts"] == 2 + len(whole["part_starts"])
    for passage, start in zip(passages[1:-1], whole["part_starts"], strict=True):
        assert LONG_LINE[start : start + len(passage["text"])] == passage["text"]
    for start, end in whole["sentences"]:
        assert LONG_LINE[start:end].strip() == LONG_LINE[start:end]


def test_the_chat_cites_the_part_and_marks_its_sentence_in_the_whole_paragraph(long_qa):
    from ui import render

    answer = long_qa.ask(CRANES, k=3).to_dict()
    top = answer["passages"][0]
    label = f"¶2 (part {top['part']} of {top['parts']})"
    cards = render.answer_html(answer, None, long_qa.document_passages)
    assert label in cards and f"<mark>{ANSWER}</mark>" in cards
    assert len(cards) < 20 * MAX_PASSAGE_CHARS  # the cards and their context quote parts
    view = render.source_html(
        TITLE,
        top["source"],
        long_qa.document_paragraphs(top["source"]),
        2,
        top["highlight"],
        top["part"],
    )
    assert view.count('data-paragraph="2"') == 1 and view.count("src-cited") == 1
    assert view.count("<mark>") == 1 and f"<mark>{ANSWER}</mark>" in view
    assert f"{TITLE} ¶1" not in view and ">¶1<" in view  # the others as before


def test_the_mcp_tools_quote_one_part_and_say_which(long_qa):
    from assistant.interfaces.mcp_server import CitedSearch, render_paragraph, render_search

    tools = CitedSearch(long_qa)
    found = tools.search(CRANES, k=1).passages[0]
    assert found.citation == f"{TITLE} ¶2 (part {found.part} of {found.parts})"
    assert render_search(tools.search(CRANES, k=1)).startswith(f"[1] {found.citation}")
    cited = tools.get_paragraph(found.source, 2, found.part)
    assert (cited.text, cited.citation) == (found.text, found.citation)
    assert cited.paragraphs == 3 and (cited.part, cited.parts) == (found.part, found.parts)
    assert (cited.previous.part, cited.next.part) == (found.part - 1, found.part + 1)
    first = tools.get_paragraph(found.source, 2)
    assert first.part == 1 and first.previous.citation == f"{TITLE} ¶1"
    assert len(render_paragraph(first)) < 4 * MAX_PASSAGE_CHARS
    assert tools.list_documents().documents[0].paragraphs == 3
    from assistant.errors import InputError

    with pytest.raises(InputError, match=f"part must be a whole number from 1 to {found.parts}"):
        tools.get_paragraph(found.source, 2, found.parts + 1)


def test_the_command_line_prints_the_part_in_the_citation(long_index, capsys):
    from assistant.interfaces.cli import main

    assert main(["ask", CRANES, "--k", "1", "--index", str(long_index)]) == 0
    printed = capsys.readouterr().out
    assert f"[1] {TITLE} ¶2 (part " in printed and "4,271" in printed
    assert main(["ask", MINISTERS, "--k", "1", "--json", "--index", str(long_index)]) == 0
    passage = json.loads(capsys.readouterr().out)["passages"][0]
    assert (passage["citation"], passage["part"], passage["parts"]) == (f"{TITLE} ¶1", 1, 1)


@pytest.mark.slow
@pytest.mark.browser
def test_the_chat_shows_the_part_and_scrolls_the_source_to_its_answer(long_index, tmp_path, page):
    """In a real browser: the card cites the part, and the Source panel, holding ¶2 whole
    (205,000 characters), is scrolled to the marked sentence deep inside it."""
    from serving import open_page, running_server
    from test_ui_browser import _ask

    with running_server(long_index, tmp_path / "server.log") as (url, _, _):
        open_page(page, url)
        _ask(page, CRANES)
        card = page.locator("#chat [data-testid='bot']").last.locator(".qa-card").first
        assert " ¶2 (part " in card.locator(".qa-cite").inner_text()
        assert "4,271" in card.locator(".qa-text mark").inner_text()
        view = page.locator("#source-view .src-scroll")
        mark = view.locator(".src-cited mark")
        assert view.locator(".src-cited .src-num").inner_text() == "¶2"
        assert "4,271" in mark.inner_text()
        page.wait_for_function(  # scrolled (after a short delay) until the mark is in view
            """() => {
              const box = document.querySelector('#source-view .src-scroll');
              const mark = box && box.querySelector('.src-cited mark');
              if (!mark || box.scrollTop === 0) return false;
              const b = box.getBoundingClientRect(), m = mark.getBoundingClientRect();
              return m.top >= b.top && m.bottom <= b.bottom;
            }"""
        )
