"""The corpus of plan layouts (tests/data/plans/): one synthetic document per layout that
districts publish, each with hand-checked expectations beside it. Every document must come
out exactly as expected: chapters, items in order, each target's value/unit/comparator (and
stretch where given), departments and due dates where the expectations name them. The same
files are scored by bench/score_parser.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from jingan_desktop import cli
from jingan_desktop.plan.parser import read_plan_file

CORPUS = Path(__file__).parent / "data" / "plans"
DOCUMENTS = sorted(path.stem for path in CORPUS.glob("*.txt"))


def test_every_layout_has_a_document():
    assert set(DOCUMENTS) >= {
        "flat_list",
        "flat_bare_numbers",
        "section_items",
        "notice",
        "table_pipe",
        "table_space",
        "table_stacked",
        "gov_report",
        "traditional",
        "units_ranges",
    }


def _expected(name: str) -> dict:
    return json.loads((CORPUS / f"{name}.expected.json").read_text(encoding="utf-8"))


def _target(indicator, with_stretch: bool) -> list:
    value = indicator.value
    found = [
        int(value) if value.is_integer() else value,
        indicator.unit,
        indicator.comparator.value,
    ]
    if with_stretch:
        found.append(indicator.stretch_value)
    return found


@pytest.mark.parametrize("name", DOCUMENTS)
def test_layout_parses_as_hand_checked(name):
    expected = _expected(name)
    result = read_plan_file(CORPUS / f"{name}.txt")
    plan = result.plan
    assert result.title == expected["title"]
    assert plan.year == expected["year"]
    for field in ("issuer", "issued_on"):
        if field in expected:
            value = getattr(plan, field)
            assert (value.isoformat() if hasattr(value, "isoformat") else value) == expected[field]
    assert [chapter.title for chapter in plan.chapters] == expected["chapters"]
    found = [(index, item) for index, chapter in enumerate(plan.chapters) for item in chapter.items]
    assert [(c, i.number, i.title) for c, i in found] == [
        (e["chapter"], e["number"], e["title"]) for e in expected["items"]
    ]
    for (_, item), want in zip(found, expected["items"], strict=True):
        got = [_target(ind, any(len(t) > 3 for t in want["targets"])) for ind in item.indicators]
        wanted = [
            t if len(t) > 3 or not any(len(x) > 3 for x in want["targets"]) else [*t, None]
            for t in want["targets"]
        ]
        assert got == wanted, item.title
        if "lead" in want:
            assert item.lead_department == want["lead"], item.title
        if "co" in want:
            assert item.co_departments == want["co"], item.title
        if "due" in want:
            assert item.due_date is not None and item.due_date.isoformat() == want["due"]
        for indicator in item.indicators:
            start, end = indicator.span
            assert item.text[start:end] == indicator.text
            source_start, source_end = indicator.source_span
            assert fold_equal(plan.source_text[source_start:source_end], indicator.text)


def fold_equal(source: str, text: str) -> bool:
    """An indicator's source span covers its text as written (wrapped lines aside)."""
    return "".join(source.split()) == "".join(text.split())


@pytest.mark.parametrize("name", DOCUMENTS)
def test_parse_prints_a_summary_and_strict_fails_on_warnings(capsys, name):
    path = CORPUS / f"{name}.txt"
    result = read_plan_file(path)
    code = cli.main(["parse", "--strict", str(path)])
    _out, err = capsys.readouterr()
    plan = result.plan
    summary = (
        f"{path}: {len(plan.chapters)} chapters, {len(plan.items())} items, "
        f"{len(plan.indicators())} targets, {len(result.ignored)} unplaced lines, "
        f"{len(result.warnings)} warnings"
    )
    assert err.splitlines()[-1] == summary
    for warning in result.warnings:
        assert f"warning: {path}: {warning}" in err.splitlines()
    assert code == (1 if result.warnings else 0)


@pytest.mark.parametrize("width", [30, 38, 45])
def test_seed_hard_wrapped_like_a_pdf_parses_the_same(seed_text, width):
    """A PDF's text layer breaks every line at the page width: the same plan comes out."""
    import textwrap

    from jingan_desktop.plan.parser import parse_plan

    wrapped = "\n".join(
        part for line in seed_text.split("\n") for part in (textwrap.wrap(line, width) or [""])
    )
    result = parse_plan(wrapped)
    original = parse_plan(seed_text)
    assert [i.title for i in result.plan.items()] == [i.title for i in original.plan.items()]
    assert [(d.value, d.unit, d.comparator) for d in result.plan.indicators()] == [
        (d.value, d.unit, d.comparator) for d in original.plan.indicators()
    ]
    assert result.ignored_lines == ["留言咨询", "使用说明"]
