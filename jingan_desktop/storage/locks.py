"""Quarter locks: once a quarter's report is issued its figures are frozen until unlocked.

Locking writes a ``quarter_lock`` row (with a snapshot to compare against later); every write
of an actual or a progress text, every removal that would take such rows with it, and every
undo or redo checks the lock first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from .base import StoreBase
from .changelog import Change
from .errors import QuarterLockedError, RowMissingError
from .fields import CHILDREN, pair_id, to_json


class Locks(StoreBase):
    """Locking a quarter, and the checks every write of quarterly data makes."""

    def set_quarter_locked(
        self, plan_id: str, quarter: int, locked: bool, snapshot: dict[str, object] | None = None
    ) -> None:
        """Freeze a quarter's figures (with a snapshot to compare against) or unfreeze them."""
        row_id = pair_id(plan_id, quarter)
        user, machine = self.actor
        summary = "锁定季度" if locked else "解锁季度"
        with self.write(summary, "lock") as w:
            values = {
                "locked": int(locked),
                "locked_at": datetime.now(UTC).isoformat(timespec="seconds") if locked else None,
                "locked_by": f"{user}@{machine}" if locked else None,
            }
            if locked:
                values["snapshot"] = to_json(snapshot) if snapshot is not None else None
            if self.row("quarter_lock", row_id) is None:
                w.insert(
                    "quarter_lock", {"id": row_id, "plan_id": plan_id, "quarter": quarter, **values}
                )
            else:
                w.update("quarter_lock", row_id, values)

    def _check_unlocked(self, table: str, row_id: str, quarter: int) -> str:
        plan_id = self.plan_of(table, row_id)
        if plan_id is None:
            raise RowMissingError(None, f"{table} {row_id} no longer exists")
        locked = self.database.execute(
            "SELECT locked FROM quarter_lock WHERE plan_id = ? AND quarter = ?", (plan_id, quarter)
        ).fetchone()
        if locked and locked[0]:
            raise QuarterLockedError(quarter)
        return plan_id

    def _check_subtree_unlocked(self, table: str, row_id: str) -> None:
        """Removing rows must not take figures of a locked quarter with them."""
        for child_table, column in CHILDREN.get(table, ()):
            for child in self.rows(f"SELECT * FROM {child_table} WHERE {column} = ?", (row_id,)):
                if child_table in ("actual", "progress"):
                    self._check_quarter_row_unlocked(child_table, child)
                self._check_subtree_unlocked(child_table, child["id"])

    def _check_quarter_row_unlocked(self, table: str, row: Mapping[str, Any]) -> None:
        owner = "indicator" if table == "actual" else "item"
        if self.row(owner, row[f"{owner}_id"]) is not None:
            self._check_unlocked(owner, row[f"{owner}_id"], row["quarter"])

    def _check_changes_unlocked(self, changes: Sequence[Change]) -> None:
        for change in changes:
            if change.tbl in ("actual", "progress"):
                row = (
                    change.old
                    if change.op == "delete"
                    else change.new
                    if change.op == "insert"
                    else self.row(change.tbl, change.row_id)
                )
                if isinstance(row, Mapping):
                    self._check_quarter_row_unlocked(change.tbl, row)
