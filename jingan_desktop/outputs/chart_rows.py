"""What the bar charts show, apart from how they are drawn (plain Python, no matplotlib).

The charts tab draws these rows with matplotlib (``charts``); the PDF report draws the same
rows as vector graphics with reportlab (``report.figures``), so a fresh process making a
report never imports matplotlib. One source of the figures and wording keeps both the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from ..plan.model import Item, Plan
from ..plan.progress import Evaluation, PlanProgress, Rag, coverage, coverage_text

RAG_COLOURS = {
    Rag.GREEN: "#3a9d4a",
    Rag.AMBER: "#e0a100",
    Rag.RED: "#d2382f",
    Rag.GREY: "#b5b5b5",
}
PACE_COLOUR = "#1d3c78"  # the navy of the expected-pace marks
RAG_ORDER = (Rag.GREEN, Rag.AMBER, Rag.RED, Rag.GREY)
NO_EVALUATION = Evaluation(None, None, None, Rag.GREY)


class Evaluated(Protocol):
    """A workspace, or a report's scope (a department's items re-combined)."""

    plan: Plan
    progress: PlanProgress
    quarter_label: str


@dataclass(frozen=True)
class BarRow:
    """One horizontal bar: completion against the quarter's pace, both in percent."""

    target: str  # the chapter's or item's id
    label: str  # on the axis
    value: float | None  # completion, %; None: nothing to measure
    pace: float | None  # expected by the quarter's end, %
    status: Rag
    text: str  # written right of the bar

    @property
    def colour(self) -> str:
        return RAG_COLOURS[self.status]


def short(text: str, limit: int = 16) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _percent(value: float | None) -> float | None:
    return None if value is None else value * 100


def chapter_rows(source: Evaluated) -> list[BarRow]:
    """Completion by chapter, with how many of its indicators are reported."""
    rows = []
    for chapter in source.plan.chapters:
        evaluation = source.progress.chapters.get(chapter.id or "", NO_EVALUATION)
        value = _percent(evaluation.completion)
        reported, total = coverage(
            [n for i in chapter.items for n in i.indicators], source.progress
        )
        if not total:
            text = "无量化指标" if value is None else f"{value:.0f}%"
        else:
            text = "未填报" if value is None else f"{value:.0f}%"
            text += f"（{coverage_text(reported, total)}）"
        rows.append(
            BarRow(
                chapter.id or "",
                f"{chapter.numeral}、{short(chapter.title)}",
                value,
                _percent(evaluation.expected),
                evaluation.status,
                text,
            )
        )
    return rows


def item_rows(source: Evaluated, items: list[Item]) -> list[BarRow]:
    """Completion of these items; qualitative items show their reported status."""
    rows = []
    for item in items:
        evaluation = source.progress.items.get(item.id or "", NO_EVALUATION)
        value = _percent(evaluation.completion)
        if value is not None:
            text = f"{value:.0f}%"
        elif evaluation.status is Rag.GREY:
            text = "未填报"
        elif not item.indicators:
            text = f"定性事项 · {evaluation.status.label}"
        else:  # no figures yet, judged by the reported status
            text = f"按填报状态 · {evaluation.status.label}"
        rows.append(
            BarRow(
                item.id or "",
                f"{item.number}. {short(item.title, 18)}",
                value,
                _percent(evaluation.expected),
                evaluation.status,
                text,
            )
        )
    return rows


def status_bars(source: Evaluated) -> list[tuple[Rag, int]]:
    """How many indicators are green / amber / red / not reported."""
    counts = source.progress.counts()
    return [(rag, counts[rag]) for rag in RAG_ORDER]


def value_limit(rows: list[BarRow], floor: float, room: float) -> float:
    """The axis's right end: at least ``floor`` %, and ``room`` beyond the longest bar."""
    return max(floor, max((row.value or 0 for row in rows), default=0) + room)
