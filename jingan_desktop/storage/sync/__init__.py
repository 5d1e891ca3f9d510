"""A plan file on a network share, used without trusting the share's locks.

:mod:`.detect` tells a network (or FUSE) file system from a local disk; :mod:`.lock` is the
sync lock file created atomically beside the master; :mod:`.session` keeps a local replica
(:mod:`.replica`: where it lives, one program at a time) and syncs it with the master through
the merge engine: :mod:`.fetch` copies and verifies the master, :mod:`.publish` writes the
merged file over it, :mod:`.pending` counts what is still to be synced.

The names are importable from here; each loads its module on first use, so that opening a
file on a local disk (which only asks :func:`is_network_path`) does not load the session and
the merge engine behind it.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .detect import is_network_path, network_kind
    from .fetch import DamagedMasterError, copy_master, fetch_master, verify_file
    from .lock import LockBusy, LockInfo, ShareLock
    from .replica import ReplicaInUseError
    from .session import ShareSession, SyncResult

_HOME = {
    "is_network_path": "detect",
    "network_kind": "detect",
    "DamagedMasterError": "fetch",
    "copy_master": "fetch",
    "fetch_master": "fetch",
    "verify_file": "fetch",
    "LockBusy": "lock",
    "LockInfo": "lock",
    "ShareLock": "lock",
    "ReplicaInUseError": "replica",
    "ShareSession": "session",
    "SyncResult": "session",
}

__all__ = [
    "DamagedMasterError",
    "LockBusy",
    "LockInfo",
    "ReplicaInUseError",
    "ShareLock",
    "ShareSession",
    "SyncResult",
    "copy_master",
    "fetch_master",
    "is_network_path",
    "network_kind",
    "verify_file",
]


def __getattr__(name: str) -> Any:
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value
