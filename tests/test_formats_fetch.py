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

from assistant.ingest.fetch import FetchError, fetch, public_url

FIXTURES = Path(__file__).parent / "fixtures" / "html"
ROOT = Path(__file__).resolve().parent.parent


class _Handler(BaseHTTPRequestHandler):
    """Serves ``server.routes``: path -> (status, content type, body, extra headers)."""

    def do_GET(self) -> None:
        sent = self.server.authorizations  # type: ignore[attr-defined]
        sent.append(self.headers.get("Authorization"))
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
            if headers.get("X-Drip"):  # a few bytes at a time, each well within the read time-out
                for start in range(0, len(body), 16):
                    self.wfile.write(body[start : start + 16])
                    self.wfile.flush()
                    time.sleep(float(headers["X-Drip"]))
            self.wfile.write(body)

    def log_message(self, *args) -> None:  # keep test output clean
        pass


@pytest.fixture
def server() -> Iterator[ThreadingHTTPServer]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    httpd.routes = {}  # type: ignore[attr-defined]
    httpd.not_modified = 0  # type: ignore[attr-defined]
    httpd.authorizations = []  # type: ignore[attr-defined]
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


def test_the_total_deadline_is_the_time_out_the_readme_states():
    import re

    from assistant.ingest import fetch as fetching

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    stated = re.search(r"\| URL \| fetched \((\d+) s for the whole fetch", readme)
    assert stated is not None
    assert float(stated.group(1)) == fetching.TOTAL_TIMEOUT
    default = re.search(r"\| `ASSISTANT_FETCH_TIMEOUT` \| [^|]+\| (\d+) \|", readme)
    assert default is not None and float(default.group(1)) == fetching.TOTAL_TIMEOUT


def test_a_server_dripping_bytes_is_cut_off_at_the_total_deadline(server, tmp_path, monkeypatch):
    """Each piece comes well within the read time-out, so only the deadline stops it."""
    from assistant.ingest import fetch as fetching

    monkeypatch.delenv("ASSISTANT_FETCH_TIMEOUT", raising=False)
    monkeypatch.setattr(fetching, "TOTAL_TIMEOUT", 1.0)
    server.routes["/drip.html"] = (200, "text/html", _page(), {"X-Drip": "0.05"})
    started = time.monotonic()
    with pytest.raises(FetchError, match="took longer than 1 s to download"):
        fetch(_url(server, "/drip.html"), tmp_path)
    assert time.monotonic() - started < 2.5
    assert not list(tmp_path.glob("*.html"))


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


# -- credentials in URLs: used to fetch, never stored or shown ---------------------------------

USER, PASSWORD, TOKEN = "alice-probe", "secret", "abc123"
SECRETS = (b"secret", b"abc123", b"alice-probe")


def test_public_url_drops_credentials_and_secret_parameters():
    plain = "https://example.org/a/b.html?id=7&keyword=x&q=#top"
    assert public_url(plain) == plain  # a URL without credentials is kept as it is
    assert public_url("http://u:p@127.0.0.1:8/x") == "http://127.0.0.1:8/x"
    assert public_url("http://u@127.0.0.1/x") == "http://127.0.0.1/x"
    assert (
        public_url("https://h/x?a=1&TOKEN=t1&api_key=k&X-Amz-Signature=s%2F&accessToken=z")
        == "https://h/x?a=1&TOKEN=REDACTED&api_key=REDACTED&X-Amz-Signature=REDACTED"
        "&accessToken=REDACTED"
    )
    assert public_url("http://h/x#access_token=zz&state=1") == (
        "http://h/x#access_token=REDACTED&state=1"
    )
    assert public_url("http://u:pw@[::1/x?pwd=1") == "http://[::1/x?pwd=REDACTED"


def _holding_secrets(folder: Path) -> list[str]:
    """Every file under ``folder`` whose bytes hold one of SECRETS (in any case)."""
    found = []
    for path in folder.rglob("*"):
        if path.is_file():
            data = path.read_bytes().lower()
            found += [f"{path}: {s!r}" for s in SECRETS if s in data]
    return found


