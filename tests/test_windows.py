"""What the app relies on from Windows: the data folder, Chinese names, drive letters, files
that another program holds open, the default viewer and the ANSI code page (GBK).

Each test runs on every OS where the behaviour can be stated for every OS; the ones that need
Windows' own rules run only there (on a Windows PC, or under Wine with
``python3 dev.py build --windows --tests``) and say why elsewhere differs.
"""

from __future__ import annotations

import contextlib
import hashlib
import locale
import os
import shutil
import sqlite3
import string
import subprocess
import sys
import time
from pathlib import Path, PureWindowsPath

import pytest

from jingan_desktop import cli
from jingan_desktop.paths import APP_DIR_NAME, DEFAULT_DB_NAME
from jingan_desktop.plan.parser import read_plan_file
from jingan_desktop.storage.backup import backup_file, list_backups, restore_damaged, take_backup
from jingan_desktop.storage.files import no_viewer_reason, open_with_default_app
from jingan_desktop.storage.presence import PresenceBoard, presence_dir
from jingan_desktop.storage.store import Store

ROOT = Path(__file__).resolve().parents[1]
WINDOWS = sys.platform == "win32"
SHARING = (
    "Windows refuses to delete or rename a file that another program holds open "
    "(a sharing violation); POSIX allows it"
)


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def item_count(path: Path) -> int:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        return conn.execute("SELECT count(*) FROM item").fetchone()[0]


def actual_count(path: Path) -> int:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        return conn.execute("SELECT count(*) FROM actual WHERE value IS NOT NULL").fetchone()[0]


def some_indicator(store: Store) -> str:
    return next(i for i in store.load().plan.items() if i.indicators).indicators[0].id


def clean_env(**extra: str) -> dict[str, str]:
    """The environment of a clerk's start: no test data folder, no UTF-8 overrides."""
    drop = {"JINGAN_DATA_DIR", "PYTHONIOENCODING", "PYTHONUTF8"}
    return {**{k: v for k, v in os.environ.items() if k not in drop}, **extra}


# --- the data folder on first start -------------------------------------------------------------


