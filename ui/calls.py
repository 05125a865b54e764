"""Calls that name a function the page does not have: refused with one line before Gradio.

Gradio looks a call's ``fn_index`` up without checking it, so ``{"fn_index": 99}`` sent to
``/gradio_api/queue/join`` (or ``/run/``, ``/api/``, ``/call/``) raised a KeyError: an HTTP 500
and a traceback in the server log for every such request. ``CallGate`` answers those with a
404 and one line, and lets every other request through unchanged.
"""

from __future__ import annotations

import json
import re
from typing import Any

CALL_ROUTES = re.compile(r"/gradio_api/(?:queue/join|run/|api/|call/)")
"""The routes whose JSON body may carry an ``fn_index`` that Gradio looks up unchecked."""
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


class CallGate:
    """ASGI middleware: a call naming a function the page does not have gets a 404 and one
    line (the functions are the running Blocks' own, read from the app at each call)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    @classmethod
    def middleware(cls) -> Any:
        from starlette.middleware import Middleware

        return Middleware(cls)

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if (
            scope["type"] != "http"
            or scope.get("method") != "POST"
            or not CALL_ROUTES.search(scope["path"])
        ):
            await self.app(scope, receive, send)
            return
        body, replay = await _buffered(receive)
        fn_index = requested_function(body)
        functions = _functions(scope)
        if fn_index is None or functions is None or fn_index in functions:
            await self.app(scope, replay, send)
            return
        from starlette.responses import PlainTextResponse

        message = f"no function {fn_index} on this page; fn_index must be one of its events"
        await PlainTextResponse(message, status_code=404)(scope, replay, send)


def _functions(scope: dict) -> set[int] | None:
    """The fn_index values the served Blocks has, or None when the app is not Gradio's."""
    get_blocks = getattr(scope.get("app"), "get_blocks", None)
    if get_blocks is None:
        return None
    try:
        return set(get_blocks().fns)
    except ValueError:  # no Blocks configured yet
        return None


async def _buffered(receive: Any) -> tuple[bytes, Any]:
    """The request's whole body, and a ``receive`` that hands it on again (then what the
    client sent after it, such as its disconnect, as the original would)."""
    messages = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request" or not message.get("more_body", False):
            break
    body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.request")
    pending = [{"type": "http.request", "body": body, "more_body": False}]
    pending += [m for m in messages if m["type"] != "http.request"]

    async def replay() -> dict:
        return pending.pop(0) if pending else await receive()

    return body, replay
