"""The schema's migrations: the numbered SQL files in ``db/migrations`` and the statements in
each (run by :meth:`.database.Database._migrate`, all pending steps in one transaction)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from ..paths import resource_path


def migration_files() -> list[tuple[int, Path]]:
    folder = resource_path("db/migrations")
    found = []
    for path in sorted(folder.glob("[0-9][0-9][0-9][0-9]_*.sql")):
        found.append((int(path.name[:4]), path))
    numbers = [number for number, _ in found]
    if numbers != list(range(1, len(numbers) + 1)):
        raise RuntimeError(f"migrations in {folder} are not numbered 1..n: {numbers}")
    return found


SCHEMA_VERSION = len(migration_files())


def split_sql(script: str) -> list[str]:
    """Split a migration into statements (executescript would commit our transaction)."""
    statements, buffer = [], ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            if buffer.strip():
                statements.append(buffer.strip())
            buffer = ""
    if buffer.strip() and not all(
        part.strip().startswith("--") or not part.strip() for part in buffer.splitlines()
    ):
        raise ValueError(f"incomplete SQL statement at the end: {buffer[:80]!r}")
    return statements
