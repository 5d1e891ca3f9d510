"""修改记录: every change of the selected item and its indicators, in a clerk's words — 对象
(2.1 新增注册企业), 季度, 内容 (本期实际), 原值 → 新值 with names, not ids, the local time, who
(user@machine) and how (填报/撤销/导入/合并). The wording is storage/change_words.py's, shared
with ``check``."""

from __future__ import annotations

from datetime import date

from PySide6.QtWidgets import QHeaderView, QTreeWidget, QTreeWidgetItem, QWidget

from ...storage.database import StoreError
from ...storage.store import pair_id
from ...workspace import Workspace

HEADERS = ["时间", "对象", "季度", "内容", "原值 → 新值", "方式", "人"]
SHOWN = 24  # characters of a long value shown in the cell; the tooltip has it whole


class HistoryView(QTreeWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("history")
        self.setHeaderLabels(HEADERS)
        self.setRootIsDecorated(False)
        self.setUniformRowHeights(True)
        # Short columns fit their text, 对象 takes what is left, so 方式 and 人 stay in view.
        header = self.header()
        header.setStretchLastSection(False)
        fitted = QHeaderView.ResizeMode.ResizeToContents
        for column, mode in enumerate(
            (fitted, QHeaderView.ResizeMode.Stretch, fitted, fitted, fitted, fitted, fitted)
        ):
            header.setSectionResizeMode(column, mode)
        header.setMinimumSectionSize(36)

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
            entries = ws.store.describe(ws.store.history(ids, limit=500))
        except StoreError:
            return
        for words in entries:
            values = words.values
            shown = values if len(values) <= SHOWN else values[: SHOWN - 1] + "…"
            columns = [
                short_time(words.time),
                words.subject,
                words.quarter,
                words.content,
                shown,
                words.how,
                words.who,
            ]
            entry = QTreeWidgetItem(columns)
            for column, text in enumerate(columns):
                entry.setToolTip(column, values if column == 4 else text)
            entry.setToolTip(0, words.time)
            self.addTopLevelItem(entry)


def short_time(stamp: str) -> str:
    """ "2026-12-01 22:40" → "12-01 22:40" within this year (the year is in the tooltip), so
    对象 gets the room; other years keep it."""
    this_year = f"{date.today().year}-"
    return stamp[len(this_year) :] if stamp.startswith(this_year) else stamp
