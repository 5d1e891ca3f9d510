"""The benchmark: start-up, opening, the daily backup, one edit, filter-as-you-type and the PDF
report, at several plan sizes, each against its floor measured in the same run.

    python3 dev.py bench [--json OUT.json] [--quick] [--only-startup | --only report]
    .venv/bin/python bench/run.py [--json OUT.json] [--quick] [--only-startup | --only report]

How it stays honest on a shared, loaded machine:

* every figure is the median of several runs interleaved with its baseline (app, bare, app,
  bare …), printed with its spread (lowest–highest of the per-run ratios), and the load
  average is recorded;
* start-up is CPU time (user + system) of the child process from its start to its painted
  window, as each probe prints it then (``startup-cpu``; the teardown at exit is no part of
  starting, for either side), bytecode compiled once into a private cache
  (``PYTHONPYCACHEPREFIX``, the same for both), so neither the scheduler nor recompiling
  every module on each start (``PYTHONDONTWRITEBYTECODE``) decides the ratio; the app is
  divided by a bare PySide6 window and shown beside the floor (the bundled font and the same
  rows in a plain QTreeWidget); the executable's start is divided by the bare window *from
  source*, wall clock, unpacking included: its first start (an empty runtime folder,
  ``JINGAN_RUNTIME_DIR``: it unpacks) and its later starts (the folder it unpacked) apart;
* opening is timed in a fresh process against plain sqlite3 reading the same rows there (and
  beside it the same read building a plain dict per row); a big file's integrity check runs
  after the plan is shown, on its own thread: its wall time and the UI's longest stall
  meanwhile are printed on their own (bench/opening.py; ``--only open``);
* the daily backup is timed on its own, as the longest stall of the UI thread while it runs
  (a 5 ms heartbeat timer), beside the longest heartbeat gap of the same idle window;
* one edit includes the 预警 rebuild; a keystroke in the search box (a key event) includes
  the debounce (waited idly, as in the app; wall clock) and the filtering, relayout and
  repaint (CPU), clearing the box is timed too, and the floor beside them
  (bench/filtering.py; ``--only filter [--sizes 2000,8000]`` runs just that figure);
* the report's floor is reportlab with the same embedded CJK font and wrapped paragraphs;
  LibreOffice printing the app's own Excel export is the peer (when ``soffice`` exists:
  ``apt-get install libreoffice-calc-nogui fonts-wqy-microhei``), and against it ours is the
  ``report`` command in a fresh process, wall clock, like LibreOffice's (``--only report``:
  the report figures alone, seed and 2,000 items);
* synthetic plans have departments, five indicators per item, four quarters of figures, at
  500 / 2,000 / 8,000 items (``--quick``: 2,000 only, fewer runs).

Nothing here asserts: the test suite holds no timing checks; this prints figures to read.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.filtering import filter_figures, filter_rows  # noqa: E402

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("MPLBACKEND", "Agg")

from bench.measure import child_env, run_child, spread  # noqa: E402 - after the path
from bench.report_figures import report_rows, reports, soffice  # noqa: E402

INDICATORS_PER_ITEM = 5
BIG = 2000  # the size the goals are stated for
BARE_WINDOW = (
    "import time\n"
    "from PySide6.QtWidgets import QApplication, QMainWindow\n"
    "app = QApplication([]); w = QMainWindow(); w.show(); app.processEvents()\n"
    "print('startup-cpu', time.process_time(), flush=True)\n"
)
# The start-up floor: Qt, the bundled CJK font and the same rows (chapters → items →
# indicators) read with plain sqlite3 into a plain QTreeWidget, shown and painted.
TREE_FLOOR = """
import sqlite3, sys, time
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QApplication, QMainWindow, QTreeWidget, QTreeWidgetItem
app = QApplication([])
font = QFont(QFontDatabase.applicationFontFamilies(QFontDatabase.addApplicationFont(sys.argv[2]))[0])
app.setFont(font)
conn = sqlite3.connect(sys.argv[1])
tree = QTreeWidget(); tree.setColumnCount(8)
tree.setHeaderLabels(["编号", "名称", "目标", "单位", "本期实际", "完成率", "状态", "牵头单位"])
chapters = {}
for cid, numeral, title in conn.execute("SELECT id, numeral, title FROM chapter ORDER BY position"):
    chapters[cid] = QTreeWidgetItem(tree, [numeral, title])
