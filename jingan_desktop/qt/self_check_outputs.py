"""The self-check's second half: what a build must bundle beyond the window and the report.

Printing the tree to PDF needs Qt's print support (QtPrintSupport and its plugins); the
Excel workbook needs openpyxl and lxml; a chart saved as SVG matplotlib's SVG backend;
matching plans written in traditional characters zhconv's table; sorting Chinese the way
Qt's own file dialog does (by pinyin, 北京 before 上海) ICU's Chinese collation data; Qt's
own buttons in Chinese its qtbase_zh_CN translation; the F1 guide its page and pictures. A build
that leaves any of them out fails here instead of in a clerk's hands.
"""

from __future__ import annotations

from pathlib import Path


def check_outputs(window, root: Path, steps: list[str]) -> None:
    _check_print(window, root, steps)
    _check_excel(window, root, steps)
    _check_svg_chart(window, root, steps)
    _check_traditional(steps)
    _check_chinese_sorting(steps)
    _check_qt_chinese(steps)
    _check_guide(window, steps)


def _check_print(window, root: Path, steps: list[str]) -> None:
    from PySide6.QtPrintSupport import QPrinter

    from .dialogs.print_preview import PrintPreview, print_document
    from .views.print_pages import tree_html

    html = tree_html(window.tree, window.workspace.plan.title, "全部事项")
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(root / "printed.pdf"))
    pages = print_document(html, printer)
    data = (root / "printed.pdf").read_bytes() if pages else b""
    if not data.startswith(b"%PDF"):
        raise RuntimeError("printing the tree to PDF wrote nothing")
    preview = PrintPreview(html, "自检", window)
    preview.show()
    preview.preview().updatePreview()
    preview.close()
    steps.append(f"tree printed to PDF ({pages} pages) and shown in the print preview")


def _check_excel(window, root: Path, steps: list[str]) -> None:
    from ..outputs.excel import export_excel

    result = export_excel(window.workspace, root / "figures.xlsx")
    if not result.path.is_file() or result.path.stat().st_size < 4_000:
        raise RuntimeError("the Excel workbook is missing or too small")
    steps.append(f"Excel workbook written ({result.path.stat().st_size} bytes)")


def _check_svg_chart(window, root: Path, steps: list[str]) -> None:
    from ..outputs import charts

    chart = charts.save_figure(charts.chapter_completion(window.workspace).figure, root / "c.svg")
    if b"<svg" not in chart.read_bytes()[:2_000]:
        raise RuntimeError("the chart saved as SVG is no SVG")
    steps.append(f"chart saved as SVG ({chart.stat().st_size} bytes)")


def _check_traditional(steps: list[str]) -> None:
    from ..plan.parser.folding import fold

    if fold("萬個項目") != "万个项目":
        raise RuntimeError("traditional characters are not folded (zhconv's table missing?)")
    steps.append("traditional characters fold to simplified (萬個項目 → 万个项目)")


def _check_chinese_sorting(steps: list[str]) -> None:
    import sys

    if sys.platform == "win32":
        # Qt on Windows sorts with the system's own collation (CompareStringEx), not the ICU
        # data a Linux build bundles, so there is nothing of ours to check; Wine's stand-in
        # sorts by code point, real Windows by pinyin.
        steps.append("Chinese sorting is the system's (Windows)")
        return
    from PySide6.QtCore import QCollator, QLocale

    collator = QCollator(QLocale(QLocale.Language.Chinese, QLocale.Country.China))
    words = ["上海", "北京", "重庆", "安徽"]
    ordered = sorted(words, key=collator.sortKey)
    if ordered != ["安徽", "北京", "重庆", "上海"]:
        raise RuntimeError(f"Qt sorts Chinese wrongly (ICU collation data?): {ordered}")
    steps.append("Qt sorts Chinese by pinyin (" + " ".join(ordered) + ")")


def _check_qt_chinese(steps: list[str]) -> None:
    from PySide6.QtCore import QCoreApplication

    cancel = QCoreApplication.translate("QPlatformTheme", "Cancel")
    if cancel == "Cancel":
        raise RuntimeError("Qt's own buttons are not Chinese (qtbase_zh_CN.qm missing?)")
    steps.append(f"Qt's own buttons speak Chinese (Cancel → {cancel})")


def _check_guide(window, steps: list[str]) -> None:
    from PySide6.QtGui import QTextDocument

    from .dialogs.help import HelpDialog

    dialog = HelpDialog(window)
    document = dialog.browser.document()
    pictures = [
        name
        for name in ("paste.png", "history.png", "toolbar.png", "tree.png")
        if document.resource(QTextDocument.ResourceType.ImageResource, name) is not None
    ]
    dialog.close()
    if "填报一个季度" not in document.toPlainText() or len(pictures) < 4:
        raise RuntimeError(f"the F1 guide or its pictures are missing ({pictures})")
    steps.append(f"the F1 guide opens with its {len(pictures)} pictures")
