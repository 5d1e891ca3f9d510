"""The window on a plan file on a network share: the mode indicator, debounced syncs and
conflicts the clerk decides (the share is a temporary folder in forced network mode)."""

from __future__ import annotations

import shutil
import sqlite3
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog, QLabel, QLineEdit

from jingan_desktop.qt.application import create_application, settings
from jingan_desktop.qt.controllers import share_sync
from jingan_desktop.qt.dialogs.share_conflicts import ShareConflictDialog
from jingan_desktop.qt.main_window import MainWindow
from jingan_desktop.qt.views.tree_model import PlanTreeModel
from jingan_desktop.storage.store import pair_id
from jingan_desktop.storage.sync import ShareSession


def shared_actual(master: Path, ind_id: str, quarter: int = 2):
    with sqlite3.connect(f"file:{master}?mode=ro", uri=True) as conn:
        row = conn.execute(
            "SELECT value FROM actual WHERE id = ?", (pair_id(ind_id, quarter),)
        ).fetchone()
    return row[0] if row else None


def type_figure(qtbot, window: MainWindow, ind_id: str, keys: str) -> None:
    assert window.select_row(ind_id)
    index = window.tree.currentIndex().siblingAtColumn(PlanTreeModel.COL_ACTUAL)
    window.tree.setCurrentIndex(index)
    window.tree.edit(index)
    editor = window.tree.focusWidget()
    assert isinstance(editor, QLineEdit)
    qtbot.keyClicks(editor, keys)
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    QApplication.processEvents()
    QApplication.processEvents()


@pytest.fixture
def master(tmp_path: Path, template_file: Path, monkeypatch) -> Path:
    monkeypatch.setenv("JINGAN_SHARE_MODE", "replica")
    folder = tmp_path / "share"
    folder.mkdir()
    path = folder / "plan.sqlite"
    shutil.copyfile(template_file, path)
    return path


@pytest.fixture
def share_window(qtbot, master, messages):
    create_application()
    win = MainWindow(settings())
    qtbot.addWidget(win)
    assert win.open_path(master, quarter=2)
    win.show()
    qtbot.waitExposed(win)
    assert win.share_sync.session is not None
    win.share_sync.stop()  # the test dictates when syncs run
    win.share_sync.sync_now()
    return win


def status(window: MainWindow) -> str:
    return window.findChild(QLabel, "share-status").text()


def first_indicator(window: MainWindow) -> str:
    item = next(i for i in window.workspace.items.values() if i.number == 2)
    return item.indicators[0].id


def test_an_edit_is_pending_on_this_pc_until_the_sync_publishes_it(qtbot, share_window, master):
    window = share_window
    assert "网络共享：本机副本，0 项待同步，最后同步" in status(window)
    assert "持有者 无" in status(window)
    assert "网络共享 · 本机副本" in window.windowTitle() and master.name in window.windowTitle()
    presence = master.parent / f".{master.name}.presence"
    assert len(list(presence.glob("*.json"))) == 1  # other clerks see this PC beside the master
    before = master.read_bytes()
    ind = first_indicator(window)
    type_figure(qtbot, window, ind, "5200")
    assert "1 项待同步" in status(window)
    assert master.read_bytes() == before  # saved on this PC only, shown as such
    assert window.share_sync.debounce.isActive()  # a sync is due once the clerk pauses
    window.share_sync.debounce.stop()
    result = window.share_sync.sync_now()
    assert result.ok
    assert "0 项待同步" in status(window)
    assert shared_actual(master, ind) == 5200


def test_a_file_on_a_local_disk_is_opened_directly(window, monkeypatch):
    assert window.share_sync.session is None
    assert not window.findChild(QLabel, "share-status").isVisible()


def test_another_pcs_change_is_taken_in_and_shown(qtbot, share_window, master, tmp_path):
    window = share_window
    ind = first_indicator(window)
    other = ShareSession.open(master, data_folder=tmp_path / "other", actor=("bob", "pc-bob"))
    other.store.set_actual(ind, 2, 777)
    assert other.sync().ok
    other.close()
    window.share_sync.sync_now()
    assert window.model.index_of(ind, PlanTreeModel.COL_ACTUAL).data() == "777"


def test_a_conflict_is_asked_and_nothing_is_published_until_decided(
    qtbot, share_window, master, tmp_path, monkeypatch
):
    window = share_window
    ind = first_indicator(window)
    other = ShareSession.open(master, data_folder=tmp_path / "other", actor=("bob", "pc-bob"))
    other.store.set_actual(ind, 2, 777)
    assert other.sync().ok
    other.close()
    type_figure(qtbot, window, ind, "5000")
    asked: list[list[str]] = []

    def later(dialog: ShareConflictDialog) -> int:
        table = dialog.table
        asked.append([table.item(0, c).text() for c in range(4)])
        return QDialog.DialogCode.Rejected

    monkeypatch.setattr(ShareConflictDialog, "exec", later)
    window.share_sync.debounce.stop()
    window.share_sync.sync_now()
    assert asked and asked[0][2:] == ["777", "5000"] and "第二季度实际值" in asked[0][0]
    assert "1 项冲突待您决定" in status(window) and "1 项待同步" in status(window)
    assert shared_actual(master, ind) == 777  # never decided silently

    def keep_mine(dialog: ShareConflictDialog) -> int:
        dialog.choices[0][1].setCurrentIndex(0)  # 保留本机的值
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(ShareConflictDialog, "exec", keep_mine)
    window.share_sync.debounce.stop()
    assert window.share_sync.sync_now().ok
    assert shared_actual(master, ind) == 5000
    assert "0 项待同步" in status(window) and "冲突" not in status(window)


