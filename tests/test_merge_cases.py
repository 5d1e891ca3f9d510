"""Merges that used to lose or block work (issue 10 §1), driven the way a clerk does it: the
``merge`` command or the functions the 合并副本 dialog calls, the files checked afterwards
with plain sqlite3."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from merge_helpers import check, merge, open_as, play_steps, query

from jingan_desktop.storage.merge import StalePreviewError, apply_merge, plan_merge
from jingan_desktop.storage.store import Store, pair_id


def item_with_indicators(store: Store, index: int):
    items = [i for i in store.load().plan.items() if i.indicators]
    return items[index]


def fk_problems(path: Path) -> list[tuple]:
    return query(path, "PRAGMA foreign_key_check")


# --- 1. a stale preview ------------------------------------------------------------------------


def test_a_colleagues_save_after_the_preview_is_not_deleted(files):
    master_path, copy_path = files
    copy = open_as(copy_path, ("dept", "PC-2"))
    item = item_with_indicators(copy, 4)
    copy.remove_row("item", item.id)  # the copy removed item 5
    copy.close()

    alice = open_as(master_path, ("alice", "PC-1"))
    preview = plan_merge(alice, copy_path)  # the preview is on Alice's screen …
    assert [(c.op, c.tbl) for c in preview.changes if c.tbl == "item"] == [("delete", "item")]
    bob = open_as(master_path, ("bob", "PC-3"))  # … while Bob saves work on item 5
    bob.set_actual(item.indicators[0].id, 2, 4321.0)
    bob.set_progress(item.id, 2, text="鲍勃的进展")
    bob.close()

    with pytest.raises(StalePreviewError) as caught:
        apply_merge(alice, preview)  # Alice clicks 合并
    alice.close()
    # Nothing was written, Bob's work is there, and the new preview shows it as a conflict.
    assert query(
        master_path, "SELECT value FROM actual WHERE indicator_id = ?", (item.indicators[0].id,)
    ) == [(4321.0,)]
    assert query(master_path, "SELECT text FROM progress WHERE item_id = ?", (item.id,)) == [
        ("鲍勃的进展",)
    ]
    fresh = caught.value.preview
    assert [(c.kind, c.change.tbl, c.change.row_id) for c in fresh.conflicts] == [
        ("deleted_there", "item", item.id)
    ]
    assert all(not (c.op == "delete" and c.tbl == "item") for c in fresh.changes)


def test_an_insert_is_checked_again_when_the_merge_is_written(files):
    master_path, copy_path = files
    copy = open_as(copy_path, ("dept", "PC-2"))
    indicator = copy.load().plan.indicators()[3]
    copy.set_actual(indicator.id, 2, 500.0)
    copy.close()
    alice = open_as(master_path, ("alice", "PC-1"))
    preview = plan_merge(alice, copy_path)
    assert [(c.op, c.tbl) for c in preview.changes] == [("insert", "actual")]
    bob = open_as(master_path, ("bob", "PC-3"))
    bob.set_actual(indicator.id, 2, 480.0)  # Bob typed the same cell meanwhile
    bob.close()
    with pytest.raises(StalePreviewError) as caught:
        apply_merge(alice, preview)
    assert query(
        master_path, "SELECT value FROM actual WHERE indicator_id = ?", (indicator.id,)
    ) == [(480.0,)]
    (conflict,) = caught.value.preview.conflicts
    assert (conflict.kind, conflict.change.ours, conflict.change.theirs) == ("field", 480.0, 500.0)
    # Decided on the new preview, the merge goes through.
    apply_merge(alice, caught.value.preview, prefer="ours")
    alice.close()
    assert query(
        master_path, "SELECT value FROM actual WHERE indicator_id = ?", (indicator.id,)
    ) == [(480.0,)]


def test_the_dialog_shows_the_new_preview_when_the_file_changed(
    qtbot, window, tmp_path, messages, monkeypatch
):
    from PySide6.QtWidgets import QDialog

    from jingan_desktop.qt.dialogs.merge_preview import MergeDialog

    master_path = window.workspace.store.path
    copy_path = tmp_path / "stick.sqlite"
    shutil.copyfile(master_path, copy_path)
    copy = open_as(copy_path, ("dept", "PC-2"))
    item = item_with_indicators(copy, 4)
    copy.remove_row("item", item.id)
    copy.close()
    shown: list[MergeDialog] = []

    def exec_(dialog: MergeDialog) -> int:
        shown.append(dialog)
        if len(shown) == 1:  # while the first preview is on screen, Bob saves
            bob = open_as(master_path, ("bob", "PC-3"))
            bob.set_progress(item.id, 2, text="鲍勃的进展")
            bob.close()
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(MergeDialog, "exec", exec_)
    assert window.shared_file.merge_from(copy_path)
    assert len(shown) == 2
    assert shown[0].conflicts.rowCount() == 0
    assert shown[1].conflicts.rowCount() == 1  # the removal now conflicts with Bob's text
    assert shown[1].conflicts.item(0, 1).text() == "副本中已删除，但本文件中此后有修改"
    assert any("预览之后本文件又有人保存了修改" in m for m in messages)
    assert query(master_path, "SELECT text FROM progress WHERE item_id = ?", (item.id,)) == [
        ("鲍勃的进展",)
    ]


# --- 2. locked quarters ------------------------------------------------------------------------


def test_a_merge_never_changes_a_locked_quarter(files, capsys):
    master_path, copy_path = files
    base = open_as(master_path, ("office", "PC-1"))
    six = item_with_indicators(base, 5)
    seven = item_with_indicators(base, 6)
    base.set_actual(six.indicators[0].id, 1, 10.0)
    base.set_actual(seven.indicators[0].id, 1, 10.0)
    base.close()
    shutil.copyfile(master_path, copy_path)
    copy = open_as(copy_path, ("dept", "PC-2"))
    copy.remove_row("item", six.id)  # the copy removes item 6 with its Q1 figure
    copy.set_actual(seven.indicators[0].id, 1, 11.0)  # and changes a Q1 figure 10 → 11
    copy.close()
    master = open_as(master_path, ("office", "PC-1"))
    plan_id = master.plan_id_for_year()
    master.set_quarter_locked(plan_id, 1, True, {})
    master.close()

    assert merge(master_path, copy_path, "--prefer", "theirs") == 0
    out = capsys.readouterr().out
    assert "not merged (quarter locked)" in out
    assert out.count("NOT MERGED 季度已锁定，未合并：") >= 2
    assert query(master_path, "SELECT count(*) FROM item WHERE id = ?", (six.id,)) == [(1,)]
    assert query(
        master_path, "SELECT value FROM actual WHERE id = ?", (pair_id(six.indicators[0].id, 1),)
    ) == [(10.0,)]
    assert query(
        master_path, "SELECT value FROM actual WHERE id = ?", (pair_id(seven.indicators[0].id, 1),)
    ) == [(10.0,)]

    # Not lost: once the quarter is unlocked, the same copy brings its changes.
    master = open_as(master_path, ("office", "PC-1"))
    master.set_quarter_locked(plan_id, 1, False)
    master.close()
    assert merge(master_path, copy_path) == 0
    assert query(
        master_path, "SELECT value FROM actual WHERE id = ?", (pair_id(seven.indicators[0].id, 1),)
    ) == [(11.0,)]
    assert query(master_path, "SELECT count(*) FROM item WHERE id = ?", (six.id,)) == [(0,)]
    assert fk_problems(master_path) == []
    capsys.readouterr()
    assert merge(master_path, copy_path) == 0
    assert "nothing new" in capsys.readouterr().out


# --- 3. the same thing under two ids -------------------------------------------------------------


def test_a_department_both_copies_typed_in_becomes_one(files, tmp_path, capsys):
    master_path, copy_a = files
    copy_b = tmp_path / "stick" / "b.sqlite"
    shutil.copyfile(master_path, copy_b)
    a = open_as(copy_a, ("a", "PC-A"))
    items = a.load().plan.items()
    a.set_item_departments(items[1].id, lead="区数据局")
    a.close()
    b = open_as(copy_b, ("b", "PC-B"))
    b.set_item_departments(items[2].id, lead="区数据局")
    b.set_item_departments(items[3].id, co=["区数据局"])
    b.close()

    assert merge(master_path, copy_a) == 0
    assert merge(master_path, copy_b) == 0  # used to fail: UNIQUE constraint failed
    out = capsys.readouterr().out
    assert "副本中的单位“区数据局”与本文件中的是同一项，合并为一条" in out
    (kept,) = query(master_path, "SELECT id FROM department WHERE name = '区数据局'")
    leads = dict(query(master_path, "SELECT id, lead_department_id FROM item"))
    assert leads[items[1].id] == leads[items[2].id] == kept[0]
    (co,) = query(master_path, "SELECT co_department_ids FROM item WHERE id = ?", (items[3].id,))
    assert json.loads(co[0]) == [kept[0]]
    # The reconciliation is recorded and logged.
    b_id = query(copy_b, "SELECT id FROM department WHERE name = '区数据局'")[0][0]
    assert query(master_path, "SELECT tbl, target_id FROM id_alias WHERE id = ?", (b_id,)) == [
        ("department", kept[0])
    ]
    assert query(
        master_path, "SELECT source FROM change_log WHERE tbl = 'id_alias' AND row_id = ?", (b_id,)
    ) == [("merge",)]

    # B keeps working with its own id; its later changes land on the kept department.
    b = open_as(copy_b, ("b", "PC-B"))
    b.set_item_departments(items[4].id, lead="区数据局")
    b.close()
    assert merge(master_path, copy_b) == 0
    assert query(
        master_path, "SELECT lead_department_id FROM item WHERE id = ?", (items[4].id,)
    ) == [(kept[0],)]
    assert query(master_path, "SELECT count(*) FROM department WHERE name = '区数据局'") == [(1,)]
    assert fk_problems(master_path) == []
    capsys.readouterr()
    assert merge(master_path, copy_b) == 0
    assert "nothing new" in capsys.readouterr().out


def test_a_plan_year_both_copies_imported_becomes_one(files, seed_path, capsys):
    from jingan_desktop.plan.parser import read_plan_file

    master_path, copy_path = files
    for path, actor in ((master_path, ("office", "PC-1")), (copy_path, ("dept", "PC-2"))):
        plan = read_plan_file(seed_path).plan
        plan.year = 2023
        store = open_as(path, actor)
        store.import_plan(plan)
        store.close()
    copy = open_as(copy_path, ("dept", "PC-2"))
    data = copy.load(copy.plan_id_for_year(2023))
    indicator = data.plan.indicators()[2]
    copy.set_actual(indicator.id, 1, 77.0)
    copy.set_progress(data.plan.items()[0].id, 1, text="2023年一季度进展")
    copy.close()

    assert merge(master_path, copy_path) == 0  # used to fail: UNIQUE constraint failed: plan.year
    assert query(master_path, "SELECT count(*) FROM plan WHERE year = 2023") == [(1,)]
    per_year = query(
        master_path,
        "SELECT p.year, count(*) FROM item i JOIN chapter c ON c.id = i.chapter_id"
        " JOIN plan p ON p.id = c.plan_id GROUP BY p.year",
    )
    assert per_year == [(2022, 34), (2023, 34)]
    master = open_as(master_path, ("office", "PC-1"))
    ours = master.load(master.plan_id_for_year(2023))
    master.close()
    assert ours.actual(ours.plan.indicators()[2].id, 1).value == 77
    assert ours.progress_for(ours.plan.items()[0].id, 1).text == "2023年一季度进展"
    assert fk_problems(master_path) == []
    capsys.readouterr()
    assert merge(master_path, copy_path) == 0
    assert "nothing new" in capsys.readouterr().out


def test_a_file_of_schema_version_1_upgrades(tmp_path, template_file):
    from jingan_desktop.storage.database import SCHEMA_VERSION

    old = tmp_path / "old.sqlite"
    shutil.copyfile(template_file, old)
    conn = sqlite3.connect(old)
    conn.execute("DROP TABLE id_alias")
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()
    store = Store.open(old)
    store.close()
    assert query(old, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
    assert query(old, "SELECT count(*) FROM id_alias") == [(0,)]
    assert query(old, "SELECT count(*) FROM item") == [(34,)]


# --- 4. taking the copy's side of a row removed here ---------------------------------------------


def test_taking_the_copys_side_brings_back_the_removed_item(files, tmp_path, capsys):
    master_path, copy_b = files
    copy_a = tmp_path / "stick" / "a.sqlite"
    shutil.copyfile(master_path, copy_a)
    a = open_as(copy_a, ("a", "PC-A"))
    item = item_with_indicators(a, 2)
    a.remove_row("item", item.id)
    a.close()
    assert merge(master_path, copy_a) == 0  # A's removal is merged
    b = open_as(copy_b, ("b", "PC-B"))
    b.update_field("indicator", item.indicators[0].id, "value", 999.0)  # B edited an indicator
    b.set_actual(item.indicators[0].id, 2, 12.0)
    b.close()

    assert merge(master_path, copy_b) == 1  # a conflict, nothing written
    assert "CONFLICT (deleted_here) 本文件中已删除，但副本中有修改" in capsys.readouterr().out
    assert merge(master_path, copy_b, "--prefer", "theirs") == 0  # used to: FOREIGN KEY failed
    assert query(master_path, "SELECT number FROM item WHERE id = ?", (item.id,)) == [
        (item.number,)
    ]
    assert query(
        master_path, "SELECT value FROM indicator WHERE id = ?", (item.indicators[0].id,)
    ) == [(999.0,)]
    assert query(master_path, "SELECT count(*) FROM indicator WHERE item_id = ?", (item.id,)) == [
        (len(item.indicators),)
    ]
    assert query(
        master_path, "SELECT value FROM actual WHERE indicator_id = ?", (item.indicators[0].id,)
    ) == [(12.0,)]
    assert fk_problems(master_path) == []


def test_the_chain_comes_back_with_the_item(files):
    """The master removed a whole chapter; the copy's edit brings the chapter and the item back."""
    master_path, copy_path = files
    master = open_as(master_path, ("office", "PC-1"))
    chapter = master.load().plan.chapters[1]
    item = next(i for i in chapter.items if i.indicators)
    master.remove_row("chapter", chapter.id)
    copy = open_as(copy_path, ("dept", "PC-2"))
    copy.set_progress(item.id, 2, status="推进中", text="副本的进展")
    copy.close()
    preview = plan_merge(master, copy_path)
    (conflict,) = [c for c in preview.conflicts]
    assert conflict.kind == "deleted_here"
    apply_merge(master, preview, resolutions={conflict.key: "theirs"})  # 采用副本的值
    master.close()
    assert query(master_path, "SELECT count(*) FROM chapter WHERE id = ?", (chapter.id,)) == [(1,)]
    assert query(master_path, "SELECT text FROM progress WHERE item_id = ?", (item.id,)) == [
        ("副本的进展",)
    ]
    assert fk_problems(master_path) == []


