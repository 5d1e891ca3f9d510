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

Nothing depends on the share's byte-range locks. If a lock is wrongly broken and two PCs
publish at once, one publish may replace the other's, but each replica keeps its changes and
its next sync merges them in again (the merge compares the actual master, not a memory of what
was sent), so the file converges with nothing lost.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import sqlite3
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ...paths import data_dir
from ..database import (
    APPLICATION_ID,
    SCHEMA_VERSION,
    CorruptError,
    Database,
    FileMissingError,
    NewerSchemaError,
    StoreError,
    WriteFailedError,
    move_stale_journal,
    read_header,
)
from ..merge import Conflict, Side, apply_merge, plan_merge
from ..store import Store, current_actor
from .lock import BEAT_SECONDS, LockBusy, LockInfo, ShareLock

FETCH_ATTEMPTS = 4
PUBLISH_ATTEMPTS = 3
LOCK_WAIT_SECONDS = 10.0


class ReplicaInUseError(StoreError):
    """Another program on this PC has the same plan file (its local replica) open."""


class DamagedMasterError(CorruptError):
    """The master on the share failed its check; it is never written over."""


# --- files ----------------------------------------------------------------------------------


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _copy_hashing(source: Path, target: Path) -> str:
    """Copy a file's bytes (through the share client) and return their sha256."""
    digest = hashlib.sha256()
    with open(source, "rb") as src, open(target, "wb") as dst:
        for chunk in iter(lambda: src.read(1 << 20), b""):
            digest.update(chunk)
            dst.write(chunk)
        dst.flush()
        with contextlib.suppress(OSError):
            os.fsync(dst.fileno())
    return digest.hexdigest()


def _unlink(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()


def verify_file(path: Path, file_id: str | None = None) -> list[str]:
    """What is wrong with a local plan file (empty list: nothing). Full integrity check."""
    try:
        header = read_header(path)
    except StoreError as exc:
        return [exc.detail or str(exc)]
    if header.application_id != APPLICATION_ID:
        return ["not a jingan_desktop plan file"]
    try:
        database = Database.open(path, readonly=True, migrate=False)
    except StoreError as exc:
        return [exc.detail or str(exc)]
    try:
        problems = database.integrity_problems()
        if not problems and file_id is not None:
            row = database.execute("SELECT value FROM meta WHERE key = 'file_id'").fetchone()
            if row is None or row[0] != file_id:
                problems.append("a different plan file (its file id changed)")
    except (StoreError, sqlite3.Error) as exc:
        problems = [str(exc)]
    finally:
        database.close()
    return problems


def _roll_back(path: Path) -> None:
    """Let SQLite play a copied hot journal back into the (local) copy."""
    conn = sqlite3.connect(str(path), isolation_level=None)
    try:
        conn.execute("PRAGMA schema_version").fetchone()
    except sqlite3.Error:
        pass
    finally:
        conn.close()


def change_ids(path: Path) -> set[str]:
    conn = sqlite3.connect(f"file:{path.as_posix()}?mode=ro", uri=True)
    try:
        return {row[0] for row in conn.execute("SELECT id FROM change_log")}
    finally:
        conn.close()


def file_id_of(path: Path) -> str | None:
    conn = sqlite3.connect(f"file:{path.as_posix()}?mode=ro", uri=True)
    try:
        row = conn.execute("SELECT value FROM meta WHERE key = 'file_id'").fetchone()
        return row[0] if row else None
    finally:
        conn.close()


def copy_master(master: Path, target: Path) -> str:
    """Copy the master's bytes (and a hot journal beside it, played back into the copy) to
    a local file; returns the sha256 of the master's bytes as read. Not verified."""
    journal = master.with_name(master.name + "-journal")
    target.parent.mkdir(parents=True, exist_ok=True)
    for leftover in (target, target.with_name(target.name + "-journal")):
        _unlink(leftover)
    sha = _copy_hashing(master, target)
    if journal.exists():
        with contextlib.suppress(OSError):
            shutil.copyfile(journal, target.with_name(target.name + "-journal"))
            _roll_back(target)
    return sha


def fetch_master(master: Path, target: Path, file_id: str | None = None) -> tuple[Path, str]:
    """Copy the master's bytes to the local ``target`` and verify the copy; returns it and
    the sha256 of the bytes read. A copy that fails its check is fetched again (it may have
    been read while another PC replaced the file); :class:`DamagedMasterError` when it
    keeps failing. A hot journal beside the master (left by an old direct writer) is played
    back into the copy, never into the master."""
    problems: list[str] = []
    for attempt in range(FETCH_ATTEMPTS):
        try:
            header = read_header(master)
            if header.user_version > SCHEMA_VERSION:  # not damage: a newer app wrote it
                raise NewerSchemaError(master, header.user_version, SCHEMA_VERSION)
        except NewerSchemaError:
            raise
        except FileMissingError:
            if attempt == FETCH_ATTEMPTS - 1:
                raise
            time.sleep(0.2 * (attempt + 1))  # perhaps mid-rename on the share
            continue
        except StoreError:
            pass  # judged on the copy below
        try:
            sha = copy_master(master, target)
        except FileNotFoundError as exc:
            if attempt == FETCH_ATTEMPTS - 1:
                raise FileMissingError(master, "file not found on the share") from exc
            time.sleep(0.2 * (attempt + 1))
            continue
        except OSError as exc:
            raise WriteFailedError(master, exc.strerror or str(exc)) from exc
        problems = verify_file(target, file_id)
        if not problems:
            return target, sha
        time.sleep(0.2 * (attempt + 1))
    text = "; ".join(" ".join(problem.split()) for problem in problems[:3])
    raise DamagedMasterError(master, text if len(text) <= 160 else text[:159] + "…")


def replica_folder(master: Path, base: Path | None = None) -> Path:
    """``<data folder>/replicas/<name>-<hash of the master's full path>/``."""
    text = os.path.normpath(os.path.abspath(os.fspath(master)))
    if sys.platform.startswith("win"):
        text = text.casefold()
    key = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
    stem = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in master.stem)[:40]
    return (base or data_dir()) / "replicas" / f"{stem}-{key}"


