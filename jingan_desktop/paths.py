"""Where things live: bundled resources (source tree or frozen executable) and the user's data."""

from __future__ import annotations

import os
import sys
from pathlib import Path

APP_DIR_NAME = "jingan-desktop"
DEFAULT_DB_NAME = "jingan-plan.sqlite"
SEED_PLAN = "db/seed/jingan-2022-key-work-plan.txt"


def root_dir() -> Path:
    """The folder holding ``db/``, ``resources/`` and ``ui/``.

    From a source checkout that is the repository; from the PyInstaller executable it is the
    folder the bundle unpacks into (``sys._MEIPASS``).
    """
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen)
    return Path(__file__).resolve().parents[1]


def resource_path(relative: str) -> Path:
    return root_dir() / relative


def data_dir(env: dict[str, str] | None = None, platform: str | None = None) -> Path:
    """The per-user data folder, as QStandardPaths.AppLocalDataLocation would pick it.

    ``JINGAN_DATA_DIR`` overrides it (tests, portable installs). Windows: %LOCALAPPDATA%;
    macOS: ~/Library/Application Support; elsewhere: $XDG_DATA_HOME or ~/.local/share.
    """
    env = dict(os.environ) if env is None else env
    platform = sys.platform if platform is None else platform
    if env.get("JINGAN_DATA_DIR"):
        return Path(env["JINGAN_DATA_DIR"])
    if platform.startswith("win"):
        base = env.get("LOCALAPPDATA") or env.get("APPDATA")
        if base:
            return Path(base) / APP_DIR_NAME
        return Path(env.get("USERPROFILE", str(Path.home()))) / "AppData" / "Local" / APP_DIR_NAME
    if platform == "darwin":
        return Path.home() / "Library" / "Application Support" / APP_DIR_NAME
    base = env.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / APP_DIR_NAME


def cache_dir(env: dict[str, str] | None = None, platform: str | None = None) -> Path:
    """The per-user cache folder (what can be made again: the parsed font, say).

    ``JINGAN_DATA_DIR`` set: its ``cache`` subfolder. Windows: %LOCALAPPDATA%; macOS:
    ~/Library/Caches; elsewhere: $XDG_CACHE_HOME or ~/.cache.
    """
    env = dict(os.environ) if env is None else env
    platform = sys.platform if platform is None else platform
    if env.get("JINGAN_DATA_DIR"):
        return Path(env["JINGAN_DATA_DIR"]) / "cache"
    if platform.startswith("win"):
        return data_dir(env, platform) / "cache"
    if platform == "darwin":
        return Path.home() / "Library" / "Caches" / APP_DIR_NAME
    base = env.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / APP_DIR_NAME


def default_db_path() -> Path:
    return data_dir() / DEFAULT_DB_NAME


def backups_dir(db_path: Path) -> Path:
    """Backups sit next to the data: ``<folder>/backups/<file stem>/``."""
    return db_path.parent / "backups" / db_path.stem


# The bundled CJK font: one TrueType file used by Qt, matplotlib and reportlab alike.
BUNDLED_FONT = resource_path("resources/fonts/wqy-microhei.ttf")
FONT_FAMILY = "WenQuanYi Micro Hei"
