"""Building an index from files: read, chunk, embed (reusing unchanged vectors), save atomically.

Only one build writes an index at a time (a file lock); a rebuild re-embeds only passages and
sentences whose text is new or changed, so editing one file of a large corpus is cheap.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from assistant.documents import Document, display_path, iter_files, load_documents
from assistant.errors import BuildLockedError, IndexMismatchError, IndexNotFoundError
from assistant.store import (
    LOCK_FILE,
    StoredIndex,
    content_hash,
    file_hash,
    load_index,
    make_faiss_index,
    new_manifest,
    save_index,
)

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

    from assistant.model import ModelInfo

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]
"""Called as progress(stage, done, total) while a build runs."""

EMBED_BATCH_SIZE = 32


def citation_for(title: str, paragraph: int, section: str | None) -> str:
    """``日米韓共同声明 ¶7 (北朝鮮の脅威への対処)``; without a section, ``Title ¶N``."""
    base = f"{title} ¶{paragraph}"
    return f"{base} ({section})" if section else base


def passage_embedding_text(passage: dict[str, Any]) -> str:
    """What the model reads for a passage: its section heading, then its text.

    Headings belong to the paragraphs under them (DESIGN.md: indexing them as passages of their
    own made them win wrongly); prefixing them adds their topic words to every paragraph.
    """
    section = passage.get("section")
    return f"{section}\n{passage['text']}" if section else passage["text"]


def passages_from(documents: list[Document]) -> list[dict[str, Any]]:
    passages = []
    for document in documents:
        for paragraph in document.paragraphs:
            passages.append({
                "doc": document.title,
                "source": document.source,
                "section": paragraph.section,
                "paragraph": paragraph.number,
                "citation": citation_for(document.title, paragraph.number, paragraph.section),
                "text": paragraph.text,
                "sentences": [[s.start, s.end] for s in paragraph.sentences],
                "first_line": paragraph.first_line,
                "last_line": paragraph.last_line,
            })
    for passage in passages:
        passage["hash"] = content_hash(passage_embedding_text(passage))
    return passages


def sentence_texts(passage: dict[str, Any]) -> list[str]:
    return [passage["text"][start:end] for start, end in passage["sentences"]]


@dataclass
class BuildReport:
    """What a build did; ``added + changed + kept`` passages are in the new index."""

    index_dir: Path
    documents: int
    passages: int
    added: int
    changed: int
    removed: int
    kept: int
    seconds: float
    full_rebuild: bool

    def summary(self) -> str:
        return (
            f"indexed {self.passages} passages from {self.documents} documents in "
            f"{self.seconds:.1f} s ({self.added} added, {self.changed} changed, "
            f"{self.removed} removed, {self.kept} kept) -> {self.index_dir}"
        )


class _VectorCache:
    """Vectors of an existing index, keyed by text hash, for incremental rebuilds."""

    def __init__(self, previous: StoredIndex | None):
        self.passages: dict[str, np.ndarray] = {}
        self.sentences: dict[str, np.ndarray] = {}
        if previous is None:
            return
        row = 0
        for i, passage in enumerate(previous.passages):
            self.passages[passage["hash"]] = previous.passage_vectors[i]
            for text in sentence_texts(passage):
                self.sentences[content_hash(text)] = previous.sentence_vectors[row]
                row += 1


def _embed(model: SentenceTransformer, texts: list[str], cache: dict[str, np.ndarray],
           dimension: int, stage: str, progress: Progress | None) -> np.ndarray:
    """Vectors for texts, computing only those not in the cache."""
    keys = [content_hash(t) for t in texts]
    missing = sorted({k: t for k, t in zip(keys, texts, strict=True) if k not in cache}.items())
    if missing:
        todo = [t for _, t in missing]
        vectors = []
        for start in range(0, len(todo), EMBED_BATCH_SIZE * 8):
            chunk = todo[start : start + EMBED_BATCH_SIZE * 8]
            vectors.append(model.encode_document(
                chunk, batch_size=EMBED_BATCH_SIZE, normalize_embeddings=True,
                convert_to_numpy=True, show_progress_bar=False))
            if progress:
                progress(stage, min(start + len(chunk), len(todo)), len(todo))
        for (key, _), vector in zip(missing, np.concatenate(vectors), strict=True):
            cache[key] = vector
    if not texts:
        return np.zeros((0, dimension), dtype=np.float32)
    return np.stack([cache[k] for k in keys]).astype(np.float32)


def _previous_index(index_dir: Path, info: ModelInfo) -> StoredIndex | None:
    """The existing index, when its vectors can be reused with this model."""
    try:
        previous = load_index(index_dir)
    except (IndexNotFoundError, IndexMismatchError):
        return None
    if previous.manifest.get("model", {}).get("name") != info.name:
        log.info("model changed: rebuilding every vector")
        return None
    return previous


def sources_of(documents: list[Document]) -> list[dict[str, Any]]:
    sources = []
    for document in documents:
        path = Path(document.source)
        stat = path.stat()
        sources.append({"path": document.source, "title": document.title,
                        "sha256": file_hash(path), "size": stat.st_size,
                        "mtime_ns": stat.st_mtime_ns})
    return sources


def build_from_documents(
    documents: list[Document],
    index_dir: Path,
    model: SentenceTransformer,
    info: ModelInfo,
    inputs: list[str],
    progress: Progress | None = None,
) -> BuildReport:
    """Embed and save; the caller holds the build lock."""
    started = time.perf_counter()
    previous = _previous_index(index_dir, info)
    cache = _VectorCache(previous)
    passages = passages_from(documents)
    old_keys = {(p["source"], p["paragraph"]): p["hash"] for p in previous.passages} if previous else {}
    new_hashes = {p["hash"] for p in passages}
    added = changed = kept = 0
    for passage in passages:
        if passage["hash"] in cache.passages:
            kept += 1
        elif (passage["source"], passage["paragraph"]) in old_keys:
            changed += 1
        else:
            added += 1
    removed = 0
    if previous:
        new_keys = {(p["source"], p["paragraph"]) for p in passages}
        removed = sum(1 for key, h in old_keys.items() if key not in new_keys and h not in new_hashes)

    passage_vectors = _embed(model, [passage_embedding_text(p) for p in passages],
                             cache.passages, info.dimension, "passages", progress)
    all_sentences = [text for p in passages for text in sentence_texts(p)]
    sentence_vectors = _embed(model, all_sentences, cache.sentences, info.dimension,
                              "sentences", progress)
    seconds = time.perf_counter() - started
    counts = {"documents": len(documents), "passages": len(passages),
              "sentences": len(all_sentences)}
    stored = StoredIndex(
        manifest=new_manifest(info.to_dict(), sources_of(documents), inputs, counts, seconds),
        passages=passages,
        documents=[{"source": d.source, "title": d.title, "text": d.text} for d in documents],
        passage_vectors=passage_vectors,
        sentence_vectors=sentence_vectors,
        faiss_index=make_faiss_index(passage_vectors),
        path=index_dir,
    )
    save_index(index_dir, stored)
    return BuildReport(index_dir, len(documents), len(passages), added, changed, removed, kept,
                       time.perf_counter() - started, previous is None)


def build_lock(index_dir: Path, wait: float | None = None):
    """The one-writer lock of an index directory. ``wait`` seconds (None: wait forever)."""
    from filelock import FileLock

    index_dir.mkdir(parents=True, exist_ok=True)
    return FileLock(str(index_dir / LOCK_FILE), timeout=-1 if wait is None else wait)


def build(
    paths: Iterable[str | os.PathLike[str]],
    index_dir: str | os.PathLike[str],
    model: SentenceTransformer,
    info: ModelInfo,
    progress: Progress | None = None,
    wait: float | None = 0,
) -> BuildReport:
    """Read ``paths`` and (re)build the index at ``index_dir`` under the build lock.

    With ``wait=0`` a second concurrent build stops at once with BuildLockedError.
    """
    from filelock import Timeout

    paths = [str(p) for p in paths]
    index_path = Path(index_dir)
    documents = load_documents(paths)
    lock = build_lock(index_path, wait)
    try:
        lock.acquire()
    except Timeout as exc:
        raise BuildLockedError(
            f"another build is writing {index_path}; wait for it to finish and try again"
        ) from exc
    try:
        inputs = [display_path(Path(p)) for p in paths]
        return build_from_documents(documents, index_path, model, info, inputs, progress)
    finally:
        lock.release()


def is_stale(manifest: dict[str, Any]) -> bool:
    """Whether the files an index was built from have changed since (added, removed, edited)."""
    try:
        current = {display_path(p): p for p in iter_files(manifest.get("inputs", []))}
    except Exception:  # inputs gone: nothing to rebuild from, so not stale
        return False
    recorded = {s["path"]: s for s in manifest.get("sources", [])}
    for path, source in recorded.items():
        file = current.get(path)
        if file is None:
            return True
        stat = file.stat()
        if (stat.st_size, stat.st_mtime_ns) != (source["size"], source["mtime_ns"]) and \
                file_hash(file) != source["sha256"]:
            return True
    # New files count only if they hold text (an empty or binary file is skipped in builds).
    return any(path not in recorded and file.stat().st_size > 0
               for path, file in current.items())
