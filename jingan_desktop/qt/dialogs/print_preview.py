"""打印: Qt's print preview of an HTML document on A4, in the bundled font, "第 N 页 共 M 页" at
the foot of every page."""

from __future__ import annotations

from PySide6.QtCore import QMarginsF, QPointF, QRectF, QSizeF, Qt
from PySide6.QtGui import QFont, QPageLayout, QPageSize, QPainter, QTextDocument
from PySide6.QtPrintSupport import QPrinter, QPrintPreviewDialog, QPrintPreviewWidget
from PySide6.QtWidgets import QApplication, QWidget

FOOTER_MM = 8.0


def _font(point_size: float) -> QFont:
    """The application's font (the bundled CJK one) at ``point_size``."""
    font = QFont(QApplication.font())
    font.setPointSizeF(point_size)
    return font


def print_document(html: str, printer: QPrinter, point_size: float = 9.0) -> int:
    """Lay ``html`` out on the printer's pages and paint them with page numbers; the page count."""
    document = QTextDocument()
    document.setDefaultFont(_font(point_size))
    document.setHtml(html)
    painter = QPainter()
    if not painter.begin(printer):
        return 0
    try:
        dpi = printer.resolution()
        page = printer.pageLayout().paintRectPixels(dpi)
        footer = FOOTER_MM / 25.4 * dpi
        body = QSizeF(page.width(), page.height() - footer)
        # Lay out in points, draw scaled to the printer's pixels (text stays the size asked for).
        scale = dpi / 72.0
        document.setPageSize(QSizeF(body.width() / scale, body.height() / scale))
        pages = document.pageCount()
        for number in range(1, pages + 1):
            if number > 1:
                printer.newPage()
            _paint_page(painter, document, number, pages, scale, body, footer)
    finally:
        painter.end()
    return pages


def _paint_page(painter, document, number, pages, scale, body, footer) -> None:
    page_height = document.pageSize().height()
    painter.save()
    painter.scale(scale, scale)
    painter.translate(QPointF(0, -(number - 1) * page_height))
    clip = QRectF(0, (number - 1) * page_height, document.pageSize().width(), page_height)
    painter.setClipRect(clip)
    document.drawContents(painter, clip)
    painter.restore()
    painter.setFont(_font(8))
    rect = QRectF(0, body.height(), body.width(), footer)
    painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, f"第 {number} 页 共 {pages} 页")


class PrintPreview(QPrintPreviewDialog):
    """The preview of one document; 打印 in it prints what it shows."""

    def __init__(self, html: str, title: str, parent: QWidget | None = None) -> None:
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setPageLayout(
            QPageLayout(
                QPageSize(QPageSize.PageSizeId.A4),
                QPageLayout.Orientation.Portrait,
                QMarginsF(15, 15, 15, 12),
                QPageLayout.Unit.Millimeter,
            )
        )
        printer.setDocName(title)
        super().__init__(printer, parent)
        self._printer = printer  # the dialog does not own it: it lives as long as the dialog
        self.html = html
        self.pages = 0
        self.setWindowTitle(f"打印预览 — {title}")
        self.resize(900, 760)
        self.paintRequested.connect(self._paint)

    def _paint(self, printer: QPrinter) -> None:
        self.pages = print_document(self.html, printer)

    def preview(self) -> QPrintPreviewWidget:
        return self.findChild(QPrintPreviewWidget)
