"""Excel export and import: the quarterly table as a workbook (flat or per chapter), text that
looks like a formula stays text, and the round trip of a department's figures back into the
plan file through a preview and one transaction."""

from __future__ import annotations

import hashlib
import os
import shutil
import uuid
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from jingan_desktop import cli
from jingan_desktop.outputs import excel
from jingan_desktop.outputs.excel import (
    HEADERS,
    ExcelError,
    ExcelFormatError,
    ExcelWriteError,
    apply_import,
    clean_sheet_title,
    export_excel,
    preview_import,
    sheet_title,
)
from jingan_desktop.plan.model import Chapter, ItemStatus
from jingan_desktop.plan.parser import read_plan_file
from jingan_desktop.storage.store import ConflictError, QuarterLockedError, Store
from jingan_desktop.workspace import Workspace

Q = 2  # the quarter the tests report on: 2022Q2
EXPECTED_HEADERS = [
    "ID",
    "类型",
    "编号",
    "名称",
    "目标",
    "目标值",
    "单位",
    "本期实际",
    "完成率",
    "状态",
    "填报状态",
    "牵头单位",
    "进展情况",
]
RISKY_TEXTS = ["=1+1", "@SUM(A1)", "+cmd", "-2", "\tx", '=HYPERLINK("http://x","y")']


# --- fixtures and helpers ---------------------------------------------------------------------


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory, seed_path: Path) -> Path:
    path = tmp_path_factory.mktemp("excel-template") / "plan.sqlite"
    Store.create(path, read_plan_file(seed_path).plan).close()
    return path


@pytest.fixture
def db_path(tmp_path: Path, template_db: Path) -> Path:
    path = tmp_path / "plan.sqlite"
    shutil.copyfile(template_db, path)
    return path


@pytest.fixture
def store(db_path: Path):
    store = Store.open(db_path)
    yield store
    store.close()


class Seeded:
    """Ids of the rows the tests fill in, and what was entered."""

    def __init__(self, store: Store) -> None:
        data = store.load()
        self.plan_id = data.plan.id
        self.items = data.plan.items()
        indicators = data.plan.indicators()
        self.ind_jia = next(i for i in indicators if i.unit == "家")
        self.ind_jia2 = [i for i in indicators if i.unit == "家"][1]
        self.ind_wan = next(i for i in indicators if i.unit == "万平方米")
        self.ind_pct = next(i for i in indicators if i.unit == "%")
        self.ind_ge = next(i for i in indicators if i.unit == "个")
        self.item = self.items[0]
        self.item2 = self.items[1]
        store.set_actual(self.ind_jia.id, Q, 3000)
        store.set_actual(self.ind_ge.id, Q, 12.5)
        store.set_actual(self.ind_wan.id, 1, 2)  # another quarter: not exported for Q2
        store.set_progress(self.item.id, Q, status=ItemStatus.IN_PROGRESS, text="按计划推进")
        store.set_progress(self.item2.id, Q, text="招商引资\r\n第二段")


@pytest.fixture
def seeded(store: Store) -> Seeded:
    return Seeded(store)


def export(store: Store, path: Path, quarter: int = Q, **kwargs) -> excel.ExportResult:
    return export_excel(Workspace(store, None, quarter), path, **kwargs)


def table(ws: Worksheet) -> list[dict[str, object]]:
    header = [c.value for c in ws[1]]
    return [dict(zip(header, (c.value for c in row), strict=True)) for row in ws.iter_rows(2)]


def row_of(ws: Worksheet, row_id: str) -> int:
    return next(c.row for c in ws["A"] if c.value == row_id)


def column_of(ws: Worksheet, header: str) -> int:
    return next(c.column for c in ws[1] if c.value == header)


def set_cell(
    ws: Worksheet, row_id: str, header: str, value: object, *, as_text: bool = False
) -> int:
    """Type ``value`` into the row's cell; ``as_text``: as Excel stores '=… (text, not a
    formula)."""
    row = row_of(ws, row_id)
    cell = ws.cell(row=row, column=column_of(ws, header))
    cell.value = value
    if as_text:
        cell.data_type = "s"
        cell.quotePrefix = True
    return row


def log_rows(store: Store) -> list[dict]:
    return store.rows("SELECT * FROM change_log ORDER BY ts, rowid")


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- export -----------------------------------------------------------------------------------


