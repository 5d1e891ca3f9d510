"""What is still waiting (待同步): the replica's change-log entries the share is not known to
hold. The *base* kept beside the replica is the master as this PC last fetched or published
it; its change-log ids are read again only when that file changed."""

from __future__ import annotations

from pathlib import Path

from ..database import Database
from .fetch import change_ids


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
