"""Merges that used to lose or block work (issue 10 §1), driven the way a clerk does it: the
``merge`` command or the functions the 合并副本 dialog calls, the files checked afterwards
with plain sqlite3."""

from __future__ import annotations

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
