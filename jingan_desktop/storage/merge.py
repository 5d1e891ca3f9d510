"""Merging a copy that diverged offline (a USB stick, a department's return) into the master.

No shared base file is needed: every change in either file is in its ``change_log`` with a
UUID that copies keep, so

* the copy's new changes are its log entries the master does not have, and the master's
  own changes since the copies parted are its entries the copy does not have;
* a field changed only in the copy is taken; a field both logs touched since they parted,
  now holding different values, is a **conflict** for the user (or ``prefer``) to decide;
* rows match by UUID: a row created in the copy is created, a row removed there is removed
  (unless the master changed it, or something under it, meanwhile: a conflict again);
* rows that are the same thing under two ids (a department both sides typed in, a plan year
  both sides imported) are reconciled by their natural key: the master's row is kept and the
  copy's id is recorded in ``id_alias``, so the copy's changes land on the kept row;
* taking the copy's side of a row the master removed brings back what it hangs on (the item,
  its chapter and plan, its departments), never a dangling reference;
* a locked quarter's figures are never changed, whichever side is preferred: such changes
  are listed as skipped and their log entries are not adopted, so they come again (and are
  taken) once the quarter is unlocked;
* the copy's log entries are added to the master's log, so merging the same copy again finds
  nothing new and changes nothing.

:func:`plan_merge` only reads; :func:`apply_merge` writes in one transaction, after a backup
of the master, and first computes the plan again inside that transaction: if the master (or
the copy) changed since the preview, nothing is written and :class:`StalePreviewError`
carries the new preview to show. Both are plain library functions (no UI), deterministic.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from .changelog import Change
from .database import SCHEMA_VERSION, Database, StoreError
from .fields import CHILDREN, EDITABLE, pair_id, same_value
from .store import Store
from .wording import CONFLICT_KINDS, Namer, conflict_sentence, sentence

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
# Columns holding another row's id (what an id alias must also rewrite).
_REFERENCES = {
    "department": (),
    "plan": (),
    "chapter": ("plan_id",),
    "item": ("chapter_id", "lead_department_id"),
    "indicator": ("item_id",),
    "actual": ("indicator_id",),
    "progress": ("item_id",),
    "quarter_lock": ("plan_id",),
}
_REFERENCE_FIELDS = frozenset(c for cols in _REFERENCES.values() for c in cols)
_STAMPS = {"version", "modified_at", "modified_by"}
_QUARTERS = (1, 2, 3, 4)


class MergeError(StoreError):
    """The copy cannot be merged into this file (not a copy of it, another schema …)."""


class UnresolvedConflictsError(StoreError):
    """Conflicts were found and neither a resolution nor a preferred side was given."""

    def __init__(self, count: int) -> None:
        super().__init__(None, f"{count} conflicting change(s) need a decision")
        self.count = count


class StalePreviewError(StoreError):
    """The master (or the copy) changed after the preview was made; nothing was written.
    ``preview`` is the merge as it stands now, to be shown (and decided) again."""

    def __init__(self, preview: MergePreview) -> None:
        super().__init__(None, "the file changed since the merge preview; review the merge again")
        self.preview = preview


@dataclass(frozen=True)
class MergeChange:
    """A change the merge makes in the master."""

    op: str  # "insert", "update", "delete", "renumber"
    tbl: str
    row_id: str
    field: str | None
    ours: Any  # the master's value now (a whole row for delete)
    theirs: Any  # the copy's value (a whole row for insert; {number, position} for renumber)
    label: str  # what it touches, in words: 事项 12 的牵头单位
    description: str = ""  # the change in words: 事项 12 的牵头单位：区商务委 → 区数据局
    ours_text: str = ""
    theirs_text: str = ""
    # Rows brought back first when this change is taken (its item, chapter, plan, departments).
    needs: tuple[MergeChange, ...] = ()

    @property
    def key(self) -> tuple[str, str, str | None]:
        return (self.tbl, self.row_id, self.field)


@dataclass(frozen=True)
class Conflict:
    """Both sides changed the same thing since they parted (or, kind "locked", a change the
    merge does not make because the quarter is locked here)."""

    kind: str  # "field", "deleted_there" (copy removed a row the master changed),
    # "name_taken" (a department renamed to a name another department has here),
    # "deleted_here" (master removed a row the copy changed or needs), "department_in_use"
    # (copy removed a department the master assigned since), "locked" (a frozen quarter)
    change: MergeChange  # what taking the copy's side would do

    @property
    def key(self) -> tuple[str, str, str | None]:
        return self.change.key

    @property
    def description(self) -> str:
        return CONFLICT_KINDS[self.kind]

    @property
    def sentence(self) -> str:
        c = self.change
        return conflict_sentence(self.kind, c.label, c.ours_text, c.theirs_text)


@dataclass(frozen=True)
class Alias:
    """The copy's row ``alias`` is the master's row ``target`` (same natural key)."""

    tbl: str
    alias: str
    target: str
    description: str


@dataclass
class MergePreview:
    source: Path
    changes: list[MergeChange] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    skipped: list[Conflict] = field(default_factory=list)  # locked quarters: not merged
    reconciled: list[Alias] = field(default_factory=list)
    new_entries: list[Change] = field(default_factory=list)  # the copy's log entries to adopt
    their_user: str = ""

    @property
    def nothing_to_do(self) -> bool:
        return not (self.changes or self.conflicts or self.new_entries or self.reconciled)

    def fingerprint(self) -> str:
        """Everything the merge would do; equal fingerprints, equal merges."""

        def change(c: MergeChange) -> list[Any]:
            return [c.op, c.tbl, c.row_id, c.field, c.ours, c.theirs, [change(n) for n in c.needs]]

        return json.dumps(
            {
                "changes": [change(c) for c in self.changes],
                "conflicts": [[k.kind, change(k.change)] for k in self.conflicts],
                "skipped": [[k.kind, change(k.change)] for k in self.skipped],
                "reconciled": [[a.tbl, a.alias, a.target] for a in self.reconciled],
                "entries": sorted(c.id for c in self.new_entries),
            },
            sort_keys=True,
            default=str,
            ensure_ascii=False,
        )


def plan_merge(master: Store, copy_path: str | Path) -> MergePreview:
    """Compare a copy with the master; nothing is written."""
    copy_path = Path(copy_path)
    if _same_file(copy_path, master.path):
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
        view, aliases, same = _translated(master, copy)
    finally:
        copy.close()
    try:
        return _compare(master, view, copy_path, aliases, same)
    finally:
        view.close()


def _same_file(a: Path, b: Path) -> bool:
    """The same file under another name too (a symlink, a hard link, a mapped drive)."""
    try:
        return a.resolve() == b.resolve() or a.samefile(b)
    except OSError:
        return False


def _log(store: Store) -> list[Change]:
    try:
        return [
            Change.from_row(row)
            for row in store.rows("SELECT * FROM change_log ORDER BY ts, rowid")
        ]
    except (ValueError, TypeError) as exc:
        raise MergeError(
            store.path, "the copy's change log is damaged (a value is not JSON)"
        ) from exc


# The copy's log entries a merge reads: only our tables and their columns (its identifiers are
# never used unchecked), each table's columns with the storage types a value may have there.
_AFFINITY = {"TEXT": ("text",), "INTEGER": ("integer",), "REAL": ("real", "integer")}


def _columns(store: Store) -> dict[str, dict[str, tuple[str, ...]]]:
    found: dict[str, dict[str, tuple[str, ...]]] = {}
    for tbl in (*TABLE_ORDER, "id_alias"):
        found[tbl] = {
            r["name"]: (*_AFFINITY.get(r["type"].upper(), ("text", "integer", "real")), "null")
            for r in store.rows("SELECT name, type FROM pragma_table_info(?)", (tbl,))
        }
    return found


def _ours(change: Change, columns: Mapping[str, Mapping[str, Any]]) -> bool:
    table = columns.get(change.tbl)
    return bool(table) and (change.field is None or change.field in table)


def _check_copy(view: Store, columns: Mapping[str, Mapping[str, tuple[str, ...]]]) -> None:
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


# --- the same thing under two ids -------------------------------------------------------------


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


def _translated(master: Store, copy: Store) -> tuple[Store, list[Alias], set[str]]:
    """An in-memory image of the copy with its ids for reconciled rows replaced by the
    master's (rows, references, derived quarter ids and log entries alike), and the aliases
    the merge is to record. Aliases are equivalences: in each group of ids that are the same
    thing, the one this file has is kept."""
    conn = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
    copy.database.conn.backup(conn)
    if copy.database.user_version() < SCHEMA_VERSION:  # an older copy: upgraded in memory only
        Database(copy.path, conn, readonly=False)._migrate()
    _check_copy(Store(Database(copy.path, conn, readonly=True)), _columns(master))
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
            for quarter in _QUARTERS:
                mapping[pair_id(alias, quarter)] = pair_id(target, quarter)
    if mapping:
        _rewrite_ids(conn, mapping)
    view = Store(Database(copy.path, conn, readonly=True), actor=copy.actor)
    lookup = Namer(lambda t, i: master.row(t, i) or view.row(t, i))
    aliases = []
    for alias in sorted(set(edges) - set(ours_aliases), key=lambda a: (_order(edges[a][0]), a)):
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
                if k == "id" or k in _REFERENCE_FIELDS or k == "co_department_ids"
                else v
                for k, v in value.items()
            }
        elif field_name in _REFERENCE_FIELDS:
            value = one(value)
        elif field_name == "co_department_ids":
            value = id_list(value)
        return json.dumps(value, ensure_ascii=False, sort_keys=True)

    conn.create_function("jm", 1, one, deterministic=True)
    conn.create_function("jml", 1, id_list, deterministic=True)
    conn.create_function("jmv", 2, logged, deterministic=True)
    for tbl, columns in _REFERENCES.items():
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


def _order(tbl: str) -> int:
    return TABLE_ORDER.index(tbl) if tbl in TABLE_ORDER else -1


# --- comparing ---------------------------------------------------------------------------------


class _Comparison:
    def __init__(
        self, master: Store, view: Store, source: Path, aliases: list[Alias], same: set[str]
    ) -> None:
        self.master = master
        self.view = view
        self.namer = Namer(lambda t, i: master.row(t, i) or view.row(t, i))
        self.preview = MergePreview(source, reconciled=aliases)
        self.locked = {
            (r["plan_id"], r["quarter"])
            for r in master.rows("SELECT plan_id, quarter FROM quarter_lock WHERE locked = 1")
        }
        self.inserting: set[tuple[str, str]] = set()
        self.skipped_rows: set[tuple[str, str]] = set()
        self.covered: set[tuple[str, str]] = set()  # rows under a removal already listed
        self.reconciled = same  # ids of rows that are the same thing as another id

    # -- building changes --

    def make(
        self,
        op: str,
        tbl: str,
        row_id: str,
        field_name: str | None,
        ours: Any,
        theirs: Any,
        needs: tuple[MergeChange, ...] = (),
    ) -> MergeChange:
        namer = self.namer
        label = namer.label(tbl, row_id, field_name)
        if op == "update":
            ours_text = namer.value(tbl, field_name, ours)
            theirs_text = namer.value(tbl, field_name, theirs)
        elif op == "insert":
            ours_text, theirs_text = "（无）", "（新增）"
        elif op == "delete":
            ours_text, theirs_text = "（现有）", "（已删除）"
        else:
            ours_text = theirs_text = ""
        return MergeChange(
            op,
            tbl,
            row_id,
            field_name,
            ours,
            theirs,
            label,
            sentence(op, label, ours_text, theirs_text),
            ours_text,
            theirs_text,
            needs,
        )

    def skip(
        self, change: MergeChange, rows: Iterable[tuple[str, str]], kind: str = "locked"
    ) -> None:
        self.preview.skipped.append(Conflict(kind, change))
        self.skipped_rows.update(rows)
        self.skipped_rows.add((change.tbl, change.row_id))

    # -- locks --

    def _plan_of(self, owner: str, owner_id: str) -> str | None:
        return self.master.plan_of(owner, owner_id) or self.view.plan_of(owner, owner_id)

    def is_locked(self, tbl: str, row: Mapping[str, Any]) -> bool:
        if tbl not in ("actual", "progress") or not self.locked:
            return False
        owner = "indicator" if tbl == "actual" else "item"
        return (self._plan_of(owner, row[f"{owner}_id"]), row["quarter"]) in self.locked

    def locked_below(self, store: Store, rows: Iterable[tuple[str, str]]) -> bool:
        for tbl, row_id in rows:
            if tbl in ("actual", "progress"):
                row = store.row(tbl, row_id)
                if row is not None and self.is_locked(tbl, row):
                    return True
        return False

    # -- what a row needs to exist here --

    def needs(
        self, tbl: str, row: Mapping[str, Any], seen: set[tuple[str, str]]
    ) -> list[MergeChange]:
        """Inserts (from the copy) of the rows ``row`` refers to that the master lacks: its
        parent chain, and for an item its departments; an item brought back comes whole."""
        found: list[MergeChange] = []
        parent = _PARENT.get(tbl)
        if parent is not None:
            found.extend(self._bring_back(parent[0], row.get(parent[1]), seen))
        if tbl == "item":
            ids = [row.get("lead_department_id")]
            ids.extend(_id_list(row.get("co_department_ids")))
            for department_id in ids:
                found.extend(self._bring_back("department", department_id, seen))
        return found

    def _bring_back(self, tbl: str, row_id: Any, seen: set[tuple[str, str]]) -> list[MergeChange]:
        if not isinstance(row_id, str) or (tbl, row_id) in seen or (tbl, row_id) in self.inserting:
            return []
        if self.master.row(tbl, row_id) is not None:
            return []
        row = self.view.row(tbl, row_id)
        if row is None:
            return []
        seen.add((tbl, row_id))
        found = self.needs(tbl, row, seen)
        found.append(self.make("insert", tbl, row_id, None, None, _plain(row)))
        if tbl == "item":
            found.extend(self._whole(tbl, row_id, seen))
        return found

    def _whole(self, tbl: str, row_id: str, seen: set[tuple[str, str]]) -> list[MergeChange]:
        """The copy's rows under a row being brought back (figures of a locked quarter left out)."""
        found: list[MergeChange] = []
        for child_tbl, column in CHILDREN.get(tbl, ()):
            for child in self.view.rows(
                f"SELECT * FROM {child_tbl} WHERE {column} = ? ORDER BY id", (row_id,)
            ):
                key = (child_tbl, child["id"])
                if key in seen or self.master.row(*key) is not None:
                    continue
                if self.is_locked(child_tbl, child):
                    continue
                seen.add(key)
                found.append(self.make("insert", child_tbl, child["id"], None, None, _plain(child)))
                found.extend(self._whole(child_tbl, child["id"], seen))
        return found


