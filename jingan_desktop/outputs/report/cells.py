"""Cells of the long tables: a plain string where the text fits on one line, a wrapping
paragraph only where it must wrap.

A 2,000-item plan's chapter tables hold 12,000 rows of eight cells. As paragraphs, each cell
was parsed as markup, measured by ``wrap`` whenever a table split at a page break, and drawn
through reportlab's paragraph machinery: most of the report's time, for cells like "6.1",
"54.2%" and "正常". A plain string is measured once here and drawn by the table with one
``drawString``, in the same font, size, colour and alignment (the table's style carries them
per column), with the baseline where a one-line paragraph puts it. User text that is plain
is never parsed as markup, so nothing in it can act as a tag.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import LongTable

from .styles import PDF_FONT, CellParagraph
from .text import is_plain, markup

PADDING = 6  # reportlab's default left and right padding of a table cell
SIZE, LEADING = 8, 10.5  # the cells' type (Styles.cell and its centred and right forms)


class Cells:
    """Makes the cells of one table whose columns are ``widths`` points wide."""

    def __init__(self, widths: Sequence[float]) -> None:
        self.room = [w - 2 * PADDING for w in widths]

    def __call__(self, column: int, text: str, style: ParagraphStyle) -> Any:
        """``text`` (user text, not markup) in ``column``, as ``style`` would set it."""
        fits = (
            style.fontSize == SIZE
            and style.leading == LEADING
            and is_plain(text)
            and stringWidth(text, PDF_FONT, SIZE) <= self.room[column]
        )
        return text if fits else CellParagraph(markup(text), style)

    @staticmethod
    def style(centred: Sequence[int], right: Sequence[int], ink: Any) -> list[tuple[Any, ...]]:
        """What a plain cell takes from the table (below the header row): the cells' type
        and colour, and each column's alignment."""
        commands: list[tuple[Any, ...]] = [
            ("FONTSIZE", (0, 1), (-1, -1), SIZE),
            ("LEADING", (0, 1), (-1, -1), LEADING),
            ("TEXTCOLOR", (0, 1), (-1, -1), ink),
        ]
        commands += [("ALIGN", (c, 1), (c, -1), "CENTER") for c in centred]
        commands += [("ALIGN", (c, 1), (c, -1), "RIGHT") for c in right]
        return commands


class LongCellTable(LongTable):
    """A long table that leaves its empty cells alone (a fifth of a big plan's cells: an
    indicator row has no department, most have no note) instead of drawing "" in each."""

    def _drawCell(self, cellval: Any, cellstyle: Any, pos: Any, size: Any) -> None:
        if cellval.__class__ is str and not cellval:
            return
        super()._drawCell(cellval, cellstyle, pos, size)


def merged(commands: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Table style commands with the one-cell ones (a status cell's fill and ink) merged
    into runs down their column, after the rest (so they still win over a row's fill).

    A long table re-applies every command to what remains of it at each page break; 12,000
    rows' worth of one-cell commands made that the second cost of a big report."""
    spanning: list[tuple[Any, ...]] = []
    runs: list[list[Any]] = []  # [name, column, first row, last row, args]
    last: dict[tuple[Any, ...], list[Any]] = {}
    for command in commands:
        name, start, end, *args = command
        if start != end or start[0] < 0 or start[1] < 0:
            spanning.append(command)
            continue
        column, row = start
        key = (name, column, *args)
        run = last.get(key)
        if run is not None and run[3] == row - 1:
            run[3] = row
        else:
            run = [name, column, row, row, args]
            runs.append(run)
            last[key] = run
    return spanning + [
        (name, (column, first), (column, end), *args) for name, column, first, end, args in runs
    ]
