"""Shared fixtures. Qt runs offscreen and the app's data folder is a temporary one."""

from __future__ import annotations

import os
import sys
from pathlib import Path

# Before anything imports Qt: no screen here or in CI.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("MPLBACKEND", "Agg")

import pytest

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "db" / "seed" / "jingan-2022-key-work-plan.txt"
sys.path.insert(0, str(ROOT))


@pytest.fixture(autouse=True)
def _isolated_data_dir(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    data = tmp_path_factory.mktemp("appdata")
    monkeypatch.setenv("JINGAN_DATA_DIR", str(data))
    return data


@pytest.fixture(scope="session")
def seed_path() -> Path:
    return SEED


@pytest.fixture(scope="session")
def seed_text() -> str:
    return SEED.read_text(encoding="utf-8")


@pytest.fixture
def seed_store(tmp_path: Path):
    """A fresh plan file holding the 2022 seed plan."""
    from jingan_desktop.plan.parser import read_plan_file
    from jingan_desktop.storage.store import Store

    store = Store.create(tmp_path / "plan.sqlite", read_plan_file(SEED).plan)
    yield store
    store.close()


@pytest.fixture(scope="session")
def template_file(tmp_path_factory: pytest.TempPathFactory, seed_path: Path) -> Path:
    """The 2022 seed plan stored once per test run; tests get copies of it."""
    from jingan_desktop.plan.parser import read_plan_file
    from jingan_desktop.storage.store import Store

    path = tmp_path_factory.mktemp("template") / "plan.sqlite"
    Store.create(path, read_plan_file(seed_path).plan).close()
    return path


@pytest.fixture
def plan_file(tmp_path: Path, template_file: Path) -> Path:
    """A fresh copy of the 2022 plan file, alone in its folder (for tests that reopen it)."""
    import shutil

    folder = tmp_path / "files"
    folder.mkdir()
    path = folder / "plan.sqlite"
    shutil.copyfile(template_file, path)
    return path


@pytest.fixture
def files(tmp_path: Path, template_file: Path) -> tuple[Path, Path]:
    """The master and a copy of it taken to another PC (same content, same file id), each
    in a folder of its own (the merge tests; helpers in tests/merge_helpers.py)."""
    import shutil

    master = tmp_path / "master" / "plan.sqlite"
    copy = tmp_path / "stick" / "plan.sqlite"
    for path in (master, copy):
        path.parent.mkdir()
        shutil.copyfile(template_file, path)
    return master, copy


@pytest.fixture
def messages(monkeypatch) -> list[str]:
    """Message boxes are recorded instead of shown (questions answer Yes)."""
    from PySide6.QtWidgets import QMessageBox

    shown: list[str] = []

    def fake_exec(box: QMessageBox) -> int:
        shown.append(f"{box.windowTitle()}: {box.text()}")
        return QMessageBox.StandardButton.Ok

    monkeypatch.setattr(QMessageBox, "exec", fake_exec)
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    monkeypatch.setattr(QMessageBox, "information", lambda *a, **k: shown.append(str(a[2])))
    return shown


@pytest.fixture
def window(qtbot, plan_file, messages):
    """The main window on ``plan_file`` at 2022Q2, shown offscreen."""
    from jingan_desktop.qt.application import create_application, settings
    from jingan_desktop.qt.main_window import MainWindow

    create_application()
    win = MainWindow(settings())
    qtbot.addWidget(win)
    assert win.open_path(plan_file, quarter=2)
    win.show()
    qtbot.waitExposed(win)
    return win
