"""The toolbar's search box, with a clear button (×) that is there while the box holds text.

``QLineEdit.setClearButtonEnabled`` fades its button in and out over 160 ms: about nine frames,
each painting the toolbar again behind the button. That lands on the first character typed and
on clearing the box, costing those keystrokes about as much as the filtering itself. This
button appears and goes at once, as the search boxes of Windows do; clicking it clears the box
as the clerk's Esc does.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeyEvent
from PySide6.QtWidgets import QLineEdit, QStyle, QWidget


class SearchBox(QLineEdit):
    def __init__(self, placeholder: str, parent: QWidget | None = None) -> None:
        super().__init__(parent, placeholderText=placeholder)
        icon = self.style().standardIcon(QStyle.StandardPixmap.SP_LineEditClearButton)
        self.clear_action = QAction(icon, "清除搜索", self)
        self.clear_action.setObjectName("clear-search")
        self.clear_action.setToolTip("清除搜索 (Esc)")
        self.clear_action.triggered.connect(self._clear_by_clerk)
        self.addAction(self.clear_action, QLineEdit.ActionPosition.TrailingPosition)
        self.clear_action.setVisible(False)  # after adding: its button hears of it
        self.textChanged.connect(lambda text: self.clear_action.setVisible(bool(text)))

    def _clear_by_clerk(self) -> None:
        if self.text():
            self.clear()
            self.textEdited.emit("")

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape and self.text():
            self._clear_by_clerk()
            return
        super().keyPressEvent(event)
