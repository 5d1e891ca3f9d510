"""Progress rules: how far along an indicator, item, chapter and plan are, and their colour.

The red / amber / green rule lives here and only here (:func:`rag_for_score`):

* every indicator is scored against where it should be by the end of the quarter (its
  *pace*: by default 25 / 50 / 75 / 100 % of the year's target for amounts accumulated over
  the year, and 100 % every quarter for levels, rates and growth targets);
* ``score`` is that comparison capped to 0…1: 1.0 means on or ahead of pace;
* **green** at score ≥ 1.0, **amber** at score ≥ 0.8 (:data:`AMBER_AT`), **red** below;
  grey where nothing has been reported yet.

How the score is found depends on the comparator:

* ``>=`` (以上 / 不低于 …) counts up: score = (actual ÷ target) ÷ pace;
* ``<=`` (以内 / 不超过 / 控制在) holds or breaks: within the pace's share of the limit → 1.0;
  over that share but within the year's limit → amber (:data:`AMBER_AT`); over the limit → 0;
* ``~`` (左右 / 约) holds within a tolerance band (±5 % of the target unless set): inside the
  band around the paced target → 1.0, and each further point of deviation costs a point;
* ``=`` must not be exceeded: over the target → 0, otherwise like ``>=``;
* items without indicators (qualitative work) use the status the department reported:
  已完成 / 推进中 → green, 未启动 → amber, 滞后 → red.

Items roll up their indicators, chapters their items and the plan its chapters, each as the
weighted mean of the children's scores (children with no data left out). A clerk's 滞后 on an
item makes it red whatever its figures say, and every level remembers whether any child is red.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import NamedTuple

from .model import Accumulation, Comparator, Indicator, Item, ItemStatus, PlanData

GREEN_AT = 1.0
AMBER_AT = 0.8


class Rag(StrEnum):
    GREEN = "green"
    AMBER = "amber"
    RED = "red"
    GREY = "grey"  # nothing reported yet

    @property
    def label(self) -> str:
        return {"green": "正常", "amber": "预警", "red": "滞后", "grey": "未填报"}[self.value]


def rag_for_score(score: float | None) -> Rag:
    """The one red / amber / green rule."""
    if score is None:
        return Rag.GREY
    if score >= GREEN_AT:
        return Rag.GREEN
    if score >= AMBER_AT:
        return Rag.AMBER
    return Rag.RED


class Evaluation(NamedTuple):
    """One row's standing for a quarter (a tuple: tens of thousands are made on opening a
    big plan, and a frozen dataclass costs twice as much to make)."""

    completion: float | None  # share of the year's target reached (1.0 = reached); None: no data
    expected: float | None  # the pace for the quarter, as a share (0.5 = half the target)
    score: float | None  # progress against pace, 0…1
    status: Rag
    red_below: bool = False  # a child (or grandchild) is red

    @property
    def lagging(self) -> bool:
        return self.status is Rag.RED


NO_DATA = Evaluation(None, None, None, Rag.GREY)


def _clamp(value: float) -> float:
    return max(0.0, min(1.0, value))


def year_to_date(
    indicator: Indicator, figures: Mapping[int, float | None], quarter: int
) -> float | None:
    """The figure that counts at the end of ``quarter``.

    Figures are year-to-date unless the indicator is kept per quarter, in which case an
    amount is the sum of the quarters so far (levels and rates take the latest quarter).
    """
    if indicator.accumulation is Accumulation.PER_QUARTER and indicator.kind.cumulative:
        reported = [figures[q] for q in range(1, quarter + 1) if figures.get(q) is not None]
        return float(sum(reported)) if reported else None  # type: ignore[arg-type]
    value = figures.get(quarter)
    return None if value is None else float(value)


def _exact(value: float) -> Decimal:
    """A figure as the clerk typed it (its shortest decimal digits), not its binary float."""
    return Decimal(repr(float(value)))


@functools.lru_cache(maxsize=4096)
def _exact_target(value: float) -> Decimal:
    """:func:`_exact` of a target or a pace, which repeat across a plan's indicators (25, 50,
    100 …): worked out once each."""
    return _exact(value)


@functools.lru_cache(maxsize=256)
def _share(percent: float) -> Decimal:
    """A pace or a tolerance in percent as an exact share (50 → 0.5)."""
    return _exact(percent) / 100


def evaluate_indicator(indicator: Indicator, actual: float | None, quarter: int) -> Evaluation:
    """Score one indicator's year-to-date figure at the end of ``quarter`` (1–4).

    Completion and score are worked out in decimal on the figures as typed, so a boundary is
    exact: 4.8 against 增长≥6% is 0.8 — 80 % and 预警 — not 0.7999999999999999 and 滞后."""
    target = indicator.value
    pace_share = _share(indicator.effective_pace()[quarter - 1])
    pace = float(pace_share)
    if actual is None or target is None:
        return Evaluation(None, pace, None, Rag.GREY)
    exact_actual, exact_target = _exact(actual), _exact_target(target)
    if target:
        exact_completion = exact_actual / exact_target
    else:
        exact_completion = Decimal(1 if actual >= 0 else 0)
    completion = float(exact_completion)
    comparator = indicator.comparator
    if comparator is Comparator.AT_LEAST:
        score = _at_least(exact_completion, pace_share, target, actual)
    elif comparator is Comparator.AT_MOST:
        if actual > target:
            score = 0.0
        elif exact_actual <= exact_target * pace_share or not indicator.kind.cumulative:
            score = 1.0
        else:
            score = AMBER_AT
    elif comparator is Comparator.ABOUT:
        band = _share(indicator.tolerance)
        deviation = abs(exact_completion - pace_share) if target else abs(exact_actual)
        score = _clamp(float(1 - max(Decimal(0), deviation - band)))
    else:  # EXACT
        if actual > target + 1e-9 * max(1.0, abs(target)):
            score = 0.0
        elif indicator.kind.cumulative:
            score = _at_least(exact_completion, pace_share, target, actual)
        else:
            score = (
                1.0 if abs(actual - target) <= 1e-9 * max(1.0, abs(target)) else _clamp(completion)
            )
    return Evaluation(completion, pace, score, rag_for_score(score))


def _at_least(completion: Decimal, pace: Decimal, target: float, actual: float) -> float:
    if target <= 0:
        # A target of "no fall" (0 %) or a negative floor: met or not.
        return 1.0 if actual >= target else 0.0
    if pace <= 0:
        return 1.0
    return _clamp(float(completion / pace))


_STATUS_SCORE = {
    ItemStatus.DONE: 1.0,
    ItemStatus.IN_PROGRESS: 1.0,
    ItemStatus.NOT_STARTED: AMBER_AT,
    ItemStatus.LAGGING: 0.0,
}


def combine(parts: Iterable[tuple[Evaluation, float]]) -> Evaluation:
    """Weighted roll-up of children's evaluations (those without data are left out)."""
    total_weight = score_sum = completion_sum = expected_sum = 0.0
    completion_weight = expected_weight = 0.0
    red_below = False
    for evaluation, weight in parts:
        red_below = red_below or evaluation.status is Rag.RED or evaluation.red_below
        if evaluation.score is None or weight <= 0:
            continue
        total_weight += weight
        score_sum += evaluation.score * weight
        if evaluation.expected is not None:
            expected_weight += weight
            expected_sum += evaluation.expected * weight
        if evaluation.completion is not None:
            completion_weight += weight
            completion = evaluation.completion
            completion_sum += (
                0.0 if completion < 0 else 1.0 if completion > 1 else completion
            ) * weight
    if total_weight == 0:
        return Evaluation(None, None, None, Rag.GREY, red_below)
    score = score_sum / total_weight
    completion = completion_sum / completion_weight if completion_weight else None
    expected = expected_sum / expected_weight if expected_weight else None
    return Evaluation(completion, expected, score, rag_for_score(score), red_below)


