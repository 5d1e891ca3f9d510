"""The detail panel: everything about the selected item or indicator, editable.

Shows the item's full text with the indicator's source phrase highlighted, and editors for
departments, due date, the quarter's status and progress text, and the indicator's target
fields. Every change becomes an Edit handed to ``submit`` (the undo controller).

Until a row is chosen the panel shows only its placeholder; the editors (and the Qt classes
they need) are built when the first row is shown, or when one is asked for.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from ...plan.model import Comparator, ItemStatus, Kind
from ...plan.numbers import NumberFormatError, exact_number, parse_number
from ...workspace import Edit, Workspace
from .validators import NumberValidator

if TYPE_CHECKING:
    from PySide6.QtWidgets import QDoubleSpinBox, QGroupBox, QListWidgetItem

# Built with the editors, on first use (see DetailPanel.__getattr__).
ROW_WIDGETS = frozenset(
    (
        "heading text_view item_box indicator_box lead_combo co_list new_department "
        "due_enabled due_edit status_combo progress_edit progress_save name_edit value_edit "
        "value_validator unit_edit comparator_combo kind_combo stretch_edit pace_spins "
        "weight_spin actual_note"
    ).split()
)

COMPARATOR_LABELS = {
    ">=": "≥ 不低于（以上）",
    "<=": "≤ 不超过（以内）",
    "~": "≈ 左右（容差范围内）",
    "=": "= 恰好等于",
}


class _FixedText(QLabel):
    """A word-wrapped label whose text is set once, which remembers its height for each width.

    The layouts over it (the scroll area of 详情, the tabs, the splitter) ask its height for
    some forty widths while the window is built and shown, ten of them different, and QLabel
    lays the whole text out again for every one (~4 ms of the start-up). Anything that could
    change the answer (font, style, a new text) forgets the heights."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self._heights: dict[int, int] = {}

    def heightForWidth(self, width: int) -> int:
        height = self._heights.get(width)
        if height is None:
            height = self._heights[width] = super().heightForWidth(width)
        return height

    def changeEvent(self, event: QEvent) -> None:
        self._heights.clear()
        super().changeEvent(event)

    def setText(self, text: str) -> None:
        self._heights.clear()
        super().setText(text)


