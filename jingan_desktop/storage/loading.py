"""Rows → the plan model: a whole plan loaded in one read, and the one function per table that
turns a stored row into its model object (the workspace uses the same ones to refresh a single
row after an edit)."""

from __future__ import annotations

import contextlib
import gc
import json
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from datetime import date
from itertools import starmap
from typing import Any

from ..plan.model import (
    Accumulation,
    Actual,
    Chapter,
    Comparator,
    Indicator,
    Item,
    ItemStatus,
    Kind,
    Plan,
    PlanData,
    Progress,
    QuarterLock,
    default_pace,
)
from .departments import Departments
from .errors import RowMissingError

Row = Mapping[str, Any] | sqlite3.Row

_KINDS = {kind.value: kind for kind in Kind}
_COMPARATORS = {comparator.value: comparator for comparator in Comparator}
_ACCUMULATIONS = {a.value: a for a in Accumulation}


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def plan_from_row(row: Row) -> Plan:
    return Plan(
        title=row["title"],
        year=row["year"],
        issuer=row["issuer"],
        issued_on=_day(row["issued_on"]),
        source_text=row["source_text"],
        preamble=row["preamble"],
        id=row["id"],
    )


def chapter_from_row(row: Row) -> Chapter:
    return Chapter(row["numeral"], row["title"], intro=row["intro"], id=row["id"])


# The columns each bulk read fetches, in the order the builders below take them: exactly what
# the model holds, nothing more (a row's version and stamps stay in the file).
ITEM_COLUMNS = (
    "chapter_id", "number", "title", "text", "section", "lead_department_id",
    "co_department_ids", "due_date", "weight", "id",
)  # fmt: skip
INDICATOR_COLUMNS = (
    "item_id", "name", "value", "unit", "comparator", "kind", "text", "span_start", "span_end",
    "stretch_value", "weight", "pace_q1", "pace_q2", "pace_q3", "pace_q4", "tolerance",
    "accumulation", "id",
)  # fmt: skip
ACTUAL_COLUMNS = ("indicator_id", "quarter", "value", "note", "modified_at", "modified_by")
PROGRESS_COLUMNS = ("item_id", "quarter", "status", "text", "modified_at", "modified_by")
_DEFAULT_PACES = {kind: default_pace(kind) for kind in Kind}
_STATUSES: dict[str | None, ItemStatus | None] = {s.value: s for s in ItemStatus}
_STATUSES[None] = _STATUSES[""] = None
_NO_DEPARTMENTS = "[]"


def _values(row: Row, columns: tuple[str, ...]) -> tuple[Any, ...]:
    return tuple(row[name] for name in columns)


def build_item(values: Sequence[Any], names: Mapping[str, str]) -> Item:
    """An item without its indicators from :data:`ITEM_COLUMNS`; ``names``: department names."""
    _chapter, number, title, text, section, lead, co, due, weight, row_id = values
    return Item(
        number,
        title,
        text,
        [],
        section,
        names.get(lead) if lead else None,
        [] if co == _NO_DEPARTMENTS else [names[d] for d in json.loads(co) if d in names],
        date.fromisoformat(due) if due else None,
        weight,
        id=row_id,
    )


def item_from_row(row: Row, names: Mapping[str, str]) -> Item:
    """An item without its indicators; ``names`` maps department ids to names."""
    return build_item(_values(row, ITEM_COLUMNS), names)


def build_indicator(values: Sequence[Any]) -> Indicator:
    """An indicator from :data:`INDICATOR_COLUMNS`."""
    (_item, name, value, unit, comparator, kind, text, start, end, stretch, weight,
     q1, q2, q3, q4, tolerance, accumulation, row_id) = values  # fmt: skip
    kind = _KINDS[kind]
    pace = (q1, q2, q3, q4)
    return Indicator(
        name,
        value,
        unit,
        _COMPARATORS[comparator],
        kind,
        text,
        None if start is None else (start, end),
        None,
        stretch,
        weight,
        None if pace == _DEFAULT_PACES[kind] else pace,
        tolerance,
        _ACCUMULATIONS[accumulation],
        row_id,
    )


def indicator_from_row(n: Row) -> Indicator:
    return build_indicator(_values(n, INDICATOR_COLUMNS))


def actual_from_row(a: Row) -> Actual:
    return Actual(*_values(a, ACTUAL_COLUMNS))


def build_progress(values: Sequence[Any]) -> Progress:
    """A progress record from :data:`PROGRESS_COLUMNS`."""
    item_id, quarter, status, text, modified_at, modified_by = values
    return Progress(item_id, quarter, _STATUSES[status], text, modified_at, modified_by)


def progress_from_row(p: Row) -> Progress:
    return build_progress(_values(p, PROGRESS_COLUMNS))