def test_flat_export_has_the_report_columns_and_a_row_per_item_and_indicator(
    store: Store, seeded: Seeded, tmp_path: Path
) -> None:
    out = tmp_path / "q2.xlsx"
    result = export(store, out)
    assert (result.items, result.indicators, result.rows) == (34, 80, 114)
    assert result.sheets == ["2022年第二季度"]

    wb = load_workbook(out)
    assert [ws.title for ws in wb.worksheets] == ["2022年第二季度"]
    ws = wb.active
    assert [c.value for c in ws[1]] == EXPECTED_HEADERS == list(HEADERS)
    assert all(c.font.bold for c in ws[1])
    assert ws.freeze_panes == "E2"
    assert ws.column_dimensions["A"].hidden
    assert ws.column_dimensions["M"].width >= 40  # 进展情况 is wide
    assert ws.max_row == 1 + 114

    rows = table(ws)
    assert [r["类型"] for r in rows].count("事项") == 34
    assert [r["类型"] for r in rows].count("指标") == 80
    # Plan order: each item followed by its indicators, ids are the rows' UUIDs.
    expected_ids = [
        row_id
        for item in seeded.items
        for row_id in (item.id, *(ind.id for ind in item.indicators))
    ]
    assert [r["ID"] for r in rows] == expected_ids
    first = seeded.items[0]
    assert rows[0]["编号"] == str(first.number) and rows[0]["名称"] == first.title
    assert rows[1]["编号"] == f"{first.number}.1"

    by_id = {r["ID"]: r for r in rows}
    jia = by_id[seeded.ind_jia.id]
    assert jia["本期实际"] == 3000 and jia["单位"] == "家"
    assert jia["目标值"] == seeded.ind_jia.value
    assert jia["目标"].startswith("≥")
    assert by_id[seeded.ind_ge.id]["本期实际"] == 12.5
    assert by_id[seeded.ind_wan.id]["本期实际"] is None  # only a Q1 figure
    assert by_id[seeded.item.id]["填报状态"] == "推进中"
    assert by_id[seeded.item.id]["进展情况"] == "按计划推进"
    assert by_id[seeded.item.id]["本期实际"] is None
    assert by_id[seeded.item2.id]["进展情况"] == "招商引资\n第二段"
    assert {r["状态"] for r in rows} <= {"正常", "预警", "滞后", "未填报"}

    # Numbers are numeric cells; the completion is a number shown as a percentage.
    number_cells = [
        ws.cell(row=row_of(ws, seeded.ind_jia.id), column=column_of(ws, h))
        for h in ("目标值", "本期实际", "完成率")
    ]
    for cell in number_cells:
        assert cell.data_type == "n" and isinstance(cell.value, int | float), cell
    assert "%" in number_cells[2].number_format
    assert number_cells[2].value == pytest.approx(3000 / seeded.ind_jia.value)
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            if cell.column == column_of(ws, "目标值") and cell.value is not None:
                assert cell.data_type == "n"
    # Nothing half-written is left beside the target.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.sqlite", "q2.xlsx"]


def test_chapter_layout_has_one_sheet_per_chapter(
    store: Store, seeded: Seeded, tmp_path: Path
) -> None:
    out = tmp_path / "chapters.xlsx"
    result = export(store, out, layout="chapters")
    wb = load_workbook(out)
    assert len(wb.worksheets) == 6
    assert [ws.title for ws in wb.worksheets] == result.sheets
    assert [t[0] for t in result.sheets] == ["一", "二", "三", "四", "五", "六"]
    assert result.sheets[0] == "一、全力以赴稳增长"
    total = 0
    for ws in wb.worksheets:
        assert len(ws.title) <= 31
        assert not set(ws.title) & set("[]:*?/\\")
        assert [c.value for c in ws[1]] == EXPECTED_HEADERS
        assert ws.freeze_panes == "E2"
        total += ws.max_row - 1
    assert total == 114
    ids = [r["ID"] for r in table(wb.worksheets[0])]
    assert ids[0] == seeded.items[0].id


def test_sheet_titles_follow_excel_rules() -> None:
    title = sheet_title(Chapter("七", "a[b]:c*d?e/f\\g" + "很长的标题" * 10))
    assert len(title) <= 31 and not set(title) & set("[]:*?/\\")
    assert title.startswith("七、a_b__c_d_e_f_g")
    assert (
        sheet_title(Chapter("一", "全力以赴稳增长,推动区域经济高质量发展")) == "一、全力以赴稳增长"
    )
    assert clean_sheet_title("'quoted'") == "quoted"
    assert clean_sheet_title("History") != "History"
    assert clean_sheet_title("") == "Sheet"


