"""Read a plan document (the text of an annual key-work plan) into the plan model.

A document is a header (addressees, a notice, issuer, date, title), then the plan — chapters
("一、…"), sections, numbered items ("1.…", "（一）…", a task-breakdown table's rows) — with
quantitative targets inside the items ("全年新增注册企业10000家以上"), and sometimes the
notice's own requirements after it. Anything the parser cannot place is reported with its
line number, and a result that looks incomplete carries warnings; the parser never raises on
odd text, only on bytes that are no text at all.

The work is split by stage:
  reading    bytes → text (.txt in any of the usual encodings, .docx, .xlsx, .pdf)
  folding    full-width and traditional characters folded for matching (same length)
  lines      what a line is: chapter, section, item, number, page number, text
  tables     task-breakdown tables in text form → rows whose cells carry their column's role
  structure  which lines are the plan and at which level; lines → chapters and items
  header     title, issuer, date, 文号 from the lines before the plan
  rows       a table row → an item; departments and due dates, in tables and in prose
  targets    an item's text → indicators (value, unit, comparator, kind, stretch)
  document   the core that runs these in order, warnings and stable keys
  output     the JSON shape of ``parse --json``
Every public name stays importable from ``jingan_desktop.plan.parser``.
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
