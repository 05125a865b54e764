"""The web chat: ask the documents, read cited passages, open the source document.

Built on the public API only (``Assistant``). ``serve`` is what
``assistant serve`` runs; ``create_app`` builds the same page for tests. Besides the page there
is one public endpoint, ``/ask`` (question, k, and optionally language, source, date_from,
date_to) -> ``Answer.to_dict()``, the JSON of ``assistant ask --json``.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import sys
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
from assistant.interfaces.console import print_progress
from ui import export, render, timeline_view
from ui.calls import CallGate
from ui.filters import FilterControls, SearchFilters, filter_panel, refreshed_choices
from ui.uploads import (
    MAX_UPLOAD_BYTES,
    MAX_UPLOAD_FILES,
    MAX_UPLOAD_SENTENCES,
    UPLOAD_SUFFIXES,
    UploadGate,
    UploadWorker,
    save_uploads,
)

log = logging.getLogger(__name__)

DEFAULT_K = 3
MAX_PAGE_K = 10
EXAMPLES = (
    "北朝鮮による暗号資産の窃取について",
    "What did the ministers say about the wildfires?",
    "청년 리더십 서밋은 언제 열립니까?",
)
CONCURRENCY_LIMIT = 2
"""Questions answered at once: the machine has two cores."""
QUEUE_SIZE = 32
"""Requests waiting beyond this are turned away instead of piling up in memory."""
MAX_HISTORY_MESSAGES = 40
"""Turns of the conversation kept per visitor; older ones are dropped beyond this."""
GRADIO_CACHE_SECONDS = (600, 600)
"""Gradio's delete_cache (every, older than): its temporary copies of uploads are removed
after ten minutes (the uploads themselves were copied into the index), and all at exit."""
UPLOAD_POLL_SECONDS = 0.5

_SCROLL_SOURCE_JS = """
    const box = document.querySelector('#source-view .src-scroll');
    const cited = box && box.querySelector('.src-cited');
    if (cited) {
      const mark = cited.querySelector('mark');
      let top = cited.offsetTop - 24;
      if (mark && mark.offsetTop + mark.offsetHeight > top + box.clientHeight) {
        top = mark.offsetTop - 48;  // deep in a long paragraph: the answer, not the start
      }
      box.scrollTop = Math.max(0, top);
    }
"""
"""Scrolls the Source panel (not the page) to the cited paragraph, or, when its answering
sentence lies below the panel's height (a long paragraph shown whole), to that sentence."""

SCROLL_TO_CITED_JS = (
    """
() => {
  setTimeout(() => {"""
    + _SCROLL_SOURCE_JS
    + """  }, 120);
}
"""
)
"""Scrolls the Source panel to the cited paragraph (_SCROLL_SOURCE_JS); no data inside."""

SCROLL_TO_REPLY_JS = (
    """
() => {
  setTimeout(() => {
    const log = document.querySelector('#chat [role="log"]');
    const asked = log && [...log.querySelectorAll('.user-row')].pop();
    if (asked) {
      log.scrollTop += asked.getBoundingClientRect().top - log.getBoundingClientRect().top - 8;
    }"""
    + _SCROLL_SOURCE_JS
    + """  }, 120);
}
"""
)
"""After an answer: show the question and the start of its reply (the best passage), not the
end of the last card, and scroll the Source panel to the cited paragraph."""

HEADER = (
    "## Ask the documents\n"
    "Answers are passages quoted from the documents, each cited to its paragraph (¶) with the "
    "answering sentence highlighted. Ask in Japanese, English or Korean."
)


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


# -- the page --------------------------------------------------------------------------------


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


@dataclass
class TimelineControls:
    topic: gr.Textbox
    view: gr.HTML


