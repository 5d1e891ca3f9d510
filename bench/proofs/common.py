"""What every durability proof shares: the worker process wrapper and the file helpers.

A proof module (bench/proofs/crash.py, counters.py, faults.py) holds both sides of its proof:
the parent side, imported by bench/*_test.py and tests/test_durability.py, and the child
side, functions run in a worker process started by :class:`Worker` as

    python -m bench.proofs.<module> KIND ARGS…

Children print one line per fact and flush it (:func:`say`), so after a SIGKILL the parent
knows exactly what the worker had been told.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

from jingan_desktop.plan.model import ItemStatus
from jingan_desktop.plan.parser import read_plan_file
from jingan_desktop.storage.database import APPLICATION_ID, TruncatedError
from jingan_desktop.storage.fields import ROW_TABLES
from jingan_desktop.storage.store import Store

ROOT = Path(__file__).resolve().parents[2]
SEED_PLAN = ROOT / "db" / "seed" / "jingan-2022-key-work-plan.txt"
SEED_ROWS = {"plan": 1, "chapter": 6, "item": 34, "indicator": 80}
SEED_LOG_ROWS = 121  # one 'insert' entry per plan, chapter, item and indicator row
STATUSES = [status.value for status in ItemStatus]
TABLES = ("meta", *ROW_TABLES, "change_log")

T = TypeVar("T")


# --- the worker process ---------------------------------------------------------------------


def worker_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    env["PYTHONIOENCODING"] = "utf-8"
    return env


class Worker:
    """A worker process (``python -m MODULE KIND ARGS…``) whose stdout lines are collected as
    they arrive (by a thread, so the pipe never fills up and blocks the worker)."""

    def __init__(self, module: str, kind: str, *args: object, env: dict[str, str] | None = None):
        self.args = [kind, *(str(a) for a in args)]
        self.proc = subprocess.Popen(
            [sys.executable, "-m", module, *self.args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**worker_env(), **(env or {})},
            cwd=ROOT,
        )
        self.lines: list[str] = []
        self._taken = 0
        self._stderr: list[bytes] = []
        self._changed = threading.Condition()
        self._threads = [
            threading.Thread(target=self._read_stdout, daemon=True),
            threading.Thread(target=self._read_stderr, daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    def _read_stdout(self) -> None:
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            if not raw.endswith(b"\n"):
                break  # cut off by the kill: the worker never finished saying it
            with self._changed:
                self.lines.append(raw.decode("utf-8").rstrip("\r\n"))
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    def _read_stderr(self) -> None:
        assert self.proc.stderr is not None
        self._stderr.append(self.proc.stderr.read())

    @property
    def stderr(self) -> str:
        return b"".join(self._stderr).decode("utf-8", "replace")

    def _exited(self) -> bool:
        return self.proc.poll() is not None and not self._threads[0].is_alive()

    def wait_for(self, line: str, timeout: float = 60) -> None:
        """Block until the worker printed ``line`` (raises if it died or took too long)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while line not in self.lines:
                remaining = deadline - time.monotonic()
                if self._exited():
                    raise RuntimeError(f"worker {self.args} exited early:\n{self.stderr}")
                if remaining <= 0:
                    raise TimeoutError(f"worker {self.args} did not print {line!r}")
                self._changed.wait(min(remaining, 0.5))

    def send(self, text: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(text.encode("utf-8") + b"\n")
        self.proc.stdin.flush()

    def next_line(self, timeout: float = 60) -> str:
        """The next line the worker prints after those already taken by :meth:`next_line`."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(self.lines) <= self._taken:
                if self._exited():
                    raise RuntimeError(f"worker {self.args} exited early:\n{self.stderr}")
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"worker {self.args} did not answer")
                self._changed.wait(min(remaining, 0.5))
            self._taken += 1
            return self.lines[self._taken - 1]

    def ask(self, text: str, timeout: float = 60) -> str:
        """Send one command and wait for its one-line answer."""
        self._taken = max(self._taken, len(self.lines))
        self.send(text)
        return self.next_line(timeout)

    def kill(self) -> int:
        """SIGKILL (TerminateProcess on Windows): no handler, no atexit, no flush runs."""
        with contextlib.suppress(ProcessLookupError):
            self.proc.kill()
        return self.finish()

    def finish(self, timeout: float = 120) -> int:
        code = self.proc.wait(timeout)
        for thread in self._threads:
            thread.join(10)
        if self.proc.stdin is not None:
            with contextlib.suppress(OSError):
                self.proc.stdin.close()
        return code


def say(*parts: object) -> None:
    """Child side: one line to the parent, flushed at once."""
    sys.stdout.write(" ".join(str(p) for p in parts) + "\n")
    sys.stdout.flush()


def run_child(children: dict[str, Callable[..., None]]) -> None:
    """Child side: ``python -m MODULE KIND ARGS…`` runs ``children[KIND](*ARGS)``."""
    children[sys.argv[1]](*sys.argv[2:])


# --- files ----------------------------------------------------------------------------------


def make_plan_file(path: Path, template: Path | None = None) -> Path:
    """A plan file holding the seed plan (copied from ``template`` when given: faster)."""
    if template is not None and template.exists():
        path.write_bytes(template.read_bytes())
    else:
        Store.create(path, read_plan_file(SEED_PLAN).plan).close()
    return path


def make_version_zero_file(path: Path) -> None:
    """A file as an app before the first migration would have left it: ours, schema 0."""
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    conn.close()


def journal_of(path: Path) -> Path:
    return path.with_name(path.name + "-journal")


def is_hot_journal(journal: Path) -> bool:
    """A journal SQLite would play back: present and its header's magic written (SQLite
    writes the magic only when it syncs the journal, just before touching the file)."""
    try:
        with open(journal, "rb") as handle:
            return any(handle.read(8))
    except OSError:
        return False


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def open_after_crash(
    path: Path, opener: Callable[[Path], T] = Store.open, notes: list[str] | None = None
) -> T:
    """Open a file a killed writer left behind, as the app would.

    Should the app refuse a file with a hot journal beside it as truncated (page 1, written
    first by a commit, already announces the larger size while the file is still short),
    the refusal is put in ``notes``; the journal is rolled back by plain SQLite and the file
    opened again, so the rest of the round can still be checked.
    """
    try:
        return opener(path)
    except TruncatedError as exc:
        if not is_hot_journal(journal_of(path)):
            raise
        if notes is not None:
            notes.append(f"{path.name}: refused with a hot journal beside it ({exc.detail})")
        conn = sqlite3.connect(path)
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()  # rolls back
        finally:
            conn.close()
        return opener(path)


def integrity(conn: sqlite3.Connection) -> list[str]:
    """``PRAGMA integrity_check`` (must say ok) and ``foreign_key_check`` (must be empty)."""
    problems = [row[0] for row in conn.execute("PRAGMA integrity_check") if row[0] != "ok"]
    problems += [f"foreign key: {tuple(row)}" for row in conn.execute("PRAGMA foreign_key_check")]
    return problems


def counts(conn: sqlite3.Connection, tables: Iterable[str] = TABLES) -> dict[str, int]:
    return {t: conn.execute(f"SELECT count(*) FROM [{t}]").fetchone()[0] for t in tables}


def _varint(buf: bytes, i: int) -> tuple[int, int]:
    value = 0
    for k in range(9):
        byte = buf[i + k]
        if k == 8:
            return (value << 8) | byte, i + 9
        value = (value << 7) | (byte & 0x7F)
        if byte < 0x80:
            return value, i + k + 1
    raise AssertionError("unreachable")


def damage_an_index(path: Path, index: str = "sqlite_autoindex_chapter_1") -> None:
    """Point one entry of ``index`` at the wrong row (the damage a share without working
    locks left: "row missing from index"). quick_check does not see it."""
    conn = sqlite3.connect(path)
    (root,) = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (index,)).fetchone()
    (page_size,) = conn.execute("PRAGMA page_size").fetchone()
    conn.close()
    with open(path, "r+b") as handle:
        handle.seek((root - 1) * page_size)
        page = bytearray(handle.read(page_size))
        assert page[0] == 0x0A  # a leaf index page: the whole index fits one page
        cells = int.from_bytes(page[3:5], "big")
        cell = int.from_bytes(page[8 + 2 * (cells - 1) : 10 + 2 * (cells - 1)], "big")
        size, start = _varint(page, cell)
        page[start + size - 1] ^= 0x40  # the low byte of the row id the last entry names
        handle.seek((root - 1) * page_size)
        handle.write(page)
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA quick_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA integrity_check").fetchall() != [("ok",)]
    finally:
        conn.close()
