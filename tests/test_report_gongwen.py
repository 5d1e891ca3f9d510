"""The report in the 公文 manner (``report --style gongwen``): 版头, title, text, the signature
and date block, the chapter tables as 附件; red only in the 版头; the bundled font embedded."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from jingan_desktop.outputs.report import ReportError, build_report
from jingan_desktop.storage.store import Store
from jingan_desktop.workspace import Workspace
from tests.test_cli import run
from tests.test_report import CHAPTER_PARTS, ISSUED, Q, full, plan_db, squash  # noqa: F401 - fixtures

OFFICIAL_RED = (0.784314, 0.086275, 0.113725)


@pytest.fixture(scope="module")
def gongwen(plan_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:  # noqa: F811
    pdf = tmp_path_factory.mktemp("gongwen") / "公文.pdf"
    store = Store.open(plan_db, readonly=True)
    try:
        build_report(Workspace(store, quarter=Q), pdf, generated_on=ISSUED, style="gongwen")
    finally:
        store.close()
    return pdf


def _pages(pdf: Path) -> list[str]:
    return [squash(page.extract_text() or "") for page in PdfReader(pdf).pages]


def test_gongwen_reads_as_an_issued_document(gongwen: Path):
    pages = _pages(gongwen)
    first = pages[0]
    office = "上海市静安区人民政府"
    assert first.startswith(office)  # the 版头
    assert "关于2022年第二季度重点工作进展情况的报告" in first
    assert "季度工作进展报告" not in first  # no brief cover
    body = "".join(pages)
    for heading in (
        "一、总体情况",
        "二、滞后事项",
        "三、各章节进展",
        "附件：各章节重点工作进展情况表",
    ):
        assert heading in body
    # the signature block closes the text, before the annex: office, then the date
    end = body.index("附件：各章节重点工作进展情况表")
    assert re.search(office + r"2022年7月8日", body[end:]) is not None
    annex = "".join(pages[1:])
    assert all(part in annex for part in CHAPTER_PARTS)
    assert [p for p in pages if "—1—" in p][:1] == [pages[0]]  # 公文 page numbers
    # the date never stands alone on its page: text of the report comes before it there
    (signed,) = [p for p in pages if office + "2022年7月8日" in p]
    assert signed.index(office + "2022年7月8日") > 20


def test_the_signature_never_stands_alone_on_a_page(plan_db: Path, tmp_path: Path):  # noqa: F811
    """However long the lagging items' progress texts make the body, the office and date are
    never alone on their page (the last paragraph goes with them)."""
    import shutil

    from jingan_desktop.outputs.report.scope import report_scope

    copy = tmp_path / "plan.sqlite"
    shutil.copy(plan_db, copy)
    store = Store.open(copy)
    try:
        ws = Workspace(store, quarter=Q)
        (_chapter, item), *_ = report_scope(ws, None).lagging()
        for length in range(0, 1400, 200):  # the body's end sweeps down the first page
            store.set_progress(item.id, Q, text="推进" * (length // 2) or "推进")
            ws.reload()
            pdf = tmp_path / f"{length}.pdf"
            build_report(ws, pdf, generated_on=ISSUED, style="gongwen")
            pages = _pages(pdf)
            (signed,) = [p for p in pages if "上海市静安区人民政府2022年7月8日" in p]
            assert signed.index("上海市静安区人民政府2022年7月8日") > 20, length
    finally:
        store.close()


def _fill_colours(reader: PdfReader) -> set[tuple[float, ...]]:
    colours = set()
    for page in reader.pages:
        data = page.get_contents().get_data().decode("latin-1")
        for match in re.finditer(r"([\d.]+) ([\d.]+) ([\d.]+) (?:rg|RG)\b", data):
            colours.add(tuple(round(float(v), 6) for v in match.groups()))
    return colours


def test_gongwen_colour_is_restrained_and_the_font_embedded(gongwen: Path):
    reader = PdfReader(gongwen)
    colours = _fill_colours(reader)
    coloured = {c for c in colours if max(c) - min(c) > 0.12}  # not a grey
    assert OFFICIAL_RED in colours and coloured == {OFFICIAL_RED}
    images = [n for page in reader.pages for n in page.get("/Resources", {}).get("/XObject", {})]
    assert images == []  # no charts
    for page in reader.pages:
        for ref in page["/Resources"].get("/Font", {}).values():
            font = ref.get_object()
            assert re.fullmatch(r"/[A-Z]{6}\+WenQuanYiMicroHei", str(font["/BaseFont"]))
    assert b"Helvetica" not in gongwen.read_bytes()


def test_the_brief_keeps_its_colours_and_charts(full):  # noqa: F811 - fixture
    reader = PdfReader(full.pdf)  # the brief report of test_report.py
    assert len({c for c in _fill_colours(reader) if max(c) - min(c) > 0.12}) > 1
    assert "季度工作进展报告" in squash(reader.pages[0].extract_text())


def test_cli_report_style(capsys, plan_db: Path, tmp_path: Path):  # noqa: F811
    out_path = tmp_path / "gw.pdf"
    args = ["report", "--db", plan_db, "--quarter", "2022Q2", "-o", out_path]
    code, _out, err = run(capsys, *args, "--style", "gongwen")
    assert code == 0, err
    assert "关于2022年第二季度重点工作进展情况的报告" in squash(
        PdfReader(out_path).pages[0].extract_text()
    )
    with pytest.raises(SystemExit) as refused:  # argparse's usage error
        run(capsys, *args, "--style", "fancy")
    assert refused.value.code == 2 and "fancy" in capsys.readouterr().err


def test_unknown_style_is_refused_and_nothing_written(plan_db: Path, tmp_path: Path):  # noqa: F811
    store = Store.open(plan_db, readonly=True)
    try:
        with pytest.raises(ReportError, match="unknown style"):
            build_report(Workspace(store, quarter=Q), tmp_path / "x.pdf", style="fancy")
    finally:
        store.close()
    assert not (tmp_path / "x.pdf").exists()
