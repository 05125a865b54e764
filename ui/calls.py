"""Calls Gradio would mishandle, refused with one line before Gradio reads them.

* A function the page does not have: Gradio looks a call's ``fn_index`` up without checking it,
  so ``{"fn_index": 99}`` sent to ``/gradio_api/queue/join`` (or ``/run/``, ``/api/``,
  ``/call/``) raised a KeyError: an HTTP 500 and a traceback in the log for every such request.
* A file in a call: Gradio copies any ``gradio.FileData`` it finds in a call's arguments into its
  cache, downloading it when its path is a URL, even for a text box. No call of this app takes a
  file except the upload panel's, so a call carrying one is refused while uploads are off, and
  one naming a file by URL at any time.

A call's body is read once (at most MAX_CALL_BYTES; one that says it is larger is refused
before it is sent) and handed on unchanged when it passes.
"""

from __future__ import annotations

import json
import re
from typing import Any

CALL_ROUTES = re.compile(r"/gradio_api/(?:queue/join|run/|api/|call/)")
"""The routes whose JSON body may carry an ``fn_index`` that Gradio looks up unchecked."""
GRADIO_ROUTES = "/gradio_api/"
"""Where Gradio takes calls (every POST there but the uploads' may name a file); other routes,
such as the MCP endpoint, never copy files."""
UPLOAD_ROUTES = ("/upload", "/process_recording")
MAX_CALL_BYTES = 1024 * 1024
"""A call's JSON: a question is at most a few thousand characters and a batch of uploads ten
file references, so a megabyte is generous."""
_WHOLE_NUMBER = re.compile(r"\s*-?\d+\s*")


def requested_function(body: bytes) -> int | None:
    """The ``fn_index`` a call's JSON body asks for, as Gradio would read it (a whole number,
    also when sent as ``99.0`` or ``"99"``); None when there is none or it is not a number
    (Gradio itself refuses those with a 4xx).

    >>> requested_function(b'{"fn_index": 99, "data": []}')
    99
    """
    try:
        payload = json.loads(body)
    except ValueError:
        return None
    value = payload.get("fn_index") if isinstance(payload, dict) else None
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and _WHOLE_NUMBER.fullmatch(value):
        return int(value)
    return value if isinstance(value, int) else None


def file_references(value: Any, depth: int = 0) -> list[dict]:
    """Every ``gradio.FileData`` dictionary in a decoded call (Gradio's own test for one).

    >>> file_references({"data": [{"path": "a.txt", "meta": {"_type": "gradio.FileData"}}, 3]})
    [{'path': 'a.txt', 'meta': {'_type': 'gradio.FileData'}}]
    """
    if depth > 32:
        return []
    if isinstance(value, dict):
        meta = value.get("meta")
        if isinstance(meta, dict) and meta.get("_type") == "gradio.FileData":
            return [value]
        return [f for v in value.values() for f in file_references(v, depth + 1)]
    if isinstance(value, list):
        return [f for v in value for f in file_references(v, depth + 1)]
    return []


def file_refusal(body: bytes, allow_files: bool) -> str | None:
    """Why a call's files are refused, if they are."""
    try:
        payload = json.loads(body)
    except ValueError:
        return None  # not JSON: Gradio answers it as it would
    for file in file_references(payload):
        if not allow_files:
            return "uploads are off on this server"
        path = file.get("path")
        if isinstance(path, str) and "://" in path[:16]:
            return "files are taken by upload only, not by URL"
    return None


class CallGate:
    """ASGI middleware in front of Gradio's calls (see the module docstring); ``allow_files``
    is whether the server takes uploads."""

    def __init__(self, app: Any, allow_files: bool = False) -> None:
        self.app = app
        self.allow_files = allow_files

    @classmethod
    def middleware(cls, allow_files: bool = False) -> Any:
        from starlette.middleware import Middleware

        return Middleware(cls, allow_files=allow_files)

    @staticmethod
    def is_call(scope: dict) -> bool:
        if scope["type"] != "http" or scope.get("method") != "POST":
            return False  # a lifespan or websocket scope has no path to look at
        path = scope["path"].rstrip("/")
        return path.startswith(GRADIO_ROUTES) and not path.endswith(UPLOAD_ROUTES)

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if not self.is_call(scope):
            await self.app(scope, receive, send)
            return
        length = dict(scope.get("headers") or []).get(b"content-length", b"")
        if length.isdigit() and int(length) > MAX_CALL_BYTES:  # answered before it is sent
            await _refuse(413, _too_large(), scope, receive, send)
            return
        body, replay = await _buffered(receive)
        if body is None:
            await _refuse(413, _too_large(), scope, replay, send)
            return
        refusal = file_refusal(body, self.allow_files)
        if refusal is not None:
            await _refuse(403, refusal, scope, replay, send)
            return
        fn_index = requested_function(body) if CALL_ROUTES.search(scope["path"]) else None
        functions = _functions(scope)
        if fn_index is None or functions is None or fn_index in functions:
            await self.app(scope, replay, send)
            return
        message = f"no function {fn_index} on this page; fn_index must be one of its events"
        await _refuse(404, message, scope, replay, send)


def _too_large() -> str:
    return f"a call is limited to {MAX_CALL_BYTES // 1024} KB"


async def _refuse(status: int, message: str, scope: dict, receive: Any, send: Any) -> None:
    from starlette.responses import PlainTextResponse

    await PlainTextResponse(message, status_code=status)(scope, receive, send)


def _functions(scope: dict) -> set[int] | None:
    """The fn_index values the served Blocks has, or None when the app is not Gradio's."""
    get_blocks = getattr(scope.get("app"), "get_blocks", None)
    if get_blocks is None:
        return None
    try:
        return set(get_blocks().fns)
    except ValueError:  # no Blocks configured yet
        return None


async def _buffered(receive: Any) -> tuple[bytes | None, Any]:
    """The request's whole body (None past MAX_CALL_BYTES), and a ``receive`` that hands it on
    again (then what the client sent after it, such as its disconnect, as the original would)."""
    messages = []
    size = 0
    while True:
        message = await receive()
        messages.append(message)
        size += len(message.get("body", b""))
        if size > MAX_CALL_BYTES:
            return None, receive
        if message["type"] != "http.request" or not message.get("more_body", False):
            break
    body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.request")
    pending = [{"type": "http.request", "body": body, "more_body": False}]
    pending += [m for m in messages if m["type"] != "http.request"]

    async def replay() -> dict:
        return pending.pop(0) if pending else await receive()

    return body, replay