def test_a_departments_return_after_the_master_removed_its_item(files, tmp_path):
    from jingan_desktop.storage.merge import export_department_file

    master_path, _ = files
    master = open_as(master_path, ("office", "PC-1"))
    items = [i for i in master.load().plan.items() if i.indicators]
    master.set_item_departments(items[1].id, lead="区商务委")
    master.set_item_departments(items[4].id, co=["区商务委"])
    target = export_department_file(master, "区商务委", tmp_path / "商务委填报.sqlite")
    master.remove_row("item", items[4].id)  # removed while the department fills its file in
    master.close()
    dept = open_as(target, ("商务委", "PC-9"))
    dept.set_actual(items[4].indicators[0].id, 2, 66.0)
    dept.close()
    assert merge(master_path, target, "--prefer", "theirs") == 0
    assert query(
        master_path, "SELECT value FROM actual WHERE indicator_id = ?", (items[4].indicators[0].id,)
    ) == [(66.0,)]
    assert query(master_path, "SELECT count(*) FROM item") == [(34,)]
    assert fk_problems(master_path) == []


# --- random three-copy cycles ----------------------------------------------------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from jingan_desktop.storage.database import StoreError  # noqa: E402
from jingan_desktop.storage.fields import ROW_TABLES  # noqa: E402

