"""Departments: the units that lead or help with items, created by name as plans and edits
name them; removing one takes it off every item (each change logged)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from ..plan.model import Department
from .base import StoreBase
from .changelog import Write
from .errors import ConflictError, InvalidValueError
from .fields import MISSING, to_json


class Departments(StoreBase):
    """The department list and an item's lead and co-departments."""

    def departments(self) -> list[Department]:
        return [
            Department(row["id"], row["name"], row["position"])
            for row in self.rows(
                "SELECT id, name, position FROM department ORDER BY position, name"
            )
        ]

    def _department_ids(self) -> dict[str, str]:
        return {d.name: d.id for d in self.departments()}

    def _department_id(self, w: Write, name: str, known: dict[str, str]) -> str:
        name = name.strip()
        if not name:
            raise InvalidValueError("department", name, "empty name")
        if name not in known:
            known[name] = w.insert("department", {"name": name, "position": len(known)})
        return known[name]

    def add_department(self, name: str) -> str:
        with self.write(f"添加单位 {name}") as w:
            return self._department_id(w, name, self._department_ids())

    def rename_department(self, department_id: str, name: str) -> None:
        name = name.strip()
        if not name:
            raise InvalidValueError("name", name, "must not be empty")
        if any(d.name == name and d.id != department_id for d in self.departments()):
            raise InvalidValueError("name", name, "another department already has this name")
        with self.write(f"重命名单位为 {name}") as w:
            w.update("department", department_id, {"name": name})

    def remove_department(self, department_id: str) -> None:
        """Remove a department; items it led or helped lose it (each change logged)."""
        with self.write("删除单位") as w:
            for row in self.rows(
                "SELECT id, lead_department_id, co_department_ids FROM item"
                " WHERE lead_department_id = ? OR co_department_ids LIKE ?",
                (department_id, f'%"{department_id}"%'),
            ):
                changes: dict[str, Any] = {}
                if row["lead_department_id"] == department_id:
                    changes["lead_department_id"] = None
                co = json.loads(row["co_department_ids"])
                if department_id in co:
                    changes["co_department_ids"] = to_json([d for d in co if d != department_id])
                w.update("item", row["id"], changes)
            w.delete("department", department_id)

    def set_item_departments(
        self,
        item_id: str,
        *,
        lead: str | Any | None = MISSING,
        co: Sequence[str] | Any = MISSING,
        expected_lead: str | Any | None = MISSING,
        expected_co: Sequence[str] | Any = MISSING,
        source: str = "edit",
    ) -> None:
        """Set an item's lead department and/or co-departments by name (created if new)."""
        with self.write("修改牵头单位" if co is MISSING else "修改配合单位", source) as w:
            known = self._department_ids()
            changes: dict[str, Any] = {}
            expected: dict[str, Any] = {}
            if lead is not MISSING:
                changes["lead_department_id"] = (
                    self._department_id(w, lead, known) if lead else None
                )
                if expected_lead is not MISSING:
                    expected["lead_department_id"] = (
                        known.get(expected_lead) if expected_lead else None
                    )
            if co is not MISSING:
                ids = [self._department_id(w, name, known) for name in co if name.strip()]
                changes["co_department_ids"] = to_json(list(dict.fromkeys(ids)))
                if expected_co is not MISSING:
                    seen = [known.get(name) for name in expected_co if name.strip()]
                    if None in seen:  # a department that no longer exists: someone changed it
                        current = self.row("item", item_id)
                        raise ConflictError(
                            "item",
                            item_id,
                            "co_department_ids",
                            list(expected_co),
                            current and current["co_department_ids"],
                        )
                    expected["co_department_ids"] = to_json(list(dict.fromkeys(seen)))
            w.update("item", item_id, changes, expected)
