"""Start-up: the one place that wires the layers together.

QApplication, the bundled CJK font, Chinese translations for Qt's own dialogs, the crash
handler, the plan file (created from the shipped seed plan on first start) and the window.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from datetime import datetime
from pathlib import Path
from types import TracebackType

from ..core.paths import data_dir, resource_path
from ..core.store import ensure_default_database


def _prepare_environment(headless: bool) -> None:
    if headless:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    os.environ.setdefault("MPLBACKEND", "Agg")


def create_application():
    from PySide6.QtCore import QLibraryInfo, QLocale, QTranslator
    from PySide6.QtWidgets import QApplication

    from .fonts import register_bundled_font

    app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else "jingan-desktop"])
    app.setApplicationName("jingan-desktop")
    app.setOrganizationName("jingan-desktop")
    app.setApplicationDisplayName("静安区政府重点工作跟踪")
    QLocale.setDefault(QLocale(QLocale.Language.Chinese, QLocale.Country.China))
    register_bundled_font(app)
    from PySide6.QtGui import QIcon

    app.setWindowIcon(QIcon(str(resource_path("resources/icons/app.png"))))
    if not getattr(app, "_jingan_translator", None):
        translator = QTranslator(app)
        bundled = resource_path("resources/translations")
        if translator.load("qtbase_zh_CN", str(bundled)) or translator.load(
            "qtbase_zh_CN", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
        ):
            app.installTranslator(translator)
        app._jingan_translator = translator  # type: ignore[attr-defined]
    return app


def settings():
    from PySide6.QtCore import QSettings

    return QSettings(str(data_dir() / "settings.ini"), QSettings.Format.IniFormat)


def install_crash_handler() -> None:
    """Anything uncaught is logged next to the data and shown once, instead of vanishing."""

    def handler(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
        text = "".join(traceback.format_exception(kind, value, tb))
        log = data_dir() / "crash.log"
        try:
            log.parent.mkdir(parents=True, exist_ok=True)
            with log.open("a", encoding="utf-8") as handle:
                handle.write(f"--- {datetime.now().isoformat()}\n{text}\n")
        except OSError:
            pass
        sys.stderr.write(text)
        if os.environ.get("CI") or os.environ.get("QT_QPA_PLATFORM") == "offscreen":
            return
        from PySide6.QtWidgets import QMessageBox

        QMessageBox.critical(
            None, "程序错误", f"发生了意外错误，详细信息已记录到：\n{log}\n\n{value}"
        )

    sys.excepthook = handler


def run_app(args: argparse.Namespace) -> int:
    probe = getattr(args, "startup_probe", None)
    headless = bool(args.screenshot or args.self_check)
    _prepare_environment(headless)
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
        app.processEvents()
        return 0 if opened and window.model is not None and window.model.rowCount() > 0 else 1
    return app.exec()


def _bare_window() -> int:
    """The start-up baseline: Python, Qt and an empty main window, nothing of ours."""
    from PySide6.QtWidgets import QApplication, QMainWindow

    app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else "bare"])
    window = QMainWindow()
    window.show()
    app.processEvents()
    return 0


def save_screenshot(window, target: Path) -> int:
    from PySide6.QtWidgets import QApplication

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