DEPARTMENTS = ["区数据局", "区商务委", "区新设局"]
edit_ops = st.one_of(
    st.tuples(st.sampled_from(["actual", "text", "target"]), st.integers(0, 7), st.integers(1, 9)),
    st.tuples(st.sampled_from(["remove_item", "remove_indicator", "add_item"]), st.integers(0, 7)),
    st.tuples(st.just("lead"), st.integers(0, 7), st.sampled_from(DEPARTMENTS)),
    st.tuples(st.just("co"), st.integers(0, 7), st.sampled_from(DEPARTMENTS)),
    st.tuples(st.just("drop_department"), st.sampled_from(DEPARTMENTS)),
)
rounds = st.lists(
    st.one_of(
        st.tuples(st.just("edit"), st.integers(0, 2), edit_ops),
        st.tuples(
            st.just("merge"),
            st.integers(0, 2),
            st.integers(0, 2),
            st.sampled_from(["ours", "theirs"]),
        ),
    ),
    max_size=14,
)


def normalised(path: Path) -> dict[str, set[tuple]]:
    """The data of a file with departments by name (their ids differ between copies that
    each typed the same department in)."""
    conn = sqlite3.connect(path)
    try:
        names = dict(conn.execute("SELECT id, name FROM department"))
        items = {
            (i, c, n, t, names.get(lead), tuple(sorted(names.get(d, "?") for d in json.loads(co))))
            for i, c, n, t, lead, co in conn.execute(
                "SELECT id, chapter_id, number, title, lead_department_id, co_department_ids FROM item"
            )
        }
        return {
            "department": set(conn.execute("SELECT name FROM department")),
            "item": items,
            "indicator": set(conn.execute("SELECT id, item_id, name, value FROM indicator")),
            "actual": set(conn.execute("SELECT id, indicator_id, quarter, value FROM actual")),
            "progress": set(conn.execute("SELECT id, item_id, quarter, text FROM progress")),
        }
    finally:
        conn.close()


