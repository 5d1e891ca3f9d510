"""Lines → structure: the header, chapters, sections, numbered items and table rows.

The levels are read from the document, not assumed: "一、" chapters over "1." items is the
common case, but a plan may be a flat "1." list after a lead-in, use "（一）" as its item level,
or be a task-breakdown table. A notice around the plan (关于印发《…》的通知, its 文号 and its own
"一、二、三" requirements after the plan) is told apart by the chapter numbering restarting: the
run of chapters holding the most items is the plan.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..model import Chapter, Item
from .folding import fold
from .lines import CHAPTER, ITEM, NUMBER, PAGE, ROW, SECTION, SUBITEM, TEXT, Line
from .result import IgnoredLine, ParseWarning
from .rows import fill_row
from .tables import ACTUAL, CATEGORY
from .targets import Fragments, extract_fragments

_SENTENCE_END_RE = re.compile("[。!?！？]")
_TERMINAL = "。;!?；！？”\"'」』)）"
_PROSE_PUNCT = re.compile(r"[,，。;；:：、]")
_FIGURE = re.compile(r"\d")
_FIELD_LINE_RE = re.compile(
    r"^[(]?(?:责任单位|牵头单位|配合单位|协办单位|责任部门|牵头部门|主责单位|完成时限|完成时间|时间节点)\s*:"
)
_PROSE_END = re.compile(r"[,，、:：;；(（“\"'-]")
OVERALL_TITLE = "总体目标"


def first_sentence(text: str) -> str:
    text = text.split("\n", 1)[0]
    match = _SENTENCE_END_RE.search(text)
    return (text[: match.start()] if match else text).strip().rstrip(";；,，、")


@dataclass
class Levels:
    chapter: str | None  # the kind of line that opens a chapter, None: one unnamed chapter
    section: str | None
    item: str | None


@dataclass
class Body:
    """The plan's lines split into what precedes it, the plan itself and what follows."""

    header: list[Line]
    lines: list[Line]
    trailer: list[Line]
    levels: Levels


def find_body(lines: list[Line]) -> Body:
    _settle_subitems(lines)
    has = {kind: any(line.kind == kind for line in lines) for kind in (CHAPTER, SECTION)}
    has_items = any(line.kind in (ITEM, ROW) for line in lines) or _bare_numbers(lines)
    chapter_kind: str | None = None
    if has[CHAPTER]:
        chapter_kind = CHAPTER
    elif has[SECTION] and has_items:
        chapter_kind = SECTION
    if has_items:
        levels = Levels(chapter_kind, SECTION if chapter_kind == CHAPTER else None, ITEM)
    elif has[SECTION]:
        levels = Levels(chapter_kind if chapter_kind == CHAPTER else None, None, SECTION)
    elif has[CHAPTER]:
        levels = Levels(None, None, CHAPTER)  # "一、" paragraphs are the plan's items
    else:
        return Body(lines, [], [], Levels(None, None, None))
    top = levels.chapter or levels.item
    runs = _runs(lines, top)
    if levels.chapter is not None:
        inside = [_count_items(lines, a, b, levels) for a, b in runs]
        before = _count_items(lines, 0, runs[0][0], levels)
        if before > max(inside):
            # A flat list, then a notice's own "一、二、三": not chapters of the plan.
            levels = Levels(None, None, levels.item)
            runs = _runs(lines, levels.item)
            start = runs[0][0]
            end = next((a for a, _ in _runs(lines, CHAPTER) if a > start), len(lines))
            return Body(lines[:start], lines[start:end], lines[end:], levels)
        best = max(range(len(runs)), key=lambda i: (inside[i], -i))
        start, end = runs[best]
        end = _lead_into_trailer(lines, start, _before_requirements(lines, start, end, levels))
        return Body(lines[:start], lines[start:end], lines[end:], levels)
    start = runs[0][0]
    return Body(lines[:start], lines[start:], [], levels)


_REQUIREMENTS_RE = re.compile(
    r"^(?:工作要求|有关要求|相关要求|保障措施|组织保障|工作保障|实施保障|组织实施|保障机制|工作机制)"
)


def _before_requirements(lines: list[Line], start: int, end: int, levels: Levels) -> int:
    """A closing "三、工作要求" / "保障措施" chapter is the notice speaking, not the plan."""
    for index in range(start + 1, end):
        line = lines[index]
        if line.kind == levels.chapter and _REQUIREMENTS_RE.match(line.folded_content.strip()):
            return index
    return end


def _settle_subitems(lines: list[Line]) -> None:
    """ "(1)" lines are the items of a list that has no "1." items, else part of an item."""
    has_items = any(line.kind in (ITEM, ROW) for line in lines) or _bare_numbers(lines)
    for line in lines:
        if line.kind == SUBITEM:
            line.kind = TEXT if has_items else ITEM


