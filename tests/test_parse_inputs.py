"""Plan files as clerks receive them: encodings, Word, Excel and PDF, through ``parse``."""

from __future__ import annotations

from pathlib import Path

import pytest

from jingan_desktop import cli
from jingan_desktop.plan.parser import PlanDecodeError, read_plan_file


def run(capsys, *args):
    code = cli.main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("gb_first", [False, True], ids=["utf8-then-gb18030", "gb18030-then-utf8"])
def test_a_gb18030_section_in_utf8_names_its_line(capsys, tmp_path: Path, seed_text, gb_first):
    lines = seed_text.split("\n")
    head, tail = "\n".join(lines[:20]), "\n".join(lines[20:])
    first, second = ("gb18030", "utf-8") if gb_first else ("utf-8", "gb18030")
    path = tmp_path / "mixed.txt"
    path.write_bytes(head.encode(first) + b"\n" + tail.encode(second))
    changes_at = 21 + next(i for i, line in enumerate(lines[20:]) if not line.isascii())
    with pytest.raises(PlanDecodeError) as caught:
        read_plan_file(path)
    assert caught.value.line == changes_at
    code, out, err = run(capsys, "parse", path)
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        f"jingan-desktop: error: {path}: line {changes_at}: the text changes from "
        f"{'GB18030' if gb_first else 'UTF-8'} to {'UTF-8' if gb_first else 'GB18030'} here "
        "(not a text file in one encoding); save the whole file as UTF-8"
    ]


# --- Word, Excel, PDF --------------------------------------------------------------------------


def _word_plan(path: Path) -> None:
    import docx

    document = docx.Document()
    document.add_paragraph("2025年XX区重点工作任务分解表")
    document.add_paragraph("一、稳增长")
    table = document.add_table(rows=3, cols=5)
    rows = [
        ["序号", "工作任务", "目标", "牵头单位", "完成时限"],
        ["1", "推进招商引资", "引进优质企业200家", "区投资促进中心", "2025年12月底"],
        ["2", "扩大有效投资", "完成固定资产投资150亿元", "区发展改革委", "2025年11月"],
    ]
    for row, values in zip(table.rows, rows, strict=True):
        for cell, value in zip(row.cells, values, strict=True):
            cell.text = value
    document.add_paragraph("二、惠民生")
    document.add_paragraph("3.新增养老床位300张。")
    document.save(path)


def test_word_paragraphs_and_tables_in_document_order(capsys, tmp_path: Path):
    path = tmp_path / "plan.docx"
    _word_plan(path)
    plan = read_plan_file(path).plan
    assert [c.title for c in plan.chapters] == ["稳增长", "惠民生"]
    items = plan.items()
    assert [(i.number, i.title) for i in items] == [
        (1, "推进招商引资"),
        (2, "扩大有效投资"),
        (3, "新增养老床位300张"),
    ]
    assert [(i.lead_department, str(i.due_date)) for i in items[:2]] == [
        ("区投资促进中心", "2025-12-31"),
        ("区发展改革委", "2025-11-30"),
    ]
    assert [[(d.value, d.unit) for d in i.indicators] for i in items] == [
        [(200, "家")],
        [(150, "亿元")],
        [(300, "张")],
    ]
    code = cli.main(["parse", str(path)])
    _out, err = capsys.readouterr()
    assert code == 0
    assert err.splitlines()[-1] == (
        f"{path}: 2 chapters, 3 items, 3 targets, 0 unplaced lines, 0 warnings"
    )


def _workbook(path: Path, with_actuals: bool = True) -> None:
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet["B1"] = "2025年XX区重点工作任务分解表"
    header = ["序号", "工作内容", "备注", "目标", "配合单位", "牵头单位", "完成时限"]
    if with_actuals:
        header.append("一季度完成情况")
    for column, name in enumerate(header, start=2):
        sheet.cell(row=3, column=column, value=name)
    rows = [
        [
            1,
            "加快城市更新",
            "",
            "完成旧住房改造5万平方米",
            "区规划资源局",
            "区房管局",
            "年底",
            "1.2万平方米",
        ],
        [2, "稳定就业", "", "新增就业岗位2.5万个", "", "区人社局", "2025年12月", "0.6万个"],
    ]
    for offset, values in enumerate(rows, start=4):
        for column, value in enumerate(values[: len(header)], start=2):
            sheet.cell(row=offset, column=column, value=value or None)
    workbook.save(path)


