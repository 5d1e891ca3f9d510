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
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from merge_helpers import check, execute, merge, open_as, play_steps, query

from jingan_desktop.storage.merge import apply_merge, plan_merge
from jingan_desktop.storage.store import Store, pair_id


def data(path: Path) -> dict[str, set[tuple]]:
    """Every field a clerk sees, departments by name."""
    conn = sqlite3.connect(path)
    try:
        names = dict(conn.execute("SELECT id, name FROM department"))

        def rows(sql: str) -> set[tuple]:
            return set(conn.execute(sql))

        items = {
            (
                i,
                c,
                p,
                n,
                t,
                x,
                names.get(lead),
                tuple(sorted(names.get(d, "?") for d in json.loads(co))),
                due,
                w,
            )
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


DEPARTMENTS = ("区商务委", "区科委", "区财政局", "区发展改革委")


@pytest.fixture
def staffed(files: tuple[Path, Path]) -> tuple[Path, Path]:
    """The master with lead and co-departments on its first items, and a copy of it."""
    master_path, copy_path = files
    store = open_as(master_path, ("office", "PC-1"))
    for index in range(12):
        store.set_item_departments(
            item_of(master_path, index),
            lead=DEPARTMENTS[index % 4],
            co=[DEPARTMENTS[(index + 1) % 4]],
        )
    store.close()
    shutil.copyfile(master_path, copy_path)
    return master_path, copy_path


def indicator_of(path: Path, index: int) -> str:
    """The plan's ``index``-th indicator in plan order (ids are random: never order by them)."""
    return query(
        path,
        "SELECT n.id FROM indicator n JOIN item i ON i.id = n.item_id"
        " JOIN chapter c ON c.id = i.chapter_id ORDER BY c.position, i.position, n.position",
    )[index][0]


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
    assert {t for (t,) in query(master_path, "SELECT typeof(weight) FROM item")} <= {
        "real",
        "integer",
    }
    assert {t for (t,) in query(master_path, "SELECT typeof(value) FROM indicator")} <= {
        "real",
        "null",
    }
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
        (
            str(uuid.uuid4()),
            "t",
            f"2023-01-01T00:00:{i % 60:02d}",
            "x",
            "X",
            "edit",
            "update",
            "item",
            str(uuid.uuid4()),
            "title",
            '"a"',
            '"b"',
            "",
        )
        for i in range(5000)
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
    assert merge(master_path, copy_path) == 0, capsys.readouterr().err  # upgraded in memory
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


# --- merge orders ------------------------------------------------------------------------------


def both_ways(a: Path, b: Path, prefer: str = "ours") -> None:
    """a takes b (its own side on conflicts), then b takes a's result."""
    assert merge(a, b, "--prefer", prefer) in (0,)
    assert merge(b, a, "--prefer", "theirs") in (0,)


def settled(*paths: Path) -> None:
    """All files agree on every field, each passes check, and merging again changes nothing."""
    first = data(paths[0])
    for path in paths:
        assert data(path) == first, path
        assert check(path) == 0, path
        assert query(path, "PRAGMA foreign_key_check") == []
    for path in paths[1:]:
        before = [path.read_bytes(), paths[0].read_bytes()]
        assert merge(paths[0], path) == 0
        assert merge(path, paths[0]) == 0
        assert [data(path), data(paths[0])] == [first, first]
        del before


def test_a_copy_merged_into_a_copy_and_then_both_into_the_master(files, tmp_path, capsys):
    master_path, a_path = files
    b_path = tmp_path / "b.sqlite"
    shutil.copyfile(master_path, b_path)
    a = open_as(a_path, ("a", "PC-A"))
    a.set_actual(indicator_of(a_path, 0), 2, 1.0)
    a.set_item_departments(item_of(a_path, 1), lead="区数据局")
    a.close()
    b = open_as(b_path, ("b", "PC-B"))
    b.set_actual(indicator_of(b_path, 1), 2, 2.0)
    b.set_item_departments(item_of(b_path, 2), lead="区数据局")
    b.close()
    assert merge(b_path, a_path) == 0  # A → B (a copy into a copy)
    m = open_as(master_path, ("m", "PC-M"))
    m.set_actual(indicator_of(master_path, 2), 2, 3.0)
    m.set_item_departments(item_of(master_path, 3), co=["区数据局"])  # typed in a third time
    m.close()
    assert merge(master_path, b_path) == 0  # B → M
    assert merge(master_path, a_path) == 0  # A → M: already in through B
    capsys.readouterr()
    assert merge(master_path, a_path) == 0
    assert "nothing new" in capsys.readouterr().out
    assert merge(a_path, master_path) == 0  # M → A
    assert merge(b_path, master_path) == 0  # M → B
    assert merge(b_path, a_path) == 0  # B → A after all that
    assert query(master_path, "SELECT count(*) FROM department WHERE name = '区数据局'") == [(1,)]
    values = dict(query(master_path, "SELECT indicator_id, value FROM actual WHERE quarter = 2"))
    assert [values[indicator_of(master_path, i)] for i in range(3)] == [1.0, 2.0, 3.0]
    settled(master_path, a_path, b_path)


def export_department(master: Path, name: str, target: Path) -> Path:
    from jingan_desktop.storage.merge import export_department_file

    store = open_as(master, ("office", "PC-1"))
    try:
        return export_department_file(store, name, target)
    finally:
        store.close()


def lead_of(path: Path, item: str) -> str:
    return query(
        path,
        "SELECT d.name FROM item i JOIN department d ON d.id = i.lead_department_id WHERE i.id = ?",
        (item,),
    )[0][0]


def test_a_department_return_merged_twice_and_after_a_restore(staffed, tmp_path, capsys):
    from jingan_desktop.storage.backup import list_backups, restore

    master_path, _ = staffed
    item = item_of(master_path, 0)
    department = lead_of(master_path, item)
    ret = export_department(master_path, department, tmp_path / "return.sqlite")
    dept = open_as(ret, ("dept", "PC-D"))
    dept.set_progress(item, 2, text="部门填报的进展")
    dept.close()
    assert merge(master_path, ret) == 0
    capsys.readouterr()
    assert merge(master_path, ret) == 0  # the same return a second time
    assert "nothing new" in capsys.readouterr().out
    cell = pair_id(item, 2)
    assert query(master_path, "SELECT text FROM progress WHERE id = ?", (cell,)) == [
        ("部门填报的进展",)
    ]
    # The office restores the backup taken before the merge: the return's text goes.
    (before_merge,) = [b for b in list_backups(master_path) if b.reason == "merge"][:1]
    m = open_as(master_path, ("office", "PC-1"))
    restore(m.database, before_merge.path)
    m.close()
    assert query(master_path, "SELECT text FROM progress WHERE id = ?", (cell,)) in ([], [("",)])
    # Merging the same return again does not quietly put it back.
    capsys.readouterr()
    merge(master_path, ret)
    assert query(master_path, "SELECT text FROM progress WHERE id = ?", (cell,)) in ([], [("",)])
    # The department's next edit comes as a visible conflict, and taking it works.
    dept = open_as(ret, ("dept", "PC-D"))
    dept.set_progress(item, 2, text="部门再次填报")
    dept.close()
    capsys.readouterr()
    assert merge(master_path, ret, "--prefer", "theirs") == 0
    assert "CONFLICT" in capsys.readouterr().out
    assert query(master_path, "SELECT text FROM progress WHERE id = ?", (cell,)) == [
        ("部门再次填报",)
    ]
    assert check(master_path) == 0


def test_a_copy_made_from_an_old_backup_does_not_undo_later_work(files, tmp_path, capsys):
    from jingan_desktop.storage.backup import take_backup

    master_path, _ = files
    m = open_as(master_path, ("office", "PC-1"))
    old = take_backup(m.database, "manual")
    m.set_actual(indicator_of(master_path, 0), 1, 10.0)
    m.remove_row("item", item_of(master_path, 5))
    m.close()
    stick = tmp_path / "from-backup.sqlite"
    shutil.copyfile(old, stick)
    c = open_as(stick, ("dept", "PC-2"))
    c.set_actual(indicator_of(stick, 1), 1, 20.0)
    c.close()
    assert merge(master_path, stick) == 0
    values = dict(query(master_path, "SELECT indicator_id, value FROM actual WHERE quarter = 1"))
    assert values[indicator_of(master_path, 0)] == 10.0
    assert 20.0 in values.values()
    assert query(master_path, "SELECT count(*) FROM item") == [(33,)]
    both_ways(master_path, stick)
    settled(master_path, stick)


# --- concurrent structural edits ---------------------------------------------------------------


def test_both_sides_move_items_in_the_same_chapter(files, capsys):
    master_path, copy_path = files
    m = open_as(master_path, ("m", "PC-M"))
    m.move_row("item", item_of(master_path, 2), 1)
    m.close()
    c = open_as(copy_path, ("c", "PC-C"))
    c.move_row("item", item_of(copy_path, 3), -1)
    c.move_row("item", item_of(copy_path, 0), 1)
    c.close()
    both_ways(master_path, copy_path)
    settled(master_path, copy_path)
    chapters = query(master_path, "SELECT chapter_id, position, count(*) FROM item GROUP BY 1, 2")
    assert all(n == 1 for _, _, n in chapters)  # no two items at one place


def test_a_chapter_removed_while_the_other_side_adds_an_item_under_it(files, capsys):
    master_path, copy_path = files
    chapter = query(master_path, "SELECT id FROM chapter ORDER BY position")[1][0]
    m = open_as(master_path, ("m", "PC-M"))
    m.remove_row("chapter", chapter)
    m.close()
    c = open_as(copy_path, ("c", "PC-C"))
    new_item, _ = c.add_item(chapter, title="副本新增的事项")
    c.close()
    assert merge(master_path, copy_path) == 1  # a conflict, listed
    assert "CONFLICT" in capsys.readouterr().out
    assert merge(master_path, copy_path, "--prefer", "theirs") == 0  # the chain comes back
    assert query(master_path, "SELECT title FROM item WHERE id = ?", (new_item,)) == [
        ("副本新增的事项",)
    ]
    assert merge(copy_path, master_path, "--prefer", "theirs") == 0
    settled(master_path, copy_path)


def test_a_chapter_removed_in_the_copy_while_the_master_adds_an_item_under_it(files, capsys):
    master_path, copy_path = files
    chapter = query(master_path, "SELECT id FROM chapter ORDER BY position")[1][0]
    m = open_as(master_path, ("m", "PC-M"))
    new_item, _ = m.add_item(chapter, title="本文件新增的事项")
    m.close()
    c = open_as(copy_path, ("c", "PC-C"))
    c.remove_row("chapter", chapter)
    c.close()
    assert merge(master_path, copy_path) == 1
    assert merge(master_path, copy_path, "--prefer", "ours") == 0
    assert query(master_path, "SELECT title FROM item WHERE id = ?", (new_item,)) == [
        ("本文件新增的事项",)
    ]
    assert merge(copy_path, master_path, "--prefer", "theirs") == 0
    settled(master_path, copy_path)


@pytest.mark.parametrize("prefer", ["ours", "theirs"])
def test_both_rename_the_same_department_differently(staffed, prefer, capsys):
    master_path, copy_path = staffed
    (department, name), *_ = query(master_path, "SELECT id, name FROM department ORDER BY position")
    m = open_as(master_path, ("m", "PC-M"))
    m.rename_department(department, name + "（本）")
    m.close()
    c = open_as(copy_path, ("c", "PC-C"))
    c.rename_department(department, name + "（副）")
    c.close()
    assert merge(master_path, copy_path) == 1
    assert merge(master_path, copy_path, "--prefer", prefer) == 0
    expected = name + ("（本）" if prefer == "ours" else "（副）")
    assert query(master_path, "SELECT name FROM department WHERE id = ?", (department,)) == [
        (expected,)
    ]
    assert merge(copy_path, master_path, "--prefer", "theirs") == 0
    settled(master_path, copy_path)


def test_both_change_an_items_departments(staffed, capsys):
    master_path, copy_path = staffed
    item = item_of(master_path, 4)
    m = open_as(master_path, ("m", "PC-M"))
    m.set_item_departments(item, lead="区数据局", co=["区发展改革委"])
    m.close()
    c = open_as(copy_path, ("c", "PC-C"))
    c.set_item_departments(item, lead="区财政局", co=["区数据局", "区财政局"])
    c.close()
    assert merge(master_path, copy_path) == 1
    out = capsys.readouterr().out
    assert out.count("CONFLICT (field)") == 2, out
    assert merge(master_path, copy_path, "--prefer", "theirs") == 0
    assert lead_of(master_path, item) == "区财政局"
    assert merge(copy_path, master_path, "--prefer", "theirs") == 0
    settled(master_path, copy_path)


def test_a_department_deleted_and_recreated_with_the_same_name(staffed, capsys):
    master_path, copy_path = staffed
    item = item_of(master_path, 0)
    name = lead_of(master_path, item)
    old_id = query(master_path, "SELECT id FROM department WHERE name = ?", (name,))[0][0]
    c = open_as(copy_path, ("c", "PC-C"))
    c.remove_department(old_id)
    c.set_item_departments(item_of(copy_path, 7), lead=name)  # typed in again: a new id
    c.close()
    m = open_as(master_path, ("m", "PC-M"))
    m.set_item_departments(item_of(master_path, 9), co=[name])  # the master uses the old one
    m.close()
    code = merge(master_path, copy_path, "--prefer", "theirs")
    err = capsys.readouterr().err
    assert code == 0, err
    assert lead_of(master_path, item_of(master_path, 7)) == name
    assert query(master_path, "SELECT count(*) FROM department WHERE name = ?", (name,)) == [(1,)]
    assert merge(copy_path, master_path, "--prefer", "theirs") == 0
    settled(master_path, copy_path)


# --- locks -------------------------------------------------------------------------------------


def plan_id(path: Path) -> str:
    return query(path, "SELECT id FROM plan")[0][0]


def test_a_quarter_locked_in_the_copy_but_not_in_the_master(files, capsys):
    master_path, copy_path = files
    ind = indicator_of(master_path, 0)
    c = open_as(copy_path, ("c", "PC-C"))
    c.set_actual(ind, 1, 5.0)
    c.set_quarter_locked(plan_id(copy_path), 1, True, {"actuals": {ind: 5.0}})
    c.close()
    m = open_as(master_path, ("m", "PC-M"))
    m.set_actual(ind, 1, 6.0)  # the master's own Q1 figure, typed meanwhile
    m.close()
    assert merge(master_path, copy_path, "--prefer", "theirs") == 0
    cell = pair_id(ind, 1)
    # Whatever the merge did, neither figure vanished without being listed.
    assert query(master_path, "SELECT value FROM actual WHERE id = ?", (cell,)) in (
        [(5.0,)],
        [(6.0,)],
    )
    capsys.readouterr()
    merge(copy_path, master_path, "--prefer", "theirs")
    out = capsys.readouterr().out
    values = {query(p, "SELECT value FROM actual WHERE id = ?", (cell,))[0][0] for p in files}
    assert values == {5.0} or "NOT MERGED" in out or "CONFLICT" in out
    for path in files:
        assert check(path) == 0


def test_a_quarter_locked_on_both_sides_with_different_snapshots(files, capsys):
    master_path, copy_path = files
    ind = indicator_of(master_path, 0)
    for path, value in ((master_path, 5.0), (copy_path, 7.0)):
        s = open_as(path, ("x", str(path)))
        s.set_actual(ind, 1, value)
        s.set_quarter_locked(plan_id(path), 1, True, {"actuals": {ind: value}})
        s.close()
    assert merge(master_path, copy_path) == 1  # conflicts, listed
    assert merge(master_path, copy_path, "--prefer", "theirs") == 0
    cell = pair_id(ind, 1)
    assert query(master_path, "SELECT value FROM actual WHERE id = ?", (cell,)) == [(5.0,)]
    assert merge(copy_path, master_path, "--prefer", "theirs") == 0
    for path in files:
        assert check(path) == 0
    # Unlocked on both, the figures meet.
    for path in files:
        s = open_as(path, ("x", str(path)))
        s.set_quarter_locked(plan_id(path), 1, False)
        s.close()
    assert merge(master_path, copy_path, "--prefer", "ours") == 0
    assert merge(copy_path, master_path, "--prefer", "theirs") == 0
    settled(master_path, copy_path)


# --- random sessions over several copies -------------------------------------------------------

NAMES = ("区商务委", "区科委", "区数据局")
edits = st.one_of(
    st.tuples(st.just("actual"), st.integers(0, 40), st.integers(1, 4), st.integers(0, 999)),
    st.tuples(st.just("text"), st.integers(0, 40), st.integers(1, 4), st.integers(0, 99)),
    st.tuples(st.just("title"), st.integers(0, 40), st.integers(0, 99)),
    st.tuples(st.just("move"), st.integers(0, 40), st.sampled_from([-1, 1])),
    st.tuples(st.just("remove_item"), st.integers(0, 40)),
    st.tuples(st.just("remove_chapter"), st.integers(0, 6)),
    st.tuples(st.just("add_item"), st.integers(0, 6)),
    st.tuples(st.just("add_indicator"), st.integers(0, 40)),
    st.tuples(st.just("lead"), st.integers(0, 40), st.sampled_from(NAMES)),
    st.tuples(st.just("co"), st.integers(0, 40), st.sampled_from(NAMES)),
    st.tuples(st.just("rename"), st.sampled_from(NAMES), st.integers(0, 3)),
    st.tuples(st.just("drop_department"), st.sampled_from(NAMES)),
    st.tuples(st.just("lock"), st.integers(1, 4), st.booleans()),
)
sessions = st.lists(
    st.one_of(
        st.tuples(st.just("edit"), st.integers(0, 2), edits),
        st.tuples(
            st.just("merge"),
            st.integers(0, 2),
            st.integers(0, 2),
            st.sampled_from(["ours", "theirs"]),
        ),
    ),
    min_size=2,
    max_size=12,
)


def clerk_edit(store: Store, op: tuple, seq: int, made: list) -> None:
    """One edit as a clerk makes it; an edit the app refuses (a locked quarter, a removed row,
    a taken name) is refused here too and recorded as not made."""
    from jingan_desktop.storage.database import StoreError

    loaded = store.load()
    plan = loaded.plan
    items, indicators, chapters = plan.items(), plan.indicators(), plan.chapters
    kind = op[0]
    removed: list = []
    try:
        if kind == "actual" and indicators:
            ind = indicators[op[1] % len(indicators)]
            store.set_actual(ind.id, op[2], float(op[3]))
            made.append((seq, ("actual", pair_id(ind.id, op[2])), float(op[3]), ind.id, store.path))
        elif kind == "text" and items:
            item = items[op[1] % len(items)]
            store.set_progress(item.id, op[2], text=f"进展{op[3]}")
            made.append(
                (seq, ("progress", pair_id(item.id, op[2])), f"进展{op[3]}", item.id, store.path)
            )
        elif kind == "title" and items:
            store.update_field("item", items[op[1] % len(items)].id, "title", f"标题{op[2]}")
        elif kind == "move" and items:
            store.move_row("item", items[op[1] % len(items)].id, op[2])
        elif kind == "remove_item" and items:
            removed = store.remove_row("item", items[op[1] % len(items)].id)
        elif kind == "remove_chapter" and len(chapters) > 1:
            removed = store.remove_row("chapter", chapters[op[1] % len(chapters)].id)
        elif kind == "add_item" and chapters:
            store.add_item(chapters[op[1] % len(chapters)].id, title=f"新事项{seq}")
        elif kind == "add_indicator" and items:
            store.add_indicator(items[op[1] % len(items)].id, name=f"新指标{seq}")
        elif kind == "lead" and items:
            store.set_item_departments(items[op[1] % len(items)].id, lead=op[2])
        elif kind == "co" and items:
            store.set_item_departments(items[op[1] % len(items)].id, co=[op[2]])
        elif kind in ("rename", "drop_department"):
            found = [d for d in loaded.departments if d.name == op[1]]
            if found and kind == "rename":
                store.rename_department(found[0].id, f"{op[1]}{op[2]}")
            elif found:
                store.remove_department(found[0].id)
        elif kind == "lock":
            store.set_quarter_locked(store.plan_id_for_year(), op[1], op[2], {} if op[2] else None)
    except StoreError:
        pass
    for change in removed:  # what the clerk removed (figures with their rows) is not lost
        made.append((seq, ("removed", change.row_id), None, None, store.path))


def merge_in(paths: list[Path], target: int, source: int, prefer: str, listed: set) -> None:
    store = open_as(paths[target], (f"u{target}", f"PC-{target}"))
    try:
        preview = plan_merge(store, paths[source])
        for conflict in [*preview.conflicts, *preview.skipped]:
            listed.add(conflict.change.row_id)
            listed.update(n.row_id for n in conflict.change.needs)
        apply_merge(store, preview, prefer=prefer, backup=False)  # type: ignore[arg-type]
    finally:
        store.close()


def unlock_all(path: Path) -> None:
    store = open_as(path, ("office", "PC-0"))
    try:
        for plan_row, quarter in query(
            path, "SELECT plan_id, quarter FROM quarter_lock WHERE locked = 1"
        ):
            store.set_quarter_locked(plan_row, quarter, False)
    finally:
        store.close()


@settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=sessions)
def test_random_sessions_over_three_copies_converge(template_file, tmp_path_factory, steps):
    run_session(template_file, tmp_path_factory.mktemp("session"), steps)


