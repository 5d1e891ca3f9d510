"""The PDF quarterly report: contents, embedded font, department filter, escaping of user
text, cancelling, atomic writing and the ``report`` command."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from pypdf import PdfReader

from bench.synthetic import fill_sample_figures
from jingan_desktop.outputs.report import (
    ReportCancelled,
    ReportError,
    ReportSummary,
    build_report,
    markup,
    report_scope,
)
from jingan_desktop.plan.model import ItemStatus
from jingan_desktop.plan.parser import read_plan_file
from jingan_desktop.plan.progress import Rag
from jingan_desktop.storage.store import Store
from jingan_desktop.workspace import Workspace

Q = 2
DEPARTMENT = "区商务委"
ISSUED = date(2022, 7, 8)
# A recognisable part of each chapter title (up to its first comma).
CHAPTER_PARTS = (
    "全力以赴稳增长",
    "深化“一轴三带”发展战略",
    "持续深化重点领域改革开放",
    "办好民心工程和民生实事",
    "持续推进城区精细化治理",
    "加强政府自身建设",
)


def assign_departments(store: Store) -> None:
    """Items 2 and 12 led by 区商务委, item 20 co-led by it; the rest by others."""
    others = ["区发展改革委", "区科委", "区民政局", "区教育局"]
    for n, item in enumerate(store.load().plan.items()):
        if item.number in (2, 12):
            store.set_item_departments(item.id, lead=DEPARTMENT)
        elif item.number == 20:
            store.set_item_departments(item.id, lead="区民政局", co=[DEPARTMENT])
        else:
            store.set_item_departments(item.id, lead=others[n % len(others)])


@dataclass
class Built:
    db: Path
    pdf: Path
    summary: ReportSummary
    text: str  # all pages' extracted text
    pages: list[str]
    reader: PdfReader


def extract(path: Path) -> tuple[PdfReader, list[str]]:
    reader = PdfReader(path)
    return reader, [page.extract_text() or "" for page in reader.pages]


def squash(text: str) -> str:
    """Text without whitespace: extraction breaks lines inside table cells."""
    return "".join(text.split())


@pytest.fixture(scope="module")
def plan_db(tmp_path_factory: pytest.TempPathFactory, seed_path: Path) -> Path:
    """The seed plan with two quarters of sample figures and departments."""
    path = tmp_path_factory.mktemp("report-db") / "plan.sqlite"
    store = Store.create(path, read_plan_file(seed_path).plan)
    try:
        plan_id = store.plan_id_for_year(2022)
        assert plan_id
        fill_sample_figures(store, plan_id, (1, 2))
        assign_departments(store)
        items = store.load().plan.items()
        store.set_progress(items[0].id, Q, status=ItemStatus.LAGGING)  # one red for sure
    finally:
        store.close()
    return path


@pytest.fixture(scope="module")
def full(plan_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Built:
    pdf = tmp_path_factory.mktemp("report") / "report.pdf"
    store = Store.open(plan_db, readonly=True)
    try:
        summary = build_report(Workspace(store, quarter=Q), pdf, generated_on=ISSUED)
    finally:
        store.close()
    reader, pages = extract(pdf)
    return Built(plan_db, pdf, summary, "\n".join(pages), pages, reader)


@pytest.fixture
def workspace(plan_db: Path):
    store = Store.open(plan_db, readonly=True)
    yield Workspace(store, quarter=Q)
    store.close()


# --- contents --------------------------------------------------------------------------------


def test_report_has_cover_summary_and_every_chapter(full: Built):
    text = squash(full.text)
    assert full.summary.pages == len(full.reader.pages) > 3
    cover = squash(full.pages[0])
    for part in ("2022年区政府重点工作安排", "2022年第二季度", "季度工作进展报告"):
        assert part in cover
    assert "上海市静安区人民政府" in cover  # the plan's issuer
    assert "2022年7月8日" in cover
    for part in CHAPTER_PARTS:
        assert squash(part) in text, part
    assert "10000" in text  # 新增注册企业 10000 家
    assert "新增注册企业" in text
    assert "进展情况" in text and "牵头单位" in text
    assert full.summary.items == 34 and full.summary.indicators == 80
    assert full.summary.chapters == 6


def test_every_page_is_numbered(full: Built):
    total = len(full.pages)
    for number, page in enumerate(full.pages, 1):
        assert f"第 {number} 页 共 {total} 页" in page
    assert "第 1 页 共" in full.pages[0]


def test_metadata(full: Built):
    meta = full.reader.metadata
    assert meta is not None
    assert meta.title == "2022年区政府重点工作安排 2022年第二季度工作进展报告"
    assert meta.author == "上海市静安区人民政府"
    assert meta.subject == "2022年第二季度工作进展报告"


def test_summary_counts_statuses_and_lists_lagging_items_first(full: Built, workspace: Workspace):
    summary_page = squash(full.pages[1])
    counts = workspace.progress.counts()
    assert full.summary.indicator_counts == counts
    assert full.summary.evaluation == workspace.progress.plan
    for rag in Rag:
        assert rag.label in summary_page
    overall = workspace.progress.plan.completion
    assert overall is not None and f"{overall * 100:.1f}%" in summary_page
    red_items = [i for i in workspace.plan.items() if workspace.evaluation(i.id).status is Rag.RED]
    assert red_items and full.summary.lagging == [i.id for i in red_items]
    assert red_items[0].number == 1  # reported 滞后 in the fixture
    lagging_section = summary_page.split("滞后事项", 2)[-1]
    for item in red_items:
        assert squash(item.title) in lagging_section
        assert squash(item.lead_department or "") in lagging_section
    # Lagging items come before the chapter chart, on the summary page.
    assert summary_page.index("二、滞后事项") < summary_page.index("三、各章节完成情况")


def test_chapter_tables_show_targets_actuals_and_progress(full: Built, workspace: Workspace):
    text = squash(full.text)
    item = workspace.plan.items()[1]  # 大力推进招商引资倍增计划
    indicator = item.indicators[0]  # 新增注册企业 ≥ 10000 家
    actual = workspace.actual(indicator.id)
    assert actual is not None and actual.value is not None
    assert squash("≥ 10000 家") in text
    assert f"{int(actual.value)}家" in text
    progress = workspace.progress_of(item.id)
    assert progress is not None and squash(progress.text) in text
    assert "填报：" in text  # an item's reported status


def test_bundled_font_is_embedded_as_a_subset(full: Built):
    fonts = {}
    for page in full.reader.pages:
        resources = page["/Resources"]
        for name, ref in resources.get("/Font", {}).items():
            fonts[name] = ref.get_object()
    assert fonts
    for font in fonts.values():
        assert re.fullmatch(r"/[A-Z]{6}\+WenQuanYiMicroHei", str(font["/BaseFont"]))
        descriptor = font["/FontDescriptor"].get_object()
        assert "/FontFile2" in descriptor  # the TrueType program is in the file
    assert b"Helvetica" not in full.pdf.read_bytes()


# --- department ------------------------------------------------------------------------------


def test_department_report_keeps_only_its_items(full: Built, workspace: Workspace, tmp_path):
    pdf = tmp_path / "商务委.pdf"
    summary = build_report(workspace, pdf, department=DEPARTMENT, generated_on=ISSUED)
    _reader, pages = extract(pdf)
    text = squash("\n".join(pages))
    assert summary.department == DEPARTMENT
    assert summary.pages == len(pages) < full.summary.pages
    mine = [
        i
        for i in workspace.plan.items()
        if i.lead_department == DEPARTMENT or DEPARTMENT in i.co_departments
    ]
    assert [i.number for i in mine] == [2, 12, 20]
    assert summary.items == 3
    assert summary.indicators == sum(len(i.indicators) for i in mine)
    assert summary.chapters == 3  # 一, 三, 四
    assert DEPARTMENT in squash(pages[0])  # the cover says which department
    for item in mine:
        assert squash(item.title) in text
    for item in workspace.plan.items():
        if item not in mine:
            assert squash(item.title) not in text, item.title
    assert "全力以赴稳增长" in text and "加强政府自身建设" not in text
    # The summary is computed over the department's items only.
    assert sum(summary.indicator_counts.values()) == summary.indicators
    assert summary.indicator_counts != full.summary.indicator_counts


def test_scope_of_the_whole_plan_is_the_workspace_evaluation(workspace: Workspace):
    scope = report_scope(workspace)
    assert scope.progress.plan == workspace.progress.plan
    assert len(scope.items) == 34
    filtered = report_scope(workspace, DEPARTMENT)
    assert [i.number for i in filtered.items] == [2, 12, 20]
    assert workspace.plan.items()[0].number == 1  # the workspace's plan is not touched
    assert len(workspace.plan.chapters) == 6


def test_unknown_department_is_refused_and_nothing_written(workspace: Workspace, tmp_path):
    with pytest.raises(ReportError, match="no items"):
        build_report(workspace, tmp_path / "x.pdf", department="区不存在局")
    assert list(tmp_path.iterdir()) == []


# --- user text is text -----------------------------------------------------------------------


def test_markup_escapes_everything_reportlab_would_read():
    assert markup("<b>&\"'") == "&lt;b&gt;&amp;&quot;&#39;"
    assert markup("一\n二") == "一<br/>二"
    assert markup("a\x00b\x1bc") == "abc"
    assert markup(None) == ""


def test_markup_and_code_in_user_text_print_literally(seed_path: Path, tmp_path: Path):
    marker = tmp_path / "pwned"
    payload = (
        "<font color=\"[[[getattr(pow, Word('__globals__'))['os'].system('touch "
        f"{marker}')]]]\">x</font>"
    )
    note = f"完成<b>招商</b> & 签约；{payload}；<img src=x>；<para>末尾</para>"
    department = '区<i>商务</i>委&"'
    store = Store.create(tmp_path / "plan.sqlite", read_plan_file(seed_path).plan)
    try:
        item = store.load().plan.items()[1]
        store.set_item_departments(item.id, lead=department)
        store.set_progress(item.id, Q, status=ItemStatus.IN_PROGRESS, text=note)
        store.set_actual(item.indicators[0].id, Q, 5230, note="<br/>备注 & <u>")
        store.update_field("item", item.id, "title", "招商<引资>&'倍增'")
        workspace = Workspace(store, quarter=Q)
        pdf = tmp_path / "out" / "r.pdf"
        pdf.parent.mkdir()
        summary = build_report(
            workspace,
            pdf,
            department=department,
            issuing_office="<b>静安</b>&区",
            generated_on=ISSUED,
        )
    finally:
        store.close()
    reader, pages = extract(pdf)
    text = squash("\n".join(pages))
    assert summary.items == 1
    for literal in (note, department, "<br/>备注 & <u>", "招商<引资>&'倍增'", "<b>静安</b>&区"):
        assert squash(literal) in text, literal
    assert not marker.exists()
    assert reader.metadata.author == "<b>静安</b>&区"
    assert sorted(p.name for p in pdf.parent.iterdir()) == ["r.pdf"]


def test_long_notes_split_across_pages(seed_path: Path, tmp_path: Path):
    """A note taller than a page splits inside its row instead of failing the report."""
    store = Store.create(tmp_path / "plan.sqlite", read_plan_file(seed_path).plan)
    try:
        item = store.load().plan.items()[0]
        store.set_item_departments(item.id, lead=DEPARTMENT)
        long_note = "".join(f"第{n}段：推进情况良好，按计划完成。" for n in range(400))
        store.set_progress(item.id, Q, text=long_note + "END-OF-NOTE")
        workspace = Workspace(store, quarter=Q)
        summary = build_report(workspace, tmp_path / "r.pdf", department=DEPARTMENT)
    finally:
        store.close()
    _reader, pages = extract(tmp_path / "r.pdf")
    assert summary.pages >= 5
    assert "END-OF-NOTE" in squash("\n".join(pages))


def test_a_plan_without_figures_still_reports(seed_store: Store, tmp_path: Path):
    workspace = Workspace(seed_store, quarter=1)
    summary = build_report(workspace, tmp_path / "empty.pdf")
    assert summary.indicator_counts[Rag.GREY] == 80
    assert summary.lagging == []
    _reader, pages = extract(tmp_path / "empty.pdf")
    assert "本季度尚无填报数据" in squash(pages[1])
    assert "本季度没有滞后事项" in squash(pages[1])


# --- progress, cancelling, writing -----------------------------------------------------------


def test_progress_reaches_the_total(workspace: Workspace, tmp_path: Path):
    calls: list[tuple[int, int]] = []

    def progress(done: int, total: int) -> bool:
        calls.append((done, total))
        return True

    build_report(workspace, tmp_path / "r.pdf", department=DEPARTMENT, progress=progress)
    assert calls[0][0] == 0
    assert calls[-1][0] == calls[-1][1] > 0
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)
    assert len({t for _, t in calls}) == 1


@pytest.mark.parametrize("stop_at", [0, 2, "last"])
def test_cancelling_leaves_no_file(workspace: Workspace, tmp_path: Path, stop_at):
    folder = tmp_path / "out"
    folder.mkdir()
    target = folder / "report.pdf"

    def progress(done: int, total: int) -> bool:
        limit = total if stop_at == "last" else stop_at
        return done < limit

    with pytest.raises(ReportCancelled):
        build_report(workspace, target, department=DEPARTMENT, progress=progress)
    assert list(folder.iterdir()) == []
    # An earlier report under that name is left as it was.
    target.write_bytes(b"the previous report")
    with pytest.raises(ReportCancelled):
        build_report(workspace, target, department=DEPARTMENT, progress=progress)
    assert target.read_bytes() == b"the previous report"
    assert [p.name for p in folder.iterdir()] == ["report.pdf"]


def test_replaces_an_existing_file_whole(workspace: Workspace, tmp_path: Path):
    target = tmp_path / "report.pdf"
    target.write_bytes(b"old")
    build_report(workspace, target, department=DEPARTMENT)
    assert target.read_bytes().startswith(b"%PDF")
    assert [p.name for p in tmp_path.iterdir()] == ["report.pdf"]


def test_unwritable_targets_raise_report_error(workspace: Workspace, tmp_path: Path):
    with pytest.raises(ReportError, match="folder does not exist"):
        build_report(workspace, tmp_path / "missing" / "r.pdf", department=DEPARTMENT)
    with pytest.raises(ReportError, match="is a folder"):
        build_report(workspace, tmp_path, department=DEPARTMENT)


# --- the command line ------------------------------------------------------------------------


from tests.test_cli import assert_one_line_error, run  # noqa: E402 - shared CLI helpers


def test_cli_report(capsys, plan_db: Path, tmp_path: Path):
    before = plan_db.read_bytes()
    out_path = tmp_path / "商务委.pdf"
    code, out, err = run(
        capsys,
        "report",
        "--db",
        plan_db,
        "--quarter",
        "2022Q2",
        "-o",
        out_path,
        "--department",
        DEPARTMENT,
    )
    assert code == 0, err
    pages = len(PdfReader(out_path).pages)
    assert str(out_path) in out and f"{pages} pages" in out and "2022Q2" in out
    assert plan_db.read_bytes() == before  # opened read-only


def test_cli_report_errors(capsys, plan_db: Path, tmp_path: Path):
    bad = tmp_path / "bad.sqlite"
    bad.write_bytes(b"this is not a plan file" * 100)
    out_pdf = tmp_path / "r.pdf"
    code, out, err = run(capsys, "report", "--db", bad, "--quarter", "2022Q2", "-o", out_pdf)
    assert_one_line_error(code, out, err)
    code, out, err = run(
        capsys, "report", "--db", tmp_path / "missing.sqlite", "--quarter", "2022Q2", "-o", out_pdf
    )
    assert_one_line_error(code, out, err)
    code, out, err = run(
        capsys,
        "report",
        "--db",
        plan_db,
        "--quarter",
        "2022Q2",
        "-o",
        out_pdf,
        "--department",
        "区不存在局",
    )
    assert_one_line_error(code, out, err, "no department named '区不存在局'", DEPARTMENT)
    code, out, err = run(capsys, "report", "--db", plan_db, "--quarter", "2023Q1", "-o", out_pdf)
    assert_one_line_error(code, out, err, "no plan for 2023")
    code, out, err = run(
        capsys, "report", "--db", plan_db, "--quarter", "2022Q2", "-o", tmp_path / "r.txt"
    )
    assert_one_line_error(code, out, err, ".pdf")
    code, out, err = run(
        capsys, "report", "--db", plan_db, "--quarter", "2022Q2", "-o", tmp_path / "no" / "r.pdf"
    )
    assert_one_line_error(code, out, err, "folder does not exist")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.sqlite"]
