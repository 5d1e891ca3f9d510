"""Working on a plan file that lives on a network share: a local replica, synced by merging.

The master on the share is **never opened with SQLite** (not for writing, not for reading: a
reader's SQLite could play back another PC's hot journal when locks do not work). The app
works on a replica in the per-user data folder, keyed by the master's path, where SQLite's
locks are sound; every edit is saved there at once (shown as 待同步) and reaches the share
only through :meth:`ShareSession.sync`:

1. copy the master's bytes to a local file and verify the copy (its own header, ours by
   ``application_id``, the same ``file_id``, full ``PRAGMA integrity_check`` and
   ``foreign_key_check``); a torn copy is fetched again, a damaged master is reported and
   never written;
2. merge the replica's changes into that copy with the merge engine (change-log union by
   UUID); a field changed here and on another PC since they last met is a **conflict** for
   the clerk to decide; nothing is written until every conflict has a decision;
3. publish, under the sync lock (:mod:`.lock`): write the merged file to a temporary file on
   the share, read it back and compare, check the lock is still ours and the master is still
   the bytes we merged with, rename it over the master, read the master again to confirm;
4. the merged file becomes the new local replica (others' changes pulled in); what the share
   is known to hold becomes the *base*: the replica's change-log entries the base lacks are
   the edits still 待同步.

Steps 1–3 (:meth:`ShareSession.exchange`) never touch the replica's open connection
(``store``): they merge a snapshot of the replica taken with a connection of their own, so the
window runs them on a worker thread while the clerk keeps saving edits into the replica. Step
4 (:meth:`ShareSession.finish_sync`) runs on the thread that owns ``store``; it replaces the
replica only if nothing was saved into it since the snapshot (its change counter is the same),
else it only takes in the base, and the edits saved meanwhile go with the next sync (which
then brings the others' changes in too). :meth:`ShareSession.sync` is both in one go.

Nothing depends on the share's byte-range locks. If a lock is wrongly broken and two PCs
publish at once, one publish may replace the other's, but each replica keeps its changes and
its next sync merges them in again (the merge compares the actual master, not a memory of what
was sent), so the file converges with nothing lost.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..database import (
    CorruptError,
    Database,
    FileMissingError,
    StoreError,
    move_stale_journal,
)
from ..merge import Conflict, Side, apply_merge, plan_merge
from ..store import Store, current_actor
from .fetch import (
    DamagedMasterError,
    change_ids,
    fetch_master,
    file_id_of,
    unlink_quietly,
    verify_file,
)
from .lock import BEAT_SECONDS, LockBusy, LockInfo, ShareLock
from .pending import KnownToShare, WaitingEdits, waiting_ids
from .publish import LockLost, MasterChanged, publish, tidy_publish_temps
from .replica import (
    InUse,
    ReplicaInUseError,
    Snapshot,
    SyncState,
    TakeIn,
    change_counter,
    replica_folder,
    take_snapshot,
)

PUBLISH_ATTEMPTS = 3
LOCK_WAIT_SECONDS = 10.0
REFUSED = (
    "the share refused the change (the master is open in another program or on another PC,"
    " which Windows does not let anyone replace, or this user may not write there); the"
    " edits wait on this PC for the next sync"
)

# --- results --------------------------------------------------------------------------------


@dataclass
class SyncResult:
    """What one sync did. ``status``:

    * ``ok``        — in step with the share (``published`` of our entries confirmed there);
    * ``conflicts`` — nothing written anywhere; ``conflicts`` need the clerk's decision;
    * ``busy``      — another PC holds the sync lock; ours wait (the replica is unchanged);
    * ``damaged``   — the master failed its check; it was not written, ours wait;
    * ``failed``    — the share could not be read or written (``message``); ours wait.
    """

    status: str
    message: str = ""
    pulled: int = 0  # changes taken from the share into the replica
    published: int = 0  # our change-log entries now confirmed in the master
    published_ids: set[str] = field(default_factory=set)
    conflicts: list[Conflict] = field(default_factory=list)
    holder: LockInfo | None = None
    broken_locks: list[LockInfo] = field(default_factory=list)
    pending: int = 0  # edits (transactions) still only in the replica afterwards
    # The share's content was not taken into the replica: edits were saved into it while the
    # sync ran (the base was taken in; the next sync publishes them and brings the rest).
    deferred: bool = False
    take_in: TakeIn | None = None  # what finish_sync still has to do (None after it)

    @property
    def ok(self) -> bool:
        return self.status == "ok"


@dataclass
class _Merged:
    """One round of a sync: the master as fetched, the replica merged into a copy of it."""

    incoming: Path  # the master's content, verified
    outgoing: Path  # that content with the replica merged in (when ours_new, under the lock)
    master_sha: str  # the master's bytes the merge was made with
    pending_before: set[str]  # our entries the share was not known to hold
    ours_new: bool  # the share lacks entries of ours
    pulled: int  # changes of the share the replica lacks


# --- the session ----------------------------------------------------------------------------


class ShareSession:
    """One program's work on one master file on a share, through its local replica."""

    def __init__(
        self,
        master: Path,
        folder: Path,
        in_use: InUse,
        *,
        actor: tuple[str, str] | None = None,
        lock_options: Mapping[str, Any] | None = None,
        hooks: Mapping[str, Callable[[], None]] | None = None,
    ) -> None:
        self.master = master
        self.folder = folder
        self.replica_path = folder / master.name
        self.base_path = folder / "base.sqlite"
        self.work = folder / "work"
        self.state_path = folder / "state.json"
        self._in_use = in_use
        self.actor = actor or current_actor()
        self.lock_options = dict(lock_options or {})
        self.hooks = dict(hooks or {})
        self.state = SyncState.load(self.state_path)
        self.state.master = str(master)
        self.store: Store = None  # type: ignore[assignment]
        self.new = False  # made by create() and not yet published
        self.installs = 0  # how often the replica was replaced by the share's content
        self.beat_seconds = BEAT_SECONDS  # 0: no heartbeat thread (tests dictating turns)
        self._known = KnownToShare(self.base_path)
        self._waiting = WaitingEdits(self.replica_path, self._known)

    # -- opening --

    @classmethod
    def open(
        cls,
        master: str | os.PathLike[str],
        *,
        data_folder: Path | None = None,
        actor: tuple[str, str] | None = None,
        lock_options: Mapping[str, Any] | None = None,
        hooks: Mapping[str, Callable[[], None]] | None = None,
    ) -> ShareSession:
        """Open (or make, from a verified copy of the master) the local replica.

        Raises FileMissingError when neither the master nor a replica exists,
        DamagedMasterError when the master fails its check and there is no replica yet,
        ReplicaInUseError when another program on this PC uses the replica.
        """
        master = Path(os.path.abspath(os.fspath(master)))
        folder = replica_folder(master, data_folder)
        in_use = InUse(folder / "in-use.lock")
        if not in_use.acquire():
            raise ReplicaInUseError(
                master,
                f"its local replica is in use by another jingan-desktop program on this PC "
                f"(pid {in_use.holder_pid()}); close it, or work there",
            )
        session = cls(master, folder, in_use, actor=actor, lock_options=lock_options, hooks=hooks)
        try:
            session._open_replica()
        except BaseException:
            in_use.release()
            raise
        return session

    @classmethod
    def create(
        cls,
        master: str | os.PathLike[str],
        populate: Callable[[Store], None],
        **kwargs: Any,
    ) -> ShareSession:
        """A new plan file for the share: built in the replica, then published (the master
        must not exist yet)."""
        master = Path(os.path.abspath(os.fspath(master)))
        if master.exists():
            raise FileExistsError(master)
        if not master.parent.is_dir():
            raise FileMissingError(master.parent, "the folder does not exist")
        folder = replica_folder(master, kwargs.get("data_folder"))
        in_use = InUse(folder / "in-use.lock")
        if not in_use.acquire():
            raise ReplicaInUseError(master, "its local replica is in use by another program")
        session = cls(
            master,
            folder,
            in_use,
            actor=kwargs.get("actor"),
            lock_options=kwargs.get("lock_options"),
            hooks=kwargs.get("hooks"),
        )
        try:
            stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
            for stale in (session.replica_path, session.base_path):
                if stale.exists():  # a replica of an earlier file of that name: kept aside
                    stale.replace(stale.with_name(f"{stale.name}.old-{stamp}"))
            store = Store.create(session.replica_path)
            store.actor = session.actor
            populate(store)
            session.store = store
            session.new = True
            session.work.mkdir(parents=True, exist_ok=True)
        except BaseException:
            in_use.release()
            raise
        return session

    def _open_replica(self) -> None:
        self.work.mkdir(parents=True, exist_ok=True)
        if not self.replica_path.exists():
            if not self.master.exists():
                raise FileMissingError(self.master, "file not found")
            incoming, _sha = self._fetch()
            shutil.copyfile(incoming, self.base_path)
            move_stale_journal(self.replica_path)
            os.replace(incoming, self.replica_path)
        self.store = Store.open(self.replica_path)
        self.store.actor = self.actor

    def close(self) -> None:
        if self.store is not None:
            with contextlib.suppress(StoreError):
                self.store.close()
        self._in_use.release()

    # -- what is waiting --

    def pending_ids(self) -> set[str]:
        """Change-log entries of the replica that the share is not known to hold."""
        return waiting_ids(self.store.database, self._known.ids())

    def pending(self) -> int:
        """Edits (transactions) saved here and not yet confirmed on the share."""
        return self._waiting.count(self.store.database)

    def holder(self) -> LockInfo | None:
        return self._lock().holder()

    # -- syncing --

    def _lock(self) -> ShareLock:
        user, machine = self.actor
        return ShareLock(self.master, user, machine, **self.lock_options)

    def _hook(self, name: str) -> None:
        hook = self.hooks.get(name)
        if hook is not None:
            hook()

    def _fetch(self, like: Path | None = None) -> tuple[Path, str]:
        """A verified local copy of the master and the sha256 of its bytes (it must have the
        file id of ``like``, the replica by default)."""
        file_id = None
        like = like or self.replica_path
        if like.exists():
            with contextlib.suppress(sqlite3.Error):
                file_id = file_id_of(like)
        target, sha = fetch_master(self.master, self.work / "incoming.sqlite", file_id)
        self._hook("fetched")
        return target, sha

    def _stage(self, verified: Path, snapshot: Snapshot) -> TakeIn:
        """(On the sync's thread.) What finish_sync will take in: ``verified`` and its copy
        for the base."""
        base_next = self.work / "base.next"
        shutil.copyfile(verified, base_next)
        return TakeIn(verified, base_next, snapshot.counter)

    def _install(self, take: TakeIn) -> bool:
        """Make a file known to be the master's content both the replica and the base; only
        the base (False) when the replica was saved into since the sync's snapshot, whose
        edits the file lacks (the next sync publishes them and brings the file's content).

        Only ever done with the master as fetched (nothing of ours pending) or as we
        published and confirmed it: the replica never takes in others' changes through a
        merge of its own, whose log entries would look like new edits of the same fields
        to every other PC."""
        if self.store.database.in_write or change_counter(self.replica_path) != take.counter:
            os.replace(take.base_next, self.base_path)
            return False
        self.store.database.close()
        try:
            move_stale_journal(self.replica_path)
            os.replace(take.verified, self.replica_path)
            os.replace(take.base_next, self.base_path)
        finally:
            # The file passed the full check (verify_file) in this sync, on the worker; it is
            # checked again on a thread of its own (every write waits for its verdict), not
            # on the thread that owns the store, which is the window's.
            self.store.database = Database.open(self.replica_path, check="background")
            self.store.database.start_full_check()
            self.installs += 1
        self._waiting.none_waiting(self.store.database)
        return True

    def sync(
        self,
        *,
        resolutions: Mapping[tuple[str, str, str | None], Side] | None = None,
        prefer: Side | None = None,
        lock_wait: float = LOCK_WAIT_SECONDS,
    ) -> SyncResult:
        """Pull the share's changes into the replica and publish ours (see the module
        docstring). ``resolutions`` / ``prefer`` decide conflicts: "ours" keeps the share's
        value, "theirs" this PC's. Never raises for the share's state: see SyncResult."""
        return self.finish_sync(
            self.exchange(resolutions=resolutions, prefer=prefer, lock_wait=lock_wait)
        )

    def exchange(
        self,
        *,
        resolutions: Mapping[tuple[str, str, str | None], Side] | None = None,
        prefer: Side | None = None,
        lock_wait: float = LOCK_WAIT_SECONDS,
    ) -> SyncResult:
        """Steps 1–3 of a sync, on any thread: never uses ``store`` (its connection belongs
        to the thread that opened it), leaves the replica and the base as they are; the
        result goes to :meth:`finish_sync` on the thread that owns ``store``. At most one
        exchange at a time per session."""
        try:
            result = self._sync(resolutions, prefer, lock_wait)
        except DamagedMasterError as exc:
            result = SyncResult(
                "damaged",
                f"the master on the share failed its check ({exc.detail}); it was not written",
            )
        except FileMissingError as exc:
            result = SyncResult("failed", exc.detail or str(exc))
        except StoreError as exc:
            result = SyncResult("failed", exc.detail or str(exc))
        except PermissionError:
            # Windows: also a master open in another program or on another PC (nobody may
            # replace a file held open there); the OS's own words would be in Chinese.
            result = SyncResult("failed", REFUSED)
        except OSError as exc:
            result = SyncResult("failed", exc.strerror or str(exc))
        return result

    def finish_sync(self, result: SyncResult) -> SyncResult:
        """Step 4, on the thread that owns ``store``: take the share's content in (see
        :meth:`_install`), count what waits, keep the state for the status bar."""
        take, result.take_in = result.take_in, None
        if take is not None:
            try:
                result.deferred = not self._install(take)
            except StoreError as exc:
                result = SyncResult("failed", exc.detail or str(exc))
            except OSError as exc:
                result = SyncResult("failed", exc.strerror or str(exc))
            if result.deferred:
                result.pulled = 0
        result.pending = self.pending()
        self.state.last_status = result.status
        self.state.last_message = result.message
        self.state.last_holder = result.holder.english if result.holder else ""
        if result.status in ("ok", "busy"):
            self.state.last_sync = datetime.now(UTC).isoformat(timespec="seconds")
        with contextlib.suppress(OSError):
            self.state.save(self.state_path)
        return result

    def _sync(
        self,
        resolutions: Mapping[tuple[str, str, str | None], Side] | None,
        prefer: Side | None,
        lock_wait: float,
    ) -> SyncResult:
        snapshot = self._snapshot()
        if self.new:
            return self._publish_new(snapshot, lock_wait)
        lock: ShareLock | None = None
        try:
            if snapshot.ids - self._known.ids():
                # Something to publish: hold the lock from the copy to the rename, so nobody
                # publishes in between (unless our lock is wrongly broken: see the docstring).
                lock = self._take_lock(lock_wait)
            for _attempt in range(PUBLISH_ATTEMPTS):
                if lock is not None and not lock.beat():
                    raise LockLost()
                merged = self._merge_master(snapshot, lock, resolutions, prefer)
                if isinstance(merged, SyncResult):
                    return merged
                if not merged.ours_new:
                    if lock is None:
                        self._lock().clear_if_dead()
                    result = SyncResult("ok", "in step with the share", pulled=merged.pulled)
                    result.take_in = self._stage(merged.incoming, snapshot)
                    return result
                if lock is None:
                    # The share lacks entries we thought it had (a publish of ours was
                    # replaced): take the lock and merge again under it.
                    lock = self._take_lock(lock_wait)
                    continue
                result = self._publish_merged(lock, merged, snapshot)
                if result is not None:
                    return result
            return SyncResult("busy", "the share kept changing while we synced; changes wait")
        except LockBusy as exc:
            return SyncResult(
                "busy",
                f"the share is being updated by {exc.holder.english if exc.holder else '?'}",
                holder=exc.holder,
            )
        except LockLost:
            return SyncResult(
                "busy",
                "our sync lock was taken over before publishing; changes wait",
                holder=self._lock().holder(),
                broken_locks=list(lock.broken) if lock else [],
            )
        finally:
            if lock is not None:
                lock.release()

    def _snapshot(self) -> Snapshot:
        """The replica as this sync merges it: a copy in the work folder under the replica's
        own name (the merge names its source in the change log)."""
        path = self.work / "snapshot" / self.replica_path.name
        path.parent.mkdir(parents=True, exist_ok=True)
        counter = take_snapshot(self.replica_path, path)
        return Snapshot(path, counter, change_ids(path))

    def _merge_master(
        self,
        snapshot: Snapshot,
        lock: ShareLock | None,
        resolutions: Mapping[tuple[str, str, str | None], Side] | None,
        prefer: Side | None,
    ) -> _Merged | SyncResult:
        """Fetch the master and merge the replica into a copy of it (written only under the
        lock); a SyncResult instead when conflicts wait for the clerk."""
        incoming, master_sha = self._fetch(snapshot.path)
        outgoing = self.work / "outgoing.sqlite"
        unlink_quietly(outgoing)
        shutil.copyfile(incoming, outgoing)
        pending_before = snapshot.ids - self._known.ids()
        merged = Store.open(outgoing)
        merged.actor = self.actor
        try:
            preview = plan_merge(merged, snapshot.path)
            decided = resolutions or {}
            undecided = [c for c in preview.conflicts if decided.get(c.key, prefer) is None]
            # Changes the share refuses (a quarter locked there, a department name
            # taken there) would leave the replica with the next install: they are
            # shown too, and only go once the clerk accepts the share's side.
            refused = list(getattr(preview, "skipped", []))
            undecided += [
                c
                for c in refused
                if decided.get(c.key, prefer if prefer == "ours" else None) != "ours"
            ]
            if undecided:
                return SyncResult(
                    "conflicts",
                    f"{len(undecided)} change(s) here conflict with changes on the share",
                    conflicts=list(preview.conflicts) + refused,
                )
            ours_new = bool(preview.new_entries)
            pulled = len(change_ids(incoming) - snapshot.ids)
            if ours_new and lock is not None:
                apply_merge(merged, preview, prefer=prefer, resolutions=resolutions, backup=False)
        finally:
            merged.close()
        return _Merged(incoming, outgoing, master_sha, pending_before, ours_new, pulled)

    def _publish_merged(
        self, lock: ShareLock, merged: _Merged, snapshot: Snapshot
    ) -> SyncResult | None:
        """Publish the merged file and take it in; None when the master changed meanwhile
        (published by someone who broke our lock: merge again)."""
        problems = verify_file(merged.outgoing)
        if problems:
            raise CorruptError(merged.outgoing, "the merged file failed its check: " + problems[0])
        try:
            confirmed = self._publish(lock, merged.outgoing, merged.master_sha)
        except MasterChanged:
            return None
        if confirmed:
            take_in = self._stage(merged.outgoing, snapshot)
            published = merged.pending_before & change_ids(take_in.base_next)
            return SyncResult(
                "ok",
                "published to the share",
                pulled=merged.pulled,
                published=len(published),
                published_ids=published,
                broken_locks=list(lock.broken),
                take_in=take_in,
            )
        return SyncResult(
            "failed",
            "the share did not keep the published file (replaced at once by another"
            " PC?); changes wait",
            pulled=merged.pulled,
            broken_locks=list(lock.broken),
        )

    def _take_lock(self, wait: float) -> ShareLock:
        lock = self._lock()
        lock.acquire(timeout=wait)
        if self.beat_seconds:
            lock.keep_beating(self.beat_seconds)
        self._hook("locked")
        return lock

    def _publish_new(self, snapshot: Snapshot, lock_wait: float) -> SyncResult:
        """The first publish of a file made here: the master must still not exist."""
        outgoing = self.work / "outgoing.sqlite"
        unlink_quietly(outgoing)
        shutil.copyfile(snapshot.path, outgoing)
        pending_before = set(snapshot.ids)
        lock = self._lock()
        try:
            lock.acquire(timeout=lock_wait)
        except LockBusy as exc:
            return SyncResult("busy", "the share is being updated", holder=exc.holder)
        if self.beat_seconds:
            lock.keep_beating(self.beat_seconds)
        try:
            confirmed = self._publish(lock, outgoing, None)
        except MasterChanged:
            return SyncResult("failed", "a file of that name appeared on the share meanwhile")
        except LockLost:
            return SyncResult("busy", "our sync lock was taken over before publishing")
        finally:
            lock.release()
        if not confirmed:
            return SyncResult("failed", "the share did not keep the published file")
        self.new = False
        return SyncResult(
            "ok",
            "published to the share",
            published=len(pending_before),
            published_ids=pending_before,
            take_in=self._stage(outgoing, snapshot),
        )

    def _publish(self, lock: ShareLock, outgoing: Path, master_sha: str | None) -> bool:
        return publish(
            self.master, lock, outgoing, master_sha, hook=self._hook, tidy=self._tidy_publish_temps
        )

    def _tidy_publish_temps(self, keep: Path) -> None:
        tidy_publish_temps(self.master, keep)
