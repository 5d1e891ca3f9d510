from __future__ import annotations

import pytest

from jingan_desktop.plan.model import (
    Accumulation,
    Actual,
    Chapter,
    Comparator,
    Indicator,
    Item,
    ItemStatus,
    Kind,
    Plan,
    PlanData,
    Progress,
)
from jingan_desktop.plan.progress import (
    AMBER_AT,
    Evaluation,
    Rag,
    combine,
    evaluate_indicator,
    evaluate_item,
    evaluate_plan,
    rag_for_score,
    year_to_date,
)


def indicator(value=100.0, comparator=">=", kind="quantity", **kw) -> Indicator:
    return Indicator("x", value, "个", Comparator(comparator), Kind(kind), **kw)


@pytest.mark.parametrize(
    ("score", "rag"),
    [
        (None, Rag.GREY),
        (1.0, Rag.GREEN),
        (0.99, Rag.AMBER),
        (AMBER_AT, Rag.AMBER),
        (0.79, Rag.RED),
        (0, Rag.RED),
    ],
)
def test_the_one_rag_rule(score, rag):
    assert rag_for_score(score) is rag


@pytest.mark.parametrize(
    ("actual", "quarter", "completion", "status"),
    [
        (50, 2, 0.5, Rag.GREEN),  # exactly on the default 50 % pace
        (45, 2, 0.45, Rag.AMBER),  # 90 % of pace
        (30, 2, 0.3, Rag.RED),  # 60 % of pace
        (30, 1, 0.3, Rag.GREEN),  # ahead of the 25 % pace
        (99, 4, 0.99, Rag.AMBER),
        (120, 4, 1.2, Rag.GREEN),
        (None, 2, None, Rag.GREY),
    ],
)
def test_at_least_counts_up_against_pace(actual, quarter, completion, status):
    evaluation = evaluate_indicator(indicator(), actual, quarter)
    assert evaluation.completion == completion
    assert evaluation.status is status


def test_custom_pace_is_used():
    back_loaded = indicator(pace=(0.0, 10.0, 40.0, 100.0))
    assert evaluate_indicator(back_loaded, 10, 2).status is Rag.GREEN
    assert evaluate_indicator(indicator(), 10, 2).status is Rag.RED


def test_growth_targets_compare_growth_all_year():
    growth = indicator(6.0, kind="growth")
    assert evaluate_indicator(growth, 6.5, 1).status is Rag.GREEN  # flat pace: 100 % from Q1
    assert evaluate_indicator(growth, 5.0, 2).status is Rag.AMBER  # 5/6 = 0.83
    assert evaluate_indicator(growth, -1.0, 2).score == 0.0


@pytest.mark.parametrize(
    ("actual", "quarter", "status"),
    [
        (20, 2, Rag.GREEN),
        (50, 2, Rag.GREEN),
        (70, 2, Rag.AMBER),
        (100, 4, Rag.GREEN),
        (101, 4, Rag.RED),
        (130, 2, Rag.RED),
    ],
)
def test_at_most_holds_or_breaks(actual, quarter, status):
    assert evaluate_indicator(indicator(100.0, "<="), actual, quarter).status is status


def test_at_most_level_has_no_pace():
    limit = indicator(5.0, "<=", "ratio")
    assert evaluate_indicator(limit, 4.9, 1).status is Rag.GREEN
    assert evaluate_indicator(limit, 5.1, 1).status is Rag.RED


@pytest.mark.parametrize(
    ("actual", "status"),
    [(4.26, Rag.GREEN), (4.10, Rag.GREEN), (4.5, Rag.AMBER), (3.0, Rag.RED)],
)
def test_about_holds_within_tolerance(actual, status):
    about = indicator(4.26, "~", "level")  # flat pace, ±5 % band
    assert evaluate_indicator(about, actual, 3).status is status


def test_exact_must_not_be_exceeded():
    exact = indicator(10.0, "=")
    assert evaluate_indicator(exact, 10, 4).status is Rag.GREEN
    assert evaluate_indicator(exact, 11, 4).status is Rag.RED
    assert evaluate_indicator(exact, 5, 2).status is Rag.GREEN


