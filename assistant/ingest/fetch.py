"""Fetching documents from URLs into snapshots kept in the index folder.

``assistant build https://...`` fetches each page (time-outs, a size cap, a content-type
check, a few redirects at most) and keeps what it got as ``INDEX/snapshots/NAME.EXT`` with
``NAME.json`` beside it (the URL, where it ended up, when it was fetched, its validators). A
later build fetches again, asking the server whether the page changed (ETag,
Last-Modified); the snapshot file is rewritten only when its bytes changed, and the
incremental build then re-embeds only the paragraphs that changed.

Credentials are used, never kept: a URL is recorded and shown (snapshot, document, manifest,
passages, messages) only as ``public_url(url)``, without ``user:password@`` and with the
values of secret-looking query parameters (``token``, ``api_key``, ``sig``, ...) replaced by
``REDACTED``. A later build given that recorded form (a rebuild from the manifest) therefore
lacks the credentials, and refuses that URL with one line asking for it again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import tempfile
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus, urlsplit, urlunsplit

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
"""Seconds to connect, and at most between two pieces of a response."""
TIMEOUT_ENV = "ASSISTANT_FETCH_TIMEOUT"
"""Seconds, overriding READ_TIMEOUT (and CONNECT_TIMEOUT when smaller) and TOTAL_TIMEOUT."""
TOTAL_TIMEOUT = 30.0
"""Seconds a whole fetch may take, from connecting to the last byte: the README's "30 s
time-out", so a server trickling bytes (each piece within READ_TIMEOUT) is cut off too."""
MAX_REDIRECTS = 5
USER_AGENT = "retrieval-assistant/0.1 (+https://pypi.org/project/retrieval-assistant/)"


REDACTED = "REDACTED"
"""What a secret query value is shown (and recorded) as."""
SECRET_PARAMS = frozenset(
    {
        "token", "key", "api_key", "apikey", "secret", "password", "passwd", "pwd", "auth",
        "access_token", "sig", "signature", "credential", "credentials",
    }
)  # fmt: skip
"""Query parameters whose values are secrets: a name that is one of these, holds one as a word
(``client_secret``, ``X-Amz-Signature``, ``x-api-key``) or ends in one of SECRET_SUFFIXES
(``accessToken``), in any case."""
SECRET_SUFFIXES = ("token", "secret", "password", "apikey", "signature")


class FetchError(Exception):
    """A URL that gave no document; the message says why in a few words."""


def is_url(text: object) -> bool:
    """Whether a build input is a web address rather than a path."""
    return isinstance(text, str) and text.lower().startswith(("http://", "https://"))


def _is_secret(name: str) -> bool:
    name = unquote_plus(name).lower()
    words = re.split(r"[^a-z0-9]+", name)
    return (
        name in SECRET_PARAMS
        or any(word in SECRET_PARAMS for word in words)
        or name.endswith(SECRET_SUFFIXES)
    )


def _redact_params(text: str) -> str:
    """``a=1&token=abc`` -> ``a=1&token=REDACTED``; other pieces kept byte for byte."""
    pieces = []
    for piece in text.split("&"):
        name, equals, value = piece.partition("=")
        pieces.append(f"{name}={REDACTED}" if equals and value and _is_secret(name) else piece)
    return "&".join(pieces)


def public_url(url: str) -> str:
    """``url`` as it may be stored and shown: without ``user:password@``, and with the values
    of secret-looking query (or fragment) parameters replaced by REDACTED. A URL without
    either comes back unchanged, character for character.

    >>> public_url("https://user:pw@example.org/a?id=7&api_key=s3cret#top")
    'https://example.org/a?id=7&api_key=REDACTED#top'
    """
    try:
        parts = urlsplit(url)
    except ValueError:  # one urllib cannot split (a bad IPv6 host): the same, by hand
        url = re.sub(r"^([a-zA-Z][a-zA-Z0-9+.-]*://)[^/?#]*@", r"\1", url)
        head, question, rest = url.partition("?")
        query, hash_, fragment = rest.partition("#")
        return head + question + _redact_params(query) + hash_ + _redact_params(fragment)
    netloc = parts.netloc.rpartition("@")[2]
    public = parts._replace(
        netloc=netloc, query=_redact_params(parts.query), fragment=_redact_params(parts.fragment)
    )
    return url if public == parts else urlunsplit(public)


def _secrets(url: str) -> list[str]:
    """The credential strings in ``url`` (raw and decoded), longest first, to scrub from text."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return [url]
    found = []
    userinfo, at, _ = parts.netloc.rpartition("@")
    if at:  # the user name alone is masked only inside ``user:password``
        found += [userinfo, userinfo.partition(":")[2]]
    for text in (parts.query, parts.fragment):
        for piece in text.split("&"):
            name, equals, value = piece.partition("=")
            if equals and value and _is_secret(name):
                found.append(value)
    found += [unquote_plus(s) for s in found]
    return sorted({s for s in found if s}, key=len, reverse=True)


def _scrub(message: str, url: str) -> str:
    """``message`` with ``url`` shown as public_url(url) and any credential in it masked."""
    message = message.replace(url, public_url(url))
    for secret in _secrets(url):
        message = message.replace(secret, "***")
    return message


class _PublicUrls(logging.Filter):
    """httpx logs each request's URL (seen with ``--verbose``): log its public form."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                public_url(str(arg)) if is_url(str(arg)) else arg for arg in record.args
            )
        return True


