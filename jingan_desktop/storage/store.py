"""The plan store: plans, quarterly data and departments in one SQLite file, with history.

Every change goes through :meth:`Store.write`, one transaction per user action, and leaves
one ``change_log`` row per changed field (or per created / removed row) in that same
transaction: who (OS user and machine), when, through what (edit, import, merge, undo …),
old and new value. That log is what the history view shows and what merging copies reads.

Edits carry the value the user saw (``expected``); if the file holds something else by the
time the edit is written, someone else changed it meanwhile and :class:`ConflictError` says
so instead of silently overwriting it.
"""

from __future__ import annotations

import contextlib
import getpass
import json
import math
import os
import platform
import socket
import sqlite3
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from ..plan.model import (
    Accumulation,
    Actual,
    Chapter,
    Comparator,
    Department,
    Indicator,
    Item,
    ItemStatus,
    Kind,
    Plan,
    PlanData,
    Progress,
    QuarterLock,
    default_pace,
)
from .database import SCHEMA_VERSION, Database, StoreError, classify_error

# A fixed namespace for the name-based ids of (row, quarter) pairs.
_NAMESPACE = uuid.UUID("6b0c62e4-35a4-4e0e-9d1d-8a3c2f6f0b9e")


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()

# What a user may change, per table. Anything else is managed by the store itself.
EDITABLE: dict[str, frozenset[str]] = {
    "plan": frozenset({"title", "issuer", "issued_on"}),
    "chapter": frozenset({"numeral", "title", "intro", "position"}),
    "item": frozenset(
        {
            "number",
            "title",
            "text",
            "section",
            "lead_department_id",
            "co_department_ids",
            "due_date",
            "weight",
            "position",
            "chapter_id",
        }
    ),
    "indicator": frozenset(
        {
            "name",
            "text",
            "span_start",
            "span_end",
            "value",
            "unit",
            "comparator",
            "kind",
            "stretch_value",
            "weight",
            "pace_q1",
            "pace_q2",
            "pace_q3",
            "pace_q4",
            "tolerance",
            "accumulation",
            "position",
            "item_id",
        }
    ),
    "actual": frozenset({"value", "note"}),
    "progress": frozenset({"status", "text"}),
    "department": frozenset({"name", "position"}),
    "quarter_lock": frozenset({"locked", "locked_at", "locked_by", "snapshot"}),
}
TABLES = tuple(EDITABLE)
_STAMPS = ("version", "modified_at", "modified_by")


class ConflictError(StoreError):
    """Someone else changed the value since it was loaded; nothing was written."""

    def __init__(
        self, table: str, row_id: str, field: str, expected: object, actual: object
    ) -> None:
        super().__init__(
            None, f"{table}.{field} of {row_id} is now {actual!r}, expected {expected!r}"
        )
        self.table = table
        self.row_id = row_id
        self.field = field
        self.expected = expected
        self.actual = actual


class RowMissingError(StoreError):
    """The row was removed (perhaps by someone else) and cannot be changed."""


class QuarterLockedError(StoreError):
    """The quarter's report was issued and its figures are frozen until unlocked."""

    def __init__(self, quarter: int) -> None:
        super().__init__(None, f"quarter {quarter} is locked")
        self.quarter = quarter


class PlanExistsError(StoreError):
    """The file already holds a plan for that year."""

    def __init__(self, year: int) -> None:
        super().__init__(None, f"a plan for {year} is already in this file")
        self.year = year


class InvalidValueError(StoreError):
    """A value that a field cannot hold (a comparator that is not one, a negative weight …)."""

    def __init__(self, field: str, value: object, reason: str) -> None:
        super().__init__(None, f"{field}={value!r}: {reason}")
        self.field = field
        self.value = value
        self.reason = reason


def current_actor() -> tuple[str, str]:
    """The OS user and machine name, as the change log records them."""
    try:
        user = getpass.getuser()
    except Exception:  # getuser raises various errors when no user name is set
        user = os.environ.get("USERNAME") or "unknown"
    machine = platform.node() or socket.gethostname() or "unknown"
    return user, machine