def test_build_from_urls_with_credentials_keeps_none_of_them(
    server, tmp_path, embedding_model, caplog
):
    """The credentials are sent, but no file of the index holds them, passages cite the
    credential-free URL, and a rebuild from the recorded inputs asks for the URL again."""
    from assistant import Assistant
    from assistant.indexing import indexer
    from assistant.indexing.store import load_index
    from assistant.ingest.documents import CorpusError

    page = _page().replace(b"Secretariat", b"Office")  # the page itself holds no secret
    server.routes["/doc.html"] = (200, "text/html", page, {"ETag": '"v1"'})
    server.routes[f"/tok.html?lang=en&token={TOKEN}"] = (200, "text/html", page, {})
    port = server.server_address[1]
    with_password = f"http://{USER}:{PASSWORD}@127.0.0.1:{port}/doc.html"
    with_token = f"http://127.0.0.1:{port}/tok.html?lang=en&token={TOKEN}"
    index = tmp_path / "index"
    encoder, info = embedding_model

    indexer.build([with_password, with_token], index, encoder, info)
    assert server.authorizations[0] and server.authorizations[0].startswith("Basic ")
    assert _holding_secrets(index) == []
    public = [_url(server, "/doc.html"), _url(server, "/tok.html?lang=en&token=REDACTED")]
    manifest = load_index(index).manifest
    assert manifest["inputs"] == public
    assert sorted(s["url"] for s in manifest["sources"]) == sorted(public)
    passages = Assistant.open_with(index, encoder, info).ask("Who visited Lima?", k=5).passages
    assert passages and {p.url for p in passages} <= set(public)
    assert {p.source for p in passages} <= set(public)

    # A rebuild from what was recorded cannot fetch them: one line per URL says why.
    caplog.clear()
    with pytest.raises(CorpusError) as failed:
        indexer.build(manifest["inputs"], index, encoder, info)
    skipped = [r.getMessage() for r in caplog.records if r.getMessage().startswith("skipped")]
    assert len(skipped) == 2, skipped
    assert all("credentials, which are not stored" in line for line in skipped), skipped
    assert not any(s.decode() in str(failed.value).lower() for s in SECRETS)
    assert len(server.authorizations) == 2  # refused without asking the server
    # Given again with its credentials, the URL is fetched (and still not stored).
    indexer.build([with_password, with_token], index, encoder, info)
    assert server.not_modified == 1 and _holding_secrets(index) == []


def test_failures_of_urls_with_credentials_never_show_them(server, tmp_path, caplog):
    from assistant.indexing.indexer import read_inputs
    from assistant.ingest.documents import CorpusError

    port = server.server_address[1]
    failing = [
        f"http://{USER}:{PASSWORD}@127.0.0.1:{port}/missing.html?token={TOKEN}",
        f"http://{USER}:{PASSWORD}@127.0.0.1:1/closed.html",  # nothing listens on port 1
        f"http://{USER}:{PASSWORD}@127.0.0.1:{port}/bad\n?apikey={TOKEN}",  # not a valid URL
    ]
    messages = []
    for url in failing:
        with pytest.raises(FetchError) as failed:
            fetch(url, tmp_path)
        messages.append(str(failed.value))
        assert failed.value.__cause__ is None  # a chained httpx error could print the URL
    assert "HTTP 404" in messages[0] and "cannot fetch it" in messages[1], messages
    with pytest.raises(CorpusError) as nothing:
        read_inputs(failing, tmp_path)
    shown = [*messages, str(nothing.value), *(r.getMessage() for r in caplog.records)]
    assert any(f"127.0.0.1:{port}/missing.html?token=REDACTED" in m for m in shown), shown
    for text in shown:
        assert not any(s.decode() in text.lower() for s in SECRETS), text