def test_text_that_looks_like_a_formula_is_written_as_literal_text(
    store: Store, seeded: Seeded, tmp_path: Path
) -> None:
    for item, text in zip(seeded.items[2:], RISKY_TEXTS, strict=False):
        store.set_progress(item.id, Q, text=text)
    store.set_item_departments(seeded.items[2].id, lead="=cmd|'/c calc'!A0")
    out = tmp_path / "risky.xlsx"
    export(store, out)

    for data_only in (False, True):
        ws = load_workbook(out, data_only=data_only).active
        assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)
        by_id = {r["ID"]: r for r in table(ws)}
        for item, text in zip(seeded.items[2:], RISKY_TEXTS, strict=False):
            assert by_id[item.id]["进展情况"] == text  # what the user typed, no quote added
        assert by_id[seeded.items[2].id]["牵头单位"] == "=cmd|'/c calc'!A0"
    ws = load_workbook(out).active
    for item in seeded.items[2 : 2 + len(RISKY_TEXTS)]:
        cell = ws.cell(row=row_of(ws, item.id), column=column_of(ws, "进展情况"))
        assert cell.data_type == "s" and cell.quotePrefix  # Excel shows it as text
    with zipfile.ZipFile(out) as archive:
        sheet_xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml and "<f " not in sheet_xml
    # The untouched workbook imports as "no change": the texts compare equal.
    preview = preview_import(store, None, Q, out)
    assert preview.changes == [] and preview.problems == []


def test_department_filter_exports_only_its_items(
    store: Store, seeded: Seeded, tmp_path: Path
) -> None:
    store.set_item_departments(seeded.items[0].id, lead="区商务委")
    store.set_item_departments(seeded.items[5].id, lead="区发展改革委", co=["区商务委"])
    store.set_item_departments(seeded.items[6].id, lead="区发展改革委")
    out = tmp_path / "dept.xlsx"
    result = export(store, out, department="区商务委", layout="chapters")
    wanted = [seeded.items[0], seeded.items[5]]
    assert result.items == 2
    assert result.indicators == sum(len(i.indicators) for i in wanted)
    wb = load_workbook(out)
    ids = [r["ID"] for ws in wb.worksheets for r in table(ws)]
    assert ids == [x for i in wanted for x in (i.id, *(n.id for n in i.indicators))]
    chapters = [c for c in store.load().plan.chapters if {i.id for i in c.items} & set(ids)]
    assert [ws.title for ws in wb.worksheets] == [sheet_title(c) for c in chapters]
    with pytest.raises(ExcelError, match="no items"):
        export(store, tmp_path / "none.xlsx", department="区教育局")
    assert not (tmp_path / "none.xlsx").exists()


def test_export_replaces_the_target_whole_or_not_at_all(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out" / "report.xlsx"
    out.parent.mkdir()
    out.write_bytes(b"the previous report")

    def broken_save(self, handle) -> None:
        handle.write(b"PK\x03\x04 half a workbook")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Workbook, "save", broken_save)  # what export_excel saves with
    with pytest.raises(ExcelWriteError, match="No space left"):
        export(store, out)
    assert out.read_bytes() == b"the previous report"
    assert sorted(p.name for p in out.parent.iterdir()) == ["report.xlsx"]
    monkeypatch.undo()

    export(store, out)
    assert load_workbook(out).active.max_row == 115
    assert sorted(p.name for p in out.parent.iterdir()) == ["report.xlsx"]
    with pytest.raises(ExcelWriteError, match="folder"):
        export(store, tmp_path / "missing" / "report.xlsx")


# --- import -----------------------------------------------------------------------------------


