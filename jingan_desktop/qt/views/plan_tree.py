"""The plan tree as a ledger: cells are selected (Shift/Ctrl-click, Shift+arrows), the current
cell is drawn, and the keyboard works as in Excel without renaming the plan by accident:

- typing on a row goes to its figure (本期实际); names, targets and units open only on purpose
  (F2, double-click);
- ←/→ and Tab/Shift+Tab move between the row's editable cells (→ on a closed row opens it,
  ← on an open row at its first editable cell closes it);
- Enter commits and moves down to the next row where the same column can be edited.

Ctrl+C, Ctrl+V and Delete are actions on the tree (qt/commands.py); what they do is in
qt/controllers/ledger.py. A keystroke that cannot be taken (a locked quarter) is reported
through :attr:`PlanTreeView.refused` with the row it was meant for.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QHelpEvent, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemDelegate,
    QAbstractItemView,
    QApplication,
    QToolTip,
    QTreeView,
    QWidget,
)

from .tree_model import PlanTreeModel

Index = QModelIndex | QPersistentModelIndex

# Columns that typing may open directly; every other column needs F2 or a double-click.
TYPING_COLUMNS = (PlanTreeModel.COL_ACTUAL,)


class PlanTreeView(QTreeView):
    refused = Signal(str)  # the row id a keystroke was meant for, when its cell is not editable

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("plan-tree")
        self.painted = False  # the rows have been drawn once (the start-up probe waits for it)
        self.setUniformRowHeights(True)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
        )
        self.setTabKeyNavigation(True)
        self.setAllColumnsShowFocus(False)
        # The current cell stays visible when the tree does not have focus too.
        self.setStyleSheet(
            "QTreeView::item:focus { border: 2px solid #1a73e8; }"
            "QTreeView::item:selected { background: #cfe3ff; color: black; }"
        )

    # -- where keys go --

    def plan_model(self) -> PlanTreeModel | None:
        model = self.model()
        return model if isinstance(model, PlanTreeModel) else None

    def editable_columns(self, index: Index) -> list[int]:
        model = self.plan_model()
        if model is None or not index.isValid():
            return []
        return [
            column
            for column in range(model.columnCount())
            if model.cell_flags(index.siblingAtColumn(column)) & Qt.ItemFlag.ItemIsEditable
        ]

    def figure_cell(self, index: Index) -> QModelIndex:
        """Where typing on ``index`` goes: the cell itself if typing may open it, else the row's
        本期实际."""
        if index.column() in TYPING_COLUMNS:
            return QModelIndex(index)
        return index.siblingAtColumn(PlanTreeModel.COL_ACTUAL)

    def edit(  # type: ignore[override]
        self,
        index: Index,
        trigger: QAbstractItemView.EditTrigger | None = None,
        event: QEvent | None = None,
    ) -> bool:
        """Open an editor only where the model lets this cell be edited (the C++ tree under
        the model calls every cell editable, so that laying out rows never asks Python)."""
        model = self.plan_model()
        if model is not None and not model.cell_flags(index) & Qt.ItemFlag.ItemIsEditable:
            return False
        if trigger is None:  # the public slot edit(index)
            super().edit(index)
            return self.state() == QAbstractItemView.State.EditingState
        return super().edit(index, trigger, event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        plain = not (
            event.modifiers()
            & (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier)
        )
        current = self.currentIndex()
        if self.state() != QAbstractItemView.State.EditingState and current.isValid():
            if key in (Qt.Key.Key_Tab, Qt.Key.Key_Backtab) and plain:
                self.move_across(current, -1 if key == Qt.Key.Key_Backtab else 1, wrap=True)
                return
            shift = event.modifiers() & Qt.KeyboardModifier.ShiftModifier
            if key in (Qt.Key.Key_Left, Qt.Key.Key_Right) and plain and not shift:
                self._left_right(current, 1 if key == Qt.Key.Key_Right else -1)
                return
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and plain:
                self.move_down(current)
                return
            if plain and event.text() and event.text().isprintable() and event.text() != " ":
                self._type_into(current, event)
                return
        super().keyPressEvent(event)

    def _type_into(self, current: QModelIndex, event: QKeyEvent) -> None:
        model = self.plan_model()
        target = self.figure_cell(current)
        if model is None or not target.isValid():
            return
        if not model.cell_flags(target) & Qt.ItemFlag.ItemIsEditable:
            self.refused.emit(model.node(target).row_id)
            return
        self.setCurrentIndex(target)
        self.edit(target)
        editor = self.focusWidget()
        if editor is not None and editor is not self:
            # The keystroke itself goes to the editor, through its validator.
            if hasattr(editor, "selectAll"):
                editor.selectAll()  # type: ignore[attr-defined]
            QApplication.sendEvent(editor, QKeyEvent(event))

    def _left_right(self, current: QModelIndex, step: int) -> None:
        model = self.plan_model()
        has_children = model is not None and model.rowCount(current.siblingAtColumn(0)) > 0
        first = current.siblingAtColumn(0)
        columns = self.editable_columns(current)
        if step > 0 and has_children and not self.isExpanded(first):
            self.expand(first)
            return
        ahead = [c for c in columns if (c - current.column()) * step > 0]
        if ahead:
            column = ahead[0] if step > 0 else ahead[-1]
            self.setCurrentIndex(current.siblingAtColumn(column))
            return
        if step < 0 and has_children and self.isExpanded(first):
            self.collapse(first)
            return
        if step < 0 and current.parent().isValid():
            self.setCurrentIndex(current.parent().siblingAtColumn(current.column()))

    def move_across(self, current: QModelIndex, step: int, wrap: bool = False) -> None:
        """To the next (previous) editable cell of the row; at its end, on to the next row."""
        index = current
        for _ in range(10_000):  # a bound: never loop on a tree without editable cells
            columns = self.editable_columns(index)
            ahead = [c for c in columns if (c - index.column()) * step > 0]
            if ahead:
                self.setCurrentIndex(index.siblingAtColumn(ahead[0] if step > 0 else ahead[-1]))
                return
            if not wrap:
                return
            row = self.indexBelow(index) if step > 0 else self.indexAbove(index)
            if not row.isValid():
                return
            index = row.siblingAtColumn(0 if step > 0 else row.model().columnCount() - 1)

    def move_down(self, current: QModelIndex) -> None:
        """Enter as in Excel: to the next row whose cell in this column can be edited."""
        model = self.plan_model()
        column = current.column()
        below = self.indexBelow(current)
        while below.isValid() and model is not None:
            cell = below.siblingAtColumn(column)
            if model.cell_flags(cell) & Qt.ItemFlag.ItemIsEditable:
                self.setCurrentIndex(cell)
                return
            below = self.indexBelow(below)

    def closeEditor(self, editor: QWidget, hint: QAbstractItemDelegate.EndEditHint) -> None:
        current = self.currentIndex()
        if hint == QAbstractItemDelegate.EndEditHint.SubmitModelCache:
            super().closeEditor(editor, QAbstractItemDelegate.EndEditHint.NoHint)
            if current.isValid():
                self.move_down(current)
            return
        if hint in (
            QAbstractItemDelegate.EndEditHint.EditNextItem,
            QAbstractItemDelegate.EndEditHint.EditPreviousItem,
        ):
            super().closeEditor(editor, QAbstractItemDelegate.EndEditHint.NoHint)
            if current.isValid():
                step = 1 if hint == QAbstractItemDelegate.EndEditHint.EditNextItem else -1
                self.move_across(current, step, wrap=True)
            return
        super().closeEditor(editor, hint)

    # -- a cell too narrow for its text --

    def tooltip_for(self, index: Index) -> str | None:
        """The full text where the cell cuts it (with the model's own tooltip after it)."""
        if not index.isValid():
            return None
        text = str(index.data() or "")
        own = index.data(Qt.ItemDataRole.ToolTipRole)
        rect = self.visualRect(index)
        needed = self.fontMetrics().horizontalAdvance(text) + 12
        if index.column() == 0:
            needed += self.indentation() * (1 + _depth(index))
        source = renamed_from(index)
        if source:
            own = f"名称已修改（计划中为：{source}）"
        if text and needed > rect.width():
            return text if not own or own == text else f"{text}\n{own}"
        return own

    def viewport_width(self) -> int:
        """The viewport's width, worked out without asking for the viewport widget: wrapping
        that plain QWidget makes PySide6 set up every widget class it might be (some 16 ms
        of the start-up)."""
        bar = self.verticalScrollBar()
        taken = bar.sizeHint().width() if bar.isVisibleTo(self) else 0
        return self.maximumViewportSize().width() - taken

    def viewportEvent(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            self.painted = True
        elif event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            tip = self.tooltip_for(self.indexAt(event.pos()))
            if tip:
                QToolTip.showText(event.globalPos(), tip, self.viewport())
            else:
                QToolTip.hideText()
            return True
        return super().viewportEvent(event)

    # -- the selection, as a block of cells --

    def selected_cells(self) -> list[QModelIndex]:
        """The selected cells in the order shown (top to bottom, left to right); the current
        cell when nothing is selected."""
        cells = list(self.selectionModel().selectedIndexes()) if self.selectionModel() else []
        if not cells and self.currentIndex().isValid():
            cells = [self.currentIndex()]
        rects = {id(c): self.visualRect(c) for c in cells}
        return sorted(cells, key=lambda c: (rects[id(c)].top(), c.column()))


def _depth(index: Index) -> int:
    depth, parent = 0, index.parent()
    while parent.isValid():
        depth, parent = depth + 1, parent.parent()
    return depth


def renamed_from(index: Index) -> str | None:
    """The plan's own name of an indicator or item that was renamed by hand (so the tree can
    show the name as changed); None when the name is still the plan's own."""
    model = index.model()
    if not isinstance(model, PlanTreeModel) or index.column() != PlanTreeModel.COL_NAME:
        return None
    node = model.node(index)
    if node.kind not in ("indicator", "item"):
        return None
    return model.workspace.plan_name(node.row_id)
