"""The main window, driven as a clerk would: select, type, Enter, undo, filter, open files."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QInputMethodEvent, QKeyEvent
from PySide6.QtWidgets import QAbstractItemView, QApplication, QLineEdit, QMessageBox

from jingan_desktop.plan.parser import read_plan_file
from jingan_desktop.qt.application import create_application, settings
from jingan_desktop.qt.main_window import MainWindow
from jingan_desktop.qt.views.tree_model import PlanTreeModel
from jingan_desktop.storage.store import Store, pair_id


def indicator_id(window: MainWindow, item_number: int, position: int = 0) -> str:
    ws = window.workspace
    item = next(i for i in ws.items.values() if i.number == item_number)
    return item.indicators[position].id


def stored_actual(path: Path, ind_id: str, quarter: int = 2):
    with sqlite3.connect(path) as conn:
        row = conn.execute(
            "SELECT value FROM actual WHERE id = ?", (pair_id(ind_id, quarter),)
        ).fetchone()
    return row[0] if row else None


def type_text(widget, text: str) -> None:
    """Type any text, Chinese included (QTest.keyClicks aborts on non-ASCII)."""
    for ch in text:
        QApplication.sendEvent(
            widget, QKeyEvent(QEvent.Type.KeyPress, 0, Qt.KeyboardModifier.NoModifier, ch)
        )
        QApplication.sendEvent(
            widget, QKeyEvent(QEvent.Type.KeyRelease, 0, Qt.KeyboardModifier.NoModifier, ch)
        )


def commit_chinese(widget, text: str) -> None:
    event = QInputMethodEvent()
    event.setCommitString(text)
    QApplication.sendEvent(widget, event)


def press_enter(qtbot, editor) -> None:
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    QApplication.processEvents()  # the delegate commits on a queued call …
    QApplication.processEvents()  # … and failures are reported on the next turn


def edit_cell(qtbot, window: MainWindow, row_id: str, column: int, keys: str) -> QLineEdit | None:
    assert window.select_row(row_id)
    index = window.tree.currentIndex().siblingAtColumn(column)
    window.tree.setCurrentIndex(index)
    window.tree.edit(index)
    editor = window.tree.focusWidget()
    assert isinstance(editor, QLineEdit)
    qtbot.keyClicks(editor, keys)
    return editor


def test_window_shows_the_plan_in_chinese(window, plan_file):
    assert plan_file.name in window.windowTitle()
    model = window.model
    assert model.rowCount() == 6
    first = model.index(0, PlanTreeModel.COL_NAME)
    assert first.data() == "全力以赴稳增长,推动区域经济高质量发展"
    assert [model.headerData(c, Qt.Orientation.Horizontal) for c in range(8)] == list(
        PlanTreeModel.HEADERS
    )
    assert window.quarter_combo.currentText() == "2022年第二季度"


def test_typing_an_actual_writes_it_to_disk_and_undo_restores_it(qtbot, window, plan_file):
    ind = indicator_id(window, 2)  # 全年新增注册企业10000家以上
    editor = edit_cell(qtbot, window, ind, PlanTreeModel.COL_ACTUAL, "5,200")
    press_enter(qtbot, editor)
    assert stored_actual(plan_file, ind) == 5200
    index = window.model.index_of(ind, PlanTreeModel.COL_COMPLETION)
    assert index.data() == "52%"
    assert window.model.index_of(ind, PlanTreeModel.COL_STATUS).data() == "正常"
    assert window.act_undo.text() == "撤销 修改实际值"

    qtbot.keyClick(window.tree, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert stored_actual(plan_file, ind) is None
    assert window.model.index_of(ind, PlanTreeModel.COL_ACTUAL).data() == ""
    qtbot.keyClick(
        window.tree,
        Qt.Key.Key_Z,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    assert stored_actual(plan_file, ind) == 5200


def test_wan_suffix_is_converted_into_the_unit(qtbot, window, plan_file):
    ind = indicator_id(window, 19, 7)  # 约4.26万名持证残疾人
    editor = edit_cell(qtbot, window, ind, PlanTreeModel.COL_ACTUAL, "4.2")
    type_text(editor, "万")  # 4.2万 people in a column counted in 万名 is 4.2
    assert editor.text() == "4.2万"
    press_enter(qtbot, editor)
    assert stored_actual(plan_file, ind) == pytest.approx(4.2)
    assert window.model.index_of(ind, PlanTreeModel.COL_COMPLETION).data() == "99%"


def test_letters_are_refused_with_a_reason(qtbot, window, plan_file):
    ind = indicator_id(window, 2)
    editor = edit_cell(qtbot, window, ind, PlanTreeModel.COL_ACTUAL, "12abc")
    assert editor.text() == "12"
    assert "只能输入数字" in window.statusBar().currentMessage()
    press_enter(qtbot, editor)
    assert stored_actual(plan_file, ind) == 12


def test_item_progress_text_in_chinese_is_saved(qtbot, window, plan_file):
    item = next(i for i in window.workspace.items.values() if i.number == 29)
    assert window.select_row(item.id)
    panel = window.detail
    panel.progress_edit.setFocus()
    type_text(panel.progress_edit, "湿垃圾")
    commit_chinese(panel.progress_edit, "处置量已达标。")
    qtbot.keyClick(panel.progress_edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    panel.progress_save.click()
    with sqlite3.connect(plan_file) as conn:
        text = conn.execute(
            "SELECT text FROM progress WHERE id = ?", (pair_id(item.id, 2),)
        ).fetchone()[0]
    assert text.replace("\n", "") == "湿垃圾处置量已达标。"
    assert window.act_undo.text() == "撤销 修改进展情况"


def test_filter_as_you_type_and_only_lagging(qtbot, window):
    commit_chinese(window.search_edit, "垃圾")
    window.apply_filter()
    proxy = window.model
    chapters = [proxy.index(r, 1).data() for r in range(proxy.rowCount())]
    assert chapters == ["持续推进城区精细化治理,优化城区环境品质"]
    chapter = proxy.index(0, 0)
    items = [proxy.index(r, 0, chapter).data() for r in range(proxy.rowCount(chapter))]
    assert items == ["29"]

    window.search_edit.clear()
    ind = indicator_id(window, 2)
    window.workspace.apply(window.workspace.make_edit("actual", ind, "value", 100.0))
    window.status_filter.setCurrentIndex(window.status_filter.findData("red"))
    window.apply_filter()
    item = window.workspace.item_of(ind)
    assert window.model.allowed == {ind, item.id}  # the item rolls up red too
    assert window.model.rowCount() == 1


def test_warning_click_selects_its_row(qtbot, window):
    qtbot.waitUntil(lambda: window.warnings.count() > 0)  # filled once the tree is shown
    entry = window.warnings.item(0)
    window.warnings.activate(entry)
    assert window.tree.currentIndex().data(PlanTreeModel.RowIdRole) == entry.data(
        Qt.ItemDataRole.UserRole
    )


def test_locked_quarter_refuses_edits(qtbot, window, plan_file, messages):
    window.quarters.toggle_lock()
    assert window.workspace.locked()
    assert window.lock_banner.isVisible()
    ind = indicator_id(window, 2)
    index = window.model.index_of(ind, PlanTreeModel.COL_ACTUAL)
    assert not (window.model.cell_flags(index) & Qt.ItemFlag.ItemIsEditable)
    assert not window.tree.edit(index)  # F2 or a double-click opens no editor
    assert window.model.setData(index, "10") is False
    QApplication.processEvents()
    assert any("已锁定" in m for m in messages)
    assert stored_actual(plan_file, ind) is None
    window.quarters.toggle_lock()
    assert not window.workspace.locked()
    with sqlite3.connect(plan_file) as conn:
        sources = [
            r[0] for r in conn.execute("SELECT summary FROM change_log WHERE source = 'lock'")
        ]
    assert "锁定季度" in sources and "解锁季度" in sources


def test_edit_conflict_shows_both_values(qtbot, window, plan_file, messages):
    ind = indicator_id(window, 2)
    other = Store.open(plan_file)
    other.set_actual(ind, 2, 777)
    other.close()
    editor = edit_cell(qtbot, window, ind, PlanTreeModel.COL_ACTUAL, "5000")
    press_enter(qtbot, editor)
    assert any("其他用户改为：777" in m and "您要保存的值：5000" in m for m in messages)
    # Closing the dialog without choosing keeps the other user's value.
    assert stored_actual(plan_file, ind) == 777
    assert window.model.index_of(ind, PlanTreeModel.COL_ACTUAL).data() == "777"


def test_edit_conflict_user_can_overwrite(qtbot, window, plan_file, monkeypatch):
    def choose_mine(box: QMessageBox) -> int:
        next(b for b in box.buttons() if b.text() == "用我的值覆盖").click()
        return 0

    monkeypatch.setattr(QMessageBox, "exec", choose_mine)
    ind = indicator_id(window, 2)
    other = Store.open(plan_file)
    other.set_actual(ind, 2, 777)
    other.close()
    editor = edit_cell(qtbot, window, ind, PlanTreeModel.COL_ACTUAL, "5000")
    press_enter(qtbot, editor)
    assert stored_actual(plan_file, ind) == 5000
    with sqlite3.connect(plan_file) as conn:
        values = [
            r[0]
            for r in conn.execute(
                "SELECT new FROM change_log WHERE tbl = 'actual' AND field = 'value' ORDER BY ts"
            )
        ]
    assert values == ["5000.0"]  # the other user's insert is logged as an insert, ours as an update


def test_bad_files_give_a_chinese_message_and_stay_untouched(qtbot, window, tmp_path, messages):
    bad = tmp_path / "random.sqlite"
    bad.write_bytes(b"\x13\x37" * 500)
    before = bad.read_bytes()
    assert window.open_path(bad) is False
    assert messages and "不是计划数据文件" in messages[-1]
    assert bad.read_bytes() == before
    # The plan that was open stays open.
    assert window.workspace is not None and window.model.rowCount() == 6


def test_readonly_file_shows_banner_and_nothing_is_editable(
    qtbot, plan_file, messages, monkeypatch
):
    monkeypatch.setattr("jingan_desktop.storage.database.is_writable", lambda path: False)
    create_application()
    win = MainWindow(settings())
    qtbot.addWidget(win)
    assert win.open_path(plan_file)
    win.show()
    assert win.readonly_banner.isVisible()
    assert "只读" in win.windowTitle()
    ind = indicator_id(win, 2)
    index = win.model.index_of(ind, PlanTreeModel.COL_ACTUAL)
    assert not (win.model.cell_flags(index) & Qt.ItemFlag.ItemIsEditable)
    assert not win.tree.edit(index)
    assert win.tree.state() != QAbstractItemView.State.EditingState


def test_recent_files_and_geometry_are_remembered(qtbot, window, plan_file):
    assert window.files.recent_files()[0] == str(plan_file.resolve())
    window.resize(700, 500)
    window.close()
    again = MainWindow(settings())
    qtbot.addWidget(again)
    assert (again.size().width(), again.size().height()) == (700, 500)
    assert again.files.recent_files()[0] == str(plan_file.resolve())


def test_tree_model_passes_the_model_tester(qtmodeltester, window):
    qtmodeltester.check(window.model)
    commit_chinese(window.search_edit, "垃圾")
    window.apply_filter()
    qtmodeltester.check(window.model)


def test_every_role_a_delegate_asks_in_one_call_is_what_data_says(window):
    """multiData (one call into Python for a painted cell) answers as data() does, role by
    role, and clears what data() has nothing for; also with an unsaved edit showing."""
    from PySide6.QtCore import QModelIndex, QModelRoleData, QModelRoleDataSpan

    model = window.model
    roles = [*range(16), model.RowIdRole, model.KindRole, model.RagRole]
    first = indicator_id(window, 1)
    model.pending = {("actual", first, "value", 2): type("E", (), {"new": 7.0})()}

    def cells(parent: QModelIndex):
        for row in range(model.rowCount(parent)):
            for column in range(model.columnCount(parent)):
                yield model.index(row, column, parent)
            yield from cells(model.index(row, 0, parent))

    checked = 0
    for index in [*cells(QModelIndex()), QModelIndex()]:
        for role in roles:
            slot = QModelRoleData(role)
            slot.setData("left over")  # a span handed back again: nothing may linger
            model.multiData(index, QModelRoleDataSpan(slot))
            assert slot.data() == model.data(index, role), (index.row(), index.column(), role)
            checked += 1
    assert checked > 1000


def item_numbers(path: Path, chapter_position: int = 0) -> list[int]:
    with sqlite3.connect(path) as conn:
        return [
            r[0]
            for r in conn.execute(
                "SELECT i.number FROM item i JOIN chapter c ON c.id = i.chapter_id"
                " WHERE c.position = ? ORDER BY i.position",
                (chapter_position,),
            )
        ]


def test_add_move_remove_items_with_undo(qtbot, window, plan_file):
    first = next(i for i in window.workspace.items.values() if i.number == 1)
    assert window.select_row(first.id)
    window.act_add_item.trigger()
    assert item_numbers(plan_file) == [1, 35, 2, 3, 4, 5, 6]
    new_id = window.tree.currentIndex().data(PlanTreeModel.RowIdRole)
    assert window.workspace.items[new_id].title == "新事项"
    window.act_move_down.trigger()
    assert item_numbers(plan_file) == [1, 2, 35, 3, 4, 5, 6]
    assert window.tree.currentIndex().data(PlanTreeModel.RowIdRole) == new_id
    assert window.act_undo.text() == "撤销 调整顺序"
    window.act_undo.trigger()
    assert item_numbers(plan_file) == [1, 35, 2, 3, 4, 5, 6]
    window.act_undo.trigger()
    assert item_numbers(plan_file) == [1, 2, 3, 4, 5, 6]
    window.act_redo.trigger()
    assert item_numbers(plan_file) == [1, 35, 2, 3, 4, 5, 6]


def test_removing_an_item_with_figures_can_be_undone(qtbot, window, plan_file):
    ind = indicator_id(window, 2)
    window.workspace.apply(window.workspace.make_edit("actual", ind, "value", 4000.0))
    item = window.workspace.item_of(ind)
    assert window.select_row(item.id)
    window.act_remove.trigger()
    assert 2 not in item_numbers(plan_file)
    assert stored_actual(plan_file, ind) is None
    assert item.id not in window.workspace.items
    window.act_undo.trigger()
    assert item_numbers(plan_file) == [1, 2, 3, 4, 5, 6]
    assert stored_actual(plan_file, ind) == 4000
    assert len(window.workspace.items[item.id].indicators) == 3
    with sqlite3.connect(plan_file) as conn:
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []


def test_add_indicator_then_type_its_target(qtbot, window, plan_file):
    item = next(i for i in window.workspace.items.values() if i.number == 8)  # no indicators
    assert window.select_row(item.id)
    window.act_add_indicator.trigger()
    new_id = window.tree.currentIndex().data(PlanTreeModel.RowIdRole)
    assert window.workspace.indicators[new_id].name == "新指标"
    editor = edit_cell(qtbot, window, new_id, PlanTreeModel.COL_TARGET, "12")
    press_enter(qtbot, editor)
    with sqlite3.connect(plan_file) as conn:
        assert (
            conn.execute("SELECT value FROM indicator WHERE id = ?", (new_id,)).fetchone()[0] == 12
        )


def test_departments_are_maintained_and_picked(qtbot, window, plan_file, monkeypatch):
    from jingan_desktop.qt.dialogs.departments import DepartmentsDialog

    dialog = DepartmentsDialog(window.workspace, window)
    qtbot.addWidget(dialog)
    for name in ("区发改委", "区商务委"):
        dialog.ui.nameEdit.setText(name)
        dialog.ui.addButton.click()
    assert [dialog.ui.list.item(i).text() for i in range(dialog.ui.list.count())] == [
        "区发改委",
        "区商务委",
    ]
    item = next(i for i in window.workspace.items.values() if i.number == 2)
    window.workspace.apply(window.workspace.make_edit("departments", item.id, "lead", "区商务委"))
    monkeypatch.setattr(
        "PySide6.QtWidgets.QInputDialog.getText", lambda *a, **k: ("区商务委员会", True)
    )
    dialog.ui.list.setCurrentRow(1)
    dialog.ui.renameButton.click()
    window.workspace.reload()
    assert window.workspace.items[item.id].lead_department == "区商务委员会"
    dialog.ui.list.setCurrentRow(1)
    dialog.ui.removeButton.click()
    window.workspace.reload()
    assert window.workspace.items[item.id].lead_department is None
    with sqlite3.connect(plan_file) as conn:
        logged = conn.execute(
            "SELECT count(*) FROM change_log WHERE tbl = 'item' AND field = 'lead_department_id'"
        ).fetchone()[0]
    assert logged == 2  # set, then cleared when the department was removed


def test_charts_tab_draws_and_exports(qtbot, window, tmp_path):
    ind = indicator_id(window, 2)
    window.workspace.apply(window.workspace.make_edit("actual", ind, "value", 4000.0))
    window.select_row(ind)
    window.tabs.setCurrentWidget(window.charts_page)
    charts_tab = window.charts
    assert charts_tab.chapters.canvas is not None and charts_tab.trend.canvas is not None
    png = charts_tab.chapters.export("png", str(tmp_path / "chapters.png"))
    svg = charts_tab.trend.export("svg", str(tmp_path / "trend.svg"))
    assert png.read_bytes().startswith(b"\x89PNG")
    assert "<svg" in svg.read_text(encoding="utf-8")
    # Clicking a chapter's bar selects the chapter in the tree.
    bar, chapter_id = next(iter(charts_tab.chapters.chart.targets.items()))

    class Pick:
        artist = bar

    charts_tab.chapters._picked(Pick())
    assert window.tree.currentIndex().data(PlanTreeModel.RowIdRole) == chapter_id


def test_hidden_tabs_are_made_when_first_shown_and_show_the_current_row(qtbot, window):
    # 修改记录 and 图表 are not made at start; nothing told to them before is lost.
    assert window.history_page.made is None and window.charts_page.made is None
    first, second = indicator_id(window, 2), indicator_id(window, 3)
    window.workspace.apply(window.workspace.make_edit("actual", first, "value", 4000.0))
    window.select_row(first)
    window.charts_changed()  # a change before the charts exist: nothing to redraw yet
    assert window.charts_page.made is None
    window.tab_actions[2].trigger()  # Alt+3
    history = window.history_page.made
    assert history is not None and history.isVisible()

    def values() -> list[str]:
        return [history.topLevelItem(r).text(4) for r in range(history.topLevelItemCount())]

    assert any("4000" in shown for shown in values())
    window.select_row(second)  # once made, it follows the current row
    assert values() and not any("4000" in shown for shown in values())
    window.select_row(first)
    window.tab_actions[3].trigger()  # Alt+4
    charts = window.charts_page.made
    assert charts is not None and charts.isVisible() and charts.indicator_id == first
    assert charts.trend.canvas is not None and not charts.hint.isVisible()
    window.workspace.apply(window.workspace.make_edit("actual", second, "value", 1.0))
    window.select_row(second)
    assert charts.indicator_id == second and not charts.dirty  # on screen: drawn at once


def test_dropping_a_plan_file_opens_it(qtbot, window, tmp_path, seed_path):
    from PySide6.QtCore import QMimeData, QPoint, QUrl
    from PySide6.QtGui import QDropEvent

    other = tmp_path / "other.sqlite"
    Store.create(other, read_plan_file(seed_path).plan).close()
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(other))])
    event = QDropEvent(
        QPoint(10, 10),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    window.dropEvent(event)
    assert window.workspace.store.path == other


def test_keyboard_only_edit(qtbot, window, plan_file):
    """Ctrl+T to the tree, arrows to a row, F2 to edit, type, Enter: no mouse."""
    window.act_focus_tree.trigger()
    window.tree.setCurrentIndex(window.model.index(0, 0))
    for key in (Qt.Key.Key_Right, Qt.Key.Key_Down, Qt.Key.Key_Right, Qt.Key.Key_Down):
        qtbot.keyClick(window.tree, key)  # open 一, go to item 1, open it, first indicator
    current = window.tree.currentIndex()
    assert current.data(PlanTreeModel.KindRole) == "indicator"
    window.tree.setCurrentIndex(current.siblingAtColumn(PlanTreeModel.COL_ACTUAL))
    qtbot.keyClick(window.tree, Qt.Key.Key_F2)
    editor = window.tree.focusWidget()
    assert isinstance(editor, QLineEdit)
    qtbot.keyClicks(editor, "5.5")
    press_enter(qtbot, editor)
    assert stored_actual(plan_file, current.data(PlanTreeModel.RowIdRole)) == 5.5
    shortcuts = [
        a.shortcut().toString()
        for a in window.actions()
        if a.text() and not a.text().startswith("&")
    ]
    assert all(shortcuts), [a.text() for a in window.actions() if not a.shortcut().toString()]


def test_opening_another_file_lets_the_last_tree_go(qtbot, window, plan_file):
    from PySide6.QtCore import QCoreApplication, QEvent

    assert window.open_path(plan_file, quarter=2)
    assert window.open_path(plan_file, quarter=3)
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    assert len(window.findChildren(PlanTreeModel)) == 1
