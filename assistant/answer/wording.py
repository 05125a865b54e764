"""Word-level changes between two texts: what a later statement added to, and dropped from, an
earlier one's wording.

English and Korean are split at spaces (a Korean word keeps its particles, as readers compare
them); Japanese, written without spaces, into single kanji and runs of one other script (hiragana,
katakana, Latin, digits): close enough to its word boundaries for a reader to see what changed
without a dictionary, and a kanji compound that gains a character shows just that character.
Spaces and punctuation are tokens of their own, so the pieces always spell both texts exactly.

>>> changes("They condemned it.", "They strongly condemned it.")  # doctest: +NORMALIZE_WHITESPACE
[{'op': 'equal', 'text': 'They'}, {'op': 'insert', 'text': ' strongly'},
 {'op': 'equal', 'text': ' condemned it.'}]
>>> before, after = "北朝鮮の核開発を非難した。", "北朝鮮の核・ミサイル開発を強く非難した。"
>>> [c["text"] for c in changes(before, after) if c["op"] == "insert"]
['・ミサイル', '強く']
"""

from __future__ import annotations

import difflib
import re

_TOKEN = re.compile(
    r"\s+"
    r"|[0-9０-９]+(?:[.,][0-9０-９]+)*"
    r"|[A-Za-zＡ-Ｚａ-ｚ\u00c0-\u024f]+(?:['’][A-Za-z]+)*"
    r"|[\u4e00-\u9fff\u3400-\u4dbf々〆ヵヶ]"
    r"|[\u3041-\u309f]+"
    r"|[\u30a0-\u30ffー]+"
    r"|[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]+"
    r"|.",
    re.DOTALL,
)


def tokens(text: str) -> list[str]:
    """``text`` cut into words, script runs, spaces and single punctuation marks; joined, they
    are ``text`` again."""
    return _TOKEN.findall(text)


SHORT_EQUAL = 1
"""An unchanged stretch of at most this many words (spaces and punctuation aside: "and", "the",
one kana run) between two changes is shown as part of one change, so a rewritten sentence reads
as one replacement rather than a rewrite broken at every shared little word (the semantic
clean-up of Myers-style diffs)."""


def changes(before: str, after: str) -> list[dict[str, str]]:
    """The changes from ``before`` to ``after``: ``equal``, ``delete`` and ``insert`` pieces in
    reading order; equal + delete spell ``before``, equal + insert spell ``after``. A replaced
    stretch is its deletion, then its insertion."""
    old, new = tokens(before), tokens(after)
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    runs: list[list[str]] = []  # [kind, deleted, inserted]; kind "equal" or "change"
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        deleted, inserted = "".join(old[i1:i2]), "".join(new[j1:j2])
        if op == "equal":
            runs.append(["equal", deleted, inserted])
        elif runs and runs[-1][0] == "change":
            runs[-1][1] += deleted
            runs[-1][2] += inserted
        else:
            runs.append(["change", deleted, inserted])
    pieces: list[dict[str, str]] = []
    for position, (kind, deleted, inserted) in enumerate(runs):
        between = 0 < position < len(runs) - 1
        if kind == "equal" and not (between and _words(deleted) <= SHORT_EQUAL):
            _add(pieces, "equal", deleted)
            continue
        _add_change(pieces, deleted, inserted)
    return pieces


def _words(text: str) -> int:
    return sum(1 for token in tokens(text) if token[0].isalnum())


def _add_change(pieces: list[dict[str, str]], deleted: str, inserted: str) -> None:
    """A change after the pieces so far, merged into a change they end with."""
    if pieces and pieces[-1]["op"] == "insert":
        inserted_before = pieces.pop()["text"]
        if pieces and pieces[-1]["op"] == "delete":
            pieces[-1]["text"] += deleted
        else:
            _add(pieces, "delete", deleted)
        _add(pieces, "insert", inserted_before + inserted)
        return
    _add(pieces, "delete", deleted)
    _add(pieces, "insert", inserted)


def _add(pieces: list[dict[str, str]], op: str, text: str) -> None:
    if not text:
        return
    if pieces and pieces[-1]["op"] == op:
        pieces[-1]["text"] += text
    else:
        pieces.append({"op": op, "text": text})


def spelled(pieces: list[dict[str, str]], side: str) -> str:
    """The text the pieces spell on one ``side``: ``"before"`` or ``"after"``."""
    skip = "insert" if side == "before" else "delete"
    return "".join(p["text"] for p in pieces if p["op"] != skip)
