"""Worker processes for the durability proofs, and the checks run on what they leave behind.

Shared by bench/crash_test.py, bench/concurrency_test.py and tests/test_durability.py. The
parent side (:class:`Worker`, :func:`crash_round`, :func:`run_counters` …) is imported; the
child side runs when this file is executed as a script:

    python bench/_workers.py edits PATH SEED       set_actual / set_progress until killed
    python bench/_workers.py import PATH           import_plan(replace=True) until killed
    python bench/_workers.py create FOLDER         Store.create(FOLDER/plan-NNNN.sqlite, …)
    python bench/_workers.py migrate FOLDER COUNT  open (= migrate) FOLDER/old-NNNN.sqlite
    python bench/_workers.py counter PATH MODE SEED EDITS BUSY_MS THINK_MS SHARED PRIVATE

A worker prints ``attempt …`` before each operation and ``committed …`` only after the store
call returned, flushing every line, so after a SIGKILL the parent knows exactly what the
worker had been told was saved, and which one operation may have been under way.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import itertools
import json
import os
import random
import re
import signal
import sqlite3
import struct
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from jingan_desktop.plan.model import ItemStatus
from jingan_desktop.plan.parser import read_plan_file
from jingan_desktop.storage.database import (
    APPLICATION_ID,
    SCHEMA_VERSION,
    BusyError,
    Database,
    TruncatedError,
)
from jingan_desktop.storage.store import ConflictError, Store, pair_id

ROOT = Path(__file__).resolve().parents[1]
SEED_PLAN = ROOT / "db" / "seed" / "jingan-2022-key-work-plan.txt"
SEED_ROWS = {"plan": 1, "chapter": 6, "item": 34, "indicator": 80}
SEED_LOG_ROWS = 121  # one 'insert' entry per plan, chapter, item and indicator row
STATUSES = [status.value for status in ItemStatus]
TABLES = (
    "meta",
    "department",
    "plan",
    "chapter",
    "item",
    "indicator",
    "actual",
    "progress",
    "quarter_lock",
    "change_log",
)

T = TypeVar("T")


# ============================================================================================
# Parent side: running a worker
# ============================================================================================


def worker_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    env["PYTHONIOENCODING"] = "utf-8"
    return env


class Worker:
    """A worker process whose stdout lines are collected as they arrive (by a thread, so the
    pipe never fills up and blocks the worker)."""

    def __init__(self, *args: object) -> None:
        self.args = [str(a) for a in args]
        self.proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), *self.args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=worker_env(),
            cwd=ROOT,
        )
        self.lines: list[str] = []
        self._taken = 0
        self._stderr: list[bytes] = []
        self._changed = threading.Condition()
        self._threads = [
            threading.Thread(target=self._read_stdout, daemon=True),
            threading.Thread(target=self._read_stderr, daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    def _read_stdout(self) -> None:
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            if not raw.endswith(b"\n"):
                break  # cut off by the kill: the worker never finished saying it
            with self._changed:
                self.lines.append(raw.decode("utf-8").rstrip("\r\n"))
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    def _read_stderr(self) -> None:
        assert self.proc.stderr is not None
        self._stderr.append(self.proc.stderr.read())

    @property
    def stderr(self) -> str:
        return b"".join(self._stderr).decode("utf-8", "replace")

    def wait_for(self, line: str, timeout: float = 60) -> None:
        """Block until the worker printed ``line`` (raises if it died or took too long)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while line not in self.lines:
                remaining = deadline - time.monotonic()
                if self.proc.poll() is not None and not self._threads[0].is_alive():
                    raise RuntimeError(f"worker {self.args} exited early:\n{self.stderr}")
                if remaining <= 0:
                    raise TimeoutError(f"worker {self.args} did not print {line!r}")
                self._changed.wait(min(remaining, 0.5))

    def send(self, text: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(text.encode("utf-8") + b"\n")
        self.proc.stdin.flush()

    def next_line(self, timeout: float = 60) -> str:
        """The next line the worker prints after those already taken by :meth:`next_line`."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(self.lines) <= self._taken:
                if self.proc.poll() is not None and not self._threads[0].is_alive():
                    raise RuntimeError(f"worker {self.args} exited early:\n{self.stderr}")
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"worker {self.args} did not answer")
                self._changed.wait(min(remaining, 0.5))
            self._taken += 1
            return self.lines[self._taken - 1]

    def ask(self, text: str, timeout: float = 60) -> str:
        """Send one command and wait for its one-line answer."""
        self._taken = max(self._taken, len(self.lines))
        self.send(text)
        return self.next_line(timeout)

    def kill(self) -> int:
        """SIGKILL (TerminateProcess on Windows): no handler, no atexit, no flush runs."""
        with contextlib.suppress(ProcessLookupError):
            self.proc.kill()
        return self.finish()

    def finish(self, timeout: float = 120) -> int:
        code = self.proc.wait(timeout)
        for thread in self._threads:
            thread.join(10)
        if self.proc.stdin is not None:
            with contextlib.suppress(OSError):
                self.proc.stdin.close()
        return code


# ============================================================================================
# Parent side: files
# ============================================================================================


def make_plan_file(path: Path, template: Path | None = None) -> Path:
    """A plan file holding the seed plan (copied from ``template`` when given: faster)."""
    if template is not None and template.exists():
        path.write_bytes(template.read_bytes())
    else:
        Store.create(path, read_plan_file(SEED_PLAN).plan).close()
    return path


def make_version_zero_file(path: Path) -> None:
    """A file as an app before the first migration would have left it: ours, schema 0."""
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    conn.close()


def journal_of(path: Path) -> Path:
    return path.with_name(path.name + "-journal")


def is_hot_journal(journal: Path) -> bool:
    """A journal SQLite would play back: present and its header's magic written (SQLite
    writes the magic only when it syncs the journal, just before touching the file)."""
    try:
        with open(journal, "rb") as handle:
            return any(handle.read(8))
    except OSError:
        return False


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def open_after_crash(
    path: Path, opener: Callable[[Path], T] = Store.open, notes: list[str] | None = None
) -> T:
    """Open a file a killed writer left behind, as the app would.

    KNOWN BUG (see tests/test_durability.py::test_open_rolls_back_a_hot_journal_left_mid_commit):
    when the writer died while its commit was writing pages, page 1 (written first) already
    announces the larger size while the file is still short; ``read_header`` then refuses the
    file as truncated although SQLite would roll the hot journal back. That refusal is put in
    ``notes``; the journal is rolled back by plain SQLite and the file opened again, so the
    rest of the round can still be checked.
    """
    try:
        return opener(path)
    except TruncatedError as exc:
        if not is_hot_journal(journal_of(path)):
            raise
        if notes is not None:
            notes.append(f"{path.name}: refused with a hot journal beside it ({exc.detail})")
        conn = sqlite3.connect(path)
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()  # rolls back
        finally:
            conn.close()
        return opener(path)


def integrity(conn: sqlite3.Connection) -> list[str]:
    """``PRAGMA integrity_check`` (must say ok) and ``foreign_key_check`` (must be empty)."""
    problems = [row[0] for row in conn.execute("PRAGMA integrity_check") if row[0] != "ok"]
    problems += [f"foreign key: {tuple(row)}" for row in conn.execute("PRAGMA foreign_key_check")]
    return problems


def counts(conn: sqlite3.Connection, tables: Iterable[str] = TABLES) -> dict[str, int]:
    return {t: conn.execute(f"SELECT count(*) FROM [{t}]").fetchone()[0] for t in tables}


# ============================================================================================
# Parent side: crash rounds
# ============================================================================================

KINDS = ("edits", "import", "create", "migrate")
# The mix of a run: mostly user edits, with the big-transaction and file-building kinds in
# between. Round i runs MIX[i % len(MIX)].
MIX = (
    "edits",
    "import",
    "edits",
    "create",
    "edits",
    "migrate",
    "edits",
    "edits",
    "import",
    "create",
)
# How long a worker runs before it is killed: uniform in 0 … MAX_DELAY[kind] seconds after it
# said it was ready (each kind's operation takes 1 ms … 30 ms; several fit in the window).
MAX_DELAY = {"edits": 0.25, "import": 0.2, "create": 0.2, "migrate": 0.1}
MIGRATE_FILES = 150  # more than a worker migrates in MAX_DELAY["migrate"] (~2 ms each)


@dataclass
class RoundResult:
    kind: str
    seed: int
    delay: float = 0.0
    confirmed: int = 0  # operations the worker reported committed
    verified: int = 0  # … of those, found intact after the kill
    in_flight: str | None = None  # the operation under way when the kill came
    in_flight_landed: bool | None = None  # whether it turned out committed
    integrity_failures: int = 0
    failures: list[str] = field(default_factory=list)
    refused_hot_journal: list[str] = field(default_factory=list)  # the known bug, see above
    debris: list[str] = field(default_factory=list)  # temporary files left by the killed worker

    @property
    def ok(self) -> bool:
        return not self.failures and not self.integrity_failures

    def fail(self, message: str) -> None:
        self.failures.append(message)


@dataclass
class Op:
    """One ``attempt``/``committed`` line: ``kind`` plus its words."""

    kind: str
    words: tuple[str, ...]

    @classmethod
    def parse(cls, line: str) -> Op:
        parts = line.split(" ")
        return cls(parts[1], tuple(parts[2:]))


def operations(lines: list[str]) -> tuple[list[Op], Op | None]:
    """The committed operations in order, and the one attempted but not reported committed."""
    done: list[Op] = []
    pending: Op | None = None
    for line in lines:
        if line.startswith("attempt "):
            pending = Op.parse(line)
        elif line.startswith("committed "):
            op = Op.parse(line)
            if pending is None or op.kind != pending.kind:
                raise AssertionError(f"worker output out of order at {line!r}")
            done.append(op)
            pending = None
    return done, pending


class EditLedger:
    """What the parent knows must be in the edited file: the last committed value of every
    cell the workers touched, across all rounds on the same file."""

    def __init__(self) -> None:
        self.cells: dict[tuple[str, str, int], tuple[Any, ...]] = {}


def _cell(op: Op) -> tuple[tuple[str, str, int], tuple[Any, ...]]:
    """An edit line's cell and the value it writes: actual → (value,), progress →
    (status, text)."""
    if op.kind == "actual":
        indicator, quarter, value = op.words
        return ("actual", indicator, int(quarter)), (float(value),)
    item, quarter, status, text = op.words
    return ("progress", item, int(quarter)), (STATUSES[int(status)], text)


def _stored(conn: sqlite3.Connection, cell: tuple[str, str, int]) -> tuple[Any, ...] | None:
    table, row, quarter = cell
    if table == "actual":
        found = conn.execute("SELECT value FROM actual WHERE id = ?", (pair_id(row, quarter),))
    else:
        found = conn.execute(
            "SELECT status, text FROM progress WHERE id = ?", (pair_id(row, quarter),)
        )
    result = found.fetchone()
    return tuple(result) if result is not None else None


def _logged_values(conn: sqlite3.Connection) -> set[tuple[str, str, tuple[Any, ...]]]:
    """(table, row id, value) for every actual.value and progress.text the change log holds,
    as an insert or an update."""
    found: set[tuple[str, str, tuple[Any, ...]]] = set()
    for tbl, row_id, op, fld, new in conn.execute(
        "SELECT tbl, row_id, op, field, new FROM change_log WHERE tbl IN ('actual', 'progress')"
    ):
        value = json.loads(new) if new is not None else None
        if op == "insert":
            key = "value" if tbl == "actual" else "text"
            found.add((tbl, row_id, (value[key],)))
        elif op == "update" and fld in ("value", "text"):
            found.add((tbl, row_id, (value,)))
    return found


def _log_key(
    cell: tuple[str, str, int], value: tuple[Any, ...]
) -> tuple[str, str, tuple[Any, ...]]:
    table, row, quarter = cell
    logged = (float(value[0]),) if table == "actual" else (value[1],)  # texts are unique
    return table, pair_id(row, quarter), logged


def verify_edits(path: Path, lines: list[str], ledger: EditLedger, result: RoundResult) -> None:
    done, pending = operations(lines)
    result.confirmed = len(done)
    before = dict(ledger.cells)
    for op in done:
        cell, value = _cell(op)
        ledger.cells[cell] = value
    store = open_after_crash(path, notes=result.refused_hot_journal)
    try:
        conn = store.database.conn
        problems = integrity(conn)
        if problems:
            result.integrity_failures += 1
            result.fail(f"integrity: {problems[:3]}")
        if is_hot_journal(journal_of(path)):
            result.fail("the hot journal is still there after opening")
        elif journal_of(path).exists():
            # Killed before the journal was synced: its header is still zero, so it is not
            # hot (the file was not written yet) and the next transaction replaces it.
            result.debris.append(journal_of(path).name)
        logged = _logged_values(conn)
        # The operation under way may or may not have committed; either way whole.
        if pending is not None:
            cell, value = _cell(pending)
            result.in_flight = f"{cell[0]} {cell[1][:8]} Q{cell[2]}"
            stored = _stored(conn, cell)
            previous = ledger.cells.get(cell)
            landed = stored == value
            result.in_flight_landed = landed
            if not landed and stored != previous:
                result.fail(f"in-flight {cell}: stored {stored}, neither {previous} nor {value}")
            if (_log_key(cell, value) in logged) != landed:
                result.fail(f"in-flight {cell}: data and change_log disagree (landed={landed})")
            if landed:
                ledger.cells[cell] = value
        # Every committed edit has its change_log row; every cell holds its last value.
        last_of = {}
        for index, op in enumerate(done):
            last_of[_cell(op)[0]] = index
        for index, op in enumerate(done):
            cell, value = _cell(op)
            good = _log_key(cell, value) in logged
            if not good:
                result.fail(f"committed edit {op.kind} {op.words} has no change_log row")
            if last_of[cell] == index:
                stored = _stored(conn, cell)
                if stored != ledger.cells[cell]:
                    good = False
                    result.fail(f"committed {cell}={value} but the file holds {stored}")
            result.verified += good
        # Cells not touched this round kept their value.
        for cell, value in before.items():
            if cell not in last_of and (pending is None or _cell(pending)[0] != cell):
                if _stored(conn, cell) != value:
                    result.fail(f"untouched {cell} changed to {_stored(conn, cell)}")
    finally:
        store.close()


def verify_import(path: Path, lines: list[str], state: dict[str, Any], result: RoundResult) -> None:
    """The plan was replaced wholly or not at all: seed row counts, and the plan is the last
    reported one (or, if the import under way committed, a new one)."""
    done, pending = operations(lines)
    result.confirmed = len(done)
    if done:
        state["plan_id"] = done[-1].words[0]
    expected_imports = state["imports"] + len(done)
    store = open_after_crash(path, notes=result.refused_hot_journal)
    try:
        conn = store.database.conn
        problems = integrity(conn)
        if problems:
            result.integrity_failures += 1
            result.fail(f"integrity: {problems[:3]}")
        if is_hot_journal(journal_of(path)):
            result.fail("the hot journal is still there after opening")
        elif journal_of(path).exists():
            result.debris.append(journal_of(path).name)  # never synced: not hot, harmless
        found = counts(conn, SEED_ROWS)
        if found != SEED_ROWS:
            result.fail(f"row counts {found}: a partial import")
        (plan_id,) = conn.execute("SELECT id FROM plan").fetchone()
        imports = _import_count(conn)
        landed = plan_id != state["plan_id"]
        if pending is not None:
            result.in_flight = "import_plan(replace=True)"
            result.in_flight_landed = landed
        if landed and (pending is None or plan_id in state["seen"]):
            result.fail(f"plan {plan_id} is not the last one reported ({state['plan_id']})")
        if imports != expected_imports + landed:
            result.fail(f"{imports} import transactions logged, expected {expected_imports}")
        own = conn.execute(
            "SELECT count(*) FROM change_log WHERE tbl = 'plan' AND op = 'insert' AND row_id = ?",
            (plan_id,),
        ).fetchone()[0]
        if own != 1:
            result.fail(f"the current plan's insert is logged {own} times")
        if result.ok:
            result.verified = len(done)
        state["plan_id"] = plan_id
        state["imports"] = imports
        state["seen"].update(op.words[0] for op in done)
        state["seen"].add(plan_id)
    finally:
        store.close()


def _import_count(conn: sqlite3.Connection) -> int:
    return conn.execute(
        "SELECT count(DISTINCT txn) FROM change_log WHERE source = 'import'"
    ).fetchone()[0]


def check_complete_plan_file(path: Path, notes: list[str]) -> list[str]:
    """Problems of a file that should hold exactly the seed plan, freshly created."""
    store = open_after_crash(path, notes=notes)
    try:
        conn = store.database.conn
        problems = integrity(conn)
        if store.database.user_version() != SCHEMA_VERSION:
            problems.append(f"user_version {store.database.user_version()}")
        found = counts(conn, (*SEED_ROWS, "change_log"))
        if found != {**SEED_ROWS, "change_log": SEED_LOG_ROWS}:
            problems.append(f"row counts {found}")
        if "file_id" not in store.meta():
            problems.append("no file_id in meta")
        return problems
    finally:
        store.close()


NAME = re.compile(r"^(plan|old)-\d{4}\.sqlite$")


def verify_create(folder: Path, lines: list[str], result: RoundResult) -> None:
    """Each real name is absent or a complete file; temporary files are only debris."""
    done, pending = operations(lines)
    result.confirmed = len(done)
    confirmed = {op.words[0] for op in done}
    present = {p.name for p in folder.iterdir() if NAME.match(p.name)}
    for name in sorted(confirmed - present):
        result.fail(f"{name} was reported created but does not exist")
    unexpected = present - confirmed - ({pending.words[0]} if pending else set())
    for name in sorted(unexpected):
        result.fail(f"{name} exists but was never attempted")
    if pending is not None:
        result.in_flight = f"Store.create({pending.words[0]})"
        result.in_flight_landed = pending.words[0] in present
    for name in sorted(present):
        problems = check_complete_plan_file(folder / name, result.refused_hot_journal)
        if problems:
            result.integrity_failures += 1
            result.fail(f"{name} is not a complete file: {problems[:3]}")
        elif name in confirmed:
            result.verified += 1
    result.debris = sorted(p.name for p in folder.iterdir() if not NAME.match(p.name))


def verify_migrate(
    folder: Path, lines: list[str], pristine: dict[str, str], result: RoundResult
) -> None:
    """Each file is wholly at schema 0 or wholly migrated, and opens (migrating) afterwards."""
    done, pending = operations(lines)
    result.confirmed = len(done)
    confirmed = {op.words[0] for op in done}
    attempted = confirmed | ({pending.words[0]} if pending else set())
    if pending is not None:
        result.in_flight = f"migrating {pending.words[0]}"
    for name, original in sorted(pristine.items()):
        path = folder / name
        if name not in attempted:
            if digest(path) != original:
                result.fail(f"{name} changed although never opened")
            continue
        database = open_after_crash(
            path, lambda p: Database.open(p, migrate=False), result.refused_hot_journal
        )
        try:
            problems = integrity(database.conn)
            version = database.user_version()
            tables = {r[0] for r in database.conn.execute("SELECT name FROM sqlite_master")} - {
                "sqlite_sequence"
            }
        finally:
            database.close()
        if problems:
            result.integrity_failures += 1
            result.fail(f"{name}: integrity {problems[:3]}")
        if version == 0:
            if name in confirmed:
                result.fail(f"{name} was reported migrated but is at schema 0")
            if tables:
                result.fail(f"{name} is at schema 0 but holds {sorted(tables)[:5]}: half-migrated")
        elif version == SCHEMA_VERSION:
            if not set(TABLES) <= tables:
                result.fail(f"{name} at schema {version} lacks {set(TABLES) - tables}")
        else:
            result.fail(f"{name} at unexpected schema {version}")
        if name == (pending.words[0] if pending else None):
            result.in_flight_landed = version == SCHEMA_VERSION
        # Whatever state it was left in, the app can open (and finish migrating) it now.
        try:
            Database.open(path).close()
        except Exception as exc:
            result.fail(f"{name} cannot be opened after the crash: {exc!r}")
            continue
        if name in confirmed and not problems:
            result.verified += 1
    result.debris = sorted(p.name for p in folder.iterdir() if not NAME.match(p.name))


@dataclass
class CrashRun:
    """The state carried from round to round of one run."""

    workdir: Path
    template: Path | None = None
    edits_file: Path | None = None
    ledger: EditLedger = field(default_factory=EditLedger)
    import_file: Path | None = None
    import_state: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.template = make_plan_file(self.workdir / "template.sqlite")

    def edit_target(self) -> Path:
        if self.edits_file is None:
            folder = self.workdir / "edits"
            folder.mkdir()
            self.edits_file = make_plan_file(folder / "plan.sqlite", self.template)
        return self.edits_file

    def import_target(self) -> Path:
        if self.import_file is None:
            folder = self.workdir / "import"
            folder.mkdir()
            self.import_file = make_plan_file(folder / "plan.sqlite", self.template)
            conn = sqlite3.connect(self.import_file)
            (plan_id,) = conn.execute("SELECT id FROM plan").fetchone()
            self.import_state = {"plan_id": plan_id, "imports": _import_count(conn)}
            self.import_state["seen"] = {plan_id}
            conn.close()
        return self.import_file


def crash_round(run: CrashRun, index: int, kind: str, seed: int) -> RoundResult:
    """Start a worker of ``kind``, let it work for a random moment, SIGKILL it, check."""
    rng = random.Random(seed)
    result = RoundResult(kind, seed, delay=rng.uniform(0, MAX_DELAY[kind]))
    folder = run.workdir / f"round-{index:04d}-{kind}"
    pristine: dict[str, str] = {}
    if kind == "edits":
        worker = Worker("edits", run.edit_target(), seed)
    elif kind == "import":
        worker = Worker("import", run.import_target())
    elif kind == "create":
        folder.mkdir()
        worker = Worker("create", folder)
    elif kind == "migrate":
        folder.mkdir()
        for number in range(MIGRATE_FILES):
            path = folder / f"old-{number:04d}.sqlite"
            make_version_zero_file(path)
            pristine[path.name] = digest(path)
        worker = Worker("migrate", folder, MIGRATE_FILES)
    else:
        raise ValueError(kind)
    try:
        worker.wait_for("ready")
        time.sleep(result.delay)  # the random moment of the crash
    finally:
        worker.kill()
    if "done" in worker.lines:
        result.fail("the worker finished before it was killed; raise MIGRATE_FILES")
    if worker.stderr.strip():
        result.fail(f"the worker failed on its own:\n{worker.stderr.strip()[-2000:]}")
    try:
        if kind == "edits":
            verify_edits(run.edit_target(), worker.lines, run.ledger, result)
        elif kind == "import":
            verify_import(run.import_target(), worker.lines, run.import_state, result)
        elif kind == "create":
            verify_create(folder, worker.lines, result)
        else:
            verify_migrate(folder, worker.lines, pristine, result)
    except Exception as exc:  # a refusal to open, a raw sqlite3 error …: a failed round
        result.fail(f"checking after the kill raised {exc!r}")
    return result


@dataclass
class CrashSummary:
    rounds: list[RoundResult]

    def of(self, kind: str) -> list[RoundResult]:
        return [r for r in self.rounds if r.kind == kind]

    @property
    def failures(self) -> list[str]:
        return [f"round {i} ({r.kind}): {f}" for i, r in enumerate(self.rounds) for f in r.failures]

    @property
    def refused_hot_journal(self) -> list[str]:
        return [f"round {i}: {n}" for i, r in enumerate(self.rounds) for n in r.refused_hot_journal]

    def lines(self) -> list[str]:
        def landed(rounds: list[RoundResult]) -> str:
            yes = sum(r.in_flight_landed is True for r in rounds)
            no = sum(r.in_flight_landed is False for r in rounds)
            return f"{yes} / {no}"

        edits = self.of("edits")
        per_round = [r.confirmed for r in edits] or [0]
        rows = [
            (
                "rounds",
                f"{len(self.rounds)}  (" + ", ".join(f"{k} {len(self.of(k))}" for k in KINDS) + ")",
            ),
            ("edits confirmed", sum(r.confirmed for r in edits)),
            ("edits verified", sum(r.verified for r in edits)),
            (
                "edits per round (max / mean)",
                f"{max(per_round)} / {sum(per_round) / len(per_round):.1f}",
            ),
            ("edit under way at the kill: landed / not", landed(edits)),
        ]
        for kind, what in (
            ("import", "imports"),
            ("create", "files created"),
            ("migrate", "files migrated"),
        ):
            rounds = self.of(kind)
            rows.append(
                (
                    f"{what} confirmed / verified",
                    f"{sum(r.confirmed for r in rounds)} / {sum(r.verified for r in rounds)}",
                )
            )
            rows.append((f"  killed mid-{kind}: landed / not", landed(rounds)))
        rows += [
            (
                "files left behind (harmless)",
                f"{sum(len(r.debris) for r in self.rounds)}  ("
                + ", ".join(f"{k} {sum(len(r.debris) for r in self.of(k))}" for k in KINDS)
                + ")",
            ),
            ("integrity failures", sum(r.integrity_failures for r in self.rounds)),
            ("refused after the crash (BUG: hot journal)", len(self.refused_hot_journal)),
            ("other failures", len(self.failures)),
        ]
        return [f"{label + ':':44} {value}" for label, value in rows]


def run_crash_rounds(
    workdir: Path,
    rounds: int,
    seed: int = 0,
    progress: Callable[[int, RoundResult], None] | None = None,
) -> CrashSummary:
    run = CrashRun(workdir)
    results = []
    for index in range(rounds):
        kind = MIX[index % len(MIX)]
        result = crash_round(run, index, kind, seed * 100_000 + index + 1)
        results.append(result)
        if progress is not None:
            progress(index, result)
    return CrashSummary(results)


# ============================================================================================
# Parent side: catching a commit half-written (for the hot-journal test)
# ============================================================================================


def _header_runs_past_end(path: Path) -> bool:
    """The header's page count (when valid) promises more bytes than the file has."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(100)
            size = os.fstat(handle.fileno()).st_size
    except OSError:
        return False
    if len(head) < 100:
        return False
    (page_size,) = struct.unpack(">H", head[16:18])
    page_size = 65536 if page_size == 1 else page_size
    change_counter, page_count = struct.unpack(">II", head[24:32])
    (valid_for,) = struct.unpack(">I", head[92:96])
    return valid_for == change_counter and size < page_count * page_size


