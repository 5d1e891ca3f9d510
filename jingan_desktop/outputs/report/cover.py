"""The cover page: plan title, quarter, "季度工作进展报告", the department, the office and the date."""

from __future__ import annotations

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, NextPageTemplate, PageBreak, Paragraph, Spacer

from .section import Section
from .text import chinese_date, markup


class CoverPage(Section):
    def story(self) -> list[Flowable]:
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
