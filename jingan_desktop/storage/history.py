"""The change log read back: the history view's entries, and undo / redo of a logged
transaction as a new transaction of its own (so undoing is itself in the history)."""

from __future__ import annotations

import json
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

    def plan_names(self) -> dict[str, str]:
        """Items and indicators renamed by hand: {row id: the name the plan gave it}.

        The plan's name is what the last import wrote; a rename (an edit, a merge, a redo)
        keeps the name from before the first of them, and a rename back to it, or an undo
        that restores it, leaves the row out.
        """
        sql = (
            # tbl IN (…) first: the (tbl, row_id, ts) index skips the figures' entries, which
            # are most of a long history.
            "SELECT row_id, old, new, source FROM change_log WHERE tbl IN ('indicator', 'item') "
            "AND op = 'update' AND field IN ('name', 'title') ORDER BY ts, rowid"
        )
        original: dict[str, str] = {}
        current: dict[str, str] = {}
        for row in self.rows(sql):
            row_id, source = row["row_id"], row["source"]
            old, new = json.loads(row["old"] or "null"), json.loads(row["new"] or "null")
            if source == "import":
                original.pop(row_id, None)  # a re-import: the plan itself names it now
            elif row_id not in original and isinstance(old, str):
                original[row_id] = old
            current[row_id] = new
        return {r: name for r, name in original.items() if current.get(r) != name}

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