def test_excel_task_table_columns_found_by_header_names(tmp_path: Path):
    path = tmp_path / "任务分解表.xlsx"
    _workbook(path)
    result = read_plan_file(path)
    items = result.plan.items()
    assert result.title == "2025年XX区重点工作任务分解表"
    assert [(i.number, i.title, i.lead_department, i.co_departments) for i in items] == [
        (1, "加快城市更新", "区房管局", ["区规划资源局"]),
        (2, "稳定就业", "区人社局", []),
    ]
    assert [[(d.value, d.unit) for d in i.indicators] for i in items] == [
        [(5, "万平方米")],
        [(2.5, "万个")],
    ]
    # The actuals column is never read as targets, and the result says so.
    assert any("actual" in w.message for w in result.warnings)


def _pdf(path: Path, lines: list[str]) -> None:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    from jingan_desktop.paths import BUNDLED_FONT

    pdfmetrics.registerFont(TTFont("PlanFont", str(BUNDLED_FONT)))
    page = canvas.Canvas(str(path), pagesize=A4)
    page.setFont("PlanFont", 11)
    y = 800
    for line in lines:
        page.drawString(50, y, line)
        y -= 18
    page.save()


def test_pdf_with_a_text_layer(tmp_path: Path):
    path = tmp_path / "plan.pdf"
    _pdf(
        path,
        [
            "2025年XX区政府重点工作安排",
            "一、稳增长",
            "1.全年新增注册企业8000家以上。",
            "2.社会消费品零售总额增长4%左右。",
            "- 1 -",
        ],
    )
    result = read_plan_file(path)
    assert result.title == "2025年XX区政府重点工作安排"
    assert [
        [(d.value, d.unit, d.comparator.value) for d in i.indicators] for i in result.plan.items()
    ] == [
        [(8000, "家", ">=")],
        [(4, "%", "~")],
    ]
    assert [(e.text, e.reason) for e in result.ignored] == [("- 1 -", "page number")]


def test_scanned_pdf_gets_a_clear_message(capsys, tmp_path: Path):
    from reportlab.pdfgen import canvas

    path = tmp_path / "scan.pdf"
    page = canvas.Canvas(str(path))
    page.rect(50, 50, 400, 600, fill=1)  # a page that is only a picture
    page.showPage()
    page.save()
    code = cli.main(["parse", str(path)])
    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        f"jingan-desktop: error: {path}: the PDF has no text layer (1 pages of images, a scan?): "
        "ask for the Word or text version, or run it through OCR first"
    ]


def test_broken_pdf_and_workbook_are_refused(capsys, tmp_path: Path):
    for name, data in (
        ("bad.pdf", b"%PDF-1.4\n garbage"),
        ("bad.xlsx", b"PK\x03\x04" + b"\x00" * 100),
    ):
        path = tmp_path / name
        path.write_bytes(data)
        code = cli.main(["parse", str(path)])
        out, err = capsys.readouterr()
        assert (code, out) == (2, "")
        assert len(err.splitlines()) == 1 and "not a readable" in err


def test_parsing_imports_no_office_library_until_needed():
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from jingan_desktop.plan.parser import parse_plan\n"
        "parse_plan('2025年计划\\n一、稳增长\\n1.新增企业10家。')\n"
        "print(sorted(m for m in ('docx', 'lxml', 'pypdf', 'openpyxl') if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_a_docx_python_docx_refuses_is_still_read(tmp_path: Path, seed_text):
    """Some producers write a .docx without the parts python-docx expects: its paragraphs are
    read all the same."""
    import zipfile

    ns = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    body = "".join(f"<w:p><w:r><w:t>{p}</w:t></w:r></w:p>" for p in seed_text.splitlines())
    path = tmp_path / "plan.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(
            "word/document.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="{ns}"><w:body>{body}'
            "</w:body></w:document>",
        )
    plan = read_plan_file(path).plan
    assert (len(plan.items()), len(plan.indicators())) == (34, 80)


def test_old_binary_office_files_get_a_clear_message(capsys, tmp_path: Path):
    path = tmp_path / "plan.doc"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512)
    code = cli.main(["parse", str(path)])
    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        f"jingan-desktop: error: {path}: an old Word/Excel (.doc/.xls) file: "
        "save it as .docx or .xlsx and try again"
    ]
