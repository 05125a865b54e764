"""The web chat: ask the documents, read cited passages, open the source document.

Built on the public API only (``Assistant``). ``serve`` is what
``assistant serve`` runs; ``create_app`` builds the same page for tests. Besides the page there
is one public endpoint, ``/ask`` (question, k) -> ``Answer.to_dict()``, the JSON of
``assistant ask --json``.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # before gradio is imported

import gradio as gr

from assistant import Assistant, AssistantError, InputError
from assistant.api import STAGE_LABELS
from ui import render

log = logging.getLogger(__name__)

DEFAULT_K = 3
MAX_PAGE_K = 10
EXAMPLES = (
    "北朝鮮による暗号資産の窃取について",
    "What did the ministers say about the wildfires?",
    "청년 리더십 서밋은 언제 열립니까?",
)
UPLOAD_SUFFIXES = (".txt", ".md", ".html", ".htm", ".pdf", ".docx")
UPLOAD_MAGIC = {".pdf": b"%PDF-", ".docx": b"PK\x03\x04"}
"""How binary uploads must begin (the other types are text and must hold no NUL bytes)."""
MAX_UPLOAD_BYTES = 2 * 1024 * 1024
MAX_UPLOAD_NAME = 120
UPLOADS_FOLDER = "uploads"
CONCURRENCY_LIMIT = 2
"""Questions answered at once: the machine has two cores and each answer is torch inference."""
QUEUE_SIZE = 32
"""Requests waiting beyond this are turned away instead of piling up in memory."""
MAX_HISTORY_MESSAGES = 40
"""The page sends the whole chat with every question; older turns are dropped beyond this."""

SCROLL_TO_CITED_JS = """
() => {
  setTimeout(() => {
    const box = document.querySelector('#source-view .src-scroll');
    const cited = box && box.querySelector('.src-cited');
    if (cited) box.scrollTop = Math.max(0, cited.offsetTop - 24);
  }, 120);
}
"""
"""Scrolls the Source panel (not the page) to the highlighted paragraph; no data inside."""

SCROLL_TO_REPLY_JS = """
() => {
  setTimeout(() => {
    const log = document.querySelector('#chat [role="log"]');
    const asked = log && [...log.querySelectorAll('.user-row')].pop();
    if (asked) {
      log.scrollTop += asked.getBoundingClientRect().top - log.getBoundingClientRect().top - 8;
    }
    const box = document.querySelector('#source-view .src-scroll');
    const cited = box && box.querySelector('.src-cited');
    if (cited) box.scrollTop = Math.max(0, cited.offsetTop - 24);
  }, 120);
}
"""
"""After an answer: show the question and the start of its reply (the best passage), not the
end of the last card, and scroll the Source panel to the cited paragraph."""

HEADER = (
    "## Ask the documents\n"
    "Answers are passages quoted from the documents, each cited to its paragraph (¶) with the "
    "answering sentence highlighted. Ask in Japanese, English or Korean."
)


class UploadError(AssistantError):
    """An uploaded file that is refused (name, type or size)."""


# -- answering -------------------------------------------------------------------------------


def _refresh(assistant: Assistant) -> None:
    """Pick up an index rebuilt by another process; a broken new build keeps the old one."""
    try:
        if assistant.reload():
            log.info("switched to a newer index generation")
    except AssistantError as exc:
        log.warning("kept the current index; the newer one could not be opened: %s", exc)


def _page_k(k: object) -> int:
    """The slider sends floats; the library wants a whole number."""
    if isinstance(k, float) and k.is_integer():
        return int(k)
    if isinstance(k, int) and not isinstance(k, bool):
        return k
    raise InputError(f"k must be a whole number from 1 to {MAX_PAGE_K}, not {k!r}")


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
    if not answer or not answer["passages"]:
        return render.empty_source_html()
    position = choice if isinstance(choice, int) and 0 <= choice < len(answer["passages"]) else 0
    passage = answer["passages"][position]
    paragraphs = assistant.document_paragraphs(passage["source"])
    title = _document_title(assistant, passage["source"], passage["doc"])
    return render.source_html(
        title, passage["source"], paragraphs, int(passage["paragraph"]), passage.get("highlight")
    )


# -- uploads ---------------------------------------------------------------------------------


def safe_upload_name(name: str) -> str:
    """The file name an upload is saved under, or UploadError.

    Only the last path component is kept; hidden files, odd characters and other suffixes are
    refused so nothing can land outside ``<index>/uploads/`` or be skipped by the indexer.
    """
    base = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    if not base or base.startswith(".") or len(base) > MAX_UPLOAD_NAME:
        raise UploadError(f"refused file name {base or name!r}: use a plain name like notes.md")
    if any(ch < " " or ch in '<>:"|?*\x7f' for ch in base):
        raise UploadError(f"refused file name {base!r}: it contains characters files cannot have")
    if Path(base).suffix.lower() not in UPLOAD_SUFFIXES:
        raise UploadError(f"refused {base!r}: only {', '.join(UPLOAD_SUFFIXES)} files")
    return base


def save_uploads(paths: Sequence[str], uploads_dir: Path) -> list[str]:
    """Check every file first, then save them all into ``uploads_dir``; returns the names."""
    checked: list[tuple[str, bytes]] = []
    for path in paths:
        name = safe_upload_name(Path(path).name)
        size = Path(path).stat().st_size
        if size > MAX_UPLOAD_BYTES:
            raise UploadError(
                f"{name} is {size / 1e6:.1f} MB; the limit is "
                f"{MAX_UPLOAD_BYTES // (1024 * 1024)} MB a file"
            )
        data = Path(path).read_bytes()
        magic = UPLOAD_MAGIC.get(Path(name).suffix.lower())
        if magic is not None and not data.startswith(magic):
            raise UploadError(f"{name} is not a {Path(name).suffix.lower()} file")
        if magic is None and b"\x00" in data and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
            raise UploadError(f"{name} does not look like a text file")
        checked.append((name, data))
    uploads_dir.mkdir(parents=True, exist_ok=True)
    for name, data in checked:
        with tempfile.NamedTemporaryFile(dir=uploads_dir, prefix=".upload-", delete=False) as tmp:
            tmp.write(data)
        os.chmod(tmp.name, 0o644)  # readable like any file the user copied there
        os.replace(tmp.name, uploads_dir / name)
    return [name for name, _ in checked]


def rebuild_with_uploads(
    assistant: Assistant,
    uploads_dir: Path,
    progress: Callable[[str, int, int], None] | None = None,
) -> Any:
    """Add the uploads folder to the index (incrementally, with the already loaded model) and
    answer from it at once; another build in progress stops this one with a clear message."""
    return assistant.add_documents([uploads_dir], progress=progress)


# -- the page --------------------------------------------------------------------------------


def create_app(assistant: Assistant, allow_upload: bool = False) -> gr.Blocks:
    """The chat page and the ``/ask`` endpoint for one loaded assistant."""
    uploads_dir = Path(assistant.index_dir) / UPLOADS_FOLDER

    def respond(question: str, k: float, history: list[dict[str, Any]] | None):
        history = list(history or [])[-(MAX_HISTORY_MESSAGES - 2) :]
        question = question or ""
        try:
            page_k = _page_k(k)
            _refresh(assistant)
            answer = assistant.ask(question, k=page_k)
        except AssistantError as exc:
            if question.strip():
                history.append({"role": "user", "content": render.question_html(question)})
            history.append({"role": "assistant", "content": render.error_html(str(exc))})
            return history, question, gr.update(), gr.update(), gr.update()
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
            return history, question, gr.update(), gr.update(), gr.update()
        data = answer.to_dict()
        history.append({"role": "user", "content": render.question_html(answer.question)})
        history.append(
            {
                "role": "assistant",
                "content": render.answer_html(data, answer.notice, assistant.document_paragraphs),
            }
        )
        choices = _source_choices(data)
        return (
            history,
            "",
            gr.update(choices=choices, value=0 if choices else None),
            data,
            _source_view(assistant, data, 0),
        )

    def show_source(choice: int | None, answer: dict[str, Any] | None) -> str:
        return _source_view(assistant, answer, choice)

    def clear():
        return [], "", gr.update(choices=[], value=None), None, render.empty_source_html()

    def ask(question: str, k: int = DEFAULT_K) -> dict:
        """Answer a question with the k best passages: the JSON of `assistant ask --json`."""
        try:
            _refresh(assistant)
            if isinstance(k, float) and k.is_integer():
                k = int(k)
            return assistant.ask(question, k=k).to_dict()
        except AssistantError as exc:
            raise gr.Error(str(exc)) from exc

    def add_documents(files: list[str] | None, progress: gr.Progress = gr.Progress()) -> str:  # noqa: B008
        if not files:
            return render.status_html("Choose one or more .txt or .md files first.", ok=False)
        try:
            progress(0.05, desc="Saving files")
            names = save_uploads([str(f) for f in files], uploads_dir)
            progress(0.2, desc="Indexing (reading and embedding new passages)")
            report = rebuild_with_uploads(
                assistant,
                uploads_dir,
                lambda stage, done, total: progress(
                    0.2 + 0.8 * done / max(total, 1),
                    desc=STAGE_LABELS.get(stage, stage).capitalize(),
                ),
            )
            progress(1.0, desc="Done")
        except AssistantError as exc:
            return render.status_html(str(exc), ok=False)
        except Exception:
            log.exception("adding documents failed")
            return render.status_html("Adding the documents failed; see the server log.", False)
        return render.status_html(
            f"Added {', '.join(names)}: now {report.passages} passages from "
            f"{report.documents} documents. Ask away."
        )

    with gr.Blocks(title="Ask the documents", analytics_enabled=False) as demo:
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
                1,
                MAX_PAGE_K,
                value=DEFAULT_K,
                step=1,
                label="Passages to show",
                scale=4,
                elem_id="k",
            )
            clear_button = gr.Button("Clear chat", variant="secondary", scale=1, elem_id="clear")
        gr.Examples(examples=[[q] for q in EXAMPLES], inputs=[question], label="Try asking")
        with gr.Accordion("Source", open=True, elem_id="source-panel"):
            cited = gr.Radio(
                choices=[], label="Show the document of", type="value", elem_id="cited"
            )
            source_view = gr.HTML(
                render.empty_source_html(), elem_id="source-view", js_on_load=None
            )
        latest_answer = gr.State(None)
        if allow_upload:
            with gr.Accordion("Add documents", open=False, elem_id="upload-panel"):
                gr.Markdown(
                    f"Add .txt, .md, .html, .pdf or .docx files (up to "
                    f"{MAX_UPLOAD_BYTES // (1024 * 1024)} MB each) to the documents."
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
                add_documents,
                [files],
                [upload_status],
                api_visibility="private",
                concurrency_limit=1,
                concurrency_id="build",
            )

        outputs = [chatbot, question, cited, latest_answer, source_view]
        question.submit(
            respond, [question, k, chatbot], outputs, api_visibility="private", concurrency_id="ask"
        ).then(None, js=SCROLL_TO_REPLY_JS)
        cited.input(
            show_source, [cited, latest_answer], [source_view], api_visibility="private"
        ).then(None, js=SCROLL_TO_CITED_JS)
        clear_button.click(clear, None, outputs, api_visibility="private", queue=False)
        chatbot.clear(clear, None, outputs, api_visibility="private", queue=False)
        gr.api(ask, api_name="ask", concurrency_id="ask")

    demo.queue(default_concurrency_limit=CONCURRENCY_LIMIT, max_size=QUEUE_SIZE)
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


def launch_options(host: str, port: int) -> dict[str, Any]:
    """launch() arguments: no share link, no SSR, local fonts, our CSS, capped uploads."""
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
    }


def serve(
    index_dir: str | None,
    host: str = "127.0.0.1",
    port: int = 7860,
    allow_upload: bool = False,
    mcp: bool = False,
) -> None:
    """Load the index and serve the chat until interrupted (what ``assistant serve`` runs);
    with ``mcp``, the MCP tools too, at ``/mcp`` on the same server."""
    assistant = Assistant.load(index_dir) if index_dir else Assistant.load()
    demo = create_app(assistant, allow_upload=allow_upload)
    options = launch_options(host, port)
    if mcp:
        from assistant.mcp_server import HTTP_PATH, http_app_kwargs

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
