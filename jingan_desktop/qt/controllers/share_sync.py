"""A plan file on a network share: the mode indicator and the syncs of this PC's replica.

On a network or FUSE file system the file is never opened with SQLite (see
:mod:`jingan_desktop.storage.sync`); the window works on this PC's replica and this
controller

* keeps the status bar's ``window.share_status`` saying which mode the window is in:
  "网络共享：本机副本，N 项待同步，最后同步 hh:mm，持有者 …" (an edit is saved on this PC at once
  and counted as 待同步 until a sync confirms it on the share — never a false "saved");
* syncs a few seconds after the last edit (debounced), on a timer (to take in the other PCs'
  changes) and when the file is closed;
* asks the clerk about every conflict (the same field changed here and on another PC) in
  :class:`~..dialogs.share_conflicts.ShareConflictDialog` and decides nothing itself.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QDialog

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


class ShareSyncController(Controller):
    synced = Signal(object)  # the SyncResult

    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.session: ShareSession | None = None
        self._incoming: ShareSession | None = None
        self.last: SyncResult | None = None
        self.unresolved = 0
        self._syncing = False
        self._seen_pending = 0
        self.debounce = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self.debounce.timeout.connect(self.sync_now)
        self.poll = QTimer(self, interval=POLL_MS)
        self.poll.timeout.connect(self.sync_now)
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
            QTimer.singleShot(0, self, self.sync_now)
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
        result = self.sync_now() if self.session.pending() else None
        self.session.close()
        self.session = None
        self.window.share_status.setVisible(False)
        return result

    def stop(self) -> None:
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

    def sync_now(self) -> SyncResult | None:
        if self.session is None or self._syncing:
            return None
        self._syncing = True
        try:
            self.window.detail.flush()  # a progress text being typed is saved first
            installs = self.session.installs
            result = self.session.sync(lock_wait=LOCK_WAIT_SECONDS)
            if result.status == "conflicts":
                from ..dialogs.share_conflicts import ShareConflictDialog

                dialog = ShareConflictDialog(result.conflicts, self.window)
                if dialog.exec() == QDialog.DialogCode.Accepted:
                    result = self.session.sync(
                        resolutions=dialog.resolutions(), lock_wait=LOCK_WAIT_SECONDS
                    )
            self.unresolved = len(result.conflicts) if result.status == "conflicts" else 0
            self.last = result
            self._seen_pending = result.pending
            if result.status in ("busy", "failed") or self.unresolved:
                self.debounce.start(RETRY_MS)
            if self.session.installs != installs and result.pulled:
                self.window.shared_file.reload_from_elsewhere()
            self.refresh()
            self.synced.emit(result)
            return result
        finally:
            self._syncing = False
