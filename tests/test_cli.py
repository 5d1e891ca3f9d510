"""The command line: parse, import and check, as a user runs them (in-process and as
``python -m jingan_desktop``)."""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import sqlite3
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from jingan_desktop import cli
from jingan_desktop.plan.parser import plan_to_dict, read_plan_file
from jingan_desktop.storage.database import SCHEMA_VERSION
from jingan_desktop.storage.store import Store

# Windows forbids "?" in file names; elsewhere it is kept, to prove it is escaped in URIs.
QUESTION_MARK = "" if sys.platform == "win32" else "?"

ROOT = Path(__file__).resolve().parents[1]
COUNTS_LINE = "6 chapters, 34 items, 80 indicators"
ROWS_LINE = (
    "rows: plan 1, chapter 6, item 34, indicator 80, actual 0, progress 0, department 0, "
    "quarter_lock 0, change_log 121"
)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def run(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, str, str]:
    code = cli.main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(code: int, out: str, err: str, *fragments: str) -> None:
    assert code == cli.EXIT_BAD_INPUT == 2
    assert out == ""
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("jingan-desktop: error: ")
    for fragment in fragments:
        assert fragment in lines[0]


def run_module(*args: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "jingan_desktop", *map(str, args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
        timeout=60,
    )


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory, seed_path: Path) -> Path:
    path = tmp_path_factory.mktemp("cli-template") / "plan.sqlite"
    Store.create(path, read_plan_file(seed_path).plan).close()
    return path


@pytest.fixture
def plan_db(tmp_path: Path, template_db: Path) -> Path:
    folder = tmp_path / "db"
    folder.mkdir()
    path = folder / "plan.sqlite"
    shutil.copyfile(template_db, path)
    return path


@pytest.fixture
def plan_2023(tmp_path: Path, seed_text: str) -> Path:
    path = tmp_path / "plan-2023.txt"
    text = seed_text.replace("2022年区政府重点工作安排", "2023年区政府重点工作安排")
    path.write_text(text.replace("2022年3月8日", "2023年3月8日"), encoding="utf-8")
    return path


# --- parse ------------------------------------------------------------------------------------


def test_parse_prints_the_tree_and_counts(capsys, seed_path: Path) -> None:
    code, out, err = run(capsys, "parse", seed_path)
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "2022年区政府重点工作安排 (2022)"
    assert lines[1] == "issuer: 上海市静安区人民政府    issued on: 2022-03-08"
    assert lines[2] == "一、全力以赴稳增长,推动区域经济高质量发展"
    assert lines[3] == "  1. 推动经济平稳健康发展"
    assert "六、加强政府自身建设,不断提升治理能力现代化水平" in lines
    assert "  34. 加强政府作风建设" in lines
    assert sum(line.startswith("      ") for line in lines) == 80
    assert sum(line.startswith("  ") and not line.startswith("   ") for line in lines) == 34
    assert lines[-1] == COUNTS_LINE
    assert any(line.startswith("      ≥ 10000 家") for line in lines)
    assert err.splitlines()[0].startswith("ignored line 48: 留言咨询")
    assert err.splitlines()[2:] == [
        f"{seed_path}: 6 chapters, 34 items, 80 targets, 2 unplaced lines, 0 warnings"
    ]


def test_parse_json(capsys, seed_path: Path) -> None:
    code, out, _ = run(capsys, "parse", "--json", seed_path)
    assert code == 0
    data = json.loads(out)
    assert (data["title"], data["year"], data["issued_on"]) == (
        "2022年区政府重点工作安排",
        2022,
        "2022-03-08",
    )
    assert len(data["chapters"]) == 6
    items = [item for chapter in data["chapters"] for item in chapter["items"]]
    assert [item["number"] for item in items] == list(range(1, 35))
    assert sum(len(item["indicators"]) for item in items) == 80
    assert data["ignored_lines"] == ["留言咨询", "使用说明"]
    assert data == json.loads(json.dumps(plan_to_dict(read_plan_file(seed_path))))
    first = items[0]["indicators"][0]
    assert set(first) >= {"text", "name", "value", "unit", "comparator", "kind", "stretch_value"}


def _random_bytes(path: Path) -> None:
    path.write_bytes(random.Random(7).randbytes(4096))


def _broken_docx(path: Path) -> None:
    path.write_bytes(b"PK\x03\x04" + b"\x00" * 200)


def _folder(path: Path) -> None:
    path.mkdir()


def _missing(path: Path) -> None:
    pass


