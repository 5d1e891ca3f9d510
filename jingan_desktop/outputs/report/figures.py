"""The report's charts, drawn as vector graphics by reportlab in the bundled font.

The bars, pace marks, axes and labels are PDF paths and text, not pictures: sharp at any zoom
and in print, searchable, a few kilobytes, and drawn in milliseconds. The PDF needs no
matplotlib (importing it and drawing 22 figures through a constrained layout, then as PNGs,
was more than half of a report's time). The figures and wording are the charts tab's
(``chart_rows``). Every label's width is measured in the font, so the axis labels get the
room they need and the figures right of the bars stay inside the drawing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from reportlab.graphics.shapes import Drawing, Group, Line, Rect, String
from reportlab.lib import colors
from reportlab.pdfbase.pdfmetrics import stringWidth

from ...plan.model import Chapter, Item
from ..chart_rows import (
    PACE_COLOUR,
    RAG_COLOURS,
    BarRow,
    Evaluated,
    chapter_rows,
    item_rows,
    status_bars,
    value_limit,
)
from .styles import INK, MUTED, PDF_FONT

CHART_ITEMS = 20  # bars in a chapter's chart; a longer chapter charts its slowest items

AXIS = colors.HexColor("#404040")
GRID = colors.HexColor("#dedede")
PACE = colors.HexColor(PACE_COLOUR)
FILLS = {rag: colors.HexColor(colour) for rag, colour in RAG_COLOURS.items()}
NICE_STEPS = (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000)


@dataclass(frozen=True)
class BarLook:
    """Sizes (points) of one horizontal bar chart."""

    row: float  # height of a row
    label: float  # font size of the axis labels (left)
    text: float  # font size of the figures right of the bars and of the x axis
    bar: float = 0.62  # a bar's share of its row
    pace: float = 0.42  # half the pace mark's height, in rows
    pace_width: float = 1.6
    floor: float = 115.0  # the value axis reaches at least this (%)
    room: float = 15.0  # and this beyond the longest bar
    title: float = 10.0


CHAPTER_LOOK = BarLook(row=19, label=7.8, text=7.6, bar=0.6, pace=0.4, pace_width=2, floor=110, room=12)  # fmt: skip
ITEM_LOOK = BarLook(row=16, label=8.2, text=7.8)
XLABEL = "完成率（%）　竖线：本季度应达进度"


def _text(x: float, y: float, text: str, size: float, anchor: str = "start", ink=INK) -> String:
    return String(x, y, text, fontName=PDF_FONT, fontSize=size, fillColor=ink, textAnchor=anchor)


def _drawing(width: float, height: float) -> Drawing:
    """A drawing whose initial font is the bundled one (reportlab's default, Helvetica, would
    be referenced without being embedded)."""
    drawing = Drawing(width, height)
    drawing.initialFontName = PDF_FONT
    drawing.initialFontSize = 8
    return drawing


def _ticks(limit: float, most: int = 6) -> list[float]:
    step = next((s for s in NICE_STEPS if limit / s <= most), NICE_STEPS[-1])
    return [step * k for k in range(int(limit // step) + 1)]


def _tick_text(value: float) -> str:
    return f"{value:g}"


def bar_chart(rows: Sequence[BarRow], width: float, look: BarLook, title: str = "") -> Drawing:
    """Horizontal bars of completion (in their status colour) against the quarter's pace
    (navy marks), one row each, top to bottom in the order given."""
    limit = value_limit(list(rows), look.floor, look.room)
    left = max((stringWidth(r.label, PDF_FONT, look.label) for r in rows), default=0) + 7
    top = look.title + 10 if title else 6
    bottom = 2 * look.text + 14  # tick figures and the axis label
    plot_height = look.row * (len(rows) + 0.2)
    height = top + plot_height + bottom
    plot_width = width - left - 4
    for row in rows:  # the figures right of the bars stay inside the drawing
        share = max(row.value or 0.0, row.pace or 0.0) / limit
        if share > 0:
            room = width - 2 - left - 3 - stringWidth(row.text, PDF_FONT, look.text)
            plot_width = min(plot_width, room / share)
    drawing = _drawing(width, height)
    base, peak = bottom, bottom + plot_height

    def x(value: float) -> float:
        return left + plot_width * max(0.0, value) / limit

    for tick in _ticks(limit):
        drawing.add(Line(x(tick), base, x(tick), peak, strokeColor=GRID, strokeWidth=0.5))
        drawing.add(Line(x(tick), base, x(tick), base - 3, strokeColor=AXIS, strokeWidth=0.6))
        drawing.add(_text(x(tick), base - 4 - look.text, _tick_text(tick), look.text, "middle"))
    for index, row in enumerate(rows):
        middle = peak - look.row * (index + 0.6)
        half = look.row * look.bar / 2
        if row.value:
            drawing.add(
                Rect(left, middle - half, x(row.value) - left, 2 * half,
                     fillColor=FILLS[row.status], strokeColor=None)
            )  # fmt: skip
        if row.pace is not None:
            mark = look.row * look.pace
            drawing.add(
                Line(x(row.pace), middle - mark, x(row.pace), middle + mark,
                     strokeColor=PACE, strokeWidth=look.pace_width)
            )  # fmt: skip
        end = x(max(row.value or 0.0, row.pace or 0.0)) + 3
        drawing.add(_text(end, middle - 0.35 * look.text, row.text, look.text))
        drawing.add(Line(left - 3, middle, left, middle, strokeColor=AXIS, strokeWidth=0.6))
        drawing.add(_text(left - 5, middle - 0.35 * look.label, row.label, look.label, "end"))
    drawing.add(Line(left, base, left, peak, strokeColor=AXIS, strokeWidth=0.8))
    drawing.add(Line(left, base, left + plot_width, base, strokeColor=AXIS, strokeWidth=0.8))
    drawing.add(_text(left + plot_width / 2, 4, XLABEL, look.text, "middle"))
    if title:
        drawing.add(_text(left + plot_width / 2, height - look.title - 2, title, look.title, "middle"))  # fmt: skip
    return drawing


def chapter_items_drawing(
    scope: Evaluated, chapter: Chapter, width: float, items: Sequence[Item] | None = None
) -> Drawing:
    """One chapter's items (or the given ones of them) against the quarter's pace."""
    shown = list(chapter.items if items is None else items)
    return bar_chart(item_rows(scope, shown), width, ITEM_LOOK)


def chapters_drawing(scope: Evaluated, width: float) -> Drawing:
    """Each chapter's completion against pace, titled with the quarter."""
    title = f"各章节完成情况 · {scope.quarter_label}"
    return bar_chart(chapter_rows(scope), width, CHAPTER_LOOK, title)


