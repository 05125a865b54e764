"""Write assistant/hangul_readings.json: the Sino-Korean (Hangul) reading of every CJK ideograph
that has one, from the Unicode Character Database's Unihan files (kHangul readings, and the
variant fields for characters read through another form).

Run once, when the table is to be refreshed; the product only reads the JSON.

    python scripts/make_hangul_readings.py /usr/share/unicode   # Debian package unicode-data

Japanese writes many characters in simplified forms (対, 続, 発) that Unihan reads only under
their traditional form (對, 續, 發), and its variant fields link some of them but not all. The
pairs in ``JAPANESE_NEW_FORMS`` (the shinjitai of the Jōyō list and their traditional forms) fill
the rest: measured on the archive's Japanese documents, 5.4% of kanji had no reading from Unihan
alone (対, 脳, 続, 発 most often) and 0.2% with the pairs (働, 枠, 圳, 靱).
"""

from __future__ import annotations

import bz2
import json
import sys
from collections import defaultdict
from pathlib import Path

JAPANESE_NEW_FORMS = (
    "対對 脳腦 続續 発發 応應 継繼 戦戰 経經 拡擴 歓歡 従從 圧壓 弾彈 増增 "
    "様樣 鉱鑛 巻卷 雑雜 抜拔 粋粹 訳譯 団團 覚覺 価價 辺邊 悪惡 帰歸 気氣 "
    "険險 湾灣 体體 広廣 変變 声聲 総總 関關 済濟 権權 鉄鐵 国國 会會 労勞 "
    "党黨 検檢 証證 転轉 択擇 沢澤 駅驛 図圖 学學 実實 当當 将將 県縣 区區 "
    "医醫 両兩 乱亂 仮假 伝傳 児兒 処處 剤劑 勧勸 単單 営營 読讀 売賣 数數 "
    "断斷 来來 条條 残殘 浄淨 焼燒 献獻 称稱 穏穩 窃竊 緑綠 縄繩 聴聽 胆膽 "
    "臓臟 芸藝 蔵藏 装裝 触觸 誉譽 豊豐 軽輕 辞辭 遅遲 酔醉 釈釋 銭錢 録錄 "
    "闘鬪 陥陷 隠隱 霊靈 顕顯 鶏鷄 黙默 齢齡 歯齒 竜龍 亜亞 悩惱 懐懷 挙擧 "
    "拠據 捜搜 摂攝 栄榮 桜櫻 欧歐 殴毆 満滿 炉爐 為爲 犠犧 猟獵 獣獸 盗盜 "
    "砕碎 稲稻 絵繪 縦縱 繊纖 虚虛 観觀 賛贊 践踐 随隨 髄髓 麦麥 黒黑 斉齊 "
    "剣劍 効效 厳嚴 圏圈 壊壞 壌壤 壮壯 寿壽 与與 旧舊 号號 台臺 予豫 余餘 "
    "欠缺 戯戲 戸戶 担擔 拝拜 掲揭 昼晝 暦曆 桟棧 楽樂 歩步 毎每 浜濱 渉涉 "
    "渇渴 灯燈 猫貓 畳疊 痴癡 碁棊 礼禮 禅禪 秘祕 穂穗 粛肅 糸絲 絶絕 脱脫 "
    "舎舍 艶艷 薬藥 虫蟲 蛮蠻 衛衞 覧覽 説說 謡謠 譲讓 郷鄕 顔顏 騒騷 験驗 "
    "駆驅 髪髮 麺麵"
)
"""Japanese new forms, each followed by the traditional form whose Hangul reading it takes (台 as
臺, its reading in 台湾 대만 and 舞台 무대). Pairs whose two forms are the same character, or whose
traditional form Unihan does not read, change nothing."""

VARIANT_FIELDS = (
    "kTraditionalVariant",
    "kSemanticVariant",
    "kZVariant",
    "kSpecializedSemanticVariant",
)
"""Unihan variant fields followed, in this order, for a character without its own kHangul."""


def _code_point(field: str) -> str:
    return chr(int(field.split("<")[0][2:], 16))


def _lines(folder: Path, name: str):
    for path in (folder / f"{name}.txt", folder / f"{name}.txt.bz2"):
        if path.exists():
            opener = bz2.open if path.suffix == ".bz2" else open
            with opener(path, "rt", encoding="utf-8") as lines:
                yield from lines
            return
    raise SystemExit(f"{name}.txt(.bz2) not found in {folder}")


def preferred_reading(value: str) -> str:
    """Of a kHangul value ("항:0N 행:0E"), the reading marked as taught in schools (E), else the
    first: 行 is 행 as in 여행, not the 항 of 항렬."""
    readings = [item.split(":") for item in value.split()]
    taught = [reading for reading, *sources in readings if "E" in "".join(sources)]
    return taught[0] if taught else readings[0][0]


def readings(folder: Path) -> dict[str, str]:
    """Each ideograph's preferred Hangul reading (``preferred_reading``): a Japanese new form's
    through its traditional form, else its own, else through its Unihan variants."""
    own: dict[str, str] = {}
    for line in _lines(folder, "Unihan_Readings"):
        if "\tkHangul\t" in line:
            code, _, value = line.rstrip("\n").split("\t")
            own[_code_point(code)] = preferred_reading(value)
    variants: dict[str, list[str]] = defaultdict(list)
    for line in _lines(folder, "Unihan_Variants"):
        if line.startswith("U+"):
            code, field, value = line.rstrip("\n").split("\t")
            if field in VARIANT_FIELDS:
                variants[_code_point(code)] += [_code_point(v) for v in value.split()]
    new_forms = dict(pair for pair in JAPANESE_NEW_FORMS.split() if len(pair) == 2)
    table: dict[str, str] = {}
    for char in sorted(set(own) | set(variants) | set(new_forms)):
        traditional = new_forms.get(char)
        candidates = [traditional] if traditional in own else []
        candidates += [char, *variants.get(char, [])]
        reading = next((own[c] for c in candidates if c in own), None)
        if reading and "\u3400" <= char <= "\U0002ffff" and not "\uf900" <= char <= "\ufaff":
            table[char] = reading
    return table


def main() -> None:
    folder = Path(sys.argv[1] if len(sys.argv) > 1 else "/usr/share/unicode")
    table = readings(folder)
    target = Path(__file__).resolve().parent.parent / "assistant" / "data" / "hangul_readings.json"
    document = {
        "source": "Unicode Character Database, Unihan_Readings.txt (kHangul) and "
        "Unihan_Variants.txt; Japanese new forms read as their traditional forms "
        "(scripts/make_hangul_readings.py)",
        "license": "Unicode License (https://www.unicode.org/license.txt)",
        "readings": "".join(f"{char}{reading}" for char, reading in table.items()),
    }
    target.write_text(json.dumps(document, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    print(f"{len(table)} readings -> {target}")


if __name__ == "__main__":
    main()
