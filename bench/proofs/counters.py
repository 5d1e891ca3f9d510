"""Two clerks at once: processes incrementing the same and different cells of one file.

Parent side: :func:`run_turns`, two processes taking the turns the caller dictates, one step
at a time (deterministic: the lost-update proof of tests/test_durability.py), and
:func:`run_counters`, processes running free (the figures of bench/concurrency_test.py).
Child side (``python -m bench.proofs.counters KIND ARGS``):

    turns PATH SEED                                        one clerk of run_turns
    counter PATH MODE SEED EDITS BUSY_MS THINK_MS SHARED PRIVATE   one free-running process
"""

from __future__ import annotations

import contextlib
import itertools
import json
import random
import sqlite3
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench.proofs.common import Worker, integrity, run_child, say
from jingan_desktop.storage.database import BusyError
from jingan_desktop.storage.store import ConflictError, Store, pair_id

MODULE = "bench.proofs.counters"
MAX_ATTEMPTS = 10_000  # per increment; reaching it is reported as an error


# --- the cells and their log ----------------------------------------------------------------


def counter_cells(
    path: Path, shared: int, private: int, procs: int
) -> tuple[list[str], list[list[str]]]:
    """Indicator ids (quarter 1): ``shared`` cells every process hits, ``private`` each."""
    conn = sqlite3.connect(path)
    try:
        ids = [r[0] for r in conn.execute("SELECT id FROM indicator ORDER BY id")]
    finally:
        conn.close()
    needed = shared + private * procs
    if needed > len(ids):
        raise ValueError(f"{needed} cells wanted, the plan has {len(ids)} indicators")
    own = [ids[shared + k * private : shared + (k + 1) * private] for k in range(procs)]
    return ids[:shared], own


def _cell_values(path: Path, cells: list[str]) -> dict[str, float | None]:
    conn = sqlite3.connect(path)
    try:
        values: dict[str, float | None] = {}
        for indicator in cells:
            row = conn.execute(
                "SELECT value FROM actual WHERE id = ?", (pair_id(indicator, 1),)
            ).fetchone()
            values[indicator] = row[0] if row else None
        return values
    finally:
        conn.close()


def check_counter_log(
    path: Path, cells: list[str], committed: Counter[str], end_values: dict[str, float | None]
) -> list[str]:
    """One change_log row ('insert' or 'update' of actual.value) per committed increment, and
    their new values are exactly 1, 2, … final: each increment built on the one before."""
    problems = []
    conn = sqlite3.connect(path)
    try:
        for indicator in cells:
            rows = conn.execute(
                "SELECT op, old, new FROM change_log WHERE tbl = 'actual' AND row_id = ?"
                " AND (op = 'insert' OR (op = 'update' AND field = 'value'))",
                (pair_id(indicator, 1),),
            ).fetchall()
            news = []
            for op, old, new in rows:
                value = json.loads(new)
                news.append(value["value"] if op == "insert" else value)
                if op == "update" and json.loads(old) + 1 != value:
                    problems.append(f"{indicator[:8]}: logged {old} → {new}, not an increment")
            final = int(end_values[indicator] or 0)
            if len(rows) != committed[indicator]:
                problems.append(
                    f"{indicator[:8]}: {len(rows)} change_log rows for"
                    f" {committed[indicator]} committed increments"
                )
            if sorted(news) != list(range(1, final + 1)):
                problems.append(f"{indicator[:8]}: logged values are not 1…{final}")
        problems += integrity(conn)
    finally:
        conn.close()
    return problems


def _number(text: str) -> float | None:
    return None if text == "None" else float(text)


# --- taking turns (deterministic) -----------------------------------------------------------


@dataclass
class TurnsRun:
    """Two clerks taking turns that the test dictates: nothing is left to the scheduler."""

    steps: int = 0
    committed: int = 0
    conflicts: int = 0
    busy: int = 0
    waited: int = 0
    mismatches: list[str] = field(default_factory=list)
    log_problems: list[str] = field(default_factory=list)
    lost: int = 0


