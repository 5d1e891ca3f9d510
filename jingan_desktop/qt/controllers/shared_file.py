"""The shared file: who else has it open, other clerks' commits, files that go away, daily
backups and 从备份恢复, 合并副本 and 导出部门填报文件.

:class:`FileWatcher` polls the open file; :class:`SharedFileController` turns what it sees
into the window's banners and refreshes, and runs the backup, restore and merge commands.
"""

from __future__ import annotations

import threading
from datetime import datetime
from pathlib import Path
from typing import Any

from PySide6 import QtWidgets
from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QAbstractItemView

from ...storage.backup import (
    backup_file,
    full_check,
    newest_good_backup,
    restore,
    restore_damaged,
    take_backup,
)
from ...storage.database import CorruptError, StoreError
from ...storage.presence import REFRESH_SECONDS, PresenceBoard
from ...storage.store import Store
from ...workspace import Workspace
from ..messages import describe, show_error
from .base import Controller
from .files import PLAN_FILE_FILTER

POLL_MS = 2000
# A big file's integrity check starts this long after its plan is shown, so that it does not
# take the CPU from drawing the tree (a write before then starts it and waits for it).
FULL_CHECK_DELAY_MS = 500


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


class DailyBackup(QObject):
    """The daily backup and its integrity check, on a thread of their own with their own
    connection: on a big file they take seconds (``integrity_check`` reads every page), and
    the clerk keeps working meanwhile. SQLite releases the GIL while it copies and checks;
    the copy runs in steps, so the clerk's own saves are not held up by the reading lock."""

    finished = Signal(object, object)  # problems (list[str]) or None, the error or None

    def __init__(self, path: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.path = path
        self.thread = threading.Thread(target=self._run, name="daily-backup")

    def start(self) -> None:
        self.thread.start()

    def _run(self) -> None:
        problems, error = None, None
        try:
            problems = full_check(backup_file(self.path, "daily"))
        except (StoreError, OSError) as exc:
            error = exc
        try:
            self.finished.emit(problems, error)  # queued to the UI thread
        except RuntimeError:  # the window closed meanwhile
            pass


class SharedFileController(Controller):
    backup_finished = Signal()  # the daily backup and its check are done (or failed)
    file_checked = Signal(object, object)  # the store, its integrity check's problems (or None)

    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.watcher: FileWatcher | None = None
        self.daily: DailyBackup | None = None
        self.file_checked.connect(self._file_checked)

    def attach(self, workspace: Workspace) -> None:
        self.watcher = FileWatcher(workspace.store, self.window)
        self.watcher.changed_elsewhere.connect(self.reload_from_elsewhere)
        self.watcher.others_changed.connect(self.show_others)
        self.watcher.lost.connect(self.file_lost)
        self.watcher.start()
        window = self.window
        window.readonly_banner.setText(
            "只读模式：文件所在位置不可写入（写保护U盘或只读共享目录），所有修改都不会保存。"
        )
        window.readonly_banner.setVisible(workspace.readonly)
        scope = workspace.store.meta().get("scope", "")
        window.scope_banner.setText(
            f"部门填报文件：{scope.removeprefix('department:')}。填报后请交回规划办，用“合并副本”并入主文件。"
        )
        window.scope_banner.setVisible(scope.startswith("department:"))
        self._check_in_background(workspace.store)

    # -- the integrity check of a big file, once it is shown --

    def _check_in_background(self, store: Store) -> None:
        database = store.database
        if not database.full_check_pending:
            return

        def done(problems: list[str] | None) -> None:  # on the check's thread
            try:
                self.file_checked.emit(store, problems)  # queued to the UI thread
            except RuntimeError:  # the window closed meanwhile
                pass

        database.when_full_check_done(done)
        QTimer.singleShot(FULL_CHECK_DELAY_MS, self, database.start_full_check)

    def _file_checked(self, store: Store, problems: list[str] | None) -> None:
        """Damage found in the open file: nothing more is written to it (every write is
        refused), the clerk is told so and offered the newest good backup."""
        if not problems or self.workspace is None or self.workspace.store is not store:
            return
        banner = self.window.readonly_banner
        banner.setText(
            "此文件已损坏：修改不会保存。请用“从备份恢复”恢复到较早的备份，并联系信息管理人员。"
        )
        banner.setVisible(True)
        error = CorruptError(store.path, "; ".join(problems[:5]))
        if self.window.share_sync.session is not None:
            show_error(self.window, error)  # a replica: the share's master is not restored here
            return
        self.offer_restore(store.path, error, open_store=store)

    def stop_watching(self) -> None:
        """Before another file is opened: no more polling, no presence entry for this one."""
        if self.watcher is not None:
            self.watcher.stop()
            self.watcher.deleteLater()
            self.watcher = None

    # -- other clerks --

    def reload_from_elsewhere(self) -> None:
        """Another clerk committed: re-read, keeping selection, expansion and scroll position."""
        window, ws, model = self.window, self.workspace, self.window.model
        if ws is None or model is None:
            return
        if window.tree.state() == QAbstractItemView.State.EditingState:
            QTimer.singleShot(1000, self.reload_from_elsewhere)  # after the user's own edit
            return
        window.detail.flush()
        before = model.structure()
        scroll = window.tree.verticalScrollBar().value()
        try:
            ws.reload()
        except StoreError as exc:
            self.file_lost(exc)
            return
        navigation = window.navigation
        if navigation.row_filter is not None:
            navigation.row_filter.invalidate()
        if model.structure_of(ws) != before:
            navigation.rebuild_tree()
        else:
            model.refresh_all()
        navigation.fill_department_filter()
        navigation.refresh_side_panels()
        window.charts_changed()
        window.tree.verticalScrollBar().setValue(scroll)
        self.show_message(f"已载入其他用户保存的修改（{datetime.now():%H:%M:%S}）")

    def show_others(self, others: list) -> None:
        label = self.window.presence_label
        if others:
            names = "、".join(p.label for p in others)
            label.setText(f"👥 同时打开：{names}")
            label.setToolTip(
                "这些用户也打开了此文件。您的每次修改都会立即保存，并能看到他们保存的修改。"
            )
        label.setVisible(bool(others))

    def file_lost(self, exc: BaseException) -> None:
        banner = self.window.readonly_banner
        banner.setText(f"无法访问文件：{describe(exc)[1]} 修改将不会保存。")
        banner.setVisible(True)
        if self.watcher is not None:
            self.watcher.poll_timer.stop()

    # -- backups --

    def daily_backup_soon(self, store: Store) -> None:
        # After the window has drawn the plan: a big file's copy should not delay it.
        QTimer.singleShot(1500, self, lambda s=store: self._daily_backup(s))

    def _daily_backup(self, store: Store) -> None:
        if self.workspace is None or self.workspace.store is not store:
            return  # another file was opened meanwhile
        if self.daily is not None and self.daily.thread.is_alive():
            return
        self.daily = DailyBackup(store.path, self)
        self.daily.finished.connect(self._daily_backup_done)
        self.daily.start()

    def _daily_backup_done(self, problems: list[str] | None, error: BaseException | None) -> None:
        self.backup_finished.emit()
        if error is not None:
            self.show_message(f"自动备份失败：{describe(error)[1]}")
            return
        if problems:
            QtWidgets.QMessageBox.warning(
                self.window,
                "文件可能已损坏",
                "每日检查发现此文件的内部结构有错误（例如索引损坏）。建议尽快用“从备份恢复”恢复到较早的备份，"
                f"并联系信息管理人员。\n\n技术信息：{'; '.join(problems[:3])}",
            )

    def offer_restore(self, path: Path, exc: StoreError, open_store: Store | None = None) -> bool:
        """A damaged file: say so, and offer the newest good backup (never write the file).
        ``open_store``: the damaged file is open here, closed before it is moved aside."""
        title, text = describe(exc)
        backup = newest_good_backup(path)
        if backup is None:
            show_error(self.window, exc)
            return False
        answer = QtWidgets.QMessageBox.question(
            self.window,
            title,
            f"{text}\n\n找到可用的备份：{backup.label}\n是否用该备份恢复？（损坏的文件会被改名保留，不会删除）",
        )
        if answer != QtWidgets.QMessageBox.StandardButton.Yes:
            return False
        if open_store is not None:
            self.stop_watching()
            open_store.close()  # (Windows renames no file that is open)
        try:
            aside = restore_damaged(path, backup.path)
        except (StoreError, OSError) as restore_error:
            show_error(self.window, restore_error)
            return False
        self.show_message(f"已从备份恢复；损坏的文件保存为 {aside.name}")
        return self.window.open_path(path)

    def backup_now(self) -> None:
        if self.workspace is None:
            return
        try:
            path = take_backup(self.workspace.store.database, "manual")
        except (StoreError, OSError) as exc:
            show_error(self.window, exc)
            return
        self.show_message(f"已备份到 {path}")

    def restore_backup(self) -> None:
        ws = self.workspace
        if ws is None or ws.readonly:
            return
        from ..dialogs.restore_backup import RestoreDialog

        dialog = RestoreDialog(ws.store.path, self.window)
        if dialog.exec() != QtWidgets.QDialog.DialogCode.Accepted or dialog.chosen() is None:
            return
        try:
            restore(ws.store.database, dialog.chosen())  # type: ignore[arg-type]
        except (StoreError, OSError) as exc:
            show_error(self.window, exc)
            return
        self.window.navigation.reload()
        self.window.editing.clear_undo()
        self.show_message("已从备份恢复（恢复前的内容已另行备份）")

    # -- copies: merging back, department files --

    def merge_copy(self) -> None:
        ws = self.workspace
        if ws is None or ws.readonly:
            return
        chosen, _ = QtWidgets.QFileDialog.getOpenFileName(
            self.window, "选择要合并的副本", self.window.files.last_dir(), PLAN_FILE_FILTER
        )
        if not chosen:
            return
        self.merge_from(Path(chosen))

    def merge_from(self, copy_path: Path) -> bool:
        ws = self.workspace
        if ws is None:
            return False
        from ...storage.merge import StalePreviewError, apply_merge, plan_merge
        from ..dialogs.merge_preview import MergeDialog

        try:
            preview = plan_merge(ws.store, copy_path)
        except (StoreError, OSError) as exc:
            show_error(self.window, exc)
            return False
        if preview.nothing_to_do:
            QtWidgets.QMessageBox.information(
                self.window, "合并副本", "副本中没有新的修改，无需合并。"
            )
            return True
        while True:
            dialog = MergeDialog(preview, self.window)
            if dialog.exec() != QtWidgets.QDialog.DialogCode.Accepted:
                return False
            try:
                count = apply_merge(ws.store, preview, resolutions=dialog.resolutions())
                break
            except StalePreviewError as exc:
                # Someone saved into this file while the preview was shown: show it again.
                QtWidgets.QMessageBox.information(
                    self.window,
                    "合并副本",
                    "预览之后本文件又有人保存了修改，尚未合并任何内容。请查看更新后的预览再确认。",
                )
                preview = exc.preview
                if preview.nothing_to_do:
                    return True
            except (StoreError, OSError) as exc:
                show_error(self.window, exc)
                return False
        self.window.navigation.reload()
        self.window.editing.clear_undo()
        self.show_message(f"合并完成：{count} 项修改已写入（合并前已自动备份）")
        return True

    def export_department_file(self) -> None:
        ws = self.workspace
        if ws is None:
            return
        names = [d.name for d in ws.data.departments]
        if not names:
            QtWidgets.QMessageBox.information(
                self.window,
                "导出部门填报文件",
                "还没有单位。请先在“单位管理”中添加单位并指定牵头单位。",
            )
            return
        name, ok = QtWidgets.QInputDialog.getItem(
            self.window, "导出部门填报文件", "单位：", names, 0, False
        )
        if not ok:
            return
        suggestion = ws.store.path.with_name(f"{ws.store.path.stem}-{name}-填报.sqlite")
        target, _ = QtWidgets.QFileDialog.getSaveFileName(
            self.window, "保存部门填报文件", str(suggestion), PLAN_FILE_FILTER
        )
        if not target:
            return
        from ...storage.merge import export_department_file  # the merge engine, on first use

        try:
            export_department_file(ws.store, name, target)
        except (StoreError, OSError) as exc:
            show_error(self.window, exc)
            return
        self.show_message(f"已导出 {name} 的填报文件：{target}")
