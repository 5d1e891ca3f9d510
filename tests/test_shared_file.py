"""The shared file: presence, another clerk's commits, unsaved edits, merging, backups."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox

from jingan_desktop.qt.application import create_application, settings
from jingan_desktop.qt.dialogs.merge_preview import MergeDialog
from jingan_desktop.qt.dialogs.restore_backup import RestoreDialog
from jingan_desktop.qt.main_window import MainWindow
from jingan_desktop.qt.views.tree_model import PlanTreeModel
from jingan_desktop.storage.backup import (
    daily_backup_due,
    list_backups,
    newest_good_backup,
    restore,
    take_backup,
)
from jingan_desktop.storage.presence import STALE_SECONDS, PresenceBoard, presence_dir
from jingan_desktop.storage.store import Store, pair_id


def open_window(qtbot, path: Path, quarter: int = 2) -> MainWindow:
    create_application()
    window = MainWindow(settings())
    qtbot.addWidget(window)
    assert window.open_path(path, quarter=quarter)
    window.show()
    return window


def first_indicator(window: MainWindow, item_number: int = 2) -> str:
    item = next(i for i in window.workspace.items.values() if i.number == item_number)
    return item.indicators[0].id


def stored_actual(path: Path, ind_id: str, quarter: int = 2):
    with sqlite3.connect(path) as conn:
        row = conn.execute(
            "SELECT value FROM actual WHERE id = ?", (pair_id(ind_id, quarter),)
        ).fetchone()
    return row[0] if row else None


# --- core: presence and backups ---------------------------------------------------------------


def test_presence_shows_others_and_ignores_stale_entries(tmp_path):
    db = tmp_path / "plan.sqlite"
    db.write_bytes(b"")
    me = PresenceBoard(db, "张三", "PC-01", pid=1)
    other = PresenceBoard(db, "李四", "PC-02", pid=2)
    assert me.announce() and other.announce()
    (seen,) = me.others()
    assert (seen.user, seen.machine) == ("李四", "PC-02")
    assert "李四（PC-02" in seen.label
    later = datetime.now(UTC) + timedelta(seconds=STALE_SECONDS + 5)
    assert me.others(now=later) == []  # not refreshed for too long: ignored …
    assert not other.entry.exists()  # … and tidied away
    junk = presence_dir(db) / "junk.json"
    junk.write_text("{not json", encoding="utf-8")
    assert me.others() == []  # a half-written or foreign entry is ignored
    junk.unlink()
    me.withdraw()
    assert not presence_dir(db).exists()  # the last one out removes the folder


def test_an_app_killed_on_this_pc_is_not_shown_as_still_open(tmp_path):
    """A clerk's app that was killed (or crashed) on this very PC is not "同时打开" for the
    two minutes its entry would take to age out: its process is gone."""
    db = tmp_path / "plan.sqlite"
    db.write_bytes(b"")
    finished = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    gone = PresenceBoard(db, "张三", "PC-01", pid=int(finished.stdout))
    running = subprocess.Popen(
        [sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE
    )
    try:
        alive = PresenceBoard(db, "张三", "PC-01", pid=running.pid)
        elsewhere = PresenceBoard(db, "李四", "PC-02", pid=int(finished.stdout))
        assert gone.announce() and alive.announce() and elsewhere.announce()
        me = PresenceBoard(db, "张三", "PC-01", pid=os.getpid())
        seen = {(p.machine, p.pid) for p in me.others()}
        # the other PC's entry cannot be checked from here: it stays until it ages out
        assert seen == {("PC-01", running.pid), ("PC-02", int(finished.stdout))}
        assert not gone.entry.exists()  # tidied away
    finally:
        running.stdin.close()
        running.wait()


def test_presence_in_a_read_only_folder_fails_quietly(tmp_path, monkeypatch):
    board = PresenceBoard(tmp_path / "x.sqlite", "u", "m")
    monkeypatch.setattr(Path, "mkdir", lambda *a, **k: (_ for _ in ()).throw(PermissionError("ro")))
    assert board.announce() is False
    assert board.others() == []


def test_backups_are_kept_listed_and_restored(plan_file):
    store = Store.open(plan_file)
    ind = store.load().plan.indicators()[0].id
    assert daily_backup_due(plan_file)
    first = take_backup(store.database, "daily")
    assert not daily_backup_due(plan_file)
    for value in (7.0, 8.0, 9.0):  # three distinct states (identical ones replace each other)
        store.set_actual(ind, 2, value)
        take_backup(store.database, "manual", keep=3)
    backups = list_backups(plan_file)
    assert len(backups) == 3 and first not in [b.path for b in backups]  # pruned to the newest 3
    assert newest_good_backup(plan_file).path == backups[0].path
    store.set_actual(ind, 2, 11.0)
    safety = restore(store.database, backups[0].path)
    assert store.load().actual(ind, 2).value == 9.0
    assert Store.open(safety, readonly=True).load().actual(ind, 2).value == 11.0
    store.close()


def test_backups_are_read_by_the_time_in_their_names_and_stray_names_are_left_out(plan_file):
    store = Store.open(plan_file)
    taken = take_backup(store.database, "manual")
    store.close()
    folder = taken.parent
    stem = plan_file.stem
    for stray in (  # not a real time, or not a backup's name at all
        f"{stem}-n000009-20221399-101010-000000-manual.sqlite",
        f"{stem}-n000009-20220631-250000-000000-daily.sqlite",
        f"{stem}-copy.sqlite",
    ):
        shutil.copy(taken, folder / stray)
    shutil.copy(taken, folder / f"{stem}-n000002-20220630-154501-123456-daily.sqlite")
    backups = list_backups(plan_file)
    newest = f"{stem}-n000002-20220630-154501-123456-daily.sqlite"
    assert backups[0].path.name == newest
    assert backups[0].taken_at == datetime(2022, 6, 30, 15, 45, 1, 123456)
    assert backups[0].label.startswith("2022-06-30 15:45:01")
    assert [b.path for b in backups][1:] == [taken]


# --- the window ---------------------------------------------------------------------------------


def test_another_clerks_commit_shows_up_keeping_the_selection(qtbot, plan_file, messages):
    window = open_window(qtbot, plan_file)
    ind = first_indicator(window)
    window.tree.expandAll()
    assert window.select_row(ind)
    other = Store.open(plan_file)
    other.actor = ("李四", "PC-02")
    other.set_actual(ind, 2, 6100.0)
    assert window.shared_file.watcher.poll() is True
    assert window.model.index_of(ind, PlanTreeModel.COL_ACTUAL).data() == "6100"
    assert window.tree.currentIndex().data(PlanTreeModel.RowIdRole) == ind
    assert "其他用户" in window.statusBar().currentMessage()
    assert window.shared_file.watcher.poll() is False  # nothing new since
    # A structural change elsewhere rebuilds the tree, still keeping the selection.
    chapter = window.workspace.plan.chapters[0].id
    other.add_item(chapter)
    other.close()
    assert window.shared_file.watcher.poll() is True
    assert len(window.workspace.plan.chapters[0].items) == 7
    assert window.tree.currentIndex().data(PlanTreeModel.RowIdRole) == ind


def test_presence_of_another_clerk_is_shown(qtbot, plan_file, messages):
    window = open_window(qtbot, plan_file)
    assert not window.presence_label.isVisible()
    PresenceBoard(plan_file, "李四", "PC-02", pid=4242).announce()
    window.shared_file.watcher.refresh_presence()
    assert window.presence_label.isVisible()
    assert "李四" in window.presence_label.text()
    own = list(presence_dir(plan_file).glob("*.json"))
    assert len(own) == 2  # ours and theirs
    window.close()
    assert len(list(presence_dir(plan_file).glob("*.json"))) == 1


def test_an_edit_the_file_did_not_take_is_kept_and_retried(qtbot, plan_file, messages):
    window = open_window(qtbot, plan_file)
    ind = first_indicator(window)
    window.workspace.store.database.conn.execute("PRAGMA busy_timeout = 50")
    window.workspace.store.database.busy_retries = 1
    blocker = sqlite3.connect(plan_file, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # another clerk is saving
    index = window.model.index_of(ind, PlanTreeModel.COL_ACTUAL)
    assert window.model.setData(index, "5000") is False
    QApplication.processEvents()
    assert any("另一位用户正在保存" in m for m in messages)
    assert window.pending_button.isVisible() and "1 项修改未保存" in window.pending_button.text()
    assert index.data() == "5000"  # still shown as typed …
    assert stored_actual(plan_file, ind) is None  # … but honestly not saved
    blocker.execute("ROLLBACK")
    blocker.close()
    window.pending_button.click()
    assert stored_actual(plan_file, ind) == 5000
    assert not window.pending_button.isVisible()
    assert window.act_undo.text() == "撤销 修改实际值"


def test_merge_a_copy_from_the_menu(qtbot, plan_file, tmp_path, messages, monkeypatch):
    window = open_window(qtbot, plan_file)
    ind = first_indicator(window)
    copy_path = tmp_path / "u盘副本.sqlite"
    window.workspace.store.database.backup_to(copy_path)
    copy = Store.open(copy_path)
    copy.set_actual(ind, 2, 4500.0)
    copy.close()
    shown = {}

    def accept(dialog: MergeDialog) -> int:
        shown["changes"] = dialog.changes.rowCount()
        shown["first"] = dialog.changes.item(0, 0).text()
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(MergeDialog, "exec", accept)
    assert window.shared_file.merge_from(copy_path)
    assert shown == {"changes": 1, "first": "新增 指标“新增注册企业”（事项 2）的第二季度实际值"}
    assert window.model.index_of(ind, PlanTreeModel.COL_ACTUAL).data() == "4500"
    assert stored_actual(plan_file, ind) == 4500
    assert [b.reason for b in list_backups(plan_file)][:1] == ["merge"]
    assert window.shared_file.merge_from(copy_path)  # again: nothing to do
    assert any("没有新的修改" in m for m in messages)


def test_restore_a_backup_from_the_menu(qtbot, plan_file, messages, monkeypatch):
    window = open_window(qtbot, plan_file)
    ind = first_indicator(window)
    qtbot.waitUntil(lambda: [b.reason for b in list_backups(plan_file)] == ["daily"], timeout=5000)
    window.workspace.apply(window.workspace.make_edit("actual", ind, "value", 77.0))
    monkeypatch.setattr(RestoreDialog, "exec", lambda self: QDialog.DialogCode.Accepted)
    window.shared_file.restore_backup()
    assert window.model.index_of(ind, PlanTreeModel.COL_ACTUAL).data() == ""
    assert stored_actual(plan_file, ind) is None
    reasons = sorted(b.reason for b in list_backups(plan_file))
    assert reasons == ["daily", "restore"]


def test_a_damaged_file_offers_the_newest_good_backup(qtbot, plan_file, messages):
    store = Store.open(plan_file)
    take_backup(store.database, "manual")
    store.close()
    data = bytearray(plan_file.read_bytes())
    page = 4096
    data[page * 3 : page * 3 + 200] = b"\xff" * 200  # scribble over a b-tree page
    plan_file.write_bytes(bytes(data))
    damaged = bytes(data)
    window = open_window(qtbot, plan_file)
    assert window.workspace is not None and len(window.workspace.items) == 34
    aside = list(plan_file.parent.glob("plan.damaged-*.sqlite"))
    assert len(aside) == 1 and aside[0].read_bytes() == damaged  # kept, never written


def test_a_file_with_a_damaged_index_offers_the_newest_good_backup(qtbot, plan_file, messages):
    """Damage quick_check misses (an index pointing at the wrong row): the full check on
    open refuses the file, the window offers the backup and keeps the damaged file aside."""
    from bench.proofs.common import damage_an_index

    store = Store.open(plan_file)
    take_backup(store.database, "manual")
    store.close()
    damage_an_index(plan_file)
    damaged = plan_file.read_bytes()
    window = open_window(qtbot, plan_file)
    assert window.workspace is not None and len(window.workspace.items) == 34
    aside = list(plan_file.parent.glob("plan.damaged-*.sqlite"))
    assert len(aside) == 1 and aside[0].read_bytes() == damaged  # kept, never written
    conn = sqlite3.connect(plan_file)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    finally:
        conn.close()


def test_department_file_shows_its_banner(qtbot, plan_file, tmp_path, messages):
    from jingan_desktop.storage.merge import export_department_file

    store = Store.open(plan_file)
    item = store.load().plan.items()[1]
    store.set_item_departments(item.id, lead="区商务委")
    target = export_department_file(store, "区商务委", tmp_path / "dept.sqlite")
    store.close()
    window = open_window(qtbot, target)
    assert window.scope_banner.isVisible() and "区商务委" in window.scope_banner.text()
    assert window.model.rowCount() == 1


WINDOWS = sys.platform == "win32"


@pytest.mark.skipif(
    WINDOWS,
    reason="Windows keeps an open file from being deleted or replaced (next test); there it "
    "vanishes only with its drive (a stick pulled, a share gone), which a test cannot do",
)
@pytest.mark.parametrize("mode", ["delete", "replace"])
def test_file_gone_while_open_is_reported_not_saved(qtbot, plan_file, messages, mode):
    window = open_window(qtbot, plan_file)
    ind = first_indicator(window)
    plan_file.unlink()
    if mode == "replace":
        shutil.copyfile(Path(__file__), plan_file)
    index = window.model.index_of(ind, PlanTreeModel.COL_ACTUAL)
    assert window.model.setData(index, "123") is False
    QApplication.processEvents()
    assert any("不存在或无法访问" in m for m in messages)
    assert window.pending_button.isVisible()  # kept to retry once the stick is back
    assert index.data() == "123"


@pytest.mark.skipif(not WINDOWS, reason="POSIX lets another program delete or replace an open file")
@pytest.mark.parametrize("mode", ["delete", "replace"])
def test_windows_keeps_the_open_file_from_being_deleted_or_replaced(
    qtbot, plan_file, messages, mode, tmp_path
):
    """While the app has the plan file open, Explorer or a sync tool cannot delete it or put
    another file in its place (a sharing violation: "the file is open in another program"),
    so the clerk's edits keep going into the real file."""
    window = open_window(qtbot, plan_file)
    ind = first_indicator(window)
    stranger = tmp_path / "stranger.sqlite"
    shutil.copyfile(Path(__file__), stranger)
    with pytest.raises(PermissionError):
        if mode == "delete":
            plan_file.unlink()
        else:
            os.replace(stranger, plan_file)
    index = window.model.index_of(ind, PlanTreeModel.COL_ACTUAL)
    assert window.model.setData(index, "123") is True
    QApplication.processEvents()
    assert messages == []
    assert not window.pending_button.isVisible()
    assert stored_actual(plan_file, ind) == 123


