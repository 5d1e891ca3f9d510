"""数据已被他人修改: an edit met a value another clerk saved meanwhile; keep theirs or overwrite."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from ...workspace import Edit
from ..display import show_value


class ConflictDialog(QMessageBox):
    """Shows the value the clerk read, the other user's and the clerk's own."""

    def __init__(self, edit: Edit, theirs: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setIcon(QMessageBox.Icon.Warning)
        self.setWindowTitle("数据已被他人修改")
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setText(
            f"“{edit.label}”：在您读取之后，其他用户已修改了该数据。\n\n"
            f"您读取时的值：{show_value(edit.old)}\n其他用户改为：{show_value(theirs)}\n您要保存的值：{show_value(edit.new)}"
        )
        self.addButton("保留其他用户的值", QMessageBox.ButtonRole.RejectRole)
        self.overwrite_button = self.addButton("用我的值覆盖", QMessageBox.ButtonRole.AcceptRole)

    def overwrite_chosen(self) -> bool:
        """After exec(): whether the clerk chose to save their own value over the other's."""
        return self.clickedButton() is self.overwrite_button
