"""The opened file every part of the store builds on: one write transaction at a time, and
reading rows back.

Every change goes through :meth:`StoreBase.write`, one transaction per user action, and leaves
its change-log rows in that same transaction (:mod:`.changelog`).
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from .changelog import Write, current_actor
from .database import Database, classify_error


class StoreBase:
    """A plan file, opened: the transaction and the row reads the store's parts share."""

    def __init__(self, database: Database, actor: tuple[str, str] | None = None) -> None:
        self.database = database
        self.actor = actor or current_actor()
        self._active: Write | None = None

    @property
    def path(self) -> Path:
        return self.database.path

    @property
    def readonly(self) -> bool:
        return self.database.readonly

    def close(self) -> None:
        self.database.close()

    # -- writing --

    @contextlib.contextmanager
    def write(self, summary: str, source: str = "edit") -> Iterator[Write]:
        """One user action: one ``BEGIN IMMEDIATE`` transaction with its change-log rows.

        Writes nested inside an open one join it (same transaction, same txn id), so an
        action built from several store calls stays one action for undo and history."""
        if self._active is not None:
            yield self._active
            return
        with self.database.transaction():
            self._active = Write(self, source, summary)
            try:
                yield self._active
            finally:
                self._active = None

    # -- reading rows --

    def row(self, table: str, row_id: str) -> dict[str, Any] | None:
        found = self.rows(f"SELECT * FROM [{table}] WHERE id = ?", (row_id,))
        return found[0] if found else None

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """Rows as dicts, with SQLite errors turned into ours."""
        try:
            cursor = self.database.conn.execute(sql, tuple(params))
            names = [column[0] for column in cursor.description or ()]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        except sqlite3.Error as exc:
            raise classify_error(exc, str(self.path)) from exc

    def _scan(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        """Bulk reads for loading a whole plan: sqlite3.Row is indexed by name in C, several
        times faster than building a dict per row."""
        try:
            cursor = self.database.conn.cursor()
            cursor.row_factory = sqlite3.Row
            return cursor.execute(sql, tuple(params)).fetchall()
        except sqlite3.Error as exc:
            raise classify_error(exc, str(self.path)) from exc

    def _fetch(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Bulk reads as plain tuples (the cheapest row SQLite's module builds), for loaders
        that name the columns they select and take them by position."""
        try:
            return self.database.conn.execute(sql, tuple(params)).fetchall()
        except sqlite3.Error as exc:
            raise classify_error(exc, str(self.path)) from exc

    def meta(self) -> dict[str, str]:
        return {row["key"]: row["value"] for row in self.rows("SELECT key, value FROM meta")}

    # -- plans --

    def plans(self) -> list[dict[str, Any]]:
        return self.rows("SELECT id, title, year, issuer, issued_on FROM plan ORDER BY year")

    def plan_id_for_year(self, year: int | None = None) -> str | None:
        """The plan of ``year``, or the latest plan when no year is given."""
        if year is None:
            found = self.rows("SELECT id FROM plan ORDER BY year DESC LIMIT 1")
        else:
            found = self.rows("SELECT id FROM plan WHERE year = ?", (year,))
        return found[0]["id"] if found else None

    # -- which plan a row belongs to --

    def plan_of(self, table: str, row_id: str) -> str | None:
        joins = {
            "indicator": "SELECT c.plan_id FROM indicator n JOIN item i ON i.id = n.item_id"
            " JOIN chapter c ON c.id = i.chapter_id WHERE n.id = ?",
            "item": "SELECT c.plan_id FROM item i JOIN chapter c ON c.id = i.chapter_id"
            " WHERE i.id = ?",
        }
        found = self.database.execute(joins[table], (row_id,)).fetchone()
        return found[0] if found else None