def run_session(template_file: Path, folder: Path, steps: list) -> None:
    paths = [folder / f"{name}.sqlite" for name in "mab"]
    made, listed = play_steps(template_file, paths, steps, clerk_edit, merge_in)
    # The quarters are unlocked everywhere, then everything gathered in m and taken back.
    for path in paths:
        unlock_all(path)
    for target, source, prefer in (
        (0, 1, "ours"),
        (0, 2, "ours"),
        (1, 0, "theirs"),
        (2, 0, "theirs"),
    ):
        merge_in(paths, target, source, prefer, listed)
    final = [data(path) for path in paths]
    assert final[0] == final[1] == final[2]
    for path in paths:
        assert check(path) == 0
    # Nothing a clerk entered is gone unless a conflict listed it, a later edit replaced it,
    # or its row went.
    present = {r[0] for tbl in ("indicator", "item") for r in final[0][tbl]}
    for seq, (tbl, row_id), value, owner, path in made:
        if tbl == "removed" or any(
            k == ("removed", row_id) and s > seq and p == path for s, k, _, _, p in made
        ):  # removed with its row by the clerk who entered it
            continue
        column = "value" if tbl == "actual" else "text"
        now = query(paths[0], f"SELECT {column} FROM {tbl} WHERE id = ?", (row_id,))
        if now == [(value,)] or owner not in present or row_id in listed or owner in listed:
            continue
        assert any(s > seq and k == (tbl, row_id) for s, k, _, _, _ in made), (tbl, row_id, value)
    # Merging again changes nothing.
    for target, source in ((1, 0), (0, 2), (2, 1)):
        merge_in(paths, target, source, "ours", listed)
    assert [data(path) for path in paths] == final


