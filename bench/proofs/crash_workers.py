"""The child side of the crash proof: workers that write, and kill themselves at a named
moment of one operation's transaction (bench/proofs/killpoints.py).

    python -m bench.proofs.crash_workers KIND ARGS…   (JINGAN_CRASH_KILL=PHASE:OP:TRANSACTION)

    edits PATH SEED            set_actual / set_progress on random cells
    import PATH                import_plan(replace=True) of the seed plan
    excel PATH FOLDER          import-excel --apply of workbooks with new figures and texts
    merge PATH FOLDER          merging copies, each with figures and a text of its own
    undo PATH                  removing an item with its indicators and figures, undoing that
    create FOLDER              Store.create(FOLDER/plan-NNNN.sqlite, …)
    migrate FOLDER             opening (= migrating) FOLDER/old-NNNN.sqlite

Each worker prints ``setup JSON`` (what the parent needs to check it) and ``ready``, then for
each operation ``attempt KIND WORDS…`` before and ``committed KIND WORDS…`` after it. Armed at
operation OP, it prints ``killed PHASE FILE`` and SIGKILLs itself inside that operation; if the
moment never came, it prints ``missed`` and stops.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from bench.proofs import killpoints
from bench.proofs.common import SEED_PLAN, STATUSES, run_child, say
from jingan_desktop.plan.model import Plan
from jingan_desktop.plan.parser import read_plan_file
from jingan_desktop.storage.database import Database
from jingan_desktop.storage.store import Store

KILL_ENV = "JINGAN_CRASH_KILL"
EXCEL_QUARTER = 2
EXCEL_INDICATORS = 20  # figures each workbook changes
EXCEL_ITEMS = 10  # progress texts each workbook changes
MERGE_COPIES = 4
MERGE_CELLS = 4  # figures each copy changes (and one progress text)

# One operation: its kind, the words of its ``attempt`` line, and the call doing it, which
# returns the words of its ``committed`` line.
Operation = tuple[str, list[object], Callable[[], list[object]]]


@dataclass(frozen=True)
class KillSpec:
    phase: str
    op: int  # 1-based: the operation to kill
    transaction: int  # 1-based: which of its transactions on the watched file

    @classmethod
    def from_env(cls) -> KillSpec:
        phase, op, transaction = os.environ[KILL_ENV].split(":")
        return cls(phase, int(op), int(transaction))

    def encode(self) -> str:
        return f"{self.phase}:{self.op}:{self.transaction}"


def same_file(path: str | Path) -> Callable[[str], bool]:
    target = os.path.realpath(path)
    return lambda p: os.path.realpath(p) == target


def drive(operations: Iterator[Operation], watch: Callable[[int], Callable[[str], bool]]) -> None:
    """Run operations, announcing each, until the armed one (``watch(op)`` names the file
    it writes)."""
    spec = KillSpec.from_env()
    say("ready")
    for index, (kind, words, call) in enumerate(operations, 1):
        if index == spec.op:
            killpoints.arm(watch(index), spec.phase, spec.transaction)
        say("attempt", kind, *words)
        done = call()
        say("committed", kind, *done)
        if index == spec.op:
            killpoints.disarm()
            say("missed")
            return
    say("done")


def _each_time(path: str) -> Callable[[int], Callable[[str], bool]]:
    watch = same_file(path)
    return lambda _op: watch


# --- the kinds --------------------------------------------------------------------------------


def _edits(path: str, seed: str) -> None:
    store = Store.open(path)
    store.actor = ("crash-test", f"worker-{seed}")
    data = store.load()
    indicators = [i.id for i in data.plan.indicators()]
    items = [i.id for i in data.plan.items()]
    rng = random.Random(int(seed))

    def operations() -> Iterator[Operation]:
        for seq in itertools.count(1):
            quarter = rng.randint(1, 4)
            if rng.random() < 0.7:
                indicator = rng.choice(indicators)
                value = int(seed) * 1_000_000 + seq  # unique: its change_log row can be found
                words: list[object] = [indicator, quarter, value]
                yield (
                    "actual",
                    words,
                    _answering(words, store.set_actual, indicator, quarter, value),
                )
            else:
                item = rng.choice(items)
                status = rng.randrange(len(STATUSES))
                text = f"s{seed}-e{seq}"
                words = [item, quarter, status, text]
                call = _answering(
                    words, store.set_progress, item, quarter, status=STATUSES[status], text=text
                )
                yield "progress", words, call

    drive(operations(), _each_time(path))


def _answering(
    words: list[object], function: Callable[..., object], *args: object, **kwargs: object
) -> Callable[[], list[object]]:
    """A call of ``function(*args, **kwargs)`` whose committed line repeats ``words``."""

    def run() -> list[object]:
        function(*args, **kwargs)
        return words

    return run


def _import(path: str) -> None:
    store = Store.open(path)
    store.actor = ("crash-test", "importer")

    def operations() -> Iterator[Operation]:
        for seq in itertools.count(1):
            plan = read_plan_file(SEED_PLAN).plan
            yield (
                "import",
                [seq],
                lambda plan=plan: [store.import_plan(plan, replace=True, keep_ids=False)],
            )

    drive(operations(), _each_time(path))


def _excel(path: str, folder: str) -> None:
    """Each operation imports a workbook (exported from this file) whose figures and texts
    all carry the operation's number: value = op × 1000 + k, text = "x{op}-{k}"."""
    from openpyxl import load_workbook

    from jingan_desktop.outputs.excel import apply_import, export_excel, preview_import
    from jingan_desktop.workspace import Workspace

    store = Store.open(path)
    store.actor = ("crash-test", "excel")
    plan = store.load().plan
    indicators = [i.id for i in plan.indicators()][:EXCEL_INDICATORS]
    items = [i.id for i in plan.items()][:EXCEL_ITEMS]
    say("setup", json.dumps({"indicators": indicators, "items": items}))

    def workbook(op: int) -> Path:
        """Exported after the last import (a workbook exported before it would conflict
        with what that import wrote), then filled in as a department would."""
        exported = Path(folder) / f"exported-{op}.xlsx"
        export_excel(Workspace(store, None, EXCEL_QUARTER), exported)
        book = load_workbook(exported)
        sheet = book.worksheets[0]
        for row in sheet.iter_rows(min_row=2):
            row_id = row[0].value
            if row_id in indicators:
                row[7].value = op * 1000 + indicators.index(row_id)  # 本期实际
            elif row_id in items:
                row[12].value = f"x{op}-{items.index(row_id)}"  # 进展情况
        target = Path(folder) / f"op-{op}.xlsx"
        book.save(target)
        return target

    def operations() -> Iterator[Operation]:
        for op in itertools.count(1):
            preview = preview_import(store, None, EXCEL_QUARTER, workbook(op))
            assert not preview.problems, preview.problems
            yield "excel", [op], lambda preview=preview: [apply_import(store, preview)]

    drive(operations(), _each_time(path))


