"""Paragraphs and sentences: joining hard-wrapped lines, repairing split paragraphs, and
splitting sentences with their offsets.

These rules are language-aware rather than seed-specific: Japanese text is joined without
spaces, Western text with one, and sentence ends include both 。！？ and .!?.
"""

from __future__ import annotations

import bisect
import itertools
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

SENTENCE_END = "。！？!?．.…"
"""Characters that can close a sentence."""

CLOSERS = "」』）)】〕\"'”’"
"""Brackets and quotes that may follow a sentence end and belong to the sentence."""

CONTINUATION_END = ":：、，,;；-–—(（「『"
"""A block that ends in one of these clearly continues (a list intro, an open bracket)."""


def is_cjk(char: str) -> bool:
    """True for characters written without spaces between words (kana, kanji, hangul excluded)."""
    if not char:
        return False
    code = ord(char)
    return (
        0x3000 <= code <= 0x30FF  # CJK punctuation, hiragana, katakana
        or 0x3400 <= code <= 0x4DBF
        or 0x4E00 <= code <= 0x9FFF
        or 0xF900 <= code <= 0xFAFF
        or 0xFF00 <= code <= 0xFFEF  # full-width forms
        or 0x31F0 <= code <= 0x31FF
    )


def join_lines(lines: list[str]) -> str:
    """Join hard-wrapped lines: no space between Japanese characters, one space otherwise."""
    out = ""
    for raw in lines:
        line = raw.strip()
        if not line:
            continue
        if out and not (is_cjk(out[-1]) or is_cjk(line[0])):
            out += " "
        out += line
    return out


def ends_sentence(text: str) -> bool:
    """Whether text ends at a sentence boundary (closing brackets and quotes allowed after)."""
    stripped = text.rstrip().rstrip(CLOSERS)
    return bool(stripped) and stripped[-1] in SENTENCE_END


def has_sentence_punctuation(text: str) -> bool:
    return any(ch in "。！？" for ch in text) or bool(re.search(r"[.!?](\s|$)", text))


def is_broken_continuation(block: str, following: str) -> bool:
    """A stray blank line split one paragraph in two: ``block`` stops mid-sentence and
    ``following`` carries on.

    The rule: ``block`` is prose (it holds at least one full sentence) but does not end a
    sentence, and ``following`` is prose too and does not start a new list item or quote.
    Headings (no sentence punctuation) and blocks ending in a colon or similar are left alone.

    >>> is_broken_continuation("協力を歓迎した。経", "済的威圧に反対した。")
    True
    >>> is_broken_continuation("経済安全保障の強化", "閣僚は合意した。")
    False
    """
    block, following = block.rstrip(), following.lstrip()
    if not block or not following:
        return False
    if ends_sentence(block) or block[-1] in CONTINUATION_END:
        return False
    if not has_sentence_punctuation(block) or not has_sentence_punctuation(following):
        return False
    first = following[0]
    if first in "-*•・#>|「『(（[【" or first.isdigit():
        return False
    # Western text: a new paragraph starts with a capital letter.
    return is_cjk(first) or unicodedata.category(first) != "Lu"


@dataclass(frozen=True)
class Sentence:
    """A sentence of a paragraph: ``paragraph_text[start:end] == text``."""

    text: str
    start: int
    end: int


_SENTENCE_RE = re.compile(
    r"""
    .+?                                   # the sentence body, shortest match
    (?:
        [。！？]+[」』）)】〕”’]*           # Japanese ends, with closing brackets
      | [.!?…]+[)"'”’]*(?=\s|$)           # Western ends, before a space or the end
      | $                                 # or the end of the paragraph
    )
    """,
    re.VERBOSE | re.DOTALL,
)


_ENUMERATOR = re.compile(r"^\(?(?:\d{1,3}|[A-Za-z]|[ivxIVX]{1,4})[.)]$")
"""A paragraph's number alone ("1.", "(a)", "iv."): not a sentence. Taken for one, "1." was
close to nothing and so the highlighted "answer" of unrelated questions."""

