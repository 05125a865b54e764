"""Starting the real ``assistant serve`` for tests: a free loopback port, wait until it answers."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
START_TIMEOUT = 120


def copy_index(index_dir: Path, parent: Path) -> Path:
    """A private copy of an index (its generation link kept), for a test that rebuilds it."""
    copy = parent / "index"
    shutil.copytree(index_dir, copy, symlinks=True)
    return copy


def python_executable() -> str:
    return str(PYTHON if PYTHON.exists() else Path(sys.executable))


def build_in_subprocess(index_dir: Path, *paths: Path) -> None:
    """``assistant build PATHS --index index_dir`` as another process would run it."""
    subprocess.run(
        [
            python_executable(),
            "-m",
            "assistant",
            "build",
            *map(str, paths),
            "--index",
            str(index_dir),
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=180,
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_serving(proc: subprocess.Popen, url: str, log: Path) -> None:
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


@contextlib.contextmanager
def running_server(
    index_dir: Path, log: Path, *extra: str
) -> Iterator[tuple[str, float, subprocess.Popen]]:
    """``assistant serve --index index_dir [extra...]`` on a free port; yields
    (url, start seconds, process) and stops the server afterwards."""
    port = free_port()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False"}
    command = [python_executable(), "-m", "assistant", "serve", "--index", str(index_dir)]
    started = time.monotonic()
    with log.open("w") as out:
        proc = subprocess.Popen(
            [*command, "--port", str(port), *extra],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_until_serving(proc, url, log)
        yield url, time.monotonic() - started, proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def open_page(page, url: str) -> None:
    """Open the chat page in a real browser and wait until it can take a question."""
    page.goto(url, wait_until="domcontentloaded")  # Gradio pages never reach network idle
    page.locator("#question textarea").wait_for()
