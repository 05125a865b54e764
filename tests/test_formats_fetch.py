"""Building from URLs against a real HTTP server on loopback (127.0.0.1 only): snapshots,
re-fetching a changed page, and one line for each URL that gives no document."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from assistant.ingest.fetch import FetchError, fetch

FIXTURES = Path(__file__).parent / "fixtures" / "html"
ROOT = Path(__file__).resolve().parent.parent


class _Handler(BaseHTTPRequestHandler):
    """Serves ``server.routes``: path -> (status, content type, body, extra headers)."""

    def do_GET(self) -> None:
        route = self.server.routes.get(self.path)  # type: ignore[attr-defined]
        if route is None:
            self.send_error(404, "Not Found")
            return
        status, content_type, body, headers = route
        if headers.get("ETag") and self.headers.get("If-None-Match") == headers["ETag"]:
            self.server.not_modified += 1  # type: ignore[attr-defined]
            self.send_response(304)
            self.end_headers()
            return
        if headers.get("X-Delay"):
            time.sleep(float(headers["X-Delay"]))
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        for name, value in headers.items():
            if name != "X-Delay":
                self.send_header(name, value)
        if "Content-Length" not in headers:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        # The client may stop reading (oversize, time-out): that is the point.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(body)

    def log_message(self, *args) -> None:  # keep test output clean
        pass


@pytest.fixture
def server() -> Iterator[ThreadingHTTPServer]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    httpd.routes = {}  # type: ignore[attr-defined]
    httpd.not_modified = 0  # type: ignore[attr-defined]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield httpd
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def _url(server: ThreadingHTTPServer, path: str) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}{path}"


def _page(extra: str = "") -> bytes:
    page = (FIXTURES / "mofa_en.html").read_text(encoding="utf-8")
    return page.replace("</h1>", f"</h1><p>{extra}</p>" if extra else "</h1>").encode("utf-8")


def test_fetch_keeps_a_snapshot_and_asks_before_fetching_again(server, tmp_path):
    body = _page()
    server.routes["/page.html"] = (200, "text/html; charset=utf-8", body, {"ETag": '"v1"'})
    first = fetch(_url(server, "/page.html"), tmp_path)
    assert first.path.read_bytes() == body and first.path.suffix == ".html"
    meta = json.loads(first.path.with_suffix(".json").read_text(encoding="utf-8"))
    assert meta["url"] == _url(server, "/page.html") and meta["fetched_at"]
    mtime = first.path.stat().st_mtime_ns
    second = fetch(_url(server, "/page.html"), tmp_path)  # the server says "not modified"
    assert server.not_modified == 1
    assert second.sha256 == first.sha256 and first.path.stat().st_mtime_ns == mtime
    assert second.fetched_at >= first.fetched_at
    changed = body.replace(b"40 minutes", b"45 minutes")
    server.routes["/page.html"] = (200, "text/html", changed, {"ETag": '"v2"'})
    third = fetch(_url(server, "/page.html"), tmp_path)
    assert third.path == first.path and third.path.read_bytes() == changed
    assert third.etag == '"v2"' and third.sha256 != first.sha256


def test_url_sources_never_make_an_index_stale(tmp_path):
    from assistant.indexing.indexer import is_stale, sources_of
    from assistant.indexing.store import PIPELINE_VERSION
    from assistant.ingest.documents import read_document

    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.html").write_bytes((FIXTURES / "mofa_en.html").read_bytes())
    local, local.state = read_document(folder / "a.html")
    snapshot = tmp_path / "snapshots" / "0123.html"  # as fetch() keeps a page
    snapshot.parent.mkdir()
    snapshot.write_bytes((FIXTURES / "mofa_ko.html").read_bytes())
    page, page.state = read_document(snapshot, source="http://127.0.0.1:9/ko.html")
    page.url = "http://127.0.0.1:9/ko.html"
    manifest = {
        "pipeline_version": PIPELINE_VERSION,
        "inputs": [str(folder), "http://127.0.0.1:9/ko.html"],
        "sources": sources_of([local, page]),
        "skipped": [],
    }
    assert not is_stale(manifest)
    (folder / "b.html").write_bytes((FIXTURES / "mdbook.html").read_bytes())
    assert is_stale(manifest)  # a new local file still does


def test_fetch_failures_say_why(server, tmp_path, monkeypatch):
    monkeypatch.setenv("ASSISTANT_FETCH_TIMEOUT", "0.5")
    server.routes["/slow.html"] = (200, "text/html", _page(), {"X-Delay": "2"})
    server.routes["/photo.png"] = (200, "image/png", b"\x89PNG\r\n", {})
    server.routes["/huge.pdf"] = (
        200,
        "application/pdf",
        b"%PDF-1.7\n" + b"0" * 65536,
        {"Content-Length": str(200 * 1024 * 1024)},
    )
    server.routes["/loop"] = (302, "text/html", b"", {"Location": "/loop"})
    expected = {
        "/missing.html": "HTTP 404 Not Found",
        "/slow.html": "timed out",
        "/photo.png": "content type 'image/png' is not a document",
        "/huge.pdf": "larger than 100 MB",
        "/loop": "more than 5 redirects",
    }
    for path, reason in expected.items():
        with pytest.raises(FetchError, match=reason):
            fetch(_url(server, path), tmp_path)
    assert not list(tmp_path.glob("*.html"))  # nothing half-written


@pytest.mark.slow
def test_build_from_urls_updates_a_changed_page_and_skips_bad_ones(server, tmp_path):
    """The real command: one line per bad URL, the page indexed with its URL, and a rebuild
    after the page changed re-embeds only the changed paragraph."""
    server.routes["/statement.html"] = (200, "text/html", _page(), {})
    server.routes["/slow.html"] = (200, "text/html", _page(), {"X-Delay": "3"})
    server.routes["/big.html"] = (200, "text/html", b"x", {"Content-Length": str(200 * 2**20)})
    good = _url(server, "/statement.html")
    bad = [_url(server, p) for p in ("/missing.html", "/slow.html", "/big.html")]
    index = tmp_path / "index"
    env = {**os.environ, "ASSISTANT_FETCH_TIMEOUT": "1", "HF_HUB_OFFLINE": "1"}

    def build() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "assistant", "build", good, *bad, "--index", str(index)],
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
            timeout=300,
        )

    first = build()
    assert first.returncode == 0, first.stderr
    warnings = [line for line in first.stderr.splitlines() if line.startswith("WARNING")]
    assert len(warnings) == 3, first.stderr
    for url, reason in zip(bad, ("HTTP 404", "timed out", "larger than 20 MB"), strict=True):
        assert any(url in line and reason in line for line in warnings), (url, warnings)
    assert list((index / "snapshots").glob("*.html"))

    from assistant import Assistant

    top = Assistant.load(index).ask("Who visited Lima for the APEC meetings?", k=1).passages[0]
    assert top.url == good and top.source == good
    assert "Lima" in top.text

    server.routes["/statement.html"] = (
        200,
        "text/html",
        _page().replace(b"approximately 40 minutes", b"approximately 55 minutes"),
        {},
    )
    second = build()
    assert second.returncode == 0, second.stderr
    assert "1 changed" in second.stdout and "0 added" in second.stdout, second.stdout
    passages = Assistant.load(index).ask("How long did the meeting last?", k=3).passages
    assert any("approximately 55 minutes" in p.text for p in passages)
