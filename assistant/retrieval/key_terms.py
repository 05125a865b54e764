"""Answerability by key terms: a question that names something the documents never mention is
not answered confidently, however close its wording is to them.

Dense scores cannot tell "What did the Quad leaders agree in Wilmington?" from a question the
Quad statement answers: the wording is near-identical. What tells them apart is a name the
documents never contain. The terms checked are the ones every language writes alike, in Latin
letters: acronyms and codes (NATO, G20, FTA, GIL) and capitalised names (Wilmington, Delaware).
Japanese and Korean texts write acronyms in Latin letters too, so an acronym missing from every
document, in any language, is missing. Names are checked only where every document is written in
Latin script by their Latin spelling. In a mixed-language archive a name is as likely written
이재명, 石破 or ニューヨーク: measured on the archive dev set, looking names up in the Latin text
alone refused three answerable questions ("Tokyo", "New York"; "Israel", "Hamas"; "San
Francisco", "Middle East") for every off-topic one it caught. There a name the Latin text lacks
is looked up by sound in the katakana and Hangul (assistant.name_sounds), and words that other
languages translate rather than spell (Middle, South, Sea, Kingdom ...) are not checked.
Measured: off-topic rejected on the archive dev set 0.7 -> 0.8 (Wilmington), on the blind set
0.62 -> 0.69 (Kuala Lumpur); no answerable question of any set refused.

>>> missing_terms("What did NATO and the G20 decide in Wilmington?", "NATO met in Brussels.", True)
['G20', 'Wilmington']
>>> missing_terms("What did NATO and the G20 decide in Wilmington?", "NATO met in Brussels.", False)
['G20']
>>> sounds = NameSounds.of(["브뤼셀에서 NATO 외교장관회의"])
>>> missing_terms("Did NATO meet in Brussels or Wilmington?", "NATO", False, sounds)
['Wilmington']
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from assistant.retrieval.name_sounds import NameSounds, first_part

_ACRONYM = re.compile(
    r"(?<![A-Za-z0-9-])([A-Z][A-Z0-9&]{1,9}|[A-Z][a-z]?[0-9]{1,3})(?![A-Za-z0-9-])"
)
_NAME = re.compile(r"(?<![A-Za-z0-9-])([A-Z][a-z]{2,}(?:-[A-Za-z]+)?)(?![A-Za-z0-9-])")

COMMON_CAPITALISED = frozenset(
    """
    a an the and or but if what when where which who whom whose why how is are was were be been
    do does did can could will would shall should may might must has have had this that these
    those there here in on at by for from of to with about after before during under over into
    as per according besides between through while since until than then also not no yes
    please tell me give show list explain describe summarise summarize compare find name say
    says said statement statements minister ministers president prime secretary foreign vice
    deputy leaders leader government governments meeting summit joint readout press release
    january february march april may june july august september october november december
    monday tuesday wednesday thursday friday saturday sunday
    regarding concerning considering including excluding following given despite beyond
    overall apart aside speaking turning looking based
    """.split()  # noqa: SIM905 - a word list reads better as text
)
"""Capitalised words that open questions or name roles and months: not names of anything.
A question that opens "Regarding Haiti, ..." once read "Regarding Haiti" as a name and refused
an answerable question; so does any other word in -ing that opens a question (``_opening``)."""


TRANSLATED_WORDS = frozenset(
    """
    north south east west middle central northern southern eastern western far near
    sea seas ocean pacific atlantic arctic antarctic indian mediterranean gulf strait straits
    bay island islands peninsula river lake mountain
    mountains united states kingdom republic democratic people peoples federal federation
    union nations national international world global new old great grand saint
    council assembly organization organisation association community forum ministry
    department agency bank fund court parliament congress senate house palace
    """.split()  # noqa: SIM905
)
"""Words of names that Japanese and Korean translate rather than spell (Middle East 中東,
South China Sea 남중국해): not looked up by sound. Measured on the archive dev set: "Middle"
of "Middle East" was the one answerable name not found by sound."""


COUNTRY_CODES = frozenset(
    "US USA UK UN EU ROK DPRK PRC ROC UAE USSR JP KR CN".split()  # noqa: SIM905
)
"""Abbreviations of countries and of the UN/EU, which Japanese and Korean texts write in their
own script (米国, 国連, 북한): checked only where every document is in Latin script. Measured on
the seed's extra questions: "What did the US say ..." was refused without this list."""


