"""Making writes survive a crash, and reads trust only what was written: what the model cache
and the index both need (fsync, sha256 records, verification, leftover cleanup, and one-line
errors for a full disk)."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from assistant.errors import StorageError

FileRecord = dict[str, Any]
"""``{"size": bytes, "sha256": hex}``: what a manifest or marker records of one file."""

_OUT_OF_SPACE = {errno.ENOSPC, errno.EDQUOT}
_NOT_ALLOWED = {errno.EACCES, errno.EPERM, errno.EROFS}
STORAGE_ERRNOS = frozenset(_OUT_OF_SPACE | _NOT_ALLOWED)
"""errno values that mean "this machine cannot store it" rather than bad input."""


def fsync_path(path: Path) -> None:
    """Flush a file's data, or a folder's entries, to disk (before an atomic rename relies on
    it)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def sha256_of(path: Path) -> str:
    """The sha256 of a file's bytes, read in a stream (about 1.1 GB/s here)."""
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def write_json(path: Path, data: Any, indent: int | None = None) -> None:
    """Write JSON and flush it to disk."""
    with path.open("w", encoding="utf-8") as handle:
        json.dump(data, handle, ensure_ascii=False, indent=indent)
        handle.flush()
        os.fsync(handle.fileno())


def record_files(folder: Path) -> dict[str, FileRecord]:
    """fsync every file under ``folder`` and record its size and sha256, by relative path."""
    records = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            fsync_path(path)
            records[str(path.relative_to(folder))] = {
                "size": path.stat().st_size,
                "sha256": sha256_of(path),
            }
    return records


def size_problem(path: Path, record: FileRecord) -> str | None:
    """Why ``path`` does not have its recorded size (missing, truncated...), or None."""
    try:
        if not path.is_file():
            return "is missing"
        if path.stat().st_size != record["size"]:
            return "is truncated or damaged"
    except OSError as exc:
        return f"cannot be read ({exc.strerror})"
    return None


def hash_problem(path: Path, record: FileRecord) -> str | None:
    """Why ``path`` does not have its recorded sha256, or None. Catches same-size damage that
    no size check or probe can see."""
    try:
        if sha256_of(path) != record["sha256"]:
            return "is damaged (checksum mismatch)"
    except FileNotFoundError:
        return "is missing"
    except OSError as exc:
        return f"cannot be read ({exc.strerror})"
    return None


def file_problem(path: Path, record: FileRecord) -> str | None:
    """Size first (cheap), then sha256; None when the file is as recorded."""
    return size_problem(path, record) or hash_problem(path, record)


def sizes_match(folder: Path, records: dict[str, FileRecord]) -> bool:
    return all(size_problem(folder / name, r) is None for name, r in records.items())


def hashes_match(folder: Path, records: dict[str, FileRecord]) -> bool:
    return all(hash_problem(folder / name, r) is None for name, r in records.items())


def remove_leftovers(parent: Path, patterns: Iterable[str], keep: Iterable[str] = ()) -> None:
    """Delete what killed writers leave behind: every entry of ``parent`` matching one of
    ``patterns`` (folders, files or links) except the names in ``keep``. Call it only while
    holding the lock of whatever writes there."""
    kept = set(keep)
    for pattern in patterns:
        for leftover in parent.glob(pattern):
            if leftover.name in kept:
                continue
            if leftover.is_symlink() or leftover.is_file():
                leftover.unlink(missing_ok=True)
            else:
                shutil.rmtree(leftover, ignore_errors=True)


def storage_error(exc: BaseException, path: Path) -> StorageError | None:
    """A one-line StorageError for a write that failed for lack of space or permission, or None
    when ``exc`` is something else. FAISS reports a short write as a RuntimeError without an
    errno (``... 103296 requested and 4064 written``), so a full disk is also checked for."""
    code = getattr(exc, "errno", None)
    if code in _OUT_OF_SPACE or (code is None and _disk_full(path)):
        return StorageError(f"disk full writing {path}")
    if code in _NOT_ALLOWED:
        return StorageError(f"permission denied writing {path}")
    if isinstance(exc, OSError):
        return StorageError(f"cannot write {path} ({exc.strerror or exc})")
    return None


def _disk_full(path: Path) -> bool:
    folder = path if path.is_dir() else path.parent
    try:
        usage = shutil.disk_usage(folder)
    except OSError:
        return False
    return usage.free < 1 << 20


@contextmanager
def writing(path: Path, cleanup: Path | None = None) -> Iterator[None]:
    """Turn a failed write of ``path`` into a one-line StorageError, removing ``cleanup`` (the
    partial file or staging folder) first."""
    try:
        yield
    except Exception as exc:
        error = (
            None if isinstance(exc, StorageError) else storage_error(exc, _failed_path(exc, path))
        )
        if cleanup is not None:
            if cleanup.is_dir() and not cleanup.is_symlink():
                shutil.rmtree(cleanup, ignore_errors=True)
            else:
                cleanup.unlink(missing_ok=True)
        if error is None:
            raise
        raise error from exc


def _failed_path(exc: BaseException, path: Path) -> Path:
    name = getattr(exc, "filename", None)
    return Path(name) if name else path
