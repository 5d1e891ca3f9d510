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

from ..storage.store import Change
from ..workspace import Edit, Workspace


class EditCommand(QUndoCommand):
    """A changed value (written through Workspace.apply)."""

    def __init__(self, edit: Edit) -> None:
        super().__init__(edit.label)
        self.edit = edit

    def redo(self) -> None:  # the writes happen in UndoController, before the stack moves
        pass

    def undo(self) -> None:
        pass


class ChangesCommand(QUndoCommand):
    """A structural change (rows added, removed, moved), undone from its logged changes."""

    def __init__(self, label: str, changes: list[Change]) -> None:
        super().__init__(label)
        self.changes = changes

    def redo(self) -> None:
        pass

    def undo(self) -> None:
        pass


class UndoController:
    def __init__(
        self,
        workspace: Workspace,
        on_applied: Callable[[Edit | None], None],
        on_error: Callable[[BaseException, Edit | None], None],
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

    def submit_structure(self, label: str, action: Callable[[], list[Change]]) -> bool:
        """Run a structural change (``action`` returns its logged changes) and push it."""
        try:
            changes = action()
        except Exception as exc:
            self.on_error(exc, None)
            return False
        if changes:
            self.stack.push(ChangesCommand(label, changes))
        self.on_applied(None)
        return True

    def submit_batch(self, label: str, edits: list[Edit]) -> bool:
        """Several edits written in one transaction and undone as one step (a paste)."""
        return self.submit_structure(label, lambda: self.workspace.apply_many(edits, label))

    def undo(self) -> bool:
        if not self.stack.canUndo():
            return False
        command = self.stack.command(self.stack.index() - 1)
        if isinstance(command, ChangesCommand):
            return self._run(None, lambda: self.workspace.revert(command.changes), self.stack.undo)
        assert isinstance(command, EditCommand)
        edit = command.edit.reversed()
        return self._run(edit, lambda: self.workspace.apply(edit, source="undo"), self.stack.undo)

    def redo(self) -> bool:
        if not self.stack.canRedo():
            return False
        command = self.stack.command(self.stack.index())
        if isinstance(command, ChangesCommand):
            return self._run(None, lambda: self.workspace.replay(command.changes), self.stack.redo)
        assert isinstance(command, EditCommand)
        edit = command.edit
        return self._run(edit, lambda: self.workspace.apply(edit, source="redo"), self.stack.redo)

    def _run(self, edit: Edit | None, write: Callable[[], None], move: Callable[[], None]) -> bool:
        try:
            write()
        except Exception as exc:
            self.on_error(exc, edit)
            return False
        move()
        self.on_applied(edit)
        return True

    def clear(self) -> None:
        self.stack.clear()
