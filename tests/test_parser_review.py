"""Never silent, and shaped for a review before saving: warnings, unplaced lines, source spans
and stable keys, as ``parse`` shows them."""

from __future__ import annotations

import json
from pathlib import Path

from jingan_desktop import cli
from jingan_desktop.plan.parser import parse_plan, read_plan_file


def run(capsys, *args):
    code = cli.main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def test_a_document_without_items_warns_and_strict_fails(capsys, tmp_path: Path):
    path = tmp_path / "news.txt"
    path.write_text(
        "区政府召开常务会议\n会议指出，要全力以赴稳增长，确保全年经济增长5%左右。\n会议还研究了其他事项。\n",
        encoding="utf-8",
    )
    code, out, err = run(capsys, "parse", path)
    assert code == 0
    assert "warning: " + str(path) + ": no items found" in err
    assert err.splitlines()[-1].startswith(f"{path}: 0 chapters, 0 items, 0 targets")
    code, _out, _err = run(capsys, "parse", "--strict", path)
    assert code == 1
    code, out, _err = run(capsys, "parse", "--json", path)
    data = json.loads(out)
    assert data["title"] is None
    messages = [w["message"] for w in data["warnings"]]
    assert messages[0] == "no title found: type the plan's title"
    assert (
        "no items found (expected numbered items such as '1.', '1、', '（一）' or a task table)"
        in messages
    )
    assert "numbers are present but no item holds them" in messages


def test_items_whose_numbers_yield_no_target_are_named():
    result = parse_plan(
        "2025年重点工作安排\n一、发展\n1.聚焦5大领域，推进片区建设。\n2.新增企业10家。\n"
    )
    assert [len(i.indicators) for i in result.plan.items()] == [0, 1]
    assert [str(w) for w in result.warnings] == [
        "line 3: item 1 (聚焦5大领域，推进片区建设): numbers present ('5大') but no target recognised"
    ]


def test_no_title_is_not_invented(capsys, tmp_path: Path):
    path = tmp_path / "list.txt"
    path.write_text("今年实事项目如下：\n1.新增托位300个。\n2.新建食堂5家。\n", encoding="utf-8")
    result = read_plan_file(path)
    assert result.title is None and result.plan.title == ""
    assert str(result.warnings[0]) == "no title found: type the plan's title"
    _code, out, _err = run(capsys, "parse", path)
    assert out.splitlines()[0].startswith("(no title found)")
    assert "今年实事项目如下：" in result.plan.preamble


def test_spans_point_into_the_source_for_a_review(seed_path: Path):
    result = read_plan_file(seed_path)
    source = result.plan.source_text
    for item in result.plan.items():
        start, end = item.source_span
        assert source[start:end].startswith(item.text[:10])
        for indicator in item.indicators:
            a, b = indicator.source_span
            assert "".join(source[a:b].split()) == "".join(indicator.text.split())
    for entry in result.ignored:
        assert source.splitlines()[entry.line - 1].strip() == entry.text


def test_keys_survive_an_inserted_item(seed_text: str):
    before = parse_plan(seed_text).plan.items()
    lines = seed_text.split("\n")
    at = next(i for i, line in enumerate(lines) if line.startswith("3."))
    changed = "\n".join([*lines[:at], "2.新增的一项工作，新建口袋公园5座。", *lines[at:]])
    after = parse_plan(changed).plan.items()
    assert len(after) == len(before) + 1
    keys_before = [item.key for item in before]
    assert len(set(keys_before)) == len(keys_before)
    assert [item.key for item in after if item.key in keys_before] == keys_before


def test_json_has_the_review_fields(capsys, seed_path: Path):
    _code, out, _err = run(capsys, "parse", "--json", seed_path)
    data = json.loads(out)
    item = data["chapters"][0]["items"][0]
    assert {"key", "line", "source_span", "lead_department", "co_departments", "due_date"} <= set(
        item
    )
    assert {"span", "source_span"} <= set(item["indicators"][0])
    assert data["unplaced"] == [
        {"line": 48, "text": "留言咨询", "reason": "not part of any item"},
        {"line": 49, "text": "使用说明", "reason": "not part of any item"},
    ]
    assert data["summary"] == {
        "chapters": 6,
        "items": 34,
        "targets": 80,
        "unplaced_lines": 2,
        "warnings": 0,
    }


def test_a_notice_without_a_title_line_takes_the_title_in_quotes():
    result = parse_plan(
        "XX区人民政府关于印发《2025年XX区民生实事项目》的通知\n"
        "X府发〔2025〕7号\n"
        "各街道：现将《2025年XX区民生实事项目》印发给你们。\n"
        "（2025年3月1日）\n"
        "1.新增托位300个。\n"
        "2.新建食堂5家。\n"
        "一、加强领导。\n"
    )
    assert (result.title, result.plan.year, str(result.plan.issued_on)) == (
        "2025年XX区民生实事项目",
        2025,
        "2025-03-01",
    )
    assert [i.number for i in result.plan.items()] == [1, 2]
    assert [(e.text, e.reason) for e in result.ignored] == [("一、加强领导。", "after the plan")]
