"""Reading a workbook for the import: the file checked, then each sheet's header row found and
its rows read as plain cells (value, type, number format)."""

from __future__ import annotations

import io
import os
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.packaging.custom import StringProperty

from ..excel_errors import ExcelError, ExcelFormatError

MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_ROWS = 5000  # per sheet; a plan has about a hundred
MAX_COLUMNS = 60
HEADER_SEARCH_ROWS = 10
_ZIP_MAGIC = b"PK\x03\x04"
_OLE2_MAGIC = bytes.fromhex("d0cf11e0a1b11ae1")  # .xls, and password-protected .xlsx


@dataclass(frozen=True)
class Cell:
    value: Any
    data_type: str
    number_format: str


EMPTY_CELL = Cell(None, "n", "General")


@dataclass
class Sheet:
    title: str
    header_row: int
    columns: dict[str, int]  # header → 0-based index
    rows: list[tuple[int, list[Cell]]]  # (1-based row number, cells)
    truncated: bool = False


@dataclass
class Book:
    sheets: list[Sheet]
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


def _header_columns(rows: Iterable[tuple[int, list[Cell]]]) -> tuple[int, dict[str, int]] | None:
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


def _load_book(path: Path, data: bytes, data_only: bool) -> Book:
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
                sheets: list[Sheet] = []
                for ws in wb.worksheets:
                    rows: list[tuple[int, list[Cell]]] = []
                    truncated = False
                    for number, raw in enumerate(
                        ws.iter_rows(min_row=1, max_row=MAX_ROWS + 1, max_col=MAX_COLUMNS), 1
                    ):
                        if number > MAX_ROWS:
                            truncated = True
                            break
                        cells = [
                            Cell(c.value, c.data_type, c.number_format or "General")
                            if c.value is not None
                            else EMPTY_CELL
                            for c in raw
                        ]
                        rows.append((number, cells))
                    header = _header_columns(rows[:HEADER_SEARCH_ROWS])
                    if header is None:
                        continue
                    header_row, columns = header
                    sheets.append(
                        Sheet(
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
    return Book(sheets, properties)


def read_workbook(path: str | os.PathLike[str]) -> tuple[Book, Book | None]:
    """The workbook's sheets as stored and, if any cell holds a formula, as last computed."""
    path = Path(path)
    data = _read_bytes(path)
    _check_magic(path, data)
    book = _load_book(path, data, data_only=False)
    has_formula = any(
        cell.data_type == "f" for sheet in book.sheets for _, cells in sheet.rows for cell in cells
    )
    return book, _load_book(path, data, data_only=True) if has_formula else None
