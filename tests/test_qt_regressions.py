"""Regressions found in review, each a clerk's situation: typing while others save, retrying,
reopening cells, filters, locks, undo of department changes."""

from __future__ import annotations

import sqlite3

import pytest
from PySide6.QtWidgets import QApplication, QMessageBox

from jingan_desktop.qt.views.tree_model import PlanTreeModel
from jingan_desktop.storage.store import Store, pair_id
from tests.test_qt_main_window import (
    edit_cell,
    indicator_id,
    press_enter,
    stored_actual,
    type_text,
)


@pytest.fixture(autouse=True)
def _no_information_boxes(monkeypatch):
    monkeypatch.setattr(QMessageBox, "information", lambda *a, **k: QMessageBox.StandardButton.Ok)


def stored_text(path, item_id, q):
    with sqlite3.connect(path) as c:
        r = c.execute("SELECT text FROM progress WHERE id=?", (pair_id(item_id, q),)).fetchone()
    return r[0] if r else None


def test_typed_progress_text_survives_another_clerks_commit(qtbot, window, plan_file):
    item = next(i for i in window.workspace.items.values() if i.number == 29)
    assert window.select_row(item.id)
    panel = window.detail
    panel.progress_edit.setFocus()
    type_text(panel.progress_edit, "abc typed")
    assert panel.progress_edit.hasFocus()
    # another clerk commits something unrelated; the watcher reloads
    other = Store.open(plan_file)
    other.set_actual(indicator_id(window, 2), 2, 5)
    other.close()
    window.shared_file.reload_from_elsewhere()
    assert panel.progress_edit.toPlainText() == "abc typed"


def test_typed_progress_text_is_saved_before_a_quarter_switch(qtbot, window, plan_file):
    item = next(i for i in window.workspace.items.values() if i.number == 29)
    assert window.select_row(item.id)
    panel = window.detail
    panel.progress_edit.setFocus()
    type_text(panel.progress_edit, "q2 text")
    window.quarter_actions[2].trigger()  # Ctrl+3, focus stays in the editor
    panel.progress_edit.clearFocus()  # clerk moves on
    QApplication.processEvents()
    assert (
        stored_text(plan_file, item.id, 2) == "q2 text"
        or panel.progress_edit.toPlainText() == "q2 text"
    )


def test_importing_a_plan_text_keeps_the_file_usable(
    qtbot, window, plan_file, seed_path, monkeypatch, messages
):
    from PySide6.QtWidgets import QFileDialog

    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(seed_path), ""))
    window.files.import_plan_text()  # the review opens; 保存; same year: "replace?" -> Yes
    window.files.review_dialog.save_button.click()
    ind = indicator_id(window, 2)
    ok = window.model.setData(window.model.index_of(ind, PlanTreeModel.COL_ACTUAL), "123")
    QApplication.processEvents()
    assert ok, messages
    assert stored_actual(plan_file, ind) == 123


def test_retrying_an_unsaved_edit_never_overwrites_silently(
    qtbot, window, plan_file, messages, monkeypatch
):
    from jingan_desktop.storage.database import BusyError

    ws = window.workspace
    ind = indicator_id(window, 2)
    real = ws.store.set_actual

    def busy(*a, **k):
        raise BusyError(plan_file, "locked")

    monkeypatch.setattr(ws.store, "set_actual", busy)
    window.model.setData(window.model.index_of(ind, PlanTreeModel.COL_ACTUAL), "5000")
    QApplication.processEvents()
    QApplication.processEvents()
    assert len(window.editing.pending) == 1  # A typed 5000 when the file had nothing
    monkeypatch.setattr(ws.store, "set_actual", real)
    other = Store.open(plan_file)
    other.set_actual(ind, 2, 777)
    other.close()  # B saves 777
    window.shared_file.reload_from_elsewhere()  # the watcher picks B's commit up
    messages.clear()
    window.editing.retry_pending()  # A clicks "点击重试"
    QApplication.processEvents()
    QApplication.processEvents()
    # B's 777 must not be overwritten without the conflict dialog
    assert stored_actual(plan_file, ind) == 777 or any(
        "其他用户改为：777" in m for m in messages
    ), (stored_actual(plan_file, ind), messages)


