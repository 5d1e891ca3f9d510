"""``jingan-desktop --self-check``: prove a build works, offscreen, then exit.

Creates the built-in 2022 plan in a temporary folder, opens it in the main window, checks the
bundled font draws the plan's Chinese and Qt's own dialogs speak Chinese, parses the plan
written in traditional characters (zhconv's table), draws one chart, writes one PDF report
and one Excel workbook there and reads the workbook back. Each step needs data files that a
build must bundle, so a file left out fails the check. Exit 0 when everything worked; 1
(with the reason on stderr) otherwise. Used as the smoke test of the executable.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

# Simplified → traditional for characters the parser must recognise in targets and units:
# a plan written in traditional characters has to give the same indicators.
TRADITIONAL = str.maketrans("万亿个项场级区发经济", "萬億個項場級區發經濟")


def run_self_check(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    steps: list[str] = []
    try:
        with tempfile.TemporaryDirectory(prefix="jingan-self-check-") as folder:
            _check(Path(folder), steps)
    except Exception as exc:  # the point is to report any failure, whatever it is
        for step in steps:
            print(f"ok: {step}")
        print(f"self-check FAILED: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    for step in steps:
        print(f"ok: {step}")
    print(f"self-check passed in {time.perf_counter() - started:.1f} s")
    return 0


def _check(root: Path, steps: list[str]) -> None:
    from PySide6.QtCore import QSettings

    from ..storage.store import ensure_default_database
    from . import messages
    from .application import create_application
    from .fonts import register_bundled_font
    from .main_window import MainWindow

    messages.REPORT_TO_STDERR = True
    app = create_application()
    family = register_bundled_font(app)
    translator = getattr(app, "_jingan_translator", None)
    if translator is None or translator.isEmpty():
        raise RuntimeError("Qt's Chinese translation (qtbase_zh_CN.qm) did not load")
    steps.append("Qt's Chinese translation loaded")
    db = ensure_default_database(root / "plan.sqlite")
    steps.append(f"plan file created ({db.stat().st_size} bytes)")
    window = MainWindow(QSettings(str(root / "settings.ini"), QSettings.Format.IniFormat))
    if not window.open_path(db, quarter=2):
        raise RuntimeError("the main window could not open the plan")
    window.show()
    app.processEvents()
    steps.append(f"main window shows {window.model.rowCount()} chapters")
    try:
        _check_outputs(window.workspace, family, root, steps)
        _check_dialogs(root, steps)
    finally:
        window.close()


def _check_dialogs(root: Path, steps: list[str]) -> None:
    """The guide (resources/help/ with its pictures) and printing (Qt's print support)."""
    import re

    from PySide6.QtPrintSupport import QPrinter

    from .dialogs.help import GUIDE, HelpDialog
    from .dialogs.print_preview import print_document

    help_dialog = HelpDialog()
    pictures = re.findall(r'<img[^>]*src="([^"]+)"', GUIDE.read_text(encoding="utf-8"))
    missing = [p for p in pictures if not (GUIDE.parent / p).exists()]
    if len(help_dialog.browser.toPlainText()) < 200 or missing:
        raise RuntimeError(f"the guide in resources/help is missing or incomplete {missing[:3]}")
    help_dialog.close()
    steps.append(f"the guide shows, with its {len(pictures)} pictures")
    printer = QPrinter()
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(root / "printed.pdf"))
    pages = print_document("<h1>静安区政府重点工作</h1>" + "<p>打印测试</p>" * 80, printer)
    if pages < 2 or not (root / "printed.pdf").read_bytes().startswith(b"%PDF"):
        raise RuntimeError("printing through Qt's print support failed")
    steps.append(f"printed {pages} pages through Qt's print support")


def _check_outputs(workspace, family: str, root: Path, steps: list[str]) -> None:
    from ..outputs import charts
    from ..outputs.excel import export_excel, preview_import
    from ..outputs.report import build_report
    from ..plan.parser import parse_plan
    from .fonts import missing_glyphs

    text = workspace.plan.source_text
    missing = missing_glyphs(text, family)
    if missing:
        raise RuntimeError(f"the bundled font cannot draw: {''.join(missing[:20])}")
    steps.append(f"font {family} draws all {len(set(text))} characters")
    simplified, traditional = (
        [(i.value, i.unit) for item in parse_plan(t).plan.items() for i in item.indicators]
        for t in (text, text.translate(TRADITIONAL))
    )
    if traditional != simplified:
        raise RuntimeError("the plan in traditional characters parses differently (zhconv data?)")
    steps.append(f"the plan in traditional characters gives the same {len(simplified)} targets")
    chart = charts.save_figure(charts.chapter_completion(workspace).figure, root / "chart.png")
    steps.append(f"chart written ({chart.stat().st_size} bytes)")
    report = root / "report.pdf"
    build_report(workspace, report)
    data = report.read_bytes()
    if not data.startswith(b"%PDF") or len(data) < 10_000:
        raise RuntimeError("the PDF report is missing or too small")
    steps.append(f"PDF report written ({len(data)} bytes)")
    sheet = export_excel(workspace, root / "figures.xlsx")
    preview = preview_import(workspace.store, workspace.plan.id, workspace.quarter, sheet.path)
    if not preview.ok or preview.rows_read != sheet.rows:
        raise RuntimeError(f"the exported workbook does not read back ({preview.problems[:3]})")
    steps.append(f"Excel workbook written and read back ({preview.rows_read} rows)")
