"""The quarterly table an export writes and an import reads back: its columns, its rows (an
item or an indicator each) and the workbook properties that tie it to a plan and quarter."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from ...plan.model import Item, ItemStatus
from ...plan.progress import Rag
from ...workspace import Workspace, describe_target

Layout = Literal["flat", "chapters"]
LAYOUTS: tuple[str, ...] = ("flat", "chapters")
# Custom document properties that tie a workbook to the plan and quarter it was made from.
PROP_PLAN = "jingan.plan_id"
PROP_QUARTER = "jingan.quarter"
PROP_EXPORTED = "jingan.exported_at"
# What each exported value was, as short fingerprints spread over properties of at most 255
# characters (what Excel keeps): an import can then tell a value the clerk changed in the
# workbook from one that changed in the plan file after the export.
PROP_VALUES = "jingan.exported_values."
MAX_CELL_CHARS = 32767  # Excel's limit for one cell


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    width: float


COLUMNS: tuple[Column, ...] = (
    Column("id", "ID", 10),
    Column("type", "类型", 6),
    Column("number", "编号", 7),
    Column("name", "名称", 40),
    Column("target", "目标", 20),
    Column("target_value", "目标值", 12),
    Column("unit", "单位", 9),
    Column("actual", "本期实际", 12),
    Column("completion", "完成率", 9),
    Column("rag", "状态", 8),
    Column("status", "填报状态", 10),
    Column("lead", "牵头单位", 16),
    Column("progress", "进展情况", 60),
)
HEADERS: tuple[str, ...] = tuple(c.header for c in COLUMNS)
INDEX = {c.key: i + 1 for i, c in enumerate(COLUMNS)}  # 1-based column numbers


@dataclass(frozen=True)
class ReportRow:
    """One line of the quarterly table: an item or one of its indicators."""

    row_id: str
    kind: Literal["item", "indicator"]
    chapter_id: str
    number: str  # "2" for an item, "2.1" for its first indicator
    name: str
    target: str
    target_value: float | None
    unit: str
    actual: float | None
    completion: float | None  # share: 0.5 = 50 %
    rag: Rag
    status: ItemStatus | None
    lead: str
    progress: str

    @property
    def type_label(self) -> str:
        return "事项" if self.kind == "item" else "指标"


def involves(item: Item, department: str) -> bool:
    """Whether ``department`` leads the item or helps with it."""
    return item.lead_department == department or department in item.co_departments


def report_rows(workspace: Workspace, department: str | None = None) -> list[ReportRow]:
    """The quarter's rows in plan order; only the items ``department`` leads or helps with
    (and their indicators) when one is given."""
    rows: list[ReportRow] = []
    quarter = workspace.quarter
    for chapter in workspace.plan.chapters:
        for item in chapter.items:
            if department and not involves(item, department):
                continue
            assert item.id is not None and chapter.id is not None
            evaluation = workspace.evaluation(item.id)
            progress = workspace.progress_of(item.id, quarter)
            lead = item.lead_department or ""
            rows.append(
                ReportRow(
                    row_id=item.id,
                    kind="item",
                    chapter_id=chapter.id,
                    number=str(item.number),
                    name=item.title,
                    target="",
                    target_value=None,
                    unit="",
                    actual=None,
                    completion=evaluation.completion,
                    rag=evaluation.status,
                    status=progress.status if progress else None,
                    lead=lead,
                    progress=progress.text if progress else "",
                )
            )
            for position, indicator in enumerate(item.indicators, 1):
                assert indicator.id is not None
                evaluation = workspace.evaluation(indicator.id)
                actual = workspace.actual(indicator.id, quarter)
                rows.append(
                    ReportRow(
                        row_id=indicator.id,
                        kind="indicator",
                        chapter_id=chapter.id,
                        number=f"{item.number}.{position}",
                        name=indicator.name,
                        target=describe_target(indicator),
                        target_value=indicator.value,
                        unit=indicator.unit,
                        actual=actual.value if actual else None,
                        completion=evaluation.completion,
                        rag=evaluation.status,
                        status=None,
                        lead=lead,
                        progress="",
                    )
                )
    return rows


def cell_text(text: str) -> str:
    """Text as a cell can hold it: line breaks as ``\\n`` (what Excel stores), characters XML
    cannot carry dropped (a vertical tab, Word's manual line break, becomes ``\\n``), and at
    most Excel's 32767 characters. The import compares stored text in this form."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x0b", "\n")
    text = ILLEGAL_CHARACTERS_RE.sub("", text)
    return text[:MAX_CELL_CHARS]


# --- fingerprints of the exported values -------------------------------------------------------

_PER_PROPERTY = 13  # entries of 17 characters, comma-separated: 233 characters


def _digest(text: str, length: int) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:length]


def fingerprint_key(row_id: str, field: str) -> str:
    """Which value: the row's ID and the field (``actual``, ``status``, ``text``)."""
    return _digest(row_id, 8) + field[0]


def fingerprint(field: str, value: Any) -> str:
    """The value as an import compares it: numbers to 12 digits, text as a cell holds it."""
    if field == "actual":
        shown = "" if value is None else format(float(value), ".12g")
    elif field == "text":
        shown = cell_text(value or "")
    else:
        shown = value or ""
    return _digest(f"{field}:{shown}", 8)


def exported_values(rows: Iterable[ReportRow]) -> dict[str, str]:
    """The custom properties that record what the export wrote for ``rows``."""
    entries = []
    for row in rows:
        if row.kind == "indicator":
            fields: tuple[tuple[str, Any], ...] = (("actual", row.actual),)
        else:
            status = row.status.value if row.status else None
            fields = (("status", status), ("text", row.progress))
        entries += [fingerprint_key(row.row_id, f) + fingerprint(f, v) for f, v in fields]
    return {
        f"{PROP_VALUES}{n // _PER_PROPERTY + 1:03d}": ",".join(entries[n : n + _PER_PROPERTY])
        for n in range(0, len(entries), _PER_PROPERTY)
    }


def read_exported_values(properties: dict[str, str]) -> dict[str, str]:
    """Fingerprint by key, from a workbook's custom properties (empty for an older export)."""
    found: dict[str, str] = {}
    for name, value in properties.items():
        if name.startswith(PROP_VALUES):
            for entry in value.split(","):
                if len(entry) == 17:
                    found[entry[:9]] = entry[9:]
    return found
