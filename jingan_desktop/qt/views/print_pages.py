"""What 打印 puts on paper, as HTML for a QTextDocument: the tree as the clerk sees it (the rows
the filter and the expansion show, the columns not hidden) and the quarterly report's content.

The report is printed from its data, not from the PDF: PySide6-Essentials has no QtPdf to
render PDF pages, and a QTextDocument table reflows to any printer's page and keeps the text
sharp, where page images would be resampled."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import QTreeView

from ...outputs.report.scope import report_scope
from ...outputs.report.text import percent, target_text
from ...plan.numbers import format_number
from ...plan.progress import Rag
from ...workspace import Workspace

STYLE = """<style>
h1 { font-size: 15pt; text-align: center; margin: 0 0 4pt 0; }
h2 { font-size: 12pt; margin: 10pt 0 3pt 0; }
p.meta { color: #555; font-size: 8.5pt; margin: 0 0 6pt 0; }
table { border-collapse: collapse; }
th { background: #e8e8e8; font-weight: normal; }
td.chapter { font-weight: bold; background: #f2f2f2; }
</style>"""


def _cell(text: str) -> str:
    """Escaped, line breaks kept, leading full-width spaces (the tree's indent) kept too."""
    body = text.lstrip("\u3000")
    indent = "&nbsp;&nbsp;&nbsp;" * (len(text) - len(body))
    return indent + escape(body).replace("\n", "<br/>")


def _table(
    headers: list[str], rows: list[tuple[str, list[str]]], widths: list[int] | None = None
) -> str:
    """An HTML table; ``widths`` in per cent of the page (the tree's on-screen proportions)."""
    sizes = widths or [0] * len(headers)
    head = "".join(
        f'<th width="{w}%">{escape(h)}</th>' if w else f"<th>{escape(h)}</th>"
        for h, w in zip(headers, sizes, strict=True)
    )
    body = []
    for css, cells in rows:
        tds = "".join(f'<td class="{css}">{_cell(c)}</td>' for c in cells)
        body.append(f"<tr>{tds}</tr>")
    return (
        '<table width="100%" border="1" cellspacing="0" cellpadding="3">'
        f"<thead><tr>{head}</tr></thead>{''.join(body)}</table>"
    )


# Per cent of the page for the tree's columns on paper (名称: the rest).
PRINT_WIDTHS = {
    "编号": 7,
    "名称": 0,
    "目标": 12,
    "单位": 6,
    "本期实际": 10,
    "完成率": 7,
    "状态": 10,
    "牵头单位": 13,
}


def tree_html(tree: QTreeView, title: str, subtitle: str) -> str:
    """The rows the tree shows now (filtered, expanded as it is), with its visible columns."""
    model = tree.model()
    columns = [c for c in range(model.columnCount()) if not tree.isColumnHidden(c)]
    headers = [str(model.headerData(c, Qt.Orientation.Horizontal)) for c in columns]
    widths = [PRINT_WIDTHS.get(h, 10) for h in headers]
    if "名称" in headers:  # the name takes what the others leave
        widths[headers.index("名称")] = max(20, 100 - sum(widths) + widths[headers.index("名称")])
    rows: list[tuple[str, list[str]]] = []

    def visit(parent: QModelIndex, depth: int) -> None:
        for row in range(model.rowCount(parent)):
            first = model.index(row, 0, parent)
            cells = []
            for column in columns:
                text = model.data(model.index(row, column, parent)) or ""
                cells.append(("\u3000" * depth if column == 1 else "") + str(text))
            rows.append(("chapter" if depth == 0 else "", cells))
            if tree.isExpanded(first):
                visit(first, depth + 1)

    visit(QModelIndex(), 0)
    meta = f"{escape(subtitle)}，共 {len(rows)} 行"
    return (
        f'{STYLE}<h1>{escape(title)}</h1><p class="meta">{meta}</p>{_table(headers, rows, widths)}'
    )


REPORT_HEADERS = ["编号", "名称", "目标", "截至本期实际", "完成率", "状态", "责任单位", "进展情况"]
REPORT_WIDTHS = [6, 22, 12, 11, 8, 8, 12, 21]


def report_html(workspace: Workspace, department: str | None = None) -> str:
    """The quarterly report's content: its title, the overall figures and a table a chapter."""
    scope = report_scope(workspace, department)
    overall = scope.progress.plan
    counts = scope.progress.counts()
    parts = [
        STYLE,
        f"<h1>{escape(workspace.plan.title)}</h1>",
        f"<h1>{escape(scope.quarter_label)}工作进展报告</h1>",
        f'<p class="meta">{escape(department or "全区")}：重点工作 {len(scope.items)} 项、'
        f"量化指标 {len(scope.indicators)} 个；总体完成率 {percent(overall.completion)}，"
        f"本季度应达进度 {percent(overall.expected)}，总体状态“{overall.status.label}”；"
        f"正常 {counts[Rag.GREEN]} 个、预警 {counts[Rag.AMBER]} 个、滞后 {counts[Rag.RED]} 个、"
        f"未填报 {counts[Rag.GREY]} 个。</p>",
    ]
    for chapter in scope.plan.chapters:
        parts.append(f"<h2>{escape(chapter.numeral)}、{escape(chapter.title)}</h2>")
        rows = _chapter_rows(workspace, scope, chapter)
        parts.append(_table(REPORT_HEADERS, rows, REPORT_WIDTHS))
    return "".join(parts)


def _chapter_rows(workspace: Workspace, scope, chapter) -> list[tuple[str, list[str]]]:
    rows: list[tuple[str, list[str]]] = []
    for item in chapter.items:
        evaluation = scope.progress.items[item.id or ""]
        progress = workspace.progress_of(item.id or "")
        lead = item.lead_department or ""
        if item.co_departments:
            lead += "\n配合：" + "、".join(item.co_departments)
        rows.append(
            (
                "chapter",
                [
                    str(item.number),
                    item.title,
                    "",
                    "",
                    percent(evaluation.completion),
                    evaluation.status.label,
                    lead,
                    progress.text if progress else "",
                ],
            )
        )
        for position, indicator in enumerate(item.indicators, start=1):
            ev = scope.progress.indicators[indicator.id or ""]
            actual = workspace.actual(indicator.id or "")
            value = actual.value if actual else None
            shown = "" if value is None else f"{format_number(value)} {indicator.unit}".strip()
            rows.append(
                (
                    "",
                    [
                        f"{item.number}.{position}",
                        indicator.name,
                        target_text(indicator),
                        shown,
                        percent(ev.completion),
                        ev.status.label,
                        "",
                        "",
                    ],
                )
            )
    return rows
