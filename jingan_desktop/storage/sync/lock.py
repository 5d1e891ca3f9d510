"""The sync lock: one small file beside the master, created atomically, saying who holds it.

``.<file name>.sync-lock`` is created with ``O_CREAT | O_EXCL`` (``CREATE_NEW`` on Windows,
an atomic create on the SMB server as well), so of two PCs trying at once exactly one gets it,
whatever the share does with byte-range locks. It holds JSON: user, machine, pid, a random
token, when it was taken and a heartbeat counter the holder bumps while it works.

A lock is **stale** (its holder crashed, lost the network, went to sleep) when

* it was taken on this machine and its process is gone, or
* we have watched it for :data:`STALE_SECONDS` of our own monotonic clock and its heartbeat
  did not move (so the PCs' clocks need not agree), or
* its holder's own clock says it was last beaten more than :data:`ABANDONED_SECONDS` ago.

A stale lock is broken by renaming it aside (of two breakers only one rename succeeds) and
the lock is taken again. Breaking a live lock by mistake costs no data: the publish protocol
re-checks the master before replacing it, and every replica keeps its changes until a later
sync finds them in the master (see :mod:`.session`).
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

STALE_SECONDS = 30.0
BEAT_SECONDS = 2.0  # the holder's heartbeat, from a thread while it holds the lock
ABANDONED_SECONDS = 600.0
POLL_SECONDS = 0.2


@dataclass(frozen=True)
class LockInfo:
    user: str
    machine: str
    pid: int
    token: str
    taken: str  # ISO time on the holder's clock
    beat: int
    beat_at: str

    @property
    def label(self) -> str:
        try:
            local = datetime.fromisoformat(self.taken).astimezone()
            since = f"{local:%H:%M} 起"
        except ValueError:
            since = ""
        return f"{self.user}（{self.machine}{'，' + since if since else ''}）"

    @property
    def english(self) -> str:
        return f"{self.user}@{self.machine} (pid {self.pid}, since {self.taken})"


def lock_path(master: Path) -> Path:
    return master.with_name(f".{master.name}.sync-lock")


def read_lock(path: Path) -> LockInfo | None:
    """The lock's holder, or None when there is no lock (or it is unreadable mid-write)."""
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        return LockInfo(
            str(record["user"]),
            str(record["machine"]),
            int(record["pid"]),
            str(record["token"]),
            str(record["taken"]),
            int(record["beat"]),
            str(record.get("beat_at", record["taken"])),
        )
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError):
        return None


def pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    if os.name == "nt":  # pragma: no cover - Windows
        import ctypes

        handle = ctypes.windll.kernel32.OpenProcess(0x1000, False, pid)  # type: ignore[attr-defined]
        if not handle:
            return False
        ctypes.windll.kernel32.CloseHandle(handle)  # type: ignore[attr-defined]
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class LockBusy(Exception):
    """Someone else holds the sync lock (and it is not stale)."""

    def __init__(self, holder: LockInfo | None) -> None:
        super().__init__(holder.english if holder else "someone (unreadable lock file)")
        self.holder = holder