@dataclass
class ChatPage:
    """The components events read and write."""

    chatbot: gr.Chatbot
    question: gr.Textbox
    k: gr.Slider
    filters: FilterControls
    clear_button: gr.Button
    cited: gr.Radio
    source_view: gr.HTML
    latest_answer: gr.State
    history: gr.State
    """The conversation, kept on the server: the page never sends it back, so a forged or
    oversized history cannot reach the server (Gradio logged one error line per bad message)."""
    timeline: TimelineControls
    conversation: gr.State
    """The questions follow-ups are read against and the answers to export (``Conversation``),
    kept on the server like ``history``."""
    drop_context: gr.Button
    export_text: gr.Code
    download: gr.DownloadButton

    @property
    def outputs(self) -> list[Any]:
        return [
            self.chatbot,
            self.history,
            self.question,
            self.cited,
            self.latest_answer,
            self.source_view,
            self.conversation,
            self.export_text,
            self.download,
            self.drop_context,
        ]


def _chat_tab() -> tuple[gr.Chatbot, gr.Textbox, gr.Slider, gr.Button]:
    chatbot = gr.Chatbot(
        label="Chat",
        elem_id="chat",
        height=600,
        autoscroll=False,  # SCROLL_TO_REPLY_JS shows the start of the reply instead
        render_markdown=False,  # messages are our own escaped HTML, not Markdown
        sanitize_html=True,
        allow_tags=False,
        latex_delimiters=[],
        feedback_options=None,
        buttons=[],
        placeholder="Ask a question about the documents. Each answer lists the passages "
        "that answer it, with citations.",
    )
    question = gr.Textbox(
        show_label=False,
        placeholder="Ask a question about the documents (日本語・English・한국어)",
        elem_id="question",
        submit_btn=True,
        autofocus=True,
    )
    with gr.Row():
        k = gr.Slider(
            1, MAX_PAGE_K, value=DEFAULT_K, step=1, label="Passages to show", scale=4, elem_id="k"
        )
        clear_button = gr.Button("Clear chat", variant="secondary", scale=1, elem_id="clear")
    return chatbot, question, k, clear_button


def _conversation_tools() -> tuple[gr.Button, gr.Code, gr.DownloadButton]:
    """Dropping a follow-up's context, and the conversation as Markdown to copy or download."""
    drop = gr.Button(
        "Ask the last question again without the earlier ones",
        visible=False,
        variant="secondary",
        size="sm",
        elem_id="drop-context",
    )
    with gr.Accordion("Take the answers away (Markdown)", open=False, elem_id="export-panel"):
        text = gr.Code(
            export.conversation_markdown([], EXPORT_TITLE),
            language="markdown",
            label="The conversation with its citations (copy button at the top right)",
            interactive=False,
            elem_id="export-text",
        )
        download = gr.DownloadButton("Download as .md", value=None, elem_id="export-download")
    return drop, text, download


def _timeline_tab() -> TimelineControls:
    topic = gr.Textbox(
        show_label=False,
        placeholder="A topic: what did each statement say about it? (日本語・English・한국어)",
        elem_id="timeline-topic",
        submit_btn="Show timeline",
    )
    view = gr.HTML(timeline_view.empty_timeline_html(), elem_id="timeline-view", js_on_load=None)
    return TimelineControls(topic, view)


def _chat_page(assistant: Assistant, full_paths: bool = False) -> ChatPage:
    gr.Markdown(HEADER)
    with gr.Tabs():
        with gr.Tab("Chat", id="chat-tab"):
            chatbot, question, k, clear_button = _chat_tab()
            drop, export_text, download = _conversation_tools()
        with gr.Tab("Timeline", id="timeline-tab", elem_id="timeline-tab"):
            timeline = _timeline_tab()
    filters = filter_panel(assistant, full_paths)
    gr.Examples(examples=[[q] for q in EXAMPLES], inputs=[question], label="Try asking")
    with gr.Accordion("Source", open=True, elem_id="source-panel"):
        cited = gr.Radio(choices=[], label="Show the document of", type="value", elem_id="cited")
        source_view = gr.HTML(render.empty_source_html(), elem_id="source-view", js_on_load=None)
    return ChatPage(
        chatbot,
        question,
        k,
        filters,
        clear_button,
        cited,
        source_view,
        gr.State(None),
        gr.State([]),
        timeline,
        gr.State(Conversation()),
        drop,
        export_text,
        download,
    )


