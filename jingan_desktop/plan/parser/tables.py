"""Task-breakdown tables (任务分解表) in text form: their header names the columns.

Three text forms are read, all into table rows whose cells carry the column's role:
``|``-separated rows (also how .docx and .xlsx tables reach the parser), space-separated rows
under a header such as "序号 指标 单位 目标值 责任单位", and one cell per line (a table copied
out of a PDF or a web page). Columns are found by their header names wherever they sit.
"""

from __future__ import annotations

import re

from .lines import CHAPTER, ROW, SECTION, TEXT, Cell, Line

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
        r"(?:\d{4}年|上年|去年|本年|当年|[一二三四1-4]季度)?(?:实际)?(?:完成情况|完成值|完成数|实际完成|进展情况|执行情况|完成进度|进展|实际值|实绩)|(?:\d{4}年|上年|去年)(?:实际)?完成",
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
        r"(?:重点|主要|具体|年度)?(?:工作)?(?:任务|事项|内容|项目|要点|举措|措施)(?:名称|内容|举措)?|实事项目|民生实事|工作内容|任务内容|重点工作",
    ),
]
_ROLE_RES = [(role, re.compile(rf"^(?:{pattern})$")) for role, pattern in _ROLE_PATTERNS]
_SPACES = re.compile(r"\s+")


def role_of(cell: str) -> str | None:
    name = _SPACES.sub("", cell)
    for role, pattern in _ROLE_RES:
        if pattern.match(name):
            return role
    return None


def header_roles(cells: list[str]) -> list[str] | None:
    """The roles of a header row, or None if the cells do not read as a table header."""
    named = [c for c in cells if c.strip()]
    if len(named) < 2:
        return None
    roles = [role_of(c) or "" for c in cells]
    known = [r for r in roles if r]
    if len(known) < 2 or len(known) * 3 < len(named) * 2:
        return None
    if not ({TASK, NAME, TARGET} & set(known)):
        return None
    return _unique(roles)


def _unique(roles: list[str]) -> list[str]:
    """A second column of a role already taken keeps its name only if it adds to it."""
    seen: set[str] = set()
    out = []
    for role in roles:
        if role in seen and role not in (LEAD, CO, TASK):
            role = REMARK
        seen.add(role)
        out.append(role)
    if NAME in out and TASK not in out:
        out = [TASK if r == NAME else r for r in out]
    return out


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
    return [(m.group(), m.start()) for m in re.finditer(r"\S+", line.text)]


def find_tables(lines: list[Line]) -> tuple[list[Line], list[str]]:
    """Lines with table regions turned into ROW lines (header rows dropped), and notes."""
    out: list[Line] = []
    notes: list[str] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        cells = _pipe_cells(line)
        splitter = _pipe_cells if cells is not None else None
        if cells is None and line.kind == TEXT and " " in line.text.strip():
            cells = _space_cells(line)
            splitter = _space_cells
        roles = header_roles([c for c, _ in cells]) if cells else None
        if roles is not None and splitter is not None:
            index = _read_rows(lines, index + 1, roles, splitter, out, notes)
            continue
        if line.kind == TEXT and (roles := _stacked_header(lines, index)) is not None:
            index = _read_stacked(lines, index + len(roles), roles, out)
            continue
        out.append(line)
        index += 1
    return out, notes


def _row(line: Line, roles: list[str], cells: list[tuple[str, int]]) -> Line:
    if len(cells) > len(roles) and TASK in roles:
        # Spaces inside a task: the surplus words belong to the task column.
        at = roles.index(TASK)
        extra = len(cells) - len(roles)
        merged_text = line.text[cells[at][1] : cells[at + extra][1] + len(cells[at + extra][0])]
        cells = [*cells[:at], (merged_text, cells[at][1]), *cells[at + extra + 1 :]]
    row = Line(line.number, line.start, line.text, line.folded, kind=ROW)
    row.cells = [
        Cell(role, text, line.start + start)
        for role, (text, start) in zip(roles, cells, strict=False)
        if text
    ]
    return row


def _read_rows(lines, index, roles, splitter, out, notes) -> int:
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


def _stacked_header(lines: list[Line], index: int) -> list[str] | None:
    """Header names one per line ("序号", "任务", "目标", "责任单位" …), at least three."""
    roles = []
    for line in lines[index : index + 12]:
        role = role_of(line.text) if len(line.text) <= 12 else None
        if role is None:
            break
        roles.append(role)
    if len(roles) < 3 or not ({TASK, NAME, TARGET} & set(roles)):
        return None
    return _unique(roles)


def _read_stacked(lines: list[Line], index: int, roles: list[str], out: list[Line]) -> int:
    width = len(roles)
    numbered = roles[0] == NUMBER
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
            Cell(role, g.text, g.start) for role, g in zip(roles, group, strict=False) if g.text
        ]
        out.append(row)
        index = cursor
        expected += 1
        while index < len(lines) and lines[index].kind in (CHAPTER, SECTION):
            out.append(lines[index])
            index += 1
    return index
