"""How the report is made quickly without being made worse: its charts are vector drawings in
the bundled font (no matplotlib in the process), and the font's parse is kept in the user's
cache folder and read back to the same embedded subset."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader
from reportlab.pdfgen.canvas import Canvas

from jingan_desktop.outputs.chart_rows import BarRow
from jingan_desktop.outputs.report import build_report
from jingan_desktop.outputs.report.figures import ITEM_LOOK, bar_chart, status_drawing
from jingan_desktop.outputs.report.font import cache_file, load_font
from jingan_desktop.paths import BUNDLED_FONT, cache_dir
from jingan_desktop.plan.progress import Rag
from jingan_desktop.storage.store import Store
from jingan_desktop.workspace import Workspace
from tests.test_report import ISSUED, Q, full, plan_db, squash  # noqa: F401 - fixtures

ROOT = Path(__file__).resolve().parents[1]


# --- the charts ------------------------------------------------------------------------------


def test_charts_are_text_and_paths_in_the_embedded_font(full):  # noqa: F811 - fixture
    pdf, reader = full.pdf, PdfReader(full.pdf)  # the brief report of test_report.py
    summary = squash(reader.pages[1].extract_text())
    assert "指标状态分布·2022年第二季度" in summary  # the status chart's title, as text
    assert "各章节完成情况·2022年第二季度" in summary
    assert "完成率（%）竖线：本季度应达进度" in summary
    assert "一、全力以赴稳增长" in summary  # a chapter's bar label
    chapter = squash(reader.pages[2].extract_text())
    assert "1.推动经济平稳健康发展" in chapter  # an item's bar label in its chapter's chart
    images = [n for page in reader.pages for n in page.get("/Resources", {}).get("/XObject", {})]
    assert images == []  # no pictures: the bars are paths
    fills = reader.pages[1].get_contents().get_data().decode("latin-1")
    assert ".227451 .615686 .290196 rg" in fills  # the green bars, as filled paths
    for page in reader.pages:
        for ref in page["/Resources"].get("/Font", {}).values():
            assert str(ref.get_object()["/BaseFont"]).endswith("+WenQuanYiMicroHei")
    assert b"Helvetica" not in pdf.read_bytes()


def _inside(drawing) -> None:
    x0, y0, x1, y1 = drawing.getBounds()
    assert x0 >= 0 and y0 >= 0, (x0, y0)
    assert x1 <= drawing.width and y1 <= drawing.height, (x1, y1, drawing.width, drawing.height)


def test_long_labels_and_bars_past_the_target_stay_inside_the_chart():
    rows = [
        BarRow("a", "12. 全力推进国际一流营商环境示范区建设", 260.0, 50.0, Rag.GREEN, "260%"),
        BarRow("b", "13. 短", None, 50.0, Rag.AMBER, "按填报状态 · 预警"),
        BarRow("c", "14. 定性", None, None, Rag.GREY, "未填报"),
        BarRow("d", "15. 满额", 99.0, 100.0, Rag.GREEN, "99%（填报 12/12）"),
    ]
    drawing = bar_chart(rows, 300, ITEM_LOOK)
    _inside(drawing)
    assert drawing.height >= len(rows) * ITEM_LOOK.row


def test_status_chart_counts_fit(plan_db: Path):  # noqa: F811
    store = Store.open(plan_db, readonly=True)
    try:
        drawing = status_drawing(Workspace(store, quarter=Q), 180, 120)
    finally:
        store.close()
    _inside(drawing)


def test_a_report_in_a_fresh_process_never_imports_matplotlib(plan_db: Path, tmp_path: Path):  # noqa: F811
    """The clerk's click and the ``report`` command start cold: the PDF is reportlab's alone."""
    out = tmp_path / "r.pdf"
    code = (
        "import sys\n"
        "from jingan_desktop.cli import main\n"
        f"code = main(['report', '--db', {str(plan_db)!r}, '--quarter', '2022Q2', '-o', {str(out)!r}])\n"
        "print(code, sorted(m for m in sys.modules if m.split('.')[0] in ('matplotlib', 'numpy')))\n"
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT), JINGAN_DATA_DIR=str(tmp_path / "data"))
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "0 []"
    assert len(PdfReader(out).pages) > 3


# --- the font's parse, kept ------------------------------------------------------------------


def _pdf_with(font) -> bytes:
    from reportlab.pdfbase import pdfmetrics

    pdfmetrics.registerFont(font)
    buffer = io.BytesIO()
    canvas = Canvas(buffer, invariant=1, initialFontName=font.fontName)
    canvas.setFont(font.fontName, 12)
    canvas.drawString(20, 700, "静安区重点工作 2022 年第二季度：完成率 55.0%（填报 80/80）")
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def test_the_kept_parse_is_the_parse(tmp_path: Path):
    cache = tmp_path / "cache"
    parsed, from_cache = load_font("KeptA", BUNDLED_FONT, cache)
    assert not from_cache
    kept = cache_file(BUNDLED_FONT.read_bytes(), cache)
    assert kept.is_file()
    again, from_cache = load_font("KeptB", BUNDLED_FONT, cache)
    assert from_cache
    assert set(vars(again)) == set(vars(parsed))
    fresh = {k: v for k, v in vars(parsed.face).items() if k != "_pdfScale"}
    read = {k: v for k, v in vars(again.face).items() if k != "_pdfScale"}
    assert read == fresh
    assert {k: type(v) for k, v in read.items()} == {k: type(v) for k, v in fresh.items()}
    assert again.face._pdfScale(2048) == parsed.face._pdfScale(2048)
    assert again.stringWidth("静安 2022", 10) == parsed.stringWidth("静安 2022", 10)
    # Embedded the same: the same subset, byte for byte (but for the font's name).
    one = _pdf_with(parsed).replace(b"KeptA", b"Kept?")
    two = _pdf_with(again).replace(b"KeptB", b"Kept?")
    assert one == two


def test_a_damaged_cache_is_parsed_again_and_rewritten(tmp_path: Path):
    cache = tmp_path / "cache"
    load_font("KeptC", BUNDLED_FONT, cache)
    kept = cache_file(BUNDLED_FONT.read_bytes(), cache)
    kept.write_bytes(kept.read_bytes()[:1000])  # cut short (a full disk, a crash)
    _font, from_cache = load_font("KeptD", BUNDLED_FONT, cache)
    assert not from_cache
    assert load_font("KeptE", BUNDLED_FONT, cache)[1]  # rewritten whole
    assert not [p for p in cache.iterdir() if p.suffix == ".tmp"]


def test_a_cache_folder_that_cannot_be_written_only_costs_the_parse(tmp_path: Path):
    blocked = tmp_path / "cache"
    blocked.write_text("a file where the folder would be")
    font, from_cache = load_font("KeptF", BUNDLED_FONT, blocked)
    assert not from_cache and font.face.numGlyphs > 20000
    assert blocked.read_text() == "a file where the folder would be"


@pytest.mark.parametrize(
    ("env", "platform", "expected"),
    [
        ({"JINGAN_DATA_DIR": "/d"}, "linux", Path("/d/cache")),
        ({"XDG_CACHE_HOME": "/c"}, "linux", Path("/c/jingan-desktop")),
        (
            {"LOCALAPPDATA": "C:/Users/a/AppData/Local"},
            "win32",
            Path("C:/Users/a/AppData/Local/jingan-desktop/cache"),
        ),
    ],
)
def test_cache_dir(env: dict[str, str], platform: str, expected: Path):
    assert cache_dir(env, platform) == expected


# --- plain cells in the long tables ----------------------------------------------------------


def test_cells_are_plain_where_one_line_fits_and_wrap_otherwise():
    from jingan_desktop.outputs.report.cells import Cells
    from jingan_desktop.outputs.report.styles import CellParagraph, Styles

    s = Styles()
    cells = Cells([40.0, 160.0])
    assert cells(0, "6.1", s.cell_center) == "6.1"
    assert cells(1, '区<i>商务</i>委&"', s.cell) == '区<i>商务</i>委&"'  # printed as typed
    for text in ("苏河湾中心、雅丰天际中心等项目实现竣工并投入使用", "牵头：甲\n配合：乙", "a  b"):
        assert isinstance(cells(0, text, s.cell), CellParagraph), text
    assert isinstance(cells(1, "短", s.cell_item), CellParagraph)  # another size: its paragraph


def test_one_cell_commands_merge_into_runs_after_the_row_wide_ones():
    from jingan_desktop.outputs.report.cells import merged

    row_fill = ("BACKGROUND", (0, 2), (-1, 2), "item")
    commands = [
        ("GRID", (0, 0), (-1, -1), 0.5, "rule"),
        ("BACKGROUND", (5, 1), (5, 1), "green"),
        row_fill,
        ("BACKGROUND", (5, 2), (5, 2), "green"),
        ("BACKGROUND", (5, 3), (5, 3), "green"),
        ("BACKGROUND", (5, 4), (5, 4), "red"),
        ("BACKGROUND", (5, 5), (5, 5), "green"),
        ("TEXTCOLOR", (5, 1), (5, 1), "ink"),
        ("TEXTCOLOR", (5, 2), (5, 2), "ink"),
    ]
    assert merged(commands) == [
        ("GRID", (0, 0), (-1, -1), 0.5, "rule"),
        row_fill,  # before the status fills, which win over it on row 2
        ("BACKGROUND", (5, 1), (5, 3), "green"),
        ("BACKGROUND", (5, 4), (5, 4), "red"),
        ("BACKGROUND", (5, 5), (5, 5), "green"),
        ("TEXTCOLOR", (5, 1), (5, 2), "ink"),
    ]


def test_plain_cells_set_in_one_text_object_land_where_reportlab_sets_them():
    """The chapter tables set their one-line cells in one text object; each string lands
    where reportlab's own drawString puts it, in every alignment, vertical alignment and
    colour, beside wrapped paragraphs, empty cells and a cell of two lines."""
    from reportlab.lib import colors
    from reportlab.platypus import LongTable

    from jingan_desktop.outputs.report.cells import LongCellTable
    from jingan_desktop.outputs.report.styles import CellParagraph, Styles, ensure_pdf_font

    font = ensure_pdf_font()
    s = Styles()
    rows = [
        ["编号", "名称", "目标", "完成率"],
        ["1.1", "营商环境指标1-1", "≥ 5 亿元", "114%"],
        ["1.2", CellParagraph("较长的名称" * 6, s.cell), "", "正常"],
        ["1.3", "两行\n的单元格", "≥ 20 人", "—"],
    ]
    style = [
        ("FONT", (0, 0), (-1, -1), font, 8, 10.5),
        ("ALIGN", (0, 0), (0, -1), "CENTER"),
        ("ALIGN", (3, 0), (3, -1), "RIGHT"),
        ("VALIGN", (0, 1), (-1, 1), "TOP"),
        ("VALIGN", (0, 2), (-1, 2), "MIDDLE"),
        ("VALIGN", (0, 3), (-1, 3), "BOTTOM"),
        ("TEXTCOLOR", (3, 1), (3, 2), colors.HexColor("#1e6b2a")),
        ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
    ]

    def placed(table_class: type) -> list[tuple[str, float, float]]:
        out = io.BytesIO()
        canvas = Canvas(out)
        table = table_class(rows, colWidths=[40, 120, 60, 50], style=style)
        table.wrapOn(canvas, 400, 600)
        table.drawOn(canvas, 50, 300)
        canvas.save()
        found: list[tuple[str, float, float]] = []

        def visit(text, _cm, tm, _font, _size) -> None:
            if text.strip():
                found.append((text.strip(), round(tm[4], 2), round(tm[5], 2)))

        PdfReader(io.BytesIO(out.getvalue())).pages[0].extract_text(visitor_text=visit)
        return sorted(found)

    ours, reportlab = placed(LongCellTable), placed(LongTable)
    assert ours == reportlab
    assert {"1.1", "114%", "正常", "—", "营商环境指标1-1"} <= {text for text, _x, _y in ours}


# --- a chapter over many pages ---------------------------------------------------------------


def test_a_long_chapter_table_pages_every_row_once_under_its_header(tmp_path: Path):
    from bench.synthetic import fill_sample_figures, synthetic_plan

    plan = synthetic_plan(60, 300, chapters=1)  # one chapter of 360 rows: many pages
    store = Store.create(tmp_path / "long.sqlite", plan)
    try:
        fill_sample_figures(store, plan.id or "", (1, 2))
        workspace = Workspace(store, quarter=Q)
        items = workspace.plan.items()
        summary = build_report(workspace, tmp_path / "long.pdf", generated_on=ISSUED)
    finally:
        store.close()
    pages = [page.extract_text() or "" for page in PdfReader(tmp_path / "long.pdf").pages]
    table_pages = [p for p in pages if "截至本期实际" in p]
    assert summary.pages == len(pages) and len(table_pages) >= 8
    for page in table_pages:  # the header row on every page of the table
        assert "事项 / 指标" in page and "进展情况" in page
    names: list[str] = []  # "社会治理指标5-3": each indicator's row, page by page
    for page in table_pages:
        names += re.findall(r"^\S*指标\d+-\d+$", page, flags=re.MULTILINE)
    expected = [n.name for i in items for n in i.indicators]
    assert len(expected) == 300
    assert names == expected  # every indicator row once, in order, none lost at a break


def test_the_page_tables_take_the_row_heights_reportlab_would_measure(tmp_path: Path, monkeypatch):
    """Each page's table is handed its rows' heights, measured once; they are the heights
    reportlab measures itself, wrapped names and a long progress note included."""
    from bench.synthetic import fill_sample_figures, synthetic_plan
    from jingan_desktop.outputs.report import paged
    from jingan_desktop.outputs.report.cells import LongCellTable

    checked: list[int] = []

    class Measured(LongCellTable):
        def __init__(self, *args, **kwargs):
            self.made_with = args, kwargs
            super().__init__(*args, **kwargs)

        def wrap(self, availWidth, availHeight):
            size = super().wrap(availWidth, availHeight)
            args, kwargs = self.made_with
            if kwargs.get("rowHeights") is not None:
                own = LongCellTable(*args, **{**kwargs, "rowHeights": None})
                own.wrap(availWidth, 10**6)
                assert self._rowHeights == pytest.approx(own._rowHeights)
                checked.append(len(self._rowHeights))
            return size

    monkeypatch.setattr(paged, "LongCellTable", Measured)
    plan = synthetic_plan(40, 200, chapters=2)
    store = Store.create(tmp_path / "heights.sqlite", plan)
    try:
        fill_sample_figures(store, plan.id or "", (1, 2))
        workspace = Workspace(store, quarter=Q)
        item = workspace.plan.items()[3]
        workspace.apply(workspace.make_edit("progress", item.id, "text", "进展顺利，" * 60))
        build_report(workspace, tmp_path / "heights.pdf", generated_on=ISSUED)
    finally:
        store.close()
    assert len(checked) >= 4 and sum(checked) >= 240  # every row, on every page
