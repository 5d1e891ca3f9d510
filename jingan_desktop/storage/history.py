"""The change log read back: the history view's entries, and undo / redo of a logged
transaction as a new transaction of its own (so undoing is itself in the history)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .changelog import Change
from .locks import Locks


class History(Locks):
    """Reading the change log and reverting or replaying one transaction of it."""

    def history(
        self, row_ids: Sequence[str] | None = None, limit: int | None = None
    ) -> list[Change]:
        """Change-log entries, newest first; for the given rows only if ``row_ids`` is set."""
        sql = "SELECT * FROM change_log"
        params: list[Any] = []
        if row_ids is not None:
            sql += f" WHERE row_id IN ({', '.join('?' for _ in row_ids)})"
            params.extend(row_ids)
        sql += " ORDER BY ts DESC, rowid DESC"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return [Change.from_row(row) for row in self.rows(sql, params)]

    def revert(self, changes: Sequence[Change], source: str = "undo") -> list[Change]:
        """Undo a transaction from its logged changes, newest first. Each field is only put
        back if it still holds what the transaction wrote (else ConflictError)."""
        summary = changes[0].summary if changes else ""
        with self.write(summary, source) as w:
            self._check_changes_unlocked(changes)
            w.revert(changes)
            return w.changes

    def replay(self, changes: Sequence[Change], source: str = "redo") -> list[Change]:
        """Apply a transaction's logged changes again, oldest first (redo)."""
        summary = changes[0].summary if changes else ""
        with self.write(summary, source) as w:
            self._check_changes_unlocked(changes)
            w.replay(changes)
            return w.changes
