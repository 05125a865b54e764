"""What the chat's events and its public endpoints (``/ask``, ``/timeline``) run, for one loaded
assistant: answers in a conversation, timelines, links to a paragraph, the Markdown export and
uploads. The page that wires them is ``ui.app``.
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # before gradio is imported

import gradio as gr

from assistant import Assistant, AssistantError
from assistant.answer.links import paragraph_link
from assistant.api import check_k, check_whole_number
from assistant.indexing.indexer import STAGES
from ui import export, render, timeline_view
from ui.filters import SearchFilters, refreshed_choices
from ui.uploads import (
    UploadWorker,
    save_uploads,
)

log = logging.getLogger(__name__)

DEFAULT_K = 3
MAX_PAGE_K = 10
MAX_HISTORY_MESSAGES = 40
"""Turns of the conversation kept per visitor; older ones are dropped beyond this."""
UPLOAD_POLL_SECONDS = 0.5


EXPORT_TITLE = "Questions and cited answers"


@dataclass(frozen=True)
class Conversation:
    """One visitor's conversation, kept on the server: the questions asked since the context
    was last dropped (what follow-ups are read against) and every answer (what is exported)."""

    asked: list[str] = field(default_factory=list)
    answers: list[dict[str, Any]] = field(default_factory=list)

    def after(self, question: str, answer: dict[str, Any]) -> Conversation:
        """The conversation with one more question and its answer (the last MAX_ASKED asked,
        the last MAX_EXPORTED answered)."""
        asked = [*self.asked, question][-MAX_ASKED:]
        return Conversation(asked, [*self.answers, answer][-MAX_EXPORTED:])


MAX_ASKED = 20
"""Earlier questions kept per visitor for follow-ups (the library reads the last few)."""
MAX_EXPORTED = 50
"""Answers kept per visitor for the export (bounded like the chat itself)."""


# -- answering -------------------------------------------------------------------------------


def _page_k(k: object) -> int:
    """The slider's value (a float) as the library's k, at most what the page offers."""
    return check_k(k, maximum=MAX_PAGE_K)


def _source_choices(answer: dict[str, Any]) -> list[tuple[str, int]]:
    return [
        (f"{rank} · {p['citation']}", rank - 1)
        for rank, p in enumerate(answer["passages"], start=1)
    ]


def _document_title(assistant: Assistant, source: str, fallback: str) -> str:
    for document in assistant.documents:
        if document["source"] == source:
            return document.get("title") or fallback
    return fallback


def _source_view(assistant: Assistant, answer: dict[str, Any] | None, choice: int | None) -> str:
    """The cited document, the cited paragraph highlighted; for a paragraph with parallel
    versions, the shown version and the next one side by side, each at its own paragraph."""
    if not answer or not answer["passages"]:
        return render.empty_source_html()
    position = choice if isinstance(choice, int) and 0 <= choice < len(answer["passages"]) else 0
    passage = answer["passages"][position]
    views = [_document_view(assistant, passage, passage.get("shown_source"))]
    versions = passage.get("versions") or []
    if len(versions) >= 2:
        other = versions[1]
        views.append(
            _document_view(
                assistant, {**other, "doc": other["citation"]}, other.get("shown_source")
            )
        )
        return render.side_by_side_html(views)
    return views[0]


def _document_view(assistant: Assistant, passage: dict[str, Any], shown: str | None) -> str:
    """One document of the index as a source view, at ``passage``'s paragraph (whole, its
    answering sentence marked in the cited part)."""
    source = passage["source"]
    return render.source_html(
        _document_title(assistant, source, passage["doc"]),
        shown or source,
        assistant.document_paragraphs(source),
        int(passage["paragraph"]),
        passage.get("highlight"),
        int(passage.get("part", 1)),
    )


def _trimmed_history(history: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """The last turns of the conversation (kept on the server), so it cannot grow without
    bound in a long session."""
    return list(history or [])[-(MAX_HISTORY_MESSAGES - 2) :]


class ChatHandlers:
    """What the page's events and the ``/ask`` endpoint run, for one loaded assistant."""

    def __init__(
        self,
        assistant: Assistant,
        uploads: UploadWorker | None = None,
        full_paths: bool = False,
    ) -> None:
        self.assistant = assistant
        self.uploads = uploads
        self.full_paths = full_paths
        self._exports = Path(tempfile.mkdtemp(prefix="assistant-exports-"))
        """Markdown files offered for download (Gradio serves copies of them)."""

    def _answer(
        self,
        question: str,
        k: int,
        filters: SearchFilters | None = None,
        earlier: list[str] | None = None,
    ) -> tuple[Any, dict[str, Any]]:
        """The answer from an intact, current index (reload refuses a damaged one), and its
        JSON with each source shown relative to the indexed folder unless full_paths."""
        self.assistant.reload()
        kwargs = (filters or SearchFilters()).as_kwargs()
        answer = self.assistant.ask(question, k=k, history=earlier or None, **kwargs)
        data = answer.to_dict()
        for passage in data["passages"]:
            for shown in (passage, *passage.get("versions", [])):
                full = shown["source"]
                shown["shown_source"] = self.assistant.shown_source(full, self.full_paths)
            passage["link"] = paragraph_link(passage["shown_source"], passage["paragraph"])
        return answer, data

    def _public(self, error: AssistantError) -> str:
        """The error's line as the visitor sees it: no absolute path of this machine."""
        return self.assistant.public_message(error, self.full_paths)

    def respond(
        self,
        question: str,
        k: float,
        history: list[dict[str, Any]] | None,
        conversation: Conversation | None,
        language: str | None = None,
        document: str | None = None,
        date_from: str | None = None,
        date_to: str | None = None,
    ):
        """Answer a question typed in the page, as a follow-up of the conversation's earlier
        questions, with the Filters accordion's choices; a bad filter is one line in the chat
        and the question stays in the box."""
        history = _trimmed_history(history)
        conversation = conversation or Conversation()
        question = question or ""
        try:
            filters = SearchFilters.from_form(
                language, self._indexed_source(document), date_from, date_to
            )
            answer, data = self._answer(question, _page_k(k), filters, conversation.asked)
        except Exception as exc:
            if isinstance(exc, AssistantError):
                message = self._public(exc)
                if question.strip():
                    history.append({"role": "user", "content": render.question_html(question)})
            else:
                log.exception("answering %r failed", question[:200])
                message = "something went wrong while answering; the details are in the server log"
            history.append({"role": "assistant", "content": render.error_html(message)})
            unchanged = [gr.update()] * 7
            return history, history, question, *unchanged
        conversation = conversation.after(answer.question, data)
        return self._reply(history, conversation, answer, data, filters)

    def _reply(
        self,
        history: list[dict[str, Any]],
        conversation: Conversation,
        answer: Any,
        data: dict[str, Any],
        filters: SearchFilters,
    ) -> tuple[Any, ...]:
        """The page after an answer: the chat, the Source panel, the export and whether the
        context can be dropped."""
        history.append({"role": "user", "content": render.question_html(answer.question)})
        content = render.answer_html(
            data, answer.notice, self.assistant.document_passages, filters.summary()
        )
        history.append({"role": "assistant", "content": content})
        choices = _source_choices(data)
        return (
            history,
            history,
            "",
            gr.update(choices=choices, value=0 if choices else None),
            data,
            _source_view(self.assistant, data, 0),
            conversation,
            *self._export(conversation),
            gr.update(visible=bool(data.get("context"))),
        )

    def _export(self, conversation: Conversation) -> tuple[str, str | None]:
        """The conversation as Markdown, shown (to copy) and as a file to download."""
        text = export.conversation_markdown(conversation.answers, EXPORT_TITLE)
        if not conversation.answers:
            return text, None
        return text, str(export.saved(text, self._exports))

    def drop_context(
        self,
        k: float,
        history: list[dict[str, Any]] | None,
        conversation: Conversation | None,
        language: str | None = None,
        document: str | None = None,
        date_from: str | None = None,
        date_to: str | None = None,
    ):
        """Ask the last question again on its own, and start the conversation afresh from it."""
        conversation = conversation or Conversation()
        if not conversation.asked:
            return (history, history, "", *[gr.update()] * 6, gr.update(visible=False))
        last = conversation.asked[-1]
        fresh = Conversation(answers=list(conversation.answers))  # the export keeps both replies
        return self.respond(last, k, history, fresh, language, document, date_from, date_to)

    def _timeline(self, question: str, filters: SearchFilters) -> dict[str, Any]:
        """The timeline's JSON from an intact, current index: sources shown as in answers,
        each entry with a link that opens its paragraph."""
        self.assistant.reload()
        kwargs = filters.as_kwargs()
        kwargs.pop("source")  # a timeline runs across the statements
        data = self.assistant.timeline(question, **kwargs).to_dict()
        for entry in data["entries"]:
            for shown in (entry, *entry["versions"]):
                shown["shown_source"] = self.assistant.shown_source(
                    shown["source"], self.full_paths
                )
            entry["link"] = paragraph_link(entry["shown_source"], entry["paragraph"])
            entry["doc"] = entry["title"]
        return data

    def show_timeline(
        self,
        question: str,
        language: str | None = None,
        document: str | None = None,
        date_from: str | None = None,
        date_to: str | None = None,
    ):
        """The Timeline tab: the view, and its addressing entries offered to the Source panel."""
        filters = SearchFilters.from_form(language, None, date_from, date_to)
        try:
            data = self._timeline(question or "", filters)
        except AssistantError as exc:
            return render.error_html(self._public(exc)), gr.update(), gr.update(), gr.update()
        shown = [e for e in data["entries"] if e["addresses"]]
        choices = [(f"{e['date'] or 'undated'} · {e['citation']}", i) for i, e in enumerate(shown)]
        as_answer = {"passages": [{**e, "versions": []} for e in shown]}
        return (
            timeline_view.timeline_html(data, filters.summary()),
            gr.update(choices=choices, value=0 if choices else None),
            as_answer,
            _source_view(self.assistant, as_answer, 0),
        )

    def timeline(
        self,
        question: str,
        language: str | None = None,
        date_from: str | None = None,
        date_to: str | None = None,
    ) -> dict:
        """What each statement said about a topic, in date order: the JSON of
        `assistant timeline --json`, each entry with a ``link`` to its paragraph."""
        filters = SearchFilters.from_form(language, None, date_from, date_to)
        try:
            data = self._timeline(question, filters)
        except AssistantError as exc:  # one line, no traceback, no path of this machine
            raise gr.Error(self._public(exc), print_exception=False) from exc
        for entry in data["entries"]:
            for shown in (entry, *entry["versions"]):
                shown["source"] = shown.pop("shown_source")
            del entry["doc"]
        return data

    def open_link(self, request: gr.Request):
        """A page opened at ``?doc=SOURCE&p=N``: that paragraph in the Source panel."""
        params = dict(request.query_params) if request is not None else {}
        if "doc" not in params:
            return gr.update(), gr.update(), gr.update()
        try:
            self.assistant.reload()
            passage = self._linked_paragraph(params.get("doc", ""), params.get("p", ""))
        except AssistantError as exc:
            return gr.update(), gr.update(), render.error_html(self._public(exc))
        answer = {"passages": [passage]}
        choices = [(f"link · {passage['citation']}", 0)]
        return gr.update(choices=choices, value=0), answer, _source_view(self.assistant, answer, 0)

    def _linked_paragraph(self, doc: str, number: str) -> dict[str, Any]:
        source = self._indexed_source(doc)
        paragraphs = self.assistant.document_paragraphs(source) if source else []
        if not paragraphs:
            raise AssistantError(f"the link names no document of this index: {doc!r}")
        count = max(p["paragraph"] for p in paragraphs)
        value: object = int(number) if number.isdigit() else number  # a query string is text
        wanted = check_whole_number(value, "the link's paragraph (p)", 1, count)
        cited = next((p for p in paragraphs if p["paragraph"] == wanted), None)
        if cited is None:
            raise AssistantError(f"paragraph {wanted} is not in {doc}")
        shown = doc if not self.full_paths else source
        return {**cited, "source": source, "shown_source": shown, "highlight": None}

    def filter_choices(self, language: str | None, document: str | None):
        """The Filters dropdowns' choices for the index as it is now (after an upload or a
        rebuild), keeping the visitor's choice when it is still offered; unchanged when the
        index cannot be used now (the next question says why, in one line)."""
        try:
            self.assistant.reload()
        except AssistantError:
            return gr.update(), gr.update()
        return refreshed_choices(self.assistant, language, document, self.full_paths)

    def show_source(self, choice: int | None, answer: dict[str, Any] | None) -> str:
        return _source_view(self.assistant, answer, choice)

    def clear(self):
        empty = Conversation()
        return (
            [],
            [],
            "",
            gr.update(choices=[], value=None),
            None,
            render.empty_source_html(),
            empty,
            *self._export(empty),
            gr.update(visible=False),
        )

    def ask(
        self,
        question: str,
        k: int = DEFAULT_K,
        language: str | None = None,
        source: str | None = None,
        date_from: str | None = None,
        date_to: str | None = None,
        history: list[str] | None = None,
    ) -> dict:
        """Answer a question with the k best passages: the JSON of `assistant ask --json`.
        ``language`` (ja, en, ko, ...), ``source`` (a document's path or file name) and
        ``date_from``/``date_to`` (YYYY, YYYY-MM or YYYY-MM-DD) restrict the search;
        ``history`` (the conversation's earlier questions, oldest first) makes it a follow-up.
        Each passage carries a ``link`` that opens its paragraph in the chat."""
        try:
            filters = SearchFilters.from_form(
                language, self._indexed_source(source), date_from, date_to
            )
            _, data = self._answer(question, k, filters, history)  # the library takes 3.0 as 3
        except AssistantError as exc:  # one line, no traceback, no path of this machine
            raise gr.Error(self._public(exc), print_exception=False) from exc
        for passage in data["passages"]:
            for shown in (passage, *passage.get("versions", [])):
                shown["source"] = shown.pop("shown_source")
        return data

    def _indexed_source(self, source: object) -> object:
        """The indexed path of a source given as the page and ``/ask`` show it (relative to the
        indexed folder), so a result's ``source`` or a Document choice works as a filter."""
        if not isinstance(source, str) or not source or self.full_paths:
            return source
        for document in self.assistant.documents:
            if self.assistant.shown_source(document["source"]) == source.strip():
                return document["source"]
        return source

    def add_documents(self, files: list[str] | None, progress: gr.Progress = gr.Progress()) -> str:  # noqa: B008
        """Save the files, then wait for the upload worker to index them (questions are
        answered meanwhile from the loaded index)."""
        if self.uploads is None:
            return render.status_html("Adding documents is off on this server.", ok=False)
        if not files:
            return render.status_html("Choose one or more .txt or .md files first.", ok=False)
        try:
            progress(0.05, desc="Saving files")
            indexed = {Path(d["source"]).name for d in self.assistant.documents}
            names = save_uploads([str(f) for f in files], self.uploads.folder, taken=indexed)
            job = self.uploads.submit(names)
            while not job.done():
                fraction, stage = self.uploads.progress()
                label = STAGES.get(stage, stage).capitalize()
                progress(0.1 + 0.9 * fraction, desc=label)
                time.sleep(UPLOAD_POLL_SECONDS)
            outcome = job.result()
        except AssistantError as exc:
            return render.status_html(self._public(exc), ok=False)
        except Exception:
            log.exception("adding documents failed")
            return render.status_html("Adding the documents failed; see the server log.", False)
        finally:
            for copy in files:  # Gradio's temporary copies: the index keeps its own
                Path(str(copy)).unlink(missing_ok=True)
        return render.status_html(outcome.message(), ok=bool(outcome.indexed))
