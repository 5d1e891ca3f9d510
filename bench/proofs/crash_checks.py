"""The crash proof's checks: what a killed worker left behind must open, pass
``integrity_check``, hold every change the worker was told was saved, and show no half
operation (the one under way is wholly there or wholly absent).

One ``verify_*`` per kind of worker (bench/proofs/crash_workers.py); each fills a
:class:`RoundResult`.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.proofs.common import (
    SEED_LOG_ROWS,
    SEED_ROWS,
    STATUSES,
    TABLES,
    counts,
    digest,
    integrity,
    is_hot_journal,
    journal_of,
    open_after_crash,
)
from jingan_desktop.storage.database import SCHEMA_VERSION, Database
from jingan_desktop.storage.store import pair_id

NAME = re.compile(r"^(plan|old)-\d{4}\.sqlite$")


# --- what a round found ---------------------------------------------------------------------


@dataclass
class RoundResult:
    kind: str
    seed: int
    phase: str = ""  # the kill point armed (bench/proofs/killpoints.py)
    op: int = 0  # … in the op-th operation
    transaction: int = 1  # … in its transaction-th transaction
    killed_at: str | None = None  # the kill point the worker reported reaching
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
        imports = import_count(conn)
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


def import_count(conn: sqlite3.Connection) -> int:
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
    elif not 0 < version < SCHEMA_VERSION:  # (each migration is a transaction of its own)
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


# --- Excel imports, merges, undo ------------------------------------------------------------


def _state_index(
    result: RoundResult, done: list[Op], pending: Op | None, found: set[int], what: str
) -> int | None:
    """The file must be in one state: after the last confirmed operation (``len(done)``) or,
    if the one under way committed, after it. ``found`` holds the operation numbers the
    file's cells point to; returns the one state, or None (a failure) if there is none."""
    if len(found) != 1:
        result.fail(f"{what}: cells from operations {sorted(found)}: a half operation")
        return None
    (state,) = found
    allowed = {len(done)} | ({len(done) + 1} if pending is not None else set())
    if state not in allowed:
        result.fail(f"{what}: the file is at operation {state}, expected one of {allowed}")
        return None
    if pending is not None:
        result.in_flight = f"{pending.kind} {' '.join(pending.words)}"[:60]
        result.in_flight_landed = state == len(done) + 1
    return state


def _transactions(conn: sqlite3.Connection, where: str, *params: object) -> int:
    return conn.execute(
        f"SELECT count(DISTINCT txn) FROM change_log WHERE {where}", params
    ).fetchone()[0]


def verify_excel(path: Path, lines: list[str], setup: dict[str, Any], result: RoundResult) -> None:
    """Workbook j sets figure k to j × 1000 + k and text k to "x{j}-k": every cell must
    come from the same workbook (0: none yet), with one logged transaction per import."""
    from bench.proofs.crash_workers import EXCEL_QUARTER

    done, pending = operations(lines)
    result.confirmed = len(done)
    store = open_after_crash(path, notes=result.refused_hot_journal)
    try:
        conn = store.database.conn
        result.check_opened(path, conn)
        found = set()
        for k, indicator in enumerate(setup["indicators"]):
            row = conn.execute(
                "SELECT value FROM actual WHERE id = ?", (pair_id(indicator, EXCEL_QUARTER),)
            ).fetchone()
            value = row[0] if row else None
            found.add(0 if value is None else (value - k) / 1000)
        for k, item in enumerate(setup["items"]):
            row = conn.execute(
                "SELECT text FROM progress WHERE id = ?", (pair_id(item, EXCEL_QUARTER),)
            ).fetchone()
            found.add(_excel_op(row[0] if row else None, k))
        state = _state_index(result, done, pending, found, "excel import")
        if state is not None:
            imports = _transactions(conn, "summary = '导入Excel'")
            if imports != state:
                result.fail(f"{imports} Excel imports logged, the file holds {state}")
    finally:
        store.close()
    if result.ok:
        result.verified = len(done)