items = {}
for iid, cid, number, title in conn.execute(
    "SELECT id, chapter_id, number, title FROM item ORDER BY chapter_id, position"
):
    items[iid] = QTreeWidgetItem(chapters[cid], [str(number), title])
for item_id, name, value, unit in conn.execute(
    "SELECT item_id, name, value, unit FROM indicator ORDER BY item_id, position"
):
    QTreeWidgetItem(items[item_id], ["", name, "" if value is None else str(value), unit])
tree.expandToDepth(0)
w = QMainWindow(); w.setCentralWidget(tree); w.resize(1280, 800); w.show(); app.processEvents()
print("startup-cpu", time.process_time(), flush=True)
"""


# --- measuring ------------------------------------------------------------------------------


def scratch_settings() -> Any:
    """A settings file of its own for a benchmark window. Never ``os.devnull``: QSettings saves
    by renaming a temporary file over its path, which (as root) replaced /dev/null with a plain
    file for the whole machine."""
    from PySide6.QtCore import QSettings

    path = Path(tempfile.mkdtemp(prefix="jingan-bench-settings-")) / "settings.ini"
    return QSettings(str(path), QSettings.Format.IniFormat)


def startup_cpu(stdout: str) -> float:
    """The CPU seconds a start-up probe printed when its window was drawn ("startup-cpu S"):
    the process's own time from its start to the painted window, the same for every side, and
    without the interpreter's and Qt's teardown at exit (which is no part of starting)."""
    lines = [line for line in stdout.splitlines() if line.startswith("startup-cpu ")]
    if not lines:
        raise RuntimeError(f"no startup-cpu line in the probe's output: {stdout[-400:]!r}")
    return float(lines[-1].split()[1])


# --- fixtures ---------------------------------------------------------------------------------


def make_seed(folder: Path) -> Path:
    from bench.synthetic import fill_sample_figures
    from jingan_desktop.storage.store import Store, ensure_default_database

    seed = ensure_default_database(folder / "seed.sqlite")
    store = Store.open(seed)
    fill_sample_figures(store, store.plan_id_for_year(2022) or "", (1, 2))
    store.close()
    return seed


def make_plan(folder: Path, items: int) -> Path:
    from bench.synthetic import fill_sample_figures, synthetic_plan
    from jingan_desktop.storage.store import Store

    path = folder / f"plan-{items}.sqlite"
    plan = synthetic_plan(items, items * INDICATORS_PER_ITEM, chapters=max(4, items // 100))
    store = Store.create(path, plan)
    fill_sample_figures(store, plan.id or "", (1, 2, 3, 4))
    store.close()
    return path


# --- start-up ---------------------------------------------------------------------------------


def startup(seed: Path, folder: Path, repeat: int, exe: Path | None) -> dict[str, Any]:
    env = child_env(folder)
    app = [sys.executable, "-m", "jingan_desktop", "--db", str(seed), "--startup-probe", "app"]
    bare = [sys.executable, "-c", BARE_WINDOW]
    font = ROOT / "resources" / "fonts" / "wqy-microhei.ttf"
    floor = [sys.executable, "-c", TREE_FLOOR, str(seed), str(font)]
    exe_app = [str(exe), "--db", str(seed), "--startup-probe", "app"] if exe else None
    # later starts of the executable run what its first start unpacked into this folder
    env["JINGAN_RUNTIME_DIR"] = str(folder / "runtime")
    for command in (app, bare, floor, exe_app):  # compile the bytecode, warm the OS file cache
        if command:
            run_child(command, env)
    app_cpu, bare_cpu, app_wall, bare_wall, ratios, exe_wall, exe_ratios, floors = (
        [],
        [],
        [],
        [],
        [],
        [],
        [],
        [],
    )
    first_wall, first_ratios = [], []
    for run in range(repeat):
        wall_a, _, out_a = run_child(app, env)
        wall_b, _, out_b = run_child(bare, env)
        cpu_a, cpu_b = startup_cpu(out_a), startup_cpu(out_b)
        app_cpu.append(cpu_a)
        bare_cpu.append(cpu_b)
        app_wall.append(wall_a)
        bare_wall.append(wall_b)
        ratios.append(cpu_a / cpu_b)
        floors.append(startup_cpu(run_child(floor, env)[2]) / cpu_b)
        if exe_app:
            wall_e, _, _ = run_child(exe_app, env)
            exe_wall.append(wall_e)
            exe_ratios.append(wall_e / wall_b)
            fresh = {**env, "JINGAN_RUNTIME_DIR": str(folder / f"runtime-first-{run}")}
            wall_f, _, _ = run_child(exe_app, fresh)
            shutil.rmtree(fresh["JINGAN_RUNTIME_DIR"], ignore_errors=True)
            first_wall.append(wall_f)
            first_ratios.append(wall_f / wall_b)
    figures: dict[str, Any] = {
        "startup_ratio": spread(ratios),
        "startup_floor_ratio": spread(floors),
        "startup_cpu_s": spread(app_cpu),
        "startup_bare_cpu_s": spread(bare_cpu),
        "startup_wall_ratio": spread([a / b for a, b in zip(app_wall, bare_wall, strict=True)]),
    }
    if exe:
        figures.update(
            exe_mb=exe.stat().st_size / 1024 / 1024,
            exe_startup_s=spread(exe_wall),
            exe_startup_ratio=spread(exe_ratios),
            exe_first_startup_s=spread(first_wall),
            exe_first_startup_ratio=spread(first_ratios),
        )
    return figures


# --- opening and the daily backup, in a fresh process each (bench/opening.py) ----------------


def open_and_backup(path: Path, items: int, folder: Path, repeat: int) -> dict[str, Any]:
    from bench.opening import open_and_backup as measure

    env = child_env(folder)
    return measure(
        path, items, repeat, lambda command: run_child(command, env), Path(__file__).resolve()
    )


# --- inside one app session: edits, filtering -------------------------------------------------


def session(path: Path, items: int, repeat: int, edits_too: bool = True) -> dict[str, Any]:
    """One edit (UI to disk, the 预警 rebuild included) and filter-as-you-type, on the plan
    (bench/filtering.py)."""
    from PySide6.QtWidgets import QApplication

    from jingan_desktop.qt.application import create_application
    from jingan_desktop.qt.main_window import MainWindow
    from jingan_desktop.qt.views.tree_model import PlanTreeModel

    app = create_application()
    window = MainWindow(scratch_settings())
    window.resize(1400, 900)
    window.shared_file.daily_backup_soon = lambda _store: None  # its own figure, above
    window.show()
    window.open_path(path, quarter=2)
    app.processEvents()
    navigation = window.navigation
    indicators = list(window.workspace.indicators)
    counter = iter(range(1000, 10**9))

    def one_edit(n: int) -> float:
        indicator = window.workspace.indicators[indicators[(n * 7919) % len(indicators)]]
        index = window.model.index_of(indicator.id, 4)
        # A plausible figure, new each time (a negative one or more than 10× the target would
        # ask 确定吗？ first, as it does the clerk).
        step = next(counter)
        value = (indicator.value or 1000) * (0.2 + (step % 500) / 1000) + step / 10**6
        started = time.thread_time()
        if not window.model.setData(index, f"{value:.6f}"):
            raise RuntimeError(f"edit was not saved: {window.model.last_error}")
        app.processEvents()
        if navigation.warnings_timer.isActive():  # the deferred 预警 rebuild: counted
            navigation.warnings_timer.stop()
            navigation.fill_warnings()
        return time.thread_time() - started

    assert PlanTreeModel.COL_ACTUAL == 4
    for n in range(3 if edits_too else 0):
        one_edit(n)
    edits = [one_edit(n) for n in range(max(10, repeat * 4) if edits_too else 0)]

    figures = {f"edit_ms_{items}": spread([e * 1000 for e in edits])} if edits else {}
    figures.update(filter_figures(app, window, items, repeat))
    window.close()
    QApplication.processEvents()
    return figures


# --- the parser ------------------------------------------------------------------------------

PARSE_SIZES = (500, 2000, 8000)


def median_time(run: Callable[[], object], repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


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


# --- main -------------------------------------------------------------------------------------

# key, label, goal (a function of the median, and its text)
Goal = tuple[Callable[[float], bool], str] | None
ROWS: list[tuple[str, str, Goal]] = [
    ("startup_ratio", "start-up to a filled tree ÷ bare PySide6 window (CPU)",
     (lambda v: v <= 1.5, "≤ 1.5×")),
    ("startup_wall_ratio", "  the same, wall clock", None),
    ("startup_floor_ratio", "  floor: font + the same rows in a QTreeWidget ÷ bare (CPU)", None),
    ("startup_cpu_s", "  start-up CPU, s", None),
    ("startup_bare_cpu_s", "  bare window CPU, s", None),
    ("exe_startup_ratio", "executable start ÷ bare window from source (wall)",
     (lambda v: v <= 2, "≤ 2×")),
    ("exe_startup_s", "  executable start, s", None),
    ("exe_first_startup_ratio", "  its first start (unpacking) ÷ bare window from source", None),
    ("exe_first_startup_s", "  its first start, s", None),
    ("exe_mb", "executable size, MiB (Linux)", (lambda v: v <= 75, "≤ 75")),
    ("parse_scaling_ratio", "parse: time per target, 8,000 ÷ 500 run-on targets", None),
    *[
        (f"parse_{n}_us_per_target", f"  parse {n:,} run-on targets, µs per target", None)
        for n in PARSE_SIZES
    ],
    ("parse_8000_s", "  parse 8,000 run-on targets, s", (lambda v: v < 1, "< 1")),
    ("parse_10000_items_s", "parse a plan of 10,000 items (20,000 targets), s", None),
    ("parse_3mb_line_s", "parse one 3 MB line (150,000 targets), s", None),
]  # fmt: skip


def size_rows(sizes: tuple[int, ...]) -> list[tuple[str, str, Goal]]:
    rows: list[tuple[str, str, Goal]] = []
    for n in sizes:
        rows += [
            (f"open_ratio_{n}", f"open {n:,} items ÷ raw sqlite3 read (CPU)",
             (lambda v: v <= 2.5, "≤ 2.5×")),
            (f"open_s_{n}", f"  open {n:,} items, CPU s", None),
            (f"open_raw_s_{n}", "  raw sqlite3 read, CPU s", None),
            (f"open_objects_ratio_{n}", "  open ÷ raw read building a dict per row", None),
            (f"check_wall_s_{n}", "  integrity check after the plan is shown, wall s", None),
            (f"check_stall_ms_{n}", "    longest UI stall meanwhile, ms",
             (lambda v: v <= 100, "≤ 100")),
            (f"backup_stall_ms_{n}", "  longest UI stall during the daily backup, ms",
             (lambda v: v <= 100, "≤ 100")),
            (f"backup_idle_gap_ms_{n}", "    longest heartbeat gap when idle, ms", None),
            (f"backup_s_{n}", "    daily backup + integrity check, s", None),
            (f"integrity_check_s_{n}", "    the full integrity_check alone, CPU s", None),
            (f"quick_check_s_{n}", "    (quick_check would take, CPU s)", None),
            (f"peak_rss_mb_{n}", "  peak memory, MB", None),
            (f"edit_ms_{n}", "  one edit incl. 预警 rebuild, CPU ms", (lambda v: v < 20, "< 20")),
            *filter_rows(n),
        ]  # fmt: skip
    return rows


def print_table(figures: dict[str, Any], rows: list[tuple[str, str, Goal]]) -> None:
    print(f"\n{'measure':60} {'median':>9} {'spread':>19}  goal")
    for key, label, goal in rows:
        value = figures.get(key)
        if value is None:
            continue
        if isinstance(value, dict):
            median, low, high = value["median"], value["low"], value["high"]
            shown = f"{median:>9.3f} {f'{low:.3f}–{high:.3f}':>19}"
        else:
            median, shown = value, f"{value:>9.3f} {'':>19}"
        verdict = ""
        if goal is not None:
            verdict = f"{goal[1]}  {'met' if goal[0](median) else 'NOT met'}"
        print(f"{label:60} {shown}  {verdict}")


def only_startup(repeat: int, json_path: Path | None) -> int:
    figures: dict[str, Any] = {"load_average_before": os.getloadavg()}
    with tempfile.TemporaryDirectory(prefix="jingan-bench-") as tmp:
        print("preparing the 2022 plan …", flush=True)
        seed = make_seed(Path(tmp))
        print("start-up …", flush=True)
        figures.update(startup(seed, Path(tmp), repeat, None))
    figures["load_average_after"] = os.getloadavg()
    print_table(figures, [row for row in ROWS if row[0].startswith("startup")])
    if json_path:
        json_path.write_text(json.dumps(figures, indent=2, sort_keys=True), encoding="utf-8")
    return 0


def only_open(sizes: tuple[int, ...], repeat: int, json_path: Path | None) -> int:
    figures: dict[str, Any] = {"load_average_before": os.getloadavg()}
    with tempfile.TemporaryDirectory(prefix="jingan-bench-") as tmp:
        for n in sizes:
            print(f"{n:,} items: open, integrity check, daily backup …", flush=True)
            runs = max(2, repeat // 2) if n > BIG else max(2, repeat - 2)
            figures.update(open_and_backup(make_plan(Path(tmp), n), n, Path(tmp), runs))
    figures["load_average_after"] = os.getloadavg()
    keys = ("open_", "check_", "backup_", "integrity_", "quick_", "peak_")
    print_table(figures, [row for row in size_rows(sizes) if row[0].startswith(keys)])
    if json_path:
        json_path.write_text(json.dumps(figures, indent=2, sort_keys=True), encoding="utf-8")
    sys.stdout.flush()
    os._exit(0)  # PySide6's teardown can crash at exit; the figures are out


def app_figures(
    seed: Path,
    plans: dict[int, Path],
    folder: Path,
    repeat: int,
    exe: Path | None,
    notes: list[str],
) -> dict[str, Any]:
    """Start-up, then at each size: open, the daily backup, edits and the filter."""
    print("start-up …", flush=True)
    figures = startup(seed, folder, repeat, exe)
    if exe is None:
        notes.append("no executable in dist/: build it with `python3 dev.py build`")
    for n, path in plans.items():
        print(f"{n:,} items: open, integrity check, daily backup, edits, filter …", flush=True)
        runs = max(2, repeat // 2) if n > BIG else max(2, repeat - 2)
        figures.update(open_and_backup(path, n, folder, runs))
        figures.update(session(path, n, max(1, repeat // 2) if n > BIG else repeat))
    return figures


def only_filter(sizes: tuple[int, ...], repeat: int, out: Path | None) -> int:
    figures: dict[str, Any] = {"load_average_before": os.getloadavg()}
    with tempfile.TemporaryDirectory(prefix="jingan-bench-") as tmp:
        for n in sizes:
            print(f"{n:,} items: filter …", flush=True)
            path = make_plan(Path(tmp), n)
            figures.update(session(path, n, max(1, repeat // 2) if n > BIG else repeat, False))
    figures["load_average_after"] = os.getloadavg()
    for n in sizes:
        print(f"\n{n:,} items", end="")
        print_table(figures, [r for r in size_rows((n,)) if r[0].startswith("filter_")])
    load = figures["load_average_before"][0], figures["load_average_after"][0]
    print(f"\nload average (1 min) before / after: {load[0]:.1f} / {load[1]:.1f}")
    if out:
        out.write_text(json.dumps(figures, indent=2, sort_keys=True), encoding="utf-8")
    sys.stdout.flush()
    os._exit(0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    parser.add_argument("--quick", action="store_true", help="2,000 items only, fewer runs")
    parser.add_argument(
        "--exe", type=Path, help="the built executable (default: dist/jingan-desktop if present)"
    )
    parser.add_argument(
        "--only-startup",
        action="store_true",
        help="only the start-up figures (the app, the bare window and the QTreeWidget floor)",
    )
    parser.add_argument(
        "--only",
        choices=["report", "open", "filter"],
        help="only these figures (report: seed and 2,000 items; open: opening, its integrity"
        " check and the daily backup at each size; filter: filter-as-you-type and clearing"
        " the box at each size)",
    )
    parser.add_argument("--sizes", help="plan sizes in items, comma-separated (500,2000,8000)")
    parser.add_argument("--child-open", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child_open:
        from bench.opening import child_open

        child_open(args.child_open)
        sys.stdout.flush()
        os._exit(0)  # skip PySide6's teardown, which can crash at exit (not ours to time)
    repeat = 2 if args.quick else 5
    if args.only_startup:
        return only_startup(repeat, args.json)
    sizes = (BIG,) if args.quick or args.only == "report" else (500, BIG, 8000)
    if args.sizes:
        sizes = tuple(int(n) for n in args.sizes.split(","))
    if args.only == "open":
        return only_open(sizes, repeat, args.json)
    if args.only == "filter":
        return only_filter(sizes, repeat, args.json)
    exe = args.exe or ROOT / "dist" / (
        "jingan-desktop.exe" if sys.platform.startswith("win") else "jingan-desktop"
    )
    exe = exe if exe.exists() else None
    figures: dict[str, Any] = {"load_average_before": os.getloadavg()}
    notes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="jingan-bench-") as tmp:
        folder = Path(tmp)
        print(f"preparing the 2022 plan and synthetic plans of {sizes} items …", flush=True)
        seed = make_seed(folder)
        plans = {n: make_plan(folder, n) for n in sizes}
        if not args.only:
            figures.update(app_figures(seed, plans, folder, repeat, exe, notes))
        if soffice() is None:
            notes.append(
                "LibreOffice not installed: no LibreOffice ratio "
                "(apt-get install libreoffice-calc-nogui fonts-wqy-microhei)"
            )
        report_plans = {"seed": seed, **{str(n): plans[n] for n in sizes if n <= BIG}}
        for name, path in report_plans.items():
            print(f"report, {name} plan …", flush=True)
            figures.update(reports(name, path, folder, repeat if name == "seed" else 2))
        if not args.only:
            print("parser …", flush=True)
            figures.update(parse_scaling(repeat))
    figures["load_average_after"] = os.getloadavg()
    figures["notes"] = notes
    rows = [] if args.only else ROWS + size_rows(sizes)
    print_table(figures, rows + report_rows(list(report_plans)))
    load = figures["load_average_before"][0], figures["load_average_after"][0]
    print(f"\nload average (1 min) before / after: {load[0]:.1f} / {load[1]:.1f}")
    for note in notes:
        print(f"note: {note}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, sort_keys=True), encoding="utf-8")
        print(f"wrote {args.json}")
    sys.stdout.flush()
    os._exit(0)  # PySide6's teardown can crash at exit after a session; the figures are out


if __name__ == "__main__":
    sys.exit(main())
