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
from reportlab.pdfgen.textobject import PDFTextObject
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
            ("FONT", (0, 1), (-1, -1), PDF_FONT, SIZE, LEADING),  # one pass over the cells
            ("TEXTCOLOR", (0, 1), (-1, -1), ink),
        ]
        commands += [("ALIGN", (c, 1), (c, -1), "CENTER") for c in centred]
        commands += [("ALIGN", (c, 1), (c, -1), "RIGHT") for c in right]
        return commands


class LongCellTable(LongTable):
    """A long table that draws its plain one-line cells in one PDF text object, and leaves
    its empty cells alone (a fifth of a big plan's cells: an indicator row has no department,
    most have no note).

    reportlab draws each plain cell with ``drawString``: a text object of its own, a state
    saved and restored, the string measured even where it is set flush left. Here they are
    set as reportlab sets them (the same font, size, colour, alignment and baseline) in one
    text object per table, drawn after the other cells and before the grid lines, as the
    table draws them; the few cells that need more (lines, links, other directions) are
    drawn by reportlab as before."""

    _plain: list[tuple[str, Any, Any, Any]] | None = None

    def draw(self) -> None:
        self._plain = []
        try:
            super().draw()
        finally:
            self._plain = None

    def _drawCell(self, cellval: Any, cellstyle: Any, pos: Any, size: Any) -> None:
        if cellval.__class__ is str:
            if not cellval:
                return
            plain = self._plain
            if plain is not None and _simple(cellval, cellstyle):
                plain.append((cellval, cellstyle, pos, size))
                return
        super()._drawCell(cellval, cellstyle, pos, size)

    def _drawLines(self) -> None:
        if self._plain:
            _set_plain(self.canv, self._plain)
            self._plain = []
        super()._drawLines()


_ALIGNMENTS = frozenset({"LEFT", "RIGHT", "CENTRE", "CENTER"})
_VALIGNS = frozenset({"TOP", "MIDDLE", "BOTTOM"})


def _simple(text: str, style: Any) -> bool:
    """A cell reportlab would set with one drawString and nothing else."""
    return (
        "\n" not in text
        and style.alignment in _ALIGNMENTS
        and style.valign in _VALIGNS
        and not (style.href or style.destination or style.direction or style.shaping)
    )


_WIDTHS: dict[tuple[str, str, float], float] = {}  # the strings a report repeats: 正常, —, …


def _width(text: str, font: str, size: float) -> float:
    key = (text, font, size)
    width = _WIDTHS.get(key)
    if width is None:
        if len(_WIDTHS) > 50_000:
            _WIDTHS.clear()
        width = _WIDTHS[key] = stringWidth(text, font, size)
    return width


class _CellText(PDFTextObject):
    """A text object that encodes a string it has encoded before in the same document (the
    status words, the dashes, the percentages a report repeats thousands of times) from a
    note on the canvas: the same operators, from the same font subset state."""

    def _formatText(self, text: str) -> str:
        notes = self._canvas.__dict__.setdefault("_jingan_encoded", {})
        key = (text, self._fontname, self._fontsize, self._leading, self._curSubset)
        known = notes.get(key)
        if known is None:
            encoded = super()._formatText(text)
            notes[key] = (encoded, self._curSubset)
            return encoded
        encoded, self._curSubset = known
        return encoded


def _set_plain(canv: Any, cells: list[tuple[str, Any, Any, Any]]) -> None:
    """Set the cells' strings where Table._drawCell would put them, in one text object."""
    text = _CellText(canv)
    font: tuple[str, float, float] | None = None
    colour: Any = None
    for value, style, (x0, y0), (width, height) in cells:
        wanted = (style.fontname, style.fontsize, style.leading)
        if wanted != font:
            text.setFont(*wanted)
            font = wanted
        if style.color is not colour:
            text.setFillColor(style.color)
            colour = style.color
        just, size = style.alignment, style.fontsize
        if just == "LEFT":
            x = x0 + style.leftPadding
        elif just == "RIGHT":
            x = x0 + width - style.rightPadding - _width(value, style.fontname, size)
        else:
            centre = x0 + (width + style.leftPadding - style.rightPadding) * 0.5
            x = centre - 0.5 * _width(value, style.fontname, size)
        valign = style.valign
        if valign == "TOP":
            y = y0 + height - style.topPadding - size
        elif valign == "BOTTOM":
            y = y0 + style.bottomPadding + style.leading - size
        else:
            y = y0 + (style.bottomPadding + height - style.topPadding + style.leading) / 2.0 - size
        text.setTextOrigin(x, y)
        text.textLine(value)
    canv.drawText(text)


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
