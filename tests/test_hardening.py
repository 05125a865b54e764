"""Hardening (issue 13) without a server: build identities, re-verification of changed mapped
files, one-line storage errors, upload names and caps, relative paths, host/port checks."""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from assistant import Assistant, IndexMismatchError
from assistant.durable import file_problem, record_files, remove_leftovers, storage_error
from assistant.errors import StorageError
from assistant.indexing.store import live_generation
from assistant.ingest.provenance import relative_source

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "corpus" / "000_2daad77d3c406492.txt"
CYBER = "北朝鮮のサイバー攻撃で窃取された暗号資産"


def _assistant(index: Path, embedding_model) -> Assistant:
    encoder, info = embedding_model
    return Assistant.open_with(index, encoder, info)


def _private_copy(seed_index: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "index"
    shutil.copytree(seed_index, copy, symlinks=True)
    return copy


# -- crash-safety helpers --------------------------------------------------------------------


def test_file_records_catch_missing_truncated_and_same_size_damage(tmp_path):
    (tmp_path / "a.bin").write_bytes(b"abcdef")
    records = record_files(tmp_path)
    assert file_problem(tmp_path / "a.bin", records["a.bin"]) is None
    (tmp_path / "a.bin").write_bytes(b"abcdeX")
    assert "checksum" in file_problem(tmp_path / "a.bin", records["a.bin"])
    (tmp_path / "a.bin").write_bytes(b"abc")
    assert "truncated" in file_problem(tmp_path / "a.bin", records["a.bin"])
    (tmp_path / "a.bin").unlink()
    assert file_problem(tmp_path / "a.bin", records["a.bin"]) == "is missing"


def test_leftovers_are_removed_except_kept_names(tmp_path):
    for name in (".staging-1", ".staging-2", "gen-1"):
        (tmp_path / name).mkdir()
    (tmp_path / ".link-1").symlink_to("gen-1")
    remove_leftovers(tmp_path, [".staging-*", ".link-*"], keep={".staging-2"})
    assert sorted(p.name for p in tmp_path.iterdir()) == [".staging-2", "gen-1"]


@pytest.mark.parametrize(
    ("exc", "message"),
    [
        (OSError(28, "No space left on device"), "disk full writing /x/f"),
        (OSError(13, "Permission denied"), "permission denied writing /x/f"),
        (ValueError("unrelated"), None),
    ],
)
def test_storage_errors_are_one_line(exc, message):
    error = storage_error(exc, Path("/x/f"))
    assert (str(error) if error else None) == message


# -- generations: identities, not paths ------------------------------------------------------


@pytest.mark.slow
def test_a_deleted_and_rebuilt_index_never_reuses_a_generation_name(tmp_path, embedding_model):
    from assistant.indexing import indexer

    encoder, info = embedding_model
    index = tmp_path / "index"
    indexer.build([SEED], index, encoder, info)
    first = live_generation(index)
    qa = _assistant(index, embedding_model)
    shutil.rmtree(index)
    indexer.build([SEED], index, encoder, info)
    second = live_generation(index)
    assert first.name[:10] == second.name[:10] == "gen-000001"  # numbering restarts...
    assert first.name != second.name  # ...but the build id differs
    assert qa.reload() is True  # the server notices the new build despite the same number


def test_a_server_prepares_each_index_it_serves_in_the_background(tmp_path, embedding_model):
    """The lookups a first question naming a person would wait for are built in a background
    thread, for the index loaded and again for one swapped in."""
    import time

    from assistant.indexing import indexer

    encoder, info = embedding_model
    index = tmp_path / "index"
    indexer.build([SEED], index, encoder, info)
    qa = _assistant(index, embedding_model)
    first = qa.retriever
    check = first.check("key_terms")
    assert check._sounds is None  # lazy until asked for
    qa.prepare_in_background().join(timeout=60)
    assert check._vocabulary is not None and check._sounds is not None
    assert check._sounds.mentions("Rubio")  # マルコ・ルビオ in the seed
    other = tmp_path / "other.txt"
    other.write_text("브뤼셀에서 열린 회의.\n", encoding="utf-8")
    indexer.build([SEED, other], index, encoder, info)
    assert qa.reload() is True and qa.retriever is not first
    fresh = qa.retriever.check("key_terms")
    deadline = time.monotonic() + 60
    while fresh._sounds is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert fresh._sounds is not None and fresh._sounds.has_hangul


@pytest.mark.slow
def test_a_mapped_file_rewritten_in_place_is_refused_once_then_recovered(
    seed_index, tmp_path, embedding_model, caplog
):
    index = _private_copy(seed_index, tmp_path)
    qa = _assistant(index, embedding_model)
    vectors = live_generation(index) / "sentence_vectors.npy"
    healthy = vectors.read_bytes()
    header = len(healthy) - qa.manifest["counts"]["sentences"] * 384 * 4
    nan = np.full(qa.manifest["counts"]["sentences"] * 384, np.nan, dtype=np.float32)
    with vectors.open("r+b") as handle:  # same size, same inode: only the content differs
        handle.seek(header)
        handle.write(nan.tobytes())
    with caplog.at_level(logging.ERROR, logger="assistant.api"):
        for _ in range(3):
            with pytest.raises(IndexMismatchError, match="changed on disk"):
                qa.reload()
    assert len([r for r in caplog.records if "changed on disk" in r.message]) == 1
    restored = vectors.with_suffix(".restored")
    restored.write_bytes(healthy)
    os.replace(restored, vectors)  # as a restore from backup would (a new inode)
    assert qa.reload() is True
    answer = qa.ask(CYBER, k=3)
    assert answer.passages[0].paragraph == 7
    assert all(np.isfinite(p.score) for p in answer.passages)


@pytest.mark.slow
def test_a_bad_new_generation_is_refused_once_then_a_good_rebuild_is_served(
    seed_index, tmp_path, embedding_model, caplog
):
    from assistant.indexing import indexer

    index = _private_copy(seed_index, tmp_path)
    qa = _assistant(index, embedding_model)
    encoder, info = embedding_model
    extra = tmp_path / "extra.txt"
    extra.write_text("Title\n\nA short paragraph about penguins.\n", encoding="utf-8")
    indexer.build([SEED, extra], index, encoder, info)
    with (live_generation(index) / "passages.json").open("r+b") as handle:
        handle.write(b"X")  # same size, checksum differs
    with caplog.at_level(logging.ERROR, logger="assistant.api"):
        for _ in range(2):  # never answered from the older generation
            with pytest.raises(IndexMismatchError, match=r"cannot open.*assistant build"):
                qa.reload()
    assert len([r for r in caplog.records if "cannot open" in r.message]) == 1
    indexer.build([SEED], index, encoder, info)
    assert qa.reload() is True
    assert qa.ask(CYBER, k=1).passages[0].paragraph == 7


@pytest.mark.slow
def test_a_rebuild_with_another_model_is_loaded_and_an_unknown_one_refused(
    seed_index, tmp_path, embedding_model
):
    from assistant.encoding.models import load_model
    from assistant.indexing import indexer

    index = _private_copy(seed_index, tmp_path)
    qa = _assistant(index, embedding_model)
    use, use_info = load_model("use-multilingual")
    other = tmp_path / "other.txt"
    other.write_text("Penguins\n\nEmperor penguins breed in the Antarctic winter.\n", "utf-8")
    indexer.build([other], index, use, use_info)
    assert qa.reload() is True
    answer = qa.ask("Where do emperor penguins breed?", k=1)
    assert qa.model_info.name == "use-multilingual"
    assert answer.passages[0].source.endswith("other.txt")
    indexer.build([other, SEED], index, use, use_info)  # a new generation ...
    manifest_path = live_generation(index) / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["model"] = {**manifest["model"], "name": "no-such-model-anywhere"}
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")  # ... naming a model not here
    with pytest.raises(IndexMismatchError, match=r"cannot open.*no-such-model"):
        qa.reload()


# -- uploads ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["evil\u202etxt.md", "a\u200bb.txt", "tab\there.txt", "x\x7f.md"])
def test_control_and_bidi_characters_are_refused_in_upload_names(name):
    from ui.uploads import UploadError, safe_upload_name

    with pytest.raises(UploadError, match="control, direction"):
        safe_upload_name(name)


def test_same_name_uploads_are_versioned_not_replaced(tmp_path):
    from ui.uploads import save_uploads

    source = tmp_path / "notes.txt"
    source.write_text("first\n", encoding="utf-8")
    folder = tmp_path / "uploads"
    assert save_uploads([str(source)], folder) == ["notes.txt"]
    source.write_text("second\n", encoding="utf-8")
    assert save_uploads([str(source)], folder) == ["notes-2.txt"]
    assert (folder / "notes.txt").read_text(encoding="utf-8") == "first\n"
    taken = {"000_2daad77d3c406492.txt"}  # an indexed document's file name
    seed_named = tmp_path / "000_2daad77d3c406492.txt"
    seed_named.write_text("spoof\n", encoding="utf-8")
    assert save_uploads([str(seed_named)], folder, taken=taken) == ["000_2daad77d3c406492-2.txt"]
    assert not list(folder.glob(".upload-*"))


def test_upload_count_and_total_size_are_capped(tmp_path):
    from ui.uploads import MAX_UPLOAD_FILES, UploadError, check_uploads

    files = []
    for number in range(MAX_UPLOAD_FILES + 1):
        path = tmp_path / f"f{number}.txt"
        path.write_text("text\n", encoding="utf-8")
        files.append(str(path))
    with pytest.raises(UploadError, match=f"the limit is {MAX_UPLOAD_FILES}"):
        check_uploads(files, (".txt",))


def test_sources_are_shown_relative_to_the_indexed_folder(tmp_path):
    corpus = tmp_path / "corpus"
    (corpus / "sub").mkdir(parents=True)
    (corpus / "sub" / "a.txt").write_text("x", encoding="utf-8")
    assert relative_source(str(corpus / "sub" / "a.txt"), [str(corpus)]) == "sub/a.txt"
    assert relative_source(str(corpus / "sub" / "a.txt"), [str(corpus / "sub" / "a.txt")]) == (
        "a.txt"
    )
    assert relative_source("/elsewhere/b.txt", [str(corpus)]) == "b.txt"


def test_messages_to_clients_name_no_absolute_path(tmp_path):
    """A refusal sent to a client names documents as answers show them and the index folder by
    its name (a generation inside it too), never where the server keeps them."""
    from assistant.ingest.provenance import public_message, shown_source

    corpus, index = tmp_path / "corpus", tmp_path / "idx"
    (corpus / "sub").mkdir(parents=True)
    (index / "gen-000001-abc").mkdir(parents=True)
    (index / "uploads").mkdir()
    sources = [str(corpus / "sub" / "a.txt"), str(index / "uploads" / "b.txt")]
    roots = [str(corpus), str(index / "uploads"), "https://example.org/page"]
    message = (
        f"index file {index.resolve()}/gen-000001-abc/passages.json is damaged; no document in "
        f"{sources[0]} or {sources[1]}; the index at {index} is gone; see {corpus}"
    )
    public = public_message(message, index, sources, roots)
    assert str(tmp_path) not in public and str(tmp_path.resolve()) not in public
    assert public == (
        "index file idx/gen-000001-abc/passages.json is damaged; no document in sub/a.txt or "
        "b.txt; the index at idx is gone; see corpus"
    )
    assert shown_source(sources[0], roots) == "sub/a.txt"
    assert shown_source(sources[0], roots, full_paths=True) == sources[0]
    assert shown_source("https://example.org/page", roots) == "https://example.org/page"


# -- the command line ------------------------------------------------------------------------


def _assistant_command(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "assistant", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
        **kwargs,
    )


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--port", "99999", "--port must be a number from 1 to 65535"),
        ("--port", "-1", "--port must be a number from 1 to 65535"),
        ("--host", "::", "is IPv6, which is not supported"),
        ("--host", "no such host.invalid", "is not an address or a known host name"),
    ],
)
def test_host_and_port_are_validated_in_one_line(option, value, message, tmp_path):
    result = _assistant_command("serve", "--index", str(tmp_path), f"{option}={value}")
    assert result.returncode == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def _mount_small_tmpfs(folder: Path) -> None:
    folder.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root here")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(folder)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")


