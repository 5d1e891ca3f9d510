"""build_scripts/trim_icu.py on the ICU data library PySide6's Qt really links (Linux): the
package it writes is ICU's own format, item for item."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "build_scripts"))

import trim_icu  # noqa: E402


def qt_icu_data() -> Path | None:
    import PySide6

    return trim_icu.data_library(Path(PySide6.__file__).parent / "Qt" / "lib")


pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux") or shutil.which("nm") is None or qt_icu_data() is None,
    reason="PySide6 links its own ICU on Linux only",
)


def test_the_whole_package_written_again_is_the_same_bytes():
    symbol, blob = trim_icu.read_blob(qt_icu_data())
    assert symbol.startswith("icudt") and symbol.endswith("_dat")
    header, entries = trim_icu.items(blob)
    assert len(entries) > 1000
    assert trim_icu.package(header, entries) == blob


def test_the_trimmed_package_holds_the_chinese_collation_unchanged():
    symbol, blob = trim_icu.read_blob(qt_icu_data())
    header, entries = trim_icu.items(blob)
    prefix = symbol.removesuffix("_dat") + "l/"
    kept = [(n, d) for n, d in entries if trim_icu.kept(n.removeprefix(prefix))]
    trimmed = trim_icu.package(header, kept)
    assert len(trimmed) < len(blob) / 8
    again = dict(trim_icu.items(trimmed)[1])
    assert again == dict(kept)
    for needed in ("coll/root.res", "coll/ucadata.icu", "coll/zh.res"):
        assert prefix + needed in again
    assert not any("/coll/ja" in name or name.endswith("/de.res") for name in again)
