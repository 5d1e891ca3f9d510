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


def play_steps(
    template: Path, paths: list[Path], steps: list, edit, merge_in
) -> tuple[list, set[str]]:
    """A random session over copies of ``template``: each step either an edit of one copy by
    its own clerk (``edit(store, kind, seq, made)``) or a merge of one copy into another
    (``merge_in(paths, target, source, prefer, listed)``). Returns what the edits made and
    what the merges listed instead of taking."""
    import shutil

    for path in paths:
        shutil.copyfile(template, path)
    made: list = []
    listed: set[str] = set()
    for seq, step in enumerate(steps):
        if step[0] == "edit":
            store = open_as(paths[step[1]], (f"u{step[1]}", f"PC-{step[1]}"))
            try:
                edit(store, step[2], seq, made)
            finally:
                store.close()
        elif step[1] != step[2]:
            merge_in(paths, step[1], step[2], step[3], listed)
    return made, listed
