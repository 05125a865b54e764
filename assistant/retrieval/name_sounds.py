"""Names across scripts: whether a Latin name is in documents that spell it in katakana or
Hangul (``NameSounds``: what the key-term check, ``answer.checks.key_terms``, reads).

A mixed-language archive writes "Wilmington" as ウィルミントン or 윌밍턴, if at all, so the Latin
text alone cannot tell whether the documents mention it. Katakana and Hangul spell names by
sound, so each name gets a *sound key*: its romanisation (anyascii) reduced to classes of
consonants that survive transliteration (p/b/f/v, t/d, k/g, s/z/j/ch, r/l, m, n; vowels, h,
w and y dropped, an r before a consonant kept or dropped, as spellings do: York ヨーク, Marco
マルコ). Brussels is ``PRSRS``; ブリュッセル and 브뤼셀 are ``PRSR``, as is Brussels without its s.

Two limits, both erring towards "mentioned" (a name wrongly taken as missing refuses a question
the documents answer; one wrongly taken as present only loses a refusal):

* keys shorter than ``MIN_KEY`` (Peru ``PR``, Munich ``MNS``) are not checked: they match some
  word of any corpus by chance, or miss an exonym (ミュンヘン ``MN``);
* Japanese and Chinese names are written in kanji, whose reading is not known here (岩屋 for
  Iwaya, 習近平 for Xi Jinping). A name that reads as romanised Japanese or as pinyin is not
  checked in documents that contain Han characters; nor a Korean-looking one (Pyongyang, 平壌)
  where no Korean text would spell it in Hangul.

The evidence side counts a Korean question word only when it looks foreign (``spelled_foreign``)
and a name only when few documents spell it (scoring.NAME_SHARE): common words matched names by
chance, and loanwords (グローバル, 글로벌) are in every statement.

Measured on the archive dev, fresh, probe and blind sets: every name of an answerable question
that the Latin text lacks (Brussels, San Francisco, Virginia, Israel, Hamas, Kamikawa, Rubio,
Iwaya, Tokyo, Lee ...) is found or left unchecked; Wilmington, Kuala Lumpur and Wimbledon are
not found.

>>> sound_key("Brussels"), sound_key("ブリュッセル"), sound_key("브뤼셀")
('PRSRS', 'PRSR', 'PRSR')
>>> sounds = NameSounds.of(["ブリュッセルにおいて岩屋外務大臣", "브뤼셀에서 마르코 루비오"])
>>> [sounds.mentions(name) for name in ("Brussels", "Marco Rubio", "Wilmington", "Iwaya")]
[True, True, False, True]
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from anyascii import anyascii

MIN_KEY = 4
"""Shortest sound key that is checked. Keys of two or three classes (Peru ``PR``, Munich ``MNS``
against ミュンヘン ``MN``) match some katakana or Hangul word of any corpus by chance, or miss
an exonym; a name of several words (Kuala Lumpur ``KRMP``) is checked as one key."""

HANGUL_INSIDE_FROM = 5
"""From this many classes a key may also lie inside a Hangul word, not only begin it. Measured
on the archive: "Francisco" alone (``PRNSK``, inside 샌프란시스코) was the one name of 80 tried
that a prefix look-up missed; inside look-ups from 5 classes found no absent name by chance.
Shorter keys lie inside some Korean word by chance."""

_CLASSES = {
    **dict.fromkeys("pbfv", "P"),
    **dict.fromkeys("td", "T"),
    **dict.fromkeys("kgcqx", "K"),
    **dict.fromkeys("szj", "S"),
    **dict.fromkeys("rl", "R"),
    "m": "M",
    "n": "N",
}
_DIGRAPHS = (("tch", "c"), ("ch", "s"), ("sh", "s"), ("ts", "s"), ("ph", "f"), ("ck", "k"))

_KATAKANA_NAME = re.compile(r"[\u30a1-\u30fa\u30fc]+(?:[・=][\u30a1-\u30fa\u30fc]+)*")
"""A katakana word, or a name of several joined by ・ (マルコ・ルビオ)."""
_HANGUL_WORD = re.compile(r"[\uac00-\ud7a3]+")
_HALF_WIDTH = re.compile(r"[\uff66-\uff9f]")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")

_ROMAJI = re.compile(
    r"(?:(?:sh|ch|ts|[kgsztdnhbpmyrwfj])?y?[aeiouāīūēō]|n|m(?=[bp])|([kstp])(?=\1)|t(?=ch))+",
    re.IGNORECASE,
)
"""A word that reads as Hepburn romanisation (Iwaya, Kishida, Tokyo, Shimbun)."""

_PINYIN = re.compile(
    r"(?:(?:zh|ch|sh|[bpmfdtnlgkhjqxrzcsyw])?"
    r"(?:iang|iong|uang|ueng|ang|eng|ong|ian|iao|uai|uan|ing|ai|ei|ao|ou|an|en|er|ia|ie|iu|in"
    r"|ua|uo|ui|un|ue|a|o|e|i|u|ü))+",
    re.IGNORECASE,
)
"""A word that reads as pinyin without tones (Xi, Jinping, Wang)."""

_KOREAN = re.compile(
    r"(?:(?:kk|tt|pp|ss|jj|ch|[gkndtrlmbpsjh])?"
    r"(?:yae|yeo|wae|ae|ya|eo|ye|wa|oe|yo|wo|we|wi|yu|eu|ui|ŏ|ŭ|a|e|o|u|i)(?:ng|[kntlmp])?)+",
    re.IGNORECASE,
)
"""A word that reads as romanised Korean (Pyongyang, Busan, Dokdo): Japanese text writes Korean
places in kanji (平壌, 釜山)."""


@functools.lru_cache(maxsize=1 << 16)
def sound_key(word: str, silent_r: bool = False) -> str:
    """The consonant classes of ``word``'s romanisation, repeats collapsed ("" if none); with
    ``silent_r``, an r before a consonant is dropped (York ヨーク, but Marco マルコ)."""
    # ッ doubles the next consonant (シップ "shippu", ship); anyascii writes it as a "t" of its own
    text = re.sub(r"[^a-z]", "", anyascii(word.replace("ッ", "").replace("ｯ", "")).lower())
    for digraph, single in _DIGRAPHS:
        text = text.replace(digraph, single)
    text = re.sub(r"c(?=[eiy])", "s", text)
    if silent_r:
        text = re.sub(r"r(?![aeiouy])", "", text)
    text = re.sub(r"n(?=[bpmfv])", "m", text)  # トランプ "toranpu", Trump
    key: list[str] = []
    for char in text:
        sound = _CLASSES.get(char)
        if sound and (not key or key[-1] != sound):
            key.append(sound)
    return "".join(key)


def first_part(word: str) -> str:
    """A word's part before a hyphen or apostrophe: "Ukraine" of "Ukraine-related", "Tokyo" of
    "Tokyo's" (what a name is looked up by)."""
    return re.split(r"[-'’]", word)[0]


def may_be_han(name: str, korean_too: bool = False) -> bool:
    """Whether every word of ``name`` reads as romanised Japanese or pinyin (or, with
    ``korean_too``, Korean), so that documents may write it in Han characters."""
    patterns = (_ROMAJI, _PINYIN, _KOREAN) if korean_too else (_ROMAJI, _PINYIN)
    return all(any(p.fullmatch(word) for p in patterns) for word in name.split())


def _spellings(name: str) -> set[str]:
    """The keys ``name`` may be spelled with: its r before a consonant sounded or silent, its
    final s kept or not (Brussels ``PRSRS``, ブリュッセル ``PRSR``), its th as t or as s (Thomas
    トーマス, but Youth ユース, Smith スミス: katakana and Hangul have no th)."""
    spelled = {name, re.sub("th", "s", name, flags=re.IGNORECASE)}
    keys = {key for n in spelled for key in (sound_key(n), sound_key(n, silent_r=True))}
    return keys | {k[:-1] for k in keys if k.endswith("S")}


@dataclass(frozen=True)
class NameSounds:
    """The sound keys of a corpus's katakana names and Hangul words, and which scripts it has.

    Keys match exactly: with seven classes, one edit of tolerance let a five-class key match
    some word of the archive's 700 by chance (Wimbledon, Kuala Lumpur)."""

    katakana: str
    """Keys of katakana words and names, one per line, looked up as substrings (サンフランシスコ
    holds Francisco)."""
    hangul: str
    """Keys of Hangul words, each after a newline, looked up as prefixes: a Korean word
    carries its particle after the name (브뤼셀에서); long keys also inside a word. A name of
    several words is also found when each word begins one, as Korean spaces a full name
    (마르코 루비오); keys of adjacent word pairs would have been exact, but cost seconds per
    100k Korean passages."""
    has_han: bool

    @classmethod
    def of(cls, texts: Iterable[str]) -> NameSounds:
        katakana: set[str] = set()
        hangul: set[str] = set()
        has_han = False
        for text in texts:
            # the scripts are found in the text as written (normalising all of it cost 7 s at
            # 100k passages); only the words found are normalised (half-width katakana)
            has_han = has_han or bool(_HAN.search(text))
            katakana.update(
                _KATAKANA_NAME.findall(unicodedata.normalize("NFKC", text))
                if _HALF_WIDTH.search(text)
                else _KATAKANA_NAME.findall(text)
            )
            hangul.update(_HANGUL_WORD.findall(text))
        return cls(
            "\n".join(sorted({sound_key(w) for w in katakana} - {""})),
            "".join(f"\n{k}" for k in sorted({sound_key(w) for w in hangul} - {""})),
            has_han,
        )

    @property
    def has_hangul(self) -> bool:
        return bool(self.hangul)

    def mentions(self, name: str) -> bool:
        """Whether the documents may mention the Latin-script ``name`` (one or more words) in
        katakana, Hangul or, for a Japanese-, Chinese- or Korean-looking name, Han characters;
        True when it cannot tell."""
        name = unicodedata.normalize("NFKC", name)
        name = " ".join(first_part(word) for word in name.split())
        keys = _spellings(name)
        if min(map(len, keys)) < MIN_KEY:
            return True
        if self.has_han and may_be_han(name, korean_too=not self.has_hangul):
            return True
        if any(key in self.katakana or self._in_hangul(key) for key in keys):
            return True
        words = name.split()
        return len(words) > 1 and all(self._begins_hangul_word(word) for word in words)

    def _in_hangul(self, key: str) -> bool:
        """A key begins a Hangul word, or, from ``HANGUL_INSIDE_FROM`` classes, lies inside one
        (샌프란시스코 holds Francisco)."""
        return f"\n{key}" in self.hangul or (len(key) >= HANGUL_INSIDE_FROM and key in self.hangul)

    def _begins_hangul_word(self, word: str) -> bool:
        keys = _spellings(word) - {""}
        return not keys or any(f"\n{key}" in self.hangul for key in keys)
