"""The on-disk index: FAISS vectors, passages, source documents and a manifest.

Layout of an index directory::

    index/
      current -> gen-000002      symlink to the live generation, swapped atomically
      gen-000002/
        manifest.json            format, model identity, sources with hashes, counts, build time
        passages.json            passages with citations, sentences and content hashes
        documents.json           each source document's title and full text (for the source view)
        passages.faiss           inner-product index over normalised passage vectors
        passage_vectors.npy      the same vectors, kept for incremental rebuilds
        sentence_vectors.npy     one vector per sentence, for sentence-level evidence
      .lock                      held by the one build writing here

A build writes a new generation beside the live one and then replaces the ``current`` link
with ``os.replace``: a reader sees either the old index or the new one, and a build killed at
any moment leaves the old one in place.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from assistant.errors import IndexMismatchError, IndexNotFoundError

FORMAT_VERSION = 1
CURRENT = "current"
LOCK_FILE = ".lock"
FILES = (
    "manifest.json",
    "passages.json",
    "documents.json",
    "passages.faiss",
    "passage_vectors.npy",
    "sentence_vectors.npy",
)

REBUILD_HINT = "rebuild it with: assistant build"


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass
class StoredIndex:
    """Everything an index holds, in memory."""

    manifest: dict[str, Any]
    passages: list[dict[str, Any]]
    documents: list[dict[str, Any]]
    passage_vectors: np.ndarray
    sentence_vectors: np.ndarray
    faiss_index: Any
    path: Path


def make_faiss_index(vectors: np.ndarray) -> Any:
    """Exact inner-product search (vectors are normalised, so this is cosine)."""
    import faiss

    index = faiss.IndexFlatIP(vectors.shape[1])
    if len(vectors):
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index


def live_generation(index_dir: Path) -> Path | None:
    link = index_dir / CURRENT
    if not link.is_symlink() and not link.is_dir():
        return None
    target = link.resolve()
    return target if target.is_dir() else None


def _write_json(path: Path, data: Any) -> None:
    with path.open("w", encoding="utf-8") as handle:
        json.dump(data, handle, ensure_ascii=False)
        handle.flush()
        os.fsync(handle.fileno())


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def save_index(index_dir: Path, stored: StoredIndex) -> Path:
    """Write a new generation and make it live atomically; returns its folder.

    The caller holds the build lock. Older generations are removed after the swap, except the
    one just replaced (a reader may still be opening it).
    """
    import faiss

    index_dir.mkdir(parents=True, exist_ok=True)
    previous = live_generation(index_dir)
    number = 1 + max(
        (int(p.name.split("-")[1]) for p in index_dir.glob("gen-*") if p.name[4:].isdigit()),
        default=0,
    )
    staging = index_dir / f".staging-gen-{number:06d}-{os.getpid()}"
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir()
    manifest = dict(stored.manifest)
    manifest["files"] = {}
    _write_json(staging / "passages.json", stored.passages)
    _write_json(staging / "documents.json", stored.documents)
    faiss.write_index(stored.faiss_index, str(staging / "passages.faiss"))
    np.save(staging / "passage_vectors.npy", stored.passage_vectors.astype(np.float32))
    np.save(staging / "sentence_vectors.npy", stored.sentence_vectors.astype(np.float32))
    for name in FILES[1:]:
        _fsync_file(staging / name)
        manifest["files"][name] = (staging / name).stat().st_size
    _write_json(staging / "manifest.json", manifest)

    generation = index_dir / f"gen-{number:06d}"
    os.replace(staging, generation)
    temporary_link = index_dir / f".{CURRENT}-{os.getpid()}"
    if temporary_link.is_symlink() or temporary_link.exists():
        temporary_link.unlink()
    temporary_link.symlink_to(generation.name)
    os.replace(temporary_link, index_dir / CURRENT)
    dir_fd = os.open(index_dir, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    keep = {generation.name, previous.name if previous else None}
    for old in index_dir.glob("gen-*"):
        if old.name not in keep:
            shutil.rmtree(old, ignore_errors=True)
    for leftover in index_dir.glob(".staging-gen-*"):
        if leftover != staging:
            shutil.rmtree(leftover, ignore_errors=True)
    return generation


def read_manifest(index_dir: Path) -> dict[str, Any]:
    """The live manifest, checked for format; raises IndexNotFoundError / IndexMismatchError."""
    generation = live_generation(index_dir)
    if generation is None:
        raise IndexNotFoundError(f"no index at {index_dir}; build one with: assistant build")
    try:
        manifest = json.loads((generation / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise IndexMismatchError(f"index at {index_dir} has no readable manifest; {REBUILD_HINT}") from exc
    if manifest.get("format_version") != FORMAT_VERSION:
        raise IndexMismatchError(
            f"index at {index_dir} has format {manifest.get('format_version')!r}, this version "
            f"reads format {FORMAT_VERSION}; {REBUILD_HINT}"
        )
    return manifest


def load_index(index_dir: Path) -> StoredIndex:
    """Read the live generation, checking every file against the manifest."""
    import faiss

    manifest = read_manifest(index_dir)
    generation = live_generation(index_dir)
    assert generation is not None
    for name, size in manifest.get("files", {}).items():
        path = generation / name
        if not path.is_file():
            raise IndexMismatchError(f"index file {path} is missing; {REBUILD_HINT}")
        if path.stat().st_size != size:
            raise IndexMismatchError(f"index file {path} is truncated or damaged; {REBUILD_HINT}")
    try:
        passages = json.loads((generation / "passages.json").read_text(encoding="utf-8"))
        documents = json.loads((generation / "documents.json").read_text(encoding="utf-8"))
        faiss_index = faiss.read_index(str(generation / "passages.faiss"))
        passage_vectors = np.load(generation / "passage_vectors.npy")
        sentence_vectors = np.load(generation / "sentence_vectors.npy")
    except Exception as exc:  # json, numpy and FAISS each raise their own types
        raise IndexMismatchError(f"index at {generation} is damaged ({exc}); {REBUILD_HINT}") from exc
    counts = manifest.get("counts", {})
    n_sentences = sum(len(p["sentences"]) for p in passages)
    if (
        faiss_index.ntotal != len(passages)
        or len(passage_vectors) != len(passages)
        or len(sentence_vectors) != n_sentences
        or counts.get("passages") != len(passages)
    ):
        raise IndexMismatchError(f"index at {generation} is inconsistent; {REBUILD_HINT}")
    return StoredIndex(manifest, passages, documents, passage_vectors, sentence_vectors,
                       faiss_index, generation)


def new_manifest(model: dict[str, Any], sources: list[dict[str, Any]], inputs: list[str],
                 counts: dict[str, int], build_seconds: float) -> dict[str, Any]:
    return {
        "format_version": FORMAT_VERSION,
        "model": model,
        "inputs": inputs,
        "sources": sources,
        "counts": counts,
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "build_seconds": round(build_seconds, 3),
    }
