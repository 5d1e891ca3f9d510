"""Merging copies that diverged offline, and the department file round trip."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from merge_helpers import copy_of

from jingan_desktop.plan.parser import read_plan_file
from jingan_desktop.storage.backup import list_backups
from jingan_desktop.storage.merge import (
    MergeError,
    UnresolvedConflictsError,
    apply_merge,
    export_department_file,
    plan_merge,
)
from jingan_desktop.storage.store import Store


def data_rows(path: Path) -> dict[str, set[tuple]]:
    """Everything but stamps, for comparing two files' content."""
    tables = {
        "actual": "id, indicator_id, quarter, value, note",
        "progress": "id, item_id, quarter, status, text",
        "indicator": "id, item_id, position, name, value, unit, comparator",
        "item": "id, chapter_id, position, number, title, lead_department_id, co_department_ids, due_date",
        "department": "id, name",
    }
    with sqlite3.connect(path) as conn:
        return {
            t: set(conn.execute(f"SELECT {cols} FROM {t}").fetchall()) for t, cols in tables.items()
        }


@pytest.fixture
def pair(template_file, tmp_path):
    master = copy_of(template_file, tmp_path / "master.sqlite", ("office", "PC-1"))
    copy = copy_of(template_file, tmp_path / "copy.sqlite", ("dept", "PC-2"))
    yield master, copy
    master.close()
    copy.close()


def test_one_sided_changes_are_taken_and_a_second_merge_changes_nothing(pair):
    master, copy = pair
    data = copy.load()
    ind = data.plan.indicators()
    item = data.plan.items()[3]
    copy.set_actual(ind[4].id, 2, 5200.0)
    copy.set_progress(item.id, 2, status="推进中", text="已完成招商对接")
    copy.update_field("indicator", ind[2].id, "value", 530.0)
    master.set_actual(ind[10].id, 2, 8.0)  # a change of the master's own, untouched by the copy
    copy.close()

    preview = plan_merge(master, copy.path)
    assert preview.conflicts == []
    assert {(c.op, c.tbl, c.field) for c in preview.changes} == {
        ("insert", "actual", None),
        ("insert", "progress", None),
        ("update", "indicator", "value"),
    }
    assert any("新增注册企业" in c.label and "第二季度实际值" in c.label for c in preview.changes)
    assert apply_merge(master, preview) == 3
    merged = master.load()
    assert merged.actual(ind[4].id, 2).value == 5200
    assert merged.actual(ind[10].id, 2).value == 8  # ours kept
    assert merged.progress_for(item.id, 2).text == "已完成招商对接"
    assert [i.value for i in merged.plan.indicators() if i.id == ind[2].id] == [530]
    # The copy's own log entries (who, when) came along; the merge is logged as a merge.
    history = master.history([ind[4].id and f"{c.row_id}" for c in preview.changes])
    assert {h.source for h in history} >= {"edit", "merge"}
    assert {h.user for h in history} >= {"dept", "office"}
    assert [b.reason for b in list_backups(master.path)] == ["merge"]

    again = plan_merge(master, copy.path)
    assert again.nothing_to_do
    before = data_rows(master.path)
    assert apply_merge(master, again) == 0
    assert data_rows(master.path) == before


def test_a_field_changed_on_both_sides_is_a_conflict(pair):
    master, copy = pair
    ind = copy.load().plan.indicators()[1]
    copy.set_actual(ind.id, 2, 700.0)
    master.set_actual(ind.id, 2, 650.0)
    copy.close()
    preview = plan_merge(master, copy.path)
    assert preview.changes == []
    (conflict,) = preview.conflicts
    assert (conflict.kind, conflict.change.ours, conflict.change.theirs) == ("field", 650.0, 700.0)
    with pytest.raises(UnresolvedConflictsError):
        apply_merge(master, preview)
    assert master.load().actual(ind.id, 2).value == 650  # nothing written
    apply_merge(master, preview, resolutions={conflict.key: "theirs"})
    assert master.load().actual(ind.id, 2).value == 700
    assert plan_merge(master, copy.path).nothing_to_do


def test_same_value_on_both_sides_is_no_conflict(pair):
    master, copy = pair
    ind = copy.load().plan.indicators()[1]
    copy.set_actual(ind.id, 2, 700.0)
    master.set_actual(ind.id, 2, 700.0)
    copy.close()
    preview = plan_merge(master, copy.path)
    assert preview.conflicts == [] and preview.changes == []


