"""Excel export and import of one quarter's figures (openpyxl; no Qt).

**Export** writes one row per item and one row per indicator, in plan order, either on one
sheet (``layout="flat"``) or on one sheet per chapter (``layout="chapters"``), with the columns
of :data:`COLUMNS`: a hidden ``ID`` column (the row's UUID, what the import matches on), then
类型, 编号, 名称, 目标, 目标值, 单位, 本期实际, 完成率, 状态, 填报状态, 牵头单位, 进展情况.
Numbers are numeric cells. Every text cell is a plain string cell — never a formula — and one
that starts with ``= + - @``, a tab or a line break also carries Excel's "quote prefix" so
Excel keeps showing it as the literal text it is (CWE-1236). The workbook is written to a
temporary file beside the target and renamed into place.

**Import** reads 本期实际, 填报状态 and 进展情况 back from such a workbook (either layout; any
sheet with an ``ID`` header, columns found by their header), in two steps:
:func:`preview_import` lists every change and every problem (with sheet and row) without
writing, :func:`apply_import` writes the changes in one transaction (source ``import``), each
expecting the value the preview saw, so a value changed meanwhile raises ``ConflictError``
and nothing is written. An empty cell leaves the stored value as it is (an import never
clears anything); other columns are ignored.
"""

from __future__ import annotations

import contextlib
import io
import math
import os
import re
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Literal

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.packaging.custom import StringProperty
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from ..plan.model import Chapter, Item, ItemStatus, PlanData, Quarter
from ..plan.numbers import NumberFormatError, fold_width, format_number, parse_number
from ..plan.progress import Rag
from ..storage.files import os_reason, write_atomically
from ..storage.store import QuarterLockedError, Store
from ..workspace import Workspace, describe_target
from .excel_errors import ExcelError, ExcelFormatError, ExcelWriteError

Layout = Literal["flat", "chapters"]
LAYOUTS: tuple[str, ...] = ("flat", "chapters")

SUMMARY = "导入Excel"
SOURCE = "import"

# Custom document properties that tie a workbook to the plan and quarter it was made from.
PROP_PLAN = "jingan.plan_id"
PROP_QUARTER = "jingan.quarter"
PROP_EXPORTED = "jingan.exported_at"

MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_ROWS = 5000  # per sheet; a plan has about a hundred
MAX_COLUMNS = 60
HEADER_SEARCH_ROWS = 10
MAX_CELL_CHARS = 32767  # Excel's limit for one cell
SHEET_TITLE_MAX = 31
_SHEET_TITLE_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
# Excel and other spreadsheets treat text starting with these as a formula when typed or
# pasted; such text gets the quote prefix.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n")
_ZIP_MAGIC = b"PK\x03\x04"
_OLE2_MAGIC = bytes.fromhex("d0cf11e0a1b11ae1")  # .xls, and password-protected .xlsx


# --- errors ----------------------------------------------------------------------------------


# The error classes live apart so the UI can name them without importing openpyxl.
__all__ = ["ExcelError", "ExcelFormatError", "ExcelWriteError"]


# --- the columns -----------------------------------------------------------------------------


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
_INDEX = {c.key: i + 1 for i, c in enumerate(COLUMNS)}  # 1-based column numbers
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


# --- export ----------------------------------------------------------------------------------


