"""Files, print and help as a clerk meets them: Chinese file dialogs that start where the clerk
works, 打印 with a preview, F1's guide, a report nobody's viewer opened, the 公文 layout."""

from __future__ import annotations

import os
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


def test_report_without_a_pdf_viewer_says_where_it_is_and_opens_the_folder(
    window, monkeypatch, tmp_path, first_choice
):
    from PySide6.QtGui import QDesktopServices
    from PySide6.QtWidgets import QMessageBox

    target = tmp_path / "out" / "报告.pdf"
    target.parent.mkdir()
    opened: list[str] = []

    def open_url(url) -> bool:
        opened.append(url.toLocalFile())
        return Path(url.toLocalFile()).is_dir()  # no viewer for the PDF, a file manager for folders

    shown: list[str] = []

    def exec_box(box: QMessageBox) -> int:
        shown.append(box.text())
        next(b for b in box.buttons() if b.text() == "打开所在文件夹").click()
        return 0

    def no_program(path, *args) -> None:  # Windows' ShellExecute on a PC without a PDF viewer
        raise OSError(0, "No application is associated with the specified file", str(path), 1155)

    monkeypatch.setattr(QDesktopServices, "openUrl", open_url)
    monkeypatch.setattr(os, "startfile", no_program, raising=False)
    monkeypatch.setattr(QMessageBox, "exec", exec_box)
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    window.act_report.trigger()
    assert target.read_bytes()[:5] == b"%PDF-"
    assert len(shown) == 1 and str(target) in shown[0]
    assert [Path(p) for p in opened] == [target, target.parent]


@pytest.fixture
def previews(monkeypatch):
    """Print previews are laid out (as on screen) instead of run modally; each is recorded."""
    from jingan_desktop.qt.dialogs.print_preview import PrintPreview

    shown: list[PrintPreview] = []

    def exec_preview(dialog: PrintPreview) -> int:
        dialog.preview().updatePreview()  # what showing it does: paintRequested, page by page
        shown.append(dialog)
        return 0

    monkeypatch.setattr(PrintPreview, "exec", exec_preview)
    return shown


def _type(widget, text: str) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QKeyEvent
    from PySide6.QtWidgets import QApplication

    for char in text:
        for kind in (QKeyEvent.Type.KeyPress, QKeyEvent.Type.KeyRelease):
            QApplication.sendEvent(widget, QKeyEvent(kind, 0, Qt.KeyboardModifier.NoModifier, char))


def _pdf_text(printer_target: Path) -> str:
    import shutil
    import subprocess

    if shutil.which("pdftotext") is None:  # Windows has no poppler: pypdf (a dependency) reads it
        from pypdf import PdfReader

        return "\n".join(page.extract_text() for page in PdfReader(printer_target).pages)
    command = ["pdftotext", "-layout", str(printer_target), "-"]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


def test_print_the_filtered_tree_on_a4_with_page_numbers(
    window, qtbot, monkeypatch, tmp_path, previews
):
    from PySide6.QtGui import QPageSize
    from PySide6.QtPrintSupport import QPrinter

    from jingan_desktop.qt.dialogs.print_preview import print_document

    monkeypatch.setattr(
        QInputDialog, "getItem", lambda _p, _t, _l, items, *a, **k: (items[0], True)
    )
    window.search_edit.setFocus()
    _type(window.search_edit, "注册企业")
    window.navigation.apply_filter()
    shown_names = {
        window.model.index(r, 1, window.model.index(c, 0)).data()
        for c in range(window.model.rowCount())
        for r in range(window.model.rowCount(window.model.index(c, 0)))
    }
    window.tree.setColumnHidden(7, True)  # 牵头单位 hidden: not printed
    qtbot.keyClick(window, "p", modifier=window.act_print.shortcut()[0].keyboardModifiers())
    assert len(previews) == 1
    dialog = previews[0]
    assert dialog.pages >= 1 and dialog.preview().pageCount() == dialog.pages
    printer = dialog.printer()
    assert printer.pageLayout().pageSize().id() == QPageSize.PageSizeId.A4
    assert "“注册企业”" in dialog.html and "牵头单位" not in dialog.html
    assert all(name in dialog.html for name in shown_names)
    assert "外贸进出口总额" not in dialog.html  # filtered out, so not printed

    target = tmp_path / "tree.pdf"
    pdf = QPrinter(QPrinter.PrinterMode.HighResolution)
    pdf.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    pdf.setOutputFileName(str(target))
    pdf.setPageLayout(printer.pageLayout())
    pages = print_document(dialog.html, pdf)
    text = "".join(_pdf_text(target).split())
    assert "第1页共" in text and f"共{pages}页" in text
    assert "注册企业" in text


