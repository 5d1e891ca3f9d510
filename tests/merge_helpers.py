"""What the merge tests (tests/test_merge*.py) do the same way: open a file as a given clerk,
run the ``merge`` and ``check`` commands as a clerk types them, and look into a file with
plain sqlite3. The master-and-copy pair itself is the ``files`` fixture in conftest.py."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from jingan_desktop.cli import main
from jingan_desktop.storage.store import Store


def open_as(path: Path, actor: tuple[str, str]) -> Store:
    """The file opened by a clerk (user, machine), as the change log records them."""
    store = Store.open(path)
    store.actor = actor
    return store


def copy_of(base: Path, target: Path, actor: tuple[str, str]) -> Store:
    """A copy of ``base`` taken to another PC, opened there by ``actor``."""
    shutil.copyfile(base, target)
    return open_as(target, actor)


def merge(master: Path, copy: Path, *extra: str) -> int:
    return main(["merge", "--db", str(master), "--from", str(copy), *extra])


def check(path: Path) -> int:
    return main(["check", "--db", str(path)])


def query(path: Path, sql: str, params: tuple = ()) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def execute(path: Path, *statements: tuple[str, tuple]) -> None:
    """Write into a file behind the app's back (a damaged or forged copy)."""
    conn = sqlite3.connect(path)
    try:
        for sql, params in statements:
            conn.execute(sql, params)
        conn.commit()
    finally:
        conn.close()
