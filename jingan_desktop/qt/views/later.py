"""A tab page whose widget is made the first time it is needed: when its tab is shown, or when
something asks for the widget. The tabs behind the one shown at start (预警, 修改记录, 图表)
cost the start-up nothing; what they would have been told before they existed, their maker
tells them when it makes them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QVBoxLayout, QWidget

W = TypeVar("W", bound=QWidget)


class LaterPage(QWidget, Generic[W]):
    def __init__(self, make: Callable[[], W], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._make = make
        self._widget: W | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)

    @property
    def made(self) -> W | None:
        """The widget if it has been made, else None (nothing to tell it yet)."""
        return self._widget

    def widget(self) -> W:
        """The widget, made now if it was not."""
        widget = self._widget
        if widget is None:
            widget = self._widget = self._make()
            self.layout().addWidget(widget)
            widget.show()  # a child added to a page already on screen is not shown by itself
        return widget

    def showEvent(self, event: QShowEvent) -> None:
        self.widget()
        super().showEvent(event)
