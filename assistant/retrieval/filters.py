"""Which passages may answer: by language, document and date."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from assistant.ingest.documents import file_name


@dataclass(frozen=True)
class Filters:
    """Which passages may answer: by language, document (source path or file name) and date
    (ISO, inclusive; a document without a date is outside any date range)."""

    language: str | None = None
    source: str | None = None
    date_from: str | None = None
    date_to: str | None = None

    def __bool__(self) -> bool:
        return any((self.language, self.source, self.date_from, self.date_to))

    def mask(
        self, languages: np.ndarray, sources: np.ndarray, names: np.ndarray, dates: np.ndarray
    ) -> np.ndarray:
        """Which of the passages described by these parallel arrays the filters admit (dates
        ISO strings, "" for none): the one statement of the rule, as array comparisons, so a
        filter costs about a millisecond even at 100k passages."""
        keep = np.ones(len(languages), dtype=bool)
        if self.language:
            keep &= languages == self.language
        if self.source:
            keep &= (sources == self.source) | (names == self.source)
        if self.date_from or self.date_to:
            keep &= dates != ""
        if self.date_from:
            keep &= dates >= self.date_from
        if self.date_to:
            keep &= np.array([d[: len(self.date_to)] for d in dates]) <= self.date_to
        return keep

    def admits(self, passage: dict[str, Any]) -> bool:
        """Whether one passage (a stored passage dict) is admitted."""
        source = passage["source"]
        return bool(
            self.mask(
                np.array([passage.get("lang") or "und"]),
                np.array([source]),
                np.array([file_name(source)]),
                np.array([passage.get("date") or ""]),
            )[0]
        )
