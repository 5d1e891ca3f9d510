"""Commands on a quarter's figures: export, import-excel, report."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from ..plan.numbers import format_number

if TYPE_CHECKING:
    pass

from .errors import EXIT_OK, EXIT_PROBLEM, CliError
from .opening import _note_recovery, _plan_id, _plan_store, _quarter_workspace


def cmd_export(args: argparse.Namespace) -> int:
    from ..outputs.excel import ExcelError, export_excel

    output: Path = args.output
    if output.suffix.lower() != ".xlsx":
        raise CliError(f"{output}: the output file name must end in .xlsx")
    with _quarter_workspace(args) as (workspace, department):
        try:
            result = export_excel(workspace, output, layout=args.layout, department=department)
        except ExcelError as exc:
            raise CliError(str(exc)) from exc
    print(
        f"wrote {result.path}: {args.period.code}, {_count(result.items, 'item')} and "
        f"{_count(result.indicators, 'indicator')} on {_count(len(result.sheets), 'sheet')}"
    )
    return EXIT_OK


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _shown(value: object) -> str:
    if value is None or value == "":
        return "-"
    if isinstance(value, float | int):
        return format_number(value)
    text = " ".join(str(value).split())
    return text if len(text) <= 40 else text[:39] + "…"


def cmd_import_excel(args: argparse.Namespace) -> int:
    from ..outputs.excel import ExcelError, apply_import, preview_import

    with _plan_store(args.target, write=args.apply) as store:
        _note_recovery(store)
        plan_id = _plan_id(store, args.target, args.period)
        try:
            preview = preview_import(store, plan_id, args.period.number, args.file)
        except ExcelError as exc:
            raise CliError(str(exc)) from exc
        print(
            f"{args.file} -> {args.period.code}: {_count(preview.rows_read, 'row')} read, "
            f"{_count(len(preview.changes), 'change')}, {_count(len(preview.problems), 'problem')}"
        )
        for change in preview.changes:
            print(
                f"  {change.sheet}!{change.row}  {change.number} {_shown(change.name)}  "
                f"{change.label}: {_shown(change.old)} -> {_shown(change.new)}"
            )
        if preview.problems:
            print("problems (these cells are not imported):")
            for problem in preview.problems:
                print(f"  {problem}")
        if preview.locked:
            print(f"{args.period.code} is locked: unlock it before importing")
        if not args.apply:
            if preview.changes:
                print("nothing written; run again with --apply to write these changes")
            return EXIT_PROBLEM if preview.problems else EXIT_OK
        if preview.problems:
            raise CliError(
                f"{args.file}: {_count(len(preview.problems), 'problem')}; nothing written "
                "(correct the workbook and import it again)"
            )
        applied = apply_import(store, preview)
        print(f"wrote {_count(applied, 'change')} to {args.target} in one transaction")
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    from ..outputs.report import ReportError, build_report

    output: Path = args.output
    if output.suffix.lower() != ".pdf":
        raise CliError(f"{output}: the output file name must end in .pdf")
    with _quarter_workspace(args) as (workspace, department):
        try:
            result = build_report(workspace, output, department=department, style=args.style)
        except ReportError as exc:
            raise CliError(str(exc)) from exc
    print(f"wrote {result.path}: {args.period.code}, {_count(result.pages, 'page')}")
    return EXIT_OK
