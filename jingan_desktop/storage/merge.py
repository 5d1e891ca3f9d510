"""Merging a copy that diverged offline (a USB stick, a department's return) into the master.

No shared base file is needed: every change in either file is in its ``change_log`` with a
UUID that copies keep, so

* the copy's new changes are its log entries the master does not have, and the master's
  own changes since the copies parted are its entries the copy does not have;
* a field changed only in the copy is taken; a field both logs touched since they parted,
  now holding different values, is a **conflict** for the user (or ``prefer``) to decide;
* rows match by UUID: a row created in the copy is created, a row removed there is removed
  (unless the master changed it meanwhile: a conflict again);
* the copy's log entries are added to the master's log, so merging the same copy again finds
  nothing new and changes nothing.

The merge runs as one transaction, after a backup of the master.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ..plan.model import CHINESE_QUARTERS
from .changelog import Change
from .database import SCHEMA_VERSION, StoreError
from .fields import CHILDREN, EDITABLE, FIELD_LABELS, same_value
from .store import Store

Side = Literal["ours", "theirs"]
# Parents before children: the order rows are created in.
TABLE_ORDER = (
    "department",
    "plan",
    "chapter",
    "item",
    "indicator",
    "actual",
    "progress",
    "quarter_lock",
)
_PARENT = {
    "chapter": ("plan", "plan_id"),
    "item": ("chapter", "chapter_id"),
    "indicator": ("item", "item_id"),
    "actual": ("indicator", "indicator_id"),
    "progress": ("item", "item_id"),
    "quarter_lock": ("plan", "plan_id"),
}
_STAMPS = {"version", "modified_at", "modified_by"}


class MergeError(StoreError):
    """The copy cannot be merged into this file (not a copy of it, another schema …)."""


class UnresolvedConflictsError(StoreError):
    """Conflicts were found and neither a resolution nor a preferred side was given."""

    def __init__(self, count: int) -> None:
        super().__init__(None, f"{count} conflicting change(s) need a decision")
        self.count = count


@dataclass(frozen=True)
class MergeChange:
    """A change the merge makes in the master."""

    op: str  # "insert", "update", "delete"
    tbl: str
    row_id: str
    field: str | None
    ours: Any  # the master's value now (a whole row for delete)
    theirs: Any  # the copy's value (a whole row for insert)
    label: str

    @property
    def key(self) -> tuple[str, str, str | None]:
        return (self.tbl, self.row_id, self.field)


@dataclass(frozen=True)
class Conflict:
    """Both sides changed the same thing since they parted."""

    kind: str  # "field", "deleted_there" (copy removed a row the master changed),
    # "deleted_here" (master removed a row the copy changed), "locked" (a frozen quarter)
    change: MergeChange  # what taking the copy's side would do

    @property
    def key(self) -> tuple[str, str, str | None]:
        return self.change.key

    @property
    def description(self) -> str:
        return {
            "field": "双方都修改了此项",
            "deleted_there": "副本中已删除，但本文件中有修改",
            "deleted_here": "本文件中已删除，但副本中有修改",
            "locked": "该季度在本文件中已锁定",
        }[self.kind]


@dataclass
class MergePreview:
    source: Path
    changes: list[MergeChange] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    new_entries: list[Change] = field(default_factory=list)  # the copy's log entries to adopt
    their_user: str = ""

    @property
    def nothing_to_do(self) -> bool:
        return not self.changes and not self.conflicts and not self.new_entries


def plan_merge(master: Store, copy_path: str | Path) -> MergePreview:
    """Compare a copy with the master; nothing is written."""
    copy_path = Path(copy_path)
    if copy_path.resolve() == master.path.resolve():
        raise MergeError(copy_path, "a file cannot be merged into itself")
    copy = Store.open(copy_path, readonly=True, migrate=False)
    try:
        if copy.database.user_version() != SCHEMA_VERSION:
            raise MergeError(
                copy_path,
                f"the copy uses schema version {copy.database.user_version()}, this app {SCHEMA_VERSION}; open it once in the app to upgrade it",
            )
        ours_meta, their_meta = master.meta(), copy.meta()
        if ours_meta.get("file_id") != their_meta.get("file_id"):
            raise MergeError(copy_path, "not a copy of this plan file (different file id)")
        return _compare(master, copy, copy_path)
    finally:
        copy.close()


def _log(store: Store) -> list[Change]:
    return [
        Change.from_row(row) for row in store.rows("SELECT * FROM change_log ORDER BY ts, rowid")
    ]


def _compare(master: Store, copy: Store, copy_path: Path) -> MergePreview:
    ours_log, their_log = _log(master), _log(copy)
    our_ids = {c.id for c in ours_log}
    their_ids = {c.id for c in their_log}
    theirs_new = [c for c in their_log if c.id not in our_ids]
    ours_new = [c for c in ours_log if c.id not in their_ids]
    preview = MergePreview(copy_path, new_entries=theirs_new)
    if theirs_new:
        preview.their_user = f"{theirs_new[-1].user}@{theirs_new[-1].machine}"

    ours_fields: set[tuple[str, str, str]] = set()
    ours_rows: set[tuple[str, str]] = set()  # rows the master created, changed or removed
    ours_deleted: set[tuple[str, str]] = set()
    for change in ours_new:
        ours_rows.add((change.tbl, change.row_id))
        if change.op == "update" and change.field:
            ours_fields.add((change.tbl, change.row_id, change.field))
        elif change.op == "insert":
            ours_fields.update((change.tbl, change.row_id, f) for f in EDITABLE.get(change.tbl, ()))
        elif change.op == "delete":
            ours_deleted.add((change.tbl, change.row_id))

    # What the copy touched since parting, row by row (fields, or the whole row).
    touched: dict[tuple[str, str], set[str]] = {}
    for change in theirs_new:
        if change.tbl not in EDITABLE:
            continue
        fields = touched.setdefault((change.tbl, change.row_id), set())
        if change.op == "update" and change.field:
            fields.add(change.field)
        else:
            fields.update(EDITABLE[change.tbl])

    labeler = _Labeler(master, copy)
    locked = _locked_quarters(master)
    for (tbl, row_id), fields in sorted(
        touched.items(), key=lambda kv: TABLE_ORDER.index(kv[0][0])
    ):
        theirs = copy.row(tbl, row_id)
        ours = master.row(tbl, row_id)
        if theirs is None:
            if ours is None:
                continue
            change = MergeChange(
                "delete", tbl, row_id, None, _plain(ours), None, labeler.label(tbl, row_id, None)
            )
            if any(row in ours_rows for row in _subtree(master, tbl, row_id)):
                preview.conflicts.append(Conflict("deleted_there", change))
            else:
                preview.changes.append(change)
            continue
        if ours is None:
            change = MergeChange(
                "insert", tbl, row_id, None, None, _plain(theirs), labeler.label(tbl, row_id, None)
            )
            parent = _PARENT.get(tbl)
            parent_gone = (
                parent is not None
                and master.row(parent[0], theirs[parent[1]]) is None
                and not _inserted(preview, parent[0], theirs[parent[1]])
            )
            if (tbl, row_id) in ours_deleted or parent_gone:
                preview.conflicts.append(Conflict("deleted_here", change))
            elif _is_locked(locked, tbl, theirs, copy):
                preview.conflicts.append(Conflict("locked", change))
            else:
                preview.changes.append(change)
            continue
        for name in sorted(fields):
            if name not in ours or same_value(ours[name], theirs[name]):
                continue
            change = MergeChange(
                "update",
                tbl,
                row_id,
                name,
                ours[name],
                theirs[name],
                labeler.label(tbl, row_id, name),
            )
            if (tbl, row_id, name) in ours_fields:
                preview.conflicts.append(Conflict("field", change))
            elif _is_locked(locked, tbl, theirs, copy):
                preview.conflicts.append(Conflict("locked", change))
            else:
                preview.changes.append(change)
    return preview


def _subtree(store: Store, tbl: str, row_id: str) -> list[tuple[str, str]]:
    """A row and everything that hangs off it (what removing it would remove)."""
    found = [(tbl, row_id)]
    for child_table, column in CHILDREN.get(tbl, ()):
        for child in store.rows(f"SELECT id FROM {child_table} WHERE {column} = ?", (row_id,)):
            found.extend(_subtree(store, child_table, child["id"]))
    return found


def _inserted(preview: MergePreview, tbl: str, row_id: str) -> bool:
    return any(c.op == "insert" and c.tbl == tbl and c.row_id == row_id for c in preview.changes)


def _plain(row: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k not in _STAMPS}


def _locked_quarters(master: Store) -> set[tuple[str, int]]:
    return {
        (row["plan_id"], row["quarter"])
        for row in master.rows("SELECT plan_id, quarter FROM quarter_lock WHERE locked = 1")
    }


def _is_locked(locked: set[tuple[str, int]], tbl: str, row: Mapping[str, Any], copy: Store) -> bool:
    if tbl not in ("actual", "progress") or not locked:
        return False
    owner = "indicator" if tbl == "actual" else "item"
    plan_id = copy.plan_of(owner, row[f"{owner}_id"])
    return (plan_id, row["quarter"]) in locked


class _Labeler:
    """Human-readable names for what a change touches ("2.1 新增注册企业 · 第二季度实际值")."""

    def __init__(self, master: Store, copy: Store) -> None:
        self.stores = (master, copy)

    def _row(self, tbl: str, row_id: str) -> dict[str, Any] | None:
        for store in self.stores:
            row = store.row(tbl, row_id)
            if row is not None:
                return row
        return None

    def label(self, tbl: str, row_id: str, field_name: str | None) -> str:
        row = self._row(tbl, row_id) or {}
        what = FIELD_LABELS.get(field_name or "", field_name or "")
        if tbl == "actual":
            indicator = self._row("indicator", row.get("indicator_id", "")) or {}
            quarter = CHINESE_QUARTERS[int(row.get("quarter", 1)) - 1]
            noun = "实际值" if field_name in (None, "value") else "实际值说明"
            return f"指标“{indicator.get('name', '?')}” · {quarter}{noun}"
        if tbl == "progress":
            item = self._row("item", row.get("item_id", "")) or {}
            quarter = CHINESE_QUARTERS[int(row.get("quarter", 1)) - 1]
            noun = {"status": "状态", "text": "进展情况"}.get(field_name or "", "进展")
            return f"事项 {item.get('number', '?')}. {item.get('title', '?')} · {quarter}{noun}"
        if tbl == "item":
            base = f"事项 {row.get('number', '?')}. {row.get('title', '?')}"
        elif tbl == "indicator":
            base = f"指标“{row.get('name', '?')}”"
        elif tbl == "chapter":
            base = f"章节 {row.get('numeral', '?')}、{row.get('title', '?')}"
        elif tbl == "department":
            base = f"单位“{row.get('name', '?')}”"
        elif tbl == "quarter_lock":
            base = f"{CHINESE_QUARTERS[int(row.get('quarter', 1)) - 1]}锁定"
        else:
            base = "计划"
        return f"{base} · {what}" if field_name else base


def apply_merge(
    master: Store,
    preview: MergePreview,
    *,
    prefer: Side | None = None,
    resolutions: Mapping[tuple[str, str, str | None], Side] | None = None,
    backup: bool = True,
) -> int:
    """Write the merge in one transaction; returns the number of changes made.

    Each conflict is decided by ``resolutions`` (by conflict key), else by ``prefer``; with
    neither, nothing is written and :class:`UnresolvedConflictsError` is raised.
    """
    resolutions = dict(resolutions or {})
    chosen: list[MergeChange] = list(preview.changes)
    undecided = 0
    for conflict in preview.conflicts:
        side = resolutions.get(conflict.key, prefer)
        if side is None:
            undecided += 1
        elif side == "theirs":
            chosen.append(conflict.change)
    if undecided:
        raise UnresolvedConflictsError(undecided)
    if backup and not preview.nothing_to_do:
        from .backup import take_backup

        take_backup(master.database, "merge")
    inserts = sorted(
        (c for c in chosen if c.op == "insert"), key=lambda c: TABLE_ORDER.index(c.tbl)
    )
    updates = [c for c in chosen if c.op == "update"]
    deletes = sorted(
        (c for c in chosen if c.op == "delete"), key=lambda c: -TABLE_ORDER.index(c.tbl)
    )
    with master.write(f"合并副本 {preview.source.name}", "merge") as w:
        for change in inserts:
            if master.row(change.tbl, change.row_id) is None:
                w.insert(change.tbl, change.theirs)
        for change in updates:
            w.update(
                change.tbl,
                change.row_id,
                {change.field: change.theirs},
                {change.field: change.ours},
            )
        for change in deletes:
            w.delete(change.tbl, change.row_id)
        _adopt_entries(master, preview.new_entries)
    return len(chosen)


def _adopt_entries(master: Store, entries: Iterable[Change]) -> None:
    """Add the copy's log entries (with their ids) to the master's log."""
    for c in entries:
        master.database.execute(
            "INSERT OR IGNORE INTO change_log (id, txn, ts, user, machine, source, op, tbl, row_id,"
            " field, old, new, summary) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                c.id,
                c.txn,
                c.ts,
                c.user,
                c.machine,
                c.source,
                c.op,
                c.tbl,
                c.row_id,
                c.field,
                None
                if c.old is None and c.op == "insert"
                else json.dumps(c.old, ensure_ascii=False, sort_keys=True),
                None
                if c.new is None and c.op == "delete"
                else json.dumps(c.new, ensure_ascii=False, sort_keys=True),
                c.summary,
            ),
        )


def export_department_file(master: Store, department: str, target: str | Path) -> Path:
    """A copy holding only the items a department leads or helps with, for it to fill in.

    Made through the backup API (checked, renamed into place); the other items are left out
    without logging their removal, so merging the return never removes them from the master.
    """
    from .database import Database

    target = Path(target)
    names = {d.name: d.id for d in master.departments()}
    if department not in names:
        raise MergeError(None, f"no department named {department!r}")
    department_id = names[department]
    temp = master.database.backup_to(target.with_name(f".{target.name}.dept"))
    try:
        copy = Database.open(temp)
        try:
            with copy.transaction():
                copy.execute(
                    "DELETE FROM item WHERE coalesce(lead_department_id, '') != ?"
                    " AND co_department_ids NOT LIKE ?",
                    (department_id, f'%"{department_id}"%'),
                )
                copy.execute("DELETE FROM chapter WHERE id NOT IN (SELECT chapter_id FROM item)")
                copy.execute(
                    "INSERT OR REPLACE INTO meta (key, value) VALUES ('scope', ?)",
                    (f"department:{department}",),
                )
            if copy.integrity_problems():
                raise MergeError(temp, "the department file failed its check")
        finally:
            copy.close()
        temp.replace(target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return target
