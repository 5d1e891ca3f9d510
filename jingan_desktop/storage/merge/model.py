"""What a merge finds and does, as values: the changes, the conflicts, the rows reconciled,
the preview the clerk decides on, and the errors that stop a merge."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ..changelog import Change
from ..database import StoreError
from ..wording import CONFLICT_KINDS, conflict_sentence

Side = Literal["ours", "theirs"]


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
    # "name_taken" (a department renamed to a name another keeps after the merge),
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
