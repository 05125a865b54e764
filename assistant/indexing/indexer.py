"""Building an index from files: read, chunk, embed (reusing unchanged vectors), save atomically.

Only one build writes an index at a time (a file lock); a rebuild re-embeds only passages and
sentences whose text is new or changed, so editing one file of a large corpus is cheap.
"""

from __future__ import annotations

import logging
import os
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from assistant.config import Config
from assistant.encoding.banks import parallel_bank_vectors
from assistant.encoding.encoder import Encoder, ModelInfo
from assistant.errors import (
    BuildLockedError,
    CorpusError,
    IndexMismatchError,
    IndexNotFoundError,
    InputError,
)
from assistant.indexing import calibration
from assistant.indexing.lexical import LexicalIndex
from assistant.indexing.store import (
    LOCK_FILE,
    StoredIndex,
    content_hash,
    file_hash,
    load_index,
    make_faiss_index,
    new_manifest,
    refuse_newer_format,
    save_index,
)
from assistant.indexing.versions import index_versions
from assistant.ingest.chunking import split_paragraph
from assistant.ingest.documents import (
    Corpus,
    Document,
    FileState,
    Paragraph,
    iter_files,
    read_corpus,
)
from assistant.ingest.provenance import label_uploads
from assistant.text import LANGUAGES

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]
"""Called as progress(stage, done, total) while a build runs."""

STAGES = {
    "passages": "embedding passages",
    "sentences": "embedding sentences",
    "indexing": "indexing (BM25, FAISS)",
}
"""The stages a build reports progress for, and what each does (for people to read)."""

EMBED_BATCH_SIZE = 32
"""Most texts per encoder run (the ONNX encoder also caps a run at TOKEN_BUDGET tokens)."""
EMBED_CHUNK = 128
"""Texts per progress step: about 5-10 s of embedding, so a bar moves while staying cheap."""


def paragraph_label(paragraph: int | str, part: int = 1, parts: int = 1) -> str:
    """``¶7``, or ``¶7 (part 2 of 3)`` for a part of a paragraph cut into passages
    (chunking.MAX_PASSAGE_CHARS)."""
    return f"¶{paragraph}" + (f" (part {part} of {parts})" if parts > 1 else "")


def citation_for(
    title: str,
    paragraph: int | str,
    section: str | None,
    page: int | None = None,
    part: int = 1,
    parts: int = 1,
) -> str:
    """``日米韓共同声明 ¶7 (北朝鮮の脅威への対処)``; without a section, ``Title ¶N``; for a
    document with pages (PDF), ``Title ¶7, p. 2 (section)``; for the second of three parts of a
    long paragraph, ``Title ¶7 (part 2 of 3) (section)``."""
    base = f"{title} {paragraph_label(paragraph, part, parts)}"
    base += f", p. {page}" if page is not None else ""
    return f"{base} ({section})" if section else base


def passage_lexical_text(passage: dict[str, Any]) -> str:
    """What BM25 indexes for a passage: its section heading (``context``), then its text."""
    context = passage.get("context")
    return f"{context}\n{passage['text']}" if context else passage["text"]


def passage_embedding_text(passage: dict[str, Any]) -> str:
    """What the model reads for a passage: its document's dateline when it has one (see
    ``dateline``), its section heading, then its text."""
    lead = passage.get("lead")
    text = passage_lexical_text(passage)
    return f"{lead}\n{text}" if lead else text


def dateline(document: Document) -> str | None:
    """The document's opening sentence when it names a date: a statement's or a readout's
    dateline, which says who met where and when ("Secretary of State Antony J. Blinken met
    today with … in Bali, Indonesia." / "4月3日、ブリュッセルにおいて…会談した。").

    Every other passage of the document is read by the model under it (as a "contextual chunk
    header"): a question names the meeting it means, and otherwise only the dateline matches
    that, so the dateline outranked the paragraph that answers (40 of 67 archive misses at
    hit@1 had an opening paragraph on top). A document that opens without a date (a manual's
    page) has none and is read as it is. Measured in docs/evaluation.md.
    """
    from assistant.ingest.dates import names_a_day

    first = next((p for p in document.paragraphs if p.sentences), None)
    if first is None:
        return None
    opening = first.sentences[0].text
    return opening if names_a_day(opening) else None