def test_round_trip_preview_then_apply_in_one_transaction(
    store: Store, seeded: Seeded, tmp_path: Path
) -> None:
    out = tmp_path / "dept.xlsx"
    export(store, out)
    wb = load_workbook(out)
    ws = wb.active
    r1 = set_cell(ws, seeded.ind_jia.id, "本期实际", "4.2万")  # 家: 42000
    r2 = set_cell(ws, seeded.ind_jia2.id, "本期实际", "1,600")
    r3 = set_cell(ws, seeded.ind_wan.id, "本期实际", "1.5万")  # 万平方米: 1.5
    r4 = set_cell(ws, seeded.ind_ge.id, "本期实际", 14)
    r5 = set_cell(ws, seeded.item.id, "填报状态", "已完成")
    r6 = set_cell(ws, seeded.item.id, "进展情况", "已全部完成\n详见附件")
    set_cell(ws, seeded.item2.id, "名称", "改了名称也不导入")  # other columns are ignored
    wb.save(out)

    before = len(log_rows(store))
    preview = preview_import(store, seeded.plan_id, Q, out)
    assert preview.problems == []
    assert preview.rows_read == 114
    assert not preview.locked and preview.file_quarter == "2022Q2"
    assert {(c.row_id, c.field, c.old, c.new, c.row) for c in preview.changes} == {
        (seeded.ind_jia.id, "actual", 3000, 42000, r1),
        (seeded.ind_jia2.id, "actual", None, 1600, r2),
        (seeded.ind_wan.id, "actual", None, 1.5, r3),
        (seeded.ind_ge.id, "actual", 12.5, 14, r4),
        (seeded.item.id, "status", "推进中", "已完成", r5),
        (seeded.item.id, "text", "按计划推进", "已全部完成\n详见附件", r6),
    }
    assert len(preview.changes) == 6
    change = next(c for c in preview.changes if c.field == "status")
    assert (change.sheet, change.label) == ("2022年第二季度", "填报状态")
    assert (change.number, change.name) == (str(seeded.item.number), seeded.item.title)
    assert len(log_rows(store)) == before  # the preview wrote nothing

    assert apply_import(store, preview) == 6
    new_log = log_rows(store)[before:]
    assert len({row["txn"] for row in new_log}) == 1
    assert {row["source"] for row in new_log} == {"import"}
    assert {row["summary"] for row in new_log} == {"导入Excel"}
    data = store.load()
    assert data.actual(seeded.ind_jia.id, Q).value == 42000
    assert data.actual(seeded.ind_jia2.id, Q).value == 1600
    assert data.actual(seeded.ind_wan.id, Q).value == 1.5
    assert data.actual(seeded.ind_wan.id, 1).value == 2  # other quarters untouched
    assert data.actual(seeded.ind_ge.id, Q).value == 14
    progress = data.progress_for(seeded.item.id, Q)
    assert progress.status is ItemStatus.DONE and progress.text == "已全部完成\n详见附件"
    assert data.plan.items()[1].title == seeded.item2.title

    # The same file again: nothing to change, nothing written.
    again = preview_import(store, seeded.plan_id, Q, out)
    assert again.changes == [] and again.problems == []
    assert apply_import(store, again) == 0
    assert len(log_rows(store)) == before + len(new_log)


def test_round_trip_of_the_chapter_layout(store: Store, seeded: Seeded, tmp_path: Path) -> None:
    out = tmp_path / "chapters.xlsx"
    export(store, out, layout="chapters")
    wb = load_workbook(out)
    last_item = seeded.items[-1]
    ws = next(ws for ws in wb.worksheets if any(c.value == last_item.id for c in ws["A"]))
    row = set_cell(ws, last_item.id, "填报状态", " 滞后 ")
    wb.save(out)
    preview = preview_import(store, None, Q, out)
    assert [(c.row_id, c.field, c.new, c.sheet, c.row) for c in preview.changes] == [
        (last_item.id, "status", "滞后", ws.title, row)
    ]
    assert preview.sheets == wb.sheetnames
    assert apply_import(store, preview) == 1
    assert store.load().progress_for(last_item.id, Q).status is ItemStatus.LAGGING


