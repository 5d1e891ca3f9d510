"""Merges the way a district office really produces them: awkward merge orders, concurrent
structural edits, locks on one side, old schemas and hostile copies, and random sessions over
several copies. Driven through the ``merge`` command (or the functions the 合并副本 dialog
calls); the files are checked afterwards with plain sqlite3."""

from __future__ import annotations

import json
import shutil
import sqlite3
import uuid
from pathlib import Path

import pytest

from jingan_desktop.cli import main
from jingan_desktop.storage.merge import apply_merge, plan_merge
from jingan_desktop.storage.store import Store, pair_id


def open_as(path: Path, actor: tuple[str, str]) -> Store:
    store = Store.open(path)
    store.actor = actor
    return store


def query(path: Path, sql: str, params: tuple = ()) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def execute(path: Path, *statements: tuple[str, tuple]) -> None:
    conn = sqlite3.connect(path)
    try:
        for sql, params in statements:
            conn.execute(sql, params)
        conn.commit()
    finally:
        conn.close()


def merge(master: Path, copy: Path, *extra: str) -> int:
    return main(["merge", "--db", str(master), "--from", str(copy), *extra])


def check(path: Path) -> int:
    return main(["check", "--db", str(path)])


def data(path: Path) -> dict[str, set[tuple]]:
    """Every field a clerk sees, departments by name."""
    conn = sqlite3.connect(path)
    try:
        names = dict(conn.execute("SELECT id, name FROM department"))

        def rows(sql: str) -> set[tuple]:
            return set(conn.execute(sql))

        items = {
            (i, c, p, n, t, x, names.get(lead), tuple(sorted(names.get(d, "?") for d in json.loads(co))), due, w)
            for i, c, p, n, t, x, lead, co, due, w in conn.execute(
                "SELECT id, chapter_id, position, number, title, text, lead_department_id,"
                " co_department_ids, due_date, weight FROM item"
            )
        }
        return {
            "department": rows("SELECT name FROM department"),
            "plan": rows("SELECT id, title, year FROM plan"),
            "chapter": rows("SELECT id, plan_id, position, numeral, title FROM chapter"),
            "item": items,
            "indicator": rows(
                "SELECT id, item_id, position, name, value, unit, comparator, kind FROM indicator"
            ),
            "actual": rows("SELECT id, indicator_id, quarter, value, note FROM actual"),
            "progress": rows("SELECT id, item_id, quarter, status, text FROM progress"),
            "quarter_lock": rows("SELECT id, plan_id, quarter, locked FROM quarter_lock"),
        }
    finally:
        conn.close()


@pytest.fixture
def files(tmp_path: Path, template_file: Path) -> tuple[Path, Path]:
    master = tmp_path / "master" / "plan.sqlite"
    copy = tmp_path / "stick" / "plan.sqlite"
    for path in (master, copy):
        path.parent.mkdir()
        shutil.copyfile(template_file, path)
    return master, copy


def indicator_of(path: Path, index: int) -> str:
    return query(path, "SELECT id FROM indicator ORDER BY item_id, position, id")[index][0]


def item_of(path: Path, index: int) -> str:
    return query(
        path,
        "SELECT i.id FROM item i JOIN chapter c ON c.id = i.chapter_id ORDER BY c.position, i.position",
    )[index][0]


# --- hostile copies -----------------------------------------------------------------------------


def forge_entry(path: Path, tbl: str, row_id: str, field: str | None, old, new, op="update"):
    execute(
        path,
        (
            "INSERT INTO change_log (id, txn, ts, user, machine, source, op, tbl, row_id, field,"
            " old, new, summary) VALUES (?, ?, '2099-01-01T00:00:00.000000+00:00', 'x', 'X',"
            " 'edit', ?, ?, ?, ?, ?, ?, '')",
            (str(uuid.uuid4()), str(uuid.uuid4()), op, tbl, row_id, field, old, new),
        ),
    )


def test_a_forged_entry_for_a_row_the_copy_still_has_elsewhere_does_not_delete_it(files, capsys):
    """A change-log entry claiming an edit of a master row the copy does not hold is not a
    removal: nothing in the copy's log removed it (a department file leaves rows out, a forged
    log invents entries). The master keeps the item and its figures."""
    master_path, copy_path = files
    item = item_of(master_path, 3)
    execute(copy_path, ("PRAGMA foreign_keys = ON", ()), ("DELETE FROM item WHERE id = ?", (item,)))
    forge_entry(copy_path, "item", item, "title", '"旧"', '"新"')
    assert merge(master_path, copy_path, "--prefer", "theirs") == 0
    assert query(master_path, "SELECT count(*) FROM item WHERE id = ?", (item,)) == [(1,)]
    assert check(master_path) == 0


