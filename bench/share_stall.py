"""The longest stall of the window's UI thread while a plan file on a share is synced.

    .venv/bin/python bench/share_stall.py [--items 2000] [--repeat 5] [--json OUT.json]

The share is a local folder in forced replica mode (``JINGAN_SHARE_MODE=replica``): it shows
what the window itself costs, not a slow network (on a real share the copy and the publish
take longer, on the worker). A 5 ms heartbeat timer runs on the UI thread; the figure is the
longest gap between two beats while one sync (after one edit) runs:

* on the worker, as the window syncs after an edit (``sync_soon``): copy, merge and publish
  on the worker, the replica taking the result in on the UI thread;
* on the UI thread, as every sync ran before (``sync_now``, still used for the last sync at
  close), for scale;
* with nothing running, the heartbeat's own jitter on this machine.

Printed, never asserted (the tests hold no timing checks).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["JINGAN_SHARE_MODE"] = "replica"


def measure(master: Path, repeat: int) -> dict[str, list[float]]:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from bench.run import scratch_settings
    from jingan_desktop.qt.application import create_application
    from jingan_desktop.qt.main_window import MainWindow

    app = create_application()
    window = MainWindow(scratch_settings())
    window.shared_file.daily_backup_soon = lambda _store: None  # not this figure
    window.show()
    if not window.open_path(master, quarter=2):
        raise RuntimeError(f"could not open {master}")
    controller = window.share_sync
    controller.stop()  # the bench starts every sync
    controller.wait_for_sync()
    app.processEvents()
    indicators = list(window.workspace.indicators)
    beats: list[float] = []
    heart = QTimer(interval=5)
    heart.timeout.connect(lambda: beats.append(time.perf_counter()))

    def edit(n: int) -> None:
        """A figure saved into the replica (not timed: the sync after it is)."""
        window.workspace.store.set_actual(indicators[(n * 7919) % len(indicators)], 2, n + 1)

    def longest_gap(run: Callable[[], Callable[[], bool]]) -> tuple[float, float]:
        """The longest gap between beats from before ``run`` starts its sync until a few
        beats after it is done; and the wall time until it is done."""
        beats.clear()
        heart.start()
        started = time.perf_counter()
        done = run()
        while not done():
            app.processEvents()
            time.sleep(0.001)
        wall = time.perf_counter() - started
        until = time.perf_counter() + 0.05
        while time.perf_counter() < until:
            app.processEvents()
            time.sleep(0.001)
        heart.stop()
        return max((b - a for a, b in itertools.pairwise(beats)), default=0.0), wall

    def on_worker() -> Callable[[], bool]:
        results: list[object] = []
        controller.synced.connect(results.append)
        QTimer.singleShot(50, controller.sync_soon)  # once the heartbeat beats
        return lambda: bool(results)

    def on_ui_thread() -> Callable[[], bool]:
        results: list[object] = []

        def run() -> None:
            results.append(controller.sync_now())

        QTimer.singleShot(50, run)
        return lambda: bool(results)

    def finish_only() -> Callable[[], bool]:
        return lambda: True

    figures: dict[str, list[float]] = {"worker": [], "ui": [], "idle": [], "wall": []}
    for n in range(repeat):
        edit(2 * n)
        stall, wall = longest_gap(on_worker)
        figures["worker"].append(stall)
        figures["wall"].append(wall)
        edit(2 * n + 1)
        figures["ui"].append(longest_gap(on_ui_thread)[0])
        figures["idle"].append(longest_gap(finish_only)[0])
        controller.synced.disconnect()
    window.close()
    QApplication.processEvents()
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    from bench.run import make_plan

    with tempfile.TemporaryDirectory(prefix="jingan-share-stall-") as tmp:
        folder = Path(tmp)
        os.environ["JINGAN_DATA_DIR"] = str(folder / "data")
        (folder / "share").mkdir()
        print(f"preparing a plan of {args.items:,} items …", flush=True)
        master = folder / "share" / "plan.sqlite"
        shutil.move(make_plan(folder, args.items), master)
        figures = measure(master, args.repeat)
    rows = [
        ("worker", "longest UI stall during a sync on the worker, ms"),
        ("ui", "  the same sync run on the UI thread (as before), ms"),
        ("idle", "  longest heartbeat gap when idle, ms"),
        ("wall", "  the sync on the worker, start to result shown, ms"),
    ]
    summary: dict[str, float] = {}
    print(f"\n{'measure':56} {'median':>9} {'spread':>19}")
    for key, label in rows:
        ms = [v * 1000 for v in figures[key]]
        summary[f"share_sync_{key}_ms"] = statistics.median(ms)
        print(f"{label:56} {statistics.median(ms):>9.1f} {f'{min(ms):.1f}–{max(ms):.1f}':>19}")
    ratio = statistics.median(figures["worker"]) / statistics.median(figures["ui"])
    summary["share_sync_stall_ratio"] = ratio
    print(f"{'UI stall on the worker ÷ on the UI thread':56} {ratio:>9.3f}")
    print(f"load average (1 min): {os.getloadavg()[0]:.1f}")
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