def test_removed_rows(pair):
    master, copy = pair
    items = copy.load().plan.items()
    copy.remove_row("item", items[7].id)  # removed in the copy, untouched here: removed
    copy.remove_row("item", items[8].id)  # removed in the copy, changed here: conflict
    master.set_progress(items[8].id, 2, text="本方有更新")
    master.remove_row("item", items[9].id)  # removed here, changed in the copy: conflict
    copy.set_progress(items[9].id, 2, text="副本有更新")
    copy.close()
    preview = plan_merge(master, copy.path)
    assert [(c.op, c.tbl, c.row_id) for c in preview.changes] == [("delete", "item", items[7].id)]
    assert sorted(c.kind for c in preview.conflicts) == ["deleted_here", "deleted_there"]
    apply_merge(master, preview, prefer="ours")
    numbers = [i.number for i in master.load().plan.items()]
    assert 8 not in numbers and 9 in numbers and 10 not in numbers
    assert master.check().ok


def test_locked_quarter_changes_are_conflicts(pair):
    master, copy = pair
    data = master.load()
    ind = data.plan.indicators()[0]
    copy.set_actual(ind.id, 1, 5.0)
    master.set_quarter_locked(data.plan.id, 1, True, {})
    copy.close()
    preview = plan_merge(master, copy.path)
    assert preview.conflicts == [] and preview.changes == []
    (skipped,) = preview.skipped
    assert skipped.kind == "locked" and skipped.description == "季度已锁定，未合并"


def test_not_a_copy_is_refused(template_file, tmp_path, seed_path):
    master = copy_of(template_file, tmp_path / "master.sqlite", ("office", "PC-1"))
    stranger = Store.create(tmp_path / "other.sqlite", read_plan_file(seed_path).plan)
    stranger.close()
    with pytest.raises(MergeError):
        plan_merge(master, stranger.path)
    with pytest.raises(MergeError):
        plan_merge(master, master.path)
    master.close()


def test_department_file_round_trip(pair, tmp_path):
    master, copy = pair
    copy.close()
    items = master.load().plan.items()
    master.set_item_departments(items[1].id, lead="区商务委")
    master.set_item_departments(items[5].id, co=["区商务委"])
    target = export_department_file(master, "区商务委", tmp_path / "商务委填报.sqlite")
    assert not list(tmp_path.glob(".*dept"))
    dept = Store.open(target)
    dept.actor = ("商务委", "PC-9")
    assert [i.number for i in dept.load().plan.items()] == [2, 6]
    assert dept.meta()["scope"] == "department:区商务委"
    ind = dept.load().plan.items()[0].indicators[0]
    dept.set_actual(ind.id, 2, 4321.0)
    dept.close()
    preview = plan_merge(master, target)
    assert [(c.op, c.tbl) for c in preview.changes] == [("insert", "actual")]
    apply_merge(master, preview)
    data = master.load()
    assert len(data.plan.items()) == 34  # the items left out of the file stay
    assert data.actual(ind.id, 2).value == 4321


# --- properties -------------------------------------------------------------------------------

cells = st.tuples(st.sampled_from(["actual", "text", "target"]), st.integers(0, 5))
edits = st.lists(st.tuples(cells, st.integers(1, 50)), max_size=6)


def apply_edits(store: Store, ops) -> dict[tuple, object]:
    data = store.load()
    indicators, items = data.plan.indicators(), data.plan.items()
    final = {}
    for (kind, index), value in ops:
        if kind == "actual":
            store.set_actual(indicators[index].id, 2, float(value))
            final[("actual", indicators[index].id)] = float(value)
        elif kind == "text":
            store.set_progress(items[index].id, 2, text=f"进展{value}")
            final[("text", items[index].id)] = f"进展{value}"
        else:
            store.update_field("indicator", indicators[index].id, "value", float(value))
            final[("target", indicators[index].id)] = float(value)
    return final


def value_of(store: Store, key) -> object:
    kind, row_id = key
    data = store.load()
    if kind == "actual":
        actual = data.actual(row_id, 2)
        return actual.value if actual else None
    if kind == "text":
        progress = data.progress_for(row_id, 2)
        return progress.text if progress else None
    return next(i.value for i in data.plan.indicators() if i.id == row_id)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops_a=edits, ops_b=edits)
