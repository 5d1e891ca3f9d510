"""Reading a plan file into text: UTF-8, UTF-16 or GB18030 text, a .docx, an .xlsx task table
or a PDF with a text layer. Tables become ``|``-separated rows, so every input goes through the
same parser core. The Office and PDF libraries are imported only when such a file is read."""

from __future__ import annotations

import io
import zipfile


class PlanDecodeError(ValueError):
    """The file is neither UTF-8 nor GB18030 text, nor a readable .docx."""

    def __init__(self, path: str, reason: str, line: int | None = None) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason
        self.line = line  # 1-based, where the text stops being readable (if known)


def decode_plan_bytes(data: bytes, name: str = "<plan>") -> str:
    """Decode a plan's bytes: a .docx, UTF-8 (with or without BOM), UTF-16 with BOM, or GB18030."""
    if data.startswith(b"PK\x03\x04"):
        return _zip_text(data, name)
    if data.lstrip()[:5] == b"%PDF-":
        return _pdf_text(data, name)
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        raise PlanDecodeError(
            name, "an old Word/Excel (.doc/.xls) file: save it as .docx or .xlsx and try again"
        )
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise PlanDecodeError(name, "not valid UTF-16 text") from exc
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        _refuse_mixed_encodings(data, name)
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError:
            text = "\x00"
    if "\x00" not in text:
        return text
    raise PlanDecodeError(name, "not a text file (expected UTF-8 or GB18030 text, or .docx)")


def _line_encoding(line: bytes) -> str | None:
    """ "utf-8" or "other" for a line with non-ASCII bytes; None for a plain ASCII line."""
    if line.isascii():
        return None
    try:
        line.decode("utf-8")
    except UnicodeDecodeError:
        return "other"
    return "utf-8"


def _refuse_mixed_encodings(data: bytes, name: str) -> None:
    """A text that is UTF-8 in some lines and GB18030 (or anything else) in others is refused
    with the line where the encoding changes: decoding it either way would garble a part."""
    first: str | None = None
    for number, line in enumerate(data.removeprefix(b"\xef\xbb\xbf").split(b"\n"), start=1):
        kind = _line_encoding(line)
        if kind is None:
            continue
        if first is None:
            first = kind
        elif kind != first:
            if kind == "utf-8":
                before, after = "GB18030" if _is_gb18030(data, number) else "non-UTF-8", "UTF-8"
            else:
                before = "UTF-8"
                after = "GB18030" if _is_gb18030(line, None) else "neither UTF-8 nor GB18030"
            raise PlanDecodeError(
                name,
                f"line {number}: the text changes from {before} to {after} here "
                "(not a text file in one encoding); save the whole file as UTF-8",
                line=number,
            )


def _is_gb18030(data: bytes, before_line: int | None) -> bool:
    if before_line is not None:
        data = b"\n".join(data.split(b"\n")[: before_line - 1])
    try:
        data.decode("gb18030")
    except UnicodeDecodeError:
        return False
    return True


# Bounds for Office files from outside (a zip bomb must not freeze the app).
MAX_MEMBER_BYTES = 64 * 1024 * 1024
MAX_ROWS = 20_000
MAX_COLUMNS = 40


def _zip_text(data: bytes, name: str) -> str:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = {info.filename: info for info in archive.infolist()}
    except (zipfile.BadZipFile, OSError) as exc:
        raise PlanDecodeError(name, "not a readable .docx document") from exc
    for info in members.values():
        if info.file_size > MAX_MEMBER_BYTES:
            raise PlanDecodeError(
                name, f"{info.filename} unpacks to {info.file_size // 2**20} MB: too large to read"
            )
    if "word/document.xml" in members:
        return _docx_text(data, name)
    if "xl/workbook.xml" in members:
        return _xlsx_text(data, name)
    raise PlanDecodeError(name, "not a readable .docx document (nor an .xlsx workbook)")


def _cell_text(text: str) -> str:
    # A table row reaches the parser as "a | b | c": a "|" or line break inside a cell would
    # split it, so they become "/" and a space.
    return " ".join(text.replace("|", "/").split())


