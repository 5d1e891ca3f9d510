"""The report in the 公文 manner: the 版头 (the issuing office in red over a red rule), the title
"关于…重点工作进展情况的报告", the body as numbered paragraphs (总体情况, 滞后事项, 各章节进展),
the signature block (发文机关署名 and 成文日期, right-aligned) and, as 附件, the chapter tables
in black and grey. No charts: an issued document carries words and tables."""

from __future__ import annotations

from reportlab.lib.units import mm
from reportlab.platypus import (
    Flowable,
    HRFlowable,
    KeepTogether,
    NextPageTemplate,
    Paragraph,
    Spacer,
)

from ...plan.progress import Evaluation, Rag
from .section import Section
from .styles import OFFICIAL_RED
from .summary import SummaryPages
from .text import chinese_date, markup, percent

CHINESE_NUMBERS = "一二三四五六七八九十"


def _ordinal(n: int) -> str:
    """1 → 一 … 10 → 十, 11 → 十一, 20 → 二十 (enough for a plan's chapters)."""
    if n <= 10:
        return CHINESE_NUMBERS[n - 1]
    tens, ones = divmod(n, 10)
    return (
        (CHINESE_NUMBERS[tens - 1] if tens > 1 else "")
        + "十"
        + (CHINESE_NUMBERS[ones - 1] if ones else "")
    )


class GongwenPages(Section):
    def title(self) -> str:
        who = f"{self.scope.department}牵头及配合" if self.scope.department else ""
        return f"关于{self.scope.quarter_label}{who}重点工作进展情况的报告"

    def story(self) -> list[Flowable]:
        s = self.styles
        story: list[Flowable] = [NextPageTemplate("gongwen")]
        if self.office:
            story += [
                Paragraph(markup(self.office), s.gw_office),
                Spacer(1, 2 * mm),
                HRFlowable(width="100%", thickness=1.6, color=OFFICIAL_RED, spaceAfter=8 * mm),
            ]
        else:
            story.append(Spacer(1, 8 * mm))
        story += [Paragraph(markup(self.title()), s.gw_title), Spacer(1, 4 * mm)]
        body = self._body()
        # The signature and date never stand alone on a page: the last paragraph goes with them.
        story += [*body[:-1], KeepTogether([*body[-1:], *self._signature()])]
        self.progress.step()
        self.progress.step()
        return story

    def _body(self) -> list[Flowable]:
        s, scope = self.styles, self.scope
        lagging = scope.lagging()
        summary = SummaryPages.of(self)
        story: list[Flowable] = [
            Paragraph("一、总体情况", s.gw_h),
            Paragraph(summary._overall_sentence(len(lagging)), s.gw_body),
            Paragraph("二、滞后事项", s.gw_h),
        ]
        if not lagging:
            story.append(Paragraph("本季度无滞后事项。", s.gw_body))
        for n, (_chapter, item) in enumerate(lagging, start=1):
            reported = self.ws.progress_of(item.id or "")
            lead = f"（{markup(item.lead_department)}）" if item.lead_department else ""
            note = f"{markup(reported.text)}" if reported and reported.text else "未填报进展情况。"
            story.append(
                Paragraph(f"（{_ordinal(n)}）{markup(item.title)}{lead}。{note}", s.gw_body)
            )
        story.append(Paragraph("三、各章节进展", s.gw_h))
        for chapter in scope.plan.chapters:
            ev = scope.progress.chapters.get(
                chapter.id or "", Evaluation(None, None, None, Rag.GREY)
            )
            red = sum(
                1 for i in chapter.items if scope.progress.items[i.id or ""].status is Rag.RED
            )
            story.append(
                Paragraph(
                    f"{markup(chapter.numeral)}、{markup(chapter.title)}：重点工作 "
                    f"{len(chapter.items)} 项，完成率 {percent(ev.completion)}，"
                    f"状态“{ev.status.label}”，滞后事项 {red} 项。",
                    s.gw_body,
                )
            )
        if scope.plan.chapters:
            story.append(Paragraph("各事项和指标的进展见附件。", s.gw_body))
        return story

    def _signature(self) -> list[Flowable]:
        s = self.styles
        story: list[Flowable] = [Spacer(1, 14 * mm)]
        if self.scope.plan.chapters:
            story = [Spacer(1, 4 * mm), Paragraph("附件：各章节重点工作进展情况表", s.gw_annex)]
            story.append(Spacer(1, 10 * mm))
        if self.office:
            story.append(Paragraph(markup(self.office), s.gw_sign))
        story.append(Paragraph(chinese_date(self.generated_on), s.gw_sign))
        return story