def _upload_panel(handlers: ChatHandlers, page: ChatPage) -> None:
    with gr.Accordion("Add documents", open=False, elem_id="upload-panel"):
        gr.Markdown(
            f"Add .txt, .md, .html, .pdf or .docx files (up to {MAX_UPLOAD_FILES} at once, "
            f"{MAX_UPLOAD_BYTES // (1024 * 1024)} MB and {MAX_UPLOAD_SENTENCES} sentences "
            "each) to the documents. They are cited as uploads."
        )
        files = gr.File(
            file_count="multiple",
            file_types=list(UPLOAD_SUFFIXES),
            label="Files",
            elem_id="upload-files",
        )
        add_button = gr.Button("Add to the documents", variant="primary")
        upload_status = gr.HTML("", elem_id="upload-status", js_on_load=None)
    add_button.click(
        handlers.add_documents,
        [files],
        [upload_status],
        api_name="add_documents",
        api_visibility="undocumented",  # callable by scripts as the page calls it; not listed
        concurrency_limit=1,
        concurrency_id="build",
    ).then(
        handlers.filter_choices,
        page.filters.choices,
        page.filters.choices,
        api_visibility="private",
        queue=False,
    )


def _wire_chat(page: ChatPage, handlers: ChatHandlers) -> None:
    """Every route that answers shares the "ask" concurrency cap (and the queue: the REST
    routes are closed in create_app)."""
    page.question.submit(
        handlers.respond,
        [page.question, page.k, page.history, page.conversation, *page.filters.inputs],
        page.outputs,
        api_visibility="private",
        concurrency_id="ask",
    ).then(None, js=SCROLL_TO_REPLY_JS)
    page.drop_context.click(
        handlers.drop_context,
        [page.k, page.history, page.conversation, *page.filters.inputs],
        page.outputs,
        api_visibility="private",
        concurrency_id="ask",
    ).then(None, js=SCROLL_TO_REPLY_JS)
    page.cited.input(
        handlers.show_source,
        [page.cited, page.latest_answer],
        [page.source_view],
        api_visibility="private",
        concurrency_id="ask",
    ).then(None, js=SCROLL_TO_CITED_JS)
    page.clear_button.click(
        handlers.clear, None, page.outputs, api_visibility="private", queue=False
    )
    page.chatbot.clear(handlers.clear, None, page.outputs, api_visibility="private", queue=False)
    gr.api(handlers.ask, api_name="ask", concurrency_id="ask")
    page.timeline.topic.submit(
        handlers.show_timeline,
        [page.timeline.topic, *page.filters.inputs],
        [page.timeline.view, page.cited, page.latest_answer, page.source_view],
        api_visibility="private",
        concurrency_id="ask",
    ).then(None, js=SCROLL_TO_CITED_JS)
    gr.api(handlers.timeline, api_name="timeline", concurrency_id="ask")


