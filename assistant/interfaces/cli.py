"""The ``assistant`` command: build · ask · timeline · eval · serve · mcp.

Every error the user can fix prints one line on stderr and exits with status 2; heavy libraries
(torch, FAISS, Gradio) are imported only by the commands that need them.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import warnings
from typing import Any

EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2, as for every other bad input
        print(f"{self.prog}: error: {message} (see {self.prog} --help)", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="assistant",
        description=(
            "Ask questions about a body of text and get the passages that answer them, "
            "each with a citation to its paragraph."
        ),
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log details to stderr")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    _add_build(commands)
    _add_ask_and_eval(commands)
    _add_servers(commands)
    return parser


def _add_build(commands: Any) -> None:
    build = commands.add_parser("build", help="(re)build the index from files and folders")
    build.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="files, folders or http(s) URLs of .txt/.md/.html/.pdf/.docx (default: corpus/)",
    )
    build.add_argument("--index", metavar="DIR", help="index directory (default: index/)")
    build.add_argument(
        "--model",
        metavar="NAME",
        help="built-in multilingual-e5-small (default; ONNX fp32), multilingual-e5-small-int8 "
        "(faster, less exact), multilingual-e5-small-torch, use-multilingual (Google's USE "
        "multilingual v3: fast, weaker), or a sentence-transformers model name or folder",
    )
    build.add_argument(
        "--wait",
        action="store_true",
        help="wait for another build of the same index instead of stopping",
    )
    build.add_argument(
        "--ray",
        nargs="?",
        const="",
        metavar="ADDRESS",
        help="embed on a Ray cluster: auto, ray://HOST:PORT or HOST:PORT; without ADDRESS a "
        "local Ray instance is started (needs the cluster extra: pip install -e '.[cluster]')",
    )
    build.add_argument(
        "--ray-actors", type=int, metavar="N", help="encoder actors (default: one per CPU)"
    )
    build.add_argument(
        "--ray-batch-size", type=int, metavar="N", help="texts per Ray batch (default 64)"
    )


def _add_ask_and_eval(commands: Any) -> None:
    ask = commands.add_parser("ask", help="answer a question with cited passages")
    ask.add_argument("question", help="the question, or - to read it from standard input")
    ask.add_argument("--k", type=int, default=3, help="passages to show (default 3)")
    ask.add_argument("--json", action="store_true", help="print JSON")
    ask.add_argument("--index", metavar="DIR", help="index directory (default: index/)")
    ask.add_argument(
        "--after",
        action="append",
        metavar="QUESTION",
        help="an earlier question of the conversation (repeat, oldest first): the question is "
        "read as its follow-up",
    )
    _add_filters(ask)

    timeline = commands.add_parser(
        "timeline", help="what each statement said about a topic, in date order, with changes"
    )
    timeline.add_argument("question", help="the topic or question, or - to read it from stdin")
    timeline.add_argument("--json", action="store_true", help="print JSON")
    timeline.add_argument("--index", metavar="DIR", help="index directory (default: index/)")
    _add_filters(timeline, document=False)

    evaluate = commands.add_parser(
        "eval",
        help="hit@1, hit@3 and MRR over a JSONL question set (recall and precision for a "
        "timeline set)",
    )
    evaluate.add_argument("questions", metavar="QUESTIONS.jsonl")
    evaluate.add_argument("--k", type=int, default=3)
    evaluate.add_argument("--index", metavar="DIR")
    evaluate.add_argument(
        "--mode",
        choices=("dense", "lexical", "hybrid"),
        default=None,
        help="retrieval arm to measure (default: hybrid)",
    )
    evaluate.add_argument("--json", action="store_true", help="print JSON")


def _add_servers(commands: Any) -> None:
    serve = commands.add_parser("serve", help="start the web chat")
    serve.add_argument("--index", metavar="DIR")
    serve.add_argument(
        "--host", type=_host, default="127.0.0.1", help="bind address (default 127.0.0.1)"
    )
    serve.add_argument("--port", type=_port, default=7860, help="1-65535 (default 7860)")
    serve.add_argument(
        "--allow-upload",
        action="store_true",
        help="let visitors add .txt/.md/.html/.pdf/.docx documents to the index",
    )
    serve.add_argument(
        "--full-paths",
        action="store_true",
        help="show each source's full path on this machine (default: relative to its folder)",
    )
    serve.add_argument(
        "--mcp",
        action="store_true",
        help="also serve the MCP tools (cited search for AI assistants) at /mcp (streamable HTTP)",
    )

    mcp = commands.add_parser(
        "mcp", help="serve cited search to AI assistants as MCP tools over stdio"
    )
    mcp.add_argument("--index", metavar="DIR", help="index directory (default: index/)")


def _port(value: str) -> int:
    """argparse type: a TCP port number."""
    if not value.isdigit() or not 1 <= int(value) <= 65535:
        raise argparse.ArgumentTypeError(f"--port must be a number from 1 to 65535, not {value!r}")
    return int(value)


def _host(value: str) -> str:
    """argparse type: an IPv4 address or a host name of this machine (the web server cannot
    bind IPv6 addresses)."""
    import ipaddress
    import socket

    try:
        address = ipaddress.ip_address(value.strip("[]"))
    except ValueError:
        try:
            socket.getaddrinfo(value, None, socket.AF_INET)
        except (OSError, UnicodeError):
            raise argparse.ArgumentTypeError(
                f"--host {value!r} is not an address or a known host name; use 127.0.0.1 "
                "(this machine only), 0.0.0.0 (every interface) or an IPv4 address"
            ) from None
        return value
    if address.version != 4:
        raise argparse.ArgumentTypeError(
            f"--host {value!r} is IPv6, which is not supported; use 127.0.0.1 (this machine "
            "only), 0.0.0.0 (every interface) or an IPv4 address"
        )
    return str(address)


def _add_filters(command: argparse.ArgumentParser, document: bool = True) -> None:
    """--lang, --doc, --since, --until: which passages may answer."""
    command.add_argument(
        "--lang", metavar="LANG", help="only passages in this language (ja, en, ko)"
    )
    if document:
        command.add_argument("--doc", metavar="FILE", help="only this document (path or file name)")
    command.add_argument(
        "--since", metavar="DATE", help="only documents dated on/after YYYY[-MM[-DD]]"
    )
    command.add_argument(
        "--until", metavar="DATE", help="only documents dated on/before YYYY[-MM[-DD]]"
    )


def _filters(args: argparse.Namespace) -> dict[str, str | None]:
    """The filters of ``ask``; the dates are checked here, before the model loads."""
    from assistant.api import check_date

    check_date(args.since, "--since date")
    check_date(args.until, "--until date")
    return {
        "language": args.lang,
        "source": getattr(args, "doc", None),
        "date_from": args.since,
        "date_to": args.until,
    }


def _configure_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(levelname)s: %(message)s",
        stream=sys.stderr,
    )
    if not verbose:
        for noisy in ("sentence_transformers", "transformers", "httpx", "faiss"):
            logging.getLogger(noisy).setLevel(logging.ERROR)
        warnings.filterwarnings("ignore")
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    # What the library logs about building the default index is news to the user: plain lines.
    building = logging.getLogger("assistant.api")
    building.setLevel(logging.INFO)
    building.propagate = False
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    building.addHandler(handler)


def _load(index: str | None):
    from assistant import Assistant
    from assistant.interfaces.console import print_progress

    if not index:  # the default index is (re)built when missing or stale
        return Assistant.load(progress=print_progress)
    return Assistant.load(index)  # a missing or damaged index fails before the model loads


def _require_mcp() -> None:
    """The MCP SDK is an optional extra: say how to install it instead of a traceback."""
    import importlib.util

    from assistant.errors import AssistantError

    if importlib.util.find_spec("mcp") is None:
        raise AssistantError(
            'the MCP server needs the mcp package: .venv/bin/pip install -e ".[mcp]"'
        )


def _print_answer(answer, as_json: bool, shown_source: Any = str) -> None:
    if as_json:
        from assistant.answer.links import paragraph_link

        data = answer.to_dict()
        for passage in data["passages"]:  # opens the paragraph in a chat serving this index
            passage["link"] = paragraph_link(shown_source(passage["source"]), passage["paragraph"])
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return
    if answer.context:
        print(answer.context["read_as"])
    if not answer.confident:
        why = f" {answer.notice}" if answer.notice else ""
        print(f"Nothing in the documents seems to answer this.{why} Closest passages:\n")
    for rank, passage in enumerate(answer.passages, start=1):
        about = "".join(f"{x}, " for x in (passage.lang, passage.date) if x)
        print(f"[{rank}] {passage.citation}  ({about}score {passage.score:.3f})")
        print(f"    source: {passage.source}")
        print(f"    answer: {passage.highlight}")
        print(f"    {passage.text}\n")


def _marked(diff: list[dict[str, str]]) -> str:
    """A diff as text, changes visible without colour: ``[-dropped-]`` and ``{+added+}``."""
    marks = {"equal": "{}", "delete": "[-{}-]", "insert": "{{+{}+}}"}
    return "".join(marks[piece["op"]].format(piece["text"]) for piece in diff)


def _print_timeline(timeline, as_json: bool) -> None:
    if as_json:
        print(json.dumps(timeline.to_dict(), ensure_ascii=False, indent=2))
        return
    addressing = len(timeline.addressing)
    print(f"{timeline.question}: {addressing} of {len(timeline.entries)} statements address it")
    if timeline.notice:
        print(timeline.notice)
    for entry in timeline.entries:
        date = entry.date or "undated"
        if not entry.addresses:
            print(f"\n{date:<10}  {entry.title}: does not address it")
            continue
        languages = ", ".join(v["lang"] or "?" for v in entry.versions)
        also = f"; also in {languages}" if languages else ""
        print(f"\n{date:<10}  {entry.citation}  ({entry.lang}{also})")
        print(f"    source: {entry.source}")
        print(f"    answer: {entry.highlight}")
        if entry.diff is None:
            print(f"    {entry.text}")
        else:
            print(f"    changes from the previous statement in {entry.lang}:")
            print(f"    {_marked(entry.diff)}")


def _ray_settings(args: argparse.Namespace):
    """How to send a build's embedding to Ray, when ``--ray`` was given (else None)."""
    if args.ray is None:
        if args.ray_actors is not None or args.ray_batch_size is not None:
            from assistant.errors import InputError

            raise InputError("--ray-actors and --ray-batch-size need --ray [ADDRESS]")
        return None
    from assistant.encoding.cluster import DEFAULT_BATCH_SIZE, RaySettings, parse_address

    return RaySettings(
        address=parse_address(args.ray),
        actors=args.ray_actors,
        batch_size=args.ray_batch_size or DEFAULT_BATCH_SIZE,
    )