def test_restore_dialog_lists_backups(qtbot, plan_file):
    store = Store.open(plan_file)
    take_backup(store.database, "manual")
    store.close()
    dialog = RestoreDialog(plan_file)
    qtbot.addWidget(dialog)
    assert dialog.list.count() == 1 and "手动备份" in dialog.list.item(0).text()
    assert dialog.chosen() is not None
    assert dialog.list.item(0).data(Qt.ItemDataRole.UserRole).endswith(".sqlite")


def test_banners_show_user_text_as_plain_text(qtbot, plan_file, tmp_path, messages):
    from jingan_desktop.storage.merge import export_department_file

    store = Store.open(plan_file)
    item = store.load().plan.items()[1]
    store.set_item_departments(item.id, lead="<b>商务委</b>")
    target = export_department_file(store, "<b>商务委</b>", tmp_path / "dept.sqlite")
    store.close()
    window = open_window(qtbot, target)
    assert "<b>商务委</b>" in window.scope_banner.text()
    assert window.scope_banner.textFormat() == Qt.TextFormat.PlainText


def test_full_check_finds_a_damaged_index_that_quick_check_misses(plan_file, tmp_path):
    from jingan_desktop.storage.backup import full_check

    assert full_check(plan_file) == []
    damaged = tmp_path / "damaged.sqlite"
    shutil.copyfile(plan_file, damaged)
    conn = sqlite3.connect(damaged)
    conn.execute("PRAGMA writable_schema = ON")
    # Make the index on chapter(plan_id, position) disagree with its table: an index page
    # that is structurally fine but holds the wrong keys.
    conn.execute(
        "UPDATE sqlite_master SET sql = replace(sql, 'position', 'numeral') WHERE name = 'chapter_plan'"
    )
    conn.commit()
    conn.close()
    problems = full_check(damaged)
    assert problems, "integrity_check should report the index that no longer matches"