@pytest.mark.parametrize(
    ("make", "fragment"),
    [
        (_random_bytes, "not a text file"),
        (_broken_docx, "not a readable .docx"),
        (_folder, "is a folder"),
        (_missing, "file not found"),
    ],
    ids=["binary", "broken-docx", "folder", "missing"],
)
def test_parse_bad_input(capsys, tmp_path: Path, make, fragment: str) -> None:
    path = tmp_path / "plan.docx"
    make(path)
    code, out, err = run(capsys, "parse", path)
    assert_one_line_error(code, out, err, str(path), fragment)
    code, out, err = run(capsys, "parse", "--json", path)
    assert_one_line_error(code, out, err, fragment)


# --- import and check -------------------------------------------------------------------------


def test_import_creates_a_file_that_checks_clean(capsys, tmp_path: Path, seed_path: Path) -> None:
    target = tmp_path / "new folder" / "plan.sqlite"
    code, out, _ = run(capsys, "import", seed_path, "--db", target)
    assert code == 0
    assert out == f"created {target}: 2022 plan, {COUNTS_LINE}\n"
    assert listing(target.parent) == ["plan.sqlite"]

    before = digest(target)
    code, out, err = run(capsys, "check", "--db", target)
    assert code == 0
    assert err == ""
    lines = out.splitlines()
    assert lines[0] == f"file: {target}"
    assert lines[1] == f"schema version: {SCHEMA_VERSION} (this app: {SCHEMA_VERSION})"
    assert lines[2] == "integrity: ok"
    assert lines[3] == "plan 2022: 2022年区政府重点工作安排"
    assert lines[4] == ROWS_LINE
    assert lines[5] == "history: import 121"
    assert lines[6].startswith("last change: 20")
    assert lines[6].endswith(": 导入2022年计划")
    assert digest(target) == before
    assert listing(target.parent) == ["plan.sqlite"]


def test_check_json(capsys, plan_db: Path) -> None:
    before = digest(plan_db)
    code, out, _ = run(capsys, "check", "--db", plan_db, "--json")
    assert code == 0
    report = json.loads(out)
    assert report["ok"] is True
    assert report["problems"] == []
    assert report["schema_version"] == report["supported_version"] == SCHEMA_VERSION
    assert report["counts"]["item"] == 34
    assert report["counts"]["indicator"] == 80
    assert report["counts"]["change_log"] == 121
    assert report["history"] == {"import": 121}
    assert [p["year"] for p in report["plans"]] == [2022]
    assert report["last_change"]["summary"] == "导入2022年计划"
    assert digest(plan_db) == before


def test_check_reports_history_of_edits(capsys, plan_db: Path) -> None:
    store = Store(Store.open(plan_db).database, actor=("张三", "PC-1"))
    try:
        indicator_id = store.load().plan.indicators()[0].id
        store.set_actual(indicator_id, 1, 5)
        store.set_actual(indicator_id, 1, 6, expected_value=5)
    finally:
        store.close()
    code, out, _ = run(capsys, "check", "--db", plan_db)
    assert code == 0
    assert "history: edit 2, import 121" in out.splitlines()
    assert "last change: " in out
    lines = out.splitlines()
    last = next(line for line in lines if line.startswith("last change: "))
    assert last.endswith("by 张三@PC-1: 修改实际值")
    # The recent changes in the words of the window's 修改记录 (names, quarter, 填报).
    recent = lines[lines.index("recent changes (local time):") + 1 :]
    assert recent[0].endswith("张三@PC-1 填报 1.1 区级一般公共预算收入 第一季度 本期实际：5 → 6")
    assert recent[1].endswith("填报 1.1 区级一般公共预算收入 第一季度 本期实际：（空） → 5")


def test_import_same_year_twice_needs_replace(capsys, plan_db: Path, seed_path: Path) -> None:
    before = digest(plan_db)
    code, out, err = run(capsys, "import", seed_path, "--db", plan_db)
    assert_one_line_error(code, out, err, "2022", "--replace")
    assert digest(plan_db) == before
    assert listing(plan_db.parent) == ["plan.sqlite"]

    code, out, _ = run(capsys, "import", seed_path, "--db", plan_db, "--replace")
    assert code == 0
    assert out == f"added to {plan_db}: 2022 plan, {COUNTS_LINE}\n"
    code, out, _ = run(capsys, "check", "--db", plan_db, "--json")
    assert code == 0
    report = json.loads(out)
    assert report["ok"] is True
    assert [p["year"] for p in report["plans"]] == [2022]
    assert report["counts"]["item"] == 34
    assert report["history"] == {"import": 121}  # the same text again changes nothing


