"""The layers point one way: Qt code → core. The core, the CLI's commands and the parser
must work on a machine where Qt is never imported."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_core_imports_no_qt():
    modules = sorted(
        f"jingan_desktop.core.{p.stem}"
        for p in (ROOT / "jingan_desktop" / "core").glob("*.py")
        if p.stem != "__init__"
    )
    code = (
        "import sys\n"
        + "".join(f"import {m}\n" for m in modules)
        + "import jingan_desktop.cli\n"
        + "bad = sorted(m for m in sys.modules if m.startswith(('PySide6', 'shiboken6')))\n"
        + "print(len(sys.modules)); assert not bad, bad\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert len(modules) >= 8


def test_no_qt_import_statements_outside_the_qt_package():
    offenders = []
    for path in (ROOT / "jingan_desktop").rglob("*.py"):
        if "qt" in path.relative_to(ROOT / "jingan_desktop").parts[:1]:
            continue
        text = path.read_text(encoding="utf-8")
        if "import PySide6" in text or "from PySide6" in text:
            offenders.append(str(path))
    assert offenders == []


def test_generated_forms_match_their_designer_files():
    result = subprocess.run(
        [sys.executable, str(ROOT / "build_scripts" / "compile_forms.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