class _Turns:
    """The parent's side of :func:`run_turns`: two workers, and the true value of every cell,
    so the outcome of each step is known before it is taken."""

    def __init__(self, path: Path, run: TurnsRun, cells: list[str]) -> None:
        self.run = run
        self.truth: dict[str, float | None] = _cell_values(path, cells)  # None: no figure yet
        self.committed: Counter[str] = Counter()
        self.workers = [Worker(MODULE, "turns", path, k) for k in range(2)]

    def step(self, k: int, command: str) -> str:
        self.run.steps += 1
        return self.workers[k].ask(command)

    def read(self, k: int, cell: str) -> float | None:
        seen = _number(self.step(k, f"read {cell}").split()[1])
        if seen != self.truth[cell]:
            self.run.mismatches.append(
                f"proc {k} read {seen} from {cell[:8]}, expected {self.truth[cell]}"
            )
        return seen

    def write(self, k: int, cell: str, seen: float | None) -> bool:
        answer = self.step(k, f"write {cell} {seen!r}")
        expected = "ok" if seen == self.truth[cell] else "conflict"
        if answer != expected:
            self.run.mismatches.append(f"proc {k} write {cell[:8]}: {answer}, expected {expected}")
        if answer == "ok":
            self.count_increment(cell)
        elif answer == "conflict":
            self.run.conflicts += 1
        return answer == "ok"

    def count_increment(self, cell: str) -> None:
        self.truth[cell] = (self.truth[cell] or 0) + 1
        self.committed[cell] += 1
        self.run.committed += 1

    def interleave(self, order: str, first: int, second: int, cells: dict[int, str]) -> None:
        """One round: ``order`` is one of the six orders of (a reads, a writes) and (b reads,
        b writes), a being ``first``; a refused write reads the fresh value and writes again
        (nobody interferes then)."""
        seen: dict[int, float | None] = {}
        for letter in order:
            k = first if letter == "a" else second
            if k not in seen:
                seen[k] = self.read(k, cells[k])
            elif not self.write(k, cells[k], seen[k]):
                self.write(k, cells[k], self.read(k, cells[k]))

    def hold_round(self, holder: int, other: int, cell: str) -> None:
        """``holder`` takes the write lock; ``other`` tries to write meanwhile."""
        assert self.step(holder, "hold") == "holding"
        # With a 1 ms busy timeout the write gives up: a BusyError, never a raw error.
        seen = _number(self.step(other, f"read {cell}").split()[1])
        answer = self.step(other, f"write-impatient {cell} {seen!r}")
        if answer != "busy":
            self.run.mismatches.append(f"write while locked answered {answer}, expected busy")
        else:
            self.run.busy += 1
        # With the normal timeout the write waits for the lock and is saved once released.
        self.workers[other].send(f"write {cell} {seen!r}")
        assert self.step(holder, "release") == "released"
        answer = self.workers[other].next_line(60)
        if answer != "ok":
            self.run.mismatches.append(f"write after the lock was released answered {answer}")
        else:
            self.count_increment(cell)
            self.run.waited += 1

    def finish(self) -> None:
        for worker in self.workers:
            worker.send("quit")
        codes = [worker.finish(60) for worker in self.workers]
        if any(codes):
            self.run.mismatches.append(f"workers exited {codes}: {self.workers[0].stderr[-2000:]}")

    def kill_leftovers(self) -> None:
        for worker in self.workers:
            if worker.proc.poll() is None:
                worker.kill()


