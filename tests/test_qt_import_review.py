"""导入前核对 in the real window: a plan document is reviewed and corrected before anything is
written; 保存 writes it in one logged import, 取消 writes nothing (files checked with sqlite3)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QApplication, QFileDialog, QLineEdit

from jingan_desktop.plan.parser import parse_plan
from jingan_desktop.plan.review import Review
from tests.test_qt_main_window import commit_chinese

PLAN = """今年实事项目安排如下：
一、经济发展
1.全年新增注册企业1000家以上。
2.推进楼宇更新，完成改造10万平方米。
新建口袋公园5座，培训护理员不少于300名。
二、民生保障
3.新增养老床位200张。
落实长者食堂建设
"""


def query(path: Path, sql: str, params=()):
    with sqlite3.connect(path) as conn:
        return conn.execute(sql, params).fetchall()


@pytest.fixture
def plan_text(tmp_path: Path) -> Path:
    path = tmp_path / "实事项目.txt"
    path.write_text(PLAN, encoding="utf-8")
    return path


def put_cursor(dialog, offset: int, end: int | None = None) -> None:
    cursor = dialog.source.textCursor()
    cursor.setPosition(offset)
    if end is not None:
        cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
    dialog.source.setTextCursor(cursor)


def line_start(dialog, text: str) -> int:
    return next(line.start for line in dialog.review.lines.values() if line.text.startswith(text))


def test_new_file_from_a_reviewed_and_corrected_plan(
    qtbot, window, plan_text, tmp_path, monkeypatch
):
    target = tmp_path / "new.sqlite"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    window.files.new_from_text(plan_text)
    dialog = window.files.review_dialog
    qtbot.waitExposed(dialog)
    assert not target.exists()  # nothing written while reviewing
    assert dialog.title_edit.text() == ""  # no title invented
    assert "未找到计划标题" in dialog.banner.text()

    # the last line was left out by the parser: the clerk marks it as an item
    put_cursor(dialog, line_start(dialog, "落实长者食堂"))
    dialog.action_buttons["mark-item"].click()
    assert [i.text for i in dialog.review.plan.chapters[1].items] == [
        "新增养老床位200张。",
        "落实长者食堂建设",
    ]
    # the parser's 300名 is removed, then added back by selecting its phrase in the source
    item = dialog.review.plan.chapters[0].items[1]
    assert [n.value for n in item.indicators] == [10, 5, 300]
    dialog.tree.setCurrentItem(dialog.tree.row_of(item.indicators[2]))
    dialog.action_buttons["remove-target"].click()
    start = dialog.review.source.index("不少于300名")
    put_cursor(dialog, start, start + len("不少于300名"))
    dialog.action_buttons["add-target"].click()
    added = item.indicators[2]
    row = dialog.tree.currentItem()
    assert row.text(0) == added.name and (row.text(1), row.text(2), row.text(3)) == (
        "300",
        "名",
        "≥",
    )
    # the clerk fixes its value by typing in the tree
    dialog.tree.editItem(row, 1)
    editor = dialog.tree.findChild(QLineEdit)
    editor.selectAll()
    qtbot.keyClicks(editor, "320")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    QApplication.processEvents()
    assert added.value == 320
    # the title, typed in Chinese
    dialog.title_edit.setFocus()
    commit_chinese(dialog.title_edit, "2025年民生实事项目")
    dialog.year_edit.setValue(2025)  # the text names no year: the parser assumed this one
    assert not dialog.banner.isVisible()
    dialog.save_button.click()

    assert query(target, "SELECT title, year FROM plan") == [("2025年民生实事项目", 2025)]
    assert query(target, "SELECT count(*) FROM item") == [(4,)]
    assert query(
        target, "SELECT value, unit, comparator FROM indicator WHERE text = '不少于300名'"
    ) == [(320.0, "名", ">=")]
    assert query(target, "SELECT text FROM item ORDER BY rowid DESC LIMIT 1") == [
        ("落实长者食堂建设",)
    ]
    assert query(target, "SELECT DISTINCT source FROM change_log") == [("import",)]
    assert window.workspace.store.path == target


def test_cancel_writes_nothing(qtbot, window, plan_file, plan_text, monkeypatch):
    before = query(plan_file, "SELECT count(*) FROM change_log")
    backups = sorted(p.name for p in plan_file.parent.rglob("*") if p.is_file())
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(plan_text), ""))
    window.files.import_plan_text()
    dialog = window.files.review_dialog
    qtbot.waitExposed(dialog)
    put_cursor(dialog, line_start(dialog, "落实长者食堂"))
    dialog.action_buttons["mark-item"].click()
    dialog.buttons.rejected.emit()  # 取消
    QApplication.processEvents()
    assert query(plan_file, "SELECT count(*) FROM change_log") == before
    assert query(plan_file, "SELECT year FROM plan") == [(2022,)]
    assert sorted(p.name for p in plan_file.parent.rglob("*") if p.is_file()) == backups


def test_import_into_the_open_file_is_one_logged_import(
    qtbot, window, plan_file, plan_text, monkeypatch
):
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(plan_text), ""))
    window.files.import_plan_text()
    dialog = window.files.review_dialog
    dialog.title_edit.setText("2025年民生实事项目")  # typing is not the point here
    dialog.year_edit.setValue(2025)
    dialog.save_button.click()
    assert query(plan_file, "SELECT year FROM plan ORDER BY year") == [(2022,), (2025,)]
    txns = query(
        plan_file,
        "SELECT count(DISTINCT txn), min(source), max(source) FROM change_log"
        " WHERE summary = '导入2025年计划'",
    )
    assert txns == [(1, "import", "import")]
    assert window.workspace.plan.year == 2025


def test_a_document_without_items_says_so_in_the_review(qtbot, window, tmp_path):
    path = tmp_path / "news.txt"
    path.write_text(
        "区政府召开常务会议\n会议指出，要全力以赴稳增长，确保全年经济增长5%左右。\n", "utf-8"
    )
    window.files.new_from_text(path)
    dialog = window.files.review_dialog
    qtbot.waitExposed(dialog)
    assert dialog.banner.isVisible()
    assert "未识别出任何事项" in dialog.banner.text()
    assert not dialog.save_button.isEnabled()
    assert any(
        "未找到编号事项" in dialog.problems.item(i).text() for i in range(dialog.problems.count())
    )
    dialog.reject()


def test_clicking_an_unplaced_line_scrolls_the_source_there(qtbot, window, plan_text):
    window.files.new_from_text(plan_text)
    dialog = window.files.review_dialog
    qtbot.waitExposed(dialog)
    entries = [dialog.problems.item(i) for i in range(dialog.problems.count())]
    entry = next(e for e in entries if "落实长者食堂建设" in e.text())
    dialog.problems.itemClicked.emit(entry)
    assert dialog.source.textCursor().blockNumber() == 7
    assert dialog.source.textCursor().selectedText() == "落实长者食堂建设"
    dialog.reject()


def test_saving_without_a_title_asks_for_it(qtbot, window, plan_text, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QInputDialog

    target = tmp_path / "asked.sqlite"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    asked = []
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: asked.append(a[2]) or ("", False))
    window.files.new_from_text(plan_text)
    dialog = window.files.review_dialog
    dialog.save_button.click()  # the clerk gives no title: nothing is written
    assert asked == ["未找到计划标题，请输入："] and not target.exists()
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("2025年民生实事", True))
    dialog.save_button.click()
    assert query(target, "SELECT title FROM plan") == [("2025年民生实事",)]


def test_reimporting_a_corrected_year_keeps_the_figures_of_unchanged_items(
    qtbot, window, plan_file, seed_text, tmp_path, monkeypatch
):
    from tests.test_qt_main_window import indicator_id

    ind = indicator_id(window, 5)
    window.workspace.store.set_actual(ind, 2, 4321)
    lines = seed_text.split("\n")
    at = next(i for i, line in enumerate(lines) if line.startswith("2."))
    corrected = tmp_path / "2022-corrected.txt"
    corrected.write_text(
        "\n".join([*lines[:at], "2.新增的一项工作，新建口袋公园5座。", *lines[at:]]), "utf-8"
    )
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(corrected), ""))
    window.files.import_plan_text()
    window.files.review_dialog.save_button.click()  # same year: "update?" -> Yes
    assert query(plan_file, "SELECT value FROM actual WHERE indicator_id = ?", (ind,)) == [
        (4321.0,)
    ]
    assert query(plan_file, "SELECT count(*) FROM item") == [(35,)]
    assert window.workspace.actual(ind, 2).value == 4321


def test_a_value_that_is_no_number_is_refused_with_a_reason(qtbot, window, plan_text):
    window.files.new_from_text(plan_text)
    dialog = window.files.review_dialog
    indicator = dialog.review.plan.items()[0].indicators[0]
    row = dialog.tree.row_of(indicator)
    row.setText(1, "abc")  # what a clerk might type into 目标值
    qtbot.waitUntil(lambda: "不是有效的目标值" in dialog.banner.text())
    assert indicator.value == 1000
    assert dialog.tree.row_of(indicator).text(1) == "1000"
    dialog.reject()


def test_the_parsers_warnings_read_in_chinese_in_the_review():
    from jingan_desktop.qt.dialogs.import_review import warning_text

    r = Review(parse_plan("今年实事项目如下：\n1.聚焦5大领域，推进片区建设。\n2.新增企业10家。\n"))
    shown = [warning_text(w.message) for w in r.warnings]
    assert shown[0] == "未找到计划标题，请在上方填写。"
    assert (
        "事项1（聚焦5大领域，推进片区建设）有数字（“5大”）但未识别出指标：可选中文字添加为指标。"
        in shown
    )
    assert any(text.startswith("未找到年度，暂按 ") for text in shown)
    assert warning_text("something new") == "something new"
