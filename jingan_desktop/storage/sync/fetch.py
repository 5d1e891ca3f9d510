"""Fetching the master from the share: its bytes copied to a local file (a hot journal beside
it played back into the copy, never into the master) and the copy verified before anything
reads it — the master itself is never opened with SQLite."""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import sqlite3
import time
from pathlib import Path

from ..database import (
    APPLICATION_ID,
    SCHEMA_VERSION,
    CorruptError,
    Database,
    FileMissingError,
    NewerSchemaError,
    StoreError,
    WriteFailedError,
    read_header,
)

FETCH_ATTEMPTS = 4


class DamagedMasterError(CorruptError):
    """The master on the share failed its check; it is never written over."""


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _copy_hashing(source: Path, target: Path) -> str:
    """Copy a file's bytes (through the share client) and return their sha256."""
    digest = hashlib.sha256()
    with open(source, "rb") as src, open(target, "wb") as dst:
        for chunk in iter(lambda: src.read(1 << 20), b""):
            digest.update(chunk)
            dst.write(chunk)
        dst.flush()
        with contextlib.suppress(OSError):
            os.fsync(dst.fileno())
    return digest.hexdigest()


def unlink_quietly(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()


def verify_file(path: Path, file_id: str | None = None) -> list[str]:
    """What is wrong with a local plan file (empty list: nothing). Full integrity check."""
    try:
        header = read_header(path)
    except StoreError as exc:
        return [exc.detail or str(exc)]
    if header.application_id != APPLICATION_ID:
        return ["not a jingan_desktop plan file"]
    try:
        database = Database.open(path, readonly=True, migrate=False)
    except StoreError as exc:
        return [exc.detail or str(exc)]
    try:
        problems = database.integrity_problems()
        if not problems and file_id is not None:
            row = database.execute("SELECT value FROM meta WHERE key = 'file_id'").fetchone()
            if row is None or row[0] != file_id:
                problems.append("a different plan file (its file id changed)")
    except (StoreError, sqlite3.Error) as exc:
        problems = [str(exc)]
    finally:
        database.close()
    return problems


def _roll_back(path: Path) -> None:
    """Let SQLite play a copied hot journal back into the (local) copy."""
    conn = sqlite3.connect(str(path), isolation_level=None)
    try:
        conn.execute("PRAGMA schema_version").fetchone()
    except sqlite3.Error:
        pass
    finally:
        conn.close()


def change_ids(path: Path) -> set[str]:
    conn = sqlite3.connect(f"file:{path.as_posix()}?mode=ro", uri=True)
    try:
        return {row[0] for row in conn.execute("SELECT id FROM change_log")}
    finally:
        conn.close()


def file_id_of(path: Path) -> str | None:
    conn = sqlite3.connect(f"file:{path.as_posix()}?mode=ro", uri=True)
    try:
        row = conn.execute("SELECT value FROM meta WHERE key = 'file_id'").fetchone()
        return row[0] if row else None
    finally:
        conn.close()


def copy_master(master: Path, target: Path) -> str:
    """Copy the master's bytes (and a hot journal beside it, played back into the copy) to
    a local file; returns the sha256 of the master's bytes as read. Not verified."""
    journal = master.with_name(master.name + "-journal")
    target.parent.mkdir(parents=True, exist_ok=True)
    for leftover in (target, target.with_name(target.name + "-journal")):
        unlink_quietly(leftover)
    sha = _copy_hashing(master, target)
    if journal.exists():
        with contextlib.suppress(OSError):
            shutil.copyfile(journal, target.with_name(target.name + "-journal"))
            _roll_back(target)
    return sha


def fetch_master(master: Path, target: Path, file_id: str | None = None) -> tuple[Path, str]:
    """Copy the master's bytes to the local ``target`` and verify the copy; returns it and
    the sha256 of the bytes read. A copy that fails its check is fetched again (it may have
    been read while another PC replaced the file); :class:`DamagedMasterError` when it
    keeps failing. A hot journal beside the master (left by an old direct writer) is played
    back into the copy, never into the master."""
    problems: list[str] = []
    for attempt in range(FETCH_ATTEMPTS):
        try:
            header = read_header(master)
            if header.user_version > SCHEMA_VERSION:  # not damage: a newer app wrote it
                raise NewerSchemaError(master, header.user_version, SCHEMA_VERSION)
        except NewerSchemaError:
            raise
        except FileMissingError:
            if attempt == FETCH_ATTEMPTS - 1:
                raise
            time.sleep(0.2 * (attempt + 1))  # perhaps mid-rename on the share
            continue
        except StoreError:
            pass  # judged on the copy below
        try:
            sha = copy_master(master, target)
        except FileNotFoundError as exc:
            if attempt == FETCH_ATTEMPTS - 1:
                raise FileMissingError(master, "file not found on the share") from exc
            time.sleep(0.2 * (attempt + 1))
            continue
        except OSError as exc:
            raise WriteFailedError(master, exc.strerror or str(exc)) from exc
        problems = verify_file(target, file_id)
        if not problems:
            return target, sha
        time.sleep(0.2 * (attempt + 1))
    text = "; ".join(" ".join(problem.split()) for problem in problems[:3])
    raise DamagedMasterError(master, text if len(text) <= 160 else text[:159] + "…")
