"""修改记录: every change of the selected item and its indicators (when, who, old and new value,
and how: edit, undo, import …)."""

from __future__ import annotations

from PySide6.QtWidgets import QTreeWidget, QTreeWidgetItem, QWidget

from ...storage.database import StoreError
from ...storage.store import pair_id
from ...workspace import Workspace
from ..display import show_value

HEADERS = ["时间", "用户", "操作", "字段", "原值", "新值", "方式"]


class HistoryView(QTreeWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("history")
        self.setHeaderLabels(HEADERS)
        self.setRootIsDecorated(False)

    def show_row(self, ws: Workspace | None, row_id: str | None, kind: str | None) -> None:
        self.clear()
        if ws is None or row_id is None or kind is None:
            return
        item = ws.item_of(row_id) if kind != "chapter" else None
        ids = [row_id]
        if item is not None and item.id:
            ids = [item.id, *[pair_id(item.id, q) for q in range(1, 5)]]
            for indicator in item.indicators:
                if indicator.id:
                    ids.extend([indicator.id, *[pair_id(indicator.id, q) for q in range(1, 5)]])
        try:
            changes = ws.store.history(ids, limit=500)
        except StoreError:
            return
        for change in changes:
            entry = QTreeWidgetItem(
                [
                    change.ts[:19].replace("T", " "),
                    f"{change.user}@{change.machine}",
                    change.summary,
                    change.field or change.op,
                    show_value(change.old),
                    show_value(change.new),
                    change.source,
                ]
            )
            self.addTopLevelItem(entry)
