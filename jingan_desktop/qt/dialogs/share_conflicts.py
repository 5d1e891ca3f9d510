"""与共享文件的修改冲突: the same field changed on this PC and on another since they last
synced; the clerk chooses, field by field, which value stays (nothing is decided for them)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ...storage.merge import Conflict, Side
from ..display import show_value
from .buttons import ok_cancel

REFUSED_BY_SHARE = {"locked", "name_taken"}  # the merge's skipped kinds


class ShareConflictDialog(QDialog):
    """Each conflict with the share's value and this PC's, and a choice for each."""

    def __init__(self, conflicts: list[Conflict], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("与共享文件的修改冲突")
        self.resize(860, 420)
        layout = QVBoxLayout(self)
        text = QLabel(
            f"有 {len(conflicts)} 项在本机和其他电脑上都被修改过。请逐项选择保留哪一个值；"
            "选择之前，本机的所有修改都只保存在本机，不会写入共享文件。"
        )
        text.setWordWrap(True)
        layout.addWidget(text)
        self.table = QTableWidget(len(conflicts), 5)
        self.table.setObjectName("share-conflicts")
        self.table.setHorizontalHeaderLabels(["内容", "情况", "共享文件的值", "本机的值", "保留"])
        self.choices: list[tuple[Conflict, QComboBox]] = []
        for row, conflict in enumerate(conflicts):
            change = conflict.change
            for column, value in enumerate(
                (
                    change.label,
                    conflict.description,
                    show_value(change.ours),
                    show_value(change.theirs),
                )
            ):
                cell = QTableWidgetItem(value)
                cell.setFlags(cell.flags() & ~Qt.ItemFlag.ItemIsEditable)
                cell.setToolTip(value)
                self.table.setItem(row, column, cell)
            choice = QComboBox()
            if conflict.kind in REFUSED_BY_SHARE:  # the share cannot take this PC's value
                choice.addItem("采用共享文件的值（本机的修改不能并入）", "ours")
            else:
                choice.addItem("保留本机的值", "theirs")
                choice.addItem("采用共享文件的值", "ours")
            self.table.setCellWidget(row, 4, choice)
            self.choices.append((conflict, choice))
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setVisible(False)
        layout.addWidget(self.table, 1)
        layout.addWidget(ok_cancel(self, "按所选同步", "稍后决定"))

    def resolutions(self) -> dict[tuple[str, str, str | None], Side]:
        return {conflict.key: choice.currentData() for conflict, choice in self.choices}
