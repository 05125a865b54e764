"""The on-disk index: manifest checks, incremental rebuilds that equal full ones, change
counts, and staleness (including folders with skipped files)."""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from assistant import Assistant, IndexMismatchError, build_index
from assistant.errors import CorpusError, IndexNotFoundError
from assistant.indexing.indexer import build, count_changes, is_stale
from assistant.indexing.store import FORMAT_VERSION, PIPELINE_VERSION, load_index, read_manifest

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "corpus" / "000_2daad77d3c406492.txt"

TRADE = """Trade talks

Opening

The delegations met in Geneva to discuss tariffs on steel and aluminium. They agreed to meet again.

Both sides welcomed progress on rules of origin for electric vehicles.

Agriculture

The ministers discussed rice import quotas and the protection of geographical indications.

Fisheries subsidies that contribute to overfishing were identified as a priority for reform.
"""

CLIMATE = """気候会合

第一部

閣僚は、二〇三〇年までに温室効果ガスの排出を半減させる目標を再確認した。

閣僚は、再生可能エネルギーの導入を加速するための投資の重要性を強調した。

第二部

閣僚は、洪水や干ばつなどの異常気象に対する適応策の強化について議論した。

閣僚は、途上国への気候資金の拡大を求めた。
"""

SPACE = """宇宙協力

閣僚は、月面探査計画における協力を歓迎した。

閣僚は、宇宙ごみの削減に向けた国際的な規範づくりを支持した。
"""

QUESTIONS = [
    "tariffs on steel",
    "温室効果ガスの削減目標",
    "海洋プラスチック",
    "fisheries subsidies",
    "기후 자금",
    "森林の保全",
]


def _write(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def _copy_index(source: Path, target: Path) -> Path:
    shutil.copytree(source, target, symlinks=True)
    return target


def _edit_manifest(index_dir: Path, edit) -> None:
    path = index_dir / "current" / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    edit(manifest)
    path.write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")


def _results(assistant: Assistant) -> list[list[tuple[str, float]]]:
    return [[(p.citation, p.score) for p in assistant.search(q, k=5)] for q in QUESTIONS]


def _open(index_dir: Path, embedding_model) -> Assistant:
    """An Assistant on an index with the already loaded model (loading it again costs 3 s)."""
    encoder, info = embedding_model
    return Assistant.open_with(index_dir, encoder, info)


# -- manifest mismatch -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("edit", "words"),
    [
        (lambda m: m["model"].update(name="someone/other-model"), "other-model"),
        (lambda m: m["model"].update(dimension=768), "768"),
        (lambda m: m.update(format_version=FORMAT_VERSION + 1), "format"),
        (lambda m: m.update(format_version=1), "format"),
        (lambda m: m.pop("model"), "damaged manifest"),
        (lambda m: m.update(files={}), "damaged manifest"),
    ],
    ids=["model-name", "dimension", "newer-format", "older-format", "no-model", "no-files"],
)
def test_manifest_mismatch_is_refused(seed_index, tmp_path, edit, words):
    index_dir = _copy_index(seed_index, tmp_path / "index")
    _edit_manifest(index_dir, edit)
    with pytest.raises(IndexMismatchError) as caught:
        Assistant.load(index_dir)
    message = str(caught.value)
    assert words in message and "assistant build" in message and "\n" not in message


def test_a_build_refuses_to_replace_an_index_of_a_newer_format(
    seed_index, tmp_path, embedding_model
):
    """An index written by a newer version is still that version's: a build says so in one line
    and leaves it as it was. An older format is rebuilt, as before."""
    index_dir = _copy_index(seed_index, tmp_path / "index")
    _edit_manifest(index_dir, lambda m: m.update(format_version=FORMAT_VERSION + 1))
    live = (index_dir / "current").resolve()
    with pytest.raises(IndexMismatchError) as caught:
        build([SEED], index_dir, *embedding_model)
    message = str(caught.value)
    assert "newer version" in message and f"format {FORMAT_VERSION + 1}" in message
    assert "\n" not in message and "assistant build --index" in message
    assert (index_dir / "current").resolve() == live
    assert json.loads((live / "manifest.json").read_text())["format_version"] == FORMAT_VERSION + 1
    _edit_manifest(index_dir, lambda m: m.update(format_version=FORMAT_VERSION - 1))
    build([SEED], index_dir, *embedding_model)
    assert read_manifest(index_dir)["format_version"] == FORMAT_VERSION