def test_print_the_quarterly_report(window, monkeypatch, previews):
    asked: list[str] = []

    def get_item(_parent, title, _label, items, *_a, **_k):
        asked.append(title)
        return (items[1] if title == "打印" else items[0]), True  # 季度报告; 全部单位

    monkeypatch.setattr(QInputDialog, "getItem", get_item)
    window.search_edit.setFocus()
    _type(window.search_edit, "注册企业")
    window.navigation.apply_filter()
    window.act_print.trigger()
    assert asked[0] == "打印"
    report = previews[-1]
    assert "工作进展报告" in report.html and "总体完成率" in report.html
    assert "外贸进出口总额" in report.html  # the whole plan, whatever the tree shows
    assert report.pages > 1 and report.preview().pageCount() == report.pages


def test_f1_opens_the_bundled_guide_with_its_pictures(window, qtbot, monkeypatch):
    from PySide6.QtCore import Qt, QUrl
    from PySide6.QtGui import QTextDocument

    from jingan_desktop.qt.dialogs.help import HelpDialog

    opened: list[HelpDialog] = []
    monkeypatch.setattr(HelpDialog, "exec", lambda dialog: opened.append(dialog) or 0)
    qtbot.keyClick(window.tree, Qt.Key.Key_F1)
    assert len(opened) == 1
    browser = opened[0].browser
    text = browser.toPlainText()
    for heading in ("填报一个季度", "Excel 回收", "合并副本", "网络盘", "锁定季度"):
        assert heading in text
    for picture in ("tree.png", "toolbar.png"):
        image = browser.document().resource(QTextDocument.ResourceType.ImageResource, QUrl(picture))
        assert image is not None and not image.isNull()


def test_first_start_note_once_then_remembered_on_disk(window, monkeypatch):
    import configparser

    from PySide6.QtWidgets import QMessageBox

    from jingan_desktop.paths import data_dir
    from jingan_desktop.qt.dialogs.help import HelpDialog

    notes: list[str] = []

    def exec_box(box: QMessageBox) -> int:
        notes.append(box.text())
        next(b for b in box.buttons() if b.text() == "查看使用说明").click()
        return 0

    guides: list[HelpDialog] = []
    monkeypatch.setattr(QMessageBox, "exec", exec_box)
    monkeypatch.setattr(HelpDialog, "exec", lambda dialog: guides.append(dialog) or 0)
    assert window.help.first_start_note() is True
    assert len(notes) == 1 and "本期实际" in notes[0] and "单位管理" in notes[0]
    assert len(guides) == 1
    ini = configparser.ConfigParser()
    ini.read(data_dir() / "settings.ini", encoding="utf-8")
    assert ini.get("help", "first_start_shown") == "true"
    assert window.help.first_start_note() is False
    assert len(notes) == 1


def test_about_names_the_version_and_the_open_file(window, plan_file, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    from jingan_desktop import __version__

    said: list[str] = []
    monkeypatch.setattr(QMessageBox, "about", lambda _p, _t, text: said.append(text))
    help_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "帮助(&H)")
    next(a for a in help_menu.actions() if a.text() == "关于(&A)").trigger()
    assert __version__ in said[0] and str(plan_file) in said[0]


def test_report_dialog_offers_the_gongwen_layout(window, monkeypatch, tmp_path):
    from pypdf import PdfReader
    from PySide6.QtGui import QDesktopServices

    asked: list[list[str]] = []

    def get_item(_parent, _title, label, items, *_a, **_k):
        asked.append(list(items))
        return (items[1] if label == "版式：" else items[0]), True

    target = tmp_path / "公文.pdf"
    monkeypatch.setattr(QInputDialog, "getItem", get_item)
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda _url: True)
    window.act_report.trigger()
    assert any(items[1].startswith("公文版式") for items in asked)
    first = "".join(PdfReader(target).pages[0].extract_text().split())
    assert "关于2022年第二季度重点工作进展情况的报告" in first
