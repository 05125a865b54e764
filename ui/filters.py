"""The chat's search filters: which languages and documents the index offers, the controls that
pick them, and the short line that tells a visitor an answer was filtered.

The filters themselves are the library's (``Assistant.ask(language=, source=, date_from=,
date_to=)``), which checks them and names the allowed values; this module only turns what a
form or an API call sends into those arguments.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import gradio as gr

from assistant import Assistant
from ui.render import LANGUAGE_NAMES

ANY = "any"
"""The dropdowns' "no filter" value (no language code or indexed source path is "any")."""
DATE_PLACEHOLDER = "YYYY-MM-DD or YYYY-MM"


@dataclass(frozen=True)
class SearchFilters:
    """What a visitor asked to restrict the search to; every field None means no filter."""

    language: str | None = None
    source: str | None = None
    date_from: str | None = None
    date_to: str | None = None

    @classmethod
    def from_form(
        cls, language: object, source: object, date_from: object, date_to: object
    ) -> SearchFilters:
        """The filters from form fields or API arguments: "Any", blank or None is no filter;
        anything else goes to the library as typed (stripped), which refuses bad values."""
        return cls(*(_picked(value) for value in (language, source, date_from, date_to)))

    def as_kwargs(self) -> dict[str, str | None]:
        """The keyword arguments of ``Assistant.ask`` (its filter arguments' names)."""
        return asdict(self)

    def summary(self) -> str | None:
        """``Filtered: ko, 12_fm-bali.en.txt, since 2024-09, until 2025``; None when no filter
        is set."""
        parts = [self.language or "", Path(self.source).name if self.source else ""]
        parts += [f"since {self.date_from}" if self.date_from else ""]
        parts += [f"until {self.date_to}" if self.date_to else ""]
        shown = [part for part in parts if part]
        return f"Filtered: {', '.join(shown)}" if shown else None


def _picked(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return None if not text or text.lower() == ANY else text


# -- what the index offers -------------------------------------------------------------------


def language_choices(assistant: Assistant) -> list[tuple[str, str]]:
    """Any, then each language a paragraph of the index is in (what ``ask`` accepts)."""
    return [("Any", ANY)] + [(f"{LANGUAGE_NAMES.get(c, c)} ({c})", c) for c in assistant.languages]


def document_choices(assistant: Assistant, full_paths: bool = False) -> list[tuple[str, str]]:
    """Any, then each document by title (with its language and date, since versions of one
    statement can share a title); the value is its source as answers show it (relative to
    the indexed folder unless ``full_paths``: the page config must not carry this machine's
    paths), which the handlers map back to the indexed path."""
    choices = []
    for document in assistant.documents:
        details = ", ".join(d for d in (document.get("lang"), document.get("date")) if d)
        title = document.get("title") or Path(document["source"]).name
        shown = assistant.shown_source(document["source"], full_paths)
        choices.append((f"{title} ({details})" if details else title, shown))
    return [("Any", ANY), *sorted(choices, key=lambda choice: choice[0].casefold())]


# -- the controls ----------------------------------------------------------------------------


@dataclass
class FilterControls:
    """The Filters accordion's inputs, in ``SearchFilters.from_form`` order."""

    language: gr.Dropdown
    document: gr.Dropdown
    date_from: gr.Textbox
    date_to: gr.Textbox

    @property
    def inputs(self) -> list[Any]:
        return [self.language, self.document, self.date_from, self.date_to]

    @property
    def choices(self) -> list[Any]:
        """The components whose choices follow the index."""
        return [self.language, self.document]


def filter_panel(assistant: Assistant, full_paths: bool = False) -> FilterControls:
    """A collapsed "Filters" accordion: language, document and a date range."""
    with gr.Accordion("Filters", open=False, elem_id="filters"):
        with gr.Row():
            language = gr.Dropdown(
                language_choices(assistant), value=ANY, label="Language", elem_id="filter-language"
            )
            document = gr.Dropdown(
                document_choices(assistant, full_paths),
                value=ANY,
                label="Document",
                elem_id="filter-document",
                scale=2,
            )
        with gr.Row():
            date_from = gr.Textbox(
                label="From", placeholder=DATE_PLACEHOLDER, elem_id="filter-from", max_lines=1
            )
            date_to = gr.Textbox(
                label="To", placeholder=DATE_PLACEHOLDER, elem_id="filter-to", max_lines=1
            )
    return FilterControls(language, document, date_from, date_to)


def refreshed_choices(
    assistant: Assistant, language: str | None, document: str | None, full_paths: bool = False
):
    """New choices for the dropdowns after the index changed, keeping a choice still offered."""
    updates = []
    for choices, value in (
        (language_choices(assistant), language),
        (document_choices(assistant, full_paths), document),
    ):
        kept = value if value in {v for _, v in choices} else ANY
        updates.append(gr.update(choices=choices, value=kept))
    return tuple(updates)
