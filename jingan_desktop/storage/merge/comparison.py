"""The state of one comparison of a copy with the master: the preview being filled in, the
master's locked quarters, the rows already listed, and the changes built in the clerks'
words; and what a row of the copy needs to exist in the master (its parent chain, its
departments: the rows brought back with it)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ..fields import CHILDREN
from ..store import Store
from ..wording import Namer, sentence
from .model import Alias, Conflict, MergeChange, MergePreview
from .rows import PARENT, id_list, plain


class Comparison:
    """One copy compared with the master (see the module docstring)."""

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
        parent = PARENT.get(tbl)
        if parent is not None:
            found.extend(self._bring_back(parent[0], row.get(parent[1]), seen))
        if tbl == "item":
            ids = [row.get("lead_department_id")]
            ids.extend(id_list(row.get("co_department_ids")))
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
        found.append(self.make("insert", tbl, row_id, None, None, plain(row)))
        if tbl == "item":
            found.extend(self.whole(tbl, row_id, seen))
        return found

    def whole(self, tbl: str, row_id: str, seen: set[tuple[str, str]]) -> list[MergeChange]:
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
                found.append(self.make("insert", child_tbl, child["id"], None, None, plain(child)))
                found.extend(self.whole(child_tbl, child["id"], seen))
        return found