def key_terms(question: str) -> tuple[list[str], list[str]]:
    """(acronyms, names) a question names in Latin letters, in order, without repeats."""
    text = unicodedata.normalize("NFKC", question)
    acronyms = list(dict.fromkeys(m for m in _ACRONYM.findall(text) if not m.isdigit()))
    names = []
    for match in _NAME.finditer(text):
        word = match.group(1)
        if _base(word) in COMMON_CAPITALISED or word in acronyms or _opening(text, match):
            continue
        names.append(word)
    return acronyms, list(dict.fromkeys(names))


_LATIN_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9&]*(?:-[A-Za-z0-9&]+)*")


def latin_vocabulary(texts: Iterable[str]) -> frozenset[str]:
    """Every Latin-script token of ``texts``, lower-cased (hyphenated words also by parts):
    what key terms are looked up in, once per index instead of scanning the text per question.
    """
    vocabulary: set[str] = set()
    for text in texts:
        for token in _LATIN_TOKEN.findall(unicodedata.normalize("NFKC", text)):
            token = token.lower()
            vocabulary.add(token)
            if "-" in token:
                vocabulary.update(token.split("-"))
    return frozenset(vocabulary)


def missing_terms(
    question: str,
    corpus: str | frozenset[str] | set[str],
    latin_only: bool,
    sounds: NameSounds | None = None,
) -> list[str]:
    """The question's key terms the corpus never mentions, when they are enough to say the
    corpus does not answer it (else an empty list).

    ``corpus`` is the documents' text, or their ``latin_vocabulary``; ``latin_only`` says
    whether every document is written in Latin script. Names are checked there, and in other
    corpora when ``sounds`` (their katakana and Hangul, assistant.name_sounds) are given.
    """
    vocabulary = latin_vocabulary([corpus]) if isinstance(corpus, str) else corpus
    acronyms, names = key_terms(question)
    checkable = acronyms if latin_only else [a for a in acronyms if a not in COUNTRY_CODES]
    missing = [a for a in checkable if a.lower() not in vocabulary]
    if latin_only:
        missing += [n for n in names if not _in_vocabulary(n, vocabulary)]
    elif sounds is not None:
        missing += [
            run
            for run in name_runs(question)
            if not all(_in_vocabulary(word, vocabulary) for word in run.split())
            and not sounds.mentions(run)
        ]
    return missing


def name_runs(question: str) -> list[str]:
    """The names of a question as runs of adjacent capitalised words ("Kuala Lumpur", "Marco
    Rubio"), without the words other languages translate (``TRANSLATED_WORDS``), which end a
    run: what is looked up by sound."""
    text = unicodedata.normalize("NFKC", question)
    acronyms = set(_ACRONYM.findall(text))
    runs: list[list[str]] = []
    end = -2
    for match in _NAME.finditer(text):
        word = match.group(1)
        base = _base(word)
        if (
            base in COMMON_CAPITALISED
            or base in TRANSLATED_WORDS
            or word in acronyms
            or _opening(text, match)
        ):
            end = -2
            continue
        if runs and match.start() == end + 1 and text[end] == " ":
            runs[-1].append(word)
        else:
            runs.append([word])
        end = match.end()
    return list(dict.fromkeys(" ".join(run) for run in runs))


def _opening(text: str, match: re.Match[str]) -> bool:
    """Whether a capitalised word opens the question and ends in -ing ("Regarding",
    "Following"): capitalised by grammar, not as a name."""
    return not text[: match.start()].strip() and match.group(1).lower().endswith("ing")


def _in_vocabulary(name: str, vocabulary: frozenset[str] | set[str]) -> bool:
    return name.lower() in vocabulary or _base(name) in vocabulary


def _base(name: str) -> str:
    """A name's first part, lower-cased: "ukraine" of "Ukraine-related"."""
    return first_part(name).lower()


def not_found_notice(terms: list[str]) -> str:
    """``The documents do not mention Wilmington or Delaware.``"""
    listed = terms[0] if len(terms) == 1 else ", ".join(terms[:-1]) + " or " + terms[-1]
    return f"The documents do not mention {listed}."


_FULL_WIDTH_LATIN = re.compile(r"[\uff10-\uff19\uff21-\uff3a]")
