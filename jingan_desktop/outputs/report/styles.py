"""Fonts, paragraph styles and colours of the PDF report."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.platypus import Paragraph, TableStyle

from ...paths import BUNDLED_FONT, cache_dir
from ...plan.progress import Rag
from .font import load_font

PDF_FONT = "WenQuanYiMicroHei"  # the name reportlab knows the bundled font by
RAG_ORDER = (Rag.GREEN, Rag.AMBER, Rag.RED, Rag.GREY)


class CellParagraph(Paragraph):
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


# --- fonts and styles ------------------------------------------------------------------------

_font_registered = False


def ensure_pdf_font() -> str:
    """Register the bundled TrueType font with reportlab once (embedded as a subset); its
    parse is kept in the user's cache folder (``font``)."""
    global _font_registered
    if not _font_registered:
        font, _cached = load_font(PDF_FONT, BUNDLED_FONT, cache_dir())
        pdfmetrics.registerFont(font)
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


# The 公文 layout's restrained palette: black text, grey rules and fills, red only in the
# 版头 (the issuing office and the rule under it).
GONGWEN_FILLS = {
    Rag.GREEN: colors.white,
    Rag.AMBER: colors.HexColor("#f2f2f2"),
    Rag.RED: colors.HexColor("#d9d9d9"),
    Rag.GREY: colors.white,
}
REPORT_STYLES = ("brief", "gongwen")


class Styles:
    """The paragraph styles and fills of one layout: ``brief`` (the tracking report, coloured
    status and charts) or ``gongwen`` (公文: black on white, grey status fills, no charts)."""

    def __init__(self, layout: str = "brief") -> None:
        ensure_pdf_font()
        if layout not in REPORT_STYLES:
            raise ValueError(f"unknown report style {layout!r}")
        self.layout = layout
        self.charts = layout == "brief"
        plain = layout == "gongwen"
        self.status_fills = GONGWEN_FILLS if plain else STATUS_FILLS
        self.header_fill = colors.HexColor("#e6e6e6") if plain else HEADER_FILL
        self.item_fill = colors.HexColor("#f7f7f7") if plain else ITEM_FILL
        accent = INK if plain else ACCENT
        status_ink = dict.fromkeys(STATUS_INK, INK) if plain else STATUS_INK
        self.cover_plan = _style("cover_plan", 20, alignment=TA_CENTER, leading=30)
        self.cover_quarter = _style("cover_quarter", 18, alignment=TA_CENTER, leading=26)
        self.cover_title = _style(
            "cover_title", 30, alignment=TA_CENTER, leading=40, textColor=OFFICIAL_RED
        )
        self.cover_department = _style("cover_department", 16, alignment=TA_CENTER, leading=24)
        self.cover_office = _style("cover_office", 16, alignment=TA_CENTER, leading=24)
        self.cover_date = _style("cover_date", 14, alignment=TA_CENTER, leading=22)
        self.h1 = _style("h1", 16, leading=22, spaceBefore=12, spaceAfter=6, textColor=accent)
        self.h2 = _style("h2", 12, leading=17, spaceBefore=8, spaceAfter=4, textColor=accent)
        self.body = _style("body", 10.5, leading=17, firstLineIndent=21)
        self.note = _style("note", 8, leading=11, textColor=MUTED)
        self.cell = _style("cell", 8, leading=10.5)
        self.cell_item = _style("cell_item", 8.5, leading=11, textColor=colors.black)
        self.cell_center = _style("cell_center", 8, leading=10.5, alignment=TA_CENTER)
        self.cell_right = _style("cell_right", 8, leading=10.5, alignment=TA_RIGHT)
        self.head = _style("head", 8.5, leading=11, alignment=TA_CENTER, textColor=colors.black)
        self.figure = _style("figure", 10, leading=14, alignment=TA_LEFT)
        self.kpi = _style("kpi", 17, leading=22, alignment=TA_CENTER, textColor=accent)
        self.kpi_label = _style("kpi_label", 8.5, leading=11, alignment=TA_CENTER, textColor=MUTED)
        self.kpi_status = {
            rag: _style(f"kpi_{rag.value}", 17, leading=22, alignment=TA_CENTER, textColor=ink)
            for rag, ink in status_ink.items()
        }
        self.status = {
            rag: _style(f"status_{rag.value}", 8, leading=10.5, alignment=TA_CENTER, textColor=ink)
            for rag, ink in status_ink.items()
        }
        self._gongwen_styles()

    def _gongwen_styles(self) -> None:
        """The 公文 page: 版头, title, body in 3号-like size, the signature block."""
        self.gw_office = _style(
            "gw_office", 26, alignment=TA_CENTER, leading=34, textColor=OFFICIAL_RED
        )
        self.gw_title = _style("gw_title", 18, alignment=TA_CENTER, leading=28, spaceAfter=8)
        self.gw_h = _style("gw_h", 13, leading=22, spaceBefore=6, firstLineIndent=26)
        self.gw_body = _style("gw_body", 13, leading=22, firstLineIndent=26)
        self.gw_sign = _style("gw_sign", 13, leading=22, alignment=TA_RIGHT, rightIndent=26)
        self.gw_annex = _style("gw_annex", 13, leading=22)


def table_style(commands: Sequence[tuple[Any, ...]]) -> TableStyle:
    """A TableStyle whose cells use the bundled font (a table's default is Helvetica, which
    would be referenced but not embedded)."""
    return TableStyle([("FONTNAME", (0, 0), (-1, -1), PDF_FONT), *commands])
