"""The Linux executable's launcher (build_scripts/runtime_launcher_posix.c) and its packer
(build_scripts/pack_runtime.py), on a small folder build standing in for the app: a shell
script as ``jingan-desktop`` that prints what it was started with.

Driven the way a clerk does it: run the one file, again, twice at once, after a start was
killed half-way, after an update; the runtime folder checked on disk."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

if sys.platform == "win32":
    pytest.skip(
        "the POSIX launcher: Windows has its own (tests/test_windows_runtime.py)",
        allow_module_level=True,
    )

import fcntl  # POSIX only, after the skip

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "build_scripts"))

import pack_runtime  # noqa: E402

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux") or shutil.which("gcc") is None,
    reason="the POSIX launcher is built with gcc on Linux",
)

APP = """#!/bin/sh
echo "args: $*"
echo "exe: $JINGAN_EXE"
echo "data: $(cat "$(dirname "$0")/_internal/data/plan.txt")"
exit "${APP_EXIT:-0}"
"""


@pytest.fixture(scope="module")
def launcher(tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("launcher") / "runtime-launcher"
    source = ROOT / "build_scripts" / "runtime_launcher_posix.c"
    subprocess.run(["gcc", "-O2", "-Wall", "-o", str(target), str(source), "-lz"], check=True)
    return target


def folder_build(where: Path, text: str = "计划 2022") -> Path:
    folder = where / "jingan-desktop-runtime"
    (folder / "_internal" / "data").mkdir(parents=True)
    (folder / "jingan-desktop").write_text(APP)
    (folder / "jingan-desktop").chmod(0o755)
    (folder / "_internal" / "data" / "plan.txt").write_text(text, encoding="utf-8")
    (folder / "_internal" / "libbig.so.1").write_bytes(os.urandom(300_000) + b"\0" * 300_000)
    (folder / "_internal" / "libbig.so").symlink_to("libbig.so.1")
    return folder


@pytest.fixture
def exe(tmp_path, launcher) -> tuple[Path, str]:
    target = tmp_path / "dist" / "jingan-desktop"
    target.parent.mkdir()
    name = pack_runtime.pack(launcher, folder_build(tmp_path / "build"), target)
    return target, name


def start(exe: Path, runtime: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "JINGAN_RUNTIME_DIR": str(runtime), **env}
    return subprocess.run(
        [str(exe), *args], env=environment, capture_output=True, text=True, timeout=60
    )


def test_first_start_unpacks_then_later_starts_reuse(exe, tmp_path):
    target, name = exe
    runtime = tmp_path / "runtime"
    first = start(target, runtime, "--db", "计划.sqlite")
    assert first.returncode == 0, first.stderr
    assert "args: --db 计划.sqlite" in first.stdout
    assert f"exe: {target}" in first.stdout
    assert "data: 计划 2022" in first.stdout
    unpacked = runtime / name
    assert (unpacked / ".ready").read_text() == name
    assert os.access(unpacked / "jingan-desktop", os.X_OK)
    assert os.readlink(unpacked / "_internal" / "libbig.so") == "libbig.so.1"
    assert (unpacked / "_internal" / "libbig.so").read_bytes()[-10:] == b"\0" * 10
    assert sorted(p.name for p in runtime.iterdir()) == [name]
    # a later start runs the folder as it is: a file put there is still there afterwards
    (unpacked / "_internal" / "data" / "plan.txt").write_text("已解压", encoding="utf-8")
    later = start(target, runtime)
    assert later.returncode == 0, later.stderr
    assert "data: 已解压" in later.stdout


def test_the_apps_exit_code_is_the_programs(exe, tmp_path):
    result = start(exe[0], tmp_path / "runtime", APP_EXIT="3")
    assert result.returncode == 3


def test_a_start_killed_half_way_is_never_trusted(exe, tmp_path):
    target, name = exe
    runtime = tmp_path / "runtime"
    # what a killed first start leaves: a partial folder (its unpacker gone), and a folder of
    # the version's name without ".ready" (copied by hand, or left by an older build)
    partial = runtime / f"{name}.partial-4000000-1"
    (partial / "_internal").mkdir(parents=True)
    (partial / ".extracting").write_text("")
    (partial / "jingan-desktop").write_text("#!/bin/sh\necho HALF-UNPACKED\n")
    (runtime / name / "_internal" / "data").mkdir(parents=True)
    (runtime / name / "jingan-desktop").write_text("#!/bin/sh\necho HALF-UNPACKED\n")
    result = start(target, runtime)
    assert result.returncode == 0, result.stderr
    assert "data: 计划 2022" in result.stdout and "HALF-UNPACKED" not in result.stdout
    assert (runtime / name / ".ready").is_file()
    assert sorted(p.name for p in runtime.iterdir()) == [name]


def test_two_starts_at_once_both_run_and_one_folder_is_left(exe, tmp_path):
    target, name = exe
    runtime = tmp_path / "runtime"
    env = {**os.environ, "JINGAN_RUNTIME_DIR": str(runtime)}
    starts = [
        subprocess.Popen([str(target)], env=env, stdout=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    outputs = [p.communicate(timeout=60)[0] for p in starts]
    assert [p.returncode for p in starts] == [0, 0, 0]
    assert all("data: 计划 2022" in out for out in outputs)
    assert sorted(p.name for p in runtime.iterdir()) == [name]
    assert (runtime / name / ".ready").read_text() == name


def test_old_versions_are_tidied_unless_running(exe, tmp_path, launcher):
    target, name = exe
    runtime = tmp_path / "runtime"
    old = tmp_path / "old"
    old.mkdir()
    old_exe = old / "jingan-desktop"
    old_name = pack_runtime.pack(launcher, folder_build(old, "旧版"), old_exe)
    assert old_name != name
    assert "data: 旧版" in start(old_exe, runtime).stdout
    (runtime / "0.0.1-aaaaaaaaaaaa.trash-1-1").mkdir()
    # the old version still running (its launcher's lock on .ready): it stays
    with open(runtime / old_name / ".ready") as running:
        fcntl.flock(running, fcntl.LOCK_SH)
        assert start(target, runtime).returncode == 0
        assert sorted(p.name for p in runtime.iterdir()) == sorted([name, old_name])
    # no longer running: the next start tidies it away
    assert start(target, runtime).returncode == 0
    assert sorted(p.name for p in runtime.iterdir()) == [name]


def test_a_damaged_file_says_so_and_unpacks_nothing(exe, tmp_path):
    target = exe[0]
    runtime = tmp_path / "runtime"
    data = bytearray(target.read_bytes())
    # one byte of the packed library changed: its CRC-32 no longer matches
    at = data.index(b"libbig.so.1") + 40
    data[at] ^= 0xFF
    damaged = tmp_path / "damaged"
    damaged.write_bytes(bytes(data))
    damaged.chmod(0o755)
    result = start(damaged, runtime)
    assert result.returncode == 1
    assert "cannot unpack the program" in result.stderr
    assert list(runtime.iterdir()) == []
    truncated = tmp_path / "truncated"
    truncated.write_bytes(bytes(data[: len(data) // 2]))
    truncated.chmod(0o755)
    result = start(truncated, runtime)
    assert result.returncode == 1
    assert "incomplete or damaged" in result.stderr
