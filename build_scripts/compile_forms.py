"""Compile the Qt Designer forms in ui/ into jingan_desktop/qt/forms/ui_*.py.

    python build_scripts/compile_forms.py           # regenerate
    python build_scripts/compile_forms.py --check   # exit 1 if a generated file is stale

The generated files are committed (so the app needs no uic at run time); CI checks for drift.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FORMS = ROOT / "ui"
OUT = ROOT / "jingan_desktop" / "qt" / "forms"
HEADER = (
    "# Generated from ui/{name} by build_scripts/compile_forms.py: do not edit.\n# ruff: noqa\n"
)


def uic() -> list[str]:
    """PySide6's uic, through the same entry point as its ``pyside6-uic`` script.

    Calling the entry point works wherever PySide6 is installed: the script's name and folder
    differ by OS (``Scripts\\pyside6-uic.exe`` on Windows, none at all in an embeddable Python).
    """
    entry = "import sys; from PySide6.scripts.pyside_tool import uic; sys.argv[0] = 'uic'; uic()"
    return [sys.executable, "-c", entry]


def compile_form(form: Path) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "out.py"
        subprocess.run([*uic(), "--from-imports", str(form), "-o", str(target)], check=True)
        body = target.read_text(encoding="utf-8")
    # uic stamps its own version in a comment; drop it so upgrades don't count as drift.
    lines = [
        line
        for line in body.splitlines()
        if not line.startswith("## Created by: Qt User Interface Compiler")
    ]
    return HEADER.format(name=form.name) + "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    check = "--check" in argv
    OUT.mkdir(parents=True, exist_ok=True)
    init = OUT / "__init__.py"
    if not init.exists() and not check:
        init.write_text('"""Generated Qt Designer forms (see build_scripts/compile_forms.py)."""\n')
    stale = []
    for form in sorted(FORMS.glob("*.ui")):
        target = OUT / f"ui_{form.stem}.py"
        fresh = compile_form(form)
        if target.exists() and target.read_text(encoding="utf-8") == fresh:
            continue
        if check:
            stale.append(target)
        else:
            target.write_text(fresh, encoding="utf-8")
            print(f"wrote {target.relative_to(ROOT)}")
    for target in stale:
        print(
            f"stale: {target.relative_to(ROOT)} (run build_scripts/compile_forms.py)",
            file=sys.stderr,
        )
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
