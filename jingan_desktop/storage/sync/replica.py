"""This PC's replica of a master on a share: where it lives (keyed by the master's full
path), the OS lock that keeps it to one program, the state the status bar shows after a
restart, and the snapshot a sync merges (so the window may keep saving into the replica while
a sync runs on a thread of its own)."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...paths import data_dir
from ..database import BUSY_TIMEOUT_MS, Database, StoreError, classify_error, sqlite_uri


class ReplicaInUseError(StoreError):
    """Another program on this PC has the same plan file (its local replica) open."""


def replica_folder(master: Path, base: Path | None = None) -> Path:
    """``<data folder>/replicas/<name>-<hash of the master's full path>/``."""
    text = os.path.normpath(os.path.abspath(os.fspath(master)))
    if sys.platform.startswith("win"):
        text = text.casefold()
    key = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
    stem = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in master.stem)[:40]
    return (base or data_dir()) / "replicas" / f"{stem}-{key}"


class InUse:
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


def change_counter(path: Path) -> bytes:
    """The file change counter in an SQLite file's header (bytes 24–27): in rollback-journal
    mode (the app's files never use WAL) every commit that changes the file changes it."""
    with open(path, "rb") as handle:
        handle.seek(24)
        return handle.read(4)


def take_snapshot(replica: Path, target: Path) -> bytes:
    """A consistent copy of the replica at ``target`` (SQLite's backup API, on a read-only
    connection of its own, so it may run on a thread of its own while the window's connection
    keeps saving edits); returns the replica's change counter read *before* the copy began.

    The copy holds at least everything saved up to that counter, perhaps more: whoever later
    finds the replica's counter unchanged knows the replica is exactly the copy."""
    counter = change_counter(replica)
    conn = sqlite3.connect(sqlite_uri(replica, "ro"), uri=True, isolation_level=None)
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        Database(replica, conn, readonly=True).backup_to(target)
    except sqlite3.Error as exc:
        raise classify_error(exc, str(replica)) from exc
    finally:
        conn.close()
    return counter


@dataclass
class Snapshot:
    """The replica as one sync merges it (see :func:`take_snapshot`)."""

    path: Path
    counter: bytes  # the replica's change counter when the copy began
    ids: set[str]  # its change-log entries


@dataclass
class TakeIn:
    """A file known to be the master's content (as fetched, or as published and confirmed),
    for :meth:`.session.ShareSession.finish_sync` to make the replica and the base."""

    verified: Path
    base_next: Path  # a copy of it, to become the base
    counter: bytes  # the replica's change counter the merge was made from
