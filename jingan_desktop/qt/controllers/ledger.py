"""The tree as a ledger: copy a selection out (tab-separated text and an HTML table, as Excel
reads them), paste a block of figures in (validated as typed, one transaction, one undo step,
with a summary), clear the selected figures (Delete), ask once about an implausible figure,
and say why a figure was not taken (a locked quarter, a read-only file)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6 import QtWidgets
from PySide6.QtCore import QModelIndex, Qt, QTimer
from PySide6.QtWidgets import QApplication

from ...plan.numbers import NumberFormatError
from ...workspace import Edit, Workspace
from ..display import local_time
from ..views.tree_model import PlanTreeModel
from .base import Controller

if TYPE_CHECKING:
    from ..views.clipboard import Block

# The columns a pasted block writes to, left to right.
PASTE_COLUMNS = (PlanTreeModel.COL_TARGET, PlanTreeModel.COL_ACTUAL)


class LedgerController(Controller):
    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.asked: list[str] = []  # what the last "确定吗？" asked about (for the status bar)

    def attach(self, workspace: Workspace) -> None:
        # Typed figures pass the plausibility question before the undo stack writes them.
        self.window.model.submit_edit = self.submit_typed

    # -- why a figure is not taken --

    def refusal(self) -> str | None:
        """Why no figure can be written now, or None."""
        ws = self.workspace
        if ws is None:
            return "没有打开的文件"
        if ws.readonly:
            return "文件以只读方式打开，不能填报"
        if ws.locked():
            lock = ws.data.locks[ws.quarter]
            return (
                f"{ws.quarter_label}已锁定（{lock.locked_by}，{local_time(lock.locked_at)}），"
                "填入的数字未保存；如需修改请先解锁本季度（Ctrl+L）"
            )
        return None

    def typed_refused(self, _row_id: str) -> None:
        reason = self.refusal() or "该单元格不能直接输入：名称、目标和单位请按 F2 或双击修改"
        self.show_message(reason)

    # -- typing --

    def submit_typed(self, edit: Edit) -> bool:
        undo = self.window.editing.undo
        ws = self.workspace
        if undo is None or ws is None:
            return False
        doubt = ws.implausible(edit)
        if doubt is None:
            return undo.submit(edit)
        # Asked once the view's commit has returned, so no dialog runs inside it.
        QTimer.singleShot(0, self, lambda: self._confirm_and_submit(edit, [doubt]))
        return False

    def _confirm_and_submit(self, edit: Edit, doubts: list[str]) -> None:
        undo = self.window.editing.undo
        if undo is not None and self.confirm(doubts):
            undo.submit(edit)

    def confirm(self, doubts: list[str]) -> bool:
        """One "确定吗？" for every doubtful figure of a typed value or a paste."""
        self.asked = doubts
        shown = "\n".join(doubts[:10]) + ("\n……" if len(doubts) > 10 else "")
        answer = QtWidgets.QMessageBox.question(
            self.window,
            "确定吗？",
            f"以下数字看起来不太合理，确定吗？\n\n{shown}",
            QtWidgets.QMessageBox.StandardButton.Yes | QtWidgets.QMessageBox.StandardButton.No,
            QtWidgets.QMessageBox.StandardButton.No,
        )
        if answer != QtWidgets.QMessageBox.StandardButton.Yes:
            self.show_message("未保存：已取消")
            return False
        return True

    # -- copy --

    def copy(self) -> None:
        block = self.selected_block()
        if not block:
            return
        from ..views.clipboard import mime_from_block  # (html.parser) on first copy

        QApplication.clipboard().setMimeData(mime_from_block(block))
        cells = sum(len(row) for row in block)
        self.show_message(f"已复制 {cells} 个单元格（可直接粘贴到 Excel/WPS）")

    def selected_block(self) -> Block:
        """The selected cells as rows × columns (the columns any selected cell is in)."""
        cells = self.window.tree.selected_cells()
        if not cells:
            return []
        columns = sorted({c.column() for c in cells})
        rows: dict[tuple[int, int], dict[int, str]] = {}  # by row, in the order shown
        for cell in cells:
            row = (cell.internalId(), cell.row())  # (the parent, the row under it)
            rows.setdefault(row, {})[cell.column()] = str(cell.data() or "")
        return [[values.get(column, "") for column in columns] for values in rows.values()]

    # -- paste --

    def paste(self) -> None:
        from ..views.clipboard import block_from_mime

        block = block_from_mime(QApplication.clipboard().mimeData())
        if not block:
            self.show_message("剪贴板中没有可粘贴的内容")
            return
        reason = self.refusal()
        if reason:
            self.show_message(reason)
            return
        cells = self.window.tree.selected_cells()
        if not cells:
            self.show_message("请先选择要粘贴到的单元格（例如第一个“本期实际”）")
            return
        if len(block) == 1 and len(block[0]) == 1 and len(cells) > 1:
            targets = [(self._figure_cell(c), block[0][0]) for c in cells]
            targets = [(cell, text) for cell, text in targets if cell.isValid()]
            self._write_block(targets, [])
            return
        targets, outside = self._block_targets(cells[0], block)
        self._write_block(targets, outside)

    @staticmethod
    def _figure_cell(cell: QModelIndex) -> QModelIndex:
        if cell.data(PlanTreeModel.KindRole) != "indicator":
            return QModelIndex()
        column = cell.column() if cell.column() in PASTE_COLUMNS else PlanTreeModel.COL_ACTUAL
        return cell.siblingAtColumn(column)

    def _block_targets(
        self, anchor: QModelIndex, block: Block
    ) -> tuple[list[tuple[QModelIndex, str]], list[str]]:
        """Each pasted value with the cell it goes to: down the indicator rows from the anchor,
        right along the figure columns; values with no cell left are ``outside``."""
        start = anchor.column() if anchor.column() in PASTE_COLUMNS else PlanTreeModel.COL_ACTUAL
        columns = PASTE_COLUMNS[PASTE_COLUMNS.index(start) :]
        row = anchor
        if row.data(PlanTreeModel.KindRole) != "indicator":
            row = self._next_indicator(row)
        targets: list[tuple[QModelIndex, str]] = []
        outside: list[str] = []
        for values in block:
            for position, text in enumerate(values):
                if row.isValid() and position < len(columns):
                    targets.append((row.siblingAtColumn(columns[position]), text))
                elif text.strip():
                    outside.append(f"“{text}”（超出可填的单元格）")
            row = self._next_indicator(row) if row.isValid() else row
        return targets, outside

    def _next_indicator(self, index: QModelIndex) -> QModelIndex:
        tree = self.window.tree
        below = tree.indexBelow(index)
        while below.isValid() and below.data(PlanTreeModel.KindRole) != "indicator":
            below = tree.indexBelow(below)
        return below

    def _write_block(self, targets: list[tuple[QModelIndex, str]], invalid: list[str]) -> None:
        model, ws, undo = self.window.model, self.workspace, self.window.editing.undo
        assert model is not None and ws is not None
        edits: list[Edit] = []
        taken = 0
        seen: set[tuple[str, int]] = set()
        for cell, text in targets:
            where = (model.node(cell).row_id, cell.column())
            if where in seen:  # one value pasted on several cells of a row: its figure once
                continue
            seen.add(where)
            try:
                edit = model.edit_for(cell, text)
            except (NumberFormatError, ValueError):
                invalid.append(f"“{text}”（{self._row_name(cell)}）")
                continue
            taken += 1
            if edit.old != edit.new:
                edits.append(edit)
        doubts = [d for d in (ws.implausible(e) for e in edits) if d]
        if doubts and not self.confirm(doubts):
            return
        if edits and (undo is None or not undo.submit_batch(f"粘贴 {len(edits)} 项", edits)):
            return
        self.show_message(_summary("已粘贴", taken, invalid))

    @staticmethod
    def _row_name(cell: QModelIndex) -> str:
        number = cell.siblingAtColumn(PlanTreeModel.COL_NUMBER).data()
        name = cell.siblingAtColumn(PlanTreeModel.COL_NAME).data()
        return f"{number} {name}"

    # -- Delete --

    def clear(self) -> None:
        reason = self.refusal()
        if reason:
            self.show_message(reason)
            return
        model, undo = self.window.model, self.window.editing.undo
        edits: list[Edit] = []
        for cell in self.window.tree.selected_cells():
            if cell.column() != PlanTreeModel.COL_ACTUAL or model is None:
                continue
            if not model.cell_flags(cell) & Qt.ItemFlag.ItemIsEditable:
                continue  # a chapter's roll-up: nothing to clear
            edit = model.edit_for(cell, "")
            if edit.old != edit.new:
                edits.append(edit)
        if not edits:
            self.show_message("所选单元格中没有可清除的“本期实际”")
            return
        if undo is not None and undo.submit_batch(f"清除 {len(edits)} 项", edits):
            self.show_message(f"已清除 {len(edits)} 项（Ctrl+Z 可撤销）")


def _summary(verb: str, taken: int, invalid: list[str]) -> str:
    text = f"{verb} {taken} 项"
    if invalid:
        text += f"，{len(invalid)} 项无效：" + "；".join(invalid[:5])
        if len(invalid) > 5:
            text += "……"
    return text
