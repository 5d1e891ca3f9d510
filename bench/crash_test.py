"""Crash safety: kill every kind of write at every moment of its commit, check what is left.

    .venv/bin/python bench/crash_test.py [--rounds 200] [--seed 0] [--keep DIR] [-v]

Each round starts one worker process (bench/proofs/crash_workers.py) that SIGKILLs itself at
a named kill point of one of its operations (bench/proofs/killpoints.py: SQLite's system
calls are replaced in the worker, so the moment is exact on any machine):

    mid-transaction      the operation's first page saved into the journal
    journal-synced       COMMIT has synced the journal; the file not yet written
    file-half-written    COMMIT has written the file's first page (its header)
    journal-not-deleted  the file written, the journal not yet deleted (still hot)
    after-commit         the journal deleted: committed, but the caller never heard

Kinds: edits (set_actual / set_progress, one file for the whole run), import
(import_plan(replace=True), one file for the run), excel (import-excel --apply of a workbook),
merge (a copy merged in), undo (undoing the removal of an item with its indicators and
figures), create (Store.create: a new file built under a temporary name), migrate (opening
a schema-0 file). Round i kills kind i % 7 at kill point i // 7 % 5, so every 35 rounds
cover every pair; which operation (and transaction) is drawn from the seed.

After each kill: the file opens (its journal played back), integrity_check is ok and
foreign_key_check empty, every operation the worker reported committed is there, the one
under way is wholly there or wholly absent — rolled back when killed before its journal was
deleted, committed after. Prints one line per kind and kill point; exits 1 if any round
failed. A SIGKILL loses nothing the OS had accepted, so this proves the transaction and
rename logic, not the disk's flush ordering (synchronous=FULL is there for power cuts).
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
    from bench.proofs.killpoints import available

    missing = available()
    if missing is not None:
        print(f"crash test: cannot run here: {missing}", file=sys.stderr)
        return 2

    def progress(index: int, result: RoundResult) -> None:
        if args.verbose or not result.ok or result.refused_hot_journal:
            state = "ok" if result.ok and not result.refused_hot_journal else "FAILED"
            landed = {True: "committed", False: "rolled back", None: "-"}[result.in_flight_landed]
            print(
                f"round {index:4d} {result.kind:8} {result.phase:20} op {result.op:2d}"
                f" txn {result.transaction}  confirmed {result.confirmed:3d}"
                f"  verified {result.verified:3d}  killed op: {landed:11}  {state}",
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
