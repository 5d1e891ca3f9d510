"""合并副本: the preview of a merge (what will change, and a choice for each conflict)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QHeaderView,
    QLabel,
    QListWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ...storage.merge import Conflict, MergePreview, Side
from ...storage.wording import OPS
from .buttons import ok_cancel


class MergeDialog(QDialog):
    """The preview of a merge: what will change, and a choice for each conflict."""

    def __init__(self, preview: MergePreview, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.preview = preview
        self.setWindowTitle(f"合并副本 — {preview.source.name}")
        self.resize(900, 560)
        layout = QVBoxLayout(self)
        summary = QLabel(
            f"副本“{preview.source}”中有 {len(preview.changes)} 项修改可以直接合并，"
            f"{len(preview.conflicts)} 项与本文件的修改冲突，需要您选择保留哪一方。"
            + (
                f"另有 {len(preview.skipped)} 项属于已锁定的季度，不会合并。"
                if preview.skipped
                else ""
            )
            + (f"（副本最近由 {preview.their_user} 修改）" if preview.their_user else "")
        )
        summary.setWordWrap(True)
        layout.addWidget(summary)
        layout.addWidget(QLabel("将合并的修改："))
        self.changes = _changes_table(preview)
        layout.addWidget(self.changes, 1)
        layout.addWidget(QLabel("冲突（请逐项选择）："))
        self.conflicts, self.choices = _conflicts_table(preview)
        layout.addWidget(self.conflicts, 1)
        if preview.skipped:
            layout.addWidget(QLabel("季度已锁定，未合并（解锁该季度后再次合并即可带入）："))
            self.skipped = QListWidget()
            self.skipped.setObjectName("merge-skipped")
            for conflict in preview.skipped:
                self.skipped.addItem(conflict.change.description)
            layout.addWidget(self.skipped)
        note = QLabel(
            "合并前会自动备份本文件；合并在一个事务中完成，同一副本再次合并不会重复修改。"
        )
        note.setWordWrap(True)
        layout.addWidget(note)
        layout.addWidget(ok_cancel(self, "合并"))

    def resolutions(self) -> dict[tuple[str, str, str | None], Side]:
        return {conflict.key: choice.currentData() for conflict, choice in self.choices}


def _cell(text: str) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
    item.setToolTip(text)
    return item


def _finish(table: QTableWidget) -> None:
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
    table.verticalHeader().setVisible(False)


def _changes_table(preview: MergePreview) -> QTableWidget:
    """What the merge takes in: renamed departments and plans first, then every change."""
    shown = [
        (a.description, OPS["alias"], "", "")
        for a in preview.reconciled
        if a.tbl in ("department", "plan")
    ] + [
        (change.description, OPS[change.op], change.ours_text, change.theirs_text)
        for change in preview.changes
    ]
    table = QTableWidget(len(shown), 4)
    table.setObjectName("merge-changes")
    table.setHorizontalHeaderLabels(["内容", "操作", "本文件的值", "副本的值"])
    for row, texts in enumerate(shown):
        for column, text in enumerate(texts):
            table.setItem(row, column, _cell(text))
    _finish(table)
    return table


def _conflicts_table(
    preview: MergePreview,
) -> tuple[QTableWidget, list[tuple[Conflict, QComboBox]]]:
    """The conflicts, each with its 保留 choice (this file's value unless the clerk says)."""
    table = QTableWidget(len(preview.conflicts), 5)
    table.setObjectName("merge-conflicts")
    table.setHorizontalHeaderLabels(["内容", "情况", "本文件的值", "副本的值", "保留"])
    choices: list[tuple[Conflict, QComboBox]] = []
    for row, conflict in enumerate(preview.conflicts):
        change = conflict.change
        for column, text in enumerate(
            (change.label, conflict.description, change.ours_text, change.theirs_text)
        ):
            table.setItem(row, column, _cell(text))
        choice = QComboBox()
        choice.addItem("保留本文件的值", "ours")
        choice.addItem("采用副本的值", "theirs")
        table.setCellWidget(row, 4, choice)
        choices.append((conflict, choice))
    _finish(table)
    return table, choices