def test_closing_the_window_publishes_what_waits(qtbot, share_window, master):
    window = share_window
    ind = first_indicator(window)
    type_figure(qtbot, window, ind, "4200")
    assert shared_actual(master, ind) is None
    window.close()
    assert shared_actual(master, ind) == 4200


# --- the sync runs on a worker thread ----------------------------------------------------------

HOUR_MS = 3_600_000
WAIT_MS = 120_000  # generous: a loaded machine, never a figure asserted


@pytest.fixture
def held(share_window, monkeypatch):
    """A sync that stops on the worker right after copying the master until the test lets it
    go, and no sync the test did not start (no debounce or retry fires during a test)."""
    monkeypatch.setattr(share_sync, "DEBOUNCE_MS", HOUR_MS)
    monkeypatch.setattr(share_sync, "RETRY_MS", HOUR_MS)
    controller = share_window.share_sync
    controller.wait_for_sync()
    controller.stop()
    reached, release = threading.Event(), threading.Event()
    threads: list[threading.Thread] = []

    def hold() -> None:
        threads.append(threading.current_thread())
        reached.set()
        release.wait(WAIT_MS / 1000)

    controller.session.hooks["fetched"] = hold
    yield reached, release, threads
    release.set()


def two_indicators(window: MainWindow) -> tuple[str, str]:
    item = next(i for i in window.workspace.items.values() if i.number == 2)
    return item.indicators[0].id, item.indicators[1].id


def test_the_window_takes_edits_while_a_sync_runs_and_the_next_sync_publishes_them(
    qtbot, share_window, master, held
):
    window, (reached, release, threads) = share_window, held
    controller = window.share_sync
    first, second = two_indicators(window)
    type_figure(qtbot, window, first, "5200")
    controller.debounce.stop()
    assert controller.sync_soon()
    qtbot.waitUntil(reached.is_set, timeout=WAIT_MS)  # the sync is stopped on the worker
    assert "正在同步" in status(window)
    assert not controller.sync_soon()  # one sync at a time
    type_figure(qtbot, window, second, "6300")  # the UI thread is free: typed and saved
    assert window.model.index_of(second, PlanTreeModel.COL_ACTUAL).data() == "6300"
    assert "2 项待同步" in status(window)
    assert shared_actual(master, first) is None
    with qtbot.waitSignal(controller.synced, timeout=WAIT_MS) as blocker:
        release.set()
    result = blocker.args[0]
    assert threads and threads[0] is not threading.main_thread()
    assert result.ok and result.published == 1 and result.deferred
    assert shared_actual(master, first) == 5200 and shared_actual(master, second) is None
    assert "1 项待同步" in status(window) and "正在同步" not in status(window)
    assert controller.debounce.isActive()  # the edit of meanwhile goes with the next sync
    controller.session.hooks.clear()
    controller.debounce.stop()
    assert controller.sync_now().ok
    assert shared_actual(master, second) == 6300 and "0 项待同步" in status(window)
    assert window.model.index_of(second, PlanTreeModel.COL_ACTUAL).data() == "6300"


def test_a_conflict_found_on_the_worker_is_asked_on_the_ui_thread_and_decided_by_the_clerk(
    qtbot, share_window, master, tmp_path, monkeypatch, held
):
    window, (_reached, release, threads) = share_window, held
    controller = window.share_sync
    ind = first_indicator(window)
    other = ShareSession.open(master, data_folder=tmp_path / "other", actor=("bob", "pc-bob"))
    other.store.set_actual(ind, 2, 777)
    assert other.sync().ok
    other.close()
    type_figure(qtbot, window, ind, "5000")
    controller.debounce.stop()
    asked_on: list[threading.Thread] = []

    def keep_mine(dialog: ShareConflictDialog) -> int:
        asked_on.append(threading.current_thread())
        assert shared_actual(master, ind) == 777  # nothing written before the decision
        dialog.choices[0][1].setCurrentIndex(0)  # 保留本机的值
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(ShareConflictDialog, "exec", keep_mine)
    release.set()  # this test does not hold the worker
    with qtbot.waitSignal(controller.synced, timeout=WAIT_MS) as blocker:
        assert controller.sync_soon()
    assert asked_on == [threading.main_thread()]
    assert len(threads) == 2 and threading.main_thread() not in threads  # both syncs
    assert blocker.args[0].ok and shared_actual(master, ind) == 5000
    assert "0 项待同步" in status(window) and "冲突" not in status(window)


def test_closing_during_a_sync_waits_for_it_then_publishes_what_was_typed_meanwhile(
    qtbot, share_window, master, held
):
    window, (reached, release, _threads) = share_window, held
    controller = window.share_sync
    first, second = two_indicators(window)
    replica = controller.session.replica_path
    type_figure(qtbot, window, first, "5200")
    assert controller.sync_soon()
    qtbot.waitUntil(reached.is_set, timeout=WAIT_MS)
    type_figure(qtbot, window, second, "6300")
    release.set()
    window.close()  # no event processed in between: the running sync is waited for
    assert controller.session is None
    assert (shared_actual(master, first), shared_actual(master, second)) == (5200, 6300)
    assert (shared_actual(replica, first), shared_actual(replica, second)) == (5200, 6300)
