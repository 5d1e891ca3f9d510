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
import venv
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
        print("Creating virtual environment in .venv …", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if not STAMP.exists() or STAMP.read_text().strip() != wanted:
        print("Installing jingan_desktop and its dependencies …", flush=True)
        pip = [str(python), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
        subprocess.check_call([*pip, "-e", f"{ROOT}[dev]"])
        STAMP.write_text(wanted)
    return python


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"app", "test", "bench", "build"}:
        print(__doc__)
        return 2
    command, rest = argv[0], argv[1:]
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
