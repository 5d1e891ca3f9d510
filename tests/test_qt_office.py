"""Files, print and help as a clerk meets them: Chinese file dialogs that start where the clerk
works, 打印 with a preview, F1's guide, a report nobody's viewer opened, the 公文 layout."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QFileDialog, QInputDialog, QPushButton


@pytest.fixture
def first_choice(monkeypatch):
    """QInputDialog.getItem answers its first entry; the questions asked are recorded."""
    asked: list[tuple[str, list[str]]] = []

    def get_item(_parent, title, _label, items, *_a, **_k):
        asked.append((title, list(items)))
        return items[0], True

    monkeypatch.setattr(QInputDialog, "getItem", get_item)
    return asked


def test_qt_own_file_dialog_speaks_chinese(window):
    dialog = QFileDialog(window, "打开计划数据文件", str(Path.home()))
    dialog.setOption(QFileDialog.Option.DontUseNativeDialog)
    dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
    texts = {button.text() for button in dialog.findChildren(QPushButton)}
    assert "取消" in texts
    assert any(text.startswith("打开") for text in texts)
    dialog.deleteLater()


def test_plan_text_import_offers_every_format_the_parser_reads(window, monkeypatch):
    seen: list[str] = []

    def get_open(_parent, _title, _folder, filters, *_a, **_k):
        seen.append(filters)
        return "", ""

    monkeypatch.setattr(QFileDialog, "getOpenFileName", get_open)
    window.act_import.trigger()
    first = seen[0].split(";;")[0]
    for pattern in ("*.txt", "*.docx", "*.xlsx", "*.pdf"):
        assert pattern in first


def test_output_dialogs_start_where_the_file_dialogs_do(window, monkeypatch, first_choice):
    """The report and Excel dialogs start in the window's last folder (文档 at first), not next
    to the default file in the hidden data folder."""
    import os

    starts: list[str] = []

    def get_save(_parent, _title, suggestion, *_a, **_k):
        starts.append(suggestion)
        return "", ""

    monkeypatch.setattr(QFileDialog, "getSaveFileName", get_save)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", get_save)
    window.act_report.trigger()
    window.act_export_excel.trigger()
    window.act_import_excel.trigger()
    folder = Path(window.files.last_dir()).resolve()
    data = Path(os.environ["JINGAN_DATA_DIR"]).resolve()
    assert len(starts) == 3
    assert Path(starts[0]).parent.resolve() == folder and starts[0].endswith("工作进展报告.pdf")
    assert Path(starts[1]).parent.resolve() == folder and starts[1].endswith("填报表.xlsx")
    assert Path(starts[2]).resolve() == folder
    assert all(data not in Path(s).resolve().parents for s in starts)
