"""Start-up as a clerk meets it: first start creates the default plan; --screenshot renders."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtGui import QImage

from jingan_desktop.paths import default_db_path
from jingan_desktop.qt.application import create_application
from jingan_desktop.qt.fonts import missing_glyphs, register_bundled_font
from jingan_desktop.storage.store import Store, ensure_default_database

ROOT = Path(__file__).resolve().parents[1]


def test_first_start_creates_the_default_plan_in_the_data_folder(_isolated_data_dir):
    path = ensure_default_database()
    assert path == default_db_path() and path.parent == _isolated_data_dir
    store = Store.open(path)
    data = store.load()
    assert data.plan.title == "2022年区政府重点工作安排"
    assert len(data.plan.items()) == 34
    store.set_actual(data.plan.indicators()[0].id, 1, 3.0)
    store.close()
    # A second start opens the same file; nothing is re-created.
    assert ensure_default_database() == path
    store = Store.open(path)
    assert store.check().counts["actual"] == 1
    store.close()


def test_bundled_font_draws_every_character_of_the_plan(qapp, seed_text):
    create_application()
    family = register_bundled_font()
    assert family == "WenQuanYi Micro Hei"
    text = "".join(sorted(set(seed_text) - {"\n"}))
    assert missing_glyphs(text, family) == []
    assert qapp.font().family() == family


def test_screenshot_command_renders_the_window(tmp_path):
    target = tmp_path / "shot.png"
    env = {**os.environ, "JINGAN_DATA_DIR": str(tmp_path / "data"), "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "jingan_desktop",
            "--screenshot",
            str(target),
            "--quarter",
            "2022Q2",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr
    image = QImage(str(target))
    assert image.width() >= 1200 and image.height() >= 700
    # Not a blank image: the tree's coloured rows and text make many distinct colours.
    colours = {
        image.pixel(x, y) for x in range(0, image.width(), 7) for y in range(0, image.height(), 7)
    }
    assert len(colours) > 20
    assert (tmp_path / "data" / "jingan-plan.sqlite").exists()


def test_self_check_proves_the_data_files_a_build_must_carry(tmp_path):
    """The executable's smoke test: each step reads a data file the spec must bundle."""
    env = {
        **os.environ,
        "JINGAN_DATA_DIR": str(tmp_path / "data"),
        "QT_QPA_PLATFORM": "offscreen",
        "PYTHONIOENCODING": "utf-8",  # not the ANSI code page of a Chinese Windows
    }
    result = subprocess.run(
        [sys.executable, "-m", "jingan_desktop", "--self-check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=300,
    )
    out = result.stdout.decode("utf-8", "replace")
    assert result.returncode == 0, result.stderr.decode("utf-8", "replace")
    for step in (
        "ok: PDF report written",
        "ok: tree printed to PDF",
        "ok: Excel workbook written",
        "ok: traditional characters fold to simplified (萬個項目 → 万个项目)",
    ):
        assert step in out
    assert out.splitlines()[-1].startswith("self-check passed")


def test_screenshot_of_a_bad_file_fails_cleanly(tmp_path):
    bad = tmp_path / "bad.sqlite"
    bad.write_bytes(b"not a database at all")
    env = {**os.environ, "JINGAN_DATA_DIR": str(tmp_path / "data"), "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "jingan_desktop",
            "--db",
            str(bad),
            "--screenshot",
            str(tmp_path / "x.png"),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert bad.read_bytes() == b"not a database at all"


def test_charts_take_dollar_signs_literally_and_count_in_whole_numbers(tmp_path, seed_path):
    import warnings

    from jingan_desktop.outputs import charts
    from jingan_desktop.plan.parser import read_plan_file
    from jingan_desktop.workspace import Workspace

    store = Store.create(tmp_path / "p.sqlite", read_plan_file(seed_path).plan)
    workspace = Workspace(store, quarter=2)
    chapter = workspace.plan.chapters[0]
    workspace.apply(workspace.make_edit("chapter", chapter.id, "title", "收入$5$与$x^2$"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a missing glyph would warn
        chart = charts.chapter_completion(workspace)
        png = charts.figure_png(chart.figure)
        counts = charts.status_counts(workspace)
        charts.figure_png(counts.figure)
    assert png.startswith(b"\x89PNG")
    labels = [t.get_text() for t in chart.figure.axes[0].get_yticklabels()]
    assert any(label.startswith("一、收入$5$与$x^2$") for label in labels)
    ticks = counts.figure.axes[0].get_yticks()
    assert all(float(t).is_integer() for t in ticks)
    store.close()


# What the window's start must not load: each costs a noticeable part of a second on a clerk's
# PC, and none of it is needed before the tree is drawn (exports, reports, charts, migrations,
# plan documents, merging, the share session, the dialogs, the clipboard's HTML parser).
NOT_AT_START_UP = (
    "sqlite_utils",
    "numpy",
    "matplotlib",
    "openpyxl",
    "reportlab",
    "click",
    "docx",
    "pypdf",
    "PIL",
    "jingan_desktop.outputs.report",
    "jingan_desktop.outputs.excel",
    "jingan_desktop.outputs.charts",
    "jingan_desktop.plan.parser",
    "jingan_desktop.plan.review",
    "jingan_desktop.storage.merge",
    "jingan_desktop.storage.matching",
    "jingan_desktop.storage.sync.session",
    "jingan_desktop.storage.sync.fetch",
    "jingan_desktop.storage.sync.publish",
    "jingan_desktop.storage.sync.replica",
    "jingan_desktop.storage.sync.lock",
    "jingan_desktop.qt.dialogs",
    "jingan_desktop.qt.views.clipboard",
    "jingan_desktop.qt.views.print_pages",
    "jingan_desktop.qt.self_check",
    "jingan_desktop.qt.views.warnings_list",  # the tabs not shown at start (views/later.py)
    "jingan_desktop.qt.views.history_view",
    "jingan_desktop.qt.views.charts_tab",
    # The standard library's, a few ms each, that a bare PySide6 window does not load either:
    # ctypes on Linux (the share detection reads /proc/self/mountinfo; Windows asks the drive's
    # type through ctypes), uuid and platform (ids are made by writes; the machine's name comes
    # from os.uname), glob (leftovers are tidied by writes).
    *(("ctypes",) if sys.platform.startswith("linux") else ()),
    "uuid",
    "platform",
    "glob",
)
# Qt classes PySide builds (with all their enums) only when Python first names them: the
# dialogs are reached as QtWidgets.QMessageBox … where they are shown, and a status colour is
# a QColor (a QBrush made would build QGradient and QImage).
NOT_BUILT_AT_START_UP = (
    "QtWidgets.QMessageBox",
    "QtWidgets.QFileDialog",
    "QtWidgets.QInputDialog",
    "QtGui.QGradient",
    "QtCore.QUrl",
)


def test_start_up_leaves_the_heavy_libraries_unloaded(tmp_path):
    """``python -m jingan_desktop`` as the start-up probe runs it: the window opens the plan,
    fills and paints the tree, and quits; then nothing of NOT_AT_START_UP is loaded."""
    code = (
        "import runpy, sys\n"
        "sys.argv = ['jingan-desktop', '--startup-probe', 'app']\n"
        "try:\n"
        "    runpy.run_module('jingan_desktop', run_name='__main__')\n"
        "except SystemExit as exit:\n"
        "    code = exit.code\n"
        f"heavy = {NOT_AT_START_UP!r}\n"
        "loaded = sorted(m for m in sys.modules for h in heavy if (m + '.').startswith(h + '.'))\n"
        "import PySide6.QtCore, PySide6.QtGui, PySide6.QtWidgets\n"
        f"for name in {NOT_BUILT_AT_START_UP!r}:\n"
        "    module, cls = name.split('.')\n"
        "    if cls in vars(sys.modules['PySide6.' + module]):\n"
        "        loaded.append(name)\n"
        "print(code, loaded)\n"
    )
    env = {**os.environ, "JINGAN_DATA_DIR": str(tmp_path / "data"), "QT_QPA_PLATFORM": "offscreen"}
    # The first start builds the default plan from the shipped text; the second is a normal one.
    for _ in range(2):
        result = subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
        )
        assert result.returncode == 0, result.stderr
    # 0: the probe saw the plan's rows in the tree and the tree painted.
    assert result.stdout.splitlines()[-1] == "0 []"
