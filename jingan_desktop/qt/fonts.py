"""The bundled CJK font, registered with Qt so Chinese renders on machines without one."""

from __future__ import annotations

from PySide6.QtGui import QFont, QFontDatabase, QTextLayout
from PySide6.QtWidgets import QApplication

from ..paths import BUNDLED_FONT, FONT_FAMILY

_registered: str | None = None


def register_bundled_font(app: QApplication | None = None, point_size: float = 10.0) -> str:
    """Register the font once and make it the application's default; returns its family."""
    global _registered
    if _registered is None:
        font_id = QFontDatabase.addApplicationFont(str(BUNDLED_FONT))
        families = QFontDatabase.applicationFontFamilies(font_id) if font_id >= 0 else []
        if not families:
            raise RuntimeError(f"could not load the bundled font {BUNDLED_FONT}")
        _registered = families[0]
    if app is not None:
        font = QFont(_registered)
        font.setPointSizeF(point_size)
        app.setFont(font)
    return _registered or FONT_FAMILY


def missing_glyphs(text: str, family: str) -> list[str]:
    """Characters of ``text`` that would not be drawn with a real glyph of ``family``.

    Each character is laid out as Qt would render it; a missing one comes back as glyph 0
    (the "tofu" box) or from a fallback font of another family.
    """
    font = QFont(family)
    missing = []
    for ch in dict.fromkeys(text):
        if ch.isspace():
            continue
        layout = QTextLayout(ch, font)
        layout.beginLayout()
        layout.createLine()
        layout.endLayout()
        runs = layout.glyphRuns()
        if not runs or any(
            0 in run.glyphIndexes() or run.rawFont().familyName() != family for run in runs
        ):
            missing.append(ch)
    return missing
