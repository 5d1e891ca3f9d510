#!/usr/bin/env python3
"""One entry point for a fresh machine: creates .venv, installs the project, then runs it.

    python3 dev.py app [ARGS]    launch the app (default: the built-in 2022 plan)
    python3 dev.py test [ARGS]   lint, then run the whole test suite
    python3 dev.py bench [ARGS]  run the benchmark (bench/run.py)
    python3 dev.py build         build the single-file executable (build_scripts/build.py)
    python3 dev.py build --windows [--tests | --startup | --help]
                                 on Linux: build and self-check jingan-desktop.exe under Wine,
                                 or run the test suite under the Windows Python
                                 (build_scripts/build_windows.py)

Only the Python standard library is used here, so it runs before anything is installed.
The venv is re-synchronised whenever pyproject.toml changes.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
STAMP = VENV / ".jingan-installed"


def venv_python() -> Path:
    if os.name == "nt":
        return VENV / "Scripts" / "python.exe"
    return VENV / "bin" / "python"


def ensure_env() -> Path:
    if sys.version_info < (3, 11):  # noqa: UP036 - this script runs before any venv exists
        sys.exit("jingan_desktop needs Python 3.11 or newer")
    python = venv_python()
    if not python.exists():
        import venv  # here only: some Pythons lack it (the embeddable one the Wine build uses)

        print("Creating virtual environment in .venv …", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if not STAMP.exists() or STAMP.read_text().strip() != wanted:
        print("Installing jingan_desktop and its dependencies …", flush=True)
        pip = [str(python), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
        subprocess.check_call([*pip, "-e", f"{ROOT}[dev]"])
        STAMP.write_text(wanted)
    return python


# What Qt's xcb platform plugin loads on Linux, by the Debian/Ubuntu package that has it. Qt
# names only the first it misses ("Could not load the Qt platform plugin xcb", exit 250), and
# often the wrong one.
XCB_LIBRARIES = {
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-xinerama.so.0": "libxcb-xinerama0",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
}


def missing_xcb_packages() -> list[str]:
    """The packages whose libraries Qt's xcb plugin cannot load here (none off Linux, none
    when another platform plugin is chosen)."""
    if not sys.platform.startswith("linux"):
        return []
    platform = os.environ.get("QT_QPA_PLATFORM", "xcb")
    if not platform.startswith("xcb"):
        return []
    import ctypes

    missing = []
    for library, package in XCB_LIBRARIES.items():
        try:
            ctypes.CDLL(library)
        except OSError:
            missing.append(package)
    return missing


def check_xcb() -> bool:
    missing = missing_xcb_packages()
    if missing:
        print(
            "The window cannot open: Qt needs X11 libraries this machine lacks. Install them with:\n"
            f"  sudo apt-get install -y {' '.join(missing)}",
            file=sys.stderr,
        )
    return not missing


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"app", "test", "bench", "build"}:
        print(__doc__)
        return 2
    command, rest = argv[0], argv[1:]
    if command == "app" and not check_xcb():
        return 1  # before a venv is made: nothing installed helps until apt has run
    python = str(ensure_env())
    if command == "app":
        return subprocess.call([python, "-m", "jingan_desktop", *rest])
    if command == "bench":
        return subprocess.call([python, str(ROOT / "bench" / "run.py"), *rest])
    if command == "build" and "--windows" in rest:
        script = ROOT / "build_scripts" / "build_windows.py"
        return subprocess.call([python, str(script), *rest])
    if command == "build":
        return subprocess.call([python, str(ROOT / "build_scripts" / "build.py"), *rest])
    lint = subprocess.call([python, "-m", "ruff", "check", str(ROOT)])
    if lint != 0:
        print("ruff found problems (see above)", file=sys.stderr)
        return lint
    return subprocess.call([python, "-m", "pytest", *rest], cwd=ROOT)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