def test_daily_backup_and_its_check_run_beside_the_clerk(qtbot, plan_file, monkeypatch):
    """The daily copy and integrity check run on their own thread and connection: the clerk
    edits meanwhile, the edit is saved, and damage found by the check is reported.

    A file damaged before it is opened is refused on open (every open runs integrity_check);
    the daily check is for damage that arises while it is open, so here the check of the copy
    is answered from a copy whose index was damaged meanwhile."""
    import threading

    from jingan_desktop.qt.controllers import shared_file
    from jingan_desktop.storage import backup as backup_module

    damaged = plan_file.with_name("damaged-meanwhile.sqlite")
    shutil.copyfile(plan_file, damaged)
    conn = sqlite3.connect(damaged)  # an index that disagrees with its table (see above)
    conn.execute("PRAGMA writable_schema = ON")
    conn.execute(
        "UPDATE sqlite_master SET sql = replace(sql, 'lead_department_id', 'title')"
        " WHERE name = 'item_lead'"
    )
    conn.commit()
    conn.close()
    checked_on: list[threading.Thread] = []

    def full_check(path: Path) -> list[str]:
        checked_on.append(threading.current_thread())
        assert path != plan_file  # the check reads the copy, never the open file
        return backup_module.full_check(damaged)

    warnings: list[str] = []
    monkeypatch.setattr(shared_file, "full_check", full_check)
    monkeypatch.setattr(QMessageBox, "warning", lambda _parent, title, text: warnings.append(text))
    window = open_window(qtbot, plan_file)
    ind = first_indicator(window)
    window.workspace.apply(window.workspace.make_edit("actual", ind, "value", 12.0))
    qtbot.waitUntil(lambda: bool(warnings), timeout=20000)
    assert "每日检查发现" in warnings[0]
    assert checked_on and checked_on[0] is not threading.main_thread()
    assert [b.reason for b in list_backups(plan_file)] == ["daily"]
    window.workspace.apply(window.workspace.make_edit("actual", ind, "value", 13.0))
    assert stored_actual(plan_file, ind) == 13.0


