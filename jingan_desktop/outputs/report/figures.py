"""The report's charts: matplotlib figures drawn in the bundled font and placed as PNG images."""

from __future__ import annotations

import io
from collections.abc import Sequence

from matplotlib import rc_context
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image as PILImage
from reportlab.lib.utils import ImageReader
from reportlab.platypus import Image

from ...paths import FONT_FAMILY
from ...plan.model import Chapter, Item
from ...plan.progress import Evaluation, Rag
from ...workspace import Workspace
from .. import charts
from ..charts import RAG_COLOURS, Chart
from .scope import ReportScope
from .text import short

CHART_DPI = 150  # sharp in print at the sizes used; 200 doubled the image work
CHART_ITEMS = 20  # bars in a chapter's chart; a longer chapter charts its slowest items


def chart_style() -> dict[str, object]:
    charts.ensure_font()
    return {
        "font.family": [FONT_FAMILY],
        "axes.unicode_minus": False,
        "text.parse_math": False,  # a "$" in a title is a dollar sign, not TeX
        "figure.dpi": 100,
    }


def chapter_items_chart(
    scope: ReportScope | Workspace,
    chapter: Chapter,
    figsize: tuple[float, float] | None = None,
    items: Sequence[Item] | None = None,
) -> Chart:
    """One chapter's items (or the given ones of them): completion (horizontal bars in their
    status colour) against the quarter's expected pace (navy marks). Qualitative items show
    their reported status."""
    items = list(chapter.items if items is None else items)
    height = figsize[1] if figsize else max(1.4, 0.7 + 0.25 * len(items))
    width = figsize[0] if figsize else 7.2
    with rc_context(chart_style()):
        figure = Figure(figsize=(width, height), layout="constrained")
        axes = figure.add_subplot()
        chart = Chart(figure)
        positions = list(range(len(items)))[::-1]
        values: list[float | None] = []
        for item, position in zip(items, positions, strict=True):
            evaluation = scope.progress.items.get(
                item.id or "", Evaluation(None, None, None, Rag.GREY)
            )
            value = None if evaluation.completion is None else evaluation.completion * 100
            values.append(value)
            (bar,) = axes.barh(
                [position], [value or 0.0], color=RAG_COLOURS[evaluation.status], height=0.62
            )
            chart.targets[bar] = item.id or ""
            pace = None if evaluation.expected is None else evaluation.expected * 100
            if pace is not None:
                axes.plot(
                    [pace, pace], [position - 0.42, position + 0.42], color="#1d3c78", linewidth=1.6
                )
            if value is not None:
                label = f"{value:.0f}%"
            elif evaluation.status is Rag.GREY:
                label = "未填报"
            elif not item.indicators:
                label = f"定性事项 · {evaluation.status.label}"
            else:  # no figures yet, judged by the reported status
                label = f"按填报状态 · {evaluation.status.label}"
            # Right of the bar and of the pace mark, so neither covers the figure.
            axes.text(
                max(value or 0.0, pace or 0.0) + 1.5, position, label, va="center", fontsize=8.5
            )
        axes.set_yticks(
            positions, [f"{item.number}. {short(item.title, 18)}" for item in items], fontsize=9
        )
        axes.set_ylim(-0.6, len(items) - 0.4)
        axes.set_xlim(0, max(115.0, max((v or 0 for v in values), default=0) + 15))
        axes.tick_params(axis="x", labelsize=8.5)
        axes.set_xlabel("完成率（%）　竖线：本季度应达进度", fontsize=8.5)
        axes.grid(axis="x", alpha=0.3)
        for side in ("top", "right"):
            axes.spines[side].set_visible(False)
        return chart


class PixelImage(Image):
    """An image flowable over pixels already in memory (reportlab's ImageReader of a PIL
    image), so no PNG is encoded only to be decoded again."""

    def __init__(self, reader: ImageReader, width: float, height: float) -> None:
        self._img = reader  # read by Image's size set-up and by draw()
        super().__init__(io.BytesIO(), width=width, height=height)


def chart_image(figure: Figure, width: float) -> Image:
    """A figure as an image flowable ``width`` points wide, keeping its aspect ratio.

    Drawn once on an Agg canvas (the constrained layout runs inside that one draw; savefig
    would draw twice) and handed to reportlab as pixels."""
    fig_width, fig_height = figure.get_size_inches()
    with rc_context(chart_style()):
        figure.set_dpi(CHART_DPI)
        canvas = FigureCanvasAgg(figure)
        canvas.draw()
        pixels = PILImage.frombuffer(
            "RGBA", canvas.get_width_height(), canvas.buffer_rgba(), "raw", "RGBA", 0, 1
        ).convert("RGB")
    return PixelImage(ImageReader(pixels), width=width, height=width * fig_height / fig_width)
