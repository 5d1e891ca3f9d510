"""A plan file on a network share: the mode indicator and the syncs of this PC's replica.

On a network or FUSE file system the file is never opened with SQLite (see
:mod:`jingan_desktop.storage.sync`); the window works on this PC's replica and this
controller

* keeps the status bar's ``window.share_status`` saying which mode the window is in:
  "网络共享：本机副本，N 项待同步，最后同步 hh:mm，持有者 …" (an edit is saved on this PC at once
  and counted as 待同步 until a sync confirms it on the share — never a false "saved");
* syncs a few seconds after the last edit (debounced) and on a timer (to take in the other
  PCs' changes) on a worker thread (:class:`SyncJob`), so the window never waits for the
  share: the worker copies the master, merges a snapshot of the replica and publishes
  (:meth:`ShareSession.exchange`, which never uses the window's connection); its result comes
  back by a queued signal and the replica takes the share's content in on the UI thread
  (:meth:`ShareSession.finish_sync`, local renames), then the window reloads. At most one sync
  runs at a time; edits saved meanwhile are in the replica and go with the next one;
* asks the clerk about every conflict (the same field changed here and on another PC) in
  :class:`~..dialogs.share_conflicts.ShareConflictDialog` on the UI thread and decides nothing
  itself; the decisions go to a second sync on the worker;
* when the file is closed, waits for a running sync (bounded as a sync is: LOCK_WAIT_SECONDS
  for the lock, then the share's own speed), then runs the last sync on the UI thread (the
  window is going away; the edits stay in the replica if it fails).
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from PySide6 import QtWidgets
from PySide6.QtCore import QObject, QTimer, Signal

from ...storage.presence import PresenceBoard
from ...workspace import Workspace
from .base import Controller

if TYPE_CHECKING:  # a session exists only for a file on a share, and loads with it
    from ...storage.sync import ShareSession, SyncResult

DEBOUNCE_MS = 3000  # after the last edit
POLL_MS = 60_000  # others' changes are taken in at least this often
TICK_MS = 5000  # the pending count is looked at (edits that bypass the undo stack)
RETRY_MS = 10_000  # after the share was busy or unreachable, or a conflict left undecided
LOCK_WAIT_SECONDS = 2.0  # the window never waits long for another PC's publish


class SyncJob(QObject):
    """One :meth:`ShareSession.exchange` on a thread of its own; ``done`` is emitted from
    that thread (queued to the controller on the UI thread) with the job."""

    done = Signal(object)

    def __init__(
        self,
        session: ShareSession,
        resolutions: Mapping[Any, Any] | None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.session = session
        self.resolutions = resolutions
        self.result: SyncResult | None = None
        self.error: BaseException | None = None  # a bug, re-raised on the UI thread
        # A daemon: a share that hangs must not keep the process alive after the window.
        self.thread = threading.Thread(target=self._run, name="share-sync", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def _run(self) -> None:
        try:
            self.result = self.session.exchange(
                resolutions=self.resolutions, lock_wait=LOCK_WAIT_SECONDS
            )
        except Exception as exc:  # a bug: handed to the UI thread, not swallowed
            self.error = exc
        try:
            self.done.emit(self)
        except RuntimeError:  # the window was destroyed meanwhile
            pass


class ShareSyncController(Controller):
    synced = Signal(object)  # the SyncResult

    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.session: ShareSession | None = None
        self._incoming: ShareSession | None = None
        self.last: SyncResult | None = None
        self.unresolved = 0
        self._syncing = False  # from a sync's start until its result is shown
        self._job: SyncJob | None = None  # the sync running on the worker
        self._again = False  # a sync was asked for while one ran
        self._installs = 0  # the session's installs when the running sync began
        self._seen_pending = 0
        self.first = QTimer(self, singleShot=True, interval=0)  # once the window is shown
        self.first.timeout.connect(self.sync_soon)
        self.debounce = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self.debounce.timeout.connect(self.sync_soon)
        self.poll = QTimer(self, interval=POLL_MS)
        self.poll.timeout.connect(self.sync_soon)
        self.tick = QTimer(self, interval=TICK_MS)
        self.tick.timeout.connect(self._tick)

    # -- the file's life --

    def begin(self, session: ShareSession) -> None:
        """The files controller opened a file on a share; its workspace follows."""
        self._incoming = session

    def abandon(self) -> None:
        """Opening the file failed after its session was opened."""
        if self._incoming is not None:
            self._incoming.close()
            self._incoming = None

    def leave(self, workspace: Workspace) -> None:
        """Another file is being shown: the last sync of this one, before it is closed."""
        if self.session is not None and self.session.store is not workspace.store:
            self.close()

    def attach(self, workspace: Workspace) -> None:
        if self._incoming is not None and self._incoming.store is workspace.store:
            self.session, self._incoming = self._incoming, None
            self.last, self.unresolved = None, 0
            self._announce_beside_master()
            self.poll.start()
            self.tick.start()
            self.first.start()
        label = self.window.share_status
        label.setVisible(self.session is not None)
        if self.session is None:
            return
        undo = self.window.editing.undo
        if undo is not None:
            undo.stack.indexChanged.connect(self.edited)
        self._seen_pending = self.session.pending()
        self.refresh()

    def _announce_beside_master(self) -> None:
        """Who else has the file open is seen beside the master, not the local replica."""
        watcher = self.window.shared_file.watcher
        if watcher is not None and self.session is not None:
            watcher.board.withdraw()
            watcher.board = PresenceBoard(self.session.master, *self.session.actor)
            watcher.refresh_presence()

    def close(self) -> SyncResult | None:
        """The file is closed: one last sync (the edits stay in the replica if it fails)."""
        if self.session is None:
            return None
        self.stop()
        self.wait_for_sync()
        result = self.sync_now() if self.session.pending() else None
        self.session.close()
        self.session = None
        self.window.share_status.setVisible(False)
        return result

    def stop(self) -> None:
        """No sync starts by itself any more (one running goes on: see wait_for_sync)."""
        self.first.stop()
        self.debounce.stop()
        self.poll.stop()
        self.tick.stop()

    # -- what the status bar says --

    def status_text(self) -> str:
        assert self.session is not None
        pending = self.session.pending()
        parts = [f"网络共享：本机副本，{pending} 项待同步"]
        last = self.session.state.last_sync
        if last:
            parts.append(f"最后同步 {datetime.fromisoformat(last).astimezone():%H:%M}")
        else:
            parts.append("尚未同步")
        holder = self.last.holder if self.last is not None else None
        parts.append(f"持有者 {holder.label if holder else '无'}")
        if self._job is not None:
            parts.append("正在同步…")
        text = "，".join(parts)
        status = self.last.status if self.last is not None else ""
        if self.unresolved:
            text += f"（{self.unresolved} 项冲突待您决定）"
        elif status == "damaged":
            text += "（共享文件检查未通过，未写入；请联系信息管理人员）"
        elif status == "failed":
            text += "（无法访问共享文件，修改保存在本机）"
        elif status == "busy" and pending:
            text += "（共享文件正由他人更新，稍后重试）"
        return text

    def refresh(self) -> None:
        if self.session is None:
            return
        label = self.window.share_status
        label.setText(self.status_text())
        label.setToolTip(
            f"共享文件：{self.session.master}\n本机副本：{self.session.replica_path}\n"
            "修改先保存在本机副本，同步后才写入共享文件。"
            + (f"\n{self.last.message}" if self.last is not None and self.last.message else "")
        )

    # -- syncing --

    def edited(self, *_args: object) -> None:
        """An edit was saved in the replica: count it, and sync when the clerk pauses."""
        if self.session is None:
            return
        self.refresh()
        self.debounce.start(DEBOUNCE_MS)

    def _tick(self) -> None:
        if self.session is None:
            return
        pending = self.session.pending()
        if pending != self._seen_pending:
            self._seen_pending = pending
            self.edited()

    def sync_soon(self) -> bool:
        """Start a sync on the worker (the timers' way); False when none could start: no file,
        or one runs already (the edits saved meanwhile go with the next, started after it)."""
        if self.session is None:
            return False
        if self._syncing:
            self._again = True
            return False
        self._syncing = True
        self.window.detail.flush()  # a progress text being typed is saved first
        self._installs = self.session.installs
        self._start(None)
        return True

    def _start(self, resolutions: Mapping[Any, Any] | None) -> None:
        assert self.session is not None
        job = SyncJob(self.session, resolutions, self)
        job.done.connect(self._job_done)
        self._job = job
        self.refresh()
        job.start()

    def _job_done(self, job: SyncJob) -> None:
        """(Queued from the worker.) A sync's result, unless wait_for_sync took it already."""
        if job is not self._job:
            return
        self._settle(job, ask=True)

    def wait_for_sync(self) -> SyncResult | None:
        """Wait for the sync running on the worker and take its result in (no question is
        asked: a sync that follows asks again)."""
        job = self._job
        if job is None:
            return None
        job.thread.join()
        try:
            return self._settle(job, ask=False)
        except Exception:  # a bug in the sync: reported, and the file is still closed
            sys.excepthook(*sys.exc_info())
            return None

    def _settle(self, job: SyncJob, *, ask: bool) -> SyncResult | None:
        self._job = None
        job.deleteLater()
        if job.error is not None or job.result is None or self.session is None:
            self._syncing = False
            self.refresh()
            if job.error is not None:
                raise job.error
            return None
        result = self.session.finish_sync(job.result)
        if ask and result.status == "conflicts":
            resolutions = self._ask(result)
            if self.session is None:  # the file was closed while the clerk was asked
                return None
            if resolutions is not None:
                self._start(resolutions)  # still syncing: the decisions go to the worker
                return None
        self._record(result)
        return result

    def sync_now(self) -> SyncResult | None:
        """A whole sync before this returns, on the calling (UI) thread: the last one at
        close (and the tests' way). A sync running on the worker is waited for first."""
        self.wait_for_sync()
        if self.session is None or self._syncing:
            return None
        self._syncing = True
        try:
            self.window.detail.flush()  # a progress text being typed is saved first
            self._installs = self.session.installs
            result = self.session.sync(lock_wait=LOCK_WAIT_SECONDS)
            if result.status == "conflicts":
                resolutions = self._ask(result)
                if resolutions is not None:
                    result = self.session.sync(resolutions=resolutions, lock_wait=LOCK_WAIT_SECONDS)
            self._record(result)
            return result
        finally:
            self._syncing = False

    def _ask(self, result: SyncResult) -> Mapping[Any, Any] | None:
        """The clerk decides the conflicts (None: not now)."""
        from ..dialogs.share_conflicts import ShareConflictDialog

        dialog = ShareConflictDialog(result.conflicts, self.window)
        if dialog.exec() == QtWidgets.QDialog.DialogCode.Accepted:
            return dialog.resolutions()
        return None

    def _record(self, result: SyncResult) -> None:
        """A sync is over: what it did goes to the status bar, and the next is due."""
        self._syncing = False
        if self.session is None:
            return
        self.unresolved = len(result.conflicts) if result.status == "conflicts" else 0
        self.last = result
        self._seen_pending = result.pending
        if result.status in ("busy", "failed") or self.unresolved:
            self.debounce.start(RETRY_MS)
        elif self._again or result.deferred or result.pending:
            # Edits saved while it ran: they (and the share's content) go with the next.
            self.debounce.start(DEBOUNCE_MS)
        self._again = False
        if self.session.installs != self._installs and result.pulled:
            self.window.shared_file.reload_from_elsewhere()
        self.refresh()
        self.synced.emit(result)
