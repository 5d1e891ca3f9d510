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

The package: ``table`` (the columns and rows of the quarterly table), ``export`` (writing the
workbook), ``reading`` (checking and reading a workbook's cells), ``preview`` (what an import
preview holds) and ``importing`` (preview and apply). The error classes live in
``outputs/excel_errors.py`` so the UI can name them without loading openpyxl.
"""

from __future__ import annotations

from ..excel_errors import ExcelError, ExcelFormatError, ExcelTooLargeError, ExcelWriteError
from .export import (
    FORMULA_PREFIXES,
    FREEZE_AT,
    PERCENT_FORMAT,
    SHEET_TITLE_MAX,
    ExportResult,
    build_workbook,
    clean_sheet_title,
    export_excel,
    needs_quote_prefix,
    put_number,
    put_text,
    save_atomically,
    sheet_title,
)
from .importing import SOURCE, SUMMARY, apply_import, preview_import
from .preview import IMPORT_LABELS, Field, ImportChange, ImportPreview, ImportProblem
from .reading import HEADER_SEARCH_ROWS, MAX_COLUMNS, MAX_FILE_BYTES, MAX_ROWS
from .table import (
    COLUMNS,
    HEADERS,
    LAYOUTS,
    MAX_CELL_CHARS,
    PROP_EXPORTED,
    PROP_PLAN,
    PROP_QUARTER,
    PROP_VALUES,
    Column,
    Layout,
    ReportRow,
    cell_text,
    involves,
    report_rows,
)

__all__ = [
    "COLUMNS",
    "FORMULA_PREFIXES",
    "FREEZE_AT",
    "HEADERS",
    "HEADER_SEARCH_ROWS",
    "IMPORT_LABELS",
    "LAYOUTS",
    "MAX_CELL_CHARS",
    "MAX_COLUMNS",
    "MAX_FILE_BYTES",
    "MAX_ROWS",
    "PERCENT_FORMAT",
    "PROP_EXPORTED",
    "PROP_PLAN",
    "PROP_QUARTER",
    "PROP_VALUES",
    "SHEET_TITLE_MAX",
    "SOURCE",
    "SUMMARY",
    "Column",
    "ExcelError",
    "ExcelFormatError",
    "ExcelTooLargeError",
    "ExcelWriteError",
    "ExportResult",
    "Field",
    "ImportChange",
    "ImportPreview",
    "ImportProblem",
    "Layout",
    "ReportRow",
    "apply_import",
    "build_workbook",
    "cell_text",
    "clean_sheet_title",
    "export_excel",
    "involves",
    "needs_quote_prefix",
    "preview_import",
    "put_number",
    "put_text",
    "report_rows",
    "save_atomically",
    "sheet_title",
]
