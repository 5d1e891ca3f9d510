"""预警: indicators behind pace, items overdue or due within 30 days, items without a progress
text this quarter; choosing one goes to its row."""

from __future__ import annotations

from bisect import bisect_left, insort

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPainter, QPen, QPixmap, QPolygonF
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QWidget

from ...workspace import Warning, Workspace

# Each kind of warning has a shape and a colour drawn with Qt (the bundled font has no emoji):
# 滞后 a red disc, 逾期 a red square with a bar, 即将到期 an amber triangle, 未填进展 a grey ring.
KINDS = ("lagging", "overdue", "due_soon", "no_progress")
KIND_ROLE = Qt.ItemDataRole.UserRole + 1


def warning_icon(kind: str, size: int = 16) -> QIcon:
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    box = QRectF(2, 2, size - 4, size - 4)
    if kind == "lagging":
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor("#d93025"))
        painter.drawEllipse(box)
    elif kind == "overdue":
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor("#b3261e"))
        painter.drawRoundedRect(box, 2, 2)
        painter.setPen(QPen(QColor("white"), 2))
        painter.drawLine(QPointF(size / 2, 4.5), QPointF(size / 2, size - 7.5))
        painter.drawPoint(QPointF(size / 2, size - 5))
    elif kind == "due_soon":
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor("#f29900"))
        painter.drawPolygon(
            QPolygonF([QPointF(size / 2, 2), QPointF(size - 2, size - 2), QPointF(2, size - 2)])
        )
    else:
        painter.setPen(QPen(QColor("#80868b"), 2))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawEllipse(box.adjusted(1, 1, -1, -1))
    painter.end()
    return QIcon(pixmap)


class WarningsList(QListWidget):
    row_chosen = Signal(str)  # the row id of the warning clicked or activated

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("warnings")
        self.itemActivated.connect(self.activate)
        self.itemClicked.connect(self.activate)
        self._workspace: Workspace | None = None
        self._icons: dict[str, QIcon] = {}  # one drawn icon per kind, not one per entry
        # After the first edit: one sort key per entry, in the list's order (0 indicator |
        # 1 item, plan position, n-th warning of the row), and the keys of each row.
        self._keys: list[tuple[int, int, int]] | None = None
        self._row_keys: dict[str, list[tuple[int, int, int]]] = {}

    def fill(self, workspace: Workspace) -> int:
        """Show the workspace's warnings; returns how many there are.

        After an edit only the edited item's rows are re-judged and their entries replaced
        (:meth:`Workspace.warnings_changed`); a reload, a quarter switch or another file
        rebuilds the whole list."""
        changed = workspace.warnings_changed()
        if changed is None or workspace is not self._workspace:
            self._rebuild(workspace)
        elif changed:
            self._update(workspace, changed)
        return self.count()

    def _rebuild(self, workspace: Workspace) -> None:
        self._workspace, self._keys = workspace, None
        self.clear()
        for warning in workspace.warnings():
            self.addItem(self._entry(warning))

    def _index_entries(self, workspace: Workspace) -> list[tuple[int, int, int]]:
        position = {row: (0, n) for n, row in enumerate(workspace.indicators)}
        position.update((row, (1, n)) for n, row in enumerate(workspace.items))
        self._position = position
        self._row_keys = {}
        return [
            self._key_for(self.item(n).data(Qt.ItemDataRole.UserRole)) for n in range(self.count())
        ]

    def _update(self, workspace: Workspace, rows: set[str]) -> None:
        if self._keys is None:
            self._keys = self._index_entries(workspace)
        keys = self._keys
        for row in rows:
            for key in self._row_keys.pop(row, []):
                index = bisect_left(keys, key)
                del keys[index]
                self.takeItem(index)
        for warning in workspace.warnings_of(rows):
            key = self._key_for(warning.row_id)
            insort(keys, key)
            self.insertItem(bisect_left(keys, key), self._entry(warning))

    def _key_for(self, row_id: str) -> tuple[int, int, int]:
        keys = self._row_keys.setdefault(row_id, [])
        rank, position = self._position[row_id]
        keys.append((rank, position, len(keys)))
        return keys[-1]

    def _entry(self, warning: Warning) -> QListWidgetItem:
        icon = self._icons.get(warning.kind)
        if icon is None:
            icon = self._icons[warning.kind] = warning_icon(warning.kind)
        entry = QListWidgetItem(icon, warning.message)
        entry.setData(KIND_ROLE, warning.kind)
        entry.setData(Qt.ItemDataRole.UserRole, warning.row_id)
        return entry

    def activate(self, entry: QListWidgetItem) -> None:
        row_id = entry.data(Qt.ItemDataRole.UserRole)
        if row_id:
            self.row_chosen.emit(row_id)