def do_edit(store: Store, op: tuple, seq: int, made: list) -> None:
    data = store.load()
    items, indicators = data.plan.items(), data.plan.indicators()
    kind = op[0]
    try:
        if kind in ("actual", "text", "target"):
            if kind == "text":
                item = items[op[1] % len(items)]
                store.set_progress(item.id, 2, text=f"进展{op[2]}")
                made.append((seq, ("progress", pair_id(item.id, 2)), f"进展{op[2]}", (item.id,)))
                return
            ind = indicators[op[1] % len(indicators)]
            if kind == "actual":
                store.set_actual(ind.id, 2, float(op[2]))
                made.append((seq, ("actual", pair_id(ind.id, 2)), float(op[2]), (ind.id,)))
            else:
                store.update_field("indicator", ind.id, "value", float(op[2]))
                made.append((seq, ("indicator", ind.id), float(op[2]), (ind.id,)))
        elif kind == "remove_item":
            store.remove_row("item", items[op[1] % len(items)].id)
        elif kind == "remove_indicator":
            store.remove_row("indicator", indicators[op[1] % len(indicators)].id)
        elif kind == "add_item":
            chapter = data.plan.chapters[op[1] % len(data.plan.chapters)]
            store.add_item(chapter.id)
        elif kind == "lead":
            store.set_item_departments(items[op[1] % len(items)].id, lead=op[2])
        elif kind == "co":
            store.set_item_departments(items[op[1] % len(items)].id, co=[op[2]])
        elif kind == "drop_department":
            found = [d for d in data.departments if d.name == op[1]]
            if found:
                store.remove_department(found[0].id)
    except StoreError:
        pass  # an edit the clerk could not make either (e.g. on a removed row)