@pytest.mark.parametrize(
    "tbl", ["item] WHERE 0 UNION SELECT * FROM item; --", "meta", "change_log", "sqlite_master"]
)
def test_an_id_alias_naming_a_table_that_is_not_ours_is_never_used(files, tbl, capsys):
    master_path, copy_path = files
    before = data(master_path)
    item = item_of(copy_path, 0)
    execute(
        copy_path,
        (
            "INSERT INTO id_alias (id, tbl, target_id, modified_at, modified_by) VALUES (?, ?, ?, 'x', 'x')",
            (str(uuid.uuid4()), tbl, item),
        ),
    )
    assert merge(master_path, copy_path, "--prefer", "theirs") in (0, 2)
    assert data(master_path) == before
    assert query(master_path, "SELECT count(*) FROM id_alias WHERE tbl = ?", (tbl,)) == [(0,)]
    assert check(master_path) == 0


def test_a_forged_id_alias_does_not_join_two_items_of_the_master(files, capsys):
    """An alias in the copy claiming two of the master's own items are one: the copy's edit
    lands on the item it was made on, and both items stay."""
    master_path, copy_path = files
    first, second = item_of(copy_path, 0), item_of(copy_path, 1)
    c = open_as(copy_path, ("c", "PC-C"))
    c.update_field("item", first, "title", "副本改的第一项")
    c.close()
    execute(
        copy_path,
        (
            "INSERT INTO id_alias (id, tbl, target_id, modified_at, modified_by) VALUES (?, 'item', ?, 'x', 'x')",
            (first, second),
        ),
    )
    second_title = query(master_path, "SELECT title FROM item WHERE id = ?", (second,))
    assert merge(master_path, copy_path, "--prefer", "theirs") in (0, 2)
    assert query(master_path, "SELECT count(*) FROM item WHERE id IN (?, ?)", (first, second)) == [
        (2,)
    ]
    assert query(master_path, "SELECT title FROM item WHERE id = ?", (second,)) == second_title
    assert query(master_path, "SELECT title FROM item WHERE id = ?", (first,)) == [
        ("副本改的第一项",)
    ]
    assert query(master_path, "SELECT count(*) FROM id_alias") == [(0,)]
    assert check(master_path) == 0