def test_a_forged_entry_for_a_row_nobody_has_changes_nothing(files, capsys):
    master_path, copy_path = files
    before = data(master_path)
    forge_entry(copy_path, "item", str(uuid.uuid4()), "title", '"a"', '"b"')
    forge_entry(copy_path, "actual", str(uuid.uuid4()), None, None, '{"id": 1}', op="insert")
    assert merge(master_path, copy_path, "--prefer", "theirs") == 0
    assert data(master_path) == before
    assert check(master_path) == 0


@pytest.mark.parametrize(
    "tbl",
    [
        "meta",
        "sqlite_master",
        "item] WHERE 1; DROP TABLE item; --",
        'item"; DROP TABLE item; --',
        "change_log",
    ],
)
def test_a_log_entry_naming_a_table_that_is_not_ours_is_never_used(files, tbl, capsys):
    master_path, copy_path = files
    before = data(master_path)
    meta = query(master_path, "SELECT key, value FROM meta")
    forge_entry(copy_path, tbl, "file_id", "value", '"x"', '"y"')
    forge_entry(copy_path, tbl, "file_id", None, '{"key": "file_id"}', None, op="delete")
    code = merge(master_path, copy_path, "--prefer", "theirs")
    assert code in (0, 2)
    assert data(master_path) == before
    assert query(master_path, "SELECT key, value FROM meta") == meta
    assert query(master_path, "SELECT count(*) FROM change_log WHERE tbl = ?", (tbl,)) == [(0,)]
    assert check(master_path) == 0


def test_a_log_entry_naming_a_column_that_is_not_ours_is_never_used(files, capsys):
    master_path, copy_path = files
    before = data(master_path)
    item = item_of(master_path, 0)
    forge_entry(copy_path, "item", item, "title = 'x', number", '"a"', '"b"')
    forge_entry(copy_path, "item", item, "version", "1", "99")
    assert merge(master_path, copy_path, "--prefer", "theirs") in (0, 2)
    assert data(master_path) == before
    assert check(master_path) == 0


@pytest.mark.parametrize("text", ["not json", "{", "[1,"])
def test_a_log_entry_with_a_damaged_value_is_refused_in_one_line(files, text, capsys):
    master_path, copy_path = files
    before = data(master_path)
    log = query(master_path, "SELECT count(*) FROM change_log")
    forge_entry(copy_path, "item", item_of(copy_path, 0), "title", text, text)
    code = merge(master_path, copy_path, "--prefer", "theirs")
    err = capsys.readouterr().err
    assert code in (0, 2)
    if code == 2:
        assert err.strip() and "\n" not in err.strip() and "Traceback" not in err
    assert data(master_path) == before
    assert query(master_path, "SELECT count(*) FROM change_log") == log
    assert check(master_path) == 0


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE actual SET value = 'viel' WHERE id = :a",
        "UPDATE actual SET quarter = 'Q2' WHERE id = :a",
        "UPDATE item SET co_department_ids = 'not json' WHERE id = :i",
        "UPDATE item SET co_department_ids = '{\"a\": 1}' WHERE id = :i",
        "UPDATE item SET co_department_ids = '[1, null]' WHERE id = :i",
        "UPDATE item SET number = 'drei' WHERE id = :i",
        "UPDATE item SET weight = x'00ff' WHERE id = :i",
        "UPDATE indicator SET value = 'abc' WHERE id = :n",
    ],
)
def test_values_of_the_wrong_type_never_reach_the_master(files, sql, capsys):
    """A copy edited outside the app (or damaged) holds values of the wrong type: the merge
    refuses them in one line (or leaves them out), never writes them, never crashes."""
    master_path, copy_path = files
    copy = open_as(copy_path, ("dept", "PC-2"))
    indicator, item = indicator_of(copy_path, 0), item_of(copy_path, 0)
    copy.set_actual(indicator, 2, 5.0)
    copy.update_field("item", item, "title", "副本改的标题")
    copy.update_field("indicator", indicator, "value", 12.0)
    copy.close()
    names = {"a": pair_id(indicator, 2), "i": item, "n": indicator}
    conn = sqlite3.connect(copy_path)
    conn.execute("PRAGMA ignore_check_constraints = ON")
    conn.execute(sql, names)
    conn.commit()
    conn.close()
    code = merge(master_path, copy_path, "--prefer", "theirs")
    err = capsys.readouterr().err
    assert code in (0, 2), err
    assert "Traceback" not in err
    assert query(master_path, "SELECT typeof(value) FROM actual") in ([], [("real",)])
    assert {t for (t,) in query(master_path, "SELECT typeof(number) FROM item")} == {"integer"}
    assert {t for (t,) in query(master_path, "SELECT typeof(weight) FROM item")} <= {"real", "integer"}
    assert {t for (t,) in query(master_path, "SELECT typeof(value) FROM indicator")} <= {"real", "null"}
    for (co,) in query(master_path, "SELECT co_department_ids FROM item"):
        assert isinstance(json.loads(co), list) and all(isinstance(d, str) for d in json.loads(co))
    assert check(master_path) == 0


