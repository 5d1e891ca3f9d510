"""The plan tree: chapters → items → indicators, as a model over the workspace.

The model asks the workspace for everything it shows; the rows, and which of them a filter
shows, are its :class:`~.tree_shape.TreeShape`, handed to the views as a C++ tree: the model
is a QIdentityProxyModel over it, so the views lay out thousands of rows without calling into
Python; only ``data()`` (for the cells painted) and ``setData()`` are Python. Whether a cell
may be edited is :meth:`PlanTreeModel.cell_flags`, asked by the view when it would open an
editor, not ``flags()``, which the views ask for every row they lay out.

Filtering happens here too, not in a QSortFilterProxyModel (which would call back into Python
for every row on every keystroke): the workspace's RowFilter picks the rows, and the shape of
those rows is handed over as a new C++ tree (a few milliseconds for thousands of rows).
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Set
from operator import itemgetter
from typing import Any, ClassVar

from PySide6.QtCore import (
    QIdentityProxyModel,
    QItemSelection,
    QModelIndex,
    QModelRoleDataSpan,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QColor, QFont

from ...plan.model import ItemStatus
from ...plan.numbers import NumberFormatError, exact_number, format_number, parse_number
from ...plan.progress import Evaluation, Rag, coverage
from ...workspace import Edit, Workspace, describe_target
from .tree_shape import Node, TreeShape

Index = QModelIndex | QPersistentModelIndex

RAG_BACKGROUND = {
    Rag.GREEN: QColor("#e3f4e1"),
    Rag.AMBER: QColor("#fff1cc"),
    Rag.RED: QColor("#fbdada"),
    Rag.GREY: QColor("#ffffff"),
}
RAG_FOREGROUND = {
    Rag.GREEN: QColor("#1e6b2a"),
    Rag.AMBER: QColor("#8a5a00"),
    Rag.RED: QColor("#b3261e"),
    Rag.GREY: QColor("#6b6b6b"),
}
# Colours, not brushes: the view takes either, and QBrush would make PySide build QGradient
# and QImage (whose enums cost ~3 ms) at start-up.
_UNSAVED_COLOUR = QColor("#ffd54f")


def _unsaved_font() -> QFont:
    font = QFont()
    font.setItalic(True)
    return font


class PlanTreeModel(QIdentityProxyModel):
    COL_NUMBER, COL_NAME, COL_TARGET, COL_UNIT, COL_ACTUAL, COL_COMPLETION, COL_STATUS, COL_LEAD = (
        range(8)
    )
    HEADERS = ("编号", "名称", "目标", "单位", "本期实际", "完成率", "状态", "牵头单位")
    COLUMNS = len(HEADERS)
    RowIdRole = Qt.ItemDataRole.UserRole + 1
    KindRole = Qt.ItemDataRole.UserRole + 2
    RagRole = Qt.ItemDataRole.UserRole + 3

    def __init__(self, workspace: Workspace, parent: Any = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        # Called with an Edit; returns True when it was written. Set by the window, which
        # runs it through the undo stack and turns errors into messages.
        self.submit_edit: Callable[[Edit], bool] = self._apply_directly
        self.last_error: str | None = None
        self.allowed: Set[str] | None = None
        self.pending: dict[tuple, Edit] = {}  # unsaved edits, shown as typed (set by the window)
        self._build()

    def _apply_directly(self, edit: Edit) -> bool:
        self.workspace.apply(edit)
        return True

    # -- structure --

    def _build(self) -> None:
        self._shape = TreeShape(self.workspace, self.allowed)
        self.setSourceModel(self._shape.source())

    def would_change(self, allowed: Set[str] | None) -> bool:
        """Whether set_filter(allowed) would show other rows than now (the views are reset
        then: the caller keeps what it wants to put back)."""
        shape = self._shape
        return allowed is not self.allowed and shape.shown_nodes(allowed) != shape.shown_set

    def set_filter(self, allowed: Set[str] | None) -> bool:
        """Show only the rows in ``allowed`` (with their ancestors); None shows everything.

        Returns whether the rows shown changed. A change reaches the views as a reset (the
        caller opens the rows again and puts the current row back); nothing is sent when
        the same rows stay shown.
        """
        if allowed is self.allowed:  # the filter hands back the same set for the same rows
            return False
        shape = self._shape
        shown = shape.shown_nodes(allowed)
        self.allowed = allowed
        if shown == shape.shown_set:
            return False
        shape.show(shown)
        self.setSourceModel(shape.source())  # a reset of the views
        return True

    def persistent_indexes(self) -> list[QModelIndex]:
        """The indexes views hold on to: the current cell, the selection, the open rows."""
        return self.persistentIndexList()

    def structure(self) -> dict[str, list[str]]:
        """The shape of the tree as built (to tell a value change from a structural one):
        every chapter and item, with the ids of its children in order, and the chapters."""
        return {
            n.row_id: [c.row_id for c in n.children]
            for n in [self._shape.root, *self._shape.nodes]
            if n.kind != "indicator"
        }

    @staticmethod
    def structure_of(workspace: Workspace) -> dict[str, list[str]]:
        shape = {"": [c.id or "" for c in workspace.plan.chapters]}
        for chapter in workspace.plan.chapters:
            shape[chapter.id or ""] = [i.id or "" for i in chapter.items]
            for item in chapter.items:
                shape[item.id or ""] = [n.id or "" for n in item.indicators]
        return shape

    def rebuild(self) -> None:
        """Re-read the whole tree (after a reload, an import, adding or removing rows): the
        views hear of it as a reset."""
        self._build()

    def longest_names(self, count: int = 12) -> list[QModelIndex]:
        """The 名称 cells of the chapters and items shown with the longest names (by their
        UTF-8 length, in which a Chinese character counts as three letters): those a column
        fitted to its content has to hold."""
        ws, chapters = self.workspace, self._shape.root.shown
        rows = [(len(ws.chapters[c.row_id].title.encode()), c) for c in chapters]
        rows += [(len(ws.items[i.row_id].title.encode()), i) for c in chapters for i in c.shown]
        longest = heapq.nlargest(count, rows, key=itemgetter(0))
        return [self.index_of(node.row_id, self.COL_NAME) for _length, node in longest]

    def node(self, index: Index) -> Node:
        """The row an index of the tree shown stands for (the root for an invalid index, or
        one left over from a tree shown before a filter)."""
        if not index.isValid():
            return self._shape.root
        return self._shape.node_at(index.internalId(), index.row())

    def has_row(self, row_id: str) -> bool:
        """The plan has the row (shown or filtered out)."""
        return row_id in self._shape.by_id

    def cells_of(self, selection: QItemSelection) -> list[tuple[list[str], int, int]]:
        """The cells of a selection as blocks (row ids, first column, last column): what a
        selection is made of again after the rows shown change (see selection_of)."""
        blocks = []
        for cells in selection:
            parent = self.node(cells.parent())
            rows = parent.shown[cells.top() : cells.bottom() + 1]
            blocks.append(([n.row_id for n in rows], cells.left(), cells.right()))
        return blocks

    def selection_of(self, blocks: list[tuple[list[str], int, int]]) -> QItemSelection:
        """The blocks' cells that are shown, in as few ranges as they make (rows next to
        each other under one parent, with the same columns, are one range)."""
        selection = QItemSelection()
        for ptr, top, bottom, left, right in self._shape.runs(blocks):
            selection.select(self.createIndex(top, left, ptr), self.createIndex(bottom, right, ptr))
        return selection

    def index_of(self, row_id: str, column: int = 0) -> QModelIndex:
        """The row's index, or an invalid one if it does not exist or is filtered out."""
        shape = self._shape
        node = shape.by_id.get(row_id)
        if node is None or not shape.is_shown(node):
            return QModelIndex()
        assert node.parent is not None
        return self.createIndex(shape.row(node), column, node.parent.ptr)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.HEADERS[section]
        return None

    # -- data --

    # A view asks for seven roles of every cell it paints, in one call (multiData): each
    # answer is a few lookups, the brushes and fonts are made once, and roles the tree does
    # not use are refused first. Each role the tree answers has a method of its own (_BY_ROLE).
    _DISPLAY, _EDIT = int(Qt.ItemDataRole.DisplayRole), int(Qt.ItemDataRole.EditRole)
    _BACKGROUND, _FOREGROUND = (
        int(Qt.ItemDataRole.BackgroundRole),
        int(Qt.ItemDataRole.ForegroundRole),
    )
    _FONT, _TOOLTIP = int(Qt.ItemDataRole.FontRole), int(Qt.ItemDataRole.ToolTipRole)
    _ALIGNMENT = int(Qt.ItemDataRole.TextAlignmentRole)
    _RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    _RIGHT_COLUMNS = frozenset({COL_TARGET, COL_ACTUAL, COL_COMPLETION})
    _RAG_COLUMNS = frozenset({COL_STATUS, COL_COMPLETION})

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        answer = self._BY_ROLE.get(role)
        if answer is None or not index.isValid():
            return None
        return answer(
            self, self._shape.by_ptr[index.internalId()].shown[index.row()], index.column()
        )

    def multiData(self, index: Index, roleDataSpan: QModelRoleDataSpan) -> None:
        """Every role a delegate asks of a cell in one call, each what data() says of it: a
        painted cell costs one call into Python, not seven."""
        if not index.isValid():
            for slot in roleDataSpan:
                slot.clearData()
            return
        node = self._shape.by_ptr[index.internalId()].shown[index.row()]
        column, by_role = index.column(), self._BY_ROLE
        for place in range(len(roleDataSpan)):  # (indexing costs less than iterating)
            slot = roleDataSpan[place]
            answer = by_role.get(slot.role())
            value = None if answer is None else answer(self, node, column)
            if value is None:
                slot.clearData()
            else:
                slot.setData(value)

    def _display(self, node: Node, column: int) -> Any:
        return self._text(node, column, False)

    def _edit(self, node: Node, column: int) -> Any:
        return self._text(node, column, True)

    def _background(self, node: Node, column: int) -> QColor:
        if column == self.COL_ACTUAL and self.pending and self._unsaved(node):
            return _UNSAVED_COLOUR
        return RAG_BACKGROUND[self.workspace.evaluation(node.row_id).status]

    def _foreground(self, node: Node, column: int) -> QColor | None:
        if column in self._RAG_COLUMNS:
            return RAG_FOREGROUND[self.workspace.evaluation(node.row_id).status]
        return None

    def _alignment(self, node: Node, column: int) -> int | None:
        return self._RIGHT if column in self._RIGHT_COLUMNS else None

    def _font(self, node: Node, column: int) -> QFont | None:
        if column == self.COL_ACTUAL and self.pending and self._unsaved(node):
            return _unsaved_font()
        return None

    def _row_id(self, node: Node, column: int) -> str:
        return node.row_id

    def _kind(self, node: Node, column: int) -> str:
        return node.kind

    def _rag(self, node: Node, column: int) -> str:
        return self.workspace.evaluation(node.row_id).status.value

    def _tip(self, node: Node, column: int) -> str | None:
        if column == self.COL_COMPLETION and node.kind != "indicator":
            reported, total = self._coverage(node)
            return f"已填报 {reported} 项指标，共 {total} 项" if total else None
        return self._tooltip(node, self.workspace.evaluation(node.row_id))

    _BY_ROLE: ClassVar[dict[int, Callable[[PlanTreeModel, Node, int], Any]]] = {
        _DISPLAY: _display,
        _EDIT: _edit,
        _BACKGROUND: _background,
        _FOREGROUND: _foreground,
        _ALIGNMENT: _alignment,
        _FONT: _font,
        _TOOLTIP: _tip,
        RowIdRole: _row_id,
        KindRole: _kind,
        RagRole: _rag,
    }

    def itemData(self, index: Index) -> dict[int, Any]:
        """The cell's roles from data() (the C++ tree under the model holds none)."""
        roles = (self._DISPLAY, self._EDIT, self._BACKGROUND, self._FOREGROUND, self._FONT,
                 self._TOOLTIP, self._ALIGNMENT)  # fmt: skip
        found = {role: self.data(index, role) for role in roles}
        return {role: value for role, value in found.items() if value is not None}

    def _text(self, node: Node, column: int, editing: bool) -> Any:
        ws = self.workspace
        if column == self.COL_COMPLETION:
            return self._completion(node, ws.evaluation(node.row_id))
        if column == self.COL_STATUS:
            evaluation = ws.evaluation(node.row_id)
            label = evaluation.status.label
            if (
                node.kind != "indicator"
                and evaluation.red_below
                and evaluation.status is not Rag.RED
            ):
                label += "（含滞后）"
            return label
        if node.kind == "chapter":
            chapter = ws.chapters[node.row_id]
            if column == self.COL_NUMBER:
                return chapter.numeral
            return chapter.title if column == self.COL_NAME else ""
        if node.kind == "item":
            return self._item_text(node, column)
        indicator = ws.indicators[node.row_id]
        if column == self.COL_NUMBER:
            return f"{ws.items[ws.parent[node.row_id]].number}.{node.position + 1}"
        if column == self.COL_NAME:
            return indicator.name
        if column == self.COL_TARGET:
            return exact_number(indicator.value) if editing else describe_target(indicator)
        if column == self.COL_UNIT:
            return indicator.unit
        if column == self.COL_ACTUAL:
            actual = ws.actual(node.row_id)
            value = actual.value if actual else None
            unsaved = self.pending.get(("actual", node.row_id, "value", ws.quarter))
            if unsaved is not None:
                value = unsaved.new
            return exact_number(value) if editing else format_number(value)
        if column == self.COL_LEAD:
            return ws.items[ws.parent[node.row_id]].lead_department or ""
        return ""

    def _item_text(self, node: Node, column: int) -> str:
        ws = self.workspace
        item = ws.items[node.row_id]
        if column == self.COL_NUMBER:
            return str(item.number)
        if column == self.COL_NAME:
            return item.title
        if column == self.COL_LEAD:
            return item.lead_department or ""
        if column != self.COL_ACTUAL:
            return ""
        unsaved = self.pending.get(("progress", node.row_id, "status", ws.quarter))
        if unsaved is not None:
            return unsaved.new or ""
        progress = ws.progress_of(node.row_id)
        return progress.status.value if progress and progress.status else ""

    def _completion(self, node: Node, evaluation: Evaluation) -> str:
        """An indicator's completion; a chapter's or item's with its 填报率 beside it."""
        shown = "" if evaluation.completion is None else f"{evaluation.completion * 100:.0f}%"
        if node.kind == "indicator":
            return shown
        reported, total = self._coverage(node)
        if not total:
            return shown
        # "58% 3/5": completion, then how many of the row's indicators are reported (状态 beside
        # it already says 未填报, so a row with nothing in shows only "0/5").
        return f"{shown} {reported}/{total}" if shown else f"{reported}/{total}"

    def _coverage(self, node: Node) -> tuple[int, int]:
        """(reported, total) indicators under a chapter or item row."""
        ws = self.workspace
        if node.kind == "chapter":
            indicators = [n for i in ws.chapters[node.row_id].items for n in i.indicators]
        else:
            indicators = list(ws.items[node.row_id].indicators)
        return coverage(indicators, ws.progress)

    def _unsaved(self, node: Node) -> bool:
        if not self.pending:
            return False
        q = self.workspace.quarter
        return ("actual", node.row_id, "value", q) in self.pending or (
            "progress",
            node.row_id,
            "status",
            q,
        ) in self.pending

    def _tooltip(self, node: Node, evaluation: Evaluation) -> str | None:
        if self._unsaved(node):
            return "此修改尚未保存到文件（文件被占用或无法写入），请点击状态栏的“重试”。"
        ws = self.workspace
        if node.kind == "indicator":
            indicator = ws.indicators[node.row_id]
            pace = (
                ""
                if evaluation.expected is None
                else f"；本季度应达 {evaluation.expected * 100:.0f}%"
            )
            return f"{indicator.text}{pace}"
        if node.kind == "item":
            progress = ws.progress_of(node.row_id)
            return progress.text if progress and progress.text else None
        return None

    # -- editing --

    # flags() is the C++ tree's (the views ask it for every row they lay out) and calls every
    # cell editable: it says nothing of what may be edited. That is asked here, by the view
    # before it opens an editor (PlanTreeView.edit) and by the ledger's keys and paste.
    # The file's read-only state and the quarter's lock are looked at only for a cell that may
    # be edited.
    _FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
    _FLAGS_LEAF = _FLAGS | Qt.ItemFlag.ItemNeverHasChildren
    _FLAGS_EDITABLE = _FLAGS | Qt.ItemFlag.ItemIsEditable
    _FLAGS_EDITABLE_LEAF = _FLAGS_LEAF | Qt.ItemFlag.ItemIsEditable
    _EDITABLE: ClassVar[dict[str, frozenset[int]]] = {
        "chapter": frozenset({COL_NAME}),
        "item": frozenset({COL_NAME, COL_ACTUAL, COL_LEAD}),
        "indicator": frozenset({COL_NAME, COL_TARGET, COL_UNIT, COL_ACTUAL}),
    }

    def cell_flags(self, index: Index) -> Qt.ItemFlag:
        """The cell's flags as the clerk has them: enabled and selectable, editable where
        the plan, the file and the quarter's lock allow it."""
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        node = self.node(index)
        leaf = node.kind == "indicator"
        column = index.column()
        if column not in self._EDITABLE[node.kind]:
            return self._FLAGS_LEAF if leaf else self._FLAGS
        ws = self.workspace
        if ws.readonly or (column == self.COL_ACTUAL and ws.locked()):
            return self._FLAGS_LEAF if leaf else self._FLAGS
        return self._FLAGS_EDITABLE_LEAF if leaf else self._FLAGS_EDITABLE

    def edit_for(self, index: Index, value: Any) -> Edit:
        """The Edit that putting ``value`` into the cell means (raises ValueError if invalid)."""
        node = self.node(index)
        column = index.column()
        ws = self.workspace
        text = "" if value is None else str(value).strip()
        if node.kind == "indicator":
            indicator = ws.indicators[node.row_id]
            if column == self.COL_ACTUAL:
                number = None if text == "" else parse_number(text, indicator.unit)
                return ws.make_edit("actual", node.row_id, "value", number)
            if column == self.COL_TARGET:
                return ws.make_edit(
                    "indicator", node.row_id, "value", parse_number(text, indicator.unit)
                )
            if column == self.COL_UNIT:
                return ws.make_edit("indicator", node.row_id, "unit", text)
            if column == self.COL_NAME:
                return ws.make_edit("indicator", node.row_id, "name", _non_empty(text))
        if node.kind == "item":
            if column == self.COL_ACTUAL:
                return ws.make_edit(
                    "progress", node.row_id, "status", ItemStatus(text).value if text else None
                )
            if column == self.COL_LEAD:
                return ws.make_edit("departments", node.row_id, "lead", text or None)
            if column == self.COL_NAME:
                return ws.make_edit("item", node.row_id, "title", _non_empty(text))
        if node.kind == "chapter" and column == self.COL_NAME:
            return ws.make_edit("chapter", node.row_id, "title", _non_empty(text))
        raise ValueError("该单元格不可编辑")

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.EditRole or not index.isValid():
            return False
        try:
            edit = self.edit_for(index, value)
        except NumberFormatError:
            self.last_error = f"“{value}”不是有效数字：只能输入数字，可带万、亿或千位分隔符"
            return False
        except ValueError as exc:
            self.last_error = str(exc) if str(exc) else "输入无效"
            return False
        if edit.old == edit.new:
            return False
        return self.submit_edit(edit)

    def refresh_all(self) -> None:
        """Values changed everywhere (quarter switched, reload): repaint without resetting."""
        # No rows move, so persistent indexes (selection, expansion) survive; views
        # re-read everything in one go instead of one signal per parent.
        self.layoutAboutToBeChanged.emit()
        self.layoutChanged.emit()

    def refresh_rows(self, row_ids: list[str]) -> None:
        """Repaint the given rows and their ancestors (their roll-ups changed too)."""
        seen: set[str] = set()
        last, shape = self.COLUMNS - 1, self._shape
        for row_id in row_ids:
            node = shape.by_id.get(row_id)
            if node is not None and not shape.is_shown(node):
                continue
            while node is not None and node.parent is not None and node.row_id not in seen:
                seen.add(node.row_id)
                ptr, row = node.parent.ptr, shape.row(node)
                self.dataChanged.emit(
                    self.createIndex(row, 0, ptr), self.createIndex(row, last, ptr)
                )
                node = node.parent


def _non_empty(text: str) -> str:
    if not text:
        raise ValueError("名称不能为空")
    return text


def pending_key(edit: Edit) -> tuple:
    """Unsaved edits are keyed by what they change, so a retry replaces an older attempt."""
    return (edit.target, edit.row_id, edit.field, edit.quarter)
