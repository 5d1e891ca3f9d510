"""A plan open for work: the store, the loaded plan, the chosen quarter and its evaluation.

The Qt layer talks to this object only. Each edit is described by an :class:`Edit` (what,
where, old value, new value); applying it writes one transaction through the store, then
updates the in-memory plan and its evaluation, so the UI never re-reads the whole file for a
single change. Undo applies the same edit backwards, with the new value as the expected one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

from .plan.model import (
    Accumulation,
    Actual,
    Chapter,
    Comparator,
    Indicator,
    Item,
    ItemStatus,
    Kind,
    PlanData,
    Progress,
    Quarter,
)
from .plan.numbers import format_number
from .plan.progress import (
    Evaluation,
    PlanProgress,
    Rag,
    evaluate_plan,
    quarter_snapshot,
    reevaluate_item,
)
from .plan.search import RowFilter  # noqa: F401  (the workspace's filter, imported from here)
from .storage.loading import (
    actual_from_row,
    chapter_from_row,
    indicator_from_row,
    item_from_row,
    no_cyclic_collection,
    plan_from_row,
    progress_from_row,
)
from .storage.store import FIELD_LABELS, Change, Store, validate_field

# The fields of a loaded indicator / item that an edit of its row may change.
_INDICATOR_FIELDS = (
    "name",
    "value",
    "unit",
    "comparator",
    "kind",
    "text",
    "span",
    "stretch_value",
    "weight",
    "pace",
    "tolerance",
    "accumulation",
)
_ITEM_FIELDS = (
    "number",
    "title",
    "text",
    "section",
    "lead_department",
    "co_departments",
    "due_date",
    "weight",
)


@dataclass(frozen=True)
class Edit:
    """One undoable change of one value.

    ``target`` is "actual" (indicator figure or note for a quarter), "progress" (item status
    or text for a quarter), "departments" (an item's lead or co-departments, by name) or a
    table name ("indicator", "item", "chapter", "plan") for a plain field.
    """

    target: str
    row_id: str
    field: str
    old: Any
    new: Any
    quarter: int | None = None

    @property
    def label(self) -> str:
        """What the Edit menu shows: "撤销 修改实际值"."""
        if self.target == "actual":
            return "修改实际值" if self.field == "value" else "修改备注"
        if self.target == "progress":
            return "修改进展情况" if self.field == "text" else "修改状态"
        if self.target == "departments":
            return "修改牵头单位" if self.field == "lead" else "修改配合单位"
        return f"修改{FIELD_LABELS.get(self.field, self.field)}"

    def reversed(self) -> Edit:
        return replace(self, old=self.new, new=self.old)


@dataclass(frozen=True)
class Warning:
    """An entry of the 预警 list."""

    kind: str  # "lagging", "overdue", "due_soon", "no_progress"
    row_id: str
    message: str


class Workspace:
    def __init__(
        self, store: Store, plan_id: str | None = None, quarter: int | None = None
    ) -> None:
        self.store = store
        with no_cyclic_collection():  # the plan's objects, then their evaluations
            self.data: PlanData = store.load(plan_id)
            self.quarter = quarter or default_quarter(self.data.plan.year)
            self._index()
            self.progress: PlanProgress = evaluate_plan(self.data, self.quarter)
        # Rows whose warnings may have changed since the 预警 list last asked (None: all).
        self._warnings_stale: set[str] | None = None
        self._plan_names: dict[str, str] | None = None  # read from the history on first use

    # -- loading --

    def _index(self) -> None:
        self.chapters: dict[str, Chapter] = {}
        self.items: dict[str, Item] = {}
        self.indicators: dict[str, Indicator] = {}
        self.parent: dict[str, str] = {}
        for chapter in self.data.plan.chapters:
            assert chapter.id is not None
            self.chapters[chapter.id] = chapter
            for item in chapter.items:
                assert item.id is not None
                self.items[item.id] = item
                self.parent[item.id] = chapter.id
                for indicator in item.indicators:
                    assert indicator.id is not None
                    self.indicators[indicator.id] = indicator
                    self.parent[indicator.id] = item.id

    def reload(self) -> None:
        """Re-read the plan (after another user's commit, a merge or an import)."""
        with no_cyclic_collection():
            self.data = self.store.load(self.data.plan.id)
            self._index()
            self._plan_names = None
            self.evaluate()

    def evaluate(self) -> None:
        self.progress = evaluate_plan(self.data, self.quarter)
        self._warnings_stale = None

    def set_quarter(self, quarter: int) -> None:
        self.quarter = quarter
        self.evaluate()

    # -- reading --

    @property
    def plan(self):
        return self.data.plan

    @property
    def quarter_label(self) -> str:
        return Quarter(self.plan.year, self.quarter).label

    @property
    def readonly(self) -> bool:
        return self.store.readonly

    def locked(self, quarter: int | None = None) -> bool:
        return self.data.is_locked(quarter or self.quarter)

    def actual(self, indicator_id: str, quarter: int | None = None) -> Actual | None:
        return self.data.actuals.get((indicator_id, quarter or self.quarter))

    def progress_of(self, item_id: str, quarter: int | None = None) -> Progress | None:
        return self.data.progress.get((item_id, quarter or self.quarter))

    def evaluation(self, row_id: str) -> Evaluation:
        return self.progress.of(row_id)

    def plan_name(self, row_id: str) -> str | None:
        """The name the plan gave an item or indicator that was renamed by hand since; None
        when its name is still the plan's own."""
        if self._plan_names is None:
            self._plan_names = self.store.plan_names()
        return self._plan_names.get(row_id)

    def item_of(self, row_id: str) -> Item | None:
        if row_id in self.items:
            return self.items[row_id]
        parent = self.parent.get(row_id)
        return self.items.get(parent) if parent else None

    def current_value(self, edit: Edit) -> Any:
        """The value the workspace holds now for what ``edit`` changes."""
        if edit.target == "actual":
            record = self.actual(edit.row_id, edit.quarter)
            if record is None:
                return None if edit.field == "value" else ""
            return getattr(record, edit.field)
        if edit.target == "progress":
            record = self.progress_of(edit.row_id, edit.quarter)
            if record is None:
                return None if edit.field == "status" else ""
            value = getattr(record, edit.field)
            return value.value if isinstance(value, ItemStatus) else value
        if edit.target == "departments":
            item = self.items[edit.row_id]
            return item.lead_department if edit.field == "lead" else list(item.co_departments)
        return _model_value(self._object(edit.target, edit.row_id), edit.field)

    def _object(self, target: str, row_id: str) -> Any:
        if target == "plan":
            return self.plan
        return {"chapter": self.chapters, "item": self.items, "indicator": self.indicators}[target][
            row_id
        ]

    # -- writing --

    def make_edit(
        self, target: str, row_id: str, field: str, new: Any, quarter: int | None = None
    ) -> Edit:
        if target in ("actual", "progress"):
            quarter = quarter or self.quarter
        edit = Edit(target, row_id, field, None, new, quarter)
        return replace(edit, old=self.current_value(edit))

    def apply(self, edit: Edit, source: str = "edit") -> None:
        """Write ``edit`` (expecting ``edit.old`` in the file) and update the loaded plan.

        Raises the store's errors (ConflictError, QuarterLockedError, BusyError …) with
        nothing changed in memory when the write did not commit.
        """
        store = self.store
        if edit.target == "actual":
            assert edit.quarter is not None
            if edit.field == "value":
                store.set_actual(
                    edit.row_id, edit.quarter, edit.new, expected_value=edit.old, source=source
                )
            else:
                store.set_actual(
                    edit.row_id, edit.quarter, note=edit.new, expected_note=edit.old, source=source
                )
            self._refresh_actual(edit.row_id, edit.quarter)
        elif edit.target == "progress":
            assert edit.quarter is not None
            if edit.field == "status":
                store.set_progress(
                    edit.row_id,
                    edit.quarter,
                    status=edit.new,
                    expected_status=edit.old,
                    source=source,
                )
            else:
                store.set_progress(
                    edit.row_id, edit.quarter, text=edit.new, expected_text=edit.old, source=source
                )
            self._refresh_progress(edit.row_id, edit.quarter)
        elif edit.target == "departments":
            if edit.field == "lead":
                store.set_item_departments(
                    edit.row_id, lead=edit.new, expected_lead=edit.old, source=source
                )
            else:
                store.set_item_departments(
                    edit.row_id, co=list(edit.new), expected_co=list(edit.old or []), source=source
                )
            self._refresh_row("item", edit.row_id)
            self.data.departments = store.departments()
        else:
            value = validate_field(edit.target, edit.field, _storage_value(edit.field, edit.new))
            expected = _storage_value(edit.field, edit.old)
            store.update_field(
                edit.target, edit.row_id, edit.field, value, expected=expected, source=source
            )
            self._refresh_row(edit.target, edit.row_id)
            if edit.field in ("name", "title"):
                self._plan_names = None
        item = self.item_of(edit.row_id)
        if item is not None and item.id is not None:
            reevaluate_item(self.progress, self.data, item.id)
            if self._warnings_stale is not None:
                self._warnings_stale.update([item.id, *(i.id for i in item.indicators if i.id)])
        else:
            self.evaluate()  # a chapter or the plan itself: cheap enough to redo all

    def apply_many(self, edits: Iterable[Edit], summary: str, source: str = "edit") -> list[Change]:
        """Write several edits as ONE transaction (a paste, clearing a selection): all of them
        or none. Returns the logged changes, which undo turns back as one step."""
        try:
            with self.store.write(summary, source) as w:
                for edit in edits:
                    self.apply(edit, source)
                changes = list(w.changes)
        except Exception:
            self.reload()  # the loaded plan took values the file rolled back
            raise
        return changes

    def implausible(self, edit: Edit) -> str | None:
        """Why a typed figure looks wrong (it is still allowed): a negative amount, or more than
        ten times the year's target. None when it looks plausible."""
        if edit.target != "actual" or edit.field != "value" or edit.new is None:
            return None
        indicator = self.indicators.get(edit.row_id)
        if indicator is None:
            return None
        value = float(edit.new)
        if value < 0 and indicator.kind in (Kind.QUANTITY, Kind.LEVEL, Kind.RATIO):
            return f"{indicator.name}：{format_number(value)} 是负数"
        if indicator.value and abs(value) > 10 * abs(indicator.value):
            return (
                f"{indicator.name}：{format_number(value)}{indicator.unit} 超过全年目标 "
                f"{format_number(indicator.value)}{indicator.unit} 的 10 倍"
            )
        return None

    def _refresh_actual(self, indicator_id: str, quarter: int) -> None:
        row = self.store.rows(
            "SELECT * FROM actual WHERE indicator_id = ? AND quarter = ?", (indicator_id, quarter)
        )
        if row:
            self.data.actuals[(indicator_id, quarter)] = actual_from_row(row[0])

    def _refresh_progress(self, item_id: str, quarter: int) -> None:
        row = self.store.rows(
            "SELECT * FROM progress WHERE item_id = ? AND quarter = ?", (item_id, quarter)
        )
        if row:
            self.data.progress[(item_id, quarter)] = progress_from_row(row[0])

    def _refresh_row(self, table: str, row_id: str) -> None:
        """Bring one loaded object up to date with its row, in place (the tree holds it),
        built by the same row → model functions as the loader."""
        row = self.store.row(table, row_id)
        if row is None:
            return
        target = self._object(table, row_id)
        fresh: object
        if table == "indicator":
            fresh, fields = indicator_from_row(row), _INDICATOR_FIELDS
        elif table == "item":
            names = {d.id: d.name for d in self.store.departments()}
            fresh, fields = item_from_row(row, names), _ITEM_FIELDS
        elif table == "chapter":
            fresh, fields = chapter_from_row(row), ("numeral", "title", "intro")
        elif table == "plan":
            fresh, fields = plan_from_row(row), ("title", "issuer", "issued_on")
        else:
            return
        for name in fields:
            setattr(target, name, getattr(fresh, name))

    # -- structure --

    def add_item(self, chapter_id: str, after_id: str | None = None) -> tuple[str, list[Change]]:
        item_id, changes = self.store.add_item(chapter_id, after_id)
        self.reload()
        return item_id, changes

    def add_indicator(self, item_id: str, after_id: str | None = None) -> tuple[str, list[Change]]:
        indicator_id, changes = self.store.add_indicator(item_id, after_id)
        self.reload()
        return indicator_id, changes

    def remove(self, row_id: str) -> list[Change]:
        changes = self.store.remove_row(self.table_of(row_id), row_id)
        self.reload()
        return changes

    def move(self, row_id: str, delta: int) -> list[Change]:
        changes = self.store.move_row(self.table_of(row_id), row_id, delta)
        self.reload()
        return changes

    def revert(self, changes: list[Change], source: str = "undo") -> None:
        self.store.revert(changes, source)
        self.reload()

    def replay(self, changes: list[Change], source: str = "redo") -> None:
        self.store.replay(changes, source)
        self.reload()

    def table_of(self, row_id: str) -> str:
        if row_id in self.indicators:
            return "indicator"
        if row_id in self.items:
            return "item"
        if row_id in self.chapters:
            return "chapter"
        raise KeyError(row_id)

    # -- quarter locks --

    def lock_quarter(self, quarter: int | None = None) -> None:
        quarter = quarter or self.quarter
        assert self.plan.id is not None
        self.store.set_quarter_locked(
            self.plan.id, quarter, True, quarter_snapshot(self.data, quarter)
        )
        self.data.locks = self.store.load(self.plan.id).locks

    def unlock_quarter(self, quarter: int | None = None) -> None:
        quarter = quarter or self.quarter
        assert self.plan.id is not None
        self.store.set_quarter_locked(self.plan.id, quarter, False)
        self.data.locks = self.store.load(self.plan.id).locks

    # -- warnings --

    def warnings_changed(self) -> set[str] | None:
        """The rows whose warnings may differ since the last call (None: any row, after a
        reload, a quarter switch or a structural change); the 预警 list updates just those."""
        stale, self._warnings_stale = self._warnings_stale, set()
        return stale

    def warnings_of(self, row_ids: Iterable[str], today: date | None = None) -> list[Warning]:
        """:meth:`warnings` of the given rows only (indicators first, then items)."""
        wanted = set(row_ids)
        return self.warnings(
            today,
            indicators=[i for i in wanted if i in self.indicators],
            items=[i for i in wanted if i in self.items],
        )

    def warnings(
        self,
        today: date | None = None,
        *,
        indicators: Iterable[str] | None = None,
        items: Iterable[str] | None = None,
    ) -> list[Warning]:
        """Indicators behind pace, items overdue or due within 30 days, items with no
        progress text for the current quarter."""
        today = today or date.today()
        found: list[Warning] = []
        chosen_indicators = (
            self.indicators.items()
            if indicators is None
            else [(i, self.indicators[i]) for i in indicators]
        )
        chosen_items = self.items.items() if items is None else [(i, self.items[i]) for i in items]
        for indicator_id, indicator in chosen_indicators:
            evaluation = self.progress.indicators.get(indicator_id)
            if evaluation is not None and evaluation.status is Rag.RED:
                found.append(
                    Warning(
                        "lagging", indicator_id, f"{indicator.name}：落后于{self.quarter_label}进度"
                    )
                )
        for item_id, item in chosen_items:
            progress = self.progress_of(item_id)
            done = progress is not None and progress.status is ItemStatus.DONE
            if item.due_date and not done:
                if item.due_date < today:
                    found.append(
                        Warning(
                            "overdue",
                            item_id,
                            f"{item.number}. {item.title}：已超过完成时限 {item.due_date}",
                        )
                    )
                elif item.due_date <= today + timedelta(days=30):
                    found.append(
                        Warning(
                            "due_soon",
                            item_id,
                            f"{item.number}. {item.title}：30天内到期（{item.due_date}）",
                        )
                    )
            if progress is None or not progress.text.strip():
                found.append(
                    Warning(
                        "no_progress", item_id, f"{item.number}. {item.title}：本季度尚未填报进展"
                    )
                )
        return found


def default_quarter(year: int, today: date | None = None) -> int:
    """The quarter being reported on: the current one in the plan's year, else Q4 / Q1."""
    today = today or date.today()
    if today.year > year:
        return 4
    if today.year < year:
        return 1
    return (today.month - 1) // 3 + 1


def _model_value(obj: Any, field: str) -> Any:
    if field.startswith("pace_q"):
        return obj.effective_pace()[int(field[-1]) - 1]
    value = getattr(obj, field)
    if isinstance(value, Comparator | Kind | Accumulation):
        return value.value
    if isinstance(value, date):
        return value.isoformat()
    return value


def _storage_value(field: str, value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    return value


def describe_target(indicator: Indicator) -> str:
    """The target without its unit: "≥ 10000", "≈ 4.26", "增长 ≥ 6（力争 8）"."""
    prefix = {"growth": "增长 ", "decline": "下降 "}.get(indicator.kind.value, "")
    text = f"{prefix}{indicator.comparator.label} {format_number(indicator.value)}"
    if indicator.stretch_value is not None:
        text += f"（力争 {format_number(indicator.stretch_value)}）"
    return text
