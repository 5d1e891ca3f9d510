"""Two clerks at once: processes incrementing the same and different cells of one file.

    .venv/bin/python bench/concurrency_test.py [--edits 1000] [--procs 2] [--think-ms 1]
                                               [--turns 500] [--holds 10]

Each process loops: read a cell's current value, pause up to --think-ms (the clerk looking at
it), write value + 1, pause again. Without a pause SQLite's busy handler (which sleeps 1, 2,
5 … ms while the lock is taken) lets one process run hundreds of edits in a row while the
other waits, so the edits hardly interleave; --think-ms 0 shows that. Two scenarios:

* one cell — every edit of every process goes to the same cell;
* mixed    — half of each process's edits go to 2 cells all processes share, half to
             2 cells of its own.

Each scenario runs three ways, each on a fresh copy of the 2022 plan file:

* ours        — Store.set_actual(..., expected_value=old): a ConflictError means someone
                else wrote first, so the process re-reads and retries; a BusyError is retried.
* ours, 1 ms  — the same with busy_timeout = 1 ms, so lock waits surface as BusyError.
* naive       — plain sqlite3 with Python's default (lazily begun) transactions:
                SELECT value, then UPDATE … SET value = <old + 1>, commit; no check.

Afterwards every cell must equal the increments that succeeded on it: "lost updates" is
committed − what the cells gained. For ours, the change_log must hold one row per committed
increment, with new values exactly 1, 2, … final.

How often free-running processes interleave is up to the OS scheduler, so the figures above
vary from run to run. Last, the lockstep proof (the one tests/test_durability.py runs, here
--turns rounds): two processes take the turns this script dictates, one step at a time, in
seeded interleavings of read and write, --holds of them with one process holding the write
lock; every stale write must be refused, every other one taken, every held lock met by a
worded BusyError or a wait — nothing depends on the scheduler.

Exits 1 if ours lost an update, let a raw sqlite3 error through, or its log does not account
for every increment, or the lockstep proof found any step answered other than foreseen.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bench.proofs.counters import CounterRun

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

COLUMNS = (
    ("scenario", 9),
    ("mode", 24),
    ("edits", 6),
    ("committed", 9),
    ("lost updates", 12),
    ("conflicts surfaced", 18),
    ("busy retries", 12),
    ("raw lock errors", 15),
    ("seconds", 7),
)
SCENARIOS = (("one cell", 1, 0), ("mixed", 2, 2))  # name, shared cells, own cells each
MODES = (
    ("ours", None, "ours (busy_timeout 5 s)"),
    ("ours", 1, "ours (busy_timeout 1 ms)"),
    ("naive", None, "naive sqlite3"),
)


def row(values: tuple[object, ...]) -> str:
    return "  ".join(
        f"{value:>{width}}" if i > 1 else f"{value:{width}}"
        for i, (value, (_, width)) in enumerate(zip(values, COLUMNS, strict=True))
    )


def free_running(args: argparse.Namespace) -> list[tuple[str, CounterRun]]:
    """Every scenario × mode on a fresh copy of the 2022 plan file."""
    from bench.proofs.common import make_plan_file
    from bench.proofs.counters import run_counters

    runs: list[tuple[str, CounterRun]] = []
    with tempfile.TemporaryDirectory(prefix="jingan-concurrency-") as tmp:
        template = make_plan_file(Path(tmp) / "template.sqlite")
        for scenario, shared, private in SCENARIOS:
            for mode, busy_ms, label in MODES:
                path = make_plan_file(Path(tmp) / f"{len(runs)}.sqlite", template)
                run = run_counters(
                    path,
                    mode,
                    args.edits,
                    procs=args.procs,
                    seed=args.seed,
                    busy_ms=busy_ms,
                    think_ms=args.think_ms,
                    shared=shared,
                    private=private,
                    label=label,
                )
                runs.append((scenario, run))
    return runs


def print_free_running(args: argparse.Namespace, runs: list[tuple[str, CounterRun]]) -> bool:
    """The table and one line of notes per run; returns whether ours failed anywhere."""
    print(
        f"{args.procs} processes, {args.edits} increments in all (read, +1, write),"
        f" think time up to {args.think_ms:g} ms"
    )
    print(row(tuple(name for name, _ in COLUMNS)))
    for scenario, run in runs:
        raw = run.raw_lock + run.raw_other
        print(
            row(
                (
                    scenario,
                    run.label,
                    run.edits,
                    run.committed,
                    run.lost,
                    run.conflicts,
                    run.busy,
                    raw,
                    f"{run.seconds:.2f}",
                )
            )
        )
    print()
    failed = False
    for scenario, run in runs:
        notes = []
        if run.mode == "ours":
            failed |= not run.ok
            if not run.log_problems:
                notes.append("change_log holds one row per increment, values 1…final")
            notes.append(f"commits passed between processes {run.switches} times")
        if run.committed:
            notes.append(f"{run.lost / run.committed:.0%} lost")
        notes.append(f"processes overlapped {run.overlap:.2f} s")
        print(f"{scenario}, {run.label}: " + "; ".join(notes))
        for problem in run.log_problems[:10] + run.errors[:10]:
            print(f"    PROBLEM: {problem}")
        if run.raw_other:
            print(f"    PROBLEM: {run.raw_other} raw sqlite3 errors other than 'locked'")
    return failed


def lockstep(args: argparse.Namespace) -> bool:
    """The deterministic proof of tests/test_durability.py at full size: two processes
    taking the turns chosen here (seeded); returns whether it failed."""
    from bench.proofs.common import make_plan_file
    from bench.proofs.counters import run_turns

    with tempfile.TemporaryDirectory(prefix="jingan-turns-") as tmp:
        path = make_plan_file(Path(tmp) / "plan.sqlite")
        run = run_turns(path, args.turns, seed=args.seed, holds=args.holds)
    print(
        f"lockstep, 2 processes, {args.turns} rounds (seed {args.seed}): {run.steps} steps,"
        f" {run.committed} increments committed, {run.conflicts} stale writes refused and"
        f" retried, {run.busy} lock waits worded as BusyError, {run.waited} writes that waited"
        f" for a held lock and saved; lost updates {run.lost}"
    )
    for problem in run.mismatches[:10] + run.log_problems[:10]:
        print(f"    PROBLEM: {problem}")
    return bool(run.mismatches or run.log_problems or run.lost)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edits", type=int, default=1000, help="increments, all processes")
    parser.add_argument("--procs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--think-ms",
        type=float,
        default=1.0,
        help="pause up to this long between reading a cell and writing it, and after each edit",
    )
    parser.add_argument("--turns", type=int, default=500, help="rounds of the lockstep proof")
    parser.add_argument("--holds", type=int, default=10, help="lockstep rounds holding the lock")
    args = parser.parse_args(argv)

    failed = print_free_running(args, free_running(args))
    print()
    failed |= lockstep(args)
    print("RESULT: " + ("FAILED" if failed else "ok"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
