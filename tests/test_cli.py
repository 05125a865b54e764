"""The ``assistant`` command, run as a real subprocess: output shapes, and one line on stderr
with exit status 2 for every bad input."""

from __future__ import annotations

import argparse
import ast
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from commands import assert_one_line_error

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "corpus" / "000_2daad77d3c406492.txt"
SCRIPT = Path(sys.executable).parent / "assistant"
COMMAND = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "assistant"]
PASSAGE_KEYS = {
    *("text", "doc", "source", "section", "paragraph", "citation", "score", "highlight"),
    *("lang", "date"),
    *("page", "url"),  # page of a PDF, address of a fetched page (None otherwise)
    "versions",
    *("part", "parts"),  # of a paragraph longer than a passage (1 of 1 otherwise)
}


def run(*args: str | bytes, timeout: float = 180) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONUNBUFFERED": "1"}
    return subprocess.run(
        [*COMMAND, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        cwd=ROOT,
        check=False,
    )


# -- shapes ------------------------------------------------------------------------------------


@pytest.mark.slow
def test_build_with_paths_and_index(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "space.md").write_text(
        "# 宇宙協力\n\n閣僚は、月面探査計画における協力を歓迎した。\n\n"
        "## 規範\n\n閣僚は、宇宙ごみの削減に向けた国際的な規範づくりを支持した。\n",
        encoding="utf-8",
    )
    (corpus / "blank.txt").write_text("", encoding="utf-8")
    (corpus / "loop.txt").symlink_to(corpus / "loop.txt")
    (corpus / "scan.pdf").write_bytes(b"%PDF-1.4\x00\x01")
    (corpus / "photo.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    os.mkfifo(corpus / "pipe.txt")
    result = run("build", str(corpus), "--index", str(tmp_path / "index"))
    assert result.returncode == 0, result.stderr
    assert "indexed 2 passages from 1 documents" in result.stdout
    assert "2 added, 0 changed, 0 removed, 0 kept" in result.stdout
    for skipped in ("blank.txt", "loop.txt", "photo.txt", "scan.pdf"):
        assert skipped in result.stderr  # one warning line each (scan.pdf: a damaged PDF)
    assert "pipe.txt" not in result.stderr
    assert "Traceback" not in result.stderr
    assert (tmp_path / "index" / "current" / "manifest.json").is_file()
    # Progress, as a log shows it (no terminal): each stage from 0 to its total.
    for line in (
        "embedding passages: 0/2",
        "embedding passages: 2/2",
        "embedding sentences: 2/2",
        "indexing (BM25, FAISS): 1/1",
    ):
        assert line in result.stderr.splitlines() or f"  {line}" in result.stderr, result.stderr


@pytest.mark.slow
def test_ask_json_with_a_very_long_question(seed_index):
    """``ask --json`` shape, with a 100,000-character question that is cut with a notice and
    still answered. Such a question only fits through standard input (``-``: one argument holds
    at most 128 KiB); control characters and bytes that are not UTF-8 are dropped from it."""
    start = "北朝鮮のサイバー攻撃による\x07暗号資産の窃取".encode() + b"\xed\xa0\x80\x1b\x7f"
    question = start + ("。" + "あ" * 99_980).encode()
    with pytest.raises(OSError, match="Argument list too long"):
        run("ask", question)
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    result = subprocess.run(
        [*COMMAND, "ask", "-", "--k", "3", "--json", "--index", str(seed_index)],
        input=question,
        capture_output=True,
        env=env,
        timeout=180,
        check=False,
    )
    stderr = result.stderr.decode()
    assert result.returncode == 0, stderr
    assert "note:" in stderr and "only the first 2000" in stderr and "Traceback" not in stderr
    data = json.loads(result.stdout)
    assert set(data) == {"question", "confident", "notice", "context", "passages"}
    assert all(p["link"].startswith("?doc=") for p in data["passages"])
    assert data["question"].startswith("北朝鮮のサイバー攻撃による暗号資産の窃取。あ")
    assert len(data["question"]) == 2000
    assert isinstance(data["confident"], bool)
    assert len(data["passages"]) == 3
    for passage in data["passages"]:
        assert set(passage) == {*PASSAGE_KEYS, "link"}
        assert passage["highlight"] in passage["text"]
    assert data["passages"][0]["citation"] == "日米韓共同声明 ¶7 (北朝鮮の脅威への対処)"
    assert data["passages"][0]["paragraph"] == 7


@pytest.mark.slow
def test_eval_prints_table_per_language(seed_index, tmp_path):
    rows = [
        {"lang": "ja", "question": "暗号資産の窃取", "expect": "暗号資産", "paragraph": 7},
        {
            "lang": "ja",
            "question": "ユース・サミットはいつ",
            "expect": "ユース・サミット",
            "paragraph": 10,
        },
        {
            "lang": "en",
            "question": "wildfires in Japan and Korea",
            "expect": "山火事",
            "paragraph": 1,
        },
        {
            "lang": "ko",
            "question": "청년 리더십 서밋은 언제 열립니까?",
            "expect": "ユース・サミット",
            "paragraph": 10,
        },
        {
            "lang": "en",
            "question": "What is the recipe for sourdough bread?",
            "expect": None,
            "paragraph": None,
        },
        # Scripts the corpus does not use are answered too (rejected, not crashed on).
        {"lang": "ar", "question": "ما هو موقف الوزراء من وقف إطلاق النار؟", "expect": None},
        {"lang": "emoji", "question": "🙂🚀🔥", "expect": None},
    ]
    questions = tmp_path / "questions.jsonl"
    questions.write_text(
        "\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8"
    )
    result = run("eval", str(questions), "--index", str(seed_index))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    header = lines[0].lower().split()
    assert {"hit@1", "hit@3", "mrr"} <= set(header)
    languages = {line.split()[0] for line in lines[1:] if line and not line.startswith(" ")}
    assert {"overall", "ja", "en", "ko", "ar", "emoji"} <= languages
    ja = next(line.split() for line in lines if line.startswith("ja "))
    assert float(ja[header.index("hit@3")]) == 1.0


def test_help_is_fast_and_does_not_import_torch():
    started = time.perf_counter()
    result = run("--help", timeout=30)
    assert result.returncode == 0 and "build" in result.stdout and "ask" in result.stdout
    assert time.perf_counter() - started < 5
    for args in (["--help"], ["build", "--help"], ["ask", "--help"], ["eval", "--help"]):
        probe = subprocess.run(
            [
                sys.executable,
                "-c",
                "import sys\nfrom assistant.interfaces.cli import main\n"
                "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
                "heavy = [m for m in ('torch', 'faiss', 'sentence_transformers', 'gradio') "
                "if m in sys.modules]\nprint('HEAVY', heavy, file=sys.stderr)",
                *args,
            ],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        assert "HEAVY []" in probe.stderr, (args, probe.stderr)


def test_ask_answers_without_importing_torch_or_gradio(seed_index):
    """A cold ``assistant ask`` runs the ONNX model: importing torch and sentence-transformers
    would cost it ~4.4 s, Gradio another second."""
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys\nfrom assistant.interfaces.cli import main\n"
            "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
            "heavy = [m for m in ('torch', 'sentence_transformers', 'transformers', 'gradio') "
            "if m in sys.modules]\nprint('HEAVY', heavy, file=sys.stderr)",
            "ask",
            "北朝鮮による暗号資産の窃取",
            "--index",
            str(seed_index),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert "¶7" in probe.stdout, probe.stdout + probe.stderr
    assert "HEAVY []" in probe.stderr, probe.stderr


# -- bad input: one line, exit 2, no traceback -------------------------------------------------


@pytest.mark.parametrize("question", ["", "   ", "\t\n", "\u200b\u200d"])
def test_empty_question(seed_index, question):
    assert_one_line_error(run("ask", question, "--index", str(seed_index)), "empty")


def test_bad_k(seed_index):
    assert_one_line_error(run("ask", "暗号資産", "--k", "0", "--index", str(seed_index)), "--k")
    assert_one_line_error(run("ask", "暗号資産", "--k", "x"), "invalid int")


@pytest.mark.parametrize(
    ("option", "value"), [("--since", "2025-13-45"), ("--until", "2025-02-30")]
)
def test_impossible_dates_are_one_line_errors(seed_index, option, value):
    result = run("ask", "暗号資産", option, value, "--index", str(seed_index))
    assert_one_line_error(result, option, value, "not a date on the calendar")


def test_missing_path(tmp_path):
    started = time.perf_counter()
    result = run("build", str(tmp_path / "nope.txt"), "--index", str(tmp_path / "index"))
    assert_one_line_error(result, "no such file or folder", "nope.txt")
    assert time.perf_counter() - started < 5, "a missing path must fail before the model loads"


def test_empty_corpus_folder(tmp_path):
    (tmp_path / "empty").mkdir()
    result = run("build", str(tmp_path / "empty"), "--index", str(tmp_path / "index"))
    assert_one_line_error(result, "no readable")


def test_missing_index_dir(tmp_path):
    result = run("ask", "暗号資産", "--index", str(tmp_path / "no-index"))
    assert_one_line_error(result, "no index", "assistant build")


def test_a_build_over_an_index_of_a_newer_format_is_one_line(seed_index, tmp_path):
    index = tmp_path / "index"
    shutil.copytree(seed_index, index, symlinks=True)
    manifest_path = index / "current" / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["format_version"] += 1
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    result = run("build", str(SEED), "--index", str(index))
    assert_one_line_error(result, "newer version", "assistant build --index")
    assert json.loads(manifest_path.read_text(encoding="utf-8")) == manifest


def test_a_looping_current_link_is_one_line_for_ask_and_serve(tmp_path):
    index = tmp_path / "index"
    index.mkdir()
    (index / "current").symlink_to("current")
    assert_one_line_error(run("ask", "暗号資産", "--index", str(index)), "link loops")
    served = run("serve", "--index", str(index), "--port", "1", timeout=60)
    assert_one_line_error(served, "link loops")


@pytest.mark.parametrize("damage", ["manifest", "passages", "folder-file"])
def test_unreadable_index(seed_index, tmp_path, damage):
    index = tmp_path / "index"
    shutil.copytree(seed_index, index, symlinks=True)
    if damage == "manifest":
        (index / "current" / "manifest.json").write_text("{not json", encoding="utf-8")
    elif damage == "passages":
        path = index / "current" / "passages.json"
        path.write_bytes(path.read_bytes()[:100])
    else:
        shutil.rmtree(index)
        index.write_text("not a folder", encoding="utf-8")
    started = time.perf_counter()
    result = run("ask", "暗号資産", "--index", str(index))
    assert_one_line_error(result, "assistant build")
    assert time.perf_counter() - started < 10, "a damaged index must fail before the model loads"


@pytest.mark.parametrize(
    ("field", "value", "word"),
    [
        ("format_version", 99, "format"),
        (
            "model",
            {"name": "someone/other-model", "dimension": 384, "probe_checksum": "x"},
            "other-model",
        ),
        (
            "model",
            {"name": "multilingual-e5-small", "dimension": 768, "probe_checksum": "x"},
            "768",
        ),
    ],
    ids=["format", "model-name", "dimension"],
)
def test_mismatched_index(seed_index, tmp_path, field, value, word):
    index = tmp_path / "index"
    shutil.copytree(seed_index, index, symlinks=True)
    manifest_path = index / "current" / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest[field] = value
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    result = run("ask", "暗号資産", "--index", str(index))
    assert_one_line_error(result, word, "assistant build")


def test_bad_questions_file(seed_index, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"question": "ok"}\nnot json\n', encoding="utf-8")
    assert_one_line_error(run("eval", str(bad), "--index", str(seed_index)), "bad.jsonl:2")
    assert_one_line_error(
        run("eval", str(tmp_path / "none.jsonl"), "--index", str(seed_index)), "none.jsonl"
    )


@pytest.mark.parametrize(
    ("row", "says"),
    [
        ({"question": "q", "doc": "a.txt", "expect": "", "kind": "same-lang"}, "phrase"),
        ({"question": "q", "doc": "", "expect": "", "kind": "ood"}, "must be null"),
        ({"question": "q", "expect": "x", "kind": "cross"}, "same-lang, cross-lang"),
        ({"question": "q", "doc": "a.txt", "expect": "x", "alt": [{"doc": "b"}]}, "alt"),
    ],
)
def test_an_ungradable_question_row_is_one_line_naming_it(seed_index, tmp_path, row, says):
    """An empty phrase is in every passage: graded, it would count any answer a hit (a set
    written with "" for its off-topic rows once scored them all as answered right)."""
    bad = tmp_path / "rows.jsonl"
    good = {"question": "北朝鮮", "expect": "北朝鮮"}
    bad.write_text(json.dumps(good) + "\n" + json.dumps(row) + "\n", encoding="utf-8")
    result = run("eval", str(bad), "--index", str(seed_index))
    assert_one_line_error(result, "rows.jsonl:2", says)


HINT = re.compile(
    r"(?:^|[:`(]\s*|\brun\s+|\buse\s+)assistant ([a-z][a-z-]*)"
    r"((?:\s+(?:--[a-z][a-z-]*|[A-Z][A-Z.]*|\[[^\]]*\]))*)"
)
"""A command named in a message or docstring: ``with: assistant build --model NAME``."""


def _hints() -> list[tuple[str, str, list[str]]]:
    """Every ``assistant COMMAND --flag`` named in a string of the library or the web chat."""
    found = []
    for path in sorted([*(ROOT / "assistant").rglob("*.py"), *(ROOT / "ui").rglob("*.py")]):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                for match in HINT.finditer(node.value):
                    flags = re.findall(r"--[a-z][a-z-]*", match.group(2))
                    found.append((f"{path.name}:{node.lineno}", match.group(1), flags))
    return found


def test_every_hint_names_a_real_command_and_flag():
    """A message that tells the user what to run must name a command and flags that exist."""
    from assistant.interfaces.cli import _parser

    parser = _parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    hints = _hints()
    assert len(hints) > 10, hints  # the pattern still finds the hints
    for where, command, flags in hints:
        assert command in commands.choices, f"{where}: no command 'assistant {command}'"
        known = commands.choices[command]._option_string_actions
        for flag in flags:
            assert flag in known, f"{where}: 'assistant {command}' has no {flag}"


def test_unknown_command_and_missing_argument():
    assert_one_line_error(run("frobnicate"), "invalid choice")
    assert_one_line_error(run("ask"), "question")