def test_first_start_creates_the_plan_file_in_the_users_local_app_data(tmp_path: Path) -> None:
    home = tmp_path / "用户 张三"  # a Chinese user name with a space, as Windows allows
    if WINDOWS:
        env = clean_env(LOCALAPPDATA=str(home / "AppData" / "Local"))
        expected = home / "AppData" / "Local" / APP_DIR_NAME
    else:
        env = clean_env(XDG_DATA_HOME=str(home / ".local" / "share"))
        expected = home / ".local" / "share" / APP_DIR_NAME
    assert not home.exists()
    result = subprocess.run(
        [sys.executable, "-m", "jingan_desktop", "--startup-probe", "app"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr.decode("utf-8", "replace")
    assert item_count(expected / DEFAULT_DB_NAME) == 34
    assert DEFAULT_DB_NAME in listing(expected)


# --- Chinese characters, spaces, GBK ------------------------------------------------------------


def test_chinese_and_spaces_in_folder_and_file_names(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, seed_path: Path
) -> None:
    folder = tmp_path / "静安区 重点工作" / "2022年 第二季度"
    folder.mkdir(parents=True)
    text = folder / "计划 原文（GBK）.txt"  # an old share's plan text, saved in the GBK code page
    text.write_bytes(seed_path.read_text(encoding="utf-8").encode("gbk"))
    target = folder / "计划 总表.sqlite"
    report = folder / "进展 报告 2022Q2.pdf"
    sheet = folder / "填报 表.xlsx"
    assert cli.main(["import", str(text), "--db", str(target)]) == 0
    assert cli.main(["check", "--db", str(target)]) == 0
    assert cli.main(["report", "--db", str(target), "--quarter", "2022Q2", "-o", str(report)]) == 0
    assert cli.main(["export", "--db", str(target), "--quarter", "2022Q2", "-o", str(sheet)]) == 0
    out = capsys.readouterr().out
    assert str(target) in out
    assert item_count(target) == 34
    assert report.read_bytes().startswith(b"%PDF")
    assert sheet.read_bytes().startswith(b"PK")
    assert listing(folder) == sorted([text.name, target.name, report.name, sheet.name])


def test_cli_output_in_the_windows_code_page(tmp_path: Path, seed_path: Path) -> None:
    """Redirected output is written in the ANSI code page (936, GBK, on a Chinese Windows PC);
    a file name with a character outside GBK must not crash the command."""
    target = tmp_path / "静安 𠮷计划.sqlite"  # 𠮷 is in GB18030 and Unicode, not in GBK
    result = subprocess.run(
        [sys.executable, "-m", "jingan_desktop", "import", str(seed_path), "--db", str(target)],
        cwd=ROOT,
        env=clean_env(),
        capture_output=True,
        timeout=120,
    )
    encoding = locale.getpreferredencoding(False)
    err = result.stderr.decode(encoding, "replace")
    assert result.returncode == 0, err
    assert "Traceback" not in err
    out = result.stdout.decode(encoding)
    assert out.startswith("created ") and "静安" in out and "计划.sqlite" in out
    assert item_count(target) == 34


@pytest.mark.skipif(not WINDOWS, reason="the ANSI code page and the *A file functions are Windows'")
def test_file_names_an_old_gbk_program_wrote_on_the_share(tmp_path: Path, seed_path: Path) -> None:
    """An old program on the share names files through the ANSI functions in GBK bytes;
    Windows keeps the name in Unicode, and the app reads and writes beside it by that name."""
    import ctypes
    from ctypes import wintypes

    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
    if kernel32.GetACP() != 936:
        pytest.skip("needs the Chinese ANSI code page 936 (GBK), as on the clerks' PCs")
    create = kernel32.CreateFileA
    create.restype = wintypes.HANDLE
    create.argtypes = [ctypes.c_char_p, wintypes.DWORD, wintypes.DWORD, ctypes.c_void_p,
                       wintypes.DWORD, wintypes.DWORD, wintypes.HANDLE]  # fmt: skip
    name = "静安区 重点工作（旧系统）.txt"
    data = seed_path.read_text(encoding="utf-8").encode("gbk")
    handle = create(str(tmp_path / name).encode("gbk"), 0x40000000, 0, None, 1, 0x80, None)
    assert handle not in (None, wintypes.HANDLE(-1).value), ctypes.get_last_error()
    written = wintypes.DWORD()
    assert kernel32.WriteFile(handle, data, len(data), ctypes.byref(written), None)
    assert kernel32.CloseHandle(handle) and written.value == len(data)
    assert listing(tmp_path) == [name]  # the GBK bytes became these Unicode characters
    target = tmp_path / "静安区 计划.sqlite"
    assert cli.main(["import", str(tmp_path / name), "--db", str(target)]) == 0
    assert item_count(target) == 34


# --- drive letters ------------------------------------------------------------------------------


@pytest.mark.skipif(not WINDOWS, reason="drive letters and their spellings exist only on Windows")
def test_drive_letter_paths_in_every_spelling(tmp_path: Path, seed_path: Path) -> None:
    native = tmp_path / "静安 计划.sqlite"  # C:\Users\… on a PC, Z:\tmp\… under Wine
    assert PureWindowsPath(native).drive.endswith(":")
    Store.create(native, read_plan_file(seed_path).plan).close()
    spellings = [
        native.as_posix(),  # what Qt's file dialogs return: C:/Users/…
        "\\\\?\\" + str(native),  # the extended-length form Path.resolve() can give
        str(native)[0].swapcase() + str(native)[1:],  # drive letters ignore case
    ]
    for quarter, spelling in enumerate(spellings, start=1):
        store = Store.open(Path(spelling))
        try:
            store.set_actual(some_indicator(store), quarter, quarter)
        finally:
            store.close()
    assert actual_count(native) == len(spellings)
    assert listing(tmp_path) == [native.name]


@pytest.fixture
def mapped_drive(tmp_path: Path):
    """A folder reached through a drive letter of its own, as IT maps \\\\server\\share.

    build_windows.py maps S: in the Wine prefix (Wine maps every drive that way) and names it
    in JINGAN_TEST_SHARE; on a Windows PC DefineDosDevice (what ``subst`` uses) maps one."""
    import ctypes

    share = os.environ.get("JINGAN_TEST_SHARE")
    if share:
        folder = Path(share) / f"{tmp_path.parent.name}-{tmp_path.name}"
        folder.mkdir()
        yield folder
        return
    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
    free = [c for c in reversed(string.ascii_uppercase[3:]) if not os.path.exists(f"{c}:\\")]
    letter = f"{free[0]}:"
    if not kernel32.DefineDosDeviceW(0, letter, str(tmp_path)):
        pytest.skip(f"cannot map {letter} here (WinError {ctypes.get_last_error()})")
    try:
        if not os.path.isdir(letter + "\\"):
            pytest.skip(
                f"{letter} was mapped but cannot be reached (Wine routes only its own drives)"
            )
        yield Path(letter + "\\")
    finally:
        kernel32.DefineDosDeviceW(2, letter, str(tmp_path))  # DDD_REMOVE_DEFINITION


@pytest.mark.skipif(not WINDOWS, reason="mapped drive letters exist only on Windows")
def test_a_plan_file_on_a_mapped_drive_letter(mapped_drive: Path, seed_path: Path) -> None:
    assert PureWindowsPath(mapped_drive).drive.endswith(":")
    target = mapped_drive / "静安 共享" / "计划.sqlite"
    assert cli.main(["import", str(seed_path), "--db", str(target)]) == 0
    assert cli.main(["check", "--db", str(target)]) == 0
    store = Store.open(target)
    try:
        store.set_actual(some_indicator(store), 2, 42)
    finally:
        store.close()
    assert item_count(target) == 34 and actual_count(target) == 1


# --- files another program holds open -----------------------------------------------------------


def test_saving_while_a_backup_program_reads_the_plan_file(plan_file: Path) -> None:
    """A backup or sync tool copying the file shares it for reading and writing: saving works."""
    store = Store.open(plan_file)
    try:
        with held_open_elsewhere(plan_file):
            store.set_actual(some_indicator(store), 2, 7)
    finally:
        store.close()
    assert actual_count(plan_file) == 1


@pytest.mark.parametrize(
    ("command", "name", "holder"),
    [("report", "报告.pdf", "a PDF viewer"), ("export", "填报表.xlsx", "Excel")],
)
def test_writing_over_a_file_open_in_its_viewer(
    capsys: pytest.CaptureFixture[str], plan_file: Path, command: str, name: str, holder: str
) -> None:
    target = plan_file.parent / name
    args = [command, "--db", str(plan_file), "--quarter", "2022Q2", "-o", str(target)]
    assert cli.main(args) == 0
    before, files = digest(target), listing(plan_file.parent)
    capsys.readouterr()
    with open(target, "rb"):  # the viewer has the old one open
        code = cli.main(args)
    err = capsys.readouterr().err
    assert listing(plan_file.parent) == files  # no temporary file left either way
    if WINDOWS:
        assert code == cli.EXIT_BAD_INPUT
        assert f"open in {holder}" in err and "Traceback" not in err
        assert digest(target) == before  # the old file untouched, no false "written"
    else:
        assert code == 0  # POSIX replaces the name; the viewer keeps reading the old file


def test_presence_refresh_while_another_app_reads_our_entry(tmp_path: Path) -> None:
    db = tmp_path / "plan.sqlite"
    db.write_bytes(b"")
    me = PresenceBoard(db, "张三", "PC-01", pid=1)
    other = PresenceBoard(db, "李四", "PC-02", pid=2)
    assert me.announce()
    with held_open_elsewhere(me.entry):  # the other clerk's app is reading our entry
        refreshed = me.announce()
        assert refreshed is not WINDOWS  # Windows: this refresh fails, the next one retries
        assert [p.user for p in other.others()] == ["张三"]  # the old entry still counts
    assert [p.name for p in presence_dir(db).iterdir() if p.suffix != ".json"] == []
    assert me.announce()
    me.withdraw()
    assert not presence_dir(db).exists()


def test_a_backup_held_open_elsewhere_is_kept_until_released(plan_file: Path) -> None:
    """Pruning old backups skips one that another program (a copy to a stick) holds open."""
    store = Store.open(plan_file)
    try:
        first = take_backup(store.database, "manual", keep=1)
        with held_open_elsewhere(first):  # being copied to a stick
            second = take_backup(store.database, "manual", keep=1)
            kept = {b.path for b in list_backups(plan_file)}
            assert kept == ({first, second} if WINDOWS else {second})
        third = take_backup(store.database, "manual", keep=1)
    finally:
        store.close()
    assert [b.path for b in list_backups(plan_file)] == [third]
    assert item_count(third) == 34


@pytest.mark.skipif(not WINDOWS, reason=SHARING)
def test_restoring_a_file_another_clerk_holds_open_moves_nothing(plan_file: Path) -> None:
    backup = backup_file(plan_file, "manual")
    before, files = digest(plan_file), listing(plan_file.parent)
    with held_open_elsewhere(plan_file), pytest.raises(PermissionError):
        restore_damaged(plan_file, backup)
    assert listing(plan_file.parent) == files and digest(plan_file) == before
    aside = restore_damaged(plan_file, backup)  # once released it works
    assert digest(aside) == before and item_count(plan_file) == 34


# --- the default viewer -------------------------------------------------------------------------


@pytest.mark.skipif(not WINDOWS, reason="ShellExecute and file associations are Windows'")
def test_the_default_viewer_gets_the_file_or_a_clear_reason(tmp_path: Path) -> None:
    import winreg

    extension = ".jingan-test-doc"  # our own type: the clerk's real PDF viewer stays out of it
    document = tmp_path / "静安 报告" / "2022年 第二季度.jingan-test-doc"
    document.parent.mkdir()
    document.write_bytes(b"%PDF-1.4\n")
    with pytest.raises(OSError) as caught:
        open_with_default_app(document)
    assert no_viewer_reason(caught.value) == "no program is registered to open this kind of file"

    viewer = tmp_path / "viewer.py"
    seen = tmp_path / "seen.txt"
    viewer.write_text(
        f"import sys\nopen({str(seen)!r}, 'w', encoding='utf-8').write(sys.argv[1])\n",
        encoding="utf-8",
    )
    prog_id = "JinganDesktop.TestViewer"
    command = f'"{sys.executable}" "{viewer}" "%1"'
    # A user registers a program under HKCU\Software\Classes; Wine 8's ShellExecute reads
    # only HKEY_CLASSES_ROOT, so under Wine the same keys go there when HKCU is not heard.
    places = [(winreg.HKEY_CURRENT_USER, "Software\\Classes\\"), (winreg.HKEY_CLASSES_ROOT, "")]
    try:
        for root, base in places:
            winreg.SetValue(root, f"{base}{extension}", winreg.REG_SZ, prog_id)
            winreg.SetValue(root, f"{base}{prog_id}\\shell\\open\\command", winreg.REG_SZ, command)
            try:
                assert open_with_default_app(document) is True
                break
            except OSError:
                if root == winreg.HKEY_CLASSES_ROOT:
                    raise
        for _ in range(600):  # the viewer is another process: wait for it, up to 5 minutes
            if seen.exists() and seen.read_text(encoding="utf-8"):
                break
            time.sleep(0.5)
        assert Path(seen.read_text(encoding="utf-8")) == document
    finally:
        for root, base in places:
            for sub in (
                f"{prog_id}\\shell\\open\\command",
                f"{prog_id}\\shell\\open",
                f"{prog_id}\\shell",
                prog_id,
                extension,
            ):
                with contextlib.suppress(OSError):
                    winreg.DeleteKey(root, f"{base}{sub}")


def test_no_viewer_is_a_clear_message_not_silence(qtbot, window, messages, tmp_path):
    from jingan_desktop.qt.controllers.outputs import open_in_viewer

    document = tmp_path / "报告.jingan-no-viewer"  # a type no PC has a program for
    document.write_bytes(b"%PDF-1.4\n")
    assert open_in_viewer(window, document) is False
    (shown,) = messages
    assert str(document) in shown and "无法自动打开" in shown


@contextlib.contextmanager
def held_open_elsewhere(path: Path):
    """``path`` open in another program (a backup or sync tool, an antivirus scan, a viewer)
    until the block ends; that program shares it for reading and writing, not deleting."""
    code = "import sys; f = open(sys.argv[1], 'rb'); print('held', flush=True); sys.stdin.read()"
    holder = subprocess.Popen(
        [sys.executable, "-c", code, str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == b"held"
        yield
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=120)


def crashed_copy(source: Path, target: Path, seed_path: Path) -> Path:
    """``source`` and its journal copied mid-import (pages spilled to the file): what a crash
    at that moment leaves, a hot journal beside the file."""
    store = Store.open(source)
    store.database.conn.execute("PRAGMA cache_size = 10")

    class Stop(Exception):
        pass

    target.mkdir()
    with contextlib.suppress(Stop), store.write("导入2022年计划", "import"):
        store.import_plan(read_plan_file(seed_path).plan, replace=True, keep_ids=False)
        for path in (source, Path(f"{source}-journal")):
            shutil.copyfile(path, target / path.name)
        raise Stop
    store.close()
    return target / source.name


def test_a_crashed_saves_journal_held_open_by_another_program(
    capsys: pytest.CaptureFixture[str], plan_file: Path, tmp_path: Path, seed_path: Path
) -> None:
    """A backup or antivirus program reads the journal a crash left beside the file. Windows
    lets nobody delete it meanwhile, so the roll-back cannot finish: the clerk is told why,
    nothing is lost, and the next start after that program lets go rolls back as usual."""
    crashed = crashed_copy(plan_file, tmp_path / "crashed", seed_path)
    journal = Path(f"{crashed}-journal")
    with held_open_elsewhere(journal):
        code = cli.main(["check", "--db", str(crashed)])
        out, err = capsys.readouterr()
        if WINDOWS:
            assert code != 0 and "Traceback" not in err
            assert "-journal file is open in another program" in err
            assert journal.exists()  # kept: it still holds what the roll-back needs
    if not WINDOWS:  # POSIX removes a file others hold open: the roll-back just finishes
        assert code == 0 and "rolled back" in out
    assert cli.main(["check", "--db", str(crashed)]) in (0, cli.EXIT_OK)
    out = capsys.readouterr().out
    assert "integrity: ok" in out and "change_log 121" in out  # wholly before the import
    assert listing(crashed.parent) == [crashed.name]


@pytest.mark.skipif(not WINDOWS, reason=SHARING)
def test_opening_a_file_whose_journal_another_program_holds_says_so(
    qtbot, window, messages: list[str], plan_file: Path, tmp_path: Path, seed_path: Path
) -> None:
    crashed = crashed_copy(plan_file, tmp_path / "crashed", seed_path)
    with held_open_elsewhere(Path(f"{crashed}-journal")):
        assert window.open_path(crashed) is False
    assert "-journal" in messages[-1] and "其他程序" in messages[-1]
    assert window.open_path(crashed) is True  # released: rolled back and opened


def test_publishing_while_another_pc_reads_the_master_on_the_share(
    tmp_path: Path, template_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another PC (or a backup tool) is reading the master when this PC publishes. Windows
    lets nobody replace a file held open: the sync says so, the edit waits here, the next
    sync publishes it. POSIX replaces the name under the reader."""
    from jingan_desktop.storage.sync import ShareSession
    from jingan_desktop.storage.sync.session import REFUSED

    monkeypatch.setenv("JINGAN_SHARE_MODE", "replica")
    master = tmp_path / "共享 盘" / "plan.sqlite"
    master.parent.mkdir()
    shutil.copyfile(template_file, master)
    session = ShareSession.open(master, data_folder=tmp_path / "data", actor=("张三", "PC-1"))
    session.beat_seconds = 0
    try:
        session.store.set_actual(some_indicator(session.store), 1, 5)
        with held_open_elsewhere(master):
            held = session.sync()
            assert listing(master.parent) == [master.name]  # no temp file, no lock left
            assert actual_count(master) == (0 if WINDOWS else 1)
        if WINDOWS:
            assert (held.status, held.message, held.pending) == ("failed", REFUSED, 1)
        after = session.sync()
    finally:
        session.close()
    assert after.ok and after.pending == 0
    assert actual_count(master) == 1
