"""dev.py on a fresh Linux machine: `dev.py app` names the X11 libraries Qt's xcb plugin needs
and the one apt command that installs them, before anything else is done."""

from __future__ import annotations

import ctypes
import importlib.util
import sys

import pytest

from tests.conftest import ROOT


def load_dev():
    spec = importlib.util.spec_from_file_location("dev_script", ROOT / "dev.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the xcb plugin is Linux's")
def test_app_names_the_missing_xcb_libraries_and_the_apt_command(monkeypatch, capsys):
    dev = load_dev()
    absent = {"libxcb-icccm.so.4", "libxcb-xkb.so.1", "libxcb-cursor.so.0"}
    assert absent <= set(dev.XCB_LIBRARIES)

    def cdll(name, *args, **kwargs):
        # whatever this machine really has installed, only these three are missing here
        if name in absent:
            raise OSError(f"{name}: cannot open shared object file")
        return object()

    monkeypatch.setattr(ctypes, "CDLL", cdll)
    monkeypatch.setenv("QT_QPA_PLATFORM", "xcb")
    monkeypatch.setattr(dev, "ensure_env", lambda: pytest.fail("no venv before apt has run"))
    assert dev.main(["app"]) == 1
    err = capsys.readouterr().err
    assert "sudo apt-get install -y libxcb-cursor0 libxcb-icccm4 libxcb-xkb1" in err


def test_app_does_not_check_x11_for_another_platform_plugin(monkeypatch):
    dev = load_dev()
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    monkeypatch.setattr(ctypes, "CDLL", lambda *a, **k: pytest.fail("no library looked up"))
    assert dev.missing_xcb_packages() == []
