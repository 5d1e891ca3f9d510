"""Commands on plan texts and files: parse, import, check."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ..plan.numbers import format_number
from ..storage.store import PlanExistsError, Store
from ..storage.sync.detect import is_network_path

if TYPE_CHECKING:
    from ..plan.parser import ParseResult

from .errors import EXIT_OK, EXIT_PROBLEM, CliError
from .opening import RECOVERED, _plan_store, _readable_file
from .words import _print_sync


def _read_plan(path: Path) -> ParseResult:
    # The parser (zipfile, xml.etree for .docx) loads when a plan document is read, not at
    # every start of the app.
    from ..plan.parser import PlanDecodeError, read_plan_file

    try:
        return read_plan_file(path)
    except FileNotFoundError as exc:
        raise CliError(f"{path}: file not found") from exc
    except IsADirectoryError as exc:
        raise CliError(f"{path}: is a folder, not a plan document") from exc
    except PermissionError as exc:
        if path.is_dir():  # Windows refuses to open a folder with PermissionError
            raise CliError(f"{path}: is a folder, not a plan document") from exc
        raise CliError(f"{path}: permission denied") from exc
    except PlanDecodeError as exc:
        raise CliError(str(exc)) from exc


def cmd_parse(args: argparse.Namespace) -> int:
    from ..plan.parser import plan_to_dict
    from ..plan.parser.output import summary as parse_summary

    results = [(path, _read_plan(path)) for path in args.file]
    if args.json:
        data = [plan_to_dict(result) for _path, result in results]
        json.dump(data[0] if len(data) == 1 else data, sys.stdout, ensure_ascii=False, indent=2)
        print()
    else:
        for _path, result in results:
            _print_plan(result)
    warned = False
    for path, result in results:
        for entry in result.ignored:
            print(f"ignored line {entry.line}: {entry.text} ({entry.reason})", file=sys.stderr)
        for warning in result.warnings:
            print(f"warning: {path}: {warning}", file=sys.stderr)
        counts = parse_summary(result)
        print(
            f"{path}: {counts['chapters']} chapters, {counts['items']} items, "
            f"{counts['targets']} targets, {counts['unplaced_lines']} unplaced lines, "
            f"{counts['warnings']} warnings",
            file=sys.stderr,
        )
        warned = warned or bool(result.warnings)
    return EXIT_PROBLEM if args.strict and warned else EXIT_OK


def _print_plan(result: ParseResult) -> None:
    plan = result.plan
    print(f"{result.title or '(no title found)'} ({plan.year})")
    print(f"issuer: {plan.issuer or '-'}    issued on: {plan.issued_on or '-'}")
    for chapter in plan.chapters:
        print(f"{chapter.numeral}、{chapter.title}" if chapter.numeral else chapter.title or "-")
        for item in chapter.items:
            print(f"  {item.number}. {item.title}")
            for ind in item.indicators:
                stretch = (
                    f" (stretch {format_number(ind.stretch_value)})"
                    if ind.stretch_value is not None
                    else ""
                )
                print(
                    f"      {ind.comparator.label} {format_number(ind.value)} {ind.unit}{stretch}"
                    f"  [{ind.kind.value}]  {ind.name}"
                )
    items = plan.items()
    print(
        f"{len(plan.chapters)} chapters, {len(items)} items, "
        f"{sum(len(i.indicators) for i in items)} indicators"
    )


def cmd_import(args: argparse.Namespace) -> int:
    result = _read_plan(args.file)
    plan = result.plan
    if not plan.chapters:
        raise CliError(
            f"{args.file}: no chapters found (expected headings like '一、…'); nothing imported"
        )
    target: Path = args.target
    if is_network_path(target):
        return _import_on_share(args, result)
    try:
        if target.exists():
            store = Store.open(target)
            try:
                store.import_plan(plan, replace=args.replace)
            finally:
                store.close()
            action = "added to"
        else:
            Store.create(target, plan).close()
            action = "created"
    except PlanExistsError as exc:
        raise CliError(f"{target}: {exc.detail}; use --replace to replace it") from exc
    print(
        f"{action} {target}: {plan.year} plan, {len(plan.chapters)} chapters, "
        f"{len(plan.items())} items, {len(plan.indicators())} indicators"
    )
    for entry in result.ignored:
        print(f"ignored line {entry.line}: {entry.text} ({entry.reason})", file=sys.stderr)
    return EXIT_OK


def _import_on_share(args: argparse.Namespace, result: ParseResult) -> int:
    from ..storage.sync import ShareSession

    plan, target = result.plan, args.target
    try:
        if target.exists():
            with _plan_store(target, write=True) as store:
                store.import_plan(plan, replace=args.replace)
            action = "added to"
        else:
            session = ShareSession.create(target, lambda store: store.import_plan(plan))
            try:
                _print_sync(target, session.sync())
            finally:
                session.close()
            action = "created"
    except PlanExistsError as exc:
        raise CliError(f"{target}: {exc.detail}; use --replace to replace it") from exc
    print(
        f"{action} {target}: {plan.year} plan, {len(plan.chapters)} chapters, "
        f"{len(plan.items())} items, {len(plan.indicators())} indicators"
    )
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    from ..storage.findings import content_findings

    # The quick check on open refuses only a file SQLite cannot read at all; the full
    # integrity check runs in store.check(), which lists what it finds (exit 1).
    with _readable_file(args.target, verify=False) as path:
        store = Store.open(path, readonly=True, migrate=False, check="quick")
        try:
            report = store.check()
            findings = content_findings(store) if not report.problems else []
            recovered = store.database.recovered_journal
            recent = (
                [w.sentence() for w in store.describe(store.history(limit=5))] if report.ok else []
            )
        finally:
            store.close()
    report.path = str(args.target)
    if args.json:
        _print_check_json(report, recent, findings, recovered)
    else:
        _print_check(report, recent, findings, recovered)
    if report.schema_version < report.supported_version:
        print("file uses an older schema; opening it in the app upgrades it", file=sys.stderr)
    return EXIT_OK if report.ok else EXIT_PROBLEM


def _print_check_json(report, recent: list[str], findings: list[str], recovered: bool) -> None:
    json.dump(
        {
            "path": report.path,
            "ok": report.ok,
            "schema_version": report.schema_version,
            "supported_version": report.supported_version,
            "problems": report.problems,
            "counts": report.counts,
            "history": report.history_by_source,
            "last_change": report.last_change,
            "recent_changes": recent,
            "plans": report.plans,
            "findings": findings,
            "recovered_journal": recovered,
        },
        sys.stdout,
        ensure_ascii=False,
        indent=2,
    )
    print()


def _print_check(report, recent: list[str], findings: list[str], recovered: bool) -> None:
    print(f"file: {report.path}")
    print(f"schema version: {report.schema_version} (this app: {report.supported_version})")
    if recovered:
        print(f"recovered: {RECOVERED}")
    print(f"integrity: {'ok' if not report.problems else 'PROBLEMS'}")
    for problem in report.problems:
        print(f"  {problem}")
    for plan in report.plans:
        print(f"plan {plan['year']}: {plan['title']}")
    print("rows: " + ", ".join(f"{table} {n}" for table, n in report.counts.items()))
    history = ", ".join(f"{source} {n}" for source, n in sorted(report.history_by_source.items()))
    print(f"history: {history or 'no changes recorded'}")
    for finding in findings:
        print(f"note: {finding}")
    if report.last_change:
        last = report.last_change
        print(f"last change: {last['ts']} by {last['user']}@{last['machine']}: {last['summary']}")
    if recent:
        print("recent changes (local time):")
        for line in recent:
            print(f"  {line}")
