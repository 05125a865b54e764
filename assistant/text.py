"""Scripts and languages: which language a text is in, by the characters it is written in.

The one place character classes are defined (Han, kana, Hangul, full-width Latin); the modules
that read names and readings take theirs from here.

>>> [detect_language(t) for t in ("日米韓共同声明", "한미일 공동성명", "Joint Statement")]
['ja', 'ko', 'en']
"""

from __future__ import annotations

import re

LANGUAGES = ("ja", "en", "ko")
"""Languages the assistant knows by name; other text is tagged ``zh`` (Han without kana) or
``und`` (undetermined)."""

HAN = "\u3400-\u4dbf\u4e00-\u9fff"
"""CJK ideographs (the common and extension-A blocks), for character classes."""
HANGUL_SYLLABLES = "\uac00-\ud7a3"
KATAKANA = "\u30a1-\u30fa\u30fc"
FULL_WIDTH_LATIN = re.compile(r"[\uff10-\uff19\uff21-\uff3a]")
"""Full-width digits and capitals (ＡＰＥＣ, Ｇ７): NFKC folds them to ASCII."""


def _script_counts(text: str) -> dict[str, int]:
    counts = {"hangul": 0, "kana": 0, "han": 0, "latin": 0}
    for ch in text:
        if "\uac00" <= ch <= "\ud7af" or "\u1100" <= ch <= "\u11ff" or "\u3130" <= ch <= "\u318f":
            counts["hangul"] += 1
        elif "\u3040" <= ch <= "\u30ff" or "\uff66" <= ch <= "\uff9f":
            counts["kana"] += 1
        elif "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf":
            counts["han"] += 1
        elif ch.isascii() and ch.isalpha():
            counts["latin"] += 1
    return counts


def detect_language(text: str) -> str:
    """``ja``, ``ko``, ``en``, ``zh`` or ``und``, by script.

    For the languages the assistant serves the script decides: Hangul is Korean, kana are
    Japanese (a Japanese text is 40-70 % kana), Latin letters are taken for English. Script
    counting is exact for these three and costs microseconds per paragraph; a statistical
    detector would add a dependency for no gain on them.
    """
    counts = _script_counts(text)
    cjk = counts["kana"] + counts["han"]
    # Latin letters are 1 char per sound, CJK about 2-3 Latin letters' worth each.
    if (
        counts["hangul"]
        and counts["hangul"] >= 0.5 * cjk
        and counts["hangul"] * 2 >= 0.2 * counts["latin"]
    ):
        return "ko"
    if cjk and cjk * 2 >= 0.2 * counts["latin"]:
        if counts["kana"] or not counts["han"]:
            return "ja"
        return "ja" if counts["han"] < 8 else "zh"
    if counts["latin"]:
        return "en"
    return "und"
