"""The web chat's page: the Chat and Timeline tabs, filters, the Source panel, uploads, and
serving it.

Built on the public API only (``Assistant``); what the page's events run is ``ui.handlers``.
``serve`` is what ``assistant serve`` runs; ``create_app`` builds the same page for tests.
Besides the page there are two public endpoints: ``/ask`` (question, k, and optionally
language, source, date_from, date_to, history) -> ``Answer.to_dict()`` with a ``link`` per
passage, the JSON of ``assistant ask --json``; and ``/timeline`` (question, language,
date_from, date_to), the JSON of ``assistant timeline --json``.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import sys
from dataclasses import dataclass
from typing import Any

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # before gradio is imported

import gradio as gr

from assistant import Assistant
from assistant.interfaces.console import print_progress
from ui import export, render, timeline_view
from ui.calls import CallGate
from ui.filters import FilterControls, filter_panel
from ui.handlers import (
    DEFAULT_K,
    EXPORT_TITLE,
    MAX_PAGE_K,
    ChatHandlers,
    Conversation,
)
from ui.uploads import (
    MAX_UPLOAD_BYTES,
    MAX_UPLOAD_FILES,
    MAX_UPLOAD_SENTENCES,
    UPLOAD_SUFFIXES,
    UploadGate,
    UploadWorker,
)

log = logging.getLogger(__name__)

EXAMPLES = (
    "北朝鮮による暗号資産の窃取について",
    "What did the ministers say about the wildfires?",
    "청년 리더십 서밋은 언제 열립니까?",
)
CONCURRENCY_LIMIT = 2
"""Questions answered at once: the machine has two cores."""
QUEUE_SIZE = 32
"""Requests waiting beyond this are turned away instead of piling up in memory."""
GRADIO_CACHE_SECONDS = (600, 600)
"""Gradio's delete_cache (every, older than): its temporary copies of uploads are removed
after ten minutes (the uploads themselves were copied into the index), and all at exit."""
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


# -- the page --------------------------------------------------------------------------------


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
