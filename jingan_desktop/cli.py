"""The command line: ``jingan-desktop`` starts the app; subcommands work on plan files.

Core errors are turned into one English line on stderr and a non-zero exit code here;
bad input never produces a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from . import __version__
from .plan.model import Quarter
from .plan.numbers import format_number
from .storage.database import StoreError
from .storage.store import PlanExistsError, Store
from .storage.sync.detect import is_network_path

if TYPE_CHECKING:
    from .plan.parser import ParseResult
    from .workspace import Workspace

EXIT_OK = 0
EXIT_PROBLEM = 1  # the command ran and found a problem (check)
EXIT_BAD_INPUT = 2  # the input could not be used


class CliError(Exception):
    """A message for the user and the exit code that goes with it."""

    def __init__(self, message: str, code: int = EXIT_BAD_INPUT) -> None:
        super().__init__(message)
        self.code = code


# The window's own options that take a value (see _starts_the_window).
WINDOW_OPTIONS_WITH_VALUE = ("--db", "--quarter", "--screenshot", "--startup-probe")


def build_parser() -> argparse.ArgumentParser:
    """The whole command line: the window's options and every subcommand."""
    parser = window_parser()
    _add_commands(parser)
    return parser


def window_parser() -> argparse.ArgumentParser:
    """The options of the desktop app alone (no subcommands): all that starting the window
    needs to parse, so its start does not build eight subcommand parsers first."""
    parser = argparse.ArgumentParser(
        prog="jingan-desktop",
        description="Track the district government's annual key-work plan. "
        "Without a command, the desktop app starts.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "--db",
        type=Path,
        help="plan file to open (default: the built-in 2022 plan in your data folder)",
    )
    parser.add_argument("--quarter", type=_quarter, help="quarter to show, e.g. 2022Q2")
    parser.add_argument(
        "--screenshot",
        type=Path,
        metavar="FILE.png",
        help="render the main window to a PNG offscreen and exit",
    )
    parser.add_argument(
        "--self-check",
        action="store_true",
        help="open the default plan offscreen, build a chart and a PDF, exit 0 if all worked",
    )
    # For the benchmark: exit as soon as the window is shown and filled ("app"), or show a
    # bare PySide6 window and exit ("bare"), to compare start-up in the same environment.
    parser.add_argument("--startup-probe", choices=("app", "bare"), help=argparse.SUPPRESS)
    parser.set_defaults(command=None)
    return parser


def _starts_the_window(argv: Sequence[str]) -> bool:
    """Whether the arguments are only the window's options (then the window parser reads them
    exactly as the whole one would); a command, --help or anything else gets the whole one."""
    value_next = False
    for token in argv:
        if value_next:
            value_next = False
            continue
        if token in ("-h", "--help") or not token.startswith("-"):
            return False
        value_next = token in WINDOW_OPTIONS_WITH_VALUE
    return True


def _add_commands(parser: argparse.ArgumentParser) -> None:
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    parse = commands.add_parser(
        "parse",
        help="read plan documents (.txt, .docx, .xlsx, .pdf) and print their structure",
    )
    parse.add_argument("file", type=Path, nargs="+")
    parse.add_argument(
        "--json",
        action="store_true",
        help="print JSON (see README for the shape; a list of them for several files)",
    )
    parse.add_argument(
        "--strict", action="store_true", help="exit with 1 if any document has a warning"
    )

    import_ = commands.add_parser(
        "import", help="import a plan document into a plan file (creates it if needed)"
    )
    import_.add_argument("file", type=Path)
    import_.add_argument("--db", type=Path, required=True, dest="target")
    import_.add_argument(
        "--replace",
        action="store_true",
        help="update a plan of the same year in place (unchanged items keep their figures)",
    )

    check = commands.add_parser(
        "check", help="integrity check, schema version, counts and history of a plan file"
    )
    check.add_argument("--db", type=Path, required=True, dest="target")
    check.add_argument("--json", action="store_true")

    export = commands.add_parser(
        "export", help="write a quarter's figures and progress texts to an Excel workbook"
    )
    _add_file_and_quarter(export)
    export.add_argument("-o", "--output", type=Path, required=True, metavar="FILE.xlsx")
    export.add_argument("--format", choices=["xlsx"], default="xlsx")
    export.add_argument(
        "--layout",
        choices=["flat", "chapters"],
        default="flat",
        help="one sheet for the whole plan (default) or one sheet per chapter",
    )
    export.add_argument("--department", help="only the items this department leads or co-leads")

    import_excel = commands.add_parser(
        "import-excel",
        help="read actuals, statuses and progress texts back from an exported workbook",
    )
    import_excel.add_argument("file", type=Path, metavar="XLSX")
    _add_file_and_quarter(import_excel)
    import_excel.add_argument(
        "--apply",
        action="store_true",
        help="write the changes (in one transaction); without it only the preview is printed",
    )

    merge = commands.add_parser(
        "merge", help="bring a copy's changes (USB stick, department file) into the master file"
    )
    merge.add_argument("--db", type=Path, required=True, dest="target", metavar="MASTER")
    merge.add_argument("--from", type=Path, required=True, dest="copy", metavar="COPY")
    merge.add_argument(
        "--prefer",
        choices=("ours", "theirs"),
        help="how to settle conflicts: keep the master's value (ours) or take the copy's (theirs); "
        "without it, a merge with conflicts is reported and nothing is written",
    )
    merge.add_argument("--dry-run", action="store_true", help="only show what would change")

    sync = commands.add_parser(
        "sync",
        help="bring a plan file on a network share in step with this PC's local replica",
    )
    sync.add_argument("--db", type=Path, required=True, dest="target", metavar="MASTER")
    sync.add_argument(
        "--prefer",
        choices=("local", "share"),
        help="how to settle conflicts: keep this PC's value (local) or the share's (share); "
        "without it, conflicts are listed and nothing is written",
    )

    report = commands.add_parser("report", help="write a quarter's progress report as a PDF")
    _add_file_and_quarter(report)
    report.add_argument("-o", "--output", type=Path, required=True, metavar="FILE.pdf")
    report.add_argument("--department", help="only the items this department leads or co-leads")
    report.add_argument(
        "--style",
        choices=("brief", "gongwen"),
        default="brief",
        help="brief: cover, charts and coloured status (default); gongwen: an issued document "
        "(issuing office, title, text, signature and date, the tables as an annex)",
    )