@pytest.mark.slow
def test_disk_full_during_a_build_is_one_line_and_leaves_no_partial_files(tmp_path):
    disk = tmp_path / "disk"
    _mount_small_tmpfs(disk)
    try:
        filler = disk / "filler"
        free = shutil.disk_usage(disk).free
        filler.write_bytes(b"\0" * (free - 96 * 1024))  # room for the lock, not for the index
        result = _assistant_command("build", str(SEED), "--index", str(disk / "index"))
        assert result.returncode == 2, result.stderr
        lines = result.stderr.strip().splitlines()
        assert lines[-1].startswith("assistant: error: disk full writing "), result.stderr
        assert "Traceback" not in result.stderr
        assert not list((disk / "index").glob(".staging-*"))
        assert not list((disk / "index").glob("gen-*"))
        print(f"\n{lines[-1]}")

        from ui.uploads import save_uploads

        upload = tmp_path / "notes.txt"
        upload.write_bytes(b"A line of text.\n" * 10_000)  # 160 kB: more than is free
        with pytest.raises(StorageError, match=r"disk full writing .*notes\.txt"):
            save_uploads([str(upload)], disk / "uploads")
        assert not list((disk / "uploads").iterdir())  # no partial .upload-* file left
    finally:
        subprocess.run(["umount", str(disk)], check=False)