def pair_id(row_id: str, quarter: int) -> str:
    """The id of the (row, quarter) record: the same in every copy of the file."""
    return str(uuid.uuid5(_NAMESPACE, f"{row_id}/{quarter}"))


def new_id() -> str:
    return str(uuid.uuid4())


def _to_json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


@dataclass
class Change:
    """One entry of the change log."""

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


class Write:
    """One open transaction: every change made through it is logged with it."""

    def __init__(self, store: Store, source: str, summary: str) -> None:
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
                None if old is None and op == "insert" else _to_json(old),
                None if new is None and op == "delete" else _to_json(new),
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


# Rows removed together with their parent (the schema cascades; we log them first).
CHILDREN: dict[str, tuple[tuple[str, str], ...]] = {
    "plan": (("chapter", "plan_id"), ("quarter_lock", "plan_id")),
    "chapter": (("item", "chapter_id"),),
    "item": (("indicator", "item_id"), ("progress", "item_id")),
    "indicator": (("actual", "indicator_id"),),
}


def _status_value(status: Any) -> str | None:
    if not status:
        return None
    try:
        return ItemStatus(status).value
    except ValueError as exc:
        raise InvalidValueError(
            "status", status, "must be one of 未启动 推进中 已完成 滞后"
        ) from exc


def _position_after(siblings: list[dict[str, Any]], after_id: str | None) -> int:
    ids = [row["id"] for row in siblings]
    return ids.index(after_id) + 1 if after_id in ids else len(ids)


def same_value(a: object, b: object) -> bool:
    if isinstance(a, int | float) and isinstance(b, int | float) and not isinstance(a, bool):
        return float(a) == float(b)
    return a == b