class DetailPanel(QWidget):
    message = Signal(str)  # a visible reason when input is refused

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace: Workspace | None = None
        self.submit: Callable[[Edit], bool] = lambda edit: False
        self.row_id: str | None = None
        self.kind: str | None = None
        self.pending: dict[tuple, Edit] = {}  # shared with the window
        self._loading = False
        self._built = False

        self.placeholder = _FixedText(
            "在左侧选择事项或指标以查看详情。\n\n"
            "填报：选中指标所在行直接输入数字（填入“本期实际”），回车保存并移到下一行；"
            "也可从 Excel 复制一列数字，选中第一个“本期实际”后按 Ctrl+V。\n"
            "单位：编辑 → 单位管理（Ctrl+Shift+D），或在“牵头单位”中直接输入。\n"
            "帮助：F1"
        )
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setWordWrap(True)

        self.rows_layout = QVBoxLayout(self)
        self.rows_layout.addWidget(self.placeholder)
        self.rows_layout.addStretch(1)
        self.show_row(None, None)

    def __getattr__(self, name: str) -> Any:
        # Only asked for what the instance lacks: an editor before the first row was shown.
        if name in ROW_WIDGETS and not self.__dict__.get("_built", True):
            self._build_row_widgets()
            return getattr(self, name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def _build_row_widgets(self) -> None:
        """The heading, the item's text and the two editor boxes, hidden until a row shows."""
        from PySide6.QtWidgets import QTextEdit

        self._built = True
        self.heading = QLabel()
        self.heading.setWordWrap(True)
        self.heading.setTextFormat(Qt.TextFormat.PlainText)
        self.heading.setStyleSheet("font-weight: bold; font-size: 12pt;")
        self.text_view = QTextEdit(readOnly=True)
        self.text_view.setAcceptRichText(False)
        self.text_view.setMinimumHeight(90)
        self.item_box = self._build_item_box()
        self.indicator_box = self._build_indicator_box()
        for position, widget in enumerate(
            (self.heading, self.text_view, self.indicator_box, self.item_box), start=1
        ):
            widget.setVisible(False)
            self.rows_layout.insertWidget(position, widget)

    def _build_item_box(self) -> QGroupBox:
        """事项: departments, due date, and the quarter's status and progress text."""
        from PySide6.QtWidgets import (
            QCheckBox,
            QDateEdit,
            QFormLayout,
            QGroupBox,
            QListWidget,
            QPlainTextEdit,
            QPushButton,
        )

        box = QGroupBox("事项")
        form = QFormLayout(box)
        self.lead_combo = QComboBox(editable=True)
        self.lead_combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.lead_combo.lineEdit().setPlaceholderText("选择或输入牵头单位")
        self.lead_combo.lineEdit().editingFinished.connect(self._lead_changed)
        self.lead_combo.activated.connect(lambda _i: self._lead_changed())
        form.addRow("牵头单位", self.lead_combo)
        self.co_list = QListWidget()
        self.co_list.setMaximumHeight(90)
        self.co_list.itemChanged.connect(self._co_changed)
        form.addRow("配合单位", self.co_list)
        self.new_department = QLineEdit(placeholderText="新增单位名称，回车添加")
        self.new_department.returnPressed.connect(self._add_department)
        form.addRow("", self.new_department)
        due_row = QHBoxLayout()
        self.due_enabled = QCheckBox("设定")
        self.due_edit = QDateEdit(calendarPopup=True)
        self.due_edit.setDisplayFormat("yyyy-MM-dd")
        self.due_enabled.toggled.connect(self._due_changed)
        self.due_edit.editingFinished.connect(self._due_changed)
        due_row.addWidget(self.due_enabled)
        due_row.addWidget(self.due_edit, 1)
        form.addRow("完成时限", due_row)
        self.status_combo = QComboBox()
        self.status_combo.addItem("（未填报）", None)
        for status in ItemStatus:
            self.status_combo.addItem(status.value, status.value)
        self.status_combo.activated.connect(lambda _i: self._status_changed())
        form.addRow("本季度状态", self.status_combo)
        self.progress_edit = QPlainTextEdit()
        self.progress_edit.setPlaceholderText("本季度工作进展（离开输入框或按 Ctrl+Enter 即保存）")
        self.progress_edit.setTabChangesFocus(True)
        self.progress_edit.setMinimumHeight(80)
        form.addRow("本季度进展", self.progress_edit)
        self.progress_save = QPushButton("保存进展 (Ctrl+Enter)")
        self.progress_save.setShortcut("Ctrl+Return")
        self.progress_save.clicked.connect(self._progress_changed)
        form.addRow("", self.progress_save)
        self.progress_edit.installEventFilter(self)
        return box

    def _build_indicator_box(self) -> QGroupBox:
        """指标: name, target, unit, comparator, kind, stretch value, pace, weight, note."""
        from PySide6.QtWidgets import QDoubleSpinBox, QFormLayout, QGroupBox

        box = QGroupBox("指标")
        iform = QFormLayout(box)
        self.name_edit = QLineEdit()
        self.name_edit.editingFinished.connect(
            lambda: self._field("name", self.name_edit.text().strip())
        )
        iform.addRow("指标名称", self.name_edit)
        self.value_edit = QLineEdit()
        self.value_validator = NumberValidator(self.value_edit)
        self.value_validator.rejected.connect(self.message)
        self.value_edit.setValidator(self.value_validator)
        self.value_edit.editingFinished.connect(
            lambda: self._number_field("value", self.value_edit)
        )
        iform.addRow("目标值", self.value_edit)
        self.unit_edit = QLineEdit()
        self.unit_edit.editingFinished.connect(
            lambda: self._field("unit", self.unit_edit.text().strip())
        )
        iform.addRow("单位", self.unit_edit)
        self.comparator_combo = QComboBox()
        for value, label in COMPARATOR_LABELS.items():
            self.comparator_combo.addItem(label, value)
        self.comparator_combo.activated.connect(
            lambda _i: self._field("comparator", self.comparator_combo.currentData())
        )
        iform.addRow("比较方式", self.comparator_combo)
        self.kind_combo = QComboBox()
        for kind in Kind:
            self.kind_combo.addItem(kind.label, kind.value)
        self.kind_combo.activated.connect(
            lambda _i: self._field("kind", self.kind_combo.currentData())
        )
        iform.addRow("指标类型", self.kind_combo)
        self.stretch_edit = QLineEdit(placeholderText="（无）")
        self.stretch_edit.setValidator(NumberValidator(self.stretch_edit))
        self.stretch_edit.editingFinished.connect(
            lambda: self._number_field("stretch_value", self.stretch_edit)
        )
        iform.addRow("力争值", self.stretch_edit)
        iform.addRow("季度进度", self._build_pace_row())
        self.weight_spin = QDoubleSpinBox(minimum=0, maximum=100, decimals=1, singleStep=0.5)
        self.weight_spin.editingFinished.connect(
            lambda: self._field("weight", self.weight_spin.value())
        )
        iform.addRow("权重", self.weight_spin)
        self.actual_note = QLineEdit(placeholderText="本季度实际值的说明（可选）")
        self.actual_note.editingFinished.connect(self._note_changed)
        iform.addRow("实际值说明", self.actual_note)
        return box

    def _build_pace_row(self) -> QHBoxLayout:
        """The share of the target due by the end of each quarter."""
        from PySide6.QtWidgets import QDoubleSpinBox

        pace_row = QHBoxLayout()
        self.pace_spins: list[QDoubleSpinBox] = []
        for quarter in range(1, 5):
            spin = QDoubleSpinBox(minimum=0, maximum=100, decimals=0, suffix="%")
            spin.setToolTip(f"第{quarter}季度末应完成的比例")
            spin.editingFinished.connect(
                lambda q=quarter, s=spin: self._field(f"pace_q{q}", s.value())
            )
            self.pace_spins.append(spin)
            pace_row.addWidget(spin)
        return pace_row

    # -- showing --

    def set_workspace(self, workspace: Workspace | None) -> None:
        self.workspace = workspace
        self.show_row(None, None)

    def show_row(self, row_id: str | None, kind: str | None) -> None:
        self.flush()
        self._loading = True
        try:
            self.row_id, self.kind = row_id, kind
            ws = self.workspace
            item = ws.item_of(row_id) if ws and row_id and kind in ("item", "indicator") else None
            has_row = ws is not None and row_id is not None and kind is not None
            self.placeholder.setVisible(not has_row)
            if not has_row and not self._built:
                return
            self.heading.setVisible(has_row)
            self.text_view.setVisible(has_row)
            self.item_box.setVisible(item is not None)
            self.indicator_box.setVisible(kind == "indicator")
            if not has_row or ws is None or row_id is None:
                return
            if kind == "chapter":
                chapter = ws.chapters[row_id]
                self.heading.setText(f"{chapter.numeral}、{chapter.title}")
                self.text_view.setPlainText(chapter.intro)
                return
            assert item is not None and item.id is not None
            self.heading.setText(f"{item.number}. {item.title}")
            self._show_text(item.text, ws.indicators[row_id].span if kind == "indicator" else None)
            self._show_item(ws, item.id)
            if kind == "indicator":
                self._show_indicator(ws, row_id)
            readonly = ws.readonly
            locked = ws.locked()
            for widget in (
                self.lead_combo,
                self.co_list,
                self.new_department,
                self.due_enabled,
                self.due_edit,
                self.name_edit,
                self.value_edit,
                self.unit_edit,
                self.comparator_combo,
                self.kind_combo,
                self.stretch_edit,
                self.weight_spin,
                *self.pace_spins,
            ):
                widget.setEnabled(not readonly)
            for widget in (
                self.status_combo,
                self.progress_edit,
                self.progress_save,
                self.actual_note,
            ):
                widget.setEnabled(not readonly and not locked)
        finally:
            self._loading = False

    def _show_text(self, text: str, span: tuple[int, int] | None) -> None:
        from PySide6.QtGui import QTextCharFormat, QTextCursor

        # The previous highlight must not carry over: setPlainText types the new text in the
        # editor's current format, which after a highlight is the highlight's own.
        self.text_view.setTextCursor(QTextCursor(self.text_view.document()))
        self.text_view.setCurrentCharFormat(QTextCharFormat())
        self.text_view.setPlainText(text)  # user text is always plain text
        if span is None:
            return
        cursor = QTextCursor(self.text_view.document())
        cursor.setPosition(span[0])
        cursor.setPosition(span[1], QTextCursor.MoveMode.KeepAnchor)
        highlight = QTextCharFormat()
        highlight.setBackground(QColor("#ffe38a"))
        highlight.setFontWeight(700)
        cursor.mergeCharFormat(highlight)
        cursor.clearSelection()  # the phrase stays marked by its format, not selected
        self.text_view.setTextCursor(cursor)
        self.text_view.ensureCursorVisible()
        self.text_view.setCurrentCharFormat(QTextCharFormat())

    def _show_item(self, ws: Workspace, item_id: str) -> None:
        from PySide6.QtCore import QDate
        from PySide6.QtWidgets import QListWidgetItem

        item = ws.items[item_id]
        names = [d.name for d in ws.data.departments]
        self.lead_combo.clear()
        self.lead_combo.addItem("")
        self.lead_combo.addItems(names)
        self.lead_combo.setCurrentText(item.lead_department or "")
        self.co_list.clear()
        for name in names:
            entry = QListWidgetItem(name)
            entry.setFlags(entry.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            entry.setCheckState(
                Qt.CheckState.Checked if name in item.co_departments else Qt.CheckState.Unchecked
            )
            self.co_list.addItem(entry)
        self.due_enabled.setChecked(item.due_date is not None)
        self.due_edit.setEnabled(item.due_date is not None)
        due = item.due_date
        self.due_edit.setDate(
            QDate(due.year, due.month, due.day) if due else QDate(ws.plan.year, 12, 31)
        )
        progress = ws.progress_of(item_id)
        status = progress.status.value if progress and progress.status else None
        self.status_combo.setCurrentIndex(max(0, self.status_combo.findData(status)))
        unsaved = self.pending.get(("progress", item_id, "text", ws.quarter))
        # An unsaved progress text stays in the editor as typed, never replaced by the file's.
        self.progress_edit.setPlainText(
            unsaved.new if unsaved else (progress.text if progress else "")
        )
        self.progress_edit.document().setModified(False)
        self.item_box.setTitle(f"事项 · {ws.quarter_label}")

    def _show_indicator(self, ws: Workspace, indicator_id: str) -> None:
        ind = ws.indicators[indicator_id]
        self.name_edit.setText(ind.name)
        self.value_edit.setText(exact_number(ind.value))
        self.unit_edit.setText(ind.unit)
        self.comparator_combo.setCurrentIndex(self.comparator_combo.findData(ind.comparator.value))
        self.kind_combo.setCurrentIndex(self.kind_combo.findData(ind.kind.value))
        self.stretch_edit.setText(exact_number(ind.stretch_value))
        for spin, pace in zip(self.pace_spins, ind.effective_pace(), strict=True):
            spin.setValue(pace)
        self.weight_spin.setValue(ind.weight)
        actual = ws.actual(indicator_id)
        self.actual_note.setText(actual.note if actual else "")

    # -- editing --

    def eventFilter(self, watched: Any, event: Any) -> bool:
        if watched is self.progress_edit and event.type() == event.Type.FocusOut:
            self._progress_changed()
        return super().eventFilter(watched, event)

    def _submit(self, target: str, row_id: str, field: str, value: Any) -> None:
        if self._loading or self.workspace is None:
            return
        edit = self.workspace.make_edit(target, row_id, field, value)
        if edit.old != edit.new:
            self.submit(edit)

    def _item_id(self) -> str | None:
        if self.workspace is None or self.row_id is None:
            return None
        item = self.workspace.item_of(self.row_id)
        return item.id if item else None

    def _lead_changed(self) -> None:
        item_id = self._item_id()
        if item_id:
            self._submit(
                "departments", item_id, "lead", self.lead_combo.currentText().strip() or None
            )

    def _co_changed(self, _entry: QListWidgetItem) -> None:
        item_id = self._item_id()
        if item_id:
            names = [
                self.co_list.item(i).text()
                for i in range(self.co_list.count())
                if self.co_list.item(i).checkState() == Qt.CheckState.Checked
            ]
            self._submit("departments", item_id, "co", names)

    def _add_department(self) -> None:
        name = self.new_department.text().strip()
        if not name or self.workspace is None:
            return
        if any(d.name == name for d in self.workspace.data.departments):
            self.message.emit(f"单位“{name}”已在列表中")
            return
        try:
            self.workspace.store.add_department(name)
        except Exception as exc:
            from ..messages import describe

            self.message.emit(describe(exc)[1])
            return
        self.workspace.data.departments = self.workspace.store.departments()
        self.new_department.clear()
        self.show_row(self.row_id, self.kind)

    def _due_changed(self) -> None:
        item_id = self._item_id()
        if not item_id:
            return
        self.due_edit.setEnabled(self.due_enabled.isChecked())
        value = (
            self.due_edit.date().toString("yyyy-MM-dd") if self.due_enabled.isChecked() else None
        )
        self._submit("item", item_id, "due_date", value)

    def _status_changed(self) -> None:
        item_id = self._item_id()
        if item_id:
            self._submit("progress", item_id, "status", self.status_combo.currentData())

    def _progress_changed(self) -> None:
        item_id = self._item_id()
        document = self.progress_edit.document()
        if item_id and self.progress_edit.isEnabled() and document.isModified():
            document.setModified(False)
            self._submit("progress", item_id, "text", self.progress_edit.toPlainText())

    def flush(self) -> None:
        """Save a progress text being typed, before anything reloads the panel (another
        clerk's commit, a quarter switch, a lock) and would replace it."""
        if not self._loading and self._built:
            self._progress_changed()

    def _note_changed(self) -> None:
        if self.kind == "indicator" and self.row_id:
            self._submit("actual", self.row_id, "note", self.actual_note.text())

    def _field(self, field: str, value: Any) -> None:
        if self.kind == "indicator" and self.row_id:
            if field == "name" and not value:
                self.message.emit("指标名称不能为空")
                self.show_row(self.row_id, self.kind)
                return
            self._submit("indicator", self.row_id, field, value)

    def _number_field(self, field: str, editor: QLineEdit) -> None:
        if self.kind != "indicator" or not self.row_id or self.workspace is None:
            return
        text = editor.text().strip()
        unit = self.workspace.indicators[self.row_id].unit
        try:
            value = None if text == "" else parse_number(text, unit)
        except NumberFormatError:
            self.message.emit(f"“{text}”不是有效数字")
            return
        if field == "value" and value is None:
            self.message.emit("目标值不能为空")
            return
        self._submit("indicator", self.row_id, field, value)


__all__ = ["COMPARATOR_LABELS", "Comparator", "DetailPanel"]
