"""The SQLite file: checking it before use, opening it safely, migrating it, writing to it.

The file lives on USB sticks and Windows network drives and is sometimes opened by two
clerks at once, so:

* the journal stays in rollback mode (DELETE), never WAL, whose shared memory does not work
  on network file systems; ``synchronous=FULL`` so a committed edit survives a power cut;
* the connection runs in autocommit mode and every write is our own ``BEGIN IMMEDIATE …
  COMMIT``: Python's lazily-started transactions let a read-then-write fail at once with
  "database is locked" whatever the busy timeout (cpython #124510);
* a file is judged from its raw header before SQLite reads it, so a file that is not ours
  is never touched, let alone written;
* every open runs SQLite's full ``integrity_check`` (``quick_check`` misses damaged indexes),
  so a damaged file — the master, a merge source, a backup being restored, a copy from a
  stick — is refused before anything reads it as good or writes it. On a big file that
  costs time (about three quick checks); ``check="background"`` runs it in a thread after a
  quick check instead, and every write waits for its verdict, so a damaged file is still
  never written.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sqlite3
import struct
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import TYPE_CHECKING
from urllib.parse import quote

from ..paths import resource_path
from .files import tidy_leftovers

if TYPE_CHECKING:
    import sqlite_utils

APPLICATION_ID = 0x4A475150  # "JGQP": identifies a jingan_desktop plan file
SQLITE_MAGIC = b"SQLite format 3\x00"
BUSY_TIMEOUT_MS = 5000
BUSY_RETRIES = 3
BACKUP_STEP_PAGES = 1024
# How Database.open checks a file: "full" integrity_check before returning; "quick"
# quick_check only (the caller runs the full check itself and reports what it finds);
# "background" quick_check, then integrity_check in a thread that every write waits for.
CHECKS = ("full", "quick", "background")


# --- errors ---------------------------------------------------------------------------------


class StoreError(Exception):
    """Base class: something about the plan file prevents the operation."""

    def __init__(self, path: str | os.PathLike[str] | None, detail: str = "") -> None:
        self.path = str(path) if path is not None else None
        self.detail = detail
        super().__init__(f"{self.path}: {detail}" if self.path else detail)


class FileMissingError(StoreError):
    """The file does not exist (or vanished, e.g. a USB stick was pulled)."""


class EmptyFileError(StoreError):
    """The file is zero bytes long."""


class NotSQLiteError(StoreError):
    """The file is not an SQLite database."""


class NotOurFileError(StoreError):
    """The file is an SQLite database, but not a jingan_desktop plan file."""


class NewerSchemaError(StoreError):
    """The file was written by a newer version of the app."""

    def __init__(self, path: str | os.PathLike[str], found: int, supported: int) -> None:
        super().__init__(path, f"schema version {found}, this app supports up to {supported}")
        self.found = found
        self.supported = supported


class TruncatedError(StoreError):
    """The file is shorter than its own header says: an interrupted copy."""


class CorruptError(StoreError):
    """SQLite's own check found damage in the file."""


class ReadOnlyError(StoreError):
    """The file is open read-only (write-protected stick, read-only share) or became so."""


class InterruptedSaveError(ReadOnlyError):
    """A save was interrupted (its journal is still beside the file) and the file cannot be
    written here to roll it back, so it cannot be read either."""


class BusyError(StoreError):
    """Another user keeps the file locked (someone else is saving, or reading for long)."""


# The words of every lock wait that ran out, whichever statement met the lock.
BUSY_DETAIL = "the file stayed locked by another user saving or reading it; try again in a moment"
INTERRUPTED_DETAIL = (
    "a save to this file was interrupted (its -journal file is still beside it) and the"
    " folder is read-only here, so it cannot be rolled back: copy the file together with its"
    " -journal file to a writable folder and open it there"
)


class JournalHeldError(BusyError):
    """Windows: another program (a backup, sync or antivirus tool) holds the file's -journal
    open, so SQLite cannot delete it to end a save or the roll-back of an interrupted one.
    Nothing is lost: the journal stays, and the next try after that program lets go ends it."""


JOURNAL_HELD_DETAIL = (
    "its -journal file is open in another program (a backup, sync or antivirus tool?), so the"
    " save cannot be finished; nothing was lost: close that program and try again"
)


class WriteFailedError(StoreError):
    """The write did not reach the disk: full disk, no permission, the medium went away."""


# --- paths ----------------------------------------------------------------------------------


