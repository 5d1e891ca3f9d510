"""Faults other than a crash or a second clerk: the disk filling up under a writer.

Parent side: :func:`start_disk_full` (tests/test_durability.py). Child side
(``python -m bench.proofs.faults KIND ARGS``):

    disk-full PATH    write until the file may not grow any more (POSIX only)
"""

from __future__ import annotations

import functools
import signal
from collections.abc import Callable
from pathlib import Path

from bench.proofs.common import SEED_PLAN, Worker, run_child, say
from jingan_desktop.plan.parser import read_plan_file
from jingan_desktop.storage.store import Store

MODULE = "bench.proofs.faults"


def start_disk_full(path: Path) -> Worker:
    """A worker whose file may not grow past its size + 4 KB: it prints ``failed WHAT ERROR
    IN_TRANSACTION`` or ``committed WHAT`` per write, then ``done``."""
    return Worker(MODULE, "disk-full", path)


def _disk_full(path: str) -> None:
    """Write until the file may not grow any more (RLIMIT_FSIZE: a full stick, simulated),
    printing what each write did; POSIX only."""
    import resource

    store = Store.open(path)
    indicators = [i.id for i in store.load().plan.indicators()]
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # an over-long write fails with EFBIG
    limit = Path(path).stat().st_size + 4096
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))

    def attempt(what: str, call: Callable[[], object]) -> bool:
        try:
            call()
        except Exception as exc:
            say("failed", what, type(exc).__name__, int(store.database.conn.in_transaction))
            return False
        say("committed", what)
        return True

    plan = read_plan_file(SEED_PLAN).plan
    attempt("import", lambda: store.import_plan(plan, replace=True, keep_ids=False))
    for seq in range(5000):
        indicator, quarter = indicators[seq % len(indicators)], 1 + seq // len(indicators) % 4
        edit = functools.partial(store.set_actual, indicator, quarter, seq + 1)
        if not attempt(f"actual {indicator} {quarter} {seq + 1}", edit):
            break
    say("done")


CHILDREN: dict[str, Callable[..., None]] = {"disk-full": _disk_full}

if __name__ == "__main__":
    run_child(CHILDREN)
