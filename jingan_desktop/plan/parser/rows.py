"""A task-breakdown table row → an item: task, targets, departments and due date by column."""

from __future__ import annotations

import calendar
import re
from datetime import date

from ..model import Comparator, Indicator, Item, Kind
from ..numbers import NUMBER_PATTERN
from .folding import fold
from .lines import Cell, Line
from .tables import CO, DUE, LEAD, NAME, TARGET, TASK, UNIT
from .targets import Fragments, extract_fragments, extract_indicators

_SENTENCE_END_RE = re.compile("[。!?！？]")
_FIGURE = re.compile(r"\d")
_BARE_FIGURE_RE = re.compile(
    rf"^\s*(?P<pre>不低于|不少于|不超过|不高于|低于|小于|高于|超过|突破|约|≥|≤|>=|<=|<|>)?\s*"
    rf"(?P<num>{NUMBER_PATTERN})(?:\s*(?:-|—|–|~|至)\s*(?P<high>{NUMBER_PATTERN}))?\s*"
    r"(?P<unit>%|‰)?\s*(?P<post>及以上|以上|以内|以下|左右)?\s*$"
)
_PRE = {
    "不低于": Comparator.AT_LEAST,
    "不少于": Comparator.AT_LEAST,
    "高于": Comparator.AT_LEAST,
    "超过": Comparator.AT_LEAST,
    "突破": Comparator.AT_LEAST,
    "≥": Comparator.AT_LEAST,
    ">=": Comparator.AT_LEAST,
    ">": Comparator.AT_LEAST,
    "不超过": Comparator.AT_MOST,
    "不高于": Comparator.AT_MOST,
    "低于": Comparator.AT_MOST,
    "小于": Comparator.AT_MOST,
    "≤": Comparator.AT_MOST,
    "<=": Comparator.AT_MOST,
    "<": Comparator.AT_MOST,
    "约": Comparator.ABOUT,
}
_POST = {
    "以上": Comparator.AT_LEAST,
    "及以上": Comparator.AT_LEAST,
    "以内": Comparator.AT_MOST,
    "以下": Comparator.AT_MOST,
    "左右": Comparator.ABOUT,
}
_PERCENT = {"%", "‰", "个百分点", "百分点"}
_DEPARTMENT_SPLIT = re.compile(r"[、,，;；/\s]+")


def fill_row(item: Item, row: Line) -> str | None:
    """Fill ``item`` from a table row; returns the due-date cell's text (read once the plan's
    year is known)."""
    by_role: dict[str, list[Cell]] = {}
    for cell in row.cells:
        by_role.setdefault(cell.role, []).append(cell)
    content = [c for c in row.cells if c.role in (TASK, NAME, TARGET, UNIT, "")]
    pieces: list[tuple[str, str, int]] = []
    positions: dict[int, int] = {}
    for cell in content:
        if pieces:
            pieces.append((" | ", " | ", -1))
        positions[id(cell)] = sum(len(p[0]) for p in pieces)
        pieces.append((cell.text, fold(cell.text), cell.start))
    fragments = Fragments(pieces)
    item.text = fragments.text
    named = by_role.get(NAME) or by_role.get(TASK) or content
    item.title = first_sentence(named[0].text) if named else ""
    targets = [c for c in by_role.get(TARGET, []) if _FIGURE.search(fold(c.text))]
    found: list[Indicator] = []
    unit_column = by_role[UNIT][0].text.strip() if by_role.get(UNIT) else ""
    row_name = (by_role.get(NAME) or by_role.get(TASK) or [None])[0]
    for cell in targets:
        found.extend(
            _cell_indicators(cell, positions[id(cell)], cell.unit or unit_column, row_name)
        )
    # Targets written in the task's own words count too, unless a target column repeats them.
    inside = [(positions[id(c)], positions[id(c)] + len(c.text)) for c in targets]
    taken = {(d.value, d.unit) for d in found}
    for indicator in extract_fragments(fragments):
        start = indicator.span[0] if indicator.span else -1
        if any(a <= start < b for a, b in inside) or (indicator.value, indicator.unit) in taken:
            continue
        found.append(indicator)
    found.sort(key=lambda d: d.span[0] if d.span else 0)
    item.indicators = found
    leads = [d for c in by_role.get(LEAD, []) for d in split_departments(c.text)]
    cos = [d for c in by_role.get(CO, []) for d in split_departments(c.text)]
    if leads:
        item.lead_department = leads[0]
        item.co_departments = [d for d in leads[1:] + cos if d != leads[0]]
    elif cos:
        item.co_departments = cos
    item.source_span = (row.cells[0].start, row.cells[-1].start + len(row.cells[-1].text))
    dues = by_role.get(DUE)
    return dues[0].text if dues else None


def first_sentence(text: str) -> str:
    match = _SENTENCE_END_RE.search(text)
    return (text[: match.start()] if match else text).strip().rstrip(";；,，、")


def split_departments(text: str) -> list[str]:
    names = []
    for part in _DEPARTMENT_SPLIT.split(text.strip()):
        part = re.sub(r"[(（]?(?:牵头|配合|负责)[)）]?$", "", part).strip()
        if len(part) >= 2 and part not in names and part not in ("等", "各"):
            names.append(part)
    return names


