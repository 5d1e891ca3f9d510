"""A change-log entry in a clerk's words: who changed 2.1's second-quarter figure, from what to
what, when and how — never a column name, an id or a UTC stamp.

    对象   2.1 新增注册企业          季度  第二季度        内容  本期实际
    原值 → 新值  （空） → 5200        时间  2022-06-30 16:05（本机时间）
    人     wang@PC-17                方式  填报 / 撤销 / 重做 / 导入 / 合并 / 锁定 / 恢复

One function (:func:`describe_change`) for the 修改记录 tab, ``check``'s recent changes and
anything else that lists changes; names, department names and field names come from
:mod:`.wording`, as in the merge preview.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ..plan.numbers import format_number
from .changelog import Change
from .wording import Namer, RowLookup, quarter_name

# How a change was made (the log's ``source``).
SOURCES = {
    "edit": "填报",
    "undo": "撤销",
    "redo": "重做",
    "import": "导入",
    "excel": "导入",
    "plan-import": "导入",
    "merge": "合并",
    "lock": "锁定",
    "restore": "恢复",
}

# Where the 修改记录 calls a field as the tree's columns do; every other field is named as in
# the merge preview (storage/wording.py's FIELD_NAMES).
CONTENTS: dict[str, dict[str, str]] = {
    "actual": {"value": "本期实际", "note": "备注"},
    "indicator": {"name": "名称", "value": "目标"},
    "item": {"title": "名称"},
    "chapter": {"title": "名称"},
}
OPERATIONS = {"insert": "新增", "delete": "删除"}


@dataclass(frozen=True)
class ChangeWords:
    time: str  # local, to the minute
    subject: str  # 对象: 2.1 新增注册企业
    quarter: str  # 季度: 第二季度, or ""
    content: str  # 内容: 本期实际
    old: str
    new: str
    who: str  # user@machine
    how: str  # 方式: 填报 …

    @property
    def values(self) -> str:
        """原值 → 新值 (a row added or removed has no values to show)."""
        if not self.old and not self.new:
            return ""
        return f"{self.old} → {self.new}"

    def sentence(self) -> str:
        """One line: 2022-06-30 16:05 wang@PC-17 填报 2.1 新增注册企业 第二季度 本期实际：（空） → 5200."""
        where = " ".join(p for p in (self.subject, self.quarter, self.content) if p)
        values = f"：{self.values}" if self.values else ""
        return f"{self.time} {self.who} {self.how} {where}{values}"


def local_time(stamp: str | None) -> str:
    """A stored UTC stamp in this computer's local time, to the minute."""
    if not stamp:
        return ""
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return stamp
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return f"{moment.astimezone():%Y-%m-%d %H:%M}"


class _Namer(Namer):
    """The merge preview's namer (departments by name …), with rows numbered as in the tree."""

    def __init__(self, lookup: RowLookup, rank: Callable[[Mapping[str, Any]], int | None]) -> None:
        super().__init__(lookup)
        self.rank = rank

    def row(self, table: str, row_id: Any) -> Mapping[str, Any]:
        return self._row(table, row_id)

    def content(self, table: str, field: str | None) -> str:
        return CONTENTS.get(table, {}).get(field or "") or self.field(table, field)

    def indicator(self, row: Mapping[str, Any]) -> str:
        item = self.row("item", row.get("item_id"))
        rank = self.rank(row)
        number = f"{item.get('number', '?')}.{rank + 1}" if rank is not None else "?"
        return f"{number} {row.get('name', '')}".strip()

    def subject(self, table: str, row: Mapping[str, Any]) -> str:
        if table == "indicator":
            return self.indicator(row)
        if table == "actual":
            return self.indicator(self.row("indicator", row.get("indicator_id")))
        if table == "item":
            return f"{row.get('number', '?')} {row.get('title', '')}".strip()
        if table == "progress":
            return self.subject("item", self.row("item", row.get("item_id")))
        if table == "chapter":
            return f"{row.get('numeral', '?')}、{row.get('title', '')}"
        if table == "department":
            return f"单位 {row.get('name', '')}".strip()
        if table == "plan":
            return f"{row.get('year', '')}年计划"
        if table == "quarter_lock":
            return "季度锁定"
        return "一条记录"

    def shown(self, table: str, field: str | None, value: Any) -> str:
        """A value as the tree shows it: numbers without float noise or exponents."""
        if isinstance(value, int | float) and not isinstance(value, bool) and field != "locked":
            return format_number(float(value))
        return self.value(table, field, value)


def _first_figure(change: Change) -> str | None:
    """The field a quarter's actual / progress row was created (or, undone, removed) for."""
    if change.op not in ("insert", "delete") or change.tbl not in ("actual", "progress"):
        return None
    logged = change.new if change.op == "insert" else change.old
    if not isinstance(logged, dict):
        return None
    fields = ("value", "note") if change.tbl == "actual" else ("status", "text")
    return next((f for f in fields if logged.get(f) not in (None, "")), fields[0])


def describe_change(
    change: Change, lookup: RowLookup, rank: Callable[[Mapping[str, Any]], int | None]
) -> ChangeWords:
    """``lookup(table, id)`` finds a row (None when gone); ``rank(indicator_row)`` is its place
    among its item's indicators (0 for the first)."""
    namer = _Namer(lookup, rank)
    logged = change.new if isinstance(change.new, dict) else change.old
    row = namer.lookup(change.tbl, change.row_id) or (logged if isinstance(logged, dict) else {})
    first = _first_figure(change)
    if first is not None:  # a quarter's first figure creates its row: shown as the figure
        content = namer.content(change.tbl, first)
        if change.op == "insert":
            old, new = "（空）", namer.shown(change.tbl, first, change.new.get(first))
        else:
            old, new = namer.shown(change.tbl, first, change.old.get(first)), "（空）"
    elif change.op in OPERATIONS:
        content, old, new = OPERATIONS[change.op], "", ""
    else:
        content = namer.content(change.tbl, change.field)
        old = namer.shown(change.tbl, change.field, change.old)
        new = namer.shown(change.tbl, change.field, change.new)
    quarter = row.get("quarter") if change.tbl in ("actual", "progress", "quarter_lock") else None
    return ChangeWords(
        time=local_time(change.ts),
        subject=namer.subject(change.tbl, row),
        quarter=quarter_name(quarter) if quarter is not None else "",
        content=content,
        old=old,
        new=new,
        who=f"{change.user}@{change.machine}",
        how=SOURCES.get(change.source, change.source),
    )
