"""Merges that used to lose or block work (issue 10 §1), driven the way a clerk does it: the
``merge`` command or the functions the 合并副本 dialog calls, the files checked afterwards
with plain sqlite3."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from jingan_desktop.cli import main
from jingan_desktop.storage.merge import StalePreviewError, apply_merge, plan_merge
from jingan_desktop.storage.store import Store, pair_id


def open_as(path: Path, actor: tuple[str, str]) -> Store:
    store = Store.open(path)
    store.actor = actor
    return store


@pytest.fixture
def files(tmp_path: Path, template_file: Path) -> tuple[Path, Path]:
    """The master and a copy of it taken to another PC (same content, same file id)."""
    master = tmp_path / "master" / "plan.sqlite"
    copy = tmp_path / "stick" / "plan.sqlite"
    for path in (master, copy):
        path.parent.mkdir()
        shutil.copyfile(template_file, path)
    return master, copy


def merge(master: Path, copy: Path, *extra: str) -> int:
    return main(["merge", "--db", str(master), "--from", str(copy), *extra])


def query(path: Path, sql: str, params: tuple = ()) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


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