def catch_mid_commit(path: Path, timeout: float = 20) -> tuple[bool, list[str]]:
    """Run ``import_plan(replace=True)`` in a loop on ``path`` (each one grows the file) and
    kill the worker at the moment its commit has written page 1 but not yet the pages past
    the old end of the file: the state a crash (or power cut) there leaves on disk.

    The worker is stopped (SIGSTOP) as soon as the header runs past the end of the file, the
    state is checked again while it cannot move, then it is killed. POSIX only. Returns
    whether that moment was caught, and the committed lines.
    """
    worker = Worker("import", path)
    caught = False
    try:
        worker.wait_for("ready")
        deadline = time.monotonic() + timeout
        while not caught and time.monotonic() < deadline and worker.proc.poll() is None:
            if _header_runs_past_end(path):
                os.kill(worker.proc.pid, signal.SIGSTOP)
                caught = _header_runs_past_end(path) and is_hot_journal(journal_of(path))
                if not caught:
                    os.kill(worker.proc.pid, signal.SIGCONT)
    finally:
        worker.kill()
    return caught, worker.lines


# ============================================================================================
# Parent side: two processes counting on the same cells
# ============================================================================================


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
    if mode == "naive":  # plain UPDATEs need the rows to exist: start every cell at 0
        store = Store.open(path)
        try:
            for indicator in cells:
                if store.row("actual", pair_id(indicator, 1)) is None:
                    store.set_actual(indicator, 1, 0)
        finally:
            store.close()
    start_values = _cell_values(path, cells)
    per_proc = edits // procs
    run.edits = per_proc * procs
    workers = [
        Worker(
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
    end_values = _cell_values(path, cells)
    run.committed = sum(committed.values())
    gained = {c: (end_values[c] or 0) - (start_values[c] or 0) for c in cells}
    run.lost = run.committed - int(sum(gained.values()))
    run.per_cell = {c: (committed[c], end_values[c] or 0) for c in cells}
    if mode == "ours":
        run.log_problems = check_counter_log(path, cells, committed, end_values)
        run.switches = _switches(path, cells)
    return run


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


# ============================================================================================
# Child side
# ============================================================================================


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
    truth: dict[str, float | None] = dict(start)  # None: no figure yet
    committed: Counter[str] = Counter()
    workers = [Worker("turns", path, k) for k in range(2)]

    def step(k: int, command: str) -> str:
        run.steps += 1
        return workers[k].ask(command)

    def read(k: int, cell: str) -> float | None:
        seen = _number(step(k, f"read {cell}").split()[1])
        if seen != truth[cell]:
            run.mismatches.append(f"proc {k} read {seen} from {cell[:8]}, expected {truth[cell]}")
        return seen

    def write(k: int, cell: str, seen: float | None) -> bool:
        answer = step(k, f"write {cell} {seen!r}")
        expected = "ok" if seen == truth[cell] else "conflict"
        if answer != expected:
            run.mismatches.append(f"proc {k} write {cell[:8]}: {answer}, expected {expected}")
        if answer == "ok":
            truth[cell] = (truth[cell] or 0) + 1
            committed[cell] += 1
            run.committed += 1
        elif answer == "conflict":
            run.conflicts += 1
        return answer == "ok"

    try:
        for worker in workers:
            worker.wait_for("ready")
        hold_rounds = set(rng.sample(range(rounds), min(holds, rounds)))
        for index in range(rounds):
            first = rng.randrange(2)
            second = 1 - first
            if index in hold_rounds:
                _hold_round(run, workers, first, second, truth, committed, cells, step)
                continue
            cell_a = shared_ids[0] if rng.random() < 0.6 else own_ids[first][0]
            cell_b = shared_ids[0] if rng.random() < 0.6 else own_ids[second][0]
            # One of the six orders of (a reads, a writes) and (b reads, b writes).
            order = rng.choice(["aabb", "abab", "abba", "baab", "baba", "bbaa"])
            seen: dict[int, float | None] = {}
            pending = {first: cell_a, second: cell_b}
            for letter in order:
                k = first if letter == "a" else second
                if k not in seen:
                    seen[k] = read(k, pending[k])
                elif not write(k, pending[k], seen[k]):
                    # Refused: read the fresh value and write again (nobody interferes now).
                    write(k, pending[k], read(k, pending[k]))
        for worker in workers:
            worker.send("quit")
        codes = [worker.finish(60) for worker in workers]
        if any(codes):
            run.mismatches.append(f"workers exited {codes}: {workers[0].stderr[-2000:]}")
    finally:
        for worker in workers:
            if worker.proc.poll() is None:
                worker.kill()
    end = _cell_values(path, cells)
    run.lost = run.committed - int(sum((end[c] or 0) - (start[c] or 0) for c in cells))
    run.log_problems = check_counter_log(path, cells, committed, end)
    return run


def _hold_round(
    run: TurnsRun,
    workers: list[Worker],
    holder: int,
    other: int,
    truth: dict[str, float | None],
    committed: Counter[str],
    cells: list[str],
    step: Callable[[int, str], str],
) -> None:
    """``holder`` takes the write lock; ``other`` tries to write meanwhile."""
    cell = cells[0]
    assert step(holder, "hold") == "holding"
    # With a 1 ms busy timeout the write gives up: a BusyError, never a raw error.
    seen = _number(step(other, f"read {cell}").split()[1])
    answer = step(other, f"write-impatient {cell} {seen!r}")
    if answer != "busy":
        run.mismatches.append(f"write while locked answered {answer}, expected busy")
    else:
        run.busy += 1
    # With the normal timeout the write waits for the lock and is saved once it is released.
    workers[other].send(f"write {cell} {seen!r}")
    assert step(holder, "release") == "released"
    answer = workers[other].next_line(60)
    if answer != "ok":
        run.mismatches.append(f"write after the lock was released answered {answer}")
    else:
        truth[cell] = (truth[cell] or 0) + 1
        committed[cell] += 1
        run.committed += 1
        run.waited += 1


def _number(text: str) -> float | None:
    return None if text == "None" else float(text)


def _say(*parts: object) -> None:
    sys.stdout.write(" ".join(str(p) for p in parts) + "\n")
    sys.stdout.flush()


def _edits(path: str, seed: str) -> None:
    store = Store.open(path)
    store.actor = ("crash-test", f"worker-{seed}")
    data = store.load()
    indicators = [i.id for i in data.plan.indicators()]
    items = [i.id for i in data.plan.items()]
    rng = random.Random(int(seed))
    _say("ready")
    for seq in itertools.count(1):
        quarter = rng.randint(1, 4)
        if rng.random() < 0.7:
            indicator = rng.choice(indicators)
            value = int(seed) * 1_000_000 + seq  # unique, so its change_log row can be found
            _say("attempt", "actual", indicator, quarter, value)
            store.set_actual(indicator, quarter, value)
            _say("committed", "actual", indicator, quarter, value)
        else:
            item = rng.choice(items)
            status = rng.randrange(len(STATUSES))
            text = f"s{seed}-e{seq}"
            _say("attempt", "progress", item, quarter, status, text)
            store.set_progress(item, quarter, status=STATUSES[status], text=text)
            _say("committed", "progress", item, quarter, status, text)


def _import(path: str) -> None:
    store = Store.open(path)
    store.actor = ("crash-test", "importer")
    _say("ready")
    for seq in itertools.count(1):
        plan = read_plan_file(SEED_PLAN).plan
        _say("attempt", "import", seq)
        plan_id = store.import_plan(plan, replace=True, keep_ids=False)
        _say("committed", "import", plan_id)


def _create(folder: str) -> None:
    _say("ready")
    for seq in itertools.count():
        path = Path(folder) / f"plan-{seq:04d}.sqlite"
        plan = read_plan_file(SEED_PLAN).plan
        _say("attempt", "create", path.name)
        Store.create(path, plan).close()
        _say("committed", "create", path.name)


def _migrate(folder: str, count: str) -> None:
    _say("ready")
    for seq in range(int(count)):
        path = Path(folder) / f"old-{seq:04d}.sqlite"
        _say("attempt", "migrate", path.name)
        Database.open(path).close()
        _say("committed", "migrate", path.name)
    _say("done")


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
            _say("failed", what, type(exc).__name__, int(store.database.conn.in_transaction))
            return False
        _say("committed", what)
        return True

    attempt(
        "import",
        lambda: store.import_plan(read_plan_file(SEED_PLAN).plan, replace=True, keep_ids=False),
    )
    for seq in range(5000):
        indicator, quarter = indicators[seq % len(indicators)], 1 + seq // len(indicators) % 4
        edit = functools.partial(store.set_actual, indicator, quarter, seq + 1)
        if not attempt(f"actual {indicator} {quarter} {seq + 1}", edit):
            break
    _say("done")


MAX_ATTEMPTS = 10_000  # per increment; reaching it is reported as an error


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
    store: Store | None = None
    conn: sqlite3.Connection | None = None
    if mode == "ours":
        store = Store.open(path)
        store.actor = ("counter", f"proc-{seed}")
        if int(busy_ms) >= 0:
            store.database.conn.execute(f"PRAGMA busy_timeout = {int(busy_ms)}")
    elif mode == "naive":
        conn = sqlite3.connect(path)  # Python's defaults: deferred, lazily begun transactions
    else:
        raise ValueError(mode)
    committed: Counter[str] = Counter()
    tally = {"conflicts": 0, "busy": 0, "raw_lock": 0, "raw_other": 0}
    errors: list[str] = []
    _say("ready")
    sys.stdin.readline()  # "go": both processes start together
    started = time.time()
    for _ in range(int(edits)):
        own = private_ids and rng.random() < 0.5  # half the edits on cells of its own
        cell = rng.choice(private_ids) if own else rng.choice(shared_ids)
        row_id = pair_id(cell, 1)
        for _attempt in range(MAX_ATTEMPTS):
            try:
                if store is not None:
                    row = store.row("actual", row_id)
                    old = row["value"] if row is not None else None
                    time.sleep(rng.uniform(0, think))  # the clerk looks, then types
                    store.set_actual(cell, 1, (old or 0) + 1, expected_value=old)
                else:
                    assert conn is not None
                    (old,) = conn.execute(
                        "SELECT value FROM actual WHERE id = ?", (row_id,)
                    ).fetchone()
                    time.sleep(rng.uniform(0, think))
                    conn.execute("UPDATE actual SET value = ? WHERE id = ?", (old + 1, row_id))
                    conn.commit()
                committed[cell] += 1
                time.sleep(rng.uniform(0, think))  # and moves on to the next cell
                break
            except ConflictError:
                tally["conflicts"] += 1
            except BusyError:
                tally["busy"] += 1
            except sqlite3.OperationalError as exc:
                locked = "locked" in str(exc) or "busy" in str(exc)
                tally["raw_lock" if locked else "raw_other"] += 1
                if conn is not None:
                    with contextlib.suppress(sqlite3.Error):
                        conn.rollback()
        else:
            errors.append(f"gave up on {cell[:8]} after {MAX_ATTEMPTS} attempts")
    report = {
        "committed": dict(committed),
        **tally,
        "errors": errors,
        "started": started,
        "ended": time.time(),
    }
    _say("result", json.dumps(report))


def _turns(path: str, seed: str) -> None:
    """One clerk of :func:`run_turns`: does exactly the step it is told, answers one line."""
    store = Store.open(path)
    store.actor = ("counter", f"proc-{seed}")
    conn = store.database.conn
    _say("ready")
    for line in sys.stdin:
        command, *args = line.split()
        if command == "quit":
            break
        if command == "read":
            row = store.row("actual", pair_id(args[0], 1))
            _say("seen", row["value"] if row is not None else None)
        elif command in ("write", "write-impatient"):
            cell, seen = args[0], _number(args[1])
            conn.execute(f"PRAGMA busy_timeout = {1 if command == 'write-impatient' else 5000}")
            try:
                store.set_actual(cell, 1, (seen or 0) + 1, expected_value=seen)
                _say("ok")
            except ConflictError:
                _say("conflict")
            except BusyError:
                _say("busy")
            except sqlite3.Error as exc:  # must never happen: the test counts it as a failure
                _say("raw", type(exc).__name__)
        elif command == "hold":
            conn.execute("BEGIN IMMEDIATE")
            _say("holding")
        elif command == "release":
            conn.execute("ROLLBACK")
            _say("released")
    store.close()


CHILDREN: dict[str, Callable[..., None]] = {
    "edits": _edits,
    "import": _import,
    "create": _create,
    "migrate": _migrate,
    "counter": _counter,
    "turns": _turns,
    "disk-full": _disk_full,
}


if __name__ == "__main__":
    CHILDREN[sys.argv[1]](*sys.argv[2:])