def test_a_big_file_damaged_before_it_is_opened_is_flagged_once_shown(
    qtbot, plan_file, messages, monkeypatch
):
    """A big file is shown before its integrity check ends (the check runs on its own thread
    and connection): damage it finds is reported, the newest good backup is put in place and
    the damaged file is kept aside, never written."""
    from bench.proofs.common import damage_an_index
    from jingan_desktop.storage import database

    monkeypatch.setattr(database, "FULL_CHECK_BYTES", 0)  # every file counts as big here
    store = Store.open(plan_file)
    take_backup(store.database, "manual")
    store.close()
    damage_an_index(plan_file)
    damaged = plan_file.read_bytes()
    window = open_window(qtbot, plan_file)  # shown, not refused: the check has not ended
    qtbot.waitUntil(
        lambda: bool(list(plan_file.parent.glob("plan.damaged-*.sqlite"))), timeout=20000
    )
    (aside,) = plan_file.parent.glob("plan.damaged-*.sqlite")
    assert aside.read_bytes() == damaged
    assert window.workspace is not None and len(window.workspace.items) == 34
    assert window.workspace.store.path == plan_file
    with sqlite3.connect(plan_file) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]


def test_a_big_damaged_file_without_a_backup_is_flagged_and_never_written(
    qtbot, plan_file, messages, monkeypatch
):
    from bench.proofs.common import damage_an_index
    from jingan_desktop.storage import database

    monkeypatch.setattr(database, "FULL_CHECK_BYTES", 0)
    damage_an_index(plan_file)
    damaged = plan_file.read_bytes()
    window = open_window(qtbot, plan_file)
    qtbot.waitUntil(lambda: any("已损坏" in m for m in messages), timeout=20000)
    assert window.readonly_banner.isVisibleTo(window)
    assert "已损坏" in window.readonly_banner.text()
    messages.clear()
    index = window.model.index_of(first_indicator(window), PlanTreeModel.COL_ACTUAL)
    window.model.setData(index, "123")
    QApplication.processEvents()
    assert any("已损坏" in m for m in messages)  # the edit is refused, and said so
    assert plan_file.read_bytes() == damaged
