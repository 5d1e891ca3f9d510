"""SQLite's own checks of a plan file: on open, before anything reads it as good, or in a thread
of its own once the plan is shown (:class:`BackgroundCheck`), whose verdict every write waits for.

``integrity_check`` reads every page of the file, the change log's included (most of a file
with a long history), so on a big file it costs more than reading the plan itself; in the
background it costs the clerk nothing, and a damaged file is still never written.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

from .failures import BusyError, CorruptError, StoreError, classify_error

Verdict = list[str] | None  # the problems found (empty: sound), None: the check could not run


def refuse_damage(path: Path, conn: sqlite3.Connection, pragma: str) -> None:
    """Run ``PRAGMA integrity_check`` or ``quick_check``; CorruptError unless it says ok."""
    try:
        rows = conn.execute(f"PRAGMA {pragma}").fetchall()
    except sqlite3.DatabaseError as exc:
        error = classify_error(exc, str(path))
        if type(error) is StoreError:  # nothing more specific: SQLite found damage
            error = CorruptError(path, str(exc))
        raise error from exc
    problems = [row[0] for row in rows if row[0] != "ok"]
    if problems:
        raise CorruptError(path, "; ".join(problems[:5]))


class BackgroundCheck:
    """``PRAGMA integrity_check`` on a connection of its own (``connect(path)``), in a thread
    started by :meth:`start` (or by the first :meth:`result`)."""

    def __init__(self, path: Path, connect: Callable[[Path], sqlite3.Connection]) -> None:
        self._path = path
        self._connect = connect
        self._conn: sqlite3.Connection | None = None
        self._problems: Verdict = None
        self._lock = threading.Lock()
        self._connected = threading.Event()
        self._done = threading.Event()
        self._callbacks: list[Callable[[Verdict], None]] = []
        self._thread: threading.Thread | None = None
        self._stopped = False

    def start(self) -> None:
        """Start the check (once; not after :meth:`stop`)."""
        with self._lock:
            if self._thread is not None or self._stopped:
                return
            self._thread = threading.Thread(target=self._run, name="integrity-check", daemon=True)
            self._thread.start()
        self._connected.wait()

    def _run(self) -> None:
        try:
            self._conn = self._connect(self._path)
        except StoreError:
            self._finish()
            return
        finally:
            self._connected.set()
        try:
            rows = self._conn.execute("PRAGMA integrity_check").fetchall()
            self._problems = [row[0] for row in rows if row[0] != "ok"]
        except sqlite3.DatabaseError as exc:
            if "interrupted" not in str(exc) and not isinstance(
                classify_error(exc, str(self._path)), BusyError
            ):
                self._problems = [str(exc)]  # damaged beyond reading
        finally:
            self._conn.close()
            self._finish()

    def _finish(self) -> None:
        with self._lock:
            self._done.set()
            callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            callback(self._problems)

    def when_done(self, callback: Callable[[Verdict], None]) -> None:
        """Call ``callback(verdict)`` when the check ends, on its thread (at once, here, if it
        has ended already). Not called if the check is stopped before it starts."""
        with self._lock:
            if not self._done.is_set():
                self._callbacks.append(callback)
                return
        callback(self._problems)

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def result(self) -> Verdict:
        """Wait for the verdict (starting the check if it has not started)."""
        self.start()
        if self._stopped and self._thread is None:
            return None
        self._done.wait()
        return self._problems

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            thread = self._thread
        if thread is None:
            return
        if self._conn is not None and thread.is_alive():
            with contextlib.suppress(sqlite3.Error):
                self._conn.interrupt()
        thread.join()
