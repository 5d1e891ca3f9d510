"""从备份恢复: pick one of the file's backups to restore."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ...storage.backup import Backup, list_backups
from .buttons import ok_cancel


class RestoreDialog(QDialog):
    """Pick a backup to restore."""

    def __init__(self, db_path: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("从备份恢复")
        self.resize(520, 400)
        layout = QVBoxLayout(self)
        label = QLabel("选择要恢复的备份。恢复前会先备份当前内容，因此恢复也可以再撤回。")
        label.setWordWrap(True)
        layout.addWidget(label)
        self.list = QListWidget()
        self.backups: list[Backup] = list_backups(db_path)
        for backup in self.backups:
            entry = QListWidgetItem(backup.label)
            entry.setData(Qt.ItemDataRole.UserRole, str(backup.path))
            self.list.addItem(entry)
        if self.backups:
            self.list.setCurrentRow(0)
        else:
            layout.addWidget(QLabel("还没有备份。"))
        layout.addWidget(self.list, 1)
        layout.addWidget(ok_cancel(self, "恢复"))

    def chosen(self) -> Path | None:
        entry = self.list.currentItem()
        return Path(entry.data(Qt.ItemDataRole.UserRole)) if entry else None
