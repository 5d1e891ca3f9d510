"""The summary pages (portrait): overall completion against pace, the key figures, indicators
and items by status with the status chart, the lagging items, completion by chapter."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Paragraph, Spacer, Table

from ...plan.model import Chapter, Item
from ...plan.progress import Evaluation, Rag, coverage
from .figures import chapters_drawing, status_drawing
from .section import Section
from .styles import HEADER_FILL, ITEM_FILL, RAG_ORDER, RULE, STATUS_FILLS, table_style
from .text import markup, percent


class SummaryPages(Section):
    def story(self) -> list[Flowable]:
        s, scope = self.styles, self.scope
        lagging = scope.lagging()
        story: list[Flowable] = [
            Paragraph("一、总体情况", s.h1),
            Paragraph(self._overall_sentence(len(lagging)), s.body),
            Spacer(1, 3 * mm),
            self._key_figures(scope.progress.plan, len(lagging)),
            Spacer(1, 3 * mm),
            self._status_counts(),
        ]
        self.progress.step()
        story += [Paragraph("二、滞后事项", s.h2), *self._lagging_table(lagging)]
        if scope.plan.chapters:
            story.append(self._chapter_completion())
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

    def _overall_sentence(self, lagging: int) -> str:
        scope = self.scope
        overall = scope.progress.plan
        counts = scope.progress.counts()
        who = f"{markup(scope.department)}牵头及配合的" if scope.department else "全区"
        opening = (
            f"截至{markup(scope.quarter_label)}末，{who}重点工作共 {len(scope.items)} 项、"
            f"量化指标 {len(scope.indicators)} 个。"
        )
        if overall.completion is None and overall.score is None:
            return opening + "本季度尚无填报数据。"
        reported, total = coverage(scope.indicators, scope.progress)
        return opening + (
            f"已填报指标 {reported} 个（填报率 {percent(reported / total if total else None)}），"
            f"总体完成率 {percent(overall.completion)}，本季度应达进度 "
            f"{percent(overall.expected)}，总体状态为“{overall.status.label}”。"
            f"量化指标中，正常 {counts[Rag.GREEN]} 个、预警 {counts[Rag.AMBER]} 个、"
            f"滞后 {counts[Rag.RED]} 个、未填报 {counts[Rag.GREY]} 个；"
            f"重点工作事项中滞后 {lagging} 项。"
        )

    def _status_counts(self) -> Table:
        """The counts by status (indicators and items) beside the status chart."""
        scope = self.scope
        counts_table = self._counts_table(scope.progress.counts(), scope.item_counts)
        chart_width = self.portrait_width - sum(counts_table._colWidths) - 4 * mm
        return Table(
            [[counts_table, status_drawing(scope, chart_width, chart_width * 0.66)]],
            colWidths=[self.portrait_width - chart_width, chart_width],
            style=table_style(
                [
                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                    ("LEFTPADDING", (0, 0), (-1, -1), 0),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ]
            ),
        )

    def _chapter_completion(self) -> KeepTogether:
        """Each chapter's completion against pace, as one chart under its heading."""
        return KeepTogether(
            [
                Paragraph("三、各章节完成情况", self.styles.h2),
                chapters_drawing(self.scope, self.portrait_width),
            ]
        )

    def _key_figures(self, overall: Evaluation, lagging: int) -> Table:
        """Four boxes: overall completion, expected pace, overall status, lagging items."""
        s = self.styles
        reported, total = coverage(self.scope.indicators, self.scope.progress)
        figures = [
            ("总体完成率", percent(overall.completion), s.kpi),
            ("填报率", f"{reported}/{total}", s.kpi),
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
            style=table_style(
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
            rows, colWidths=[30 * mm] + [14.5 * mm] * 5, style=table_style(style), hAlign="LEFT"
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
            style=table_style(
                [
                    ("GRID", (0, 0), (-1, -1), 0.5, RULE),
                    ("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL),
                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ]
            ),
        )
        return [table, Spacer(1, 2 * mm)]
