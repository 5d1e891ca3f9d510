"""预警: indicators behind pace, items overdue or due within 30 days, items without a progress
text this quarter; choosing one goes to its row."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QWidget

from ...workspace import Workspace

ICONS = {"lagging": "🔴", "overdue": "⏰", "due_soon": "⏳", "no_progress": "📝"}


class WarningsList(QListWidget):
    row_chosen = Signal(str)  # the row id of the warning clicked or activated

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("warnings")
        self.itemActivated.connect(self.activate)
        self.itemClicked.connect(self.activate)

    def fill(self, workspace: Workspace) -> int:
        """Show the workspace's warnings; returns how many there are."""
        self.clear()
        found = workspace.warnings()
        for warning in found:
            entry = QListWidgetItem(f"{ICONS.get(warning.kind, '')} {warning.message}")
            entry.setData(Qt.ItemDataRole.UserRole, warning.row_id)
            self.addItem(entry)
        return len(found)

    def activate(self, entry: QListWidgetItem) -> None:
        row_id = entry.data(Qt.ItemDataRole.UserRole)
        if row_id:
            self.row_chosen.emit(row_id)