_PUBLIC_URLS = _PublicUrls()


def _credentials_removed(url: str) -> bool:
    return public_url(url) != url


def _was_redacted(url: str) -> bool:
    """Whether ``url`` is a recorded public form: a secret parameter's value is REDACTED."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return any(
        name_value[1] == REDACTED and _is_secret(name_value[0])
        for text in (parts.query, parts.fragment)
        for name_value in (piece.partition("=")[::2] for piece in text.split("&"))
    )


@dataclass
class Snapshot:
    """A fetched document as kept in the index folder."""

    url: str
    """The address the build was given, as public_url shows it (no credentials)."""
    final_url: str
    """Where it ended up after redirects (public_url too): the address passages cite."""
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
    credentials_removed: bool = False
    """Whether the URL was given with credentials (not kept): fetching it again needs them
    again, so its recorded public form is refused rather than fetched without them."""

    @property
    def path(self) -> Path:
        return Path(self.file)

    def save(self, meta_path: Path) -> None:
        """Write this record as ``NAME.json`` beside the snapshot (atomically)."""
        _write_atomically(meta_path, json.dumps(asdict(self), indent=1).encode("utf-8"))


def _configured_timeout() -> float | None:
    """``$ASSISTANT_FETCH_TIMEOUT`` in seconds, when it is set to a positive number."""
    try:
        value = float(os.environ.get(TIMEOUT_ENV) or 0)
    except ValueError:
        return None
    return value if value > 0 else None


def _timeout() -> float:
    """Seconds to wait for each piece of a response (never longer than the whole may take)."""
    return min(_configured_timeout() or READ_TIMEOUT, _deadline())


def _deadline() -> float:
    """Seconds the whole fetch may take: TOTAL_TIMEOUT unless the environment says otherwise."""
    return _configured_timeout() or TOTAL_TIMEOUT


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
    """The response's body, refused past ``cap`` bytes (declared or sent) or once the fetch
    has taken longer than its deadline (TOTAL_TIMEOUT)."""
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > cap:
        raise FetchError(f"larger than {cap // 2**20} MB ({int(declared)} bytes)")
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > cap:
            raise FetchError(f"larger than {cap // 2**20} MB")
        deadline = _deadline()
        if (datetime.now(UTC) - started).total_seconds() > deadline:
            raise FetchError(f"took longer than {deadline:g} s to download")
        chunks.append(chunk)
    return b"".join(chunks)


CREDENTIALS_NOT_STORED = (
    "it was fetched with credentials, which are not stored; give the URL with them again"
)


def _name(url: str) -> str:
    return hashlib.sha256(url.encode("utf-8")).hexdigest()[:16]


def fetch(url: str, snapshot_dir: Path, client=None) -> Snapshot:
    """Fetch ``url`` into ``snapshot_dir`` and return its snapshot; raises FetchError, whose
    message never holds the URL's credentials. The snapshot records public_url(url)."""
    try:
        return _fetch(url, snapshot_dir, client)
    except FetchError as exc:
        if not _credentials_removed(url):
            raise
        raise FetchError(_scrub(str(exc), url)) from None  # the cause may hold the URL


def _request_headers(previous: Snapshot | None) -> dict[str, str]:
    """Our User-Agent, and a conditional request when an earlier snapshot gives its validators."""
    headers = {"User-Agent": USER_AGENT}
    if previous is not None and previous.etag:
        headers["If-None-Match"] = previous.etag
    if previous is not None and previous.last_modified:
        headers["If-Modified-Since"] = previous.last_modified
    return headers


def _remove_legacy_snapshot(snapshot_dir: Path, url: str, keep: Path) -> None:
    """A snapshot kept before credentials were left out is named by the credentialed URL: drop
    it (and its file, unless it is ``keep``)."""
    legacy = snapshot_dir / f"{_name(url)}.json"
    stale = _previous(legacy)
    if stale is not None and stale.path != keep:
        stale.path.unlink(missing_ok=True)
    legacy.unlink(missing_ok=True)


def _fetch(url: str, snapshot_dir: Path, client=None) -> Snapshot:
    import httpx

    logging.getLogger("httpx").addFilter(_PUBLIC_URLS)  # once: a filter is added only once
    snapshot_dir.mkdir(parents=True, exist_ok=True)
    public = public_url(url)
    with_credentials = public != url
    meta_path = snapshot_dir / f"{_name(public)}.json"
    previous = _previous(meta_path)
    if not with_credentials and (
        _was_redacted(url) or (previous is not None and previous.credentials_removed)
    ):
        raise FetchError(CREDENTIALS_NOT_STORED)
    headers = _request_headers(previous)
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
                previous.credentials_removed = with_credentials
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
            final_url = public_url(str(response.url))
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
    path = snapshot_dir / f"{meta_path.stem}{suffix}"
    if previous is None or previous.sha256 != digest or previous.path != path:
        _write_atomically(path, data)  # unchanged bytes keep their file (and its mtime)
        if previous is not None and previous.path != path:
            previous.path.unlink(missing_ok=True)
    if with_credentials:
        _remove_legacy_snapshot(snapshot_dir, url, path)
    snapshot = Snapshot(
        url=public,
        final_url=final_url,
        fetched_at=started.isoformat(timespec="seconds"),
        content_type=content_type,
        file=str(path.absolute()),
        sha256=digest,
        etag=etag,
        last_modified=last_modified,
        credentials_removed=with_credentials,
    )
    snapshot.save(meta_path)
    return snapshot
