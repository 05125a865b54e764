"""Fetching documents from URLs into snapshots kept in the index folder.

``assistant build https://...`` fetches each page (time-outs, a size cap, a content-type
check, a few redirects at most) and keeps what it got as ``INDEX/snapshots/NAME.EXT`` with
``NAME.json`` beside it (the URL, where it ended up, when it was fetched, its validators). A
later build fetches again, asking the server whether the page changed (ETag,
Last-Modified); the snapshot file is rewritten only when its bytes changed, and the
incremental build then re-embeds only the paragraphs that changed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from assistant.ingest.documents import MAX_BINARY_FILE_BYTES, MAX_FILE_BYTES

log = logging.getLogger(__name__)

SNAPSHOTS_FOLDER = "snapshots"

CONTENT_TYPES = {
    "text/html": ".html",
    "application/xhtml+xml": ".html",
    "text/plain": ".txt",
    "text/markdown": ".md",
    "application/pdf": ".pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
}
"""What a URL may return, and the suffix its snapshot is read by."""

CONNECT_TIMEOUT = 10.0
READ_TIMEOUT = 30.0
"""Seconds to connect, and at most between two pieces of a response (not for the whole);
``$ASSISTANT_FETCH_TIMEOUT`` overrides both."""
TIMEOUT_ENV = "ASSISTANT_FETCH_TIMEOUT"
TOTAL_TIMEOUT = 120.0
"""Seconds a whole download may take: a server trickling bytes is cut off too."""
MAX_REDIRECTS = 5
USER_AGENT = "retrieval-assistant/0.1 (+https://pypi.org/project/retrieval-assistant/)"


class FetchError(Exception):
    """A URL that gave no document; the message says why in a few words."""


def is_url(text: object) -> bool:
    """Whether a build input is a web address rather than a path."""
    return isinstance(text, str) and text.lower().startswith(("http://", "https://"))


@dataclass
class Snapshot:
    """A fetched document as kept in the index folder."""

    url: str
    """The address the build was given."""
    final_url: str
    """Where it ended up after redirects: the address passages cite."""
    fetched_at: str
    """When it was last fetched (ISO, UTC, seconds), also when the server said "not modified"."""
    content_type: str
    """The media type the server declared (``text/html``, ``application/pdf``, ...)."""
    file: str
    """The snapshot's absolute path: ``INDEX/snapshots/NAME.EXT``, the suffix by content type."""
    sha256: str
    """Hash of the fetched bytes: a refetch that returns the same bytes keeps the file (and its
    mtime), so the build sees the document unchanged."""
    etag: str | None = None
    """The server's validators, sent back on the next fetch to ask whether the page changed."""
    last_modified: str | None = None

    @property
    def path(self) -> Path:
        return Path(self.file)

    def save(self, meta_path: Path) -> None:
        """Write this record as ``NAME.json`` beside the snapshot (atomically)."""
        _write_atomically(meta_path, json.dumps(asdict(self), indent=1).encode("utf-8"))


def _timeout() -> float:
    try:
        value = float(os.environ.get(TIMEOUT_ENV) or READ_TIMEOUT)
    except ValueError:
        value = READ_TIMEOUT
    return value if value > 0 else READ_TIMEOUT


def _size_cap(suffix: str) -> int:
    return MAX_BINARY_FILE_BYTES if suffix in (".pdf", ".docx") else MAX_FILE_BYTES


def _write_atomically(path: Path, data: bytes) -> None:
    with tempfile.NamedTemporaryFile(dir=path.parent, prefix=".fetch-", delete=False) as tmp:
        tmp.write(data)
        tmp.flush()
        os.fsync(tmp.fileno())
    os.replace(tmp.name, path)


def _previous(meta_path: Path) -> Snapshot | None:
    try:
        snapshot = Snapshot(**json.loads(meta_path.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None
    return snapshot if snapshot.path.is_file() else None


def _read_capped(response: Any, cap: int, started: datetime) -> bytes:
    """The response's body, refused past ``cap`` bytes (declared or sent) or TOTAL_TIMEOUT."""
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > cap:
        raise FetchError(f"larger than {cap // 2**20} MB ({int(declared)} bytes)")
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > cap:
            raise FetchError(f"larger than {cap // 2**20} MB")
        if (datetime.now(UTC) - started).total_seconds() > TOTAL_TIMEOUT:
            raise FetchError(f"took longer than {TOTAL_TIMEOUT:.0f} s to download")
        chunks.append(chunk)
    return b"".join(chunks)


def fetch(url: str, snapshot_dir: Path, client=None) -> Snapshot:
    """Fetch ``url`` into ``snapshot_dir`` and return its snapshot; raises FetchError."""
    import httpx

    snapshot_dir.mkdir(parents=True, exist_ok=True)
    name = hashlib.sha256(url.encode("utf-8")).hexdigest()[:16]
    meta_path = snapshot_dir / f"{name}.json"
    previous = _previous(meta_path)
    headers = {"User-Agent": USER_AGENT}
    if previous is not None and previous.etag:
        headers["If-None-Match"] = previous.etag
    if previous is not None and previous.last_modified:
        headers["If-Modified-Since"] = previous.last_modified
    read_timeout = _timeout()
    own_client = client is None
    if own_client:
        client = httpx.Client(
            timeout=httpx.Timeout(read_timeout, connect=min(CONNECT_TIMEOUT, read_timeout)),
            follow_redirects=True,
            max_redirects=MAX_REDIRECTS,
        )
    started = datetime.now(UTC)
    try:
        with client.stream("GET", url, headers=headers) as response:
            if response.status_code == 304 and previous is not None:
                previous.fetched_at = started.isoformat(timespec="seconds")
                previous.save(meta_path)
                return previous
            if response.status_code >= 400:
                raise FetchError(f"HTTP {response.status_code} {response.reason_phrase}".strip())
            content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
            suffix = CONTENT_TYPES.get(content_type)
            if suffix is None:
                raise FetchError(
                    f"content type {content_type or 'none'!r} is not a document; "
                    f"allowed: {', '.join(sorted(CONTENT_TYPES))}"
                )
            data = _read_capped(response, _size_cap(suffix), started)
            final_url = str(response.url)
            etag = response.headers.get("etag")
            last_modified = response.headers.get("last-modified")
    except httpx.TooManyRedirects as exc:
        raise FetchError(f"more than {MAX_REDIRECTS} redirects") from exc
    except httpx.TimeoutException as exc:
        raise FetchError(f"timed out (no answer within {read_timeout:g} s)") from exc
    except httpx.InvalidURL as exc:
        raise FetchError(f"not a valid URL ({exc})") from exc
    except httpx.HTTPError as exc:
        raise FetchError(f"cannot fetch it ({type(exc).__name__}: {exc})") from exc
    finally:
        if own_client:
            client.close()
    if not data.strip():
        raise FetchError("the server sent an empty document")
    digest = hashlib.sha256(data).hexdigest()
    path = snapshot_dir / f"{name}{suffix}"
    if previous is None or previous.sha256 != digest or previous.path != path:
        _write_atomically(path, data)  # unchanged bytes keep their file (and its mtime)
        if previous is not None and previous.path != path:
            previous.path.unlink(missing_ok=True)
    snapshot = Snapshot(
        url=url,
        final_url=final_url,
        fetched_at=started.isoformat(timespec="seconds"),
        content_type=content_type,
        file=str(path.absolute()),
        sha256=digest,
        etag=etag,
        last_modified=last_modified,
    )
    snapshot.save(meta_path)
    return snapshot
