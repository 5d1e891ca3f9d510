"""The command line's options and subcommands (argparse)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import __version__
from ..plan.model import Quarter

if TYPE_CHECKING:
    pass


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
    _add_plan_commands(commands)
    _add_quarter_commands(commands)
    _add_copy_commands(commands)


def _add_plan_commands(commands: Any) -> None:
    """parse, import, check: plan texts and files."""
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


def _add_quarter_commands(commands: Any) -> None:
    """export, import-excel, report: a quarter's figures."""
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


def _add_copy_commands(commands: Any) -> None:
    """merge, sync: copies brought together."""
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
