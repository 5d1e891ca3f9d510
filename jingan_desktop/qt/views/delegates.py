"""Cell editors for the plan tree: validated numbers, status and department pickers; and the
two columns drawn by hand (名称 of a renamed row, 完成率's bar).

Those two have delegates of their own (:func:`install_delegates`), so Python is asked to style
or draw only their cells: every other cell is drawn by Qt alone, without a call into Python
for each cell on each paint."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPalette
from PySide6.QtWidgets import (
    QComboBox,
    QLineEdit,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from ...plan.model import ItemStatus
from ...plan.numbers import format_number
from .plan_tree import renamed_from
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
            hint = (
                previous_quarter_hint(model, source) if column == PlanTreeModel.COL_ACTUAL else ""
            )
            editor.setPlaceholderText(hint or "数字，可带万/亿")
            editor.setToolTip(hint)
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


class NameDelegate(PlanItemDelegate):
    """名称: a name changed away from the plan's text shows as changed (italic, purple)."""

    def initStyleOption(self, option: QStyleOptionViewItem, index: Index) -> None:
        super().initStyleOption(option, index)
        if renamed_from(index):  # a name changed away from the plan's text shows as changed
            option.font.setItalic(True)  # type: ignore[attr-defined]
            option.palette.setColor(QPalette.ColorRole.Text, QColor("#6a1b9a"))  # type: ignore[attr-defined]


class CompletionDelegate(PlanItemDelegate):
    """完成率: the figure with a bar under it."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        """完成率 with a bar under its figure (full at 100 %)."""
        super().paint(painter, option, index)
        text = str(index.data() or "")
        if not text.endswith("%"):
            return
        try:
            share = max(0.0, min(1.0, float(text[:-1]) / 100))
        except ValueError:
            return
        rect = option.rect.adjusted(3, option.rect.height() - 5, -3, -2)  # type: ignore[attr-defined]
        painter.save()
        painter.fillRect(rect, QColor("#e0e0e0"))
        colour = index.data(Qt.ItemDataRole.ForegroundRole)
        filled = rect.adjusted(0, 0, -int(rect.width() * (1 - share)), 0)
        painter.fillRect(filled, colour if colour is not None else QColor("#1e6b2a"))
        painter.restore()


def install_delegates(tree: Any, departments: Any, message: Any) -> PlanItemDelegate:
    """The tree's delegates: the editors for every column, 名称 and 完成率 drawn by their own.
    ``message`` receives a visible reason when typed input is refused. Returns the editors'."""
    delegate = PlanItemDelegate(departments, tree)
    tree.setItemDelegate(delegate)
    for column, kind in (
        (PlanTreeModel.COL_NAME, NameDelegate),
        (PlanTreeModel.COL_COMPLETION, CompletionDelegate),
    ):
        own = kind(departments, tree)
        own.message.connect(message)
        tree.setItemDelegateForColumn(column, own)
    delegate.message.connect(message)
    return delegate


def previous_quarter_hint(model: PlanTreeModel, index: Index) -> str:
    """The figure reported last quarter, beside the editor of a cumulative figure:
    "上季度：5200（累计）"."""
    ws = model.workspace
    row_id = model.node(index).row_id
    if ws.quarter <= 1 or row_id not in ws.indicators:
        return ""
    previous = ws.actual(row_id, ws.quarter - 1)
    if previous is None or previous.value is None:
        return "上季度未填报"
    cumulative = ws.indicators[row_id].kind.cumulative
    return f"上季度：{format_number(previous.value)}" + ("（累计）" if cumulative else "")
