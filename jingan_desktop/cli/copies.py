"""Commands that bring copies together: merge, sync (a file on a network share)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    pass

from .errors import EXIT_OK, EXIT_PROBLEM, CliError
from .opening import _open_session, _plan_store
from .words import _print_sync


def cmd_merge(args: argparse.Namespace) -> int:
    from ..storage.merge import StalePreviewError, apply_merge, plan_merge

    if not args.copy.exists():
        raise CliError(f"{args.copy}: file not found")
    with _plan_store(args.target, write=True) as store:
        preview = plan_merge(store, args.copy)
        skipped = f", {len(preview.skipped)} not merged (quarter locked)" if preview.skipped else ""
        print(
            f"{len(preview.changes)} change(s) to take, {len(preview.conflicts)} conflict(s){skipped}"
        )
        for alias in preview.reconciled:
            if alias.tbl in ("department", "plan"):
                print(f"  {alias.description}")
        for change in preview.changes:
            print(f"  {change.description}")
        for conflict in preview.conflicts:
            print(f"  CONFLICT ({conflict.kind}) {conflict.sentence}")
        for conflict in preview.skipped:
            print(f"  NOT MERGED {conflict.sentence}")
        if preview.nothing_to_do:
            print("nothing new in the copy; the master is unchanged")
            return EXIT_OK
        if args.dry_run:
            return EXIT_OK
        if preview.conflicts and args.prefer is None:
            print(
                "not merged: decide the conflicts with --prefer ours|theirs (or in the app)",
                file=sys.stderr,
            )
            return EXIT_PROBLEM
        try:
            count = apply_merge(store, preview, prefer=args.prefer)
        except StalePreviewError:
            print(
                "not merged: the master changed while merging; run the merge again",
                file=sys.stderr,
            )
            return EXIT_PROBLEM
        print(f"merged {count} change(s) into {args.target} (a backup was taken first)")
        return EXIT_OK


def cmd_sync(args: argparse.Namespace) -> int:
    target: Path = args.target
    if not target.exists():
        raise CliError(f"{target}: file not found")
    session = _open_session(target)
    try:
        prefer = {"local": "theirs", "share": "ours", None: None}[args.prefer]
        result = session.sync(prefer=prefer)
        _print_sync(target, result)
    finally:
        session.close()
    if result.status == "conflicts":
        print("decide them with --prefer local|share (or in the app)", file=sys.stderr)
    return EXIT_OK if result.ok and not result.pending else EXIT_PROBLEM
