"""The change log read back: the history view's entries, and undo / redo of a logged
transaction as a new transaction of its own (so undoing is itself in the history)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .change_words import ChangeWords, describe_change
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

    def describe(self, changes: Sequence[Change]) -> list[ChangeWords]:
        """Each change in a clerk's words (names, not ids; local time; 填报/撤销/导入/合并)."""

        def rank(indicator: Mapping[str, Any]) -> int | None:
            if not indicator.get("item_id"):
                return None
            found = self.database.execute(
                "SELECT COUNT(*) FROM indicator WHERE item_id = ? AND position < ?",
                (indicator["item_id"], indicator.get("position") or 0),
            ).fetchone()
            return int(found[0])

        return [describe_change(change, self.row, rank) for change in changes]

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
