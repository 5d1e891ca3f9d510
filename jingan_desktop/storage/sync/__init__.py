"""A plan file on a network share, used without trusting the share's locks.

:mod:`.detect` tells a network (or FUSE) file system from a local disk; :mod:`.lock` is the
sync lock file created atomically beside the master; :mod:`.session` keeps a local replica
(:mod:`.replica`: where it lives, one program at a time) and syncs it with the master through
the merge engine: :mod:`.fetch` copies and verifies the master, :mod:`.publish` writes the
merged file over it, :mod:`.pending` counts what is still to be synced.
"""

from .detect import is_network_path, network_kind
from .fetch import DamagedMasterError, copy_master, fetch_master, verify_file
from .lock import LockBusy, LockInfo, ShareLock
from .replica import ReplicaInUseError
from .session import ShareSession, SyncResult

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
