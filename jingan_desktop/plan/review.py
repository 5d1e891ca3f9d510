"""The review before an import is saved: the clerk's corrections applied to a parse.

:class:`Review` holds a copy of what the parser read (:class:`~.parser.ParseResult`) and the
corrections a clerk makes while comparing it with the source text: a line marked as a chapter,
an item or not part of the plan; items split or joined; a target added from a phrase of the
source, fixed or removed; title, year and issuer set. Everything is plain Python: the review
dialog only shows this model and forwards the clerk's clicks to it, and nothing is written
until :meth:`Review.finished` hands the corrected plan to the store.

An item the clerk touched is rebuilt from the source lines it covers (its *segments*, offsets
in the source text), so its text, title and source spans always point back into the source;
targets the clerk added, fixed or removed stay as the clerk left them.
"""

from __future__ import annotations

import bisect
import copy
from dataclasses import dataclass

from .model import Chapter, Comparator, Indicator, Item, Kind, Plan
from .numbers import parse_number
from .parser import ParseResult, extract_indicators, first_sentence
from .parser.document import assign_keys
from .parser.folding import fold
from .parser.lines import CHAPTER as CHAPTER_LINE
from .parser.lines import ITEM as ITEM_LINE
from .parser.lines import NUMBER, SECTION, SUBITEM, split_lines
from .parser.targets import Fragments, extract_fragments

CHAPTER = "chapter"
ITEM = "item"
OUTSIDE = "outside"  # not part of the plan
MARKED_OUT = "marked as not part of the plan"
_TERMINAL = "。;!?；！？”\"'」』)）:："

Segment = tuple[int, int]  # [start, end) in the source text


@dataclass(frozen=True)
class SourceLine:
    number: int  # 1-based
    start: int
    end: int
    text: str  # stripped


def source_lines(text: str) -> dict[int, SourceLine]:
    """The source's non-blank lines by number, with their stripped offsets."""
    found: dict[int, SourceLine] = {}
    offset = 0
    for number, raw in enumerate(text.split("\n"), start=1):
        stripped = raw.strip()
        if stripped:
            lead = len(raw) - len(raw.lstrip())
            start = offset + lead
            found[number] = SourceLine(number, start, start + len(stripped), stripped)
        offset += len(raw) + 1
    return found


def marker(text: str) -> tuple[str, int, int]:
    """What a line's leading number says: (kind, value, where the content starts)."""
    lines = split_lines(text, fold(text))
    if not lines:
        return "", 0, 0
    line = lines[0]
    return line.kind, line.value, line.body


