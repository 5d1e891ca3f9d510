"""The 文件 menu's files: 打开, 新建 from a plan text, 导入计划文本, 另存为/备份副本, 最近打开, and
files dropped onto the window."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6 import QtCore, QtWidgets
from PySide6.QtCore import Qt
from PySide6.QtGui import QDragEnterEvent, QDropEvent

from ...paths import data_dir
from ...plan.model import Plan
from ...storage.backup import backup_file, daily_backup_due, take_backup
from ...storage.database import CorruptError, StoreError, TruncatedError
from ...storage.loading import no_cyclic_collection
from ...storage.store import PlanExistsError, Store
from ...storage.sync.detect import is_network_path
from ...workspace import Workspace
from ..messages import show_error
from .base import Controller

if TYPE_CHECKING:
    from ..dialogs.import_review import ImportReviewDialog

MAX_RECENT = 8
PLAN_FILE_FILTER = "计划数据文件 (*.sqlite *.db);;所有文件 (*)"
PLAN_TEXT_FILTER = "计划文本 (*.txt *.docx *.xlsx *.pdf);;所有文件 (*)"
PLAN_TEXT_SUFFIXES = (".txt", ".docx", ".xlsx", ".pdf")


def _damaged_master(exc: Exception) -> bool:
    """Whether the master on a share failed its check (only a share session raises that, so
    without one loaded it cannot be)."""
    fetch = sys.modules.get("jingan_desktop.storage.sync.fetch")
    return fetch is not None and isinstance(exc, fetch.DamagedMasterError)


class FilesController(Controller):
    review_dialog: ImportReviewDialog | None = None  # the open 导入前核对, if any

    def open_path(self, path: str | Path, quarter: int | None = None) -> bool:
        """Open a plan file; on any problem show why and keep what was open."""
        path = Path(path)
        try:
            if is_network_path(path):
                # Never opened with SQLite on the share: this PC's replica, synced. (The
                # session and the merge engine behind it load only for such a file.)
                from ...storage.sync.session import ShareSession

                session = ShareSession.open(path)
                store = session.store
                self.window.share_sync.begin(session)
            else:
                # A big file is checked in the background once the plan is shown
                # (shared_file.py reports what it finds; every write waits for the verdict).
                store = Store.open(
                    path, before_migrate=lambda p: backup_file(p, "migration"), check="auto"
                )
        except (CorruptError, TruncatedError) as exc:
            if _damaged_master(exc) or is_network_path(path):
                show_error(self.window, exc)  # a file on a share is never restored from here
                return False
            return self.window.shared_file.offer_restore(path, exc)
        except (StoreError, OSError) as exc:
            show_error(self.window, exc)
            return False
        if not store.readonly and daily_backup_due(store.path):  # (a replica: its own)
            self.window.shared_file.daily_backup_soon(store)
        quarter = quarter or self.window.window_layout.remembered_quarter(path)
        try:
            workspace = Workspace(store, quarter=quarter)
        except StoreError as exc:
            self.window.share_sync.abandon()
            store.close()
            if isinstance(exc, CorruptError) and not is_network_path(path):
                return self.window.shared_file.offer_restore(path, exc)  # found while reading
            show_error(self.window, exc)
            return False
        with no_cyclic_collection():  # the tree's nodes: no garbage among them either
            self.window.set_workspace(workspace)
        self.remember_recent(path)
        self.window.file_opened.emit(str(path))
        return True

    def choose_and_open(self) -> None:
        path, _ = QtWidgets.QFileDialog.getOpenFileName(
            self.window, "打开计划数据文件", self.last_dir(), PLAN_FILE_FILTER
        )
        if path:
            self.remember_dir(Path(path))
            self.open_any(Path(path))

    def open_any(self, path: Path) -> None:
        """Open a plan file, or start a new one from a plan document (.txt/.docx/.xlsx/.pdf)."""
        if path.suffix.lower() in PLAN_TEXT_SUFFIXES:
            self.new_from_text(path)
        else:
            self.open_path(path)

    def new_from_text(self, text_path: Path | None = None) -> None:
        """新建 from a plan document: reviewed first, the new file written only on 保存."""
        if not isinstance(text_path, Path):  # from the menu: the action's ``checked`` flag
            chosen, _ = QtWidgets.QFileDialog.getOpenFileName(
                self.window, "选择计划文本", self.last_dir(), PLAN_TEXT_FILTER
            )
            if not chosen:
                return
            text_path = Path(chosen)
        source = text_path

        def create(plan: Plan) -> bool:
            target, _ = QtWidgets.QFileDialog.getSaveFileName(
                self.review_dialog,
                "保存新的计划数据文件",
                str(source.with_suffix(".sqlite")),
                PLAN_FILE_FILTER,
            )
            if not target:
                return False
            target_path = Path(target)
            if target_path.exists():
                QtWidgets.QMessageBox.warning(
                    self.review_dialog,
                    "文件已存在",
                    f"“{target_path}”已存在。请另选文件名，或用“导入计划文本”加入已有文件。",
                )
                return False
            try:
                Store.create(target_path, plan).close()
            except Exception as exc:
                show_error(self.review_dialog, exc)
                return False
            return self.open_path(target_path)

        self.review(text_path, create)

    def import_plan_text(self) -> None:
        """导入计划文本 into the open file: reviewed first, one logged import on 保存; the same
        year again is brought up to date in place (unchanged items keep their figures)."""
        ws = self.workspace
        if ws is None:
            self.new_from_text()
            return
        chosen, _ = QtWidgets.QFileDialog.getOpenFileName(
            self.window, "导入计划文本", self.last_dir(), PLAN_TEXT_FILTER
        )
        if not chosen:
            return

        def store_it(plan: Plan) -> bool:
            try:
                try:
                    take_backup(ws.store.database, "import")
                    ws.store.import_plan(plan)
                except PlanExistsError:
                    answer = QtWidgets.QMessageBox.question(
                        self.review_dialog,
                        "计划已存在",
                        f"文件中已有 {plan.year} 年的计划。是否用核对后的文本更新？"
                        "（未改动的事项保留其填报数据，删去的事项连同其数据一并删除，可在修改记录中追溯）",
                    )
                    if answer != QtWidgets.QMessageBox.StandardButton.Yes:
                        return False
                    ws.store.import_plan(plan, replace=True)
            except Exception as exc:
                show_error(self.review_dialog, exc)
                return False
            self.window.set_workspace(Workspace(ws.store, plan_id=plan.id, quarter=ws.quarter))
            return True

        self.review(Path(chosen), store_it)

    def review(self, path: Path, save: Callable[[Plan], bool]) -> None:
        """Read a plan document and open the review (window-modal); ``save`` writes it."""
        from ...plan.parser import read_plan_file  # the parser loads on first use, not at start
        from ...plan.review import Review
        from ..dialogs.import_review import ImportReviewDialog

        try:
            result = read_plan_file(path)
        except Exception as exc:
            show_error(self.window, exc)
            return
        self.review_dialog = ImportReviewDialog(Review(result), path.name, save, self.window)
        self.review_dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.review_dialog.open()

    def save_as(self) -> None:
        """另存为: write the file under a new name and go on working in it (as Word/Excel do)."""
        target = self._copy_to("另存为", "")
        if target is not None and self.open_path(target, self.workspace.quarter):
            self.show_message(f"已另存为 {target}，现在编辑的是这个文件")

    def save_copy(self) -> None:
        """导出副本: write a copy (for a stick, a backup) and stay in this file."""
        target = self._copy_to("导出副本", f"-副本-{datetime.now():%Y%m%d}")
        if target is not None:
            self.show_message(f"副本已保存到 {target}（仍在编辑原文件）")

    def _copy_to(self, title: str, suffix: str) -> Path | None:
        if self.workspace is None:
            return None
        current = self.workspace.store.path
        name = f"{current.stem}{suffix or '-另存'}.sqlite"
        chosen, _ = QtWidgets.QFileDialog.getSaveFileName(
            self.window, title, str(Path(self.last_dir()) / name), PLAN_FILE_FILTER
        )
        if not chosen:
            return None
        target = Path(chosen)
        if target.resolve() == current.resolve():
            QtWidgets.QMessageBox.warning(self.window, "无法保存", "不能覆盖当前打开的文件。")
            return None
        try:
            self.workspace.store.database.backup_to(target)
        except Exception as exc:
            show_error(self.window, exc)
            return None
        self.remember_dir(target)
        return target

    # -- recent files --

    def last_dir(self) -> str:
        """Where the file dialogs start: the folder last used, else that of the file opened
        last, else 文档 — never the app's hidden data folder."""
        hidden = data_dir().resolve()
        candidates = [self.window.settings.value("dialogs/folder")]
        candidates += [str(Path(p).parent) for p in self.recent_files()[:1]]
        for folder in candidates:
            if folder and Path(str(folder)).is_dir():
                resolved = Path(str(folder)).resolve()
                if resolved != hidden and hidden not in resolved.parents:
                    return str(resolved)
        documents = QtCore.QStandardPaths.writableLocation(
            QtCore.QStandardPaths.StandardLocation.DocumentsLocation
        )
        return documents if documents and Path(documents).is_dir() else str(Path.home())

    def remember_dir(self, path: Path) -> None:
        self.window.settings.setValue("dialogs/folder", str(Path(path).parent))

    def recent_files(self) -> list[str]:
        value = self.window.settings.value("recent/files", [])
        if isinstance(value, str):
            value = [value]
        return [str(v) for v in value or []]

    def remember_recent(self, path: Path) -> None:
        entry = str(path.resolve())
        files = [f for f in self.recent_files() if f != entry]
        self.window.settings.setValue("recent/files", [entry, *files][:MAX_RECENT])
        self.fill_recent_menu()

    def fill_recent_menu(self) -> None:
        menu = self.window.recent_menu
        menu.clear()
        files = self.recent_files()
        for number, name in enumerate(files, start=1):
            action = menu.addAction(f"&{number} {name}")
            action.triggered.connect(lambda _c=False, n=name: self.open_path(n))
        menu.setEnabled(bool(files))

    # -- drag and drop (the window's event handlers pass the events on) --

    def drag_entered(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls() and any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropped(self, event: QDropEvent) -> None:
        for url in event.mimeData().urls():
            if url.isLocalFile():
                self.open_any(Path(url.toLocalFile()))
                event.acceptProposedAction()
                return
