"""Opening the files a command works on: checked first, read-only where possible, worded errors."""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from ..plan.model import Quarter
from ..storage.store import Store
from ..storage.sync.detect import is_network_path

if TYPE_CHECKING:
    from ..workspace import Workspace

from .errors import EXIT_PROBLEM, CliError
from .words import _print_sync

RECOVERED = "a save interrupted by a crash was rolled back (its journal was left beside the file)"


def _note_recovery(store: Store) -> None:
    if store.database.recovered_journal:
        print(f"note: {store.path}: {RECOVERED}", file=sys.stderr)


def _plan_id(store: Store, target: Path, period: Quarter) -> str:
    plan_id = store.plan_id_for_year(period.year)
    if plan_id is None:
        raise CliError(f"{target}: holds no plan for {period.year}")
    return plan_id


@contextlib.contextmanager
def _quarter_workspace(args: argparse.Namespace) -> Iterator[tuple[Workspace, str | None]]:
    """The plan file opened read-only at ``--quarter``, and the ``--department`` (checked)."""
    from ..workspace import Workspace

    with contextlib.ExitStack() as stack:
        path = stack.enter_context(_readable_file(args.target))
        store = Store.open(path, readonly=True)
        stack.callback(store.close)
        _note_recovery(store)
        workspace = Workspace(store, _plan_id(store, args.target, args.period), args.period.number)
        department = args.department.strip() if args.department else None
        if department:
            known = {d.name for d in workspace.data.departments}
            if department not in known:
                names = ", ".join(sorted(known)) or "none"
                raise CliError(
                    f"{args.target}: no department named {department!r} (departments: {names})"
                )
        yield workspace, department


@contextlib.contextmanager
def _readable_file(target: Path, verify: bool = True) -> Iterator[Path]:
    """The file to read: ``target`` itself on a local disk; on a share, a local copy of its
    bytes (checked in full unless ``verify`` is False: ``check`` reports the damage itself)."""
    if not is_network_path(target):
        yield target
        return
    import tempfile

    from ..storage.database import FileMissingError
    from ..storage.sync import DamagedMasterError, copy_master, fetch_master

    if not target.exists():
        raise FileMissingError(target, "file not found")
    with tempfile.TemporaryDirectory(prefix="jingan-share-") as folder:
        local = Path(folder) / target.name
        if verify:
            try:
                fetch_master(target, local)
            except DamagedMasterError as exc:
                raise CliError(
                    f"{target}: the file on the share failed its check ({exc.detail}); "
                    "restore it from a backup or a PC's replica"
                ) from exc
        else:
            copy_master(target, local)  # check runs its own full check on the copy
        yield local


@contextlib.contextmanager
def _plan_store(target: Path, write: bool) -> Iterator[Store]:
    """The store to work on: the file itself on a local disk; on a share, this PC's replica,
    synced before (to work on the latest) and after (to publish what was written)."""
    if not is_network_path(target):
        store = Store.open(target, readonly=not write)
        try:
            yield store
        finally:
            store.close()
        return
    if not write:
        with _readable_file(target) as local:
            store = Store.open(local, readonly=True)
            try:
                yield store
            finally:
                store.close()
        return
    session = _open_session(target)
    try:
        before = session.sync()
        if before.status == "conflicts":
            _print_sync(target, before)
            raise CliError(
                f"{target}: changes on this PC conflict with the share; run "
                f"'jingan-desktop sync --db {target}' and decide them first",
                EXIT_PROBLEM,
            )
        pending = session.pending()
        yield session.store
        if session.pending() != pending or pending:
            _print_sync(target, session.sync())
    finally:
        session.close()


def _open_session(target: Path):
    from ..storage.sync import ShareSession

    return ShareSession.open(target)
