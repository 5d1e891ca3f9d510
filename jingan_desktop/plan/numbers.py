"""Numbers as plans and clerks write them: full-width digits, thousands separators, 万/亿."""

from __future__ import annotations

import re
from decimal import Decimal

# Full-width ASCII (！…～) and the ideographic space map one-to-one onto ASCII, so offsets in
# the folded text are offsets in the original: spans found on folded text point into the source.
_FOLD = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_FOLD[0x3000] = 0x20

MULTIPLIERS: dict[str, float] = {"万": 1e4, "亿": 1e8, "千": 1e3}

NUMBER_PATTERN = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
_INPUT_RE = re.compile(rf"^\s*([+-]?)\s*({NUMBER_PATTERN}|\.\d+)\s*(万|亿|千)?\s*$")


class NumberFormatError(ValueError):
    """Text that is not a number a clerk could mean (letters, two decimal points …)."""


def fold_width(text: str) -> str:
    """Full-width digits, letters and punctuation to ASCII; the length never changes."""
    return text.translate(_FOLD)


def unit_multiplier(unit: str) -> float:
    """The scale a unit carries in its first character: "万名" → 1e4, "亿元" → 1e8, "家" → 1."""
    return MULTIPLIERS.get(unit[:1], 1.0) if len(unit) > 1 else 1.0


def parse_number(text: str, unit: str = "") -> float:
    """Parse what a clerk typed into a number expressed in ``unit``.

    Accepts "1600", "1,600", "１６００", "4.26万", "-3.5"; a 万/亿 suffix is converted into the
    unit's own scale, so "4.26万" is 4.26 for unit "万名" and 42600 for unit "名".
    """
    folded = fold_width(text).strip()
    match = _INPUT_RE.match(folded)
    if not match:
        raise NumberFormatError(text)
    sign, digits, suffix = match.groups()
    value = float(digits.replace(",", ""))
    if sign == "-":
        value = -value
    if suffix:
        value = value * MULTIPLIERS[suffix] / unit_multiplier(unit)
    return value


def format_number(value: float | None) -> str:
    """Render a value without float noise: 10000.0 → "10000", 4.26 → "4.26"."""
    if value is None:
        return ""
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.6g}" if abs(value) < 1e15 else str(value)


def exact_number(value: float | None) -> str:
    """A value for an editor: every digit kept (12345.678 stays 12345.678, never 12345.7),
    so opening a cell and pressing Enter changes nothing."""
    if value is None:
        return ""
    if float(value).is_integer():
        return str(int(value))
    # Shortest digits that read back as the same float, never in exponent form ("1e+20"
    # would not be taken back by the editor).
    return format(Decimal(repr(float(value))), "f")