def _add_file_and_quarter(command: argparse.ArgumentParser) -> None:
    """``--db FILE --quarter 2022Q2``, shared by the commands that work on one quarter."""
    command.add_argument("--db", type=Path, required=True, dest="target", metavar="FILE")
    command.add_argument(
        "--quarter",
        type=_quarter,
        required=True,
        dest="period",
        metavar="QUARTER",
        help="e.g. 2022Q2",
    )


def _quarter(text: str) -> Quarter:
    try:
        return Quarter.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def _tolerant_output() -> None:
    """Redirected output on Windows is written in the ANSI code page (GBK on a Chinese PC): a
    file name with a character outside it is printed escaped instead of ending the command
    after its work is done."""
    stream = sys.stdout
    if stream is not None and getattr(stream, "errors", None) in ("strict", "surrogateescape"):
        with contextlib.suppress(AttributeError, ValueError):
            stream.reconfigure(errors="backslashreplace")  # type: ignore[union-attr]


def main(argv: Sequence[str] | None = None) -> int:
    _tolerant_output()
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = window_parser() if _starts_the_window(argv) else build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command is None:
            from .qt.app import run_app

            return run_app(args)
        handler = {
            "parse": cmd_parse,
            "import": cmd_import,
            "check": cmd_check,
            "export": cmd_export,
            "import-excel": cmd_import_excel,
            "report": cmd_report,
            "merge": cmd_merge,
            "sync": cmd_sync,
        }[args.command]
        return handler(args)
    except CliError as exc:
        print(f"jingan-desktop: error: {exc}", file=sys.stderr)
        return exc.code
    except StoreError as exc:
        print(f"jingan-desktop: error: {describe_store_error(exc)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return 130


def describe_store_error(exc: StoreError) -> str:
    return str(exc)


def _read_plan(path: Path) -> ParseResult:
    # The parser (zipfile, xml.etree for .docx) loads when a plan document is read, not at
    # every start of the app.
    from .plan.parser import PlanDecodeError, read_plan_file

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
    from .plan.parser import plan_to_dict
    from .plan.parser.output import summary as parse_summary

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


RECOVERED = "a save interrupted by a crash was rolled back (its journal was left beside the file)"


def _note_recovery(store: Store) -> None:
    if store.database.recovered_journal:
        print(f"note: {store.path}: {RECOVERED}", file=sys.stderr)


def cmd_check(args: argparse.Namespace) -> int:
    from .storage.findings import content_findings

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
    else:
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
        history = ", ".join(
            f"{source} {n}" for source, n in sorted(report.history_by_source.items())
        )
        print(f"history: {history or 'no changes recorded'}")
        for finding in findings:
            print(f"note: {finding}")
        if report.last_change:
            last = report.last_change
            print(
                f"last change: {last['ts']} by {last['user']}@{last['machine']}: {last['summary']}"
            )
        if recent:
            print("recent changes (local time):")
            for line in recent:
                print(f"  {line}")
    if report.schema_version < report.supported_version:
        print("file uses an older schema; opening it in the app upgrades it", file=sys.stderr)
    return EXIT_OK if report.ok else EXIT_PROBLEM


def _plan_id(store: Store, target: Path, period: Quarter) -> str:
    plan_id = store.plan_id_for_year(period.year)
    if plan_id is None:
        raise CliError(f"{target}: holds no plan for {period.year}")
    return plan_id


@contextlib.contextmanager
def _quarter_workspace(args: argparse.Namespace) -> Iterator[tuple[Workspace, str | None]]:
    """The plan file opened read-only at ``--quarter``, and the ``--department`` (checked)."""
    from .workspace import Workspace

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


def cmd_export(args: argparse.Namespace) -> int:
    from .outputs.excel import ExcelError, export_excel

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
    from .outputs.excel import ExcelError, apply_import, preview_import

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
    from .outputs.report import ReportError, build_report

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


def cmd_merge(args: argparse.Namespace) -> int:
    from .storage.merge import StalePreviewError, apply_merge, plan_merge

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


def _merge_value(value: object) -> str:
    if value is None:
        return "(empty)"
    if isinstance(value, dict):
        return "(row)"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# --- plan files on a network share --------------------------------------------------------
#
# A file on a network or FUSE file system is never opened with SQLite (see
# storage/sync/session.py): readers get a verified local copy, writers work on this PC's
# replica and publish through a sync.


@contextlib.contextmanager
def _readable_file(target: Path, verify: bool = True) -> Iterator[Path]:
    """The file to read: ``target`` itself on a local disk; on a share, a local copy of its
    bytes (checked in full unless ``verify`` is False: ``check`` reports the damage itself)."""
    if not is_network_path(target):
        yield target
        return
    import tempfile

    from .storage.database import FileMissingError
    from .storage.sync import DamagedMasterError, copy_master, fetch_master

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
    from .storage.sync import ShareSession

    return ShareSession.open(target)


def _import_on_share(args: argparse.Namespace, result: ParseResult) -> int:
    from .storage.sync import ShareSession

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
