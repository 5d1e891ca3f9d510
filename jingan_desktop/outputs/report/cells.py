"""Cells of the long tables: a plain string where the text fits on one line, a wrapping
paragraph only where it must wrap.

A 2,000-item plan's chapter tables hold 12,000 rows of eight cells. As paragraphs, each cell
was parsed as markup, measured by ``wrap`` whenever a table split at a page break, and drawn
through reportlab's paragraph machinery: most of the report's time, for cells like "6.1",
"54.2%" and "正常". A plain string is measured once here and drawn by the table with one
``drawString``, in the same font, size, colour and alignment (the table's style carries them
per column), with the baseline where a one-line paragraph puts it. User text that is plain
is never parsed as markup, so nothing in it can act as a tag.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase.pdfmetrics import stringWidth

from .styles import PDF_FONT, CellParagraph
from .text import is_plain, markup

PADDING = 6  # reportlab's default left and right padding of a table cell
SIZE, LEADING = 8, 10.5  # the cells' type (Styles.cell and its centred and right forms)


class Cells:
    """Makes the cells of one table whose columns are ``widths`` points wide."""

    def __init__(self, widths: Sequence[float]) -> None:
        self.room = [w - 2 * PADDING for w in widths]

    def __call__(self, column: int, text: str, style: ParagraphStyle) -> Any:
        """``text`` (user text, not markup) in ``column``, as ``style`` would set it."""
        fits = (
            style.fontSize == SIZE
            and style.leading == LEADING
            and is_plain(text)
            and stringWidth(text, PDF_FONT, SIZE) <= self.room[column]
        )
        return text if fits else CellParagraph(markup(text), style)

    @staticmethod
    def style(centred: Sequence[int], right: Sequence[int], ink: Any) -> list[tuple[Any, ...]]:
        """What a plain cell takes from the table (below the header row): the cells' type
        and colour, and each column's alignment."""
        commands: list[tuple[Any, ...]] = [
            ("FONTSIZE", (0, 1), (-1, -1), SIZE),
            ("LEADING", (0, 1), (-1, -1), LEADING),
            ("TEXTCOLOR", (0, 1), (-1, -1), ink),
        ]
        commands += [("ALIGN", (c, 1), (c, -1), "CENTER") for c in centred]
        commands += [("ALIGN", (c, 1), (c, -1), "RIGHT") for c in right]
        return commands
