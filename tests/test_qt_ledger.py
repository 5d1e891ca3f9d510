"""The tree as a ledger, driven as a clerk coming from Excel/WPS would: select cells, paste a
block, copy out, Delete, type on a row, Enter, Tab, undo; the file checked with sqlite3."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, QItemSelectionModel, QMimeData, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QLineEdit,
    QMessageBox,
    QStyleOptionViewItem,
)

from jingan_desktop.qt.display import local_time
from jingan_desktop.qt.views.tree_model import PlanTreeModel
from tests.test_qt_main_window import commit_chinese, press_enter, stored_actual

ACTUAL, TARGET, NAME = PlanTreeModel.COL_ACTUAL, PlanTreeModel.COL_TARGET, PlanTreeModel.COL_NAME
CTRL, SHIFT = Qt.KeyboardModifier.ControlModifier, Qt.KeyboardModifier.ShiftModifier


@pytest.fixture(autouse=True)
def _empty_clipboard(qapp):
    """Each test starts and ends with an empty clipboard (the app's data never outlives it)."""
    QApplication.clipboard().clear()
    yield
    QApplication.clipboard().clear()


def show_item(window, number: int) -> list[str]:
    """Open item ``number`` in the tree; its indicators' ids."""
    item = next(i for i in window.workspace.items.values() if i.number == number)
    window.tree.expand(window.model.index_of(item.id))
    return [n.id for n in item.indicators]


def cell(window, row_id: str, column: int = ACTUAL):
    return window.model.index_of(row_id, column)


def click(
    qtbot, window, row_id: str, column: int = ACTUAL, modifier=Qt.KeyboardModifier.NoModifier
):
    index = cell(window, row_id, column)
    window.tree.scrollTo(index)
    qtbot.mouseClick(
        window.tree.viewport(),
        Qt.MouseButton.LeftButton,
        modifier,
        window.tree.visualRect(index).center(),
    )


def put_on_clipboard(text: str, html: str | None = None) -> None:
    mime = QMimeData()
    mime.setText(text)
    if html is not None:
        mime.setHtml(html)
    QApplication.clipboard().setMimeData(mime)


def change_log(path: Path, where: str) -> list[tuple]:
    with sqlite3.connect(path) as conn:
        return conn.execute(f"SELECT txn, summary, source FROM change_log WHERE {where}").fetchall()


def stored_target(path: Path, ind_id: str):
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT value, name FROM indicator WHERE id = ?", (ind_id,)).fetchone()


# -- 1. paste a block --


def test_paste_a_column_fills_consecutive_rows_in_one_undo_step(qtbot, window, plan_file):
    ids = show_item(window, 19)
    click(qtbot, window, ids[0])
    put_on_clipboard("123\r\nabc\r\n1,000\r\n")  # as Excel puts it: CRLF and a closing break
    qtbot.keyClick(window.tree, Qt.Key.Key_V, CTRL)
    assert [stored_actual(plan_file, i) for i in ids[:3]] == [123, None, 1000]
    message = window.statusBar().currentMessage()
    assert message.startswith("已粘贴 2 项，1 项无效：“abc”（19.2 帮扶引领创业）"), message
    logged = change_log(plan_file, "summary LIKE '粘贴%'")
    assert len({txn for txn, _s, _src in logged}) == 1  # one transaction
    assert window.act_undo.text() == "撤销 粘贴 2 项"

    qtbot.keyClick(window.tree, Qt.Key.Key_Z, CTRL)  # one undo step takes back the whole paste
    assert [stored_actual(plan_file, i) for i in ids[:3]] == [None, None, None]
    assert window.statusBar().currentMessage().startswith("已撤销：粘贴 2 项")


def test_paste_skips_item_rows_and_converts_wan(qtbot, window, plan_file):
    """Down from 19.7 (万名) the next rows are item 20's: the item row itself is skipped."""
    ids19, ids20 = show_item(window, 19), show_item(window, 20)
    click(qtbot, window, ids19[7])
    put_on_clipboard("4.3万\n800\n")
    window.act_paste.trigger()
    assert stored_actual(plan_file, ids19[7]) == 4.3  # 4.3万 in a column counted in 万名
    assert stored_actual(plan_file, ids20[0]) == 800
    assert window.statusBar().currentMessage() == "已粘贴 2 项"


def test_paste_the_html_table_excel_puts_there_fills_target_and_actual(qtbot, window, plan_file):
    ids = show_item(window, 19)
    excel_html = (
        "<html><head><style>td {mso-number-format:General}</style></head><body>"
        "<table><tr><td x:num>700</td><td x:num>1&nbsp;23</td></tr>"
        "<tr><td>900</td><td>456</td></tr><tr><td>50</td><td>7万</td></tr></table></body></html>"
    )
    put_on_clipboard("700\t1 23\n900\t456\n50\t7万\n", excel_html)
    click(qtbot, window, ids[0], TARGET)
    window.act_paste.trigger()
    assert stored_target(plan_file, ids[0])[0] == 700
    assert stored_target(plan_file, ids[1])[0] == 900
    assert stored_actual(plan_file, ids[1]) == 456
    assert stored_actual(plan_file, ids[2]) == 70000
    assert stored_actual(plan_file, ids[0]) is None  # "1 23" is no number
    assert "1 项无效：“1 23”" in window.statusBar().currentMessage()


def test_one_value_pasted_into_a_selection_fills_every_cell(qtbot, window, plan_file):
    ids = show_item(window, 19)
    click(qtbot, window, ids[0])
    click(qtbot, window, ids[3], modifier=SHIFT)
    put_on_clipboard("5")
    qtbot.keyClick(window.tree, Qt.Key.Key_V, CTRL)
    assert [stored_actual(plan_file, i) for i in ids[:5]] == [5, 5, 5, 5, None]


def test_paste_into_a_locked_quarter_says_why_and_writes_nothing(qtbot, window, plan_file):
    ids = show_item(window, 19)
    window.quarters.toggle_lock()
    click(qtbot, window, ids[0])
    put_on_clipboard("1\n2\n")
    window.act_paste.trigger()
    assert "已锁定" in window.statusBar().currentMessage()
    assert stored_actual(plan_file, ids[0]) is None


# -- 2. copy out --


def test_copy_puts_tab_separated_text_and_an_html_table_on_the_clipboard(qtbot, window):
    ids = show_item(window, 2)
    click(qtbot, window, ids[0], NAME)
    click(qtbot, window, ids[1], TARGET, SHIFT)
    qtbot.keyClick(window.tree, Qt.Key.Key_C, CTRL)
    mime = QApplication.clipboard().mimeData()
    target0 = cell(window, ids[0], TARGET).data()
    assert mime.text().split("\r\n")[:2] == [
        f"新增注册企业\t{target0}",
        f"引进税收规模千万级项目\t{cell(window, ids[1], TARGET).data()}",
    ]
    assert "<table" in mime.html() and "<td>新增注册企业</td>" in mime.html()


def test_copied_cells_paste_back_into_the_tree(qtbot, window, plan_file):
    ids = show_item(window, 19)
    for ind, value in zip(ids[:2], ("11", "22"), strict=True):
        window.model.setData(cell(window, ind), value)
    click(qtbot, window, ids[0])
    click(qtbot, window, ids[1], modifier=SHIFT)
    window.act_copy.trigger()
    click(qtbot, window, ids[4])
    window.act_paste.trigger()
    assert [stored_actual(plan_file, i) for i in ids[4:6]] == [11, 22]


# -- 3. multi-cell selection, Delete --


def test_delete_clears_the_selected_figures_as_one_undo_step(qtbot, window, plan_file):
    ids = show_item(window, 19)
    for ind in ids[:3]:
        window.model.setData(cell(window, ind), "9")
    click(qtbot, window, ids[0])
    click(qtbot, window, ids[2], modifier=CTRL)  # Ctrl-click: 19.1 and 19.3, not 19.2
    qtbot.keyClick(window.tree, Qt.Key.Key_Down, SHIFT)  # Shift+↓ extends from 19.3 to 19.4
    qtbot.keyClick(window.tree, Qt.Key.Key_Delete)
    assert [stored_actual(plan_file, i) for i in ids[:3]] == [None, 9, None]
    assert window.statusBar().currentMessage().startswith("已清除 2 项")
    window.act_undo.trigger()
    assert [stored_actual(plan_file, i) for i in ids[:3]] == [9, 9, 9]


# -- 4. keyboard entry that cannot rename the plan --


def test_typing_on_the_name_goes_to_the_figure_and_enter_moves_down(qtbot, window, plan_file):
    """The issue's keystrokes: to a row, →, "700", Enter replaced the name 外贸进出口总额."""
    ids = show_item(window, 1)
    window.act_focus_tree.trigger()
    window.tree.setCurrentIndex(cell(window, ids[2], PlanTreeModel.COL_NUMBER))
    qtbot.keyClick(window.tree, Qt.Key.Key_Right)
    assert window.tree.currentIndex().column() == NAME
    qtbot.keyClick(window.tree, Qt.Key.Key_7)  # typing starts the figure's editor …
    editor = window.tree.focusWidget()
    assert isinstance(editor, QLineEdit)
    assert window.tree.currentIndex().column() == ACTUAL
    qtbot.keyClicks(editor, "00")
    press_enter(qtbot, editor)
    assert stored_target(plan_file, ids[2])[1] == "外贸进出口总额"
    assert stored_actual(plan_file, ids[2]) == 700
    current = window.tree.currentIndex()  # … and Enter moved down, as in Excel
    assert (current.data(PlanTreeModel.RowIdRole), current.column()) == (ids[3], ACTUAL)


def double_click(widget, pos) -> None:
    """A double-click as the platform delivers it: press, release, double-click, release
    (QTest.mouseDClick does not reach an item view's double-click handler offscreen)."""
    left, none = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton
    point = QPointF(pos)
    for kind, buttons in (
        (QEvent.Type.MouseButtonPress, left),
        (QEvent.Type.MouseButtonRelease, none),
        (QEvent.Type.MouseButtonDblClick, left),
        (QEvent.Type.MouseButtonRelease, none),
    ):
        event = QMouseEvent(
            kind, point, widget.mapToGlobal(point), left, buttons, Qt.KeyboardModifier.NoModifier
        )
        QApplication.sendEvent(widget, event)


def test_f2_and_double_click_open_an_editor_only_where_the_cell_may_be_edited(qtbot, window):
    """The tree's rows are a C++ tree that calls every cell editable; the view asks the model
    before it opens an editor: 编号, 完成率, a chapter's 目标 and a locked quarter's figures
    stay shut, by F2 and by a double-click alike."""
    tree, model = window.tree, window.model
    ids = show_item(window, 2)
    chapter = model.index(0, TARGET)

    def opens(index) -> bool:
        tree.setCurrentIndex(index)
        qtbot.keyClick(tree, Qt.Key.Key_F2)
        by_key = tree.state() == QAbstractItemView.State.EditingState
        tree.closePersistentEditor(index)
        if by_key:
            qtbot.keyClick(tree.focusWidget(), Qt.Key.Key_Escape)
        tree.scrollTo(index)
        double_click(tree.viewport(), tree.visualRect(index).center())
        by_mouse = tree.state() == QAbstractItemView.State.EditingState
        if by_mouse:
            qtbot.keyClick(tree.focusWidget(), Qt.Key.Key_Escape)
        assert by_key == by_mouse, index
        return by_key

    assert opens(cell(window, ids[0], ACTUAL))
    assert opens(cell(window, ids[0], NAME))
    assert not opens(cell(window, ids[0], PlanTreeModel.COL_NUMBER))
    assert not opens(cell(window, ids[0], PlanTreeModel.COL_COMPLETION))
    assert not opens(chapter)
    window.quarters.toggle_lock()
    assert not opens(cell(window, ids[0], ACTUAL))
    assert opens(cell(window, ids[0], NAME))  # the plan itself is not locked with a quarter
    window.quarters.toggle_lock()


def test_arrows_and_tab_move_between_editable_cells_f2_edits_on_purpose(qtbot, window, plan_file):
    ids = show_item(window, 2)
    window.tree.setCurrentIndex(cell(window, ids[0]))
    qtbot.keyClick(window.tree, Qt.Key.Key_Left)
    assert window.tree.currentIndex().column() == PlanTreeModel.COL_UNIT
    qtbot.keyClick(window.tree, Qt.Key.Key_Right)
    assert window.tree.currentIndex().column() == ACTUAL
    qtbot.keyClick(window.tree, Qt.Key.Key_Tab)  # past the row's last editable cell: next row
    current = window.tree.currentIndex()
    assert (current.data(PlanTreeModel.RowIdRole), current.column()) == (ids[1], NAME)
    qtbot.keyClick(window.tree, Qt.Key.Key_F2)  # names change only on purpose
    editor = window.tree.focusWidget()
    assert isinstance(editor, QLineEdit)
    editor.selectAll()
    qtbot.keyClicks(editor, "project")
    press_enter(qtbot, editor)
    assert stored_target(plan_file, ids[1])[1] == "project"
    # … and a changed plan name is shown as such: italic, with the plan's own words in its tip.
    renamed = cell(window, ids[1], NAME)
    option = QStyleOptionViewItem()
    window.tree.itemDelegateForIndex(renamed).initStyleOption(option, renamed)
    assert option.font.italic()
    assert window.workspace.plan_name(ids[1]) not in (None, "project")
    assert (
        f"名称已修改（计划中为：{window.workspace.plan_name(ids[1])}）"
        in window.tree.tooltip_for(renamed)
    )
    kept = cell(window, ids[0], NAME)
    option = QStyleOptionViewItem()
    window.tree.itemDelegateForIndex(kept).initStyleOption(option, kept)
    assert not option.font.italic()
    # Undo gives the plan's name back: no longer shown as changed.
    qtbot.keyClick(window.tree, Qt.Key.Key_Z, CTRL)
    assert stored_target(plan_file, ids[1])[1] != "project"
    option = QStyleOptionViewItem()
    window.delegate.initStyleOption(option, cell(window, ids[1], NAME))
    assert not option.font.italic()


def test_names_the_parser_shortened_are_not_shown_as_changed(window):
    """The parser names 华兴新城、上勤地块等项目实现开工 after the text "…等18个项目实现开工":
    a name the plan gave is never shown as renamed, only one changed by hand."""
    ws = window.workspace
    shortened = [i for i in ws.indicators.values() if i.text and i.name not in i.text]
    assert shortened  # the 2022 plan has such names
    for indicator in shortened:
        option = QStyleOptionViewItem()
        window.delegate.initStyleOption(option, window.model.index_of(indicator.id, NAME))
        assert not option.font.italic(), indicator.name


# -- 6. plausibility; 1e20 as typed --


def type_figure(qtbot, window, row_id: str, text: str) -> None:
    window.tree.setCurrentIndex(cell(window, row_id, NAME))
    qtbot.keyClick(window.tree, text[0])
    editor = window.tree.focusWidget()
    assert isinstance(editor, QLineEdit)
    qtbot.keyClicks(editor, text[1:])
    press_enter(qtbot, editor)


def test_implausible_figures_ask_once_and_are_kept_when_confirmed(
    qtbot, window, plan_file, monkeypatch
):
    asked: list[str] = []
    answers = [QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes]

    def question(_parent, title, text, *_a, **_k):
        asked.append(f"{title} {text}")
        return answers.pop(0)

    monkeypatch.setattr(QMessageBox, "question", question)
    ids = show_item(window, 2)
    type_figure(qtbot, window, ids[0], "-5")
    assert len(asked) == 1 and "确定吗" in asked[0] and "负数" in asked[0]
    assert stored_actual(plan_file, ids[0]) is None  # answered No
    type_figure(qtbot, window, ids[0], "200000")  # 20× the 10000 of the year's target
    assert len(asked) == 2 and "10 倍" in asked[1]
    assert stored_actual(plan_file, ids[0]) == 200000
    type_figure(qtbot, window, ids[1], "30")
    assert len(asked) == 2  # a plausible figure asks nothing


def test_a_huge_figure_is_shown_as_typed_and_its_editor_takes_it_back(qtbot, window, plan_file):
    ids = show_item(window, 2)
    type_figure(qtbot, window, ids[0], "100000000000000000000")
    assert stored_actual(plan_file, ids[0]) == 1e20
    assert cell(window, ids[0]).data() == "100000000000000000000"
    assert "无效" not in window.statusBar().currentMessage()
    window.tree.setCurrentIndex(cell(window, ids[0]))
    qtbot.keyClick(window.tree, Qt.Key.Key_F2)
    editor = window.tree.focusWidget()
    assert editor.text() == "100000000000000000000" and editor.hasAcceptableInput()


# -- 7. a locked quarter says why; the banner in local time --


def test_typing_into_a_locked_quarter_says_why(qtbot, window, plan_file):
    ids = show_item(window, 2)
    window.quarters.toggle_lock()
    lock = window.workspace.data.locks[2]
    banner = window.lock_banner.text()
    assert local_time(lock.locked_at) in banner and "+00:00" not in banner
    window.tree.setCurrentIndex(cell(window, ids[0], NAME))
    qtbot.keyClick(window.tree, Qt.Key.Key_7)
    message = window.statusBar().currentMessage()
    assert "已锁定" in message and "未保存" in message and "解锁" in message
    assert stored_actual(plan_file, ids[0]) is None


# -- 8. the boundary is exact --


def test_a_figure_on_the_amber_boundary_is_amber_as_shown(qtbot, window, plan_file):
    """4.8 against 增长≥6%: 4.8 / 6 is 0.7999999999999999 in binary floats; shown as 80 %, the
    status follows that 80 % (预警), not the float noise (滞后)."""
    ids = show_item(window, 1)
    type_figure(qtbot, window, ids[0], "4.8")
    assert stored_actual(plan_file, ids[0]) == 4.8
    assert cell(window, ids[0], PlanTreeModel.COL_COMPLETION).data() == "80%"
    assert cell(window, ids[0], PlanTreeModel.COL_STATUS).data() == "预警"
    type_figure(qtbot, window, ids[0], "4.79")
    assert cell(window, ids[0], PlanTreeModel.COL_STATUS).data() == "滞后"


# -- 11. a history a clerk can read; 19. 已撤销 --


def history_rows(window) -> list[list[str]]:
    view = window.history
    return [
        [view.topLevelItem(r).text(c) for c in range(view.columnCount())]
        for r in range(view.topLevelItemCount())
    ]


def test_history_names_the_indicator_quarter_and_values_in_chinese(
    qtbot, window, plan_file, capsys
):
    from jingan_desktop import cli
    from jingan_desktop.storage.change_words import local_time as words_time

    ids = show_item(window, 2)
    type_figure(qtbot, window, ids[0], "5200")
    item = window.workspace.item_of(ids[0])
    window.model.setData(window.model.index_of(item.id, PlanTreeModel.COL_LEAD), "区市场监管局")
    window.select_row(ids[0])
    window.act_undo.trigger()
    assert window.statusBar().currentMessage().startswith("已撤销：修改牵头单位")
    window.select_row(ids[0])
    rows = history_rows(window)
    with sqlite3.connect(plan_file) as conn:
        stamp = conn.execute("SELECT ts FROM change_log WHERE source = 'edit' LIMIT 1").fetchone()[
            0
        ]
        user, machine = conn.execute("SELECT user, machine FROM change_log LIMIT 1").fetchone()
    figure = next(r for r in rows if r[3] == "本期实际")
    assert figure[1:] == [
        "2.1 新增注册企业",
        "第二季度",
        "本期实际",
        "（空） → 5200",
        "填报",
        f"{user}@{machine}",
    ]
    # local time; this year's entries without the year (it is in the tooltip)
    full = words_time(stamp)
    assert full.endswith(figure[0]) and "T" not in figure[0]
    assert figure[0] == (full[5:] if full.startswith(f"{date.today().year}-") else full)
    leads = [r for r in rows if r[3] == "牵头单位"]
    assert [r[4] for r in leads] == ["区市场监管局 → （无）", "（无） → 区市场监管局"]
    assert [r[5] for r in leads] == ["撤销", "填报"]
    assert not any("-" in r[4] and len(r[4]) > 30 for r in rows)  # no department ids

    window.close()  # the CLI reads the same file, as IT would after the clerk closed the app
    assert cli.main(["check", "--db", str(plan_file)]) == 0
    out = capsys.readouterr().out
    assert "2.1 新增注册企业 第二季度 本期实际：（空） → 5200" in out
    assert "撤销 2 " in out and "牵头单位：区市场监管局 → （无）" in out


def test_undoing_a_paste_reads_as_figures_taken_back(qtbot, window, plan_file):
    ids = show_item(window, 19)
    click(qtbot, window, ids[0])
    put_on_clipboard("620\n535\n")
    window.act_paste.trigger()
    window.act_undo.trigger()
    window.select_row(ids[0])
    rows = [r for r in history_rows(window) if r[1] == "19.1 帮助长期失业青年就业"]
    assert [(r[3], r[4], r[5]) for r in rows[:2]] == [
        ("本期实际", "620 → （空）", "撤销"),
        ("本期实际", "（空） → 620", "填报"),
    ]


# -- 5. the previous quarter beside the figure; a bar in 完成率 --


def test_the_editor_shows_last_quarters_figure(qtbot, window, plan_file):
    ids = show_item(window, 2)
    window.quarters.set_quarter(1)
    window.model.setData(cell(window, ids[0]), "2600")
    window.quarters.set_quarter(2)
    window.tree.setCurrentIndex(cell(window, ids[0], NAME))
    qtbot.keyClick(window.tree, Qt.Key.Key_5)
    editor = window.tree.focusWidget()
    assert isinstance(editor, QLineEdit)
    assert editor.placeholderText() == "上季度：2600（累计）"
    qtbot.keyClick(editor, Qt.Key.Key_Escape)
    window.tree.setCurrentIndex(cell(window, ids[1], NAME))
    qtbot.keyClick(window.tree, Qt.Key.Key_5)
    assert window.tree.focusWidget().placeholderText() == "上季度未填报"


def test_completion_has_a_bar_in_the_status_colour(qtbot, window):
    ids = show_item(window, 2)
    window.model.setData(cell(window, ids[0]), "10000")  # the whole year's target: 100 %, 正常
    window.tree.setCurrentIndex(cell(window, ids[1], NAME))
    for column in (TARGET, PlanTreeModel.COL_UNIT):
        window.tree.setColumnHidden(column, True)  # the 完成率 column in view
    index = cell(window, ids[0], PlanTreeModel.COL_COMPLETION)
    window.tree.scrollTo(index)
    QApplication.processEvents()
    rect = window.tree.visualRect(index)
    image = window.tree.viewport().grab().toImage()
    ratio = image.devicePixelRatio()
    pixel = image.pixelColor(int((rect.left() + 6) * ratio), int((rect.bottom() - 3) * ratio))
    assert pixel.name() == "#1e6b2a"
    right_end = image.pixelColor(int((rect.right() - 5) * ratio), int((rect.bottom() - 3) * ratio))
    assert right_end.name() == "#1e6b2a"  # full at 100 %


# -- 9. coverage beside every headline --


def test_roll_ups_chart_and_report_show_how_many_indicators_are_reported(qtbot, window, tmp_path):
    from pypdf import PdfReader

    from jingan_desktop.outputs import charts
    from jingan_desktop.outputs.report import build_report

    ids = show_item(window, 2)
    type_figure(qtbot, window, ids[0], "5200")
    ws = window.workspace
    item = ws.item_of(ids[0])
    chapter = next(c for c in ws.plan.chapters if item in c.items)
    in_chapter = sum(len(i.indicators) for i in chapter.items)
    item_cell = window.model.index_of(item.id, PlanTreeModel.COL_COMPLETION).data()
    assert item_cell.endswith(" 1/3")
    assert (
        window.model.index_of(chapter.id, PlanTreeModel.COL_COMPLETION)
        .data()
        .endswith(f" 1/{in_chapter}")
    )
    other = ws.plan.chapters[3]
    in_other = sum(len(i.indicators) for i in other.items)
    other_cell = window.model.index_of(other.id, PlanTreeModel.COL_COMPLETION)
    assert other_cell.data() == f"0/{in_other}"  # 状态 beside it says 未填报
    assert other_cell.data(Qt.ItemDataRole.ToolTipRole) == f"已填报 0 项指标，共 {in_other} 项"
    labels = [t.get_text() for t in charts.chapter_completion(ws).figure.axes[0].texts]
    assert f"（填报 1/{in_chapter}）" in "".join(labels) and "无量化数据" not in "".join(labels)
    assert any(label.startswith("未填报（填报 0/") for label in labels)
    target = tmp_path / "report.pdf"
    build_report(ws, target)
    text = "".join(page.extract_text() for page in PdfReader(target).pages[:3])
    total = len(ws.indicators)
    assert f"1/{total}" in text and "填报率" in text


def test_history_of_a_progress_text_names_the_item_and_quarter(qtbot, window):
    item = next(i for i in window.workspace.items.values() if i.number == 29)
    assert window.select_row(item.id)
    panel = window.detail
    panel.progress_edit.setFocus()
    commit_chinese(panel.progress_edit, "处置量已达标")
    panel.progress_save.click()
    rows = [r for r in history_rows(window) if r[3] == "进展情况"]
    assert (
        rows
        and rows[0][1].startswith("29 ")
        and rows[0][2:6]
        == [
            "第二季度",
            "进展情况",
            "（空） → 处置量已达标",
            "填报",
        ]
    )


def test_delete_over_a_chapter_row_clears_the_figures_and_leaves_the_roll_up(
    qtbot, window, plan_file
):
    ids = show_item(window, 2)
    model, tree = window.model, window.tree
    assert model.setData(cell(window, ids[0]), "7")
    tree.setCurrentIndex(model.index(0, ACTUAL))  # the chapter's 本期实际: a roll-up
    tree.selectionModel().select(cell(window, ids[0]), QItemSelectionModel.SelectionFlag.Select)
    window.ledger.clear()
    assert stored_actual(plan_file, ids[0]) is None


def test_one_value_pasted_on_several_cells_of_a_row_is_written_once(qtbot, window, plan_file):
    ids = show_item(window, 2)
    tree = window.tree
    tree.setCurrentIndex(cell(window, ids[0], PlanTreeModel.COL_NUMBER))
    for column in (PlanTreeModel.COL_NAME, PlanTreeModel.COL_UNIT, ACTUAL):
        tree.selectionModel().select(
            cell(window, ids[0], column), QItemSelectionModel.SelectionFlag.Select
        )
    mime = QMimeData()
    mime.setText("66")
    QApplication.clipboard().setMimeData(mime)
    window.ledger.paste()
    assert stored_actual(plan_file, ids[0]) == 66
    assert window.statusBar().currentMessage().startswith("已粘贴 1 项")