def run_turns(path: Path, rounds: int, *, seed: int = 0, holds: int = 3) -> TurnsRun:
    """Two processes each increment cells (read, then write value + 1 with the value read as
    the expected one) in an interleaving chosen here, one step at a time: a shared cell where
    the other process may write between this one's read and write, or a cell of its own.
    The parent keeps the true value of every cell, so the outcome of each step is known in
    advance: a write whose read is stale must be refused as a conflict and retried on the
    fresh value; any other write must be taken. ``holds`` times one process holds the write
    lock while the other writes: with a 1 ms busy timeout that write must come back as a
    worded BusyError (never a raw sqlite3 error), with the normal timeout it must wait and
    be saved once the lock is released."""
    rng = random.Random(seed)
    run = TurnsRun()
    shared_ids, own_ids = counter_cells(path, 1, 1, 2)
    cells = shared_ids + [own[0] for own in own_ids]
    start = _cell_values(path, cells)
    turns = _Turns(path, run, cells)
    try:
        for worker in turns.workers:
            worker.wait_for("ready")
        hold_rounds = set(rng.sample(range(rounds), min(holds, rounds)))
        for index in range(rounds):
            first = rng.randrange(2)
            second = 1 - first
            if index in hold_rounds:
                turns.hold_round(first, second, cells[0])
                continue
            cell_a = shared_ids[0] if rng.random() < 0.6 else own_ids[first][0]
            cell_b = shared_ids[0] if rng.random() < 0.6 else own_ids[second][0]
            order = rng.choice(["aabb", "abab", "abba", "baab", "baba", "bbaa"])
            turns.interleave(order, first, second, {first: cell_a, second: cell_b})
        turns.finish()
    finally:
        turns.kill_leftovers()
    end = _cell_values(path, cells)
    run.lost = run.committed - int(sum((end[c] or 0) - (start[c] or 0) for c in cells))
    run.log_problems = check_counter_log(path, cells, turns.committed, end)
    return run


# --- running free (the long figures) --------------------------------------------------------


@dataclass
class CounterRun:
    mode: str  # "ours" or "naive"
    label: str
    edits: int = 0  # increments asked for, all processes together
    committed: int = 0  # increments each process saw succeed
    lost: int = 0  # committed - what the cells gained
    conflicts: int = 0  # ConflictError surfaced (and retried)
    busy: int = 0  # BusyError surfaced (and retried)
    raw_lock: int = 0  # sqlite3.OperationalError "database is locked" reaching the caller
    raw_other: int = 0  # any other raw sqlite3 error reaching the caller
    seconds: float = 0.0
    log_problems: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    per_cell: dict[str, tuple[int, float]] = field(default_factory=dict)  # committed, final
    overlap: float = 0.0  # seconds both processes were running
    switches: int | None = None  # commits that followed another process's commit (ours)

    @property
    def ok(self) -> bool:
        return (
            not self.lost
            and not self.raw_lock
            and not self.raw_other
            and not self.errors
            and not self.log_problems
        )


def run_counters(
    path: Path,
    mode: str,
    edits: int,
    *,
    procs: int = 2,
    seed: int = 0,
    busy_ms: int | None = None,
    think_ms: float = 0.0,
    shared: int = 2,
    private: int = 2,
    label: str | None = None,
    timeout: float = 600,
) -> CounterRun:
    """``procs`` processes each do ``edits // procs`` increments (read, +1, write) on shared
    and private cells of ``path``; afterwards every cell must equal the increments that
    succeeded on it."""
    run = CounterRun(mode, label or mode)
    shared_ids, private_ids = counter_cells(path, shared, private, procs)
    cells = shared_ids + [c for own in private_ids for c in own]
    if mode == "naive":
        _start_at_zero(path, cells)
    start_values = _cell_values(path, cells)
    per_proc = edits // procs
    run.edits = per_proc * procs
    workers = [
        Worker(
            MODULE,
            "counter",
            path,
            mode,
            seed * 1000 + k,
            per_proc,
            busy_ms if busy_ms is not None else -1,
            think_ms,
            ",".join(shared_ids),
            ",".join(private_ids[k]),
        )
        for k in range(procs)
    ]
    codes = _go_and_wait(run, workers, timeout)
    committed = _collect_reports(run, workers, codes)
    end_values = _cell_values(path, cells)
    run.committed = sum(committed.values())
    gained = {c: (end_values[c] or 0) - (start_values[c] or 0) for c in cells}
    run.lost = run.committed - int(sum(gained.values()))
    run.per_cell = {c: (committed[c], end_values[c] or 0) for c in cells}
    if mode == "ours":
        run.log_problems = check_counter_log(path, cells, committed, end_values)
        run.switches = _switches(path, cells)
    return run


