"""Export: the quarter's table written as a workbook (one sheet, or one per chapter), every text
a literal string cell, saved atomically."""

from __future__ import annotations

import math
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.packaging.custom import StringProperty
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from ...plan.model import Chapter, ItemStatus, Quarter
from ...plan.progress import Rag
from ...storage.files import os_reason, write_atomically
from ...workspace import Workspace
from ..excel_errors import ExcelError, ExcelWriteError
from .table import (
    COLUMNS,
    INDEX,
    LAYOUTS,
    PROP_EXPORTED,
    PROP_PLAN,
    PROP_QUARTER,
    Layout,
    ReportRow,
    cell_text,
    exported_values,
    involves,
    report_rows,
)

SHEET_TITLE_MAX = 31
_SHEET_TITLE_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
# Excel and other spreadsheets treat text starting with these as a formula when typed or
# pasted; such text gets the quote prefix.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n")
FREEZE_AT = "E2"  # header row and ID … 名称 stay in view
PERCENT_FORMAT = "0.0%"
_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDE4EE")
_ITEM_FILL = PatternFill("solid", fgColor="F2F2F2")
_RAG_FILLS = {
    Rag.GREEN: PatternFill("solid", fgColor="C6EFCE"),
    Rag.AMBER: PatternFill("solid", fgColor="FFEB9C"),
    Rag.RED: PatternFill("solid", fgColor="FFC7CE"),
}
_WRAP_TOP = Alignment(wrap_text=True, vertical="top")
_TOP = Alignment(vertical="top")


def needs_quote_prefix(text: str) -> bool:
    return text.startswith(FORMULA_PREFIXES)


def put_text(ws: Worksheet, row: int, column: int, text: str | None) -> None:
    """Write ``text`` as a literal string cell: never a formula, whatever it starts with."""
    if not text:
        return
    cell = ws.cell(row=row, column=column)
    value = cell_text(text)
    cell.value = value
    cell.data_type = "s"  # openpyxl makes "=…" a formula; this is text
    if needs_quote_prefix(value):
        cell.quotePrefix = True  # Excel shows (and keeps) it as text when edited


def put_number(
    ws: Worksheet, row: int, column: int, value: float | None, number_format: str | None = None
) -> None:
    if value is None or not math.isfinite(value):
        return
    cell = ws.cell(row=row, column=column)
    cell.value = int(value) if float(value).is_integer() and abs(value) < 1e15 else float(value)
    if number_format:
        cell.number_format = number_format


def sheet_title(chapter: Chapter) -> str:
    """ "一、全力以赴稳增长": the numeral and the title up to its first comma, as Excel allows
    sheet titles (at most 31 characters, none of []:*?/\\, no leading or trailing ')."""
    short = re.split(r"[,，;；。]", chapter.title.strip(), maxsplit=1)[0].strip()
    return clean_sheet_title(f"{chapter.numeral}、{short or chapter.title}")


def clean_sheet_title(title: str) -> str:
    title = _SHEET_TITLE_FORBIDDEN.sub("_", ILLEGAL_CHARACTERS_RE.sub("", title))
    title = title.strip().strip("'").strip()[:SHEET_TITLE_MAX].strip().strip("'")
    if not title or title.casefold() == "history":  # "History" is reserved by Excel
        title = f"{title}_" if title else "Sheet"
    return title


def _unique_title(title: str, used: set[str]) -> str:
    candidate, n = title, 2
    while candidate.casefold() in used:
        suffix = f"({n})"
        candidate = title[: SHEET_TITLE_MAX - len(suffix)] + suffix
        n += 1
    used.add(candidate.casefold())
    return candidate


