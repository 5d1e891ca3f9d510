"""Lines → structure: the header, chapters ("一、…"), sections and numbered items."""

from __future__ import annotations

import re
from datetime import date

from ..model import Chapter, Item, Plan
from .folding import fold
from .lines import (
    _CHAPTER_RE,
    _CN_DATE_RE,
    _DATE_RE,
    _ISSUER_RE,
    _ITEM_RE,
    _PROSE_PUNCT,
    _QUOTED_TITLE_RE,
    _SECTION_RE,
    _SENTENCE_END,
    _TERMINAL,
    _TITLE_RE,
    _cn_date,
)
from .result import IgnoredLine, ParseResult
from .targets import extract_indicators

_SENTENCE_END_RE = re.compile(f"[{re.escape(_SENTENCE_END)}]")


class _Builder:
    """Accumulates lines into the plan while remembering where each piece came from."""

    def __init__(self) -> None:
        self.chapters: list[Chapter] = []
        self.ignored: list[IgnoredLine] = []
        self.section: str | None = None
        self.item: Item | None = None
        # The item's paragraphs, each a list of wrapped lines joined at the end: appending to
        # a growing string would copy it for every line (quadratic on long items).
        self.item_parts: list[list[str]] = []
        self.folded_parts: list[list[str]] = []  # the same, folded for matching
        self.intros: dict[int, list[str]] = {}
        self.header: list[tuple[int, str]] = []

    def close_item(self) -> None:
        if self.item is not None:
            self.item.text = "\n".join("".join(part) for part in self.item_parts)
            folded = "\n".join("".join(part) for part in self.folded_parts)
            self.item.title = first_sentence(self.item.text)
            self.item.indicators = extract_indicators(self.item.text, folded)
        self.item, self.item_parts, self.folded_parts = None, [], []

    def add_line(self, number: int, raw: str, folded_raw: str) -> None:
        line = raw.strip()
        if not line:
            return
        # Stripping the same characters keeps the folded line aligned with the line.
        offset = len(raw) - len(raw.lstrip())
        folded = folded_raw[offset : offset + len(line)]
        if match := _CHAPTER_RE.match(folded):
            self.close_item()
            self.section = None
            title = line[match.start(2) :].strip()
            self.chapters.append(Chapter(match.group(1), title, line=number))
            return
        if not self.chapters:
            self.header.append((number, line))
            return
        chapter = self.chapters[-1]
        if match := _SECTION_RE.match(folded):
            self.close_item()
            self.section = line[match.start(2) :].strip()
            return
        if (match := _ITEM_RE.match(folded)) and not folded[match.start(2)].isdigit():
            self.close_item()
            self.item = Item(int(match.group(1)), "", "", section=self.section, line=number)
            body = line[match.start(2) :].rstrip()
            self.item_parts = [[body]]
            self.folded_parts = [[folded[match.start(2) : match.start(2) + len(body)]]]
            chapter.items.append(self.item)
            return
        if self.item is None:
            if _PROSE_PUNCT.search(line):
                self.intros.setdefault(id(chapter), []).append(line)
            else:
                self.ignored.append(IgnoredLine(number, line, "not inside any item"))
            return
        last = self.item_parts[-1][-1]
        if last and last[-1] not in _TERMINAL:
            # The item's sentence runs on: the line was wrapped.
            if last[-1].isascii() and last[-1].isalnum() and line[0].isascii():
                self.item_parts[-1].append(" ")
                self.folded_parts[-1].append(" ")
            self.item_parts[-1].append(line)
            self.folded_parts[-1].append(folded)
        elif _PROSE_PUNCT.search(line) and len(line) >= 8:
            self.item_parts.append([line])  # a further paragraph of the same item
            self.folded_parts.append([folded])
        else:
            self.ignored.append(IgnoredLine(number, line, "not part of any item"))


def first_sentence(text: str) -> str:
    match = _SENTENCE_END_RE.search(text)
    return (text[: match.start()] if match else text).strip()


def parse_plan(text: str) -> ParseResult:
    """Parse a plan document's text. Never raises: what cannot be placed is reported."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    builder = _Builder()
    folded_text = fold(text)
    for number, (raw, folded) in enumerate(
        zip(text.split("\n"), folded_text.split("\n"), strict=True), start=1
    ):
        builder.add_line(number, raw, folded)
    builder.close_item()
    for chapter in builder.chapters:
        if id(chapter) in builder.intros:
            chapter.intro = "\n".join(builder.intros[id(chapter)])

    title, year, issuer, issued_on, preamble = _read_header(builder.header)
    if year is None:
        year = _guess_year(folded_text, issued_on)
    plan = Plan(
        title=title or (f"{year}年重点工作安排" if year else "重点工作安排"),
        year=year or date.today().year,
        issuer=issuer,
        issued_on=issued_on,
        source_text=text,
        chapters=builder.chapters,
        preamble="\n".join(preamble),
    )
    return ParseResult(plan, builder.ignored)


def _read_header(
    lines: list[tuple[int, str]],
) -> tuple[str | None, int | None, str | None, date | None, list[str]]:
    title: str | None = None
    year: int | None = None
    issuer: str | None = None
    issued_on: date | None = None
    quoted: tuple[str, int] | None = None
    preamble: list[str] = []
    for _number, line in lines:
        folded = fold(line)
        if issued_on is None and (match := _DATE_RE.match(folded)):
            try:
                issued_on = date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
                continue
            except ValueError:
                pass
        if issued_on is None and (match := _CN_DATE_RE.match(folded)):
            issued_on = _cn_date(match)
            if issued_on is not None:
                continue
        if title is None and (match := _TITLE_RE.match(folded)):
            title, year = line, int(match.group(1))
            continue
        if issuer is None and _ISSUER_RE.match(folded):
            issuer = line
            continue
        if quoted is None and (match := _QUOTED_TITLE_RE.search(folded)):
            quoted = (line[match.start(1) : match.end(1)], int(match.group(2)))
        preamble.append(line)
    if title is None and quoted is not None:
        title, year = quoted
    return title, year, issuer, issued_on, preamble


def _guess_year(folded: str, issued_on: date | None) -> int | None:
    if issued_on is not None:
        return issued_on.year
    match = re.search(r"(20\d{2})\s*年", folded)
    return int(match.group(1)) if match else None