def test_problems_are_listed_with_sheet_and_row(
    store: Store, seeded: Seeded, tmp_path: Path
) -> None:
    out = tmp_path / "bad.xlsx"
    export(store, out)
    wb = load_workbook(out)
    ws = wb.active
    bad_number = set_cell(ws, seeded.ind_jia.id, "本期实际", "三千")
    bad_unit = set_cell(ws, seeded.ind_jia2.id, "本期实际", "12kg")
    good = set_cell(ws, seeded.ind_ge.id, "本期实际", "20")
    bad_status = set_cell(ws, seeded.item.id, "填报状态", "完成了")
    on_item = set_cell(ws, seeded.item2.id, "本期实际", 5)
    on_indicator = set_cell(ws, seeded.ind_wan.id, "进展情况", "写错行了")
    unknown = ws.max_row + 1
    ws.cell(row=unknown, column=1).value = str(uuid.uuid4())
    ws.cell(row=unknown, column=8).value = 1
    no_id = unknown + 1
    ws.cell(row=no_id, column=8).value = 99
    duplicate = unknown + 2
    ws.cell(row=duplicate, column=1).value = seeded.ind_pct.id
    wb.save(out)

    preview = preview_import(store, None, Q, out)
    found = {(p.code, p.sheet, p.row) for p in preview.problems}
    sheet = "2022年第二季度"
    assert found == {
        ("bad_number", sheet, bad_number),
        ("bad_number", sheet, bad_unit),
        ("bad_status", sheet, bad_status),
        ("not_applicable", sheet, on_item),
        ("not_applicable", sheet, on_indicator),
        ("unknown_id", sheet, unknown),
        ("missing_id", sheet, no_id),
        ("duplicate_id", sheet, duplicate),
    }
    messages = {p.row: str(p) for p in preview.problems}
    assert "三千" in messages[bad_number] and f"第{bad_number}行" in messages[bad_number]
    assert messages[bad_number].startswith(f"“{sheet}”")
    assert "完成了" in messages[bad_status]
    assert next(p for p in preview.problems if p.row == unknown).row_id is not None
    # The good cell is still a change; the bad ones are not.
    assert [(c.row_id, c.new, c.row) for c in preview.changes] == [(seeded.ind_ge.id, 20, good)]
    assert not preview.ok


def test_percent_cells_and_formulas(store: Store, seeded: Seeded, tmp_path: Path) -> None:
    out = tmp_path / "cells.xlsx"
    export(store, out)
    wb = load_workbook(out)
    ws = wb.active
    row = set_cell(ws, seeded.ind_pct.id, "本期实际", 0.065)  # typed as 6.5% in Excel
    ws.cell(row=row, column=column_of(ws, "本期实际")).number_format = "0.0%"
    pct_text = set_cell(ws, seeded.ind_ge.id, "本期实际", "１６％")  # full-width, on a 个 row
    formula = set_cell(ws, seeded.ind_jia.id, "本期实际", "=1200+400")  # never computed
    text_formula = set_cell(ws, seeded.item.id, "进展情况", "=A1")
    wb.save(out)

    preview = preview_import(store, None, Q, out)
    assert [(c.row_id, c.new) for c in preview.changes] == [(seeded.ind_pct.id, 6.5)]
    assert {(p.code, p.row) for p in preview.problems} == {
        ("bad_number", pct_text),
        ("formula", formula),
        ("formula", text_formula),
    }


def test_a_value_changed_meanwhile_is_a_conflict_and_nothing_is_written(
    store: Store, seeded: Seeded, tmp_path: Path
) -> None:
    out = tmp_path / "dept.xlsx"
    export(store, out)
    wb = load_workbook(out)
    set_cell(wb.active, seeded.ind_ge.id, "本期实际", 20)
    set_cell(wb.active, seeded.ind_jia.id, "本期实际", 4000)
    set_cell(wb.active, seeded.item.id, "进展情况", "部门填报")
    wb.save(out)
    preview = preview_import(store, None, Q, out)
    assert len(preview.changes) == 3

    store.set_progress(seeded.item.id, Q, text="同事刚改过")  # someone else, meanwhile
    before = log_rows(store)
    with pytest.raises(ConflictError):
        apply_import(store, preview)
    assert log_rows(store) == before
    data = store.load()
    assert data.actual(seeded.ind_ge.id, Q).value == 12.5
    assert data.actual(seeded.ind_jia.id, Q).value == 3000
    assert data.progress_for(seeded.item.id, Q).text == "同事刚改过"


def test_a_locked_quarter_refuses_the_import(store: Store, seeded: Seeded, tmp_path: Path) -> None:
    out = tmp_path / "dept.xlsx"
    export(store, out)
    wb = load_workbook(out)
    set_cell(wb.active, seeded.ind_ge.id, "本期实际", 20)
    wb.save(out)
    store.set_quarter_locked(seeded.plan_id, Q, True)
    preview = preview_import(store, None, Q, out)
    assert preview.locked and len(preview.changes) == 1
    before = log_rows(store)
    with pytest.raises(QuarterLockedError):
        apply_import(store, preview)
    assert log_rows(store) == before
    assert store.load().actual(seeded.ind_ge.id, Q).value == 12.5


