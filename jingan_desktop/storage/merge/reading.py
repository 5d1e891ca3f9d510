"""Reading the copy: is it another file at all, its change log, and whether its rows keep the
schema's rules (a copy edited outside the app, or damaged, is refused before anything of it is
used)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..changelog import COLUMNS, Change
from ..fields import ROW_TABLES
from ..store import Store
from .model import MergeError


def same_file(a: Path, b: Path) -> bool:
    """The same file under another name too (a symlink, a hard link, a mapped drive)."""
    try:
        return a.resolve() == b.resolve() or a.samefile(b)
    except OSError:
        return False


def change_log(store: Store) -> list[Change]:
    """Every entry, oldest first. Read as tuples, not a dict per row: a big file's log is
    100,000 entries and more, and a merge on the sync's worker that makes (and frees, in one
    go) that many dicts holds the interpreter long enough to stall the window."""
    try:
        return [
            Change.from_tuple(row)
            for row in store._fetch(f"SELECT {COLUMNS} FROM change_log ORDER BY ts, rowid")
        ]
    except (ValueError, TypeError) as exc:
        raise MergeError(
            store.path, "the copy's change log is damaged (a value is not JSON)"
        ) from exc


# The copy's log entries a merge reads: only our tables and their columns (its identifiers are
# never used unchecked), each table's columns with the storage types a value may have there.
_AFFINITY = {"TEXT": ("text",), "INTEGER": ("integer",), "REAL": ("real", "integer")}


def columns_of(store: Store) -> dict[str, dict[str, tuple[str, ...]]]:
    found: dict[str, dict[str, tuple[str, ...]]] = {}
    for tbl in ROW_TABLES:
        found[tbl] = {
            r["name"]: (*_AFFINITY.get(r["type"].upper(), ("text", "integer", "real")), "null")
            for r in store.rows("SELECT name, type FROM pragma_table_info(?)", (tbl,))
        }
    return found


def is_ours(change: Change, columns: Mapping[str, Mapping[str, Any]]) -> bool:
    table = columns.get(change.tbl)
    return bool(table) and (change.field is None or change.field in table)


def check_copy(view: Store, columns: Mapping[str, Mapping[str, tuple[str, ...]]]) -> None:
    """Refuse a copy whose rows break the schema's rules (edited outside the app, damaged):
    its constraints, its column types, department lists that are not lists of ids."""
    problems = view.database.integrity_problems()
    for tbl, table in columns.items():
        for name, allowed in table.items():
            marks = ", ".join("?" for _ in allowed)
            bad = view.rows(
                f"SELECT id FROM [{tbl}] WHERE typeof([{name}]) NOT IN ({marks}) LIMIT 1", allowed
            )
            if bad:
                problems.append(f"{tbl}.{name} holds a value of the wrong type")
    if view.rows(
        "SELECT id FROM item WHERE NOT json_valid(co_department_ids)"
        " OR json_type(co_department_ids) != 'array' OR EXISTS (SELECT 1 FROM"
        " json_each(co_department_ids) WHERE type != 'text') LIMIT 1"
    ):
        problems.append("item.co_department_ids is not a list of department ids")
    if problems:
        raise MergeError(
            view.path, f"the copy is damaged or was edited outside the app ({problems[0]})"
        )