def cell_text(text: str) -> str:
    """Text as a cell can hold it: line breaks as ``\\n`` (what Excel stores), characters XML
    cannot carry dropped (a vertical tab, Word's manual line break, becomes ``\\n``), and at
    most Excel's 32767 characters. The import compares stored text in this form."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x0b", "\n")
    text = ILLEGAL_CHARACTERS_RE.sub("", text)
    return text[:MAX_CELL_CHARS]


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
        put_text(ws, r, _INDEX["id"], row.row_id)
        put_text(ws, r, _INDEX["type"], row.type_label)
        put_text(ws, r, _INDEX["number"], row.number)
        put_text(ws, r, _INDEX["name"], row.name)
        put_text(ws, r, _INDEX["target"], row.target)
        put_number(ws, r, _INDEX["target_value"], row.target_value)
        put_text(ws, r, _INDEX["unit"], row.unit)
        put_number(ws, r, _INDEX["actual"], row.actual)
        put_number(ws, r, _INDEX["completion"], row.completion, PERCENT_FORMAT)
        put_text(ws, r, _INDEX["rag"], row.rag.label)
        put_text(ws, r, _INDEX["status"], row.status.value if row.status else None)
        put_text(ws, r, _INDEX["lead"], row.lead)
        put_text(ws, r, _INDEX["progress"], row.progress)
        for column in range(1, len(COLUMNS) + 1):
            cell = ws.cell(row=r, column=column)
            cell.alignment = _WRAP_TOP if column in (_INDEX["name"], _INDEX["progress"]) else _TOP
            if row.kind == "item":
                cell.fill = _ITEM_FILL
        if row.kind == "item":
            ws.cell(row=r, column=_INDEX["name"]).font = _HEADER_FONT
            statuses.add(ws.cell(row=r, column=_INDEX["status"]).coordinate)
        fill = _RAG_FILLS.get(row.rag)
        if fill is not None:
            ws.cell(row=r, column=_INDEX["rag"]).fill = fill
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


# --- import: what the preview holds ----------------------------------------------------------

Field = Literal["actual", "status", "text"]
IMPORT_LABELS: dict[str, str] = {"actual": "本期实际", "status": "填报状态", "text": "进展情况"}


@dataclass(frozen=True)
class ImportChange:
    """One value the import would change."""

    row_id: str  # the indicator (actual) or item (status, text)
    field: Field
    old: Any  # the plan file's value when previewed (the write expects it): number | None,
    # status str | None or text str
    new: Any
    number: str  # 编号 and 名称 of the row, for display
    name: str
    sheet: str
    row: int  # 1-based row number in the sheet

    @property
    def label(self) -> str:
        return IMPORT_LABELS[self.field]


@dataclass(frozen=True)
class ImportProblem:
    """Something in the workbook that cannot be imported; nothing is taken from that cell."""

    sheet: str  # "" for the workbook as a whole
    row: int | None
    code: str  # unknown_id, missing_id, duplicate_id, bad_number, bad_status, formula,
    # not_applicable, quarter_mismatch, plan_mismatch, too_many_rows, no_sheet
    message: str  # Chinese, for the user
    row_id: str | None = None

    def __str__(self) -> str:
        where = f"“{self.sheet}”第{self.row}行" if self.row is not None else self.sheet
        return f"{where}：{self.message}" if where else self.message


@dataclass
class ImportPreview:
    path: Path
    plan_id: str
    quarter: int
    changes: list[ImportChange] = field(default_factory=list)
    problems: list[ImportProblem] = field(default_factory=list)
    rows_read: int = 0  # rows with a known or unknown ID
    sheets: list[str] = field(default_factory=list)  # sheets that held an ID column
    locked: bool = False  # the quarter is locked: applying will be refused
    file_quarter: str | None = None  # the quarter the workbook was exported for, if known

    @property
    def ok(self) -> bool:
        return not self.problems


# --- import: reading the workbook ------------------------------------------------------------


@dataclass(frozen=True)
class _Cell:
    value: Any
    data_type: str
    number_format: str


_EMPTY = _Cell(None, "n", "General")


@dataclass
class _Sheet:
    title: str
    header_row: int
    columns: dict[str, int]  # header → 0-based index
    rows: list[tuple[int, list[_Cell]]]  # (1-based row number, cells)
    truncated: bool = False


@dataclass
class _Book:
    sheets: list[_Sheet]
    properties: dict[str, str]


def _read_bytes(path: Path) -> bytes:
    try:
        size = path.stat().st_size
        if path.is_dir():
            raise ExcelError(path, "is a folder, not a workbook")
        if size > MAX_FILE_BYTES:
            raise ExcelFormatError(path, f"too large for a plan workbook ({size} bytes)")
        return path.read_bytes()
    except FileNotFoundError as exc:
        raise ExcelError(path, "file not found") from exc
    except PermissionError as exc:
        raise ExcelError(path, "permission denied") from exc
    except OSError as exc:
        raise ExcelError(path, exc.strerror or str(exc)) from exc


def _check_magic(path: Path, data: bytes) -> None:
    if not data:
        raise ExcelFormatError(path, "empty file, not an Excel workbook")
    if data.startswith(_OLE2_MAGIC):
        raise ExcelFormatError(
            path,
            "an old-style .xls or a password-protected workbook; save it in Excel as "
            ".xlsx without a password",
        )
    if not data.startswith(_ZIP_MAGIC):
        raise ExcelFormatError(path, "not an Excel .xlsx workbook")


def _header_columns(rows: Iterable[tuple[int, list[_Cell]]]) -> tuple[int, dict[str, int]] | None:
    for number, cells in rows:
        names = [str(c.value).strip() if isinstance(c.value, str) else None for c in cells]
        if any(n is not None and n.casefold() == "id" for n in names):
            columns: dict[str, int] = {}
            for index, name in enumerate(names):
                if name is None:
                    continue
                key = "ID" if name.casefold() == "id" else name
                columns.setdefault(key, index)
            return number, columns
    return None


def _load_book(path: Path, data: bytes, data_only: bool) -> _Book:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about features it drops
            wb = load_workbook(
                io.BytesIO(data), read_only=True, data_only=data_only, keep_links=False
            )
            try:
                properties = {
                    p.name: str(p.value)
                    for p in wb.custom_doc_props
                    if isinstance(p, StringProperty) and p.value is not None
                }
                sheets: list[_Sheet] = []
                for ws in wb.worksheets:
                    rows: list[tuple[int, list[_Cell]]] = []
                    truncated = False
                    for number, raw in enumerate(
                        ws.iter_rows(min_row=1, max_row=MAX_ROWS + 1, max_col=MAX_COLUMNS), 1
                    ):
                        if number > MAX_ROWS:
                            truncated = True
                            break
                        cells = [
                            _Cell(c.value, c.data_type, c.number_format or "General")
                            if c.value is not None
                            else _EMPTY
                            for c in raw
                        ]
                        rows.append((number, cells))
                    header = _header_columns(rows[:HEADER_SEARCH_ROWS])
                    if header is None:
                        continue
                    header_row, columns = header
                    sheets.append(
                        _Sheet(
                            ws.title,
                            header_row,
                            columns,
                            [r for r in rows if r[0] > header_row],
                            truncated,
                        )
                    )
            finally:
                wb.close()
    except ExcelError:
        raise
    except Exception as exc:  # zipfile, XML, KeyError for missing parts, openpyxl's own …
        raise ExcelFormatError(
            path, f"damaged or not an Excel .xlsx workbook ({type(exc).__name__})"
        ) from exc
    return _Book(sheets, properties)


def _read_workbook(path: str | os.PathLike[str]) -> tuple[_Book, _Book | None]:
    """The workbook's sheets as stored and, if any cell holds a formula, as last computed."""
    path = Path(path)
    data = _read_bytes(path)
    _check_magic(path, data)
    book = _load_book(path, data, data_only=False)
    has_formula = any(
        cell.data_type == "f" for sheet in book.sheets for _, cells in sheet.rows for cell in cells
    )
    return book, _load_book(path, data, data_only=True) if has_formula else None


# --- import: preview and apply ---------------------------------------------------------------


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


def _number(cell: _Cell, computed: _Cell | None, unit: str) -> float:
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


def _text(cell: _Cell, what: str) -> str:
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
    book, computed_book = _read_workbook(path)
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

    def read(
        self, sheet: _Sheet, number: int, cells: list[_Cell], computed: list[_Cell] | None
    ) -> None:
        def cell(header: str, row: list[_Cell] | None = cells) -> _Cell:
            index = sheet.columns.get(header)
            if row is None or index is None or index >= len(row):
                return _EMPTY
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
        sheet, row, _ = self.where
        self.preview.changes.append(ImportChange(row_id, field, old, new, number, name, sheet, row))

    def indicator_row(self, row_id: str, values: dict[str, _Cell], computed: _Cell) -> None:
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

    def item_row(self, row_id: str, values: dict[str, _Cell]) -> None:
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


def _status(cell: _Cell) -> str:
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
