"""The change log: one entry per changed field (or per created / removed row), written in the
same transaction as the change itself.

Each entry says who (OS user and machine), when, through what (edit, import, merge, undo …),
old and new value. :class:`Write` is the open transaction every store write goes through;
it also turns a logged transaction back (:meth:`Write.revert`, undo) or applies it again
(:meth:`Write.replay`, redo).
"""

from __future__ import annotations

import getpass
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from .database import Database
from .errors import ConflictError, InvalidValueError, RowMissingError
from .fields import CHILDREN, EDITABLE, MISSING, new_id, same_value, to_json

_STAMPS = ("version", "modified_at", "modified_by")


def current_actor() -> tuple[str, str]:
    """The OS user and machine name, as the change log records them."""
    try:
        user = getpass.getuser()
    except Exception:  # getuser raises various errors when no user name is set
        user = os.environ.get("USERNAME") or "unknown"
    machine = _node_name() or _host_name() or "unknown"
    return user, machine


def _node_name() -> str:
    """``platform.node()`` without loading platform at start-up (~2 ms): ``uname``'s node name
    where there is one; on Windows platform asks the socket's host name, as :func:`_host_name`."""
    return os.uname().nodename if hasattr(os, "uname") else ""


def _host_name() -> str:
    import socket  # only when the platform has no node name (socket loads for nothing else)

    return socket.gethostname()


@dataclass(slots=True)
class Change:
    """One entry of the change log (slots: a merge reads every entry of two files)."""

    id: str
    txn: str
    ts: str
    user: str
    machine: str
    source: str
    op: str
    tbl: str
    row_id: str
    field: str | None
    old: Any
    new: Any
    summary: str

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Change:
        values = dict(row)
        values["old"] = json.loads(values["old"]) if values["old"] is not None else None
        values["new"] = json.loads(values["new"]) if values["new"] is not None else None
        return cls(**values)

    @classmethod
    def from_tuple(cls, row: Sequence[Any]) -> Change:
        """An entry read as ``SELECT`` :data:`COLUMNS` (in their order)."""
        *head, old, new, summary = row
        return cls(
            *head,
            json.loads(old) if old is not None else None,
            json.loads(new) if new is not None else None,
            summary,
        )


# The log's columns in the order of Change's fields (for reads of many entries as tuples).
COLUMNS = "id, txn, ts, user, machine, source, op, tbl, row_id, field, old, new, summary"


class _Opened(Protocol):
    """What a :class:`Write` needs of the store it writes to."""

    database: Database
    actor: tuple[str, str]

    def row(self, table: str, row_id: str) -> dict[str, Any] | None: ...


