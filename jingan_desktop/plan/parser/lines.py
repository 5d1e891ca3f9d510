"""What a line of a plan is: a chapter heading, a section, a numbered item, a table row, a date.

Every pattern here runs on the folded line (full-width → ASCII, traditional → simplified), so
"（一）", "(一)" and "（壹）"-free variants look the same; offsets stay those of the line as written.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from datetime import date

_CN_DIGITS = "零一二三四五六七八九"
_CN_NUMERAL = "[一二三四五六七八九十]{1,3}"
_CHAPTER_RE = re.compile(rf"^({_CN_NUMERAL})\s*[、.]\s*(\S.*)$")
_PART_RE = re.compile(rf"^第({_CN_NUMERAL})(?:部分|章|篇)\s*[、.:]?\s*(\S.*)$")
_SECTION_RE = re.compile(rf"^\(\s*({_CN_NUMERAL})\s*\)\s*[、.]?\s*(\S.*)$")
# "12.", "12、", "12 " (and "1234." in a very long list; "2025 年…" is no item)
_ITEM_RE = re.compile(
    r"^(\d{1,3}(?=\s*(?:[.、](?!\d)|\s))|\d{4}(?=\s*[.、](?!\d)))\s*(?:[.、]|\s)\s*(\S.*)$"
)
# "(1)…" / "①…": sub-points under an item, or the item level of a list that has no "1.".
_SUBITEM_RE = re.compile(r"^(?:\(\s*(\d{1,2})\s*\)|([\u2460-\u2473]))\s*(\S.*)$")
_BARE_NUMBER_RE = re.compile(r"^(\d{1,3})\s*[.、]?$")
_PAGE_NUMBER_RE = re.compile(
    r"^(?:[-—–]\s*\d{1,4}\s*[-—–]|第\s*\d{1,4}\s*页(?:\s*共\s*\d+\s*页)?)$"
)
_DATE_RE = re.compile(r"^\(?\s*(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日\s*\)?$")
_CN_DATE_RE = re.compile(
    r"^\(?([〇零一二三四五六七八九]{4})年([一二三四五六七八九十]{1,2})月([一二三四五六七八九十]{1,3})日\)?$"
)
_YEAR = r"(\d{4}|[〇零一二三四五六七八九]{4})\s*年度?"
_GENRE = (
    r"(?:安排|计划|要点|任务|方案|清单|项目|实事|目标|指标|报告|分解表|任务表|一览表|台账)"
    r"(?:\((?:节选|摘要|草案|征求意见稿|试行)\))?"
)
# "2025年XX区重点工作任务", "XX区2024年政府重点工作任务分工方案", "二〇二四年度重点工作计划"
_TITLE_RE = re.compile(rf"^[^\s,，。;；:：]{{0,16}}?{_YEAR}[^,，。;；:：]{{2,40}}{_GENRE}$")
# A genre line with no year ("政府工作报告"): a title only when nothing better is found.
_PLAIN_TITLE_RE = re.compile(rf"^[^\s,，。;；:：、]{{0,30}}{_GENRE}$")
_QUOTED_TITLE_RE = re.compile(rf"《([^》]{{0,16}}?{_YEAR}[^》]{{2,40}})》")
_NOTICE_RE = re.compile(r"关于印发.{0,40}的通知$")
_DOC_NUMBER_RE = re.compile(r"^\S{1,12}[〔\[(]\s*\d{4}\s*[〕\])]\s*\d{1,4}\s*号$")
_ISSUER_RE = re.compile(r"^[^\s,，。;；:：]{2,30}(?:人民政府|办公室|委员会|管理委员会|政府)$")
_SENTENCE_END = "。!?！？"
_TERMINAL = "。;!?；！？”\"'」』)）"
_PROSE_PUNCT = re.compile(r"[,，。;；:：、]")
# "(一)…。(二)…" or "1.…。2.…" run together in one paragraph: where a further marker begins.
_EMBEDDED_RE = re.compile(rf"(?<=[。;!?:])\s*(?:\(\s*({_CN_NUMERAL})\s*\)|(\d{{1,3}})[.、](?!\d))")


def title_year(text: str) -> int:
    """The year of a title's "2025" or "二〇二五"."""
    if text.isdigit():
        return int(text)
    return int("".join(str("〇一二三四五六七八九".index(c) if c != "零" else 0) for c in text))


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