def _cell_indicators(cell: Cell, at: int, unit: str, name: Cell | None) -> list[Indicator]:
    found = [] if cell.unit else extract_indicators(cell.text)
    name_text = first_sentence(name.text) if name is not None and name is not cell else ""
    if cell.unit and cell.label:
        name_text = cell.label  # "年度计划投资（亿元）": the column names the figure
    if not found:
        figure = _bare_figure(cell.text, unit, name_text)
        found = [figure] if figure is not None else []
    for indicator in found:
        start, end = indicator.span or (0, len(cell.text))
        indicator.span = (at + start, at + end)
        indicator.source_span = (cell.start + start, cell.start + end)
        if name_text and (cell.unit or not indicator.name or indicator.name == indicator.text):
            indicator.name = name_text
    return found


def _bare_figure(text: str, unit: str, name: str) -> Indicator | None:
    """A target cell holding only a figure ("5左右", "170", "20000以上"): the unit column
    (if any) and the task's words supply the rest."""
    match = _BARE_FIGURE_RE.match(fold(text))
    if match is None:
        return None
    unit = unit or match.group("unit") or ""
    comparator = Comparator.AT_LEAST
    if match.group("pre"):
        comparator = _PRE[match.group("pre")]
    if match.group("post"):
        comparator = _POST[match.group("post")]
    folded_name = fold(name)
    kind = Kind.QUANTITY
    if unit in _PERCENT:
        if re.search("增长|增速|增幅|提高|提升", folded_name):
            kind = Kind.GROWTH
        elif re.search("下降|降低|减少", folded_name):
            kind = Kind.DECLINE
        else:
            kind = Kind.RATIO
    elif re.search("日均|能力|平均|率|占比|比重", folded_name):
        kind = Kind.LEVEL
    stripped = text.strip()
    lead = len(text) - len(text.lstrip())
    return Indicator(
        name=name or stripped,
        value=float(match.group("num").replace(",", "")),
        unit=unit,
        comparator=comparator,
        kind=kind,
        text=stripped,
        span=(lead, lead + len(stripped)),
        stretch_value=float(match.group("high").replace(",", "")) if match.group("high") else None,
    )


# --- departments and due dates in prose ------------------------------------------------------

# A field's value runs to the end of its clause or to the next field's label.
_LABELS = "责任单位|牵头单位|配合单位|协办单位|责任部门|牵头部门|主责单位|责任主体|配合部门|参与单位|完成时限|完成时间|时间节点|完成期限"
_VALUE = rf"((?:(?!{_LABELS})[^;；。)）\n])+)"
_PROSE_LEAD_RE = re.compile(
    rf"(?:责任单位|牵头单位|责任部门|牵头部门|主责单位|责任主体)\s*[:：]\s*{_VALUE}"
)
_PROSE_CO_RE = re.compile(rf"(?:配合单位|协办单位|配合部门|参与单位)\s*[:：]\s*{_VALUE}")
_PROSE_DUE_RE = re.compile(rf"(?:完成时限|完成时间|时间节点|完成期限)\s*[:：]\s*{_VALUE}")
_PAREN_LEAD_RE = re.compile(
    r"[(（]([^（()）]{2,40}?)牵头(?:\s*[,，、;；]\s*([^（()）]{2,80}?)(?:配合|参与))?[)）]"
)


def prose_departments(item: Item) -> str | None:
    """责任单位/牵头单位/配合单位/完成时限 written in the item's text; returns the due text."""
    text = fold(item.text)
    leads: list[str] = []
    cos: list[str] = []
    if match := _PROSE_LEAD_RE.search(text):
        leads = split_departments(item.text[match.start(1) : match.end(1)])
    elif match := _PAREN_LEAD_RE.search(text):
        leads = split_departments(item.text[match.start(1) : match.end(1)])
        if match.group(2):
            cos = split_departments(item.text[match.start(2) : match.end(2)])
    if match := _PROSE_CO_RE.search(text):
        cos += split_departments(item.text[match.start(1) : match.end(1)])
    if leads and item.lead_department is None:
        item.lead_department = leads[0]
        item.co_departments = [d for d in leads[1:] + cos if d != leads[0]]
    elif cos and not item.co_departments:
        item.co_departments = cos
    match = _PROSE_DUE_RE.search(text)
    return item.text[match.start(1) : match.end(1)] if match else None


_QUARTER_END = {"一": 3, "1": 3, "二": 6, "2": 6, "三": 9, "3": 9, "四": 12, "4": 12}


def parse_due(text: str, year: int) -> date | None:
    """ "2025年6月30日", "6月底", "年底", "三季度", "上半年" → a date; None if open-ended."""
    folded = fold(text)
    if match := re.search(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日", folded):
        try:
            return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        except ValueError:
            return None
    if match := re.search(r"(?:(\d{4})\s*年\s*)?(\d{1,2})\s*月", folded):
        month = int(match.group(2))
        if 1 <= month <= 12:
            y = int(match.group(1)) if match.group(1) else year
            return date(y, month, calendar.monthrange(y, month)[1])
    if match := re.search(r"(?:第)?([一二三四1-4])\s*季度", folded):
        month = _QUARTER_END[match.group(1)]
        return date(year, month, calendar.monthrange(year, month)[1])
    if "上半年" in folded:
        return date(year, 6, 30)
    if re.search("年底|年末|全年|下半年|年内", folded):
        return date(year, 12, 31)
    return None