def create_app(
    assistant: Assistant,
    allow_upload: bool = False,
    full_paths: bool = False,
    uploads: UploadWorker | None = None,
) -> gr.Blocks:
    """The chat page and the ``/ask`` endpoint for one loaded assistant."""
    if allow_upload and uploads is None:
        uploads = UploadWorker(assistant)
    handlers = ChatHandlers(assistant, uploads if allow_upload else None, full_paths)
    with gr.Blocks(
        title="Ask the documents", analytics_enabled=False, delete_cache=GRADIO_CACHE_SECONDS
    ) as demo:
        page = _chat_page(assistant, full_paths)
        if allow_upload:
            _upload_panel(handlers, page)
        _wire_chat(page, handlers)
        demo.load(  # the index may have been rebuilt since the page was made
            handlers.filter_choices,
            page.filters.choices,
            page.filters.choices,
            api_visibility="private",
            queue=False,
        )
        demo.load(  # a link to a paragraph: ?doc=SOURCE&p=N
            handlers.open_link,
            None,
            [page.cited, page.latest_answer, page.source_view],
            api_visibility="private",
            queue=False,
        ).then(None, js=SCROLL_TO_CITED_JS)
    # api_open=False: /gradio_api/run/ask and /api/ask would answer outside the queue and its
    # concurrency cap (issue 13: 200 concurrent requests accepted, 39 s latency).
    demo.queue(default_concurrency_limit=CONCURRENCY_LIMIT, max_size=QUEUE_SIZE, api_open=False)
    return demo


# -- serving ---------------------------------------------------------------------------------


def is_loopback(host: str) -> bool:
    """Whether binding ``host`` keeps the chat on this machine."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def launch_options(host: str, port: int, allow_upload: bool = False) -> dict[str, Any]:
    """launch() arguments: no share link, no SSR, local fonts, our CSS, capped uploads (every
    upload route closed unless ``allow_upload``)."""
    theme = gr.themes.Default(
        font=[
            gr.themes.LocalFont("Source Sans Pro"),
            "Noto Sans CJK JP",
            "ui-sans-serif",
            "system-ui",
            "sans-serif",
        ]
    )
    return {
        "server_name": host,
        "server_port": port,
        "share": False,
        "ssr_mode": False,
        "quiet": True,
        "show_error": False,
        "footer_links": ["api", "settings"],
        "max_file_size": MAX_UPLOAD_BYTES,
        "theme": theme,
        "css": render.CSS + timeline_view.CSS,
        "app_kwargs": {
            "middleware": [
                UploadGate.middleware(allow=allow_upload),
                CallGate.middleware(allow_files=allow_upload),
            ]
        },
    }


def serve(
    index_dir: str | None,
    host: str = "127.0.0.1",
    port: int = 7860,
    allow_upload: bool = False,
    full_paths: bool = False,
    mcp: bool = False,
) -> None:
    """Load the index and serve the chat until interrupted (what ``assistant serve`` runs);
    with ``mcp``, the MCP tools too, at ``/mcp`` on the same server."""
    assistant = Assistant.load(index_dir) if index_dir else Assistant.load(progress=print_progress)
    assistant.prepare_in_background()
    uploads = UploadWorker(assistant)
    uploads.recover(index_pending=allow_upload)  # partial files removed; pending ones indexed
    demo = create_app(assistant, allow_upload, full_paths, uploads if allow_upload else None)
    options = launch_options(host, port, allow_upload)
    if mcp:
        from assistant.interfaces.mcp_server import HTTP_PATH, http_app_kwargs

        options["app_kwargs"] = {
            **options.get("app_kwargs", {}),
            **http_app_kwargs(assistant, host, full_paths=full_paths),
        }
        with demo:
            gr.Markdown(
                f"For AI assistants: MCP tools (cited search) at `http://{host}:{port}{HTTP_PATH}`"
                " (streamable HTTP)",
                elem_id="mcp-footer",
            )
    if not is_loopback(host):
        print(
            f"warning: serving on {host}, reachable from other machines; the chat has no "
            "login" + (" and lets anyone add documents" if allow_upload else ""),
            file=sys.stderr,
            flush=True,
        )
    _, local_url, _ = demo.launch(prevent_thread_lock=True, **options)
    print(f"Serving the chat at {local_url} (Ctrl+C to stop)", flush=True)
    if mcp:
        print(f"MCP tools at {local_url.rstrip('/')}{HTTP_PATH} (streamable HTTP)", flush=True)
    demo.block_thread()
