"""Whose account a question asks for: "according to Japan's readout", "일본 측 개요에서",
"韓国外交部の発表では".

An archive of one series of meetings holds each government's own account of the same meeting,
and they differ in what they report and how. Analysts name the account they mean, and each
government publishes its own account in its own language, so the named government's language
is the document evidence such a question gives (``scoring.ACCOUNT_WEIGHT``). Measured on the
archive dev set: 5 of 20 cross-language questions name an account, and in all 5 the same
meeting's readout in the question's language outscored the named one by 0.03-0.09 before.

It is a preference, not a filter: an English version Tokyo also publishes still answers, only
without the bonus (when the index links it to the Japanese original as a parallel version, the
two answer as one). And since a government may publish its account in English (Seoul's outcome
document of the May 2024 talks is), the bonus goes only to documents from the time the question
asks about, when it names one (``scoring.account_evidence``).

A government counts only when the question names its *account* (a readout, summary,
announcement, press release; "according to"), not when it names its people or side as part of
what is asked: "미국 측에서는 누가 참석했나" (who attended from the US side) asks about the US,
not for the US account.

>>> account_language("Which actions are cited in Japan's readout of it?")
'ja'
>>> account_language("2024년 10월 서울 차관협의에 대한 일본 측 개요에서 언급된 것은?")
'ja'
>>> account_language("米国務省の発表によれば、会合はいつ開かれたか。")
'en'
>>> account_language("2024년 11월 회의에 미국 측에서는 누가 참석했나?") is None
True
"""

from __future__ import annotations

import re

_ACCOUNT_EN = (
    r"(?:readout|read-out|summary|overview|account|press\s+release|announcement|"
    r"statement|outcome\s+document|release|briefing|version|report)"
)
_ADJECTIVE_ACCOUNT_EN = (
    r"(?:readout|read-out|summary|overview|account|press\s+release|announcement)"
)
"""After a bare name ("the Japanese readout") a statement is not one government's account:
"the Japan-ROK joint statement" is both governments'."""
_ACCOUNT_KO = r"(?:개요|발표|설명|보도\s*자료|보도자료|자료|결과\s*문서|브리핑|입장\s*자료)"
_ACCOUNT_JA = r"(?:概要|発表|説明|プレスリリース|報道発表|資料|ブリーフィング)"

_GOVERNMENTS: dict[str, dict[str, str]] = {
    # language the government publishes in -> how each question language names it
    "ja": {
        "en": r"(?:Japan|Tokyo|the\s+Japanese(?:\s+(?:side|government|foreign\s+ministry|"
        r"ministry\s+of\s+foreign\s+affairs|MOFA))?|Japanese)",
        "ko": r"(?:일본|일본\s*측|일본\s*정부|일본\s*외무성|일\s*외무성)",
        "ja": r"(?:日本側|日本政府|外務省)",
    },
    "ko": {
        "en": r"(?:(?:South\s+)?Korea|the\s+ROK|ROK|Seoul|the\s+(?:South\s+)?Korean"
        r"(?:\s+(?:side|government|foreign\s+ministry))?|(?:South\s+)?Korean)",
        "ko": r"(?:한국\s*측|우리\s*측|한국\s*정부|우리\s*정부|외교부|한국\s*외교부)",
        "ja": r"(?:韓国側|韓国政府|韓国外交部|韓国外務省)",
    },
    "en": {
        "en": r"(?:the\s+(?:U\.?S\.?|United\s+States|American)(?:\s+(?:side|government))?|"
        r"(?:the\s+)?State\s+Department|Washington|America)",
        "ko": r"(?:미국\s*측|미국\s*정부|미\s*국무부|미국\s*국무부|국무부)",
        "ja": r"(?:米国側|米国政府|米国務省|米国\s*国務省|国務省)",
    },
}


def _patterns(language: str, names: dict[str, str]) -> list[re.Pattern[str]]:
    """The ways a question names one government's account, in every question language."""
    en, ko, ja = names["en"], names["ko"], names["ja"]
    return [
        # Japan's readout, Tokyo's summary, the State Department's readout
        re.compile(
            rf"(?:\b(?:according\s+to|in)\s+)?(?<![A-Za-z]){en}['’]s?\s+(?:own\s+)?(?:\w+\s+)?"
            rf"{_ACCOUNT_EN}\b",
            re.I,
        ),
        # the Japanese readout, the U.S. summary
        re.compile(rf"(?<![A-Za-z-]){en}\s+{_ADJECTIVE_ACCOUNT_EN}\b", re.I)
        if language != "en"
        else re.compile(
            rf"(?<![A-Za-z-])the\s+(?:U\.?S\.?|American)\s+{_ADJECTIVE_ACCOUNT_EN}\b", re.I
        ),
        # according to Japan, as Tokyo put it
        re.compile(rf"\baccording\s+to\s+{en}\b", re.I),
        # 일본 측 개요, 일본 외무성 설명에 따르면, 외교부 발표
        re.compile(rf"{ko}\s*(?:의\s*)?(?:\S+\s*)?{_ACCOUNT_KO}(?:에서|에\s*따르면|에는)?"),
        re.compile(rf"{ko}\s*에?\s*따르면"),
        # 韓国側の発表, 米国務省の概要によれば
        re.compile(rf"{ja}\s*(?:の\s*)?{_ACCOUNT_JA}(?:によると|によれば|では)?"),
        re.compile(rf"{ja}\s*(?:によると|によれば)"),
    ]


_ACCOUNT_PATTERNS = {lang: _patterns(lang, names) for lang, names in _GOVERNMENTS.items()}


def account_language(question: str) -> str | None:
    """The language of the government whose account ``question`` asks for (``ja`` for Japan,
    ``ko`` for Korea, ``en`` for the United States), or None when it names none or several."""
    found = {
        lang
        for lang, patterns in _ACCOUNT_PATTERNS.items()
        if any(p.search(question) for p in patterns)
    }
    return found.pop() if len(found) == 1 else None


def without_account(question: str) -> str:
    """``question`` with the phrase naming whose account it asks for taken out, so that the
    wording arms read what is asked and the account counts once (in the account term)."""
    for patterns in _ACCOUNT_PATTERNS.values():
        for pattern in patterns:
            question = pattern.sub(" ", question)
    return re.sub(r"\s{2,}", " ", question).strip()
