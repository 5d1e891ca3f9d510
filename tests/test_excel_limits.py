"""Hostile and awkward workbooks: ``import-excel`` refuses a bomb with one clear line (exit 2)
before it has read more than a plan workbook holds, and still imports a legitimate workbook
with many empty rows after its data. The bombs are built here, small on disk (bench/
excel_bombs.py builds the big ones and prints the time and memory figures)."""

from __future__ import annotations

import shutil
import tracemalloc
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bench import excel_bombs as bombs
from jingan_desktop import cli
from jingan_desktop.outputs.excel import ExcelTooLargeError, preview_import, reading
from jingan_desktop.storage.store import Store

Q = 2
MB = 1024 * 1024


@pytest.fixture
def plan(tmp_path: Path, template_file: Path) -> Path:
    path = tmp_path / "plan.sqlite"
    shutil.copyfile(template_file, path)
    return path


@pytest.fixture
def exported(plan: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """The quarter exported, with one figure typed in (so an import has a change to make)."""
    out = tmp_path / "export.xlsx"
    assert cli.main(["export", "--db", str(plan), "--quarter", "2022Q2", "-o", str(out)]) == 0
    capsys.readouterr()
    wb = load_workbook(out)
    ws = wb.active
    headers = [c.value for c in ws[1]]
    for row in ws.iter_rows(min_row=2):
        if row[headers.index("类型")].value == "指标":
            row[headers.index("本期实际")].value = 4321
            break
    wb.save(out)
    return out


def import_excel(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, str, str]:
    code = cli.main(["import-excel", *(str(a) for a in args)])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def assert_refused(code: int, err: str, *fragments: str) -> None:
    assert code == cli.EXIT_BAD_INPUT == 2
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("jingan-desktop: error: "), err
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def peak_memory(action: Callable[[], object]) -> tuple[object, int]:
    """What ``action`` returned (or raised), and the most memory Python held meanwhile."""
    tracemalloc.start()
    try:
        try:
            result: object = action()
        except Exception as exc:
            result = exc
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def stored_log(plan: Path) -> int:
    store = Store.open(plan, readonly=True)
    try:
        return store.rows("SELECT COUNT(*) AS n FROM change_log")[0]["n"]
    finally:
        store.close()


def parts(path: Path) -> dict[str, zipfile.ZipInfo]:
    with zipfile.ZipFile(path) as archive:
        return {info.filename: info for info in archive.infolist()}


# --- bombs ------------------------------------------------------------------------------------


def test_a_row_of_a_million_cells_is_refused_before_its_sheet_is_parsed(
    plan: Path, exported: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bomb = bombs.wide_row(exported, tmp_path / "wide.xlsx", 1_000_000)
    sheet = parts(bomb)[bombs.SHEET]
    assert bomb.stat().st_size < 200 * 1024 and sheet.file_size > 14 * MB  # small on disk
    before = stored_log(plan)

    code, out, err = import_excel(capsys, "--db", plan, "--quarter", "2022Q2", bomb, "--apply")
    assert_refused(code, err, "wide.xlsx", "xl/worksheets/sheet1.xml", "zip bomb", "not read")
    assert out == "" and stored_log(plan) == before

    # Refused on the zip's own figures: far less memory than the sheet's 15 MB of XML.
    store = Store.open(plan, readonly=True)
    try:
        refused, peak = peak_memory(lambda: preview_import(store, None, Q, bomb))
    finally:
        store.close()
    assert isinstance(refused, ExcelTooLargeError)
    assert peak < 2 * MB


def test_shared_strings_that_unpack_past_the_limit_are_refused(
    plan: Path, exported: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bomb = bombs.strings_bomb(exported, tmp_path / "strings.xlsx", 20)
    assert parts(bomb)[bombs.STRINGS].file_size > reading.MAX_PART_BYTES
    assert bomb.stat().st_size < 100 * 1024

    code, _, err = import_excel(capsys, "--db", plan, "--quarter", "2022Q2", bomb)
    assert_refused(code, err, "xl/sharedStrings.xml unpacks to 20 MB, more than 16 MB")


def test_a_sheet_whose_dimension_lies_is_read_within_the_limits(
    plan: Path, exported: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """It says A1:M20 and holds a row of 20,000 distinct cells (which pack too poorly for the
    zip check to notice): reading counts the cells, not the claim, and stops past Excel's
    16,384 columns without keeping the row."""
    bomb = bombs.lying_dimension(exported, tmp_path / "dimension.xlsx", 20_000)
    with zipfile.ZipFile(bomb) as archive:
        assert b'<dimension ref="A1:M20"/>' in archive.read(bombs.SHEET)
        sheet = archive.getinfo(bombs.SHEET)
        assert sheet.file_size < reading.MAX_RATIO * sheet.compress_size

    code, _, err = import_excel(capsys, "--db", plan, "--quarter", "2022Q2", bomb)
    assert_refused(code, err, "row 116", "more than 16384 cells", "more than Excel allows")

    store = Store.open(plan, readonly=True)
    try:
        refused, peak = peak_memory(lambda: preview_import(store, None, Q, bomb))
    finally:
        store.close()
    assert isinstance(refused, ExcelTooLargeError)
    assert peak < 8 * MB  # the row's cells are counted and dropped, never kept


def test_more_cells_than_a_plan_workbook_holds_are_refused(
    plan: Path,
    exported: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every row within Excel's limits, the sheets together over the budgets (made small here
    so the test writes a few thousand cells, not hundreds of thousands): values are counted
    before the sheet is parsed, cells written (empty ones too) while it is read."""
    monkeypatch.setattr(reading, "MAX_VALUES", 3000)
    monkeypatch.setattr(reading, "MAX_CELLS", 6000)
    values = bombs.many_cells(exported, tmp_path / "values.xlsx", rows=100, columns=30)
    code, _, err = import_excel(capsys, "--db", plan, "--quarter", "2022Q2", values)
    assert_refused(code, err, "the sheets hold more than 3000 cells with values")

    def not_parsed(*args: object, **kwargs: object) -> None:
        raise AssertionError("the sheet was parsed")

    with monkeypatch.context() as m:  # refused on the count alone, before any XML parsing
        m.setattr(reading, "XMLPullParser", not_parsed)
        code, _, err = import_excel(capsys, "--db", plan, "--quarter", "2022Q2", values)
        assert_refused(code, err, "more than 3000 cells with values")

    empty = bombs.many_cells(exported, tmp_path / "empty.xlsx", 100, 60, values=False)
    code, _, err = import_excel(capsys, "--db", plan, "--quarter", "2022Q2", empty)
    assert_refused(code, err, "the sheets hold more than 6000 cells; not read")

    # The export itself is well inside the same budgets.
    code, out, _ = import_excel(capsys, "--db", plan, "--quarter", "2022Q2", exported)
    assert code == 0 and "114 rows read, 1 change, 0 problems" in out


def test_a_sheet_with_a_dtd_is_refused(
    plan: Path, exported: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def with_entities(sheet: bytes) -> Iterator[bytes]:
        laughs = b'<!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
        yield laughs + sheet

    bomb = bombs.rewrite(exported, tmp_path / "dtd.xlsx", {bombs.SHEET: with_entities})
    code, _, err = import_excel(capsys, "--db", plan, "--quarter", "2022Q2", bomb)
    assert_refused(code, err, "not plain worksheet XML")


def test_too_many_parts_are_refused(
    plan: Path, exported: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bomb = tmp_path / "parts.xlsx"
    shutil.copyfile(exported, bomb)
    with zipfile.ZipFile(bomb, "a") as archive:
        for n in range(reading.MAX_PARTS):
            archive.writestr(f"xl/media/extra{n}.bin", b"")
    code, _, err = import_excel(capsys, "--db", plan, "--quarter", "2022Q2", bomb)
    assert_refused(code, err, f"more than {reading.MAX_PARTS}")


# --- legitimate workbooks stay importable ------------------------------------------------------


def test_many_empty_formatted_rows_after_the_data_still_import(
    plan: Path, exported: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """200,000 formatted empty rows (as Excel writes rows a clerk formatted far down): past
    row 5,000 nothing is parsed, only scanned for a value, and the import goes through."""
    padded = bombs.trailing_rows(exported, tmp_path / "padded.xlsx", 200_000)
    assert parts(padded)[bombs.SHEET].file_size > 10 * MB

    store = Store.open(plan, readonly=True)
    try:
        preview, peak = peak_memory(lambda: preview_import(store, None, Q, padded))
    finally:
        store.close()
    assert not isinstance(preview, Exception), preview
    assert [c.new for c in preview.changes] == [4321] and preview.problems == []
    assert peak < 16 * MB  # the sheet's XML is more than 10 MB: it was never held

    code, out, _ = import_excel(capsys, "--db", plan, "--quarter", "2022Q2", padded, "--apply")
    assert code == 0 and "wrote 1 change" in out


def test_a_value_after_row_5000_is_still_reported_as_not_read(
    plan: Path, exported: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    padded = bombs.trailing_rows(exported, tmp_path / "late.xlsx", 20_000, value_at=12_000)
    code, out, _ = import_excel(capsys, "--db", plan, "--quarter", "2022Q2", padded)
    assert code == cli.EXIT_PROBLEM
    assert "超过 5000 行，其余行未读取" in out
