"""Who else has this plan file open: one small file per open session beside the database.

Each running app writes ``.<file name>.presence/<user>@<machine>-<pid>.json`` with its user,
machine and start time, and rewrites it every :data:`REFRESH_SECONDS` while the file is open.
An entry not refreshed for :data:`STALE_SECONDS` (the app crashed, the PC went to sleep, the
network dropped) is ignored, and removed by the next app that sees it. A folder we cannot
write to (a read-only share) still shows the others; we just cannot announce ourselves.
"""

from __future__ import annotations

import json
import os
import re
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

REFRESH_SECONDS = 30
STALE_SECONDS = 120
_UNSAFE = re.compile(r"[^\w.@-]+")


@dataclass(frozen=True)
class Presence:
    user: str
    machine: str
    pid: int
    since: datetime
    seen: datetime

    @property
    def label(self) -> str:
        local = self.since.astimezone()
        return f"{self.user}（{self.machine}，{local:%m-%d %H:%M} 起）"


def presence_dir(db_path: Path) -> Path:
    return db_path.parent / f".{db_path.name}.presence"


class PresenceBoard:
    """Our own entry for one open file, and a view of everyone else's."""

    def __init__(self, db_path: Path, user: str, machine: str, pid: int | None = None) -> None:
        self.db_path = db_path
        self.user = user
        self.machine = machine
        self.pid = os.getpid() if pid is None else pid
        self.since = datetime.now(UTC)
        self.folder = presence_dir(db_path)
        self.entry = self.folder / _UNSAFE.sub("_", f"{user}@{machine}-{self.pid}.json")
        self.announced = False

    def announce(self, now: datetime | None = None) -> bool:
        """Write (or refresh) our entry; False where the folder is not writable."""
        now = now or datetime.now(UTC)
        record = {
            "user": self.user,
            "machine": self.machine,
            "pid": self.pid,
            "since": self.since.isoformat(),
            "seen": now.isoformat(),
        }
        temp = self.entry.with_suffix(".tmp")
        try:
            self.folder.mkdir(exist_ok=True)
            temp.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
            os.replace(temp, self.entry)
        except OSError:
            # E.g. on Windows another clerk's app is reading our entry right now (a sharing
            # violation): keep the old entry, leave no temp file, try again at the next refresh.
            try:
                temp.unlink()
            except OSError:
                pass
            self.announced = False
            return False
        self.announced = True
        return True

    def withdraw(self) -> None:
        try:
            self.entry.unlink()
        except OSError:
            pass
        try:
            self.folder.rmdir()  # only succeeds when nobody else is there
        except OSError:
            pass

    def others(self, now: datetime | None = None) -> list[Presence]:
        """Everyone else with the file open now (stale entries are skipped and tidied away)."""
        now = now or datetime.now(UTC)
        found = []
        try:
            entries = list(self.folder.glob("*.json"))
        except OSError:
            return []
        for path in entries:
            if path == self.entry:
                continue
            try:
                record = json.loads(path.read_text(encoding="utf-8"))
                presence = Presence(
                    str(record["user"]),
                    str(record["machine"]),
                    int(record["pid"]),
                    datetime.fromisoformat(record["since"]),
                    datetime.fromisoformat(record["seen"]),
                )
            except (OSError, ValueError, KeyError, TypeError):
                continue  # half-written or foreign: ignore
            if now - presence.seen > timedelta(seconds=STALE_SECONDS) or (
                presence.machine == self.machine and not process_running(presence.pid)
            ):  # stale, or an app on this very PC that is no longer running (killed, crashed)
                try:
                    path.unlink()
                except OSError:
                    pass
                continue
            found.append(presence)
        return sorted(found, key=lambda p: p.since)


def process_running(pid: int) -> bool:
    """Whether a process with this id runs on this machine. A recycled id reads as running:
    the entry then ages out after STALE_SECONDS like any other."""
    if pid <= 0:
        return False
    if sys.platform == "win32":  # os.kill(pid, 0) would terminate the process on Windows
        import ctypes

        kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
        handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return ctypes.get_last_error() == 5  # ERROR_ACCESS_DENIED: it exists
        try:
            code = ctypes.c_ulong()
            kernel32.GetExitCodeProcess(handle, ctypes.byref(code))
            return code.value == 259  # STILL_ACTIVE
        finally:
            kernel32.CloseHandle(handle)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    return True