def _fill_sheet(ws: Worksheet, rows: Sequence[ReportRow]) -> None:
    for column, spec in enumerate(COLUMNS, 1):
        cell = ws.cell(row=1, column=column, value=spec.header)
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        ws.column_dimensions[get_column_letter(column)].width = spec.width
    ws.column_dimensions["A"].hidden = True  # the ID: for matching on import, not for reading
    ws.freeze_panes = FREEZE_AT
    statuses = DataValidation(
        type="list",
        formula1='"' + ",".join(s.value for s in ItemStatus) + '"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="填报状态",
        error="请选择：" + "、".join(s.value for s in ItemStatus),
    )
    ws.add_data_validation(statuses)
    for r, row in enumerate(rows, 2):
        put_text(ws, r, INDEX["id"], row.row_id)
        put_text(ws, r, INDEX["type"], row.type_label)
        put_text(ws, r, INDEX["number"], row.number)
        put_text(ws, r, INDEX["name"], row.name)
        put_text(ws, r, INDEX["target"], row.target)
        put_number(ws, r, INDEX["target_value"], row.target_value)
        put_text(ws, r, INDEX["unit"], row.unit)
        put_number(ws, r, INDEX["actual"], row.actual)
        put_number(ws, r, INDEX["completion"], row.completion, PERCENT_FORMAT)
        put_text(ws, r, INDEX["rag"], row.rag.label)
        put_text(ws, r, INDEX["status"], row.status.value if row.status else None)
        put_text(ws, r, INDEX["lead"], row.lead)
        put_text(ws, r, INDEX["progress"], row.progress)
        for column in range(1, len(COLUMNS) + 1):
            cell = ws.cell(row=r, column=column)
            cell.alignment = _WRAP_TOP if column in (INDEX["name"], INDEX["progress"]) else _TOP
            if row.kind == "item":
                cell.fill = _ITEM_FILL
        if row.kind == "item":
            ws.cell(row=r, column=INDEX["name"]).font = _HEADER_FONT
            statuses.add(ws.cell(row=r, column=INDEX["status"]).coordinate)
        fill = _RAG_FILLS.get(row.rag)
        if fill is not None:
            ws.cell(row=r, column=INDEX["rag"]).fill = fill
    last = get_column_letter(len(COLUMNS))
    ws.auto_filter.ref = f"A1:{last}{max(len(rows) + 1, 2)}"


def build_workbook(
    workspace: Workspace, *, layout: Layout = "flat", department: str | None = None
) -> Workbook:
    """The quarter's table as a workbook (see the module docstring)."""
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {', '.join(LAYOUTS)}, got {layout!r}")
    rows = report_rows(workspace, department)
    plan = workspace.plan
    quarter = Quarter(plan.year, workspace.quarter)
    wb = Workbook()
    wb.remove(wb.active)
    used: set[str] = set()
    if layout == "flat":
        title = quarter.label + (f" {department}" if department else "")
        _fill_sheet(wb.create_sheet(_unique_title(clean_sheet_title(title), used)), rows)
    else:
        for chapter in plan.chapters:
            chapter_rows = [r for r in rows if r.chapter_id == chapter.id]
            if department and not chapter_rows:
                continue
            ws = wb.create_sheet(_unique_title(sheet_title(chapter), used))
            _fill_sheet(ws, chapter_rows)
    if not wb.worksheets:  # a plan without chapters: still a valid (empty) workbook
        _fill_sheet(wb.create_sheet(_unique_title(clean_sheet_title(quarter.label), used)), [])
    wb.properties.title = cell_text(f"{plan.title} {quarter.label}")[:255]
    wb.properties.subject = "重点工作季度进展"
    wb.properties.creator = "jingan-desktop"
    wb.custom_doc_props.append(StringProperty(name=PROP_PLAN, value=plan.id or ""))
    wb.custom_doc_props.append(StringProperty(name=PROP_QUARTER, value=quarter.code))
    wb.custom_doc_props.append(
        StringProperty(name=PROP_EXPORTED, value=datetime.now(UTC).isoformat(timespec="seconds"))
    )
    for name, value in exported_values(rows).items():
        wb.custom_doc_props.append(StringProperty(name=name, value=value))
    return wb


@dataclass(frozen=True)
class ExportResult:
    path: Path
    sheets: list[str]
    items: int
    indicators: int

    @property
    def rows(self) -> int:
        return self.items + self.indicators


def export_excel(
    workspace: Workspace,
    path: str | os.PathLike[str],
    *,
    layout: Layout = "flat",
    department: str | None = None,
) -> ExportResult:
    """Write the workspace's quarter to ``path`` (.xlsx), replacing it whole or not at all.

    Raises :class:`ExcelError` when ``department`` has no items, :class:`ExcelWriteError`
    when the file cannot be written.
    """
    path = Path(path)
    if department and not any(involves(i, department) for i in workspace.plan.items()):
        raise ExcelError(path, f"no items are led or co-led by {department!r}")
    wb = build_workbook(workspace, layout=layout, department=department)
    save_atomically(wb, path)
    rows = report_rows(workspace, department)
    return ExportResult(
        path,
        [ws.title for ws in wb.worksheets],
        sum(1 for r in rows if r.kind == "item"),
        sum(1 for r in rows if r.kind == "indicator"),
    )


def save_atomically(wb: Workbook, path: Path) -> None:
    """Save so that the real name only ever holds a complete workbook."""
    try:
        write_atomically(path, wb.save)
    except OSError as exc:
        raise ExcelWriteError(path, _os_reason(exc)) from exc


def _os_reason(exc: OSError) -> str:
    return os_reason(exc, "Excel")
