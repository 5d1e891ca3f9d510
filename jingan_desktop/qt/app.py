"""Start-up: the one place that wires the layers together (the composition root).

The application (:mod:`.application`), the plan file (created from the shipped seed plan on
first start), the main window; or the self-check, a screenshot, the start-up probes.
"""

from __future__ import annotations

import argparse
import gc
import sys
from pathlib import Path

from ..storage.store import ensure_default_database
from .application import create_application, install_crash_handler, prepare_environment, settings


def run_app(args: argparse.Namespace) -> int:
    # Starting makes some 10^5 objects (modules, classes, widgets, the plan), most of which
    # live as long as the window: no garbage collection while they are made (collections that
    # would walk them again and again and find next to nothing); on again once it is drawn.
    # (Not gc.freeze: the first plan's rows, replaced when another file is opened, would then
    # never be collected.)
    gc.disable()
    try:
        return _start(args)
    finally:
        settle_collections()


def settle_collections() -> None:
    """Garbage collection on again after the start-up."""
    gc.enable()


def _start(args: argparse.Namespace) -> int:
    probe = getattr(args, "startup_probe", None)
    headless = bool(args.screenshot or args.self_check)
    prepare_environment(headless)
    if probe == "bare":
        return _bare_window()
    if args.self_check:
        from .self_check import run_self_check

        return run_self_check(args)
    app = create_application()
    install_crash_handler()
    if headless:
        from . import messages

        messages.REPORT_TO_STDERR = True
    from .main_window import MainWindow

    path = Path(args.db) if args.db else ensure_default_database()
    window = MainWindow(settings())
    quarter = args.quarter.number if args.quarter else None
    opened = window.open_path(path, quarter=quarter)
    if args.screenshot:
        if not opened:
            print(f"jingan-desktop: error: could not open {path}", file=sys.stderr)
            return 2
        return save_screenshot(window, Path(args.screenshot))
    window.show()
    if probe == "app":
        ready = opened and _painted_and_filled(app, window)
        print_startup_cpu()
        window.shared_file.stop_watching()  # leave no presence entry for the next start
        return 0 if ready else 1
    from PySide6.QtCore import QTimer

    QTimer.singleShot(0, settle_collections)  # once the window is drawn
    QTimer.singleShot(0, window.help.first_start_note)
    return app.exec()


def print_startup_cpu() -> None:
    """For the benchmark: this process's CPU seconds from its start to the drawn window."""
    import time

    print("startup-cpu", f"{time.process_time():.4f}", flush=True)


def _painted_and_filled(app, window) -> bool:
    """The start-up probe's end: the tree holds the plan's rows and has drawn them."""
    for _ in range(20):  # the first paint is posted by show(); a few rounds at most
        app.processEvents()
        if window.tree.painted:
            break
    if not window.tree.painted:
        # Where the platform never exposes an offscreen window (Qt's offscreen plugin under
        # Wine), draw it as the screen would: grab() paints the whole window once.
        window.grab()
    return window.tree.painted and window.model is not None and window.model.rowCount() > 0


def _bare_window() -> int:
    """The start-up baseline: Python, Qt and an empty main window, nothing of ours."""
    from PySide6.QtWidgets import QApplication, QMainWindow

    app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else "bare"])
    window = QMainWindow()
    window.show()
    app.processEvents()
    print_startup_cpu()
    return 0


def save_screenshot(window, target: Path) -> int:
    from PySide6.QtWidgets import QApplication

    window.window_layout.fit_screen = False  # a picture of a set size, whatever the screen
    window.resize(1500, 900)
    window.show()
    window.tree.expandAll()
    ws = window.workspace
    if ws is not None:
        # Show something meaningful in the detail panel: the first indicator with a figure,
        # else the first indicator.
        chosen = next((i for i in ws.indicators if ws.actual(i)), next(iter(ws.indicators), None))
        if chosen:
            window.select_row(chosen)
    for _ in range(5):
        QApplication.processEvents()
    target.parent.mkdir(parents=True, exist_ok=True)
    if not window.grab().save(str(target)):
        print(f"jingan-desktop: error: could not write {target}", file=sys.stderr)
        return 2
    print(f"screenshot written to {target}")
    window.close()
    return 0
