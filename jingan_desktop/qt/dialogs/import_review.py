"""导入前核对: the parsed plan beside its source, corrected by the clerk, saved in one go.

The source text (left) shows each recognised item, target and chapter heading highlighted;
the tree (right) the chapters → items → targets read from it; below it the parser's warnings
and the lines it could not place (click one: the source scrolls there). Every correction goes
to :class:`~...plan.review.Review`; nothing is written until 保存 hands the corrected plan to
the ``save`` callback (the files controller's import), and 取消 writes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ...plan.model import Indicator, Item, Plan
from ...plan.numbers import NumberFormatError
from ...plan.review import CHAPTER, ITEM, OUTSIDE, Review, ReviewError
from .review_parts import COMPARATOR_LABELS, ROLE, PlanTree, SourceView

REASONS = {
    "no-title": "未找到计划标题，请填写标题后保存。",
    "no-items": "未识别出任何事项：请在左侧原文中选中一行，点“设为事项”或“设为章节”。",
    "target-without-value": "有指标缺少目标值（红色），请填写或删除。",
    "blank-line": "这是空行。",
    "split-at-edge": "请把光标放在事项正文中间再拆分。",
    "nothing-to-join": "这是本章最后一个事项，没有可合并的下一项。",
    "empty-selection": "请先在左侧原文中选中指标的文字。",
    "outside-items": "所选文字不在任何事项中：请先把这一行设为事项。",
    "bad-year": "年份不正确。",
}
UNPLACED_REASONS = {
    "not part of any item": "未归入任何事项",
    "not inside any item": "未归入任何事项",
    "after the plan": "计划正文之后",
    "page number": "页码",
    "marked as not part of the plan": "已标为不属于计划",
}

# The parser's warnings (English, as the CLI prints them) in the clerk's words; one the table
# does not know is shown as written.
WARNINGS = [
    (re.compile(r"^no title found"), "未找到计划标题，请在上方填写。"),
    (re.compile(r"^no items found"), "未找到编号事项（如“1.”“1、”“（一）”或任务分解表）。"),
    (re.compile(r"^numbers are present but no item holds them"), "文中有数字，但不在任何事项中。"),
    (re.compile(r"^no year found in the plan: assumed (\d+)"), r"未找到年度，暂按 \1 年，请核对。"),
    (
        re.compile(r"^no title with a year: year (\d+) taken"),
        r"标题中没有年度，按正文取 \1 年，请核对。",
    ),
    (
        re.compile(r"^figures outside the plan's items were not read as targets \('(.*)'\)"),
        r"事项之外的数字未作为指标（“\1”）：如属计划内容，请把该行设为事项。",
    ),
    (
        re.compile(r"^(?:item (\d+)|总体目标) \((.*)\): numbers present \('(.*)'\)"),
        r"事项\1（\2）有数字（“\3”）但未识别出指标：可选中文字添加为指标。",
    ),
    (
        re.compile(r"^(\d+) figures in an actual/完成情况 column are actuals"),
        r"“完成情况”列中的 \1 个数字是实际值而非目标，未导入（可作为季度实际值填报）。",
    ),
]

SaveCallback = Callable[[Plan], bool]


def warning_text(message: str) -> str:
    for pattern, words in WARNINGS:
        if match := pattern.match(message):
            return match.expand(words)
    return message


class ImportReviewDialog(QDialog):
    """Review a parsed plan before it is saved."""

    def __init__(
        self, review: Review, source_name: str, save: SaveCallback, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("import-review")
        self.setWindowTitle(f"导入前核对 — {source_name}")
        self.resize(1400, 860)
        self.review = review
        self.save_callback = save
        self.saved = False
        layout = QVBoxLayout(self)
        layout.addLayout(self._build_fields())
        self.banner = QLabel()
        self.banner.setObjectName("review-banner")
        self.banner.setWordWrap(True)
        self.banner.setStyleSheet("color: #b91c1c; font-weight: bold;")
        layout.addWidget(self.banner)
        self.summary = QLabel()
        layout.addWidget(self.summary)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        self.source = SourceView(review)
        splitter.addWidget(self.source)
        splitter.addWidget(self._build_right())
        splitter.setSizes([640, 760])
        layout.addWidget(splitter, 1)
        layout.addLayout(self._build_actions())
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setText("保存")
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("取消")
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.refresh()

    # -- building -------------------------------------------------------------------------

    def _build_fields(self) -> QFormLayout:
        plan = self.review.plan
        form = QFormLayout()
        self.title_edit = QLineEdit(plan.title)
        self.title_edit.setObjectName("review-title")
        self.title_edit.setPlaceholderText("未找到标题，请填写，如：2025年区政府重点工作安排")
        self.title_edit.textChanged.connect(self._fields_changed)
        self.year_edit = QSpinBox()
        self.year_edit.setObjectName("review-year")
        self.year_edit.setRange(1900, 2200)
        self.year_edit.setValue(plan.year)
        self.year_edit.valueChanged.connect(self._fields_changed)
        self.issuer_edit = QLineEdit(plan.issuer or "")
        self.issuer_edit.setObjectName("review-issuer")
        self.issuer_edit.textChanged.connect(self._fields_changed)
        row = QHBoxLayout()
        row.addWidget(self.year_edit)
        row.addWidget(QLabel("发文单位"))
        row.addWidget(self.issuer_edit, 1)
        form.addRow("标题", self.title_edit)
        form.addRow("年度", row)
        return form

    def _build_right(self) -> QWidget:
        right = QSplitter(Qt.Orientation.Vertical)
        self.tree = PlanTree()
        self.tree.itemChanged.connect(self._target_edited)
        self.tree.currentItemChanged.connect(self._tree_selected)
        right.addWidget(self.tree)
        self.problems = QListWidget()
        self.problems.setObjectName("review-problems")
        self.problems.itemClicked.connect(self._problem_clicked)
        holder = QWidget()
        box = QVBoxLayout(holder)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(QLabel("提示与未识别的行（点击定位到原文）"))
        box.addWidget(self.problems)
        right.addWidget(holder)
        right.setSizes([600, 200])
        return right

    def _build_actions(self) -> QHBoxLayout:
        row = QHBoxLayout()
        actions = [
            ("光标所在行：", "", None),
            ("设为章节", "mark-chapter", lambda: self._mark(CHAPTER)),
            ("设为事项", "mark-item", lambda: self._mark(ITEM)),
            ("不属于计划", "mark-outside", lambda: self._mark(OUTSIDE)),
            ("  事项：", "", None),
            ("在光标处拆分", "split-item", self._split),
            ("与下一事项合并", "join-item", self._join),
            ("  指标：", "", None),
            ("将选中文字添加为指标", "add-target", self._add_target),
            ("删除所选指标", "remove-target", self._remove_target),
        ]
        self.action_buttons: dict[str, QPushButton] = {}
        for label, name, slot in actions:
            if slot is None:
                row.addWidget(QLabel(label))
                continue
            button = QPushButton(label)
            button.setObjectName(name)
            button.setAutoDefault(False)
            button.clicked.connect(slot)
            self.action_buttons[name] = button
            row.addWidget(button)
        row.addStretch(1)
        return row

    # -- showing the review ---------------------------------------------------------------

    def refresh(self) -> None:
        review = self.review
        self.source.highlight()
        self.tree.fill(review)
        items = review.items()
        targets = sum(len(item.indicators) for item in items)
        self.summary.setText(
            f"{len(review.plan.chapters)} 个章节，{len(items)} 个事项，{targets} 个指标，"
            f"{len(review.unplaced)} 行未归入计划。"
        )
        self.problems.clear()
        for warning in review.warnings:
            where = f"第 {warning.line} 行：" if warning.line else ""
            self._problem(f"提示 {where}{warning_text(warning.message)}", warning.line)
        for number, reason in sorted(review.unplaced.items()):
            text = review.lines[number].text if number in review.lines else ""
            label = UNPLACED_REASONS.get(reason, reason)
            self._problem(f"第 {number} 行（{label}）：{text}", number)
        self.show_problems()

    def _problem(self, text: str, line: int | None) -> None:
        entry = QListWidgetItem(text)
        entry.setData(ROLE, line)
        self.problems.addItem(entry)

    def show_problems(self) -> None:
        problems = self.review.problems()
        self.banner.setText("\n".join(REASONS[p] for p in problems))
        self.banner.setVisible(bool(problems))
        self.save_button.setEnabled("no-items" not in problems)

    def say(self, reason: str) -> None:
        self.banner.setText(REASONS.get(reason, reason))
        self.banner.setVisible(True)

    # -- the clerk's corrections ----------------------------------------------------------

    def _apply(self, action: Callable[[], object]) -> object | None:
        try:
            result = action()
        except ReviewError as exc:
            self.say(exc.reason)
            return None
        self.refresh()
        return result

    def _mark(self, role: str) -> None:
        self._apply(lambda: self.review.mark(self.source.current_line(), role))

    def _split(self) -> None:
        offset = self.source.cursor_offset()
        item = self.review.item_at(offset)
        if item is None:
            self.say("split-at-edge")
            return
        self._apply(lambda: self.review.split(item, offset))

    def _join(self) -> None:
        item = self.tree.selected_object()
        if not isinstance(item, Item):
            item = self.review.item_at(self.source.cursor_offset())
        if item is None:
            self.say("nothing-to-join")
            return
        self._apply(lambda: self.review.join(item))

    def _add_target(self) -> None:
        span = self.source.selected_span()
        if span is None:
            self.say("empty-selection")
            return
        indicator = self._apply(lambda: self.review.add_target(*span))
        if isinstance(indicator, Indicator) and (row := self.tree.row_of(indicator)) is not None:
            self.tree.setCurrentItem(row)

    def _remove_target(self) -> None:
        indicator = self.tree.selected_object()
        if isinstance(indicator, Indicator):
            self._apply(lambda: self.review.remove_target(indicator))

    def _target_edited(self, row: QTreeWidgetItem, column: int) -> None:
        indicator = row.data(0, ROLE)
        if self.tree.filling or not isinstance(indicator, Indicator):
            return
        text = row.text(column).strip()
        field = {0: "name", 1: "value", 2: "unit", 3: "comparator"}.get(column)
        if field is None:
            return
        value: object = text
        if field == "comparator":
            value = COMPARATOR_LABELS.get(text)
        if field == "value" and not text:
            value = None
        error = ""
        try:
            if value is None and field == "comparator":
                raise ValueError(text)
            self.review.update_target(indicator, **{field: value})
        except (NumberFormatError, ValueError):
            error = f"“{text}”不是有效的{self.tree.COLUMNS[column]}，未修改。"
        # (the tree is refilled once the editor that changed it has finished)
        QTimer.singleShot(0, lambda: self._after_edit(error))

    def _after_edit(self, error: str) -> None:
        self.refresh()
        if error:
            self.say(error)

    def _fields_changed(self) -> None:
        self.review.set_title(self.title_edit.text())
        self.review.set_year(self.year_edit.value())
        self.review.set_issuer(self.issuer_edit.text())
        self.show_problems()

    def _tree_selected(self, row: QTreeWidgetItem | None, _previous: object) -> None:
        obj = row.data(0, ROLE) if row is not None else None
        span = getattr(obj, "source_span", None)
        if span:
            self.source.show_span(*span)
        elif getattr(obj, "line", None):
            self.source.show_line(obj.line)  # type: ignore[union-attr]

    def _problem_clicked(self, entry: QListWidgetItem) -> None:
        line = entry.data(ROLE)
        if line:
            self.source.show_line(int(line))

    # -- saving ---------------------------------------------------------------------------

    def save(self) -> None:
        """保存: asks for a title the parser did not find, then writes through the callback."""
        if not self.review.plan.title.strip():
            title, ok = QInputDialog.getText(self, "计划标题", "未找到计划标题，请输入：")
            if not ok or not title.strip():
                self.say("no-title")
                return
            self.title_edit.setText(title.strip())
        problems = self.review.problems()
        if problems:
            self.say(problems[0])
            return
        if self.save_callback(self.review.finished()):
            self.saved = True
            self.accept()
