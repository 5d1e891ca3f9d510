"""Writing files so that the real name only ever holds a complete file."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO


def write_atomically(path: Path, write: Callable[[BinaryIO], None]) -> None:
    """Write through ``write`` into a new file beside ``path``, flush it to disk, then rename
    it over ``path``. On any failure the temporary file is removed and ``path`` is untouched.

    Raises NotADirectoryError / IsADirectoryError for an impossible target, and whatever
    OSError the writing raised (the caller turns it into its own error).
    """
    if path.is_dir():
        raise IsADirectoryError(21, "is a folder", str(path))
    if not path.parent.is_dir():
        raise NotADirectoryError(20, "the folder does not exist", str(path.parent))
    tidy_leftovers(path)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    temp = Path(name)
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            with contextlib.suppress(OSError):  # some network drives cannot fsync
                os.fsync(handle.fileno())
        os.chmod(temp, _mode_for(path))
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise


LEFTOVER_AGE_SECONDS = 3600  # a temporary file this old is no write in progress


def tidy_leftovers(path: Path, now: float | None = None) -> list[Path]:
    """Remove the hidden temporary files (``.<name>.<random>.tmp`` and their journals) that
    a write of ``path`` killed midway (power cut, task manager) left beside it; ones younger
    than an hour may be another program's write in progress and stay. Returns those removed."""
    import glob  # when a file is written, not when the module loads (the window's start)

    now = time.time() if now is None else now
    removed = []
    try:
        candidates = list(path.parent.glob(f".{glob.escape(path.name)}.*.tmp*"))
    except OSError:
        return []
    for leftover in candidates:
        if not leftover.name.endswith((".tmp", ".tmp-journal")):
            continue
        try:
            if now - leftover.stat().st_mtime > LEFTOVER_AGE_SECONDS:
                leftover.unlink()
                removed.append(leftover)
        except OSError:
            continue  # held open elsewhere, or gone already
    return removed


def _mode_for(path: Path) -> int:
    """Keep an existing file's permissions; a new one gets what open() would give it
    (mkstemp makes private 0600 files, which a shared folder's other users could not read)."""
    try:
        return os.stat(path).st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def os_reason(exc: OSError, holder: str = "another program") -> str:
    """A short English reason for the CLI and the technical detail of a message."""
    if isinstance(exc, PermissionError) and exc.filename and os.path.isdir(exc.filename):
        return "is a folder"  # Windows refuses to open or replace a folder with PermissionError
    if isinstance(exc, PermissionError):
        return f"permission denied (is the file open in {holder}, or the folder read-only?)"
    if isinstance(exc, IsADirectoryError):
        return "is a folder"
    if isinstance(exc, NotADirectoryError):
        return "the folder does not exist"
    return exc.strerror or str(exc)


def open_with_default_app(path: Path) -> bool:
    """Open ``path`` with the program Windows has registered for its type (ShellExecute
    "open", as a double click in Explorer would). Returns False off Windows, where the caller
    asks Qt instead. Raises OSError when Windows cannot open it: no program is registered
    for the type (WinError 1155), or the file is gone."""
    if not sys.platform.startswith("win"):
        return False
    os.startfile(os.fspath(path))  # type: ignore[attr-defined]  # Windows only
    return True


def no_viewer_reason(exc: OSError) -> str:
    """A short English reason for a failed :func:`open_with_default_app`."""
    # 1155 / 31: no program associated; Wine says 193 (tries to run the document itself).
    if getattr(exc, "winerror", None) in (1155, 31, 193):
        return "no program is registered to open this kind of file"
    return exc.strerror or str(exc)
