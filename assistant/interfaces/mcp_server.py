"""The assistant's cited search as Model Context Protocol tools, for AI assistants.

Four tools, built on the official ``mcp`` SDK's ``MCPServer`` and the public ``Assistant`` API:
``search_documents`` (quoted passages with citations), ``topic_timeline`` (what each statement
said about a topic, in date order, with the wording changes), ``list_documents`` and
``get_paragraph``.
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
from pydantic import BaseModel, Field, ValidationError, WithJsonSchema

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
HistoryArg = Annotated[
    Any,
    WithJsonSchema(
        {
            "anyOf": [{"type": "array", "items": {"type": "string"}}, {"type": "null"}],
            "default": None,
        }
    ),
    Field(description="Earlier questions of the conversation, oldest first (for a follow-up)."),
]
DateArg = Annotated[
    Any,
    WithJsonSchema({"anyOf": [{"type": "string"}, {"type": "null"}], "default": None}),
    Field(description="A date as YYYY, YYYY-MM or YYYY-MM-DD (inclusive)."),
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


def quoted(passage: Passage, document: dict[str, Any], source: str) -> QuotedPassage:
    """A library Passage as MCP returns it: its own fields, with its document's title, date and
    language (the passage's own date and language first) and ``source`` as clients see it."""
    return QuotedPassage(
        **{name: getattr(passage, name) for name in SHARED_FIELDS if name != "source"},
        source=source,
        document_title=document.get("title") or passage.doc,
        document_date=passage.date or document.get("date"),
        language=passage.lang or document.get("lang"),
    )


class SearchResult(BaseModel):
    question: str
    confident: bool = Field(description="False when nothing in the documents answers it.")
    notice: str | None = Field(description="Set when the passages do not answer the question.")
    read_as: str | None = Field(
        default=None,
        description="How a follow-up was read, when `history` gave it context (else null).",
    )
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


class TimelineVersion(BaseModel):
    language: str | None
    source: str
    paragraph: int
    text: str


class WordChange(BaseModel):
    op: str = Field(description="equal, delete (in the previous entry only) or insert (new).")
    text: str


class TimelineEntryModel(BaseModel):
    date: str | None
    addresses: bool = Field(description="False when the statement does not address the topic.")
    citation: str
    source: str
    paragraph: int
    language: str | None
    document_title: str
    text: str = Field(description="The paragraph exactly as it stands in the source.")
    highlight: str
    versions: list[TimelineVersion]
    changes: list[WordChange] | None = Field(
        description="Word changes from the previous addressing entry in the same language."
    )


class TimelineResult(BaseModel):
    question: str
    notice: str | None
    entries: list[TimelineEntryModel]


# -- the tools' logic, independent of the transport ------------------------------------------


class CitedSearch:
    """The four tools over one loaded ``Assistant`` (filters are the library's own). Sources
    and error messages name documents as the web chat does (relative to the indexed folder,
    the index folder by its name) unless ``full_paths``: no absolute path of the server's
    reaches a client."""

    def __init__(self, assistant: Assistant, full_paths: bool = False):
        self.assistant = assistant
        self.full_paths = full_paths
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

    def shown(self, source: str) -> str:
        """A source as the client sees it (Assistant.shown_source)."""
        return self.assistant.shown_source(source, self.full_paths)

    def public(self, error: AssistantError) -> str:
        """An error's line as the client sees it (Assistant.public_message)."""
        return self.assistant.public_message(error, self.full_paths)

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
        """The document whose source (as shown, or as indexed) or, failing that, title is
        ``name``."""
        documents = self._documents()
        if not isinstance(name, str) or not name.strip():
            raise InputError(f"{argument} must be a document's source or title (text)")
        name = name.strip()
        if name in documents:
            return documents[name]
        shown = {self.shown(source): d for source, d in documents.items()}
        if name in shown:
            return shown[name]
        titled = [d for d in documents.values() if d.get("title") == name]
        if len(titled) == 1:
            return titled[0]
        listed = sorted(shown)[:MAX_LISTED_CHOICES]
        more = " …" if len(documents) > len(listed) else ""
        if titled:
            sources = ", ".join(self.shown(d["source"]) for d in titled[:MAX_LISTED_CHOICES])
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
                    title=d.get("title") or self.shown(d["source"]),
                    source=self.shown(d["source"]),
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
        history: object = None,
    ) -> SearchResult:
        clean_question(question)  # checked first: its error is the one to see
        k = check_k(k)
        self.refresh()
        source = self.resolve_document(document)["source"] if document is not None else None
        answer = self.assistant.ask(
            question, k=k, language=language, source=source, history=history
        )
        documents = self._documents()
        passages = [
            quoted(p, documents.get(p.source, {}), self.shown(p.source)) for p in answer.passages
        ]
        notices = [answer.notice] if answer.notice else []
        if not answer.confident:
            notices.append(NOT_FOUND_NOTICE)
        if not passages and (language or source):
            notices.append("No passage matches the language or document asked for.")
        return SearchResult(
            question=answer.question,
            confident=answer.confident and bool(passages),
            notice=" ".join(notices) or None,
            read_as=answer.context["read_as"] if answer.context else None,
            passages=passages,
        )

    # -- timeline ----------------------------------------------------------------------------

    def timeline(
        self, question: object, language: object = None, since: object = None, until: object = None
    ) -> TimelineResult:
        clean_question(question)  # checked first: its error is the one to see
        self.refresh()
        found = self.assistant.timeline(question, language=language, date_from=since, date_to=until)
        return TimelineResult(
            question=found.question,
            notice=found.notice,
            entries=[
                TimelineEntryModel(
                    date=e.date,
                    addresses=e.addresses,
                    citation=e.citation,
                    source=self.shown(e.source),
                    paragraph=e.paragraph,
                    language=e.lang,
                    document_title=e.title,
                    text=e.text,
                    highlight=e.highlight,
                    versions=[
                        TimelineVersion(
                            language=v["lang"],
                            source=self.shown(v["source"]),
                            paragraph=v["paragraph"],
                            text=v["text"],
                        )
                        for v in e.versions
                    ],
                    changes=None if e.diff is None else [WordChange(**c) for c in e.diff],
                )
                for e in found.entries
            ],
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
            raise InputError(f"paragraph {number} is not in {self.shown(document['source'])}")
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
            source=self.shown(document["source"]),
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
    if result.read_as:
        lines += [result.read_as, ""]
    if result.notice:
        lines += [f"Note: {result.notice}", ""]
    for rank, p in enumerate(result.passages, start=1):
        lines.append(f"[{rank}] {p.citation} — {p.source} (score {p.score:.3f})")
        lines.append(f"「{p.text}」")
        lines.append(f"Answering sentence: {p.highlight}")
        lines.append("")
    return "\n".join(lines).rstrip()


def render_timeline(result: TimelineResult) -> str:
    """Addressing entries in date order, each its citation, quotation and changes marked
    ``[-dropped-]{+added+}``; the others one line each."""
    marks = {"equal": "{}", "delete": "[-{}-]", "insert": "{{+{}+}}"}
    lines = [f"Note: {result.notice}", ""] if result.notice else []
    for e in result.entries:
        when = e.date or "undated"
        if not e.addresses:
            lines.append(f"{when} — {e.document_title}: does not address this topic")
            continue
        lines += [f"{when} — {e.citation} — {e.source}", f"「{e.text}」"]
        if e.changes:
            changed = "".join(marks[c.op].format(c.text) for c in e.changes)
            lines.append(f"Changes from the previous statement: {changed}")
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


def allowed_value(schema: dict[str, Any]) -> str:
    """What an argument's JSON Schema allows, in words: ``a whole number from 1 to 50``."""
    kinds = [option.get("type") for option in schema.get("anyOf", [schema])]
    words = {"string": "text", "integer": "a whole number", "null": "null"}
    allowed = " or ".join(words.get(str(kind), str(kind)) for kind in kinds)
    low, high = schema.get("minimum"), schema.get("maximum")
    if low is not None and high is not None:
        allowed += f" from {low} to {high}"
    elif low is not None:
        allowed += f", at least {low}"
    return allowed


def argument_error(tool: str, schema: dict[str, Any], arguments: object, error: Any) -> str:
    """One line for arguments that do not fit a tool's input schema (the SDK's pydantic message
    spans lines and echoes the input): each missing or invalid argument by name with what it
    allows, and any unknown argument names with the ones the tool takes."""
    properties: dict[str, Any] = schema.get("properties", {})
    problems = []
    kinds: dict[str, str] = {}
    for e in error.errors():
        if e.get("loc"):
            name = str(e["loc"][0])
            kinds[name] = "missing" if e["type"] == "missing" else kinds.get(name, "invalid")
    for name, kind in kinds.items():
        field = properties.get(name, {})
        about = f" ({allowed_value(field)})" if field else ""
        described = f": {field['description'].rstrip('.')}" if field.get("description") else ""
        problems.append(f"{kind} argument {name!r}{about}{described}")
    given = arguments if isinstance(arguments, dict) else {}
    unknown = [str(name) for name in given if name not in properties]
    if unknown:
        problems.append(
            f"unknown argument {', '.join(map(repr, unknown))}; {tool} takes "
            + (", ".join(properties) or "no arguments")
        )
    return f"Error executing tool {tool}: " + "; ".join(problems or ["invalid arguments"])


class CitedSearchServer(MCPServer):
    """The SDK's server, with its one multi-line message (arguments that fail the tool's input
    schema: a missing ``question``) turned into one line like every other tool error."""

    async def call_tool(self, name: str, arguments: dict[str, Any], context: Any = None) -> Any:
        try:
            return await super().call_tool(name, arguments, context)
        except ToolError as exc:
            cause = exc.__cause__
            tool = self._tool_manager.get_tool(name)
            if not isinstance(cause, ValidationError) or tool is None:
                raise
            raise ToolError(argument_error(name, tool.parameters, arguments, cause)) from cause


def create_server(assistant: Assistant, full_paths: bool = False) -> MCPServer:
    """An ``MCPServer`` with the four tools over ``assistant`` (sources shown as CitedSearch
    shows them)."""
    tools = CitedSearch(assistant, full_paths)
    server = CitedSearchServer(SERVER_NAME, instructions=INSTRUCTIONS, log_level="WARNING")
    read_only = ToolAnnotations(read_only_hint=True, idempotent_hint=True, open_world_hint=False)

    def answer(render: Callable[[Any], str], compute: Callable[[], BaseModel]) -> CallToolResult:
        try:
            result = compute()
        except AssistantError as exc:  # the caller's to fix: one line, as on the command line
            raise ToolError(tools.public(exc)) from exc
        return _result(result, render(result))

    @server.tool(title="Search the documents (quoted passages)", annotations=read_only)
    def search_documents(
        question: QuestionArg,
        k: KArg = DEFAULT_K,
        language: LanguageArg = None,
        document: DocumentArg = None,
        history: HistoryArg = None,
    ) -> Annotated[CallToolResult, SearchResult]:
        """Find the paragraphs of the documents that answer a question and quote them verbatim,
        best first, each with its citation (document title, ¶ paragraph number, section) and the
        answering sentence. The passages are quotations from the source, not summaries: quote
        them with their citation. When `confident` is false nothing in the documents answers the
        question and `notice` says so. For a follow-up in a conversation, pass the earlier
        questions as `history`: it is then read in their context (`read_as` says how)."""
        return answer(render_search, lambda: tools.search(question, k, language, document, history))

    @server.tool(title="Topic timeline across the statements", annotations=read_only)
    def topic_timeline(
        question: QuestionArg,
        language: LanguageArg = None,
        since: DateArg = None,
        until: DateArg = None,
    ) -> Annotated[CallToolResult, TimelineResult]:
        """What each statement said about a topic, in date order: one entry per statement
        (language versions are one), its best paragraph on the topic quoted verbatim with its
        citation, whether it addresses the topic at all (`addresses`), and the word changes
        from the previous addressing statement in the same language. Quote entries with their
        citation; do not present a statement whose `addresses` is false as speaking to it."""
        return answer(render_timeline, lambda: tools.timeline(question, language, since, until))

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
    assistant: Assistant,
    host: str = "127.0.0.1",
    path: str = HTTP_PATH,
    full_paths: bool = False,
) -> dict[str, Any]:
    """FastAPI arguments that add the tools' streamable-HTTP endpoint at ``path`` to another app
    (the web chat passes them to Gradio's ``launch(app_kwargs=...)``): its route, and a lifespan
    that runs the SDK's session manager. On a loopback ``host`` the SDK also refuses requests
    whose Host or Origin header is not local (DNS rebinding protection). ``full_paths`` is the
    web chat's ``--full-paths``: sources shown as on this machine."""
    server = create_server(assistant, full_paths)
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
