"""Edits: each is written at once through the undo stack; the window follows a committed edit,
and an edit the file did not take is kept (shown as typed) to retry, or, when someone else
changed the value meanwhile, settled in the conflict dialog."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from PySide6.QtCore import QTimer

from ...storage.database import BusyError, FileMissingError, WriteFailedError
from ...storage.store import ConflictError
from ...workspace import Edit, Workspace
from ..messages import show_error
from ..undo import UndoController
from ..views.tree_model import pending_key
from .base import Controller


class EditingController(Controller):
    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.undo: UndoController | None = None
        # Edits the file did not take (locked by someone saving, disk full, stick pulled):
        # shown in the tree as typed and kept until a retry commits them. The tree model
        # and the detail panel share this very dict.
        self.pending: dict[tuple, Edit] = {}

    def attach(self, workspace: Workspace) -> None:
        window = self.window
        self.pending.clear()
        window.model.pending = self.pending
        window.detail.pending = self.pending
        if self.undo is not None:
            self.undo.stack.deleteLater()
        self.undo = UndoController(workspace, self.edit_applied, self.edit_failed, window)
        self.undo.stack.indexChanged.connect(window.update_actions)
        window.model.submit_edit = self.undo.submit
        window.detail.submit = self.undo.submit

    # -- after a write --

    def edit_applied(self, edit: Edit | None) -> None:
        """An edit committed (None: a structural change, which rebuilds the tree)."""
        window, ws = self.window, self.workspace
        assert window.model is not None and ws is not None
        if edit is not None and self.pending.pop(pending_key(edit), None) is not None:
            self.update_pending()
        row_filter = window.navigation.row_filter
        if row_filter:
            item = ws.item_of(edit.row_id) if edit is not None else None
            row_filter.invalidate(
                None if edit is None else [edit.row_id, *([item.id] if item and item.id else [])]
            )
        if edit is None:
            window.navigation.rebuild_tree()
            label = self.undo.stack.undoText() if self.undo else ""
        else:
            window.model.refresh_rows([edit.row_id])
            label = edit.label
            if edit.target == "departments":  # a department typed in appears in the filter
                window.navigation.fill_department_filter()
        window.navigation.refresh_side_panels(warnings_now=False)
        window.charts_changed()
        self.show_message(f"已保存：{label}（{datetime.now():%H:%M:%S}）")
        window.update_actions()

    def edit_failed(self, exc: BaseException, edit: Edit | None) -> None:
        self.window.statusBar().showMessage(f"未保存：{edit.label if edit else '结构调整'}", 10000)
        if edit is not None and isinstance(exc, (BusyError, WriteFailedError, FileMissingError)):
            self.pending[pending_key(edit)] = edit
            self.update_pending()
        # Edits fail inside the view's commit (setData): report once that call has returned,
        # so no dialog loop or model reload runs underneath the item view.
        QTimer.singleShot(0, self, lambda: self._report_failure(exc, edit))

    def _report_failure(self, exc: BaseException, edit: Edit | None) -> None:
        if isinstance(exc, ConflictError) and self.workspace is not None and edit is not None:
            self.resolve_conflict(exc, edit)
            return
        show_error(self.window, exc)

    def resolve_conflict(self, exc: ConflictError, edit: Edit) -> None:
        """Someone else changed the value meanwhile: show both and let the user choose."""
        ws = self.workspace
        assert ws is not None and self.undo is not None
        from ..dialogs.conflict import ConflictDialog  # built on first use

        dialog = ConflictDialog(edit, exc.actual, self.window)
        dialog.exec()
        if self.pending.pop(pending_key(edit), None) is not None:
            self.update_pending()
        ws.reload()
        if dialog.overwrite_chosen():
            fresh = ws.make_edit(edit.target, edit.row_id, edit.field, edit.new, edit.quarter)
            self.undo.submit(fresh)
        self.window.navigation.refresh_after_change()

    # -- undo, redo --

    def do_undo(self) -> None:
        if self.undo is not None:
            label = self.undo.stack.undoText()
            if self.undo.undo():
                self.show_message(f"已撤销：{label}（{datetime.now():%H:%M:%S}）")

    def do_redo(self) -> None:
        if self.undo is not None:
            label = self.undo.stack.redoText()
            if self.undo.redo():
                self.show_message(f"已重做：{label}（{datetime.now():%H:%M:%S}）")

    def clear_undo(self) -> None:
        """The file changed under the stack (a merge, a restore): nothing left to undo."""
        if self.undo is not None:
            self.undo.clear()

    # -- unsaved edits --

    def retry_pending(self) -> None:
        """Try again to save the edits the file did not take."""
        if self.undo is None:
            return
        for edit in list(self.pending.values()):
            # The original edit expects the value the clerk saw: if someone else has changed
            # it since, the retry shows both values instead of overwriting theirs.
            if not self.undo.submit(edit):
                break
        self.update_pending()

    def update_pending(self) -> None:
        count = len(self.pending)
        button = self.window.pending_button
        button.setVisible(count > 0)
        button.setText(f"⚠ {count} 项修改未保存，点击重试")
        if self.window.model is not None:
            self.window.model.refresh_all()
