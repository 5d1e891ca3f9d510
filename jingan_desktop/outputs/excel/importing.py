"""Import: the rows read from a workbook turned into a preview of changes and problems, and the
preview's changes applied in one transaction."""

from __future__ import annotations

import contextlib
import math
import os
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from ...plan.model import ItemStatus, PlanData, Quarter
from ...plan.numbers import NumberFormatError, fold_width, format_number, parse_number
from ...storage.store import QuarterLockedError, Store
from .preview import IMPORT_LABELS, Field, ImportChange, ImportPreview, ImportProblem
from .reading import EMPTY_CELL, MAX_ROWS, Cell, Sheet, read_workbook
from .table import (
    PROP_PLAN,
    PROP_QUARTER,
    cell_text,
    fingerprint,
    fingerprint_key,
    read_exported_values,
)

SUMMARY = "导入Excel"
SOURCE = "import"


class _Bad(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _shown(value: Any) -> str:
    if isinstance(value, float | int) and not isinstance(value, bool):
        return format_number(value)
    return str(value)


def _number(cell: Cell, computed: Cell | None, unit: str) -> float:
    value = cell.value
    number_format = cell.number_format
    if cell.data_type == "f":
        if computed is None or _blank(computed.value) or computed.data_type == "f":
            raise _Bad("formula", f"本期实际是公式（{value}），没有计算结果；请粘贴为数值")
        value, number_format = computed.value, computed.number_format
    if isinstance(value, bool):
        raise _Bad("bad_number", f"本期实际“{_shown(value)}”不是数字")
    if isinstance(value, datetime | date | time | timedelta):
        raise _Bad("bad_number", "本期实际是日期，不是数字（请把单元格格式设为“常规”）")
    if isinstance(value, int | float):
        number = float(value)
        if "%" in number_format:  # 95% typed in Excel is stored as 0.95
            number = float(f"{number * 100:.12g}")
    else:
        text = fold_width(str(value)).strip()
        if unit == "%" and text.endswith("%"):
            text = text[:-1]
        try:
            number = parse_number(text, unit)
        except NumberFormatError:
            raise _Bad("bad_number", f"本期实际“{value}”不是数字") from None
    if not math.isfinite(number):
        raise _Bad("bad_number", f"本期实际“{_shown(value)}”不是有限的数字")
    return number


def _text(cell: Cell, what: str) -> str:
    if cell.data_type == "f":
        raise _Bad("formula", f"{what}是公式（{cell.value}）；请输入文字")
    value = cell.value
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    return cell_text(_shown(value))


def _same_number(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def preview_import(
    store: Store, plan_id: str | None, quarter: int, path: str | os.PathLike[str]
) -> ImportPreview:
    """What importing ``path`` into ``quarter`` (1–4) of the plan would change; writes nothing.

    Raises :class:`ExcelFormatError` for a file that is not a readable .xlsx workbook (and
    :class:`ExcelError` for one that cannot be opened at all); everything wrong inside the
    workbook is listed in ``problems`` with its sheet and row.
    """
    path = Path(path)
    book, computed_book = read_workbook(path)
    data = store.load(plan_id)
    assert data.plan.id is not None
    preview = ImportPreview(path, data.plan.id, quarter, locked=data.is_locked(quarter))
    _check_origin(preview, data, book.properties)
    if not book.sheets:
        preview.problems.append(
            ImportProblem("", None, "no_sheet", "没有找到含“ID”列的工作表（应为本软件导出的表格）")
        )
        return preview
    computed = {s.title: dict(s.rows) for s in computed_book.sheets} if computed_book else {}
    reader = _RowReader(data, preview)
    if book.properties.get(PROP_QUARTER) == Quarter(data.plan.year, quarter).code:
        reader.exported = read_exported_values(book.properties)
    for sheet in book.sheets:
        preview.sheets.append(sheet.title)
        if sheet.truncated:
            preview.problems.append(
                ImportProblem(
                    sheet.title, None, "too_many_rows", f"超过 {MAX_ROWS} 行，其余行未读取"
                )
            )
        for number, cells in sheet.rows:
            reader.read(sheet, number, cells, computed.get(sheet.title, {}).get(number))
    return preview


class _RowReader:
    """Turns the rows of the sheets into the preview's changes and problems."""

    def __init__(self, data: PlanData, preview: ImportPreview) -> None:
        self.data = data
        self.preview = preview
        self.quarter = preview.quarter
        self.items = {item.id: item for item in data.plan.items()}
        self.indicators = {
            ind.id: (item, position, ind)
            for item in data.plan.items()
            for position, ind in enumerate(item.indicators, 1)
        }
        self.seen: dict[str, tuple[str, int]] = {}
        self.where: tuple[str, int, str] = ("", 0, "")  # the row being read: sheet, row, ID
        self.exported: dict[str, str] = {}  # fingerprints of the values the export wrote

    def read(
        self, sheet: Sheet, number: int, cells: list[Cell], computed: list[Cell] | None
    ) -> None:
        def cell(header: str, row: list[Cell] | None = cells) -> Cell:
            index = sheet.columns.get(header)
            if row is None or index is None or index >= len(row):
                return EMPTY_CELL
            return row[index]

        raw_id = cell("ID").value
        row_id = str(raw_id).strip() if raw_id is not None else ""
        self.where = (sheet.title, number, row_id)
        values = {header: cell(header) for header in IMPORT_LABELS.values()}
        if not row_id:
            if any(not _blank(v.value) for v in values.values()):
                self.problem("missing_id", "没有ID，无法对应到计划中的条目（新增的行不能导入）")
            return
        self.preview.rows_read += 1
        if row_id in self.seen:
            first_sheet, first_row = self.seen[row_id]
            self.problem(
                "duplicate_id", f"ID 重复（已在“{first_sheet}”第{first_row}行出现），本行未导入"
            )
            return
        self.seen[row_id] = (sheet.title, number)
        if row_id in self.indicators:
            self.indicator_row(row_id, values, cell("本期实际", computed))
        elif row_id in self.items:
            self.item_row(row_id, values)
        else:
            self.problem("unknown_id", f"ID“{row_id}”不是本计划中的事项或指标")

    def problem(self, code: str, message: str) -> None:
        sheet, number, row_id = self.where
        self.preview.problems.append(ImportProblem(sheet, number, code, message, row_id or None))

    def change(self, row_id: str, field: Field, old: Any, new: Any, number: str, name: str):
        exported = self.exported.get(fingerprint_key(row_id, field))
        if exported is not None:  # the workbook says what it held when it was exported
            if fingerprint(field, new) == exported:
                return  # not changed in the workbook: the plan file's newer value stays
            if fingerprint(field, old) != exported:
                shown = "（空）" if old is None or old == "" else _shown(old)
                self.problem(
                    "changed_since_export",
                    f"{IMPORT_LABELS[field]}在导出后已在计划文件中改为“{shown}”，"
                    f"与表格中的“{_shown(new)}”冲突，本格未导入（请重新导出后再填写）",
                )
                return
        sheet, row, _ = self.where
        self.preview.changes.append(ImportChange(row_id, field, old, new, number, name, sheet, row))

    def indicator_row(self, row_id: str, values: dict[str, Cell], computed: Cell) -> None:
        item, position, indicator = self.indicators[row_id]
        for header in ("填报状态", "进展情况"):
            if not _blank(values[header].value):
                self.problem("not_applicable", f"指标行不填“{header}”，请填在事项行上")
        actual_cell = values["本期实际"]
        if _blank(actual_cell.value):
            return
        try:
            new = _number(actual_cell, computed, indicator.unit)
        except _Bad as bad:
            self.problem(bad.code, bad.message)
            return
        record = self.data.actual(row_id, self.quarter)
        old = record.value if record else None
        if not _same_number(old, new):
            self.change(row_id, "actual", old, new, f"{item.number}.{position}", indicator.name)

    def item_row(self, row_id: str, values: dict[str, Cell]) -> None:
        item = self.items[row_id]
        if not _blank(values["本期实际"].value):
            self.problem("not_applicable", "事项行不填“本期实际”，请填在指标行上")
        record = self.data.progress_for(row_id, self.quarter)
        status_cell, text_cell = values["填报状态"], values["进展情况"]
        try:
            if not _blank(status_cell.value):
                status = _status(status_cell)
                old_status = record.status.value if record and record.status else None
                if status != old_status:
                    self.change(row_id, "status", old_status, status, str(item.number), item.title)
        except _Bad as bad:
            self.problem(bad.code, bad.message)
        try:
            if not _blank(text_cell.value):
                text = _text(text_cell, "进展情况")
                old_text = record.text if record else ""
                if cell_text(old_text) != text:
                    self.change(row_id, "text", old_text, text, str(item.number), item.title)
        except _Bad as bad:
            self.problem(bad.code, bad.message)


def _status(cell: Cell) -> str:
    text = _text(cell, "填报状态").strip()
    try:
        return ItemStatus(text).value
    except ValueError:
        choices = "、".join(s.value for s in ItemStatus)
        raise _Bad("bad_status", f"填报状态“{text}”无效，应为{choices}之一") from None


def _check_origin(preview: ImportPreview, data: PlanData, properties: dict[str, str]) -> None:
    exported_for = properties.get(PROP_QUARTER)
    preview.file_quarter = exported_for
    here = Quarter(data.plan.year, preview.quarter)
    if exported_for and exported_for != here.code:
        label = exported_for
        with contextlib.suppress(ValueError):
            label = Quarter.parse(exported_for).label
        preview.problems.append(
            ImportProblem(
                "",
                None,
                "quarter_mismatch",
                f"该表格导出的是{label}的数据，不能导入{here.label}",
            )
        )
    exported_plan = properties.get(PROP_PLAN)
    if exported_plan and exported_plan != data.plan.id:
        preview.problems.append(
            ImportProblem("", None, "plan_mismatch", "该表格是从另一个计划文件导出的，ID 无法对应")
        )


def apply_import(store: Store, preview: ImportPreview) -> int:
    """Write the preview's changes in one transaction (source ``import``, summary "导入Excel");
    returns how many values were changed.

    Each write expects the value the preview saw: if anything changed meanwhile the store
    raises ``ConflictError`` and nothing is written; a locked quarter raises
    ``QuarterLockedError`` before anything is written. Problems in the preview are not
    looked at: only its changes are applied.
    """
    quarter = preview.quarter
    locked = store.rows(
        "SELECT locked FROM quarter_lock WHERE plan_id = ? AND quarter = ?",
        (preview.plan_id, quarter),
    )
    if locked and locked[0]["locked"]:
        raise QuarterLockedError(quarter)
    if not preview.changes:
        return 0
    with store.write(SUMMARY, SOURCE):
        for change in preview.changes:
            if change.field == "actual":
                store.set_actual(
                    change.row_id, quarter, change.new, expected_value=change.old, source=SOURCE
                )
            elif change.field == "status":
                store.set_progress(
                    change.row_id,
                    quarter,
                    status=change.new,
                    expected_status=change.old,
                    source=SOURCE,
                )
            else:
                store.set_progress(
                    change.row_id, quarter, text=change.new, expected_text=change.old, source=SOURCE
                )
    return len(preview.changes)