def test_import_another_year_into_the_same_file(capsys, plan_db: Path, plan_2023: Path) -> None:
    code, out, _ = run(capsys, "import", plan_2023, "--db", plan_db)
    assert code == 0
    assert out.startswith(f"added to {plan_db}: 2023 plan, ")
    code, out, _ = run(capsys, "check", "--db", plan_db)
    assert code == 0
    lines = out.splitlines()
    assert "plan 2022: 2022年区政府重点工作安排" in lines
    assert "plan 2023: 2023年区政府重点工作安排" in lines
    assert "history: import 242" in lines


def test_import_refuses_documents_without_chapters(capsys, tmp_path: Path) -> None:
    source = tmp_path / "notes.txt"
    source.write_text("会议纪要\n今天讨论了工作。\n", encoding="utf-8")
    target = tmp_path / "plan.sqlite"
    code, out, err = run(capsys, "import", source, "--db", target)
    assert_one_line_error(code, out, err, "no chapters")
    assert not target.exists()
    assert listing(tmp_path) == ["notes.txt"]


@pytest.mark.parametrize(
    "make", [_random_bytes, _folder, _missing], ids=["binary", "folder", "missing"]
)
def test_import_bad_document_creates_nothing(capsys, tmp_path: Path, make) -> None:
    source = tmp_path / "source.txt"
    make(source)
    target = tmp_path / "plan.sqlite"
    code, out, err = run(capsys, "import", source, "--db", target)
    assert_one_line_error(code, out, err, str(source))
    assert not target.exists()


def test_import_to_a_place_where_no_file_can_be_made(
    capsys, tmp_path: Path, seed_path: Path
) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where a folder should be", encoding="utf-8")
    code, out, err = run(capsys, "import", seed_path, "--db", blocker / "plan.sqlite")
    assert_one_line_error(code, out, err, "plan.sqlite")
    assert listing(tmp_path) == ["blocker"]


def test_import_into_a_file_that_is_not_ours(capsys, tmp_path: Path, seed_path: Path) -> None:
    target = tmp_path / "other.sqlite"
    _other_app(target)
    before = digest(target)
    code, out, err = run(capsys, "import", seed_path, "--db", target)
    assert_one_line_error(code, out, err, "not a jingan_desktop plan file")
    assert digest(target) == before
    assert listing(tmp_path) == ["other.sqlite"]


