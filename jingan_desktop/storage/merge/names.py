"""One name per department, judged after the merge: a rename the copy made is taken only if
no other department may hold that name once the merge is made. So a copy that swapped two
departments' names (or passed names round) has its renames taken — they are written
together — while a rename onto a name another department keeps here, or may keep until a
conflict about it is decided, is held back as "name_taken" (listed, its log entries not
adopted, so it comes again once the name is free)."""

from __future__ import annotations

from .comparison import Comparison
from .model import MergeChange


def hold_taken_names(cmp: Comparison) -> None:
    """Move the copy's renames onto a name another department may hold after the merge
    from the changes (and conflicts) to the held-back list; again until none is left, as a
    rename held back keeps its department's old name."""
    while True:
        holders = _possible_names(cmp)
        clashing = {
            c.key
            for c in _renames(cmp)
            if any(other != c.row_id for other in holders.get(c.theirs, ()))
        }
        if not clashing:
            return
        held = [c for c in cmp.preview.changes if c.key in clashing]
        held += [k.change for k in cmp.preview.conflicts if k.key in clashing]
        cmp.preview.changes = [c for c in cmp.preview.changes if c.key not in clashing]
        cmp.preview.conflicts = [k for k in cmp.preview.conflicts if k.key not in clashing]
        for change in held:
            cmp.skip(change, (), "name_taken")


def _is_rename(change: MergeChange) -> bool:
    return change.op == "update" and change.tbl == "department" and change.field == "name"


def _renames(cmp: Comparison) -> list[MergeChange]:
    return [
        c
        for c in [*cmp.preview.changes, *(k.change for k in cmp.preview.conflicts)]
        if _is_rename(c)
    ]


def _possible_names(cmp: Comparison) -> dict[str, set[str]]:
    """Each name → the departments that may hold it after the merge: as the master has
    them, with the renames and removals the merge makes; a conflict's rename, removal or
    return may go either way, so both its names count."""
    names = {r["id"]: {r["name"]} for r in cmp.master.rows("SELECT id, name FROM department")}
    for change in cmp.preview.changes:
        if _is_rename(change):
            names[change.row_id] = {change.theirs}
        elif change.tbl == "department" and change.op == "delete":
            names.pop(change.row_id, None)
        for row in (*change.needs, change):
            if row.tbl == "department" and row.op == "insert":
                names.setdefault(row.row_id, set()).add(row.theirs["name"])
    for conflict in cmp.preview.conflicts:
        change = conflict.change
        if _is_rename(change):
            names.setdefault(change.row_id, set()).add(change.theirs)
        for row in (*change.needs, change):
            if row.tbl == "department" and row.op == "insert":
                names.setdefault(row.row_id, set()).add(row.theirs["name"])
    holders: dict[str, set[str]] = {}
    for department_id, held in names.items():
        for name in held:
            holders.setdefault(name, set()).add(department_id)
    return holders