def _id_list(text: Any) -> list[str]:
    if not isinstance(text, str) or not text:
        return []
    try:
        value = json.loads(text)
    except ValueError:
        return []
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _compare(
    master: Store, view: Store, copy_path: Path, aliases: list[Alias], same: set[str]
) -> MergePreview:
    ours_log, their_log = _log(master), _log(view)
    our_ids = {c.id for c in ours_log}
    their_ids = {c.id for c in their_log}
    columns = _columns(master)
    theirs_new = [c for c in their_log if c.id not in our_ids and _ours(c, columns)]
    ours_new = [c for c in ours_log if c.id not in their_ids]
    cmp = _Comparison(master, view, copy_path, aliases, same)
    preview = cmp.preview

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

    # What the copy touched since parting, row by row (fields, or the whole row). The copy's
    # creation of a row that was reconciled with one of ours brings no field of its own.
    touched: dict[tuple[str, str], set[str]] = {}
    theirs_deleted = {(c.tbl, c.row_id) for c in theirs_new if c.op == "delete"}
    for change in theirs_new:
        if change.tbl not in EDITABLE:
            continue
        fields = touched.setdefault((change.tbl, change.row_id), set())
        if change.op == "update" and change.field:
            fields.add(change.field)
        elif not (change.op == "insert" and change.row_id in cmp.reconciled):
            fields.update(EDITABLE[change.tbl])

    for (tbl, row_id), fields in sorted(touched.items(), key=lambda kv: _order(kv[0][0])):
        theirs = view.row(tbl, row_id)
        ours = master.row(tbl, row_id)
        if theirs is None:
            # Only a removal the copy logged removes a row here: a row the copy merely does
            # not hold (left out of a department file, or named by a forged entry) stays.
            if ours is not None and (tbl, row_id) in theirs_deleted:
                _removed_there(cmp, tbl, row_id, ours, ours_rows, ours_fields)
            continue
        if ours is None:
            change = cmp.make("insert", tbl, row_id, None, None, _plain(theirs))
            if cmp.is_locked(tbl, theirs):
                cmp.skip(change, ())
                continue
            seen = {(tbl, row_id)}
            needs = cmp.needs(tbl, theirs, seen)
            if (tbl, row_id) in ours_deleted or needs:
                if tbl == "item":
                    needs.extend(cmp._whole(tbl, row_id, seen))
                preview.conflicts.append(Conflict("deleted_here", _with_needs(change, needs)))
            else:
                preview.changes.append(change)
                cmp.inserting.add((tbl, row_id))
            continue
        if (tbl, row_id) in cmp.skipped_rows:
            continue
        for name in sorted(fields):
            if (
                name not in EDITABLE[tbl]
                or name not in ours
                or same_value(ours[name], theirs[name])
            ):
                continue
            change = cmp.make("update", tbl, row_id, name, ours[name], theirs[name])
            if cmp.is_locked(tbl, theirs):
                cmp.skip(change, ())
                continue
            if tbl == "department" and name == "name" and _name_taken(master, row_id, theirs[name]):
                cmp.skip(change, (), "name_taken")  # would break the one-name rule: held back
                continue
            needs = []
            if name in _PARENT_FIELDS.get(tbl, ()) or name in (
                "lead_department_id",
                "co_department_ids",
            ):
                needs = cmp.needs(tbl, {**ours, name: theirs[name]}, {(tbl, row_id)})
                if name not in ("lead_department_id", "co_department_ids"):
                    needs = [n for n in needs if n.tbl != "department"]
                elif tbl == "item":
                    needs = [n for n in needs if n.tbl == "department"]
            if needs:
                preview.conflicts.append(Conflict("deleted_here", _with_needs(change, needs)))
            elif (tbl, row_id, name) in ours_fields:
                preview.conflicts.append(Conflict("field", change))
            else:
                preview.changes.append(change)
    _renumber(cmp)
    withheld = cmp.skipped_rows
    preview.new_entries = [c for c in theirs_new if (c.tbl, c.row_id) not in withheld]
    if theirs_new:
        preview.their_user = f"{theirs_new[-1].user}@{theirs_new[-1].machine}"
    return preview


