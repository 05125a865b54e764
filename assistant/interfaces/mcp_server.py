"""The assistant's cited search as Model Context Protocol tools, for AI assistants.

Three tools, built on the official ``mcp`` SDK's ``MCPServer`` and the public ``Assistant`` API:
``search_documents`` (quoted passages with citations), ``list_documents`` and ``get_paragraph``.
``assistant mcp`` serves them over stdio; ``assistant serve --mcp`` mounts the same server's
streamable-HTTP endpoint on the web chat (see ``http_app_kwargs``). One loaded assistant answers
every call; before each call the index is checked as the web chat checks it: a rebuilt one is
picked up, a damaged or deleted one refuses the call in one line.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import threading
from collections.abc import Callable
from typing import Annotated, Any

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import CallToolResult, TextContent, ToolAnnotations
from pydantic import BaseModel, Field, WithJsonSchema

from assistant.api import (
    MAX_K,
    Assistant,
    Passage,
    check_k,
    check_whole_number,
    clean_question,
)
from assistant.errors import AssistantError, InputError
from assistant.interfaces.console import print_progress

log = logging.getLogger(__name__)

SERVER_NAME = "retrieval-assistant"
HTTP_PATH = "/mcp"
DEFAULT_K = 5
NOT_FOUND_NOTICE = (
    "Nothing in the documents seems to answer this question; the passages are only the closest "
    "ones. Do not present them as the answer."
)
MAX_LISTED_CHOICES = 10
"""An error about an unknown document names at most this many of the valid ones."""
INSTRUCTIONS = (
    "Search a collection of documents and quote them. Every passage returned is the exact text "
    "of one paragraph of a source document (or of one part of a very long one), with a citation "
    "(document title, paragraph number ¶, the part, and section). Quote passages verbatim with "
    "their citation; they are quotations, not summaries. When `confident` is false, nothing in "
    "the documents answers the question."
)

# Argument schemas are published as JSON Schema; the values are checked by the library's own
# validators so that a wrong value or type comes back as one line that lists what is allowed.
QuestionArg = Annotated[
    Any,
    WithJsonSchema({"type": "string", "minLength": 1}),
    Field(description="The question, in Japanese, English or Korean (or another language)."),
]
KArg = Annotated[
    Any,
    WithJsonSchema({"type": "integer", "minimum": 1, "maximum": MAX_K, "default": DEFAULT_K}),
    Field(description=f"How many passages to return, best first (1 to {MAX_K})."),
]
LanguageArg = Annotated[
    Any,
    WithJsonSchema({"anyOf": [{"type": "string"}, {"type": "null"}], "default": None}),
    Field(description="Only passages of documents in this language (ISO 639-1 code, e.g. ja)."),
]
DocumentArg = Annotated[
    Any,
    WithJsonSchema({"anyOf": [{"type": "string"}, {"type": "null"}], "default": None}),
    Field(description="Only passages of this document: its source or title from list_documents."),
]
SourceArg = Annotated[
    Any,
    WithJsonSchema({"type": "string"}),
    Field(description="The document's source (or title), as given by list_documents or a passage."),
]
ParagraphArg = Annotated[
    Any,
    WithJsonSchema({"type": "integer", "minimum": 1}),
    Field(description="The paragraph number (the ¶ of a citation), counted from 1."),
]
PartArg = Annotated[
    Any,
    WithJsonSchema({"type": "integer", "minimum": 1, "default": 1}),
    Field(description="Of a paragraph cited in parts (¶7 (part 2 of 3)), which part (from 1)."),
]


# -- what the tools return -------------------------------------------------------------------


class QuotedPassage(BaseModel):
    """One paragraph quoted verbatim from a source document."""

    citation: str = Field(
        description="Document title, ¶ paragraph number (and part, when in parts) and section."
    )
    text: str = Field(
        description="The paragraph (or the part of a long one) exactly as in the source."
    )
    highlight: str = Field(description="The sentence of the paragraph that best answers.")
    score: float
    source: str = Field(description="The source file of the document.")
    paragraph: int
    part: int = Field(1, description="Which part of the paragraph the text is (1 if whole).")
    parts: int = Field(1, description="How many parts the paragraph is quoted in (1: whole).")
    section: str | None
    document_title: str
    document_date: str | None = None
    language: str | None = None


SHARED_FIELDS = tuple(
    name for name in QuotedPassage.model_fields if name in Passage.__dataclass_fields__
)
"""The fields a QuotedPassage takes from the library's Passage as they are (same name, same
meaning): citation, text, highlight, score, source, paragraph, section."""


def quoted(passage: Passage, document: dict[str, Any]) -> QuotedPassage:
    """A library Passage as MCP returns it: its own fields, with its document's title, date and
    language (the passage's own date and language first)."""
    return QuotedPassage(
        **{name: getattr(passage, name) for name in SHARED_FIELDS},
        document_title=document.get("title") or passage.doc,
        document_date=passage.date or document.get("date"),
        language=passage.lang or document.get("lang"),
    )


class SearchResult(BaseModel):
    question: str
    confident: bool = Field(description="False when nothing in the documents answers it.")
    notice: str | None = Field(description="Set when the passages do not answer the question.")
    passages: list[QuotedPassage]


class DocumentInfo(BaseModel):
    title: str
    source: str
    language: str | None = None
    date: str | None = None
    paragraphs: int


class DocumentList(BaseModel):
    documents: list[DocumentInfo]


class Neighbour(BaseModel):
    paragraph: int
    part: int = 1
    parts: int = 1
    section: str | None
    citation: str
    text: str


class ParagraphInContext(BaseModel):
    citation: str
    source: str
    document_title: str
    section: str | None
    paragraph: int
    part: int = Field(1, description="Which part of the paragraph the text is (1 if whole).")
    parts: int = Field(1, description="How many parts the paragraph is quoted in (1: whole).")
    paragraphs: int = Field(description="How many paragraphs the document has.")
    text: str
    previous: Neighbour | None = Field(description="The paragraph (or part) before it.")
    next: Neighbour | None = Field(description="The paragraph (or part) after it.")


# -- the tools' logic, independent of the transport ------------------------------------------


class CitedSearch:
    """The three tools over one loaded ``Assistant`` (filters are the library's own)."""

    def __init__(self, assistant: Assistant):
        self.assistant = assistant
        self._counts_lock = threading.Lock()
        self._counts_key: object = None
        self._counts: dict[str, int] = {}

    def refresh(self) -> None:
        """Before every call, the index health check the web chat and the command line make
        (``Assistant.reload``): a rebuilt index is picked up, a broken new build keeps the
        intact old one, and a served index that is damaged, truncated or deleted raises its
        one-line IndexMismatchError / IndexNotFoundError, which the tool returns as its error.
        It runs before any read of a memory-mapped file: a truncated one is refused, not read
        (that read would kill the process with SIGBUS)."""
        if self.assistant.reload():
            log.info("switched to a newer index generation")

    # -- documents ---------------------------------------------------------------------------

    def _documents(self) -> dict[str, dict[str, Any]]:
        return {d["source"]: d for d in self.assistant.documents}

    def _paragraph_counts(self) -> dict[str, int]:
        """Paragraphs per source, counted once per index generation."""
        manifest = self.assistant.manifest
        key = (manifest.get("built_at"), str(manifest.get("counts")), id(self.assistant.documents))
        with self._counts_lock:
            if key != self._counts_key:
                self._counts = {
                    source: len({p["paragraph"] for p in self.assistant.document_passages(source)})
                    for source in self._documents()
                }
                self._counts_key = key
            return self._counts

    def resolve_document(self, name: object, argument: str = "document") -> dict[str, Any]:
        """The document whose source (or, failing that, title) is ``name``."""
        documents = self._documents()
        if not isinstance(name, str) or not name.strip():
            raise InputError(f"{argument} must be a document's source or title (text)")
        name = name.strip()
        if name in documents:
            return documents[name]
        titled = [d for d in documents.values() if d.get("title") == name]
        if len(titled) == 1:
            return titled[0]
        listed = sorted(documents)[:MAX_LISTED_CHOICES]
        more = " …" if len(documents) > len(listed) else ""
        if titled:
            sources = ", ".join(d["source"] for d in titled[:MAX_LISTED_CHOICES])
            raise InputError(f"several documents are titled {name!r}; give a source: {sources}")
        raise InputError(
            f"unknown {argument} {name!r}; the documents are: {', '.join(listed)}{more} "
            "(see list_documents)"
        )

    def list_documents(self) -> DocumentList:
        self.refresh()
        counts = self._paragraph_counts()
        return DocumentList(
            documents=[
                DocumentInfo(
                    title=d.get("title") or d["source"],
                    source=d["source"],
                    language=d.get("lang"),
                    date=d.get("date"),
                    paragraphs=counts.get(d["source"], 0),
                )
                for d in self.assistant.documents
            ]
        )

    # -- search ------------------------------------------------------------------------------

    def search(
        self,
        question: object,
        k: object = DEFAULT_K,
        language: object = None,
        document: object = None,
    ) -> SearchResult:
        clean_question(question)  # checked first: its error is the one to see
        k = check_k(k)
        self.refresh()
        source = self.resolve_document(document)["source"] if document is not None else None
        answer = self.assistant.ask(question, k=k, language=language, source=source)
        documents = self._documents()
        passages = [quoted(p, documents.get(p.source, {})) for p in answer.passages]
        notices = [answer.notice] if answer.notice else []
        if not answer.confident:
            notices.append(NOT_FOUND_NOTICE)
        if not passages and (language or source):
            notices.append("No passage matches the language or document asked for.")
        return SearchResult(
            question=answer.question,
            confident=answer.confident and bool(passages),
            notice=" ".join(notices) or None,
            passages=passages,
        )

    # -- one paragraph -----------------------------------------------------------------------

    def get_paragraph(
        self, source: object, paragraph: object, part: object = 1
    ) -> ParagraphInContext:
        """One passage (a paragraph, or one part of a long one) with the passages before and
        after it: never more than three passages, however long the paragraph."""
        self.refresh()
        document = self.resolve_document(source, "source")
        passages = self.assistant.document_passages(document["source"])
        count = max((int(p["paragraph"]) for p in passages), default=1)
        number = check_whole_number(paragraph, "paragraph", 1, count)
        positions = [i for i, p in enumerate(passages) if p["paragraph"] == number]
        if not positions:
            raise InputError(f"paragraph {number} is not in {document['source']}")
        wanted = check_whole_number(part, "part", 1, len(positions))
        position = positions[wanted - 1]

        def neighbour(at: int) -> Neighbour | None:
            if not 0 <= at < len(passages):
                return None
            p = passages[at]
            return Neighbour(
                paragraph=p["paragraph"],
                part=p.get("part", 1),
                parts=p.get("parts", 1),
                section=p["section"],
                citation=p["citation"],
                text=p["text"],
            )

        cited = passages[position]
        return ParagraphInContext(
            citation=cited["citation"],
            source=document["source"],
            document_title=document.get("title") or cited["doc"],
            section=cited["section"],
            paragraph=number,
            part=cited.get("part", 1),
            parts=cited.get("parts", 1),
            paragraphs=len({p["paragraph"] for p in passages}),
            text=cited["text"],
            previous=neighbour(position - 1),
            next=neighbour(position + 1),
        )


# -- plain-text renderings (what a model reads first) ----------------------------------------


def render_search(result: SearchResult) -> str:
    """Each passage as its citation, then the quotation; the notice first when there is one."""
    lines = []
    if result.notice:
        lines += [f"Note: {result.notice}", ""]
    for rank, p in enumerate(result.passages, start=1):
        lines.append(f"[{rank}] {p.citation} — {p.source} (score {p.score:.3f})")
        lines.append(f"「{p.text}」")
        lines.append(f"Answering sentence: {p.highlight}")
        lines.append("")
    return "\n".join(lines).rstrip()


def render_documents(result: DocumentList) -> str:
    return "\n".join(
        f"{d.title} — source {d.source}; language {d.language or 'unknown'}; "
        f"date {d.date or 'unknown'}; {d.paragraphs} paragraphs"
        for d in result.documents
    )


def render_paragraph(result: ParagraphInContext) -> str:
    lines = []
    if result.previous:
        lines += [f"(before) {result.previous.citation}", f"「{result.previous.text}」", ""]
    lines += [f"{result.citation} — {result.source}", f"「{result.text}」"]
    if result.next:
        lines += ["", f"(after) {result.next.citation}", f"「{result.next.text}」"]
    return "\n".join(lines)


def _result(model: BaseModel, text: str) -> CallToolResult:
    return CallToolResult(
        content=[TextContent(type="text", text=text)],
        structured_content=model.model_dump(mode="json"),
    )


# -- the MCP server ----------------------------------------------------------------------------


def create_server(assistant: Assistant) -> MCPServer:
    """An ``MCPServer`` with the three tools over ``assistant``."""
    tools = CitedSearch(assistant)
    server = MCPServer(SERVER_NAME, instructions=INSTRUCTIONS, log_level="WARNING")
    read_only = ToolAnnotations(read_only_hint=True, idempotent_hint=True, open_world_hint=False)

    def answer(render: Callable[[Any], str], compute: Callable[[], BaseModel]) -> CallToolResult:
        try:
            result = compute()
        except AssistantError as exc:  # the caller's to fix: one line, as on the command line
            raise ToolError(str(exc)) from exc
        return _result(result, render(result))

    @server.tool(title="Search the documents (quoted passages)", annotations=read_only)
    def search_documents(
        question: QuestionArg,
        k: KArg = DEFAULT_K,
        language: LanguageArg = None,
        document: DocumentArg = None,
    ) -> Annotated[CallToolResult, SearchResult]:
        """Find the paragraphs of the documents that answer a question and quote them verbatim,
        best first, each with its citation (document title, ¶ paragraph number, section) and the
        answering sentence. The passages are quotations from the source, not summaries: quote
        them with their citation. When `confident` is false nothing in the documents answers the
        question and `notice` says so."""
        return answer(render_search, lambda: tools.search(question, k, language, document))

    @server.tool(title="List the documents", annotations=read_only)
    def list_documents() -> Annotated[CallToolResult, DocumentList]:
        """List the documents that search_documents quotes from: title, source, language, date
        and number of paragraphs."""
        return answer(render_documents, tools.list_documents)

    @server.tool(title="Read a cited paragraph in context", annotations=read_only)
    def get_paragraph(
        source: SourceArg, paragraph: ParagraphArg, part: PartArg = 1
    ) -> Annotated[CallToolResult, ParagraphInContext]:
        """Quote one paragraph of a document verbatim (the ¶ of a citation; of a paragraph
        cited in parts, the part asked for) with the paragraphs (or parts) before and after it
        and its section heading, for context. Text is quoted, not summarised."""
        return answer(render_paragraph, lambda: tools.get_paragraph(source, paragraph, part))

    return server


def http_app_kwargs(
    assistant: Assistant, host: str = "127.0.0.1", path: str = HTTP_PATH
) -> dict[str, Any]:
    """FastAPI arguments that add the tools' streamable-HTTP endpoint at ``path`` to another app
    (the web chat passes them to Gradio's ``launch(app_kwargs=...)``): its route, and a lifespan
    that runs the SDK's session manager. On a loopback ``host`` the SDK also refuses requests
    whose Host or Origin header is not local (DNS rebinding protection)."""
    server = create_server(assistant)
    app = server.streamable_http_app(streamable_http_path=path, stateless_http=True, host=host)

    @contextlib.asynccontextmanager
    async def lifespan(_app: Any):
        async with server.session_manager.run():
            yield

    return {"routes": list(app.routes), "lifespan": lifespan}


def run_stdio(index_dir: str | None) -> None:
    """Load the index once and serve the tools on stdin/stdout (what ``assistant mcp`` runs)."""
    with contextlib.redirect_stdout(sys.stderr):  # stdout carries the protocol, nothing else
        assistant = (
            Assistant.load(index_dir) if index_dir else Assistant.load(progress=print_progress)
        )
    assistant.prepare_in_background()
    create_server(assistant).run("stdio")