def current(path: Path, key: tuple[str, str]) -> object:
    tbl, row_id = key
    column = {"actual": "value", "progress": "text", "indicator": "value"}[tbl]
    found = query(path, f"SELECT {column} FROM {tbl} WHERE id = ?", (row_id,))
    return found[0][0] if found else None


def merge_once(files: list[Path], target: int, source: int, prefer: str, listed: set) -> None:
    store = open_as(files[target], (f"u{target}", f"PC-{target}"))
    try:
        preview = plan_merge(store, files[source])
        for conflict in [*preview.conflicts, *preview.skipped]:
            listed.add(conflict.change.row_id)
            listed.update(n.row_id for n in conflict.change.needs)
        apply_merge(store, preview, prefer=prefer, backup=False)  # type: ignore[arg-type]
    finally:
        store.close()


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=rounds)
def test_three_copies_merged_in_random_orders_converge(template_file, tmp_path_factory, steps):
    folder = tmp_path_factory.mktemp("three")
    files = [folder / f"{name}.sqlite" for name in "abc"]
    made, listed = play_steps(template_file, files, steps, do_edit, merge_once)
    # Everyone's work gathered in a, then a's state taken by b and c.
    for target, source, prefer in (
        (0, 1, "ours"),
        (0, 2, "ours"),
        (1, 0, "theirs"),
        (2, 0, "theirs"),
    ):
        merge_once(files, target, source, prefer, listed)
    final = [normalised(path) for path in files]
    assert final[0] == final[1] == final[2]
    for path in files:
        assert fk_problems(path) == []
        co = [json.loads(c) for (c,) in query(path, "SELECT co_department_ids FROM item")]
        ids = {i for (i,) in query(path, "SELECT id FROM department")}
        assert all(set(c) <= ids for c in co)  # no dangling co-department ids
    # Nothing dropped unless listed as a conflict, overwritten later, or removed with its row.
    rows = {tbl: {r[0] for r in rs} for tbl, rs in final[0].items() if tbl != "item"}
    item_ids = {r[0] for r in final[0]["item"]}
    for seq, key, value, owners in made:
        if current(files[0], key) == value:
            continue
        later = any(s > seq and k == key for s, k, _, _ in made)
        gone = any(o not in rows["indicator"] and o not in item_ids for o in owners)
        assert later or gone or key[1] in listed or any(o in listed for o in owners), (key, value)
    # Merging again changes nothing.
    before = [normalised(path) for path in files]
    merge_once(files, 1, 0, "ours", listed)
    merge_once(files, 0, 2, "ours", listed)
    assert [normalised(path) for path in files] == before


# --- 5. a department removed in a copy -------------------------------------------------------


def test_a_department_removed_in_a_copy_does_not_clear_newer_assignments(files, tmp_path, capsys):
    master_path, copy_path = files
    base = open_as(master_path, ("office", "PC-1"))
    items = base.load().plan.items()
    base.set_item_departments(items[0].id, lead="区商务委")
    (department,) = [d.id for d in base.departments() if d.name == "区商务委"]
    base.close()
    shutil.copyfile(master_path, copy_path)
    copy = open_as(copy_path, ("dept", "PC-2"))
    copy.remove_department(department)
    copy.close()
    master = open_as(master_path, ("office", "PC-1"))
    master.set_item_departments(items[5].id, lead="区商务委")  # the master's later use
    master.set_item_departments(items[6].id, co=["区商务委"])
    master.close()
    second = tmp_path / "master2.sqlite"
    shutil.copyfile(master_path, second)

    assert merge(master_path, copy_path) == 1
    out = capsys.readouterr().out
    assert (
        "CONFLICT (department_in_use) 副本中删除了此单位，但本文件此后仍在使用它：单位“区商务委”"
        in out
    )
    assert merge(master_path, copy_path, "--prefer", "ours") == 0
    assert query(master_path, "SELECT name FROM department WHERE id = ?", (department,)) == [
        ("区商务委",)
    ]
    assert query(
        master_path, "SELECT lead_department_id FROM item WHERE id = ?", (items[5].id,)
    ) == [(department,)]

    # Taking the copy's side removes it, and every item that loses it says so in the log.
    assert merge(second, copy_path, "--prefer", "theirs") == 0
    assert query(second, "SELECT count(*) FROM department WHERE id = ?", (department,)) == [(0,)]
    assert query(
        second,
        "SELECT lead_department_id, co_department_ids FROM item WHERE id IN (?, ?) ORDER BY number",
        (items[5].id, items[6].id),
    ) == [(None, "[]"), (None, "[]")]
    logged = query(
        second,
        "SELECT row_id, field FROM change_log WHERE source = 'merge' AND tbl = 'item' AND op = 'update'",
    )
    assert (items[5].id, "lead_department_id") in logged
    assert (items[6].id, "co_department_ids") in logged
    ids = {i for (i,) in query(second, "SELECT id FROM department")}
    assert all(
        set(json.loads(c)) <= ids for (c,) in query(second, "SELECT co_department_ids FROM item")
    )
    assert fk_problems(second) == []


