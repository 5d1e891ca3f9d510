"""Task-breakdown tables (任务分解表) in text form: their header names the columns.

Three text forms are read, all into table rows whose cells carry the column's role:
``|``-separated rows (also how .docx and .xlsx tables reach the parser), space-separated rows
under a header such as "序号 指标 单位 目标值 责任单位", and one cell per line (a table copied
out of a PDF or a web page). Columns are found by their header names wherever they sit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .folding import fold
from .lines import CHAPTER, ROW, SECTION, TEXT, Cell, Line
from .targets import UNITS

NUMBER, TASK, NAME, TARGET, UNIT, LEAD, CO, DUE, ACTUAL, CATEGORY, REMARK = (
    "number",
    "task",
    "name",
    "target",
    "unit",
    "lead",
    "co",
    "due",
    "actual",
    "category",
    "remark",
)
_ROLE_PATTERNS = [
    (NUMBER, r"序号|编号|序|号"),
    (
        ACTUAL,
        r"(?:\d{4}年|上年|去年|本年|当年|[一二三四1-4]季度)?(?:实际)?(?:完成情况|完成值|完成数|实际完成|进展情况|执行情况|完成进度|进展|实际值|实绩)|(?:\d{4}年|上年|去年)(?:实际)?完成"
        r"|(?:\d{4}年|上年|去年)?(?:预计|预计完成|预计值|实际|基数|基期值?)",
    ),
    (NAME, r"指标名称|指标|主要指标|考核指标|项目名称|名称"),
    (
        TARGET,
        r"(?:\d{4}年)?(?:年度|全年|预期|工作|任务|量化|考核)?(?:目标值|目标任务|目标|任务目标|指标值|计划数|计划值|计划)",
    ),
    (UNIT, r"(?:计量)?单位"),
    (
        LEAD,
        r"(?:主要)?(?:责任单位|牵头单位|主责单位|责任部门|牵头部门|责任主体|主办单位|牵头责任单位)(?:\(牵头\))?",
    ),
    (CO, r"配合单位|协办单位|配合部门|协同单位|参与单位|协作单位|责任单位\(配合\)"),
    (DUE, r"完成时限|完成时间|时间节点|时限|完成期限|时间要求|进度安排|计划完成时间"),
    (CATEGORY, r"类别|领域|分类|板块|类型"),
    (REMARK, r"备注|说明"),
    (
        TASK,
        r"(?:重点|主要|具体|年度|建设|工作)*(?:任务|事项|内容|项目|要点|举措|措施)(?:名称|内容|举措)?|实事项目|民生实事|重点工作",
    ),
]
# A figure column names its unit: "年度计划投资（亿元）", "目标值(万平方米)". Totals and figures
# already reached are not this year's targets.
_UNIT_HEADER_RE = re.compile(r"^(?P<label>[^()]{1,16})\((?:单位:)?(?P<unit>[^()]{1,8})\)$")
_NOT_A_TARGET_COLUMN = re.compile(r"总投资|累计|已完成|截至|上年|去年|\d{4}年完成")
_ROLE_RES = [(role, re.compile(rf"^(?:{pattern})$")) for role, pattern in _ROLE_PATTERNS]
_SPACES = re.compile(r"\s+")
_WS = re.compile(r"\s")


@dataclass
class Column:
    role: str
    label: str = ""
    unit: str = ""


def role_of(cell: str) -> str | None:
    return column_of(cell).role or None


def column_of(cell: str) -> Column:
    name = fold(_SPACES.sub("", cell))
    for role, pattern in _ROLE_RES:
        if pattern.match(name):
            return Column(role, name)
    match = _UNIT_HEADER_RE.match(name)
    if match and match.group("unit") in UNITS:
        label = match.group("label")
        if _NOT_A_TARGET_COLUMN.search(label):
            return Column(REMARK, label)
        inner = column_of(label)
        if inner.role in (ACTUAL, REMARK, NUMBER, LEAD, CO, DUE):
            return Column(inner.role, label)
        return Column(TARGET, label, match.group("unit"))
    return Column("", name)


def header_roles(cells: list[str]) -> list[Column] | None:
    """The columns of a header row, or None if the cells do not read as a table header."""
    named = [c for c in cells if c.strip()]
    if len(named) < 2:
        return None
    columns = [column_of(c) for c in cells]
    known = [c.role for c in columns if c.role]
    if len(known) < 2 or len(known) * 3 < len(named) * 2:
        return None
    if not ({TASK, NAME, TARGET} & set(known)):
        return None
    return _unique(columns)


def _unique(columns: list[Column]) -> list[Column]:
    """A second column of a role already taken keeps its role only where that adds to it."""
    seen: set[str] = set()
    for column in columns:
        if column.role in seen and column.role not in (LEAD, CO, TASK, TARGET):
            column.role = REMARK
        seen.add(column.role)
    if NAME in seen and TASK not in seen:
        for column in columns:
            if column.role == NAME:
                column.role = TASK
    return columns


def _pipe_cells(line: Line) -> list[tuple[str, int]] | None:
    """``a | b | c`` → cells with their offsets in the line; None if not a pipe row."""
    if line.folded.count("|") < 2:
        return None
    cells = []
    pos = 0
    for part in line.folded.split("|"):
        raw = line.text[pos : pos + len(part)]
        lead = len(raw) - len(raw.lstrip())
        cells.append((raw.strip(), pos + lead))
        pos += len(part) + 1
    if line.folded.startswith("|"):
        cells = cells[1:]
    if line.folded.endswith("|"):
        cells = cells[:-1]
    return cells


def _space_cells(line: Line) -> list[tuple[str, int]]:
    if "\t" in line.text:
        # Tab-separated (a table pasted from a web page or a sheet): empty cells are kept.
        cells, pos = [], 0
        for part in line.text.split("\t"):
            lead = len(part) - len(part.lstrip())
            cells.append((part.strip(), pos + lead))
            pos += len(part) + 1
        return cells
    return [(m.group(), m.start()) for m in re.finditer(r"\S+", line.text)]


def find_tables(lines: list[Line]) -> list[Line]:
    """Lines with table regions turned into ROW lines (header rows dropped)."""
    out: list[Line] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        cells = _pipe_cells(line) if len(line.text) <= 2000 else None  # a header is short
        splitter = _pipe_cells if cells is not None else None
        if cells is None and line.kind == TEXT and len(line.text) <= 200 and _WS.search(line.text):
            cells = _space_cells(line)
            splitter = _space_cells
        roles = header_roles([c for c, _ in cells]) if cells else None
        if roles is not None and splitter is not None:
            index = _read_rows(lines, index + 1, roles, splitter, out)
            continue
        if line.kind == TEXT and (roles := _stacked_header(lines, index)) is not None:
            index = _read_stacked(lines, index + len(roles), roles, out)
            continue
        out.append(line)
        index += 1
    return out


def _row(line: Line, roles: list[Column], cells: list[tuple[str, int]]) -> Line:
    names = [column.role for column in roles]
    if len(cells) > len(roles) and TASK in names:
        # Spaces inside a task: the surplus words belong to the task column.
        at = names.index(TASK)
        extra = len(cells) - len(roles)
        merged_text = line.text[cells[at][1] : cells[at + extra][1] + len(cells[at + extra][0])]
        cells = [*cells[:at], (merged_text, cells[at][1]), *cells[at + extra + 1 :]]
    row = Line(line.number, line.start, line.text, line.folded, kind=ROW)
    row.cells = [
        Cell(column.role, text, line.start + start, column.unit, column.label)
        for column, (text, start) in zip(roles, cells, strict=False)
        if text
    ]
    return row


def _read_rows(lines, index, roles, splitter, out) -> int:
    while index < len(lines):
        line = lines[index]
        if line.kind in (CHAPTER, SECTION) and _pipe_cells(line) is None:
            out.append(line)  # a heading between parts of the table
            index += 1
            continue
        cells = splitter(line)
        if not cells or (splitter is not _pipe_cells and len(cells) < 2):
            break
        if header_roles([c for c, _ in cells]) is not None:
            roles = header_roles([c for c, _ in cells]) or roles  # a repeated header row
            index += 1
            continue
        out.append(_row(line, roles, cells))
        index += 1
    return index


def _stacked_header(lines: list[Line], index: int) -> list[Column] | None:
    """Header names one per line ("序号", "任务", "目标", "责任单位" …), at least three."""
    columns = []
    for line in lines[index : index + 12]:
        column = column_of(line.text) if len(line.text) <= 16 else Column("")
        if not column.role:
            break
        columns.append(column)
    if len(columns) < 3 or not ({TASK, NAME, TARGET} & {c.role for c in columns}):
        return None
    return _unique(columns)


def _read_stacked(lines: list[Line], index: int, roles: list[Column], out: list[Line]) -> int:
    width = len(roles)
    numbered = roles[0].role == NUMBER
    expected = 1
    while index < len(lines):
        first = lines[index]
        if numbered and first.folded.strip(" .、") != str(expected):
            break
        group = [first]
        cursor = index + 1
        while cursor < len(lines) and len(group) < width:
            candidate = lines[cursor]
            if candidate.kind in (CHAPTER, SECTION):
                break
            if (
                numbered
                and candidate.folded.strip(" .、") == str(expected + 1)
                and (len(group) * 2 >= width)
            ):
                break  # an empty cell was left out: the next row begins
            group.append(candidate)
            cursor += 1
        if len(group) < 2:
            break
        row = Line(first.number, first.start, " | ".join(g.text for g in group), "", kind=ROW)
        row.cells = [
            Cell(column.role, g.text, g.start, column.unit, column.label)
            for column, g in zip(roles, group, strict=False)
            if g.text
        ]
        out.append(row)
        index = cursor
        expected += 1
        while index < len(lines) and lines[index].kind in (CHAPTER, SECTION):
            out.append(lines[index])
            index += 1
    return index
