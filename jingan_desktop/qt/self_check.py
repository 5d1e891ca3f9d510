"""``jingan-desktop --self-check``: prove a build works, offscreen, then exit.

Creates the built-in 2022 plan in a temporary folder, opens it in the main window, draws one
chart and writes one PDF report there, and checks the bundled font draws the plan's Chinese.
Exit 0 when everything worked; 1 (with the reason on stderr) otherwise. Used as the smoke
test of the single-file executable.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path


def run_self_check(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    steps: list[str] = []
    try:
        # ignore_cleanup_errors: on Windows a file still open when a step failed cannot be
        # removed, and that must not hide the step's own error.
        with tempfile.TemporaryDirectory(
            prefix="jingan-self-check-", ignore_cleanup_errors=True
        ) as folder:
            root = Path(folder)
            window = _open_window(root, steps)
            from .self_check_outputs import check_outputs

            try:
                _check_chart_and_report(window, root, steps)
                check_outputs(window, root, steps)
            finally:
                window.close()
    except Exception as exc:  # the point is to report any failure, whatever it is
        for step in steps:
            print(f"ok: {step}")
        print(f"self-check FAILED: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    for step in steps:
        print(f"ok: {step}")
    print(f"self-check passed in {time.perf_counter() - started:.1f} s")
    return 0


def _open_window(root: Path, steps: list[str]):
    """The plan file created from the shipped plan and shown in the main window, its text
    drawn by the bundled font."""
    from PySide6.QtCore import QSettings

    from ..storage.store import ensure_default_database
    from . import messages
    from .application import create_application
    from .fonts import missing_glyphs, register_bundled_font
    from .main_window import MainWindow

    messages.REPORT_TO_STDERR = True
    app = create_application()
    family = register_bundled_font(app)
    db = ensure_default_database(root / "plan.sqlite")
    steps.append(f"plan file created ({db.stat().st_size} bytes)")
    window = MainWindow(QSettings(str(root / "settings.ini"), QSettings.Format.IniFormat))
    if not window.open_path(db, quarter=2):
        raise RuntimeError("the main window could not open the plan")
    window.show()
    app.processEvents()
    steps.append(f"main window shows {window.model.rowCount()} chapters")
    text = window.workspace.plan.source_text
    missing = missing_glyphs(text, family)
    if missing:
        raise RuntimeError(f"the bundled font cannot draw: {''.join(missing[:20])}")
    steps.append(f"font {family} draws all {len(set(text))} characters")
    return window


def _check_chart_and_report(window, root: Path, steps: list[str]) -> None:
    from ..outputs import charts
    from ..outputs.report import build_report

    workspace = window.workspace
    chart = charts.save_figure(charts.chapter_completion(workspace).figure, root / "chart.png")
    steps.append(f"chart written ({chart.stat().st_size} bytes)")
    report = root / "report.pdf"
    build_report(workspace, report)
    data = report.read_bytes()
    if not data.startswith(b"%PDF") or len(data) < 10_000:
        raise RuntimeError("the PDF report is missing or too small")
    steps.append(f"PDF report written ({len(data)} bytes)")