def passages_from(documents: list[Document], config: Config | None = None) -> list[dict[str, Any]]:
    """The passages to index: one per paragraph, or one per part of a paragraph longer than
    chunking.MAX_PASSAGE_CHARS. Every document passes here whatever its format, so the cap
    holds for text, Markdown, HTML, PDF, Word and URLs alike; the parts keep the paragraph's
    number (versions are aligned, and the source view shows it, by paragraph). When the index
    holds several documents, a dated document's passages after its opening carry its
    ``dateline`` as ``lead`` (in one document it tells nothing apart)."""
    from assistant.ingest.dates import document_months

    config = config or Config()
    leads = config.dateline_context and len(documents) > 1
    passages = []
    for document in documents:
        months = document_months(document.text, document.date)
        lead = dateline(document) if leads else None
        first = len(passages)
        for paragraph in document.paragraphs:
            passages += paragraph_passages(document, paragraph, months)
        for passage in passages[first + 1 :] if lead else []:
            passage["lead"] = lead
    for passage in passages:
        passage["hash"] = content_hash(passage_embedding_text(passage))
    return passages


def paragraph_passages(
    document: Document, paragraph: Paragraph, months: list[str]
) -> list[dict[str, Any]]:
    """The passages of one paragraph: itself, or its parts (``part`` of ``parts``) cut at
    sentences, clauses or the cap (chunking.split_paragraph)."""
    from assistant.text import detect_language

    own = detect_language(paragraph.text)
    parts = split_paragraph(paragraph.text, paragraph.sentences)
    passages = []
    for number, part in enumerate(parts, start=1):
        passage = {
            "doc": document.title,
            "source": document.source,
            "section": paragraph.section,
            "context": paragraph.section,
            "paragraph": paragraph.number,
            "part": number,
            "parts": len(parts),
            "citation": citation_for(
                document.title,
                paragraph.number,
                paragraph.section,
                paragraph.page,
                number,
                len(parts),
            ),
            "text": part.text,
            "sentences": [[s.start, s.end] for s in part.sentences],
            # a paragraph in another language than its document keeps its own
            "lang": own if own in LANGUAGES else document.lang,
            "date": document.date,
            "months": months,
            "page": paragraph.page,
            "url": document.url,
        }
        if paragraph.code:
            passage["code"] = True
        passages.append(passage)
    return passages


