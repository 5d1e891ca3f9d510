"""What ``check`` points out about a file's content beyond SQLite's own checks, in the clerks'
words (storage/wording.py): items sharing a number, departments named that no longer exist."""

from __future__ import annotations

import json

from .store import Store
from .wording import Namer, duplicate_numbers


def content_findings(store: Store) -> list[str]:
    rows = store.rows(
        "SELECT p.year, i.number, i.title FROM item i JOIN chapter c ON c.id = i.chapter_id"
        " JOIN plan p ON p.id = c.plan_id ORDER BY p.year, i.number, c.position, i.position"
    )
    found = duplicate_numbers(rows)
    departments = {r["id"] for r in store.rows("SELECT id FROM department")}
    namer = Namer(store.row)
    for row in store.rows("SELECT id, number, co_department_ids FROM item ORDER BY number, id"):
        try:
            ids = json.loads(row["co_department_ids"] or "[]")
        except ValueError:
            ids = []
        missing = [i for i in ids if i not in departments]
        if missing:
            found.append(f"{namer.item(row['id'])} 的配合单位中有 {len(missing)} 个已不存在的单位")
    return found
