"""The Qt binding keeps Python's reference counts: overriding a virtual and calling the base
class (the plan tree's paint, key and editor overrides all do) must not drop a reference to
None on each call. PySide6 6.12.0 did, and under Python 3.11 the app then aborted with
"deallocating None" after a few thousand repaints (pyproject.toml excludes that release)."""

from __future__ import annotations

import gc
import sys

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QApplication, QStyledItemDelegate, QTreeView, QWidget

CALLS = 300


def none_references() -> int:
    gc.collect()
    return sys.getrefcount(None)


class Delegate(QStyledItemDelegate):
    def paint(self, painter, option, index) -> None:
        super().paint(painter, option, index)


class Keys(QWidget):
    def keyPressEvent(self, event) -> None:
        super().keyPressEvent(event)


def test_a_delegate_calling_the_base_paint_keeps_none_alive(qtbot):
    model = QStandardItemModel(10, 3)
    for row in range(10):
        for column in range(3):
            model.setItem(row, column, QStandardItem(f"{row}.{column}"))
    view = QTreeView()
    qtbot.addWidget(view)
    view.setModel(model)
    view.setItemDelegate(Delegate(view))
    view.resize(400, 400)
    view.viewport().grab()
    before = none_references()
    for _ in range(CALLS // 30):  # 30 cells painted per grab
        view.viewport().grab()
    assert before - none_references() < CALLS // 2


def test_a_key_handler_calling_the_base_class_keeps_none_alive(qtbot):
    widget = Keys()
    qtbot.addWidget(widget)
    before = none_references()
    for _ in range(CALLS):
        event = QKeyEvent(QEvent.Type.KeyPress, Qt.Key.Key_A, Qt.KeyboardModifier.NoModifier, "a")
        QApplication.sendEvent(widget, event)
    assert before - none_references() < CALLS // 2