class Store:
    """A plan file, opened. Reads return model objects; writes go through :meth:`write`."""

    def __init__(self, database: Database, actor: tuple[str, str] | None = None) -> None:
        self.database = database
        self.actor = actor or current_actor()
        self._active: Write | None = None

    # -- opening --

    @classmethod
    def open(cls, path: str | os.PathLike[str], *, readonly: bool = False, **kwargs: Any) -> Store:
        return cls(Database.open(path, readonly=readonly, **kwargs))

    @classmethod
    def create(cls, path: str | os.PathLike[str], plan: Plan | None = None) -> Store:
        """A new file, holding ``plan`` if given; nothing is left behind if that fails."""

        def populate(database: Database) -> None:
            store = cls(database)
            store._init_meta()
            if plan is not None:
                store.import_plan(plan)

        return cls(Database.create(path, populate=populate))

    def _init_meta(self) -> None:
        user, machine = self.actor
        with self.database.transaction():
            for key, value in (
                ("file_id", new_id()),
                ("created_at", datetime.now(UTC).isoformat(timespec="seconds")),
                ("created_by", f"{user}@{machine}"),
            ):
                self.database.execute(
                    "INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)", (key, value)
                )

    @property
    def path(self) -> Path:
        return self.database.path

    @property
    def readonly(self) -> bool:
        return self.database.readonly

    def close(self) -> None:
        self.database.close()

    # -- writing --

    @contextlib.contextmanager
    def write(self, summary: str, source: str = "edit") -> Iterator[Write]:
        """One user action: one ``BEGIN IMMEDIATE`` transaction with its change-log rows.

        Writes nested inside an open one join it (same transaction, same txn id), so an
        action built from several store calls stays one action for undo and history."""
        if self._active is not None:
            yield self._active
            return
        with self.database.transaction():
            self._active = Write(self, source, summary)
            try:
                yield self._active
            finally:
                self._active = None

    # -- reading rows --

    def row(self, table: str, row_id: str) -> dict[str, Any] | None:
        found = self.rows(f"SELECT * FROM [{table}] WHERE id = ?", (row_id,))
        return found[0] if found else None

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """Rows as dicts (sqlite-utils' query), with SQLite errors turned into ours."""
        try:
            return list(self.database.db.query(sql, tuple(params)))
        except sqlite3.Error as exc:
            raise classify_error(exc, str(self.path)) from exc

    def _scan(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        """Bulk reads for loading a whole plan: sqlite3.Row is indexed by name in C, several
        times faster than building a dict per row."""
        try:
            cursor = self.database.conn.cursor()
            cursor.row_factory = sqlite3.Row
            return cursor.execute(sql, tuple(params)).fetchall()
        except sqlite3.Error as exc:
            raise classify_error(exc, str(self.path)) from exc

    def meta(self) -> dict[str, str]:
        return {row["key"]: row["value"] for row in self.rows("SELECT key, value FROM meta")}

    # -- plans --

    def plans(self) -> list[dict[str, Any]]:
        return self.rows("SELECT id, title, year, issuer, issued_on FROM plan ORDER BY year")

    def plan_id_for_year(self, year: int | None = None) -> str | None:
        """The plan of ``year``, or the latest plan when no year is given."""
        if year is None:
            found = self.rows("SELECT id FROM plan ORDER BY year DESC LIMIT 1")
        else:
            found = self.rows("SELECT id FROM plan WHERE year = ?", (year,))
        return found[0]["id"] if found else None

    def import_plan(self, plan: Plan, *, replace: bool = False, source: str = "import") -> str:
        """Store a parsed plan as a new plan year; returns its id."""
        existing = self.plan_id_for_year(plan.year)
        if existing is not None and not replace:
            raise PlanExistsError(plan.year)
        with self.write(f"导入{plan.year}年计划", source) as w:
            if existing is not None:
                w.delete("plan", existing)
            departments = self._department_ids()
            plan.id = w.insert(
                "plan",
                {
                    "title": plan.title,
                    "year": plan.year,
                    "issuer": plan.issuer,
                    "issued_on": plan.issued_on.isoformat() if plan.issued_on else None,
                    "preamble": plan.preamble,
                    "source_text": plan.source_text,
                },
            )
            for c_pos, chapter in enumerate(plan.chapters):
                chapter.id = w.insert(
                    "chapter",
                    {
                        "plan_id": plan.id,
                        "position": c_pos,
                        "numeral": chapter.numeral,
                        "title": chapter.title,
                        "intro": chapter.intro,
                    },
                )
                for i_pos, item in enumerate(chapter.items):
                    self._insert_item(w, chapter.id, i_pos, item, departments)
        return plan.id

    def _insert_item(
        self, w: Write, chapter_id: str, position: int, item: Item, departments: dict[str, str]
    ) -> str:
        lead = (
            self._department_id(w, item.lead_department, departments)
            if item.lead_department
            else None
        )
        co = [self._department_id(w, name, departments) for name in item.co_departments]
        item.id = w.insert(
            "item",
            {
                "chapter_id": chapter_id,
                "position": position,
                "number": item.number,
                "title": item.title,
                "text": item.text,
                "section": item.section,
                "lead_department_id": lead,
                "co_department_ids": _to_json(co),
                "due_date": item.due_date.isoformat() if item.due_date else None,
                "weight": item.weight,
            },
        )
        for position_, indicator in enumerate(item.indicators):
            self._insert_indicator(w, item.id, position_, indicator)
        return item.id

    def _insert_indicator(self, w: Write, item_id: str, position: int, ind: Indicator) -> str:
        pace = ind.effective_pace()
        ind.id = w.insert(
            "indicator",
            {
                "item_id": item_id,
                "position": position,
                "name": ind.name,
                "text": ind.text,
                "span_start": ind.span[0] if ind.span else None,
                "span_end": ind.span[1] if ind.span else None,
                "value": ind.value,
                "unit": ind.unit,
                "comparator": ind.comparator.value,
                "kind": ind.kind.value,
                "stretch_value": ind.stretch_value,
                "weight": ind.weight,
                "pace_q1": pace[0],
                "pace_q2": pace[1],
                "pace_q3": pace[2],
                "pace_q4": pace[3],
                "tolerance": ind.tolerance,
                "accumulation": ind.accumulation.value,
            },
        )
        return ind.id

    # -- departments --

    def departments(self) -> list[Department]:
        return [
            Department(row["id"], row["name"], row["position"])
            for row in self.rows(
                "SELECT id, name, position FROM department ORDER BY position, name"
            )
        ]

    def _department_ids(self) -> dict[str, str]:
        return {d.name: d.id for d in self.departments()}

    def _department_id(self, w: Write, name: str, known: dict[str, str]) -> str:
        name = name.strip()
        if not name:
            raise InvalidValueError("department", name, "empty name")
        if name not in known:
            known[name] = w.insert("department", {"name": name, "position": len(known)})
        return known[name]

    def add_department(self, name: str) -> str:
        with self.write(f"添加单位 {name}") as w:
            return self._department_id(w, name, self._department_ids())

    def rename_department(self, department_id: str, name: str) -> None:
        name = name.strip()
        if not name:
            raise InvalidValueError("name", name, "must not be empty")
        if any(d.name == name and d.id != department_id for d in self.departments()):
            raise InvalidValueError("name", name, "another department already has this name")
        with self.write(f"重命名单位为 {name}") as w:
            w.update("department", department_id, {"name": name})

    def remove_department(self, department_id: str) -> None:
        """Remove a department; items it led or helped lose it (each change logged)."""
        with self.write("删除单位") as w:
            for row in self.rows(
                "SELECT id, lead_department_id, co_department_ids FROM item"
                " WHERE lead_department_id = ? OR co_department_ids LIKE ?",
                (department_id, f'%"{department_id}"%'),
            ):
                changes: dict[str, Any] = {}
                if row["lead_department_id"] == department_id:
                    changes["lead_department_id"] = None
                co = json.loads(row["co_department_ids"])
                if department_id in co:
                    changes["co_department_ids"] = _to_json([d for d in co if d != department_id])
                w.update("item", row["id"], changes)
            w.delete("department", department_id)

    def set_item_departments(
        self,
        item_id: str,
        *,
        lead: str | Any | None = MISSING,
        co: Sequence[str] | Any = MISSING,
        expected_lead: str | Any | None = MISSING,
        expected_co: Sequence[str] | Any = MISSING,
        source: str = "edit",
    ) -> None:
        """Set an item's lead department and/or co-departments by name (created if new)."""
        with self.write("修改牵头单位" if co is MISSING else "修改配合单位", source) as w:
            known = self._department_ids()
            changes: dict[str, Any] = {}
            expected: dict[str, Any] = {}
            if lead is not MISSING:
                changes["lead_department_id"] = (
                    self._department_id(w, lead, known) if lead else None
                )
                if expected_lead is not MISSING:
                    expected["lead_department_id"] = (
                        known.get(expected_lead) if expected_lead else None
                    )
            if co is not MISSING:
                ids = [self._department_id(w, name, known) for name in co if name.strip()]
                changes["co_department_ids"] = _to_json(list(dict.fromkeys(ids)))
                if expected_co is not MISSING:
                    seen = [known.get(name) for name in expected_co if name.strip()]
                    if None in seen:  # a department that no longer exists: someone changed it
                        current = self.row("item", item_id)
                        raise ConflictError(
                            "item",
                            item_id,
                            "co_department_ids",
                            list(expected_co),
                            current and current["co_department_ids"],
                        )
                    expected["co_department_ids"] = _to_json(list(dict.fromkeys(seen)))
            w.update("item", item_id, changes, expected)

    # -- quarterly data --

    def plan_of(self, table: str, row_id: str) -> str | None:
        joins = {
            "indicator": "SELECT c.plan_id FROM indicator n JOIN item i ON i.id = n.item_id"
            " JOIN chapter c ON c.id = i.chapter_id WHERE n.id = ?",
            "item": "SELECT c.plan_id FROM item i JOIN chapter c ON c.id = i.chapter_id"
            " WHERE i.id = ?",
        }
        found = self.database.execute(joins[table], (row_id,)).fetchone()
        return found[0] if found else None

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

    def set_actual(
        self,
        indicator_id: str,
        quarter: int,
        value: float | Any | None = MISSING,
        *,
        note: str | Any = MISSING,
        expected_value: float | Any | None = MISSING,
        expected_note: str | Any = MISSING,
        source: str = "edit",
    ) -> None:
        """Record an indicator's figure (and/or note) for a quarter."""
        changes = {k: v for k, v in (("value", value), ("note", note)) if v is not MISSING}
        if changes.get("value") is not None:
            changes["value"] = finite_number("value", changes["value"])
        summary = "修改实际值" if "value" in changes else "修改备注"
        with self.write(summary, source) as w:
            self._check_unlocked("indicator", indicator_id, quarter)
            row_id = pair_id(indicator_id, quarter)
            if self.row("actual", row_id) is None:
                if expected_value not in (MISSING, None):
                    raise ConflictError("actual", row_id, "value", expected_value, None)
                if expected_note not in (MISSING, None, ""):
                    raise ConflictError("actual", row_id, "note", expected_note, None)
                w.insert(
                    "actual",
                    {
                        "id": row_id,
                        "indicator_id": indicator_id,
                        "quarter": quarter,
                        "value": changes.get("value"),
                        "note": changes.get("note", ""),
                    },
                )
            else:
                w.update(
                    "actual", row_id, changes, {"value": expected_value, "note": expected_note}
                )

    def set_progress(
        self,
        item_id: str,
        quarter: int,
        *,
        status: ItemStatus | Any | None = MISSING,
        text: str | Any = MISSING,
        expected_status: ItemStatus | Any | None = MISSING,
        expected_text: str | Any = MISSING,
        source: str = "edit",
    ) -> None:
        """Record an item's status and/or progress text for a quarter."""
        changes: dict[str, Any] = {}
        if status is not MISSING:
            changes["status"] = _status_value(status)
        if text is not MISSING:
            changes["text"] = text
        expected = {
            "status": expected_status
            if expected_status is MISSING
            else _status_value(expected_status),
            "text": expected_text,
        }
        with self.write("修改进展情况" if "text" in changes else "修改状态", source) as w:
            self._check_unlocked("item", item_id, quarter)
            row_id = pair_id(item_id, quarter)
            if self.row("progress", row_id) is None:
                for field, value in expected.items():
                    if value not in (MISSING, None, ""):
                        raise ConflictError("progress", row_id, field, value, None)
                w.insert(
                    "progress",
                    {
                        "id": row_id,
                        "item_id": item_id,
                        "quarter": quarter,
                        "status": changes.get("status"),
                        "text": changes.get("text", ""),
                    },
                )
            else:
                w.update("progress", row_id, changes, expected)

    def update_field(
        self,
        table: str,
        row_id: str,
        field: str,
        value: Any,
        *,
        expected: Any = MISSING,
        summary: str | None = None,
        source: str = "edit",
    ) -> None:
        """Change one field of a plan, chapter, item, indicator or department."""
        value = validate_field(table, field, value)
        with self.write(summary or f"修改{FIELD_LABELS.get(field, field)}", source) as w:
            w.update(table, row_id, {field: value}, {field: expected})

    # -- structure: adding, removing, reordering rows --

    def add_item(
        self, chapter_id: str, after_id: str | None = None, title: str = "新事项"
    ) -> tuple[str, list[Change]]:
        """A new item in a chapter, after ``after_id`` (or at the end); returns its id and the
        logged changes (for undo)."""
        with self.write("添加事项") as w:
            siblings = self.rows(
                "SELECT id, number FROM item WHERE chapter_id = ? ORDER BY position", (chapter_id,)
            )
            position = _position_after(siblings, after_id)
            numbers = self.rows(
                "SELECT max(i.number) AS n FROM item i JOIN chapter c ON c.id = i.chapter_id"
                " WHERE c.plan_id = (SELECT plan_id FROM chapter WHERE id = ?)",
                (chapter_id,),
            )
            number = (numbers[0]["n"] or 0) + 1
            self._shift(w, "item", siblings, position)
            item = Item(number, title, title)
            item_id = self._insert_item(w, chapter_id, position, item, self._department_ids())
            return item_id, w.changes

    def add_indicator(
        self, item_id: str, after_id: str | None = None, name: str = "新指标"
    ) -> tuple[str, list[Change]]:
        with self.write("添加指标") as w:
            siblings = self.rows(
                "SELECT id FROM indicator WHERE item_id = ? ORDER BY position", (item_id,)
            )
            position = _position_after(siblings, after_id)
            self._shift(w, "indicator", siblings, position)
            indicator = Indicator(name, None, "")  # type: ignore[arg-type]  # target not set yet
            indicator_id = self._insert_indicator(w, item_id, position, indicator)
            return indicator_id, w.changes

    def _shift(self, w: Write, table: str, siblings: list[dict[str, Any]], position: int) -> None:
        for index, row in enumerate(siblings):
            if index >= position:
                w.update(table, row["id"], {"position": index + 1})

    def remove_row(self, table: str, row_id: str) -> list[Change]:
        """Remove a chapter, item or indicator with everything under it (logged, undoable)."""
        label = {"chapter": "删除章节", "item": "删除事项", "indicator": "删除指标"}[table]
        with self.write(label) as w:
            if self.row(table, row_id) is None:
                raise RowMissingError(None, f"{table} {row_id} no longer exists")
            self._check_subtree_unlocked(table, row_id)
            w.delete(table, row_id)
            return w.changes

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

    def move_row(self, table: str, row_id: str, delta: int) -> list[Change]:
        """Move a chapter, item or indicator up (-1) or down (+1) among its siblings."""
        parent_column = {"chapter": "plan_id", "item": "chapter_id", "indicator": "item_id"}[table]
        with self.write("调整顺序") as w:
            row = self.row(table, row_id)
            if row is None:
                raise RowMissingError(None, f"{table} {row_id} no longer exists")
            siblings = self.rows(
                f"SELECT id FROM {table} WHERE {parent_column} = ? ORDER BY position",
                (row[parent_column],),
            )
            ids = [r["id"] for r in siblings]
            index = ids.index(row_id)
            target = index + delta
            if not 0 <= target < len(ids):
                return []
            ids[index], ids[target] = ids[target], ids[index]
            for position, sibling in enumerate(ids):
                w.update(table, sibling, {"position": position})
            return w.changes

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

    def revert(self, changes: Sequence[Change], source: str = "undo") -> list[Change]:
        """Undo a transaction from its logged changes, newest first. Each field is only put
        back if it still holds what the transaction wrote (else ConflictError)."""
        summary = changes[0].summary if changes else ""
        with self.write(summary, source) as w:
            self._check_changes_unlocked(changes)
            for change in reversed(changes):
                if change.op == "insert":
                    w.delete(change.tbl, change.row_id)
                elif change.op == "delete":
                    w.insert(change.tbl, change.old)
                elif change.field is not None:
                    w.update(
                        change.tbl,
                        change.row_id,
                        {change.field: change.old},
                        {change.field: change.new},
                    )
            return w.changes

    def replay(self, changes: Sequence[Change], source: str = "redo") -> list[Change]:
        """Apply a transaction's logged changes again, oldest first (redo)."""
        summary = changes[0].summary if changes else ""
        with self.write(summary, source) as w:
            self._check_changes_unlocked(changes)
            for change in changes:
                if change.op == "insert":
                    w.insert(change.tbl, change.new)
                elif change.op == "delete":
                    w.delete(change.tbl, change.row_id)
                elif change.field is not None:
                    w.update(
                        change.tbl,
                        change.row_id,
                        {change.field: change.new},
                        {change.field: change.old},
                    )
            return w.changes

    # -- quarter locks --

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
                values["snapshot"] = _to_json(snapshot) if snapshot is not None else None
            if self.row("quarter_lock", row_id) is None:
                w.insert(
                    "quarter_lock", {"id": row_id, "plan_id": plan_id, "quarter": quarter, **values}
                )
            else:
                w.update("quarter_lock", row_id, values)

    # -- loading a whole plan --

    def load(self, plan_id: str | None = None) -> PlanData:
        """The plan with its chapters, items, indicators, quarterly data and locks."""
        with self.database.reading():
            plan_id = plan_id or self.plan_id_for_year()
            if plan_id is None:
                raise RowMissingError(self.path, "the file holds no plan")
            return self._load(plan_id)

    def _load(self, plan_id: str) -> PlanData:
        row = self.row("plan", plan_id)
        if row is None:
            raise RowMissingError(self.path, f"plan {plan_id} does not exist")
        plan = Plan(
            title=row["title"],
            year=row["year"],
            issuer=row["issuer"],
            issued_on=date.fromisoformat(row["issued_on"]) if row["issued_on"] else None,
            source_text=row["source_text"],
            preamble=row["preamble"],
            id=row["id"],
        )
        departments = self.departments()
        names = {d.id: d.name for d in departments}
        chapters: dict[str, Chapter] = {}
        for c in self._scan(
            "SELECT * FROM chapter WHERE plan_id = ? ORDER BY position", (plan_id,)
        ):
            chapter = Chapter(c["numeral"], c["title"], intro=c["intro"], id=c["id"])
            chapters[c["id"]] = chapter
            plan.chapters.append(chapter)
        items: dict[str, Item] = {}
        for i in self._scan(
            "SELECT i.* FROM item i JOIN chapter c ON c.id = i.chapter_id WHERE c.plan_id = ?"
            " ORDER BY c.position, i.position",
            (plan_id,),
        ):
            item = Item(
                number=i["number"],
                title=i["title"],
                text=i["text"],
                section=i["section"],
                lead_department=names.get(i["lead_department_id"]),
                co_departments=[names[d] for d in json.loads(i["co_department_ids"]) if d in names],
                due_date=date.fromisoformat(i["due_date"]) if i["due_date"] else None,
                weight=i["weight"],
                id=i["id"],
            )
            items[i["id"]] = item
            chapters[i["chapter_id"]].items.append(item)
        indicator_ids: set[str] = set()
        for n in self._scan(
            "SELECT n.* FROM indicator n JOIN item i ON i.id = n.item_id"
            " JOIN chapter c ON c.id = i.chapter_id WHERE c.plan_id = ?"
            " ORDER BY c.position, i.position, n.position",
            (plan_id,),
        ):
            items[n["item_id"]].indicators.append(indicator_from_row(n))
            indicator_ids.add(n["id"])
        data = PlanData(plan, departments=departments)
        for a in self._scan(
            "SELECT a.* FROM actual a JOIN indicator n ON n.id = a.indicator_id"
            " JOIN item i ON i.id = n.item_id JOIN chapter c ON c.id = i.chapter_id"
            " WHERE c.plan_id = ?",
            (plan_id,),
        ):
            data.actuals[(a["indicator_id"], a["quarter"])] = Actual(
                a["indicator_id"],
                a["quarter"],
                a["value"],
                a["note"],
                a["modified_at"],
                a["modified_by"],
            )
        for p in self._scan(
            "SELECT p.* FROM progress p JOIN item i ON i.id = p.item_id"
            " JOIN chapter c ON c.id = i.chapter_id WHERE c.plan_id = ?",
            (plan_id,),
        ):
            data.progress[(p["item_id"], p["quarter"])] = Progress(
                p["item_id"],
                p["quarter"],
                ItemStatus(p["status"]) if p["status"] else None,
                p["text"],
                p["modified_at"],
                p["modified_by"],
            )
        for lock in self._scan("SELECT * FROM quarter_lock WHERE plan_id = ?", (plan_id,)):
            data.locks[lock["quarter"]] = QuarterLock(
                lock["quarter"],
                bool(lock["locked"]),
                lock["locked_at"],
                lock["locked_by"],
                json.loads(lock["snapshot"]) if lock["snapshot"] else None,
            )
        return data

    # -- history --

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

    # -- checking --

    def check(self) -> CheckReport:
        db = self.database
        counts = {table: db.db.table(table).count for table in (*TABLES, "change_log")}
        sources = {
            row["source"]: row["n"]
            for row in self.rows("SELECT source, count(*) AS n FROM change_log GROUP BY source")
        }
        last = self.rows(
            "SELECT ts, user, machine, summary FROM change_log ORDER BY ts DESC LIMIT 1"
        )
        return CheckReport(
            path=str(self.path),
            schema_version=db.user_version(),
            supported_version=SCHEMA_VERSION,
            problems=db.integrity_problems(),
            counts=counts,
            history_by_source=sources,
            last_change=last[0] if last else None,
            plans=self.plans(),
            readonly=db.readonly,
        )


@dataclass
class CheckReport:
    path: str
    schema_version: int
    supported_version: int
    problems: list[str]
    counts: dict[str, int]
    history_by_source: dict[str, int]
    last_change: dict[str, Any] | None
    plans: list[dict[str, Any]]
    readonly: bool

    @property
    def ok(self) -> bool:
        return not self.problems and self.schema_version == self.supported_version


_KINDS = {kind.value: kind for kind in Kind}
_COMPARATORS = {comparator.value: comparator for comparator in Comparator}
_ACCUMULATIONS = {a.value: a for a in Accumulation}


def indicator_from_row(n: Mapping[str, Any] | sqlite3.Row) -> Indicator:
    kind = _KINDS[n["kind"]]
    pace = (n["pace_q1"], n["pace_q2"], n["pace_q3"], n["pace_q4"])
    return Indicator(
        name=n["name"],
        value=n["value"],
        unit=n["unit"],
        comparator=_COMPARATORS[n["comparator"]],
        kind=kind,
        text=n["text"],
        span=(n["span_start"], n["span_end"]) if n["span_start"] is not None else None,
        stretch_value=n["stretch_value"],
        weight=n["weight"],
        pace=None if pace == default_pace(kind) else pace,
        tolerance=n["tolerance"],
        accumulation=_ACCUMULATIONS[n["accumulation"]],
        id=n["id"],
    )


FIELD_LABELS = {
    "value": "目标值",
    "unit": "单位",
    "comparator": "比较方式",
    "kind": "指标类型",
    "name": "名称",
    "title": "标题",
    "text": "正文",
    "due_date": "完成时限",
    "weight": "权重",
    "stretch_value": "力争值",
    "tolerance": "容差",
    "position": "顺序",
    "number": "编号",
    "issuer": "发文单位",
    "issued_on": "发文日期",
    "pace_q1": "一季度进度",
    "pace_q2": "二季度进度",
    "pace_q3": "三季度进度",
    "pace_q4": "四季度进度",
}


def finite_number(field: str, value: Any) -> float:
    """A float that SQLite stores faithfully (no NaN, no infinity, no text)."""
    if isinstance(value, bool):
        raise InvalidValueError(field, value, "not a number")
    try:
        number = float(value)
    except (TypeError, ValueError) as exc:
        raise InvalidValueError(field, value, "not a number") from exc
    if not math.isfinite(number):
        raise InvalidValueError(field, value, "not a finite number")
    return number


def validate_field(table: str, field: str, value: Any) -> Any:
    """Normalise a value for a field, or raise :class:`InvalidValueError`."""
    if field not in EDITABLE.get(table, ()):
        raise InvalidValueError(field, value, f"not an editable field of {table}")
    if field == "comparator":
        try:
            return Comparator(value).value
        except ValueError as exc:
            raise InvalidValueError(field, value, "must be one of >= <= = ~") from exc
    if field == "kind":
        try:
            return Kind(value).value
        except ValueError as exc:
            raise InvalidValueError(field, value, "unknown indicator kind") from exc
    if field == "accumulation":
        try:
            return Accumulation(value).value
        except ValueError as exc:
            raise InvalidValueError(field, value, "must be ytd or quarter") from exc
    if field in (
        "value",
        "stretch_value",
        "weight",
        "tolerance",
        "pace_q1",
        "pace_q2",
        "pace_q3",
        "pace_q4",
    ):
        if value is None and field in ("value", "stretch_value"):
            return None
        number = finite_number(field, value)
        if field in ("weight", "tolerance") and number < 0:
            raise InvalidValueError(field, value, "must not be negative")
        return number
    if field in ("due_date", "issued_on"):
        if value in (None, ""):
            return None
        try:
            return (
                value if isinstance(value, date) else date.fromisoformat(str(value))
            ).isoformat()
        except ValueError as exc:
            raise InvalidValueError(field, value, "not a date (YYYY-MM-DD)") from exc
    if field in ("name", "title") and not str(value).strip():
        raise InvalidValueError(field, value, "must not be empty")
    return value


def ensure_default_database(path: Path | None = None) -> Path:
    """The default plan file in the user's data folder, created from the shipped 2022 plan
    on first start."""
    from ..paths import SEED_PLAN, default_db_path, resource_path
    from ..plan.parser import read_plan_file

    path = path or default_db_path()
    if not path.exists():
        Store.create(path, read_plan_file(resource_path(SEED_PLAN)).plan).close()
    return path
