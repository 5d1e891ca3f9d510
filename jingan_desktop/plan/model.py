"""The plan model: Plan → Chapter → Item → Indicator, plus quarters and statuses.

Plain dataclasses with no storage or UI concerns; the parser produces them and the store
persists them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum


class Comparator(StrEnum):
    AT_LEAST = ">="  # 以上 / 不低于 / 不少于 / 超过 / 至少, and plain goals to reach
    AT_MOST = "<="  # 以内 / 不超过 / 不高于 / 控制在…以下
    EXACT = "="  # an exact figure that must not be missed either way
    ABOUT = "~"  # 左右 / 约: within a tolerance band

    @property
    def label(self) -> str:
        return {">=": "≥", "<=": "≤", "=": "=", "~": "≈"}[self.value]


class Kind(StrEnum):
    QUANTITY = "quantity"  # an amount accumulated over the year (家, 个, 万平方米, 亿元 …)
    LEVEL = "level"  # a level held at a point in time (日均处置量, 日供餐能力 …)
    GROWTH = "growth"  # a growth rate in % (增长6%)
    DECLINE = "decline"  # a rate of decrease in % (下降3%)
    RATIO = "ratio"  # a share or rate in % (覆盖率达到95%)

    @property
    def label(self) -> str:
        return {
            "quantity": "累计量",
            "level": "水平值",
            "growth": "增长率",
            "decline": "下降率",
            "ratio": "比率",
        }[self.value]

    @property
    def cumulative(self) -> bool:
        """Whether the year's target is reached by accumulating over the quarters."""
        return self is Kind.QUANTITY


class ItemStatus(StrEnum):
    NOT_STARTED = "未启动"
    IN_PROGRESS = "推进中"
    DONE = "已完成"
    LAGGING = "滞后"


class Accumulation(StrEnum):
    YEAR_TO_DATE = "ytd"  # each quarter's figure is the total so far this year (the default)
    PER_QUARTER = "quarter"  # each quarter's figure counts that quarter only; totals are summed


DEFAULT_PACE: tuple[float, float, float, float] = (25.0, 50.0, 75.0, 100.0)
FLAT_PACE: tuple[float, float, float, float] = (100.0, 100.0, 100.0, 100.0)
DEFAULT_TOLERANCE = 5.0  # ±% of target for "~" indicators

CHINESE_QUARTERS = ("第一季度", "第二季度", "第三季度", "第四季度")
_QUARTER_RE = re.compile(r"^\s*(\d{4})\s*[-_ ]?\s*[Qq]([1-4])\s*$")


def default_pace(kind: Kind) -> tuple[float, float, float, float]:
    """Expected share of the year's target reached by the end of each quarter."""
    return DEFAULT_PACE if kind.cumulative else FLAT_PACE


@dataclass(frozen=True, order=True)
class Quarter:
    year: int
    number: int  # 1..4

    def __post_init__(self) -> None:
        if not 1 <= self.number <= 4:
            raise ValueError(f"quarter must be 1-4, got {self.number}")

    @classmethod
    def parse(cls, text: str) -> Quarter:
        """Parse ``2022Q2`` (also ``2022-Q2``, ``2022 q2``)."""
        match = _QUARTER_RE.match(text)
        if not match:
            raise ValueError(f"not a quarter (expected e.g. 2022Q2): {text!r}")
        return cls(int(match.group(1)), int(match.group(2)))

    @property
    def code(self) -> str:
        return f"{self.year}Q{self.number}"

    @property
    def label(self) -> str:
        return f"{self.year}年{CHINESE_QUARTERS[self.number - 1]}"

    @property
    def last_day(self) -> date:
        month = self.number * 3
        day = 31 if month in (3, 12) else 30
        return date(self.year, month, day)

    def __str__(self) -> str:
        return self.code


@dataclass(slots=True)
class Indicator:
    name: str
    value: float
    unit: str
    comparator: Comparator = Comparator.AT_LEAST
    kind: Kind = Kind.QUANTITY
    text: str = ""  # the exact source phrase, e.g. "全年新增注册企业10000家以上"
    span: tuple[int, int] | None = None  # offsets of ``text`` inside the item's text
    source_span: tuple[int, int] | None = None  # offsets of ``text`` in the plan's source text
    stretch_value: float | None = None  # "增长2%，力争3%" → 3
    weight: float = 1.0
    pace: tuple[float, float, float, float] | None = None  # None: default for the kind
    tolerance: float = DEFAULT_TOLERANCE
    accumulation: Accumulation = Accumulation.YEAR_TO_DATE
    id: str | None = None  # set once stored

    def effective_pace(self) -> tuple[float, float, float, float]:
        return self.pace if self.pace is not None else default_pace(self.kind)


@dataclass(slots=True)
class Item:
    number: int
    title: str
    text: str
    indicators: list[Indicator] = field(default_factory=list)
    section: str | None = None  # a "（一）…" sub-heading the item sits under
    lead_department: str | None = None
    co_departments: list[str] = field(default_factory=list)
    due_date: date | None = None
    weight: float = 1.0
    line: int | None = None  # 1-based line in the source where the item starts
    source_span: tuple[int, int] | None = None  # where the item's text lies in the source text
    key: str | None = None  # the same for the same item in a re-import (see parser.keys)
    id: str | None = None


@dataclass(slots=True)
class Chapter:
    numeral: str
    title: str
    items: list[Item] = field(default_factory=list)
    intro: str = ""
    line: int | None = None
    id: str | None = None


@dataclass
class Plan:
    title: str
    year: int
    issuer: str | None = None
    issued_on: date | None = None
    source_text: str = ""
    chapters: list[Chapter] = field(default_factory=list)
    preamble: str = ""
    id: str | None = None

    def items(self) -> list[Item]:
        return [item for chapter in self.chapters for item in chapter.items]

    def indicators(self) -> list[Indicator]:
        return [ind for item in self.items() for ind in item.indicators]


# --- quarterly data ---------------------------------------------------------------------------


@dataclass
class Department:
    id: str
    name: str
    position: int = 0


@dataclass(slots=True)
class Actual:
    """An indicator's reported figure for one quarter."""

    indicator_id: str
    quarter: int
    value: float | None
    note: str = ""
    modified_at: str = ""
    modified_by: str = ""


@dataclass(slots=True)
class Progress:
    """An item's status and progress text for one quarter."""

    item_id: str
    quarter: int
    status: ItemStatus | None
    text: str = ""
    modified_at: str = ""
    modified_by: str = ""


@dataclass
class QuarterLock:
    quarter: int
    locked: bool
    locked_at: str | None = None
    locked_by: str | None = None
    snapshot: dict[str, object] | None = None


@dataclass
class PlanData:
    """A stored plan with everything reported against it."""

    plan: Plan
    actuals: dict[tuple[str, int], Actual] = field(default_factory=dict)
    progress: dict[tuple[str, int], Progress] = field(default_factory=dict)
    locks: dict[int, QuarterLock] = field(default_factory=dict)
    departments: list[Department] = field(default_factory=list)

    def actual(self, indicator_id: str, quarter: int) -> Actual | None:
        return self.actuals.get((indicator_id, quarter))

    def progress_for(self, item_id: str, quarter: int) -> Progress | None:
        return self.progress.get((item_id, quarter))

    def is_locked(self, quarter: int) -> bool:
        lock = self.locks.get(quarter)
        return bool(lock and lock.locked)
