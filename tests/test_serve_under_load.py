"""The real ``assistant serve`` under concurrent load and while its index is rebuilt.

Traffic goes only to a server this test starts on loopback; every loop is bounded in count and
time. Figures are printed (run with ``-s``) so the closing note can quote them.
"""

from __future__ import annotations

import statistics
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from serving import ROOT, copy_index, python_executable, running_server

pytestmark = pytest.mark.slow

CLIENTS = 20
QUESTIONS_IN_ALL = 200
QUESTIONS = [
    ("北朝鮮のサイバー攻撃で盗まれた暗号資産について", 7),
    ("What did the ministers say about the wildfires?", 1),
    ("청년 리더십 서밋은 언제 열립니까?", 10),
    ("造船産業についての言及", 9),
    ("Did they support Taiwan's participation in international organizations?", 4),
]


@pytest.fixture(scope="module")
def live_index(seed_index, tmp_path_factory) -> Path:
    return copy_index(seed_index, tmp_path_factory.mktemp("load-served"))


@pytest.fixture(scope="module")
def server_url(live_index, tmp_path_factory):
    log = tmp_path_factory.mktemp("load-server") / "server.log"
    with running_server(live_index, log) as (url, _, _):
        yield url


def _ask(client, question: str) -> tuple[float, dict]:
    started = time.perf_counter()
    result = client.predict(question, 3, api_name="/ask")
    return time.perf_counter() - started, result


def test_twenty_clients_two_hundred_questions_without_an_error(server_url):
    from gradio_client import Client

    clients = [Client(server_url, verbose=False) for _ in range(CLIENTS)]
    per_client = QUESTIONS_IN_ALL // CLIENTS

    def worker(index: int) -> list[tuple[float, int, int]]:
        out = []
        for turn in range(per_client):
            question, paragraph = QUESTIONS[(index + turn) % len(QUESTIONS)]
            seconds, result = _ask(clients[index], question)
            out.append((seconds, result["passages"][0]["paragraph"], paragraph))
        return out

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        results = [r for batch in pool.map(worker, range(CLIENTS), timeout=600) for r in batch]
    wall = time.perf_counter() - started
    latencies = sorted(seconds for seconds, _, _ in results)
    assert len(results) == QUESTIONS_IN_ALL
    assert all(got == want for _, got, want in results)
    p50 = statistics.median(latencies)
    p95 = latencies[int(0.95 * len(latencies)) - 1]
    print(
        f"\nload: {CLIENTS} clients, {len(results)} questions, 0 errors, "
        f"p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, "
        f"{len(results) / wall:.1f} questions/s, {wall:.1f} s in all"
    )


def test_answers_throughout_a_rebuild_and_from_the_new_index_after(
    server_url, live_index, tmp_path
):
    from gradio_client import Client

    client = Client(server_url, verbose=False)
    extra = tmp_path / "lighthouse.txt"
    extra.write_text(
        "灯台の記録\n\n北岬の灯台は、一九〇二年に建てられ、百年以上にわたり船を導いてきた。"
        "灯台守は毎晩レンズを磨いた。\n",
        encoding="utf-8",
    )
    build = subprocess.Popen(
        [
            python_executable(),
            "-m",
            "assistant",
            "build",
            str(ROOT / "corpus"),
            str(extra),
            "--index",
            str(live_index),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    answered, failures = [], []
    stop = threading.Event()

    def keep_asking() -> None:
        deadline = time.monotonic() + 240
        while not stop.is_set() and time.monotonic() < deadline:
            try:
                _, result = _ask(client, QUESTIONS[0][0])
                answered.append(result["passages"][0]["paragraph"])
            except Exception as exc:  # any failure while rebuilding is what this test looks for
                failures.append(repr(exc))

    asker = threading.Thread(target=keep_asking)
    asker.start()
    try:
        output, _ = build.communicate(timeout=240)
    finally:
        stop.set()
        asker.join(timeout=60)
    assert build.returncode == 0, output.decode(errors="replace")
    assert not failures
    assert answered and all(paragraph == 7 for paragraph in answered)
    _, result = _ask(client, "北岬の灯台はいつ建てられましたか")
    assert result["passages"][0]["source"].endswith("lighthouse.txt")
    print(f"\nanswered {len(answered)} questions while the index was rebuilt, none failed")
