"""The plan's rows and departments: 添加事项, 添加指标, 删除, 上移/下移 (all undoable), 单位管理."""

from __future__ import annotations

from PySide6 import QtWidgets

from .base import Controller


class StructureController(Controller):
    def add_item(self) -> None:
        ws, undo = self.workspace, self.window.editing.undo
        row_id, kind = self.window.navigation.current_row()
        if ws is None or undo is None or row_id is None:
            self.show_message("请先选择一个章节或事项")
            return
        chapter_id = row_id if kind == "chapter" else ws.parent.get(ws.item_of(row_id).id or "")  # type: ignore[union-attr]
        after = ws.item_of(row_id).id if kind != "chapter" else None  # type: ignore[union-attr]
        created: list[str] = []

        def action() -> list:
            new_id, changes = ws.add_item(chapter_id, after)
            created.append(new_id)
            return changes

        if undo.submit_structure("添加事项", action) and created:
            self.window.navigation.rebuild_tree(select=created[0])

    def add_indicator(self) -> None:
        ws, undo = self.workspace, self.window.editing.undo
        row_id, kind = self.window.navigation.current_row()
        if ws is None or undo is None or row_id is None or kind == "chapter":
            self.show_message("请先选择一个事项或指标")
            return
        item = ws.item_of(row_id)
        assert item is not None and item.id is not None
        after = row_id if kind == "indicator" else None
        created: list[str] = []

        def action() -> list:
            new_id, changes = ws.add_indicator(item.id or "", after)
            created.append(new_id)
            return changes

        if undo.submit_structure("添加指标", action) and created:
            self.window.navigation.rebuild_tree(select=created[0])

    def remove_selected(self) -> None:
        ws, undo = self.workspace, self.window.editing.undo
        row_id, kind = self.window.navigation.current_row()
        if ws is None or undo is None or row_id is None:
            return
        names = {"chapter": "章节", "item": "事项", "indicator": "指标"}
        answer = QtWidgets.QMessageBox.question(
            self.window,
            f"删除{names[kind or 'item']}",
            f"确定删除所选{names[kind or 'item']}及其下属内容和填报数据吗？可以用“撤销”恢复。",
        )
        if answer != QtWidgets.QMessageBox.StandardButton.Yes:
            return
        undo.submit_structure(f"删除{names[kind or 'item']}", lambda: ws.remove(row_id))

    def move_selected(self, delta: int) -> None:
        ws, undo = self.workspace, self.window.editing.undo
        row_id, _kind = self.window.navigation.current_row()
        if ws is None or undo is None or row_id is None:
            return
        if undo.submit_structure("调整顺序", lambda: ws.move(row_id, delta)):
            self.window.navigation.rebuild_tree(select=row_id)

    def manage_departments(self) -> None:
        ws = self.workspace
        if ws is None:
            return
        from ..dialogs.departments import DepartmentsDialog  # built on first use

        dialog = DepartmentsDialog(ws, self.window)
        dialog.exec()
        if dialog.changed:
            ws.reload()
            self.window.navigation.fill_department_filter()
            self.window.navigation.refresh_after_change()