def whole_paragraphs(passages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Passages (in index order) with the parts of each paragraph joined back into it, for a
    view of the whole document: ``text`` and ``sentences`` of the whole paragraph, its citation
    without a part, ``parts``, and ``part_starts`` (where each part begins in ``text``)."""
    whole: list[dict[str, Any]] = []
    texts: list[list[str]] = []  # each paragraph's parts, joined once at the end
    for passage in passages:
        previous = whole[-1] if whole else None
        if (
            previous is not None
            and passage.get("part", 1) > 1
            and (previous["source"], previous["paragraph"])
            == (passage["source"], passage["paragraph"])
        ):
            offset = previous["part_starts"][-1] + len(texts[-1][-1])
            previous["sentences"] += [[a + offset, b + offset] for a, b in passage["sentences"]]
            previous["part_starts"].append(offset)
            texts[-1].append(passage["text"])
            continue
        paragraph = {k: v for k, v in passage.items() if k not in ("hash", "part", "lead")}
        paragraph["sentences"] = list(passage["sentences"])
        paragraph["part_starts"] = [0]
        if passage.get("parts", 1) > 1:
            paragraph["citation"] = citation_for(
                passage["doc"], passage["paragraph"], passage["section"], passage.get("page")
            )
        whole.append(paragraph)
        texts.append([passage["text"]])
    for paragraph, parts in zip(whole, texts, strict=True):
        paragraph["text"] = "".join(parts)
    return whole


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


def _embed(
    encoder: Encoder,
    texts: list[str],
    cache: dict[str, np.ndarray],
    dimension: int,
    stage: str,
    progress: Progress | None,
) -> np.ndarray:
    """Vectors for texts, computing only those not in the cache."""
    keys = [content_hash(t) for t in texts]
    unique = {k: t for k, t in zip(keys, texts, strict=True) if k not in cache}
    # Longest first across the whole build, not only within a chunk: each batch then holds
    # texts of about one length and pads little (the encoder sorts within a chunk as well).
    missing = sorted(unique.items(), key=lambda item: (-len(item[1]), item[0]))
    if missing:
        todo = [t for _, t in missing]
        if progress:
            progress(stage, 0, len(todo))
        vectors = []
        # An encoder that streams (assistant.distributed.RayEncoder) gets every text at once, so
        # a cluster sees the whole workload; a local one gets chunks, for progress.
        stream = getattr(encoder, "iter_encode_documents", None) or (
            lambda texts: _encode_in_chunks(encoder, texts)
        )
        for piece in stream(todo):
            vectors.append(piece)
            if progress:
                progress(stage, sum(len(v) for v in vectors), len(todo))
        for (key, _), vector in zip(missing, np.concatenate(vectors), strict=True):
            cache[key] = vector
    if not texts:
        return np.zeros((0, dimension), dtype=np.float32)
    return np.stack([cache[k] for k in keys]).astype(np.float32)


def _encode_in_chunks(encoder: Encoder, texts: list[str]) -> Iterator[np.ndarray]:
    """Vectors of texts, EMBED_CHUNK at a time (each chunk is one progress step)."""
    for start in range(0, len(texts), EMBED_CHUNK):
        yield encoder.encode_documents(
            texts[start : start + EMBED_CHUNK], batch_size=EMBED_BATCH_SIZE
        )


def _previous_index(index_dir: Path, info: ModelInfo) -> StoredIndex | None:
    """The existing index, when its vectors can be reused with this model (same name, size and
    probe fingerprint: a folder model retrained under the same name must not be mixed in)."""
    try:
        previous = load_index(index_dir)
    except (IndexNotFoundError, IndexMismatchError):
        return None
    if not info.built(previous.manifest.get("model", {}), exactly=True):
        log.info("model changed: rebuilding every vector")
        return None
    return previous


def count_changes(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> dict[str, int]:
    """How the new passages relate to the old: kept (same text, vector reused), changed,
    added and removed, so that ``kept + changed + added == len(new)`` and
    ``kept + changed + removed == len(old)``.

    Passages are matched by content hash as a multiset (a paragraph inserted at the top shifts
    every number below it, yet those paragraphs are kept, not changed). Within one source the
    unmatched new and old passages pair up as changed; the rest are added or removed.
    """
    remaining = Counter(p["hash"] for p in old)
    unmatched_new: Counter[str] = Counter()
    kept = 0
    for passage in new:
        if remaining[passage["hash"]] > 0:
            remaining[passage["hash"]] -= 1
            kept += 1
        else:
            unmatched_new[passage["source"]] += 1
    unmatched_old: Counter[str] = Counter()
    for passage in old:
        if remaining[passage["hash"]] > 0:
            remaining[passage["hash"]] -= 1
            unmatched_old[passage["source"]] += 1
    changed = sum(min(n, unmatched_old[source]) for source, n in unmatched_new.items())
    return {
        "kept": kept,
        "changed": changed,
        "added": sum(unmatched_new.values()) - changed,
        "removed": sum(unmatched_old.values()) - changed,
    }


def sources_of(documents: list[Document]) -> list[dict[str, Any]]:
    """What each source file was when it was read, for staleness checks (size and mtime
    first, the sha256 of the bytes read when those differ)."""
    sources = []
    for document in documents:
        if document.state is not None:
            state = document.state.to_dict()
        else:  # a Document made in memory: describe the file as it is now
            path = Path(document.source)
            stat = path.stat()
            state = {
                "file": str(path.absolute()),
                "size": stat.st_size,
                "mtime_ns": stat.st_mtime_ns,
                "sha256": file_hash(path),
            }
        sources.append({"path": document.source, "title": document.title, **state})
        if document.url is not None:
            sources[-1]["url"] = document.url
    return sources


def build_from_documents(
    documents: list[Document],
    index_dir: Path,
    encoder: Encoder,
    info: ModelInfo,
    inputs: list[str],
    progress: Progress | None = None,
    skipped: list[FileState] | None = None,
    config: Config | None = None,
) -> BuildReport:
    """Embed (reusing the vectors of unchanged texts) and save; the caller holds the lock.
    ``config`` gives the build-time settings (``Config.inferred_dates``)."""
    config = config or Config()
    started = time.perf_counter()
    documents, copies = label_uploads(documents, index_dir)  # an upload cannot pass for another
    if not config.inferred_dates:
        for document in documents:
            if document.date_inferred:
                document.date, document.date_inferred = None, False
    previous = _previous_index(index_dir, info)
    cache = _VectorCache(previous)
    passages = passages_from(documents, config)
    changes = count_changes(previous.passages if previous else [], passages)

    passage_vectors = _embed(
        encoder,
        [passage_embedding_text(p) for p in passages],
        cache.passages,
        info.dimension,
        "passages",
        progress,
    )
    all_sentences = [text for p in passages for text in sentence_texts(p)]
    sentence_vectors = _embed(
        encoder, all_sentences, cache.sentences, info.dimension, "sentences", progress
    )
    seconds = time.perf_counter() - started
    counts = {
        "documents": len(documents),
        "passages": len(passages),
        "sentences": len(all_sentences),
    }
    manifest = new_manifest(info.to_dict(), sources_of(documents), inputs, counts, seconds)
    manifest["skipped"] = [state.to_dict() for state in skipped or []]
    manifest["upload_copies"] = copies
    manifest.update(measured(encoder, info, passages, passage_vectors, sentence_vectors))
    if progress:
        progress("indexing", 0, 1)
    stored = StoredIndex(
        manifest=manifest,
        passages=passages,
        documents=[document_record(d) for d in documents],
        faiss_index=make_faiss_index(passage_vectors),
        sentence_vectors=sentence_vectors,
        lexical=LexicalIndex([passage_lexical_text(p) for p in passages]),
        sentence_lexical=LexicalIndex(all_sentences),
        path=index_dir,
    )
    if progress:
        progress("indexing", 1, 1)
    save_index(index_dir, stored)
    return BuildReport(
        index_dir,
        len(documents),
        len(passages),
        changes["added"],
        changes["changed"],
        changes["removed"],
        changes["kept"],
        time.perf_counter() - started,
        previous is None,
    )


def document_record(document: Document) -> dict[str, Any]:
    """What the index keeps of a source document (for the source view and the name lookups)."""
    return {
        "source": document.source,
        "title": document.title,
        "text": document.text,
        "lang": document.lang,
        "date": document.date,
        "url": document.url,
    }


def measured(
    encoder: Encoder,
    info: ModelInfo,
    passages: list[dict[str, Any]],
    passage_vectors: np.ndarray,
    sentence_vectors: np.ndarray,
) -> dict[str, Any]:
    """The manifest entries worked out from the vectors: parallel versions (and how long their
    alignment took) and the model-dependent calibration."""
    started = time.perf_counter()
    entries = dict(
        index_versions(passages, sentence_vectors, parallel_bank_vectors(encoder, info.key))
    )
    entries["versions_seconds"] = round(time.perf_counter() - started, 3)
    entries["calibration"] = calibration.measure(
        encoder, passage_vectors, sentence_vectors, info.key
    )
    return entries


def build_lock(index_dir: Path, wait: float | None = None):
    """The one-writer lock of an index directory. ``wait`` seconds (None: wait forever)."""
    from filelock import FileLock

    index_dir.mkdir(parents=True, exist_ok=True)
    return FileLock(str(index_dir / LOCK_FILE), timeout=-1 if wait is None else wait)


@contextmanager
def holding_build_lock(index_dir: Path, wait: float | None = 0) -> Iterator[None]:
    """Hold the build lock of ``index_dir``; with ``wait=0`` a second concurrent build stops at
    once with BuildLockedError instead of queueing behind the first."""
    from filelock import Timeout

    lock = build_lock(index_dir, wait)
    try:
        lock.acquire()
    except Timeout as exc:
        raise BuildLockedError(
            f"another build is writing {index_dir}; wait for it to finish, or use --wait"
        ) from exc
    try:
        yield
    finally:
        lock.release()


def check_paths(paths: Iterable[str | os.PathLike[str]]) -> list[str]:
    """The paths (and URLs) as strings; raises CorpusError for a missing path (before any slow
    work)."""
    from assistant.ingest.fetch import is_url

    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    checked = [str(p) for p in paths]
    if not checked:
        raise InputError("give at least one file or folder to index")
    for path in checked:
        if not is_url(path) and not Path(path).expanduser().exists():
            raise CorpusError(f"no such file or folder: {path}")
    return checked


def read_inputs(paths: list[str], index_path: Path) -> Corpus:
    """Read the files and folders, and fetch the URLs into ``INDEX/snapshots/`` (a URL that
    fails is skipped with one line, like an unreadable file). Raises CorpusError when nothing
    readable is found. URLs are recorded and named only by their public_url (no credentials)."""
    from assistant.ingest.documents import read_document
    from assistant.ingest.fetch import SNAPSHOTS_FOLDER, FetchError, fetch, is_url, public_url

    urls = [p for p in paths if is_url(p)]
    local = [p for p in paths if not is_url(p)]
    if not urls:
        return read_corpus(local)
    corpus = Corpus([], [])
    if local:
        try:
            corpus = read_corpus(local)
        except CorpusError:
            log.warning("no readable documents in: %s", ", ".join(local))
    for url in urls:
        try:
            snapshot = fetch(url, index_path / SNAPSHOTS_FOLDER)
        except FetchError as exc:
            log.warning("skipped %s: %s", public_url(url), exc)
            continue
        document, state = read_document(snapshot.path, source=snapshot.url)
        if document is None or not document.paragraphs:
            continue
        document.url = snapshot.final_url
        document.state = state
        corpus.documents.append(document)
    if not corpus.documents:
        shown = [public_url(p) if is_url(p) else p for p in paths]
        raise CorpusError("no readable documents found in: " + ", ".join(shown))
    return corpus


def build(
    paths: Iterable[str | os.PathLike[str]],
    index_dir: str | os.PathLike[str],
    encoder: Encoder,
    info: ModelInfo,
    progress: Progress | None = None,
    wait: float | None = 0,
    corpus: Corpus | None = None,
    config: Config | None = None,
) -> BuildReport:
    """Read ``paths`` (unless ``corpus`` already holds them) and (re)build the index at
    ``index_dir`` under the build lock.

    With ``wait=0`` a second concurrent build stops at once with BuildLockedError.
    """
    paths = check_paths(paths)
    index_path = Path(index_dir)
    corpus = corpus or read_inputs(paths, index_path)
    with holding_build_lock(index_path, wait):
        refuse_newer_format(index_path)
        return _build_locked(corpus, paths, index_path, encoder, info, progress, config)


def _build_locked(
    corpus: Corpus,
    paths: list[str],
    index_path: Path,
    encoder: Encoder,
    info: ModelInfo,
    progress: Progress | None,
    config: Config | None = None,
) -> BuildReport:
    from assistant.ingest.fetch import is_url, public_url

    # A URL is recorded without its credentials: a rebuild from these inputs asks for it again.
    inputs = [public_url(p) if is_url(p) else str(Path(p).expanduser().absolute()) for p in paths]
    return build_from_documents(
        corpus.documents,
        index_path,
        encoder,
        info,
        inputs,
        progress,
        skipped=corpus.skipped_states,
        config=config,
    )


def build_files(
    paths: Iterable[str | os.PathLike[str]],
    index_dir: str | os.PathLike[str],
    model_name: str | None = None,
    progress: Progress | None = None,
    wait: float | None = 0,
    wrap_encoder: Callable[[Encoder], Encoder] | None = None,
    config: Config | None = None,
) -> BuildReport:
    """Everything a ``build`` command does, cheapest checks first: the paths exist, the files
    hold text, no other build is writing (all in well under a second), and only then load the
    model (3-10 s) and embed.

    ``wrap_encoder(encoder)`` gives the encoder documents are embedded with instead of the
    loaded one (e.g. ``assistant.distributed.RayEncoder``); it is closed after the build."""
    from assistant.encoding.models import load_model

    paths = check_paths(paths)
    index_path = Path(index_dir)
    corpus = read_inputs(paths, index_path)
    with holding_build_lock(index_path, wait):
        refuse_newer_format(index_path)  # before the model loads
        loaded, info = load_model(model_name)
        encoder = wrap_encoder(loaded) if wrap_encoder else loaded
        try:
            return _build_locked(corpus, paths, index_path, encoder, info, progress, config)
        finally:
            if encoder is not loaded and hasattr(encoder, "close"):
                encoder.close()


def is_stale(manifest: dict[str, Any]) -> bool:
    """Whether the files an index was built from changed since (added, removed or edited), or
    it was built by an earlier pipeline (store.PIPELINE_VERSION).

    Files that were skipped (binary, empty) are recorded too, so they do not make an index
    look stale forever; one of them changing does (it may hold text now).
    """
    from assistant.indexing.store import PIPELINE_VERSION
    from assistant.ingest.fetch import is_url

    # URLs are fetched again only by an explicit build: they never make an index stale.
    files = [i for i in manifest.get("inputs", []) if not is_url(i)]
    try:
        current = {str(p.absolute()): p for p in iter_files(files)}
    except Exception:  # inputs gone: nothing to rebuild from, so not stale
        return False
    if manifest.get("pipeline_version", 1) != PIPELINE_VERSION:
        return True
    recorded = {r["file"]: r for r in manifest.get("skipped", [])}
    recorded.update(
        {s["file"]: s for s in manifest.get("sources", []) if "file" in s and "url" not in s}
    )
    if set(current) != set(recorded):
        return True
    for name, record in recorded.items():
        try:
            stat = current[name].stat()
        except OSError:
            return True
        if (stat.st_size, stat.st_mtime_ns) == (record["size"], record["mtime_ns"]):
            continue
        if "sha256" not in record or file_hash(current[name]) != record["sha256"]:
            return True
    return False