def test_a_department_removed_here_comes_back_with_the_copys_assignment(files):
    master_path, copy_path = files
    base = open_as(master_path, ("office", "PC-1"))
    items = base.load().plan.items()
    base.add_department("区数据局")
    base.close()
    shutil.copyfile(master_path, copy_path)
    master = open_as(master_path, ("office", "PC-1"))
    (department,) = [d.id for d in master.departments() if d.name == "区数据局"]
    master.remove_department(department)
    copy = open_as(copy_path, ("dept", "PC-2"))
    copy.set_item_departments(items[3].id, lead="区数据局")  # the copy still uses it
    copy.close()
    preview = plan_merge(master, copy_path)
    (conflict,) = preview.conflicts
    assert conflict.kind == "deleted_here"
    assert conflict.change.description == "事项 4 的牵头单位：（无） → 区数据局"
    apply_merge(master, preview, prefer="theirs")
    master.close()
    assert query(
        master_path, "SELECT lead_department_id FROM item WHERE id = ?", (items[3].id,)
    ) == [(department,)]
    assert fk_problems(master_path) == []


# --- 6. a restore is not silently undone -------------------------------------------------------


def test_a_restore_is_respected_by_later_merges(files, capsys):
    from jingan_desktop.storage.backup import restore, take_backup

    master_path, copy_path = files
    master = open_as(master_path, ("office", "PC-1"))
    indicator = master.load().plan.indicators()[0]
    master.set_actual(indicator.id, 2, 100.0)
    good = take_backup(master.database, "manual")
    master.set_actual(indicator.id, 2, 999999.0)  # a typo …
    master.close()
    shutil.copyfile(master_path, copy_path)  # … that a copy took along
    master = open_as(master_path, ("office", "PC-1"))
    restore(master.database, good)  # 从备份恢复: 999999 → 100
    master.close()
    cell = pair_id(indicator.id, 2)
    assert query(master_path, "SELECT value FROM actual WHERE id = ?", (cell,)) == [(100.0,)]
    assert query(
        master_path,
        "SELECT old, new FROM change_log WHERE source = 'restore' AND row_id = ? AND field = 'value'",
        (cell,),
    ) == [("999999.0", "100.0")]
    # The history from before the restore is kept.
    assert query(master_path, "SELECT count(*) FROM change_log WHERE new = '999999.0'") == [(1,)]

    assert merge(master_path, copy_path) == 0
    assert query(master_path, "SELECT value FROM actual WHERE id = ?", (cell,)) == [(100.0,)]
    # A later change in the copy is a conflict with the restore, visible, never silent.
    copy = open_as(copy_path, ("dept", "PC-2"))
    copy.set_actual(indicator.id, 2, 999998.0)
    copy.close()
    capsys.readouterr()
    assert merge(master_path, copy_path) == 1
    assert "CONFLICT (field)" in capsys.readouterr().out
    assert query(master_path, "SELECT value FROM actual WHERE id = ?", (cell,)) == [(100.0,)]
    assert fk_problems(master_path) == []


# --- 7. the backup a message promises -----------------------------------------------------------


def test_the_pre_merge_backup_survives_a_clock_a_day_behind(files, monkeypatch, capsys):
    from datetime import datetime, timedelta

    from jingan_desktop.storage import backup
    from jingan_desktop.storage.backup import list_backups, take_backup

    master_path, copy_path = files
    master = open_as(master_path, ("office", "PC-1"))
    indicator = master.load().plan.indicators()[0]
    for value in range(backup.KEEP):  # twenty distinct backups by a PC with a good clock
        master.set_actual(indicator.id, 1, float(value))
        take_backup(master.database, "manual")
    master.close()
    copy = open_as(copy_path, ("dept", "PC-2"))
    copy.set_actual(indicator.id, 2, 5.0)
    copy.close()

    class DayBehind(datetime):
        @classmethod
        def now(cls, tz=None):
            return datetime.now(tz) - timedelta(days=1)

    monkeypatch.setattr(backup, "datetime", DayBehind)
    assert merge(master_path, copy_path) == 0
    assert "a backup was taken first" in capsys.readouterr().out
    backups = list_backups(master_path)
    assert backups[0].reason == "merge" and backups[0].path.exists()  # newest by creation order
    assert len(backups) == backup.KEEP
    # The promised backup holds the master as it was before the merge.
    assert query(backups[0].path, "SELECT count(*) FROM actual WHERE quarter = 2") == [(0,)]