def sqlite_uri(path: str | os.PathLike[str], mode: str, windows: bool | None = None) -> str:
    """A ``file:`` URI for sqlite3.connect(uri=True) that survives odd paths.

    Handles drive letters (``C:\\x.sqlite``), UNC shares (``\\\\server\\share\\x.sqlite``, which
    SQLite wants as ``file:////server/share/…``), and names with ``?``, ``#``, ``%`` or
    non-ASCII (GBK-era) characters, which are percent-encoded as UTF-8.
    """
    windows = sys.platform.startswith("win") if windows is None else windows
    text = os.fspath(path)
    if windows:
        win = PureWindowsPath(text)
        if not win.is_absolute():
            win = PureWindowsPath(os.path.abspath(text)) if sys.platform.startswith("win") else win
        posix = win.as_posix()
        if posix.startswith("//"):  # UNC share
            location = "//" + posix
        elif win.drive:
            location = "/" + posix
        else:
            location = posix
    else:
        posix = PurePosixPath(text)
        if not posix.is_absolute() and not sys.platform.startswith("win"):
            posix = PurePosixPath(Path(text).absolute())
        location = str(posix)
    return f"file:{quote(location, safe='/:')}?mode={mode}"


# --- the raw header -------------------------------------------------------------------------


@dataclass(frozen=True)
class Header:
    page_size: int
    page_count: int | None  # None when the header's in-file size is not valid (old writers)
    application_id: int
    user_version: int


def read_header(path: str | os.PathLike[str]) -> Header:
    """Judge a file from its first 100 bytes, without handing it to SQLite."""
    if os.path.isdir(path):  # Windows refuses to open a folder with PermissionError
        raise NotSQLiteError(path, "is a folder, not a file")
    try:
        with open(path, "rb") as handle:
            head = handle.read(100)
            size = os.fstat(handle.fileno()).st_size
    except FileNotFoundError as exc:
        raise FileMissingError(path, "file not found") from exc
    except IsADirectoryError as exc:
        raise NotSQLiteError(path, "is a folder, not a file") from exc
    except OSError as exc:
        raise FileMissingError(path, exc.strerror or str(exc)) from exc
    if size == 0:
        raise EmptyFileError(path, "file is empty")
    if not head.startswith(SQLITE_MAGIC):
        raise NotSQLiteError(path, "not an SQLite database")
    if len(head) < 100:
        raise TruncatedError(path, f"only {size} bytes")
    (page_size,) = struct.unpack(">H", head[16:18])
    page_size = 65536 if page_size == 1 else page_size
    change_counter, page_count = struct.unpack(">II", head[24:32])
    (valid_for,) = struct.unpack(">I", head[92:96])
    (user_version,) = struct.unpack(">i", head[60:64])
    (application_id,) = struct.unpack(">I", head[68:72])
    count = page_count if page_count and valid_for == change_counter else None
    if page_size < 512 or page_size & (page_size - 1):
        raise CorruptError(path, f"impossible page size {page_size}")
    if count is not None and size < count * page_size and not has_hot_journal(Path(path)):
        # (With a hot journal beside it the file is mid-commit, not truncated: SQLite rolls
        # the journal back on open and the file is whole again.)
        raise TruncatedError(path, f"{size} bytes on disk, header promises {count * page_size}")
    return Header(page_size, count, application_id, user_version)


# --- migrations -----------------------------------------------------------------------------


def migration_files() -> list[tuple[int, Path]]:
    folder = resource_path("db/migrations")
    found = []
    for path in sorted(folder.glob("[0-9][0-9][0-9][0-9]_*.sql")):
        found.append((int(path.name[:4]), path))
    numbers = [number for number, _ in found]
    if numbers != list(range(1, len(numbers) + 1)):
        raise RuntimeError(f"migrations in {folder} are not numbered 1..n: {numbers}")
    return found


SCHEMA_VERSION = len(migration_files())


def split_sql(script: str) -> list[str]:
    """Split a migration into statements (executescript would commit our transaction)."""
    statements, buffer = [], ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            if buffer.strip():
                statements.append(buffer.strip())
            buffer = ""
    if buffer.strip() and not all(
        part.strip().startswith("--") or not part.strip() for part in buffer.splitlines()
    ):
        raise ValueError(f"incomplete SQL statement at the end: {buffer[:80]!r}")
    return statements


# --- the connection -------------------------------------------------------------------------


def classify_error(exc: sqlite3.Error, path: str) -> StoreError:
    name = getattr(exc, "sqlite_errorname", "") or ""
    message = str(exc)
    if name == "SQLITE_IOERR_DELETE":  # Windows: a sharing violation on the journal
        return JournalHeldError(path, JOURNAL_HELD_DETAIL)
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "locked" in message:
        return BusyError(path, BUSY_DETAIL)
    if name == "SQLITE_READONLY_ROLLBACK":
        return InterruptedSaveError(path, INTERRUPTED_DETAIL)
    if name.startswith("SQLITE_READONLY") or "readonly" in message:
        return ReadOnlyError(path, message)
    if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")) or "malformed" in message:
        return CorruptError(path, message)
    if name.startswith(("SQLITE_FULL", "SQLITE_IOERR", "SQLITE_CANTOPEN", "SQLITE_PERM")) or any(
        word in message for word in ("disk", "I/O", "unable to open")
    ):
        return WriteFailedError(path, message)
    return StoreError(path, message)


