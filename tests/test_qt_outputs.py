"""The File menu's outputs, as a clerk uses them: the PDF report, Excel out and back in."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import openpyxl
import pytest
from pypdf import PdfReader
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QDialog, QFileDialog, QInputDialog, QMessageBox

from jingan_desktop.plan.parser import read_plan_file
from jingan_desktop.qt.application import create_application, settings
from jingan_desktop.qt.controllers import outputs
from jingan_desktop.qt.dialogs.excel_import import ImportPreviewDialog
from jingan_desktop.qt.main_window import MainWindow
from jingan_desktop.qt.views.tree_model import PlanTreeModel
from jingan_desktop.storage.store import Store, pair_id


@pytest.fixture
def window(qtbot, tmp_path, seed_path, monkeypatch) -> MainWindow:
    path = tmp_path / "plan.sqlite"
    Store.create(path, read_plan_file(seed_path).plan).close()
    monkeypatch.setattr(QMessageBox, "exec", lambda box: QMessageBox.StandardButton.Ok)
    monkeypatch.setattr(QMessageBox, "information", lambda *a, **k: None)
    create_application()
    win = MainWindow(settings())
    qtbot.addWidget(win)
    assert win.open_path(path, quarter=2)
    win.show()
    return win


def answer_dialogs(monkeypatch, save_as: Path, item: str | None = None) -> None:
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(save_as), ""))
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(save_as), ""))
    if item is not None:
        monkeypatch.setattr(QInputDialog, "getItem", lambda *a, **k: (item, True))


def test_excel_out_and_back_in(qtbot, window, tmp_path, monkeypatch):
    target = tmp_path / "填报表.xlsx"
    answer_dialogs(monkeypatch, target, "一个工作表（全部事项）")
    window.act_export_excel.trigger()
    assert target.exists()
    book = openpyxl.load_workbook(target)
    sheet = book.worksheets[0]
    headers = [c.value for c in sheet[1]]
    assert "本期实际" in headers and "进展情况" in headers
    ids = [c.value for c in sheet["A"]]
    ind = next(i for i in window.workspace.items.values() if i.number == 2).indicators[0].id
    row = ids.index(ind) + 1
    sheet.cell(row=row, column=headers.index("本期实际") + 1, value="5,300")
    book.save(target)

    seen = {}

    def accept(dialog: ImportPreviewDialog) -> int:
        seen["rows"] = dialog.changes.rowCount()
        seen["new"] = dialog.changes.item(0, 4).text()
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(ImportPreviewDialog, "exec", accept)
    window.act_import_excel.trigger()
    assert seen == {"rows": 1, "new": "5300"}
    assert window.model.index_of(ind, PlanTreeModel.COL_ACTUAL).data() == "5300"
    history = window.workspace.store.history([pair_id(ind, 2)])
    assert [(h.source, h.summary) for h in history] == [("import", "导入Excel")]
    # The whole import is one step of the undo stack: Ctrl+Z takes it back, and says so.
    assert window.act_undo.text() == "撤销 导入 Excel"
    window.editing.do_undo()
    assert window.statusBar().currentMessage().startswith("已撤销：导入 Excel")
    with sqlite3.connect(window.workspace.store.path) as conn:
        assert conn.execute(
            "SELECT value FROM actual WHERE id = ?", (pair_id(ind, 2),)
        ).fetchone() in (None, (None,))
    assert window.model.index_of(ind, PlanTreeModel.COL_ACTUAL).data() == ""


def test_a_non_excel_file_is_refused_in_chinese(qtbot, window, tmp_path, monkeypatch):
    bogus = tmp_path / "not-excel.xlsx"
    bogus.write_text("这不是表格", encoding="utf-8")
    shown = []
    monkeypatch.setattr(
        "jingan_desktop.qt.controllers.outputs.show_error", lambda parent, exc: shown.append(exc)
    )
    answer_dialogs(monkeypatch, bogus)
    window.act_import_excel.trigger()
    assert len(shown) == 1
    from jingan_desktop.qt.messages import describe

    _title, text = describe(shown[0])
    assert "不是可读取的 Excel" in text


def test_an_excel_bomb_is_refused_in_chinese_before_it_is_read(
    qtbot, window, tmp_path, monkeypatch
):
    from bench.excel_bombs import wide_row
    from jingan_desktop.outputs.excel import export_excel
    from jingan_desktop.qt.messages import describe

    export = export_excel(window.workspace, tmp_path / "export.xlsx").path
    bomb = wide_row(export, tmp_path / "炸弹.xlsx", 1_000_000)  # 15 MB of cells, ~150 KB on disk
    history = window.workspace.store.rows("SELECT COUNT(*) AS n FROM change_log")[0]["n"]
    shown = []
    monkeypatch.setattr(
        "jingan_desktop.qt.controllers.outputs.show_error", lambda parent, exc: shown.append(exc)
    )
    answer_dialogs(monkeypatch, bomb)
    window.act_import_excel.trigger()
    assert len(shown) == 1
    title, text = describe(shown[0])
    assert title == "Excel 文件过大或异常"
    assert "远超计划表格应有的规模" in text and "未导入任何数据" in text and "炸弹.xlsx" in text
    assert window.workspace.store.rows("SELECT COUNT(*) AS n FROM change_log")[0]["n"] == history


def test_report_from_the_menu_with_progress_and_viewer(qtbot, window, tmp_path, monkeypatch):
    target = tmp_path / "季度报告.pdf"
    answer_dialogs(monkeypatch, target)
    # 版式: the first offered (简报)
    monkeypatch.setattr(
        QInputDialog, "getItem", lambda _p, _t, _l, items, *a, **k: (items[0], True)
    )
    opened = []
    monkeypatch.setattr(
        QDesktopServices, "openUrl", lambda url: opened.append(url.toLocalFile()) or True
    )
    ind = next(i for i in window.workspace.items.values() if i.number == 2).indicators[0].id
    window.workspace.apply(window.workspace.make_edit("actual", ind, "value", 5300.0))
    window.act_report.trigger()
    # Qt hands over C:/… on Windows, where str(Path) says C:\…: compare paths, not strings
    assert target.exists() and [Path(p) for p in opened] == [target]
    text = "".join(page.extract_text() for page in PdfReader(target).pages)
    assert "2022年第二季度" in text and "新增注册企业" in text


def test_cancelling_the_report_leaves_no_file(qtbot, window, tmp_path, monkeypatch):
    target = tmp_path / "cancelled.pdf"
    monkeypatch.setattr("PySide6.QtWidgets.QProgressDialog.wasCanceled", lambda self: True)
    assert outputs.generate_report(window, window.workspace, target, open_after=False) is None
    assert not target.exists()
    assert list(tmp_path.glob("*.pdf*")) == []
