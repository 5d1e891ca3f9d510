"""The 文件 menu's files: 打开, 新建 from a plan text, 导入计划文本, 另存为/备份副本, 最近打开, and
files dropped onto the window."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QFileDialog, QMessageBox

from ...storage.backup import backup_file, daily_backup_due, take_backup
from ...storage.database import CorruptError, StoreError, TruncatedError
from ...storage.store import PlanExistsError, Store
from ...workspace import Workspace
from ..messages import show_error
from .base import Controller

MAX_RECENT = 8
PLAN_FILE_FILTER = "计划数据文件 (*.sqlite *.db);;所有文件 (*)"
PLAN_TEXT_FILTER = "计划文本 (*.txt *.docx);;所有文件 (*)"


class FilesController(Controller):
    def open_path(self, path: str | Path, quarter: int | None = None) -> bool:
        """Open a plan file; on any problem show why and keep what was open."""
        path = Path(path)
        try:
            store = Store.open(path, before_migrate=lambda p: backup_file(p, "migration"))
        except (CorruptError, TruncatedError) as exc:
            return self.window.shared_file.offer_restore(path, exc)
        except (StoreError, OSError) as exc:
            show_error(self.window, exc)
            return False
        if not store.readonly and daily_backup_due(path):
            self.window.shared_file.daily_backup_soon(store)
        try:
            workspace = Workspace(store, quarter=quarter)
        except StoreError as exc:
            store.close()
            show_error(self.window, exc)
            return False
        self.window.set_workspace(workspace)
        self.remember_recent(path)
        self.window.file_opened.emit(str(path))
        return True

    def choose_and_open(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self.window, "打开计划数据文件", self.last_dir(), PLAN_FILE_FILTER
        )
        if path:
            self.open_any(Path(path))

    def open_any(self, path: Path) -> None:
        """Open a plan file, or start a new one from a plan text (.txt/.docx)."""
        if path.suffix.lower() in (".txt", ".docx"):
            self.new_from_text(path)
        else:
            self.open_path(path)

    def new_from_text(self, text_path: Path | None = None) -> None:
        if not isinstance(text_path, Path):  # from the menu: the action's ``checked`` flag
            chosen, _ = QFileDialog.getOpenFileName(
                self.window, "选择计划文本", self.last_dir(), PLAN_TEXT_FILTER
            )
            if not chosen:
                return
            text_path = Path(chosen)
        from ...plan.parser import read_plan_file  # zipfile/xml load on first use

        try:
            result = read_plan_file(text_path)
        except Exception as exc:
            show_error(self.window, exc)
            return
        if not result.plan.chapters:
            QMessageBox.warning(
                self.window,
                "无法识别",
                f"在“{text_path.name}”中没有找到“一、……”形式的章节标题，未创建文件。",
            )
            return
        target, _ = QFileDialog.getSaveFileName(
            self.window,
            "保存新的计划数据文件",
            str(text_path.with_suffix(".sqlite")),
            PLAN_FILE_FILTER,
        )
        if not target:
            return
        target_path = Path(target)
        if target_path.exists():
            QMessageBox.warning(
                self.window,
                "文件已存在",
                f"“{target_path}”已存在。请另选文件名，或用“导入计划文本”加入已有文件。",
            )
            return
        try:
            Store.create(target_path, result.plan).close()
        except Exception as exc:
            show_error(self.window, exc)
            return
        self.open_path(target_path)
        self._report_ignored(result)

    def import_plan_text(self) -> None:
        ws = self.workspace
        if ws is None:
            self.new_from_text()
            return
        chosen, _ = QFileDialog.getOpenFileName(
            self.window, "导入计划文本", self.last_dir(), PLAN_TEXT_FILTER
        )
        if not chosen:
            return
        from ...plan.parser import read_plan_file

        try:
            result = read_plan_file(chosen)
            take_backup(ws.store.database, "import")
            try:
                ws.store.import_plan(result.plan)
            except PlanExistsError:
                answer = QMessageBox.question(
                    self.window,
                    "计划已存在",
                    f"文件中已有 {result.plan.year} 年的计划。是否用新文本替换？（原计划及其填报数据将被删除，可在修改记录中追溯）",
                )
                if answer != QMessageBox.StandardButton.Yes:
                    return
                ws.store.import_plan(result.plan, replace=True)
        except Exception as exc:
            show_error(self.window, exc)
            return
        self.window.set_workspace(Workspace(ws.store, plan_id=result.plan.id, quarter=ws.quarter))
        self._report_ignored(result)

    def _report_ignored(self, result: Any) -> None:
        if result.ignored:
            lines = "\n".join(f"第 {e.line} 行：{e.text}" for e in result.ignored[:20])
            QMessageBox.information(
                self.window, "部分内容未识别", f"以下内容无法归入任何事项，已忽略：\n{lines}"
            )

    def save_copy(self) -> None:
        if self.workspace is None:
            return
        current = self.workspace.store.path
        suggestion = current.with_name(f"{current.stem}-副本-{datetime.now():%Y%m%d}.sqlite")
        target, _ = QFileDialog.getSaveFileName(
            self.window, "另存为/备份副本", str(suggestion), PLAN_FILE_FILTER
        )
        if not target:
            return
        if Path(target).resolve() == current.resolve():
            QMessageBox.warning(self.window, "无法保存", "副本不能覆盖当前打开的文件。")
            return
        try:
            self.workspace.store.database.backup_to(target)
        except Exception as exc:
            show_error(self.window, exc)
            return
        self.show_message(f"副本已保存到 {target}")

    # -- recent files --

    def last_dir(self) -> str:
        """Where the file dialogs start: the folder of the file opened last."""
        recent = self.recent_files()
        return str(Path(recent[0]).parent) if recent else str(Path.home())

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
