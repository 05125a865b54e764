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
      .staging-gen-000003-PID/   a build in progress (or killed): never read, removed by the
                                 next build

A build writes a new generation beside the live one and then replaces the ``current`` link
with ``os.replace``: a reader sees either the old index or the new one, and a build killed at
any moment leaves the old one in place.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from assistant.durable import fsync_path
from assistant.errors import IndexMismatchError, IndexNotFoundError

FORMAT_VERSION = 2
"""2: the manifest records each file's sha256 as well as its size."""
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


def remove_leftovers(index_dir: Path, keep: set[str] | None = None) -> None:
    """Delete what killed builds leave behind: staging folders, temporary links and
    generations no link points to. Only the lock holder may call this."""
    keep = keep or set()
    live = live_generation(index_dir)
    if live is not None:
        keep.add(live.name)
    for leftover in index_dir.glob(".staging-gen-*"):
        if leftover.name not in keep:
            shutil.rmtree(leftover, ignore_errors=True)
    for leftover in index_dir.glob(f".{CURRENT}-*"):
        if leftover.is_symlink() or leftover.is_file():
            leftover.unlink(missing_ok=True)
    for old in index_dir.glob("gen-*"):
        if old.name not in keep:
            shutil.rmtree(old, ignore_errors=True)


def save_index(index_dir: Path, stored: StoredIndex) -> Path:
    """Write a new generation and make it live atomically; returns its folder.

    The caller holds the build lock. Every file is fsynced and its size and sha256 recorded in
    the manifest, which is written last. Older generations are removed after the swap, except
    the one just replaced (a reader may still be opening it).
    """
    import faiss

    index_dir.mkdir(parents=True, exist_ok=True)
    previous = live_generation(index_dir)
    remove_leftovers(index_dir)  # staging folders of killed builds are never read, only removed
    number = 1 + max(
        (int(p.name[4:]) for p in index_dir.glob("gen-*") if p.name[4:].isdigit()),
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
        fsync_path(staging / name)
        manifest["files"][name] = {
            "size": (staging / name).stat().st_size,
            "sha256": file_hash(staging / name),
        }
    _write_json(staging / "manifest.json", manifest)
    fsync_path(staging)

    generation = index_dir / f"gen-{number:06d}"
    os.replace(staging, generation)
    temporary_link = index_dir / f".{CURRENT}-{os.getpid()}"
    if temporary_link.is_symlink() or temporary_link.exists():
        temporary_link.unlink()
    temporary_link.symlink_to(generation.name)
    os.replace(temporary_link, index_dir / CURRENT)
    fsync_path(index_dir)
    remove_leftovers(index_dir, keep={generation.name, previous.name if previous else ""})
    return generation


def _check_manifest(manifest: Any, index_dir: Path) -> dict[str, Any]:
    """The manifest's shape, so a damaged one fails here with one line, not later with a
    KeyError."""
    damaged = IndexMismatchError(f"index at {index_dir} has a damaged manifest; {REBUILD_HINT}")
    if not isinstance(manifest, dict):
        raise damaged
    if manifest.get("format_version") != FORMAT_VERSION:
        raise IndexMismatchError(
            f"index at {index_dir} has format {manifest.get('format_version')!r}, this version "
            f"reads format {FORMAT_VERSION}; {REBUILD_HINT}"
        )
    model = manifest.get("model")
    files = manifest.get("files")
    if (
        not isinstance(model, dict)
        or not isinstance(model.get("name"), str)
        or not isinstance(model.get("dimension"), int)
        or not isinstance(files, dict)
        or set(files) != set(FILES[1:])
        or not all(isinstance(r, dict) and {"size", "sha256"} <= r.keys() for r in files.values())
        or not isinstance(manifest.get("counts"), dict)
        or not isinstance(manifest.get("inputs", []), list)
        or not isinstance(manifest.get("sources", []), list)
    ):
        raise damaged
    return manifest


def read_manifest(index_dir: Path) -> dict[str, Any]:
    """The live manifest, checked for format and shape; raises IndexNotFoundError /
    IndexMismatchError."""
    return _read_manifest_of(_live_or_raise(index_dir), index_dir)


def _live_or_raise(index_dir: Path) -> Path:
    generation = live_generation(index_dir)
    if generation is None:
        raise IndexNotFoundError(f"no index at {index_dir}; build one with: assistant build")
    return generation


def _read_manifest_of(generation: Path, index_dir: Path) -> dict[str, Any]:
    try:
        manifest = json.loads((generation / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise IndexMismatchError(
            f"index at {index_dir} has no readable manifest; {REBUILD_HINT}"
        ) from exc
    return _check_manifest(manifest, index_dir)


def _read_verified(generation: Path, name: str, record: dict[str, Any]) -> bytes:
    """A file's bytes, checked against the size and sha256 the manifest recorded.

    Read once and parsed from memory, so the check costs only the hashing. Measured here
    (sha256 at about 1.1 GB/s): 0.05 ms of a 0.45 ms load for the seed index; 147 ms of a
    395 ms load for 20,000 passages with 60,000 sentences (168 MB); next to the 3 s the
    model takes to load, cheap for catching same-size damage.
    """
    path = generation / name
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise IndexMismatchError(f"index file {path} is missing; {REBUILD_HINT}") from None
    except OSError as exc:
        raise IndexMismatchError(
            f"index file {path} cannot be read ({exc.strerror}); {REBUILD_HINT}"
        ) from exc
    if len(data) != record["size"]:
        raise IndexMismatchError(f"index file {path} is truncated or damaged; {REBUILD_HINT}")
    if hashlib.sha256(data).hexdigest() != record["sha256"]:
        raise IndexMismatchError(
            f"index file {path} is damaged (checksum mismatch); {REBUILD_HINT}"
        )
    return data


def load_index(index_dir: Path) -> StoredIndex:
    """Read the live generation, checking every file against the manifest's size and sha256."""
    import faiss

    generation = _live_or_raise(index_dir)  # resolved once: a concurrent swap cannot mix two
    manifest = _read_manifest_of(generation, index_dir)
    data = {
        name: _read_verified(generation, name, record) for name, record in manifest["files"].items()
    }
    try:
        passages = json.loads(data["passages.json"])
        documents = json.loads(data["documents.json"])
        faiss_index = faiss.deserialize_index(np.frombuffer(data["passages.faiss"], np.uint8))
        passage_vectors = np.load(io.BytesIO(data["passage_vectors.npy"]), allow_pickle=False)
        sentence_vectors = np.load(io.BytesIO(data["sentence_vectors.npy"]), allow_pickle=False)
        counts = manifest["counts"]
        n_sentences = sum(len(p["sentences"]) for p in passages)
        dimension = manifest["model"]["dimension"]
        consistent = (
            faiss_index.ntotal == len(passages) == len(passage_vectors)
            and len(sentence_vectors) == n_sentences
            and counts.get("passages") == len(passages)
        )
        dimensions = {faiss_index.d, passage_vectors.shape[1], sentence_vectors.shape[1]}
    except Exception as exc:  # json, numpy and FAISS each raise their own types
        raise IndexMismatchError(
            f"index at {generation} is damaged ({type(exc).__name__}); {REBUILD_HINT}"
        ) from exc
    if not consistent:
        raise IndexMismatchError(f"index at {generation} is inconsistent; {REBUILD_HINT}")
    if dimensions != {dimension}:
        raise IndexMismatchError(
            f"index at {generation} holds {'/'.join(map(str, sorted(dimensions)))}-dimension "
            f"vectors but its manifest says {dimension}; {REBUILD_HINT}"
        )
    return StoredIndex(
        manifest, passages, documents, passage_vectors, sentence_vectors, faiss_index, generation
    )


def new_manifest(
    model: dict[str, Any],
    sources: list[dict[str, Any]],
    inputs: list[str],
    counts: dict[str, int],
    build_seconds: float,
) -> dict[str, Any]:
    return {
        "format_version": FORMAT_VERSION,
        "model": model,
        "inputs": inputs,
        "sources": sources,
        "counts": counts,
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "build_seconds": round(build_seconds, 3),
    }
