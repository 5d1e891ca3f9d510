"""导入 Excel: what an import would change, and what cannot be imported, before anything is
written."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from .buttons import ok_cancel

if TYPE_CHECKING:
    from ...outputs.excel import ImportPreview


class ImportPreviewDialog(QDialog):
    """What an Excel import would change, and what cannot be imported, before anything is written."""

    def __init__(self, preview: ImportPreview, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"导入 Excel — {preview.path.name}")
        self.resize(860, 520)
        layout = QVBoxLayout(self)
        text = f"读取了 {preview.rows_read} 行，将修改 {len(preview.changes)} 项。"
        if preview.problems:
            text += f"有 {len(preview.problems)} 处无法导入（见下方），这些单元格将被跳过。"
        if preview.locked:
            text += "该季度已锁定，无法导入，请先解锁。"
        summary = QLabel(text)
        summary.setWordWrap(True)
        layout.addWidget(summary)
        self.changes = QTableWidget(len(preview.changes), 5)
        self.changes.setObjectName("import-changes")
        self.changes.setHorizontalHeaderLabels(["编号", "名称", "内容", "原值", "新值"])
        for row, change in enumerate(preview.changes):
            for column, value in enumerate(
                (change.number, change.name, change.label, _show(change.old), _show(change.new))
            ):
                item = QTableWidgetItem(value)
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                self.changes.setItem(row, column, item)
        self.changes.horizontalHeader().setStretchLastSection(True)
        layout.addWidget(self.changes, 2)
        if preview.problems:
            layout.addWidget(QLabel("无法导入："))
            self.problems = QTableWidget(len(preview.problems), 1)
            self.problems.setHorizontalHeaderLabels(["说明"])
            for row, problem in enumerate(preview.problems):
                self.problems.setItem(row, 0, QTableWidgetItem(str(problem)))
            self.problems.horizontalHeader().setStretchLastSection(True)
            layout.addWidget(self.problems, 1)
        buttons = ok_cancel(self, "导入")
        ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok_button.setEnabled(bool(preview.changes) and not preview.locked)
        layout.addWidget(buttons)


def _show(value: object) -> str:
    if value is None:
        return "（空）"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
