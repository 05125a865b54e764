"""Bytes to text: byte-order marks, Japanese legacy encodings (Shift_JIS, EUC-JP) told apart by
their kana, and charset detection for the rest; text with too many odd characters is refused."""

from __future__ import annotations

import codecs

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


JAPANESE_ENCODINGS = ("cp932", "euc_jp")
"""Legacy Japanese encodings tried strictly before any guessing: CP932 is the superset of
Shift_JIS that Windows writes (①, ～ and the NEC/IBM extensions), so it reads Shift_JIS too.
charset-normalizer alone read short Shift_JIS and EUC-JP texts as Korean, and found no
encoding at all for CP932 text with ① and ～ (measured on made-up texts)."""

MIN_KANA_SHARE = 0.1
"""A legacy decoding counts as Japanese when kana are at least this share of its non-ASCII
letters: Japanese prose runs 40-70 % kana, while Korean or Chinese bytes read as EUC-JP come
out as kanji with next to no kana."""

MAX_ODD_SHARE = 0.01
"""Characters no real text is made of (controls, private use, U+FFFD, stray Hangul in a
Japanese decoding) above this share mean the decoding is wrong or the file is binary."""


def _is_kana(ch: str) -> bool:
    return "\u3041" <= ch <= "\u30ff" and ch not in "\u30fb"


def _is_odd(ch: str) -> bool:
    """Characters that betray a wrong decoding or a binary file."""
    code = ord(ch)
    return (
        (code < 0x20 and ch not in "\t\n\r\f\v")
        or 0x7F <= code <= 0x9F
        or 0xE000 <= code <= 0xF8FF  # private use
        or code == 0xFFFD
        or 0xD800 <= code <= 0xDFFF
    )


def _odd_share(text: str) -> float:
    return sum(1 for ch in text if _is_odd(ch)) / max(1, len(text))


def _kana_share(text: str) -> float:
    letters = [ch for ch in text if ord(ch) > 0x7F and ch.isalpha()]
    return sum(1 for ch in letters if _is_kana(ch)) / max(1, len(letters))


def _as_japanese(data: bytes) -> str | None:
    """The best strict legacy-Japanese decoding that looks like Japanese text, if any."""
    best: tuple[float, str] | None = None
    for encoding in JAPANESE_ENCODINGS:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        hangul = sum(1 for ch in text if "\uac00" <= ch <= "\ud7af" or "\u3130" <= ch <= "\u318f")
        odd = _odd_share(text) + hangul / max(1, len(text))
        kana = _kana_share(text)
        if odd > MAX_ODD_SHARE or kana < MIN_KANA_SHARE:
            continue
        if best is None or kana - odd > best[0]:
            best = (kana - odd, text)
    return best[1] if best else None


def _as_utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 written without a byte-order mark (NUL bytes are half of its ASCII): accepted only
    when it reads as clean text, so binary files with NULs are still refused."""
    if len(data) % 2:
        return None
    for encoding in ("utf-16-le", "utf-16-be"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        plain = sum(1 for ch in text if ch.isascii() and (ch.isprintable() or ch in "\n\r\t"))
        if _odd_share(text) == 0 and (plain + sum(map(_is_kana, text))) / len(text) > 0.3:
            return text
    return None


def decode_bytes(data: bytes) -> str | None:
    """Decode a file's bytes, or None when they are not text.

    A byte-order mark decides first, then strict UTF-8 (or ISO-2022-JP, which is 7-bit), then
    the legacy Japanese encodings (see JAPANESE_ENCODINGS), and only then does
    charset-normalizer guess. Any decoding with control or private-use characters is refused:
    that is a binary file.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError:
                return None
            return text if _odd_share(text) <= MAX_ODD_SHARE and "\x00" not in text else None
    if b"\x00" in data:
        return _as_utf16_without_bom(data)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is not None:
        if "\x1b$B" in text or "\x1b$@" in text:
            try:
                text = data.decode("iso2022_jp")
            except UnicodeDecodeError:
                return None
        return text if _odd_share(text) <= MAX_ODD_SHARE else None
    japanese = _as_japanese(data)
    if japanese is not None:
        return japanese
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        return None
    text = str(best)
    return text if _odd_share(text) <= MAX_ODD_SHARE else None
