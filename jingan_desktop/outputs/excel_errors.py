"""Errors of the Excel exchange (kept apart from the excel package so naming them loads no openpyxl)."""

from __future__ import annotations

import os


class ExcelError(Exception):
    """A workbook could not be read or written (the plan file is untouched)."""

    def __init__(self, path: str | os.PathLike[str], reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


class ExcelFormatError(ExcelError):
    """The file is not an Excel .xlsx workbook that can be read (random bytes, a renamed text
    file, an old .xls, a password-protected or damaged workbook)."""


class ExcelTooLargeError(ExcelFormatError):
    """The workbook holds far more than a plan workbook can (a part that unpacks to more than
    the limit, a zip bomb, a row of millions of cells): refused before or while reading it,
    within the limits, with nothing imported."""


class ExcelWriteError(ExcelError):
    """The workbook could not be written (folder missing, no permission, open in Excel …)."""
