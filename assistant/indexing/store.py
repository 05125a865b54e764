"""The on-disk index: FAISS vectors, passages, source documents and a manifest.

Layout of an index directory::

    index/
      current -> gen-000002-1f3a…  symlink to the live generation, swapped atomically
      gen-000002-1f3a9c0d2b7e/   generation number and build id (unique even when the index
                                 folder was deleted and rebuilt: a server compares these)
        manifest.json            format, build id, model identity, sources with hashes, counts
        passages.json            passages with citations, sentences and content hashes
        documents.json           each source document's title and full text (for the source view)
        passages.faiss           the passage vectors (normalised) in a FAISS index: exact below
                                 HNSW_MIN_PASSAGES passages, HNSW from there on
        sentence_vectors.npy     one vector per sentence, for sentence-level evidence (mapped)
        lexical/passages/        BM25 over passages (bm25s arrays, mapped)
        lexical/sentences/       BM25 over sentences
      .lock                      held by the one build writing here
      .staging-gen-000003-PID/   a build in progress (or killed): never read, removed by the
                                 next build

A build writes a new generation beside the live one and then replaces the ``current`` link
with ``os.replace``: a reader sees either the old index or the new one, and a build killed at
any moment leaves the old one in place. A write that fails (disk full, permission) removes the
staging folder and raises a one-line StorageError.

A server maps ``sentence_vectors.npy`` and the BM25 arrays; ``changed_mapped_files`` tells it
cheaply (inode, size, mtime) whether one was replaced, truncated or rewritten since it was
verified, before a read of it could return garbage or fault.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from assistant import durable
from assistant.durable import fsync_path, sha256_of
from assistant.errors import IndexMismatchError, IndexNotFoundError
from assistant.indexing.lexical import LexicalIndex

FORMAT_VERSION = 5
"""2: the manifest records each file's sha256 as well as its size. 3: BM25 indexes are saved
(not rebuilt at every open); passage vectors live only in the FAISS index; HNSW when large.
4: passages carry language, date and months; what is embedded has a title/date header.
5: passages carry their hubness (``hub``, ``sentence_hub``); dates also come from file names."""
CURRENT = "current"
LOCK_FILE = ".lock"
REQUIRED_FILES = ("passages.json", "documents.json", "passages.faiss", "sentence_vectors.npy")
"""Files every generation has besides manifest.json (the manifest lists these and the BM25
files, each with its size and sha256)."""
LEXICAL_DIRS = {"passages": "lexical/passages", "sentences": "lexical/sentences"}

HNSW_MIN_PASSAGES = 50_000
"""From this many passages on, the dense candidates come from an HNSW graph instead of an exact
scan. Measured here (benchmarks/README.md, findings): an exact scan of 100k vectors takes 11-14 ms
on one thread (43 ms on two under contention), so about 6 ms at 50k, a quarter of the 25 ms
budget of a whole search; HNSW answers 100k in 1.1 ms."""
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 40
HNSW_EF_SEARCH = 256
"""Measured (benchmarks/README.md; 100k passages, real questions): M=32, efSearch 256 gave
recall@10 0.998 against the exact scan; ``benchmarks/run.py`` reports it at every run. The
retriever asks for 100 candidates, so efSearch must stay above that."""

REBUILD_HINT = "rebuild it with: assistant build"

PIPELINE_VERSION = 5
"""What reading, chunking and annotating produce, as a number, raised when a change to them
makes an index built before answer differently. An index of another pipeline is stale
(indexer.is_stale): the default index is rebuilt on its next load, and ``assistant build``
brings any index up to date, reusing every vector whose text is unchanged (measured on the
archive: 0.6 s for 86 passages). 2: datelines without a year dated, paragraph numbers and
abbreviations no longer sentences, null margins kept per language. 3: the model-dependent
measures (cosine spread, unrelated questions' margins) in the manifest's ``calibration``;
passages embedded under their section heading alone (the title/date header did not earn its
place on the fresh blind sets, docs/evaluation.md). 4: a paragraph longer than
chunking.MAX_PASSAGE_CHARS is indexed in parts, and passages carry ``part`` and ``parts``
(readers take a passage without them for a whole paragraph, so an older index still answers
until it is rebuilt, and its unchanged vectors are reused). 5: in an index of several
documents a dated document's passages are embedded under its dateline (``lead``); a name's
initial ("Antony J. Blinken") no longer ends a sentence."""


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


file_hash = sha256_of
"""The sha256 of a source or index file (kept under this name for the indexer)."""

Stamp = tuple[int, int, int]
"""(inode, size, mtime_ns) of a file: changes when it is replaced, truncated or rewritten."""


def file_stamp(path: Path) -> Stamp | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_ino, stat.st_size, stat.st_mtime_ns


def generation_identity(index_dir: Path) -> tuple[str, Stamp | None] | None:
    """What the live generation is, cheaply: its folder (number and build id) and its
    manifest's stamp. None when there is no live generation."""
    generation = live_generation(index_dir)
    if generation is None:
        return None
    return str(generation), file_stamp(generation / "manifest.json")


@dataclass
class StoredIndex:
    """Everything an index holds. ``passage_vectors`` is a view of the FAISS index's own
    storage (not a second copy); ``sentence_vectors`` and the BM25 arrays of a loaded index are
    memory-mapped."""

    manifest: dict[str, Any]
    passages: list[dict[str, Any]]
    documents: list[dict[str, Any]]
    faiss_index: Any
    sentence_vectors: np.ndarray
    lexical: LexicalIndex
    sentence_lexical: LexicalIndex
    path: Path
    identity: tuple[str, Stamp | None] | None = None
    """``generation_identity`` when this generation was loaded (None for one being built)."""
    mapped: dict[str, Stamp | None] = field(default_factory=dict)
    """Stamps of the memory-mapped files, taken when they were verified."""

    @property
    def passage_vectors(self) -> np.ndarray:
        return faiss_vectors(self.faiss_index)


def make_faiss_index(vectors: np.ndarray) -> Any:
    """Inner-product search over normalised vectors (so, cosine): an exact scan for fewer than
    HNSW_MIN_PASSAGES vectors, an HNSW graph from there on."""
    import faiss

    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    dimension = vectors.shape[1]
    if len(vectors) < HNSW_MIN_PASSAGES:
        index = faiss.IndexFlatIP(dimension)
    else:
        index = faiss.IndexHNSWFlat(dimension, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        index.hnsw.efSearch = HNSW_EF_SEARCH
    if len(vectors):
        threads = faiss.omp_get_max_threads()
        faiss.omp_set_num_threads(os.cpu_count() or 1)  # a server searches on one; build on all
        try:
            index.add(vectors)
        finally:
            faiss.omp_set_num_threads(threads)
    return index


def faiss_vectors(index: Any) -> np.ndarray:
    """The vectors a flat or HNSW-flat index stores, as a read-only view (no copy)."""
    import faiss

    flat = index if isinstance(index, faiss.IndexFlat) else faiss.downcast_index(index.storage)
    if index.ntotal == 0:
        return np.zeros((0, index.d), dtype=np.float32)
    view = faiss.rev_swig_ptr(flat.get_xb(), index.ntotal * index.d).reshape(index.ntotal, -1)
    view.flags.writeable = False
    return view


def index_kind(index: Any) -> str:
    """``exact`` or ``hnsw``, for manifests and reports."""
    return "hnsw" if hasattr(index, "hnsw") else "exact"


def live_generation(index_dir: Path) -> Path | None:
    """The folder ``current`` leads to; None when there is none, or when the link is broken or
    loops (a build then replaces it; readers refuse it in one line, see _live_or_raise)."""
    link = index_dir / CURRENT
    if not link.is_symlink() and not link.is_dir():
        return None
    try:
        target = link.resolve(strict=True)
    except (OSError, RuntimeError):  # a loop (current -> current), a dangling link
        return None
    return target if target.is_dir() else None


def changed_mapped_files(stored: StoredIndex) -> dict[str, Stamp | None]:
    """The memory-mapped files of ``stored`` that are no longer the ones verified at load
    (replaced, truncated, rewritten or gone), with their stamps now: reading them could return
    garbage or fault (SIGBUS), so they must be verified again first. A stat per file."""
    now = {name: file_stamp(stored.path / name) for name in stored.mapped}
    return {
        name: stamp for name, stamp in now.items() if stamp is None or stamp != stored.mapped[name]
    }


def remove_leftovers(index_dir: Path, keep: set[str] | None = None) -> None:
    """Delete what killed builds leave behind: staging folders, temporary links and
    generations no link points to. Only the lock holder may call this."""
    keep = set(keep or ())
    live = live_generation(index_dir)
    if live is not None:
        keep.add(live.name)
    durable.remove_leftovers(index_dir, (".staging-gen-*", f".{CURRENT}-*", "gen-*"), keep)


def new_build_id() -> str:
    """A build's identity: random, so a folder deleted and rebuilt never repeats a name."""
    return uuid.uuid4().hex[:12]


def _generation_number(name: str) -> int:
    digits = name[4:10]
    return int(digits) if name.startswith("gen-") and digits.isdigit() else 0


def save_index(index_dir: Path, stored: StoredIndex) -> Path:
    """Write a new generation and make it live atomically; returns its folder.

    The caller holds the build lock. Every file is fsynced and its size and sha256 recorded in
    the manifest, which is written last. Older generations are removed after the swap, except
    the one just replaced (a reader may still be opening it).
    """
    with durable.writing(index_dir):
        index_dir.mkdir(parents=True, exist_ok=True)
    previous = live_generation(index_dir)
    remove_leftovers(index_dir)  # staging folders of killed builds are never read, only removed
    number = 1 + max((_generation_number(p.name) for p in index_dir.glob("gen-*")), default=0)
    build_id = new_build_id()
    staging = index_dir / f".staging-gen-{number:06d}-{os.getpid()}"
    durable.remove_leftovers(index_dir, [staging.name])
    with durable.writing(staging):
        staging.mkdir()
    manifest = dict(stored.manifest)
    manifest["build_id"] = build_id
    manifest["faiss_index"] = index_kind(stored.faiss_index)
    _write_generation(staging, stored)
    with durable.writing(staging, cleanup=staging):
        manifest["files"] = durable.record_files(staging)
        for folder in LEXICAL_DIRS.values():
            fsync_path(staging / folder)
            fsync_path((staging / folder).parent)
        durable.write_json(staging / "manifest.json", manifest)
        fsync_path(staging)

    generation = index_dir / f"gen-{number:06d}-{build_id}"
    temporary_link = index_dir / f".{CURRENT}-{os.getpid()}"
    with durable.writing(index_dir, cleanup=staging):
        os.replace(staging, generation)
        if temporary_link.is_symlink() or temporary_link.exists():
            temporary_link.unlink()
        temporary_link.symlink_to(generation.name)
        os.replace(temporary_link, index_dir / CURRENT)
        fsync_path(index_dir)
    remove_leftovers(index_dir, keep={generation.name, previous.name if previous else ""})
    return generation


def _write_generation(staging: Path, stored: StoredIndex) -> None:
    """Every data file of a generation; a failed write removes ``staging`` and raises a
    one-line StorageError naming the file."""
    import faiss

    writers = {
        "passages.json": lambda path: durable.write_json(path, stored.passages),
        "documents.json": lambda path: durable.write_json(path, stored.documents),
        "passages.faiss": lambda path: faiss.write_index(stored.faiss_index, str(path)),
        "sentence_vectors.npy": lambda path: np.save(
            path, np.asarray(stored.sentence_vectors, np.float32)
        ),
        LEXICAL_DIRS["passages"]: stored.lexical.save,
        LEXICAL_DIRS["sentences"]: stored.sentence_lexical.save,
    }
    for name, write in writers.items():
        with durable.writing(staging / name, cleanup=staging):
            write(staging / name)


def _check_manifest(manifest: Any, index_dir: Path) -> dict[str, Any]:
    """The manifest's shape, so a damaged one fails here with one line, not later with a
    KeyError."""
    damaged = IndexMismatchError(f"index at {index_dir} has a damaged manifest; {REBUILD_HINT}")
    if not isinstance(manifest, dict):
        raise damaged
    if _is_newer(manifest.get("format_version")):
        raise IndexMismatchError(_newer_message(index_dir, manifest["format_version"]))
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
        or not set(REQUIRED_FILES) <= set(files)
        or not all(f"{folder}/lexical.json" in files for folder in LEXICAL_DIRS.values())
        or not all(isinstance(r, dict) and {"size", "sha256"} <= r.keys() for r in files.values())
        or not isinstance(manifest.get("counts"), dict)
        or not isinstance(manifest.get("inputs", []), list)
        or not isinstance(manifest.get("sources", []), list)
    ):
        raise damaged
    return manifest


def _is_newer(version: object) -> bool:
    return isinstance(version, int) and not isinstance(version, bool) and version > FORMAT_VERSION


def _newer_message(index_dir: Path, version: int) -> str:
    return (
        f"index at {index_dir} was written by a newer version of the assistant (format "
        f"{version}; this version reads and writes format {FORMAT_VERSION}): upgrade the "
        "assistant, or build a new index elsewhere with: assistant build --index DIR"
    )


def refuse_newer_format(index_dir: Path) -> None:
    """Raise IndexMismatchError when the live index was written by a newer version (a format
    above FORMAT_VERSION): a build must not silently replace an index this version cannot
    read, since the newer version that wrote it is still in use. An older or damaged index is
    not refused (a build replaces it, as before)."""
    generation = live_generation(index_dir)
    if generation is None:
        return
    try:
        manifest = json.loads((generation / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    version = manifest.get("format_version") if isinstance(manifest, dict) else None
    if _is_newer(version):
        raise IndexMismatchError(_newer_message(index_dir, version))


def read_manifest(index_dir: Path) -> dict[str, Any]:
    """The live manifest, checked for format and shape; raises IndexNotFoundError /
    IndexMismatchError."""
    return _read_manifest_of(_live_or_raise(index_dir), index_dir)


def _live_or_raise(index_dir: Path) -> Path:
    generation = live_generation(index_dir)
    if generation is None and _looping(index_dir / CURRENT):
        raise IndexMismatchError(
            f"index at {index_dir} is damaged: its '{CURRENT}' link loops; {REBUILD_HINT}"
        )
    if generation is None:
        raise IndexNotFoundError(f"no index at {index_dir}; build one with: assistant build")
    return generation


def _looping(link: Path) -> bool:
    """Whether ``link`` is a symbolic link that leads back to itself (directly or not)."""
    try:
        link.resolve(strict=True)
    except RuntimeError:  # Python 3.11 reports a loop so
        return True
    except OSError as exc:
        return exc.errno == errno.ELOOP
    return False


def _read_manifest_of(generation: Path, index_dir: Path) -> dict[str, Any]:
    try:
        manifest = json.loads((generation / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise IndexMismatchError(
            f"index at {index_dir} has no readable manifest; {REBUILD_HINT}"
        ) from exc
    return _check_manifest(manifest, index_dir)


def _verify(generation: Path, name: str, record: dict[str, Any]) -> Path:
    """Check one file against the size and sha256 the manifest recorded; returns its path.

    Hashed in a stream: the files are then parsed or mapped, so a large index is never held
    twice. Cheap next to what it guards against: same-size damage would otherwise surface as
    wrong answers, not errors; and a file shorter than recorded is never mapped (a read past
    its end would kill the process with SIGBUS).
    """
    path = (generation / name).resolve()
    if generation.resolve() not in path.parents:
        raise IndexMismatchError(f"index at {generation} has a damaged manifest; {REBUILD_HINT}")
    problem = durable.file_problem(path, record)
    if problem:
        raise IndexMismatchError(f"index file {path} {problem}; {REBUILD_HINT}")
    return path


def load_index(index_dir: Path) -> StoredIndex:
    """Open the live generation, checking every file against the manifest's size and sha256.

    Sentence vectors and BM25 arrays are memory-mapped: a question reads only the rows and
    postings it needs, so a server's memory grows with what it answers, not with the corpus.
    """
    import faiss

    generation = _live_or_raise(index_dir)  # resolved once: a concurrent swap cannot mix two
    identity = str(generation), file_stamp(generation / "manifest.json")
    manifest = _read_manifest_of(generation, index_dir)
    mapped = {name: file_stamp(generation / name) for name in manifest["files"] if _is_mapped(name)}
    paths = {name: _verify(generation, name, record) for name, record in manifest["files"].items()}
    if any(file_stamp(generation / name) != stamp for name, stamp in mapped.items()):
        raise IndexMismatchError(f"index at {generation} changed while it was being verified")
    try:
        passages = json.loads(paths["passages.json"].read_bytes())
        documents = json.loads(paths["documents.json"].read_bytes())
        faiss_index = faiss.read_index(str(paths["passages.faiss"]))
        if hasattr(faiss_index, "hnsw"):
            faiss_index.hnsw.efSearch = HNSW_EF_SEARCH
        sentence_vectors = np.load(paths["sentence_vectors.npy"], mmap_mode="r")
        lexical = LexicalIndex.load(generation / LEXICAL_DIRS["passages"])
        sentence_lexical = LexicalIndex.load(generation / LEXICAL_DIRS["sentences"])
        counts = manifest["counts"]
        n_sentences = sum(len(p["sentences"]) for p in passages)
        dimension = manifest["model"]["dimension"]
        consistent = (
            faiss_index.ntotal == len(passages) == lexical.size
            and len(sentence_vectors) == n_sentences == sentence_lexical.size
            and counts.get("passages") == len(passages)
        )
        dimensions = {faiss_index.d, sentence_vectors.shape[1]}
    except Exception as exc:  # json, numpy, FAISS and bm25s each raise their own types
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
        manifest,
        passages,
        documents,
        faiss_index,
        sentence_vectors,
        lexical,
        sentence_lexical,
        generation,
        identity,
        mapped,
    )


def _is_mapped(name: str) -> bool:
    """Numpy arrays are opened with ``mmap_mode="r"`` (sentence vectors, bm25s arrays)."""
    return name.endswith(".npy")


def new_manifest(
    model: dict[str, Any],
    sources: list[dict[str, Any]],
    inputs: list[str],
    counts: dict[str, int],
    build_seconds: float,
) -> dict[str, Any]:
    return {
        "format_version": FORMAT_VERSION,
        "pipeline_version": PIPELINE_VERSION,
        "model": model,
        "inputs": inputs,
        "sources": sources,
        "counts": counts,
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "build_seconds": round(build_seconds, 3),
    }