def test_two_departments_swapping_names_in_the_copy(staffed, capsys):
    """The copy swaps two departments' names (entered the wrong way round). Only the copy
    touched these names, so a clerk expects what any change made on one side gets: taken,
    with nothing to decide — a conflict to resolve would ask about something nobody
    disputes. The one-name rule is judged by the names after the merge (each department
    still has a name of its own), the renames are written together, and each department's
    history says old → new once, with no stand-in name in between."""
    master_path, copy_path = staffed
    ids = dict(query(copy_path, "SELECT name, id FROM department"))
    c = open_as(copy_path, ("c", "PC-C"))
    c.rename_department(ids["区商务委"], "临时")
    c.rename_department(ids["区科委"], "区商务委")
    c.rename_department(ids["区商务委"], "区科委")
    c.close()
    assert merge(master_path, copy_path, "--prefer", "theirs") == 0, capsys.readouterr().err
    assert "NOT MERGED" not in capsys.readouterr().out
    names = dict(query(master_path, "SELECT id, name FROM department"))
    assert (names[ids["区商务委"]], names[ids["区科委"]]) == ("区科委", "区商务委")
    merged = query(
        master_path,
        "SELECT row_id, old, new FROM change_log WHERE tbl = 'department' AND source = 'merge'",
    )
    assert sorted(merged) == sorted(
        [(ids["区商务委"], '"区商务委"', '"区科委"'), (ids["区科委"], '"区科委"', '"区商务委"')]
    )
    assert merge(copy_path, master_path) == 0
    settled(master_path, copy_path)


