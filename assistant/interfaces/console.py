"""What the ``assistant`` command shows on a terminal while it works: build progress.

Presentation lives here, in the command-line layer; the library reports progress through a
callback ``(stage, done, total)`` and logs, and never prints.
"""

from __future__ import annotations

import shutil
import sys
from typing import Any

from assistant.indexing.indexer import STAGES


class ProgressPrinter:
    """Build progress on stderr: a tqdm bar per stage on a terminal; in a log (no terminal), a
    line at the start, at every tenth and at the end of a stage, so logs stay short."""

    def __init__(self) -> None:
        self._bars: dict[str, Any] = {}
        self._printed: dict[str, int] = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        label = STAGES.get(stage, stage)
        if sys.stderr.isatty():
            from tqdm import tqdm

            bar = self._bars.get(stage)
            if bar is None:
                bar = self._bars[stage] = tqdm(
                    total=total,
                    desc=f"  {label}",
                    unit=" texts" if stage in ("passages", "sentences") else " steps",
                    file=sys.stderr,
                    ncols=min(100, shutil.get_terminal_size().columns),
                )
            bar.update(done - bar.n)
            if done >= total:
                bar.close()
                del self._bars[stage]
            return
        tenth = 10 * done // max(total, 1)
        if stage not in self._printed or tenth > self._printed[stage] or done >= total:
            print(f"  {label}: {done}/{total}", file=sys.stderr, flush=True)
            self._printed[stage] = tenth
        if done >= total:
            self._printed.pop(stage, None)


print_progress = ProgressPrinter()
"""The progress callback of the ``assistant`` command."""