def evaluate_item(
    item: Item, indicator_evaluations: Sequence[Evaluation], status: ItemStatus | None
) -> Evaluation:
    if item.indicators:
        rolled = combine(
            zip(indicator_evaluations, (i.weight for i in item.indicators), strict=True)
        )
    else:
        rolled = Evaluation(None, None, None, Rag.GREY)
    if rolled.score is None and status is not None:
        score = _STATUS_SCORE[status]
        completion = 1.0 if status is ItemStatus.DONE else None
        rolled = Evaluation(completion, None, score, rag_for_score(score), rolled.red_below)
    if status is ItemStatus.LAGGING and rolled.status is not Rag.RED:
        # The department says it is behind: believe it over the figures.
        rolled = Evaluation(
            rolled.completion, rolled.expected, rolled.score, Rag.RED, rolled.red_below
        )
    return rolled


@dataclass
class PlanProgress:
    """Every level's evaluation for one quarter, keyed by row id."""

    quarter: int
    indicators: dict[str, Evaluation]
    items: dict[str, Evaluation]
    chapters: dict[str, Evaluation]
    plan: Evaluation

    def of(self, row_id: str) -> Evaluation:
        for table in (self.indicators, self.items, self.chapters):
            if row_id in table:
                return table[row_id]
        return NO_DATA

    def counts(self) -> dict[Rag, int]:
        """How many indicators are in each status."""
        counts = dict.fromkeys(Rag, 0)
        for evaluation in self.indicators.values():
            counts[evaluation.status] += 1
        return counts