def _lead_into_trailer(lines: list[Line], start: int, end: int) -> int:
    """ "…提出以下要求：" just before the notice's requirements belongs with them."""
    while end > start + 1 and end < len(lines) and lines[end - 1].folded.endswith(":"):
        if lines[end - 1].kind != TEXT:
            break
        end -= 1
    return end


def _bare_numbers(lines: list[Line]) -> bool:
    """Items numbered on a line of their own ("1" then the text), counting up from 1."""
    values = [line.value for line in lines if line.kind == NUMBER]
    return len(values) >= 2 and values[:2] == [1, 2]


def _runs(lines: list[Line], kind: str) -> list[tuple[int, int]]:
    """Where the numbering of ``kind`` restarts: [(first line, next run's first line)]."""
    starts = []
    previous = 0
    for index, line in enumerate(lines):
        if _opens(line, kind):
            if not starts or (line.value <= previous and line.value == 1):
                starts.append(index)
            previous = line.value
    if not starts:
        return [(0, len(lines))]
    return list(zip(starts, [*starts[1:], len(lines)], strict=True))


def _opens(line: Line, kind: str) -> bool:
    if kind == ITEM:
        return line.kind in (ITEM, NUMBER, ROW)
    return line.kind == kind


def _count_items(lines: list[Line], start: int, end: int, levels: Levels) -> int:
    kinds = {ITEM, ROW, SECTION} if levels.item == ITEM else {levels.item}
    return sum(1 for line in lines[start:end] if line.kind in kinds)


@dataclass
class _Open:
    """The item being read: its text grows by fragments that remember their source offset."""

    item: Item
    parts: list[list[tuple[str, str, int]]] = field(default_factory=list)
    row: Line | None = None

    def text(self) -> Fragments:
        pieces: list[tuple[str, str, int]] = []
        for index, part in enumerate(self.parts):
            if index:
                pieces.append(("\n", "\n", -1))
            pieces.extend(part)
        return Fragments(pieces)


