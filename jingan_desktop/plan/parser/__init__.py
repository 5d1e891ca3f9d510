"""Read a plan document (the text of an annual key-work plan) into the plan model.

The document is a header (addressees, cover note, issuer, date, title), then chapters
("一、…"), numbered items ("1.…") and, inside the items' prose, quantitative targets
("全年新增注册企业10000家以上"). Anything the parser cannot place is reported with its line
number instead of being guessed at; the parser never raises on odd text, only on bytes
that are no text at all.

The work is split by stage: ``reading`` (bytes → text), ``lines`` (what a line is),
``structure`` (lines → chapters and items), ``targets`` (an item's text → indicators) and
``output`` (the JSON shape). This module keeps the public names importable from
``jingan_desktop.plan.parser``.
"""

from __future__ import annotations

from pathlib import Path

from .document import parse_plan
from .lines import chinese_numeral_value
from .output import plan_to_dict
from .reading import PlanDecodeError, decode_plan_bytes
from .result import IgnoredLine, ParseResult, ParseWarning
from .structure import first_sentence
from .targets import UNITS, extract_indicators

__all__ = [
    "UNITS",
    "IgnoredLine",
    "ParseResult",
    "ParseWarning",
    "PlanDecodeError",
    "chinese_numeral_value",
    "decode_plan_bytes",
    "extract_indicators",
    "first_sentence",
    "parse_plan",
    "plan_to_dict",
    "read_plan_file",
]


def read_plan_file(path: str | Path) -> ParseResult:
    path = Path(path)
    return parse_plan(decode_plan_bytes(path.read_bytes(), str(path)))