def _evaluate_item_tree(
    data: PlanData, item: Item, quarter: int, indicators: dict[str, Evaluation]
) -> Evaluation:
    """Evaluate an item's indicators (into ``indicators``) and the item itself."""
    actuals = data.actuals
    evaluations = []
    for indicator in item.indicators:
        assert indicator.id is not None
        if indicator.accumulation is Accumulation.PER_QUARTER:
            figures = {
                q: a.value
                for q in range(1, quarter + 1)
                if (a := actuals.get((indicator.id, q))) is not None
            }
            figure = year_to_date(indicator, figures, quarter)
        else:  # year to date: this quarter's figure is the one that counts
            found = actuals.get((indicator.id, quarter))
            figure = None if found is None or found.value is None else float(found.value)
        evaluation = evaluate_indicator(indicator, figure, quarter)
        indicators[indicator.id] = evaluation
        evaluations.append(evaluation)
    progress = data.progress.get((item.id or "", quarter))
    return evaluate_item(item, evaluations, progress.status if progress else None)


def evaluate_plan(data: PlanData, quarter: int) -> PlanProgress:
    indicators: dict[str, Evaluation] = {}
    items: dict[str, Evaluation] = {}
    chapters: dict[str, Evaluation] = {}
    for chapter in data.plan.chapters:
        for item in chapter.items:
            items[item.id or ""] = _evaluate_item_tree(data, item, quarter, indicators)
        chapters[chapter.id or ""] = combine((items[i.id or ""], i.weight) for i in chapter.items)
    plan = combine((chapters[c.id or ""], 1.0) for c in data.plan.chapters)
    return PlanProgress(quarter, indicators, items, chapters, plan)


def reevaluate_item(progress: PlanProgress, data: PlanData, item_id: str) -> None:
    """After one item's figures, status or targets changed: update it, its chapter and the
    plan in place (a few evaluations instead of the whole plan's)."""
    for chapter in data.plan.chapters:
        for item in chapter.items:
            if item.id == item_id:
                progress.items[item_id] = _evaluate_item_tree(
                    data, item, progress.quarter, progress.indicators
                )
                progress.chapters[chapter.id or ""] = combine(
                    (progress.items[i.id or ""], i.weight) for i in chapter.items
                )
                progress.plan = combine(
                    (progress.chapters[c.id or ""], 1.0) for c in data.plan.chapters
                )
                return


def quarter_snapshot(data: PlanData, quarter: int) -> dict[str, object]:
    """The figures of a quarter as they stand, kept when the quarter is locked."""
    progress = evaluate_plan(data, quarter)
    return {
        "quarter": quarter,
        "taken_on": date.today().isoformat(),
        "actuals": {ind_id: a.value for (ind_id, q), a in data.actuals.items() if q == quarter},
        "progress": {
            item_id: {"status": p.status.value if p.status else None, "text": p.text}
            for (item_id, q), p in data.progress.items()
            if q == quarter
        },
        "scores": {row_id: e.score for row_id, e in progress.indicators.items()},
        "plan_score": progress.plan.score,
    }


def coverage(indicators: Iterable[Indicator], progress: PlanProgress) -> tuple[int, int]:
    """(reported, total): how many of ``indicators`` have a figure this quarter — shown beside
    every completion, so 46.8 % from 3 of 80 indicators is not read as the plan's state."""
    total = reported = 0
    for indicator in indicators:
        total += 1
        evaluation = progress.indicators.get(indicator.id or "")
        if evaluation is not None and evaluation.completion is not None:
            reported += 1
    return reported, total


def coverage_text(reported: int, total: int) -> str:
    """ "填报 3/80"; "" when there is nothing to report."""
    return f"填报 {reported}/{total}" if total else ""
