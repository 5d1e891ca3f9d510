"""The plan's structure: importing a parsed plan, changing the fields of its plan, chapters,
items and indicators, and adding, removing and reordering them. Every action is one logged
transaction, so undo and merging copies see it field by field."""

from __future__ import annotations

from typing import Any

from ..plan.model import Indicator, Item, Plan
from .changelog import Change, Write
from .departments import Departments
from .errors import PlanExistsError, RowMissingError
from .fields import (
    FIELD_LABELS,
    MISSING,
    indicator_text_fields,
    item_text_fields,
    to_json,
    validate_field,
)
from .locks import Locks
from .reimport import Reimport


def _position_after(siblings: list[dict[str, Any]], after_id: str | None) -> int:
    ids = [row["id"] for row in siblings]
    return ids.index(after_id) + 1 if after_id in ids else len(ids)


class Structure(Reimport, Departments, Locks):
    """Plan import and the edits that change what the plan is made of."""

    # -- importing a parsed plan --

    def import_plan(
        self, plan: Plan, *, replace: bool = False, source: str = "import", keep_ids: bool = True
    ) -> str:
        """Store a parsed plan as a new plan year; returns its id. With ``replace`` a year
        already stored is brought up to date in place (see :class:`Reimport`): unchanged
        items and indicators keep their ids, figures and history; with ``keep_ids=False``
        it is removed whole and stored anew."""
        existing = self.plan_id_for_year(plan.year)
        if existing is not None and not replace:
            raise PlanExistsError(plan.year)
        with self.write(f"导入{plan.year}年计划", source) as w:
            if existing is not None and keep_ids:
                return self._reimport(w, existing, plan)
            if existing is not None:
                w.delete("plan", existing)
            departments = self._department_ids()
            plan.id = w.insert(
                "plan",
                {
                    "title": plan.title,
                    "year": plan.year,
                    "issuer": plan.issuer,
                    "issued_on": plan.issued_on.isoformat() if plan.issued_on else None,
                    "preamble": plan.preamble,
                    "source_text": plan.source_text,
                },
            )
            for c_pos, chapter in enumerate(plan.chapters):
                chapter.id = w.insert(
                    "chapter",
                    {
                        "plan_id": plan.id,
                        "position": c_pos,
                        "numeral": chapter.numeral,
                        "title": chapter.title,
                        "intro": chapter.intro,
                    },
                )
                for i_pos, item in enumerate(chapter.items):
                    self._insert_item(w, chapter.id, i_pos, item, departments)
        return plan.id

    def _insert_item(
        self, w: Write, chapter_id: str, position: int, item: Item, departments: dict[str, str]
    ) -> str:
        lead = (
            self._department_id(w, item.lead_department, departments)
            if item.lead_department
            else None
        )
        co = [self._department_id(w, name, departments) for name in item.co_departments]
        item.id = w.insert(
            "item",
            {
                "chapter_id": chapter_id,
                "position": position,
                **item_text_fields(item),
                "lead_department_id": lead,
                "co_department_ids": to_json(co),
                "due_date": item.due_date.isoformat() if item.due_date else None,
                "weight": item.weight,
            },
        )
        for position_, indicator in enumerate(item.indicators):
            self._insert_indicator(w, item.id, position_, indicator)
        return item.id

    def _insert_indicator(self, w: Write, item_id: str, position: int, ind: Indicator) -> str:
        pace = ind.effective_pace()
        ind.id = w.insert(
            "indicator",
            {
                "item_id": item_id,
                "position": position,
                **indicator_text_fields(ind),
                "weight": ind.weight,
                "pace_q1": pace[0],
                "pace_q2": pace[1],
                "pace_q3": pace[2],
                "pace_q4": pace[3],
                "tolerance": ind.tolerance,
                "accumulation": ind.accumulation.value,
            },
        )
        return ind.id

    # -- fields of the plan, its chapters, items and indicators, and departments --

    def update_field(
        self,
        table: str,
        row_id: str,
        field: str,
        value: Any,
        *,
        expected: Any = MISSING,
        summary: str | None = None,
        source: str = "edit",
    ) -> None:
        """Change one field of a plan, chapter, item, indicator or department."""
        value = validate_field(table, field, value)
        with self.write(summary or f"修改{FIELD_LABELS.get(field, field)}", source) as w:
            w.update(table, row_id, {field: value}, {field: expected})

    # -- structure: adding, removing, reordering rows --

    def add_item(
        self, chapter_id: str, after_id: str | None = None, title: str = "新事项"
    ) -> tuple[str, list[Change]]:
        """A new item in a chapter, after ``after_id`` (or at the end); returns its id and the
        logged changes (for undo)."""
        with self.write("添加事项") as w:
            siblings = self.rows(
                "SELECT id, number FROM item WHERE chapter_id = ? ORDER BY position", (chapter_id,)
            )
            position = _position_after(siblings, after_id)
            numbers = self.rows(
                "SELECT max(i.number) AS n FROM item i JOIN chapter c ON c.id = i.chapter_id"
                " WHERE c.plan_id = (SELECT plan_id FROM chapter WHERE id = ?)",
                (chapter_id,),
            )
            number = (numbers[0]["n"] or 0) + 1
            self._shift(w, "item", siblings, position)
            item = Item(number, title, title)
            item_id = self._insert_item(w, chapter_id, position, item, self._department_ids())
            return item_id, w.changes

    def add_indicator(
        self, item_id: str, after_id: str | None = None, name: str = "新指标"
    ) -> tuple[str, list[Change]]:
        with self.write("添加指标") as w:
            siblings = self.rows(
                "SELECT id FROM indicator WHERE item_id = ? ORDER BY position", (item_id,)
            )
            position = _position_after(siblings, after_id)
            self._shift(w, "indicator", siblings, position)
            indicator = Indicator(name, None, "")  # type: ignore[arg-type]  # target not set yet
            indicator_id = self._insert_indicator(w, item_id, position, indicator)
            return indicator_id, w.changes

    def _shift(self, w: Write, table: str, siblings: list[dict[str, Any]], position: int) -> None:
        for index, row in enumerate(siblings):
            if index >= position:
                w.update(table, row["id"], {"position": index + 1})

    def remove_row(self, table: str, row_id: str) -> list[Change]:
        """Remove a chapter, item or indicator with everything under it (logged, undoable)."""
        label = {"chapter": "删除章节", "item": "删除事项", "indicator": "删除指标"}[table]
        with self.write(label) as w:
            if self.row(table, row_id) is None:
                raise RowMissingError(None, f"{table} {row_id} no longer exists")
            self._check_subtree_unlocked(table, row_id)
            w.delete(table, row_id)
            return w.changes

    def move_row(self, table: str, row_id: str, delta: int) -> list[Change]:
        """Move a chapter, item or indicator up (-1) or down (+1) among its siblings."""
        parent_column = {"chapter": "plan_id", "item": "chapter_id", "indicator": "item_id"}[table]
        with self.write("调整顺序") as w:
            row = self.row(table, row_id)
            if row is None:
                raise RowMissingError(None, f"{table} {row_id} no longer exists")
            siblings = self.rows(
                f"SELECT id FROM {table} WHERE {parent_column} = ? ORDER BY position",
                (row[parent_column],),
            )
            ids = [r["id"] for r in siblings]
            index = ids.index(row_id)
            target = index + delta
            if not 0 <= target < len(ids):
                return []
            ids[index], ids[target] = ids[target], ids[index]
            for position, sibling in enumerate(ids):
                w.update(table, sibling, {"position": position})
            return w.changes
