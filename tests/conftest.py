"""Shared fixtures (one real index of the seed corpus, built once per test session) and the
automatic test tiers: every collected test is marked exactly one of ``unit``, ``integration``
or ``system`` (see docs/testing.md), so ``pytest -m unit`` runs in seconds."""

from __future__ import annotations

import ast
import doctest
import inspect
import os
import re
import textwrap
import types
from functools import cache
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # nothing may be downloaded in tests

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "corpus" / "000_2daad77d3c406492.txt"
TESTS = Path(__file__).resolve().parent


@pytest.fixture(scope="session")
def seed_index(tmp_path_factory) -> Path:
    """A real FAISS index of the seed corpus, built with the real default model."""
    from assistant import build_index

    index_dir = tmp_path_factory.mktemp("seed-index")
    build_index([SEED], index_dir=index_dir)
    return index_dir


@pytest.fixture(scope="session")
def seed_assistant(seed_index):
    from assistant import Assistant

    return Assistant.load(seed_index)


ARCHIVE = ROOT.parent / "shared" / "eval" / "archive"
"""The shared development archive (20 real statements, ja/en/ko), beside the checkout."""


@pytest.fixture(scope="session")
def archive_index(tmp_path_factory) -> Path:
    """A real index of the seed and the shared archive, built once per session (tests that
    use it are skipped where the archive is not beside the checkout)."""
    from assistant import build_index

    if not (ARCHIVE / "docs").is_dir():
        pytest.skip("the shared archive is not beside the checkout")
    index_dir = tmp_path_factory.mktemp("archive-index")
    build_index([ROOT / "corpus", ARCHIVE / "docs"], index_dir=index_dir)
    return index_dir


@pytest.fixture(scope="session")
def embedding_model():
    """The default model and its identity, loaded once for tests that embed or build in-process
    (each load costs about 3 s)."""
    from assistant.encoding.models import load_model

    return load_model()


# -- a real browser ---------------------------------------------------------------------------
# playwright driving the Debian package's headless Chromium: one per test module, a fresh page
# per test (browser tests ask for ``page``).

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WAIT_MS = 30_000


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
            headless=True,
            viewport={"width": 1200, "height": 1400},
            locale="ja-JP",
        )
        yield context
        context.close()


@pytest.fixture
def page(browser):
    page = browser.new_page()
    page.set_default_timeout(WAIT_MS)
    yield page
    page.close()


# -- test tiers -------------------------------------------------------------------------------

TIERS = ("unit", "integration", "system")

SYSTEM_MARKERS = {"slow", "browser"}
"""Existing markers that already mean "starts servers, subprocesses or a browser"."""

SYSTEM_FILES = {
    "test_hardening_server.py",
    "test_hardening_uploads.py",
    "test_serve_under_load.py",
    "test_ui_browser.py",
}
"""Files whose every test talks to a real ``assistant serve`` or a browser. Other files are
tiered test by test (test_cli.py, test_mcp.py, test_ui_server.py and test_distributed.py also
hold pure tests of their helpers, which stay ``unit``)."""

MODEL_FIXTURES = {"seed_index", "seed_assistant", "embedding_model"}
"""This conftest's fixtures that load the real model or build a real index."""

USES_MODEL = re.compile(
    r"\b(?:load_model|build_index|UseEncoder)\s*\("
    r"|\bAssistant\s*\.\s*(?:load|open_with)\s*\("
)
"""Source text of a test, fixture, helper or doctest that loads a real model or builds an index."""

STARTS_PROCESSES = re.compile(
    r"\bsubprocess\s*\.\s*(?:run|Popen|call|check_call|check_output)\s*\("
    r"|\bcreate_subprocess_(?:exec|shell)\s*\("
    r"|\bos\s*\.\s*(?:system|fork|posix_spawn\w*)\s*\("
    r"|\bcluster_utils\b|\bray\s*\.\s*init\s*\("
    r"|\b(?:sync|async)_playwright\b"
)
"""Source text that starts another process, a Ray cluster or a browser."""


def _explicit_tiers(item: pytest.Item) -> set[str]:
    return {mark.name for mark in item.iter_markers() if mark.name in TIERS}


def _in_tests(obj: object) -> bool:
    """Whether ``obj`` (a function or class) is defined in a file under tests/."""
    try:
        source_file = inspect.getsourcefile(obj)
    except TypeError:
        return False
    return source_file is not None and Path(source_file).resolve().is_relative_to(TESTS)


def _source(obj: object) -> str:
    try:
        return textwrap.dedent(inspect.getsource(obj))
    except (OSError, TypeError):
        return ""


@cache
def _reachable_source(obj: object) -> str:
    """The source of ``obj`` and of every function or class under tests/ that it names (its
    helpers, e.g. ``running_server`` of serving.py), followed transitively."""
    seen: set[int] = set()
    parts: list[str] = []
    pending = [obj]
    while pending:
        current = inspect.unwrap(pending.pop())
        if id(current) in seen or not _in_tests(current):
            continue
        seen.add(id(current))
        text = _source(current)
        parts.append(text)
        names = getattr(current, "__globals__", None)
        if names is None:  # a class: its module's globals
            names = vars(inspect.getmodule(current) or types.ModuleType("none"))
        try:
            tree = ast.parse(text)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and node.id in names:
                target = names[node.id]
                if inspect.isfunction(target) or inspect.isclass(target):
                    pending.append(target)
    return "\n".join(parts)


def _fixture_functions(item: pytest.Item) -> list[object]:
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return []
    return [definitions[-1].func for definitions in info.name2fixturedefs.values() if definitions]


@cache
def _doctest_source(module: types.ModuleType) -> str:
    """The example code of every doctest in ``module`` (not the prose around it)."""
    try:
        tests = doctest.DocTestFinder().find(module)
    except ValueError:
        return ""
    return "\n".join(example.source for test in tests for example in test.examples)


def _automatic_tier(item: pytest.Item) -> str:
    if SYSTEM_MARKERS & {mark.name for mark in item.iter_markers()}:
        return "system"
    if item.path.name in SYSTEM_FILES:
        return "system"
    sources = [_reachable_source(f) for f in _fixture_functions(item)]
    function = getattr(item, "function", None)
    if function is not None:
        sources.append(_reachable_source(function))
    dtest = getattr(item, "dtest", None)  # a --doctest-modules item
    if dtest is not None:
        sources.append("\n".join(example.source for example in dtest.examples))
    callspec = getattr(item, "callspec", None)
    if callspec is not None:  # e.g. test_doctests.py: one test per module of doctests
        for value in callspec.params.values():
            if isinstance(value, types.ModuleType):
                sources.append(_doctest_source(value))
    text = "\n".join(sources)
    if STARTS_PROCESSES.search(text):
        return "system"
    if MODEL_FIXTURES & set(getattr(item, "fixturenames", ())) or USES_MODEL.search(text):
        return "integration"
    return "unit"


@pytest.hookimpl(tryfirst=True)  # before ``-m`` deselects by marker
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark each test with its tier, unless it (or its module or class) names one itself."""
    doubled = []
    for item in items:
        explicit = _explicit_tiers(item)
        if not explicit:
            item.add_marker(getattr(pytest.mark, _automatic_tier(item)))
        if len(_explicit_tiers(item)) != 1:
            doubled.append(f"{item.nodeid}: {sorted(_explicit_tiers(item))}")
    if doubled:
        raise pytest.UsageError(
            "every test needs exactly one tier (unit, integration or system):\n  "
            + "\n  ".join(doubled)
        )
