"""The rows a merge moves: the order tables are written in, what refers to what, and small
helpers every step of the merge reads rows with."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ..fields import CHILDREN, ROW_TABLES
from ..store import Store

PARENT = {
    "chapter": ("plan", "plan_id"),
    "item": ("chapter", "chapter_id"),
    "indicator": ("item", "item_id"),
    "actual": ("indicator", "indicator_id"),
    "progress": ("item", "item_id"),
    "quarter_lock": ("plan", "plan_id"),
}
# Columns holding another row's id (what an id alias must also rewrite).
REFERENCES = {
    "department": (),
    "plan": (),
    "chapter": ("plan_id",),
    "item": ("chapter_id", "lead_department_id"),
    "indicator": ("item_id",),
    "actual": ("indicator_id",),
    "progress": ("item_id",),
    "quarter_lock": ("plan_id",),
}
REFERENCE_FIELDS = frozenset(c for cols in REFERENCES.values() for c in cols)
STAMPS = {"version", "modified_at", "modified_by"}
QUARTERS = (1, 2, 3, 4)


def order(tbl: str) -> int:
    """Where a table comes in creating rows (parents first)."""
    return ROW_TABLES.index(tbl) if tbl in ROW_TABLES else -1


def plain(row: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k not in STAMPS}


def id_list(text: Any) -> list[str]:
    if not isinstance(text, str) or not text:
        return []
    try:
        value = json.loads(text)
    except ValueError:
        return []
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def subtree(store: Store, tbl: str, row_id: str) -> list[tuple[str, str]]:
    """A row and everything that hangs off it (what removing it would remove)."""
    found = [(tbl, row_id)]
    for child_table, column in CHILDREN.get(tbl, ()):
        for child in store.rows(f"SELECT id FROM {child_table} WHERE {column} = ?", (row_id,)):
            found.extend(subtree(store, child_table, child["id"]))
    return found


def department_users(master: Store, department_id: str) -> list[dict[str, Any]]:
    return master.rows(
        "SELECT id, lead_department_id, co_department_ids FROM item"
        " WHERE lead_department_id = ? OR co_department_ids LIKE ? ORDER BY id",
        (department_id, f'%"{department_id}"%'),
    )
