"""A chapter's pages (landscape): heading, the chapter's figures, the chart of its items against
pace, and the table of items and indicators (header row repeated, status cells coloured)."""

from __future__ import annotations

from typing import Any

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, Spacer

from ...plan.model import Chapter, Indicator, Item, ItemStatus
from ...plan.numbers import format_number
from ...plan.progress import Evaluation, Rag, year_to_date
from ...workspace import Workspace
from .cells import Cells
from .figures import CHART_ITEMS, chapter_items_drawing
from .paged import PagedTable, Rows
from .progress import Checkpoint
from .section import Section
from .styles import RULE, CellParagraph
from .text import departments, markup, percent, target_text, unit_after


class ChapterPages(Section):
    def story(self, chapter: Chapter) -> list[Flowable]:
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
        if indicators and s.charts:
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
            chart = chapter_items_drawing(scope, chapter, 170 * mm, items=shown)
            chart.hAlign = "LEFT"
            story += [chart, Spacer(1, 3 * mm)]
        if chapter.items:
            story.append(self._chapter_table(chapter))
        else:
            story.append(Paragraph("本章暂无重点工作事项。", s.body))
        story.append(Checkpoint(self.progress.step))
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

    def _chapter_table(self, chapter: Chapter) -> PagedTable:
        s = self.styles
        widths = [w for _h, w in self.CHAPTER_COLUMNS]
        widths[-1] = self.landscape_width / mm - sum(widths)
        self._cells = Cells([w * mm for w in widths])
        base: list[tuple[Any, ...]] = [
            *Cells.style(centred=(0, 5), right=(4,), ink=s.cell.textColor),
            ("GRID", (0, 0), (-1, -1), 0.5, RULE),
            ("BACKGROUND", (0, 0), (-1, 0), self.styles.header_fill),
            ("VALIGN", (0, 0), (-1, 0), "MIDDLE"),
            ("VALIGN", (0, 1), (-1, -1), "TOP"),
            ("TOPPADDING", (0, 0), (-1, -1), 2.5),  # (and reportlab's 3 below)
        ]
        cells: list[list[Any]] = []
        commands: list[list[tuple[Any, ...]]] = []  # each row's, its row numbered 0
        for item in chapter.items:
            commands.append(self._item_row(item, cells))
            for position, indicator in enumerate(item.indicators, 1):
                commands.append(self._indicator_row(item, position, indicator, cells))
        header = [CellParagraph(h, s.head) for h, _w in self.CHAPTER_COLUMNS]
        widths_pt = [w * mm for w in widths]
        rows = Rows(
            header, cells, commands, base, widths_pt, padding=5.5, page=self.landscape_height
        )
        return PagedTable(rows)

    def _item_row(self, item: Item, rows: list[list[Any]]) -> list[tuple[Any, ...]]:
        """Append the item's row to ``rows``; returns its style commands."""
        s = self.styles
        evaluation = self.scope.progress.items[item.id or ""]
        reported = self.ws.progress_of(item.id or "")
        status = reported.status if reported else None
        r = 0  # this row
        label = evaluation.status.label
        if evaluation.status is not Rag.RED and evaluation.red_below:
            label += "（含滞后）"
        cell = self._cells
        rows.append(
            [
                cell(0, str(item.number), s.cell_center),
                CellParagraph(markup(item.title), s.cell_item),
                cell(2, f"完成时限：{item.due_date.isoformat()}" if item.due_date else "", s.cell),
                cell(
                    3,
                    f"填报：{status.value}" if isinstance(status, ItemStatus) else "未填报",
                    s.cell,
                ),
                cell(4, percent(evaluation.completion), s.cell_right),
                cell(5, label, s.status[evaluation.status]),
                cell(6, departments(item), s.cell),
                cell(7, reported.text if reported else "", s.cell),
            ]
        )
        return [
            ("BACKGROUND", (0, r), (-1, r), s.item_fill),
            ("BACKGROUND", (5, r), (5, r), s.status_fills[evaluation.status]),
            ("TEXTCOLOR", (5, r), (5, r), s.status[evaluation.status].textColor),
            ("LINEABOVE", (0, r), (-1, r), 0.9, colors.HexColor("#6b7687")),
        ]

    def _indicator_row(
        self, item: Item, position: int, indicator: Indicator, rows: list[list[Any]]
    ) -> list[tuple[Any, ...]]:
        """Append the indicator's row to ``rows``; returns its style commands."""
        s, ws = self.styles, self.ws
        ind_eval = self.scope.progress.indicators[indicator.id or ""]
        value = _actual_to_date(ws, indicator)
        actual = ws.actual(indicator.id or "")
        r = 0  # this row
        cell = self._cells
        actual_text = (
            "—"
            if value is None
            else f"{format_number(round(value, 4))}{unit_after(indicator.unit)}"
        )
        rows.append(
            [
                cell(0, f"{item.number}.{position}", s.cell_center),
                cell(1, indicator.name, s.cell),
                cell(2, target_text(indicator), s.cell),
                cell(3, actual_text, s.cell),
                cell(4, percent(ind_eval.completion), s.cell_right),
                cell(5, ind_eval.status.label, s.status[ind_eval.status]),
                "",
                cell(7, actual.note if actual else "", s.cell),
            ]
        )
        return [
            ("BACKGROUND", (5, r), (5, r), s.status_fills[ind_eval.status]),
            ("TEXTCOLOR", (5, r), (5, r), s.status[ind_eval.status].textColor),
        ]


def _actual_to_date(workspace: Workspace, indicator: Indicator) -> float | None:
    figures = {
        q: a.value
        for q in range(1, workspace.quarter + 1)
        if (a := workspace.actual(indicator.id or "", q)) is not None
    }
    return year_to_date(indicator, figures, workspace.quarter)