def _excel_op(text: str | None, k: int) -> float:
    """Which workbook wrote progress text k ("x{op}-k"); 0 for none, -1 for neither."""
    if not text:
        return 0
    op, _, index = text[1:].partition("-")
    return int(op) if text.startswith("x") and index == str(k) else -1


def verify_merge(path: Path, lines: list[str], setup: dict[str, Any], result: RoundResult) -> None:
    """Copy j's figures (j × 100 + k) and text ("m{j}") are all in the master or none; the
    merged copies are exactly 1 … n, n the confirmed merges (+ 1 if the one under way
    landed), with n merge transactions logged."""
    done, pending = operations(lines)
    result.confirmed = len(done)
    store = open_after_crash(path, notes=result.refused_hot_journal)
    try:
        conn = store.database.conn
        result.check_opened(path, conn)
        merged = []
        for j, copy in enumerate(setup["copies"], 1):
            values = [
                _value(conn, "SELECT value FROM actual WHERE id = ?", pair_id(cell, 2))
                for cell in copy["indicators"]
            ]
            text = _value(conn, "SELECT text FROM progress WHERE id = ?", pair_id(copy["item"], 2))
            expected = [j * 100 + k for k in range(len(values))]
            if values == expected and text == f"m{j}":
                merged.append(j)
            elif any(v is not None for v in values) or text is not None:
                result.fail(f"copy {j} half merged: figures {values}, text {text!r}")
        if merged != list(range(1, len(merged) + 1)):
            result.fail(f"copies merged: {merged}, not 1 … n")
        state = _state_index(result, done, pending, {len(merged)}, "merge")
        logged = _transactions(conn, "source = 'merge'")
        if state is not None and logged != state:
            result.fail(f"{logged} merges logged, {state} in the file")
    finally:
        store.close()
    if result.ok:
        result.verified = len(done)


def _value(conn: sqlite3.Connection, sql: str, *params: object) -> Any:
    row = conn.execute(sql, params).fetchone()
    return row[0] if row else None


def verify_undo(path: Path, lines: list[str], setup: dict[str, Any], result: RoundResult) -> None:
    """Operations alternate remove / undo of one item: after an odd number the item, its
    indicators, their figures and its progress text are all gone; after an even number all
    back as they were; never some of them. One undo transaction logged per undo."""
    done, pending = operations(lines)
    result.confirmed = len(done)
    store = open_after_crash(path, notes=result.refused_hot_journal)
    try:
        conn = store.database.conn
        result.check_opened(path, conn)
        item, indicators = setup["item"], setup["indicators"]
        marks = ",".join("?" for _ in indicators)
        parts = {
            "item": _value(conn, "SELECT count(*) FROM item WHERE id = ?", item),
            "indicators": _value(
                conn, f"SELECT count(*) FROM indicator WHERE id IN ({marks})", *indicators
            ),
            "figures": _value(
                conn,
                f"SELECT count(*) FROM actual WHERE indicator_id IN ({marks}) AND quarter = 1",
                *indicators,
            ),
            "text": _value(
                conn,
                "SELECT count(*) FROM progress WHERE item_id = ? AND text = ?",
                item,
                "before removal",
            ),
        }
        whole = {"item": 1, "indicators": len(indicators), "figures": len(indicators), "text": 1}
        if parts == whole:
            found = {len(done) + (len(done) % 2)}  # present: after 0, 2, 4 … operations
        elif not any(parts.values()):
            found = {len(done) + 1 - (len(done) % 2)}  # gone: after 1, 3, … operations
        else:
            found = {-1}
            result.fail(f"item half there: {parts} of {whole}")
        state = _state_index(result, done, pending, found, "remove / undo")
        logged = _transactions(conn, "source = 'undo'")
        if state is not None and logged != state // 2:
            result.fail(f"{logged} undos logged after {state} operations")
    finally:
        store.close()
    if result.ok:
        result.verified = len(done)


# --- a commit caught half-written --------------------------------------------------------


def header_runs_past_end(path: Path) -> bool:
    """The header's page count (when valid) promises more bytes than the file has: a commit
    wrote page 1 but not yet the pages past the old end of the file."""
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
