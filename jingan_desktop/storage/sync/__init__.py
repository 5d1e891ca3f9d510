"""A plan file on a network share, used without trusting the share's locks.

:mod:`.detect` tells a network (or FUSE) file system from a local disk; :mod:`.lock` is the
sync lock file created atomically beside the master; :mod:`.session` keeps a local replica and
syncs it with the master through the merge engine.
"""

from .detect import is_network_path, network_kind
from .lock import LockBusy, LockInfo, ShareLock
from .session import (
    DamagedMasterError,
    ReplicaInUseError,
    ShareSession,
    SyncResult,
    copy_master,
    fetch_master,
    verify_file,
)

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