def test_import_into_a_readonly_file(
    capsys, plan_db: Path, plan_2023: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("jingan_desktop.storage.database.is_writable", lambda path: False)
    before = digest(plan_db)
    code, out, err = run(capsys, "import", plan_2023, "--db", plan_db)
    assert_one_line_error(code, out, err, "read-only")
    assert digest(plan_db) == before


# --- check on files that are not plan files ---------------------------------------------------


def _empty(path: Path) -> None:
    path.write_bytes(b"")


def _other_app(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE contacts (name TEXT)")
    conn.commit()
    conn.close()


def _newer(path: Path, template: Path) -> None:
    data = bytearray(template.read_bytes())
    data[60:64] = struct.pack(">i", SCHEMA_VERSION + 1)
    path.write_bytes(bytes(data))


def _truncated(path: Path, template: Path) -> None:
    data = template.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _corrupt(path: Path, template: Path) -> None:
    data = bytearray(template.read_bytes())
    data[4096:8192] = b"\xff" * 4096
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    ("make", "fragment"),
    [
        (lambda p, t: _random_bytes(p), "not an SQLite database"),
        (lambda p, t: _empty(p), "file is empty"),
        (lambda p, t: _other_app(p), "not a jingan_desktop plan file"),
        (_newer, f"schema version {SCHEMA_VERSION + 1}"),
        (_truncated, "header promises"),
        (_corrupt, "malformed"),
    ],
    ids=["random-bytes", "empty", "other-app", "newer", "truncated", "corrupt"],
)
def test_check_bad_file(capsys, tmp_path: Path, template_db: Path, make, fragment: str) -> None:
    path = tmp_path / "suspect.sqlite"
    make(path, template_db)
    before = digest(path)
    for extra in ([], ["--json"]):
        code, out, err = run(capsys, "check", "--db", path, *extra)
        assert_one_line_error(code, out, err, str(path), fragment)
    assert digest(path) == before
    assert listing(tmp_path) == ["suspect.sqlite"]


def test_check_missing_file_and_folder(capsys, tmp_path: Path) -> None:
    code, out, err = run(capsys, "check", "--db", tmp_path / "nope.sqlite")
    assert_one_line_error(code, out, err, "file not found")
    assert listing(tmp_path) == []
    code, out, err = run(capsys, "check", "--db", tmp_path)
    assert_one_line_error(code, out, err, "is a folder")


def test_check_finds_a_broken_reference_and_exits_1(capsys, plan_db: Path) -> None:
    conn = sqlite3.connect(plan_db)  # foreign keys are off in a plain connection
    conn.execute(
        "INSERT INTO chapter (id, plan_id, position, numeral, title, modified_at, modified_by)"
        " VALUES ('c0ffee00-0000-4000-8000-000000000000', 'no-such-plan', 9, '七', '孤立',"
        " '2022-01-01T00:00:00+00:00', 'x@y')"
    )
    conn.commit()
    conn.close()
    before = digest(plan_db)
    code, out, _ = run(capsys, "check", "--db", plan_db)
    assert code == cli.EXIT_PROBLEM == 1
    lines = out.splitlines()
    assert "integrity: PROBLEMS" in lines
    assert any(line.startswith("  foreign key: chapter") for line in lines)
    assert digest(plan_db) == before


def test_check_rolls_back_an_interrupted_save_and_says_so(
    capsys, tmp_path: Path, template_db: Path
) -> None:
    """A crash in the middle of a save leaves a hot journal; check (what IT runs after a
    crash) plays it back as any open would, says so, and reports on the file as it was
    before the interrupted save."""
    live = tmp_path / "live.sqlite"
    shutil.copyfile(template_db, live)
    crashed = tmp_path / "crashed.sqlite"
    writer = sqlite3.connect(live, isolation_level=None)
    try:
        writer.execute("PRAGMA cache_size = 2")  # spill changed pages into the file early
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("UPDATE indicator SET text = ?", ("x" * 3000,))
        # The state on disk at the moment of the crash: the file and its journal.
        shutil.copyfile(live, crashed)
        shutil.copyfile(f"{live}-journal", f"{crashed}-journal")
        writer.execute("ROLLBACK")
    finally:
        writer.close()
    journal = Path(f"{crashed}-journal")
    assert digest(crashed) != digest(template_db)  # the spilled pages are in the file

    code, out, err = run(capsys, "check", "--db", crashed)
    assert code == 0, err
    assert "recovered: a save interrupted by a crash was rolled back" in out.splitlines()[2]
    assert ROWS_LINE in out.splitlines()
    assert not journal.exists()
    conn = sqlite3.connect(crashed)
    try:
        texts = {row[0] for row in conn.execute("SELECT text FROM indicator")}
    finally:
        conn.close()
    assert "x" * 3000 not in texts
    code, out, _ = run(capsys, "check", "--db", crashed)
    assert code == 0
    assert "recovered" not in out


# --- as a separate process ----------------------------------------------------------------------


def test_module_parse_and_version(seed_path: Path) -> None:
    result = run_module("parse", seed_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "2022年区政府重点工作安排 (2022)"
    assert result.stdout.splitlines()[-1] == COUNTS_LINE
    assert "Traceback" not in result.stderr


def test_module_import_and_check(tmp_path: Path, seed_path: Path) -> None:
    target = tmp_path / f"静安 计划#1{QUESTION_MARK}.sqlite"
    result = run_module("import", seed_path, "--db", target)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"created {target}: 2022 plan, {COUNTS_LINE}\n"
    before = digest(target)
    result = run_module("check", "--db", target)
    assert result.returncode == 0, result.stderr
    assert "integrity: ok" in result.stdout.splitlines()
    assert ROWS_LINE in result.stdout.splitlines()
    assert digest(target) == before
    assert listing(tmp_path) == [target.name]


def test_module_errors_are_one_line(tmp_path: Path) -> None:
    junk = tmp_path / "junk.sqlite"
    _random_bytes(junk)
    before = digest(junk)
    for args in (["check", "--db", junk], ["parse", junk], ["parse", tmp_path / "missing.txt"]):
        result = run_module(*args)
        assert result.returncode == 2, args
        assert result.stdout == ""
        assert "Traceback" not in result.stderr
        assert len(result.stderr.splitlines()) == 1, result.stderr
        assert result.stderr.startswith("jingan-desktop: error: ")
    assert digest(junk) == before
