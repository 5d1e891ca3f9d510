"""The crash proof: writers SIGKILLed at random moments, and the checks of what they left.

Parent side: :func:`run_crash_rounds` (bench/crash_test.py, tests/test_durability.py) and
:func:`catch_mid_commit`. Child side (``python -m bench.proofs.crash KIND ARGS``):

    edits PATH SEED       set_actual / set_progress until killed
    import PATH           import_plan(replace=True) until killed
    create FOLDER         Store.create(FOLDER/plan-NNNN.sqlite, …)
    migrate FOLDER COUNT  open (= migrate) FOLDER/old-NNNN.sqlite

A worker prints ``attempt …`` before each operation and ``committed …`` only after the store
call returned, so after a SIGKILL the parent knows exactly what the worker had been told was
saved, and which one operation may have been under way.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import signal
import sqlite3
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.proofs.common import (
    SEED_LOG_ROWS,
    SEED_PLAN,
    SEED_ROWS,
    STATUSES,
    TABLES,
    Worker,
    counts,
    digest,
    integrity,
    is_hot_journal,
    journal_of,
    make_plan_file,
    make_version_zero_file,
    open_after_crash,
    run_child,
    say,
)
from jingan_desktop.plan.parser import read_plan_file
from jingan_desktop.storage.database import SCHEMA_VERSION, Database
from jingan_desktop.storage.store import Store, pair_id

MODULE = "bench.proofs.crash"
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
NAME = re.compile(r"^(plan|old)-\d{4}\.sqlite$")


# --- what a round found ---------------------------------------------------------------------


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
    refused_hot_journal: list[str] = field(default_factory=list)  # see open_after_crash
    debris: list[str] = field(default_factory=list)  # temporary files left by the killed worker

    @property
    def ok(self) -> bool:
        return not self.failures and not self.integrity_failures

    def fail(self, message: str) -> None:
        self.failures.append(message)

    def check_opened(self, path: Path, conn: sqlite3.Connection) -> None:
        """integrity_check ok and the journal played back (or harmless) after opening."""
        problems = integrity(conn)
        if problems:
            self.integrity_failures += 1
            self.fail(f"integrity: {problems[:3]}")
        if is_hot_journal(journal_of(path)):
            self.fail("the hot journal is still there after opening")
        elif journal_of(path).exists():
            # Killed before the journal was synced: its header is still zero, so it is not
            # hot (the file was not written yet) and the next transaction replaces it.
            self.debris.append(journal_of(path).name)


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


# --- edits ----------------------------------------------------------------------------------

Cell = tuple[str, str, int]  # table, row id, quarter
LogKey = tuple[str, str, tuple[Any, ...]]  # table, row id, value


class EditLedger:
    """What the parent knows must be in the edited file: the last committed value of every
    cell the workers touched, across all rounds on the same file."""

    def __init__(self) -> None:
        self.cells: dict[Cell, tuple[Any, ...]] = {}


def _cell(op: Op) -> tuple[Cell, tuple[Any, ...]]:
    """An edit line's cell and the value it writes: actual → (value,), progress →
    (status, text)."""
    if op.kind == "actual":
        indicator, quarter, value = op.words
        return ("actual", indicator, int(quarter)), (float(value),)
    item, quarter, status, text = op.words
    return ("progress", item, int(quarter)), (STATUSES[int(status)], text)


def _stored(conn: sqlite3.Connection, cell: Cell) -> tuple[Any, ...] | None:
    table, row, quarter = cell
    if table == "actual":
        found = conn.execute("SELECT value FROM actual WHERE id = ?", (pair_id(row, quarter),))
    else:
        found = conn.execute(
            "SELECT status, text FROM progress WHERE id = ?", (pair_id(row, quarter),)
        )
    result = found.fetchone()
    return tuple(result) if result is not None else None


def _logged_values(conn: sqlite3.Connection) -> set[LogKey]:
    """(table, row id, value) for every actual.value and progress.text the change log holds,
    as an insert or an update."""
    found: set[LogKey] = set()
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


def _log_key(cell: Cell, value: tuple[Any, ...]) -> LogKey:
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
        result.check_opened(path, conn)
        logged = _logged_values(conn)
        if pending is not None:
            _check_edit_in_flight(conn, pending, logged, ledger, result)
        last_of = _check_committed_edits(conn, done, logged, ledger, result)
        # Cells not touched this round kept their value.
        for cell, value in before.items():
            if cell not in last_of and (pending is None or _cell(pending)[0] != cell):
                if _stored(conn, cell) != value:
                    result.fail(f"untouched {cell} changed to {_stored(conn, cell)}")
    finally:
        store.close()


def _check_edit_in_flight(
    conn: sqlite3.Connection,
    pending: Op,
    logged: set[LogKey],
    ledger: EditLedger,
    result: RoundResult,
) -> None:
    """The operation under way may or may not have committed; either way whole."""
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


def _check_committed_edits(
    conn: sqlite3.Connection,
    done: list[Op],
    logged: set[LogKey],
    ledger: EditLedger,
    result: RoundResult,
) -> dict[Cell, int]:
    """Every committed edit has its change_log row; every cell holds its last value.
    Returns the index of each touched cell's last edit."""
    last_of: dict[Cell, int] = {}
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
    return last_of


# --- plan imports ---------------------------------------------------------------------------


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
        result.check_opened(path, conn)
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


# --- new files and migrations ---------------------------------------------------------------


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
    """Each file is wholly at schema 0 or wholly migrated, and opens afterwards."""
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
        version = _check_migrated_file(path, name in confirmed, result)
        if name == (pending.words[0] if pending else None):
            result.in_flight_landed = version == SCHEMA_VERSION
    result.debris = sorted(p.name for p in folder.iterdir() if not NAME.match(p.name))


