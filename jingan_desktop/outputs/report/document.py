"""The PDF document: page sizes and templates (cover, portrait, landscape), the header and footer
on every page, "第 N 页 共 M 页" numbering and the file's metadata."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from reportlab import rl_config
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate, Frame, PageTemplate

from ...plan.model import Plan, Quarter
from .styles import MUTED, OFFICIAL_RED, PDF_FONT, RULE
from .text import chinese_date

# Binary streams, not ASCII85: a smaller PDF, and reportlab's pure-Python ASCII85 encoder was
# a quarter of the report's time. Every PDF reader takes binary streams.
rl_config.useA85 = 0


PORTRAIT = A4
LANDSCAPE = landscape(A4)


@dataclass
class Furniture:
    """What the header and footer print on every page."""

    header_left: str
    header_right: str
    footer_left: str
    pages: int = 0  # filled in once the document has been laid out
    page_number: str = "第 {number} 页 共 {total} 页"  # the 公文 layout: "— {number} —"


def furniture_and_metadata(
    plan: Plan, quarter: Quarter, department: str | None, office: str, generated_on: date
) -> tuple[Furniture, dict[str, str]]:
    """The header and footer lines of every page, and the PDF's title, author, subject and
    keywords."""
    subject = f"{quarter.label}工作进展报告" + (f"（{department}）" if department else "")
    furniture = Furniture(
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
    return furniture, meta


def _fit(text: str, font_size: float, width: float) -> str:
    if pdfmetrics.stringWidth(text, PDF_FONT, font_size) <= width:
        return text
    while text and pdfmetrics.stringWidth(text + "…", PDF_FONT, font_size) > width:
        text = text[:-1]
    return text + "…"


def canvas_class(furniture: Furniture) -> type[Canvas]:
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
            text = furniture.page_number.format(number=number, total=total)
            self.drawCentredString(width / 2, 10 * mm, text)
            self.restoreState()

    return NumberedCanvas


def _page_header(furniture: Furniture) -> Callable[[Canvas, BaseDocTemplate], None]:
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


def document(
    buffer: io.BytesIO, furniture: Furniture, meta: dict[str, str], first: str = "cover"
) -> BaseDocTemplate:
    """The document with its page templates; ``first`` names the first page's (the 公文
    layout starts on ``gongwen``)."""

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
    templates = [
        PageTemplate(
            "cover", [frame(PORTRAIT, 25 * mm, 25 * mm, 25 * mm)], onPage=_cover_furniture
        ),
        PageTemplate(  # 公文: no running header, the type area of GB/T 9704 (about)
            "gongwen", [frame(PORTRAIT, 27 * mm, 32 * mm, 30 * mm)], pagesize=PORTRAIT
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
    templates.sort(key=lambda template: template.id != first)  # stable: the rest keep order
    doc.addPageTemplates(templates)
    return doc
