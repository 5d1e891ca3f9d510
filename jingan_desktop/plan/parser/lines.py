"""What a line of a plan is: a chapter heading, a section, a numbered item, a date, a title."""

from __future__ import annotations

import re
from datetime import date

_CN_DIGITS = "零一二三四五六七八九"
_CHAPTER_RE = re.compile(r"^([一二三四五六七八九十]{1,3})\s*[、.]\s*(\S.*)$")
_SECTION_RE = re.compile(r"^\(\s*([一二三四五六七八九十]{1,3})\s*\)\s*(\S.*)$")
_ITEM_RE = re.compile(r"^(\d{1,3})\s*(?:[.、](?!\d)|\s)\s*(\S.*)$")
_DATE_RE = re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日$")
_CN_DATE_RE = re.compile(
    r"^([〇零一二三四五六七八九]{4})年([一二三四五六七八九十]{1,2})月([一二三四五六七八九十]{1,3})日$"
)
_TITLE_RE = re.compile(r"^(\d{4})\s*年.{2,40}(?:安排|计划|要点|任务|方案|清单)$")
_QUOTED_TITLE_RE = re.compile(r"《((\d{4})\s*年[^》]{2,40})》")
_ISSUER_RE = re.compile(r"^[^\s,，。;；:：]{2,30}(?:人民政府|办公室|委员会|管理委员会|政府)$")
_SENTENCE_END = "。!?！？"
_TERMINAL = "。;!?；！？”\"'」』)）"
_PROSE_PUNCT = re.compile(r"[,，。;；:：、]")


def chinese_numeral_value(text: str) -> int:
    """一 → 1, 十 → 10, 十二 → 12, 二十一 → 21 (enough for chapter numerals)."""
    if "十" not in text:
        value = 0
        for ch in text:
            value = value * 10 + _CN_DIGITS.index(ch)
        return value
    tens, _, units = text.partition("十")
    return (_CN_DIGITS.index(tens) if tens else 1) * 10 + (_CN_DIGITS.index(units) if units else 0)


def _cn_date(match: re.Match[str]) -> date | None:
    year = int(
        "".join(str("〇一二三四五六七八九".index(c) if c != "零" else 0) for c in match.group(1))
    )
    try:
        return date(
            year, chinese_numeral_value(match.group(2)), chinese_numeral_value(match.group(3))
        )
    except ValueError:
        return None
