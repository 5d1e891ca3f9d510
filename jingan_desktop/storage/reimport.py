"""A plan year imported again (a corrected text): brought up to date in place.

Chapters, items and indicators that match the stored ones (:mod:`.matching`) keep their ids
and get only the fields that changed, so their quarterly figures, progress texts, quarter
locks and history stay attached; new ones are inserted, stored ones that are gone are removed
(logged whole, like any removal). Settings a clerk made after the first import — an
indicator's pace, weight and tolerance, an item's departments and due date when the new text
names none — are kept. It all happens in the import's one transaction.
"""

from __future__ import annotations

from typing import Any

from ..plan.model import Chapter, Indicator, Item, Plan
from .changelog import Write
from .departments import Departments
from .fields import indicator_text_fields, item_text_fields, to_json
from .loading import chapter_from_row, indicator_from_row, item_from_row, plan_from_row
from .locks import Locks


class Reimport(Departments, Locks):
    def _stored_structure(self, plan_id: str) -> Plan:
        row = self.row("plan", plan_id)
        assert row is not None
        plan = plan_from_row(row)
        names = {d.id: d.name for d in self.departments()}
        chapters: dict[str, Chapter] = {}
        for c in self.rows("SELECT * FROM chapter WHERE plan_id = ? ORDER BY position", (plan_id,)):
            chapters[c["id"]] = chapter_from_row(c)
            plan.chapters.append(chapters[c["id"]])
        items: dict[str, Item] = {}
        for i in self.rows(
            "SELECT i.* FROM item i JOIN chapter c ON c.id = i.chapter_id WHERE c.plan_id = ?"
            " ORDER BY c.position, i.position",
            (plan_id,),
        ):
            items[i["id"]] = item_from_row(i, names)
            chapters[i["chapter_id"]].items.append(items[i["id"]])
        for n in self.rows(
            "SELECT n.* FROM indicator n JOIN item i ON i.id = n.item_id"
            " JOIN chapter c ON c.id = i.chapter_id WHERE c.plan_id = ? ORDER BY n.position",
            (plan_id,),
        ):
            items[n["item_id"]].indicators.append(indicator_from_row(n))
        return plan

    def _reimport(self, w: Write, plan_id: str, plan: Plan) -> str:
        # The matching (and the parser's keys and folding it uses) loads when a plan is
        # imported again, not with every store that is opened.
        from .matching import match_chapters, match_items

        old = self._stored_structure(plan_id)
        w.update(
            "plan",
            plan_id,
            {
                "title": plan.title,
                "issuer": plan.issuer,
                "issued_on": plan.issued_on.isoformat() if plan.issued_on else None,
                "preamble": plan.preamble,
                "source_text": plan.source_text,
            },
        )
        plan.id = plan_id
        departments = self._department_ids()
        chapters = match_chapters(old, plan)
        items = match_items(old, plan)
        new_items = plan.items()
        kept_items = {id(new_items[i]): stored for i, stored in items.items()}
        for c_pos, chapter in enumerate(plan.chapters):
            stored_chapter = chapters.get(c_pos)
            values = {"position": c_pos, "numeral": chapter.numeral, "title": chapter.title}
            values["intro"] = chapter.intro
            if stored_chapter is not None:
                chapter.id = stored_chapter.id
                w.update("chapter", chapter.id, values)
            else:
                chapter.id = w.insert("chapter", {"plan_id": plan_id, **values})
            for i_pos, item in enumerate(chapter.items):
                stored = kept_items.get(id(item))
                if stored is None:
                    self._insert_item(w, chapter.id, i_pos, item, departments)  # type: ignore[attr-defined]
                else:
                    self._update_item(w, chapter.id, i_pos, item, stored, departments)
        kept = {item.id for item in new_items}
        for stored_item in old.items():
            if stored_item.id not in kept:
                self._check_subtree_unlocked("item", stored_item.id)
                w.delete("item", stored_item.id)
        kept_chapters = {chapter.id for chapter in plan.chapters}
        for stored_chapter in old.chapters:
            if stored_chapter.id not in kept_chapters:
                self._check_subtree_unlocked("chapter", stored_chapter.id)
                w.delete("chapter", stored_chapter.id)
        return plan_id

    def _update_item(
        self,
        w: Write,
        chapter_id: str,
        position: int,
        item: Item,
        stored: Item,
        departments: dict[str, str],
    ) -> None:
        item.id = stored.id
        values: dict[str, Any] = {
            "chapter_id": chapter_id,
            "position": position,
            **item_text_fields(item),
        }
        if item.lead_department:
            values["lead_department_id"] = self._department_id(w, item.lead_department, departments)
        if item.co_departments:
            co = [self._department_id(w, name, departments) for name in item.co_departments]
            values["co_department_ids"] = to_json(co)
        if item.due_date:
            values["due_date"] = item.due_date.isoformat()
        w.update("item", item.id, values)
        from .matching import match_indicators

        matched = match_indicators(stored.indicators, item.indicators)
        for n_pos, indicator in enumerate(item.indicators):
            old = matched.get(n_pos)
            if old is None:
                self._insert_indicator(w, item.id, n_pos, indicator)  # type: ignore[attr-defined]
            else:
                self._update_indicator(w, n_pos, indicator, old)
        kept = {indicator.id for indicator in item.indicators}
        for old_indicator in stored.indicators:
            if old_indicator.id not in kept:
                self._check_subtree_unlocked("indicator", old_indicator.id)
                w.delete("indicator", old_indicator.id)

    def _update_indicator(self, w: Write, position: int, ind: Indicator, old: Indicator) -> None:
        ind.id = old.id
        w.update(
            "indicator",
            ind.id,
            {"position": position, **indicator_text_fields(ind)},
        )
