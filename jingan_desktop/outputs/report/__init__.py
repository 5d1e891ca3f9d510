"""The quarterly progress report as a PDF (reportlab alone: no matplotlib, no Qt).

:func:`build_report` writes, for the workspace's quarter:

* a **cover** (plan title, quarter, "季度工作进展报告", the department when the report is for
  one, the issuing office and the date);
* a **summary** (portrait): overall completion against the quarter's pace, indicators and
  items by status, the status chart, the lagging (red) items first, then completion by chapter;
* per **chapter** (landscape, for the wide table): a heading, the chapter's figures, a chart of
  its items' completion against pace, and a table of items and indicators (编号, 名称, 目标,
  截至本期实际, 完成率, 状态, 责任单位, 进展情况). Long cells wrap, rows taller than a page split,
  the header row repeats on every page and status cells are coloured.

``style="gongwen"`` lays the same quarter out in the 公文 manner instead (``gongwen``): the
版头 (issuing office in red over a red rule), "关于…重点工作进展情况的报告", the text, the
signature and date block, the chapter tables as 附件 in black and grey, "— N —" page numbers.
The default stays ``brief``: it is what the clerks track with during the quarter, and the
existing reports and tests keep their shape; 公文 is chosen when the report leaves the office.

Every page carries "第 N 页 共 M 页"; the PDF's title, author (the issuing office) and subject
are set. The bundled CJK font is embedded (subset), so the file prints the same on a machine
without Chinese fonts.

User text (titles, progress notes, department and indicator names) only ever reaches
reportlab's Paragraph markup through :func:`markup`, which escapes ``& < > " '``, and never
goes into a tag attribute (reportlab's markup once evaluated code in ``<font color=…>``,
CVE-2023-33733).

The PDF is built in memory, written to a temporary file beside the target and renamed into
place, so the real name only ever holds a complete report; a cancelled or failed build leaves
no file behind.

The package: ``build`` (the story and :func:`build_report`), ``document`` (page templates,
header and footer, page numbering, metadata), ``cover``, ``summary`` and ``chapters`` (the
pages, each a :class:`~.section.Section`), ``styles`` (font, paragraph styles, colours),
``font`` (the bundled font's parse, kept in the user's cache folder), ``figures`` (the charts,
as reportlab vector drawings of ``outputs.chart_rows``: a report never imports matplotlib),
``scope`` (what a report covers), ``text`` (escaping and wording), ``progress`` (progress and
cancelling).
"""

from __future__ import annotations

from .build import ReportError, ReportSummary, build_report, report_story
from .document import LANDSCAPE, PORTRAIT
from .figures import CHART_ITEMS, chapter_items_drawing
from .progress import ProgressCallback, ReportCancelled
from .scope import ReportScope, involves, report_scope
from .styles import PDF_FONT, RAG_ORDER, ensure_pdf_font
from .text import chinese_date, markup, percent, target_text

__all__ = [
    "CHART_ITEMS",
    "LANDSCAPE",
    "PDF_FONT",
    "PORTRAIT",
    "RAG_ORDER",
    "ProgressCallback",
    "ReportCancelled",
    "ReportError",
    "ReportScope",
    "ReportSummary",
    "build_report",
    "chapter_items_drawing",
    "chinese_date",
    "ensure_pdf_font",
    "involves",
    "markup",
    "percent",
    "report_scope",
    "report_story",
    "target_text",
]
