"""Text folded for matching: full-width to ASCII and traditional to simplified characters.

Folding is one character for one character, so offsets in the folded text are offsets in the
text as written: the parser matches on the folded text and keeps (and shows) the original.
The traditional → simplified table is the single-character part of zhconv's table (a
well-kept converter's data); phrase-level conversions would change lengths and are not needed
to recognise 萬, 個, 億 or 場. zhconv is imported on first use only (start-up time).
"""

from __future__ import annotations

from functools import cache

_BMP = 0x10000


@cache
def _table() -> list[int]:
    # A list indexed by code point translates about twice as fast as a dict; characters
    # beyond the BMP raise IndexError, which str.translate treats as "leave unchanged".
    table = list(range(_BMP))
    for code in range(0xFF01, 0xFF5F):
        table[code] = code - 0xFEE0
    table[0x3000] = 0x20
    for traditional, simplified in _traditional_to_simplified().items():
        table[ord(traditional)] = ord(simplified)
    return table


def _traditional_to_simplified() -> dict[str, str]:
    try:
        import zhconv.zhconv as zhconv  # lazy: only when a plan is parsed
    except ImportError:  # pragma: no cover - a dependency; width folding still works
        return {}
    try:
        zhconv.loaddict()
        pairs = zhconv.zhcdicts["zh2Hans"]
    except (OSError, ValueError, KeyError, TypeError):  # pragma: no cover - its table missing
        return {}
    return {
        key: value
        for key, value in pairs.items()
        if len(key) == 1
        and len(value) == 1
        and ord(key) < _BMP
        and ord(value) < _BMP
        # never fold a full-width or ASCII character through this table
        and ord(key) > 0x2E7F
    }


def fold(text: str) -> str:
    """Fold ``text`` for matching; ``len(fold(text)) == len(text)`` always."""
    return text.translate(_table())
