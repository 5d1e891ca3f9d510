"""The benchmark: start-up, opening a big plan, one edit, the PDF report, filter-as-you-type.

    python3 dev.py bench [--json OUT.json] [--quick]
    .venv/bin/python bench/run.py [--json OUT.json] [--quick]

Every figure is measured in the same run as its baseline, and printed as a ratio where the
goal is one (start-up ≤ 1.5× a bare PySide6 window; report ≤ 2× reportlab building a bare
document with the same rows). Timings are medians of repeated runs. Nothing here asserts:
the test suite holds no timing checks; this script prints figures for people to read.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("MPLBACKEND", "Agg")

BIG_ITEMS, BIG_INDICATORS = 2000, 10000
BARE_WINDOW = (
    "from PySide6.QtWidgets import QApplication, QMainWindow\n"
    "app = QApplication([]); w = QMainWindow(); w.show(); app.processEvents()\n"
)


def median_time(run: Callable[[], object], repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def run_process(command: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    if result.returncode != 0:
        raise RuntimeError(f"{command} failed: {result.stderr[-500:]}")


# --- fixtures -----------------------------------------------------------------------------------


def make_files(folder: Path) -> tuple[Path, Path]:
    from bench.synthetic import fill_sample_figures, synthetic_plan
    from jingan_desktop.storage.store import Store, ensure_default_database

    seed = ensure_default_database(folder / "seed.sqlite")
    store = Store.open(seed)
    fill_sample_figures(store, store.plan_id_for_year(2022) or "", (1, 2))
    store.close()
    big = folder / "big.sqlite"
    plan = synthetic_plan(BIG_ITEMS, BIG_INDICATORS)
    store = Store.create(big, plan)
    fill_sample_figures(store, plan.id or "", (1, 2, 3, 4))
    store.close()
    return seed, big


# --- measurements -------------------------------------------------------------------------------


def startup(seed: Path, folder: Path, repeat: int, exe: Path | None) -> dict[str, float]:
    env = {**os.environ, "JINGAN_DATA_DIR": str(folder / "data"), "QT_QPA_PLATFORM": "offscreen"}
    app_cmd = [sys.executable, "-m", "jingan_desktop", "--db", str(seed), "--startup-probe", "app"]
    bare_cmd = [sys.executable, "-c", BARE_WINDOW]
    run_process(app_cmd, env)  # warm the OS file cache for both, as a clerk's second start
    run_process(bare_cmd, env)
    app_s = median_time(lambda: run_process(app_cmd, env), repeat)
    bare_s = median_time(lambda: run_process(bare_cmd, env), repeat)
    figures = {"startup_s": app_s, "startup_bare_s": bare_s, "startup_ratio": app_s / bare_s}
    if exe is not None:
        exe_app = [str(exe), "--db", str(seed), "--startup-probe", "app"]
        exe_bare = [str(exe), "--startup-probe", "bare"]
        run_process(exe_app, env)
        exe_app_s = median_time(lambda: run_process(exe_app, env), repeat)
        exe_bare_s = median_time(lambda: run_process(exe_bare, env), repeat)
        figures.update(
            exe_mb=exe.stat().st_size / 1024 / 1024,
            exe_startup_s=exe_app_s,
            exe_startup_bare_s=exe_bare_s,
            exe_startup_ratio=exe_app_s / exe_bare_s,
        )
    return figures


def raw_read(path: Path) -> int:
    """The floor: plain sqlite3 reading the same rows the tree needs."""
    conn = sqlite3.connect(path)
    rows = 0
    for table in (
        "plan",
        "chapter",
        "item",
        "indicator",
        "actual",
        "progress",
        "department",
        "quarter_lock",
    ):
        rows += len(conn.execute(f"SELECT * FROM {table}").fetchall())
    conn.close()
    return rows


def open_big(big: Path, repeat: int) -> dict[str, float]:
    """Time to a filled tree, in a fresh process each time (memory measured there too)."""
    code = (
        "import os, sys, time, resource\n"
        f"sys.path.insert(0, {str(ROOT)!r})\n"
        "from jingan_desktop.qt.application import create_application\n"
        "from jingan_desktop.qt.main_window import MainWindow\n"
        "from PySide6.QtCore import QSettings\n"
        "app = create_application()\n"
        "w = MainWindow(QSettings(os.devnull, QSettings.Format.IniFormat)); w.resize(1400, 900); w.show(); app.processEvents()\n"
        "t = time.perf_counter()\n"
        f"ok = w.open_path({str(big)!r}, quarter=2); app.processEvents()\n"
        "elapsed = time.perf_counter() - t\n"
        "assert ok and w.model.rowCount() > 0\n"
        "print(elapsed, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
    )
    env = {**os.environ, "JINGAN_DATA_DIR": tempfile.mkdtemp(prefix="jingan-bench-")}
    samples, peaks = [], []
    for _ in range(repeat):
        out = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300
        )
        if out.returncode != 0:
            raise RuntimeError(out.stderr[-800:])
        elapsed, peak = out.stdout.split()
        samples.append(float(elapsed))
        peaks.append(int(peak) / 1024)  # ru_maxrss is KiB on Linux
    raw_s = median_time(lambda: raw_read(big), repeat)
    open_s = statistics.median(samples)
    return {
        "open_big_s": open_s,
        "open_big_raw_s": raw_s,
        "open_big_extra_s": open_s - raw_s,
        "open_big_integrity_check_s": median_time(lambda: pragma(big, "integrity_check"), repeat),
        "open_big_quick_check_s": median_time(lambda: pragma(big, "quick_check"), repeat),
        **store_open(big, repeat),
        "peak_rss_mb": max(peaks),
    }


def pragma(path: Path, name: str) -> None:
    """SQLite's own check: every open runs integrity_check first (part of open_big_s)."""
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA {name}").fetchall()
    conn.close()