class ShareLock:
    """Taking, beating and releasing the sync lock of one master file."""

    def __init__(
        self,
        master: Path,
        user: str,
        machine: str,
        *,
        pid: int | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        wall: Callable[[], datetime] = lambda: datetime.now(UTC),
        alive: Callable[[int], bool] = pid_alive,
        stale_seconds: float = STALE_SECONDS,
        abandoned_seconds: float = ABANDONED_SECONDS,
    ) -> None:
        self.master = master
        self.path = lock_path(master)
        self.user = user
        self.machine = machine
        self.pid = os.getpid() if pid is None else pid
        self.monotonic = monotonic
        self.wall = wall
        self.alive = alive
        self.stale_seconds = stale_seconds
        self.abandoned_seconds = abandoned_seconds
        self.token: str | None = None
        self._beat = 0
        # What we saw of someone else's lock: (token, beat) -> when we first saw it.
        self._watched: tuple[str, int, float] | None = None
        self.broken: list[LockInfo] = []  # locks we judged stale and broke
        self._guard = threading.Lock()
        self._stop_beating: threading.Event | None = None

    # -- the record --

    def _record(self) -> bytes:
        now = self.wall().isoformat(timespec="seconds")
        return json.dumps(
            {
                "user": self.user,
                "machine": self.machine,
                "pid": self.pid,
                "token": self.token,
                "taken": self._taken,
                "beat": self._beat,
                "beat_at": now,
            },
            ensure_ascii=False,
        ).encode("utf-8")

    @property
    def held(self) -> bool:
        return self.token is not None

    def holder(self) -> LockInfo | None:
        return read_lock(self.path)

    # -- taking --

    def try_acquire(self) -> bool:
        """One attempt: True when the lock is now ours."""
        if self.held:
            return True
        token = uuid.uuid4().hex
        self.token, self._taken, self._beat = token, self.wall().isoformat(timespec="seconds"), 0
        record = self._record()
        try:
            fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666)
        except FileExistsError:
            self.token = None
            return False
        except OSError:
            self.token = None
            raise
        try:
            os.write(fd, record)
            with contextlib.suppress(OSError):
                os.fsync(fd)
        finally:
            os.close(fd)
        # The create was atomic; read back to be sure our record is what the share holds.
        found = read_lock(self.path)
        if found is None or found.token != token:
            self.token = None
            return False
        self._watched = None
        return True

    def is_stale(self, info: LockInfo | None) -> bool:
        """Whether someone else's lock may be broken (see the module docstring)."""
        if info is None:
            return False  # unreadable: perhaps mid-write; judged on the next look
        if info.machine == self.machine and not self.alive(info.pid):
            return True
        with contextlib.suppress(ValueError):
            beat_at = datetime.fromisoformat(info.beat_at)
            if (self.wall() - beat_at).total_seconds() > self.abandoned_seconds:
                return True
        now = self.monotonic()
        if self._watched is None or self._watched[:2] != (info.token, info.beat):
            self._watched = (info.token, info.beat, now)
            return False
        return now - self._watched[2] >= self.stale_seconds

    def break_stale(self, info: LockInfo) -> bool:
        """Move the stale lock ``info`` aside; True when it was ours to break (it was still
        there and nobody beat us to it). A fresher lock found in its place is put back."""
        current = read_lock(self.path)
        if current is None or current.token != info.token:
            self._watched = None
            return False
        aside = self.path.with_name(f"{self.path.name}.broken-{uuid.uuid4().hex[:8]}")
        try:
            os.replace(self.path, aside)
        except FileNotFoundError:
            return False
        try:
            moved_bytes = aside.read_bytes()
        except OSError:
            moved_bytes = b""
        moved = read_lock(aside)
        self._watched = None
        if moved is not None and moved.token != info.token:
            # Between our look and our rename someone took the lock afresh: give it back
            # (created anew, atomically; if yet another PC took it meanwhile, theirs stays).
            with contextlib.suppress(OSError):
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666)
                try:
                    os.write(fd, moved_bytes)
                finally:
                    os.close(fd)
            with contextlib.suppress(OSError):
                aside.unlink()
            return False
        with contextlib.suppress(OSError):
            aside.unlink()
        self.broken.append(moved or info)
        return True

    def clear_if_dead(self) -> bool:
        """Remove a lock left by a crashed program of this machine (so nobody is shown as
        holding the file); True when one was removed."""
        info = self.holder()
        if info is None or info.machine != self.machine or self.alive(info.pid):
            return False
        return self.break_stale(info)

    def acquire(
        self,
        timeout: float = 0.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """Take the lock, breaking a stale one; wait up to ``timeout`` seconds for a live
        holder. Raises :class:`LockBusy` with the holder when it stays taken."""
        deadline = self.monotonic() + timeout
        while True:
            if self.try_acquire():
                return
            info = self.holder()
            if info is not None and self.is_stale(info) and self.break_stale(info):
                continue
            if self.monotonic() >= deadline:
                raise LockBusy(info)
            sleep(POLL_SECONDS)

    # -- holding --

    def still_held(self) -> bool:
        found = read_lock(self.path)
        return self.token is not None and found is not None and found.token == self.token

    def beat(self) -> bool:
        """Show we are alive (bump the heartbeat in place); False when the lock is no longer
        ours (it was broken)."""
        with self._guard:
            if not self.still_held():
                return False
            self._beat += 1
            try:
                with open(self.path, "r+b") as handle:
                    handle.write(self._record())
                    handle.truncate()
            except OSError:
                return False
            return True

    def keep_beating(self, every: float = BEAT_SECONDS) -> None:
        """Beat from a background thread until released, so a slow step (a big file over
        a slow share) never makes a live lock look stale."""
        if self._stop_beating is not None:
            return
        stop = self._stop_beating = threading.Event()

        def run() -> None:
            while not stop.wait(every):
                if not self.beat():
                    return

        threading.Thread(target=run, name="sync-lock-heartbeat", daemon=True).start()

    def release(self) -> None:
        """Remove the lock if it is still ours (a broken-and-retaken lock is left alone)."""
        if self._stop_beating is not None:
            self._stop_beating.set()
            self._stop_beating = None
        if self.token is None:
            return
        with self._guard:
            try:
                if self.still_held():
                    self.path.unlink()
            except OSError:
                pass
            finally:
                self.token = None

    def __enter__(self) -> ShareLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