def _docx_text(data: bytes, name: str) -> str:
    """Paragraphs and table rows in document order (tables as ``|``-separated rows)."""
    try:
        import docx  # lazy: python-docx (and lxml) load only for a Word file
        from docx.table import Table
        from docx.text.paragraph import Paragraph
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise PlanDecodeError(name, "reading .docx needs the python-docx package") from exc
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception:  # python-docx raises many kinds on a damaged or unusual file
        return _docx_xml_text(data, name)
    lines: list[str] = []
    for child in document.element.body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            lines.append(Paragraph(child, document).text)
        elif tag == "tbl":
            lines.extend(_docx_table_rows(Table(child, document)))
    return "\n".join(lines)


def _docx_xml_text(data: bytes, name: str) -> str:
    """A .docx that python-docx refuses (some producers omit parts it expects): its paragraphs
    read straight from word/document.xml, table cells one per line."""
    from xml.etree import ElementTree

    ns = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            root = ElementTree.fromstring(archive.read("word/document.xml"))
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError, OSError) as exc:
        raise PlanDecodeError(name, "not a readable .docx document") from exc
    lines = []
    for paragraph in root.iter(f"{ns}p"):
        parts = []
        for node in paragraph.iter():
            if node.tag == f"{ns}t" and node.text:
                parts.append(node.text)
            elif node.tag == f"{ns}tab":
                parts.append("\t")
            elif node.tag in (f"{ns}br", f"{ns}cr"):
                parts.append("\n")
        lines.append("".join(parts))
    return "\n".join(lines)


def _docx_table_rows(table) -> list[str]:
    rows = []
    for row in table.rows:
        cells = []
        previous = None
        for cell in row.cells:
            if cell._tc is previous:  # a merged cell repeats: keep it once
                continue
            previous = cell._tc
            cells.append(_cell_text(cell.text))
        filled = [cell for cell in cells if cell]
        if filled:
            rows.append(" | ".join(cells) if len(filled) > 1 else filled[0])
    return rows


def _xlsx_text(data: bytes, name: str) -> str:
    """A task-breakdown workbook: each sheet's used rows as ``|``-separated lines, bounded
    (read-only mode, at most MAX_ROWS rows and MAX_COLUMNS columns per sheet)."""
    try:
        import openpyxl  # lazy: only for an Excel file
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise PlanDecodeError(name, "reading .xlsx needs the openpyxl package") from exc
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on a damaged file
        raise PlanDecodeError(name, "not a readable .xlsx workbook") from exc
    lines: list[str] = []
    try:
        for sheet in workbook.worksheets:
            for values in sheet.iter_rows(max_row=MAX_ROWS, max_col=MAX_COLUMNS, values_only=True):
                cells = [_cell_text(_excel_value(v)) for v in values]
                while cells and not cells[-1]:
                    cells.pop()
                filled = [cell for cell in cells if cell]
                if not filled:
                    continue
                # A title or a heading in one cell is a line of text, not a table row.
                lines.append(" | ".join(cells) if len(filled) > 1 else filled[0])
    finally:
        workbook.close()
    return "\n".join(lines)


def _excel_value(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return value.isoformat()[:10]  # type: ignore[attr-defined]
    return str(value)


def _pdf_text(data: bytes, name: str) -> str:
    """The text layer of a PDF, page after page; a scanned PDF (no text) is refused clearly."""
    try:
        from pypdf import PdfReader  # lazy: only for a PDF
        from pypdf.errors import PdfReadError
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise PlanDecodeError(name, "reading .pdf needs the pypdf package") from exc
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise PlanDecodeError(name, "the PDF is password-protected: save an open copy first")
        pages = [page.extract_text() or "" for page in reader.pages]
    except PlanDecodeError:
        raise
    except (PdfReadError, ValueError, KeyError, OSError, TypeError) as exc:
        raise PlanDecodeError(name, "not a readable PDF document") from exc
    text = "\n".join(pages)
    if sum(not ch.isspace() for ch in text) < 20:
        raise PlanDecodeError(
            name,
            f"the PDF has no text layer ({len(pages)} pages of images, a scan?): "
            "ask for the Word or text version, or run it through OCR first",
        )
    return text
