"""The quarterly progress report as a PDF (reportlab + matplotlib; no Qt).

:func:`build_report` writes, for the workspace's quarter:

* a **cover** (plan title, quarter, "季度工作进展报告", the department when the report is for
  one, the issuing office and the date);
* a **summary** (portrait): overall completion against the quarter's pace, indicators and
  items by status, the status chart, the lagging (red) items first, then completion by chapter;
* per **chapter** (landscape, for the wide table): a heading, the chapter's figures, a chart of
  its items' completion against pace, and a table of items and indicators (编号, 名称, 目标,
  截至本期实际, 完成率, 状态, 责任单位, 进展情况). Long cells wrap, rows taller than a page split,
  the header row repeats on every page and status cells are coloured.

Every page carries "第 N 页 共 M 页"; the PDF's title, author (the issuing office) and subject
are set. The bundled CJK font is embedded (subset), so the file prints the same on a machine
without Chinese fonts.

User text (titles, progress notes, department and indicator names) only ever reaches
reportlab's Paragraph markup through :func:`markup`, which escapes ``& < > " '``, and never
goes into a tag attribute (reportlab's markup once evaluated code in ``<font color=…>``,
CVE-2023-33733).

The PDF is built in memory, written to a temporary file beside the target and renamed into
place, so the real name only ever holds a complete report; a cancelled or failed build leaves
no file behind.
"""

from __future__ import annotations

import io
import os
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any, cast
from xml.sax.saxutils import escape

from matplotlib import rc_context
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from reportlab import rl_config
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Flowable,
    Frame,
    Image,
    KeepTogether,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from ..paths import BUNDLED_FONT, FONT_FAMILY
from ..plan.model import Chapter, Indicator, Item, ItemStatus, Kind, Plan, Quarter
from ..plan.numbers import format_number
from ..plan.progress import Evaluation, PlanProgress, Rag, combine, year_to_date
from ..storage.files import os_reason, write_atomically
from ..workspace import Workspace
from . import charts
from .charts import RAG_COLOURS, Chart

# Binary streams, not ASCII85: a smaller PDF, and reportlab's pure-Python ASCII85 encoder was
# a quarter of the report's time. Every PDF reader takes binary streams.
rl_config.useA85 = 0


class _CellParagraph(Paragraph):
    """A table cell's paragraph that remembers its last wrap.

    When a long table splits across pages, reportlab measures every remaining row again at
    each page break; a chapter of hundreds of rows was wrapped dozens of times over. A cell's
    wrapped lines depend only on the width offered, so the result is kept for that width.
    """

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        cached = getattr(self, "_wrapped", None)
        if cached is not None and cached[0] == availWidth:
            _, self.blPara, self.width, self.height = cached
            return self.width, self.height
        result = super().wrap(availWidth, availHeight)
        self._wrapped = (availWidth, self.blPara, self.width, self.height)
        return result


PDF_FONT = "WenQuanYiMicroHei"  # the name reportlab knows the bundled font by
CHART_DPI = 150  # sharp in print at the sizes used; 200 doubled the image work
CHART_ITEMS = 20  # bars in a chapter's chart; a longer chapter charts its slowest items
RAG_ORDER = (Rag.GREEN, Rag.AMBER, Rag.RED, Rag.GREY)

ProgressCallback = Callable[[int, int], bool]


# --- errors and result -----------------------------------------------------------------------


