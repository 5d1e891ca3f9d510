"""Reading a plan file into text: UTF-8, UTF-16, GB18030 or a .docx document."""

from __future__ import annotations

import io
import zipfile
from xml.etree import ElementTree


class PlanDecodeError(ValueError):
    """The file is neither UTF-8 nor GB18030 text, nor a readable .docx."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


def decode_plan_bytes(data: bytes, name: str = "<plan>") -> str:
    """Decode a plan's bytes: a .docx, UTF-8 (with or without BOM), UTF-16 with BOM, or GB18030."""
    if data.startswith(b"PK\x03\x04"):
        return _docx_text(data, name)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise PlanDecodeError(name, "not valid UTF-16 text") from exc
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            break
        return text
    raise PlanDecodeError(name, "not a text file (expected UTF-8 or GB18030 text, or .docx)")


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
