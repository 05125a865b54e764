"""Issue 13's probes against a real ``assistant serve`` (uploads off): index files overwritten
in place, truncated, or deleted and rebuilt under the running server; upload routes and the
REST route that bypassed the queue; paths in answers."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from serving import build_in_subprocess, copy_index, python_executable, running_server

from assistant.indexing.store import live_generation

ROOT = Path(__file__).resolve().parent.parent
CYBER = "北朝鮮のサイバー攻撃で盗まれた暗号資産について"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(seed_index, tmp_path_factory):
    """``assistant serve`` on a private copy of the seed index: (url, process, log, index)."""
    folder = tmp_path_factory.mktemp("harden-served")
    index = copy_index(seed_index, folder)
    with running_server(index, folder / "server.log") as (url, _, proc):
        yield url, proc, folder / "server.log", index


@pytest.fixture(scope="module")
def served_index(server) -> Path:
    return server[3]


@pytest.fixture(scope="module")
def client(server):
    from gradio_client import Client

    return Client(server[0], verbose=False)


def _post(url: str, body: bytes, content_type: str) -> int:
    request = urllib.request.Request(url, data=body, headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def _post_json(url: str, payload: object) -> tuple[int, str]:
    """Status and body text of a JSON POST."""
    body = json.dumps(payload).encode()
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def _asked(client, question: str = CYBER, k: int = 3):
    """The /ask result, or the message of the error it raised."""
    try:
        return client.predict(question, k, api_name="/ask")
    except Exception as error:  # gradio_client raises AppError with the server's message
        return str(error)


def _restore(path: Path, data: bytes) -> None:
    fresh = path.with_suffix(".restoring")
    fresh.write_bytes(data)
    os.replace(fresh, path)


def test_every_upload_route_is_closed_when_uploads_are_off(server):
    boundary = "harden"
    body = (
        f"--{boundary}\r\nContent-Disposition: form-data; name=files; filename=a.txt\r\n"
        f"Content-Type: text/plain\r\n\r\nhello\r\n--{boundary}--\r\n"
    ).encode()
    kind = f"multipart/form-data; boundary={boundary}"
    for route in ("gradio_api/upload", "gradio_api/upload/", "gradio_api/process_recording"):
        assert _post(server[0] + route, body, kind) == 403, route


def test_the_rest_route_cannot_bypass_the_queue(server, client):
    body = b'{"data": ["' + CYBER.encode() + b'", 3]}'
    for route in ("gradio_api/run/ask", "gradio_api/api/ask"):
        assert _post(server[0] + route, body, "application/json") in (403, 404), route
    assert client.predict(CYBER, 3, api_name="/ask")["passages"][0]["paragraph"] == 7


def test_answers_show_paths_relative_to_the_indexed_folder(client):
    result = client.predict(CYBER, 3, api_name="/ask")
    assert {p["source"] for p in result["passages"]} == {"000_2daad77d3c406492.txt"}


def test_a_mapped_file_overwritten_in_place_is_refused_never_nan(server, client, served_index):
    vectors = live_generation(served_index) / "sentence_vectors.npy"
    healthy = vectors.read_bytes()
    rows = np.load(vectors, mmap_mode="r").shape
    header = len(healthy) - rows[0] * rows[1] * 4
    with vectors.open("r+b") as handle:  # same size and inode, as `dd conv=notrunc` would
        handle.seek(header)
        handle.write(np.full(rows, np.nan, dtype=np.float32).tobytes())
    answers = [_asked(client) for _ in range(3)]
    assert all(isinstance(a, str) and "changed on disk" in a for a in answers), answers
    log = server[2].read_text()
    assert log.count("changed on disk") == 1, log[-2000:]  # reported once, not per question
    assert "Traceback" not in log
    _restore(vectors, healthy)
    assert _asked(client)["passages"][0]["paragraph"] == 7


def test_a_truncated_mapped_file_never_crashes_the_server(server, client, served_index):
    proc = server[1]
    for name in ("sentence_vectors.npy", "lexical/passages/data.csc.index.npy"):
        path = live_generation(served_index) / name
        healthy = path.read_bytes()
        with path.open("r+b") as handle:
            handle.truncate(len(healthy) // 2)
        answer = _asked(client)
        assert isinstance(answer, str) and "changed on disk" in answer, (name, answer)
        assert proc.poll() is None  # no SIGBUS
        _restore(path, healthy)
        assert _asked(client)["passages"][0]["paragraph"] == 7


def test_an_index_deleted_and_rebuilt_is_picked_up(server, client, served_index, tmp_path):
    before = live_generation(served_index).name
    penguins = tmp_path / "penguins.txt"
    penguins.write_text(
        "南極観測の報告\n\nペンギン観測隊は、三月に昭和基地の近くで新しい観測小屋を開設した。\n",
        encoding="utf-8",
    )
    shutil.rmtree(served_index)
    build_in_subprocess(served_index, penguins)
    after = live_generation(served_index).name
    assert before[:10] == after[:10] and before != after  # same number, another build id
    result = _asked(client, "ペンギンの観測小屋はいつ開設されましたか", 10)
    assert [p["source"] for p in result["passages"]] == ["penguins.txt"]


def test_a_forged_chat_history_never_reaches_the_log(server):
    """The page keeps the conversation on the server; a 4.6 MB history sent with a question
    (issue 13: 18 MB of log) is refused before it is read, and a small forged one is ignored,
    not validated message by message into the log."""
    import http.client
    from urllib.parse import urlsplit

    url, _, log, _ = server
    config = json.loads(urllib.request.urlopen(url + "config", timeout=30).read())
    respond = next(i for i, d in enumerate(config["dependencies"]) if d["api_name"] == "respond")
    filters = [None, None, None, None]  # the Filters panel: language, document, from, to
    before = log.stat().st_size
    history = [{"role": "user", "content": "質問" * 1000}] * 800
    body = {"data": [CYBER, 3, history, None, *filters], "fn_index": respond, "session_hash": "big"}
    address = urlsplit(url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=30)
    connection.putrequest("POST", "/gradio_api/queue/join")
    connection.putheader("Content-Type", "application/json")
    connection.putheader("Content-Length", str(len(json.dumps(body).encode())))
    connection.endheaders()  # the body is never sent: the answer comes before it is needed
    response = connection.getresponse()
    assert response.status == 413 and b"limited to" in response.read()
    connection.close()
    history = [{"role": "user", "content": "質問" * 100}] * 40
    body = {
        "data": [CYBER, 3, history, None, *filters],  # the two server-side states are ignored
        "fn_index": respond,
        "session_hash": "forged",
    }
    status = _post(url + "gradio_api/queue/join", json.dumps(body).encode(), "application/json")
    assert status == 200
    with urllib.request.urlopen(url + "gradio_api/queue/data?session_hash=forged", timeout=60) as r:
        events = r.read().decode()
    assert '"success":true' in events and "北朝鮮" in events
    assert log.stat().st_size - before < 2000


def _fn_index(url: str, api_name: str) -> int:
    with urllib.request.urlopen(url + "config", timeout=30) as response:
        config = json.loads(response.read())
    return next(d["id"] for d in config["dependencies"] if d.get("api_name") == api_name)


def test_a_call_carrying_a_file_url_never_makes_the_server_fetch(server):
    import http.server
    import threading

    hits: list[str] = []

    class Recorder(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"fetched")

        def log_message(self, *args):
            pass

    bait = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=bait.serve_forever, daemon=True).start()
    file_url = f"http://127.0.0.1:{bait.server_address[1]}/c.txt"
    file_data = {"path": file_url, "url": file_url, "meta": {"_type": "gradio.FileData"}}
    call = {"data": [file_data, 3], "fn_index": _fn_index(server[0], "ask"), "session_hash": "x"}
    try:
        for route in ("gradio_api/queue/join", "gradio_api/run/ask", "gradio_api/call/ask"):
            status = _post(server[0] + route, json.dumps(call).encode(), "application/json")
            assert status == 403, route
        assert hits == []
        assert "uploads are off" not in Path(server[2]).read_text(encoding="utf-8")
    finally:
        bait.shutdown()


def test_a_call_to_a_function_the_page_does_not_have_is_a_clean_404(server, client):
    """fn_index 99 (the page has a dozen functions) was a KeyError inside Gradio: HTTP 500 and a
    traceback in the log for each request."""
    url, _, log, _ = server
    before = log.stat().st_size
    for route, fn_index in [
        ("gradio_api/queue/join", 99),
        ("gradio_api/queue/join", -1),
        ("gradio_api/queue/join", "99"),
        ("gradio_api/call/ask", 99),
    ]:
        payload = {"data": [CYBER, 3], "fn_index": fn_index, "session_hash": "probe"}
        status, text = _post_json(url + route, payload)
        assert status == 404, (route, fn_index, status, text)
        assert "no function" in text and "\n" not in text.strip(), text
    with log.open(encoding="utf-8", errors="replace") as handle:
        handle.seek(before)
        logged = handle.read()
    assert "Traceback" not in logged and "KeyError" not in logged, logged[-2000:]
    assert client.predict(CYBER, 3, api_name="/ask")["passages"]  # and the server answers on


def _mcp_texts(url: str, calls: list[tuple[str, dict]]) -> list[str]:
    """Each call's whole result as text (content and structured content), from the MCP SDK's
    own client over streamable HTTP."""
    from mcp import Client

    async def run() -> list[str]:
        async with Client(url) as client:
            results = [await client.call_tool(tool, arguments) for tool, arguments in calls]
        return [
            json.dumps([c.text for c in r.content], ensure_ascii=False)
            + json.dumps(r.structured_content, ensure_ascii=False)
            for r in results
        ]

    return asyncio.run(run())


def test_no_absolute_path_reaches_a_client_of_an_index_built_elsewhere(tmp_path):
    """``cd elsewhere && assistant build /abs/corpus --index I``, then serve (with MCP): the page
    config (the Document filter's choices), every MCP result and the errors sent to clients name
    documents relative to the corpus and the index folder by its name."""
    corpus, elsewhere = tmp_path / "corpus", tmp_path / "elsewhere"
    (corpus / "sub").mkdir(parents=True)
    elsewhere.mkdir()
    shutil.copy(ROOT / "corpus" / "000_2daad77d3c406492.txt", corpus)
    (corpus / "sub" / "penguins.txt").write_text(
        "南極観測の報告\n\nペンギン観測隊は、三月に昭和基地の近くで新しい観測小屋を開設した。\n",
        encoding="utf-8",
    )
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)}
    command = [python_executable(), "-m", "assistant", "build", str(corpus), "--index", "I"]
    subprocess.run(command, cwd=elsewhere, env=env, check=True, capture_output=True, timeout=180)
    index = elsewhere / "I"
    absolute = (str(tmp_path), str(tmp_path.resolve()))
    with running_server(index, tmp_path / "server.log", "--mcp") as (url, _, _):
        config = urllib.request.urlopen(url + "config", timeout=30).read().decode()
        assert "sub/penguins.txt" in config and not any(a in config for a in absolute)
        calls = [
            ("list_documents", {}),
            ("search_documents", {"question": CYBER, "k": 3}),
            ("search_documents", {"question": CYBER, "document": "sub/penguins.txt"}),
            ("get_paragraph", {"source": "sub/penguins.txt", "paragraph": 1}),
            ("get_paragraph", {"source": "nope.txt", "paragraph": 1}),
        ]
        texts = _mcp_texts(f"{url}mcp", calls)
        assert "sub/penguins.txt" in texts[0] and "ペンギン観測隊" in texts[3]
        assert "unknown source" in texts[4]
        assert not [t for t in texts if any(a in t for a in absolute)], texts
        os.replace(index / "current", index / "current.away")  # the index gone: refused
        try:
            refused = _mcp_texts(f"{url}mcp", [("search_documents", {"question": CYBER})])[0]
            from gradio_client import Client

            asked = _asked(Client(url, verbose=False))
        finally:
            os.replace(index / "current.away", index / "current")
    for error in (refused, asked):
        assert "the index at I is gone" in error and not any(a in error for a in absolute)