class ReportError(Exception):
    """The report could not be made (nothing was written under the target's name)."""

    def __init__(self, path: str | os.PathLike[str], reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


class ReportCancelled(Exception):
    """The progress callback asked to stop; no file was written."""


@dataclass(frozen=True)
class ReportSummary:
    """What was written."""

    path: Path
    pages: int
    quarter: Quarter
    department: str | None
    chapters: int  # chapters with a section in the report
    items: int
    indicators: int
    lagging: list[str]  # ids of the red items, in plan order
    evaluation: Evaluation  # overall (the plan's, or the department's items')
    indicator_counts: dict[Rag, int]
    item_counts: dict[Rag, int]
    seconds: float = 0.0


# --- escaping --------------------------------------------------------------------------------

# C0 controls (but tab and line breaks), DEL, lone surrogates and non-characters: not text.
_NOT_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
_ENTITIES = {'"': "&quot;", "'": "&#39;"}


def markup(text: object) -> str:
    """User text as Paragraph markup that prints exactly that text: ``& < > " '`` escaped,
    line breaks as ``<br/>``, characters that are not text dropped."""
    plain = _NOT_TEXT.sub("", "" if text is None else str(text))
    plain = plain.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    return "<br/>".join(escape(line, _ENTITIES) for line in plain.split("\n"))


# --- fonts and styles ------------------------------------------------------------------------

_font_registered = False


def ensure_pdf_font() -> str:
    """Register the bundled TrueType font with reportlab once (embedded as a subset)."""
    global _font_registered
    if not _font_registered:
        pdfmetrics.registerFont(TTFont(PDF_FONT, str(BUNDLED_FONT)))
        # No bold or italic face: map them to the same font so any <b>/<i> still resolves.
        pdfmetrics.registerFontFamily(
            PDF_FONT, normal=PDF_FONT, bold=PDF_FONT, italic=PDF_FONT, boldItalic=PDF_FONT
        )
        _hang_chinese_punctuation()
        _font_registered = True
    return PDF_FONT


# Full-width punctuation that must not start a line (禁则). reportlab's list has the
# ideographic comma and full stop but not "，；：？！" or the closing quotes and brackets.
_CANNOT_START = "，；：？！”’》」』】）〕〉…·％"


def _hang_chinese_punctuation() -> None:
    from reportlab.platypus import paragraph

    current = getattr(paragraph, "ALL_CANNOT_START", None)
    if isinstance(current, str):
        paragraph.ALL_CANNOT_START = current + "".join(c for c in _CANNOT_START if c not in current)


INK = colors.HexColor("#1f1f1f")
MUTED = colors.HexColor("#5f6368")
ACCENT = colors.HexColor("#1d3c78")  # the navy of the charts' pace marks
OFFICIAL_RED = colors.HexColor("#c8161d")
RULE = colors.HexColor("#9aa3b0")
HEADER_FILL = colors.HexColor("#dde4ee")
ITEM_FILL = colors.HexColor("#f3f5f8")
STATUS_FILLS = {
    Rag.GREEN: colors.HexColor("#c6efce"),
    Rag.AMBER: colors.HexColor("#ffeb9c"),
    Rag.RED: colors.HexColor("#ffc7ce"),
    Rag.GREY: colors.HexColor("#ededed"),
}
STATUS_INK = {
    Rag.GREEN: colors.HexColor("#1e6b2e"),
    Rag.AMBER: colors.HexColor("#7a5a00"),
    Rag.RED: colors.HexColor("#a4161a"),
    Rag.GREY: colors.HexColor("#5f6368"),
}


def _style(name: str, size: float, **kwargs: Any) -> ParagraphStyle:
    values: dict[str, Any] = {
        "fontName": PDF_FONT,
        "fontSize": size,
        "leading": round(size * 1.35, 1),
        "textColor": INK,
        "wordWrap": "CJK",  # break anywhere: Chinese has no spaces, URLs and codes neither
    }
    values.update(kwargs)
    return ParagraphStyle(name, **values)


class _Styles:
    def __init__(self) -> None:
        ensure_pdf_font()
        self.cover_plan = _style("cover_plan", 20, alignment=TA_CENTER, leading=30)
        self.cover_quarter = _style("cover_quarter", 18, alignment=TA_CENTER, leading=26)
        self.cover_title = _style(
            "cover_title", 30, alignment=TA_CENTER, leading=40, textColor=OFFICIAL_RED
        )
        self.cover_department = _style("cover_department", 16, alignment=TA_CENTER, leading=24)
        self.cover_office = _style("cover_office", 16, alignment=TA_CENTER, leading=24)
        self.cover_date = _style("cover_date", 14, alignment=TA_CENTER, leading=22)
        self.h1 = _style("h1", 16, leading=22, spaceBefore=12, spaceAfter=6, textColor=ACCENT)
        self.h2 = _style("h2", 12, leading=17, spaceBefore=8, spaceAfter=4, textColor=ACCENT)
        self.body = _style("body", 10.5, leading=17, firstLineIndent=21)
        self.note = _style("note", 8, leading=11, textColor=MUTED)
        self.cell = _style("cell", 8, leading=10.5)
        self.cell_item = _style("cell_item", 8.5, leading=11, textColor=colors.black)
        self.cell_center = _style("cell_center", 8, leading=10.5, alignment=TA_CENTER)
        self.cell_right = _style("cell_right", 8, leading=10.5, alignment=TA_RIGHT)
        self.head = _style("head", 8.5, leading=11, alignment=TA_CENTER, textColor=colors.black)
        self.figure = _style("figure", 10, leading=14, alignment=TA_LEFT)
        self.kpi = _style("kpi", 17, leading=22, alignment=TA_CENTER, textColor=ACCENT)
        self.kpi_label = _style("kpi_label", 8.5, leading=11, alignment=TA_CENTER, textColor=MUTED)
        self.kpi_status = {
            rag: _style(f"kpi_{rag.value}", 17, leading=22, alignment=TA_CENTER, textColor=ink)
            for rag, ink in STATUS_INK.items()
        }
        self.status = {
            rag: _style(f"status_{rag.value}", 8, leading=10.5, alignment=TA_CENTER, textColor=ink)
            for rag, ink in STATUS_INK.items()
        }


# --- what the report covers ------------------------------------------------------------------


def involves(item: Item, department: str) -> bool:
    """Whether ``department`` leads the item or helps with it."""
    return item.lead_department == department or department in item.co_departments


@dataclass
class ReportScope:
    """The chapters and items a report covers, evaluated for the workspace's quarter.

    Quacks like the parts of a :class:`Workspace` the chart builders read (``plan``,
    ``progress``, ``quarter_label``), so ``charts.status_counts`` and
    ``charts.chapter_completion`` draw a department's report from its own items."""

    plan: Plan  # a copy holding only the covered chapters and items
    progress: PlanProgress  # evaluations of the covered rows; chapters and plan re-combined
    quarter_label: str
    quarter: int
    department: str | None = None
    item_counts: dict[Rag, int] = field(default_factory=dict)

    @property
    def items(self) -> list[Item]:
        return self.plan.items()

    @property
    def indicators(self) -> list[Indicator]:
        return self.plan.indicators()

    def lagging(self) -> list[tuple[Chapter, Item]]:
        return [
            (chapter, item)
            for chapter in self.plan.chapters
            for item in chapter.items
            if self.progress.items[item.id or ""].status is Rag.RED
        ]


def report_scope(workspace: Workspace, department: str | None = None) -> ReportScope:
    """The whole plan, or only the items ``department`` leads or co-leads (with the chapter
    and overall figures computed over those items, the way the plan's are)."""
    source = workspace.progress
    if not department:
        plan, progress = workspace.plan, source
    else:
        chapters = []
        for chapter in workspace.plan.chapters:
            items = [i for i in chapter.items if involves(i, department)]
            if items:
                chapters.append(replace(chapter, items=items))
        plan = replace(workspace.plan, chapters=chapters)
        items_ev = {i.id or "": source.items[i.id or ""] for i in plan.items()}
        indicators_ev = {n.id or "": source.indicators[n.id or ""] for n in plan.indicators()}
        chapters_ev = {
            c.id or "": combine((items_ev[i.id or ""], i.weight) for i in c.items)
            for c in plan.chapters
        }
        overall = combine((chapters_ev[c.id or ""], 1.0) for c in plan.chapters)
        progress = PlanProgress(source.quarter, indicators_ev, items_ev, chapters_ev, overall)
    item_counts = dict.fromkeys(Rag, 0)
    for item in plan.items():
        item_counts[progress.items[item.id or ""].status] += 1
    return ReportScope(
        plan,
        progress,
        workspace.quarter_label,
        workspace.quarter,
        department or None,
        item_counts,
    )


# --- charts ----------------------------------------------------------------------------------


def _chart_style() -> dict[str, object]:
    charts.ensure_font()
    return {
        "font.family": [FONT_FAMILY],
        "axes.unicode_minus": False,
        "text.parse_math": False,  # a "$" in a title is a dollar sign, not TeX
        "figure.dpi": 100,
    }


def _short(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def chapter_items_chart(
    scope: ReportScope | Workspace,
    chapter: Chapter,
    figsize: tuple[float, float] | None = None,
    items: Sequence[Item] | None = None,
) -> Chart:
    """One chapter's items (or the given ones of them): completion (horizontal bars in their
    status colour) against the quarter's expected pace (navy marks). Qualitative items show
    their reported status."""
    items = list(chapter.items if items is None else items)
    height = figsize[1] if figsize else max(1.4, 0.7 + 0.25 * len(items))
    width = figsize[0] if figsize else 7.2
    with rc_context(_chart_style()):
        figure = Figure(figsize=(width, height), layout="constrained")
        axes = figure.add_subplot()
        chart = Chart(figure)
        positions = list(range(len(items)))[::-1]
        values: list[float | None] = []
        for item, position in zip(items, positions, strict=True):
            evaluation = scope.progress.items.get(
                item.id or "", Evaluation(None, None, None, Rag.GREY)
            )
            value = None if evaluation.completion is None else evaluation.completion * 100
            values.append(value)
            (bar,) = axes.barh(
                [position], [value or 0.0], color=RAG_COLOURS[evaluation.status], height=0.62
            )
            chart.targets[bar] = item.id or ""
            pace = None if evaluation.expected is None else evaluation.expected * 100
            if pace is not None:
                axes.plot(
                    [pace, pace], [position - 0.42, position + 0.42], color="#1d3c78", linewidth=1.6
                )
            if value is not None:
                label = f"{value:.0f}%"
            elif evaluation.status is Rag.GREY:
                label = "未填报"
            elif not item.indicators:
                label = f"定性事项 · {evaluation.status.label}"
            else:  # no figures yet, judged by the reported status
                label = f"按填报状态 · {evaluation.status.label}"
            # Right of the bar and of the pace mark, so neither covers the figure.
            axes.text(
                max(value or 0.0, pace or 0.0) + 1.5, position, label, va="center", fontsize=8.5
            )
        axes.set_yticks(
            positions, [f"{item.number}. {_short(item.title, 18)}" for item in items], fontsize=9
        )
        axes.set_ylim(-0.6, len(items) - 0.4)
        axes.set_xlim(0, max(115.0, max((v or 0 for v in values), default=0) + 15))
        axes.tick_params(axis="x", labelsize=8.5)
        axes.set_xlabel("完成率（%）　竖线：本季度应达进度", fontsize=8.5)
        axes.grid(axis="x", alpha=0.3)
        for side in ("top", "right"):
            axes.spines[side].set_visible(False)
        return chart


def _table_style(commands: Sequence[tuple[Any, ...]]) -> TableStyle:
    """A TableStyle whose cells use the bundled font (a table's default is Helvetica, which
    would be referenced but not embedded)."""
    return TableStyle([("FONTNAME", (0, 0), (-1, -1), PDF_FONT), *commands])


def _image(figure: Figure, width: float) -> Image:
    """A figure as a PNG flowable ``width`` points wide, keeping its aspect ratio."""
    with rc_context(_chart_style()):
        png = charts.figure_png(figure, dpi=CHART_DPI)
    fig_width, fig_height = figure.get_size_inches()
    return Image(io.BytesIO(png), width=width, height=width * fig_height / fig_width)


# --- formatting ------------------------------------------------------------------------------


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def chinese_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _unit_after(unit: str) -> str:
    return unit if unit in ("%", "‰") else f" {unit}" if unit else ""


def target_text(indicator: Indicator) -> str:
    """ "≥ 10000 家", "增长 ≥ 6%（力争 8%）", "≈ 4.26 万名"."""
    prefix = {Kind.GROWTH: "增长 ", Kind.DECLINE: "下降 "}.get(indicator.kind, "")
    unit = _unit_after(indicator.unit)
    text = f"{prefix}{indicator.comparator.label} {format_number(indicator.value)}{unit}"
    if indicator.stretch_value is not None:
        text += f"（力争 {format_number(indicator.stretch_value)}{unit.strip()}）"
    return text


def _actual_to_date(workspace: Workspace, indicator: Indicator) -> float | None:
    figures = {
        q: a.value
        for q in range(1, workspace.quarter + 1)
        if (a := workspace.actual(indicator.id or "", q)) is not None
    }
    return year_to_date(indicator, figures, workspace.quarter)


def _departments(item: Item) -> str:
    lead = item.lead_department or "—"
    if item.co_departments:
        return f"牵头：{lead}\n配合：{'、'.join(item.co_departments)}"
    return lead


# --- page furniture --------------------------------------------------------------------------

PORTRAIT = A4
LANDSCAPE = landscape(A4)


@dataclass
class _Furniture:
    """What the header and footer print on every page."""

    header_left: str
    header_right: str
    footer_left: str
    pages: int = 0  # filled in once the document has been laid out


def _fit(text: str, font_size: float, width: float) -> str:
    if pdfmetrics.stringWidth(text, PDF_FONT, font_size) <= width:
        return text
    while text and pdfmetrics.stringWidth(text + "…", PDF_FONT, font_size) > width:
        text = text[:-1]
    return text + "…"


def _canvas_class(furniture: _Furniture) -> type[Canvas]:
    """A canvas that holds pages back until the end, then stamps "第 N 页 共 M 页" on each."""

    class NumberedCanvas(Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            if not kwargs.get("initialFontName"):
                kwargs["initialFontName"] = PDF_FONT  # never reference an unembedded Helvetica
            super().__init__(*args, **kwargs)
            self._held: list[dict[str, Any]] = []

        def showPage(self) -> None:
            self._held.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._held)
            furniture.pages = total
            for number, state in enumerate(self._held, 1):
                self.__dict__.update(state)
                self._footer(number, total)
                super().showPage()
            super().save()

        def _footer(self, number: int, total: int) -> None:
            width, _height = self._pagesize
            self.saveState()
            self.setFont(PDF_FONT, 9)
            self.setFillColor(MUTED)
            self.drawCentredString(width / 2, 10 * mm, f"第 {number} 页 共 {total} 页")
            self.restoreState()

    return NumberedCanvas


def _page_header(furniture: _Furniture) -> Callable[[Canvas, BaseDocTemplate], None]:
    def draw(canvas: Canvas, doc: BaseDocTemplate) -> None:
        width, height = canvas._pagesize
        margin = doc.pageTemplate.frames[0]._x1
        canvas.saveState()
        canvas.setFont(PDF_FONT, 8.5)
        canvas.setFillColor(MUTED)
        right = furniture.header_right
        right_width = pdfmetrics.stringWidth(right, PDF_FONT, 8.5)
        top = height - 12 * mm
        canvas.drawString(
            margin, top, _fit(furniture.header_left, 8.5, width - 2 * margin - right_width - 12)
        )
        canvas.drawRightString(width - margin, top, right)
        canvas.setStrokeColor(RULE)
        canvas.setLineWidth(0.6)
        canvas.line(margin, top - 2.5 * mm, width - margin, top - 2.5 * mm)
        canvas.line(margin, 15 * mm, width - margin, 15 * mm)
        canvas.drawString(
            margin, 10 * mm, _fit(furniture.footer_left, 8.5, width / 2 - margin - 40)
        )
        canvas.restoreState()

    return draw


def _cover_furniture(canvas: Canvas, doc: BaseDocTemplate) -> None:
    width, height = canvas._pagesize
    canvas.saveState()
    canvas.setStrokeColor(OFFICIAL_RED)
    canvas.setLineWidth(2)
    canvas.line(30 * mm, height - 118 * mm, width - 30 * mm, height - 118 * mm)
    canvas.restoreState()


class _Checkpoint(Flowable):
    """Takes no room; reports progress (and may cancel) once the pages before it are laid out."""

    def __init__(self, step: Callable[[], None]) -> None:
        super().__init__()
        self._step = step
        self._done = False

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return (0, 0)

    def draw(self) -> None:
        if not self._done:
            self._done = True
            self._step()


class _Progress:
    def __init__(self, callback: ProgressCallback | None, total: int) -> None:
        self.callback = callback
        self.total = total
        self.done = 0

    def step(self, n: int = 1) -> None:
        self.done = min(self.total, self.done + n)
        self.check()

    def check(self) -> None:
        if self.callback is not None:
            keep_going = self.callback(self.done, self.total)
            if keep_going is not None and not keep_going:
                raise ReportCancelled("the report was cancelled")


# --- the document ----------------------------------------------------------------------------


class _Builder:
    def __init__(
        self,
        workspace: Workspace,
        scope: ReportScope,
        office: str,
        generated_on: date,
        progress: _Progress,
    ) -> None:
        self.ws = workspace
        self.scope = scope
        self.office = office
        self.generated_on = generated_on
        self.progress = progress
        self.styles = _Styles()
        self.portrait_width = PORTRAIT[0] - 2 * 20 * mm
        self.landscape_width = LANDSCAPE[0] - 2 * 15 * mm

    # -- cover --

    def cover(self) -> list[Flowable]:
        s, scope = self.styles, self.scope
        story: list[Flowable] = [
            Spacer(1, 38 * mm),
            Paragraph(markup(self.ws.plan.title), s.cover_plan),
            Spacer(1, 10 * mm),
            Paragraph(markup(scope.quarter_label), s.cover_quarter),
            Spacer(1, 6 * mm),
            Paragraph("季度工作进展报告", s.cover_title),
        ]
        if scope.department:
            story += [
                Spacer(1, 8 * mm),
                Paragraph(f"（{markup(scope.department)}牵头及配合事项）", s.cover_department),
            ]
        story += [Spacer(1, 95 * mm if not scope.department else 83 * mm)]
        if self.office:
            story.append(Paragraph(markup(self.office), s.cover_office))
        story += [
            Spacer(1, 3 * mm),
            Paragraph(chinese_date(self.generated_on), s.cover_date),
            NextPageTemplate("portrait"),
            PageBreak(),
        ]
        return story

    # -- summary --

    def summary(self) -> list[Flowable]:
        s, scope = self.styles, self.scope
        overall = scope.progress.plan
        counts = scope.progress.counts()
        items, indicators = scope.items, scope.indicators
        lagging = scope.lagging()
        who = f"{markup(scope.department)}牵头及配合的" if scope.department else "全区"
        opening = (
            f"截至{markup(scope.quarter_label)}末，{who}重点工作共 {len(items)} 项、"
            f"量化指标 {len(indicators)} 个。"
        )
        if overall.completion is None and overall.score is None:
            sentence = opening + "本季度尚无填报数据。"
        else:
            sentence = opening + (
                f"总体完成率 {percent(overall.completion)}，本季度应达进度 "
                f"{percent(overall.expected)}，总体状态为“{overall.status.label}”。"
                f"量化指标中，正常 {counts[Rag.GREEN]} 个、预警 {counts[Rag.AMBER]} 个、"
                f"滞后 {counts[Rag.RED]} 个、未填报 {counts[Rag.GREY]} 个；"
                f"重点工作事项中滞后 {len(lagging)} 项。"
            )
        story: list[Flowable] = [
            Paragraph("一、总体情况", s.h1),
            Paragraph(sentence, s.body),
            Spacer(1, 3 * mm),
            self._key_figures(overall, len(lagging)),
            Spacer(1, 3 * mm),
        ]
        status_chart = charts.status_counts(cast(Workspace, scope), figsize=(3.6, 2.3))
        for axes in status_chart.figure.axes:  # counts: whole numbers on the axis
            axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        counts_table = self._counts_table(counts, scope.item_counts)
        chart_width = self.portrait_width - sum(counts_table._colWidths) - 4 * mm
        story.append(
            Table(
                [[counts_table, _image(status_chart.figure, chart_width)]],
                colWidths=[self.portrait_width - chart_width, chart_width],
                style=_table_style(
                    [
                        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                        ("LEFTPADDING", (0, 0), (-1, -1), 0),
                        ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                    ]
                ),
            )
        )
        self.progress.step()
        story += [Paragraph("二、滞后事项", s.h2), *self._lagging_table(lagging)]
        if scope.plan.chapters:
            height = min(9.0, 0.75 + 0.3 * len(scope.plan.chapters))
            chapter_chart = charts.chapter_completion(cast(Workspace, scope), figsize=(7.0, height))
            story.append(
                KeepTogether(
                    [
                        Paragraph("三、各章节完成情况", s.h2),
                        _image(chapter_chart.figure, self.portrait_width),
                    ]
                )
            )
        story += [
            Spacer(1, 2 * mm),
            Paragraph(
                "说明：完成率为截至本季度末实际值占全年目标的比例；状态按本季度应达进度判定："
                "达到应达进度为“正常”，达到其 80% 为“预警”，低于 80% 为“滞后”，"
                "尚未填报为“未填报”；事项、章节和总体按所含指标加权汇总，"
                "事项填报“滞后”的按滞后计。",
                s.note,
            ),
        ]
        self.progress.step()
        return story

    def _key_figures(self, overall: Evaluation, lagging: int) -> Table:
        """Four boxes: overall completion, expected pace, overall status, lagging items."""
        s = self.styles
        figures = [
            ("总体完成率", percent(overall.completion), s.kpi),
            ("本季度应达进度", percent(overall.expected), s.kpi),
            ("总体状态", overall.status.label, s.kpi_status[overall.status]),
            ("滞后事项", f"{lagging} 项", s.kpi_status[Rag.RED] if lagging else s.kpi),
        ]
        width = self.portrait_width / len(figures)
        table = Table(
            [
                [Paragraph(value, style) for _label, value, style in figures],
                [Paragraph(label, s.kpi_label) for label, _value, _style in figures],
            ],
            colWidths=[width] * len(figures),
            style=_table_style(
                [
                    ("BOX", (0, 0), (-1, -1), 0.6, RULE),
                    ("LINEAFTER", (0, 0), (-2, -1), 0.6, RULE),
                    ("BACKGROUND", (0, 0), (-1, -1), ITEM_FILL),
                    ("BACKGROUND", (2, 0), (2, -1), STATUS_FILLS[overall.status]),
                    ("TOPPADDING", (0, 0), (-1, 0), 6),
                    ("BOTTOMPADDING", (0, -1), (-1, -1), 6),
                ]
            ),
        )
        return table

    def _counts_table(self, counts: dict[Rag, int], item_counts: dict[Rag, int]) -> Table:
        s = self.styles
        head = [Paragraph("", s.head)] + [Paragraph(r.label, s.head) for r in RAG_ORDER]
        head.append(Paragraph("合计", s.head))
        rows: list[list[Any]] = [head]
        for label, table in (("量化指标（个）", counts), ("重点工作事项（项）", item_counts)):
            rows.append(
                [Paragraph(label, s.cell)]
                + [Paragraph(str(table[r]), s.cell_center) for r in RAG_ORDER]
                + [Paragraph(str(sum(table.values())), s.cell_center)]
            )
        style = [
            ("GRID", (0, 0), (-1, -1), 0.5, RULE),
            ("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("TOPPADDING", (0, 0), (-1, -1), 5),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
        ]
        for column, rag in enumerate(RAG_ORDER, 1):
            style.append(("BACKGROUND", (column, 0), (column, 0), STATUS_FILLS[rag]))
        return Table(
            rows, colWidths=[30 * mm] + [14.5 * mm] * 5, style=_table_style(style), hAlign="LEFT"
        )

    def _lagging_table(self, lagging: Sequence[tuple[Chapter, Item]]) -> list[Flowable]:
        s = self.styles
        if not lagging:
            return [Paragraph("本季度没有滞后事项。", s.body)]
        head = ["编号", "事项名称", "章节", "牵头单位", "完成率", "应达进度", "填报状态"]
        rows: list[list[Any]] = [[Paragraph(h, s.head) for h in head]]
        for chapter, item in lagging:
            evaluation = self.scope.progress.items[item.id or ""]
            reported = self.ws.progress_of(item.id or "")
            rows.append(
                [
                    Paragraph(str(item.number), s.cell_center),
                    Paragraph(markup(item.title), s.cell),
                    Paragraph(markup(chapter.numeral), s.cell_center),
                    Paragraph(markup(item.lead_department or "—"), s.cell),
                    Paragraph(percent(evaluation.completion), s.status[Rag.RED]),
                    Paragraph(percent(evaluation.expected), s.cell_center),
                    Paragraph(
                        markup(reported.status.value) if reported and reported.status else "未填报",
                        s.cell_center,
                    ),
                ]
            )
        widths = [12, 0, 12, 36, 18, 18, 18]
        widths[1] = self.portrait_width / mm - sum(widths)
        table = Table(
            rows,
            colWidths=[w * mm for w in widths],
            repeatRows=1,
            splitInRow=1,
            style=_table_style(
                [
                    ("GRID", (0, 0), (-1, -1), 0.5, RULE),
                    ("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL),
                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ]
            ),
        )
        return [table, Spacer(1, 2 * mm)]

    # -- chapters --

    def chapter(self, chapter: Chapter) -> list[Flowable]:
        s, scope = self.styles, self.scope
        evaluation = scope.progress.chapters.get(
            chapter.id or "", Evaluation(None, None, None, Rag.GREY)
        )
        indicators = [n for i in chapter.items for n in i.indicators]
        red = sum(1 for i in chapter.items if scope.progress.items[i.id or ""].status is Rag.RED)
        if indicators:
            figures = (
                f"本章重点工作 {len(chapter.items)} 项、量化指标 {len(indicators)} 个；"
                f"完成率 {percent(evaluation.completion)}，本季度应达进度 "
                f"{percent(evaluation.expected)}，状态“{evaluation.status.label}”；"
                f"滞后事项 {red} 项。"
            )
        else:
            figures = (
                f"本章重点工作 {len(chapter.items)} 项，均为定性任务，按各单位填报的状态评价；"
                f"状态“{evaluation.status.label}”；滞后事项 {red} 项。"
            )
        story: list[Flowable] = [
            Paragraph(f"{markup(chapter.numeral)}、{markup(chapter.title)}", s.h1),
            Paragraph(figures, s.figure),
            Spacer(1, 2 * mm),
        ]
        if indicators:
            # One chart a chapter, of at most CHART_ITEMS bars so it fits a page: in a longer
            # chapter, the items furthest behind their pace (the table below lists them all).
            shown = list(chapter.items)
            if len(shown) > CHART_ITEMS:

                def behind(item: Item) -> float:
                    score = scope.progress.items.get(item.id or "")
                    return 2.0 if score is None or score.score is None else score.score

                slowest = set(map(id, sorted(shown, key=behind)[:CHART_ITEMS]))
                shown = [item for item in shown if id(item) in slowest]
                story.append(
                    Paragraph(
                        f"下图列出本章进度最慢的 {CHART_ITEMS} 项（共 {len(chapter.items)} 项，全部见下表）。",
                        s.figure,
                    )
                )
            image = _image(chapter_items_chart(scope, chapter, items=shown).figure, 170 * mm)
            image.hAlign = "LEFT"
            story += [image, Spacer(1, 3 * mm)]
        if chapter.items:
            story.append(self._chapter_table(chapter))
        else:
            story.append(Paragraph("本章暂无重点工作事项。", s.body))
        story.append(_Checkpoint(self.progress.step))
        return story

    CHAPTER_COLUMNS = (
        ("编号", 13),
        ("事项 / 指标", 56),
        ("目标", 32),
        ("截至本期实际", 27),
        ("完成率", 16),
        ("状态", 15),
        ("责任单位", 30),
        ("进展情况", 0),  # the rest
    )

    def _chapter_table(self, chapter: Chapter) -> Table:
        s, ws, scope = self.styles, self.ws, self.scope
        widths = [w for _h, w in self.CHAPTER_COLUMNS]
        widths[-1] = self.landscape_width / mm - sum(widths)
        rows: list[list[Any]] = [[_CellParagraph(h, s.head) for h, _w in self.CHAPTER_COLUMNS]]
        style: list[tuple[Any, ...]] = [
            ("GRID", (0, 0), (-1, -1), 0.5, RULE),
            ("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL),
            ("VALIGN", (0, 0), (-1, 0), "MIDDLE"),
            ("VALIGN", (0, 1), (-1, -1), "TOP"),
            ("TOPPADDING", (0, 0), (-1, -1), 2.5),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ]
        for item in chapter.items:
            evaluation = scope.progress.items[item.id or ""]
            reported = ws.progress_of(item.id or "")
            status = reported.status if reported else None
            r = len(rows)
            label = evaluation.status.label
            if evaluation.status is not Rag.RED and evaluation.red_below:
                label += "（含滞后）"
            rows.append(
                [
                    _CellParagraph(str(item.number), s.cell_center),
                    _CellParagraph(markup(item.title), s.cell_item),
                    _CellParagraph(
                        f"完成时限：{item.due_date.isoformat()}" if item.due_date else "",
                        s.cell,
                    ),
                    _CellParagraph(
                        f"填报：{markup(status.value)}"
                        if isinstance(status, ItemStatus)
                        else "未填报",
                        s.cell,
                    ),
                    _CellParagraph(percent(evaluation.completion), s.cell_right),
                    _CellParagraph(markup(label), s.status[evaluation.status]),
                    _CellParagraph(markup(_departments(item)), s.cell),
                    _CellParagraph(markup(reported.text if reported else ""), s.cell),
                ]
            )
            style += [
                ("BACKGROUND", (0, r), (-1, r), ITEM_FILL),
                ("BACKGROUND", (5, r), (5, r), STATUS_FILLS[evaluation.status]),
                ("LINEABOVE", (0, r), (-1, r), 0.9, colors.HexColor("#6b7687")),
            ]
            for position, indicator in enumerate(item.indicators, 1):
                ind_eval = scope.progress.indicators[indicator.id or ""]
                value = _actual_to_date(ws, indicator)
                actual = ws.actual(indicator.id or "")
                r = len(rows)
                rows.append(
                    [
                        _CellParagraph(f"{item.number}.{position}", s.cell_center),
                        _CellParagraph(markup(indicator.name), s.cell),
                        _CellParagraph(markup(target_text(indicator)), s.cell),
                        _CellParagraph(
                            markup(
                                "—"
                                if value is None
                                else f"{format_number(round(value, 4))}"
                                f"{_unit_after(indicator.unit)}"
                            ),
                            s.cell,
                        ),
                        _CellParagraph(percent(ind_eval.completion), s.cell_right),
                        _CellParagraph(ind_eval.status.label, s.status[ind_eval.status]),
                        _CellParagraph("", s.cell),
                        _CellParagraph(markup(actual.note if actual else ""), s.cell),
                    ]
                )
                style.append(("BACKGROUND", (5, r), (5, r), STATUS_FILLS[ind_eval.status]))
        return Table(
            rows,
            colWidths=[w * mm for w in widths],
            repeatRows=1,
            splitInRow=1,  # a row taller than the page (a very long note) splits, not fails
            style=_table_style(style),
        )

    # -- all of it --

    def story(self) -> list[Flowable]:
        story = self.cover() + self.summary()
        story.append(_Checkpoint(self.progress.step))
        chapters = self.scope.plan.chapters
        if chapters:
            story += [NextPageTemplate("landscape"), PageBreak()]
        for index, chapter in enumerate(chapters):
            story += self.chapter(chapter)
            self.progress.step()
            if index < len(chapters) - 1:
                # The whole plan: each chapter on a new page. A department's few items: the
                # next chapter follows on the same page when there is room for its start.
                story.append(PageBreak() if not self.scope.department else CondPageBreak(90 * mm))
        return story


def _document(buffer: io.BytesIO, furniture: _Furniture, meta: dict[str, str]) -> BaseDocTemplate:
    def frame(pagesize: tuple[float, float], side: float, top: float, bottom: float) -> Frame:
        width, height = pagesize
        return Frame(
            side,
            bottom,
            width - 2 * side,
            height - top - bottom,
            leftPadding=0,
            rightPadding=0,
            topPadding=0,
            bottomPadding=0,
        )

    header = _page_header(furniture)
    doc = BaseDocTemplate(
        buffer,
        pagesize=PORTRAIT,
        title=meta["title"],
        author=meta["author"],
        subject=meta["subject"],
        creator="jingan-desktop",
        keywords=meta.get("keywords", ""),
        lang="zh-CN",
    )
    doc.addPageTemplates(
        [
            PageTemplate(
                "cover", [frame(PORTRAIT, 25 * mm, 25 * mm, 25 * mm)], onPage=_cover_furniture
            ),
            PageTemplate(
                "portrait",
                [frame(PORTRAIT, 20 * mm, 22 * mm, 20 * mm)],
                onPage=header,
                pagesize=PORTRAIT,
            ),
            PageTemplate(
                "landscape",
                [frame(LANDSCAPE, 15 * mm, 20 * mm, 19 * mm)],
                onPage=header,
                pagesize=LANDSCAPE,
            ),
        ]
    )
    return doc


def build_report(
    workspace: Workspace,
    path: str | os.PathLike[str],
    *,
    department: str | None = None,
    progress: ProgressCallback | None = None,
    issuing_office: str | None = None,
    generated_on: date | None = None,
) -> ReportSummary:
    """Write the workspace's quarter as a PDF report to ``path``.

    ``department``: only the items it leads or co-leads (the summary is computed over them).
    ``progress(done, total)`` is called as the report is made; returning False cancels it
    (:class:`ReportCancelled`, nothing written). ``issuing_office`` defaults to the plan's
    issuer, ``generated_on`` to today. Raises :class:`ReportError` when the department has no
    items or the file cannot be written.
    """
    started = time.perf_counter()
    target = Path(path)
    department = department.strip() if department else None
    plan = workspace.plan
    if department and not any(involves(i, department) for i in plan.items()):
        raise ReportError(target, f"no items are led or co-led by {department!r}")
    _check_target(target)
    scope = report_scope(workspace, department)
    office = (issuing_office if issuing_office is not None else plan.issuer or "").strip()
    generated_on = generated_on or date.today()
    chapters = len(scope.plan.chapters)
    tracker = _Progress(progress, total=2 + 1 + 2 * chapters + 1)
    tracker.check()

    quarter = Quarter(plan.year, workspace.quarter)
    subject = f"{quarter.label}工作进展报告" + (f"（{department}）" if department else "")
    furniture = _Furniture(
        header_left=f"{plan.title} · {quarter.label}工作进展报告"
        + (f" · {department}" if department else ""),
        header_right=office,
        footer_left=f"生成日期：{chinese_date(generated_on)}",
    )
    meta = {
        "title": f"{plan.title} {subject}",
        "author": office or "jingan-desktop",
        "subject": subject,
        "keywords": f"{quarter.code}, 重点工作, 季度进展",
    }
    builder = _Builder(workspace, scope, office, generated_on, tracker)
    with rc_context(_chart_style()):
        story = builder.story()
    buffer = io.BytesIO()
    doc = _document(buffer, furniture, meta)
    doc.build(story, canvasmaker=_canvas_class(furniture))
    tracker.step()  # done == total: the last chance to cancel; nothing is written before it
    _write_atomically(buffer.getvalue(), target)
    lagging = [item.id or "" for _c, item in scope.lagging()]
    return ReportSummary(
        path=target,
        pages=furniture.pages,
        quarter=quarter,
        department=department,
        chapters=chapters,
        items=len(scope.items),
        indicators=len(scope.indicators),
        lagging=lagging,
        evaluation=scope.progress.plan,
        indicator_counts=scope.progress.counts(),
        item_counts=dict(scope.item_counts),
        seconds=time.perf_counter() - started,
    )


# --- writing ---------------------------------------------------------------------------------


def _check_target(path: Path) -> None:
    if path.is_dir():
        raise ReportError(path, "is a folder")
    if not path.parent.is_dir():
        raise ReportError(path, "the folder does not exist")


def _os_reason(exc: OSError) -> str:
    return os_reason(exc, "a PDF viewer")


def _write_atomically(data: bytes, path: Path) -> None:
    """The real name only ever holds a complete PDF."""
    _check_target(path)
    try:
        write_atomically(path, lambda handle: handle.write(data))
    except OSError as exc:
        raise ReportError(path, _os_reason(exc)) from exc
