"""The QApplication as this app needs it: the bundled CJK font, Chinese translations for Qt's
own dialogs, the settings file and the crash handler. Used by the composition root
(:mod:`.app`), the self-check and the tests alike."""

from __future__ import annotations

import os
import sys
import traceback
from datetime import datetime
from types import TracebackType

from ..paths import data_dir, resource_path


def prepare_environment(headless: bool) -> None:
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
