"""The two halves of the import review: the source text with what was read highlighted, and
the parsed tree (chapters → items → targets). They show a :class:`~...plan.review.Review`;
the dialog forwards the clerk's corrections to it."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import QPlainTextEdit, QTextEdit, QTreeWidget, QTreeWidgetItem, QWidget

from ...plan.model import Comparator, Indicator, Item
from ...plan.numbers import format_number
from ...plan.review import Review

ITEM_COLOUR = QColor("#dbeafe")
TARGET_COLOUR = QColor("#fcd34d")
CHAPTER_COLOUR = QColor("#bbf7d0")
UNPLACED_COLOUR = QColor("#fecaca")
COMPARATOR_LABELS = {c.label: c.value for c in Comparator} | {c.value: c.value for c in Comparator}
COMPARATOR_LABELS |= {"以上": ">=", "以内": "<=", "以下": "<=", "左右": "~", "约": "~"}
ROLE = Qt.ItemDataRole.UserRole


class SourceView(QPlainTextEdit):
    """The document as written, read-only, each item, target, chapter and unplaced line
    highlighted by its source span."""

    def __init__(self, review: Review, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("review-source")
        self.setReadOnly(True)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.review = review
        self.setPlainText(review.source)
        wide = [i for i, ch in enumerate(review.source) if ord(ch) > 0xFFFF]
        self._wide = wide  # characters Qt counts twice (UTF-16)

    def qt_position(self, offset: int) -> int:
        return offset + sum(1 for i in self._wide if i < offset)

    def source_offset(self, position: int) -> int:
        offset = position
        for index in self._wide:
            if self.qt_position(index) < position:
                offset -= 1
        return offset

    def _selection(self, start: int, end: int, fmt: QTextCharFormat) -> QTextEdit.ExtraSelection:
        selection = QTextEdit.ExtraSelection()
        cursor = QTextCursor(self.document())
        cursor.setPosition(self.qt_position(start))
        cursor.setPosition(self.qt_position(end), QTextCursor.MoveMode.KeepAnchor)
        selection.cursor = cursor
        selection.format = fmt
        return selection

    def highlight(self) -> None:
        """Paint what the review now holds (called after every correction)."""
        review = self.review
        selections = []
        item_format, target_format, chapter_format, unplaced_format = (
            QTextCharFormat() for _ in range(4)
        )
        item_format.setBackground(ITEM_COLOUR)
        target_format.setBackground(TARGET_COLOUR)
        target_format.setFontUnderline(True)
        chapter_format.setBackground(CHAPTER_COLOUR)
        chapter_format.setFontWeight(QFont.Weight.Bold)
        unplaced_format.setBackground(UNPLACED_COLOUR)
        for item in review.items():
            for start, end in review.segments(item):
                selections.append(self._selection(start, end, item_format))
            for indicator in item.indicators:
                if indicator.source_span:
                    selections.append(self._selection(*indicator.source_span, target_format))
        for chapter in review.plan.chapters:
            line = review.lines.get(chapter.line or 0)
            if line is not None:
                selections.append(self._selection(line.start, line.end, chapter_format))
        for number in review.unplaced:
            line = review.lines.get(number)
            if line is not None:
                selections.append(self._selection(line.start, line.end, unplaced_format))
        self.setExtraSelections(selections)

    def show_span(self, start: int, end: int | None = None) -> None:
        """Scroll to a stretch of the source and select it."""
        cursor = self.textCursor()
        cursor.setPosition(self.qt_position(start))
        if end is not None:
            cursor.setPosition(self.qt_position(end), QTextCursor.MoveMode.KeepAnchor)
        self.setTextCursor(cursor)
        self.centerCursor()

    def show_line(self, number: int) -> None:
        block = self.document().findBlockByNumber(max(number - 1, 0))
        cursor = QTextCursor(block)
        cursor.movePosition(QTextCursor.MoveOperation.EndOfBlock, QTextCursor.MoveMode.KeepAnchor)
        self.setTextCursor(cursor)
        self.centerCursor()

    def current_line(self) -> int:
        return self.textCursor().blockNumber() + 1

    def selected_span(self) -> tuple[int, int] | None:
        cursor = self.textCursor()
        if not cursor.hasSelection():
            return None
        return (
            self.source_offset(cursor.selectionStart()),
            self.source_offset(cursor.selectionEnd()),
        )

    def cursor_offset(self) -> int:
        return self.source_offset(self.textCursor().position())


class PlanTree(QTreeWidget):
    """Chapters → items → targets, with value, unit and comparator editable on target rows."""

    COLUMNS = ("名称", "目标值", "单位", "比较", "行")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("review-tree")
        self.setColumnCount(len(self.COLUMNS))
        self.setHeaderLabels(list(self.COLUMNS))
        self.setColumnWidth(0, 330)
        self.setColumnWidth(1, 70)
        self.setColumnWidth(2, 70)
        self.setColumnWidth(3, 40)
        self.filling = False

    def fill(self, review: Review) -> None:
        self.filling = True
        self.clear()
        for chapter in review.plan.chapters:
            title = f"{chapter.numeral}、{chapter.title}" if chapter.numeral else chapter.title
            top = QTreeWidgetItem(
                self, [title or "（未命名章节）", "", "", "", _line(chapter.line)]
            )
            top.setData(0, ROLE, chapter)
            for item in chapter.items:
                row = QTreeWidgetItem(top, [f"{item.number}. {item.title}", "", "", ""])
                row.setText(4, _line(item.line))
                row.setData(0, ROLE, item)
                row.setToolTip(0, _item_tip(item))
                for indicator in item.indicators:
                    self._target_row(row, indicator)
        self.expandAll()
        self.filling = False

    def _target_row(self, parent: QTreeWidgetItem, indicator: Indicator) -> None:
        row = QTreeWidgetItem(
            parent,
            [
                indicator.name,
                format_number(indicator.value),
                indicator.unit,
                indicator.comparator.label,
            ],
        )
        row.setData(0, ROLE, indicator)
        row.setToolTip(0, indicator.text)
        row.setFlags(row.flags() | Qt.ItemFlag.ItemIsEditable)
        if indicator.value is None:
            row.setBackground(1, UNPLACED_COLOUR)

    def selected_object(self) -> object | None:
        row = self.currentItem()
        return row.data(0, ROLE) if row is not None else None

    def row_of(self, obj: object) -> QTreeWidgetItem | None:
        pending = [self.topLevelItem(i) for i in range(self.topLevelItemCount())]
        while pending:
            row = pending.pop()
            if row.data(0, ROLE) is obj:
                return row
            pending.extend(row.child(i) for i in range(row.childCount()))
        return None


def _item_tip(item: Item) -> str:
    tip = [item.text]
    if item.lead_department or item.co_departments:
        tip.append(
            f"牵头单位：{item.lead_department or '—'}；配合单位：{'、'.join(item.co_departments) or '—'}"
        )
    if item.due_date:
        tip.append(f"完成时限：{item.due_date.isoformat()}")
    return "\n".join(tip)


def _line(number: int | None) -> str:
    return str(number) if number else ""