def store_open(big: Path, repeat: int) -> dict[str, float]:
    """Store.open + load of the big plan with the full check before returning (the default)
    and with the full check in the background (writes wait for it)."""
    from jingan_desktop.storage.store import Store

    def opened(check: str) -> None:
        store = Store.open(big, check=check)
        store.load()
        store.close()  # (a background check still running is interrupted)

    return {
        f"open_big_store_{check}_s": median_time(lambda c=check: opened(c), repeat)
        for check in ("full", "background")
    }


def in_process(seed: Path, big: Path, folder: Path, repeat: int) -> dict[str, float]:
    """Edit, filter and report timings inside one app process (as a clerk's session)."""
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from jingan_desktop.outputs.report import build_report
    from jingan_desktop.qt.application import create_application
    from jingan_desktop.qt.main_window import MainWindow
    from jingan_desktop.qt.views.tree_model import PlanTreeModel
    from jingan_desktop.storage.store import Store
    from jingan_desktop.workspace import Workspace

    app = create_application()
    figures: dict[str, float] = {}

    # One edit, UI to disk: setData on a cell until the transaction committed.
    local = folder / "edit.sqlite"
    shutil.copyfile(seed, local)
    window = MainWindow(QSettings(os.devnull, QSettings.Format.IniFormat))
    window.resize(1400, 900)
    window.show()
    window.open_path(local, quarter=2)
    indicators = list(window.workspace.indicators)

    counter = iter(range(1000, 10**9))

    def edits(count: int) -> list[float]:
        samples = []
        for n in range(count):
            index = window.model.index_of(indicators[n % len(indicators)], PlanTreeModel.COL_ACTUAL)
            started = time.perf_counter()
            if not window.model.setData(index, str(next(counter))):
                raise RuntimeError("edit was not saved")
            app.processEvents()
            samples.append(time.perf_counter() - started)
        return samples

    edits(3)
    figures["edit_ms"] = statistics.median(edits(max(10, repeat * 5))) * 1000
    # The same on a "slow share": every SQL statement waits 2 ms, as a round trip to a
    # network drive would (sqlite3 offers no hook into file I/O, so statements stand in).
    conn = window.workspace.store.database.conn
    conn.set_trace_callback(lambda _sql: time.sleep(0.002))
    figures["edit_slow_share_ms"] = statistics.median(edits(max(5, repeat * 2))) * 1000
    conn.set_trace_callback(None)
    window.close()

    # Filter-as-you-type on the big plan: each keystroke filters the tree and repaints.
    window = MainWindow(QSettings(os.devnull, QSettings.Format.IniFormat))
    window.resize(1400, 900)
    window.show()
    window.open_path(big, quarter=2)
    app.processEvents()
    typed = "指标123"
    per_key = []
    for _ in range(repeat):
        for end in range(1, len(typed) + 1):
            started = time.perf_counter()
            window.search_edit.setText(typed[:end])
            window.apply_filter()
            app.processEvents()
            per_key.append(time.perf_counter() - started)
        window.search_edit.clear()
        window.apply_filter()
        app.processEvents()
    figures["filter_ms"] = statistics.median(per_key) * 1000
    figures["filter_max_ms"] = max(per_key) * 1000
    window.close()
    QApplication.processEvents()

    # The PDF report vs reportlab building a bare document with the same number of rows.
    for name, path in (("seed", seed), ("big", big)):
        store = Store.open(path, readonly=True)
        workspace = Workspace(store, quarter=2)
        rows = len(workspace.items) + len(workspace.indicators)
        target = folder / f"report-{name}.pdf"
        ours = median_time(
            lambda ws=workspace, t=target: build_report(ws, t), 1 if name == "big" else repeat
        )
        floor = median_time(
            lambda r=rows, t=folder / f"bare-{name}.pdf": bare_report(r, t),
            1 if name == "big" else repeat,
        )
        store.close()
        figures[f"report_{name}_s"] = ours
        figures[f"report_{name}_floor_s"] = floor
        figures[f"report_{name}_ratio"] = ours / floor
    figures["report_ratio"] = figures["report_big_ratio"]
    return figures


