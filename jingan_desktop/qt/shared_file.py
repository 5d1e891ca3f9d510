"""The shared file in the UI: who else has it open, other clerks' commits, merging copies,
restoring backups."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..storage.backup import Backup, list_backups
from ..storage.database import StoreError
from ..storage.merge import Conflict, MergePreview, Side
from ..storage.presence import REFRESH_SECONDS, PresenceBoard
from ..storage.store import Store

POLL_MS = 2000


class FileWatcher(QObject):
    """Polls the open file: other clerks' commits (PRAGMA data_version) and presence."""

    changed_elsewhere = Signal()
    others_changed = Signal(list)  # list[Presence]
    lost = Signal(object)  # the StoreError when the file can no longer be read

    def __init__(self, store: Store, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store = store
        user, machine = store.actor
        self.board = PresenceBoard(store.path, user, machine)
        self._version = self._data_version()
        self._others: list = []
        self.poll_timer = QTimer(self, interval=POLL_MS)
        self.poll_timer.timeout.connect(self.poll)
        self.presence_timer = QTimer(self, interval=REFRESH_SECONDS * 1000)
        self.presence_timer.timeout.connect(self.refresh_presence)

    def start(self) -> None:
        if not self.store.readonly:
            self.board.announce()
        self.refresh_presence()
        self.poll_timer.start()
        self.presence_timer.start()

    def stop(self) -> None:
        self.poll_timer.stop()
        self.presence_timer.stop()
        self.board.withdraw()

    def _data_version(self) -> int | None:
        try:
            return self.store.database.data_version()
        except StoreError:
            return None

    def poll(self) -> bool:
        """True when another connection committed since the last poll."""
        try:
            version = self.store.database.data_version()
        except StoreError as exc:
            self.lost.emit(exc)
            return False
        if version != self._version:
            self._version = version
            self.changed_elsewhere.emit()
            return True
        return False

    def refresh_presence(self) -> None:
        if not self.store.readonly:
            self.board.announce()
        others = self.board.others()
        if [(p.user, p.machine, p.pid) for p in others] != [
            (p.user, p.machine, p.pid) for p in self._others
        ]:
            self._others = others
            self.others_changed.emit(others)

    @property
    def others(self) -> list:
        return list(self._others)


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
            + (f"（副本最近由 {preview.their_user} 修改）" if preview.their_user else "")
        )
        summary.setWordWrap(True)
        layout.addWidget(summary)
        layout.addWidget(QLabel("将合并的修改："))
        self.changes = QTableWidget(len(preview.changes), 4)
        self.changes.setObjectName("merge-changes")
        self.changes.setHorizontalHeaderLabels(["内容", "操作", "本文件的值", "副本的值"])
        for row, change in enumerate(preview.changes):
            op = {"insert": "新增", "update": "修改", "delete": "删除"}[change.op]
            for column, text in enumerate(
                (change.label, op, _show(change.ours), _show(change.theirs))
            ):
                self.changes.setItem(row, column, _cell(text))
        _finish(self.changes)
        layout.addWidget(self.changes, 1)
        layout.addWidget(QLabel("冲突（请逐项选择）："))
        self.conflicts = QTableWidget(len(preview.conflicts), 5)
        self.conflicts.setObjectName("merge-conflicts")
        self.conflicts.setHorizontalHeaderLabels(["内容", "情况", "本文件的值", "副本的值", "保留"])
        self.choices: list[tuple[Conflict, QComboBox]] = []
        for row, conflict in enumerate(preview.conflicts):
            change = conflict.change
            for column, text in enumerate(
                (change.label, conflict.description, _show(change.ours), _show(change.theirs))
            ):
                self.conflicts.setItem(row, column, _cell(text))
            choice = QComboBox()
            choice.addItem("保留本文件的值", "ours")
            choice.addItem("采用副本的值", "theirs")
            self.conflicts.setCellWidget(row, 4, choice)
            self.choices.append((conflict, choice))
        _finish(self.conflicts)
        layout.addWidget(self.conflicts, 1)
        note = QLabel(
            "合并前会自动备份本文件；合并在一个事务中完成，同一副本再次合并不会重复修改。"
        )
        note.setWordWrap(True)
        layout.addWidget(note)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("合并")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def resolutions(self) -> dict[tuple[str, str, str | None], Side]:
        return {conflict.key: choice.currentData() for conflict, choice in self.choices}


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
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("恢复")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def chosen(self) -> Path | None:
        entry = self.list.currentItem()
        return Path(entry.data(Qt.ItemDataRole.UserRole)) if entry else None


def _cell(text: str) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
    item.setToolTip(text)
    return item


def _finish(table: QTableWidget) -> None:
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
    table.verticalHeader().setVisible(False)


def _show(value: object) -> str:
    if value is None:
        return "（空）"
    if isinstance(value, dict):
        return "（整条记录）"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
