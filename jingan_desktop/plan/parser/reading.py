"""Reading a plan file into text: UTF-8, UTF-16, GB18030 or a .docx document."""

from __future__ import annotations

import io
import zipfile
from xml.etree import ElementTree


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
        return _docx_text(data, name)
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


def _docx_text(data: bytes, name: str) -> str:
    """The paragraphs of a .docx, one per line (WordprocessingML read with the standard library)."""

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
