"""The built-in charts, as matplotlib Figures (never pyplot's global state).

Used by the Qt charts tab (inside a FigureCanvas) and its export buttons (PNG / SVG); the
PDF report draws the same rows (``chart_rows``) as vector graphics without matplotlib. All text uses the bundled CJK font, so no glyph is missing on a machine
without Chinese fonts.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

from matplotlib import font_manager, rc_context
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from ..paths import BUNDLED_FONT, FONT_FAMILY
from ..plan.model import Quarter
from ..plan.numbers import format_number
from ..plan.progress import year_to_date
from ..workspace import Workspace
from .chart_rows import PACE_COLOUR, RAG_COLOURS, chapter_rows, status_bars, value_limit

_registered = False


def ensure_font() -> str:
    """Register the bundled font with matplotlib once; returns its family name."""
    global _registered
    if not _registered:
        font_manager.fontManager.addfont(str(BUNDLED_FONT))
        _registered = True
    return FONT_FAMILY


def _style() -> dict[str, object]:
    ensure_font()
    return {
        "font.family": [FONT_FAMILY],
        "axes.unicode_minus": False,  # the font has no U+2212; use "-"
        "svg.fonttype": "path",  # SVGs carry glyph outlines: same on every machine
        "text.parse_math": False,  # user text with "$" is text, not TeX
        "figure.dpi": 100,
    }


@dataclass
class Chart:
    """A figure plus what its clickable parts stand for (bar → chapter id)."""

    figure: Figure
    targets: dict[object, str] = field(default_factory=dict)  # artist → row id

    def target_of(self, artist: object) -> str | None:
        return self.targets.get(artist)


def _short(text: str, limit: int = 16) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def chapter_completion(workspace: Workspace, figsize: tuple[float, float] = (7.0, 4.2)) -> Chart:
    """Completion by chapter (horizontal bars) against the quarter's expected pace."""
    with rc_context(_style()):
        figure = Figure(figsize=figsize, layout="constrained")
        axes = figure.add_subplot()
        rows = chapter_rows(workspace)
        positions = list(range(len(rows)))[::-1]
        bars = axes.barh(
            positions,
            [row.value or 0.0 for row in rows],
            color=[row.colour for row in rows],
            height=0.6,
            picker=True,
        )
        chart = Chart(figure)
        for bar, row in zip(bars, rows, strict=True):
            chart.targets[bar] = row.target
        for position, row in zip(positions, rows, strict=True):
            if row.pace is not None:
                axes.plot(
                    [row.pace, row.pace], [position - 0.4, position + 0.4], color=PACE_COLOUR,
                    linewidth=2,
                )  # fmt: skip
            axes.text((row.value or 0) + 1, position, row.text, va="center", fontsize=8)
        axes.set_yticks(positions, [row.label for row in rows], fontsize=8)
        axes.set_xlim(0, value_limit(rows, 110.0, 12))
        axes.set_xlabel("完成率（%）  竖线：本季度应达进度")
        axes.set_title(f"各章节完成情况 · {workspace.quarter_label}", fontsize=11)
        axes.grid(axis="x", alpha=0.3)
        return chart


def status_counts(workspace: Workspace, figsize: tuple[float, float] = (4.5, 3.2)) -> Chart:
    """How many indicators are green / amber / red / not reported."""
    with rc_context(_style()):
        figure = Figure(figsize=figsize, layout="constrained")
        axes = figure.add_subplot()
        counted = status_bars(workspace)
        bars = axes.bar(
            [rag.label for rag, _n in counted],
            [n for _rag, n in counted],
            color=[RAG_COLOURS[rag] for rag, _n in counted],
        )
        for bar, (_rag, n) in zip(bars, counted, strict=True):
            axes.text(
                bar.get_x() + bar.get_width() / 2,
                bar.get_height(),
                str(n),
                ha="center",
                va="bottom",
                fontsize=9,
            )
        axes.set_ylabel("指标数")
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        axes.set_title(f"指标状态分布 · {workspace.quarter_label}", fontsize=11)
        axes.margins(y=0.15)
        return Chart(figure)


def indicator_trend(
    workspace: Workspace, indicator_id: str, figsize: tuple[float, float] = (5.5, 3.4)
) -> Chart:
    """An indicator's figure quarter by quarter against its target and expected pace."""
    indicator = workspace.indicators[indicator_id]
    with rc_context(_style()):
        figure = Figure(figsize=figsize, layout="constrained")
        axes = figure.add_subplot()
        quarters = [1, 2, 3, 4]
        labels = [
            Quarter(workspace.plan.year, q).label.removeprefix(f"{workspace.plan.year}年")
            for q in quarters
        ]
        figures = {
            q: a.value for q in quarters if (a := workspace.actual(indicator_id, q)) is not None
        }
        actual = [year_to_date(indicator, figures, q) for q in quarters]
        target = indicator.value or 0.0
        pace = [target * p / 100.0 for p in indicator.effective_pace()]
        reported = [
            (label, value) for label, value in zip(labels, actual, strict=True) if value is not None
        ]
        if reported:
            axes.bar(
                [r[0] for r in reported],
                [r[1] for r in reported],
                color="#4a78c2",
                width=0.5,
                label="实际（累计）",
            )
            for label, value in reported:
                axes.text(
                    label,
                    value,
                    format_number(round(value, 2)),
                    ha="center",
                    va="bottom",
                    fontsize=8,
                )
        axes.plot(labels, pace, color="#1d3c78", marker="o", linestyle="--", label="应达进度")
        axes.axhline(
            target,
            color="#d2382f",
            linewidth=1.5,
            label=f"全年目标 {format_number(target)}{indicator.unit}",
        )
        axes.set_ylabel(indicator.unit or "")
        axes.set_title(_short(indicator.name, 24), fontsize=11)
        axes.legend(fontsize=8, loc="upper left")
        axes.margins(y=0.15)
        if not reported:
            axes.text(
                0.5, 0.5, "尚未填报实际值", transform=axes.transAxes, ha="center", color="#888888"
            )
        return Chart(figure)


def figure_png(figure: Figure, dpi: int = 150) -> bytes:
    buffer = io.BytesIO()
    with rc_context(_style()):
        figure.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def save_figure(figure: Figure, path: str | Path) -> Path:
    """Write PNG or SVG by the file's suffix (SVG text as outlines: same on every machine)."""
    path = Path(path)
    suffix = path.suffix.lower().lstrip(".")
    if suffix not in ("png", "svg"):
        raise ValueError(f"unsupported chart format {suffix!r} (use .png or .svg)")
    with rc_context(_style()):
        figure.savefig(path, format=suffix, dpi=150)
    return path
