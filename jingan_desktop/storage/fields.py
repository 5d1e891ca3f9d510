"""The rows the store keeps and the values their fields may hold.

What a user may edit per table, which rows hang off which, the ids every copy of a file
agrees on, and the checks a value passes before it is written.
"""

from __future__ import annotations

import functools
import json
import math
from datetime import date
from typing import TYPE_CHECKING, Any

from ..plan.model import Accumulation, Comparator, Indicator, Item, ItemStatus, Kind
from .errors import InvalidValueError

if TYPE_CHECKING:
    import uuid


@functools.cache
def _namespace() -> uuid.UUID:
    """A fixed namespace for the name-based ids of (row, quarter) pairs."""
    import uuid

    return uuid.UUID("6b0c62e4-35a4-4e0e-9d1d-8a3c2f6f0b9e")


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()

# What a user may change, per table. Anything else is managed by the store itself.
EDITABLE: dict[str, frozenset[str]] = {
    "plan": frozenset({"title", "issuer", "issued_on", "preamble", "source_text"}),
    "chapter": frozenset({"numeral", "title", "intro", "position"}),
    "item": frozenset(
        {
            "number",
            "title",
            "text",
            "section",
            "lead_department_id",
            "co_department_ids",
            "due_date",
            "weight",
            "position",
            "chapter_id",
        }
    ),
    "indicator": frozenset(
        {
            "name",
            "text",
            "span_start",
            "span_end",
            "value",
            "unit",
            "comparator",
            "kind",
            "stretch_value",
            "weight",
            "pace_q1",
            "pace_q2",
            "pace_q3",
            "pace_q4",
            "tolerance",
            "accumulation",
            "position",
            "item_id",
        }
    ),
    "actual": frozenset({"value", "note"}),
    "progress": frozenset({"status", "text"}),
    "department": frozenset({"name", "position"}),
    "quarter_lock": frozenset({"locked", "locked_at", "locked_by", "snapshot"}),
}
TABLES = tuple(EDITABLE)
# Every table of rows a file (and each copy of it) carries, parents before children: the order
# a merge creates rows in (and removes them in reverse); then ``id_alias``, the ids a merge
# found to be the same thing, which point at rows of the others. The restore's log, the
# department file and the durability proofs walk the same list.
ROW_TABLES = (
    "department",
    "plan",
    "chapter",
    "item",
    "indicator",
    "actual",
    "progress",
    "quarter_lock",
    "id_alias",
)


# Rows removed together with their parent (the schema cascades; we log them first).
CHILDREN: dict[str, tuple[tuple[str, str], ...]] = {
    "plan": (("chapter", "plan_id"), ("quarter_lock", "plan_id")),
    "chapter": (("item", "chapter_id"),),
    "item": (("indicator", "item_id"), ("progress", "item_id")),
    "indicator": (("actual", "indicator_id"),),
}

FIELD_LABELS = {
    "value": "目标值",
    "unit": "单位",
    "comparator": "比较方式",
    "kind": "指标类型",
    "name": "名称",
    "title": "标题",
    "text": "正文",
    "due_date": "完成时限",
    "weight": "权重",
    "stretch_value": "力争值",
    "tolerance": "容差",
    "position": "顺序",
    "number": "编号",
    "issuer": "发文单位",
    "issued_on": "发文日期",
    "pace_q1": "一季度进度",
    "pace_q2": "二季度进度",
    "pace_q3": "三季度进度",
    "pace_q4": "四季度进度",
}


def pair_id(row_id: str, quarter: int) -> str:
    """The id of the (row, quarter) record: the same in every copy of the file."""
    import uuid  # ids are made by writes, not when the module loads (uuid loads platform: ~4 ms)

    return str(uuid.uuid5(_namespace(), f"{row_id}/{quarter}"))


def new_id() -> str:
    import uuid  # ids are made by writes, not when the module loads (uuid loads platform: ~4 ms)

    return str(uuid.uuid4())


def to_json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def same_value(a: object, b: object) -> bool:
    if isinstance(a, int | float) and isinstance(b, int | float) and not isinstance(a, bool):
        return float(a) == float(b)
    return a == b


def status_value(status: Any) -> str | None:
    if not status:
        return None
    try:
        return ItemStatus(status).value
    except ValueError as exc:
        raise InvalidValueError(
            "status", status, "must be one of 未启动 推进中 已完成 滞后"
        ) from exc


def finite_number(field: str, value: Any) -> float:
    """A float that SQLite stores faithfully (no NaN, no infinity, no text)."""
    if isinstance(value, bool):
        raise InvalidValueError(field, value, "not a number")
    try:
        number = float(value)
    except (TypeError, ValueError) as exc:
        raise InvalidValueError(field, value, "not a number") from exc
    if not math.isfinite(number):
        raise InvalidValueError(field, value, "not a finite number")
    return number


def validate_field(table: str, field: str, value: Any) -> Any:
    """Normalise a value for a field, or raise :class:`InvalidValueError`."""
    if field not in EDITABLE.get(table, ()):
        raise InvalidValueError(field, value, f"not an editable field of {table}")
    if field == "comparator":
        try:
            return Comparator(value).value
        except ValueError as exc:
            raise InvalidValueError(field, value, "must be one of >= <= = ~") from exc
    if field == "kind":
        try:
            return Kind(value).value
        except ValueError as exc:
            raise InvalidValueError(field, value, "unknown indicator kind") from exc
    if field == "accumulation":
        try:
            return Accumulation(value).value
        except ValueError as exc:
            raise InvalidValueError(field, value, "must be ytd or quarter") from exc
    if field in (
        "value",
        "stretch_value",
        "weight",
        "tolerance",
        "pace_q1",
        "pace_q2",
        "pace_q3",
        "pace_q4",
    ):
        if value is None and field in ("value", "stretch_value"):
            return None
        number = finite_number(field, value)
        if field in ("weight", "tolerance") and number < 0:
            raise InvalidValueError(field, value, "must not be negative")
        return number
    if field in ("due_date", "issued_on"):
        if value in (None, ""):
            return None
        try:
            return (
                value if isinstance(value, date) else date.fromisoformat(str(value))
            ).isoformat()
        except ValueError as exc:
            raise InvalidValueError(field, value, "not a date (YYYY-MM-DD)") from exc
    if field in ("name", "title") and not str(value).strip():
        raise InvalidValueError(field, value, "must not be empty")
    return value


# -- what a plan text gives a row: written when a plan is imported, and again on a re-import --


def item_text_fields(item: Item) -> dict[str, Any]:
    """An item's columns that come from the plan's text (not its departments or figures)."""
    return {"number": item.number, "title": item.title, "text": item.text, "section": item.section}


def indicator_text_fields(ind: Indicator) -> dict[str, Any]:
    """An indicator's columns that come from the plan's text (not its pace or weight)."""
    return {
        "name": ind.name,
        "text": ind.text,
        "span_start": ind.span[0] if ind.span else None,
        "span_end": ind.span[1] if ind.span else None,
        "value": ind.value,
        "unit": ind.unit,
        "comparator": ind.comparator.value,
        "kind": ind.kind.value,
        "stretch_value": ind.stretch_value,
    }
