"""What the parser hands back: the plan, and the lines it could not place."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..model import Plan


@dataclass
class IgnoredLine:
    line: int  # 1-based
    text: str
    reason: str


@dataclass
class ParseWarning:
    line: int | None  # 1-based, None for the document as a whole
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line else self.message


@dataclass
class ParseResult:
    """The parsed plan, the lines it could not place (``ignored``: the "unplaced lines"), and
    warnings: never an empty or partial plan without saying so."""

    plan: Plan
    ignored: list[IgnoredLine] = field(default_factory=list)
    warnings: list[ParseWarning] = field(default_factory=list)
    title_found: bool = True  # False: ``plan.title`` is empty and the clerk must type it

    @property
    def title(self) -> str | None:
        return self.plan.title if self.title_found else None

    @property
    def ignored_lines(self) -> list[str]:
        return [entry.text for entry in self.ignored]
