"""Crash safety: kill writers with SIGKILL at random moments, then check what they left.

    .venv/bin/python bench/crash_test.py [--rounds 200] [--seed 0] [--keep DIR] [-v]

Each round starts one worker process (bench/proofs/crash.py) and kills it at a random moment:

* edits   — set_actual / set_progress on random cells of the 2022 plan, each its own
            transaction, on one file for the whole run (each round recovers the last one's
            crash). Afterwards: integrity_check ok, foreign_key_check empty, every edit the
            worker reported committed holds its value (the last one per cell) and has its
            change_log row; the edit under way is wholly there (value and log row) or not.
* import  — import_plan(replace=True) of the seed plan, over and over: the plan is wholly the
            old or wholly the new one (6 chapters, 34 items, 80 indicators, log consistent).
* create  — Store.create(plan-NNNN.sqlite, plan): a real name is absent or a complete file.
* migrate — opening schema-0 files (= running the migration): each is wholly at schema 0
            or wholly migrated, and opens afterwards.

Prints a summary; exits 1 if any round failed (a refused recoverable file counts as failed).
A SIGKILL loses nothing the OS had accepted, so this proves the transaction and rename logic,
not the disk's flush ordering (synchronous=FULL is there for power cuts).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", type=Path, help="work in DIR and keep the files afterwards")
    parser.add_argument("-v", "--verbose", action="store_true", help="one line per round")
    args = parser.parse_args(argv)

    from bench.proofs.crash import RoundResult, run_crash_rounds

    def progress(index: int, result: RoundResult) -> None:
        if args.verbose or not result.ok or result.refused_hot_journal:
            state = "ok" if result.ok and not result.refused_hot_journal else "FAILED"
            landed = {True: "landed", False: "not landed", None: "-"}[result.in_flight_landed]
            print(
                f"round {index:4d} {result.kind:8} kill at {result.delay * 1000:6.1f} ms"
                f"  confirmed {result.confirmed:4d}  verified {result.verified:4d}"
                f"  in flight: {landed:10}  {state}",
                flush=True,
            )
            for line in result.failures + result.refused_hot_journal:
                print(f"      {line}", flush=True)

    workdir = args.keep or Path(tempfile.mkdtemp(prefix="jingan-crash-"))
    started = time.perf_counter()
    try:
        summary = run_crash_rounds(workdir, args.rounds, args.seed, progress)
    finally:
        if args.keep is None:
            shutil.rmtree(workdir, ignore_errors=True)
    print(
        f"crash test: {args.rounds} rounds, seed {args.seed}, {time.perf_counter() - started:.1f} s"
    )
    for line in summary.lines():
        print(f"  {line}")
    failed = bool(summary.failures or summary.refused_hot_journal)
    print("RESULT: " + ("FAILED" if failed else "ok"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
