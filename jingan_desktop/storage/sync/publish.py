"""Publishing a merged file over the master on the share, under the sync lock: write a
temporary file beside the master, read it back and compare, check the lock is still ours and
the master is still the bytes we merged with, rename it over the master, read it again."""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Callable
from pathlib import Path

from ..database import WriteFailedError, move_stale_journal
from .fetch import sha256_file, unlink_quietly
from .lock import ShareLock


class MasterChanged(Exception):
    """The master is no longer the file we merged with (someone published meanwhile)."""


class LockLost(Exception):
    """Our sync lock was broken by someone else before we published."""


def publish(
    master: Path,
    lock: ShareLock,
    outgoing: Path,
    master_sha: str | None,
    *,
    hook: Callable[[str], None],
    tidy: Callable[[Path], None],
) -> bool:
    """Write ``outgoing`` over ``master`` (temp → verify → rename → confirm); whether the
    share holds it afterwards. ``master_sha`` is the master we merged with (None: there must
    be no master yet). ``hook`` is called by step name (the tests' way in between steps);
    ``tidy(keep)`` removes temp files dead publishers left (:func:`tidy_publish_temps`)."""
    token = (lock.token or "x")[:12]
    temp = master.with_name(f".{master.name}.{token}.publish")
    tidy(temp)
    sha = sha256_file(outgoing)
    try:
        if not lock.beat():
            raise LockLost()
        with open(outgoing, "rb") as src, open(temp, "xb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
            dst.flush()
            with contextlib.suppress(OSError):
                os.fsync(dst.fileno())
        hook("temp_written")
        try:
            written = sha256_file(temp)
        except FileNotFoundError as exc:
            raise LockLost() from exc  # tidied away by a PC that took our lock as stale
        if written != sha:
            raise WriteFailedError(master, "the file written to the share reads back wrong")
        if not lock.beat():
            raise LockLost()
        current = sha256_file(master) if master.exists() else None
        if current != master_sha:
            raise MasterChanged()
        hook("before_rename")
        move_stale_journal(master)
        try:
            os.replace(temp, master)
        except FileNotFoundError as exc:
            # Our temp file was tidied away by a PC that took our lock as stale.
            raise LockLost() from exc
    except BaseException:
        unlink_quietly(temp)
        raise
    hook("renamed")
    try:
        if sha256_file(master) == sha:
            return True
    except OSError:
        return False
    return False


def tidy_publish_temps(master: Path, keep: Path) -> None:
    """Temp files left by publishers that died before their rename (we hold the lock)."""
    with contextlib.suppress(OSError):
        for leftover in master.parent.glob(f".{master.name}.*.publish"):
            if leftover != keep:
                unlink_quietly(leftover)
