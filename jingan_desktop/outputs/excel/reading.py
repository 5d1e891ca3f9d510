"""Reading a workbook for the import: the file checked, then each sheet's header row found and
its rows read as plain cells (value, type, number format)."""

from __future__ import annotations

import contextlib
import io
import os
import re
import warnings
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, NoReturn
from xml.etree.ElementTree import XMLPullParser

from openpyxl.cell.read_only import ReadOnlyCell
from openpyxl.packaging.custom import StringProperty
from openpyxl.reader.excel import SHARED_STRINGS, ExcelReader, _find_workbook_part
from openpyxl.styles.stylesheet import apply_stylesheet
from openpyxl.utils.cell import coordinate_to_tuple, range_boundaries
from openpyxl.worksheet._reader import WorkSheetParser

from ..excel_errors import ExcelError, ExcelFormatError, ExcelTooLargeError

MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_ROWS = 5000  # per sheet; a plan has about a hundred
MAX_COLUMNS = 60
HEADER_SEARCH_ROWS = 10

# What a workbook may hold before anything is parsed (the zip's own figures) and while its
# sheets are read. A plan workbook is well under a megabyte; an .xlsx is a zip whose parts can
# unpack to a thousand times their size, and a sheet can say it is small and be huge, so the
# work is bounded by what is read, not by what the file says.
MAX_PARTS = 1000  # members of the zip
MAX_PART_BYTES = 16 * 1024 * 1024  # one part parsed whole (shared strings, styles …), unpacked
MAX_SHEET_BYTES = 64 * 1024 * 1024  # one worksheet (read as a stream), unpacked
MAX_UNPACKED_BYTES = 128 * 1024 * 1024  # all parts together, unpacked
MAX_RATIO = 100  # unpacked ÷ packed, for parts over RATIO_FROM_BYTES (XML packs 5–30 times)
RATIO_FROM_BYTES = 1024 * 1024
MAX_VALUES = 100_000  # cells holding something, all sheets together (a plan: ~700)
MAX_CELLS = 200_000  # cells written in the rows read, empty ones too (a plan: ~1,500)
EXCEL_COLUMNS = 16_384  # Excel's own limits: column XFD …
EXCEL_ROWS = 1_048_576  # … and row 1,048,576

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
            return _BookReader(path, data, data_only).read()
    except ExcelError:
        raise
    except Exception as exc:  # zipfile, XML, KeyError for missing parts, openpyxl's own …
        raise ExcelFormatError(
            path, f"damaged or not an Excel .xlsx workbook ({type(exc).__name__})"
        ) from exc


