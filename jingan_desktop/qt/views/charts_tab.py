"""The 图表 tab: the core's matplotlib figures inside Qt canvases, with PNG/SVG export."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ...workspace import Workspace
from ..messages import show_error

if TYPE_CHECKING:
    from ...outputs import charts

# matplotlib (and numpy under it) load when the charts are first shown, not at start-up.


class ChartBox(QWidget):
    """One chart: a canvas plus its export buttons."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = title
        self.chart: charts.Chart | None = None
        self.canvas: Any = None  # a FigureCanvasQTAgg once a chart is shown
        self.picked = None  # callable(row_id) set by the tab
        self.layout_ = QVBoxLayout(self)
        self.layout_.setContentsMargins(2, 2, 2, 2)
        buttons = QHBoxLayout()
        buttons.addWidget(QLabel(title))
        buttons.addStretch(1)
        self.png_button = QPushButton("导出 PNG")
        self.svg_button = QPushButton("导出 SVG")
        self.png_button.clicked.connect(lambda: self.export("png"))
        self.svg_button.clicked.connect(lambda: self.export("svg"))
        buttons.addWidget(self.png_button)
        buttons.addWidget(self.svg_button)
        self.layout_.addLayout(buttons)

    def show_chart(self, chart: charts.Chart) -> None:
        from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg

        if self.canvas is not None:
            self.layout_.removeWidget(self.canvas)
            self.canvas.deleteLater()
        self.chart = chart
        self.canvas = FigureCanvasQTAgg(chart.figure)
        self.canvas.setMinimumHeight(220)
        self.canvas.mpl_connect("pick_event", self._picked)
        self.layout_.addWidget(self.canvas, 1)
        self.canvas.draw_idle()

    def _picked(self, event: object) -> None:
        if self.chart is None or self.picked is None:
            return
        row_id = self.chart.target_of(getattr(event, "artist", None))
        if row_id:
            self.picked(row_id)

    def export(self, kind: str, path: str | None = None) -> Path | None:
        if self.chart is None:
            return None
        if path is None:
            path, _ = QFileDialog.getSaveFileName(
                self, f"导出{self.title}", f"{self.title}.{kind}", f"{kind.upper()} 图片 (*.{kind})"
            )
            if not path:
                return None
            if not path.lower().endswith(f".{kind}"):
                path += f".{kind}"
        from ...outputs.charts import save_figure

        try:
            return save_figure(self.chart.figure, path)
        except Exception as exc:
            show_error(self, exc)
            return None


class ChartsTab(QWidget):
    chapter_clicked = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace: Workspace | None = None
        self.indicator_id: str | None = None
        self.dirty = True
        self.chapters = ChartBox("各章节完成情况")
        self.chapters.picked = self.chapter_clicked.emit
        self.statuses = ChartBox("指标状态分布")
        self.trend = ChartBox("指标季度走势")
        self.hint = QLabel("在左侧选择一个指标，查看其季度走势。")
        grid = QGridLayout(self)
        grid.addWidget(self.chapters, 0, 0, 1, 2)
        grid.addWidget(self.statuses, 1, 0)
        grid.addWidget(self.trend, 1, 1)
        grid.addWidget(self.hint, 2, 0, 1, 2)
        grid.setRowStretch(0, 3)
        grid.setRowStretch(1, 2)

    def set_workspace(self, workspace: Workspace | None) -> None:
        self.workspace = workspace
        self.indicator_id = None
        self.mark_dirty()

    def set_indicator(self, indicator_id: str | None) -> None:
        if indicator_id != self.indicator_id:
            self.indicator_id = indicator_id
            self.mark_dirty()

    def mark_dirty(self) -> None:
        """Data changed: redraw now if the tab is on screen, else when it is next shown."""
        self.dirty = True
        if self.isVisible():
            self.refresh()

    def showEvent(self, event: object) -> None:
        super().showEvent(event)  # type: ignore[arg-type]
        if self.dirty:
            self.refresh()

    def refresh(self) -> None:
        from ...outputs import charts

        ws = self.workspace
        if ws is None:
            return
        self.dirty = False
        self.chapters.show_chart(charts.chapter_completion(ws))
        self.statuses.show_chart(charts.status_counts(ws))
        if self.indicator_id and self.indicator_id in ws.indicators:
            self.trend.show_chart(charts.indicator_trend(ws, self.indicator_id))
            self.hint.setVisible(False)
        else:
            self.hint.setVisible(True)
