"""What every part of the report (cover, summary, chapters) is drawn from."""

from __future__ import annotations

from datetime import date
from typing import Self

from reportlab.lib.units import mm

from ...workspace import Workspace
from .document import LANDSCAPE, PORTRAIT
from .progress import Progress
from .scope import ReportScope
from .styles import Styles


class Section:
    """The workspace, the report's scope, the issuing office and date, the progress tracker,
    the styles and the width of a portrait and a landscape page's frame."""

    def __init__(
        self,
        workspace: Workspace,
        scope: ReportScope,
        office: str,
        generated_on: date,
        progress: Progress,
        styles: Styles,
    ) -> None:
        self.ws = workspace
        self.scope = scope
        self.office = office
        self.generated_on = generated_on
        self.progress = progress
        self.styles = styles
        self.portrait_width = PORTRAIT[0] - 2 * 20 * mm
        self.landscape_width = LANDSCAPE[0] - 2 * 15 * mm
        self.landscape_height = LANDSCAPE[1] - 20 * mm - 19 * mm  # document.py's frame

    @classmethod
    def of(cls, other: Section) -> Self:
        """This part of the report, drawn from what ``other`` is drawn from."""
        return cls(
            other.ws, other.scope, other.office, other.generated_on, other.progress, other.styles
        )
