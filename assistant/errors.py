"""Exceptions the assistant raises on purpose: each carries a one-line message for the user.

The command line prints ``str(error)`` and exits 2; the web page shows it; programs can catch
``AssistantError`` for all of them.
"""

from __future__ import annotations


class AssistantError(Exception):
    """Base class: something the user can fix, described in one line."""


class InputError(AssistantError, ValueError):
    """A question or argument that cannot be answered as given (empty, wrong type, out of range)."""


class CorpusError(AssistantError):
    """The texts to index could not be read (missing path, nothing readable, empty corpus)."""


class IndexNotFoundError(AssistantError, FileNotFoundError):
    """No built index where one was expected."""


class IndexMismatchError(AssistantError):
    """An index built by another model or format version, or damaged on disk."""


class ModelError(AssistantError):
    """The embedding model could not be built or loaded."""


class BuildLockedError(AssistantError):
    """Another build is writing the same index."""


class StorageError(AssistantError, OSError):
    """A write that failed for lack of disk space or permission (partial files removed)."""


class ClusterError(AssistantError):
    """A distributed (Ray) build could not start or finish; the previous index is untouched."""
