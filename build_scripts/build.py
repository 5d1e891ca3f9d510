r"""Build the single-file executable: dist/jingan-desktop (jingan-desktop.exe on Windows).

    python build_scripts/build.py            # build, print the size, run the smoke test
    python build_scripts/build.py --no-test  # build only

On Linux the spec builds the app as a folder, which is trimmed (ICU data: trim_icu.py;
libpython stripped) and packed by pack_runtime.py behind the launcher
(build_scripts/runtime_launcher_posix.c, compiled with gcc and zlib) into one jingan-desktop
that unpacks once per version into ~/.cache/jingan-desktop/runtime/. Without gcc the build
falls back to PyInstaller's onefile executable, which unpacks everything on every start, and
says so.

On Windows the same: pack_runtime.py packs the folder behind build_scripts/runtime_launcher.c
(with runtime_inflate.c) into one jingan-desktop.exe that unpacks once per version into
%LOCALAPPDATA%\jingan-desktop\runtime\. That launcher is compiled with MinGW-w64's gcc (on
PATH, e.g. from MSYS2 or WinLibs) or taken from JINGAN_LAUNCHER_EXE (the Wine build compiles
it on Linux); without either the build falls back to the onefile executable, and says so.

Run it with the project's virtual environment (python3 dev.py build does that). The smoke
test runs the built file with --self-check: it opens the built-in plan offscreen, draws a
chart and writes a PDF report into a temporary folder, and must exit 0.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "build_scripts" / "jingan-desktop.spec"
DIST = ROOT / "dist"
RUNTIME = DIST / "jingan-desktop-runtime"  # the spec's folder build
POSIX_LAUNCHER_SOURCE = ROOT / "build_scripts" / "runtime_launcher_posix.c"
POSIX_LAUNCHER = ROOT / "build" / "launcher" / "runtime-launcher"
LAUNCHER_SOURCES = [ROOT / "build_scripts" / n for n in ("runtime_launcher.c", "runtime_inflate.c")]
LAUNCHER = ROOT / "build" / "launcher" / "runtime-launcher.exe"


def executable() -> Path:
    return DIST / ("jingan-desktop.exe" if sys.platform.startswith("win") else "jingan-desktop")


def gcc_command(target: Path, compiler: str) -> list[str]:
    """The Windows launcher, compiled with MinGW-w64 (on Linux for Wine, or on a PC)."""
    return [compiler, "-O2", "-s", "-Wall", "-municode", "-mwindows", "-o", str(target),
            *map(str, LAUNCHER_SOURCES), "-lshell32"]  # fmt: skip


def windows_launcher() -> Path | None:
    """The compiled Windows launcher, or None (then the build is PyInstaller's onefile)."""
    given = os.environ.get("JINGAN_LAUNCHER_EXE")
    if given:
        return Path(given)
    compiler = shutil.which("x86_64-w64-mingw32-gcc") or shutil.which("gcc")
    if compiler is None:
        print(
            "warning: no MinGW-w64 gcc on PATH: building the onefile executable, which unpacks "
            "everything on every start (install MSYS2's mingw-w64-ucrt-x86_64-gcc for the "
            "launcher)",
            file=sys.stderr,
        )
        return None
    LAUNCHER.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(gcc_command(LAUNCHER, compiler), check=True)
    return LAUNCHER


def linux_launcher() -> Path | None:
    """The compiled launcher, or None (then the build is PyInstaller's onefile)."""
    if not sys.platform.startswith("linux"):
        return None
    compiler = shutil.which("gcc") or shutil.which("cc")
    if compiler is None:
        print(
            "warning: no gcc: building the onefile executable, which unpacks everything on "
            "every start (install gcc and zlib1g-dev for the launcher)",
            file=sys.stderr,
        )
        return None
    POSIX_LAUNCHER.parent.mkdir(parents=True, exist_ok=True)
    # zlib linked in when its static library is there: the launcher then needs only libc
    static = subprocess.run([compiler, "-print-file-name=libz.a"], capture_output=True, text=True)
    zlib = "-l:libz.a" if os.path.isabs(static.stdout.strip()) else "-lz"
    command = [compiler, "-O2", "-s", "-Wall", "-Wno-format-truncation", "-o", str(POSIX_LAUNCHER)]
    subprocess.run([*command, str(POSIX_LAUNCHER_SOURCE), zlib], check=True)
    return POSIX_LAUNCHER


def trim_runtime(folder: Path) -> None:
    """Linux: only the ICU data Qt uses; Python's own libraries (libpython, lib-dynload: built
    with their debugging symbols) stripped. The wheels' libraries stay as they come: numpy's
    OpenBLAS breaks when stripped ("ELF load command … not page-aligned")."""
    from trim_icu import trim

    before, after = trim(folder)
    print(f"ICU data trimmed: {before / 2**20:.1f} MiB → {after / 2**20:.1f} MiB")
    internal = folder / "_internal"
    python = [*internal.glob("libpython3*.so*"), *internal.glob("python3*/lib-dynload/*.so")]
    libraries = [str(p) for p in python if not p.is_symlink()]
    if libraries and shutil.which("strip"):
        subprocess.run(["strip", "--strip-unneeded", *libraries], check=True)


def build() -> Path:
    started = time.perf_counter()
    windows = sys.platform.startswith("win")
    launcher = windows_launcher() if windows else linux_launcher()
    env = {**os.environ, "JINGAN_BUNDLE": "runtime-folder" if launcher else "onefile"}
    subprocess.run(
        [
            sys.executable,
            "-m",
            "PyInstaller",
            "--noconfirm",
            "--clean",
            "--distpath",
            str(DIST),
            "--workpath",
            str(ROOT / "build" / "pyinstaller"),
            str(SPEC),
        ],
        check=True,
        cwd=ROOT,
        env=env,
    )
    exe = executable()
    if launcher is not None:
        sys.path.insert(0, str(Path(__file__).parent))  # (an embedded Python does not add it)
        from pack_runtime import pack

        if windows:
            name = pack(
                launcher,
                RUNTIME,
                exe,
                icon=ROOT / "resources" / "icons" / "app.ico",
                version_file=ROOT / "build_scripts" / "version_info.txt",
            )
        else:
            trim_runtime(RUNTIME)
            name = pack(launcher, RUNTIME, exe)
        shutil.rmtree(RUNTIME)
        print(f"packed the folder build with the launcher (runtime {name})")
    size_mb = exe.stat().st_size / 1024 / 1024
    print(f"built {exe} — {size_mb:.1f} MB in {time.perf_counter() - started:.0f} s")
    return exe


def smoke_test(exe: Path) -> int:
    import tempfile

    # the launcher unpacks into a folder of its own here: the check includes the first start
    runtime = tempfile.mkdtemp(prefix="jingan-runtime-")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "JINGAN_RUNTIME_DIR": runtime}
    started = time.perf_counter()
    try:
        result = subprocess.run(
            [str(exe), "--self-check"], env=env, capture_output=True, text=True, timeout=300
        )
    finally:
        shutil.rmtree(runtime, ignore_errors=True)
    print(result.stdout, end="")
    print(result.stderr, end="", file=sys.stderr)
    verdict = "passed" if result.returncode == 0 else f"FAILED (exit {result.returncode})"
    print(f"smoke test {verdict} in {time.perf_counter() - started:.1f} s")
    return result.returncode


def main(argv: list[str]) -> int:
    exe = build()
    if "--no-test" in argv:
        return 0
    return smoke_test(exe)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
