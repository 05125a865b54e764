"""Ordinals: a question about the third of a series (第3回のフリーダム・エッジ, the 13th dialogue,
세 번째 회의) is answered only from documents that name that ordinal.

A question about an occurrence the archive does not record reads like one about the
occurrences it does: "When was the third Freedom Edge held?" is close to the statement that
praises "the first two" rounds, and its dense margin is in the answerable range. The ordinal is
what the documents lack. It is looked for in the documents of the best three passages, in any
of the three languages' forms (第3回, 3回目, 3度目, 三回目, 3rd, third, 3번째, 세 번째, 제3차,
60周年, 60주년, 21世紀). The first is checked only where it is written as a meeting's number
(第1回, 1回目, 제1회): "first", 最初の, 初の and 첫 name nearly any meeting, and 第1次官, 제1차관
and "1st Vice Minister" are a title.

The whole document is read, not the passages: an ordinal usually names the meeting, and the
dateline says it while another paragraph answers ("제13차 한미일 외교차관협의에서 김 차관은 …" is
answered by the readout's third paragraph; "the 13th" is in its first). Only ordinal forms
count: any number would not do, since "三か国" or "two" stand in nearly every passage (tried:
the third Freedom Edge questions then passed on "三か国").

The first is read as a meeting's number only with 回 or 회: with 第1次 too, a question about
張虎鎮第1次官 (the First Vice Minister) was refused. Measured: docs/evaluation.md.

>>> sorted(ordinals("第3回のフリーダム・エッジと13th dialogue、세 번째 회의"))
[3, 13]
>>> ordinals("最初の会合で三か国は2025年4月3日に一致した、張虎鎮第1次官")
set()
>>> ordinals("제1회 청년 서밋")
{1}
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import TYPE_CHECKING

from assistant.answer.checks.protocol import Ranked

if TYPE_CHECKING:
    from assistant.retrieval.question import Question
    from assistant.retrieval.retriever import Retriever

_KANJI_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_NUMERAL = r"([0-9]+|[一二三四五六七八九十]{1,3})"
_FORMS = [
    re.compile(rf"第\s?{_NUMERAL}\s?(?:回|次|期|代)"),
    re.compile(rf"{_NUMERAL}\s?(?:回目|度目|番目|周年|世紀)"),
    re.compile(r"(?<![0-9])([0-9]+)\s?(?:st|nd|rd|th)\b", re.IGNORECASE),
    re.compile(r"(?<![0-9])([0-9]+)\s?(?:번째|주년|세기|차\b|회째)"),
    re.compile(r"제\s?([0-9]+)\s?(?:차|회|기|대)"),
]
_WORDS = {
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "seventh": 7,
    "eighth": 8,
    "ninth": 9,
    "tenth": 10,
    "eleventh": 11,
    "twelfth": 12,
    "thirteenth": 13,
    "fourteenth": 14,
    "fifteenth": 15,
    "twentieth": 20,
}
_FIRST = re.compile(r"第\s?[1一]\s?回|(?<![0-9])1\s?回目|제\s?1\s?회|(?<![0-9])1\s?회째")
"""The first written as a meeting's number (第1回, 第一回, 1回目, 제1회, 1회째)."""
_ENGLISH = re.compile(r"\b(" + "|".join(_WORDS) + r")\b", re.IGNORECASE)
_KOREAN = re.compile(r"(두|세|네|다섯|여섯|일곱|여덟|아홉|열)\s?번째")
_KOREAN_NUMBERS = {
    "두": 2,
    "세": 3,
    "네": 4,
    "다섯": 5,
    "여섯": 6,
    "일곱": 7,
    "여덟": 8,
    "아홉": 9,
    "열": 10,
}


def _value(numeral: str) -> int | None:
    """A numeral in digits or kanji (三, 十三, 二十) as a number."""
    if numeral.isdigit():
        return int(numeral)
    tens, _, units = numeral.partition("十")
    if "十" not in numeral:
        return _KANJI_DIGITS.get(numeral)
    return (_KANJI_DIGITS.get(tens, 1) if tens else 1) * 10 + _KANJI_DIGITS.get(units, 0)


def ordinals(text: str) -> set[int]:
    """The ordinals ``text`` names, in Japanese, English or Korean: the first only where it is
    written as a meeting's number."""
    text = unicodedata.normalize("NFKC", text)
    found = {_value(m.group(1)) for form in _FORMS for m in form.finditer(text)}
    found |= {_WORDS[m.group(1).lower()] for m in _ENGLISH.finditer(text)}
    found |= {_KOREAN_NUMBERS[m.group(1)] for m in _KOREAN.finditer(text)}
    found = {n for n in found if n is not None and n > 1}
    return found | {1} if _FIRST.search(text) else found


def missing_ordinals(question: str, texts: Iterable[str]) -> set[int]:
    """The question's ordinals when none of the texts names any of them, else an empty set.

    >>> missing_ordinals("第3回のフリーダム・エッジはいつ？", ["最初の二回の成功裏の実施"])
    {3}
    >>> missing_ordinals("What did the 13th dialogue stress?", ["第13回日米韓次官協議"])
    set()
    """
    asked = ordinals(question)
    if not asked or any(asked & ordinals(text) for text in texts):
        return set()
    return asked


def missing_ordinal_notice(asked: set[int]) -> str:
    """``The best-matching documents do not mention the 3rd.``"""
    named = " or ".join(_english(n) for n in sorted(asked))
    return f"The best-matching documents do not mention the {named}."


def _english(number: int) -> str:
    """3 -> "3rd", 13 -> "13th", 22 -> "22nd"."""
    teen = 10 <= number % 100 <= 20
    suffix = "th" if teen else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


class OrdinalCheck:
    """A question about the n-th of a series (第3回, the 13th) that the documents of the best
    passages never number so."""

    def __init__(self, index: Retriever):
        self.index = index

    def __call__(self, question: Question, ranked: Ranked) -> str | None:
        if not question.ordinals:
            return None
        texts = self.index.texts_of_documents_of(ranked.ids)
        if any(question.ordinals & ordinals(text) for text in texts):
            return None
        return missing_ordinal_notice(set(question.ordinals))