# --- lines -----------------------------------------------------------------------------------

CHAPTER, SECTION, ITEM, NUMBER, TEXT, PAGE, ROW, SUBITEM = (
    "chapter",
    "section",
    "item",
    "number",
    "text",
    "page",
    "row",
    "subitem",
)


@dataclass
class Line:
    """One line of the document (or one of several items run together in a paragraph)."""

    number: int  # 1-based line in the source text
    start: int  # offset of ``text`` in the source text
    text: str  # stripped, as written
    folded: str  # the same, folded for matching (same length)
    kind: str = TEXT
    value: int = 0  # the marker's number (一 → 1, 12 → 12)
    body: int = 0  # offset in ``text`` where the content after the marker starts
    cells: list[Cell] = field(default_factory=list)  # a table row's cells

    @property
    def content(self) -> str:
        return self.text[self.body :]

    @property
    def folded_content(self) -> str:
        return self.folded[self.body :]


@dataclass
class Cell:
    role: str  # see the roles in tables.py, or "" for an unnamed column
    text: str
    start: int  # offset in the source text
    unit: str = ""  # the column's unit from its header ("年度计划投资（亿元）")
    label: str = ""  # the column's header name


def split_lines(text: str, folded: str) -> list[Line]:
    """The document's non-blank lines, stripped, with several run-together items split."""
    lines: list[Line] = []
    offset = 0
    for number, (raw, folded_raw) in enumerate(
        zip(text.split("\n"), folded.split("\n"), strict=True), start=1
    ):
        stripped = raw.strip()
        if stripped:
            lead = len(raw) - len(raw.lstrip())
            folded_line = folded_raw[lead : lead + len(stripped)]
            lines.extend(_explode(Line(number, offset + lead, stripped, folded_line)))
        offset += len(raw) + 1
    for line in lines:
        classify(line)
    return lines


def _explode(line: Line) -> list[Line]:
    """ "(一)…。(二)…。(三)…" → three lines; only where the numbers run on in sequence."""
    first = _marker_value(line.folded)
    pieces: list[int] = []
    expected = None if first is None else first[1] + 1
    for match in _EMBEDDED_RE.finditer(line.folded):
        kind = "section" if match.group(1) else "item"
        value = chinese_numeral_value(match.group(1)) if match.group(1) else int(match.group(2))
        if first is not None and kind != first[0]:
            continue
        if expected is None:
            if value != 1 and not pieces:
                continue
        elif value != expected:
            continue
        cut = match.start() + len(match.group(0)) - len(match.group(0).lstrip())
        pieces.append(cut)
        first = first or (kind, value)
        expected = value + 1
    if not pieces:
        return [line]
    bounds = [0, *pieces, len(line.text)]
    parts = []
    for left, right in itertools.pairwise(bounds):
        text = line.text[left:right].rstrip()
        if text:
            parts.append(
                Line(line.number, line.start + left, text, line.folded[left : left + len(text)])
            )
    return parts


def _marker_value(folded: str) -> tuple[str, int] | None:
    if match := _SECTION_RE.match(folded):
        return "section", chinese_numeral_value(match.group(1))
    if (match := _ITEM_RE.match(folded)) and not folded[match.start(2)].isdigit():
        return "item", int(match.group(1))
    return None


def classify(line: Line) -> None:
    folded = line.folded
    if _PAGE_NUMBER_RE.match(folded):
        line.kind = PAGE
    elif match := _CHAPTER_RE.match(folded) or _PART_RE.match(folded):
        line.kind, line.value, line.body = (
            CHAPTER,
            chinese_numeral_value(match.group(1)),
            match.start(2),
        )
    elif match := _SECTION_RE.match(folded):
        line.kind, line.value, line.body = (
            SECTION,
            chinese_numeral_value(match.group(1)),
            match.start(2),
        )
    elif (match := _ITEM_RE.match(folded)) and not folded[match.start(2)].isdigit():
        line.kind, line.value, line.body = ITEM, int(match.group(1)), match.start(2)
    elif match := _SUBITEM_RE.match(folded):
        value = int(match.group(1)) if match.group(1) else ord(match.group(2)) - 0x245F
        line.kind, line.value, line.body = SUBITEM, value, match.start(3)
    elif match := _BARE_NUMBER_RE.match(folded):
        line.kind, line.value, line.body = NUMBER, int(match.group(1)), len(folded)