def test_a_storage_error_is_an_assistant_error():
    assert issubclass(StorageError, OSError)


@pytest.mark.slow
def test_an_upload_over_its_indexing_time_is_stopped_and_removed(
    seed_index, tmp_path, embedding_model, monkeypatch
):
    from ui import uploads

    index = _private_copy(seed_index, tmp_path)
    qa = _assistant(index, embedding_model)
    before = live_generation(index)
    worker = uploads.UploadWorker(qa)
    note = tmp_path / "note.txt"
    note.write_text("Note\n\nA paragraph about harbours and ferries.\n", encoding="utf-8")
    names = uploads.save_uploads([str(note)], worker.folder)
    monkeypatch.setattr(uploads, "MAX_INDEXING_SECONDS", 0.0)
    with pytest.raises(uploads.UploadTimeoutError, match="longer than 0 s"):
        worker.submit(names).result(timeout=120)
    worker.shutdown()
    assert live_generation(index) == before
    assert not (worker.folder / "note.txt").exists()


def test_the_upload_ledger_bounds_each_visitor_and_everyone():
    from ui.uploads import UploadLedger

    ledger = UploadLedger(per_visitor=10, total=25, window=60)
    assert ledger.admit("a", 6) is None
    assert "one visitor" in ledger.admit("a", 5)
    assert ledger.admit("b", 10) is None
    assert ledger.admit("c", 8) is None
    assert "storage is full" in ledger.admit("d", 2)
    ledger.window = 0.0  # everything sent is now older than the window
    assert ledger.admit("a", 10) is None