class _BookReader:
    """Reads a workbook within the limits above.

    openpyxl reads the package (content types, shared strings, workbook, styles, custom
    properties) and converts each cell (``WorkSheetParser.parse_cell``: shared strings, dates,
    formulas, booleans); the sheets themselves are streamed here, because openpyxl's read-only
    sheets parse a whole ``<row>`` (or, without a ``<dimension>``, the whole sheet) before the
    first cell is returned. Each element is dropped once read, so memory holds what one 64 KB
    chunk of XML makes, and reading stops at the first row past :data:`MAX_ROWS`.
    """

    def __init__(self, path: Path, data: bytes, data_only: bool) -> None:
        self.path = path
        self.data_only = data_only
        self.reader = ExcelReader(
            io.BytesIO(data), read_only=True, data_only=data_only, keep_links=False
        )
        self.archive: zipfile.ZipFile = self.reader.archive
        self.cells = 0  # cells read so far, all sheets
        self.values = 0  # cells holding something, all sheets (counted before parsing)
        self.formats: dict[int, str] = {}  # style id → number format

    def refuse(self, reason: str) -> NoReturn:
        raise ExcelTooLargeError(self.path, f"{reason}; not read")

    def read(self) -> Book:
        self.check_parts()
        reader = self.reader
        reader.read_manifest()
        strings = reader.package.find(SHARED_STRINGS)
        if strings is not None:
            self.check_whole_part(strings.PartName[1:])
        self.check_whole_part(_find_workbook_part(reader.package).PartName[1:])
        reader.read_strings()
        reader.read_workbook()
        reader.read_custom()
        apply_stylesheet(reader.archive, reader.wb)
        properties = {
            p.name: str(p.value)
            for p in reader.wb.custom_doc_props
            if isinstance(p, StringProperty) and p.value is not None
        }
        sheets: list[Sheet] = []
        for sheet, rel in reader.parser.find_sheets():
            if rel.target not in reader.valid_files or "chartsheet" in rel.Type:
                continue  # as openpyxl: a missing part is skipped, a chart has no cells
            found = self.read_sheet(sheet.name, rel.target)
            if found is not None:
                sheets.append(found)
        return Book(sheets, properties)

    # -- the zip, before anything is parsed --

    def check_parts(self) -> None:
        infos = self.archive.infolist()
        if len(infos) > MAX_PARTS:
            self.refuse(f"the workbook has {len(infos)} parts, more than {MAX_PARTS}")
        total = 0
        for info in infos:
            name, size = info.filename, info.file_size
            total += size
            limit = MAX_SHEET_BYTES if name.startswith("xl/worksheets/") else MAX_PART_BYTES
            if size > limit:
                self.refuse(f"{name} unpacks to {_mb(size)}, more than {_mb(limit)}")
            if size > RATIO_FROM_BYTES and size > MAX_RATIO * max(info.compress_size, 1):
                ratio = size // max(info.compress_size, 1)
                self.refuse(f"{name} unpacks to {ratio} times its packed size (a zip bomb)")
        if total > MAX_UNPACKED_BYTES:
            self.refuse(
                f"the workbook unpacks to {_mb(total)}, more than {_mb(MAX_UNPACKED_BYTES)}"
            )

    def check_whole_part(self, name: str) -> None:
        """A part openpyxl parses whole stays under :data:`MAX_PART_BYTES`, wherever it is."""
        with contextlib.suppress(KeyError):  # a missing part is openpyxl's error to report
            size = self.archive.getinfo(name).file_size
            if size > MAX_PART_BYTES:
                self.refuse(f"{name} unpacks to {_mb(size)}, more than {_mb(MAX_PART_BYTES)}")

    # -- a sheet --

    def read_sheet(self, title: str, target: str) -> Sheet | None:
        wb = self.reader.wb
        values_after = self.scan_values(title, target)
        with self.archive.open(target) as source:
            parser = WorkSheetParser(
                source,
                self.reader.shared_strings,
                data_only=self.data_only,
                epoch=wb.epoch,
                date_formats=wb._date_formats,
                timedelta_formats=wb._timedelta_formats,
            )
            rows, more = self.stream_rows(title, source, parser)
        header = _header_columns(rows[:HEADER_SEARCH_ROWS])
        if header is None:
            return None
        header_row, columns = header
        truncated = more and values_after
        return Sheet(title, header_row, columns, [r for r in rows if r[0] > header_row], truncated)

    def stream_rows(
        self, title: str, source: IO[bytes], parser: WorkSheetParser
    ) -> tuple[list[tuple[int, list[Cell]]], bool]:
        """Rows 1 … :data:`MAX_ROWS` as openpyxl's ``iter_rows`` gives them (missing rows
        empty, a row that goes back skipped, cells by column up to :data:`MAX_COLUMNS`), and
        whether the sheet has rows after those.

        One loop over the XML events, kept whole: the element stack, the drop of each element
        once read and the limits checked cell by cell belong together."""
        rows: list[tuple[int, list[Cell]]] = []
        stack: list[Any] = []
        row: list[Cell] | None = None
        number = 0  # the row being read
        in_cell = 0  # depth inside a <c>: its <v>, <f>, <is> are kept until it ends
        cells_in_row = 0
        names: dict[str, str] = {}
        for event, element in self.events(title, source):
            tag = names.get(element.tag) or names.setdefault(element.tag, _local(element.tag))
            if event == "start":
                stack.append(element)
                if in_cell or tag == "c":
                    in_cell += 1
                elif tag == "row":
                    number = _row_number(element.get("r"), parser.row_counter)
                    if number > MAX_ROWS:
                        return rows, True
                    parser.row_counter, parser.col_counter = number, 0
                    row, cells_in_row = [], 0
                elif tag == "dimension":
                    self.check_dimension(title, element.get("ref"))
                continue
            stack.pop()
            if in_cell:
                in_cell -= 1
                if in_cell:
                    continue  # inside the cell: kept for parse_cell
                cells_in_row += 1
                self.cells += 1
                if cells_in_row > EXCEL_COLUMNS:
                    self.refuse(
                        f"row {number} of sheet {title!r} holds more than {EXCEL_COLUMNS} cells, "
                        "more than Excel allows"
                    )
                if self.cells > MAX_CELLS:
                    self.refuse(f"the sheets hold more than {MAX_CELLS} cells")
                if row is not None:
                    self.add_cell(row, element, parser)
            elif tag == "row":
                if row is not None and number > (rows[-1][0] if rows else 0):
                    last = rows[-1][0] if rows else 0
                    rows.extend((n, []) for n in range(last + 1, number))  # rows not written
                    rows.append((number, row))
                row = None
            if stack:  # read: drop it, so the tree never grows past one cell
                parent = stack[-1]
                if len(parent) and parent[-1] is element:
                    del parent[-1]
        return rows, False

    def add_cell(self, row: list[Cell], element: Any, parser: WorkSheetParser) -> None:
        ref = element.get("r")
        column = coordinate_to_tuple(ref)[1] if ref else parser.col_counter + 1
        if column > MAX_COLUMNS or not len(element):  # beyond the columns read, or no value
            parser.col_counter = column  # as parse_cell counts cells without a reference
            return
        found = parser.parse_cell(element)
        if found["value"] is None:
            return
        style = found["style_id"]
        number_format = self.formats.get(style)
        if number_format is None:  # worked out as openpyxl's read-only cells do, once a style
            number_format = ReadOnlyCell(self, **found).number_format or "General"
            self.formats[style] = number_format
        if len(row) < column:
            row.extend([EMPTY_CELL] * (column - len(row)))
        row[column - 1] = Cell(found["value"], found["data_type"], number_format)

    def events(self, title: str, source: IO[bytes]) -> Iterator[tuple[str, Any]]:
        """The sheet's XML events (ElementTree's C parser; openpyxl's defused parser is the
        pure-Python one, ten times slower). A sheet with a DTD is refused: entities are how
        XML grows in the parser, and Excel never writes one."""
        pull = XMLPullParser(events=("start", "end"))
        first = True
        while chunk := source.read(_CHUNK):
            if first:
                first = False
                root = _ROOT.search(chunk)
                prolog = (chunk if root is None else chunk[: root.start()]).replace(b"\x00", b"")
                if b"<!DOCTYPE" in prolog or root is None:
                    self.refuse(f"sheet {title!r} is not plain worksheet XML (a DTD or no root)")
            pull.feed(chunk)
            yield from pull.read_events()
        pull.close()
        yield from pull.read_events()

    @property
    def parent(self) -> Any:  # what ReadOnlyCell looks up number formats through
        return self.reader.wb

    def check_dimension(self, title: str, ref: str | None) -> None:
        """A sheet may say it is smaller than it is (it is read within the limits anyway); one
        that says it is larger than Excel allows is not a workbook Excel wrote."""
        try:
            _c1, _r1, max_column, max_row = range_boundaries(ref or "")
        except (TypeError, ValueError):
            return
        if (max_column or 0) > EXCEL_COLUMNS or (max_row or 0) > EXCEL_ROWS:
            self.refuse(f"sheet {title!r} says it spans {ref}, more than Excel allows")

    def scan_values(self, title: str, target: str) -> bool:
        """Before the sheet is parsed: count the cells that hold something, and whether one of
        them lies after row :data:`MAX_ROWS` (a cell without its reference counts as one).

        A scan of the unpacked stream for a cell element that is not empty (``<c …/>`` is a
        cell with only a format), with no XML parsing: a flood of values is refused at C speed,
        and trailing formatted rows cost next to nothing."""
        after = False
        tail = b""  # a tag cut off at the end of the last chunk
        with self.archive.open(target) as source:
            while chunk := source.read(1024 * 1024):
                text = tail + chunk
                for match in _CELL_WITH_CONTENT.finditer(text):
                    self.values += 1
                    if self.values > MAX_VALUES:
                        self.refuse(f"the sheets hold more than {MAX_VALUES} cells with values")
                    ref = _CELL_ROW.search(match.group(0))
                    after = after or ref is None or int(ref.group(1)) > MAX_ROWS
                cut = text.rfind(b"<")
                unfinished = cut >= 0 and text.find(b">", cut) < 0
                tail = text[cut:] if unfinished and len(text) - cut < 4096 else b""
        return after


_CHUNK = 64 * 1024  # fed to the parser at a time: its events for one chunk are held at once
_ROOT = re.compile(rb"<\x00?[A-Za-z_]")  # the first element's start tag (UTF-8 or UTF-16)
_CELL_WITH_CONTENT = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c(?:\s[^<>]*?)?(?<!/)>")
_CELL_ROW = re.compile(rb"\sr\s*=\s*[\"'][A-Za-z]*(\d+)[\"']")


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _row_number(r: str | None, previous: int) -> int:
    """As openpyxl reads a row's ``r``: a whole number (``"3.0"`` too), else the next row."""
    if r is None:
        return previous + 1
    try:
        return int(r)
    except ValueError:
        value = float(r)
        if not value.is_integer():
            raise ValueError(f"{r} is not a valid row number") from None
        return int(value)


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):.0f} MB" if size >= 1024 * 1024 else f"{size} bytes"


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