def test_per_quarter_figures_are_summed():
    ind = indicator(accumulation=Accumulation.PER_QUARTER)
    assert year_to_date(ind, {1: 20, 2: 30}, 2) == 50
    assert year_to_date(ind, {1: 20}, 3) == 20
    assert year_to_date(indicator(), {1: 20, 2: 30}, 2) == 30
    assert year_to_date(indicator(), {1: 20}, 2) is None


def test_qualitative_items_use_their_status():
    item = Item(1, "t", "t")
    assert evaluate_item(item, [], ItemStatus.DONE).status is Rag.GREEN
    assert evaluate_item(item, [], ItemStatus.IN_PROGRESS).status is Rag.GREEN
    assert evaluate_item(item, [], ItemStatus.NOT_STARTED).status is Rag.AMBER
    assert evaluate_item(item, [], ItemStatus.LAGGING).status is Rag.RED
    assert evaluate_item(item, [], None).status is Rag.GREY


def test_clerk_saying_lagging_wins_over_figures():
    item = Item(1, "t", "t", indicators=[indicator()])
    green = evaluate_indicator(indicator(), 60, 2)
    assert evaluate_item(item, [green], None).status is Rag.GREEN
    assert evaluate_item(item, [green], ItemStatus.LAGGING).status is Rag.RED


def test_roll_up_is_weighted_and_remembers_red_children():
    green = Evaluation(0.6, 0.5, 1.0, Rag.GREEN)
    red = Evaluation(0.1, 0.5, 0.2, Rag.RED)
    rolled = combine([(green, 3.0), (red, 1.0)])
    assert rolled.score == pytest.approx(0.8)
    assert rolled.status is Rag.AMBER
    assert rolled.red_below
    assert combine([(Evaluation(None, 0.5, None, Rag.GREY), 1.0)]).status is Rag.GREY
    # A zero weight leaves a child out of the score, but a red child is still flagged.
    assert combine([(green, 1.0), (red, 0.0)]).score == 1.0


def test_evaluate_plan_rolls_up_to_chapters_and_plan():
    a = indicator(100.0, id="a")
    b = indicator(10.0, id="b")
    item1 = Item(1, "i1", "i1", indicators=[a, b], id="item1")
    item2 = Item(2, "i2", "i2", id="item2")
    chapter = Chapter("一", "c", [item1, item2], id="ch1")
    data = PlanData(Plan("p", 2022, chapters=[chapter], id="p"))
    data.actuals[("a", 2)] = Actual("a", 2, 50.0)
    data.actuals[("b", 2)] = Actual("b", 2, 2.0)  # 20 % of target at a 50 % pace: red
    data.progress[("item2", 2)] = Progress("item2", 2, ItemStatus.IN_PROGRESS)
    progress = evaluate_plan(data, 2)
    assert progress.indicators["a"].status is Rag.GREEN
    assert progress.indicators["b"].status is Rag.RED
    assert progress.items["item1"].score == pytest.approx((1.0 + 0.4) / 2)
    assert progress.items["item1"].status is Rag.RED
    assert progress.items["item2"].status is Rag.GREEN
    assert progress.chapters["ch1"].red_below
    assert progress.plan.score == pytest.approx((0.7 + 1.0) / 2)
    assert progress.counts()[Rag.RED] == 1


def test_boundaries_are_exact_on_the_figures_as_typed():
    from jingan_desktop.plan.model import Comparator, Indicator, Kind
    from jingan_desktop.plan.progress import Rag, evaluate_indicator

    growth = Indicator("收入", 6.0, "%", Comparator.AT_LEAST, Kind.GROWTH)
    assert 4.8 / 6 < 0.8  # the float noise the rule must not follow
    at_boundary = evaluate_indicator(growth, 4.8, 2)
    assert at_boundary.completion == 0.8 and at_boundary.status is Rag.AMBER
    assert evaluate_indicator(growth, 4.79, 2).status is Rag.RED
    amount = Indicator("企业", 10000.0, "家")  # paced 50 % at Q2: 4000 / 5000 = 0.8
    assert evaluate_indicator(amount, 4000, 2).status is Rag.AMBER
    assert evaluate_indicator(amount, 3999, 2).status is Rag.RED
