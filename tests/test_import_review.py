"""The review before an import is saved, as a model: the clerk's corrections applied to what
the parser read (no window needed)."""

from __future__ import annotations

import pytest

from jingan_desktop.plan.model import Comparator
from jingan_desktop.plan.parser import parse_plan
from jingan_desktop.plan.review import CHAPTER, ITEM, OUTSIDE, Review, ReviewError

PLAN = """2025年某区重点工作安排
一、经济发展
1.全年新增注册企业1000家以上。
2.推进楼宇更新，完成改造10万平方米。
另外，新建口袋公园5座。
二、民生保障
3.新增养老床位200张。
这一行说明文字
"""


def review(text: str = PLAN) -> Review:
    return Review(parse_plan(text))


def line_of(r: Review, text: str) -> int:
    return next(n for n, line in r.lines.items() if line.text.startswith(text))


def shape(r: Review) -> list[tuple[str, list[tuple[int, str, list[tuple[float, str]]]]]]:
    return [
        (
            c.title,
            [(i.number, i.text, [(n.value, n.unit) for n in i.indicators]) for i in c.items],
        )
        for c in r.plan.chapters
    ]


def test_roles_of_the_lines():
    r = review()
    assert [r.role(n) for n in range(1, 9)] == [
        OUTSIDE, CHAPTER, ITEM, ITEM, "text", CHAPTER, ITEM, "unplaced"
    ]  # fmt: skip


def test_a_line_inside_an_item_marked_as_an_item_splits_it():
    r = review()
    r.mark(line_of(r, "另外"), ITEM)
    assert shape(r)[0][1][1:] == [
        (2, "推进楼宇更新，完成改造10万平方米。", [(10.0, "万平方米")]),
        (3, "另外，新建口袋公园5座。", [(5.0, "座")]),
    ]
    assert r.role(line_of(r, "另外")) == ITEM


def test_an_unplaced_line_marked_as_an_item_joins_its_chapter_and_keys_follow():
    r = review()
    r.mark(8, ITEM)
    assert shape(r)[1][1][-1] == (4, "这一行说明文字", [])
    assert 8 not in r.unplaced
    plan = r.finished()
    keys = [item.key for item in plan.items()]
    assert all(keys) and len(set(keys)) == len(keys)


def test_join_then_split_gives_the_items_back():
    r = review()
    first, _second = r.plan.chapters[0].items
    r.join(first)
    assert len(r.plan.chapters[0].items) == 1
    assert [n.value for n in first.indicators] == [1000, 10, 5]
    r.split(first, r.lines[4].start)
    assert [i.text for i in r.plan.chapters[0].items] == [
        "全年新增注册企业1000家以上。",
        "推进楼宇更新，完成改造10万平方米。\n另外，新建口袋公园5座。",
    ]
    with pytest.raises(ReviewError):
        r.join(r.plan.chapters[0].items[-1])


def test_a_line_marked_as_a_chapter_takes_the_items_after_it():
    r = review()
    r.mark(4, CHAPTER)
    assert [c.title for c in r.plan.chapters] == [
        "经济发展",
        "推进楼宇更新，完成改造10万平方米。",
        "民生保障",
    ]
    assert [len(c.items) for c in r.plan.chapters] == [1, 0, 1]
    assert r.unplaced == {8: "not part of any item"}


def test_a_chapter_heading_marked_as_not_part_of_the_plan_gives_its_items_to_the_one_above():
    r = review()
    r.mark(6, OUTSIDE)
    assert [c.title for c in r.plan.chapters] == ["经济发展"]
    assert [i.number for i in r.plan.items()] == [1, 2, 3]
    assert 6 in r.unplaced


def test_a_line_of_an_item_marked_out_drops_its_text_and_targets():
    r = review()
    r.mark(5, OUTSIDE)
    item = r.plan.chapters[0].items[1]
    assert item.text == "推进楼宇更新，完成改造10万平方米。"
    assert [n.value for n in item.indicators] == [10]


def test_a_target_from_a_selected_phrase_is_read_by_the_parser_and_editable():
    text = PLAN.replace("新增养老床位200张。", "新增养老床位二百张，培训护理员不少于300名。")
    r = review(text)
    item = r.plan.chapters[1].items[0]
    # the parser found 300名; the clerk removes it and adds it back, then fixes a value
    assert [(n.value, n.comparator) for n in item.indicators] == [(300, Comparator.AT_LEAST)]
    r.remove_target(item.indicators[0])
    assert item.indicators == []
    start = r.source.index("不少于300名")
    added = r.add_target(start, start + len("不少于300名"))
    assert (added.value, added.unit, added.comparator) == (300, "名", Comparator.AT_LEAST)
    assert added.source_span == (start, start + 7)
    r.update_target(added, value="320", comparator="~")
    assert (added.value, added.comparator) == (320, Comparator.ABOUT)
    with pytest.raises(ReviewError, match="outside-items"):
        at = r.source.index("这一行")
        r.add_target(at, at + 3)


def test_a_phrase_with_no_figure_the_parser_reads_must_get_a_value_before_saving():
    r = review()
    start = r.source.index("推进楼宇更新")
    added = r.add_target(start, start + 6)
    assert added.value is None
    assert r.problems() == ["target-without-value"]
    with pytest.raises(ReviewError):
        r.finished()
    r.update_target(added, value="4.2万", unit="平方米")
    assert added.value == 42000
    assert r.problems() == []


def test_a_removed_target_stays_removed_when_its_item_is_rebuilt():
    r = review()
    item = r.plan.chapters[0].items[1]
    r.remove_target(item.indicators[1])  # 5座
    r.mark(1, OUTSIDE)  # an unrelated correction
    r.split(item, r.lines[5].start)
    assert r.plan.chapters[0].items[2].indicators == []


def test_no_title_is_not_invented_and_blocks_saving():
    r = review("今年实事项目如下：\n1.新增托位300个。\n")
    assert r.plan.title == ""
    assert "no-title" in r.problems()
    r.set_title(" 2025年民生实事项目 ")
    r.set_year(2025)
    r.set_issuer("区政府办公室")
    plan = r.finished()
    assert (plan.title, plan.year, plan.issuer) == ("2025年民生实事项目", 2025, "区政府办公室")


def test_a_document_without_items_says_so():
    r = review("区政府召开常务会议\n会议指出，要全力以赴稳增长。\n")
    assert "no-items" in r.problems()
    r.mark(2, ITEM)
    assert [i.text for i in r.items()] == ["会议指出，要全力以赴稳增长。"]
    assert "no-items" not in r.problems()


def test_the_parse_itself_is_left_untouched():
    result = parse_plan(PLAN)
    r = Review(result)
    r.mark(5, ITEM)
    r.remove_target(r.plan.items()[0].indicators[0])
    assert len(result.plan.items()) == 3
    assert len(result.plan.items()[0].indicators) == 1
