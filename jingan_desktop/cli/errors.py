"""Exit codes and the one-line errors of the command line."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..storage.database import StoreError

if TYPE_CHECKING:
    pass


EXIT_OK = 0


EXIT_PROBLEM = 1  # the command ran and found a problem (check)


EXIT_BAD_INPUT = 2  # the input could not be used


class CliError(Exception):
    """A message for the user and the exit code that goes with it."""

    def __init__(self, message: str, code: int = EXIT_BAD_INPUT) -> None:
        super().__init__(message)
        self.code = code


def describe_store_error(exc: StoreError) -> str:
    return str(exc)
