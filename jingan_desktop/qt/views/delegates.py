"""Cell editors for the plan tree: validated numbers, status and department pickers."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QLineEdit,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from ...plan.model import ItemStatus
from .tree_model import PlanTreeModel
from .validators import NumberValidator

Index = QModelIndex | QPersistentModelIndex


class PlanItemDelegate(QStyledItemDelegate):
    message = Signal(str)

    def __init__(self, departments: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._departments = departments  # callable returning the current department names

    @staticmethod
    def _source(index: Index) -> tuple[PlanTreeModel, Index]:
        model = index.model()
        assert isinstance(model, PlanTreeModel)
        return model, index

    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem, index: Index) -> QWidget:
        model, source = self._source(index)
        kind = model.node(source).kind
        column = index.column()
        if kind == "item" and column == PlanTreeModel.COL_ACTUAL:
            combo = QComboBox(parent)
            combo.addItem("", "")
            for status in ItemStatus:
                combo.addItem(status.value, status.value)
            return combo
        if kind == "item" and column == PlanTreeModel.COL_LEAD:
            combo = QComboBox(parent, editable=True)
            combo.addItem("")
            combo.addItems(self._departments())
            return combo
        editor = QLineEdit(parent)
        if kind == "indicator" and column in (PlanTreeModel.COL_TARGET, PlanTreeModel.COL_ACTUAL):
            validator = NumberValidator(editor)
            validator.rejected.connect(self.message)
            editor.setValidator(validator)
            editor.setPlaceholderText("数字，可带万/亿")
        return editor

    def setEditorData(self, editor: QWidget, index: Index) -> None:
        value = index.data()
        if isinstance(editor, QComboBox):
            position = editor.findText(value or "")
            if position >= 0:
                editor.setCurrentIndex(position)
            else:
                editor.setCurrentText(value or "")
            return
        assert isinstance(editor, QLineEdit)
        editor.setText(index.data(Qt.ItemDataRole.EditRole) or "")

    def setModelData(self, editor: QWidget, model: QAbstractItemModel, index: Index) -> None:
        value = editor.currentText() if isinstance(editor, QComboBox) else editor.text()  # type: ignore[attr-defined]
        # Look the source model up first: after setData the index may no longer be valid.
        source_model, _ = self._source(index)
        if not model.setData(index, value):
            if source_model.last_error:
                self.message.emit(source_model.last_error)
                source_model.last_error = None
