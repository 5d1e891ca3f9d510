"""The same thing under two ids: rows of the copy that are rows of the master under another
id (a department both sides typed in, a plan year both sides imported, and what hangs under
it) are found by their natural key or by a recorded ``id_alias``, and the copy is read through
an in-memory image of it with those ids replaced by the master's."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from typing import Any

from ..database import SCHEMA_VERSION, Database
from ..fields import pair_id
from ..store import Store
from ..wording import Namer
from .model import Alias
from .reading import check_copy, columns_of
from .rows import QUARTERS, REFERENCE_FIELDS, REFERENCES, order


def _alias_rows(conn: sqlite3.Connection) -> dict[str, tuple[str, str]]:
    return {
        alias: (tbl, target)
        for alias, tbl, target in conn.execute("SELECT id, tbl, target_id FROM id_alias")
    }


_ALIASED = ("department", "plan", "chapter", "item", "indicator")


def _sound_aliases(master: Store, conn: sqlite3.Connection) -> dict[str, tuple[str, str]]:
    """The copy's aliases a merge may use: of our tables only (the copy's table names are
    never put into SQL unchecked), and never joining two rows that both exist in one file
    (a merge only records an alias for a row it did not keep; one claiming that two live rows
    are the same thing is forged or damaged, and would put one row's edits on the other)."""

    def live(tbl: str, row_id: str) -> tuple[bool, bool]:
        in_copy = conn.execute(f"SELECT 1 FROM {tbl} WHERE id = ?", (row_id,)).fetchone()
        return master.row(tbl, row_id) is not None, in_copy is not None

    found = {}
    for alias, (tbl, target) in _alias_rows(conn).items():
        if tbl not in _ALIASED or not isinstance(target, str) or alias == target:
            continue
        (a_ours, a_theirs), (t_ours, t_theirs) = live(tbl, alias), live(tbl, target)
        if not (a_ours and t_ours) and not (a_theirs and t_theirs):
            found[alias] = (tbl, target)
    return found


def _natural_matches(
    master: Store, conn: sqlite3.Connection, resolved: set[str]
) -> dict[str, tuple[str, str]]:
    """Rows of the copy that are rows of the master under another id: departments by name,
    plans by year, and under a plan both sides imported, its chapters (numeral), items
    (number) and indicators (name, in order)."""
    found: dict[str, tuple[str, str]] = {}

    def unmatched(tbl: str, row_id: str) -> bool:
        return row_id not in resolved and row_id not in found and master.row(tbl, row_id) is None

    ours_departments = {r["name"]: r["id"] for r in master.rows("SELECT id, name FROM department")}
    for row_id, name in conn.execute("SELECT id, name FROM department ORDER BY id"):
        target = ours_departments.get(name)
        if target and target != row_id and unmatched("department", row_id):
            found[row_id] = ("department", target)
    ours_plans = {r["year"]: r["id"] for r in master.rows("SELECT id, year FROM plan")}
    for plan_id, year in conn.execute("SELECT id, year FROM plan ORDER BY id").fetchall():
        target = ours_plans.get(year)
        if not target or target == plan_id or not unmatched("plan", plan_id):
            continue
        found[plan_id] = ("plan", target)
        _match_children(master, conn, "chapter", "plan_id", plan_id, target, ("numeral",), found)
    return found


_CHILD_KEYS = {
    "chapter": ("item", "chapter_id", ("number",)),
    "item": ("indicator", "item_id", ("name",)),
}


def _match_children(
    master: Store,
    conn: sqlite3.Connection,
    tbl: str,
    column: str,
    their_parent: str,
    our_parent: str,
    key: tuple[str, ...],
    found: dict[str, tuple[str, str]],
) -> None:
    cols = ", ".join(key)
    ours: dict[tuple[Any, ...], list[str]] = {}
    for row in master.rows(
        f"SELECT id, {cols} FROM {tbl} WHERE {column} = ? ORDER BY position, id", (our_parent,)
    ):
        ours.setdefault(tuple(row[k] for k in key), []).append(row["id"])
    theirs = conn.execute(
        f"SELECT id, {cols} FROM {tbl} WHERE {column} = ? ORDER BY position, id", (their_parent,)
    ).fetchall()
    for row_id, *values in theirs:
        candidates = ours.get(tuple(values))
        if not candidates or master.row(tbl, row_id) is not None:
            continue
        target = candidates.pop(0)
        found[row_id] = (tbl, target)
        if tbl in _CHILD_KEYS:
            child, child_column, child_key = _CHILD_KEYS[tbl]
            _match_children(master, conn, child, child_column, row_id, target, child_key, found)


def _groups(edges: Mapping[str, tuple[str, str]]) -> dict[str, set[str]]:
    """Ids that are the same thing (an alias edge joins two), each id to its group."""
    groups: dict[str, set[str]] = {}
    for alias, (_tbl, target) in sorted(edges.items()):
        joined = groups.get(alias, {alias}) | groups.get(target, {target})
        for member in joined:
            groups[member] = joined
    return groups


def translated(master: Store, copy: Store) -> tuple[Store, list[Alias], set[str]]:
    """An in-memory image of the copy with its ids for reconciled rows replaced by the
    master's (rows, references, derived quarter ids and log entries alike), and the aliases
    the merge is to record. Aliases are equivalences: in each group of ids that are the same
    thing, the one this file has is kept."""
    conn = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
    copy.database.conn.backup(conn)
    if copy.database.user_version() < SCHEMA_VERSION:  # an older copy: upgraded in memory only
        Database(copy.path, conn, readonly=False)._migrate()
    check_copy(Store(Database(copy.path, conn, readonly=True)), columns_of(master))
    ours_aliases = {
        r["id"]: (r["tbl"], r["target_id"])
        for r in master.rows("SELECT id, tbl, target_id FROM id_alias")
    }
    edges = {**_sound_aliases(master, conn), **ours_aliases}
    tables = {a: t for a, (t, _) in edges.items()} | {g: t for t, g in edges.values()}

    def in_master(row_id: str) -> bool:
        return master.row(tables[row_id], row_id) is not None

    groups = _groups(edges)
    resolved = {m for m, group in groups.items() if any(in_master(g) for g in group)}
    found = _natural_matches(master, conn, resolved)
    edges.update(found)
    tables.update({a: t for a, (t, _) in found.items()} | {g: t for t, g in found.values()})
    groups = _groups(edges)
    mapping: dict[str, str] = {}
    for member, group in groups.items():
        kept = sorted(g for g in group if in_master(g)) or sorted(group)
        if member != kept[0]:
            mapping[member] = kept[0]
    for alias, target in list(mapping.items()):
        if tables[alias] in ("plan", "item", "indicator"):
            for quarter in QUARTERS:
                mapping[pair_id(alias, quarter)] = pair_id(target, quarter)
    if mapping:
        _rewrite_ids(conn, mapping)
    view = Store(Database(copy.path, conn, readonly=True), actor=copy.actor)
    lookup = Namer(lambda t, i: master.row(t, i) or view.row(t, i))
    aliases = []
    for alias in sorted(set(edges) - set(ours_aliases), key=lambda a: (order(edges[a][0]), a)):
        tbl, target = edges[alias]
        thing = lookup.thing(tbl, mapping.get(target, target))
        aliases.append(
            Alias(tbl, alias, target, f"副本中的{thing}与本文件中的是同一项，合并为一条")
        )
    return view, aliases, set(groups)


def _rewrite_ids(conn: sqlite3.Connection, mapping: Mapping[str, str]) -> None:
    def one(value: Any) -> Any:
        return mapping.get(value, value) if isinstance(value, str) else value

    def id_list(text: Any) -> Any:
        if not isinstance(text, str):
            return text
        try:
            ids = json.loads(text)
        except ValueError:
            return text
        return json.dumps(list(dict.fromkeys(one(i) for i in ids)), ensure_ascii=False)

    def logged(field_name: Any, text: Any) -> Any:
        if text is None:
            return None
        value = json.loads(text)
        if field_name is None and isinstance(value, dict):
            value = {
                k: (id_list(v) if k == "co_department_ids" else one(v))
                if k == "id" or k in REFERENCE_FIELDS or k == "co_department_ids"
                else v
                for k, v in value.items()
            }
        elif field_name in REFERENCE_FIELDS:
            value = one(value)
        elif field_name == "co_department_ids":
            value = id_list(value)
        return json.dumps(value, ensure_ascii=False, sort_keys=True)

    conn.create_function("jm", 1, one, deterministic=True)
    conn.create_function("jml", 1, id_list, deterministic=True)
    conn.create_function("jmv", 2, logged, deterministic=True)
    for tbl, columns in REFERENCES.items():
        # Two rows becoming one (the copy had both): keep one.
        conn.execute(
            f"DELETE FROM {tbl} WHERE rowid NOT IN (SELECT min(rowid) FROM {tbl} GROUP BY jm(id))"
        )
        sets = ["id = jm(id)", *(f"{c} = jm({c})" for c in columns)]
        if tbl == "item":
            sets.append("co_department_ids = jml(co_department_ids)")
        conn.execute(f"UPDATE {tbl} SET {', '.join(sets)}")
    conn.execute(
        "UPDATE change_log SET row_id = jm(row_id), old = jmv(field, old), new = jmv(field, new)"
    )
