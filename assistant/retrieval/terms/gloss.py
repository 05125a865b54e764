"""Japanese and English words that mean the same, matched through a Japanese-English dictionary:
a lexical bridge between the two languages.

The model puts an English question near the right Japanese statement, but within it the opening
paragraph (who met whom, where, when) shares the most names with the question and often outranks
the paragraph that answers: "Which recent North Korean launches did Japan's readout point to?"
drew the dateline, not 27日の衛星打上げの試み. Nothing lexical linked the two languages: they share
no script, so the BM25 arm sees nothing. A dictionary does: JMdict glosses 衛星 as "satellite",
打上げ as "launch", 同情 as "sympathy", so a Japanese text read word by word becomes English
stems, and an English text's stems can be compared with them (``bridging.bridge_scores``).

Japanese is read by greedy longest match of the dictionary's forms (kanji words, with their
okurigana, and katakana loanwords): 衛星打上げの試み -> 衛星 打上げ 試み -> satellit, moon, launch,
attempt, tri. The table (``japanese_glosses.tsv.xz``, made by ``scripts/make_japanese_glosses.py``
from JMdict, EDRDG, CC BY-SA 3.0: see ``japanese_glosses.LICENSE.md``) keeps each form's first
meaning, stemmed with the Snowball English stemmer that also stems the English side here.

An English question is read against Japanese passages and a Japanese question against English
ones (``OTHER_LANGUAGE``). A word's first meaning is not always the one meant and the greedy
match can cut a word wrongly, so the bridge is weak evidence and weighted so
(``Config.weights['gloss']``). The choices (first meaning only, every entry rather than the
common ones, bm25s's short stopword list) and their figures: docs/evaluation-history.md.

>>> japanese_terms("衛星打上げの試み")[:4]
['satellit', 'moon', 'launch', 'attempt']
>>> english_terms("The ministers condemned the satellite launches")
['minist', 'condemn', 'satellit', 'launch']
"""

from __future__ import annotations

import lzma
import re
from functools import lru_cache
from importlib import resources

import Stemmer
from bm25s.stopwords import STOPWORDS_EN

from assistant.retrieval.terms.bridging import BridgeTerm

OTHER_LANGUAGE = {"en": "ja", "ja": "en"}
"""Which language's text a question is read against: the bridge is between the two languages."""

MAX_FORM = 6
"""The longest dictionary form looked for (the table holds no longer ones)."""

GLOSS_STOPWORDS = frozenset(STOPWORDS_EN) | {
    "something",
    "someone",
    "one",
    "oneself",
    "etc",
    "esp",
    "eg",
    "ie",
    "do",
    "make",
    "get",
    "have",
    "with",
    "from",
    "very",
    "who",
    "what",
    "up",
    "out",
    "about",
}
"""English words that carry no meaning across: bm25s's short English list (33 words) and the
fillers of dictionary glosses ("to do something", "esp. of ...")."""

_ENGLISH_WORD = re.compile(r"[a-z]+")
_FIRST_WORD_CHARACTER = "\u3041"  # hiragana ぁ: Latin, digits and punctuation come before it


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


@lru_cache(maxsize=1)
def gloss_table() -> dict[str, str]:
    """Each dictionary form's stems, space-separated (read once, 0.3 s; split on use)."""
    path = resources.files("assistant") / "data" / "japanese_glosses.tsv.xz"
    with path.open("rb") as packed:
        lines = lzma.decompress(packed.read()).decode("utf-8").splitlines()
    return dict(line.split("\t", 1) for line in lines)


def english_terms(text: str) -> list[str]:
    """The stems of ``text``'s English content words, in order."""
    words = [w for w in _ENGLISH_WORD.findall(text.lower()) if len(w) > 1]
    return _stemmer().stemWords([w for w in words if w not in GLOSS_STOPWORDS])


def japanese_terms(text: str) -> list[str]:
    """The English stems of ``text``'s Japanese words, read by greedy longest match of the
    dictionary's forms; characters no form starts with are passed over, Latin letters,
    digits and punctuation without a lookup (0.14 -> 0.11 ms for the archive's Japanese
    paragraphs of 150 characters). Hiragana is looked up too: forms that start with it are
    3% of the table, and passing over it as well (0.07 ms) lost a question of the second
    blind set."""
    glosses = gloss_table()
    terms: list[str] = []
    start, end = 0, len(text)
    while start < end:
        if text[start] < _FIRST_WORD_CHARACTER:
            start += 1
            continue
        for length in range(min(MAX_FORM, end - start), 0, -1):
            stems = glosses.get(text[start : start + length])
            if stems is not None:
                terms += stems.split()
                start += length
                break
        else:
            start += 1
    return terms


def gloss_terms(text: str, language: str) -> list[str]:
    """The English stems ``text`` is matched on: its own for English, its words' glosses for
    Japanese; none for other languages."""
    if language == "en":
        return english_terms(text)
    if language == "ja":
        return japanese_terms(text)
    return []


class GlossTerm(BridgeTerm):
    other_language = OTHER_LANGUAGE

    def terms(self, text: str, language: str) -> list[str]:
        return gloss_terms(text, language)
