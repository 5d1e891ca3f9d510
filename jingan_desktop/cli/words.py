"""How the command line words what it found: a sync's outcome, a merged value."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    pass


def _print_sync(target: Path, result) -> None:
    """One line for the outcome, never claiming the share has what it has not."""
    if result.status == "ok" and not result.pending:
        pulled = f"; {result.pulled} change(s) from others taken in" if result.pulled else ""
        print(f"in step with {target}: {result.published} change(s) published{pulled}")
        return
    if result.status == "conflicts":
        print(f"{len(result.conflicts)} conflict(s) between this PC and {target}:")
        for conflict in result.conflicts:
            change = conflict.change
            print(
                f"  CONFLICT ({conflict.kind}) {change.label}: share "
                f"{_merge_value(change.ours)}, this PC {_merge_value(change.theirs)}"
            )
        if any(c.kind in ("locked", "name_taken") for c in result.conflicts):
            print(
                "  (locked / name_taken: the share refuses this PC's change; "
                "--prefer share drops it)"
            )
    print(
        f"saved on this PC only: {result.pending} edit(s) wait to be published to {target} "
        f"({result.message})",
        file=sys.stderr,
    )


def _merge_value(value: object) -> str:
    if value is None:
        return "(empty)"
    if isinstance(value, dict):
        return "(row)"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