def _question_argument(value: str) -> str:
    """The question given, or standard input for ``-``: a long question does not fit in one
    argument (Linux caps each at 128 KiB). Bytes that are not UTF-8 become lone surrogates, as
    in arguments, and are dropped."""
    if value == "-":
        return sys.stdin.buffer.read().decode("utf-8", errors="surrogateescape")
    return value


def _run(args: argparse.Namespace) -> int:
    from assistant.api import check_k, clean_question

    if args.command == "build":
        from assistant.api import build_index, default_corpus_dir
        from assistant.interfaces.console import print_progress

        report = build_index(
            args.paths or [default_corpus_dir()],
            args.index,
            args.model,
            progress=print_progress,
            wait=None if args.wait else 0,
            ray=_ray_settings(args),
        )
        print(report.summary())
        return 0
    if args.command in ("ask", "eval"):
        check_k(args.k, "--k")
    if args.command == "ask":
        question = _question_argument(args.question)
        _, notice = clean_question(question)  # fail fast, before loading the model
        filters = _filters(args)
        if notice:
            print(f"note: {notice}", file=sys.stderr)
        qa = _load(args.index)
        answer = qa.ask(question, k=args.k, history=args.after, **filters)
        _print_answer(answer, args.json, qa.shown_source)
        return 0
    if args.command == "timeline":
        question = _question_argument(args.question)
        _, notice = clean_question(question)  # fail fast, before loading the model
        if notice:
            print(f"note: {notice}", file=sys.stderr)
        filters = _filters(args)
        filters.pop("source")
        _print_timeline(_load(args.index).timeline(question, **filters), args.json)
        return 0
    if args.command == "eval":
        from assistant import evaluate as grading

        rows = grading.read_questions(args.questions)
        if grading.is_timeline_set(rows):
            summary = grading.evaluate_timeline(_load(args.index), rows)
            table = grading.format_timeline_table
        else:
            summary = grading.evaluate(_load(args.index), rows, k=args.k, mode=args.mode)
            table = grading.format_table
        print(json.dumps(summary, ensure_ascii=False, indent=2) if args.json else table(summary))
        return 0
    if args.command == "serve":
        from ui.app import serve

        if args.mcp:
            _require_mcp()
        serve(
            index_dir=args.index,
            host=args.host,
            port=args.port,
            allow_upload=args.allow_upload,
            full_paths=args.full_paths,
            mcp=args.mcp,
        )
        return 0
    if args.command == "mcp":
        _require_mcp()
        from assistant.interfaces.mcp_server import run_stdio

        run_stdio(args.index)
        return 0
    raise AssertionError(args.command)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    _configure_logging(args.verbose)
    from assistant.errors import AssistantError

    try:
        return _run(args)
    except AssistantError as exc:
        print(f"assistant: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("assistant: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `assistant ask ... | head`: the reader has all it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no error at exit
        return 0
    except OSError as exc:  # disk full, permission denied: one line, no traceback
        from pathlib import Path

        from assistant.durable import STORAGE_ERRNOS, storage_error

        stored = exc.errno in STORAGE_ERRNOS and exc.filename
        error = storage_error(exc, Path(exc.filename)) if stored else None
        print(f"assistant: error: {error or exc}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