def lock_from_row(lock: Row) -> QuarterLock:
    return QuarterLock(
        lock["quarter"],
        bool(lock["locked"]),
        lock["locked_at"],
        lock["locked_by"],
        json.loads(lock["snapshot"]) if lock["snapshot"] else None,
    )


@contextlib.contextmanager
def no_cyclic_collection() -> Iterator[None]:
    """Tens of thousands of new objects and no garbage among them (a plan loaded, evaluated,
    its tree built): the cyclic collector would run dozens of times for nothing, each time
    walking the objects made so far (~30 % of a big load). Off meanwhile; afterwards what was
    made goes straight to the oldest generation (``freeze`` then ``unfreeze``, which walks
    nothing), so the young collections that resume do not walk it all again on its way there
    (a cycle among it is still found by the next full collection)."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.freeze()
            gc.unfreeze()
            gc.enable()


# Bulk reads of one plan's rows. The quarterly rows of a file holding one plan (the usual case)
# are read without joining them to their plan: the joins cost more than the rows themselves.
_CHAPTERS = "SELECT id, numeral, title, intro FROM chapter WHERE plan_id = ? ORDER BY position"
_ITEMS = (
    f"SELECT {', '.join(ITEM_COLUMNS)} FROM item"
    " WHERE chapter_id IN (SELECT id FROM chapter WHERE plan_id = ?) ORDER BY chapter_id, position"
)
_INDICATORS = (
    f"SELECT {', '.join(INDICATOR_COLUMNS)} FROM indicator WHERE item_id IN"
    " (SELECT i.id FROM item i JOIN chapter c ON c.id = i.chapter_id WHERE c.plan_id = ?)"
    " ORDER BY item_id, position"
)
_ACTUALS_ALL = f"SELECT {', '.join(ACTUAL_COLUMNS)} FROM actual"
_ACTUALS_OF_PLAN = (
    f"SELECT {', '.join('a.' + c for c in ACTUAL_COLUMNS)} FROM actual a"
    " JOIN indicator n ON n.id = a.indicator_id JOIN item i ON i.id = n.item_id"
    " JOIN chapter c ON c.id = i.chapter_id WHERE c.plan_id = ?"
)
_PROGRESS_ALL = f"SELECT {', '.join(PROGRESS_COLUMNS)} FROM progress"
_PROGRESS_OF_PLAN = (
    f"SELECT {', '.join('p.' + c for c in PROGRESS_COLUMNS)} FROM progress p"
    " JOIN item i ON i.id = p.item_id JOIN chapter c ON c.id = i.chapter_id WHERE c.plan_id = ?"
)


class Loading(Departments):
    """Reading a whole plan into the model."""

    def load(self, plan_id: str | None = None) -> PlanData:
        """The plan with its chapters, items, indicators, quarterly data and locks."""
        with self.database.reading():
            plan_id = plan_id or self.plan_id_for_year()
            if plan_id is None:
                raise RowMissingError(self.path, "the file holds no plan")
            with no_cyclic_collection():
                return self._load(plan_id)

    def _load(self, plan_id: str) -> PlanData:
        row = self.row("plan", plan_id)
        if row is None:
            raise RowMissingError(self.path, f"plan {plan_id} does not exist")
        plan = plan_from_row(row)
        departments = self.departments()
        names = {d.id: d.name for d in departments}
        chapters: dict[str, Chapter] = {}
        for row_id, numeral, title, intro in self._fetch(_CHAPTERS, (plan_id,)):
            chapters[row_id] = chapter = Chapter(numeral, title, [], intro, id=row_id)
            plan.chapters.append(chapter)
        items: dict[str, Item] = {}
        for values in self._fetch(_ITEMS, (plan_id,)):
            items[values[-1]] = item = build_item(values, names)
            chapters[values[0]].items.append(item)
        for values in self._fetch(_INDICATORS, (plan_id,)):
            items[values[0]].indicators.append(build_indicator(values))
        data = PlanData(plan, departments=departments)
        alone = self._fetch("SELECT count(*) FROM plan")[0][0] == 1
        actuals = self._fetch(_ACTUALS_ALL) if alone else self._fetch(_ACTUALS_OF_PLAN, (plan_id,))
        data.actuals = {(a.indicator_id, a.quarter): a for a in starmap(Actual, actuals)}
        progress = (
            self._fetch(_PROGRESS_ALL) if alone else self._fetch(_PROGRESS_OF_PLAN, (plan_id,))
        )
        data.progress = {(p[0], p[1]): build_progress(p) for p in progress}
        for lock in self._scan("SELECT * FROM quarter_lock WHERE plan_id = ?", (plan_id,)):
            data.locks[lock["quarter"]] = lock_from_row(lock)
        return data