def test_a_workbook_of_another_quarter_is_a_problem(
    store: Store, seeded: Seeded, tmp_path: Path
) -> None:
    out = tmp_path / "q2.xlsx"
    export(store, out)
    preview = preview_import(store, None, 3, out)
    assert [p.code for p in preview.problems] == ["quarter_mismatch"]
    assert "2022年第二季度" in str(preview.problems[0])


def _zip_without_workbook() -> bytes:
    import io

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("random.xlsx", os.urandom(4096), "not an Excel"),
        ("notes.xlsx", "这是一个改了扩展名的文本文件\n".encode() * 20, "not an Excel"),
        ("empty.xlsx", b"", "empty"),
        ("old.xls", bytes.fromhex("d0cf11e0a1b11ae1") + bytes(600), ".xls"),
        ("report.docx", _zip_without_workbook(), "damaged or not an Excel"),
        ("cut.xlsx", None, "damaged or not an Excel"),  # a real workbook, truncated
    ],
)
def test_a_file_that_is_not_a_workbook_gives_a_clear_error(
    store: Store, tmp_path: Path, name: str, content: bytes | None, reason: str
) -> None:
    path = tmp_path / name
    if content is None:
        export(store, tmp_path / "whole.xlsx")
        content = (tmp_path / "whole.xlsx").read_bytes()[:3000]
    path.write_bytes(content)
    before = log_rows(store)
    with pytest.raises(ExcelFormatError) as info:
        preview_import(store, None, Q, path)
    assert info.value.path == str(path)
    assert reason in info.value.reason
    assert log_rows(store) == before


def test_missing_file_folder_and_foreign_workbook(store: Store, tmp_path: Path) -> None:
    with pytest.raises(ExcelError, match="not found"):
        preview_import(store, None, Q, tmp_path / "missing.xlsx")
    with pytest.raises(ExcelError, match="folder"):
        preview_import(store, None, Q, tmp_path)
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(["名称", "数量"])
    wb.active.append(["苹果", 3])
    wb.save(tmp_path / "other.xlsx")
    preview = preview_import(store, None, Q, tmp_path / "other.xlsx")
    assert [p.code for p in preview.problems] == ["no_sheet"] and preview.changes == []


# --- command line -----------------------------------------------------------------------------


def run(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, str, str]:
    code = cli.main([str(a) for a in args])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def assert_error(code: int, err: str, *fragments: str) -> None:
    assert code == cli.EXIT_BAD_INPUT == 2
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("jingan-desktop: error: "), err
    for fragment in fragments:
        assert fragment in lines[0]


def test_cli_export(db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "q2.xlsx"
    code, stdout, err = run(capsys, "export", "--db", db_path, "--quarter", "2022Q2", "-o", out)
    assert code == 0, err
    assert "34 items and 80 indicators on 1 sheet" in stdout
    assert load_workbook(out).active.max_row == 115

    code, stdout, _ = run(
        capsys, "export", "--db", db_path, "--quarter", "2022Q2", "-o", out,
        "--layout", "chapters", "--format", "xlsx",
    )  # fmt: skip
    assert code == 0 and "on 6 sheets" in stdout
    assert len(load_workbook(out).worksheets) == 6

    store = Store.open(db_path)
    item = store.load().plan.items()[3]
    store.set_item_departments(item.id, lead="区商务委")
    store.close()
    dept = tmp_path / "dept.xlsx"
    code, stdout, _ = run(
        capsys, "export", "--db", db_path, "--quarter", "2022Q2", "-o", dept,
        "--department", "区商务委",
    )  # fmt: skip
    assert code == 0 and "1 item and" in stdout
    assert table(load_workbook(dept).active)[0]["ID"] == item.id


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--department", "区教育局"], "no department named '区教育局'"),
        (["--quarter", "2021Q2"], "no plan for 2021"),
        (["-o", "{tmp}/q2.csv"], "must end in .xlsx"),
        (["-o", "{tmp}/missing/q2.xlsx"], "folder does not exist"),
        (["--db", "{tmp}/missing.sqlite"], "missing.sqlite"),
    ],
)
def test_cli_export_errors(
    db_path: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    fragment: str,
) -> None:
    options = {"--db": str(db_path), "--quarter": "2022Q2", "-o": str(tmp_path / "q2.xlsx")}
    extra: list[str] = []
    for key, value in zip(args[::2], args[1::2], strict=True):
        value = value.replace("{tmp}", str(tmp_path))
        if key in options:
            options[key] = value
        else:
            extra += [key, value]
    argv = ["export", *(x for pair in options.items() for x in pair), *extra]
    code, stdout, err = run(capsys, *argv)
    assert_error(code, err, fragment)
    assert stdout == ""
    assert not (tmp_path / "q2.xlsx").exists()


