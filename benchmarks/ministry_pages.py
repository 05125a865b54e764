"""Wrap plain statements in web pages shaped like real ministry pages (header menu,
breadcrumbs, photo with caption, share and print links, sidebar, footer), so that HTML
extraction can be measured against the same text given as .txt.

Used by benchmarks/extraction.py and to write tests/fixtures/html/. The page chrome below is
our own text modelled on the shape of such pages; the statements come from the caller.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

CHROME = {
    "ja": {
        "site": "外務省",
        "menu": ["会見・発表・広報", "外交政策", "国・地域", "海外渡航・滞在", "申請・手続き"],
        "crumbs": ["トップページ", "国・地域", "北米", "アメリカ合衆国"],
        "caption": "会合の様子（写真提供：内閣広報室）",
        "share": ["ポスト", "シェア", "LINEで送る"],
        "print": "このページを印刷する",
        "top": "このページのトップへ戻る",
        "back": "アメリカ合衆国へ戻る",
        "related": ["関連リンク", "日米韓首脳共同声明（英文）", "日米関係（概要）"],
        "footer": ["法的事項", "アクセシビリティについて", "プライバシーポリシー"],
        "copyright": "Copyright (C) The Ministry of Foreign Affairs of Japan",
    },
    "en": {
        "site": "Ministry of Foreign Affairs of Japan",
        "menu": ["Policy", "Countries & Regions", "Press", "About Us", "Visa"],
        "crumbs": ["Home", "Countries & Regions", "North America", "United States of America"],
        "caption": "The three leaders at the meeting (Photo: Cabinet Public Affairs Office)",
        "share": ["Post", "Share", "Email this page"],
        "print": "Print this page",
        "top": "Back to top",
        "back": "Back to United States of America",
        "related": ["Related Links", "Joint Leaders' Statement", "Japan-U.S. Relations"],
        "footer": ["Legal Matters", "Accessibility Policy", "Privacy Policy"],
        "copyright": "Copyright © The Ministry of Foreign Affairs of Japan",
    },
    "ko": {
        "site": "외교부",
        "menu": ["외교정책", "국가/지역", "재외국민", "알림마당", "정보공개"],
        "crumbs": ["홈", "알림마당", "보도자료"],
        "caption": "회의 사진 (사진 제공: 외교부)",
        "share": ["페이스북 공유", "X 공유", "URL 복사"],
        "print": "인쇄하기",
        "top": "맨 위로",
        "back": "목록",
        "related": ["관련 정보", "한미일 정상회의 자료실", "북미국 소개"],
        "footer": ["개인정보처리방침", "저작권 보호정책", "이메일무단수집거부"],
        "copyright": "Copyright © Ministry of Foreign Affairs, Republic of Korea",
    },
}
"""The boilerplate of each page, per language: none of it may reach the index."""


def boilerplate(lang: str) -> list[str]:
    """Every chrome string a page of this language carries (what extraction must drop)."""
    chrome = CHROME[lang]
    strings = [chrome["caption"], chrome["print"], chrome["top"], chrome["back"]]
    strings += chrome["menu"] + chrome["share"] + chrome["related"] + chrome["footer"]
    return [*strings, chrome["copyright"]]


def ministry_page(
    title: str,
    blocks: list[tuple[str, str]],
    lang: str,
    date: str | None = None,
    charset: str = "utf-8",
) -> str:
    """A full page around ``blocks`` ((kind, text) with kind "heading" or "text")."""
    chrome = CHROME[lang]

    def links(items: list[str], prefix: str, wrap: bool = True) -> str:
        anchors = [f'<a href="/{prefix}{i}/">{escape(t)}</a>' for i, t in enumerate(items)]
        return "".join(f"<li>{a}</li>" for a in anchors) if wrap else " &gt; ".join(anchors)

    menu, share = links(chrome["menu"], "m"), links(chrome["share"], "s")
    crumbs = links(chrome["crumbs"], "c", wrap=False)
    related, footer = links(chrome["related"][1:], "r"), links(chrome["footer"], "f")
    body = []
    for index, (kind, text) in enumerate(blocks):
        if kind == "heading":
            body.append(f"<h2>{escape(text)}</h2>")
        else:
            body.append(f"<p>{escape(text)}</p>")
        if index == 1:
            body.append(
                '<div class="photo"><img src="photo1.jpg" alt="">'
                f'<p class="caption">{escape(chrome["caption"])}</p></div>'
            )
    date_meta = f'<meta name="date" content="{date}">' if date else ""
    return f"""<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="{charset}">
<title>{escape(title)} | {escape(chrome["site"])}</title>
{date_meta}
<link rel="stylesheet" href="/css/common.css">
<script>window.dataLayer = window.dataLayer || [];</script>
</head>
<body>
<div id="header"><p class="logo"><a href="/">{escape(chrome["site"])}</a></p>
<form action="/search"><input type="text" name="q"><button>Search</button></form>
<ul class="global-nav">{menu}</ul></div>
<div class="breadcrumbs">{crumbs} &gt; {escape(title)}</div>
<div id="main">
<div class="main-contents">
<h1>{escape(title)}</h1>
{"".join(body)}
<ul class="sns-share">{share}</ul>
<p class="print"><a href="javascript:window.print()">{escape(chrome["print"])}</a></p>
<p class="back"><a href="/back/">{escape(chrome["back"])}</a></p>
</div>
<div id="side"><h2>{escape(chrome["related"][0])}</h2><ul>{related}</ul></div>
</div>
<p class="pagetop"><a href="#header">{escape(chrome["top"])}</a></p>
<div id="footer"><ul>{footer}</ul><p class="copyright">{escape(chrome["copyright"])}</p></div>
</body>
</html>
"""


def statement_blocks(path: Path, headings: list[str]) -> tuple[str, list[tuple[str, str]]]:
    """An archive statement (line 1 title, blocks split by blank lines, listed headings)."""
    parts = [p.strip() for p in path.read_text(encoding="utf-8").split("\n\n") if p.strip()]
    title, rest = parts[0], parts[1:]
    return title, [("heading" if p in headings else "text", p) for p in rest]


def language_of(path: Path) -> str:
    """``ja``/``en``/``ko`` from an archive name such as ``02_lima-summit-overview.ja.txt``."""
    return path.name.split(".")[-2]


def wrap_archive(docs: Path, headings: dict[str, list[str]], out: Path) -> list[Path]:
    """Write one ministry-like page per statement into ``out`` (same stem, .html)."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for path in sorted(docs.glob("*.txt")):
        title, blocks = statement_blocks(path, headings.get(path.name, []))
        page = out / (path.stem + ".html")
        page.write_text(ministry_page(title, blocks, language_of(path)), encoding="utf-8")
        written.append(page)
    return written
