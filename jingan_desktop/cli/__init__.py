"""The command line: ``jingan-desktop`` starts the app; subcommands work on plan files.

Core errors are turned into one English line on stderr and a non-zero exit code here;
bad input never produces a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Callable, Sequence

from ..storage.database import StoreError
from .errors import EXIT_BAD_INPUT, EXIT_OK, EXIT_PROBLEM, CliError, describe_store_error
from .parser import _starts_the_window, build_parser, window_parser


# Each command's module, loaded when the command runs (the window's start loads none of
# them). Plain imports, not import_module(name): the executable's build must see them.
def _handler(command: str) -> Callable[[argparse.Namespace], int]:
    if command in ("parse", "import", "check"):
        from . import plans

        return {"parse": plans.cmd_parse, "import": plans.cmd_import, "check": plans.cmd_check}[
            command
        ]
    if command in ("export", "import-excel", "report"):
        from . import quarters

        return {
            "export": quarters.cmd_export,
            "import-excel": quarters.cmd_import_excel,
            "report": quarters.cmd_report,
        }[command]
    from . import copies

    return {"merge": copies.cmd_merge, "sync": copies.cmd_sync}[command]


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
            from ..qt.app import run_app

            return run_app(args)
        return _handler(args.command)(args)
    except CliError as exc:
        print(f"jingan-desktop: error: {exc}", file=sys.stderr)
        return exc.code
    except StoreError as exc:
        print(f"jingan-desktop: error: {describe_store_error(exc)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return 130


__all__ = ["EXIT_BAD_INPUT", "EXIT_OK", "EXIT_PROBLEM", "CliError", "build_parser", "main"]