_ABBREVIATION_END = re.compile(
    r"(?:^|[\s(])(?:U\.S|U\.K|H\.E|a\.m|p\.m|e\.g|i\.e|Mr|Mrs|Ms|Dr|St|No|Nos|Art|Vol|Jr|Sr"
    r"|Gen|Gov|Sen|Rep|Prof|Amb|Lt|Col|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec"
    r"|[A-Z])\.$"
)
"""A piece ending in an abbreviation's full stop ("the U.S. and Japan", "Mr. Kim", "2:45 p.m.
(local time)", "H.E. ISHIBA") or a name's initial ("Antony J. Blinken", "Kurt M. Campbell"):
the sentence goes on. Cut at the initial, a dateline lost who met and where."""


def split_sentences(text: str) -> list[Sentence]:
    """Sentences of a paragraph with their offsets; whitespace between them is not included.

    >>> [s.text for s in split_sentences("閣僚は会談した。停戦を促した。Then they left.")]
    ['閣僚は会談した。', '停戦を促した。', 'Then they left.']
    >>> [s.text for s in split_sentences("2. The U.S. and Japan met. They agreed.")]
    ['The U.S. and Japan met.', 'They agreed.']
    >>> [s.text for s in split_sentences("Antony J. Blinken met them in Bali. They agreed.")]
    ['Antony J. Blinken met them in Bali.', 'They agreed.']
    """
    sentences: list[Sentence] = []
    carried: int | None = None  # start of a piece that does not end a sentence
    for match in _SENTENCE_RE.finditer(text):
        start, end = match.span()
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if end <= start:
            continue
        if carried is None and _ENUMERATOR.match(text[start:end]):
            continue
        if carried is not None:
            start, carried = carried, None
        if _ABBREVIATION_END.search(text[start:end]) and end < len(text.rstrip()):
            carried = start
            continue
        sentences.append(Sentence(text[start:end], start, end))
    if carried is not None:
        end = len(text.rstrip())
        sentences.append(Sentence(text[carried:end], carried, end))
    if not sentences and text.strip():  # a paragraph that is only a number is still text
        start = len(text) - len(text.lstrip())
        end = len(text.rstrip())
        sentences.append(Sentence(text[start:end], start, end))
    return sentences


# --------------------------------------------------------------------------------------------
# Paragraphs too long for one passage

MAX_PASSAGE_CHARS = 1500
"""The longest passage: a longer paragraph is cited, embedded and searched in parts, so one
2 MB line cannot make every answer quoting it megabytes long. Measured with the readers on
every paragraph here, none is cut: the longest in corpus/ is 575 characters (the seed's ¶9), in
../shared/eval/archive/docs 856 (05_vm-virginia-2024-05-outcome.en.txt ¶3), in
tests/fixtures 619; the longest sentence anywhere is 392. 1,500 leaves room for a paragraph
nearly twice the longest seen. A Japanese part of 1,500 characters runs past the 512 tokens
e5 reads of a passage; its sentences are embedded one by one (Config.sentence_match), so
what lies beyond is still found."""

CLAUSE_BREAK = re.compile(r"(?:[、，；]|[,;](?=\s)|\n)\s*")
"""Where a sentence too long for one passage is cut: after a comma, an ideographic comma, a
semicolon (a Western one before a space, so ``1,000`` stays whole) or a line break (code)."""


@dataclass(frozen=True)
class Part:
    """One passage of a paragraph: ``paragraph_text[start:end] == text``; ``sentences`` are
    offsets into ``text``. The parts of a paragraph joined give it back exactly."""

    text: str
    start: int
    end: int
    sentences: tuple[Sentence, ...]


