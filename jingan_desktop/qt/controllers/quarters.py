"""The chosen quarter (the 季度 selector, Ctrl+1…4) and its lock (锁定本季度, Ctrl+L)."""

from __future__ import annotations

from PySide6 import QtWidgets

from ...plan.model import Quarter
from ...workspace import Workspace
from ..display import local_time
from ..messages import show_error
from .base import Controller


class QuartersController(Controller):
    def attach(self, workspace: Workspace) -> None:
        combo = self.window.quarter_combo
        combo.clear()
        for q in range(1, 5):
            combo.addItem(Quarter(workspace.plan.year, q).label, q)
        combo.setCurrentIndex(workspace.quarter - 1)

    def set_quarter(self, quarter: int) -> None:
        window = self.window
        if self.workspace is None or not 1 <= quarter <= 4:
            return
        window.detail.flush()  # a text typed for this quarter belongs to this quarter
        self.workspace.set_quarter(quarter)
        window.quarter_combo.setCurrentIndex(quarter - 1)
        window.window_layout.remember_quarter()
        window.navigation.refresh_after_change()
        window.charts_changed()

    def toggle_lock(self) -> None:
        ws = self.workspace
        if ws is None:
            return
        self.window.detail.flush()
        label = ws.quarter_label
        try:
            if ws.locked():
                answer = QtWidgets.QMessageBox.question(
                    self.window,
                    "解锁季度",
                    f"{label}已锁定（报告已印发）。确定要解锁并允许修改吗？此操作将被记录。",
                )
                if answer != QtWidgets.QMessageBox.StandardButton.Yes:
                    return
                ws.unlock_quarter()
                self.show_message(f"{label}已解锁")
            else:
                answer = QtWidgets.QMessageBox.question(
                    self.window,
                    "锁定季度",
                    f"锁定{label}后，该季度的实际值和进展将被冻结并保存快照。确定锁定吗？",
                )
                if answer != QtWidgets.QMessageBox.StandardButton.Yes:
                    return
                ws.lock_quarter()
                self.show_message(f"{label}已锁定")
        except Exception as exc:
            show_error(self.window, exc)
        self.window.navigation.refresh_after_change()

    def show_lock(self) -> None:
        """The banner over the tree while the chosen quarter is locked."""
        ws, banner = self.workspace, self.window.lock_banner
        if ws is None:
            return
        locked = ws.locked()
        banner.setVisible(locked)
        if locked:
            lock = ws.data.locks[ws.quarter]
            banner.setText(
                f"{ws.quarter_label}已锁定（{lock.locked_by}，{local_time(lock.locked_at)}）：数据已冻结，如需修改请先解锁。"
            )
