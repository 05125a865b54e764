"""Where a passage came from, as a reader should see it: uploads labelled as uploads, and paths
relative to the folder that was indexed (never the server's full path unless asked), in answers
and in the messages sent to clients alike."""

from __future__ import annotations

import contextlib
import dataclasses
import unicodedata
from collections.abc import Iterable
from pathlib import Path

from assistant.ingest.documents import Document
from assistant.ingest.structure import file_name

UPLOADS_FOLDER = "uploads"
"""Visitors' uploads live in ``<index>/uploads/`` and are indexed as one more input folder."""
UPLOADED_PREFIX = "uploaded: "


def uploads_dir(index_dir: str | Path) -> Path:
    return Path(index_dir) / UPLOADS_FOLDER


def uploaded_title(name: str) -> str:
    """The title every upload is cited by: its file name, marked as an upload, so a file
    whose first line copies an indexed document's title can never pass for it."""
    return f"{UPLOADED_PREFIX}{name}"


def is_upload(path: str | Path, index_dir: str | Path) -> bool:
    try:
        return Path(path).absolute().parent.resolve() == uploads_dir(index_dir).resolve()
    except OSError:
        return False


MIN_COPY_CHARACTERS = 20
"""A paragraph shorter than this (letters and digits) is not treated as a copy: a heading-like
"Thank you." may well repeat by chance."""


def copy_key(text: str) -> str:
    """What two paragraphs share when one is a copy of the other: their letters and digits,
    NFKC-folded and case-folded (spacing, punctuation and full-width forms aside)."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in folded if ch.isalnum())


def label_uploads(
    documents: list[Document], index_dir: str | Path
) -> tuple[list[Document], dict[str, int]]:
    """The documents with each upload labelled as one, and what was left out of uploads.

    An upload's title becomes ``uploaded: <file name>``; a section heading that is an indexed
    document's title or section is dropped, so an upload is never cited under another
    document's name. Paragraphs that repeat an indexed (not uploaded) paragraph are left out,
    so a copy never outranks its source; returns, per upload's file name, how many were.
    """
    own = [d for d in documents if not _is_uploaded(d, index_dir)]
    names = {copy_key(d.title) for d in own} | {
        copy_key(p.section) for d in own for p in d.paragraphs if p.section
    }
    indexed = {copy_key(p.text) for d in own for p in d.paragraphs}
    labelled, copies = [], {}
    for document in documents:
        if not _is_uploaded(document, index_dir):
            labelled.append(document)
            continue
        name = file_name(_file_of(document))
        kept = []
        for paragraph in document.paragraphs:
            key = copy_key(paragraph.text)
            if len(key) >= MIN_COPY_CHARACTERS and key in indexed:
                continue
            if paragraph.section and copy_key(paragraph.section) in names:
                paragraph = dataclasses.replace(paragraph, section=None)
            kept.append(paragraph)
        if len(kept) < len(document.paragraphs):
            copies[name] = len(document.paragraphs) - len(kept)
        # Kept even when every paragraph was a copy: the file stays recorded as read.
        labelled.append(dataclasses.replace(document, title=uploaded_title(name), paragraphs=kept))
    return labelled, copies


def _file_of(document: Document) -> str:
    return document.state.file if document.state is not None else document.source


def _is_uploaded(document: Document, index_dir: str | Path) -> bool:
    return is_upload(_file_of(document), index_dir)


def relative_source(source: str, roots: Iterable[str]) -> str:
    """``source`` relative to the indexed folder that holds it (the file name for a file given
    by itself), so answers do not reveal where the server keeps its files."""
    path = Path(source).absolute()
    best: Path | None = None
    for root in roots:
        folder = Path(root).absolute()
        folder = folder if folder.is_dir() else folder.parent
        if folder in path.parents and (best is None or len(folder.parts) > len(best.parts)):
            best = folder
    return str(path.relative_to(best)) if best is not None else path.name


def shown_source(source: str, roots: Iterable[str], full_paths: bool = False) -> str:
    """``source`` as a client sees it: relative to its indexed folder (relative_source) unless
    ``full_paths``; a web address as it is (it is public, and the link to cite)."""
    from assistant.ingest.fetch import is_url

    return source if full_paths or is_url(source) else relative_source(source, roots)


def public_message(
    message: str, index_dir: str | Path, sources: Iterable[str], roots: Iterable[str]
) -> str:
    """``message`` (an error for a client) without the server's absolute paths: each indexed
    document as shown_source shows it, the index folder (and anything in it, such as a
    generation ``I/gen-000002-…``) by its name, and each indexed folder by its name."""
    from assistant.ingest.fetch import is_url

    roots = [root for root in roots if not is_url(root)]
    index = Path(index_dir)
    replacements: dict[str, str] = {}
    for root in roots:
        replacements[str(Path(root).absolute())] = Path(root).name
    for form in _absolute_forms(index):
        replacements[form] = index.absolute().name
    for source in sources:
        if not is_url(source):
            for form in _absolute_forms(Path(source)):
                replacements[form] = relative_source(source, roots)
    for absolute in sorted(replacements, key=len, reverse=True):  # longest (innermost) first
        message = message.replace(absolute, replacements[absolute])
    return message


def _absolute_forms(path: Path) -> set[str]:
    """The ways a path can appear in a message: absolute as given, and with links resolved."""
    forms = {str(path.absolute())}
    with contextlib.suppress(OSError, RuntimeError):  # a link loop: the absolute form will do
        forms.add(str(path.resolve()))
    return {form for form in forms if form != "/"}
