"""How user text and figures are written in the report: markup escaping, percentages, dates,
targets and department lines."""

from __future__ import annotations

import re
from datetime import date
from xml.sax.saxutils import escape

from ...plan.model import Indicator, Item, Kind
from ...plan.numbers import format_number

# --- escaping --------------------------------------------------------------------------------

# C0 controls (but tab and line breaks), DEL, lone surrogates and non-characters: not text.
_NOT_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
_ENTITIES = {'"': "&quot;", "'": "&#39;"}


def markup(text: object) -> str:
    """User text as Paragraph markup that prints exactly that text: ``& < > " '`` escaped,
    line breaks as ``<br/>``, characters that are not text dropped."""
    plain = _NOT_TEXT.sub("", "" if text is None else str(text))
    plain = plain.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    return "<br/>".join(escape(line, _ENTITIES) for line in plain.split("\n"))


def is_plain(text: str) -> bool:
    """Whether ``text`` prints as itself on one line without markup: no line breaks, tabs,
    runs of spaces or characters that are not text."""
    return not _NOT_TEXT.search(text) and " ".join(text.split()) == text


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def chinese_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def unit_after(unit: str) -> str:
    return unit if unit in ("%", "‰") else f" {unit}" if unit else ""


def target_text(indicator: Indicator) -> str:
    """ "≥ 10000 家", "增长 ≥ 6%（力争 8%）", "≈ 4.26 万名"."""
    prefix = {Kind.GROWTH: "增长 ", Kind.DECLINE: "下降 "}.get(indicator.kind, "")
    unit = unit_after(indicator.unit)
    text = f"{prefix}{indicator.comparator.label} {format_number(indicator.value)}{unit}"
    if indicator.stretch_value is not None:
        text += f"（力争 {format_number(indicator.stretch_value)}{unit.strip()}）"
    return text


def departments(item: Item) -> str:
    lead = item.lead_department or "—"
    if item.co_departments:
        return f"牵头：{lead}\n配合：{'、'.join(item.co_departments)}"
    return lead


def short(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
