"""What is still waiting (待同步): the replica's change-log entries the share is not known to
hold. The *base* kept beside the replica is the master as this PC last fetched or published
it; its change-log ids are read again only when that file changed, and the edits waiting are
counted on from the last entry counted (:class:`WaitingEdits`)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..database import Database
from .fetch import change_ids
from .replica import change_counter


class KnownToShare:
    """The change-log ids of the base file (empty while there is none)."""

    def __init__(self, base_path: Path) -> None:
        self.path = base_path
        self._ids: tuple[tuple[int, int, int], set[str]] | None = None

    def ids(self) -> set[str]:
        stamp = file_stamp(self.path)
        if stamp is None:
            return set()
        if self._ids is None or self._ids[0] != stamp:
            self._ids = (stamp, change_ids(self.path))
        return self._ids[1]


def file_stamp(path: Path) -> tuple[int, int, int] | None:
    """(mtime, inode, size) of a file, None when there is none: changes when it is written
    or replaced."""
    try:
        info = path.stat()
    except OSError:
        return None
    return (info.st_mtime_ns, info.st_ino, info.st_size)


def waiting_ids(replica: Database, known: set[str]) -> set[str]:
    """Change-log entries of the replica that are not in ``known``."""
    return {
        row[0]
        for row in replica.execute("SELECT id FROM change_log").fetchall()
        if row[0] not in known
    }


def waiting_edits(replica: Database, known: set[str]) -> int:
    """Edits (transactions) of the replica with an entry not in ``known``."""
    txns = {
        txn
        for entry, txn in replica.execute("SELECT id, txn FROM change_log").fetchall()
        if entry not in known
    }
    return len(txns)


@dataclass
class _Count:
    """The edits waiting as counted for one replica file and base: the transactions with an
    entry the base lacks, the change counter they were counted at, the last entry read."""

    identity: tuple[Any, ...]
    counter: bytes
    last: int = 0
    txns: set[str] = field(default_factory=set)


class WaitingEdits:
    """How many edits (transactions) of the replica the share is not known to hold. Asked
    after every edit and sync (the status bar): the replica's log is read whole only when the
    replica or the base was replaced; after an edit, only the entries it added."""

    def __init__(self, replica_path: Path, known: KnownToShare) -> None:
        self.replica_path = replica_path
        self.known = known
        self._count: _Count | None = None

    def count(self, replica: Database) -> int:
        identity, counter = self._identity(), change_counter(self.replica_path)
        count = self._count
        if count is None or count.identity != identity:
            count = self._count = _Count(identity, counter)
            rows = replica.execute("SELECT rowid, id, txn FROM change_log")
        elif count.counter == counter:
            return len(count.txns)
        else:
            rows = replica.execute(
                "SELECT rowid, id, txn FROM change_log WHERE rowid > ?", (count.last,)
            )
        known = self.known.ids()
        for rowid, entry, txn in rows.fetchall():
            if entry not in known:
                count.txns.add(txn)
            count.last = max(count.last, rowid)
        count.counter = counter
        return len(count.txns)

    def none_waiting(self, replica: Database) -> None:
        """The replica was just made the base's very content: nothing waits."""
        last = replica.execute("SELECT max(rowid) FROM change_log").fetchone()[0]
        self._count = _Count(self._identity(), change_counter(self.replica_path), last or 0)

    def _identity(self) -> tuple[Any, ...]:
        """The replica file (not its content) and the base as they are now."""
        try:
            replica = os.stat(self.replica_path).st_ino
        except OSError:
            replica = None
        return (replica, file_stamp(self.known.path))
