"""帮助: the user guide (F1), the note on first start, 关于."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6 import QtWidgets

from .base import Controller

if TYPE_CHECKING:
    from ..dialogs.help import HelpDialog

FIRST_START_KEY = "help/first_start_shown"
FIRST_START_NOTE = (
    "欢迎使用。\n\n"
    "• 填报：在工具栏选择季度，在左侧计划树选中指标行，直接输入数字，按 Enter 确认并转到下一行"
    "（填在“本期实际”列；指标名称只有按 F2 或双击才会修改）。\n"
    "• 进展情况和牵头单位在右侧“详情”中填写。\n"
    "• 单位名单在“编辑 → 单位管理”（Ctrl+Shift+D）中设置，之后可按单位筛选和导出。\n\n"
    "修改立即保存，Ctrl+Z 撤销。随时按 F1 查看使用说明。"
)


class HelpController(Controller):
    def show_guide(self) -> HelpDialog:
        from ..dialogs.help import HelpDialog  # built on first use

        dialog = HelpDialog(self.window)
        dialog.exec()
        return dialog

    def first_start_note(self) -> bool:
        """The note on where to type figures and how to set up departments, once per user."""
        settings = self.window.settings
        if settings.value(FIRST_START_KEY, False, type=bool):
            return False
        box = QtWidgets.QMessageBox(
            QtWidgets.QMessageBox.Icon.Information, "开始使用", FIRST_START_NOTE, parent=self.window
        )
        guide = box.addButton("查看使用说明", QtWidgets.QMessageBox.ButtonRole.HelpRole)
        box.addButton(QtWidgets.QMessageBox.StandardButton.Ok)
        box.exec()
        settings.setValue(FIRST_START_KEY, True)
        settings.sync()
        if box.clickedButton() is guide:
            self.show_guide()
        return True

    def about(self) -> None:
        from ... import __version__

        ws = self.workspace
        where = f"当前文件：\n{ws.store.path}" if ws is not None else "当前未打开文件。"
        QtWidgets.QMessageBox.about(
            self.window,
            "关于",
            f"静安区政府重点工作跟踪 {__version__}\n\n{where}\n\n"
            "离线使用：计划、季度实际值、进展和修改记录保存在一个 SQLite 文件中。\n"
            "内置字体：文泉驿微米黑（Apache-2.0）。",
        )