def _start_at_zero(path: Path, cells: list[str]) -> None:
    """Plain UPDATEs (the naive mode) need the rows to exist: start every cell at 0."""
    store = Store.open(path)
    try:
        for indicator in cells:
            if store.row("actual", pair_id(indicator, 1)) is None:
                store.set_actual(indicator, 1, 0)
    finally:
        store.close()


def _go_and_wait(run: CounterRun, workers: list[Worker], timeout: float) -> list[int]:
    """Start all workers together and wait for them; returns their exit codes."""
    try:
        for worker in workers:
            worker.wait_for("ready")
        started = time.perf_counter()
        for worker in workers:
            worker.send("go")
        codes = [worker.finish(timeout) for worker in workers]
        run.seconds = time.perf_counter() - started
    finally:
        for worker in workers:
            if worker.proc.poll() is None:
                worker.kill()
    return codes


def _collect_reports(run: CounterRun, workers: list[Worker], codes: list[int]) -> Counter[str]:
    """Add up the workers' ``result`` lines; returns the increments committed per cell."""
    committed: Counter[str] = Counter()
    windows = []
    for worker, code in zip(workers, codes, strict=True):
        reports = [json.loads(line[7:]) for line in worker.lines if line.startswith("result ")]
        if code != 0 or not reports:
            run.errors.append(f"worker exited {code}: {worker.stderr.strip()[-2000:]}")
            continue
        report = reports[0]
        committed.update(report["committed"])
        run.conflicts += report["conflicts"]
        run.busy += report["busy"]
        run.raw_lock += report["raw_lock"]
        run.raw_other += report["raw_other"]
        run.errors += report["errors"]
        windows.append((report["started"], report["ended"]))
    if windows:
        run.overlap = max(0.0, min(e for _, e in windows) - max(s for s, _ in windows))
    return committed


def _switches(path: Path, cells: list[str]) -> int:
    """How often the commit order (change_log rowid) passes from one process to another."""
    conn = sqlite3.connect(path)
    try:
        marks = ",".join("?" for _ in cells)
        machines = [
            r[0]
            for r in conn.execute(
                f"SELECT machine FROM change_log WHERE tbl = 'actual' AND row_id IN ({marks})"
                " ORDER BY rowid",
                [pair_id(c, 1) for c in cells],
            )
        ]
    finally:
        conn.close()
    return sum(a != b for a, b in itertools.pairwise(machines))


# --- child side -----------------------------------------------------------------------------


class _Incrementer:
    """One free-running process's way to increment a cell: the store (ours) or plain sqlite3
    with Python's defaults, deferred and lazily begun transactions (naive)."""

    def __init__(self, path: str, mode: str, seed: str, busy_ms: str, think: float) -> None:
        self.think = think
        self.store: Store | None = None
        self.conn: sqlite3.Connection | None = None
        if mode == "ours":
            self.store = Store.open(path)
            self.store.actor = ("counter", f"proc-{seed}")
            if int(busy_ms) >= 0:
                self.store.database.conn.execute(f"PRAGMA busy_timeout = {int(busy_ms)}")
        elif mode == "naive":
            self.conn = sqlite3.connect(path)
        else:
            raise ValueError(mode)

    def increment(self, rng: random.Random, cell: str) -> None:
        row_id = pair_id(cell, 1)
        if self.store is not None:
            row = self.store.row("actual", row_id)
            old = row["value"] if row is not None else None
            time.sleep(rng.uniform(0, self.think))  # the clerk looks, then types
            self.store.set_actual(cell, 1, (old or 0) + 1, expected_value=old)
        else:
            assert self.conn is not None
            (old,) = self.conn.execute(
                "SELECT value FROM actual WHERE id = ?", (row_id,)
            ).fetchone()
            time.sleep(rng.uniform(0, self.think))
            self.conn.execute("UPDATE actual SET value = ? WHERE id = ?", (old + 1, row_id))
            self.conn.commit()

    def rollback(self) -> None:
        if self.conn is not None:
            with contextlib.suppress(sqlite3.Error):
                self.conn.rollback()


