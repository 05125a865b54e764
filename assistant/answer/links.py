"""Links to a paragraph: the address that opens one paragraph of one document in the web chat.

A link is the query part of the chat's address (``?doc=...&p=7``), so it works on whatever host
and port the chat is served at; ``doc`` is the document as the chat shows it (relative to the
indexed folder), so a link names no path of the server's.

>>> paragraph_link("archive/12_fm-bali-2022-07.ko.txt", 2)
'?doc=archive%2F12_fm-bali-2022-07.ko.txt&p=2'
"""

from __future__ import annotations

from urllib.parse import urlencode


def paragraph_link(source: str, paragraph: int) -> str:
    """The chat's address for paragraph ``paragraph`` of ``source`` (as the chat shows it)."""
    return "?" + urlencode({"doc": source, "p": int(paragraph)})