_PARENT_FIELDS = {"item": ("chapter_id",), "indicator": ("item_id",)}


def _name_taken(master: Store, department_id: str, name: str) -> bool:
    return bool(
        master.rows("SELECT 1 FROM department WHERE name = ? AND id != ?", (name, department_id))
    )


def _with_needs(change: MergeChange, needs: list[MergeChange]) -> MergeChange:
    return MergeChange(
        change.op,
        change.tbl,
        change.row_id,
        change.field,
        change.ours,
        change.theirs,
        change.label,
        change.description,
        change.ours_text,
        change.theirs_text,
        tuple(needs),
    )


def _removed_there(
    cmp: _Comparison,
    tbl: str,
    row_id: str,
    ours: Mapping[str, Any],
    ours_rows: set[tuple[str, str]],
    ours_fields: set[tuple[str, str, str]],
) -> None:
    """The copy removed a row the master has."""
    if (tbl, row_id) in cmp.covered:
        return  # removed (or listed) with the row it hangs on
    change = cmp.make("delete", tbl, row_id, None, _plain(ours), None)
    below = _subtree(cmp.master, tbl, row_id)
    cmp.covered.update(below)
    if (tbl, row_id) in cmp.skipped_rows or cmp.locked_below(cmp.master, below):
        cmp.skip(change, below)  # the master itself refuses to remove a locked quarter's figures
    elif tbl == "department" and _later_users(cmp.master, row_id, ours_fields):
        cmp.preview.conflicts.append(Conflict("department_in_use", change))
    elif any(row in ours_rows for row in below):
        cmp.preview.conflicts.append(Conflict("deleted_there", change))
    else:
        cmp.preview.changes.append(change)


