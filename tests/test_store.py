"""The plan file and the store: opening files safely, transactions with their change log,
concurrent clerks, quarter locks, backups, migrations, odd paths and the data folder."""

from __future__ import annotations

import contextlib
import hashlib
import json
import random
import shutil
import sqlite3
import struct
import sys
import uuid
from datetime import datetime
from pathlib import Path, PureWindowsPath

import pytest

from jingan_desktop.paths import APP_DIR_NAME, data_dir
from jingan_desktop.plan.model import ItemStatus
from jingan_desktop.plan.parser import read_plan_file
from jingan_desktop.storage import database as db
from jingan_desktop.storage.database import (
    APPLICATION_ID,
    SCHEMA_VERSION,
    BusyError,
    CorruptError,
    Database,
    EmptyFileError,
    FileMissingError,
    NewerSchemaError,
    NotOurFileError,
    NotSQLiteError,
    ReadOnlyError,
    StoreError,
    TruncatedError,
    WriteFailedError,
    migration_files,
    read_header,
    split_sql,
    sqlite_uri,
)
from jingan_desktop.storage.store import (
    TABLES,
    ConflictError,
    InvalidValueError,
    PlanExistsError,
    QuarterLockedError,
    RowMissingError,
    Store,
    pair_id,
)

# Windows forbids "?" in file names; elsewhere it is kept, to prove it is escaped in URIs.
QUESTION_MARK = "" if sys.platform == "win32" else "?"

ACTOR = ("张三", "PC-1")
SEED_ROWS = {"plan": 1, "chapter": 6, "item": 34, "indicator": 80}
SEED_LOG_ROWS = 121  # one 'insert' entry per plan, chapter, item and indicator row


# --- helpers ----------------------------------------------------------------------------------


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def log_count(store: Store) -> int:
    return store.database.execute("SELECT count(*) FROM change_log").fetchone()[0]


def raw_log(store: Store, where: str = "1", params: tuple[object, ...] = ()) -> list[dict]:
    return store.rows(f"SELECT * FROM change_log WHERE {where} ORDER BY ts, rowid", params)


def pragma(store: Store, name: str) -> object:
    return store.database.conn.execute(f"PRAGMA {name}").fetchone()[0]


@pytest.fixture
def open_store():
    """Open a plan file as a given clerk; every store opened is closed afterwards."""
    opened: list[Store] = []

    def _open(path: Path, actor: tuple[str, str] = ACTOR, **kwargs: object) -> Store:
        store = Store(Database.open(path, **kwargs), actor=actor)
        opened.append(store)
        return store

    yield _open
    for store in opened:
        with contextlib.suppress(Exception):
            store.close()


@pytest.fixture
def store(plan_file: Path, open_store) -> Store:
    return open_store(plan_file)


@pytest.fixture
def other_conn(plan_file: Path):
    """A raw second connection to the same file (another program / another clerk's app)."""
    conn = sqlite3.connect(plan_file, isolation_level=None)
    yield conn
    with contextlib.suppress(sqlite3.Error):
        conn.execute("ROLLBACK")
    conn.close()


def first_indicator_id(store: Store) -> str:
    return store.load().plan.indicators()[0].id


def item_with_indicators(store: Store, at_least: int = 2):
    return next(i for i in store.load().plan.items() if len(i.indicators) >= at_least)


# --- the file format --------------------------------------------------------------------------


def test_new_file_identifies_itself_and_uses_safe_pragmas(seed_store: Store) -> None:
    assert pragma(seed_store, "application_id") == APPLICATION_ID == 0x4A475150
    assert pragma(seed_store, "user_version") == SCHEMA_VERSION == len(migration_files())
    assert pragma(seed_store, "foreign_keys") == 1
    assert pragma(seed_store, "journal_mode") == "delete"
    assert pragma(seed_store, "synchronous") == 2  # FULL
    assert pragma(seed_store, "trusted_schema") == 0
    assert pragma(seed_store, "busy_timeout") == db.BUSY_TIMEOUT_MS > 0
    # The raw header agrees (this is what is checked before SQLite ever sees a file).
    header = read_header(seed_store.path)
    assert (header.application_id, header.user_version) == (APPLICATION_ID, SCHEMA_VERSION)


def test_writes_never_leave_wal_or_journal_files(store: Store, plan_file: Path) -> None:
    store.set_actual(first_indicator_id(store), 1, 5)
    assert listing(plan_file.parent) == ["plan.sqlite"]
    assert pragma(store, "journal_mode") == "delete"


def test_readonly_connection_has_the_same_safety_pragmas(plan_file: Path, open_store) -> None:
    store = open_store(plan_file, readonly=True)
    assert store.readonly
    assert pragma(store, "foreign_keys") == 1
    assert pragma(store, "trusted_schema") == 0
    assert pragma(store, "busy_timeout") == db.BUSY_TIMEOUT_MS
    assert pragma(store, "journal_mode") == "delete"


def test_seed_plan_is_stored_completely(seed_store: Store) -> None:
    report = seed_store.check()
    assert report.ok
    assert report.problems == []
    for table, n in SEED_ROWS.items():
        assert report.counts[table] == n
    assert report.counts["change_log"] == SEED_LOG_ROWS
    assert report.history_by_source == {"import": SEED_LOG_ROWS}
    data = seed_store.load()
    assert data.plan.year == 2022
    assert data.plan.title == "2022年区政府重点工作安排"
    assert [c.numeral for c in data.plan.chapters] == ["一", "二", "三", "四", "五", "六"]
    assert [i.number for i in data.plan.items()] == list(range(1, 35))
    assert len(data.plan.indicators()) == 80
    assert seed_store.meta().keys() >= {"file_id", "created_at", "created_by"}


