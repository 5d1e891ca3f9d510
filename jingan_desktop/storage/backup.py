"""Automatic backups: consistent copies through SQLite's backup API, kept next to the data.

Taken before a merge, an import or a schema migration, and once a day on open; the newest
``KEEP`` are kept. Restoring first backs up the current state, so a restore can be undone.

"Newest" is by creation order, a sequence number in the file name, never by the clock: a PC
whose clock is a day behind must not see its fresh backup pruned at once as the oldest. A
backup identical to the one before it replaces it instead of pushing out a distinct older one
(a merge retried ten times leaves one backup, not ten).
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from ..paths import backups_dir
from .database import Database, StoreError, journal_path, read_header
from .fields import ROW_TABLES

KEEP = 20
_NAME = re.compile(
    r"^(?P<stem>.+?)-(?:n(?P<seq>\d{6,})-)?(?P<stamp>\d{8}-\d{6}-\d{6})-(?P<reason>[a-z-]+)\.sqlite$"
)
REASON_LABELS = {
    "daily": "每日自动备份",
    "merge": "合并副本前",
    "import": "导入前",
    "migration": "升级数据格式前",
    "restore": "从备份恢复前",
    "manual": "手动备份",
}


@dataclass(frozen=True)
class Backup:
    path: Path
    taken_at: datetime  # by the clock of the PC that took it (shown, never used to order)
    reason: str
    seq: int = 0  # creation order (0: named before sequence numbers)

    @property
    def label(self) -> str:
        return f"{self.taken_at:%Y-%m-%d %H:%M:%S}  {REASON_LABELS.get(self.reason, self.reason)}"


def _stamp_time(stamp: str) -> datetime | None:
    """The time in a backup's name (20220630-154501-123456), None if it is no real time. Read
    by hand: datetime.strptime costs the start-up its own imports (_strptime, locale, calendar)
    and regular expressions."""
    day, clock, micro = stamp.split("-")
    try:
        return datetime(
            int(day[:4]), int(day[4:6]), int(day[6:]),
            int(clock[:2]), int(clock[2:4]), int(clock[4:]), int(micro),
        )  # fmt: skip
    except ValueError:
        return None


def list_backups(db_path: Path) -> list[Backup]:
    """Backups of a plan file, newest first."""
    folder = backups_dir(db_path)
    found = []
    if folder.is_dir():
        for path in folder.glob("*.sqlite"):
            match = _NAME.match(path.name)
            taken_at = _stamp_time(match.group("stamp")) if match else None
            if taken_at is None:
                continue
            seq = int(match.group("seq") or 0)
            found.append(Backup(path, taken_at, match.group("reason"), seq))
    return sorted(found, key=lambda b: (b.seq, b.taken_at, b.path.name), reverse=True)


def take_backup(database: Database, reason: str, keep: int = KEEP) -> Path:
    """Copy the open file into its backups folder (checked, renamed into place). The backup
    returned exists when this returns, whatever the clock says and however many there are."""
    folder = backups_dir(database.path)
    existing = list_backups(database.path)
    seq = (existing[0].seq if existing else 0) + 1
    now = datetime.now()
    target = folder / f"{database.path.stem}-n{seq:06d}-{now:%Y%m%d-%H%M%S-%f}-{reason}.sqlite"
    while target.exists():  # two backups within the same microsecond
        now += timedelta(microseconds=1)
        target = folder / f"{database.path.stem}-n{seq:06d}-{now:%Y%m%d-%H%M%S-%f}-{reason}.sqlite"
    database.backup_to(target)
    if existing and _same_content(existing[0].path, target):
        # Nothing changed since the last backup: this one takes its place.
        with contextlib.suppress(OSError):
            existing[0].path.unlink()
    prune(database.path, keep, protect=target)
    return target


def _same_content(a: Path, b: Path) -> bool:
    """Two backups of the same content (the header's change counters aside)."""
    try:
        if a.stat().st_size != b.stat().st_size:
            return False
        with open(a, "rb") as first, open(b, "rb") as second:
            head_a, head_b = bytearray(first.read(100)), bytearray(second.read(100))
            for start, end in ((24, 28), (92, 100)):
                head_a[start:end] = head_b[start:end] = bytes(end - start)
            if head_a != head_b:
                return False
            while True:
                chunk_a, chunk_b = first.read(1 << 20), second.read(1 << 20)
                if chunk_a != chunk_b:
                    return False
                if not chunk_a:
                    return True
    except OSError:
        return False


def backup_file(path: Path, reason: str, keep: int = KEEP) -> Path:
    """Back up a file that is not open yet (e.g. before migrating it), read-only."""
    database = Database.open(path, readonly=True, migrate=False)
    try:
        return take_backup(database, reason, keep)
    finally:
        database.close()


def prune(db_path: Path, keep: int = KEEP, protect: Path | None = None) -> None:
    """Keep the newest ``keep`` backups by creation order (never ``protect``)."""
    for old in list_backups(db_path)[keep:]:
        if protect is not None and old.path == protect:
            continue
        try:
            old.path.unlink()
        except OSError:
            pass


def daily_backup_due(db_path: Path, today: datetime | None = None) -> bool:
    today = today or datetime.now()
    return not any(b.taken_at.date() == today.date() for b in list_backups(db_path))


def newest_good_backup(db_path: Path) -> Backup | None:
    """The newest backup that passes its own checks (for a damaged file)."""
    for backup in list_backups(db_path):
        try:
            read_header(backup.path)
            database = Database.open(backup.path, readonly=True, migrate=False)
            database.close()
        except StoreError:
            continue
        return backup
    return None


def restore(database: Database, backup: Path) -> Path:
    """Replace the open file's content with a backup's, after backing up the current state.

    A restore is a logged event: the file keeps its whole change log (the backup's and its
    own), and every value the restore puts back is logged as a change (source ``restore``),
    so a later merge of a copy made before the restore does not quietly bring the reverted
    values back; they can only come back as a conflict the clerk sees.

    The restored content is prepared in memory and copied in through SQLite's backup API in
    one step, under SQLite's locks (another clerk's app sees it on its next refresh).
    Returns the path of the safety backup taken first.
    """
    source = Database.open(backup, readonly=True, migrate=False)
    try:
        safety = take_backup(database, "restore")
        staged = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
        try:
            source.conn.backup(staged)
            _log_restore(database, staged)
            staged.backup(database.conn)
        except sqlite3.Error as exc:
            from .database import classify_error

            raise classify_error(exc, str(database.path)) from exc
        finally:
            staged.close()
    finally:
        source.close()
    return safety


_NOT_LOGGED = {"version", "modified_at", "modified_by"}


def _log_restore(database: Database, staged: sqlite3.Connection) -> None:
    """In the staged (restored) content: keep the current log, and log what the restore
    changes, row by row and field by field."""
    from .store import Store

    target = Database(database.path, staged, readonly=False)
    _configure_staged(staged)
    if target.user_version() < database.user_version():
        target._migrate()  # a backup from before a schema upgrade
    store = Store(target)
    columns = [d[1] for d in database.conn.execute("PRAGMA table_info(change_log)")]
    marks = ", ".join("?" for _ in columns)
    with store.write("从备份恢复", "restore") as w:
        for row in database.conn.execute(f"SELECT {', '.join(columns)} FROM change_log"):
            staged.execute(
                f"INSERT OR IGNORE INTO change_log ({', '.join(columns)}) VALUES ({marks})", row
            )
        for table in ROW_TABLES:
            now = _rows(database.conn, table)
            restored = _rows(staged, table)
            for row_id in sorted(now.keys() - restored.keys()):
                w.log("delete", table, row_id, None, now[row_id], None)
            for row_id in sorted(restored.keys() - now.keys()):
                w.log("insert", table, row_id, None, None, restored[row_id])
            for row_id in sorted(now.keys() & restored.keys()):
                before, after = now[row_id], restored[row_id]
                for name in sorted(after):
                    if name != "id" and before.get(name) != after[name]:
                        w.log("update", table, row_id, name, before.get(name), after[name])


def _configure_staged(conn: sqlite3.Connection) -> None:
    conn.execute("PRAGMA foreign_keys = ON")


def _rows(conn: sqlite3.Connection, table: str) -> dict[str, dict[str, object]]:
    cursor = conn.execute(f"SELECT * FROM {table}")
    names = [d[0] for d in cursor.description]
    found = {}
    for values in cursor:
        row = {k: v for k, v in zip(names, values, strict=True) if k not in _NOT_LOGGED}
        found[str(row["id"])] = row
    return found


def restore_damaged(path: Path, backup: Path) -> Path:
    """Put a good backup in place of a damaged file that cannot be opened.

    The damaged file is kept beside it (renamed, never written to); the restored copy is
    built under a temporary name and renamed into place. Returns where the damaged file went.
    """
    source = Database.open(backup, readonly=True, migrate=False)
    try:
        temp = source.backup_to(path.with_name(f".{path.name}.restoring"))
    finally:
        source.close()
    aside = path.with_name(f"{path.stem}.damaged-{datetime.now():%Y%m%d-%H%M%S}{path.suffix}")
    journal = journal_path(path)
    moved = journal_moved = False
    try:
        # On Windows neither can be renamed while another program (another clerk's app on the
        # share) holds it open: then nothing is moved and the caller says the file is in use.
        if path.exists():
            path.replace(aside)
            moved = True
        if journal.exists():
            # The damaged file's journal belongs with it; left under the real name, SQLite
            # would play it into the restored copy.
            journal.replace(journal_path(aside))
            journal_moved = True
        temp.replace(path)
    except OSError:
        if journal_moved:
            journal_path(aside).replace(journal)
        if moved:
            aside.replace(path)
        temp.unlink(missing_ok=True)
        raise
    return aside


def full_check(path: Path) -> list[str]:
    """``PRAGMA integrity_check`` and foreign keys of a (backup) file: the thorough check that
    also finds damaged indexes, which a quick check does not. Run on the daily backup, it
    checks the open file's content; the problems are listed, not raised."""
    database = Database.open(path, readonly=True, migrate=False, check="quick")
    try:
        return database.integrity_problems()
    finally:
        database.close()