def _users(master: Store, department_id: str) -> list[dict[str, Any]]:
    return master.rows(
        "SELECT id, lead_department_id, co_department_ids FROM item"
        " WHERE lead_department_id = ? OR co_department_ids LIKE ? ORDER BY id",
        (department_id, f'%"{department_id}"%'),
    )


def _later_users(
    master: Store, department_id: str, ours_fields: set[tuple[str, str, str]]
) -> list[str]:
    """Items of the master that were given this department since the copies parted."""
    found = []
    for row in _users(master, department_id):
        lead = row["lead_department_id"] == department_id and (
            ("item", row["id"], "lead_department_id") in ours_fields
        )
        co = department_id in _id_list(row["co_department_ids"]) and (
            ("item", row["id"], "co_department_ids") in ours_fields
        )
        if lead or co:
            found.append(row["id"])
    return found


def _subtree(store: Store, tbl: str, row_id: str) -> list[tuple[str, str]]:
    """A row and everything that hangs off it (what removing it would remove)."""
    found = [(tbl, row_id)]
    for child_table, column in CHILDREN.get(tbl, ()):
        for child in store.rows(f"SELECT id FROM {child_table} WHERE {column} = ?", (row_id,)):
            found.extend(_subtree(store, child_table, child["id"]))
    return found