class ReviewError(ValueError):
    """A correction that cannot be applied here (said in ``reason``, a code the UI words)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Review:
    """A parse under review: the corrected plan, its unplaced lines and what is still missing."""

    def __init__(self, result: ParseResult) -> None:
        self.plan: Plan = copy.deepcopy(result.plan)
        self.source = self.plan.source_text
        self.lines = source_lines(self.source)
        self._ordered = list(self.lines.values())  # in source order
        self._starts = [line.start for line in self._ordered]
        self.warnings = list(result.warnings)
        self.unplaced: dict[int, str] = {e.line: e.reason for e in result.ignored}
        if not result.title_found:
            self.plan.title = ""
        self._segments: dict[int, list[Segment]] = {}
        self._removed: set[tuple[int, int]] = set()

    # -- what is where --------------------------------------------------------------------

    def items(self) -> list[Item]:
        return self.plan.items()

    def segments(self, item: Item) -> list[Segment]:
        """The stretches of source an item covers (computed from its span until rebuilt)."""
        known = self._segments.get(id(item))
        if known is not None:
            return known
        if item.source_span is None:
            return []
        start, end = item.source_span
        headings = {c.line for c in self.plan.chapters}
        found = []
        first = max(bisect.bisect_right(self._starts, start) - 1, 0)
        for line in self._ordered[first:]:
            if line.start >= end:
                break
            if line.end <= start or line.number in self.unplaced or line.number in headings:
                continue
            found.append((max(line.start, start), min(line.end, end)))
        self._segments[id(item)] = found
        return found

    def item_at(self, offset: int) -> Item | None:
        """The item whose text holds this source offset."""
        for item in self.items():
            if any(a <= offset < b for a, b in self.segments(item)):
                return item
        return None

    def item_on(self, line: SourceLine) -> Item | None:
        """The item whose text takes in (part of) this line."""
        for item in self.items():
            if any(a < line.end and line.start < b for a, b in self.segments(item)):
                return item
        return None

    def _starts_on(self, item: Item, line: SourceLine) -> bool:
        return self.segments(item)[0][0] >= line.start

    def chapter_at_line(self, number: int) -> Chapter | None:
        return next((c for c in self.plan.chapters if c.line == number), None)

    def role(self, number: int) -> str:
        """What line ``number`` is now: chapter, item (its first line), text (inside an item),
        unplaced (the parser could not place it) or outside (header, notice, blank)."""
        if self.chapter_at_line(number) is not None:
            return CHAPTER
        line = self.lines.get(number)
        if line is None:
            return OUTSIDE
        item = self.item_on(line)
        if item is not None:
            return ITEM if self._starts_on(item, line) else "text"
        return "unplaced" if number in self.unplaced else OUTSIDE

    def chapter_of(self, item: Item) -> Chapter:
        return next(c for c in self.plan.chapters if any(i is item for i in c.items))

    # -- marking lines --------------------------------------------------------------------

    def mark(self, number: int, role: str) -> None:
        """Mark a source line as a chapter heading, an item's first line, or not the plan."""
        line = self.lines.get(number)
        if line is None:
            raise ReviewError("blank-line")
        {CHAPTER: self._mark_chapter, ITEM: self._mark_item, OUTSIDE: self._mark_outside}[role](
            line
        )

    def _mark_item(self, line: SourceLine) -> None:
        chapter = self.chapter_at_line(line.number)
        if chapter is not None:
            self._drop_chapter(chapter)
        holder = self.item_on(line)
        if holder is not None:
            if not self._starts_on(holder, line):
                self.split(holder, line.start)
            return
        self.unplaced.pop(line.number, None)
        item = Item(0, "", "", line=line.number)
        self._place(item)
        self._rebuild(item, [(line.start, line.end)], [])

    def _mark_chapter(self, line: SourceLine) -> None:
        if self.chapter_at_line(line.number) is not None:
            return
        holder = self.item_on(line)
        if holder is not None:
            if not self._starts_on(holder, line):
                holder = self.split(holder, line.start)
            rest = [(a, b) for a, b in self.segments(holder) if a >= line.end]
            self._remove_item(holder)
            intro = " ".join(self.source[a:b] for a, b in rest)
        else:
            intro = ""
        self.unplaced.pop(line.number, None)
        kind, _value, body = marker(line.text)
        numeral = line.text[:body].strip(" 、.．") if kind in (CHAPTER_LINE, SECTION) else ""
        title = line.text[body:].strip() if body < len(line.text) else line.text
        chapter = Chapter(numeral, title, intro=intro, line=line.number)
        index = sum(1 for c in self.plan.chapters if (c.line or 0) < line.number)
        before = self.plan.chapters[index - 1] if index else None
        self.plan.chapters.insert(index, chapter)
        if before is not None:
            chapter.items = [i for i in before.items if (i.line or 0) > line.number]
            before.items = [i for i in before.items if (i.line or 0) <= line.number]

    def _mark_outside(self, line: SourceLine) -> None:
        chapter = self.chapter_at_line(line.number)
        if chapter is not None:
            self._drop_chapter(chapter)
        holder = self.item_on(line)
        if holder is not None:
            kept = [
                (a, b) for a, b in self.segments(holder) if not (a < line.end and line.start < b)
            ]
            if kept:
                self._rebuild(holder, kept, holder.indicators)
            else:
                self._remove_item(holder)
        self.unplaced[line.number] = MARKED_OUT

    # -- items ----------------------------------------------------------------------------

    def split(self, item: Item, offset: int) -> Item:
        """Split an item at a source offset; returns the new second item."""
        segments = self.segments(item)
        first = [(a, min(b, offset)) for a, b in segments if a < offset]
        second = [(max(a, offset), b) for a, b in segments if b > offset]
        first = [(a, b) for a, b in first if self.source[a:b].strip()]
        second = [(a, b) for a, b in second if self.source[a:b].strip()]
        if not first or not second:
            raise ReviewError("split-at-edge")
        indicators = item.indicators
        chapter = self.chapter_of(item)
        new = Item(item.number + 1, "", "", section=item.section, line=self._line_of(second[0][0]))
        chapter.items.insert(_index(chapter.items, item) + 1, new)
        self._rebuild(item, first, indicators)
        self._rebuild(new, second, indicators)
        return new

    def join(self, item: Item) -> Item:
        """Join an item with the one after it in its chapter; returns the joined item."""
        chapter = self.chapter_of(item)
        index = _index(chapter.items, item)
        if index + 1 >= len(chapter.items):
            raise ReviewError("nothing-to-join")
        other = chapter.items.pop(index + 1)
        segments = sorted(self.segments(item) + self.segments(other))
        self._segments.pop(id(other), None)
        self._rebuild(item, segments, item.indicators + other.indicators)
        return item

    def remove_item(self, item: Item) -> None:
        for a, _b in self.segments(item):
            number = self._line_of(a)
            self.unplaced[number] = MARKED_OUT
        self._remove_item(item)

    # -- targets --------------------------------------------------------------------------

    def add_target(self, start: int, end: int) -> Indicator:
        """A target from a phrase the clerk selected in the source (offsets), filled in with
        what the parser reads in that phrase; the phrase must lie inside an item."""
        phrase = self.source[start:end]
        lead = len(phrase) - len(phrase.lstrip())
        phrase = phrase.strip()
        start += lead
        end = start + len(phrase)
        if not phrase:
            raise ReviewError("empty-selection")
        item = self.item_at(start)
        if item is None:
            raise ReviewError("outside-items")
        found = extract_indicators(phrase)
        if found:
            read = found[0]
            read.text = phrase
            read.span = None
        else:
            read = Indicator(phrase[:40], None, "")  # type: ignore[arg-type]  # value to fill in
            read.text = phrase
        read.source_span = (start, end)
        read.span = _span_in(item.text, phrase)
        self._removed.discard(read.source_span)
        item.indicators.append(read)
        item.indicators.sort(key=_source_start)
        return read

    def update_target(self, indicator: Indicator, **fields: object) -> None:
        """Fix a target: ``value`` (a number or what a clerk typed, "4.2万"), ``unit``,
        ``comparator`` (">=", "<=", "=", "~"), ``kind``, ``name``, ``stretch_value``."""
        for field, value in fields.items():
            if field in ("value", "stretch_value"):
                if isinstance(value, str):
                    value = parse_number(value, str(fields.get("unit", indicator.unit)))
                setattr(indicator, field, None if value is None else float(value))  # type: ignore[arg-type]
            elif field == "comparator":
                indicator.comparator = Comparator(value)
            elif field == "kind":
                indicator.kind = Kind(value)
            elif field in ("unit", "name"):
                setattr(indicator, field, str(value).strip())
            else:
                raise ReviewError(f"unknown-field:{field}")

    def remove_target(self, indicator: Indicator) -> None:
        for item in self.items():
            if any(i is indicator for i in item.indicators):
                item.indicators = [i for i in item.indicators if i is not indicator]
        if indicator.source_span:
            self._removed.add(indicator.source_span)

    # -- the plan's own fields, and the end -----------------------------------------------

    def set_title(self, title: str) -> None:
        self.plan.title = title.strip()

    def set_year(self, year: int) -> None:
        if not 1900 <= int(year) <= 2200:
            raise ReviewError("bad-year")
        self.plan.year = int(year)

    def set_issuer(self, issuer: str) -> None:
        self.plan.issuer = issuer.strip() or None

    def problems(self) -> list[str]:
        """What stops a save: "no-title", "no-items", "target-without-value"."""
        found = []
        if not self.plan.title.strip():
            found.append("no-title")
        if not self.items():
            found.append("no-items")
        if any(ind.value is None for ind in self.plan.indicators()):
            found.append("target-without-value")
        return found

    def finished(self) -> Plan:
        """The corrected plan, ready for the store (raises if :meth:`problems` remain)."""
        problems = self.problems()
        if problems:
            raise ReviewError(problems[0])
        plan = copy.deepcopy(self.plan)
        plan.chapters = [c for c in plan.chapters if c.items or c.title]
        assign_keys(plan)
        return plan

    # -- helpers --------------------------------------------------------------------------

    def _line_of(self, offset: int) -> int:
        index = bisect.bisect_right(self._starts, offset) - 1
        return self._ordered[index].number if index >= 0 else 0

    def _place(self, item: Item) -> None:
        """Put a new item where its line lies: in the chapter above, in source order."""
        line = item.line or 0
        chapters = [c for c in self.plan.chapters if (c.line or 0) <= line]
        if not self.plan.chapters:
            self.plan.chapters.append(Chapter("", ""))
        chapter = chapters[-1] if chapters else self.plan.chapters[0]
        at = next(
            (i for i, it in enumerate(chapter.items) if (it.line or 0) > line), len(chapter.items)
        )
        previous = chapter.items[at - 1] if at else None
        item.number = previous.number + 1 if previous is not None else 1
        chapter.items.insert(at, item)

    def _remove_item(self, item: Item) -> None:
        chapter = self.chapter_of(item)
        chapter.items = [i for i in chapter.items if i is not item]
        self._segments.pop(id(item), None)

    def _drop_chapter(self, chapter: Chapter) -> None:
        """A heading that is not one: its items join the chapter above (or an unnamed one)."""
        index = _index(self.plan.chapters, chapter)
        self.plan.chapters.pop(index)
        if index:
            self.plan.chapters[index - 1].items.extend(chapter.items)
        elif chapter.items:
            self.plan.chapters.insert(0, Chapter("", "", items=chapter.items))

    def _rebuild(self, item: Item, segments: list[Segment], indicators: list[Indicator]) -> None:
        """An item's text, title, spans and targets read again from its source segments;
        targets the clerk kept (added, fixed) that fall inside it stay as they are."""
        segments = sorted(segments)
        pieces: list[tuple[str, str, int]] = []
        for index, (a, b) in enumerate(segments):
            text = self.source[a:b]
            if index == 0:
                kind, value, body = marker(text)
                if kind in (ITEM_LINE, NUMBER, SUBITEM, SECTION) and body:
                    item.number = value or item.number
                    a, text = a + body, text[body:]
            elif pieces and pieces[-1][0] and pieces[-1][0][-1] in _TERMINAL:
                pieces.append(("\n", "\n", -1))
            pieces.append((text, fold(text), a))
        fragments = Fragments(pieces)
        item.text = fragments.text
        item.title = first_sentence(item.text) or item.text[:40]
        item.source_span = fragments.source_span()
        self._segments[id(item)] = segments
        inside = [ind for ind in indicators if _within(ind.source_span, segments)]
        for ind in inside:
            ind.span = _span_in(item.text, ind.text)
        fresh = [
            ind
            for ind in extract_fragments(fragments)
            if ind.source_span not in self._removed
            and not any(_overlaps(ind.source_span, old.source_span) for old in inside)
        ]
        item.indicators = sorted(inside + fresh, key=_source_start)


def _index(seq: list, obj: object) -> int:
    return next(i for i, x in enumerate(seq) if x is obj)


def _within(span: tuple[int, int] | None, segments: list[Segment]) -> bool:
    return span is not None and any(a <= span[0] < b for a, b in segments)


def _overlaps(a: tuple[int, int] | None, b: tuple[int, int] | None) -> bool:
    return a is not None and b is not None and a[0] < b[1] and b[0] < a[1]


def _span_in(text: str, phrase: str) -> tuple[int, int] | None:
    at = text.find(phrase) if phrase else -1
    return (at, at + len(phrase)) if at >= 0 else None


def _source_start(ind: Indicator) -> int:
    return ind.source_span[0] if ind.source_span else -1
