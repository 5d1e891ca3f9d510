"""The ways a plan file can refuse an operation (:class:`StoreError` and its kinds), and how an
SQLite error is turned into one of them (:func:`classify_error`): the UI and the CLI word each
kind for the clerk (``qt/messages.py``), never SQLite's own text."""

from __future__ import annotations

import os
import sqlite3


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


class JournalHeldError(BusyError):
    """Windows: another program (a backup, sync or antivirus tool) holds the file's -journal
    open, so SQLite cannot delete it to end a save or the roll-back of an interrupted one.
    Nothing is lost: the journal stays, and the next try after that program lets go ends it."""


JOURNAL_HELD_DETAIL = (
    "its -journal file is open in another program (a backup, sync or antivirus tool?), so the"
    " save cannot be finished; nothing was lost: close that program and try again"
)


# The words of every lock wait that ran out, whichever statement met the lock.
BUSY_DETAIL = "the file stayed locked by another user saving or reading it; try again in a moment"
INTERRUPTED_DETAIL = (
    "a save to this file was interrupted (its -journal file is still beside it) and the"
    " folder is read-only here, so it cannot be rolled back: copy the file together with its"
    " -journal file to a writable folder and open it there"
)


class WriteFailedError(StoreError):
    """The write did not reach the disk: full disk, no permission, the medium went away."""


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