def _renumber(cmp: _Comparison) -> None:
    """Items both sides added (say at the end of a chapter) must not share a number: the
    copy's new item takes the next free number of its plan and goes after the chapter's items."""
    master, view = cmp.master, cmp.view
    plan_of: dict[str, str] = {}
    number_of: dict[str, int] = {}
    positions: dict[str, int] = {}
    for row in master.rows(
        "SELECT c.plan_id, i.id, i.chapter_id, i.number, i.position FROM item i"
        " JOIN chapter c ON c.id = i.chapter_id"
    ):
        plan_of[row["id"]] = row["plan_id"]
        number_of[row["id"]] = row["number"]
        positions[row["chapter_id"]] = max(positions.get(row["chapter_id"], -1), row["position"])
    for change in cmp.preview.changes:  # the numbers as they will be after this merge
        if change.tbl == "item" and change.op == "update" and change.field == "number":
            number_of[change.row_id] = change.theirs
        elif change.tbl == "item" and change.op == "delete":
            number_of.pop(change.row_id, None)
    numbers: dict[str, set[int]] = {}
    for item_id, number in number_of.items():
        numbers.setdefault(plan_of[item_id], set()).add(number)
    for conflict in cmp.preview.conflicts:  # a number the copy changed: either may stand
        c = conflict.change
        if c.tbl == "item" and c.op == "update" and c.field == "number" and c.row_id in plan_of:
            numbers.setdefault(plan_of[c.row_id], set()).add(c.theirs)
    inserts = [c for c in cmp.preview.changes if c.op == "insert" and c.tbl == "item"]
    for change in sorted(
        inserts, key=lambda c: (c.theirs["number"], c.theirs["position"], c.row_id)
    ):
        item = change.theirs
        chapter = master.row("chapter", item["chapter_id"]) or view.row(
            "chapter", item["chapter_id"]
        )
        if chapter is None:
            continue
        taken = numbers.setdefault(chapter["plan_id"], set())
        if item["number"] in taken:
            number = max(taken) + 1
            position = max(positions.get(item["chapter_id"], -1), item["position"] - 1) + 1
            positions[item["chapter_id"]] = position
            label = cmp.namer.thing("item", change.row_id)
            renumber = MergeChange(
                "renumber",
                "item",
                change.row_id,
                "number",
                item["number"],
                {"number": number, "position": position},
                f"{label} 的编号",
                f"双方都新增了事项 {item['number']}：副本新增的{label}改为事项 {number}，排在本章最后",
                str(item["number"]),
                str(number),
            )
            cmp.preview.changes.append(renumber)
            taken.add(number)
        else:
            taken.add(item["number"])
            positions[item["chapter_id"]] = max(
                positions.get(item["chapter_id"], -1), item["position"]
            )


