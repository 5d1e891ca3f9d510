"""A chapter's table laid out one page at a time.

reportlab splits a long table at a page break into the page's part and a new table of all
the rows that remain, every cell's style and every style command made again for them; a
chapter of 600 rows over 25 pages was copied 25 times, and the copies were most of a big
report's layout time. :class:`PagedTable` keeps the rows in a list, measures each row once
(the same sum reportlab makes: the tallest cell plus the padding) and at each page break
makes a table of only the rows that fit, with the header row on top and each row's style
commands moved to its place, and keeps the rest as another PagedTable over the same list.

Each page's table is measured by reportlab before it is placed, so an estimate never puts
more on a page than fits. A row taller than a whole page (a very long note) is left to
reportlab's own row splitting, for what remains of that chapter.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from reportlab.platypus import Flowable

from .cells import LEADING, PADDING, LongCellTable, merged
from .styles import table_style

Command = tuple[Any, ...]


@dataclass
class Rows:
    """The table's rows (shared by the PagedTables of one chapter)."""

    header: list[Any]
    cells: list[list[Any]]
    commands: list[list[Command]]  # per row; row numbers 0 = this row
    base: list[Command]  # for the whole table (the header row is row 0)
    widths: list[float]
    padding: float  # top + bottom padding of a cell
    page: float  # the height of a whole page's frame
    heights: list[float] | None = None


def _shift(command: Command, row: int) -> Command:
    name, (c0, r0), (c1, r1), *args = command
    return (name, (c0, r0 + row), (c1, r1 + row), *args)


class PagedTable(Flowable):
    """Rows ``start``… of ``rows`` under their header row; splits a page at a time."""

    def __init__(self, rows: Rows, start: int = 0) -> None:
        super().__init__()
        self.rows = rows
        self.start = start
        self.width = sum(rows.widths)
        self._whole: LongCellTable | None = None  # the rest, when it fits

    def table(self, end: int, split_in_row: int = 0) -> LongCellTable:
        """Header and rows ``start`` to ``end``, with their style commands."""
        rows = self.rows
        commands = list(rows.base)
        for offset, index in enumerate(range(self.start, end), 1):
            commands += [_shift(c, offset) for c in rows.commands[index]]
        # Each row's height as measured once (reportlab would wrap every cell of the page
        # again); a table split inside a row is left to reportlab to measure.
        heights = self._heights()
        return LongCellTable(
            [rows.header, *rows.cells[self.start : end]],
            colWidths=rows.widths,
            rowHeights=None if split_in_row else [heights[0], *heights[1 + self.start : 1 + end]],
            repeatRows=1,
            splitInRow=split_in_row,
            style=table_style(merged(commands)),
        )

    def _heights(self) -> list[float]:
        rows = self.rows
        if rows.heights is None:
            rows.heights = [self._height(cells) for cells in [rows.header, *rows.cells]]
        return rows.heights

    def _height(self, cells: Sequence[Any]) -> float:
        """What reportlab makes of a row: its tallest cell, plus the padding."""
        tallest = 0.0
        for cell, width in zip(cells, self.rows.widths, strict=True):
            if isinstance(cell, Flowable):
                tallest = max(tallest, cell.wrap(width - 2 * PADDING, 72000)[1])
            else:  # a plain cell, even an empty one, is a line of LEADING
                tallest = max(tallest, LEADING * (str(cell).count("\n") + 1))
        return tallest + self.rows.padding

    def _estimate(self, end: int) -> float:
        heights = self._heights()
        return heights[0] + sum(heights[1 + self.start : 1 + end])

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        end = len(self.rows.cells)
        estimate = self._estimate(end)
        if estimate > availHeight:
            self._whole = None
            self.height = estimate
            return self.width, estimate
        self._whole = self.table(end)
        self.width, self.height = self._whole.wrapOn(self.canv, availWidth, availHeight)
        return self.width, self.height

    def split(self, availWidth: float, availHeight: float) -> list[Flowable]:
        heights = self._heights()
        room = availHeight - heights[0]
        end = self.start
        while end < len(self.rows.cells) and heights[1 + end] <= room:
            room -= heights[1 + end]
            end += 1
        while end > self.start:
            page = self.table(end)
            if page.wrapOn(self.canv, availWidth, availHeight)[1] <= availHeight:
                return [page, PagedTable(self.rows, end)]
            end -= 1
        if heights[0] + heights[1 + self.start] <= self.rows.page:
            return []  # the next row fits on the next page: go there
        # A row taller than the room: reportlab splits it inside the row, and the rest.
        rest = self.table(len(self.rows.cells), split_in_row=1)
        rest.canv = self.canv
        return rest.split(availWidth, availHeight)

    def draw(self) -> None:
        whole = self._whole or self.table(len(self.rows.cells))
        if self._whole is None:
            whole.wrapOn(self.canv, self.width, self.height)
        whole.drawOn(self.canv, 0, 0)
