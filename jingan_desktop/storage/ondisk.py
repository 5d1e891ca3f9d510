"""The plan file on disk, before SQLite reads it: its ``file:`` URI, its raw header, its
rollback journal, whether it may be written, and whether it is still the file that was opened."""

from __future__ import annotations

import contextlib
import os
import struct
import sys
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath
from urllib.parse import quote

from .failures import (
    CorruptError,
    EmptyFileError,
    FileMissingError,
    NotSQLiteError,
    TruncatedError,
)

SQLITE_MAGIC = b"SQLite format 3\x00"


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
        # 8 random hex digits, without loading uuid (and platform) when the module loads
        journal.replace(journal.with_name(f"{journal.name}.stale-{os.urandom(4).hex()}"))


def identity(path: Path) -> tuple[int, int] | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return (stat.st_dev, stat.st_ino)


def size_on_disk(path: Path) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return -1


def unlink_quietly(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()
