"""Kill points: a worker SIGKILLs itself at a named moment of one of its SQLite transactions.

SQLite's unix VFS lets a process replace the system calls it makes (``xSetSystemCall``);
:func:`install` replaces ``open``, ``write``/``pwrite64`` and ``unlink`` with wrappers that
watch one database file and its rollback journal, so a kill lands exactly where a power cut
or a crash hurts most, every time, whatever the machine's speed:

    mid-transaction      the first page was saved into the journal (not yet synced, not hot)
    journal-synced       COMMIT has synced the journal (hot); the file not yet written
    file-half-written    COMMIT has written the first page of the file (the header, which
                         may already promise pages the file does not have yet)
    journal-not-deleted  the file fully written, the journal not yet deleted: still hot, so
                         the transaction is rolled back on the next open
    after-commit         the journal was deleted (committed); the caller never heard of it

Only for the proofs' worker processes (bench/proofs/crash.py), never in the app. Needs the
SQLite library Python uses to be loadable with ctypes, and its unix VFS (POSIX).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sqlite3
import sys
from collections.abc import Callable
from dataclasses import dataclass

PHASES = (
    "mid-transaction",
    "journal-synced",
    "file-half-written",
    "journal-not-deleted",
    "after-commit",
)
# Whether the operation killed there must be found committed afterwards.
LANDS = {phase: phase == "after-commit" for phase in PHASES}


class KillPointsUnavailable(RuntimeError):
    """This Python's SQLite cannot have its system calls replaced (static build, no unix VFS)."""


class _Vfs(ctypes.Structure):
    """The head of ``sqlite3_vfs`` (version 3) up to the system-call methods."""

    _fields_ = [
        ("iVersion", ctypes.c_int),
        ("szOsFile", ctypes.c_int),
        ("mxPathname", ctypes.c_int),
        ("pNext", ctypes.c_void_p),
        ("zName", ctypes.c_char_p),
        ("pAppData", ctypes.c_void_p),
        *(
            (name, ctypes.c_void_p)
            for name in (
                "xOpen xDelete xAccess xFullPathname xDlOpen xDlError xDlSym xDlClose"
                " xRandomness xSleep xCurrentTime xGetLastError xCurrentTimeInt64"
                " xSetSystemCall xGetSystemCall xNextSystemCall"
            ).split()
        ),
    ]


_OPEN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_int)
_WRITE = ctypes.CFUNCTYPE(ctypes.c_ssize_t, ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t)
_PWRITE = ctypes.CFUNCTYPE(
    ctypes.c_ssize_t, ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int64
)
_UNLINK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_char_p)


@dataclass
class _Target:
    """Where to kill: in the ``transaction``-th transaction (1-based) on a watched file."""

    watch: Callable[[str], bool]  # the database file's path → watched?
    phase: str
    transaction: int
    ended: int = 0  # transactions finished (journal deleted) since arming
    journal_writes: int = 0
    file_writes: int = 0