def test_identical_backups_do_not_push_out_distinct_older_ones(plan_file):
    from jingan_desktop.storage.backup import KEEP, list_backups, take_backup

    store = open_as(plan_file, ("office", "PC-1"))
    indicator = store.load().plan.indicators()[0]
    distinct = []
    for value in (1.0, 2.0, 3.0):
        store.set_actual(indicator.id, 1, value)
        distinct.append(take_backup(store.database, "manual"))
    for _ in range(KEEP + 5):  # e.g. a merge retried again and again
        promised = take_backup(store.database, "merge")
        assert promised.exists()
    store.close()
    backups = list_backups(plan_file)
    assert [b.path for b in backups[1:]] == [distinct[1], distinct[0]]
    assert backups[0].path == promised and len(backups) == 3


# --- 8. a department file carries only that department ----------------------------------------


def test_a_department_file_holds_only_that_departments_rows_and_history(files, tmp_path):
    from jingan_desktop.storage.merge import export_department_file

    master_path, _ = files
    master = open_as(master_path, ("office", "PC-1"))
    data = master.load()
    items = data.plan.items()
    mine, shared, other = items[1], items[5], items[9]
    master.set_item_departments(mine.id, lead="区商务委")
    master.set_item_departments(shared.id, lead="区财政局", co=["区商务委"])
    master.set_item_departments(other.id, lead="区卫健委")
    master.set_progress(mine.id, 1, text="商务委一季度进展")
    master.set_progress(other.id, 1, text="卫健委机密进展甲乙丙")
    master.set_progress(other.id, 1, text="卫健委机密进展第二稿")
    master.set_actual(
        other.indicators[0].id if other.indicators else items[10].indicators[0].id, 1, 31415.0
    )
    from jingan_desktop.plan.progress import quarter_snapshot

    master.set_quarter_locked(data.plan.id, 1, True, quarter_snapshot(master.load(), 1))
    source_text = master.load().plan.source_text
    target = export_department_file(master, "区商务委", tmp_path / "商务委填报.sqlite")
    master.close()

    raw = target.read_bytes()
    assert "卫健委机密进展".encode() not in raw  # nowhere, not even in free pages
    assert source_text[200:260].encode() not in raw
    assert query(target, "SELECT id FROM item ORDER BY number") == [(mine.id,), (shared.id,)]
    assert query(target, "SELECT source_text FROM plan") == [("",)]
    assert {n for (n,) in query(target, "SELECT name FROM department")} == {"区商务委", "区财政局"}
    rows = set()
    for table in ROW_TABLES:
        rows.update(r for (r,) in query(target, f"SELECT id FROM {table}"))
    logged = {r for (r,) in query(target, "SELECT DISTINCT row_id FROM change_log")}
    assert logged <= rows  # the history of its own rows only
    assert (mine.id,) in query(target, "SELECT row_id FROM change_log WHERE tbl = 'item'")
    assert query(
        target, "SELECT count(*) FROM change_log WHERE new LIKE '%31415%' OR old LIKE '%31415%'"
    ) == [(0,)]
    (snapshot,) = query(target, "SELECT snapshot FROM quarter_lock WHERE quarter = 1")[0]
    assert set(json.loads(snapshot)["progress"]) <= {mine.id, shared.id}
    assert fk_problems(target) == []

    # Its return still merges, and the master keeps everything the file left out.
    dept = open_as(target, ("商务委", "PC-9"))
    dept.set_progress(mine.id, 2, text="商务委二季度进展")
    dept.close()
    assert merge(master_path, target) == 0
    assert query(master_path, "SELECT count(*) FROM item") == [(34,)]
    assert query(master_path, "SELECT length(source_text) > 0 FROM plan") == [(1,)]
    assert query(
        master_path, "SELECT text FROM progress WHERE item_id = ? AND quarter = 2", (mine.id,)
    ) == [("商务委二季度进展",)]
    assert query(
        master_path, "SELECT text FROM progress WHERE item_id = ? AND quarter = 1", (other.id,)
    ) == [("卫健委机密进展第二稿",)]


# --- 9. items both sides added; previews that name things ---------------------------------------


def test_items_both_sides_added_at_the_end_of_a_chapter_get_their_own_numbers(files, capsys):
    master_path, copy_path = files
    master = open_as(master_path, ("office", "PC-1"))
    chapter = master.load().plan.chapters[-1]
    master.add_item(chapter.id, title="本方新增事项")
    master.close()
    copy = open_as(copy_path, ("dept", "PC-2"))
    copy.add_item(chapter.id, title="副本新增事项")
    copy.close()

    assert merge(master_path, copy_path) == 0
    out = capsys.readouterr().out
    assert "双方都新增了事项 35：副本新增的事项 35“副本新增事项”改为事项 36，排在本章最后" in out
    numbers = dict(
        query(master_path, "SELECT title, number FROM item WHERE title LIKE '%新增事项'")
    )
    assert numbers == {"本方新增事项": 35, "副本新增事项": 36}
    assert query(master_path, "SELECT count(DISTINCT number), count(*) FROM item") == [(36, 36)]
    positions = query(
        master_path,
        "SELECT position FROM item WHERE chapter_id = ? ORDER BY position",
        (chapter.id,),
    )
    assert len({p for (p,) in positions}) == len(positions)
    # The copy taking the master back ends with the same numbers.
    assert merge(copy_path, master_path) == 0
    assert (
        dict(query(copy_path, "SELECT title, number FROM item WHERE title LIKE '%新增事项'"))
        == numbers
    )


