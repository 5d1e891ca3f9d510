"""Build the single-file executable: dist/jingan-desktop (jingan-desktop.exe on Windows).

    python build_scripts/build.py            # build, print the size, run the smoke test
    python build_scripts/build.py --no-test  # build only

Run it with the project's virtual environment (python3 dev.py build does that). The smoke
test runs the built file with --self-check: it opens the built-in plan offscreen, draws a
chart and writes a PDF report into a temporary folder, and must exit 0.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "build_scripts" / "jingan-desktop.spec"
DIST = ROOT / "dist"


def executable() -> Path:
    return DIST / ("jingan-desktop.exe" if sys.platform.startswith("win") else "jingan-desktop")


def build() -> Path:
    started = time.perf_counter()
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
    )
    exe = executable()
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
