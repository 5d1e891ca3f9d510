"""A stale Excel export never overwrites what was entered in the plan file after it was made.

The export records a fingerprint of every value it wrote (custom properties, which Excel
keeps). On import, a cell still holding its exported value is not a change, whatever the plan
file holds now; a cell the clerk changed whose value also changed in the plan file since the
export is a conflict in the preview (sheet and row), and nothing of it is written."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook

from jingan_desktop import cli
from jingan_desktop.outputs.excel import PROP_VALUES, preview_import
from jingan_desktop.storage.store import Store

Q = 2


@pytest.fixture
def plan(tmp_path: Path, template_file: Path) -> Path:
    path = tmp_path / "plan.sqlite"
    shutil.copyfile(template_file, path)
    return path


def run(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, str, str]:
    code = cli.main([str(a) for a in args])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def export(capsys: pytest.CaptureFixture[str], plan: Path, out: Path) -> None:
    assert run(capsys, "export", "--db", plan, "--quarter", "2022Q2", "-o", out)[0] == 0


def edit(workbook: Path, values: dict[str, dict[str, object]]) -> None:
    """Type into the workbook as a clerk would in Excel: {row ID: {header: value}}."""
    wb = load_workbook(workbook)
    ws = wb.active
    headers = [c.value for c in ws[1]]
    for row in ws.iter_rows(min_row=2):
        for header, value in values.get(str(row[0].value), {}).items():
            row[headers.index(header)].value = value
    wb.save(workbook)


def stored(plan: Path) -> tuple[dict[str, float | None], dict[str, tuple[str | None, str]]]:
    store = Store.open(plan, readonly=True)
    try:
        data = store.load()
        actuals = {}
        for n in data.plan.indicators():
            record = data.actual(n.id, Q)
            actuals[n.id] = record.value if record else None
        progress = {}
        for i in data.plan.items():
            record = data.progress_for(i.id, Q)
            status = record.status.value if record and record.status else None
            progress[i.id] = (status, record.text if record else "")
        return actuals, progress
    finally:
        store.close()


@pytest.fixture
def rows(plan: Path) -> tuple[list[str], list[str]]:
    store = Store.open(plan, readonly=True)
    try:
        data = store.load()
        return [n.id for n in data.plan.indicators()], [i.id for i in data.plan.items()]
    finally:
        store.close()


def test_the_export_records_what_it_wrote_in_properties_excel_keeps(
    plan: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "q2.xlsx"
    export(capsys, plan, out)
    props = {p.name: p.value for p in load_workbook(out).custom_doc_props}
    recorded = [v for k, v in props.items() if k.startswith(PROP_VALUES)]
    assert recorded and all(len(v) <= 255 for v in recorded)
    assert sum(len(v.split(",")) for v in recorded) == 80 + 34 * 2  # actuals; statuses and texts


def test_values_entered_after_the_export_are_not_overwritten_by_its_old_values(
    plan: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], rows
) -> None:
    indicators, items = rows
    out = tmp_path / "q2.xlsx"
    export(capsys, plan, out)  # everything empty for Q2
    # After the export, colleagues enter figures and a progress text in the plan file …
    store = Store.open(plan)
    store.set_actual(indicators[0], Q, 100)
    store.set_progress(items[0], Q, status="推进中", text="已开工")
    store.close()
    # … and the clerk fills in another indicator in the (now stale) workbook.
    edit(out, {indicators[1]: {"本期实际": 7}})

    code, stdout, _ = run(capsys, "import-excel", "--db", plan, "--quarter", "2022Q2", out)
    assert code == 0 and "1 change, 0 problems" in stdout
    code, stdout, _ = run(
        capsys, "import-excel", "--db", plan, "--quarter", "2022Q2", out, "--apply"
    )
    assert code == 0 and "wrote 1 change" in stdout
    actuals, progress = stored(plan)
    assert actuals[indicators[0]] == 100  # the empty exported cell did not clear or replace it
    assert actuals[indicators[1]] == 7
    assert progress[items[0]] == ("推进中", "已开工")


def test_a_value_changed_on_both_sides_since_the_export_is_a_conflict(
    plan: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], rows
) -> None:
    indicators, items = rows
    store = Store.open(plan)
    store.set_actual(indicators[0], Q, 10)
    store.set_progress(items[0], Q, status="推进中")
    store.close()
    out = tmp_path / "q2.xlsx"
    export(capsys, plan, out)
    store = Store.open(plan)
    store.set_actual(indicators[0], Q, 11)  # in the plan file after the export
    store.set_progress(items[0], Q, status="已完成")
    store.close()
    edit(
        out,
        {
            indicators[0]: {"本期实际": 12},  # and in the workbook: a conflict
            items[0]: {"填报状态": "滞后"},  # a conflict too
            indicators[2]: {"本期实际": 5},  # only in the workbook: a change
        },
    )

    store = Store.open(plan, readonly=True)
    try:
        preview = preview_import(store, None, Q, out)
    finally:
        store.close()
    assert [(c.row_id, c.new) for c in preview.changes] == [(indicators[2], 5)]
    conflicts = [p for p in preview.problems if p.code == "changed_since_export"]
    assert [p.row_id for p in conflicts] == [items[0], indicators[0]]  # in sheet order
    assert "“已完成”" in str(conflicts[0]) and conflicts[0].row is not None
    assert "已在计划文件中改为“11”" in str(conflicts[1]) and "“12”" in str(conflicts[1])

    code, stdout, err = run(
        capsys, "import-excel", "--db", plan, "--quarter", "2022Q2", out, "--apply"
    )
    assert code == cli.EXIT_BAD_INPUT and "2 problems; nothing written" in err
    assert "导出后已在计划文件中改为" in stdout
    actuals, progress = stored(plan)
    assert (actuals[indicators[0]], actuals[indicators[2]]) == (11, None)
    assert progress[items[0]][0] == "已完成"


def test_a_workbook_without_the_record_imports_as_before(
    plan: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], rows
) -> None:
    """An export made before the record existed (or a copy without its properties): the
    workbook's values are compared with the plan file's, as they always were."""
    indicators, _ = rows
    out = tmp_path / "q2.xlsx"
    export(capsys, plan, out)
    wb = load_workbook(out)
    kept = [p for p in wb.custom_doc_props if not p.name.startswith(PROP_VALUES)]
    wb.custom_doc_props.props = kept
    wb.save(out)
    store = Store.open(plan)
    store.set_actual(indicators[0], Q, 100)
    store.close()
    edit(out, {indicators[0]: {"本期实际": 90}})

    code, stdout, _ = run(
        capsys, "import-excel", "--db", plan, "--quarter", "2022Q2", out, "--apply"
    )
    assert code == 0 and "wrote 1 change" in stdout
    assert stored(plan)[0][indicators[0]] == 90