def _plain(row: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k not in _STAMPS}


# --- writing -----------------------------------------------------------------------------------


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
    resolutions = dict(resolutions or {})
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
    if backup and not preview.nothing_to_do:
        from .backup import take_backup

        take_backup(master.database, "merge")
    with master.write(f"合并副本 {preview.source.name}", "merge") as w:
        fresh = plan_merge(master, preview.source)
        if fresh.fingerprint() != preview.fingerprint():
            raise StalePreviewError(fresh)
        for alias in preview.reconciled:
            if master.row("id_alias", alias.alias) is None:
                w.insert(
                    "id_alias", {"id": alias.alias, "tbl": alias.tbl, "target_id": alias.target}
                )
        inserts: list[MergeChange] = []
        for change in chosen:
            inserts.extend(change.needs)
            if change.op == "insert":
                inserts.append(change)
        for change in sorted(inserts, key=lambda c: _order(c.tbl)):
            if master.row(change.tbl, change.row_id) is None:
                w.insert(change.tbl, _insertable(master, change))
        for change in chosen:
            if change.op == "update":
                w.update(
                    change.tbl,
                    change.row_id,
                    {change.field: change.theirs},
                    {change.field: change.ours},
                )
        deletes = sorted((c for c in chosen if c.op == "delete"), key=lambda c: -_order(c.tbl))
        for change in deletes:
            if master.row(change.tbl, change.row_id) is None:
                continue
            if change.tbl == "department":
                _release_department(master, w, change.row_id)
            w.delete(change.tbl, change.row_id)
        for change in chosen:
            if change.op == "renumber" and _number_shared(master, change.row_id):
                w.update("item", change.row_id, change.theirs)
        for conflict in kept:
            _record_kept(master, w, conflict)
        _adopt_entries(master, preview.new_entries)
    return len(chosen)


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
        for tbl, row_id in _subtree(master, change.tbl, change.row_id):
            row = master.row(tbl, row_id)
            if row is not None:
                w.log("insert", tbl, row_id, None, None, _plain(row))
    elif change.op in ("insert", "update"):  # this file removed it (or what it needs)
        rows = [*change.needs, change] if change.op == "insert" else list(change.needs)
        for need in sorted(rows, key=lambda c: -_order(c.tbl)):
            if need.op == "insert" and master.row(need.tbl, need.row_id) is None:
                w.log("delete", need.tbl, need.row_id, None, need.theirs, None)


