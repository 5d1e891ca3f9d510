"""The plan store: plans, quarterly data and departments in one SQLite file, with history.

:class:`Store` is the door to the file; each concern lives in its own module behind it:

=================  =================================================================
``base``           the opened file, :meth:`Store.write` (one transaction per user
                   action) and row reads
``changelog``      :class:`Change` and :class:`Write`: every changed field logged in the
                   same transaction; a logged transaction reverted or replayed
``figures``        actuals, progress texts and item status for a quarter
``structure``      plan import; fields of plans, chapters, items, indicators; adding,
                   removing and reordering them
``reimport``       a plan year imported again, updated in place (``matching``: which
                   stored rows the new chapters, items, indicators are)
``departments``    the department list and an item's lead and co-departments
``locks``          quarter locks and the checks every write of quarterly data makes
``loading``        rows → the plan model
``history``        the change log read back; undo and redo
``fields``         editable fields, ids, value checks; ``errors``: what the store refuses
=================  =================================================================

Edits carry the value the user saw (``expected``); if the file holds something else by the
time the edit is written, someone else changed it meanwhile and :class:`ConflictError` says
so instead of silently overwriting it.

The names callers use are importable from here, wherever they live.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..plan.model import Plan
from .changelog import Change, Write, current_actor
from .database import SCHEMA_VERSION, Database
from .errors import (
    ConflictError,
    InvalidValueError,
    PlanExistsError,
    QuarterLockedError,
    RowMissingError,
)
from .fields import (
    CHILDREN,
    EDITABLE,
    FIELD_LABELS,
    MISSING,
    TABLES,
    finite_number,
    new_id,
    pair_id,
    same_value,
    validate_field,
)
from .figures import Figures
from .history import History
from .loading import Loading, indicator_from_row
from .structure import Structure

__all__ = [
    "CHILDREN",
    "EDITABLE",
    "FIELD_LABELS",
    "MISSING",
    "TABLES",
    "Change",
    "CheckReport",
    "ConflictError",
    "InvalidValueError",
    "PlanExistsError",
    "QuarterLockedError",
    "RowMissingError",
    "Store",
    "Write",
    "current_actor",
    "ensure_default_database",
    "finite_number",
    "indicator_from_row",
    "new_id",
    "pair_id",
    "same_value",
    "validate_field",
]


class Store(Structure, Figures, History, Loading):
    """A plan file, opened. Reads return model objects; writes go through :meth:`write`."""

    # -- opening --

    @classmethod
    def open(cls, path: str | os.PathLike[str], *, readonly: bool = False, **kwargs: Any) -> Store:
        return cls(Database.open(path, readonly=readonly, **kwargs))

    @classmethod
    def create(cls, path: str | os.PathLike[str], plan: Plan | None = None) -> Store:
        """A new file, holding ``plan`` if given; nothing is left behind if that fails."""

        def populate(database: Database) -> None:
            store = cls(database)
            store._init_meta()
            if plan is not None:
                store.import_plan(plan)

        return cls(Database.create(path, populate=populate))

    def _init_meta(self) -> None:
        user, machine = self.actor
        with self.database.transaction():
            for key, value in (
                ("file_id", new_id()),
                ("created_at", datetime.now(UTC).isoformat(timespec="seconds")),
                ("created_by", f"{user}@{machine}"),
            ):
                self.database.execute(
                    "INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)", (key, value)
                )

    # -- checking --

    def check(self) -> CheckReport:
        db = self.database
        counts = {table: db.db.table(table).count for table in (*TABLES, "change_log")}
        sources = {
            row["source"]: row["n"]
            for row in self.rows("SELECT source, count(*) AS n FROM change_log GROUP BY source")
        }
        last = self.rows(
            "SELECT ts, user, machine, summary FROM change_log ORDER BY ts DESC LIMIT 1"
        )
        return CheckReport(
            path=str(self.path),
            schema_version=db.user_version(),
            supported_version=SCHEMA_VERSION,
            problems=db.integrity_problems(),
            counts=counts,
            history_by_source=sources,
            last_change=last[0] if last else None,
            plans=self.plans(),
            readonly=db.readonly,
        )


@dataclass
class CheckReport:
    path: str
    schema_version: int
    supported_version: int
    problems: list[str]
    counts: dict[str, int]
    history_by_source: dict[str, int]
    last_change: dict[str, Any] | None
    plans: list[dict[str, Any]]
    readonly: bool

    @property
    def ok(self) -> bool:
        return not self.problems and self.schema_version == self.supported_version


def ensure_default_database(path: Path | None = None) -> Path:
    """The default plan file in the user's data folder, created from the shipped 2022 plan
    on first start."""
    from ..paths import SEED_PLAN, default_db_path, resource_path

    path = path or default_db_path()
    if not path.exists():
        from ..plan.parser import read_plan_file  # only on first start

        Store.create(path, read_plan_file(resource_path(SEED_PLAN)).plan).close()
    return path
