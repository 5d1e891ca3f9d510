"""Items both sides added (say at the end of a chapter) must not share a number: the copy's
new item takes the next free number of its plan and goes after the chapter's items."""

from __future__ import annotations

from .comparison import Comparison
from .model import MergeChange


def renumber(cmp: Comparison) -> None:
    """Add a "renumber" change for each item the copy adds under a number already taken."""
    numbers, positions = _numbers_after(cmp)
    inserts = [c for c in cmp.preview.changes if c.op == "insert" and c.tbl == "item"]
    for change in sorted(
        inserts, key=lambda c: (c.theirs["number"], c.theirs["position"], c.row_id)
    ):
        item = change.theirs
        chapter = cmp.master.row("chapter", item["chapter_id"]) or cmp.view.row(
            "chapter", item["chapter_id"]
        )
        if chapter is None:
            continue
        taken = numbers.setdefault(chapter["plan_id"], set())
        if item["number"] in taken:
            number = max(taken) + 1
            position = max(positions.get(item["chapter_id"], -1), item["position"] - 1) + 1
            positions[item["chapter_id"]] = position
            cmp.preview.changes.append(_renumbered(cmp, change, number, position))
            taken.add(number)
        else:
            taken.add(item["number"])
            positions[item["chapter_id"]] = max(
                positions.get(item["chapter_id"], -1), item["position"]
            )


def _numbers_after(cmp: Comparison) -> tuple[dict[str, set[int]], dict[str, int]]:
    """The item numbers of each plan as they will be after this merge (a number the copy
    changed in a conflict counts as taken: either may stand), and each chapter's last
    position."""
    plan_of: dict[str, str] = {}
    number_of: dict[str, int] = {}
    positions: dict[str, int] = {}
    for row in cmp.master.rows(
        "SELECT c.plan_id, i.id, i.chapter_id, i.number, i.position FROM item i"
        " JOIN chapter c ON c.id = i.chapter_id"
    ):
        plan_of[row["id"]] = row["plan_id"]
        number_of[row["id"]] = row["number"]
        positions[row["chapter_id"]] = max(positions.get(row["chapter_id"], -1), row["position"])
    for change in cmp.preview.changes:
        if change.tbl == "item" and change.op == "update" and change.field == "number":
            number_of[change.row_id] = change.theirs
        elif change.tbl == "item" and change.op == "delete":
            number_of.pop(change.row_id, None)
    numbers: dict[str, set[int]] = {}
    for item_id, number in number_of.items():
        numbers.setdefault(plan_of[item_id], set()).add(number)
    for conflict in cmp.preview.conflicts:
        c = conflict.change
        if c.tbl == "item" and c.op == "update" and c.field == "number" and c.row_id in plan_of:
            numbers.setdefault(plan_of[c.row_id], set()).add(c.theirs)
    return numbers, positions


def _renumbered(cmp: Comparison, change: MergeChange, number: int, position: int) -> MergeChange:
    item = change.theirs
    label = cmp.namer.thing("item", change.row_id)
    return MergeChange(
        "renumber",
        "item",
        change.row_id,
        "number",
        item["number"],
        {"number": number, "position": position},
        f"{label} 的编号",
        f"双方都新增了事项 {item['number']}：副本新增的{label}改为事项 {number}，排在本章最后",
        str(item["number"]),
        str(number),
    )
