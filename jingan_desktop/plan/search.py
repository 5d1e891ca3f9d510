"""Finding rows: which chapters, items and indicators the tree shows for a search text, a
department and a status filter (the workspace's ``RowFilter``).

Plain Python over the open file's rows (no Qt proxy calling back for every row): each row's
haystack is built once, a keystroke is one ``in`` per candidate row, and a text that grows
looks only at the rows the shorter text matched.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from itertools import chain
from operator import itemgetter
from typing import Any, ClassVar, Protocol

from .model import Chapter, Indicator, Item, PlanData, Progress
from .progress import Evaluation, Rag


class Rows(Protocol):
    """What the filter reads of the open file (the workspace)."""

    data: PlanData
    quarter: int
    chapters: Mapping[str, Chapter]
    items: Mapping[str, Item]
    indicators: Mapping[str, Indicator]

    def progress_of(self, item_id: str, quarter: int | None = None) -> Progress | None: ...

    def evaluation(self, row_id: str) -> Evaluation: ...


def search_text(parts: Iterable[str | None]) -> str:
    """What a search looks in: the parts, full-width letters, digits and signs folded to plain
    ones (NFKC: "ＧＤＰ１２％" is "GDP12%") and case folded."""
    return unicodedata.normalize("NFKC", " ".join(p for p in parts if p)).casefold()


_ID = itemgetter(0)
LAYOUT_STEP = 3000  # rows laid out between two pauses of RowFilter.warm
_DONE = object()
_SEPARATOR = "\x1f"  # between an item's own text and its progress text: never in a needle


@dataclass
class _TextHits:
    """What one search text matched (the department filter applied): the base that a longer
    text narrows, since a row that does not contain "指标" cannot contain "指标1"."""

    chapters: list[list[str]]  # [id, haystack]
    items: list[list[Any]]  # [id, chapter id, haystack, lead, co-departments]
    indicators: list[list[str]]  # [id, item id, haystack]


class RowFilter:
    """Which rows the tree shows for a search text, a department and a status filter.

    Kept here (not in the Qt proxy) so it is plain Python and cheap: each row's haystack is
    built once (until the plan changes), a keystroke is one ``in`` per candidate row, and a
    text that grows only looks at the rows the shorter text matched.
    """

    STATUS_FILTERS: ClassVar[dict[str, str]] = {
        "": "全部状态",
        "red": "只看滞后",
        "amber": "只看预警及滞后",
        "grey": "只看未填报",
        "green": "只看正常",
    }
    RECENT = 16  # searches kept to narrow from (typing on, or back after a backspace)

    def __init__(self, workspace: Rows) -> None:
        self.workspace = workspace
        self._rows: dict[str, list[Any]] = {}
        self._all: _TextHits | None = None
        self._below: frozenset[str] = frozenset()  # every item's and indicator's id
        self._unfilled: list[list[Any]] = []  # the entries whose haystack is still to build
        self._laying: Iterator[bool] | None = None  # the entries being laid out (see warm)
        self._built_for: tuple[int, int] | None = None
        self._recent: dict[tuple[str, str], _TextHits] = {}
        # The sets handed out for recent searches, by what they were made from: the same rows
        # asked for again get the very same set (which the tree knows already).
        self._found: dict[tuple[int, str, str], tuple[_TextHits, frozenset[str]]] = {}

    def invalidate(self, row_ids: Iterable[str] | None = None) -> None:
        """The given rows changed (all rows when None): their haystacks are built again."""
        self._recent.clear()
        self._found.clear()
        if row_ids is None or self._all is None:
            self._all = None
            return
        for row_id in row_ids:
            entry = self._rows.get(row_id)
            if entry is None:
                self._all = None  # a row new to the filter: build everything again
                return
            self._fill(entry)

    def warm(self, rows: int | None = None) -> bool:
        """Build the rows' haystacks now (after opening), not on the first keystroke: all
        of them, or about ``rows`` more (a big plan's, a slice at a time, so that the window
        never stops for them). True once every row's is built."""
        if rows is None:
            self._index()
            return True
        if not self._current():
            self._start_layout()
        if self._laying is not None:
            for _ in range(max(1, rows // LAYOUT_STEP)):  # first every row's entry …
                if next(self._laying, _DONE) is _DONE:
                    self._laying = None
                    break
            return False
        chunk, self._unfilled = self._unfilled[:rows], self._unfilled[rows:]
        for entry in chunk:  # … then their haystacks
            self._fill(entry)
        return not self._unfilled

    def _current(self) -> bool:
        ws = self.workspace
        return self._all is not None and self._built_for == (id(ws.data), ws.quarter)

    def _index(self) -> _TextHits:
        if not self._current():
            self._start_layout()
        if self._laying is not None:
            for _ in self._laying:
                pass
            self._laying = None
        if self._unfilled:
            for entry in self._unfilled:
                self._fill(entry)
            self._unfilled = []
        assert self._all is not None
        return self._all

    def _start_layout(self) -> None:
        self._recent.clear()
        self._found.clear()
        self._all = _TextHits([], [], [])
        self._rows, self._unfilled = {}, []
        self._built_for = (id(self.workspace.data), self.workspace.quarter)
        self._laying = self._lay_out(self._all, self._rows, self._unfilled)

    def _lay_out(
        self, hits: _TextHits, rows: dict[str, list[Any]], unfilled: list[list[Any]]
    ) -> Iterator[bool]:
        """Every row's entry, its haystack still to build (see _fill); pauses after every
        LAYOUT_STEP rows or so (at the end of a chapter)."""
        chapters, items, indicators = hits.chapters, hits.items, hits.indicators
        laid = 0
        for chapter_id, chapter in self.workspace.chapters.items():
            chapters.append([chapter_id, None])
            rows[chapter_id] = ["chapter", chapters[-1]]
            for item in chapter.items:
                if not item.id:
                    continue
                items.append([item.id, chapter_id, None, None, None])
                rows[item.id] = ["item", items[-1]]
                for indicator in item.indicators:
                    if indicator.id:
                        indicators.append([indicator.id, item.id, None])
                        rows[indicator.id] = ["indicator", indicators[-1]]
            if len(rows) - laid >= LAYOUT_STEP:
                laid = len(rows)
                yield True
        unfilled.extend(rows.values())
        self._below = frozenset(e[0] for e in chain(items, indicators))

    def _fill(self, entry: list[Any]) -> None:
        """(Re)build one row's haystack (and an item's departments) from the workspace."""
        ws, (kind, row) = self.workspace, entry
        if kind == "chapter":
            chapter = ws.chapters[row[0]]
            row[1] = search_text((chapter.numeral, chapter.title))
        elif kind == "indicator":
            ind = ws.indicators[row[0]]
            row[2] = search_text((ind.name, ind.text, ind.unit))
        else:
            item = ws.items[row[0]]
            own = (str(item.number), item.title, item.text, item.lead_department)
            progress = ws.progress_of(row[0])
            row[2] = (
                search_text((*own, *item.co_departments))
                + _SEPARATOR
                + search_text((progress.text if progress else "",))
            )
            row[3], row[4] = item.lead_department, frozenset(item.co_departments)

    def _status_ok(self, row_id: str, status: str) -> bool:
        rag = self.workspace.evaluation(row_id).status
        if status == "amber":
            return rag in (Rag.AMBER, Rag.RED)
        return rag.value == status

    def _text_hits(self, needle: str, department: str) -> _TextHits:
        """The rows whose own text (or their item's, or chapter's) holds ``needle``, among the
        department's; narrowed from the smallest earlier result that is sure to hold them."""
        key = (needle, department)
        hits = self._recent.get(key)
        if hits is not None:
            return hits
        bases = [h for (n, d), h in self._recent.items() if d == department and n and n in needle]
        if bases:
            base = min(bases, key=lambda h: len(h.items) + len(h.indicators))
        elif department:
            base = self._text_hits("", "")
            items = [e for e in base.items if e[3] == department or department in e[4]]
            kept = {e[0] for e in items}
            base = _TextHits(base.chapters, items, [e for e in base.indicators if e[1] in kept])
        else:
            base = self._index()
        if needle:
            chapters = [e for e in base.chapters if needle in e[1]]
            chapter_ids = {e[0] for e in chapters}
            items = [e for e in base.items if e[1] in chapter_ids or needle in e[2]]
            item_ids = {e[0] for e in items}
            indicators = [e for e in base.indicators if e[1] in item_ids or needle in e[2]]
            same = (len(chapters), len(items), len(indicators)) == (
                len(base.chapters),
                len(base.items),
                len(base.indicators),
            )
            hits = base if same else _TextHits(chapters, items, indicators)
        else:
            hits = base
        if len(self._recent) >= self.RECENT:
            self._recent.pop(next(iter(self._recent)))
        self._recent[key] = hits
        return hits

    def matching(
        self, text: str = "", department: str = "", status: str = ""
    ) -> frozenset[str] | None:
        """Ids of the rows that match (their ancestors are shown by the view); None: all.
        A search that matches the same rows as the one before returns the very same set."""
        needle = search_text((text.strip(),)).strip().replace(_SEPARATOR, "")
        if not needle and not department and not status:
            return None
        hits = self._text_hits(needle, department)
        key = (id(hits), department, status)
        known = self._found.get(key)
        if known is not None and known[0] is hits:
            return known[1]
        every = self._index()
        if status:
            ok = self._status_ok
            rows = chain(hits.items, hits.indicators)
            result = frozenset(e[0] for e in rows if ok(e[0], status))
        elif len(hits.items) == len(every.items) and len(hits.indicators) == len(every.indicators):
            # Every item and indicator matched (the first, broad keystroke): no set row by row.
            result = self._below if department else self._below.union(map(_ID, hits.chapters))
        else:
            parts = [hits.items, hits.indicators, [] if department else hits.chapters]
            result = frozenset(map(_ID, chain.from_iterable(parts)))
        if len(self._found) >= self.RECENT:
            self._found.pop(next(iter(self._found)))
        self._found[key] = (hits, result)
        return result