def test_missing_index_is_not_found(tmp_path):
    with pytest.raises(IndexNotFoundError, match="assistant build"):
        Assistant.load(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(IndexNotFoundError):
        Assistant.load(tmp_path / "empty")


@pytest.mark.parametrize("loop", ["self", "pair"])
def test_a_looping_current_link_is_refused_in_one_line_and_a_build_replaces_it(
    tmp_path, embedding_model, loop
):
    index_dir = tmp_path / "index"
    index_dir.mkdir()
    (index_dir / "current").symlink_to("current" if loop == "self" else "other")
    if loop == "pair":
        (index_dir / "other").symlink_to("current")
    for open_it in (load_index, read_manifest, lambda path: _open(path, embedding_model)):
        with pytest.raises(IndexMismatchError) as caught:
            open_it(index_dir)
        message = str(caught.value)
        assert "link loops" in message and "assistant build" in message and "\n" not in message
    build([SEED], index_dir, *embedding_model)
    assert _open(index_dir, embedding_model).search("暗号資産の窃取", k=1)[0].paragraph == 7


def test_explicit_other_model_is_refused(seed_index):
    with pytest.raises(IndexMismatchError, match="assistant build --model"):
        Assistant.load(seed_index, model="intfloat/some-other-model")


# -- layout ------------------------------------------------------------------------------------


def test_index_layout_and_manifest(seed_index):
    manifest = read_manifest(seed_index)
    assert (seed_index / "current").is_symlink()
    assert manifest["format_version"] == FORMAT_VERSION
    assert manifest["model"]["name"] == "multilingual-e5-small"
    assert manifest["model"]["dimension"] == 384
    assert manifest["counts"] == {"documents": 1, "passages": 10, "sentences": 29}
    assert {
        "passages.json",
        "documents.json",
        "passages.faiss",
        "sentence_vectors.npy",
        "lexical/passages/lexical.json",
        "lexical/sentences/lexical.json",
        "lexical/passages/data.csc.index.npy",
    } <= set(manifest["files"])
    assert manifest["faiss_index"] == "exact"
    for record in manifest["files"].values():
        assert len(record["sha256"]) == 64 and record["size"] > 0
    assert Path(manifest["inputs"][0]).is_absolute()
    assert not is_stale(manifest)
    stored = load_index(seed_index)
    norms = np.linalg.norm(stored.passage_vectors, axis=1)
    assert np.allclose(norms, 1.0, atol=1e-4)


# -- incremental rebuilds ----------------------------------------------------------------------


def test_count_changes_rules():
    def passages(source, *hashes):
        return [{"source": source, "hash": h} for h in hashes]

    old = passages("a", "1", "2", "3") + passages("b", "4", "5")
    # a: "0" inserted at the top, "2" edited into "2x"; b deleted; c added.
    new = passages("a", "0", "1", "2x", "3") + passages("c", "6")
    counts = count_changes(old, new)
    assert counts == {"kept": 2, "changed": 1, "added": 2, "removed": 2}
    assert counts["kept"] + counts["changed"] + counts["added"] == len(new)
    assert counts["kept"] + counts["changed"] + counts["removed"] == len(old)
    # A paragraph deleted in the middle: everything after it shifts, nothing else changes.
    assert count_changes(passages("a", "1", "2", "3"), passages("a", "1", "3")) == {
        "kept": 2,
        "changed": 0,
        "added": 0,
        "removed": 1,
    }
    # Duplicated paragraphs are counted as many times as they occur.
    assert count_changes(passages("a", "1", "1"), passages("a", "1")) == {
        "kept": 1,
        "changed": 0,
        "added": 0,
        "removed": 1,
    }
    assert count_changes([], new)["added"] == len(new)


def test_incremental_rebuild_equals_full_rebuild(tmp_path, embedding_model):
    encoder, info = embedding_model
    corpus = _write(
        tmp_path / "corpus", {"trade.txt": TRADE, "climate.txt": CLIMATE, "space.txt": SPACE}
    )
    incremental = tmp_path / "incremental"
    first = build([corpus], incremental, encoder, info)
    assert first.full_rebuild and first.added == first.passages == 4 + 4 + 2
    old = load_index(incremental)

    # Edit one paragraph, delete one, insert one at the top of a document, remove a file and
    # add another: the changes a user makes between builds.
    (corpus / "trade.txt").write_text(
        TRADE.replace("rice import quotas", "wheat import quotas").replace(
            "Both sides welcomed progress on rules of origin for electric vehicles.\n\n", ""
        ),
        encoding="utf-8",
    )
    (corpus / "climate.txt").write_text(
        CLIMATE.replace("第一部\n\n", "第一部\n\n閣僚は、森林の保全と植林の推進に合意した。\n\n"),
        encoding="utf-8",
    )
    (corpus / "space.txt").unlink()
    _write(corpus, {"ocean.txt": "海洋会合\n\n閣僚は、海洋プラスチックごみの削減に合意した。\n"})
    seen: dict[str, int] = {}
    report = build(
        [corpus],
        incremental,
        encoder,
        info,
        progress=lambda stage, done, total: seen.__setitem__(stage, total),
    )
    assert not report.full_rebuild
    assert (report.kept, report.changed, report.added, report.removed) == (6, 1, 2, 3)
    assert report.passages == 9 == report.kept + report.changed + report.added
    assert seen["passages"] == report.changed + report.added  # only those were embedded
    assert "indexed 9 passages" in report.summary() and "6 kept" in report.summary()

    fresh = tmp_path / "fresh"
    full = build([corpus], fresh, encoder, info)
    assert full.full_rebuild and full.added == 9

    new, reference = load_index(incremental), load_index(fresh)
    assert [p["citation"] for p in new.passages] == [p["citation"] for p in reference.passages]
    assert [p["text"] for p in new.passages] == [p["text"] for p in reference.passages]
    np.testing.assert_allclose(new.passage_vectors, reference.passage_vectors, atol=1e-4)
    np.testing.assert_allclose(new.sentence_vectors, reference.sentence_vectors, atol=1e-4)
    # Unchanged passages kept their old vectors, bit for bit (reused, not recomputed).
    old_by_hash = {p["hash"]: old.passage_vectors[i] for i, p in enumerate(old.passages)}
    reused = [i for i, p in enumerate(new.passages) if p["hash"] in old_by_hash]
    assert len(reused) == 6
    for i in reused:
        assert np.array_equal(new.passage_vectors[i], old_by_hash[new.passages[i]["hash"]])

    got, want = (
        _results(_open(incremental, embedding_model)),
        _results(_open(fresh, embedding_model)),
    )
    for got_hits, want_hits in zip(got, want, strict=True):
        assert [c for c, _ in got_hits] == [c for c, _ in want_hits]
        np.testing.assert_allclose([s for _, s in got_hits], [s for _, s in want_hits], atol=1e-4)

    # Nothing changed: nothing is embedded, everything is kept.
    again = build([corpus], incremental, encoder, info)
    assert (again.kept, again.changed, again.added, again.removed) == (9, 0, 0, 0)


def test_model_change_forces_full_rebuild(tmp_path, embedding_model):
    encoder, info = embedding_model
    corpus = _write(tmp_path / "corpus", {"space.txt": SPACE})
    index_dir = tmp_path / "index"
    build([corpus], index_dir, encoder, info)
    for other in (replace(info, name="another-model"), replace(info, probe_checksum="0" * 16)):
        report = build([corpus], index_dir, encoder, other)
        assert report.full_rebuild and report.kept == 0 and report.added == 2
        assert read_manifest(index_dir)["model"] == other.to_dict()


# -- staleness ---------------------------------------------------------------------------------


def test_staleness_with_skipped_files(tmp_path, embedding_model):
    encoder, info = embedding_model
    corpus = _write(tmp_path / "corpus", {"space.txt": SPACE})
    (corpus / "empty.txt").write_bytes(b"")
    (corpus / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x01")
    index_dir = tmp_path / "index"
    build([corpus], index_dir, encoder, info)
    manifest = read_manifest(index_dir)
    assert sorted(Path(r["file"]).name for r in manifest["skipped"]) == ["empty.txt", "image.txt"]
    assert not is_stale(manifest), "skipped files must not make the index look stale"
    # built by an earlier pipeline (or before pipelines were recorded): stale
    assert is_stale(dict(manifest, pipeline_version=PIPELINE_VERSION - 1))
    assert is_stale({k: v for k, v in manifest.items() if k != "pipeline_version"})

    # Same content written again (new mtime): the checksum says nothing changed.
    (corpus / "space.txt").write_text(SPACE, encoding="utf-8")
    os.utime(corpus / "space.txt", ns=(1, 1))
    assert not is_stale(manifest)
    # A skipped file that changes may hold text now.
    (corpus / "empty.txt").write_text(SPACE, encoding="utf-8")
    assert is_stale(manifest)
    build([corpus], index_dir, encoder, info)
    manifest = read_manifest(index_dir)
    assert not is_stale(manifest)
    _write(corpus, {"new.txt": CLIMATE})
    assert is_stale(manifest)
    (corpus / "new.txt").unlink()
    assert not is_stale(manifest)
    (corpus / "space.txt").write_text(SPACE + "\n閣僚は追加の声明を出した。\n", encoding="utf-8")
    assert is_stale(manifest)
    (corpus / "space.txt").unlink()
    assert is_stale(manifest)


def test_staleness_does_not_depend_on_working_directory(tmp_path, embedding_model, monkeypatch):
    encoder, info = embedding_model
    corpus = _write(tmp_path / "corpus", {"space.txt": SPACE})
    monkeypatch.chdir(tmp_path)
    build(["corpus"], tmp_path / "index", encoder, info)
    manifest = read_manifest(tmp_path / "index")
    assert load_index(tmp_path / "index").passages[0]["source"] == "corpus/space.txt"
    monkeypatch.chdir(corpus)
    assert not is_stale(manifest)
    (corpus / "space.txt").write_text(CLIMATE, encoding="utf-8")
    assert is_stale(manifest)


# -- build_index -------------------------------------------------------------------------------


def test_build_index_fails_fast_on_bad_paths(tmp_path):
    """Checked before the model loads: these take milliseconds, not seconds."""
    import time

    started = time.perf_counter()
    with pytest.raises(CorpusError, match="no such file or folder"):
        build_index([tmp_path / "missing.txt"], index_dir=tmp_path / "index")
    (tmp_path / "empty").mkdir()
    with pytest.raises(CorpusError, match="no readable"):
        build_index([tmp_path / "empty"], index_dir=tmp_path / "index")
    assert time.perf_counter() - started < 1.0
    assert not (tmp_path / "index" / "current").exists()


def test_file_changed_during_a_build_leaves_the_index_stale(tmp_path, embedding_model):
    """The manifest describes the bytes that were read, not the file as it is at save time."""
    from assistant.ingest.documents import read_corpus

    encoder, info = embedding_model
    corpus_dir = _write(tmp_path / "corpus", {"space.txt": SPACE})
    corpus = read_corpus([corpus_dir])
    (corpus_dir / "space.txt").write_text(CLIMATE, encoding="utf-8")  # edited mid-build
    build([corpus_dir], tmp_path / "index", encoder, info, corpus=corpus)
    assert "宇宙ごみ" in load_index(tmp_path / "index").passages[1]["text"]
    assert is_stale(read_manifest(tmp_path / "index"))


def test_large_index_switches_to_hnsw_and_answers_the_same(tmp_path, embedding_model, monkeypatch):
    """Past HNSW_MIN_PASSAGES the dense candidates come from an HNSW graph (threshold lowered
    here so the seed crosses it); answers and stored vectors stay those of the exact index."""
    from assistant.indexing import indexer, store

    encoder, info = embedding_model
    exact_dir, hnsw_dir = tmp_path / "exact", tmp_path / "hnsw"
    indexer.build([str(SEED)], exact_dir, encoder, info)
    monkeypatch.setattr(store, "HNSW_MIN_PASSAGES", 5)
    indexer.build([str(SEED)], hnsw_dir, encoder, info)
    assert read_manifest(exact_dir)["faiss_index"] == "exact"
    assert read_manifest(hnsw_dir)["faiss_index"] == "hnsw"
    exact, hnsw = load_index(exact_dir), load_index(hnsw_dir)
    np.testing.assert_array_equal(exact.passage_vectors, hnsw.passage_vectors)
    query = encoder.encode_queries(["北朝鮮による暗号資産の窃取"])
    assert (
        exact.faiss_index.search(query, 5)[1].tolist()
        == hnsw.faiss_index.search(query, 5)[1].tolist()
    )
    assert _results(_open(hnsw_dir, embedding_model)) == _results(_open(exact_dir, embedding_model))
