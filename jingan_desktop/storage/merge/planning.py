"""Planning a merge: what each side did since the copies parted, and, row by row, what the
copy's changes become in the master — a change, a conflict for the clerk, or a change held
back (a locked quarter, a department name taken). Nothing is written here."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ..changelog import Change
from ..database import SCHEMA_VERSION
from ..fields import EDITABLE, same_value
from ..store import Store
from .comparison import Comparison
from .model import Alias, Conflict, MergeChange, MergeError, MergePreview
from .names import hold_taken_names
from .reading import change_log, columns_of, is_ours, same_file
from .reconcile import translated
from .renumber import renumber
from .rows import department_users, id_list, order, plain, subtree


def plan_merge(master: Store, copy_path: str | Path) -> MergePreview:
    """Compare a copy with the master; nothing is written."""
    copy_path = Path(copy_path)
    if same_file(copy_path, master.path):
        raise MergeError(copy_path, "a file cannot be merged into itself")
    copy = Store.open(copy_path, readonly=True, migrate=False)
    try:
        if copy.database.user_version() > SCHEMA_VERSION:  # Store.open refuses it already
            raise MergeError(
                copy_path,
                f"the copy uses schema version {copy.database.user_version()}, this app {SCHEMA_VERSION}",
            )
        ours_meta, their_meta = master.meta(), copy.meta()
        if ours_meta.get("file_id") != their_meta.get("file_id"):
            raise MergeError(copy_path, "not a copy of this plan file (different file id)")
        view, aliases, same = translated(master, copy)
    finally:
        copy.close()
    try:
        return compare(master, view, copy_path, aliases, same)
    finally:
        view.close()


@dataclass
class _Since:
    """What each side did since the copies parted (the log entries the other file lacks)."""

    theirs_new: list[Change]  # the copy's entries the master lacks (of our tables only)
    ours_fields: set[tuple[str, str, str]]  # fields the master set (all, for a row it created)
    ours_rows: set[tuple[str, str]]  # rows the master created, changed or removed
    ours_deleted: set[tuple[str, str]]
    theirs_deleted: set[tuple[str, str]]
    # What the copy touched, row by row (fields, or the whole row).
    touched: dict[tuple[str, str], set[str]]


def _since(master: Store, view: Store, reconciled: set[str]) -> _Since:
    ours_log, their_log = change_log(master), change_log(view)
    our_ids = {c.id for c in ours_log}
    their_ids = {c.id for c in their_log}
    columns = columns_of(master)
    theirs_new = [c for c in their_log if c.id not in our_ids and is_ours(c, columns)]
    ours_new = [c for c in ours_log if c.id not in their_ids]

    ours_fields: set[tuple[str, str, str]] = set()
    ours_rows: set[tuple[str, str]] = set()
    ours_deleted: set[tuple[str, str]] = set()
    for change in ours_new:
        ours_rows.add((change.tbl, change.row_id))
        if change.op == "update" and change.field:
            ours_fields.add((change.tbl, change.row_id, change.field))
        elif change.op == "insert":
            ours_fields.update((change.tbl, change.row_id, f) for f in EDITABLE.get(change.tbl, ()))
        elif change.op == "delete":
            ours_deleted.add((change.tbl, change.row_id))

    # The copy's creation of a row that was reconciled with one of ours brings no field of
    # its own.
    touched: dict[tuple[str, str], set[str]] = {}
    theirs_deleted = {(c.tbl, c.row_id) for c in theirs_new if c.op == "delete"}
    for change in theirs_new:
        if change.tbl not in EDITABLE:
            continue
        fields = touched.setdefault((change.tbl, change.row_id), set())
        if change.op == "update" and change.field:
            fields.add(change.field)
        elif not (change.op == "insert" and change.row_id in reconciled):
            fields.update(EDITABLE[change.tbl])
    return _Since(theirs_new, ours_fields, ours_rows, ours_deleted, theirs_deleted, touched)


def compare(
    master: Store, view: Store, copy_path: Path, aliases: list[Alias], same: set[str]
) -> MergePreview:
    """The preview of merging ``view`` (the copy, its ids reconciled) into ``master``."""
    since = _since(master, view, same)
    cmp = Comparison(master, view, copy_path, aliases, same)
    preview = cmp.preview
    for (tbl, row_id), fields in sorted(since.touched.items(), key=lambda kv: order(kv[0][0])):
        _compare_row(cmp, since, tbl, row_id, fields)
    hold_taken_names(cmp)  # a department's new name judged by the names after the merge
    renumber(cmp)
    withheld = cmp.skipped_rows
    preview.new_entries = [c for c in since.theirs_new if (c.tbl, c.row_id) not in withheld]
    if since.theirs_new:
        last = since.theirs_new[-1]
        preview.their_user = f"{last.user}@{last.machine}"
    return preview


def _compare_row(cmp: Comparison, since: _Since, tbl: str, row_id: str, fields: set[str]) -> None:
    theirs = cmp.view.row(tbl, row_id)
    ours = cmp.master.row(tbl, row_id)
    if theirs is None:
        # Only a removal the copy logged removes a row here: a row the copy merely does
        # not hold (left out of a department file, or named by a forged entry) stays.
        if ours is not None and (tbl, row_id) in since.theirs_deleted:
            _removed_there(cmp, tbl, row_id, ours, since.ours_rows, since.ours_fields)
        return
    if ours is None:
        _added_there(cmp, since, tbl, row_id, theirs)
        return
    if (tbl, row_id) in cmp.skipped_rows:
        return
    for name in sorted(fields):
        if name not in EDITABLE[tbl] or name not in ours or same_value(ours[name], theirs[name]):
            continue
        _changed_there(cmp, since, tbl, row_id, name, ours, theirs)


def _added_there(
    cmp: Comparison, since: _Since, tbl: str, row_id: str, theirs: Mapping[str, Any]
) -> None:
    """The copy has a row the master lacks."""
    change = cmp.make("insert", tbl, row_id, None, None, plain(theirs))
    if cmp.is_locked(tbl, theirs):
        cmp.skip(change, ())
        return
    seen = {(tbl, row_id)}
    needs = cmp.needs(tbl, theirs, seen)
    if (tbl, row_id) in since.ours_deleted or needs:
        if tbl == "item":
            needs.extend(cmp.whole(tbl, row_id, seen))
        cmp.preview.conflicts.append(Conflict("deleted_here", _with_needs(change, needs)))
    else:
        cmp.preview.changes.append(change)
        cmp.inserting.add((tbl, row_id))


def _changed_there(
    cmp: Comparison,
    since: _Since,
    tbl: str,
    row_id: str,
    name: str,
    ours: Mapping[str, Any],
    theirs: Mapping[str, Any],
) -> None:
    """The copy holds another value in a field of a row both files have."""
    change = cmp.make("update", tbl, row_id, name, ours[name], theirs[name])
    if cmp.is_locked(tbl, theirs):
        cmp.skip(change, ())
        return
    needs = _field_needs(cmp, tbl, row_id, name, ours, theirs)
    if needs:
        cmp.preview.conflicts.append(Conflict("deleted_here", _with_needs(change, needs)))
    elif (tbl, row_id, name) in since.ours_fields:
        cmp.preview.conflicts.append(Conflict("field", change))
    else:
        cmp.preview.changes.append(change)


_PARENT_FIELDS = {"item": ("chapter_id",), "indicator": ("item_id",)}
_DEPARTMENT_FIELDS = ("lead_department_id", "co_department_ids")


def _field_needs(
    cmp: Comparison,
    tbl: str,
    row_id: str,
    name: str,
    ours: Mapping[str, Any],
    theirs: Mapping[str, Any],
) -> list[MergeChange]:
    """Rows the master lacks that the copy's value of a reference field points at (a parent
    moved to, a department assigned): brought back with the change."""
    if name not in _PARENT_FIELDS.get(tbl, ()) and name not in _DEPARTMENT_FIELDS:
        return []
    needs = cmp.needs(tbl, {**ours, name: theirs[name]}, {(tbl, row_id)})
    if name not in _DEPARTMENT_FIELDS:
        return [n for n in needs if n.tbl != "department"]
    if tbl == "item":
        return [n for n in needs if n.tbl == "department"]
    return needs


def _with_needs(change: MergeChange, needs: list[MergeChange]) -> MergeChange:
    return replace(change, needs=tuple(needs))


def _removed_there(
    cmp: Comparison,
    tbl: str,
    row_id: str,
    ours: Mapping[str, Any],
    ours_rows: set[tuple[str, str]],
    ours_fields: set[tuple[str, str, str]],
) -> None:
    """The copy removed a row the master has."""
    if (tbl, row_id) in cmp.covered:
        return  # removed (or listed) with the row it hangs on
    change = cmp.make("delete", tbl, row_id, None, plain(ours), None)
    below = subtree(cmp.master, tbl, row_id)
    cmp.covered.update(below)
    if (tbl, row_id) in cmp.skipped_rows or cmp.locked_below(cmp.master, below):
        cmp.skip(change, below)  # the master itself refuses to remove a locked quarter's figures
    elif tbl == "department" and _later_users(cmp.master, row_id, ours_fields):
        cmp.preview.conflicts.append(Conflict("department_in_use", change))
    elif any(row in ours_rows for row in below):
        cmp.preview.conflicts.append(Conflict("deleted_there", change))
    else:
        cmp.preview.changes.append(change)


def _later_users(
    master: Store, department_id: str, ours_fields: set[tuple[str, str, str]]
) -> list[str]:
    """Items of the master that were given this department since the copies parted."""
    found = []
    for row in department_users(master, department_id):
        lead = row["lead_department_id"] == department_id and (
            ("item", row["id"], "lead_department_id") in ours_fields
        )
        co = department_id in id_list(row["co_department_ids"]) and (
            ("item", row["id"], "co_department_ids") in ours_fields
        )
        if lead or co:
            found.append(row["id"])
    return found
