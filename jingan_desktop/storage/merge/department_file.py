"""A department's file: a copy holding only the items a department leads or helps with, and
only their history, for it to fill in and return (merged like any copy)."""

from __future__ import annotations

import json
from pathlib import Path

from ..database import Database
from ..fields import ROW_TABLES
from ..store import Store
from .model import MergeError
from .rows import id_list


def export_department_file(master: Store, department: str, target: str | Path) -> Path:
    """A copy holding only the items a department leads or helps with, for it to fill in.

    Made through the backup API (checked, renamed into place); the other items are left out
    without logging their removal, so merging the return never removes them from the master.
    The file carries only that department's rows and their history: the other items, the
    departments they name, their change-log entries, their figures in quarter-lock
    snapshots and the plan's full source text are left out, and the file is vacuumed so no
    removed text stays behind in free pages.
    """
    target = Path(target)
    names = {d.name: d.id for d in master.departments()}
    if department not in names:
        raise MergeError(None, f"no department named {department!r}")
    department_id = names[department]
    temp = master.database.backup_to(target.with_name(f".{target.name}.dept"))
    try:
        copy = Database.open(temp)
        try:
            copy.execute("PRAGMA secure_delete = ON")
            with copy.transaction():
                _trim_to_department(copy, department_id)
                copy.execute(
                    "INSERT OR REPLACE INTO meta (key, value) VALUES ('scope', ?)",
                    (f"department:{department}",),
                )
            copy.execute("VACUUM")
            if copy.integrity_problems():
                raise MergeError(temp, "the department file failed its check")
        finally:
            copy.close()
        temp.replace(target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return target


def _trim_to_department(copy: Database, department_id: str) -> None:
    copy.execute(
        "DELETE FROM item WHERE coalesce(lead_department_id, '') != ? AND co_department_ids NOT LIKE ?",
        (department_id, f'%"{department_id}"%'),
    )
    copy.execute("DELETE FROM chapter WHERE id NOT IN (SELECT chapter_id FROM item)")
    named = {department_id}
    for lead, co in copy.execute("SELECT lead_department_id, co_department_ids FROM item"):
        named.update([lead, *id_list(co)] if lead else id_list(co))
    for (row_id,) in copy.execute("SELECT id FROM department").fetchall():
        if row_id not in named:
            copy.execute("DELETE FROM department WHERE id = ?", (row_id,))
    copy.execute("UPDATE plan SET source_text = ''")
    copy.execute(
        "DELETE FROM id_alias WHERE target_id NOT IN (SELECT id FROM department UNION"
        " SELECT id FROM plan UNION SELECT id FROM chapter UNION SELECT id FROM item UNION"
        " SELECT id FROM indicator)"
    )
    kept: set[str] = set()
    for table in ROW_TABLES:
        kept.update(r for (r,) in copy.execute(f"SELECT id FROM {table}"))
    items = {r for (r,) in copy.execute("SELECT id FROM item")}
    indicators = {r for (r,) in copy.execute("SELECT id FROM indicator")}
    for entry_id, tbl, row_id, name, old, new in copy.execute(
        "SELECT id, tbl, row_id, field, old, new FROM change_log"
    ).fetchall():
        if row_id not in kept:  # another department's row, or one long removed
            copy.execute("DELETE FROM change_log WHERE id = ?", (entry_id,))
            continue
        if tbl in ("plan", "quarter_lock"):
            scrubbed = [_scrub(tbl, name, v, items, indicators) for v in (old, new)]
            if scrubbed != [old, new]:
                copy.execute(
                    "UPDATE change_log SET old = ?, new = ? WHERE id = ?", (*scrubbed, entry_id)
                )
    for lock_id, snapshot in copy.execute(
        "SELECT id, snapshot FROM quarter_lock WHERE snapshot IS NOT NULL"
    ).fetchall():
        copy.execute(
            "UPDATE quarter_lock SET snapshot = ? WHERE id = ?",
            (_scoped_snapshot(snapshot, items, indicators), lock_id),
        )


def _scrub(
    tbl: str, name: str | None, text: str | None, items: set[str], indicators: set[str]
) -> str | None:
    """A logged value with what other departments' rows hold taken out."""
    if text is None:
        return None
    value = json.loads(text)
    if tbl == "plan" and name is None and isinstance(value, dict) and "source_text" in value:
        value["source_text"] = ""
    elif tbl == "plan" and name == "source_text":
        value = ""
    elif (
        tbl == "quarter_lock" and name is None and isinstance(value, dict) and value.get("snapshot")
    ):
        value["snapshot"] = _scoped_snapshot(value["snapshot"], items, indicators)
    elif tbl == "quarter_lock" and name == "snapshot" and isinstance(value, str):
        value = _scoped_snapshot(value, items, indicators)
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _scoped_snapshot(text: str, items: set[str], indicators: set[str]) -> str:
    try:
        snapshot = json.loads(text)
    except ValueError:
        return text
    if not isinstance(snapshot, dict):
        return text
    scoped = {k: v for k, v in snapshot.items() if k not in ("plan_score",)}
    for key, keep in (("actuals", indicators), ("progress", items), ("scores", indicators | items)):
        if isinstance(snapshot.get(key), dict):
            scoped[key] = {k: v for k, v in snapshot[key].items() if k in keep}
    return json.dumps(scoped, ensure_ascii=False, sort_keys=True)