class _InUse:
    """An OS lock on a local file: one program per replica (local disks lock correctly)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.handle: Any = None

    def acquire(self) -> bool:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+b")  # kept open while the replica is used
        try:
            if os.name == "nt":  # pragma: no cover - Windows
                import msvcrt

                handle.seek(0)
                msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
            else:
                import fcntl

                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()).encode())
        handle.flush()
        self.handle = handle
        return True

    def holder_pid(self) -> str:
        try:
            return self.path.read_text().strip() or "?"
        except OSError:
            return "?"

    def release(self) -> None:
        if self.handle is not None:
            self.handle.close()
            self.handle = None


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

    @property
    def ok(self) -> bool:
        return self.status == "ok"


@dataclass
class SyncState:
    """Kept in ``state.json`` beside the replica: what the status bar shows after a restart."""

    master: str = ""
    last_sync: str | None = None  # ISO UTC of the last sync that reached the share
    last_status: str = ""
    last_message: str = ""
    last_holder: str = ""

    @classmethod
    def load(cls, path: Path) -> SyncState:
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
            return cls(**{k: record[k] for k in cls.__dataclass_fields__ if k in record})
        except (OSError, ValueError, TypeError):
            return cls()

    def save(self, path: Path) -> None:
        temp = path.with_suffix(".tmp")
        temp.write_text(json.dumps(self.__dict__, ensure_ascii=False), encoding="utf-8")
        os.replace(temp, path)


class _MasterChanged(Exception):
    """The master is no longer the file we merged with (someone published meanwhile)."""


class _LockLost(Exception):
    """Our sync lock was broken by someone else before we published."""


# --- the session ----------------------------------------------------------------------------


class ShareSession:
    """One program's work on one master file on a share, through its local replica."""

    def __init__(
        self,
        master: Path,
        folder: Path,
        in_use: _InUse,
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
        self._base_ids: tuple[tuple[int, int, int], set[str]] | None = None

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
        in_use = _InUse(folder / "in-use.lock")
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
        in_use = _InUse(folder / "in-use.lock")
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

    def _base_change_ids(self) -> set[str]:
        try:
            info = self.base_path.stat()
        except OSError:
            return set()
        stamp = (info.st_mtime_ns, info.st_ino, info.st_size)
        if self._base_ids is None or self._base_ids[0] != stamp:
            self._base_ids = (stamp, change_ids(self.base_path))
        return self._base_ids[1]

    def pending_ids(self) -> set[str]:
        """Change-log entries of the replica that the share is not known to hold."""
        known = self._base_change_ids()
        return {
            row[0]
            for row in self.store.database.execute("SELECT id FROM change_log").fetchall()
            if row[0] not in known
        }

    def pending(self) -> int:
        """Edits (transactions) saved here and not yet confirmed on the share."""
        known = self._base_change_ids()
        txns = {
            txn
            for entry, txn in self.store.database.execute(
                "SELECT id, txn FROM change_log"
            ).fetchall()
            if entry not in known
        }
        return len(txns)

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

    def _fetch(self) -> tuple[Path, str]:
        """A verified local copy of the master and the sha256 of its bytes."""
        file_id = None
        if self.replica_path.exists():
            with contextlib.suppress(sqlite3.Error):
                file_id = file_id_of(self.replica_path)
        target, sha = fetch_master(self.master, self.work / "incoming.sqlite", file_id)
        self._hook("fetched")
        return target, sha

    def _install(self, verified: Path) -> None:
        """Make a file known to be the master's content both the replica and the base.

        Only ever done with the master as fetched (nothing of ours pending) or as we
        published and confirmed it: the replica never takes in others' changes through a
        merge of its own, whose log entries would look like new edits of the same fields
        to every other PC."""
        shutil.copyfile(verified, self.work / "base.next")
        self.store.database.close()
        try:
            move_stale_journal(self.replica_path)
            os.replace(verified, self.replica_path)
            os.replace(self.work / "base.next", self.base_path)
        finally:
            self.store.database = Database.open(self.replica_path)
            self.installs += 1

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
        except OSError as exc:
            result = SyncResult("failed", exc.strerror or str(exc))
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
        if self.new:
            return self._publish_new(lock_wait)
        lock: ShareLock | None = None
        pulled = 0
        try:
            if self.pending_ids():
                # Something to publish: hold the lock from the copy to the rename, so nobody
                # publishes in between (unless our lock is wrongly broken: see the docstring).
                lock = self._take_lock(lock_wait)
            for _attempt in range(PUBLISH_ATTEMPTS):
                if lock is not None and not lock.beat():
                    raise _LockLost()
                incoming, master_sha = self._fetch()
                outgoing = self.work / "outgoing.sqlite"
                _unlink(outgoing)
                shutil.copyfile(incoming, outgoing)
                pending_before = self.pending_ids()
                merged = Store.open(outgoing)
                merged.actor = self.actor
                try:
                    preview = plan_merge(merged, self.replica_path)
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
                    pulled = len(change_ids(incoming) - self._replica_ids())
                    if ours_new and lock is not None:
                        apply_merge(
                            merged, preview, prefer=prefer, resolutions=resolutions, backup=False
                        )
                finally:
                    merged.close()
                if not ours_new:
                    self._install(incoming)
                    if lock is None:
                        self._lock().clear_if_dead()
                    return SyncResult("ok", "in step with the share", pulled=pulled)
                if lock is None:
                    # The share lacks entries we thought it had (a publish of ours was
                    # replaced): take the lock and merge again under it.
                    lock = self._take_lock(lock_wait)
                    continue
                problems = verify_file(outgoing)
                if problems:
                    raise CorruptError(outgoing, "the merged file failed its check: " + problems[0])
                try:
                    confirmed = self._publish(lock, outgoing, master_sha)
                except _MasterChanged:
                    continue  # published by someone who broke our lock: merge again
                if confirmed:
                    self._install(outgoing)
                    published = pending_before & self._base_change_ids()
                    return SyncResult(
                        "ok",
                        "published to the share",
                        pulled=pulled,
                        published=len(published),
                        published_ids=published,
                        broken_locks=list(lock.broken),
                    )
                return SyncResult(
                    "failed",
                    "the share did not keep the published file (replaced at once by another"
                    " PC?); changes wait",
                    pulled=pulled,
                    broken_locks=list(lock.broken),
                )
            return SyncResult("busy", "the share kept changing while we synced; changes wait")
        except LockBusy as exc:
            return SyncResult(
                "busy",
                f"the share is being updated by {exc.holder.english if exc.holder else '?'}",
                holder=exc.holder,
            )
        except _LockLost:
            return SyncResult(
                "busy",
                "our sync lock was taken over before publishing; changes wait",
                holder=self._lock().holder(),
                broken_locks=list(lock.broken) if lock else [],
            )
        finally:
            if lock is not None:
                lock.release()

    def _take_lock(self, wait: float) -> ShareLock:
        lock = self._lock()
        lock.acquire(timeout=wait)
        if self.beat_seconds:
            lock.keep_beating(self.beat_seconds)
        self._hook("locked")
        return lock

    def _publish_new(self, lock_wait: float) -> SyncResult:
        """The first publish of a file made here: the master must still not exist."""
        outgoing = self.store.database.backup_to(self.work / "outgoing.sqlite")
        pending_before = self.pending_ids()
        lock = self._lock()
        try:
            lock.acquire(timeout=lock_wait)
        except LockBusy as exc:
            return SyncResult("busy", "the share is being updated", holder=exc.holder)
        if self.beat_seconds:
            lock.keep_beating(self.beat_seconds)
        try:
            confirmed = self._publish(lock, outgoing, None)
        except _MasterChanged:
            return SyncResult("failed", "a file of that name appeared on the share meanwhile")
        except _LockLost:
            return SyncResult("busy", "our sync lock was taken over before publishing")
        finally:
            lock.release()
        if not confirmed:
            return SyncResult("failed", "the share did not keep the published file")
        self.new = False
        self._install(outgoing)
        return SyncResult(
            "ok",
            "published to the share",
            published=len(pending_before),
            published_ids=pending_before,
        )

    def _replica_ids(self) -> set[str]:
        return {row[0] for row in self.store.database.execute("SELECT id FROM change_log")}

    def _publish(self, lock: ShareLock, outgoing: Path, master_sha: str | None) -> bool:
        """Write ``outgoing`` over the master (temp → verify → rename → confirm)."""
        token = (lock.token or "x")[:12]
        temp = self.master.with_name(f".{self.master.name}.{token}.publish")
        self._tidy_publish_temps(keep=temp)
        sha = _sha256_file(outgoing)
        try:
            if not lock.beat():
                raise _LockLost()
            with open(outgoing, "rb") as src, open(temp, "xb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
                dst.flush()
                with contextlib.suppress(OSError):
                    os.fsync(dst.fileno())
            self._hook("temp_written")
            try:
                written = _sha256_file(temp)
            except FileNotFoundError as exc:
                raise _LockLost() from exc  # tidied away by a PC that took our lock as stale
            if written != sha:
                raise WriteFailedError(
                    self.master, "the file written to the share reads back wrong"
                )
            if not lock.beat():
                raise _LockLost()
            current = _sha256_file(self.master) if self.master.exists() else None
            if current != master_sha:
                raise _MasterChanged()
            self._hook("before_rename")
            move_stale_journal(self.master)
            try:
                os.replace(temp, self.master)
            except FileNotFoundError as exc:
                # Our temp file was tidied away by a PC that took our lock as stale.
                raise _LockLost() from exc
        except BaseException:
            _unlink(temp)
            raise
        self._hook("renamed")
        try:
            if _sha256_file(self.master) == sha:
                return True
        except OSError:
            return False
        return False

    def _tidy_publish_temps(self, keep: Path) -> None:
        """Temp files left by publishers that died before their rename (we hold the lock)."""
        with contextlib.suppress(OSError):
            for leftover in self.master.parent.glob(f".{self.master.name}.*.publish"):
                if leftover != keep:
                    _unlink(leftover)
