"""Applying a merge: the clerk's decisions taken, the merge planned again inside the write
transaction (a stale preview writes nothing), then rows created parents first, fields
updated, rows removed children first, items renumbered, and the copy's log entries adopted."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from ..changelog import Change
from ..store import Store
from .model import (
    Conflict,
    MergeChange,
    MergePreview,
    Side,
    StalePreviewError,
    UnresolvedConflictsError,
)
from .planning import plan_merge
from .rows import department_users, id_list, order, plain, subtree


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
    neither, nothing is written and :class:`UnresolvedConflictsError` is raised. The merge is
    planned again inside the write transaction; if that plan differs from ``preview``
    (someone saved meanwhile), nothing is written and :class:`StalePreviewError` is raised.
    Changes to a locked quarter (``preview.skipped``) are never made.
    """
    chosen, kept = _decided(preview, prefer, dict(resolutions or {}))
    if backup and not preview.nothing_to_do:
        from ..backup import take_backup

        take_backup(master.database, "merge")
    with master.write(f"合并副本 {preview.source.name}", "merge") as w:
        fresh = plan_merge(master, preview.source)
        if fresh.fingerprint() != preview.fingerprint():
            raise StalePreviewError(fresh)
        _write(master, w, preview, chosen)
        for conflict in kept:
            _record_kept(master, w, conflict)
        _adopt_entries(master, preview.new_entries)
    return len(chosen)


def _decided(
    preview: MergePreview,
    prefer: Side | None,
    resolutions: Mapping[tuple[str, str, str | None], Side],
) -> tuple[list[MergeChange], list[Conflict]]:
    """The changes to make (the preview's and the conflicts decided for the copy) and the
    conflicts decided for this file; UnresolvedConflictsError if any is undecided."""
    chosen: list[MergeChange] = list(preview.changes)
    kept: list[Conflict] = []
    undecided = 0
    for conflict in preview.conflicts:
        side = resolutions.get(conflict.key, prefer)
        if side is None:
            undecided += 1
        elif side == "theirs":
            chosen.append(conflict.change)
        else:
            kept.append(conflict)
    if undecided:
        raise UnresolvedConflictsError(undecided)
    return chosen, kept


def _write(master: Store, w: Any, preview: MergePreview, chosen: list[MergeChange]) -> None:
    for alias in preview.reconciled:
        if master.row("id_alias", alias.alias) is None:
            w.insert("id_alias", {"id": alias.alias, "tbl": alias.tbl, "target_id": alias.target})
    inserts: list[MergeChange] = []
    for change in chosen:
        inserts.extend(change.needs)
        if change.op == "insert":
            inserts.append(change)
    for change in sorted(inserts, key=lambda c: order(c.tbl)):
        if master.row(change.tbl, change.row_id) is None:
            w.insert(change.tbl, _insertable(master, change))
    renames = [c for c in chosen if _is_rename(c)]
    for change in chosen:
        if change.op == "update" and not _is_rename(change):
            w.update(
                change.tbl,
                change.row_id,
                {change.field: change.theirs},
                {change.field: change.ours},
            )
    deletes = sorted((c for c in chosen if c.op == "delete"), key=lambda c: -order(c.tbl))
    for change in deletes:
        if master.row(change.tbl, change.row_id) is None:
            continue
        if change.tbl == "department":
            _release_department(master, w, change.row_id)
        w.delete(change.tbl, change.row_id)
    if renames:  # together, after removed departments gave up their names (one name each)
        w.update_together(
            "department",
            "name",
            {c.row_id: c.theirs for c in renames},
            {c.row_id: c.ours for c in renames},
        )
    for change in chosen:
        if change.op == "renumber" and _number_shared(master, change.row_id):
            w.update("item", change.row_id, change.theirs)


def _is_rename(change: MergeChange) -> bool:
    return change.op == "update" and change.tbl == "department" and change.field == "name"


def _number_shared(master: Store, item_id: str) -> bool:
    """Whether another item of the plan has this item's number, now that the conflicts are
    decided (a renumber planned for a clash the decisions took away is not made)."""
    return bool(
        master.rows(
            "SELECT 1 FROM item i JOIN chapter c ON c.id = i.chapter_id, item j"
            " JOIN chapter d ON d.id = j.chapter_id"
            " WHERE i.id = ? AND j.id != i.id AND j.number = i.number AND d.plan_id = c.plan_id",
            (item_id,),
        )
    )


def _record_kept(master: Store, w: Any, conflict: Conflict) -> None:
    """A conflict decided for this file's side leaves log entries stating this file's state,
    so that the copy, merging this file back, takes that state instead of keeping its own
    (both logs know both sides' entries by then; without them the files would never agree)."""
    change = conflict.change
    if change.op == "update" and conflict.kind != "field":
        current = master.row(change.tbl, change.row_id)
        if current is not None:
            w.log(
                "update",
                change.tbl,
                change.row_id,
                change.field,
                change.theirs,
                current[change.field],
            )
    if change.op == "delete":  # the copy removed it; this file keeps it
        for tbl, row_id in subtree(master, change.tbl, change.row_id):
            row = master.row(tbl, row_id)
            if row is not None:
                w.log("insert", tbl, row_id, None, None, plain(row))
    elif change.op in ("insert", "update"):  # this file removed it (or what it needs)
        rows = [*change.needs, change] if change.op == "insert" else list(change.needs)
        for need in sorted(rows, key=lambda c: -order(c.tbl)):
            if need.op == "insert" and master.row(need.tbl, need.row_id) is None:
                w.log("delete", need.tbl, need.row_id, None, need.theirs, None)


def _insertable(master: Store, change: MergeChange) -> dict[str, Any]:
    row = dict(change.theirs)
    if change.tbl == "item":  # a department the copy lists but neither file has any more
        ids = id_list(row.get("co_department_ids"))
        kept = [i for i in ids if master.row("department", i) is not None]
        if kept != ids:
            row["co_department_ids"] = json.dumps(kept, ensure_ascii=False)
    return row


def _release_department(master: Store, w: Any, department_id: str) -> None:
    """Before a department goes: items that still name it lose it, each change logged (the
    schema's ON DELETE SET NULL would clear the lead silently and leave co-department ids)."""
    for row in department_users(master, department_id):
        changes: dict[str, Any] = {}
        if row["lead_department_id"] == department_id:
            changes["lead_department_id"] = None
        co = id_list(row["co_department_ids"])
        if department_id in co:
            changes["co_department_ids"] = json.dumps(
                [d for d in co if d != department_id], ensure_ascii=False
            )
        if changes:
            w.update("item", row["id"], changes)


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