def status_drawing(scope: Evaluated, width: float, height: float) -> Drawing:
    """How many indicators are in each status: a column each, its count on top."""
    counted = status_bars(scope)
    title, size = f"指标状态分布 · {scope.quarter_label}", 8.5
    highest = max((n for _rag, n in counted), default=0)
    ticks = _ticks(max(1.0, highest * 1.15))
    ticks = [t for t in ticks if t == int(t)]  # whole indicators only
    limit = max(highest * 1.15, ticks[-1], 1.0)
    left = max(stringWidth(_tick_text(t), PDF_FONT, 7) for t in ticks) + 7 + 11  # + "指标数"
    base, peak = 16, height - size - 12
    plot_width = width - left - 4
    drawing = _drawing(width, height)

    def y(value: float) -> float:
        return base + (peak - base) * value / limit

    for tick in ticks:
        drawing.add(Line(left - 3, y(tick), left, y(tick), strokeColor=AXIS, strokeWidth=0.6))
        drawing.add(_text(left - 5, y(tick) - 2.4, _tick_text(tick), 7, "end"))
    slot = plot_width / len(counted)
    for index, (rag, count) in enumerate(counted):
        middle = left + slot * (index + 0.5)
        if count:
            drawing.add(
                Rect(middle - slot * 0.4, base, slot * 0.8, y(count) - base,
                     fillColor=FILLS[rag], strokeColor=None)
            )  # fmt: skip
        drawing.add(_text(middle, y(count) + 2, str(count), 8, "middle"))
        drawing.add(_text(middle, base - 10, rag.label, 7.5, "middle"))
    drawing.add(Line(left, base, left, peak, strokeColor=AXIS, strokeWidth=0.8))
    drawing.add(Line(left, base, left + plot_width, base, strokeColor=AXIS, strokeWidth=0.8))
    # The axis label turned a quarter left (its baseline runs up at x = 9).
    drawing.add(Group(_text(0, 0, "指标数", 7, "middle", MUTED), transform=(0, 1, -1, 0, 9, (base + peak) / 2)))  # fmt: skip
    drawing.add(_text(left + plot_width / 2, height - size - 2, title, size, "middle"))
    return drawing