def _check_migrated_file(path: Path, confirmed: bool, result: RoundResult) -> int:
    """One attempted file: wholly at schema 0 or wholly migrated; the app opens it now.
    Returns the schema version it was found at."""
    name = path.name
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
        if confirmed:
            result.fail(f"{name} was reported migrated but is at schema 0")
        if tables:
            result.fail(f"{name} is at schema 0 but holds {sorted(tables)[:5]}: half-migrated")
    elif version == SCHEMA_VERSION:
        if not set(TABLES) <= tables:
            result.fail(f"{name} at schema {version} lacks {set(TABLES) - tables}")
    else:
        result.fail(f"{name} at unexpected schema {version}")
    # Whatever state it was left in, the app can open (and finish migrating) it now.
    try:
        Database.open(path).close()
    except Exception as exc:
        result.fail(f"{name} cannot be opened after the crash: {exc!r}")
        return version
    if confirmed and not problems:
        result.verified += 1
    return version


# --- rounds ---------------------------------------------------------------------------------


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


def _start_worker(
    run: CrashRun, kind: str, seed: int, folder: Path, pristine: dict[str, str]
) -> Worker:
    if kind == "edits":
        return Worker(MODULE, "edits", run.edit_target(), seed)
    if kind == "import":
        return Worker(MODULE, "import", run.import_target())
    if kind == "create":
        folder.mkdir()
        return Worker(MODULE, "create", folder)
    if kind == "migrate":
        folder.mkdir()
        for number in range(MIGRATE_FILES):
            path = folder / f"old-{number:04d}.sqlite"
            make_version_zero_file(path)
            pristine[path.name] = digest(path)
        return Worker(MODULE, "migrate", folder, MIGRATE_FILES)
    raise ValueError(kind)


def crash_round(run: CrashRun, index: int, kind: str, seed: int) -> RoundResult:
    """Start a worker of ``kind``, let it work for a random moment, SIGKILL it, check."""
    rng = random.Random(seed)
    result = RoundResult(kind, seed, delay=rng.uniform(0, MAX_DELAY[kind]))
    folder = run.workdir / f"round-{index:04d}-{kind}"
    pristine: dict[str, str] = {}
    worker = _start_worker(run, kind, seed, folder, pristine)
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
        rows = [
            (
                "rounds",
                f"{len(self.rounds)}  (" + ", ".join(f"{k} {len(self.of(k))}" for k in KINDS) + ")",
            ),
            *self._edit_rows(),
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
            rows.append((f"  killed mid-{kind}: landed / not", _landed(rounds)))
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

    def _edit_rows(self) -> list[tuple[str, object]]:
        edits = self.of("edits")
        per_round = [r.confirmed for r in edits] or [0]
        return [
            ("edits confirmed", sum(r.confirmed for r in edits)),
            ("edits verified", sum(r.verified for r in edits)),
            (
                "edits per round (max / mean)",
                f"{max(per_round)} / {sum(per_round) / len(per_round):.1f}",
            ),
            ("edit under way at the kill: landed / not", _landed(edits)),
        ]


def _landed(rounds: list[RoundResult]) -> str:
    yes = sum(r.in_flight_landed is True for r in rounds)
    no = sum(r.in_flight_landed is False for r in rounds)
    return f"{yes} / {no}"


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


# --- catching a commit half-written (for the hot-journal test) ------------------------------


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
    worker = Worker(MODULE, "import", path)
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


# --- child side -----------------------------------------------------------------------------


def _edits(path: str, seed: str) -> None:
    store = Store.open(path)
    store.actor = ("crash-test", f"worker-{seed}")
    data = store.load()
    indicators = [i.id for i in data.plan.indicators()]
    items = [i.id for i in data.plan.items()]
    rng = random.Random(int(seed))
    say("ready")
    for seq in itertools.count(1):
        quarter = rng.randint(1, 4)
        if rng.random() < 0.7:
            indicator = rng.choice(indicators)
            value = int(seed) * 1_000_000 + seq  # unique, so its change_log row can be found
            say("attempt", "actual", indicator, quarter, value)
            store.set_actual(indicator, quarter, value)
            say("committed", "actual", indicator, quarter, value)
        else:
            item = rng.choice(items)
            status = rng.randrange(len(STATUSES))
            text = f"s{seed}-e{seq}"
            say("attempt", "progress", item, quarter, status, text)
            store.set_progress(item, quarter, status=STATUSES[status], text=text)
            say("committed", "progress", item, quarter, status, text)


def _import(path: str) -> None:
    store = Store.open(path)
    store.actor = ("crash-test", "importer")
    say("ready")
    for seq in itertools.count(1):
        plan = read_plan_file(SEED_PLAN).plan
        say("attempt", "import", seq)
        plan_id = store.import_plan(plan, replace=True, keep_ids=False)
        say("committed", "import", plan_id)


def _create(folder: str) -> None:
    say("ready")
    for seq in itertools.count():
        path = Path(folder) / f"plan-{seq:04d}.sqlite"
        plan = read_plan_file(SEED_PLAN).plan
        say("attempt", "create", path.name)
        Store.create(path, plan).close()
        say("committed", "create", path.name)


def _migrate(folder: str, count: str) -> None:
    say("ready")
    for seq in range(int(count)):
        path = Path(folder) / f"old-{seq:04d}.sqlite"
        say("attempt", "migrate", path.name)
        Database.open(path).close()
        say("committed", "migrate", path.name)
    say("done")


CHILDREN: dict[str, Callable[..., None]] = {
    "edits": _edits,
    "import": _import,
    "create": _create,
    "migrate": _migrate,
}

if __name__ == "__main__":
    run_child(CHILDREN)
