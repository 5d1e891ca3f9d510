"""``jingan-desktop --self-check`` from source, as the build runs it on the executable: every
step passes here, so a failure of the built file is what the build left out."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_self_check_passes_from_source(tmp_path):
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "QT_QPA_PLATFORM": "offscreen",
        "JINGAN_DATA_DIR": str(tmp_path / "data"),
        "PYTHONIOENCODING": "utf-8",  # not the ANSI code page of a Chinese Windows
    }
    result = subprocess.run(
        [sys.executable, "-m", "jingan_desktop", "--self-check"],
        env=env,
        capture_output=True,
        encoding="utf-8",
        timeout=600,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    for step in (
        "tree printed to PDF",
        "Excel workbook written",
        "chart saved as SVG",
        "萬個項目 → 万个项目",
        # Linux bundles ICU's collation data; Windows sorts with the system's own
        "Chinese sorting is the system's (Windows)"
        if sys.platform == "win32"
        else "Qt sorts Chinese by pinyin (安徽 北京 重庆 上海)",
        "self-check passed",
    ):
        assert step in result.stdout, result.stdout