def _counter(
    path: str,
    mode: str,
    seed: str,
    edits: str,
    busy_ms: str,
    think_ms: str,
    shared: str,
    private: str,
) -> None:
    rng = random.Random(int(seed))
    think = float(think_ms) / 1000
    shared_ids, private_ids = shared.split(","), [c for c in private.split(",") if c]
    clerk = _Incrementer(path, mode, seed, busy_ms, think)
    committed: Counter[str] = Counter()
    tally = {"conflicts": 0, "busy": 0, "raw_lock": 0, "raw_other": 0}
    errors: list[str] = []
    say("ready")
    sys.stdin.readline()  # "go": both processes start together
    started = time.time()
    for _ in range(int(edits)):
        own = private_ids and rng.random() < 0.5  # half the edits on cells of its own
        cell = rng.choice(private_ids) if own else rng.choice(shared_ids)
        if _increment_until_saved(clerk, rng, cell, tally):
            committed[cell] += 1
            time.sleep(rng.uniform(0, think))  # and moves on to the next cell
        else:
            errors.append(f"gave up on {cell[:8]} after {MAX_ATTEMPTS} attempts")
    report = {
        "committed": dict(committed),
        **tally,
        "errors": errors,
        "started": started,
        "ended": time.time(),
    }
    say("result", json.dumps(report))


def _increment_until_saved(
    clerk: _Incrementer, rng: random.Random, cell: str, tally: dict[str, int]
) -> bool:
    """Retry one increment until it is saved, counting what each refusal was."""
    for _attempt in range(MAX_ATTEMPTS):
        try:
            clerk.increment(rng, cell)
            return True
        except ConflictError:
            tally["conflicts"] += 1
        except BusyError:
            tally["busy"] += 1
        except sqlite3.OperationalError as exc:
            locked = "locked" in str(exc) or "busy" in str(exc)
            tally["raw_lock" if locked else "raw_other"] += 1
            clerk.rollback()
    return False


def _turns(path: str, seed: str) -> None:
    """One clerk of :func:`run_turns`: does exactly the step it is told, answers one line."""
    store = Store.open(path)
    store.actor = ("counter", f"proc-{seed}")
    conn = store.database.conn
    say("ready")
    for line in sys.stdin:
        command, *args = line.split()
        if command == "quit":
            break
        if command == "read":
            row = store.row("actual", pair_id(args[0], 1))
            say("seen", row["value"] if row is not None else None)
        elif command in ("write", "write-impatient"):
            cell, seen = args[0], _number(args[1])
            conn.execute(f"PRAGMA busy_timeout = {1 if command == 'write-impatient' else 5000}")
            try:
                store.set_actual(cell, 1, (seen or 0) + 1, expected_value=seen)
                say("ok")
            except ConflictError:
                say("conflict")
            except BusyError:
                say("busy")
            except sqlite3.Error as exc:  # must never happen: the test counts it as a failure
                say("raw", type(exc).__name__)
        elif command == "hold":
            conn.execute("BEGIN IMMEDIATE")
            say("holding")
        elif command == "release":
            conn.execute("ROLLBACK")
            say("released")
    store.close()


CHILDREN: dict[str, Callable[..., None]] = {"counter": _counter, "turns": _turns}

if __name__ == "__main__":
    run_child(CHILDREN)
