"""Undo and redo of edits: a QUndoStack whose commands re-apply core Edits.

Each edit is written first; only once it committed is a command pushed (its first redo()
does nothing). Undo and redo write again, expecting the value the edit left behind, and if
that write fails (someone else changed the value, the file is locked …) the stack does not
move and the user is told why.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject
from PySide6.QtGui import QUndoCommand, QUndoStack

from ..core.workspace import Edit, Workspace


class EditCommand(QUndoCommand):
    def __init__(self, edit: Edit) -> None:
        super().__init__(edit.label)
        self.edit = edit

    def redo(self) -> None:  # the writes happen in UndoController, before the stack moves
        pass

    def undo(self) -> None:
        pass


class UndoController:
    def __init__(
        self,
        workspace: Workspace,
        on_applied: Callable[[Edit], None],
        on_error: Callable[[BaseException, Edit], None],
        parent: QObject | None = None,
    ) -> None:
        self.workspace = workspace
        self.stack = QUndoStack(parent)
        self.on_applied = on_applied
        self.on_error = on_error

    def submit(self, edit: Edit) -> bool:
        """Write a new edit; push it on the stack if it committed."""
        try:
            self.workspace.apply(edit, source="edit")
        except Exception as exc:  # every core error becomes a message; nothing is pushed
            self.on_error(exc, edit)
            return False
        self.stack.push(EditCommand(edit))
        self.on_applied(edit)
        return True

    def undo(self) -> bool:
        if not self.stack.canUndo():
            return False
        command = self.stack.command(self.stack.index() - 1)
        assert isinstance(command, EditCommand)
        return self._run(command.edit.reversed(), "undo", self.stack.undo)

    def redo(self) -> bool:
        if not self.stack.canRedo():
            return False
        command = self.stack.command(self.stack.index())
        assert isinstance(command, EditCommand)
        return self._run(command.edit, "redo", self.stack.redo)

    def _run(self, edit: Edit, source: str, move: Callable[[], None]) -> bool:
        try:
            self.workspace.apply(edit, source=source)
        except Exception as exc:
            self.on_error(exc, edit)
            return False
        move()
        self.on_applied(edit)
        return True

    def clear(self) -> None:
        self.stack.clear()
