"""The Windows launcher (build_scripts/runtime_launcher.c): one file for the clerk that unpacks
its runtime once per version into %LOCALAPPDATA%\\jingan-desktop\\runtime\\ and never trusts a
half-unpacked one.

The launcher is a Windows program: these tests run on Windows (a PC, or Wine through
``python3 dev.py build --windows --tests``, which compiles it and names it in
JINGAN_TEST_LAUNCHER). Each packs a small runtime whose jingan-desktop.exe is a copy of this
Python's python.exe (its DLL found on PATH, its library through PYTHONHOME), so the "app" runs the code the test gives it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "build_scripts"))
import pack_runtime  # noqa: E402

pytestmark = pytest.mark.skipif(
    sys.platform != "win32", reason="the launcher is a Windows program (Win32 API, .exe)"
)

# What the "app" prints: its arguments and the data file unpacked beside it.
APP_CODE = (
    "import os, sys; here = os.path.dirname(sys.executable); "
    "data = open(os.path.join(here, '_internal', '数据 文件.txt'), encoding='utf-8').read(); "
    "print('app', sys.argv[1:], data, flush=True); sys.exit(int(os.environ.get('APP_EXIT', '0')))"
)


@pytest.fixture(scope="module")
def launcher() -> Path:
    given = os.environ.get("JINGAN_TEST_LAUNCHER")
    path = Path(given) if given else ROOT / "build" / "launcher" / "runtime-launcher.exe"
    if not path.exists():
        pytest.skip(f"{path} not built (build_scripts/build.py or build_windows.py compiles it)")
    return path


@pytest.fixture
def runtime_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "folder build"
    (folder / "_internal" / "深 层").mkdir(parents=True)
    shutil.copyfile(Path(sys.base_prefix) / "python.exe", folder / pack_runtime.INNER_EXE)
    (folder / "_internal" / "数据 文件.txt").write_text("版本一", encoding="utf-8")
    (folder / "_internal" / "深 层" / "random.bin").write_bytes(os.urandom(200_000))
    (folder / "_internal" / "深 层" / "text.txt").write_text("重点工作\n" * 20_000, "utf-8")
    (folder / "_internal" / "empty").write_bytes(b"")
    return folder


@pytest.fixture
def exe(launcher: Path, runtime_folder: Path, tmp_path: Path) -> Path:
    target = tmp_path / "发 布" / "jingan-desktop.exe"
    target.parent.mkdir()
    pack_runtime.pack(launcher, runtime_folder, target)
    return target


def app_env(local_app_data: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "JINGAN_RUNTIME_DIR"}
    # The copied python.exe finds python3xx.dll on PATH and its library through PYTHONHOME.
    path = sys.base_prefix + os.pathsep + env.get("PATH", "")
    return {**env, "LOCALAPPDATA": str(local_app_data), "PYTHONHOME": sys.base_prefix,
            "PYTHONIOENCODING": "utf-8",
            "PATH": path, **extra}  # fmt: skip


def start(exe: Path, local: Path, *args: str, **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(exe), "-c", APP_CODE, *args],
        env=app_env(local, **extra),
        capture_output=True,
        timeout=300,
    )


def runtime_root(local: Path) -> Path:
    return local / "jingan-desktop" / "runtime"


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def same_tree(a: Path, b: Path) -> bool:
    files = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    other = sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file() and p.name != ".ready")
    return files == other and all((a / f).read_bytes() == (b / f).read_bytes() for f in files)


def the_runtime(local: Path) -> Path:
    (name,) = names(runtime_root(local))
    return runtime_root(local) / name


def test_first_start_unpacks_into_local_app_data_and_runs_the_app(
    exe: Path, runtime_folder: Path, tmp_path: Path
) -> None:
    local = tmp_path / "用户 张三" / "AppData" / "Local"
    result = start(exe, local, "计划 文件.sqlite", "--quarter", "2022Q2", APP_EXIT="7")
    assert result.returncode == 7, result.stderr  # the app's exit code is the launcher's
    out = result.stdout.decode("utf-8")
    assert out.startswith("app ['计划 文件.sqlite', '--quarter', '2022Q2'] 版本一")
    folder = the_runtime(local)
    assert folder.name.startswith(pack_runtime.version() + "-")
    assert same_tree(runtime_folder, folder)
    assert (folder / ".ready").read_text(encoding="ascii") == folder.name


def test_later_starts_run_the_unpacked_runtime_without_unpacking(exe: Path, tmp_path: Path):
    local = tmp_path / "local"
    assert start(exe, local).returncode == 0
    folder = the_runtime(local)
    (folder / "_internal" / "数据 文件.txt").write_text("已解压", encoding="utf-8")
    result = start(exe, local)
    assert result.returncode == 0, result.stderr
    assert "已解压" in result.stdout.decode("utf-8")  # the folder from the first start ran


def test_a_killed_first_start_leaves_nothing_a_later_start_trusts(
    exe: Path, runtime_folder: Path, tmp_path: Path
) -> None:
    local = tmp_path / "local"
    # Killed at whatever point it has reached: before, while or after unpacking.
    killed = subprocess.Popen([str(exe), "-c", "pass"], env=app_env(local))
    killed.kill()
    killed.wait()
    assert start(exe, local).returncode == 0
    folder = the_runtime(local)  # one complete runtime, no partial folder left
    assert same_tree(runtime_folder, folder)


def test_a_partial_folder_left_by_a_killed_start_is_tidied(exe: Path, tmp_path: Path) -> None:
    local = tmp_path / "local"
    assert start(exe, local).returncode == 0
    name = the_runtime(local).name
    partial = runtime_root(local) / f"{name}.partial-4242-99"
    (partial / "_internal").mkdir(parents=True)
    (partial / "_internal" / "half.dll").write_bytes(b"MZ")  # its unpacker is gone
    assert start(exe, local).returncode == 0
    assert names(runtime_root(local)) == [name]


def test_a_partial_folder_still_being_unpacked_is_left_alone(exe: Path, tmp_path: Path) -> None:
    local = tmp_path / "local"
    assert start(exe, local).returncode == 0
    name = the_runtime(local).name
    partial = runtime_root(local) / f"{name}.partial-4243-99"
    partial.mkdir()
    with open(partial / ".extracting", "wb"):  # another clerk's first start, unpacking
        assert start(exe, local).returncode == 0
        assert names(runtime_root(local)) == sorted([name, partial.name])


def test_a_runtime_folder_without_its_ready_mark_is_replaced(
    exe: Path, runtime_folder: Path, tmp_path: Path
) -> None:
    """A folder under the runtime's name but incomplete (copied by hand, an old launcher):
    never run, replaced by a complete one."""
    local = tmp_path / "local"
    assert start(exe, local).returncode == 0
    folder = the_runtime(local)
    (folder / ".ready").unlink()
    (folder / "_internal" / "深 层" / "random.bin").unlink()
    result = start(exe, local)
    assert result.returncode == 0, result.stderr
    assert the_runtime(local) == folder and same_tree(runtime_folder, folder)


def test_two_clerks_starting_at_once_share_one_complete_runtime(
    exe: Path, runtime_folder: Path, tmp_path: Path
) -> None:
    local = tmp_path / "local"
    starts = [
        subprocess.Popen([str(exe), "-c", APP_CODE], env=app_env(local), stdout=subprocess.PIPE)
        for _ in range(3)
    ]
    outputs = [p.communicate(timeout=300)[0].decode("utf-8") for p in starts]
    assert [p.returncode for p in starts] == [0, 0, 0]
    assert all("版本一" in out for out in outputs)
    assert same_tree(runtime_folder, the_runtime(local))


def test_old_versions_are_tidied_unless_in_use(exe: Path, tmp_path: Path) -> None:
    local = tmp_path / "local"
    root = runtime_root(local)
    for old in ("0.0.8-aaaaaaaaaaaa", "0.0.9-bbbbbbbbbbbb"):
        (root / old / "_internal").mkdir(parents=True)
        (root / old / ".ready").write_text(old, encoding="ascii")
        (root / old / "jingan-desktop.exe").write_bytes(b"MZ")
    with open(root / "0.0.8-aaaaaaaaaaaa" / ".ready", "rb"):  # its launcher is running
        result = start(exe, local)
    assert result.returncode == 0, result.stderr
    current = next(n for n in names(root) if n.startswith(pack_runtime.version() + "-"))
    assert names(root) == sorted(["0.0.8-aaaaaaaaaaaa", current])
    assert start(exe, local).returncode == 0  # released: now it goes too
    assert names(root) == [current]


def test_jingan_runtime_dir_puts_the_runtime_elsewhere(exe: Path, tmp_path: Path) -> None:
    local, elsewhere = tmp_path / "local", tmp_path / "D 盘" / "runtime"
    assert start(exe, local, JINGAN_RUNTIME_DIR=str(elsewhere)).returncode == 0
    assert names(local) == [] and len(names(elsewhere)) == 1


@pytest.mark.parametrize("damage", ["truncated", "flipped"])
def test_a_damaged_exe_says_so_and_unpacks_nothing(exe: Path, tmp_path: Path, damage: str):
    data = bytearray(exe.read_bytes())
    if damage == "truncated":  # a copy to a stick cut short
        data = data[: len(data) // 2]
    else:  # one byte wrong in the middle of the packed files
        data[len(data) // 2] ^= 0xFF
    exe.write_bytes(bytes(data))
    local = tmp_path / "local"
    result = start(exe, local)
    assert result.returncode == 3
    err = result.stderr.decode("utf-8")
    assert err.startswith("jingan-desktop: error: ") and "damaged" in err
    assert result.stdout == b""  # the app never ran
    assert names(runtime_root(local)) == []  # no folder, complete or partial