def test_previews_name_things_in_chinese(files, capsys):
    import re

    master_path, copy_path = files
    master = open_as(master_path, ("office", "PC-1"))
    items = master.load().plan.items()
    master.set_item_departments(items[11].id, lead="区商务委")
    master.close()
    shutil.copyfile(master_path, copy_path)
    copy = open_as(copy_path, ("dept", "PC-2"))
    copy.set_item_departments(items[11].id, lead="区数据局")
    indicator = items[1].indicators[0]
    copy.set_actual(indicator.id, 2, 4.2)
    copy.close()
    master = open_as(master_path, ("office", "PC-1"))
    master.set_actual(indicator.id, 2, 3.9)
    master.close()

    assert merge(master_path, copy_path, "--dry-run") == 0
    out = capsys.readouterr().out
    assert "  事项 12 的牵头单位：区商务委 → 区数据局" in out
    assert (
        f"CONFLICT (field) 双方都修改了此项：指标“{indicator.name}”（事项 2）的第二季度实际值（本文件：3.9；副本：4.2）"
        in out
    )
    assert "新增 单位“区数据局”" in out
    assert not re.search(r"[0-9a-f]{8}-[0-9a-f]{4}-", out)  # no UUIDs
    assert "lead_department_id" not in out


def test_the_merge_dialog_shows_the_same_words(qtbot, window, tmp_path, messages, monkeypatch):
    from jingan_desktop.qt.dialogs.merge_preview import MergeDialog

    master = window.workspace.store
    items = master.load().plan.items()
    master.set_item_departments(items[11].id, lead="区商务委")
    copy_path = tmp_path / "stick.sqlite"
    master.database.backup_to(copy_path)
    copy = open_as(copy_path, ("dept", "PC-2"))
    copy.set_item_departments(items[11].id, lead="区数据局")
    copy.close()
    preview = plan_merge(master, copy_path)
    dialog = MergeDialog(preview)
    qtbot.addWidget(dialog)
    texts = [dialog.changes.item(r, 0).text() for r in range(dialog.changes.rowCount())]
    assert "事项 12 的牵头单位：区商务委 → 区数据局" in texts
    row = texts.index("事项 12 的牵头单位：区商务委 → 区数据局")
    assert [dialog.changes.item(row, c).text() for c in (1, 2, 3)] == [
        "修改",
        "区商务委",
        "区数据局",
    ]


def test_check_flags_items_sharing_a_number(plan_file, capsys):
    conn = sqlite3.connect(plan_file)
    conn.execute("UPDATE item SET number = 35 WHERE number IN (33, 34)")
    conn.commit()
    conn.close()
    assert check(plan_file) == 0
    out = capsys.readouterr().out
    assert "note: 2022年计划中有 2 个事项都编号为 35：" in out


def test_a_rename_to_a_name_another_department_has_is_held_back_not_a_crash(files, capsys):
    master_path, copy_path = files
    base = open_as(master_path, ("office", "PC-1"))
    base.add_department("区经委")
    base.add_department("区商务委")
    base.close()
    shutil.copyfile(master_path, copy_path)
    copy = open_as(copy_path, ("dept", "PC-2"))
    (economy,) = [d.id for d in copy.departments() if d.name == "区经委"]
    copy.remove_department(next(d.id for d in copy.departments() if d.name == "区商务委"))
    copy.rename_department(economy, "区商务委")  # the copy merged two departments by hand
    indicator = copy.load().plan.indicators()[0]
    copy.set_actual(indicator.id, 2, 8.0)
    copy.close()
    master = open_as(master_path, ("office", "PC-1"))
    items = master.load().plan.items()
    master.set_item_departments(items[0].id, lead="区商务委")  # still in use here
    master.close()

    assert merge(master_path, copy_path, "--prefer", "ours") == 0  # used to: UNIQUE failed
    out = capsys.readouterr().out
    assert (
        "NOT MERGED 本文件中已有同名单位，未改名：单位“区经委”的名称（本文件：区经委；副本：区商务委）"
        in out
    )
    assert query(
        master_path, "SELECT value FROM actual WHERE indicator_id = ?", (indicator.id,)
    ) == [(8.0,)]
    assert sorted(n for (n,) in query(master_path, "SELECT name FROM department")) == [
        "区商务委",
        "区经委",
    ]
