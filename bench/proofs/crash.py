"""The crash proof: every kind of write killed at every moment of its commit.

Each round starts one worker (bench/proofs/crash_workers.py) armed to SIGKILL itself at one
kill point (bench/proofs/killpoints.py) of one operation, waits for it to die, and checks
what it left (bench/proofs/crash_checks.py). Round i kills kind ``KINDS[i % 7]`` at phase
``PHASES[i // 7 % 5]``, so 35 rounds kill every kind at every phase; which operation (and,
for kinds that commit several transactions, which transaction) is drawn from the seed.

Parent side: :func:`run_crash_rounds` (bench/crash_test.py, tests/test_durability.py) and
:func:`kill_once`.
"""

from __future__ import annotations

import json
import random
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.proofs import crash_checks as checks
from bench.proofs.common import Worker, digest, make_plan_file, make_version_zero_file
from bench.proofs.crash_checks import EditLedger, RoundResult, operations
from bench.proofs.crash_workers import KILL_ENV, MERGE_COPIES, KillSpec
from bench.proofs.killpoints import PHASES

MODULE = "bench.proofs.crash_workers"
KINDS = ("edits", "import", "excel", "merge", "undo", "create", "migrate")
# Which operation of a worker is killed: drawn from these (undo: only the undo operations).
KILLED_OP = {
    "edits": range(1, 21),
    "import": range(1, 4),
    "excel": range(1, 3),
    "merge": range(1, MERGE_COPIES + 1),
    "undo": (2, 4),
    "create": range(1, 4),
    "migrate": range(1, 5),
}


def transactions(kind: str) -> int:
    """How many transactions one operation commits on the file it builds or changes."""
    if kind == "create":
        return 3  # the migrations (all pending ones in one transaction), the file's meta, the plan
    return 1  # a migration runs every pending step in one transaction


def lands(kind: str, spec: KillSpec) -> bool:
    """Whether the operation killed at ``spec`` must be found done: only once its last
    transaction's journal was deleted; a new file only once renamed into place."""
    return (
        spec.phase == "after-commit"
        and spec.transaction == transactions(kind)
        and (kind != "create")
    )


@dataclass
class CrashRun:
    """The state carried from round to round: edits and plan imports go on in one file
    each for the whole run (each round recovers the last one's crash); the other kinds
    work on a fresh copy (or folder) per round."""

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
            self.import_state = {"plan_id": plan_id, "imports": checks.import_count(conn)}
            self.import_state["seen"] = {plan_id}
            conn.close()
        return self.import_file


@dataclass
class _Round:
    """One round's files: the worker's arguments, and what to check afterwards with."""

    kind: str
    folder: Path
    args: list[object]
    target: Path | None = None  # the file the worker writes (None: a folder of files)
    pristine: dict[str, str] = field(default_factory=dict)  # migrate: name → digest


def _prepare(run: CrashRun, kind: str, spec: KillSpec, seed: int, folder: Path) -> _Round:
    if kind == "edits":
        return _Round(kind, folder, [run.edit_target(), seed], run.edit_target())
    if kind == "import":
        return _Round(kind, folder, [run.import_target()], run.import_target())
    folder.mkdir()
    if kind in ("excel", "merge", "undo"):
        target = make_plan_file(folder / "plan.sqlite", run.template)
        return _Round(kind, folder, [target, folder] if kind != "undo" else [target], target)
    if kind == "create":
        return _Round(kind, folder, [folder])
    prepared = _Round(kind, folder, [folder])
    for number in range(spec.op + 1):  # the killed one is the last but one
        path = folder / f"old-{number:04d}.sqlite"
        make_version_zero_file(path)
        prepared.pristine[path.name] = digest(path)
    return prepared


def _verify(run: CrashRun, prepared: _Round, lines: list[str], result: RoundResult) -> None:
    setups = [json.loads(line[6:]) for line in lines if line.startswith("setup ")]
    setup = setups[0] if setups else {}
    kind, target = prepared.kind, prepared.target
    if kind == "edits":
        checks.verify_edits(run.edit_target(), lines, run.ledger, result)
    elif kind == "import":
        checks.verify_import(run.import_target(), lines, run.import_state, result)
    elif kind == "excel" and target is not None:
        checks.verify_excel(target, lines, setup, result)
    elif kind == "merge" and target is not None:
        checks.verify_merge(target, lines, setup, result)
    elif kind == "undo" and target is not None:
        checks.verify_undo(target, lines, setup, result)
    elif kind == "create":
        checks.verify_create(prepared.folder, lines, result)
    else:
        checks.verify_migrate(prepared.folder, lines, prepared.pristine, result)


def start_killed_worker(kind: str, spec: KillSpec, *args: object) -> Worker:
    return Worker(MODULE, kind, *args, env={KILL_ENV: spec.encode()})


