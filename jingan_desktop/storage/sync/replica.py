"""This PC's replica of a master on a share: where it lives (keyed by the master's full
path), the OS lock that keeps it to one program, and the state the status bar shows after a
restart."""

from __future__ import annotations

import hashlib
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...paths import data_dir
from ..database import StoreError


class ReplicaInUseError(StoreError):
    """Another program on this PC has the same plan file (its local replica) open."""


def replica_folder(master: Path, base: Path | None = None) -> Path:
    """``<data folder>/replicas/<name>-<hash of the master's full path>/``."""
    text = os.path.normpath(os.path.abspath(os.fspath(master)))
    if sys.platform.startswith("win"):
        text = text.casefold()
    key = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
    stem = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in master.stem)[:40]
    return (base or data_dir()) / "replicas" / f"{stem}-{key}"


class InUse:
    """An OS lock on a local file: one program per replica (local disks lock correctly)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.handle: Any = None

    def acquire(self) -> bool:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+b")  # kept open while the replica is used
        try:
            if os.name == "nt":  # pragma: no cover - Windows
                import msvcrt

                handle.seek(0)
                msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
            else:
                import fcntl

                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()).encode())
        handle.flush()
        self.handle = handle
        return True

    def holder_pid(self) -> str:
        try:
            return self.path.read_text().strip() or "?"
        except OSError:
            return "?"

    def release(self) -> None:
        if self.handle is not None:
            self.handle.close()
            self.handle = None


@dataclass
class SyncState:
    """Kept in ``state.json`` beside the replica: what the status bar shows after a restart."""

    master: str = ""
    last_sync: str | None = None  # ISO UTC of the last sync that reached the share
    last_status: str = ""
    last_message: str = ""
    last_holder: str = ""

    @classmethod
    def load(cls, path: Path) -> SyncState:
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
            return cls(**{k: record[k] for k in cls.__dataclass_fields__ if k in record})
        except (OSError, ValueError, TypeError):
            return cls()

    def save(self, path: Path) -> None:
        temp = path.with_suffix(".tmp")
        temp.write_text(json.dumps(self.__dict__, ensure_ascii=False), encoding="utf-8")
        os.replace(temp, path)