class Database:
    """One open plan file. Writes go through :meth:`transaction`, nowhere else."""

    def __init__(self, path: Path, conn: sqlite3.Connection, readonly: bool) -> None:
        self.path = path
        self.conn = conn
        self.readonly = readonly
        self.busy_retries = BUSY_RETRIES
        self._in_write = False
        self._identity = _identity(path)
        self._had_content = _size(path) > 0
        self.recovered_journal = False  # opening rolled back a save interrupted by a crash
        self._full_check: _BackgroundCheck | None = None

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
        temp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
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
            _unlink_quietly(temp)
            _unlink_quietly(temp.with_name(temp.name + "-journal"))
            if isinstance(exc, sqlite3.Error):
                raise classify_error(exc, str(path)) from exc
            if isinstance(exc, OSError):
                raise WriteFailedError(path, exc.strerror or str(exc)) from exc
            raise
        return cls.open(path)

    def _check_on_open(self, check: str) -> None:
        _refuse_damage(
            self.path, self.conn, "integrity_check" if check == "full" else "quick_check"
        )
        if check == "background":
            self._full_check = _BackgroundCheck(self.path)

    def await_full_check(self) -> None:
        """Wait for the background integrity check, if one runs; raise CorruptError if it
        found damage (then every write is refused). Every transaction calls this first."""
        if self._full_check is None:
            return
        problems = self._full_check.result()
        if problems is None:  # it could not run (locked out, interrupted): check here
            _refuse_damage(self.path, self.conn, "integrity_check")
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
        identity = _identity(self.path)
        if identity is None:
            raise FileMissingError(self.path, "file is gone (removed, renamed or medium pulled)")
        if self._had_content and _size(self.path) == 0:
            raise FileMissingError(self.path, "file was emptied since it was opened")
        if self._identity is not None and identity != self._identity:
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
        temp = destination.with_name(f".{destination.name}.{uuid.uuid4().hex[:8]}.part")
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
            _unlink_quietly(temp)
            raise classify_error(exc, str(destination)) from exc
        except BaseException:
            _unlink_quietly(temp)
            raise
        return destination


def _refuse_damage(path: Path, conn: sqlite3.Connection, pragma: str) -> None:
    """Run ``PRAGMA integrity_check`` or ``quick_check``; CorruptError unless it says ok."""
    try:
        rows = conn.execute(f"PRAGMA {pragma}").fetchall()
    except sqlite3.DatabaseError as exc:
        error = classify_error(exc, str(path))
        if type(error) is StoreError:  # nothing more specific: SQLite found damage
            error = CorruptError(path, str(exc))
        raise error from exc
    problems = [row[0] for row in rows if row[0] != "ok"]
    if problems:
        raise CorruptError(path, "; ".join(problems[:5]))


class _BackgroundCheck:
    """``PRAGMA integrity_check`` on a connection of its own, in a thread."""

    def __init__(self, path: Path) -> None:
        self._conn: sqlite3.Connection | None = None
        self._problems: list[str] | None = None
        self._started = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(path,), daemon=True)
        self._thread.start()
        self._started.wait()

    def _run(self, path: Path) -> None:
        try:
            self._conn = _connect(path, readonly=True)
        except StoreError:
            return
        finally:
            self._started.set()
        try:
            rows = self._conn.execute("PRAGMA integrity_check").fetchall()
            self._problems = [row[0] for row in rows if row[0] != "ok"]
        except sqlite3.DatabaseError as exc:
            if "interrupted" not in str(exc) and not isinstance(
                classify_error(exc, str(path)), BusyError
            ):
                self._problems = [str(exc)]  # damaged beyond reading
        finally:
            self._conn.close()

    def result(self) -> list[str] | None:
        """The problems found (empty: sound), or None if the check could not run."""
        self._thread.join()
        return self._problems

    def stop(self) -> None:
        if self._conn is not None and self._thread.is_alive():
            with contextlib.suppress(sqlite3.Error):
                self._conn.interrupt()
        self._thread.join()


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


def is_writable(path: Path) -> bool:
    """Whether we may write the file and create its journal beside it."""
    if not os.access(path, os.W_OK) or not os.access(path.parent, os.W_OK):
        return False
    try:
        with open(path, "r+b"):
            pass
    except OSError:
        return False
    return True


def has_hot_journal(path: Path) -> bool:
    """A rollback journal left by a writer that died mid-commit (its header is not zeroed)."""
    try:
        with open(journal_path(path), "rb") as handle:
            return any(handle.read(8))
    except OSError:
        return False


def journal_path(path: Path) -> Path:
    return path.with_name(path.name + "-journal")


def move_stale_journal(path: Path) -> None:
    """Before putting a new file under ``path``: a journal left there belongs to the old file
    and would be played into the new one, so it goes aside (kept, never deleted)."""
    journal = journal_path(path)
    if journal.exists():
        journal.replace(journal.with_name(f"{journal.name}.stale-{uuid.uuid4().hex[:8]}"))


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return (stat.st_dev, stat.st_ino)


def _size(path: Path) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return -1


def _unlink_quietly(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()
