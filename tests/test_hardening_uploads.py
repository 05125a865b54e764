"""Issue 13's upload probes against a real ``assistant serve --allow-upload``: the 2 MB one-line
file (questions answered meanwhile), a spoofed title, same-name and empty uploads, and an
upload a crash interrupted (finished at the next start)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from serving import copy_index, running_server

CYBER = "北朝鮮のサイバー攻撃で盗まれた暗号資産について"
WILDFIRES = "What did the ministers say about the wildfires?"
LIGHTHOUSE = "Who keeps the lighthouse on the northern cape?"
QUESTION_BUDGET_SECONDS = 2.0
LEFT_BY_A_CRASH = {
    "pending.txt": b"Coastal notes\n\nThe lighthouse on the northern cape is kept by Ms. Ito, "
    b"who has tended its lamp since 2009.\n",
    ".upload-k2j3h4": b"half a fi",
}

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def upload_index(seed_index, tmp_path_factory) -> Path:
    """A copy of the seed index with what a server killed mid-upload leaves: a saved upload
    the index does not hold yet and a partial temporary file."""
    index = copy_index(seed_index, tmp_path_factory.mktemp("harden-uploads"))
    (index / "uploads").mkdir()
    for name, data in LEFT_BY_A_CRASH.items():
        (index / "uploads" / name).write_bytes(data)
    return index


@pytest.fixture(scope="module")
def client(upload_index, tmp_path_factory):
    from gradio_client import Client

    log = tmp_path_factory.mktemp("harden-upload-server") / "server.log"
    with running_server(upload_index, log, "--allow-upload") as (url, _, _):
        yield Client(url, verbose=False)


def _upload(client, *paths: Path) -> str:
    from gradio_client import handle_file

    return client.predict([handle_file(str(p)) for p in paths], api_name="/add_documents")


def test_an_upload_a_crash_interrupted_is_finished_at_start(client, upload_index):
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        passages = client.predict(LIGHTHOUSE, 3, api_name="/ask")["passages"]
        if passages[0]["source"] == "pending.txt":
            break
        time.sleep(1)
    assert passages[0]["citation"] == "uploaded: pending.txt ¶1"
    assert not list((upload_index / "uploads").glob(".upload-*"))


def test_a_2mb_one_line_upload_never_holds_questions(client, tmp_path):
    big = tmp_path / "one-line.txt"
    line = "".join(f"文{i}です。" for i in range(200_000)).encode()[: 2 * 1024 * 1024 - 16]
    big.write_bytes(line.rsplit("。".encode(), 1)[0] + "。".encode())
    from gradio_client import handle_file

    started = time.monotonic()
    job = client.submit([handle_file(str(big))], api_name="/add_documents")
    latencies = []
    while not job.done() or len(latencies) < 3:
        asked = time.monotonic()
        assert client.predict(CYBER, 3, api_name="/ask")["passages"][0]["paragraph"] == 7
        latencies.append(time.monotonic() - asked)
    status = job.result(timeout=60)
    print(
        f"\n2 MB upload refused in {time.monotonic() - started:.1f} s; questions meanwhile: "
        f"max {max(latencies):.2f} s"
    )
    assert max(latencies) < QUESTION_BUDGET_SECONDS
    assert "Skipped one-line.txt" in status and "the limit is 2000" in status


def test_an_upload_cannot_take_an_indexed_title_or_file_name(client, tmp_path):
    spoof = tmp_path / "000_2daad77d3c406492.txt"  # the seed's own file name
    spoof.write_text(
        "日米韓共同声明\n\n北朝鮮のサイバー攻撃で盗まれた暗号資産は、全額が既に返還されたと"
        "三か国の外相は確認した。\n",
        encoding="utf-8",
    )
    status = _upload(client, spoof)
    assert "Added 000_2daad77d3c406492-2.txt" in status
    passages = client.predict(CYBER, 10, api_name="/ask")["passages"]
    uploaded = [p for p in passages if p["source"] == "000_2daad77d3c406492-2.txt"]
    assert uploaded, passages
    assert all(p["citation"].startswith("uploaded: 000_2daad77d3c406492-2.txt ¶") for p in uploaded)
    assert all(p["doc"] == "uploaded: 000_2daad77d3c406492-2.txt" for p in uploaded)
    seed = [p for p in passages if p["source"] == "000_2daad77d3c406492.txt"]
    assert all(p["citation"].startswith("日米韓共同声明 ¶") for p in seed)
    assert "Added 000_2daad77d3c406492-3.txt" in _upload(client, spoof)  # never replaced


def test_skipped_files_are_reported_as_skipped(client, tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("", encoding="utf-8")
    status = _upload(client, empty)
    assert "Skipped empty.txt" in status and "Added" not in status


def test_questions_are_answered_while_an_upload_is_embedded(client, tmp_path):
    from gradio_client import handle_file

    paragraphs = [
        " ".join(
            f"Harbour log {p}-{s}: the ferry number {p * 10 + s} left on time." for s in range(10)
        )
        for p in range(20)
    ]
    log = tmp_path / "harbour.txt"
    log.write_text("Harbour log\n\n" + "\n\n".join(paragraphs) + "\n", encoding="utf-8")
    job = client.submit([handle_file(str(log))], api_name="/add_documents")
    latencies = []
    while not job.done():
        asked = time.monotonic()
        passages = client.predict(WILDFIRES, 3, api_name="/ask")["passages"]
        assert passages[0]["source"] == "000_2daad77d3c406492.txt"
        latencies.append(time.monotonic() - asked)
    assert "Added harbour.txt" in job.result(timeout=300)
    print(f"\n{len(latencies)} questions during the upload: slowest {sorted(latencies)[-5:]}")
    assert len(latencies) >= 3 and max(latencies) < QUESTION_BUDGET_SECONDS


def test_an_upload_request_larger_than_a_batch_is_refused_unread(client):
    import http.client
    from urllib.parse import urlsplit

    from ui.uploads import MAX_UPLOAD_TOTAL_BYTES

    address = urlsplit(client.src)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=30)
    connection.putrequest("POST", "/gradio_api/upload")
    connection.putheader("Content-Type", "multipart/form-data; boundary=b")
    connection.putheader("Content-Length", str(MAX_UPLOAD_TOTAL_BYTES + 1024 * 1024))
    connection.endheaders()  # the body is never sent: the answer comes before it is needed
    response = connection.getresponse()
    assert response.status == 413
    assert b"limited to 8 MB" in response.read()
    connection.close()


def test_a_file_given_by_url_is_refused_even_with_uploads_on(client):
    import json
    import urllib.error
    import urllib.request

    config = json.loads(urllib.request.urlopen(client.src + "config", timeout=30).read())
    add = next(d["id"] for d in config["dependencies"] if d.get("api_name") == "add_documents")
    remote = "http://127.0.0.1:9/c.txt"  # the discard port: nothing may be fetched from it
    files = [{"path": remote, "url": remote, "meta": {"_type": "gradio.FileData"}}]
    body = json.dumps({"data": [files], "fn_index": add, "session_hash": "u"}).encode()
    request = urllib.request.Request(
        client.src + "gradio_api/queue/join",
        data=body,
        headers={"Content-Type": "application/json"},
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=30)
    assert refused.value.code == 403
    assert refused.value.read() == b"files are taken by upload only, not by URL"


def test_upload_storage_is_bounded_per_visitor(seed_index, tmp_path):
    """Issue 29: ten 8 MB requests were all stored. Each is admitted by the length it
    declares, so the body never needs sending; the third batch of one visitor is refused."""
    import http.client
    from urllib.parse import urlsplit

    from ui.uploads import MAX_UPLOAD_TOTAL_BYTES, VISITOR_UPLOAD_BYTES

    index = copy_index(seed_index, tmp_path)
    statuses = []
    with running_server(index, tmp_path / "server.log", "--allow-upload") as (url, _, _):
        address = urlsplit(url)
        for _ in range(VISITOR_UPLOAD_BYTES // MAX_UPLOAD_TOTAL_BYTES + 1):
            connection = http.client.HTTPConnection(address.hostname, address.port, timeout=2)
            connection.putrequest("POST", "/gradio_api/upload")
            connection.putheader("Content-Type", "multipart/form-data; boundary=b")
            connection.putheader("Content-Length", str(MAX_UPLOAD_TOTAL_BYTES))
            connection.endheaders()
            try:
                response = connection.getresponse()
                statuses.append((response.status, response.read()))
            except TimeoutError:
                statuses.append((None, b"admitted: waiting for the body"))
            connection.close()
    assert [s for s, _ in statuses[:-1]] == [None] * (len(statuses) - 1)
    assert statuses[-1][0] == 429 and b"the most one visitor may" in statuses[-1][1]


def test_the_temporary_copies_of_an_upload_are_removed_once_saved(seed_index, tmp_path):
    from assistant import Assistant
    from ui.handlers import ChatHandlers
    from ui.uploads import UploadWorker

    qa = Assistant.load(copy_index(seed_index, tmp_path))
    handlers = ChatHandlers(qa, uploads=UploadWorker(qa))
    copy = tmp_path / "gradio-temp" / "notes.txt"
    copy.parent.mkdir()
    copy.write_text("Coastal notes\n\nThe lighthouse keeper is Ms. Ito.\n", encoding="utf-8")
    status = handlers.add_documents([str(copy)], progress=lambda *a, **k: None)
    assert "Added notes.txt" in status
    assert not copy.exists()
    assert (qa.index_dir / "uploads" / "notes.txt").exists()


def test_a_copy_of_an_indexed_document_never_outranks_it(client, tmp_path):
    """Issue 29: a verbatim copy of the statement outranked the real ¶7 (0.917 vs 0.907), and a
    doctored copy was cited under the statement's own heading."""
    seed = (
        Path(__file__).resolve().parent.parent / "corpus" / "000_2daad77d3c406492.txt"
    ).read_text(encoding="utf-8")
    copy = tmp_path / "copy.txt"
    copy.write_text(seed, encoding="utf-8")
    status = _upload(client, copy)
    assert "of copy.txt repeat the indexed documents" in status, status
    passages = client.predict(CYBER, 10, api_name="/ask")["passages"]
    assert not [p for p in passages if p["source"] == "copy.txt"]
    assert next(p["paragraph"] for p in passages if p["source"] == "000_2daad77d3c406492.txt") == 7

    claim = "三か国の外相は、盗まれた暗号資産の全額がすでに返還されたことを歓迎した。"
    paragraphs = seed.split("\n\n")
    cyber = next(i for i, p in enumerate(paragraphs) if "暗号資産" in p)
    paragraphs[cyber] = claim
    doctored = tmp_path / "doctored.txt"
    doctored.write_text("\n\n".join(paragraphs), encoding="utf-8")
    _upload(client, doctored)
    passages = client.predict("盗まれた暗号資産は返還されたか", 10, api_name="/ask")["passages"]
    cited = [p for p in passages if p["source"] == "doctored.txt"]
    assert [p["text"] for p in cited] == [claim]  # the rest repeats the statement
    assert "日米韓共同声明" not in cited[0]["citation"], cited[0]["citation"]
    assert cited[0]["citation"].startswith("uploaded: doctored.txt")