def test_the_master_itself_under_another_name_is_refused(files, tmp_path, capsys):
    master_path, _ = files
    link = tmp_path / "link.sqlite"
    link.symlink_to(master_path)
    before = query(master_path, "SELECT count(*) FROM change_log")
    assert merge(master_path, link) == 2
    assert merge(master_path, master_path.parent / ".." / "master" / "plan.sqlite") == 2
    hard = tmp_path / "hard.sqlite"
    hard.hardlink_to(master_path)
    assert merge(master_path, hard) == 2
    assert query(master_path, "SELECT count(*) FROM change_log") == before
    err = capsys.readouterr().err
    assert "itself" in err


def test_files_that_are_not_copies_are_refused_in_one_line(files, tmp_path, capsys):
    master_path, _ = files
    other = tmp_path / "other.sqlite"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    text = tmp_path / "notes.sqlite"
    text.write_text("hello", encoding="utf-8")
    truncated = tmp_path / "truncated.sqlite"
    truncated.write_bytes(master_path.read_bytes()[:5000])
    newer = tmp_path / "newer.sqlite"
    shutil.copyfile(master_path, newer)
    execute(newer, ("PRAGMA user_version = 99", ()))
    damaged = tmp_path / "damaged.sqlite"
    raw = bytearray(master_path.read_bytes())
    for offset in range(4096 * 3, len(raw), 4096 * 5):
        raw[offset : offset + 200] = b"\xa5" * 200
    damaged.write_bytes(bytes(raw))
    empty = tmp_path / "empty.sqlite"
    empty.write_bytes(b"")
    before = master_path.read_bytes()
    for bad in (other, text, truncated, newer, damaged, empty, tmp_path):
        capsys.readouterr()
        assert merge(master_path, bad) == 2, bad
        err = capsys.readouterr().err.strip()
        assert err and "\n" not in err and "Traceback" not in err, (bad, err)
    assert master_path.read_bytes() == before


def test_a_huge_change_log_of_nothing_merges_without_harm(files, capsys):
    master_path, copy_path = files
    conn = sqlite3.connect(copy_path)
    rows = [
        (str(uuid.uuid4()), "t", f"2023-01-01T00:00:{i % 60:02d}", "x", "X", "edit", "update",
         "item", str(uuid.uuid4()), "title", '"a"', '"b"', "")
        for i in range(20000)
    ]
    conn.executemany("INSERT INTO change_log VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
    conn.commit()
    conn.close()
    before = data(master_path)
    assert merge(master_path, copy_path) == 0
    assert data(master_path) == before
    capsys.readouterr()
    assert merge(master_path, copy_path) == 0
    assert "nothing new" in capsys.readouterr().out


# --- schema versions ---------------------------------------------------------------------------


def to_schema_1(path: Path) -> None:
    execute(path, ("DROP TABLE id_alias", ()), ("PRAGMA user_version = 1", ()))


def test_a_copy_of_schema_1_merges_into_a_master_of_schema_2(files, capsys):
    master_path, copy_path = files
    copy = open_as(copy_path, ("dept", "PC-2"))
    indicator = indicator_of(copy_path, 2)
    copy.set_actual(indicator, 1, 42.0)
    copy.close()
    to_schema_1(copy_path)
    copy_bytes = copy_path.read_bytes()
    code = merge(master_path, copy_path)
    out, err = capsys.readouterr()
    assert code in (0, 2), err
    if code == 2:  # refused: in one line, naming what to do
        assert "schema" in err and "\n" not in err.strip()
    else:
        assert query(
            master_path, "SELECT value FROM actual WHERE id = ?", (pair_id(indicator, 1),)
        ) == [(42.0,)]
    assert copy_path.read_bytes() == copy_bytes  # the copy is only read
    assert check(master_path) == 0


def test_a_master_of_schema_1_merges_a_copy_of_schema_2(files, capsys):
    master_path, copy_path = files
    copy = open_as(copy_path, ("dept", "PC-2"))
    indicator = indicator_of(copy_path, 2)
    copy.set_actual(indicator, 1, 42.0)
    copy.close()
    to_schema_1(master_path)
    assert merge(master_path, copy_path) == 0
    assert query(
        master_path, "SELECT value FROM actual WHERE id = ?", (pair_id(indicator, 1),)
    ) == [(42.0,)]
    assert check(master_path) == 0