def test_three_departments_passing_names_round_in_the_copy(staffed, capsys):
    """The same for names passed round three departments (A→B's, B→C's, C→A's)."""
    master_path, copy_path = staffed
    ids = dict(query(copy_path, "SELECT name, id FROM department"))
    a, b, c = (ids[n] for n in ("区商务委", "区科委", "区财政局"))
    copy = open_as(copy_path, ("c", "PC-C"))
    copy.rename_department(a, "临时")
    copy.rename_department(c, "区商务委")
    copy.rename_department(b, "区财政局")
    copy.rename_department(a, "区科委")
    copy.close()
    assert merge(master_path, copy_path) == 0, capsys.readouterr().err  # nothing to decide
    names = dict(query(master_path, "SELECT id, name FROM department"))
    assert (names[a], names[b], names[c]) == ("区科委", "区财政局", "区商务委")
    settled(master_path, copy_path)


@pytest.mark.parametrize("side", ["ours", "theirs"])
def test_a_swap_in_the_copy_meets_a_rename_in_the_master(staffed, side, capsys):
    """The master renamed one of the two meanwhile: that name is a conflict like any field
    both sides changed, the clerk decides it, and the other rename is taken either way (the
    names after the merge stay one per department whichever side is chosen)."""
    master_path, copy_path = staffed
    ids = dict(query(copy_path, "SELECT name, id FROM department"))
    trade, science = ids["区商务委"], ids["区科委"]
    c = open_as(copy_path, ("c", "PC-C"))
    c.rename_department(trade, "临时")
    c.rename_department(science, "区商务委")
    c.rename_department(trade, "区科委")
    c.close()
    m = open_as(master_path, ("office", "PC-1"))
    m.rename_department(trade, "区商务局")
    m.close()
    assert merge(master_path, copy_path) == 1  # the conflict needs a decision: nothing written
    assert "CONFLICT" in capsys.readouterr().out
    assert dict(query(master_path, "SELECT id, name FROM department"))[trade] == "区商务局"
    assert merge(master_path, copy_path, "--prefer", side) == 0, capsys.readouterr().err
    names = dict(query(master_path, "SELECT id, name FROM department"))
    assert names[science] == "区商务委"
    assert names[trade] == ("区商务局" if side == "ours" else "区科委")
    assert merge(copy_path, master_path, "--prefer", "theirs") == 0
    settled(master_path, copy_path)


FOUND_SESSION = [
    ("edit", 0, ("actual", 32, 3, 27)),
    ("edit", 2, ("add_item", 2)),
    ("edit", 2, ("add_indicator", 2)),
    ("edit", 0, ("add_item", 6)),
    ("merge", 0, 2, "ours"),
    ("merge", 1, 2, "theirs"),
    ("edit", 2, ("move", 23, 1)),
    ("merge", 0, 2, "ours"),
    ("merge", 1, 2, "theirs"),
    ("edit", 1, ("remove_item", 14)),
    ("edit", 0, ("title", 19, 98)),
    ("merge", 1, 0, "theirs"),
    ("merge", 0, 2, "ours"),
    ("edit", 2, ("add_item", 6)),
]


def test_a_session_found_by_the_random_search(template_file, tmp_path):
    run_session(template_file, tmp_path, FOUND_SESSION)


def test_a_figure_its_own_clerk_removed_with_the_chapter(template_file, tmp_path):
    run_session(
        template_file,
        tmp_path,
        [
            ("edit", 1, ("actual", 21, 1, 0)),
            ("edit", 1, ("remove_chapter", 3)),
            ("edit", 0, ("text", 18, 1, 0)),
        ],
    )
