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
class ParseResult:
    plan: Plan
    ignored: list[IgnoredLine] = field(default_factory=list)

    @property
    def ignored_lines(self) -> list[str]:
        return [entry.text for entry in self.ignored]
