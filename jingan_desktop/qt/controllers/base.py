"""What every controller has: the window it drives and the file open in it."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject

from ...workspace import Workspace


class Controller(QObject):
    """One concern of the main window (files, the shared file, editing …).

    A controller owns no widgets: it drives the parts the window built (``window.tree``,
    ``window.detail``, the banners …), reaches the other controllers through the window
    (``window.navigation.reload()``), and is handed each newly opened file by :meth:`attach`.
    ``window`` is the :class:`~jingan_desktop.qt.main_window.MainWindow` (not imported here:
    the window imports its controllers, never the other way round).
    """

    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.window = window

    def attach(self, workspace: Workspace) -> None:
        """A file was opened: ``window.workspace`` and ``window.model`` are already the new ones."""

    @property
    def workspace(self) -> Workspace | None:
        return self.window.workspace

    def show_message(self, text: str) -> None:
        self.window.show_message(text)
