"""The SQLite file: checking it before use, opening it safely, migrating it, writing to it.

The file lives on USB sticks and Windows network drives and is sometimes opened by two
clerks at once, so:

* the journal stays in rollback mode (DELETE), never WAL, whose shared memory does not work
  on network file systems; ``synchronous=FULL`` so a committed edit survives a power cut;
* the connection runs in autocommit mode and every write is our own ``BEGIN IMMEDIATE …
  COMMIT``: Python's lazily-started transactions let a read-then-write fail at once with
  "database is locked" whatever the busy timeout (cpython #124510);
* a file is judged from its raw header before SQLite reads it (:mod:`.ondisk`), so a file
  that is not ours is never touched, let alone written;
* SQLite's full ``integrity_check`` (``quick_check`` misses damaged indexes) stands between
  a damaged file — the master, a merge source, a backup being restored, a copy from a stick —
  and anything that would read it as good or write it. By default every open runs it before
  returning. It reads every page, the change log's too, so on a big file it costs more than
  reading the plan: ``check="background"`` runs it in a thread on its own connection instead
  (:mod:`.checking`) and every write waits for its verdict, so a damaged file is still never
  written; ``check="auto"`` (the window) checks a small file at once and a big one in the
  background.

The errors (:mod:`.failures`), the file on disk (:mod:`.ondisk`) and the migrations
(:mod:`.migrations`) live in their own modules; their names are importable from here.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from .checking import BackgroundCheck, Verdict, refuse_damage
from .failures import (
    BUSY_DETAIL,
    INTERRUPTED_DETAIL,
    JOURNAL_HELD_DETAIL,
    BusyError,
    CorruptError,
    EmptyFileError,
    FileMissingError,
    InterruptedSaveError,
    JournalHeldError,
    NewerSchemaError,
    NotOurFileError,
    NotSQLiteError,
    ReadOnlyError,
    StoreError,
    TruncatedError,
    WriteFailedError,
    classify_error,
)
from .files import tidy_leftovers
from .migrations import SCHEMA_VERSION, migration_files, split_sql
from .ondisk import (
    SQLITE_MAGIC,
    Header,
    has_hot_journal,
    identity,
    is_writable,
    journal_path,
    move_stale_journal,
    read_header,
    size_on_disk,
    sqlite_uri,
    unlink_quietly,
)

if TYPE_CHECKING:
    import sqlite_utils

__all__ = [
    "APPLICATION_ID",
    "BUSY_DETAIL",
    "INTERRUPTED_DETAIL",
    "JOURNAL_HELD_DETAIL",
    "SCHEMA_VERSION",
    "SQLITE_MAGIC",
    "BusyError",
    "CorruptError",
    "Database",
    "EmptyFileError",
    "FileMissingError",
    "Header",
    "InterruptedSaveError",
    "JournalHeldError",
    "NewerSchemaError",
    "NotOurFileError",
    "NotSQLiteError",
    "ReadOnlyError",
    "StoreError",
    "TruncatedError",
    "WriteFailedError",
    "classify_error",
    "has_hot_journal",
    "is_writable",
    "journal_path",
    "migration_files",
    "move_stale_journal",
    "read_header",
    "split_sql",
    "sqlite_uri",
]

APPLICATION_ID = 0x4A475150  # "JGQP": identifies a jingan_desktop plan file
BUSY_TIMEOUT_MS = 5000
BUSY_RETRIES = 3
BACKUP_STEP_PAGES = 1024
# How Database.open checks a file: "full" integrity_check before returning; "quick"
# quick_check only (the caller runs the full check itself and reports what it finds);
# "background" integrity_check in a thread of its own, started by start_full_check() or by
# the first write, which waits for its verdict; "auto" full for a file of up to
# FULL_CHECK_BYTES (a few tens of milliseconds), background for a bigger one.
CHECKS = ("full", "quick", "background", "auto")
FULL_CHECK_BYTES = 4 * 1024 * 1024


class Database:
    """One open plan file. Writes go through :meth:`transaction`, nowhere else."""

    def __init__(self, path: Path, conn: sqlite3.Connection, readonly: bool) -> None:
        self.path = path
        self.conn = conn
        self.readonly = readonly
        self.busy_retries = BUSY_RETRIES
        self._in_write = False
        self._identity = identity(path)
        self._had_content = size_on_disk(path) > 0
        self.recovered_journal = False  # opening rolled back a save interrupted by a crash
        self._full_check: BackgroundCheck | None = None

    @functools.cached_property
    def db(self) -> sqlite_utils.Database:
        """sqlite-utils over the same connection, for the work it does well (table counts and
        introspection in ``check``, bulk inserts). Imported on first use, not on open: the
        import pulls numpy, click and pluggy (~0.5 s) and its constructor scans the installed
        packages for plugins, none of which the start-up path needs."""
        import sqlite_utils

        # The schema has no triggers: no PRAGMA on the connection in the middle of a read.
        return sqlite_utils.Database(self.conn, recursive_triggers=False)

    # -- opening --

    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str],
        *,
        readonly: bool = False,
        migrate: bool = True,
        before_migrate: Callable[[Path], None] | None = None,
        check: str = "full",
    ) -> Database:
        """Open an existing plan file after checking it; see the module docstring.

        ``before_migrate`` is called (with the path) before an older schema is upgraded, so
        the caller can take a backup first. ``check`` is one of :data:`CHECKS`.
        """
        if check not in CHECKS:
            raise ValueError(f"check must be one of {CHECKS}, not {check!r}")
        path = Path(path)
        header = read_header(path)
        if header.application_id != APPLICATION_ID:
            raise NotOurFileError(path, "an SQLite database, but not a jingan_desktop plan file")
        if header.user_version > SCHEMA_VERSION:
            raise NewerSchemaError(path, header.user_version, SCHEMA_VERSION)
        writable = is_writable(path)
        readonly = readonly or not writable
        interrupted = has_hot_journal(path)
        if interrupted and readonly and writable:
            # A read-only connection cannot roll back a crashed writer's journal ("attempt
            # to write a readonly database"): a writable one does it first, as any open would.
            _roll_back_journal(path)
        conn = _connect(path, readonly)
        try:
            database = cls(path, conn, readonly)
            database._check_on_open(check)
            database.recovered_journal = interrupted and not has_hot_journal(path)
            if database.user_version() < SCHEMA_VERSION and migrate:
                if readonly:
                    raise ReadOnlyError(path, "file needs upgrading but is read-only")
                if before_migrate is not None:
                    before_migrate(path)
                database._migrate()
        except BaseException:
            conn.close()
            raise
        return database

    @classmethod
    def create(
        cls, path: str | os.PathLike[str], populate: Callable[[Database], None] | None = None
    ) -> Database:
        """Create a new plan file. It is built under a temporary name and renamed into place
        only when complete, so a failure never leaves a half-made file under the real name."""
        path = Path(path)
        if path.exists():
            raise FileExistsError(path)
        # 8 random hex digits (os.urandom: uuid would load uuid and platform at start-up, ~4 ms)
        temp = path.with_name(f".{path.name}.{os.urandom(4).hex()}.tmp")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tidy_leftovers(path)  # of earlier creations that were killed midway
            conn = sqlite3.connect(str(temp), isolation_level=None, check_same_thread=False)
        except sqlite3.Error as exc:
            raise classify_error(exc, str(path)) from exc
        except OSError as exc:
            raise WriteFailedError(path, exc.strerror or str(exc)) from exc
        try:
            database = cls(temp, conn, readonly=False)
            _configure(conn, readonly=False)
            database._migrate()
            if populate is not None:
                populate(database)
            conn.close()
            move_stale_journal(path)
            os.replace(temp, path)
        except BaseException as exc:
            conn.close()
            unlink_quietly(temp)
            unlink_quietly(temp.with_name(temp.name + "-journal"))
            if isinstance(exc, sqlite3.Error):
                raise classify_error(exc, str(path)) from exc
            if isinstance(exc, OSError):
                raise WriteFailedError(path, exc.strerror or str(exc)) from exc
            raise
        return cls.open(path)

    def _check_on_open(self, check: str) -> None:
        if check == "auto":
            check = "full" if size_on_disk(self.path) <= FULL_CHECK_BYTES else "background"
        if check == "background":
            self._full_check = BackgroundCheck(self.path, lambda p: _connect(p, readonly=True))
        else:
            pragma = "integrity_check" if check == "full" else "quick_check"
            refuse_damage(self.path, self.conn, pragma)

    @property
    def full_check_pending(self) -> bool:
        """The background integrity check has not given its verdict yet."""
        return self._full_check is not None and not self._full_check.done

    def start_full_check(self) -> None:
        """Start the background integrity check now (the first write would start it anyway)."""
        if self._full_check is not None:
            self._full_check.start()

    def when_full_check_done(self, callback: Callable[[Verdict], None]) -> None:
        """``callback(problems)`` once the background check has its verdict (on the check's
        thread; at once if there is none to wait for): a list of problems, empty when sound,
        None when it could not run (then the first write checks the file itself)."""
        if self._full_check is None:
            callback([])
        else:
            self._full_check.when_done(callback)

    def await_full_check(self) -> None:
        """Wait for the background integrity check, if one runs; raise CorruptError if it
        found damage (then every write is refused). Every transaction calls this first."""
        if self._full_check is None:
            return
        problems = self._full_check.result()
        if problems is None:  # it could not run (locked out, interrupted): check here
            refuse_damage(self.path, self.conn, "integrity_check")
            self._full_check = None
        elif problems:
            raise CorruptError(self.path, "; ".join(problems[:5]))
        else:
            self._full_check = None  # checked and sound

    def close(self) -> None:
        if self._full_check is not None:
            self._full_check.stop()
        self.conn.close()

    # -- facts --

    def user_version(self) -> int:
        return int(self.conn.execute("PRAGMA user_version").fetchone()[0])

    def application_id(self) -> int:
        return int(self.conn.execute("PRAGMA application_id").fetchone()[0])

    def data_version(self) -> int:
        """Changes when another connection commits (cheap; poll it on a timer)."""
        return int(self.conn.execute("PRAGMA data_version").fetchone()[0])

    def integrity_problems(self) -> list[str]:
        rows = self.conn.execute("PRAGMA integrity_check").fetchall()
        problems = [row[0] for row in rows if row[0] != "ok"]
        for row in self.conn.execute("PRAGMA foreign_key_check").fetchall():
            problems.append(f"foreign key: {row[0]} rowid {row[1]} → {row[2]}")
        return problems

    # -- reading and writing --

    def execute(
        self, sql: str, params: tuple[object, ...] | dict[str, object] = ()
    ) -> sqlite3.Cursor:
        try:
            return self.conn.execute(sql, params)
        except sqlite3.Error as exc:
            raise classify_error(exc, str(self.path)) from exc

    @contextlib.contextmanager
    def reading(self) -> Iterator[Database]:
        """A consistent snapshot across several SELECTs."""
        if self._in_write or self.conn.in_transaction:
            yield self
            return
        self.execute("BEGIN")
        try:
            yield self
        finally:
            if self.conn.in_transaction:
                self.conn.execute("COMMIT")

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Database]:
        """``BEGIN IMMEDIATE … COMMIT``: the write lock is taken before anything is read, so a
        read-then-write never deadlocks; a lock held by someone else is waited for
        (busy_timeout), retried, and finally reported as :class:`BusyError`."""
        if self.readonly:
            raise ReadOnlyError(self.path, "file is open read-only")
        if self._in_write:
            yield self
            return
        self.await_full_check()
        self._begin_immediate()
        self._in_write = True
        try:
            yield self
            # Checked again at the end: a long transaction (an import, a merge) must not be
            # reported saved into a file that was removed or swapped while it ran.
            self._check_still_there()
            self._commit()
        except BaseException:
            if self.conn.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    self.conn.execute("ROLLBACK")
            raise
        finally:
            self._in_write = False

    def _check_still_there(self) -> None:
        """The file must still be the one we opened. A pulled USB stick, or a file deleted
        or swapped underneath us, would otherwise take writes into a file nobody will see
        again (POSIX keeps an unlinked file's data reachable through the open handle)."""
        now = identity(self.path)
        if now is None:
            raise FileMissingError(self.path, "file is gone (removed, renamed or medium pulled)")
        if self._had_content and size_on_disk(self.path) == 0:
            raise FileMissingError(self.path, "file was emptied since it was opened")
        if self._identity is not None and now != self._identity:
            raise FileMissingError(
                self.path, "file was replaced by another file since it was opened"
            )

    def _commit(self) -> None:
        """``COMMIT``, which needs every reader gone: a long read elsewhere keeps it waiting
        (busy_timeout), then SQLite reports it busy but keeps the transaction, so it is
        retried like ``BEGIN IMMEDIATE``, and finally reported as :class:`BusyError` (the
        caller rolls back: nothing is written)."""
        for attempt in range(self.busy_retries + 1):
            try:
                self.conn.execute("COMMIT")
                return
            except sqlite3.Error as exc:
                error = classify_error(exc, str(self.path))
                last = attempt == self.busy_retries or not self.conn.in_transaction
                if not isinstance(error, BusyError) or last:
                    raise error from exc
                time.sleep(0.05 * (attempt + 1))

    def _begin_immediate(self) -> None:
        self._check_still_there()
        for attempt in range(self.busy_retries + 1):
            try:
                self.conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.Error as exc:
                error = classify_error(exc, str(self.path))
                if not isinstance(error, BusyError) or attempt == self.busy_retries:
                    if not self.path.exists():
                        raise FileMissingError(
                            self.path, "file is gone (removed or medium pulled)"
                        ) from exc
                    raise error from exc
                time.sleep(0.05 * (attempt + 1))

    @property
    def in_write(self) -> bool:
        return self._in_write

    # -- schema --

    def _migrate(self) -> None:
        current = self.user_version()
        pending = [(number, path) for number, path in migration_files() if number > current]
        if not pending:
            return
        # All pending steps in one transaction: an upgrade cut short (power, a pulled stick)
        # leaves the file at its old version, never between two steps.
        with self.transaction():
            for _number, path in pending:
                for statement in split_sql(path.read_text(encoding="utf-8")):
                    self.conn.execute(statement)
            self.conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            self.conn.execute(f"PRAGMA user_version = {pending[-1][0]}")

    # -- copies --

    def backup_to(self, destination: str | os.PathLike[str]) -> Path:
        """Write a consistent copy through SQLite's backup API: to a temporary name beside the
        destination, ``quick_check`` it, then rename it into place, so a half-written copy
        never carries the real name."""
        destination = Path(destination)
        destination.parent.mkdir(parents=True, exist_ok=True)
        temp = destination.with_name(f".{destination.name}.{os.urandom(4).hex()}.part")
        try:
            target = sqlite3.connect(str(temp), isolation_level=None)
            try:
                # In steps of 4 MiB: between steps the reading lock is let go, so a backup
                # taken on its own thread never holds another connection's commit up for
                # long (SQLite restarts the copy if the file changed meanwhile).
                self.conn.backup(target, pages=BACKUP_STEP_PAGES, sleep=0)
                target.execute("PRAGMA journal_mode = DELETE")
                result = target.execute("PRAGMA quick_check").fetchone()[0]
            finally:
                target.close()
            if result != "ok":
                raise CorruptError(temp, f"copy failed its check: {result}")
            with open(temp, "rb+") as handle:
                os.fsync(handle.fileno())
            os.replace(temp, destination)
        except sqlite3.Error as exc:
            unlink_quietly(temp)
            raise classify_error(exc, str(destination)) from exc
        except BaseException:
            unlink_quietly(temp)
            raise
        return destination


def _connect(path: Path, readonly: bool) -> sqlite3.Connection:
    mode = "ro" if readonly else "rw"
    try:
        conn = sqlite3.connect(
            sqlite_uri(path, mode), uri=True, isolation_level=None, check_same_thread=False
        )
    except sqlite3.Error as exc:
        raise classify_error(exc, str(path)) from exc
    try:
        _configure(conn, readonly)
    except sqlite3.Error as exc:
        conn.close()
        raise classify_error(exc, str(path)) from exc
    return conn


def _configure(conn: sqlite3.Connection, readonly: bool) -> None:
    for pragma in (
        f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}",
        "PRAGMA foreign_keys = ON",
        "PRAGMA trusted_schema = OFF",
        "PRAGMA synchronous = FULL",
    ):
        conn.execute(pragma)
    if not readonly:
        mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
        if mode.lower() not in ("delete", "truncate"):
            conn.execute("PRAGMA journal_mode = DELETE")


def _roll_back_journal(path: Path) -> None:
    """Let SQLite play back a hot journal (it does so on the first read of a writable
    connection, and only if no live writer still owns the journal)."""
    conn = _connect(path, readonly=False)
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.Error as exc:
        raise classify_error(exc, str(path)) from exc
    finally:
        conn.close()