def _docx_of_empty_paragraphs(path: Path, count: int) -> None:
    """A real .docx (written by python-docx) whose body is ``count`` empty paragraphs: issue
    29's 131 KB file that took 6 minutes and 1 GB to read."""
    import zipfile

    import docx

    docx.Document().save(path)
    with zipfile.ZipFile(path) as original:
        parts = {name: original.read(name) for name in original.namelist()}
    body = parts["word/document.xml"].decode()
    start = body.index("<w:body>") + len("<w:body>")
    parts["word/document.xml"] = (body[:start] + "<w:p/>" * count + body[start:]).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as bomb:
        for name, data in parts.items():
            bomb.writestr(name, data)


def test_reading_an_upload_is_stopped_at_its_time_cap(tmp_path):
    import time

    from ui.uploads import _sentence_count_or_reason

    bomb = tmp_path / "bomb.docx"
    _docx_of_empty_paragraphs(bomb, 1_000_000)
    assert bomb.stat().st_size < 200_000
    started = time.monotonic()
    count, reason = _sentence_count_or_reason(bomb, seconds=3)
    assert (count, reason) == (0, "reading it took longer than 3 s")
    assert time.monotonic() - started < 8  # stopped, not waited for
    fine = tmp_path / "fine.txt"
    fine.write_text("Notes\n\nOne sentence. Two sentences.\n", encoding="utf-8")
    assert _sentence_count_or_reason(fine, seconds=30) == (2, None)
