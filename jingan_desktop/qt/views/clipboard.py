"""Blocks of cells on the clipboard, as Excel and WPS put them there and read them back:
tab-separated text (one line a row) and an HTML table."""

from __future__ import annotations

import html
from html.parser import HTMLParser

from PySide6.QtCore import QMimeData

Block = list[list[str]]


def block_from_text(text: str) -> Block:
    """ "123\\n456" or tab-separated rows; Excel's closing line break is not a row."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    while lines and lines[-1] == "":
        lines.pop()
    return [[_unquote(cell) for cell in line.split("\t")] for line in lines]


def _unquote(cell: str) -> str:
    """Excel quotes a cell holding a line break or a quote: "a""b" → a"b."""
    if len(cell) >= 2 and cell.startswith('"') and cell.endswith('"'):
        return cell[1:-1].replace('""', '"')
    return cell


class _TableParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: Block = []
        self._cell: list[str] | None = None
        self._skip = 0  # inside <style>/<script>/<head>
        self._span = 1

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("style", "script", "head"):
            self._skip += 1
        elif tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            if not self.rows:
                self.rows.append([])
            self._cell = []
            span = dict(attrs).get("colspan")
            self._span = int(span) if span and span.isdigit() else 1
        elif tag == "br" and self._cell is not None:
            self._cell.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script", "head"):
            self._skip = max(0, self._skip - 1)
        elif tag in ("td", "th") and self._cell is not None:
            text = " ".join("".join(self._cell).replace("\xa0", " ").split())
            self.rows[-1].append(text)
            self.rows[-1].extend([""] * (self._span - 1))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None and not self._skip:
            self._cell.append(data)


def block_from_html(markup: str) -> Block:
    parser = _TableParser()
    parser.feed(markup)
    parser.close()
    return [row for row in parser.rows if row]


def block_from_mime(mime: QMimeData | None) -> Block:
    """The HTML table if there is one (it keeps cells with line breaks whole), else the text."""
    if mime is None:
        return []
    if mime.hasHtml():
        block = block_from_html(mime.html())
        if block:
            return block
    return block_from_text(mime.text()) if mime.hasText() else []


def mime_from_block(block: Block) -> QMimeData:
    """Tab-separated text and an HTML table, so a selection pastes into Excel as cells."""
    mime = QMimeData()
    mime.setText("".join("\t".join(_quote(c) for c in row) + "\r\n" for row in block))
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in block
    )
    mime.setHtml(
        '<html><head><meta charset="utf-8"></head><body><table border="1">'
        f"{body}</table></body></html>"
    )
    return mime


def _quote(cell: str) -> str:
    if any(ch in cell for ch in '\t\n"'):
        return '"' + cell.replace('"', '""') + '"'
    return cell