class _KillPoints:
    def __init__(self) -> None:
        self.paths: dict[int, str] = {}  # fd → path, for files SQLite opened
        self.target: _Target | None = None
        self._keep: list[object] = []  # the callbacks must outlive their use by SQLite
        self._vfs, self._get, self._set = _unix_vfs()

    def install(self) -> None:
        real_open = _OPEN(self._get(self._vfs, b"open"))

        def opened(name: bytes, flags: int, mode: int) -> int:
            fd = real_open(name, flags, mode)
            if fd >= 0:
                self.paths[fd] = os.fsdecode(name)
            return fd

        self._replace(b"open", _OPEN(opened))
        for name, kind in ((b"pwrite64", _PWRITE), (b"pwrite", _PWRITE), (b"write", _WRITE)):
            if self._get(self._vfs, name):
                self._replace(name, kind(self._writer(kind(self._get(self._vfs, name)))))
        real_unlink = _UNLINK(self._get(self._vfs, b"unlink"))

        def unlinked(name: bytes) -> int:
            path = os.fsdecode(name)
            journal = self._watched_journal(path)
            if journal:
                self._at("journal-not-deleted", path)
            result = real_unlink(name)
            if journal and self.target is not None:
                self._at("after-commit", path)
                self.target.ended += 1
                self.target.journal_writes = self.target.file_writes = 0
            return result

        self._replace(b"unlink", _UNLINK(unlinked))

    def _writer(self, real: Callable[..., int]) -> Callable[..., int]:
        def written(fd: int, buf: int, size: int, *offset: int) -> int:
            path = self.paths.get(fd, "")
            target = self.target
            if target is not None and target.watch(path):
                if target.file_writes == 0:
                    self._at("journal-synced", path)
                target.file_writes += 1
                result = real(fd, buf, size, *offset)
                self._at("file-half-written", path)
                return result
            result = real(fd, buf, size, *offset)
            if target is not None and self._watched_journal(path):
                target.journal_writes += 1
                self._at("mid-transaction", path)
            return result

        return written

    def _watched_journal(self, path: str) -> bool:
        return (
            self.target is not None
            and path.endswith("-journal")
            and self.target.watch(path[: -len("-journal")])
        )

    def _at(self, phase: str, path: str) -> None:
        """SIGKILL now if this is the moment armed for."""
        target = self.target
        if target is None or target.phase != phase or target.ended != target.transaction - 1:
            return
        if phase == "mid-transaction" and target.journal_writes != 1:
            return
        if phase == "file-half-written" and target.file_writes != 1:
            return
        sys.stdout.write(f"killed {phase} {os.path.basename(path)}\n")
        sys.stdout.flush()
        os.kill(os.getpid(), signal.SIGKILL)

    def _replace(self, name: bytes, callback: object) -> None:
        self._keep.append(callback)
        if self._set(self._vfs, name, ctypes.cast(callback, ctypes.c_void_p)) != 0:
            raise KillPointsUnavailable(f"SQLite refused to replace {name.decode()}")


def _unix_vfs() -> tuple[object, Callable[..., int], Callable[..., int]]:
    """The default VFS (must be SQLite's unix one) and its get/set-system-call methods."""
    if sys.platform == "win32":
        raise KillPointsUnavailable("kill points need SQLite's unix VFS")
    library = _sqlite_library()
    library.sqlite3_vfs_find.restype = ctypes.POINTER(_Vfs)
    library.sqlite3_vfs_find.argtypes = [ctypes.c_char_p]
    vfs = library.sqlite3_vfs_find(None)
    if not vfs or not vfs.contents.zName.startswith(b"unix") or vfs.contents.iVersion < 3:
        raise KillPointsUnavailable("the default VFS is not SQLite's unix VFS (version 3)")
    get = ctypes.CFUNCTYPE(ctypes.c_void_p, ctypes.POINTER(_Vfs), ctypes.c_char_p)(
        vfs.contents.xGetSystemCall
    )
    put = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(_Vfs), ctypes.c_char_p, ctypes.c_void_p)(
        vfs.contents.xSetSystemCall
    )
    return vfs, get, put


def _sqlite_library() -> ctypes.CDLL:
    """The SQLite library the sqlite3 module runs on (the same one, or its VFS is not ours)."""
    import _sqlite3

    for candidate in (_sqlite3.__file__, ctypes.util.find_library("sqlite3")):
        if candidate is None:
            continue
        try:
            library = ctypes.CDLL(candidate)
            library.sqlite3_libversion.restype = ctypes.c_char_p
            if library.sqlite3_libversion().decode() == sqlite3.sqlite_version:
                return library
        except (OSError, AttributeError):
            continue
    raise KillPointsUnavailable("cannot reach the SQLite library of the sqlite3 module")


_installed: _KillPoints | None = None


def install() -> None:
    """Replace SQLite's system calls in this process (once; before any file is opened)."""
    global _installed
    if _installed is None:
        _installed = _KillPoints()
        _installed.install()


def arm(watch: Callable[[str], bool], phase: str, transaction: int = 1) -> None:
    """Kill this process at ``phase`` of the ``transaction``-th transaction from now on a
    database file for which ``watch(path)`` is true."""
    if phase not in PHASES:
        raise ValueError(phase)
    assert _installed is not None, "install() first"
    _installed.target = _Target(watch, phase, transaction)


def disarm() -> None:
    if _installed is not None:
        _installed.target = None


def available() -> str | None:
    """None if kill points work here, else why not."""
    try:
        _unix_vfs()
    except KillPointsUnavailable as exc:
        return str(exc)
    return None