def bare_report(rows: int, target: Path) -> None:
    """reportlab at its plainest: one table of ``rows`` rows of plain text, split over pages."""
    from reportlab.lib.pagesizes import A4
    from reportlab.platypus import SimpleDocTemplate, Table

    data = [["编号", "名称", "目标", "实际", "完成率", "状态"]]
    data += [[str(n), f"row {n}", "100", "50", "50%", "ok"] for n in range(rows)]
    SimpleDocTemplate(str(target), pagesize=A4).build([Table(data, repeatRows=1)])


# --- main -----------------------------------------------------------------------------------------

PARSE_SIZES = (500, 2000, 8000)


def run_on_plan(targets: int) -> str:
    """A plan whose targets run on with no punctuation (once quadratic in the parser)."""
    body = "".join(f"新增示范企业{i % 97 + 1}家" for i in range(targets))
    return f"2023年重点工作安排\n一、发展\n1.推进工作{body}\n"


def parse_scaling(repeat: int) -> dict[str, float]:
    """Parsing time per target at 500 / 2,000 / 8,000 run-on targets: linear means the time
    per target stays about the same (the ratio of the largest to the smallest near 1)."""
    from jingan_desktop.plan.parser import parse_plan

    figures: dict[str, float] = {}
    for size in PARSE_SIZES:
        text = run_on_plan(size)
        seconds = median_time(lambda text=text: parse_plan(text), repeat)
        figures[f"parse_{size}_s"] = seconds
        figures[f"parse_{size}_us_per_target"] = seconds / size * 1e6
    items = "\n".join(
        f"{n}.推进第{n}项工作，完成改造{n % 50 + 1}万平方米，新增企业{n % 9 + 1}家。"
        for n in range(1, 10001)
    )
    figures["parse_10000_items_s"] = median_time(
        lambda: parse_plan(f"2025年计划\n一、发展\n{items}"), 1
    )
    line = ("推进城市更新，完成旧区改造12万平方米，" * 150000)[:3_000_000]
    figures["parse_3mb_line_s"] = median_time(lambda: parse_plan(f"一、发展\n1.{line}"), 1)
    small, large = PARSE_SIZES[0], PARSE_SIZES[-1]
    figures["parse_scaling_ratio"] = (
        figures[f"parse_{large}_us_per_target"] / figures[f"parse_{small}_us_per_target"]
    )
    return figures