def _insertable(master: Store, change: MergeChange) -> dict[str, Any]:
    row = dict(change.theirs)
    if change.tbl == "item":  # a department the copy lists but neither file has any more
        ids = _id_list(row.get("co_department_ids"))
        kept = [i for i in ids if master.row("department", i) is not None]
        if kept != ids:
            row["co_department_ids"] = json.dumps(kept, ensure_ascii=False)
    return row


def _release_department(master: Store, w: Any, department_id: str) -> None:
    """Before a department goes: items that still name it lose it, each change logged (the
    schema's ON DELETE SET NULL would clear the lead silently and leave co-department ids)."""
    for row in _users(master, department_id):
        changes: dict[str, Any] = {}
        if row["lead_department_id"] == department_id:
            changes["lead_department_id"] = None
        co = _id_list(row["co_department_ids"])
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


def export_department_file(master: Store, department: str, target: str | Path) -> Path:
    """A copy holding only the items a department leads or helps with, for it to fill in.

    Made through the backup API (checked, renamed into place); the other items are left out
    without logging their removal, so merging the return never removes them from the master.
    The file carries only that department's rows and their history: the other items, the
    departments they name, their change-log entries, their figures in quarter-lock
    snapshots and the plan's full source text are left out, and the file is vacuumed so no
    removed text stays behind in free pages.
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
        named.update([lead, *_id_list(co)] if lead else _id_list(co))
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
    for table in (*TABLE_ORDER, "id_alias"):
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
