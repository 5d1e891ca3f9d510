"""Is a plan file on a network (or FUSE) file system, where byte-range locks cannot be trusted?

SQLite's locking is only as good as the file system's: on SMB/CIFS, NFS and FUSE clients the
locks may be missing, not shared between clients, or undone by opportunistic caching, and two
writers then corrupt the file. Such a file is never opened with SQLite for writing; the app
works on a local replica and syncs (see :mod:`.session`).

* Linux: the file system type of the mount holding the file, from ``/proc/self/mountinfo``
  (the mount in sight at the resolved path, see :func:`mount_type`; :data:`NETWORK_TYPES`);
  ``statfs(2)``'s ``f_type`` through ctypes only when mountinfo cannot be read or names no mount
  for the path (ctypes costs ~4 ms to import, on every start).
* Windows: UNC paths (``\\\\server\\share\\…``) and drive letters whose ``GetDriveTypeW`` is
  ``DRIVE_REMOTE`` (a mapped network drive).
* ``JINGAN_SHARE_MODE=replica`` forces the replica for every file (IT, tests), ``direct``
  turns detection off (a file system known to lock correctly).

The OS calls are parameters, so the decision is tested with fakes on any platform.
"""

from __future__ import annotations

import os
import re
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

# The same file systems by the names /proc/self/mountinfo gives them (the kernel's
# file_system_type names): the table above, one name per magic number, and the names that share
# one. Every FUSE mount shows as "fuse.<subtype>" (fuse.sshfs, fuse.rclone, fuse.glusterfs …) or
# "fuseblk[.<subtype>]", and virtiofs is a FUSE transport: statfs reports FUSE_SUPER_MAGIC for all
# of them, so they count as "fuse" here too. That includes fuseblk, a FUSE driver over a local
# block device (ntfs-3g, exfat-fuse): its locks would be trustworthy, but the FUSE magic has always
# sent it to the replica, which is safe (only slower), so it stays there.
NETWORK_TYPES: frozenset[str] = frozenset(
    {
        "cifs",
        "smb3",  # the same client as cifs (CIFS or SMB2 magic, by the dialect)
        "smbfs",
        "nfs",
        "nfs4",
        "fuse",
        "fuseblk",
        "fusectl",
        "virtiofs",
        "9p",
        "afs",
        "ceph",
        "coda",
        "ncpfs",
        "gpfs",
        "lustre",
    }
)
DRIVE_REMOTE = 4
MOUNTINFO = "/proc/self/mountinfo"

_ESCAPE = re.compile(r"\\([0-7]{3})")


def _unescape(field: str) -> str:
    """A mountinfo field with its escapes undone: the kernel writes space, tab, newline and
    backslash in octal (``\\040`` …), every other byte (UTF-8 names too) as it is."""
    return _ESCAPE.sub(lambda match: chr(int(match.group(1), 8)), field)


def mount_type(path: str, mountinfo: str) -> str | None:
    """The file system type of the mount that holds ``path`` (absolute, symlinks resolved)
    according to the text of ``/proc/<pid>/mountinfo``, or None when no line names a mount point
    above the path.

    Of the mounts whose mount point is a prefix of the path (component by component), those
    covered by a later mount are out of sight: a later mount on the same point (stacked, the last
    listed on top) or on a folder above it that the covered mount is not mounted inside (a share
    mounted over ``/mnt/share`` hides an older ``/mnt/share/usb``). Of those left, the one with
    the longest mount point holds the path."""
    # (ID, parent ID, mount point, type) of every mount line, in the order listed.
    mounts: list[tuple[str, str, str, str]] = []
    for line in mountinfo.split("\n"):  # not splitlines: U+2028 … may be in a name
        # ID, parent ID, major:minor, root, mount point, options, optional fields…, "-",
        # file system type, source, super options.
        fields = line.split(" ")
        try:
            separator = fields.index("-", 6)
            point, kind = _unescape(fields[4]), _unescape(fields[separator + 1])
        except (ValueError, IndexError):
            continue  # not a mount line
        mounts.append((fields[0], fields[1], point.rstrip("/") or "/", kind))
    parents = {mount_id: parent for mount_id, parent, _point, _kind in mounts}

    def inside(mount_id: str, other: str) -> bool:
        """Whether mount ``mount_id`` is mounted (at any depth) inside mount ``other``."""
        seen = {mount_id}
        while (mount_id := parents.get(mount_id, "")) and mount_id not in seen:
            if mount_id == other:
                return True
            seen.add(mount_id)
        return False

    def covers(point: str, other: str) -> bool:
        return point == "/" or other == point or other.startswith(point + "/")

    holding = [m for m in mounts if covers(m[2], path)]
    best: tuple[int, str] | None = None
    for position, (mount_id, _parent, point, kind) in enumerate(holding):
        hidden = any(
            covers(later[2], point) and not inside(mount_id, later[0])
            for later in holding[position + 1 :]
        )
        if not hidden and (best is None or len(point) >= best[0]):
            best = (len(point), kind)
    return best[1] if best is not None else None


def _read_mountinfo() -> str | None:
    """This process's mount table, or None when it cannot be read (no /proc)."""
    try:
        with open(MOUNTINFO, "rb") as file:
            return os.fsdecode(file.read())
    except OSError:
        return None


def _is_network_type(fs_type: str) -> bool:
    """Whether a mountinfo file system type is one of :data:`NETWORK_TYPES` (with FUSE's
    ``fuse.<subtype>`` / ``fuseblk.<subtype>`` names)."""
    return fs_type in NETWORK_TYPES or fs_type.startswith(("fuse.", "fuseblk."))


def _linux_statfs_type(path: str) -> int | None:
    """``f_type`` of the file system holding ``path`` (None when it cannot be asked)."""
    # Only when mountinfo cannot tell, and then not when the module loads.
    import ctypes

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
    mountinfo: Callable[[], str | None] | None = None,
    statfs_type: Callable[[str], int | None] | None = None,
    drive_type: Callable[[str], int | None] | None = None,
) -> str | None:
    """The kind of network file system ``path`` is on ("cifs", "nfs4", "fuse.sshfs", "unc",
    "remote drive", "forced" …), or None for a local disk.

    On Linux ``mountinfo`` returns the text of /proc/self/mountinfo (None: unreadable), and
    ``statfs_type`` is asked only when that text is missing or names no mount for the path."""
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
        folder = str(_existing(Path(text)))
        table = (mountinfo or _read_mountinfo)()
        fs_type = mount_type(os.path.realpath(folder), table) if table is not None else None
        if fs_type is not None:
            return fs_type if _is_network_type(fs_type) else None
        magic = (statfs_type or _linux_statfs_type)(folder)
        return NETWORK_MAGIC.get(magic) if magic is not None else None
    return None


def is_network_path(path: str | os.PathLike[str], **kwargs: object) -> bool:
    return network_kind(path, **kwargs) is not None  # type: ignore[arg-type]
