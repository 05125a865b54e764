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
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # before gradio is imported

import gradio as gr

from assistant import Assistant, AssistantError
from assistant.api import check_k
from assistant.indexing.indexer import STAGES
from assistant.ingest.provenance import relative_source
from assistant.interfaces.console import print_progress
from ui import render
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

    def _answer(
        self, question: str, k: int, filters: SearchFilters | None = None
    ) -> tuple[Any, dict[str, Any]]:
        """The answer from an intact, current index (reload refuses a damaged one), and its
        JSON with each source shown relative to the indexed folder unless full_paths."""
        self.assistant.reload()
        answer = self.assistant.ask(question, k=k, **(filters or SearchFilters()).as_kwargs())
        data = answer.to_dict()
        roots = self.assistant.manifest.get("inputs", [])
        for passage in data["passages"]:
            for shown in (passage, *passage.get("versions", [])):
                full = shown["source"]
                shown["shown_source"] = full if self.full_paths else relative_source(full, roots)
        return answer, data

    def respond(
        self,
        question: str,
        k: float,
        history: list[dict[str, Any]] | None,
        language: str | None = None,
        document: str | None = None,
        date_from: str | None = None,
        date_to: str | None = None,
    ):
        """Answer a question typed in the page, with the Filters accordion's choices; a bad
        filter is one line in the chat and the question stays in the box."""
        history = _trimmed_history(history)
        question = question or ""
        filters = SearchFilters.from_form(language, document, date_from, date_to)
        try:
            answer, data = self._answer(question, _page_k(k), filters)
        except AssistantError as exc:
            if question.strip():
                history.append({"role": "user", "content": render.question_html(question)})
            history.append({"role": "assistant", "content": render.error_html(str(exc))})
            return history, history, question, gr.update(), gr.update(), gr.update()
        except Exception:
            log.exception("answering %r failed", question[:200])
            history.append(
                {
                    "role": "assistant",
                    "content": render.error_html(
                        "something went wrong while answering; the details are in the server log"
                    ),
                }
            )
            return history, history, question, gr.update(), gr.update(), gr.update()
        history.append({"role": "user", "content": render.question_html(answer.question)})
        history.append(
            {
                "role": "assistant",
                "content": render.answer_html(
                    data, answer.notice, self.assistant.document_passages, filters.summary()
                ),
            }
        )
        choices = _source_choices(data)
        return (
            history,
            history,
            "",
            gr.update(choices=choices, value=0 if choices else None),
            data,
            _source_view(self.assistant, data, 0),
        )

    def filter_choices(self, language: str | None, document: str | None):
        """The Filters dropdowns' choices for the index as it is now (after an upload or a
        rebuild), keeping the visitor's choice when it is still offered; unchanged when the
        index cannot be used now (the next question says why, in one line)."""
        try:
            self.assistant.reload()
        except AssistantError:
            return gr.update(), gr.update()
        return refreshed_choices(self.assistant, language, document)

    def show_source(self, choice: int | None, answer: dict[str, Any] | None) -> str:
        return _source_view(self.assistant, answer, choice)

    def clear(self):
        return [], [], "", gr.update(choices=[], value=None), None, render.empty_source_html()

    def ask(
        self,
        question: str,
        k: int = DEFAULT_K,
        language: str | None = None,
        source: str | None = None,
        date_from: str | None = None,
        date_to: str | None = None,
    ) -> dict:
        """Answer a question with the k best passages: the JSON of `assistant ask --json`.
        ``language`` (ja, en, ko, ...), ``source`` (a document's path or file name) and
        ``date_from``/``date_to`` (YYYY, YYYY-MM or YYYY-MM-DD) restrict the search."""
        filters = SearchFilters.from_form(
            language, self._indexed_source(source), date_from, date_to
        )
        try:
            _, data = self._answer(question, k, filters)  # the library takes 3.0 as 3
        except AssistantError as exc:
            raise gr.Error(str(exc), print_exception=False) from exc  # one line, no traceback
        for passage in data["passages"]:
            for shown in (passage, *passage.get("versions", [])):
                shown["source"] = shown.pop("shown_source")
        return data

    def _indexed_source(self, source: str | None) -> str | None:
        """The indexed path of a source given as ``/ask`` shows it (relative to the indexed
        folder), so a result's ``source`` can be passed back as a filter."""
        if not source or self.full_paths:
            return source
        roots = self.assistant.manifest.get("inputs", [])
        for document in self.assistant.documents:
            if relative_source(document["source"], roots) == source:
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
            return render.status_html(str(exc), ok=False)
        except Exception:
            log.exception("adding documents failed")
            return render.status_html("Adding the documents failed; see the server log.", False)
        finally:
            for copy in files:  # Gradio's temporary copies: the index keeps its own
                Path(str(copy)).unlink(missing_ok=True)
        return render.status_html(outcome.message(), ok=bool(outcome.indexed))


# -- the page --------------------------------------------------------------------------------


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

    @property
    def outputs(self) -> list[Any]:
        return [
            self.chatbot,
            self.history,
            self.question,
            self.cited,
            self.latest_answer,
            self.source_view,
        ]


def _chat_page(assistant: Assistant) -> ChatPage:
    gr.Markdown(HEADER)
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
    filters = filter_panel(assistant)
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
        [page.question, page.k, page.history, *page.filters.inputs],
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
        page = _chat_page(assistant)
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
        "css": render.CSS,
        "app_kwargs": {"middleware": [UploadGate.middleware(allow=allow_upload)]},
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
            **http_app_kwargs(assistant, host),
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