def _merge(path: str, folder: str) -> None:
    """Copies of the file made before any merge, copy j with figures j × 100 + k (Q2) on its
    own indicators and the text "m{j}" on its own item; each operation merges the next."""
    from jingan_desktop.storage.merge import apply_merge, plan_merge

    master = Store.open(path)
    master.actor = ("crash-test", "merger")
    data = master.load()
    indicators = [i.id for i in data.plan.indicators()]
    items = [i.id for i in data.plan.items()]
    copies = []
    for j in range(1, MERGE_COPIES + 1):
        copy_path = Path(folder) / f"copy-{j}.sqlite"
        shutil.copyfile(path, copy_path)
        copy = Store.open(copy_path)
        copy.actor = ("crash-test", f"copy-{j}")
        cells = indicators[(j - 1) * MERGE_CELLS : j * MERGE_CELLS]
        for k, indicator in enumerate(cells):
            copy.set_actual(indicator, 2, j * 100 + k)
        copy.set_progress(items[j], 2, text=f"m{j}")
        copy.close()
        copies.append({"path": copy_path.name, "indicators": cells, "item": items[j]})
    say("setup", json.dumps({"copies": copies}))

    def merge(copy_path: Path) -> list[object]:
        preview = plan_merge(master, copy_path)
        return [apply_merge(master, preview, prefer="theirs")]

    def operations() -> Iterator[Operation]:
        for j, copy in enumerate(copies, 1):
            yield "merge", [j], lambda p=Path(folder) / copy["path"]: merge(p)

    drive(operations(), _each_time(path))


def _undo(path: str) -> None:
    """Operations alternate: remove the item with the most indicators (with their Q1
    figures and its progress text), undo that (store.revert), remove it again, …"""
    store = Store.open(path)
    store.actor = ("crash-test", "undo")
    item = max(store.load().plan.items(), key=lambda i: len(i.indicators))
    for k, indicator in enumerate(item.indicators):
        store.set_actual(indicator.id, 1, 10 + k)
    store.set_progress(item.id, 1, status=STATUSES[1], text="before removal")
    indicators = [i.id for i in item.indicators]
    say("setup", json.dumps({"item": item.id, "indicators": indicators}))
    removed: list = []

    def remove() -> list[object]:
        removed[:] = store.remove_row("item", item.id)
        return [len(removed)]

    def undo() -> list[object]:
        return [len(store.revert(removed))]

    def operations() -> Iterator[Operation]:
        for _ in itertools.count():
            yield "remove", [item.id], remove
            yield "undo", [item.id], undo

    drive(operations(), _each_time(path))


def _create(folder: str) -> None:
    def name(op: int) -> str:
        return f"plan-{op - 1:04d}.sqlite"

    def operations() -> Iterator[Operation]:
        for op in itertools.count(1):
            plan = read_plan_file(SEED_PLAN).plan
            path = Path(folder) / name(op)
            yield "create", [path.name], lambda p=path, plan=plan: _created(p, plan)

    def watch(op: int) -> Callable[[str], bool]:
        # The file is built under a temporary name beside the real one (Database.create).
        prefix = os.path.join(os.path.realpath(folder), f".{name(op)}.")
        return lambda p: os.path.realpath(p).startswith(prefix) and p.endswith(".tmp")

    drive(operations(), watch)


def _created(path: Path, plan: Plan) -> list[object]:
    Store.create(path, plan).close()
    return [path.name]


def _migrate(folder: str) -> None:
    def path(op: int) -> Path:
        return Path(folder) / f"old-{op - 1:04d}.sqlite"

    def operations() -> Iterator[Operation]:
        for op in itertools.count(1):
            file = path(op)
            if not file.exists():
                return
            yield "migrate", [file.name], lambda p=file: _migrated(p)

    drive(operations(), lambda op: same_file(path(op)))


def _migrated(path: Path) -> list[object]:
    Database.open(path).close()
    return [path.name]


CHILDREN: dict[str, Callable[..., None]] = {
    "edits": _edits,
    "import": _import,
    "excel": _excel,
    "merge": _merge,
    "undo": _undo,
    "create": _create,
    "migrate": _migrate,
}

if __name__ == "__main__":
    killpoints.install()  # before any file is opened, so every file SQLite opens is known
    run_child(CHILDREN)
