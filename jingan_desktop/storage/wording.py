"""How changes to the plan file are put into words, for clerks: one place for the merge
dialog, ``merge --dry-run`` and ``check``.

Things are named the way the clerks name them (事项 12, 指标“新增注册企业”, 单位“区数据局”),
never by column or UUID; department ids are shown as the departments' names.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..plan.model import CHINESE_QUARTERS

FIELD_NAMES: dict[str, dict[str, str]] = {
    "plan": {
        "title": "标题",
        "issuer": "发文单位",
        "issued_on": "发文日期",
        "preamble": "前言",
        "year": "年度",
    },
    "chapter": {"numeral": "序号", "title": "标题", "intro": "导语", "position": "顺序"},
    "item": {
        "number": "编号",
        "title": "标题",
        "text": "正文",
        "section": "分节",
        "lead_department_id": "牵头单位",
        "co_department_ids": "配合单位",
        "due_date": "完成时限",
        "weight": "权重",
        "position": "顺序",
        "chapter_id": "所属章节",
    },
    "indicator": {
        "name": "名称",
        "text": "原文",
        "span_start": "原文位置",
        "span_end": "原文位置",
        "value": "目标值",
        "unit": "单位",
        "comparator": "比较方式",
        "kind": "指标类型",
        "stretch_value": "力争值",
        "weight": "权重",
        "pace_q1": "一季度进度",
        "pace_q2": "二季度进度",
        "pace_q3": "三季度进度",
        "pace_q4": "四季度进度",
        "tolerance": "容差",
        "accumulation": "累计方式",
        "position": "顺序",
        "item_id": "所属事项",
    },
    "actual": {"value": "实际值", "note": "实际值说明"},
    "progress": {"status": "状态", "text": "进展情况"},
    "department": {"name": "名称", "position": "顺序"},
    "quarter_lock": {
        "locked": "锁定",
        "locked_at": "锁定时间",
        "locked_by": "锁定人",
        "snapshot": "锁定时的数据",
    },
}

CONFLICT_KINDS = {
    "field": "双方都修改了此项",
    "deleted_there": "副本中已删除，但本文件中此后有修改",
    "deleted_here": "本文件中已删除，但副本中有修改",
    "department_in_use": "副本中删除了此单位，但本文件此后仍在使用它",
    "locked": "季度已锁定，未合并",
    "name_taken": "本文件中已有同名单位，未改名",
}

OPS = {
    "insert": "新增",
    "update": "修改",
    "delete": "删除",
    "alias": "合并重复",
    "renumber": "重新编号",
}

RowLookup = Callable[[str, str], Mapping[str, Any] | None]


def quarter_name(quarter: Any) -> str:
    try:
        return CHINESE_QUARTERS[int(quarter) - 1]
    except (TypeError, ValueError, IndexError):
        return "某季度"


class Namer:
    """Names rows and values; ``lookup(table, id)`` finds a row in whichever file has it."""

    def __init__(self, lookup: RowLookup) -> None:
        self.lookup = lookup

    def _row(self, tbl: str, row_id: Any) -> Mapping[str, Any]:
        if not isinstance(row_id, str):
            return {}
        return self.lookup(tbl, row_id) or {}

    def department(self, department_id: Any) -> str:
        if department_id in (None, ""):
            return "（无）"
        row = self._row("department", department_id)
        return str(row["name"]) if row.get("name") else "（已删除的单位）"

    def item(self, item_id: Any, row: Mapping[str, Any] | None = None) -> str:
        row = row or self._row("item", item_id)
        return f"事项 {row.get('number', '?')}"

    def thing(self, tbl: str, row_id: str, row: Mapping[str, Any] | None = None) -> str:
        """事项 12 / 指标“新增注册企业”（事项 2） / 单位“区数据局” / 事项 5 的第二季度进展 …"""
        row = row or self._row(tbl, row_id)
        if tbl == "item":
            title = row.get("title")
            return f"事项 {row.get('number', '?')}" + (f"“{title}”" if title else "")
        if tbl == "indicator":
            owner = self.item(row.get("item_id"))
            return f"指标“{row.get('name', '?')}”（{owner}）"
        if tbl == "actual":
            indicator = self._row("indicator", row.get("indicator_id"))
            owner = self.item(indicator.get("item_id"))
            return (
                f"指标“{indicator.get('name', '?')}”（{owner}）的{quarter_name(row.get('quarter'))}"
            )
        if tbl == "progress":
            return f"{self.item(row.get('item_id'))} 的{quarter_name(row.get('quarter'))}"
        if tbl == "chapter":
            return f"章节 {row.get('numeral', '?')}、{row.get('title', '?')}"
        if tbl == "department":
            return f"单位“{row.get('name', '?')}”"
        if tbl == "plan":
            return f"{row.get('year', '?')}年计划"
        if tbl == "quarter_lock":
            return f"{quarter_name(row.get('quarter'))}的锁定"
        return "一条记录"

    def field(self, tbl: str, field: str | None) -> str:
        if field is None:
            return ""
        return FIELD_NAMES.get(tbl, {}).get(field, "其他内容")

    def value(self, tbl: str, field: str | None, value: Any) -> str:
        if field == "lead_department_id":
            return self.department(value)
        if field == "co_department_ids":
            ids = json.loads(value) if isinstance(value, str) and value else []
            return "、".join(self.department(i) for i in ids) or "（无）"
        if field == "chapter_id":
            return self.thing("chapter", value) if value else "（无）"
        if field == "item_id":
            return self.item(value) if value else "（无）"
        if field == "locked":
            return "已锁定" if value else "未锁定"
        if field == "snapshot":
            return "（数据快照）" if value else "（无）"
        return plain_value(value)

    def label(self, tbl: str, row_id: str, field: str | None) -> str:
        """What a change touches: 事项 12 的牵头单位 / 指标“…”（事项 2）的第二季度实际值."""
        thing = self.thing(tbl, row_id)
        if tbl in ("actual", "progress"):  # the thing ends in the quarter: …的第二季度
            default = "实际值" if tbl == "actual" else "进展"
            return thing + (self.field(tbl, field) if field else default)
        if field is None:
            return thing
        if tbl == "item":  # 事项 12 的牵头单位
            return f"{self.item(row_id)} 的{self.field(tbl, field)}"
        return f"{thing}的{self.field(tbl, field)}"


def plain_value(value: Any) -> str:
    if value is None or value == "":
        return "（空）"
    if isinstance(value, dict):
        return "（整条记录）"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def sentence(op: str, label: str, ours: str, theirs: str) -> str:
    """One change in words: 事项 12 的牵头单位：区商务委 → 区数据局."""
    if op == "update":
        return f"{label}：{ours} → {theirs}"
    if op == "insert":
        return f"新增 {label}"
    if op == "delete":
        return f"删除 {label}（连同其下的内容）"
    return f"{OPS.get(op, op)} {label}：{theirs}" if theirs else f"{OPS.get(op, op)} {label}"


def conflict_sentence(kind: str, label: str, ours: str, theirs: str) -> str:
    return f"{CONFLICT_KINDS.get(kind, kind)}：{label}（本文件：{ours}；副本：{theirs}）"


def duplicate_numbers(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """Items sharing a number within a plan (``rows``: year, number, title), in words."""
    seen: dict[tuple[Any, Any], list[str]] = {}
    for row in rows:
        seen.setdefault((row["year"], row["number"]), []).append(str(row["title"]))
    return [
        f"{year}年计划中有 {len(titles)} 个事项都编号为 {number}：" + "、".join(titles)
        for (year, number), titles in sorted(seen.items())
        if len(titles) > 1
    ]