ROWS = [
    ("startup_ratio", "start-up ÷ bare PySide6 window (source)", "≤ 1.5"),
    ("startup_s", "  start-up to a filled window, s", ""),
    ("startup_bare_s", "  bare PySide6 window, s", ""),
    ("open_big_s", "open 2,000 items / 10,000 indicators, s", ""),
    ("open_big_raw_s", "  plain sqlite3 reading the same rows, s", ""),
    ("open_big_extra_s", "  work beyond the raw read, s", "< 0.5"),
    ("open_big_integrity_check_s", "    of which SQLite's integrity_check on open, s", ""),
    ("open_big_quick_check_s", "    (quick_check, which opening ran before, s)", ""),
    ("open_big_store_full_s", "  Store.open + load, full check first, s", ""),
    ("open_big_store_background_s", "  Store.open + load, full check in the background, s", ""),
    ("peak_rss_mb", "peak memory with the big plan open, MB", ""),
    ("edit_ms", "one edit, UI to disk (local file), ms", "< 20"),
    ("edit_slow_share_ms", "one edit, 2 ms per statement (slow share), ms", ""),
    ("report_seed_s", "PDF report, 2022 plan, s", ""),
    ("report_seed_ratio", "  ÷ bare reportlab table of the same rows", "≤ 2"),
    ("report_big_s", "PDF report, big plan, s", ""),
    ("report_ratio", "  ÷ bare reportlab table of the same rows", "≤ 2"),
    ("filter_ms", "filter-as-you-type, median per keystroke, ms", "< 50"),
    ("filter_max_ms", "  slowest keystroke, ms", ""),
    ("parse_scaling_ratio", "parse: time per target, 8,000 ÷ 500 run-on targets", "≈ 1"),
    *[
        (f"parse_{n}_us_per_target", f"  parse {n:,} run-on targets, µs per target", "")
        for n in PARSE_SIZES
    ],
    ("parse_8000_s", "  parse 8,000 run-on targets, s", "< 1"),
    ("parse_10000_items_s", "parse a plan of 10,000 items (20,000 targets), s", "seconds"),
    ("parse_3mb_line_s", "parse one 3 MB line (150,000 targets), s", "seconds"),
    ("exe_mb", "single-file executable, MB", ""),
    ("exe_startup_ratio", "start-up ÷ bare window (executable)", "≤ 1.5"),
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument(
        "--exe", type=Path, help="the built executable (default: dist/jingan-desktop if present)"
    )
    args = parser.parse_args(argv)
    repeat = 2 if args.quick else 5
    exe = args.exe or ROOT / "dist" / (
        "jingan-desktop.exe" if sys.platform.startswith("win") else "jingan-desktop"
    )
    exe = exe if exe.exists() else None
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="jingan-bench-") as tmp:
        folder = Path(tmp)
        print(
            "preparing the 2022 plan and a synthetic plan of 2,000 items / 10,000 indicators …",
            flush=True,
        )
        seed, big = make_files(folder)
        figures.update(startup(seed, folder, repeat, exe))
        figures.update(open_big(big, max(2, repeat // 2)))
        figures.update(in_process(seed, big, folder, repeat))
        figures.update(parse_scaling(repeat))
    print()
    print(f"{'measure':58} {'value':>10}  goal")
    for key, label, goal in ROWS:
        if key in figures:
            print(f"{label:58} {figures[key]:>10.3f}  {goal}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, sort_keys=True), encoding="utf-8")
        print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
