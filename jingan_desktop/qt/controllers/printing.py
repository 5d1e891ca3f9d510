"""打印 (Ctrl+P): the plan tree as it is shown — what is filtered out is not printed — as an A4
table in Chinese with page numbers, through Qt's print preview."""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtCore import QModelIndex
from PySide6.QtGui import QPageLayout, QPageSize, QTextDocument
from PySide6.QtPrintSupport import QPrinter, QPrintPreviewDialog

from ..views.tree_model import PlanTreeModel
from .base import Controller

COLUMNS = (
    PlanTreeModel.COL_NUMBER,
    PlanTreeModel.COL_NAME,
    PlanTreeModel.COL_TARGET,
    PlanTreeModel.COL_UNIT,
    PlanTreeModel.COL_ACTUAL,
    PlanTreeModel.COL_COMPLETION,
    PlanTreeModel.COL_STATUS,
    PlanTreeModel.COL_LEAD,
)


class PrintController(Controller):
    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.printer: QPrinter | None = None

    def print_tree(self) -> None:
        if self.window.model is None:
            return
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
        printer.setPageOrientation(QPageLayout.Orientation.Landscape)
        printer.setDocName(self.title())
        self.printer = printer
        preview = QPrintPreviewDialog(printer, self.window)
        preview.setWindowTitle("打印预览")
        preview.paintRequested.connect(self.paint)
        preview.resize(self.window.size() * 0.9)
        preview.exec()

    def paint(self, printer: QPrinter) -> None:
        document = QTextDocument()
        document.setDefaultFont(self.window.font())
        document.setHtml(self.tree_html())
        document.print_(printer)  # Qt numbers the pages at their foot

    def title(self) -> str:
        ws = self.workspace
        return f"{ws.plan.title} · {ws.quarter_label}" if ws else "计划"

    def tree_html(self) -> str:
        """Every row the tree shows (filtered as on screen, closed rows included)."""
        model = self.window.model
        assert model is not None
        header = "".join(f"<th>{html.escape(model.HEADERS[c])}</th>" for c in COLUMNS)
        rows: list[str] = []
        pending = [(QModelIndex(), 0)]
        while pending:
            parent, depth = pending.pop()
            children = [model.index(r, 0, parent) for r in range(model.rowCount(parent))]
            for child in reversed(children):
                pending.append((child, depth + 1))
            if parent.isValid():
                rows.append(self._row(model, parent, depth - 1))
        scope = self._scope()
        return (
            "<html><body>"
            f"<h3>{html.escape(self.title())}</h3>"
            + (f"<p>{html.escape(scope)}</p>" if scope else "")
            + '<table border="1" cellspacing="0" cellpadding="3" width="100%">'
            f"<tr>{header}</tr>{''.join(rows)}</table></body></html>"
        )

    @staticmethod
    def _row(model: PlanTreeModel, index: QModelIndex, depth: int) -> str:
        cells = []
        bold = model.data(index, PlanTreeModel.KindRole) == "chapter"
        for column in COLUMNS:
            text = html.escape(str(index.siblingAtColumn(column).data() or ""))
            if column == PlanTreeModel.COL_NAME:
                text = "&nbsp;" * 3 * depth + text
            cells.append(f"<td>{'<b>' + text + '</b>' if bold else text}</td>")
        return f"<tr>{''.join(cells)}</tr>"

    def _scope(self) -> str:
        window = self.window
        parts = [
            f"搜索“{window.search_edit.text().strip()}”"
            if window.search_edit.text().strip()
            else "",
            window.department_filter.currentText()
            if window.department_filter.currentData()
            else "",
            window.status_filter.currentText() if window.status_filter.currentData() else "",
        ]
        shown = "，".join(p for p in parts if p)
        return f"筛选：{shown}" if shown else ""