class Builder:
    """Accumulates the body's lines into chapters and items, remembering where each came from."""

    def __init__(self, levels: Levels, ignored: list[IgnoredLine], wrap_width: int = 0) -> None:
        self.levels = levels
        self.wrap_width = wrap_width  # the longest line: where a hard-wrapped text breaks
        self.chapters: list[Chapter] = []
        self.ignored = ignored
        self.section: str | None = None
        self.open: _Open | None = None
        self.finished: list[_Open] = []
        self.intros: dict[int, list[Line]] = {}
        self.skipped_actuals = 0
        self.lead_in: list[Line] = []
        self.due_texts: dict[int, str | None] = {}  # per item (by id), read once the year is known

    # -- chapters and items --------------------------------------------------------------

    def chapter(self) -> Chapter:
        if not self.chapters:
            self.chapters.append(Chapter("", "", line=None))
        return self.chapters[-1]

    def close(self) -> None:
        if self.open is not None:
            self.finished.append(self.open)
        self.open = None

    def add(self, line: Line) -> None:
        levels = self.levels
        if line.kind == PAGE:
            self.ignored.append(IgnoredLine(line.number, line.text, "page number"))
            return
        if line.kind == levels.chapter:
            self.close()
            self.section = None
            self.chapters.append(Chapter(_numeral(line), line.content.strip(), line=line.number))
            return
        if line.kind == levels.section and levels.section is not None:
            self.close()
            self.section = line.content.strip()
            return
        if line.kind == ROW:
            self.add_row(line)
            return
        if levels.item == ITEM:
            opens = line.kind == ITEM or (line.kind == NUMBER and self._next_number(line.value))
        else:
            opens = line.kind == levels.item
        if opens:
            self.start_item(line)
            return
        self.add_text(line)

    def _heading(self, text: str) -> bool:
        """An item's first line that ends without punctuation and is clearly shorter than the
        document's wrapped lines is a heading, not a line that wraps into the next one."""
        return (
            bool(text)
            and text[-1] not in _TERMINAL
            and not _PROSE_END.match(text[-1])
            and len(text) < 0.7 * self.wrap_width
        )

    def _next_number(self, value: int) -> bool:
        """A number alone on its line opens an item only in sequence (not a page number)."""
        items = self.chapters[-1].items if self.chapters else []
        return value == (items[-1].number + 1 if items else 1) or value == 1

    def start_item(self, line: Line) -> None:
        self.close()
        if line.kind == NUMBER:
            # The number on a line of its own: the item's text follows on the next line.
            item = Item(line.value, "", "", section=self.section, line=line.number)
            self.open = _Open(item, [[]])
        else:
            item = Item(line.value, "", "", section=self.section, line=line.number)
            body = line.content.rstrip()
            self.open = _Open(
                item, [[(body, line.folded_content[: len(body)], line.start + line.body)]]
            )
        self.chapter().items.append(item)

    def add_row(self, line: Line) -> None:
        self.close()
        cells = {}
        for cell in line.cells:
            cells.setdefault(cell.role, []).append(cell)
        if cells.get(CATEGORY):
            # A 类别/领域 column groups the rows: each new value opens a chapter.
            category = cells[CATEGORY][0].text.strip()
            if not self.chapters or self.chapters[-1].title != category:
                if self.chapters and not self.chapters[-1].items and not self.chapters[-1].title:
                    self.chapters.pop()
                self.chapters.append(Chapter("", category, line=line.number))
        if cells.get(ACTUAL):
            self.skipped_actuals += sum(1 for c in cells[ACTUAL] if _FIGURE.search(c.text))
        numbers = [c.text for c in cells.get("number", []) if c.text.strip(" .、").isdigit()]
        value = int(numbers[0].strip(" .、")) if numbers else len(self.chapter().items) + 1
        item = Item(value, "", "", section=self.section, line=line.number)
        self.open = _Open(item, [[]], row=line)
        self.chapter().items.append(item)
        self.close()

    def add_text(self, line: Line) -> None:
        current = self.open
        if current is None:
            if not self.chapters:
                self.lead_in.append(line)
            elif _PROSE_PUNCT.search(line.text) or _FIGURE.search(line.text):
                self.intros.setdefault(id(self.chapters[-1]), []).append(line)
            else:
                self.ignored.append(IgnoredLine(line.number, line.text, "not inside any item"))
            return
        fragment = (line.text, line.folded, line.start)
        if not current.parts[-1]:
            current.parts[-1].append(fragment)
            return
        last = current.parts[-1][-1][0]
        if _FIELD_LINE_RE.match(line.folded):
            current.parts.append([fragment])  # "责任单位：…" / "完成时限：…" on its own line
        elif len(current.parts) == 1 and len(current.parts[0]) == 1 and self._heading(last):
            current.parts.append([fragment])  # "（一）坚持扩大内需" over its paragraph
        elif last and (
            last[-1] not in _TERMINAL or (last[-1] in "”\"'」』)）" and len(line.text) < 8)
        ):
            # The item's sentence runs on: the line was wrapped.
            # Words of Latin letters keep a space between them; a figure broken at the line
            # end ("322" / "00个") joins up again.
            figure = last[-1].isdigit() and fold(line.text[0]) in "0123456789.%,"
            if last[-1].isascii() and last[-1].isalnum() and line.text[0].isascii() and not figure:
                current.parts[-1].append((" ", " ", -1))
            current.parts[-1].append(fragment)
        elif _PROSE_PUNCT.search(line.text) and len(line.text) >= 8:
            current.parts.append([fragment])  # a further paragraph of the same item
        else:
            self.ignored.append(IgnoredLine(line.number, line.text, "not part of any item"))

    # -- the end ---------------------------------------------------------------------------

    def finish(self, warnings: list[ParseWarning]) -> None:
        self.close()
        for opened in self.finished:
            if opened.row is not None:
                self.due_texts[id(opened.item)] = fill_row(opened.item, opened.row)
                continue
            fragments = opened.text()
            item = opened.item
            item.text = fragments.text
            item.title = first_sentence(item.text)
            item.indicators = extract_fragments(fragments)
            item.source_span = fragments.source_span()
        for chapter in self.chapters:
            lines = self.intros.get(id(chapter), [])
            chapter.intro = "\n".join(line.text for line in lines)
            self.place_overall(chapter, lines)
        if self.skipped_actuals:
            warnings.append(
                ParseWarning(
                    None,
                    f"{self.skipped_actuals} figures in an actual/完成情况 column are actuals, "
                    "not targets: left out (enter them as a quarter's actuals)",
                )
            )

    def place_overall(self, chapter: Chapter, lines: list[Line]) -> None:
        """Targets in unnumbered paragraphs become an "overall targets" item: never dropped."""
        pieces: list[tuple[str, str, int]] = []
        for line in lines:
            if pieces:
                pieces.append(("\n", "\n", -1))
            pieces.append((line.text, line.folded, line.start))
        if not pieces:
            return
        fragments = Fragments(pieces)
        indicators = extract_fragments(fragments)
        if not indicators:
            return
        item = Item(0, OVERALL_TITLE, fragments.text, indicators=indicators, line=lines[0].number)
        item.source_span = fragments.source_span()
        chapter.items.insert(0, item)


def _numeral(line: Line) -> str:
    match = re.search(r"[一二三四五六七八九十]{1,3}", line.folded[: max(line.body, 1)])
    return match.group(0) if match else str(line.value)
