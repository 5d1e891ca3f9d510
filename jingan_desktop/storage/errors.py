"""What the store refuses, and why: each error says which row and field, so the UI and the CLI
can tell the user exactly what was not written."""

from __future__ import annotations

from .database import StoreError


class ConflictError(StoreError):
    """Someone else changed the value since it was loaded; nothing was written."""

    def __init__(
        self, table: str, row_id: str, field: str, expected: object, actual: object
    ) -> None:
        super().__init__(
            None, f"{table}.{field} of {row_id} is now {actual!r}, expected {expected!r}"
        )
        self.table = table
        self.row_id = row_id
        self.field = field
        self.expected = expected
        self.actual = actual


class RowMissingError(StoreError):
    """The row was removed (perhaps by someone else) and cannot be changed."""


class QuarterLockedError(StoreError):
    """The quarter's report was issued and its figures are frozen until unlocked."""

    def __init__(self, quarter: int) -> None:
        super().__init__(None, f"quarter {quarter} is locked")
        self.quarter = quarter


class PlanExistsError(StoreError):
    """The file already holds a plan for that year."""

    def __init__(self, year: int) -> None:
        super().__init__(None, f"a plan for {year} is already in this file")
        self.year = year


class InvalidValueError(StoreError):
    """A value that a field cannot hold (a comparator that is not one, a negative weight …)."""

    def __init__(self, field: str, value: object, reason: str) -> None:
        super().__init__(None, f"{field}={value!r}: {reason}")
        self.field = field
        self.value = value
        self.reason = reason
