"""Rows → the plan model: a whole plan loaded in one read, and the one function per table that
turns a stored row into its model object (the workspace uses the same ones to refresh a single
row after an edit)."""

from __future__ import annotations

import gc
import json
import sqlite3
from collections.abc import Mapping
from datetime import date
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


def item_from_row(row: Row, names: Mapping[str, str]) -> Item:
    """An item without its indicators; ``names`` maps department ids to names."""
    return Item(
        number=row["number"],
        title=row["title"],
        text=row["text"],
        section=row["section"],
        lead_department=names.get(row["lead_department_id"]),
        co_departments=[names[d] for d in json.loads(row["co_department_ids"]) if d in names],
        due_date=_day(row["due_date"]),
        weight=row["weight"],
        id=row["id"],
    )


def indicator_from_row(n: Row) -> Indicator:
    kind = _KINDS[n["kind"]]
    pace = (n["pace_q1"], n["pace_q2"], n["pace_q3"], n["pace_q4"])
    return Indicator(
        name=n["name"],
        value=n["value"],
        unit=n["unit"],
        comparator=_COMPARATORS[n["comparator"]],
        kind=kind,
        text=n["text"],
        span=(n["span_start"], n["span_end"]) if n["span_start"] is not None else None,
        stretch_value=n["stretch_value"],
        weight=n["weight"],
        pace=None if pace == default_pace(kind) else pace,
        tolerance=n["tolerance"],
        accumulation=_ACCUMULATIONS[n["accumulation"]],
        id=n["id"],
    )


def actual_from_row(a: Row) -> Actual:
    return Actual(
        a["indicator_id"], a["quarter"], a["value"], a["note"], a["modified_at"], a["modified_by"]
    )


def progress_from_row(p: Row) -> Progress:
    return Progress(
        p["item_id"],
        p["quarter"],
        ItemStatus(p["status"]) if p["status"] else None,
        p["text"],
        p["modified_at"],
        p["modified_by"],
    )


def lock_from_row(lock: Row) -> QuarterLock:
    return QuarterLock(
        lock["quarter"],
        bool(lock["locked"]),
        lock["locked_at"],
        lock["locked_by"],
        json.loads(lock["snapshot"]) if lock["snapshot"] else None,
    )


class Loading(Departments):
    """Reading a whole plan into the model."""

    def load(self, plan_id: str | None = None) -> PlanData:
        """The plan with its chapters, items, indicators, quarterly data and locks."""
        with self.database.reading():
            plan_id = plan_id or self.plan_id_for_year()
            if plan_id is None:
                raise RowMissingError(self.path, "the file holds no plan")
            # Tens of thousands of new objects and no garbage among them: the cyclic
            # collector would run dozens of times for nothing (~30 % of a big load).
            collecting = gc.isenabled()
            gc.disable()
            try:
                return self._load(plan_id)
            finally:
                if collecting:
                    gc.enable()

    def _load(self, plan_id: str) -> PlanData:
        row = self.row("plan", plan_id)
        if row is None:
            raise RowMissingError(self.path, f"plan {plan_id} does not exist")
        plan = plan_from_row(row)
        departments = self.departments()
        names = {d.id: d.name for d in departments}
        chapters: dict[str, Chapter] = {}
        for c in self._scan(
            "SELECT * FROM chapter WHERE plan_id = ? ORDER BY position", (plan_id,)
        ):
            chapters[c["id"]] = chapter_from_row(c)
            plan.chapters.append(chapters[c["id"]])
        items: dict[str, Item] = {}
        for i in self._scan(
            "SELECT i.* FROM item i JOIN chapter c ON c.id = i.chapter_id WHERE c.plan_id = ?"
            " ORDER BY c.position, i.position",
            (plan_id,),
        ):
            items[i["id"]] = item_from_row(i, names)
            chapters[i["chapter_id"]].items.append(items[i["id"]])
        for n in self._scan(
            "SELECT n.* FROM indicator n JOIN item i ON i.id = n.item_id"
            " JOIN chapter c ON c.id = i.chapter_id WHERE c.plan_id = ?"
            " ORDER BY c.position, i.position, n.position",
            (plan_id,),
        ):
            items[n["item_id"]].indicators.append(indicator_from_row(n))
        data = PlanData(plan, departments=departments)
        for a in self._scan(
            "SELECT a.* FROM actual a JOIN indicator n ON n.id = a.indicator_id"
            " JOIN item i ON i.id = n.item_id JOIN chapter c ON c.id = i.chapter_id"
            " WHERE c.plan_id = ?",
            (plan_id,),
        ):
            data.actuals[(a["indicator_id"], a["quarter"])] = actual_from_row(a)
        for p in self._scan(
            "SELECT p.* FROM progress p JOIN item i ON i.id = p.item_id"
            " JOIN chapter c ON c.id = i.chapter_id WHERE c.plan_id = ?",
            (plan_id,),
        ):
            data.progress[(p["item_id"], p["quarter"])] = progress_from_row(p)
        for lock in self._scan("SELECT * FROM quarter_lock WHERE plan_id = ?", (plan_id,)):
            data.locks[lock["quarter"]] = lock_from_row(lock)
        return data
