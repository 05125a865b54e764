"""The web chat's server, end to end: the real ``assistant serve`` in a subprocess, asked through
gradio_client at ``/ask``; plus the upload name and size rules it enforces."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
START_TIMEOUT = 120
CYBER_THEFT_QUESTION = "北朝鮮のサイバー攻撃で盗まれた暗号資産について"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_serving(proc: subprocess.Popen, url: str, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"server exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.5)
    pytest.fail(f"server did not answer at {url} within {START_TIMEOUT} s:\n{log.read_text()}")


@pytest.fixture(scope="module")
def server(seed_index, tmp_path_factory):
    """``assistant serve`` on the seed index at a free port; yields (url, seconds to serve)."""
    port = _free_port()
    log = tmp_path_factory.mktemp("ui-server") / "server.log"
    python = PYTHON if PYTHON.exists() else Path(sys.executable)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False"}
    started = time.monotonic()
    with log.open("w") as out:
        proc = subprocess.Popen(
            [
                str(python),
                "-m",
                "assistant",
                "serve",
                "--index",
                str(seed_index),
                "--port",
                str(port),
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}/"
    try:
        _wait_until_serving(proc, url, log)
        yield url, time.monotonic() - started, proc, log
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def client(server):
    from gradio_client import Client

    return Client(server[0], verbose=False)


@pytest.mark.slow
def test_server_prints_its_url(server):
    url, _, _, log = server
    assert f"Serving the chat at {url}" in log.read_text()


@pytest.mark.slow
def test_ask_endpoint_returns_the_answer_json(server, client, seed_assistant):
    asked = time.monotonic()
    result = client.predict(CYBER_THEFT_QUESTION, 3, api_name="/ask")
    latency = time.monotonic() - asked
    print(f"\nserver up in {server[1]:.1f} s; /ask answered in {latency * 1000:.0f} ms")

    assert result["passages"][0]["paragraph"] == 7
    expected = seed_assistant.ask(CYBER_THEFT_QUESTION, k=3).to_dict()
    assert result.keys() == expected.keys()
    assert [p.keys() for p in result["passages"]] == [p.keys() for p in expected["passages"]]
    assert [p["citation"] for p in result["passages"]] == [
        p["citation"] for p in expected["passages"]
    ]
    assert result["confident"] == expected["confident"]
    assert len(result["passages"]) == 3


@pytest.mark.slow
def test_k_changes_the_number_of_passages(client):
    assert len(client.predict(CYBER_THEFT_QUESTION, 1, api_name="/ask")["passages"]) == 1
    assert len(client.predict(CYBER_THEFT_QUESTION, 5, api_name="/ask")["passages"]) == 5


@pytest.mark.slow
@pytest.mark.parametrize(
    ("question", "k", "message"),
    [
        ("", 3, "empty"),
        ("   \n ", 3, "empty"),
        (CYBER_THEFT_QUESTION, 0, "k must be"),
    ],
)
def test_bad_input_is_an_error_and_the_server_keeps_answering(server, client, question, k, message):
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match=message):
        client.predict(question, k, api_name="/ask")
    assert server[2].poll() is None
    assert client.predict(CYBER_THEFT_QUESTION, 3, api_name="/ask")["passages"][0]["paragraph"] == 7


@pytest.mark.slow
def test_only_ask_is_a_public_endpoint(client):
    endpoints = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    assert set(endpoints) == {"/ask"}


# -- the rules the server applies to uploads (no server needed) -----------------------------


@pytest.mark.parametrize("name", ["notes.md", "報告書.txt", "Report 2025.MD"])
def test_plain_text_file_names_are_kept(name):
    from ui.app import safe_upload_name

    assert safe_upload_name(name) == name


@pytest.mark.parametrize(
    ("name", "kept"),
    [
        ("../../etc/notes.txt", "notes.txt"),
        ("C:\\Users\\x\\notes.md", "notes.md"),
        ("/abs/path/a.txt", "a.txt"),
    ],
)
def test_only_the_base_name_of_an_upload_is_kept(name, kept):
    from ui.app import safe_upload_name

    assert safe_upload_name(name) == kept


@pytest.mark.parametrize(
    "name",
    [
        ".hidden.txt",
        "..",
        "",
        "script.py",
        "page.html",
        "archive.txt.gz",
        "a\x00b.txt",
        "a<b>.txt",
        "x" * 200 + ".txt",
    ],
)
def test_unsafe_or_unsupported_upload_names_are_refused(name):
    from ui.app import UploadError, safe_upload_name

    with pytest.raises(UploadError):
        safe_upload_name(name)


def test_uploads_are_checked_before_any_is_saved(tmp_path):
    from ui.app import MAX_UPLOAD_BYTES, UploadError, save_uploads

    incoming = tmp_path / "incoming"
    incoming.mkdir()
    good = incoming / "good.txt"
    good.write_text("本文です。", encoding="utf-8")
    big = incoming / "big.md"
    big.write_bytes(b"a" * (MAX_UPLOAD_BYTES + 1))
    uploads = tmp_path / "index" / "uploads"
    with pytest.raises(UploadError, match="limit"):
        save_uploads([str(good), str(big)], uploads)
    assert not uploads.exists() or not any(uploads.iterdir())

    assert save_uploads([str(good)], uploads) == ["good.txt"]
    assert [p.name for p in uploads.iterdir()] == ["good.txt"]


def test_binary_uploads_are_refused(tmp_path):
    from ui.app import UploadError, save_uploads

    binary = tmp_path / "image.txt"
    binary.write_bytes(b"\x89PNG\x00\x00\x00")
    with pytest.raises(UploadError, match="text"):
        save_uploads([str(binary)], tmp_path / "uploads")


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("localhost", True),
        ("::1", True),
        ("0.0.0.0", False),
        ("192.168.1.5", False),
        ("example.org", False),
    ],
)
def test_non_loopback_hosts_are_recognised(host, loopback):
    from ui.app import is_loopback

    assert is_loopback(host) is loopback
