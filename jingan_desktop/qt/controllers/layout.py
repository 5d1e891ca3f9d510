"""Fitting every office screen and remembering how the clerk left the window: the geometry
(clamped to the screen it opens on, whatever the scaling), the splitter, the tree's column
widths (名称 sized to its content on first start) and each file's last quarter."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QByteArray, QRect, QTimer
from PySide6.QtGui import QGuiApplication

from ...workspace import Workspace
from ..views.tree_model import PlanTreeModel
from .base import Controller

# First start: the share of the tree's width the 名称 column may take at most.
NAME_SHARE = 0.5
COLUMN_WIDTHS = ((0, 96), (2, 96), (3, 64), (4, 76), (5, 76), (6, 72), (7, 100))
LEAD = 7  # 牵头单位, the last column: the one that may scroll out of sight


class LayoutController(Controller):
    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self._shown = False
        self.fit_screen = True  # off for a screenshot of a set size
        self._fit_pending = False

    # -- the window --

    def restore_window(self) -> None:
        """The saved geometry, or a size that fits; either way inside the available screen."""
        settings = self.window.settings
        geometry = settings.value("window/geometry")
        if isinstance(geometry, QByteArray | bytes) and geometry:
            self.window.restoreGeometry(geometry)
        else:
            self.window.resize(1280, 800)
        self.clamp_to_screen()

    def shown(self) -> None:
        """First shown: the frame is known now (clamp again), the splitter gets its sizes."""
        if self._shown:
            return
        self._shown = True
        self.clamp_to_screen()
        splitter = self.window.settings.value("window/splitter")
        if isinstance(splitter, QByteArray | bytes) and splitter:
            self.window.splitter.restoreState(splitter)
        if self._fit_pending:
            self.fit_name_column()
        # On X11 the window manager adds its frame after the window is shown: clamp once more
        # when it has (the title bar must not push the status bar off a 640-px screen).
        QTimer.singleShot(250, self, self.clamp_to_screen)

    def available(self) -> QRect:
        screen = self.window.screen() or QGuiApplication.primaryScreen()
        return screen.availableGeometry() if screen is not None else QRect(0, 0, 1280, 800)

    def clamp_to_screen(self) -> None:
        """Never larger than the screen (a geometry saved at 100 % reopened at 150 %), never off
        it; the window keeps its place when it fits."""
        window, room = self.window, self.available()
        if window.isMaximized() or not self.fit_screen:
            return
        frame = window.frameGeometry()
        extra_w = max(0, frame.width() - window.width())
        extra_h = max(0, frame.height() - window.height())
        width = min(window.width(), room.width() - extra_w)
        height = min(window.height(), room.height() - extra_h)
        window.resize(max(width, 320), max(height, 240))
        x = min(max(frame.x(), room.x()), room.right() - width - extra_w + 1)
        y = min(max(frame.y(), room.y()), room.bottom() - height - extra_h + 1)
        window.move(max(x, room.x()), max(y, room.y()))

    def save(self) -> None:
        settings = self.window.settings
        settings.setValue("window/geometry", self.window.saveGeometry())
        settings.setValue("window/splitter", self.window.splitter.saveState())
        if self.window.model is not None:
            settings.setValue("tree/header", self.window.tree.header().saveState())

    # -- the tree's columns --

    def attach(self, workspace: Workspace) -> None:
        """Column widths as the clerk left them; on first start 名称 fits its content."""
        tree, header = self.window.tree, self.window.tree.header()
        header.setStretchLastSection(True)
        state = self.window.settings.value("tree/header")
        if (
            isinstance(state, QByteArray | bytes)
            and state
            and header.restoreState(state)
            and header.count() == PlanTreeModel.COL_LEAD + 1
        ):
            return
        for column, width in COLUMN_WIDTHS:
            tree.setColumnWidth(column, width)
        self._fit_pending = True
        if self.window.isVisible():
            self.fit_name_column()

    def fit_name_column(self) -> None:
        """名称 as wide as its content, up to half the tree, but never pushing 状态 out of sight:
        only 牵头单位 may need the scroll bar (a cut name has its tooltip)."""
        self._fit_pending = False
        tree, model = self.window.tree, self.window.model
        if model is None:
            return
        # The widest of the rows shown open (the chapters and their items), measured by the
        # tree's own delegate: only the longest names are measured, not every row.
        wanted = max(
            (tree.sizeHintForIndex(index).width() for index in model.longest_names()),
            default=0,
        )
        room = tree.viewport_width() or tree.width()
        up_to_status = sum(width for column, width in COLUMN_WIDTHS if column != LEAD)
        tree.setColumnWidth(
            PlanTreeModel.COL_NAME,
            max(160, min(wanted, int(room * NAME_SHARE), room - up_to_status)),
        )

    # -- the last quarter of each file --

    def remembered_quarter(self, path: Any) -> int | None:
        value = self.window.settings.value(f"quarters/{_key(path)}")
        try:
            quarter = int(value) if value is not None else None
        except (TypeError, ValueError):
            return None
        return quarter if quarter in (1, 2, 3, 4) else None

    def remember_quarter(self) -> None:
        ws = self.workspace
        if ws is not None:
            self.window.settings.setValue(f"quarters/{_key(ws.store.path)}", ws.quarter)


def _key(path: Any) -> str:
    """A settings key for a file path (slashes would nest groups)."""
    return str(path).replace("/", "|").replace("\\", "|")