def test_cli_import_excel_previews_then_applies(
    db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "q2.xlsx"
    assert run(capsys, "export", "--db", db_path, "--quarter", "2022Q2", "-o", out)[0] == 0
    store = Store.open(db_path)
    data = store.load()
    indicator = next(i for i in data.plan.indicators() if i.unit == "家")
    item = data.plan.items()[0]
    store.close()
    wb = load_workbook(out)
    set_cell(wb.active, indicator.id, "本期实际", "1,600")
    set_cell(wb.active, item.id, "进展情况", "=已完成", as_text=True)
    wb.save(out)

    before = digest(db_path)
    code, stdout, err = run(capsys, "import-excel", "--db", db_path, "--quarter", "2022Q2", out)
    assert code == 0, err
    assert "114 rows read, 2 changes, 0 problems" in stdout
    assert "本期实际: - -> 1600" in stdout
    assert "进展情况: - -> =已完成" in stdout
    assert "--apply" in stdout
    assert digest(db_path) == before  # a preview writes nothing

    args = ("import-excel", "--db", db_path, "--quarter", "2022Q2", out, "--apply")
    code, stdout, err = run(capsys, *args)
    assert code == 0, err
    assert "wrote 2 changes" in stdout
    store = Store.open(db_path)
    assert store.load().actual(indicator.id, Q).value == 1600
    assert store.load().progress_for(item.id, Q).text == "=已完成"
    store.close()

    code, stdout, _ = run(capsys, *args)
    assert code == 0 and ", 0 changes," in stdout and "wrote 0 changes" in stdout


def test_cli_import_excel_problems_and_errors(
    db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "q2.xlsx"
    assert run(capsys, "export", "--db", db_path, "--quarter", "2022Q2", "-o", out)[0] == 0
    store = Store.open(db_path)
    data = store.load()
    indicators = data.plan.indicators()
    store.close()
    wb = load_workbook(out)
    set_cell(wb.active, indicators[0].id, "本期实际", "abc")
    set_cell(wb.active, indicators[1].id, "本期实际", 7)
    wb.save(out)
    before = digest(db_path)

    code, stdout, _ = run(capsys, "import-excel", "--db", db_path, "--quarter", "2022Q2", out)
    assert code == cli.EXIT_PROBLEM
    assert "1 change, 1 problem" in stdout and "abc" in stdout

    code, _, err = run(
        capsys, "import-excel", "--db", db_path, "--quarter", "2022Q2", out, "--apply"
    )
    assert_error(code, err, "1 problem; nothing written")
    assert digest(db_path) == before

    bogus = tmp_path / "bogus.xlsx"
    bogus.write_bytes(os.urandom(1000))
    code, stdout, err = run(capsys, "import-excel", "--db", db_path, "--quarter", "2022Q2", bogus)
    assert_error(code, err, "bogus.xlsx", "not an Excel .xlsx workbook")
    assert stdout == ""

    # A locked quarter: the preview says so, --apply is refused and nothing is written.
    wb = load_workbook(out)
    set_cell(wb.active, indicators[0].id, "本期实际", 3)
    wb.save(out)
    store = Store.open(db_path)
    store.set_quarter_locked(data.plan.id, Q, True)
    store.close()
    before = digest(db_path)
    code, stdout, _ = run(capsys, "import-excel", "--db", db_path, "--quarter", "2022Q2", out)
    assert code == 0 and "2022Q2 is locked" in stdout
    code, _, err = run(
        capsys, "import-excel", "--db", db_path, "--quarter", "2022Q2", out, "--apply"
    )
    assert_error(code, err, "locked")
    assert digest(db_path) == before