def split_paragraph(
    text: str, sentences: Sequence[Sentence] | None = None, limit: int = MAX_PASSAGE_CHARS
) -> list[Part]:
    """The paragraph as passages of at most ``limit`` characters: one part when it fits, else
    parts cut at sentence ends, at clauses (:data:`CLAUSE_BREAK`) inside a sentence longer than
    ``limit``, and, inside a clause longer still, into even pieces (after a space when there is
    one in a piece's second half, never inside a surrogate pair or before a combining mark).
    The whitespace at a cut ends the part before it.

    >>> [p.text for p in split_paragraph("閣僚は会談した。停戦を促した。", limit=10)]
    ['閣僚は会談した。', '停戦を促した。']
    """
    if sentences is None:
        sentences = split_sentences(text)
    if len(text) <= limit:
        return [Part(text, 0, len(text), tuple(sentences))]
    pieces: list[int] = []  # where each piece ends
    starts = [0] + [s.start for s in sentences[1:]] + [len(text)]
    for start, end in itertools.pairwise(starts):
        if end - start <= limit:
            pieces.append(end)
            continue
        clause_start = start
        for clause_end in _clause_ends(text, start, end):
            pieces.extend(_hard_cuts(text, clause_start, clause_end, limit))
            clause_start = clause_end
    bounds = _pack(pieces, len(text), limit)
    ends = [s.end for s in sentences]
    return [
        Part(text[a:b], a, b, _sentences_within(text, sentences, ends, a, b))
        for a, b in zip([0, *bounds], bounds, strict=False)
    ]


def _clause_ends(text: str, start: int, end: int) -> list[int]:
    """Ends of the clauses of ``text[start:end]`` (the last one is ``end``)."""
    ends = [m.end() for m in CLAUSE_BREAK.finditer(text, start, end) if m.end() < end]
    return [*ends, end]


def _hard_cuts(text: str, start: int, end: int, limit: int) -> list[int]:
    """Ends of pieces of about even length, at most ``limit``, covering ``text[start:end]``."""
    cuts = []
    while end - start > limit:
        size = -(-(end - start) // -(-(end - start) // limit))  # the pieces left, evened out
        cut = space = start + size
        while space > start + size // 2 and not text[space - 1].isspace():
            space -= 1
        if space > start + size // 2:
            cut = space
        while cut > start + 1 and _joined(text[cut - 1], text[cut]):
            cut -= 1
        cuts.append(cut)
        start = cut
    cuts.append(end)
    return cuts


def _joined(before: str, after: str) -> bool:
    """Whether a cut between these two characters would split one character as read: a
    surrogate pair, or a base and its combining mark (variation selectors included), its
    emoji skin tone, or a zero-width joiner and what it joins."""
    if "\ud800" <= before <= "\udbff" and "\udc00" <= after <= "\udfff":
        return True
    return (
        unicodedata.category(after) in ("Mn", "Mc", "Me")
        or "\U0001f3fb" <= after <= "\U0001f3ff"
        or "\u200d" in (before, after)
    )


def _pack(pieces: list[int], length: int, limit: int) -> list[int]:
    """Part ends from piece ends (each piece at most ``limit`` long): consecutive pieces joined
    into parts of about even length, as few as fit (a 1,600-character paragraph is two parts of
    about 800, not 1,500 and 100)."""
    count = -(-length // limit)
    while True:
        bounds = _pack_towards(pieces, length, limit, length / count)
        if len(bounds) <= count:
            return bounds
        count = len(bounds)  # pieces did not fall evenly: aim shorter


def _pack_towards(pieces: list[int], length: int, limit: int, target: float) -> list[int]:
    """Part ends: pieces joined until a part reaches ``target`` or the next would pass
    ``limit``."""
    bounds: list[int] = []
    start = previous = 0
    for end in pieces:
        if end - start > limit or (previous - start >= target and previous > start):
            bounds.append(previous)
            start = previous
        previous = end
    bounds.append(length)
    return bounds


def _sentences_within(
    text: str, sentences: Sequence[Sentence], ends: list[int], start: int, end: int
) -> tuple[Sentence, ...]:
    """The sentences of ``text[start:end]``, offsets into it; a sentence cut by the part's
    edge keeps the piece inside it (the whole part when no sentence falls in it). ``ends``
    are the sentences' ends, for finding the first one quickly."""
    inside = []
    for index in range(bisect.bisect_right(ends, start), len(sentences)):
        sentence = sentences[index]
        if sentence.start >= end:
            break
        a, b = max(sentence.start, start), min(sentence.end, end)
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if a < b:
            inside.append(Sentence(text[a:b], a - start, b - start))
    if not inside:
        piece = text[start:end]
        a, b = len(piece) - len(piece.lstrip()), len(piece.rstrip())
        inside.append(Sentence(piece[a:b], a, b) if a < b else Sentence(piece, 0, len(piece)))
    return tuple(inside)