def test_every_row_has_uuid_and_stamps(store: Store) -> None:
    data = store.load()
    item = data.plan.items()[0]
    store.set_actual(item.indicators[0].id, 1, 3)
    store.set_progress(item.id, 1, status=ItemStatus.IN_PROGRESS, text="推进中")
    store.set_item_departments(item.id, lead="区发展改革委", co=["区商务委"])
    store.set_quarter_locked(data.plan.id, 4, True)
    for table in (*TABLES, "change_log"):
        rows = store.rows(f"SELECT * FROM {table}")
        assert rows, table
        for row in rows:
            assert str(uuid.UUID(row["id"])) == row["id"], (table, row["id"])
            if table == "change_log":
                continue
            assert row["version"] >= 1
            assert "@" in row["modified_by"]
            assert datetime.fromisoformat(row["modified_at"]).tzinfo is not None
    # Rows written by this clerk carry their name.
    for table in ("actual", "progress", "department", "quarter_lock"):
        assert {r["modified_by"] for r in store.rows(f"SELECT * FROM {table}")} == {"张三@PC-1"}


def test_pair_rows_have_name_based_ids(store: Store) -> None:
    indicator_id = first_indicator_id(store)
    store.set_actual(indicator_id, 2, 7)
    (row,) = store.rows("SELECT * FROM actual")
    assert row["id"] == pair_id(indicator_id, 2)
    assert uuid.UUID(row["id"]).version == 5
    assert pair_id(indicator_id, 2) != pair_id(indicator_id, 3)


def test_plan_names_are_the_names_before_a_hand_rename(store: Store) -> None:
    indicator_id = first_indicator_id(store)
    original = store.row("indicator", indicator_id)["name"]
    assert store.plan_names() == {}  # the imported names are the plan's own
    store.update_field("indicator", indicator_id, "name", "第一次改名")
    store.update_field("indicator", indicator_id, "name", "第二次改名")
    assert store.plan_names() == {indicator_id: original}
    store.update_field("indicator", indicator_id, "name", original)  # renamed back by hand
    assert store.plan_names() == {}
    store.update_field("indicator", indicator_id, "name", "又改了", source="merge")
    assert store.plan_names() == {indicator_id: original}
    # A plan re-imported with a new name for the row: that name is the plan's own now.
    store.update_field("indicator", indicator_id, "name", "新计划的名称", source="import")
    assert store.plan_names() == {}


def test_version_counter_and_stamps_change_on_update(store: Store) -> None:
    indicator_id = first_indicator_id(store)
    before = store.row("indicator", indicator_id)
    assert before["version"] == 1
    store.update_field("indicator", indicator_id, "unit", "亿元")
    after = store.row("indicator", indicator_id)
    assert after["version"] == 2
    assert after["unit"] == "亿元"
    assert after["modified_by"] == "张三@PC-1"
    assert after["modified_at"] > before["modified_at"]
    # Writing the same value again changes nothing and logs nothing.
    count = log_count(store)
    store.update_field("indicator", indicator_id, "unit", "亿元")
    assert store.row("indicator", indicator_id)["version"] == 2
    assert log_count(store) == count


# --- opening files that must not be opened -----------------------------------------------------


def _empty(path: Path, template: Path) -> None:
    path.write_bytes(b"")


def _random(path: Path, template: Path) -> None:
    path.write_bytes(random.Random(1).randbytes(8192))


def _text(path: Path, template: Path) -> None:
    path.write_text("2022年区政府重点工作安排\n一、全力以赴稳增长\n", encoding="utf-8")


