"""Proof for the shared file: writers killed mid-edit, two clerks at once, every write inside
our transaction wrapper, and the file going away (or filling up) while it is open.

The worker processes and their checks live in bench/proofs/ (common.py: the worker process and
file helpers; crash.py, crash_workers.py, crash_checks.py, killpoints.py: the crash proof;
counters.py: two clerks; faults.py: a full disk); bench/crash_test.py and
bench/concurrency_test.py run the same code at full size (200 kills, 1,000 edits).
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from bench.proofs import killpoints
from bench.proofs.common import (
    SEED_LOG_ROWS,
    SEED_ROWS,
    counts,
    damage_an_index,
    digest,
    integrity,
    is_hot_journal,
    journal_of,
)
from bench.proofs.counters import run_counters, run_turns
from bench.proofs.crash import KINDS, kill_once, lands, run_crash_rounds, transactions
from bench.proofs.crash_checks import header_runs_past_end
from bench.proofs.crash_workers import KillSpec
from bench.proofs.faults import start_disk_full
from jingan_desktop import cli
from jingan_desktop.plan.model import ItemStatus
from jingan_desktop.plan.parser import read_plan_file
from jingan_desktop.storage import database
from jingan_desktop.storage.backup import restore_damaged
from jingan_desktop.storage.database import (
    CorruptError,
    FileMissingError,
    ReadOnlyError,
    StoreError,
)
from jingan_desktop.storage.merge import apply_merge, plan_merge
from jingan_desktop.storage.store import (
    ConflictError,
    QuarterLockedError,
    Store,
    pair_id,
)

POSIX = sys.platform != "win32"
# Windows does not let anyone delete, rename or overwrite a file SQLite holds open.
posix_only = pytest.mark.skipif(not POSIX, reason="Windows refuses to remove an open file")


def permissions_enforced(folder: Path) -> bool:
    """False for root (or anyone with CAP_DAC_OVERRIDE), who may write a read-only folder."""
    probe = folder / "probe"
    probe.mkdir()
    probe.chmod(0o555)
    try:
        (probe / "x").touch()
    except PermissionError:
        return True
    else:
        return False
    finally:
        probe.chmod(0o755)
        shutil.rmtree(probe)


@pytest.fixture
def store(plan_file: Path):
    store = Store.open(plan_file)
    store.actor = ("张三", "PC-1")
    yield store
    store.close()


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def file_facts(path: Path) -> tuple[list[str], dict[str, int]]:
    conn = sqlite3.connect(path)
    try:
        return integrity(conn), counts(conn, (*SEED_ROWS, "actual", "progress", "change_log"))
    finally:
        conn.close()


# --- 1. crash safety ---------------------------------------------------------------------------


kill_points = pytest.mark.skipif(
    killpoints.available() is not None, reason=f"kill points: {killpoints.available()}"
)


@kill_points
def test_every_kind_of_write_killed_at_every_kill_point_loses_nothing_it_reported(
    tmp_path: Path,
) -> None:
    """35 SIGKILLs: edits, plan imports, Excel imports, merges, undo, new files and
    migrations, each killed at each of the five kill points of its commit (the worker kills
    itself there, so no timing is involved). After each: the file opens, integrity_check ok,
    foreign_key_check empty, every operation reported committed is there, the one under way
    wholly there or wholly absent: rolled back when killed before its journal was deleted,
    committed after."""
    rounds = len(KINDS) * len(killpoints.PHASES)
    summary = run_crash_rounds(tmp_path, rounds, seed=0)
    assert summary.failures == []
    assert {(r.kind, r.phase, r.killed_at) for r in summary.rounds} == {
        (kind, phase, phase) for kind in KINDS for phase in killpoints.PHASES
    }
    assert sum(r.confirmed for r in summary.rounds) == sum(r.verified for r in summary.rounds)
    assert sum(r.confirmed for r in summary.rounds) > len(KINDS)  # operations before the kill
    for r in summary.rounds:  # the killed operation was judged, and as its kill point says
        assert r.in_flight_landed is lands(r.kind, KillSpec(r.phase, r.op, r.transaction)), r
    # Killed after its journal was deleted, a one-transaction operation is found committed.
    single = {kind for kind in KINDS if transactions(kind) == 1}
    assert single <= {r.kind for r in summary.rounds if r.in_flight_landed}
    assert sum(r.integrity_failures for r in summary.rounds) == 0
    # A file killed mid-commit must reopen (SQLite rolls its journal back), never be refused.
    assert summary.refused_hot_journal == []


@kill_points
def test_open_rolls_back_a_hot_journal_left_mid_commit(plan_file: Path) -> None:
    """Killed when a commit (an import, which grows the file) has written page 1 only: the
    header already promises pages the file does not have yet, the journal is hot."""
    before = Store.open(plan_file)
    plan_id = before.plans()[0]["id"]
    before.close()
    worker = kill_once(plan_file, "import", "file-half-written")
    assert worker.lines[-1] == "killed file-half-written plan.sqlite"
    assert header_runs_past_end(plan_file)
    assert is_hot_journal(journal_of(plan_file))
    store = Store.open(plan_file)
    try:
        assert store.database.integrity_problems() == []
        assert {t: store.check().counts[t] for t in SEED_ROWS} == SEED_ROWS
        assert store.plans()[0]["id"] == plan_id  # the import was rolled back: wholly before
        assert not journal_of(plan_file).exists()
    finally:
        store.close()


def crash_mid_transaction(source: Path, target: Path, seed_path: Path) -> None:
    """Copy ``source`` and its journal to ``target`` in the middle of a big transaction (an
    import that spills pages to the file): exactly what a crash at that moment leaves."""
    store = Store.open(source)
    store.database.conn.execute("PRAGMA cache_size = 10")  # spill pages before the commit

    class Stop(Exception):
        pass

    with pytest.raises(Stop), store.write("导入2022年计划", "import"):
        store.import_plan(read_plan_file(seed_path).plan, replace=True, keep_ids=False)
        assert journal_of(source).exists()
        target.mkdir()
        for path in (source, journal_of(source)):
            shutil.copyfile(path, target / path.name)
        raise Stop
    store.close()


def test_a_crash_mid_transaction_is_rolled_back_on_open(
    plan_file: Path, tmp_path: Path, seed_path: Path
) -> None:
    before = Store.open(plan_file)
    plan_id = before.plans()[0]["id"]
    before.close()
    crash_mid_transaction(plan_file, tmp_path / "crashed", seed_path)
    crashed = tmp_path / "crashed" / plan_file.name
    assert journal_of(crashed).exists()
    assert file_facts(plan_file)[0] == []
    store = Store.open(crashed)
    try:
        assert store.database.integrity_problems() == []
        assert store.plans()[0]["id"] == plan_id  # wholly before the import
        assert store.check().counts["change_log"] == SEED_LOG_ROWS
    finally:
        store.close()
    assert listing(crashed.parent) == [plan_file.name]  # the journal was played back


def test_restoring_a_backup_over_a_crashed_file_keeps_the_backup_intact(
    plan_file: Path, tmp_path: Path, seed_path: Path
) -> None:
    crash_mid_transaction(plan_file, tmp_path / "crashed", seed_path)
    crashed = tmp_path / "crashed" / plan_file.name
    backup = tmp_path / "backup.sqlite"
    source = Store.create(backup, read_plan_file(seed_path).plan)
    source.set_actual(source.load().plan.indicators()[0].id, 1, 77)
    source.close()
    aside = restore_damaged(crashed, backup)
    assert file_facts(crashed) == file_facts(backup)  # corrupt today: rows missing from indexes
    # The file set aside keeps its journal, so it can still be recovered.
    assert file_facts(aside)[0] == []


def test_a_new_file_is_not_spoilt_by_an_old_journal_left_beside_it(
    plan_file: Path, tmp_path: Path, seed_path: Path
) -> None:
    crash_mid_transaction(plan_file, tmp_path / "crashed", seed_path)
    crashed = tmp_path / "crashed" / plan_file.name
    crashed.unlink()  # the file is deleted, its hot journal stays behind
    Store.create(crashed, read_plan_file(seed_path).plan).close()
    problems, found = file_facts(crashed)
    assert problems == []  # corrupt today: rows missing from indexes
    assert found["change_log"] == SEED_LOG_ROWS


# --- 2. two clerks at once ---------------------------------------------------------------------


def test_two_processes_taking_turns_lose_no_update(plan_file: Path) -> None:
    """Two processes, 200 rounds of read-increment-write in interleavings the test picks
    (seeded), one step at a time: every stale write is refused and retried, every other
    write is taken, a write against a held lock is a worded BusyError (1 ms timeout) or
    waits and saves (normal timeout). Nothing depends on how the OS schedules them."""
    run = run_turns(plan_file, 200, seed=7, holds=3)
    assert run.mismatches == []
    assert run.lost == 0
    assert run.log_problems == []  # one change_log row per increment, values 1, 2, … final
    assert run.conflicts > 20  # the seeded interleavings do hold stale reads …
    assert run.committed == 2 * (200 - 3) + 3  # … and each round's two increments, once
    assert (run.busy, run.waited) == (3, 3)


@pytest.mark.parametrize("busy_ms", [None, 1], ids=["busy_timeout-5s", "busy_timeout-1ms"])
def test_two_processes_running_free_lose_no_update(plan_file: Path, busy_ms: int | None) -> None:
    """2 × 100 read-increment-write edits running free, half on a cell both processes hit,
    half on a cell of each one's own. How often they interleave is up to the scheduler, so
    only what must hold in any interleaving is asserted."""
    run = run_counters(
        plan_file, "ours", 200, procs=2, busy_ms=busy_ms, think_ms=1, shared=1, private=1
    )
    assert run.errors == []
    assert (run.edits, run.committed) == (200, 200)
    assert run.lost == 0
    assert run.raw_lock == run.raw_other == 0  # no raw "database is locked" ever escaped
    assert run.log_problems == []  # one change_log row per increment, values 1, 2, … final


def test_the_interleaving_that_loses_an_update_is_refused(plan_file: Path) -> None:
    """The lost update step by step: both read 0, both write 1. Plain sqlite3 (as the naive
    run of bench/concurrency_test.py does it) keeps one increment; the store refuses the
    second write, which is then retried on the fresh value."""
    clerk_a, clerk_b = Store.open(plan_file), Store.open(plan_file)
    try:
        indicator = clerk_a.load().plan.indicators()[0].id
        row_id = pair_id(indicator, 1)
        clerk_a.set_actual(indicator, 1, 0)

        naive_a, naive_b = sqlite3.connect(plan_file), sqlite3.connect(plan_file)
        seen_a = naive_a.execute("SELECT value FROM actual WHERE id = ?", (row_id,)).fetchone()[0]
        seen_b = naive_b.execute("SELECT value FROM actual WHERE id = ?", (row_id,)).fetchone()[0]
        for conn, seen in ((naive_a, seen_a), (naive_b, seen_b)):
            conn.execute("UPDATE actual SET value = ? WHERE id = ?", (seen + 1, row_id))
            conn.commit()
            conn.close()
        assert clerk_a.row("actual", row_id)["value"] == 1  # two increments, one kept

        seen_a = clerk_a.row("actual", row_id)["value"]
        seen_b = clerk_b.row("actual", row_id)["value"]
        clerk_a.set_actual(indicator, 1, seen_a + 1, expected_value=seen_a)
        with pytest.raises(ConflictError):
            clerk_b.set_actual(indicator, 1, seen_b + 1, expected_value=seen_b)
        seen_b = clerk_b.row("actual", row_id)["value"]
        clerk_b.set_actual(indicator, 1, seen_b + 1, expected_value=seen_b)
        assert clerk_a.row("actual", row_id)["value"] == 3
    finally:
        clerk_a.close()
        clerk_b.close()


# --- 3. every SQL write inside BEGIN IMMEDIATE … COMMIT ----------------------------------------

_COMMENTS = re.compile(r"^\s*(--[^\n]*\n\s*|/\*.*?\*/\s*)*", re.S)
_WRITE = re.compile(r"(INSERT|UPDATE|DELETE|REPLACE|CREATE|DROP|ALTER)\b|PRAGMA\s+\w+\s*=")


def transaction_problems(statements: list[str]) -> tuple[list[str], int]:
    """Writes not inside ``BEGIN IMMEDIATE`` … ``COMMIT``/``ROLLBACK``, and the number of
    write transactions, from a statement trace. A write inside a deferred ``BEGIN`` or a
    ``SAVEPOINT`` opened outside a transaction (sqlite-utils' queries open those) counts as
    outside: those take the write lock late and can fail with "database is locked"."""
    problems: list[str] = []
    stack: list[tuple[str, str]] = []  # ("immediate" | "deferred" | "savepoint", name)
    transactions = 0
    for sql in statements:
        head = _COMMENTS.sub("", sql, count=1)[:80].upper()
        words = head.replace('"', " ").split()
        if not words:
            continue
        if words[0] == "BEGIN":
            if stack:
                problems.append(f"BEGIN inside a transaction: {sql[:80]}")
            immediate = len(words) > 1 and words[1] in ("IMMEDIATE", "EXCLUSIVE")
            stack = [("immediate" if immediate else "deferred", "")]
            transactions += immediate
        elif words[0] in ("COMMIT", "END") or (words[0] == "ROLLBACK" and "TO" not in words):
            stack = []
        elif words[0] == "SAVEPOINT":
            stack.append(("savepoint" if stack else "deferred", words[1]))
        elif words[0] == "RELEASE":
            name = words[-1]
            while stack:
                if stack.pop()[1] == name:
                    break
        elif _WRITE.match(head):
            if not stack or stack[0][0] != "immediate":
                problems.append(f"write outside BEGIN IMMEDIATE: {sql[:100]}")
    if stack:
        problems.append("transaction left open at the end of the action")
    return problems, transactions


def test_transaction_checker_spots_writes_outside() -> None:
    ok = ["BEGIN IMMEDIATE", 'SAVEPOINT "q"', "SELECT 1", 'RELEASE "q"', "UPDATE t", "COMMIT"]
    assert transaction_problems(ok) == ([], 1)
    assert transaction_problems(["BEGIN IMMEDIATE", "DELETE FROM t", "ROLLBACK"]) == ([], 1)
    for bad in (
        ["INSERT INTO t VALUES (1)"],
        ["BEGIN", "UPDATE t SET x = 1", "COMMIT"],
        ['SAVEPOINT "q"', "DELETE FROM t", 'RELEASE "q"'],
        ["BEGIN IMMEDIATE", "COMMIT", "  -- note\nUPDATE t SET x = 1"],
        ["PRAGMA user_version = 3"],
    ):
        assert transaction_problems(bad)[0], bad
    assert transaction_problems(["BEGIN IMMEDIATE", "UPDATE t"])[0] == [
        "transaction left open at the end of the action"
    ]


def test_every_write_of_every_user_action_is_inside_begin_immediate(
    store: Store, plan_file: Path, tmp_path: Path, seed_path: Path
) -> None:
    """Every statement the store's connection runs is traced (set_trace_callback); each user
    action's INSERT/UPDATE/DELETE must sit between one BEGIN IMMEDIATE and its COMMIT (or
    ROLLBACK, for the refused ones), and no transaction may stay open afterwards."""
    conn = store.database.conn
    traced: list[str] = []
    conn.set_trace_callback(traced.append)
    report: list[str] = []
    wrote: list[str] = []
    meant_to_write: list[str] = []

    def act(label: str, action: Callable[[], object], raises: type[Exception] | None = None):
        traced.clear()
        result = None
        if raises is None and not label.startswith("load"):
            meant_to_write.append(label)
        if raises is None:
            result = action()
        else:
            with pytest.raises(raises):
                action()
        problems, transactions = transaction_problems(list(traced))
        writes = sum(bool(_WRITE.match(_COMMENTS.sub("", s, count=1).upper())) for s in traced)
        if transactions > 1:
            problems.append(f"{transactions} transactions for one action")
        if writes and raises is None:
            wrote.append(label)
        if conn.in_transaction:
            problems.append("transaction left open")
        report.extend(f"{label}: {p}" for p in problems)
        return result

    data = store.load()
    plan_id = data.plan.id
    chapter = data.plan.chapters[1]
    item = next(i for i in data.plan.items() if len(i.indicators) >= 2)
    indicator = item.indicators[0].id

    act("set_actual", lambda: store.set_actual(indicator, 1, 10))
    act("set_actual expected", lambda: store.set_actual(indicator, 1, 11, expected_value=10))
    act("set_actual note", lambda: store.set_actual(indicator, 1, note="口径调整"))
    act(
        "set_actual conflict",
        lambda: store.set_actual(indicator, 1, 1, expected_value=5),
        ConflictError,
    )
    act(
        "set_progress",
        lambda: store.set_progress(item.id, 1, status=ItemStatus.IN_PROGRESS, text="推进中"),
    )
    act("update_field indicator", lambda: store.update_field("indicator", indicator, "value", 123))
    act("update_field item", lambda: store.update_field("item", item.id, "due_date", "2022-12-31"))
    act("update_field plan", lambda: store.update_field("plan", plan_id, "title", "新标题"))
    act(
        "set_item_departments",
        lambda: store.set_item_departments(item.id, lead="区财政局", co=["区商务委", "区科委"]),
    )
    department = act("add_department", lambda: store.add_department("区民政局"))
    act("rename_department", lambda: store.rename_department(department, "区民政局（新）"))
    act("remove_department", lambda: store.remove_department(department))
    act("lock quarter", lambda: store.set_quarter_locked(plan_id, 1, True, {"score": 0.9}))
    act("set_actual locked", lambda: store.set_actual(indicator, 1, 12), QuarterLockedError)
    act("unlock quarter", lambda: store.set_quarter_locked(plan_id, 1, False))
    new_item, added = act("add_item", lambda: store.add_item(chapter.id, chapter.items[0].id))
    act("revert add_item", lambda: store.revert(added))
    act("replay add_item", lambda: store.replay(added))
    new_indicator, _ = act("add_indicator", lambda: store.add_indicator(new_item))
    act("move_row item", lambda: store.move_row("item", new_item, -1))
    act("move_row indicator", lambda: store.move_row("indicator", item.indicators[1].id, -1))
    removed = act("remove_row indicator", lambda: store.remove_row("indicator", new_indicator))
    act("revert remove_row", lambda: store.revert(removed))
    act("remove_row item", lambda: store.remove_row("item", new_item))
    act("load / history / check", lambda: (store.load(), store.history(), store.check()))
    act(
        "import_plan replace",
        lambda: store.import_plan(read_plan_file(seed_path).plan, replace=True),
    )
    copy_path = tmp_path / "copy.sqlite"
    shutil.copyfile(plan_file, copy_path)
    copy = Store.open(copy_path)
    copy.set_actual(copy.load().plan.indicators()[3].id, 2, 42)
    copy.close()
    act("merge a copy", lambda: apply_merge(store, plan_merge(store, copy_path), prefer="theirs"))

    assert report == []
    assert wrote == meant_to_write  # the trace saw every action's writes
    assert len(wrote) == 24


# --- 4. the file going away (or filling up) while it is open -----------------------------------


def _unlink(path: Path) -> None:
    path.unlink()


def _rename(path: Path) -> None:
    path.rename(path.with_name("moved.sqlite"))


def _replace(path: Path) -> None:
    """Another file under the same name (a colleague copied theirs over: new inode)."""
    fresh = path.with_name("fresh.sqlite")
    shutil.copyfile(path, fresh)
    os.replace(fresh, path)


def _remove_folder(path: Path) -> None:
    shutil.rmtree(path.parent)


def _junk_in_place(path: Path) -> None:
    """Overwritten in place (same inode) by something that is not a database."""
    with open(path, "r+b") as handle:
        handle.truncate(0)
        handle.write(b"not a database " * 1000)


@posix_only
@pytest.mark.parametrize(
    ("mutate", "error"),
    [
        (_unlink, FileMissingError),
        (_rename, FileMissingError),
        (_replace, FileMissingError),
        (_remove_folder, FileMissingError),
        (_junk_in_place, CorruptError),
    ],
    ids=["deleted", "renamed", "replaced", "folder-removed", "junk-in-place"],
)
def test_write_to_a_file_gone_from_under_the_store_is_refused(
    store: Store, plan_file: Path, mutate: Callable[[Path], None], error: type[StoreError]
) -> None:
    """On Linux an open file keeps working after it was deleted or renamed, so without a
    check the edit would be written into a file nobody will see again, and reported saved."""
    indicator = store.load().plan.indicators()[0].id
    moved = plan_file.with_name("moved.sqlite")
    mutate(plan_file)
    before = digest(moved) if moved.exists() else None
    with pytest.raises(error) as excinfo:
        store.set_actual(indicator, 1, 5)
    assert not isinstance(excinfo.value, sqlite3.Error)
    assert not store.database.conn.in_transaction
    if moved.exists():
        assert digest(moved) == before  # the file that moved was not written
    if plan_file.parent.exists():
        assert not journal_of(plan_file).exists()
    if mutate in (_unlink, _rename):
        assert not plan_file.exists()  # nothing was made up under the old name


@posix_only
def test_write_to_a_file_emptied_in_place_says_what_happened(store: Store, plan_file: Path) -> None:
    indicator = store.load().plan.indicators()[0].id
    os.truncate(plan_file, 0)
    with pytest.raises(StoreError) as excinfo:
        store.set_actual(indicator, 1, 5)
    assert not store.database.conn.in_transaction
    assert type(excinfo.value) is not StoreError, excinfo.value


@posix_only
def test_file_copied_over_in_place_takes_the_write(store: Store, plan_file: Path) -> None:
    """Observed, and fine: a copy of the plan written over the open file in place (same
    inode, as ``cp`` does) is simply the file now; SQLite notices the change and the edit goes
    into it, like a commit by another clerk."""
    indicator = store.load().plan.indicators()[0].id
    other = plan_file.with_name("other.sqlite")
    shutil.copyfile(plan_file, other)
    clerk_b = Store.open(other)
    clerk_b.set_actual(indicator, 2, 7)
    clerk_b.close()
    shutil.copyfile(other, plan_file)
    store.set_actual(indicator, 1, 5)
    reopened = Store.open(plan_file)
    try:
        data = reopened.load()
        assert (data.actual(indicator, 1).value, data.actual(indicator, 2).value) == (5, 7)
    finally:
        reopened.close()


@posix_only
def test_file_removed_during_a_transaction_is_not_reported_saved(
    store: Store, plan_file: Path
) -> None:
    """A long transaction (an import, a merge) must not be reported saved into a file that
    was removed while it ran: the identity is checked again just before COMMIT."""
    indicator = store.load().plan.indicators()[0].id
    with pytest.raises(FileMissingError), store.write("修改实际值"):
        store.set_actual(indicator, 1, 5)
        plan_file.unlink()  # gone between BEGIN IMMEDIATE and COMMIT
    assert not store.database.conn.in_transaction
    assert store.row("actual", pair_id(indicator, 1)) is None  # rolled back


@pytest.mark.skipif(not POSIX, reason="POSIX permissions")
@pytest.mark.parametrize("file_too", [False, True], ids=["folder", "folder-and-file"])
def test_write_to_a_folder_made_read_only_is_refused(
    store: Store, plan_file: Path, tmp_path: Path, file_too: bool
) -> None:
    """The journal cannot be created beside the file (a share turned read-only, a stick's
    write-protect switch): ReadOnlyError. Observed: a file made read-only in a writable folder
    still takes writes through the handle opened before, which is fine (it is saved)."""
    if not permissions_enforced(tmp_path):
        pytest.skip("running as root: file permissions are not enforced")
    indicator = store.load().plan.indicators()[0].id
    if file_too:
        plan_file.chmod(0o444)
    plan_file.parent.chmod(0o555)
    try:
        with pytest.raises(ReadOnlyError):
            store.set_actual(indicator, 1, 5)
        assert not store.database.conn.in_transaction
    finally:
        plan_file.parent.chmod(0o755)
        plan_file.chmod(0o644)
    assert store.row("actual", pair_id(indicator, 1)) is None


@pytest.mark.skipif(not POSIX, reason="simulates a full stick with RLIMIT_FSIZE")
def test_full_disk_fails_the_write_cleanly_and_keeps_what_was_saved(plan_file: Path) -> None:
    """A worker whose file may not grow (RLIMIT_FSIZE): the big import fails as
    WriteFailedError, edits go on until the file is full, then fail the same way; no
    transaction stays open and the file holds exactly the edits reported saved."""
    worker = start_disk_full(plan_file)
    assert worker.finish(120) == 0, worker.stderr
    lines = worker.lines
    assert lines[-1] == "done"
    assert lines[0] == "failed import WriteFailedError 0"
    saved = [line.split()[2:] for line in lines if line.startswith("committed actual")]
    assert saved  # some edits fitted in the last page …
    assert lines[-2].startswith("failed actual") and lines[-2].endswith("WriteFailedError 0")
    problems, found = file_facts(plan_file)
    assert problems == []
    assert found["actual"] == len(saved)
    assert found["change_log"] == SEED_LOG_ROWS + len(saved)  # the failed import left nothing
    conn = sqlite3.connect(plan_file)
    try:
        for indicator, quarter, value in saved:
            row_id = pair_id(indicator, int(quarter))
            stored = conn.execute("SELECT value FROM actual WHERE id = ?", (row_id,)).fetchone()
            assert stored == (float(value),)
    finally:
        conn.close()
    assert listing(plan_file.parent) == [plan_file.name]


# --- 5. the commands IT runs after a crash, and a long read at COMMIT ---------------------------


def run_cli(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, str, str]:
    code = cli.main([str(a) for a in args])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def one_error_line(err: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("jingan-desktop: error: "), err
    return lines[0]


def crashed_mid_save(plan_file: Path) -> str:
    """Kill an import of ``plan_file`` when its commit has written the file but not yet
    deleted the journal (hot): what a crashed save leaves. Returns the plan id from before."""
    before = Store.open(plan_file)
    plan_id = before.plans()[0]["id"]
    before.close()
    worker = kill_once(plan_file, "import", "journal-not-deleted")
    assert worker.lines[-1] == "killed journal-not-deleted plan.sqlite-journal"
    assert is_hot_journal(journal_of(plan_file))
    return plan_id


@kill_points
@pytest.mark.parametrize("command", ["check", "export", "report", "import-excel"])
def test_commands_after_a_crash_roll_the_interrupted_save_back(
    plan_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    """These open the file read-only, which cannot play a hot journal back ("attempt to
    write a readonly database"); they roll it back first and say so."""
    workbook = tmp_path / "q1.xlsx"
    if command == "import-excel":
        assert (
            run_cli(capsys, "export", "--db", plan_file, "--quarter", "2022Q1", "-o", workbook)[0]
            == 0
        )
    plan_id = crashed_mid_save(plan_file)
    args = {
        "check": ["check", "--db", plan_file],
        "export": ["export", "--db", plan_file, "--quarter", "2022Q1", "-o", tmp_path / "o.xlsx"],
        "report": ["report", "--db", plan_file, "--quarter", "2022Q1", "-o", tmp_path / "o.pdf"],
        "import-excel": ["import-excel", "--db", plan_file, "--quarter", "2022Q1", workbook],
    }[command]
    code, out, err = run_cli(capsys, *args)
    assert code == 0, err
    assert "readonly" not in out + err
    said = out if command == "check" else err
    assert "a save interrupted by a crash was rolled back" in said
    assert not journal_of(plan_file).exists()
    problems, found = file_facts(plan_file)
    assert problems == []
    assert found["change_log"] == SEED_LOG_ROWS  # wholly before the killed import
    conn = sqlite3.connect(plan_file)
    assert conn.execute("SELECT id FROM plan").fetchone() == (plan_id,)
    conn.close()


@kill_points
def test_check_on_a_crashed_file_in_a_read_only_folder_says_what_to_do(
    plan_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if not permissions_enforced(tmp_path):
        pytest.skip("running as root: file permissions are not enforced")
    crashed_mid_save(plan_file)
    before = digest(plan_file), digest(journal_of(plan_file))
    plan_file.parent.chmod(0o555)
    try:
        code, _, err = run_cli(capsys, "check", "--db", plan_file)
    finally:
        plan_file.parent.chmod(0o755)
    line = one_error_line(err)
    assert code == cli.EXIT_BAD_INPUT
    assert "save to this file was interrupted" in line and "writable folder" in line
    assert "readonly database" not in line
    assert (digest(plan_file), digest(journal_of(plan_file))) == before  # nothing touched


@pytest.fixture
def fast_busy(monkeypatch: pytest.MonkeyPatch) -> None:
    """Lock waits of 50 ms, one retry: a held lock gives up quickly (nothing is timed)."""
    monkeypatch.setattr(database, "BUSY_TIMEOUT_MS", 50)
    monkeypatch.setattr(database, "BUSY_RETRIES", 1)


def test_import_excel_apply_while_another_program_reads_says_busy_and_writes_nothing(
    plan_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], fast_busy: None
) -> None:
    """The commit needs every reader gone; a long read elsewhere (held here until the test
    lets go) makes it give up worded like every other lock wait, never "database is
    locked"; once the read ends the same command writes."""
    from openpyxl import load_workbook

    workbook = tmp_path / "q1.xlsx"
    assert (
        run_cli(capsys, "export", "--db", plan_file, "--quarter", "2022Q1", "-o", workbook)[0] == 0
    )
    book = load_workbook(workbook)
    book.active.cell(row=3, column=8, value=42)  # 本期实际 of the first indicator
    book.save(workbook)
    apply = ["import-excel", "--db", plan_file, "--quarter", "2022Q1", workbook, "--apply"]
    reader = sqlite3.connect(plan_file, isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM change_log").fetchone()  # a shared lock, held
    try:
        before = file_facts(plan_file)
        code, _, err = run_cli(capsys, *apply)
        line = one_error_line(err)
        assert code == cli.EXIT_BAD_INPUT
        assert database.BUSY_DETAIL in line
        assert "database is locked" not in line
        assert file_facts(plan_file) == before  # nothing written
    finally:
        reader.execute("COMMIT")
        reader.close()
    code, out, err = run_cli(capsys, *apply)
    assert code == 0, err
    assert "wrote 1 change" in out
    assert file_facts(plan_file)[1]["actual"] == 1


def test_commit_waits_out_a_reader_by_retrying(store: Store, plan_file: Path) -> None:
    """A reader holds its read through the first COMMIT, which gives up (1 ms wait); the
    reader ends just before the retry (the trace runs as the retry starts), which saves."""
    store.database.conn.execute("PRAGMA busy_timeout = 1")
    indicator = store.load().plan.indicators()[0].id
    reader = sqlite3.connect(plan_file, isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM actual").fetchone()
    commits: list[str] = []

    def traced(sql: str) -> None:
        if sql == "COMMIT":
            commits.append(sql)
            if len(commits) == 2 and reader.in_transaction:
                reader.execute("COMMIT")

    store.database.conn.set_trace_callback(traced)
    try:
        store.set_actual(indicator, 1, 7)
    finally:
        store.database.conn.set_trace_callback(None)
        reader.close()
    assert len(commits) == 2  # the first was refused while the reader read
    assert store.row("actual", pair_id(indicator, 1))["value"] == 7


# --- 6. a damaged file, wherever it comes from, is refused before it is read or written ---------


def test_a_file_with_a_damaged_index_is_refused_on_open_and_never_written(plan_file: Path) -> None:
    damage_an_index(plan_file)
    before = digest(plan_file)
    for readonly in (False, True):
        with pytest.raises(CorruptError, match="missing from index sqlite_autoindex_chapter_1"):
            Store.open(plan_file, readonly=readonly)
    assert digest(plan_file) == before
    assert listing(plan_file.parent) == [plan_file.name]


def test_checking_in_the_background_still_never_writes_a_damaged_file(plan_file: Path) -> None:
    """check="background" opens after the quick check; the first write waits for the full
    check's verdict and is refused, as is every later one."""
    damage_an_index(plan_file)
    before = digest(plan_file)
    store = Store.open(plan_file, check="background")
    try:
        indicator = store.load().plan.indicators()[0].id  # reading is allowed meanwhile
        for _ in range(2):
            with pytest.raises(CorruptError, match="missing from index"):
                store.set_actual(indicator, 1, 5)
            assert not store.database.conn.in_transaction
    finally:
        store.close()
    assert digest(plan_file) == before
    assert listing(plan_file.parent) == [plan_file.name]


def test_checking_in_the_background_lets_a_sound_file_be_written(plan_file: Path) -> None:
    store = Store.open(plan_file, check="background")
    try:
        indicator = store.load().plan.indicators()[0].id
        store.set_actual(indicator, 1, 5)
        assert store.row("actual", pair_id(indicator, 1))["value"] == 5
    finally:
        store.close()
    with pytest.raises(ValueError):
        Store.open(plan_file, check="sometimes")


def test_merging_a_copy_with_a_damaged_index_is_refused_and_the_master_untouched(
    plan_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = tmp_path / "stick" / "copy.sqlite"
    copy.parent.mkdir()
    shutil.copyfile(plan_file, copy)
    edited = Store.open(copy)
    edited.set_actual(edited.load().plan.indicators()[0].id, 1, 99)
    edited.close()
    damage_an_index(copy)
    before = digest(plan_file)
    code, _, err = run_cli(capsys, "merge", "--db", plan_file, "--from", copy, "--prefer", "theirs")
    line = one_error_line(err)
    assert code == cli.EXIT_BAD_INPUT
    assert "copy.sqlite" in line and "missing from index" in line
    assert digest(plan_file) == before
    assert listing(plan_file.parent) == [plan_file.name]  # not even a backup taken


def test_restoring_a_backup_with_a_damaged_index_is_refused(plan_file: Path) -> None:
    """Restore (and the search for a good backup offered for a damaged file) check the
    backup fully: one with a damaged index is not "good"."""
    from jingan_desktop.storage.backup import list_backups, newest_good_backup, restore, take_backup

    store = Store.open(plan_file)
    try:
        good = take_backup(store.database, "manual")
        store.set_actual(store.load().plan.indicators()[0].id, 1, 5)
        damaged = take_backup(store.database, "manual")
        damage_an_index(damaged)
        assert list_backups(plan_file)[0].path == damaged
        assert newest_good_backup(plan_file).path == good
        before = digest(plan_file)
        with pytest.raises(CorruptError, match="missing from index"):
            restore(store.database, damaged)
        assert digest(plan_file) == before
    finally:
        store.close()


def test_check_lists_a_damaged_index_instead_of_refusing_the_file(
    plan_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    damage_an_index(plan_file)
    before = digest(plan_file)
    code, out, _ = run_cli(capsys, "check", "--db", plan_file)
    assert code == cli.EXIT_PROBLEM
    assert "integrity: PROBLEMS" in out.splitlines()
    assert any("missing from index sqlite_autoindex_chapter_1" in line for line in out.splitlines())
    assert digest(plan_file) == before


@kill_points
def test_the_window_says_a_save_was_interrupted_in_a_folder_it_cannot_write(
    qtbot, plan_file: Path, messages: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A crashed save on a share that is read-only here: the window names the interruption
    and what to do (copy both files to a writable folder), not "只读文件", and touches nothing."""
    from jingan_desktop.qt.application import settings
    from jingan_desktop.qt.main_window import MainWindow

    crashed_mid_save(plan_file)
    before = digest(plan_file), digest(journal_of(plan_file))
    monkeypatch.setattr(database, "is_writable", lambda _path: False)  # as a read-only share
    window = MainWindow(settings())
    qtbot.addWidget(window)
    assert not window.open_path(plan_file)
    (shown,) = messages
    assert shown.startswith("上次保存被中断: ") and "-journal" in shown and "复制" in shown
    assert "只读文件" not in shown
    assert (digest(plan_file), digest(journal_of(plan_file))) == before


def test_leftovers_of_killed_writes_are_tidied_by_the_next_write(
    tmp_path: Path, seed_path: Path, plan_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A creation or an export killed midway leaves a hidden ``.<name>.<random>.tmp`` (and
    its journal); the next write of the same name removes those over an hour old. Younger
    ones may be another program's write in progress and stay, as do other files' ones."""
    import time

    folder = tmp_path / "共享 文件夹"
    folder.mkdir()
    target = folder / "新计划.sqlite"
    report = folder / "报告.xlsx"
    hour_ago = time.time() - 2 * 3600
    old = [folder / ".新计划.sqlite.dead0001.tmp", folder / ".新计划.sqlite.dead0001.tmp-journal"]
    old += [folder / ".报告.xlsx.dead0002.tmp"]
    fresh = folder / ".新计划.sqlite.cafe0003.tmp"
    others = folder / ".其他.sqlite.beef0004.tmp"
    for path in [*old, fresh, others]:
        path.write_bytes(b"half written")
        if path is not fresh:
            os.utime(path, (hour_ago, hour_ago))
    assert run_cli(capsys, "import", seed_path, "--db", target)[0] == 0
    assert run_cli(capsys, "export", "--db", target, "--quarter", "2022Q1", "-o", report)[0] == 0
    assert not any(path.exists() for path in old)
    assert fresh.exists() and others.exists()
