"""Dates: the ones a document is from or about, and the ones a question names.

An archive holds many similar statements in Japanese, English and Korean; a question that names
a month ("in September 2024", "2024年9月", "2024년 9월") must find the statement of that month
whatever language either is written in, so dates are read in every form the three languages
write them and compared as ISO strings:

>>> [m.iso for m in find_dates("令和7年4月3日、2025年4月3日、April 3, 2025、2025년 4월 3일")]
['2025-04-03', '2025-04-03', '2025-04-03', '2025-04-03']
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_ERAS = {"令和": 2018, "平成": 1988, "昭和": 1925}
"""Japanese era name -> the Gregorian year before its first year (令和元年 = 2019)."""

_MONTH_SPELLINGS = [
    ("january", "jan"),
    ("february", "feb"),
    ("march", "mar"),
    ("april", "apr"),
    ("may",),
    ("june", "jun"),
    ("july", "jul"),
    ("august", "aug"),
    ("september", "sep", "sept"),
    ("october", "oct"),
    ("november", "nov"),
    ("december", "dec"),
]
"""English month names and abbreviations, January first."""
_MONTHS = {name: number for number, names in enumerate(_MONTH_SPELLINGS, 1) for name in names}
_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))

_PATTERNS = [
    # 令和7年4月3日, 令和元年5月
    (
        "era",
        re.compile(r"(令和|平成|昭和)\s*(元|\d{1,2})\s*年\s*(\d{1,2})\s*月(?:\s*(\d{1,2})\s*日)?"),
    ),
    # 2025年4月3日, 2025년 4월 3일, 2025年4月
    ("cjk", re.compile(r"(?<!\d)(\d{4})\s*[年년]\s*(\d{1,2})\s*[月월](?:\s*(\d{1,2})\s*[日일])?")),
    # 3 April 2025 (before "April 2025", which would read it without its day)
    ("dmy", re.compile(rf"(?<!\d)(\d{{1,2}})\s+({_MONTH})\.?,?\s+(\d{{4}})(?!\d)", re.I)),
    # April 3, 2025 / April 2025 / Apr. 3 2025
    (
        "mdy",
        re.compile(
            rf"(?<![A-Za-z])({_MONTH})\.?\s+(?:(\d{{1,2}})(?:st|nd|rd|th)?,?\s+)?(\d{{4}})(?!\d)",
            re.I,
        ),
    ),
    # 2025-04-03, 2025/4/3, 2025.4.3
    ("iso", re.compile(r"(?<!\d)(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)")),
]
_MONTH_DAY = [
    re.compile(r"(?<![\d年년])(\d{1,2})\s*[月월]\s*(\d{1,2})\s*[日일]"),
    re.compile(
        rf"(?<![A-Za-z])({_MONTH})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?(?![\d])(?!,?\s+\d{{4}})",
        re.I,
    ),
]
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d\d)(?!\d)")


@dataclass(frozen=True)
class DateMention:
    """A date named in a text: year and month always, the day when given."""

    position: int
    year: int
    month: int
    day: int | None = None

    @property
    def iso(self) -> str:
        """``2025-04-03``, or ``2025-04`` without a day."""
        base = f"{self.year:04d}-{self.month:02d}"
        return f"{base}-{self.day:02d}" if self.day else base

    @property
    def month_key(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


def _valid(year: int, month: int, day: int | None) -> bool:
    return 1900 <= year <= 2100 and 1 <= month <= 12 and (day is None or 1 <= day <= 31)


def find_dates(text: str) -> list[DateMention]:
    """Every full date (year and month, maybe a day) in ``text``, in order of position."""
    text = unicodedata.normalize("NFKC", text)
    found: dict[int, DateMention] = {}
    taken: list[tuple[int, int]] = []  # a date read by one pattern is not read again
    for kind, pattern in _PATTERNS:
        for match in pattern.finditer(text):
            if any(match.start() < end and start < match.end() for start, end in taken):
                continue
            if kind == "era":
                offset = _ERAS[match[1]]
                year = offset + (1 if match[2] == "元" else int(match[2]))
                month, day = int(match[3]), match[4]
            elif kind in ("cjk", "iso"):
                year, month, day = int(match[1]), int(match[2]), match[3]
            elif kind == "mdy":
                year, month, day = int(match[3]), _MONTHS[match[1].lower()], match[2]
            else:
                year, month, day = int(match[3]), _MONTHS[match[2].lower()], match[1]
            day_number = int(day) if day else None
            if _valid(year, month, day_number):
                found.setdefault(match.start(), DateMention(match.start(), year, month, day_number))
                taken.append(match.span())
    return sorted(found.values(), key=lambda m: m.position)


def _month_days(text: str) -> list[tuple[int, int]]:
    """Month-day mentions without a year (4月3日, 4월 3일, May 31), as (month, day)."""
    text = unicodedata.normalize("NFKC", text)
    pairs = []
    for match in _MONTH_DAY[0].finditer(text):
        pairs.append((int(match[1]), int(match[2])))
    for match in _MONTH_DAY[1].finditer(text):
        pairs.append((_MONTHS[match[1].lower()], int(match[2])))
    return [(m, d) for m, d in pairs if 1 <= m <= 12 and 1 <= d <= 31]


def names_a_day(text: str) -> bool:
    """Whether ``text`` names a day, with or without its year (2024年11月15日, 4月3日, 10월 16일,
    November 15th): what a dateline does.

    >>> names_a_day("4月3日、ブリュッセルにおいて会談した。"), names_a_day("Debian is free.")
    (True, False)
    """
    return any(d.day for d in find_dates(text)) or bool(_month_days(text))


def document_date(text: str) -> str | None:
    """The document's own date: the first full date it names (a statement's dateline or its
    first sentence), as ISO; None when the text names none with a year."""
    dates = find_dates(text)
    full = [d for d in dates if d.day]
    chosen = full[0] if full else (dates[0] if dates else None)
    return chosen.iso if chosen else None


DATELINE_CHARS = 400
"""How far into a text its dateline may be: the opening sentence of a statement or readout."""


def dateline_date(text: str) -> str | None:
    """The date of a text whose dateline gives the month and day but not the year ("4月3日、
    ブリュッセルにおいて", "On May 31, ..."), placed in the one year the text names: only when
    every year it names is the same one, so a text looking back to 2023 and forward to 2025
    gets no date rather than a guessed one. The last fallback (after the text's full dates and
    the file name, see :func:`assistant.documents.annotate`): an undated statement gets no date
    evidence, and in an archive where its neighbours have theirs a question naming its month
    drew them ahead of it.

    >>> dateline_date("日米韓共同声明 三か国の外相は、4月3日、ブリュッセルにおいて会談した。"
    ...               "閣僚は、韓国が2025年のAPECを成功裏に主催することを支持した。")
    '2025-04-03'
    >>> dateline_date("On May 31 they met. They recalled 2023 and looked to 2025.") is None
    True
    """
    text = unicodedata.normalize("NFKC", text)
    opening = _month_days(text[:DATELINE_CHARS])
    years = {int(y) for y in _YEAR.findall(text)}
    if not opening or len(years) != 1:
        return None
    (year,), (month, day) = years, opening[0]
    return f"{year:04d}-{month:02d}-{day:02d}" if _valid(year, month, day) else None


_NAME_DATE = re.compile(
    r"(?<![0-9A-Za-z])((?:19|20)\d\d)[-_.]?(0[1-9]|1[0-2])(?:[-_.]?(0[1-9]|[12]\d|3[01]))?(?![0-9A-Za-z])"
)


def date_in_name(name: str) -> str | None:
    """The date a file name carries (``2024-05-31_outcome.pdf``, ``fm-bali-2022-07.en.txt``,
    ``20241115.D1J.html``), as ISO; None when it carries none.

    Archives are filed by date far more often than their texts print one with its year: a
    readout says "on Friday, May 31" and its file or URL says 2024-05. The text's own date
    comes first (see :func:`assistant.documents.annotate`); this is the fallback. The date must
    stand apart from letters and digits, so hashes (``2daad77d3c406492``) are not read.

    >>> [date_in_name(n) for n in ("fm-bali-2022-07.en.txt", "20241115.D1J.html", "2daad77d3.txt")]
    ['2022-07', '2024-11-15', None]
    """
    for match in _NAME_DATE.finditer(name):
        year, month, day = match[1], match[2], match[3]
        return f"{year}-{month}-{day}" if day else f"{year}-{month}"
    return None


def document_months(text: str, date: str | None = None) -> list[str]:
    """Every month (``YYYY-MM``) the document is about: each full date it names, and month-day
    mentions (5月31日, May 31) placed in the year of the document's own ``date``.

    A readout released on 1 June about a meeting on 31 May answers "in May" and "in June".
    """
    months = {d.month_key for d in find_dates(text)}
    if date:
        months.add(date[:7])
        year = int(date[:4])
        months.update(f"{year:04d}-{m:02d}" for m, _ in _month_days(text))
    return sorted(months)


def question_months(question: str) -> list[str]:
    """Months (``YYYY-MM``) a question names ("in September 2024", "2024年9月")."""
    return sorted({d.month_key for d in find_dates(question)})


_BARE_MONTH = [
    re.compile(r"(?<![\d年년.])(1[0-2]|0?[1-9])\s*[月월](?!\s*\d{1,2}\s*[日일])"),
    # capitalised names and dotted abbreviations only: "may", "march" and "sep" are words too
    re.compile(
        r"(?<![A-Za-z])("
        + "|".join(
            [names[0].capitalize() for names in _MONTH_SPELLINGS]
            + [rf"{short.capitalize()}\." for names in _MONTH_SPELLINGS for short in names[1:]]
        )
        + r")(?![A-Za-z])"
    ),
]


def question_bare_months(question: str) -> list[int]:
    """Months a question names without any year ("10월 서울 차관 협의에서는요?", "同じ年の5月",
    "that October"), as numbers; none when it names a year anywhere (its months are then
    full ones, ``question_months``). "May" opening an English question is the verb.

    >>> question_bare_months("10월 서울 차관 협의에서는요?")
    [10]
    >>> question_bare_months("2024年5月の協議")
    []
    >>> question_bare_months("And the meeting that October?"), question_bare_months("May I ask?")
    ([10], [])
    """
    text = unicodedata.normalize("NFKC", question)
    if _YEAR.search(text) or find_dates(text):
        return []
    months = {int(m[1]) for m in _BARE_MONTH[0].finditer(text)}
    for match in _BARE_MONTH[1].finditer(text):
        if match[1] == "May" and not text[: match.start()].strip():
            continue
        months.add(_MONTHS[match[1].rstrip(".").lower()])
    return sorted(m for m in months if 1 <= m <= 12)


def question_years(question: str) -> list[int]:
    """Years a question names, with or without a month ("in 2024", "2024年の")."""
    return sorted({int(y) for y in _YEAR.findall(unicodedata.normalize("NFKC", question))})
