r"""Build the single-file executable: dist/jingan-desktop (jingan-desktop.exe on Windows).

    python build_scripts/build.py            # build, print the size, run the smoke test
    python build_scripts/build.py --no-test  # build only

On Windows the spec builds the app as a folder and pack_runtime.py packs it behind the
launcher (build_scripts/runtime_launcher.c) into one jingan-desktop.exe that unpacks once per
version into %LOCALAPPDATA%\jingan-desktop\runtime\. The launcher is compiled with MinGW-w64's
gcc (on PATH, e.g. from MSYS2 or WinLibs) or taken from JINGAN_LAUNCHER_EXE (the Wine build
compiles it on Linux); without either the build falls back to PyInstaller's onefile
executable, which unpacks everything on every start, and says so.

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
RUNTIME = DIST / "jingan-desktop-runtime"  # the spec's folder build on Windows
LAUNCHER_SOURCES = [ROOT / "build_scripts" / n for n in ("runtime_launcher.c", "runtime_inflate.c")]
LAUNCHER = ROOT / "build" / "launcher" / "runtime-launcher.exe"


def executable() -> Path:
    return DIST / ("jingan-desktop.exe" if sys.platform.startswith("win") else "jingan-desktop")


def gcc_command(target: Path, compiler: str) -> list[str]:
    return [compiler, "-O2", "-s", "-Wall", "-municode", "-mwindows", "-o", str(target),
            *map(str, LAUNCHER_SOURCES), "-lshell32"]  # fmt: skip


def windows_launcher() -> Path | None:
    """The compiled launcher, or None (then the build is PyInstaller's onefile)."""
    given = os.environ.get("JINGAN_LAUNCHER_EXE")
    if given:
        return Path(given)
    compiler = shutil.which("x86_64-w64-mingw32-gcc") or shutil.which("gcc")
    if compiler is None:
        print(
            "warning: no MinGW-w64 gcc on PATH: building the onefile executable, which unpacks "
            "everything on every start (install MSYS2's mingw-w64-x86_64-gcc for the launcher)",
            file=sys.stderr,
        )
        return None
    LAUNCHER.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(gcc_command(LAUNCHER, compiler), check=True)
    return LAUNCHER


def build() -> Path:
    started = time.perf_counter()
    launcher = windows_launcher() if sys.platform.startswith("win") else None
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

        name = pack(
            launcher,
            RUNTIME,
            exe,
            icon=ROOT / "resources" / "icons" / "app.ico",
            version_file=ROOT / "build_scripts" / "version_info.txt",
        )
        shutil.rmtree(RUNTIME)
        print(f"packed the folder build with the launcher (runtime {name})")
    size_mb = exe.stat().st_size / 1024 / 1024
    print(f"built {exe} — {size_mb:.1f} MB in {time.perf_counter() - started:.0f} s")
    return exe


def smoke_test(exe: Path) -> int:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    started = time.perf_counter()
    result = subprocess.run(
        [str(exe), "--self-check"], env=env, capture_output=True, text=True, timeout=300
    )
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
