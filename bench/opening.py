"""Opening a plan in the window, the integrity check behind it and the daily backup: each run in
a fresh process (``bench/run.py --child-open FILE``), against plain sqlite3 in that process.

The floor is plain sqlite3 reading every row of the tables the tree is built from
(``SELECT *``, the change log left out as the window leaves it out); beside it, the same read
building one plain dict per row, the peer the issue names ("raw read + building the objects").
The open is timed from the call to the painted tree (CPU of the whole process, every thread).
A big file's integrity check runs afterwards on its own thread and connection: its wall time
and the longest stall of the UI thread meanwhile are printed on their own, as is the daily
backup's.
"""

from __future__ import annotations

import itertools
import json
import resource
import sqlite3
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.measure import spread

TABLES = (
    "plan",
    "chapter",
    "item",
    "indicator",
    "actual",
    "progress",
    "department",
    "quarter_lock",
)


def raw_read(path: Path) -> int:
    """The floor: plain sqlite3 reading every row the tree needs."""
    conn = sqlite3.connect(path)
    rows = sum(len(conn.execute(f"SELECT * FROM {table}").fetchall()) for table in TABLES)
    conn.close()
    return rows


def raw_read_with_objects(path: Path) -> int:
    """The same read, building one plain dict per row (column name → value)."""
    conn = sqlite3.connect(path)
    built = 0
    for table in TABLES:
        cursor = conn.execute(f"SELECT * FROM {table}")
        names = [column[0] for column in cursor.description]
        built += len([dict(zip(names, row, strict=True)) for row in cursor.fetchall()])
    conn.close()
    return built


def child_open(path: Path) -> None:
    """(In the child.) The floors, then the plan opened in the window; then its background
    integrity check and the daily backup, each with a heartbeat on the UI thread. Prints one
    JSON line."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from bench.run import scratch_settings  # never os.devnull (see there)
    from jingan_desktop.qt.application import create_application
    from jingan_desktop.qt.main_window import MainWindow

    app = create_application()
    window = MainWindow(scratch_settings())
    window.resize(1400, 900)
    window.shared_file.daily_backup_soon = lambda _store: None  # started by hand below
    window.show()
    app.processEvents()
    started = time.process_time()
    raw_read(path)
    raw = time.process_time() - started
    started = time.process_time()
    raw_read_with_objects(path)
    raw_objects = time.process_time() - started
    started = time.process_time()
    ok = window.open_path(path, quarter=2)
    app.processEvents()
    opened = time.process_time() - started
    assert ok and window.model.rowCount() > 0

    beats: list[float] = []
    heart = QTimer(interval=5)
    heart.timeout.connect(lambda: beats.append(time.perf_counter()))

    def longest_gap(until: Callable[[], bool], at_least: float) -> float:
        beats.clear()
        heart.start()
        started = time.perf_counter()
        while not until() or time.perf_counter() - started < at_least:
            app.processEvents()
            time.sleep(0.001)
        heart.stop()
        return max((b - a for a, b in itertools.pairwise(beats)), default=0.0)

    database = window.workspace.store.database
    checked: list[object] = []
    database.when_full_check_done(checked.append)
    started = time.perf_counter()
    check_stall = longest_gap(lambda: bool(checked), 0.0)  # it starts once the plan is shown
    check_wall = time.perf_counter() - started
    assert checked == [[]], checked  # the synthetic plan is sound
    idle = longest_gap(lambda: True, 0.5)
    done: list[bool] = []
    window.shared_file.backup_finished.connect(lambda: done.append(True))
    started = time.perf_counter()
    window.shared_file._daily_backup(window.workspace.store)
    stall = longest_gap(lambda: bool(done), 0.0)
    backup = time.perf_counter() - started
    window.close()
    QApplication.processEvents()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(json.dumps({"raw": raw, "raw_objects": raw_objects, "open": opened,
                      "check_stall": check_stall, "check_wall": check_wall, "idle_gap": idle,
                      "stall": stall, "backup": backup, "peak_mb": peak}))  # fmt: skip


def pragma_time(path: Path, name: str) -> float:
    """CPU seconds of one of SQLite's own checks on ``path``, on a fresh connection."""
    conn = sqlite3.connect(path)
    try:
        started = time.process_time()
        conn.execute(f"PRAGMA {name}").fetchall()
        return time.process_time() - started
    finally:
        conn.close()


def open_and_backup(
    path: Path,
    items: int,
    repeat: int,
    run_child: Callable[[list[str]], tuple[float, float, str]],
    script: Path,
) -> dict[str, Any]:
    """``repeat`` fresh processes (``script --child-open path``), each timing its own floors."""
    command = [sys.executable, str(script), "--child-open", str(path)]
    runs = [json.loads(run_child(command)[2].splitlines()[-1]) for _ in range(repeat)]
    key = f"_{items}"
    return {
        f"open_s{key}": spread([r["open"] for r in runs]),
        f"open_raw_s{key}": spread([r["raw"] for r in runs]),
        f"open_ratio{key}": spread([r["open"] / r["raw"] for r in runs]),
        f"open_raw_objects_s{key}": spread([r["raw_objects"] for r in runs]),
        f"open_objects_ratio{key}": spread([r["open"] / r["raw_objects"] for r in runs]),
        f"check_wall_s{key}": spread([r["check_wall"] for r in runs]),
        f"check_stall_ms{key}": spread([r["check_stall"] * 1000 for r in runs]),
        f"backup_stall_ms{key}": spread([r["stall"] * 1000 for r in runs]),
        f"backup_idle_gap_ms{key}": spread([r["idle_gap"] * 1000 for r in runs]),
        f"backup_s{key}": spread([r["backup"] for r in runs]),
        f"peak_rss_mb{key}": spread([r["peak_mb"] for r in runs]),
        # What the background check and the daily backup's check cost (on a fresh connection);
        # quick_check, which misses damaged indexes, for scale.
        f"integrity_check_s{key}": spread([pragma_time(path, "integrity_check") for _ in runs]),
        f"quick_check_s{key}": spread([pragma_time(path, "quick_check") for _ in runs]),
    }
