"""What an import preview holds: the changes it would make and the problems it found."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

Field = Literal["actual", "status", "text"]
IMPORT_LABELS: dict[str, str] = {"actual": "本期实际", "status": "填报状态", "text": "进展情况"}


@dataclass(frozen=True)
class ImportChange:
    """One value the import would change."""

    row_id: str  # the indicator (actual) or item (status, text)
    field: Field
    old: Any  # the plan file's value when previewed (the write expects it): number | None,
    # status str | None or text str
    new: Any
    number: str  # 编号 and 名称 of the row, for display
    name: str
    sheet: str
    row: int  # 1-based row number in the sheet

    @property
    def label(self) -> str:
        return IMPORT_LABELS[self.field]


@dataclass(frozen=True)
class ImportProblem:
    """Something in the workbook that cannot be imported; nothing is taken from that cell."""

    sheet: str  # "" for the workbook as a whole
    row: int | None
    code: str  # unknown_id, missing_id, duplicate_id, bad_number, bad_status, formula,
    # not_applicable, quarter_mismatch, plan_mismatch, too_many_rows, no_sheet,
    # changed_since_export (the plan file's value changed after the export, and so did the cell)
    message: str  # Chinese, for the user
    row_id: str | None = None

    def __str__(self) -> str:
        where = f"“{self.sheet}”第{self.row}行" if self.row is not None else self.sheet
        return f"{where}：{self.message}" if where else self.message


@dataclass
class ImportPreview:
    path: Path
    plan_id: str
    quarter: int
    changes: list[ImportChange] = field(default_factory=list)
    problems: list[ImportProblem] = field(default_factory=list)
    rows_read: int = 0  # rows with a known or unknown ID
    sheets: list[str] = field(default_factory=list)  # sheets that held an ID column
    locked: bool = False  # the quarter is locked: applying will be refused
    file_quarter: str | None = None  # the quarter the workbook was exported for, if known

    @property
    def ok(self) -> bool:
        return not self.problems