def crash_round(run: CrashRun, index: int, kind: str, phase: str, seed: int) -> RoundResult:
    """Start a worker of ``kind`` armed to die at ``phase``, let it, check what it left."""
    rng = random.Random(seed)
    spec = KillSpec(phase, rng.choice(KILLED_OP[kind]), rng.randint(1, transactions(kind)))
    result = RoundResult(kind, seed, phase, spec.op, spec.transaction)
    prepared = _prepare(run, kind, spec, seed, run.workdir / f"round-{index:04d}-{kind}")
    worker = start_killed_worker(kind, spec, *prepared.args)
    try:
        code = worker.finish(300)
    finally:
        if worker.proc.poll() is None:
            worker.kill()
    _check_the_kill(worker, code, result)
    try:
        _verify(run, prepared, worker.lines, result)
    except Exception as exc:  # a refusal to open, a raw sqlite3 error …: a failed round
        result.fail(f"checking after the kill raised {exc!r}")
    if result.in_flight_landed is not None and result.in_flight_landed != lands(kind, spec):
        result.fail(
            f"killed at {phase} (transaction {spec.transaction}), the operation"
            f" {'landed' if result.in_flight_landed else 'was rolled back'}"
        )
    return result


def _check_the_kill(worker: Worker, code: int, result: RoundResult) -> None:
    killed = [line.split()[1] for line in worker.lines if line.startswith("killed ")]
    result.killed_at = killed[0] if killed else None
    if result.killed_at != result.phase:
        result.fail(f"the worker was not killed at {result.phase} ({worker.lines[-1:]})")
    elif code != -9:
        result.fail(f"the worker exited {code}, not by SIGKILL")
    stderr = worker.stderr.strip()
    if stderr:
        result.fail(f"the worker failed on its own:\n{stderr[-2000:]}")
    _, pending = operations(worker.lines)
    if result.killed_at is not None and pending is None:
        result.fail("killed outside an operation")


def kill_once(path: Path, kind: str, phase: str, op: int = 1, transaction: int = 1) -> Worker:
    """Run one worker of ``kind`` on ``path`` until it kills itself at ``phase`` of
    operation ``op``; returns it (finished)."""
    worker = start_killed_worker(kind, KillSpec(phase, op, transaction), path)
    worker.finish(300)
    return worker


# --- the summary ------------------------------------------------------------------------


@dataclass
class CrashSummary:
    rounds: list[RoundResult]

    def of(self, kind: str, phase: str | None = None) -> list[RoundResult]:
        return [r for r in self.rounds if r.kind == kind and phase in (None, r.phase)]

    @property
    def failures(self) -> list[str]:
        return [
            f"round {i} ({r.kind} at {r.phase}): {f}"
            for i, r in enumerate(self.rounds)
            for f in r.failures
        ]

    @property
    def refused_hot_journal(self) -> list[str]:
        return [f"round {i}: {n}" for i, r in enumerate(self.rounds) for n in r.refused_hot_journal]

    def table(self) -> list[str]:
        """One line per kind and kill point: rounds, operations confirmed before the kill
        and found intact, the killed operation found committed or rolled back, failures."""
        head = f"{'kind':8} {'killed at':20} {'rounds':>6} {'confirmed':>9} {'verified':>8}"
        head += f" {'committed':>9} {'rolled back':>11} {'failed':>6}"
        lines = [head]
        for kind in KINDS:
            for phase in PHASES:
                rounds = self.of(kind, phase)
                if not rounds:
                    continue
                lines.append(
                    f"{kind:8} {phase:20} {len(rounds):6d}"
                    f" {sum(r.confirmed for r in rounds):9d} {sum(r.verified for r in rounds):8d}"
                    f" {sum(r.in_flight_landed is True for r in rounds):9d}"
                    f" {sum(r.in_flight_landed is False for r in rounds):11d}"
                    f" {sum(not r.ok for r in rounds):6d}"
                )
        return lines

    def lines(self) -> list[str]:
        rows = [
            ("rounds", len(self.rounds)),
            ("operations confirmed / verified", self._confirmed_verified()),
            (
                "files left behind (harmless)",
                f"{sum(len(r.debris) for r in self.rounds)}  ("
                + ", ".join(f"{k} {sum(len(r.debris) for r in self.of(k))}" for k in KINDS)
                + ")",
            ),
            ("integrity failures", sum(r.integrity_failures for r in self.rounds)),
            ("refused after the crash (hot journal)", len(self.refused_hot_journal)),
            ("other failures", len(self.failures)),
        ]
        return self.table() + [""] + [f"{label + ':':40} {value}" for label, value in rows]

    def _confirmed_verified(self) -> str:
        confirmed = sum(r.confirmed for r in self.rounds)
        return f"{confirmed} / {sum(r.verified for r in self.rounds)}"


def run_crash_rounds(
    workdir: Path,
    rounds: int,
    seed: int = 0,
    progress: Callable[[int, RoundResult], None] | None = None,
) -> CrashSummary:
    run = CrashRun(workdir)
    results = []
    for index in range(rounds):
        kind = KINDS[index % len(KINDS)]
        phase = PHASES[index // len(KINDS) % len(PHASES)]
        result = crash_round(run, index, kind, phase, seed * 100_000 + index + 1)
        results.append(result)
        if progress is not None:
            progress(index, result)
    return CrashSummary(results)