class Write:
    """One open transaction: every change made through it is logged with it."""

    def __init__(self, store: _Opened, source: str, summary: str) -> None:
        self.store = store
        self.db = store.database
        self.source = source
        self.summary = summary
        self.txn = new_id()
        self.user, self.machine = store.actor
        self._start = datetime.now(UTC)
        self._seq = 0
        self.changes: list[Change] = []

    @property
    def by(self) -> str:
        return f"{self.user}@{self.machine}"

    def _stamp(self) -> str:
        # Entries of one transaction get strictly increasing stamps, so replaying a log in
        # time order replays each transaction in the order it was written.
        stamp = (self._start + timedelta(microseconds=self._seq)).isoformat(timespec="microseconds")
        self._seq += 1
        return stamp

    def log(
        self, op: str, table: str, row_id: str, field: str | None, old: Any, new: Any
    ) -> Change:
        change = Change(
            new_id(),
            self.txn,
            self._stamp(),
            self.user,
            self.machine,
            self.source,
            op,
            table,
            row_id,
            field,
            old,
            new,
            self.summary,
        )
        self.db.execute(
            "INSERT INTO change_log (id, txn, ts, user, machine, source, op, tbl, row_id, field,"
            " old, new, summary) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                change.id,
                change.txn,
                change.ts,
                change.user,
                change.machine,
                change.source,
                change.op,
                change.tbl,
                change.row_id,
                change.field,
                None if old is None and op == "insert" else to_json(old),
                None if new is None and op == "delete" else to_json(new),
                change.summary,
            ),
        )
        self.changes.append(change)
        return change

    # -- rows --

    def insert(self, table: str, values: Mapping[str, Any]) -> str:
        row = dict(values)
        row.setdefault("id", new_id())
        row["version"] = 1
        row["modified_at"] = self._stamp()
        row["modified_by"] = self.by
        columns = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        self.db.execute(f"INSERT INTO {table} ({columns}) VALUES ({marks})", tuple(row.values()))
        logged = {k: v for k, v in row.items() if k not in _STAMPS}
        self.log("insert", table, row["id"], None, None, logged)
        return str(row["id"])

    def update(
        self,
        table: str,
        row_id: str,
        changes: Mapping[str, Any],
        expected: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Change fields of one row; returns the old values of the fields that changed."""
        unknown = set(changes) - EDITABLE[table]
        if unknown:
            raise InvalidValueError(
                ", ".join(sorted(unknown)), None, f"not an editable field of {table}"
            )
        current = self.store.row(table, row_id)
        if current is None:
            raise RowMissingError(None, f"{table} {row_id} no longer exists")
        for field, value in (expected or {}).items():
            if value is not MISSING and not same_value(current[field], value):
                raise ConflictError(table, row_id, field, value, current[field])
        changed = {f: v for f, v in changes.items() if not same_value(current[f], v)}
        if not changed:
            return {}
        assignments = ", ".join(f"{field} = ?" for field in changed)
        self.db.execute(
            f"UPDATE {table} SET {assignments}, version = version + 1, modified_at = ?,"
            " modified_by = ? WHERE id = ?",
            (*changed.values(), self._stamp(), self.by, row_id),
        )
        for field, value in changed.items():
            self.log("update", table, row_id, field, current[field], value)
        return {field: current[field] for field in changed}

    def update_together(
        self,
        table: str,
        field: str,
        values: Mapping[str, Any],
        expected: Mapping[str, Any] | None = None,
    ) -> None:
        """Set one UNIQUE text field of several rows at once (row id → value), so the values may
        pass round among them: two departments swapping their names. SQLite checks a UNIQUE
        column row by row, so each changing row first gives up its value for a placeholder
        of its own (not logged; none is left when this returns), then takes its new value.
        Logged as ``update`` logs it: one entry per row, the old value → the new one."""
        if field not in EDITABLE[table]:
            raise InvalidValueError(field, None, f"not an editable field of {table}")
        old: dict[str, Any] = {}
        for row_id, value in values.items():
            current = self.store.row(table, row_id)
            if current is None:
                raise RowMissingError(None, f"{table} {row_id} no longer exists")
            want = (expected or {}).get(row_id, MISSING)
            if want is not MISSING and not same_value(current[field], want):
                raise ConflictError(table, row_id, field, want, current[field])
            if not same_value(current[field], value):
                old[row_id] = current[field]
        for row_id in old:
            self.db.execute(
                f"UPDATE {table} SET {field} = ? WHERE id = ?",
                (f"(being renamed {row_id})", row_id),
            )
        for row_id, was in old.items():
            self.db.execute(
                f"UPDATE {table} SET {field} = ?, version = version + 1, modified_at = ?,"
                " modified_by = ? WHERE id = ?",
                (values[row_id], self._stamp(), self.by, row_id),
            )
            self.log("update", table, row_id, field, was, values[row_id])

    def delete(self, table: str, row_id: str) -> None:
        """Remove a row and, first, everything that hangs off it, each logged whole so the
        removal can be undone and carried over by a merge."""
        for child_table, column in CHILDREN.get(table, ()):
            for (child_id,) in self.db.execute(
                f"SELECT id FROM {child_table} WHERE {column} = ?", (row_id,)
            ).fetchall():
                self.delete(child_table, child_id)
        current = self.store.row(table, row_id)
        if current is None:
            return
        self.db.execute(f"DELETE FROM {table} WHERE id = ?", (row_id,))
        logged = {k: v for k, v in current.items() if k not in _STAMPS}
        self.log("delete", table, row_id, None, logged, None)

    # -- a logged transaction, turned back or applied again --

    def revert(self, changes: Sequence[Change]) -> None:
        """Undo ``changes`` (one logged transaction) in this one, newest first. Each field is
        only put back if it still holds what the transaction wrote (else ConflictError)."""
        for change in reversed(changes):
            if change.op == "insert":
                self.delete(change.tbl, change.row_id)
            elif change.op == "delete":
                self.insert(change.tbl, change.old)
            elif change.field is not None:
                self.update(
                    change.tbl,
                    change.row_id,
                    {change.field: change.old},
                    {change.field: change.new},
                )

    def replay(self, changes: Sequence[Change]) -> None:
        """Apply ``changes`` (one logged transaction) again in this one, oldest first."""
        for change in changes:
            if change.op == "insert":
                self.insert(change.tbl, change.new)
            elif change.op == "delete":
                self.delete(change.tbl, change.row_id)
            elif change.field is not None:
                self.update(
                    change.tbl,
                    change.row_id,
                    {change.field: change.new},
                    {change.field: change.old},
                )