def _other_app(path: Path, template: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    conn.execute("INSERT INTO notes (body) VALUES ('hello')")
    conn.commit()
    conn.close()


def _newer_header(path: Path, template: Path) -> None:
    data = bytearray(template.read_bytes())
    data[60:64] = struct.pack(">i", SCHEMA_VERSION + 1)
    path.write_bytes(bytes(data))


def _newer_pragma(path: Path, template: Path) -> None:
    shutil.copyfile(template, path)
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    conn.close()


def _truncated(path: Path, template: Path) -> None:
    data = template.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _header_only(path: Path, template: Path) -> None:
    path.write_bytes(template.read_bytes()[:50])


def _corrupt_page(path: Path, template: Path) -> None:
    data = bytearray(template.read_bytes())
    page_size = read_header(template).page_size
    data[page_size : 2 * page_size] = b"\xde\xad\xbe\xef" * (page_size // 4)  # page 2
    path.write_bytes(bytes(data))


def _corrupt_page_size(path: Path, template: Path) -> None:
    data = bytearray(template.read_bytes())
    data[16:18] = struct.pack(">H", 1000)
    path.write_bytes(bytes(data))


BAD_FILES = [
    pytest.param(_empty, EmptyFileError, id="empty"),
    pytest.param(_random, NotSQLiteError, id="random-bytes"),
    pytest.param(_text, NotSQLiteError, id="text-file"),
    pytest.param(_other_app, NotOurFileError, id="other-app-sqlite"),
    pytest.param(_newer_header, NewerSchemaError, id="newer-schema-header"),
    pytest.param(_newer_pragma, NewerSchemaError, id="newer-schema-pragma"),
    pytest.param(_truncated, TruncatedError, id="truncated-half"),
    pytest.param(_header_only, TruncatedError, id="truncated-header"),
    pytest.param(_corrupt_page, CorruptError, id="corrupt-page"),
    pytest.param(_corrupt_page_size, CorruptError, id="corrupt-page-size"),
]


@pytest.mark.parametrize("readonly", [False, True], ids=["rw", "ro"])
@pytest.mark.parametrize(("make", "error"), BAD_FILES)
def test_bad_file_gives_its_error_and_is_not_touched(
    tmp_path: Path, template_file: Path, make, error, readonly: bool
) -> None:
    path = tmp_path / "suspect.sqlite"
    make(path, template_file)
    before = digest(path)
    with pytest.raises(StoreError) as excinfo:
        Store.open(path, readonly=readonly)
    assert type(excinfo.value) is error
    assert excinfo.value.path == str(path)
    assert digest(path) == before
    assert listing(tmp_path) == ["suspect.sqlite"]  # no -journal or anything else


def test_newer_schema_error_carries_versions(tmp_path: Path, template_file: Path) -> None:
    path = tmp_path / "newer.sqlite"
    _newer_header(path, template_file)
    with pytest.raises(NewerSchemaError) as excinfo:
        Store.open(path)
    assert (excinfo.value.found, excinfo.value.supported) == (SCHEMA_VERSION + 1, SCHEMA_VERSION)


def test_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(FileMissingError):
        Store.open(tmp_path / "nope.sqlite")
    assert listing(tmp_path) == []
    with pytest.raises(NotSQLiteError):
        Store.open(tmp_path)


# --- read-only files --------------------------------------------------------------------------


def _assert_every_write_refused(store: Store, seed_path: Path) -> None:
    data = store.load()
    item = data.plan.items()[0]
    indicator_id = item.indicators[0].id
    writes = [
        lambda: store.set_actual(indicator_id, 1, 1),
        lambda: store.set_progress(item.id, 1, status=ItemStatus.DONE),
        lambda: store.update_field("item", item.id, "title", "新标题"),
        lambda: store.set_item_departments(item.id, lead="区财政局"),
        lambda: store.set_quarter_locked(data.plan.id, 1, True),
        lambda: store.add_department("区财政局"),
        lambda: store.import_plan(read_plan_file(seed_path).plan, replace=True),
    ]
    for write in writes:
        with pytest.raises(ReadOnlyError):
            write()
    with pytest.raises(ReadOnlyError), store.write("删除事项") as w:
        w.delete("item", item.id)


def test_readonly_open_reads_and_refuses_writes(
    plan_file: Path, open_store, seed_path: Path
) -> None:
    before = digest(plan_file)
    store = open_store(plan_file, readonly=True)
    assert store.readonly
    assert len(store.load().plan.items()) == 34
    assert len(store.history(limit=5)) == 5
    assert store.check().ok
    _assert_every_write_refused(store, seed_path)
    store.close()
    assert digest(plan_file) == before
    assert listing(plan_file.parent) == ["plan.sqlite"]


def test_unwritable_file_is_opened_readonly_automatically(
    plan_file: Path, monkeypatch: pytest.MonkeyPatch, seed_path: Path
) -> None:
    # Tests run as root, where chmod does not stop writes; pretend the medium is protected.
    monkeypatch.setattr(db, "is_writable", lambda path: False)
    before = digest(plan_file)
    store = Store.open(plan_file)
    try:
        assert store.readonly
        assert store.load().plan.year == 2022
        _assert_every_write_refused(store, seed_path)
    finally:
        store.close()
    assert digest(plan_file) == before
    assert listing(plan_file.parent) == ["plan.sqlite"]


def test_is_writable_for_an_ordinary_file(plan_file: Path) -> None:
    assert db.is_writable(plan_file)
    assert Store.open(plan_file).readonly is False


# --- transactions and the change log ---------------------------------------------------------


def test_set_actual_is_logged_with_who_what_and_values(store: Store) -> None:
    indicator_id = first_indicator_id(store)
    row_id = pair_id(indicator_id, 1)
    store.set_actual(indicator_id, 1, 12.5, note="一季度快报")
    (entry,) = raw_log(store, "tbl = 'actual'")
    assert (entry["op"], entry["row_id"], entry["field"]) == ("insert", row_id, None)
    assert (entry["user"], entry["machine"]) == ACTOR
    assert (entry["source"], entry["summary"]) == ("edit", "修改实际值")
    assert entry["old"] is None
    assert json.loads(entry["new"]) == {
        "id": row_id,
        "indicator_id": indicator_id,
        "quarter": 1,
        "value": 12.5,
        "note": "一季度快报",
    }

    store.set_actual(indicator_id, 1, 20, expected_value=12.5)
    entries = raw_log(store, "tbl = 'actual' AND op = 'update'")
    assert len(entries) == 1
    assert (entries[0]["field"], entries[0]["old"], entries[0]["new"]) == ("value", "12.5", "20.0")
    assert entries[0]["txn"] != entry["txn"]
    assert store.load().actual(indicator_id, 1).value == 20.0

    # History reads the same, newest first, filtered by row.
    history = store.history([row_id])
    assert (history[0].op, history[0].field, history[0].old, history[0].new) == (
        "update",
        "value",
        12.5,
        20.0,
    )
    assert [c.op for c in history] == ["update", "insert"]
    assert len(store.history(limit=3)) == 3


def test_one_action_is_one_transaction(store: Store) -> None:
    item = store.load().plan.items()[0]
    store.set_progress(item.id, 2, status="推进中", text="")
    store.set_progress(item.id, 2, status="已完成", text="已完成全部任务", expected_status="推进中")
    updates = raw_log(store, "tbl = 'progress' AND op = 'update'")
    assert sorted(e["field"] for e in updates) == ["status", "text"]
    assert len({e["txn"] for e in updates}) == 1
    assert {e["summary"] for e in updates} == {"修改进展情况"}
    progress = store.load().progress_for(item.id, 2)
    assert (progress.status, progress.text) == (ItemStatus.DONE, "已完成全部任务")


def test_update_field_normalises_and_logs(store: Store) -> None:
    indicator_id = first_indicator_id(store)
    old = store.row("indicator", indicator_id)["value"]
    store.update_field("indicator", indicator_id, "value", "12")
    assert store.row("indicator", indicator_id)["value"] == 12.0
    (entry,) = raw_log(store, "op = 'update'")
    assert (entry["tbl"], entry["field"], entry["summary"]) == ("indicator", "value", "修改目标值")
    assert (json.loads(entry["old"]), json.loads(entry["new"])) == (old, 12.0)


@pytest.mark.parametrize(
    ("table", "field", "value"),
    [
        ("indicator", "comparator", "≥≥"),
        ("indicator", "kind", "money"),
        ("indicator", "weight", -1),
        ("indicator", "value", "abc"),
        ("indicator", "tolerance", float("nan")),
        ("item", "due_date", "2022-13-40"),
        ("item", "title", "   "),
        ("item", "version", 7),  # stamps are not editable
    ],
)
def test_invalid_value_writes_nothing(store: Store, table: str, field: str, value) -> None:
    item = store.load().plan.items()[0]
    row_id = item.id if table == "item" else item.indicators[0].id
    row_before = store.row(table, row_id)
    count = log_count(store)
    with pytest.raises(InvalidValueError) as excinfo:
        store.update_field(table, row_id, field, value)
    assert excinfo.value.field == field
    assert log_count(store) == count
    assert store.row(table, row_id) == row_before


def test_failing_write_rolls_back_everything_it_did(store: Store, plan_file: Path) -> None:
    count = log_count(store)
    # The department would be created first, then the item turns out to be gone.
    with pytest.raises(RowMissingError):
        store.set_item_departments(str(uuid.uuid4()), lead="新设单位")
    assert store.departments() == []
    assert log_count(store) == count

    indicator_id = first_indicator_id(store)
    unit = store.row("indicator", indicator_id)["unit"]
    with pytest.raises(RuntimeError), store.write("半途而废") as w:
        w.update("indicator", indicator_id, {"unit": "吨"})
        w.insert("department", {"name": "临时单位", "position": 9})
        raise RuntimeError("power cut")
    assert store.row("indicator", indicator_id)["unit"] == unit
    assert store.departments() == []
    assert log_count(store) == count
    assert not store.database.conn.in_transaction
    assert listing(plan_file.parent) == ["plan.sqlite"]


def test_writing_to_a_removed_row_is_refused(store: Store) -> None:
    with pytest.raises(RowMissingError):
        store.update_field("item", str(uuid.uuid4()), "title", "不存在")
    with pytest.raises(RowMissingError):
        store.set_actual(str(uuid.uuid4()), 1, 1)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf"), "abc", True])
def test_set_actual_rejects_values_that_are_not_finite_numbers(store: Store, value) -> None:
    indicator_id = first_indicator_id(store)
    count = log_count(store)
    with pytest.raises(InvalidValueError) as excinfo:
        store.set_actual(indicator_id, 1, value)
    assert excinfo.value.field == "value"
    assert log_count(store) == count
    assert store.row("actual", pair_id(indicator_id, 1)) is None


def test_set_progress_rejects_an_unknown_status(store: Store) -> None:
    item_id = store.load().plan.items()[0].id
    count = log_count(store)
    with pytest.raises(InvalidValueError) as excinfo:
        store.set_progress(item_id, 1, status="完成")
    assert excinfo.value.field == "status"
    assert log_count(store) == count


def test_departments_by_name(store: Store) -> None:
    item = store.load().plan.items()[0]
    store.set_item_departments(
        item.id, lead="区发展改革委", co=["区商务委", "区财政局", "区商务委"]
    )
    loaded = next(i for i in store.load().plan.items() if i.id == item.id)
    assert loaded.lead_department == "区发展改革委"
    assert loaded.co_departments == ["区商务委", "区财政局"]
    assert [d.name for d in store.departments()] == ["区发展改革委", "区商务委", "区财政局"]
    # The lead changed elsewhere meanwhile: the edit is refused.
    with pytest.raises(ConflictError):
        store.set_item_departments(item.id, lead="区科委", expected_lead="区财政局")
    assert "区科委" not in [d.name for d in store.departments()]


# --- two clerks on one file ------------------------------------------------------------------


def test_conflicting_edit_is_refused_and_keeps_the_other_value(plan_file: Path, open_store) -> None:
    clerk_a = open_store(plan_file, actor=("甲", "PC-A"))
    clerk_b = open_store(plan_file, actor=("乙", "PC-B"))
    indicator_id = first_indicator_id(clerk_a)
    clerk_a.set_actual(indicator_id, 1, 10)

    seen_by_a = clerk_a.load().actual(indicator_id, 1).value
    assert seen_by_a == 10.0
    clerk_b.set_actual(indicator_id, 1, 15, expected_value=10)
    count = log_count(clerk_a)

    with pytest.raises(ConflictError) as excinfo:
        clerk_a.set_actual(indicator_id, 1, 99, expected_value=seen_by_a)
    conflict = excinfo.value
    assert (conflict.table, conflict.field, conflict.row_id) == (
        "actual",
        "value",
        pair_id(indicator_id, 1),
    )
    assert (conflict.expected, conflict.actual) == (10.0, 15.0)

    actual = clerk_a.load().actual(indicator_id, 1)
    assert (actual.value, actual.modified_by) == (15.0, "乙@PC-B")
    assert log_count(clerk_a) == count


def test_both_clerks_fill_an_empty_cell(plan_file: Path, open_store) -> None:
    clerk_a = open_store(plan_file, actor=("甲", "PC-A"))
    clerk_b = open_store(plan_file, actor=("乙", "PC-B"))
    indicator_id = first_indicator_id(clerk_a)
    assert clerk_a.load().actual(indicator_id, 3) is None
    clerk_b.set_actual(indicator_id, 3, 42, expected_value=None)
    with pytest.raises(ConflictError) as excinfo:
        clerk_a.set_actual(indicator_id, 3, 41, expected_value=None)
    assert (excinfo.value.expected, excinfo.value.actual) == (None, 42.0)
    assert clerk_b.load().actual(indicator_id, 3).value == 42.0


def test_progress_conflict(plan_file: Path, open_store) -> None:
    clerk_a = open_store(plan_file, actor=("甲", "PC-A"))
    clerk_b = open_store(plan_file, actor=("乙", "PC-B"))
    item_id = clerk_a.load().plan.items()[3].id
    clerk_a.set_progress(item_id, 1, status=ItemStatus.IN_PROGRESS)
    clerk_b.set_progress(item_id, 1, status=ItemStatus.LAGGING, expected_status="推进中")
    with pytest.raises(ConflictError) as excinfo:
        clerk_a.set_progress(item_id, 1, status="已完成", expected_status=ItemStatus.IN_PROGRESS)
    assert (excinfo.value.field, excinfo.value.expected, excinfo.value.actual) == (
        "status",
        "推进中",
        "滞后",
    )
    assert clerk_a.load().progress_for(item_id, 1).status is ItemStatus.LAGGING


def test_data_version_tells_of_another_clerks_commit(plan_file: Path, open_store) -> None:
    clerk_a = open_store(plan_file, actor=("甲", "PC-A"))
    clerk_b = open_store(plan_file, actor=("乙", "PC-B"))
    before = clerk_a.database.data_version()
    clerk_a.set_actual(first_indicator_id(clerk_a), 1, 1)  # own commits do not count
    assert clerk_a.database.data_version() == before
    clerk_b.set_actual(first_indicator_id(clerk_b), 2, 2)
    assert clerk_a.database.data_version() != before


def _fast_busy(store: Store) -> None:
    store.database.conn.execute("PRAGMA busy_timeout = 50")
    store.database.busy_retries = 1


def test_write_lock_held_elsewhere_gives_busy_error(store: Store, other_conn) -> None:
    _fast_busy(store)
    indicator_id = first_indicator_id(store)
    count = log_count(store)
    other_conn.execute("BEGIN IMMEDIATE")
    with pytest.raises(BusyError) as excinfo:
        store.set_actual(indicator_id, 1, 8)
    assert not isinstance(excinfo.value, sqlite3.Error)
    assert excinfo.value.path == str(store.path)
    # Reading still works while someone else is about to write.
    assert store.load().actual(indicator_id, 1) is None
    assert not store.database.conn.in_transaction

    other_conn.execute("ROLLBACK")
    store.set_actual(indicator_id, 1, 8)
    assert store.load().actual(indicator_id, 1).value == 8.0
    assert log_count(store) == count + 1


def test_commit_blocked_by_a_reader_gives_busy_error_and_writes_nothing(
    store: Store, other_conn, plan_file: Path
) -> None:
    _fast_busy(store)
    indicator_id = first_indicator_id(store)
    count = log_count(store)
    other_conn.execute("BEGIN")
    other_conn.execute("SELECT count(*) FROM plan").fetchone()  # holds a shared lock
    with pytest.raises(BusyError):
        store.set_actual(indicator_id, 1, 8)
    assert not store.database.conn.in_transaction
    other_conn.execute("COMMIT")
    assert store.row("actual", pair_id(indicator_id, 1)) is None
    assert log_count(store) == count
    assert listing(plan_file.parent) == ["plan.sqlite"]
    store.set_actual(indicator_id, 1, 8)
    assert store.row("actual", pair_id(indicator_id, 1))["value"] == 8.0


def test_exclusive_lock_gives_busy_error_on_open_and_read(
    store: Store, other_conn, plan_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db, "BUSY_TIMEOUT_MS", 50)
    _fast_busy(store)
    other_conn.execute("BEGIN EXCLUSIVE")
    for readonly in (False, True):
        with pytest.raises(BusyError):
            Store.open(plan_file, readonly=readonly)
    with pytest.raises(BusyError):
        store.load()
    other_conn.execute("ROLLBACK")
    assert store.load().plan.year == 2022


# --- quarter locks ----------------------------------------------------------------------------


def test_locked_quarter_refuses_figures_until_unlocked(store: Store) -> None:
    data = store.load()
    item = data.plan.items()[0]
    indicator_id = item.indicators[0].id
    store.set_actual(indicator_id, 1, 5)
    store.set_quarter_locked(data.plan.id, 1, True, snapshot={"score": 0.8})
    count = log_count(store)

    with pytest.raises(QuarterLockedError) as excinfo:
        store.set_actual(indicator_id, 1, 6)
    assert excinfo.value.quarter == 1
    with pytest.raises(QuarterLockedError):
        store.set_actual(item.indicators[-1].id, 1, 6)  # a cell not filled in yet
    with pytest.raises(QuarterLockedError):
        store.set_progress(item.id, 1, status=ItemStatus.DONE)
    assert log_count(store) == count
    assert store.load().actual(indicator_id, 1).value == 5.0

    store.set_actual(indicator_id, 2, 9)  # other quarters stay open
    loaded = store.load()
    assert loaded.is_locked(1) and not loaded.is_locked(2)
    lock = loaded.locks[1]
    assert (lock.locked_by, lock.snapshot) == ("张三@PC-1", {"score": 0.8})

    store.set_quarter_locked(data.plan.id, 1, False)
    assert not store.load().is_locked(1)
    store.set_actual(indicator_id, 1, 6)
    store.set_progress(item.id, 1, status=ItemStatus.DONE)
    assert store.load().actual(indicator_id, 1).value == 6.0

    lock_log = raw_log(store, "source = 'lock'")
    assert [(e["op"], e["field"], e["summary"]) for e in lock_log] == [
        ("insert", None, "锁定季度"),
        ("update", "locked", "解锁季度"),
        ("update", "locked_at", "解锁季度"),
        ("update", "locked_by", "解锁季度"),
    ]
    assert {e["row_id"] for e in lock_log} == {pair_id(data.plan.id, 1)}
    assert json.loads(lock_log[0]["new"])["locked"] == 1
    assert (lock_log[1]["old"], lock_log[1]["new"]) == ("1", "0")


def test_lock_set_by_another_clerk_applies_at_once(plan_file: Path, open_store) -> None:
    clerk_a = open_store(plan_file, actor=("甲", "PC-A"))
    clerk_b = open_store(plan_file, actor=("乙", "PC-B"))
    data = clerk_a.load()
    clerk_b.set_quarter_locked(data.plan.id, 2, True)
    with pytest.raises(QuarterLockedError):
        clerk_a.set_actual(data.plan.indicators()[0].id, 2, 1)


# --- deleting ---------------------------------------------------------------------------------


def test_delete_item_logs_each_removed_row_whole(store: Store) -> None:
    item = item_with_indicators(store)
    indicator_ids = [ind.id for ind in item.indicators]
    for quarter in (1, 2):
        store.set_actual(indicator_ids[0], quarter, quarter * 10)
    store.set_actual(indicator_ids[1], 1, 3, note="说明")
    store.set_progress(item.id, 1, status=ItemStatus.IN_PROGRESS, text="开展中")
    actual_ids = [pair_id(indicator_ids[0], 1), pair_id(indicator_ids[0], 2)]
    actual_ids.append(pair_id(indicator_ids[1], 1))
    progress_ids = [pair_id(item.id, 1)]
    removed = {("item", item.id)}
    removed |= {("indicator", i) for i in indicator_ids}
    removed |= {("actual", i) for i in actual_ids}
    removed |= {("progress", i) for i in progress_ids}
    rows_before = {key: store.row(*key) for key in removed}
    counts_before = store.check().counts

    with store.write("删除事项") as w:
        w.delete("item", item.id)

    for table, row_id in removed:
        assert store.row(table, row_id) is None
    entries = raw_log(store, "op = 'delete'")
    assert {(e["tbl"], e["row_id"]) for e in entries} == removed
    assert len(entries) == len(removed)
    assert len({e["txn"] for e in entries}) == 1
    stamps = {"version", "modified_at", "modified_by"}
    for entry in entries:
        assert (entry["summary"], entry["source"], entry["new"]) == ("删除事项", "edit", None)
        before = rows_before[(entry["tbl"], entry["row_id"])]
        assert json.loads(entry["old"]) == {k: v for k, v in before.items() if k not in stamps}
    assert entries[-1]["tbl"] == "item"  # children are logged before their parent

    counts = store.check().counts
    assert counts["item"] == counts_before["item"] - 1
    assert counts["indicator"] == counts_before["indicator"] - len(indicator_ids)
    assert counts["actual"] == counts["progress"] == 0
    assert store.database.conn.execute("PRAGMA foreign_key_check").fetchall() == []
    assert store.database.integrity_problems() == []


def test_import_same_year_again(store: Store, seed_path: Path) -> None:
    old_plan_id = store.plan_id_for_year(2022)
    indicator_id = first_indicator_id(store)
    store.set_actual(indicator_id, 1, 3)
    count = log_count(store)
    with pytest.raises(PlanExistsError) as excinfo:
        store.import_plan(read_plan_file(seed_path).plan)
    assert excinfo.value.year == 2022
    assert log_count(store) == count

    # The same text again: the year is kept in place, with its ids and its figures.
    new_plan_id = store.import_plan(read_plan_file(seed_path).plan, replace=True)
    assert new_plan_id == old_plan_id
    assert [p["id"] for p in store.plans()] == [old_plan_id]
    counts = store.check().counts
    assert {t: counts[t] for t in SEED_ROWS} == SEED_ROWS
    assert counts["actual"] == 1
    assert store.load().actual(indicator_id, 1).value == 3
    assert log_count(store) == count  # nothing changed, nothing logged
    assert store.database.integrity_problems() == []


# --- creating files ---------------------------------------------------------------------------


def test_create_failure_leaves_no_file(
    tmp_path: Path, seed_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_import(self, plan, **kwargs):
        raise RuntimeError("import failed")

    monkeypatch.setattr(Store, "import_plan", broken_import)
    folder = tmp_path / "new"
    with pytest.raises(RuntimeError, match="import failed"):
        Store.create(folder / "plan.sqlite", read_plan_file(seed_path).plan)
    assert folder.is_dir()
    assert listing(folder) == []


def test_create_failing_halfway_through_an_import_leaves_no_file(
    tmp_path: Path, seed_path: Path
) -> None:
    plan = read_plan_file(seed_path).plan
    plan.items()[20].lead_department = "   "  # refused after twenty items were written
    with pytest.raises(InvalidValueError):
        Store.create(tmp_path / "plan.sqlite", plan)
    assert listing(tmp_path) == []


def test_create_where_no_file_can_be_made_raises_a_store_error(
    tmp_path: Path, seed_path: Path
) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where a folder should be", encoding="utf-8")
    with pytest.raises(WriteFailedError):
        Store.create(blocker / "plan.sqlite", read_plan_file(seed_path).plan)
    assert listing(tmp_path) == ["blocker"]


def test_create_refuses_an_existing_file(plan_file: Path) -> None:
    before = digest(plan_file)
    with pytest.raises(FileExistsError):
        Store.create(plan_file)
    assert digest(plan_file) == before


def test_create_empty_file(tmp_path: Path) -> None:
    store = Store.create(tmp_path / "deeper" / "empty.sqlite")
    try:
        assert store.plans() == []
        assert store.check().ok
        assert len(store.meta()["file_id"]) == 36
        with pytest.raises(RowMissingError):
            store.load()
    finally:
        store.close()


def test_unusual_file_name_can_be_created_and_reopened(tmp_path: Path, seed_path: Path) -> None:
    path = tmp_path / f"静安 计划#1{QUESTION_MARK}%&=.sqlite"
    Store.create(path, read_plan_file(seed_path).plan).close()
    assert listing(tmp_path) == [path.name]
    store = Store.open(path)
    try:
        assert len(store.load().plan.items()) == 34
        store.set_actual(first_indicator_id(store), 1, 1)
    finally:
        store.close()
    assert listing(tmp_path) == [path.name]
    readonly = Store.open(path, readonly=True)
    try:
        assert readonly.check().counts["actual"] == 1
    finally:
        readonly.close()


# --- backups ----------------------------------------------------------------------------------


def test_backup_is_a_complete_openable_copy(store: Store, tmp_path: Path) -> None:
    indicator_id = first_indicator_id(store)
    store.set_actual(indicator_id, 1, 77)
    destination = tmp_path / "backups" / "plan-2022.sqlite"
    assert store.database.backup_to(destination) == destination
    assert listing(destination.parent) == ["plan-2022.sqlite"]

    copy = Store.open(destination)
    try:
        assert copy.check().counts == store.check().counts
        assert copy.check().ok
        assert copy.load().actual(indicator_id, 1).value == 77.0
        assert copy.meta()["file_id"] == store.meta()["file_id"]
        assert pragma(copy, "journal_mode") == "delete"
    finally:
        copy.close()

    # A second backup under the same name replaces the first.
    store.set_actual(indicator_id, 1, 78)
    store.database.backup_to(destination)
    assert listing(destination.parent) == ["plan-2022.sqlite"]
    copy = Store.open(destination, readonly=True)
    try:
        assert copy.load().actual(indicator_id, 1).value == 78.0
    finally:
        copy.close()


def test_backup_from_a_readonly_file(plan_file: Path, open_store, tmp_path: Path) -> None:
    store = open_store(plan_file, readonly=True)
    destination = tmp_path / "copy.sqlite"
    store.database.backup_to(destination)
    copy = open_store(destination)
    assert copy.check().counts == store.check().counts


# --- migrations -------------------------------------------------------------------------------


def test_split_sql_on_comments_strings_and_triggers() -> None:
    script = (
        "-- A migration; with a semicolon in a comment\n"
        "CREATE TABLE a (x TEXT DEFAULT 'a;b');  -- trailing comment\n"
        "\n"
        "/* a block comment */\n"
        "CREATE TRIGGER a_copy AFTER INSERT ON a BEGIN\n"
        "    INSERT INTO b VALUES (new.x);\n"
        "    INSERT INTO b VALUES (new.x || ';');\n"
        "END;\n"
        "CREATE TABLE b (y TEXT);\n"
        "INSERT INTO a VALUES ('1;2');\n"
        "-- the end\n"
    )
    statements = split_sql(script)
    assert len(statements) == 4
    assert "CREATE TABLE a (x TEXT DEFAULT 'a;b');" in statements[0]
    assert statements[1].startswith("/* a block comment */\nCREATE TRIGGER a_copy")
    assert statements[1].endswith("END;")
    assert statements[2] == "CREATE TABLE b (y TEXT);"
    assert statements[3] == "INSERT INTO a VALUES ('1;2');"
    conn = sqlite3.connect(":memory:")
    for statement in statements:
        conn.execute(statement)
    assert conn.execute("SELECT y FROM b ORDER BY y").fetchall() == [("1;2",), ("1;2;",)]


def test_split_sql_two_statements_and_nothing_else() -> None:
    assert split_sql("-- only a comment\n") == []
    assert split_sql("SELECT 1;\nSELECT 2;") == ["SELECT 1;", "SELECT 2;"]


def test_split_sql_refuses_an_unfinished_statement() -> None:
    with pytest.raises(ValueError, match="incomplete"):
        split_sql("CREATE TABLE a (x);\nCREATE TABLE b (y\n")


def test_migration_files_are_numbered_one_to_n() -> None:
    files = migration_files()
    assert [number for number, _ in files] == list(range(1, len(files) + 1))
    assert SCHEMA_VERSION == len(files) >= 1
    for number, path in files:
        assert path.name.startswith(f"{number:04d}_") and path.suffix == ".sql"
        assert split_sql(path.read_text(encoding="utf-8"))


def test_migration_numbering_gap_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "db" / "migrations"
    folder.mkdir(parents=True)
    (folder / "0001_a.sql").write_text("CREATE TABLE a (x);\n", encoding="utf-8")
    (folder / "0003_c.sql").write_text("CREATE TABLE c (x);\n", encoding="utf-8")
    from jingan_desktop.storage import migrations

    monkeypatch.setattr(migrations, "resource_path", lambda relative: tmp_path / relative)
    with pytest.raises(RuntimeError, match="not numbered"):
        migration_files()


def test_migrations_build_every_table() -> None:
    conn = sqlite3.connect(":memory:")
    for _, path in migration_files():
        for statement in split_sql(path.read_text(encoding="utf-8")):
            conn.execute(statement)
    names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert names >= {*TABLES, "change_log", "meta"}


def _version_zero_file(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    conn.close()
    assert read_header(path).user_version == 0


def test_file_at_version_zero_is_migrated_after_the_backup_hook(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    _version_zero_file(path)
    calls: list[Path] = []
    database = Database.open(path, before_migrate=calls.append)
    try:
        assert calls == [path]
        assert database.user_version() == SCHEMA_VERSION
        assert database.application_id() == APPLICATION_ID
        assert Store(database).check().ok
    finally:
        database.close()


def test_readonly_file_that_needs_migrating_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    _version_zero_file(path)
    before = digest(path)
    with pytest.raises(ReadOnlyError):
        Database.open(path, readonly=True)
    assert digest(path) == before
    database = Database.open(path, readonly=True, migrate=False)
    try:
        assert database.user_version() == 0
    finally:
        database.close()
    assert digest(path) == before


# --- paths ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "mode", "uri"),
    [
        (
            r"C:\Users\张三\plan.sqlite",
            "rw",
            "file:/C:/Users/%E5%BC%A0%E4%B8%89/plan.sqlite?mode=rw",
        ),
        (r"D:/mixed\seps/plan 2022.sqlite", "ro", "file:/D:/mixed/seps/plan%202022.sqlite?mode=ro"),
        (r"\\server\share\plan.sqlite", "rw", "file:////server/share/plan.sqlite?mode=rw"),
        (
            r"\\server\share\静安\a#1?%.sqlite",
            "ro",
            "file:////server/share/%E9%9D%99%E5%AE%89/a%231%3F%25.sqlite?mode=ro",
        ),
    ],
)
def test_sqlite_uri_windows(path: str, mode: str, uri: str) -> None:
    assert sqlite_uri(path, mode, windows=True) == uri


def test_sqlite_uri_posix() -> None:
    assert (
        sqlite_uri("/data/静安 计划#1?%.sqlite", "ro", windows=False)
        == "file:/data/%E9%9D%99%E5%AE%89%20%E8%AE%A1%E5%88%92%231%3F%25.sqlite?mode=ro"
    )


@pytest.mark.skipif(
    sys.platform == "win32", reason="a relative POSIX path needs a POSIX working folder"
)
def test_sqlite_uri_posix_relative(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert sqlite_uri("relative.sqlite", "rw", windows=False) == (
        f"file:{tmp_path / 'relative.sqlite'}?mode=rw"
    )


def test_sqlite_uri_opens_exactly_the_named_file(tmp_path: Path) -> None:
    path = tmp_path / f"静安 计划#1{QUESTION_MARK}%&=.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE t (x)")
    conn.close()
    conn = sqlite3.connect(sqlite_uri(path, "ro"), uri=True)  # this OS's own form
    try:
        assert conn.execute("SELECT name FROM sqlite_master").fetchall() == [("t",)]
    finally:
        conn.close()
    assert listing(tmp_path) == [path.name]


def test_data_dir_override_wins_everywhere() -> None:
    env = {"JINGAN_DATA_DIR": "/portable/data", "LOCALAPPDATA": "/la", "XDG_DATA_HOME": "/xdg"}
    for platform in ("win32", "darwin", "linux"):
        assert data_dir(env=env, platform=platform) == Path("/portable/data")
    # An empty override is no override.
    assert data_dir(env={"JINGAN_DATA_DIR": "", "XDG_DATA_HOME": "/xdg"}, platform="linux") == (
        Path("/xdg") / APP_DIR_NAME
    )


def test_data_dir_windows() -> None:
    local = r"C:\Users\张三\AppData\Local"
    found = data_dir(env={"LOCALAPPDATA": local, "APPDATA": r"C:\roaming"}, platform="win32")
    assert PureWindowsPath(str(found)) == PureWindowsPath(local) / "jingan-desktop"
    found = data_dir(env={"USERPROFILE": r"C:\Users\张三"}, platform="win32")
    assert PureWindowsPath(str(found)) == PureWindowsPath(
        r"C:\Users\张三\AppData\Local\jingan-desktop"
    )


def test_data_dir_macos_and_linux() -> None:
    assert data_dir(env={}, platform="darwin") == (
        Path.home() / "Library" / "Application Support" / "jingan-desktop"
    )
    assert data_dir(env={"XDG_DATA_HOME": "/xdg"}, platform="linux") == Path("/xdg/jingan-desktop")
    assert data_dir(env={}, platform="linux") == Path.home() / ".local/share/jingan-desktop"
    assert data_dir(env={"XDG_DATA_HOME": ""}, platform="linux") == (
        Path.home() / ".local/share/jingan-desktop"
    )


def test_data_dir_reads_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JINGAN_DATA_DIR", str(tmp_path / "here"))
    assert data_dir() == tmp_path / "here"


def test_a_file_of_two_years_loads_each_plan_with_its_own_figures(seed_store, seed_path) -> None:
    """With more than one plan in the file, loading one reads none of the other's rows."""
    from jingan_desktop.plan.parser import parse_plan

    plan_2022 = seed_store.plan_id_for_year(2022)
    text = seed_path.read_text(encoding="utf-8").replace("2022", "2023")
    plan_2023 = seed_store.import_plan(parse_plan(text).plan)
    ind_2022 = seed_store.load(plan_2022).plan.indicators()[0].id
    ind_2023 = seed_store.load(plan_2023).plan.indicators()[0].id
    item_2023 = seed_store.load(plan_2023).plan.items()[0].id
    seed_store.set_actual(ind_2022, 1, 11)
    seed_store.set_actual(ind_2023, 1, 23)
    seed_store.set_progress(item_2023, 1, text="二〇二三年的进展")
    with sqlite3.connect(seed_store.path) as conn:
        counts = dict(conn.execute("SELECT quarter, count(*) FROM actual GROUP BY quarter"))
    assert counts == {1: 2}
    for plan_id, indicator, value in ((plan_2022, ind_2022, 11), (plan_2023, ind_2023, 23)):
        data = seed_store.load(plan_id)
        assert {key: a.value for key, a in data.actuals.items()} == {(indicator, 1): value}
    assert list(seed_store.load(plan_2022).progress) == []
    assert [p.text for p in seed_store.load(plan_2023).progress.values()] == ["二〇二三年的进展"]