# The seed's first target is 6: B "setting" it to 6 changes nothing, so A's 1 is no conflict.
@example(ops_a=[(("target", 0), 1)], ops_b=[(("target", 0), 6)])
def test_merge_properties(template_file, tmp_path_factory, ops_a, ops_b):
    folder = tmp_path_factory.mktemp("prop")
    a = copy_of(template_file, folder / "a.sqlite", ("a", "A"))
    b = copy_of(template_file, folder / "b.sqlite", ("b", "B"))
    final_a, final_b = apply_edits(a, ops_a), apply_edits(b, ops_b)
    a.close()
    b.close()
    a_into_b = copy_of(folder / "b.sqlite", folder / "b2.sqlite", ("b", "B"))
    b_into_a = copy_of(folder / "a.sqlite", folder / "a2.sqlite", ("a", "A"))

    preview = plan_merge(a_into_b, folder / "a.sqlite")
    conflicted = {(c.change.tbl, c.change.row_id, c.change.field) for c in preview.conflicts}
    apply_merge(a_into_b, preview, prefer="ours", backup=False)
    # Nothing of A's is dropped unless it was listed as a conflict.
    for key, value in final_a.items():
        kept = value_of(a_into_b, key)
        assert kept == value or key in final_b, (key, value, kept)
    # Both sides changed a field to different values: a conflict. A "change" to the value the
    # field already held is no change (nothing is logged), so it cannot conflict.
    base = copy_of(template_file, folder / "base.sqlite", ("x", "X"))
    both = set(final_a) | set(final_b)
    unchanged = {k for k in both if value_of(base, k) in (final_a.get(k), final_b.get(k))}
    base.close()
    touched_both = (set(final_a) & set(final_b)) - unchanged
    differing = {k for k in touched_both if final_a[k] != final_b[k]}
    assert len(differing) <= len(conflicted)

    # Idempotent: the same copy again changes nothing.
    before = data_rows(a_into_b.path)
    assert plan_merge(a_into_b, folder / "a.sqlite").nothing_to_do
    assert data_rows(a_into_b.path) == before

    # Without conflicts, merging either way gives the same data.
    if not preview.conflicts:
        apply_merge(b_into_a, plan_merge(b_into_a, folder / "b.sqlite"), backup=False)
        assert data_rows(a_into_b.path) == data_rows(b_into_a.path)
    a_into_b.close()
    b_into_a.close()


def test_merge_command(template_file, tmp_path, capsys):
    from jingan_desktop.cli import main

    master = copy_of(template_file, tmp_path / "master.sqlite", ("office", "PC-1"))
    copy = copy_of(template_file, tmp_path / "copy.sqlite", ("dept", "PC-2"))
    indicators = copy.load().plan.indicators()
    copy.set_actual(indicators[0].id, 2, 7.0)
    copy.set_actual(indicators[1].id, 2, 700.0)
    master.set_actual(indicators[1].id, 2, 650.0)
    copy.close()
    master.close()
    args = [
        "merge",
        "--db",
        str(tmp_path / "master.sqlite"),
        "--from",
        str(tmp_path / "copy.sqlite"),
    ]

    assert main([*args, "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "1 change(s) to take, 1 conflict(s)" in out
    assert "CONFLICT (field) 双方都修改了此项：" in out and "（本文件：650；副本：700）" in out

    assert main(args) == 1  # conflicts and no --prefer: nothing written
    assert "not merged" in capsys.readouterr().err
    check = Store.open(tmp_path / "master.sqlite")
    assert check.load().actual(indicators[0].id, 2) is None
    check.close()

    assert main([*args, "--prefer", "theirs"]) == 0
    check = Store.open(tmp_path / "master.sqlite")
    data = check.load()
    assert (
        data.actual(indicators[0].id, 2).value == 7
        and data.actual(indicators[1].id, 2).value == 700
    )
    check.close()
    capsys.readouterr()
    assert main(args) == 0
    assert "nothing new" in capsys.readouterr().out

    assert (
        main(
            [
                "merge",
                "--db",
                str(tmp_path / "master.sqlite"),
                "--from",
                str(tmp_path / "nope.sqlite"),
            ]
        )
        == 2
    )
    assert "Traceback" not in capsys.readouterr().err
