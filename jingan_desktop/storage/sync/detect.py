"""Is a plan file on a network (or FUSE) file system, where byte-range locks cannot be trusted?

SQLite's locking is only as good as the file system's: on SMB/CIFS, NFS and FUSE clients the
locks may be missing, not shared between clients, or undone by opportunistic caching, and two
writers then corrupt the file. Such a file is never opened with SQLite for writing; the app
works on a local replica and syncs (see :mod:`.session`).

* Linux: ``statfs(2)``'s ``f_type`` (SMB, CIFS, SMB2, NFS, FUSE, 9P, AFS, Ceph, Coda …).
* Windows: UNC paths (``\\\\server\\share\\…``) and drive letters whose ``GetDriveTypeW`` is
  ``DRIVE_REMOTE`` (a mapped network drive).
* ``JINGAN_SHARE_MODE=replica`` forces the replica for every file (IT, tests), ``direct``
  turns detection off (a file system known to lock correctly).

The OS calls are parameters, so the decision is tested with fakes on any platform.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path, PureWindowsPath

ENV_MODE = "JINGAN_SHARE_MODE"

# statfs f_type magic numbers (linux/magic.h and the file systems' own headers).
NETWORK_MAGIC: dict[int, str] = {
    0xFF534D42: "cifs",
    0xFE534D42: "smb2",
    0x517B: "smbfs",
    0x6969: "nfs",
    0x65735546: "fuse",
    0x01021997: "9p",
    0x5346414F: "afs",
    0x6B414653: "afs",
    0x00C36400: "ceph",
    0x73757245: "coda",
    0x564C: "ncp",
    0x47504653: "gpfs",
    0x0BD00BD0: "lustre",
    0x65735543: "fusectl",
}
DRIVE_REMOTE = 4


def _linux_statfs_type(path: str) -> int | None:
    """``f_type`` of the file system holding ``path`` (None when it cannot be asked)."""
    import ctypes  # asked when a file is opened, not when the module loads

    try:
        # The C library is already in the process: its symbols, without looking it up on
        # disk (ctypes.util.find_library runs ldconfig in a subprocess on every start).
        libc = ctypes.CDLL(None, use_errno=True)
        libc.statfs  # noqa: B018 — present, or look the library up by name below
    except (OSError, AttributeError):
        import ctypes.util

        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        except OSError:
            return None
    buffer = ctypes.create_string_buffer(512)  # struct statfs is 120 bytes on x86-64
    if libc.statfs(os.fsencode(path), buffer) != 0:
        return None
    # f_type is the first member on every Linux ABI, a (signed) long.
    value = ctypes.c_long.from_buffer(buffer).value
    return value & 0xFFFFFFFF


def _windows_drive_type(root: str) -> int | None:
    import ctypes

    try:
        return int(ctypes.windll.kernel32.GetDriveTypeW(root))  # type: ignore[attr-defined]
    except (AttributeError, OSError):
        return None


def _existing(path: Path) -> Path:
    """The nearest existing folder (the file itself may not exist yet)."""
    path = path.absolute()
    for candidate in (path, *path.parents):
        if candidate.exists():
            return candidate
    return path


def network_kind(
    path: str | os.PathLike[str],
    *,
    platform: str | None = None,
    env: Mapping[str, str] | None = None,
    statfs_type: Callable[[str], int | None] | None = None,
    drive_type: Callable[[str], int | None] | None = None,
) -> str | None:
    """The kind of network file system ``path`` is on ("cifs", "fuse", "unc", "remote drive",
    "forced" …), or None for a local disk."""
    env = os.environ if env is None else env
    mode = (env.get(ENV_MODE) or "").strip().lower()
    if mode == "replica":
        return "forced"
    if mode == "direct":
        return None
    platform = sys.platform if platform is None else platform
    text = os.fspath(path)
    if platform.startswith("win"):
        win = PureWindowsPath(text)
        if text.startswith(("\\\\", "//")) or win.drive.startswith(("\\\\", "//")):
            return "unc"
        if not win.drive:
            win = PureWindowsPath(os.path.abspath(text)) if sys.platform.startswith("win") else win
        if win.drive and len(win.drive) == 2 and win.drive[1] == ":":
            kind = (drive_type or _windows_drive_type)(win.drive + "\\")
            if kind == DRIVE_REMOTE:
                return "remote drive"
        return None
    if platform.startswith("linux"):
        magic = (statfs_type or _linux_statfs_type)(str(_existing(Path(text))))
        return NETWORK_MAGIC.get(magic) if magic is not None else None
    return None


def is_network_path(path: str | os.PathLike[str], **kwargs: object) -> bool:
    return network_kind(path, **kwargs) is not None  # type: ignore[arg-type]
