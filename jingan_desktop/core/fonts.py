"""The bundled CJK font: one TrueType file used by Qt, matplotlib and reportlab alike."""

from __future__ import annotations

from .paths import resource_path

BUNDLED_FONT = resource_path("resources/fonts/wqy-microhei.ttf")
FONT_FAMILY = "WenQuanYi Micro Hei"