def test_a_chapter_removed_elsewhere_leaves_the_tree(qtbot, window, plan_file):
    ws = window.workspace
    chapter = ws.plan.chapters[-1]
    other = Store.open(plan_file)
    for item in chapter.items:
        other.remove_row("item", item.id)
    window.shared_file.reload_from_elsewhere()  # tree rebuilt: the chapter is now empty
    other.remove_row("chapter", chapter.id)  # then the empty chapter is removed
    other.close()
    window.shared_file.reload_from_elsewhere()
    assert window.model.rowCount() == len(window.workspace.plan.chapters)
    for row in range(window.model.rowCount()):
        window.model.index(row, 1).data()  # KeyError for the removed chapter


def test_opening_a_cell_and_pressing_enter_changes_nothing(qtbot, window, plan_file):
    ind = indicator_id(window, 2)
    other = Store.open(plan_file)
    other.set_actual(ind, 2, 12345.678)
    other.close()
    window.shared_file.reload_from_elsewhere()
    editor = edit_cell(qtbot, window, ind, PlanTreeModel.COL_ACTUAL, "")
    press_enter(qtbot, editor)  # clerk looked at the cell, typed nothing
    assert stored_actual(plan_file, ind) == 12345.678


def test_detail_panel_keeps_every_digit_of_a_target(qtbot, window, plan_file):
    ind = indicator_id(window, 2)
    other = Store.open(plan_file)
    other.update_field("indicator", ind, "value", 1234567.5)
    other.close()
    window.shared_file.reload_from_elsewhere()
    window.select_row(ind)
    panel = window.detail
    panel.value_edit.setFocus()
    QApplication.processEvents()
    window.tree.setFocus()
    QApplication.processEvents()
    with sqlite3.connect(plan_file) as c:
        v = c.execute("SELECT value FROM indicator WHERE id=?", (ind,)).fetchone()[0]
    assert v == 1234567.5, (v, panel.value_edit.text())


def test_undo_of_a_department_change_is_logged_as_undo(seed_store):
    from jingan_desktop.workspace import Workspace

    ws = Workspace(seed_store, quarter=2)
    item = next(iter(ws.items.values()))
    edit = ws.make_edit("departments", item.id, "lead", "区商务委")
    ws.apply(edit, source="edit")
    ws.apply(edit.reversed(), source="undo")
    rows = seed_store.rows(
        "SELECT source FROM change_log WHERE tbl='item' AND row_id=? ORDER BY ts", (item.id,)
    )
    assert [r["source"] for r in rows][-1] == "undo", rows


def test_undo_of_co_departments_detects_another_clerks_change(seed_store, tmp_path):
    from jingan_desktop.workspace import Workspace

    ws = Workspace(seed_store, quarter=2)
    item = next(iter(ws.items.values()))
    edit = ws.make_edit("departments", item.id, "co", ["区商务委"])
    ws.apply(edit)
    other = Store.open(seed_store.path)
    other.set_item_departments(item.id, co=["区商务委", "区财政局"])  # B adds a department
    other.close()
    from jingan_desktop.storage.store import ConflictError

    with pytest.raises(ConflictError):
        ws.apply(edit.reversed(), source="undo")  # A's undo must not silently drop B's 区财政局


def test_edit_with_filter_active_keeps_current_row(qtbot, window, plan_file):
    ind = indicator_id(window, 2)
    window.search_edit.setText(window.workspace.indicators[ind].name[:4])
    window.apply_filter()
    editor = edit_cell(qtbot, window, ind, PlanTreeModel.COL_ACTUAL, "5200")
    press_enter(qtbot, editor)
    assert stored_actual(plan_file, ind) == 5200
    # Enter moved down as in Excel (or stayed on the last shown row) …
    moved_to = window.tree.currentIndex().data(PlanTreeModel.RowIdRole)
    assert moved_to is not None
    # … and the filter, run again after the edit, keeps that row current.
    window.navigation.filter_timer.stop()
    window.apply_filter()
    cur = window.tree.currentIndex()
    assert cur.isValid() and cur.data(PlanTreeModel.RowIdRole) == moved_to
    assert window.detail.row_id == moved_to
    assert window.model.index_of(ind).isValid()


def test_removing_an_indicator_cannot_take_locked_figures(seed_store):
    from jingan_desktop.storage.store import QuarterLockedError
    from jingan_desktop.workspace import Workspace

    ws = Workspace(seed_store, quarter=2)
    ind = next(iter(ws.indicators))
    ws.apply(ws.make_edit("actual", ind, "value", 42.0))
    ws.lock_quarter(2)
    with pytest.raises(QuarterLockedError):
        ws.remove(ind)
