"""Building the report: the story of cover, summary and chapters, laid out in the document and
written atomically under the target's name."""

from __future__ import annotations

import io
import os
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, Flowable, NextPageTemplate, PageBreak

from ...plan.model import Quarter
from ...plan.progress import Evaluation, Rag
from ...storage.files import os_reason, write_atomically
from ...workspace import Workspace
from .chapters import ChapterPages
from .cover import CoverPage
from .document import canvas_class, document, furniture_and_metadata
from .gongwen import GongwenPages
from .progress import Checkpoint, Progress, ProgressCallback
from .scope import ReportScope, involves, report_scope
from .section import Section
from .styles import REPORT_STYLES, Styles
from .summary import SummaryPages


class ReportError(Exception):
    """The report could not be made (nothing was written under the target's name)."""

    def __init__(self, path: str | os.PathLike[str], reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


@dataclass(frozen=True)
class ReportSummary:
    """What was written."""

    path: Path
    pages: int
    quarter: Quarter
    department: str | None
    chapters: int  # chapters with a section in the report
    items: int
    indicators: int
    lagging: list[str]  # ids of the red items, in plan order
    evaluation: Evaluation  # overall (the plan's, or the department's items')
    indicator_counts: dict[Rag, int]
    item_counts: dict[Rag, int]
    seconds: float = 0.0


def report_story(
    workspace: Workspace,
    scope: ReportScope,
    office: str,
    generated_on: date,
    progress: Progress,
    style: str = "brief",
) -> list[Flowable]:
    """Cover, summary and one section a chapter, with progress checkpoints between them (the
    公文 layout: the document's pages, then the chapters as its 附件)."""
    parts = Section(workspace, scope, office, generated_on, progress, Styles(style))
    if style == "gongwen":
        story = GongwenPages.of(parts).story()
    else:
        story = CoverPage.of(parts).story() + SummaryPages.of(parts).story()
    story.append(Checkpoint(progress.step))
    chapter_pages = ChapterPages.of(parts)
    chapters = scope.plan.chapters
    if chapters:
        story += [NextPageTemplate("landscape"), PageBreak()]
    for index, chapter in enumerate(chapters):
        story += chapter_pages.story(chapter)
        progress.step()
        if index < len(chapters) - 1:
            # The whole plan: each chapter on a new page. A department's few items: the
            # next chapter follows on the same page when there is room for its start.
            story.append(PageBreak() if not scope.department else CondPageBreak(90 * mm))
    return story


def build_report(
    workspace: Workspace,
    path: str | os.PathLike[str],
    *,
    department: str | None = None,
    progress: ProgressCallback | None = None,
    issuing_office: str | None = None,
    generated_on: date | None = None,
    style: str = "brief",
) -> ReportSummary:
    """Write the workspace's quarter as a PDF report to ``path``.

    ``department``: only the items it leads or co-leads (the summary is computed over them).
    ``progress(done, total)`` is called as the report is made; returning False cancels it
    (:class:`ReportCancelled`, nothing written). ``issuing_office`` defaults to the plan's
    issuer, ``generated_on`` to today. ``style``: ``brief`` (cover, charts, coloured status) or
    ``gongwen`` (公文: 版头, title, text, signature and date block, the tables as 附件). Raises :class:`ReportError` when the department has no
    items or the file cannot be written.
    """
    started = time.perf_counter()
    target = Path(path)
    if style not in REPORT_STYLES:
        raise ReportError(target, f"unknown style {style!r} (brief or gongwen)")
    department = department.strip() if department else None
    plan = workspace.plan
    if department and not any(involves(i, department) for i in plan.items()):
        raise ReportError(target, f"no items are led or co-led by {department!r}")
    _check_target(target)
    scope = report_scope(workspace, department)
    office = (issuing_office if issuing_office is not None else plan.issuer or "").strip()
    generated_on = generated_on or date.today()
    chapters = len(scope.plan.chapters)
    tracker = Progress(progress, total=2 + 1 + 2 * chapters + 1)
    tracker.check()

    quarter = Quarter(plan.year, workspace.quarter)
    furniture, meta = furniture_and_metadata(plan, quarter, department, office, generated_on)
    if style == "gongwen":
        furniture.page_number = "— {number} —"
    story = report_story(workspace, scope, office, generated_on, tracker, style)
    buffer = io.BytesIO()
    doc = document(buffer, furniture, meta, first="gongwen" if style == "gongwen" else "cover")
    doc.build(story, canvasmaker=canvas_class(furniture))
    tracker.step()  # done == total: the last chance to cancel; nothing is written before it
    _write_atomically(buffer.getvalue(), target)
    lagging = [item.id or "" for _c, item in scope.lagging()]
    return ReportSummary(
        path=target,
        pages=furniture.pages,
        quarter=quarter,
        department=department,
        chapters=chapters,
        items=len(scope.items),
        indicators=len(scope.indicators),
        lagging=lagging,
        evaluation=scope.progress.plan,
        indicator_counts=scope.progress.counts(),
        item_counts=dict(scope.item_counts),
        seconds=time.perf_counter() - started,
    )


# --- writing ---------------------------------------------------------------------------------


def _check_target(path: Path) -> None:
    if path.is_dir():
        raise ReportError(path, "is a folder")
    if not path.parent.is_dir():
        raise ReportError(path, "the folder does not exist")


def _os_reason(exc: OSError) -> str:
    return os_reason(exc, "a PDF viewer")


def _write_atomically(data: bytes, path: Path) -> None:
    """The real name only ever holds a complete PDF."""
    _check_target(path)
    try:
        write_atomically(path, lambda handle: handle.write(data))
    except OSError as exc:
        raise ReportError(path, _os_reason(exc)) from exc
