from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jingan_desktop.plan.model import Comparator, Kind
from jingan_desktop.plan.parser import (
    PlanDecodeError,
    decode_plan_bytes,
    extract_indicators,
    parse_plan,
    plan_to_dict,
    read_plan_file,
)

TABLE = Path(__file__).parent / "data" / "seed_targets.tsv"
# Counted by reading the whole seed, item by item (see tests/data/seed_targets.tsv).
SEED_INDICATOR_COUNT = 80


@pytest.fixture(scope="module")
def seed(seed_path):
    return read_plan_file(seed_path)


def test_seed_structure(seed):
    plan = seed.plan
    assert [c.numeral for c in plan.chapters] == ["一", "二", "三", "四", "五", "六"]
    assert [item.number for item in plan.items()] == list(range(1, 35))
    assert [len(c.items) for c in plan.chapters] == [6, 5, 7, 8, 5, 3]
    assert plan.chapters[0].title == "全力以赴稳增长,推动区域经济高质量发展"
    assert plan.chapters[5].title == "加强政府自身建设,不断提升治理能力现代化水平"


def test_seed_header(seed):
    plan = seed.plan
    assert plan.title == "2022年区政府重点工作安排"
    assert plan.year == 2022
    assert plan.issuer == "上海市静安区人民政府"
    assert plan.issued_on == date(2022, 3, 8)
    assert "区政府各委、办、局" in plan.preamble


def test_seed_debris_is_ignored_with_line_numbers(seed):
    assert seed.ignored_lines == ["留言咨询", "使用说明"]
    assert [entry.line for entry in seed.ignored] == [48, 49]


def test_item_title_is_first_sentence(seed):
    items = seed.plan.items()
    assert items[0].title == "推动经济平稳健康发展"
    assert items[1].title == "大力推进招商引资倍增计划"
    assert items[33].title == "加强政府作风建设"
    for item in items:
        assert item.text.startswith(item.title)


def _table():
    with TABLE.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def test_hand_checked_table_is_large_enough():
    assert len(_table()) >= 40


def test_seed_indicator_count(seed):
    assert len(seed.plan.indicators()) == SEED_INDICATOR_COUNT == len(_table())


def test_every_hand_checked_target(seed):
    items = {item.number: item for item in seed.plan.items()}
    found = [(item.number, ind) for item in seed.plan.items() for ind in item.indicators]
    for row, (number, indicator) in zip(_table(), found, strict=True):
        expected = (int(row["item"]), float(row["value"]), row["unit"], row["comparator"])
        assert (number, indicator.value, indicator.unit, indicator.comparator.value) == expected, (
            row
        )
        # The hand-picked phrase lies inside the span the parser recorded.
        text = items[number].text
        start = text.index(row["source_phrase"])
        span_start, span_end = indicator.span
        assert span_start <= start + len(row["source_phrase"]) and start <= span_end, row


def test_spans_point_into_the_item_text(seed):
    for item in seed.plan.items():
        for indicator in item.indicators:
            start, end = indicator.span
            assert item.text[start:end] == indicator.text


@pytest.mark.parametrize(
    ("phrase", "value", "unit", "comparator", "kind", "name"),
    [
        ("全年新增注册企业10000家以上", 10000, "家", ">=", "quantity", "新增注册企业"),
        ("湿垃圾日均处置量不低于435吨", 435, "吨", ">=", "level", "湿垃圾日均处置量"),
        ("全社会固定资产投资额增长8%以上", 8, "%", ">=", "growth", "全社会固定资产投资额"),
        ("为本区约4.26万名持证残疾人开展保险项目", 4.26, "万名", "~", "quantity", None),
        ("社会消费品零售总额1600亿元", 1600, "亿元", ">=", "quantity", "社会消费品零售总额"),
        ("单位增加值能耗下降3%", 3, "%", ">=", "decline", "单位增加值能耗"),
        ("PM2.5年均浓度控制在35微克以内", None, None, None, None, None),
        ("新增建设用地控制在50公顷以内", 50, "公顷", "<=", "quantity", None),
        ("城镇调查失业率控制在5%以内", 5, "%", "<=", "ratio", None),
        ("完成投资12亿元左右", 12, "亿元", "~", "quantity", None),
        ("新增就业岗位1,200个", 1200, "个", ">=", "quantity", "新增就业岗位"),
        ("新增就业岗位１２００个", 1200, "个", ">=", "quantity", "新增就业岗位"),
        ("日均客流不超过2万人次", 2, "万人次", "<=", "level", None),
    ],
)
def test_single_targets(phrase, value, unit, comparator, kind, name):
    found = extract_indicators(phrase)
    if value is None:
        assert found == []
        return
    assert len(found) == 1
    (indicator,) = found
    assert indicator.value == value
    assert indicator.unit == unit
    assert indicator.comparator == Comparator(comparator)
    assert indicator.kind == Kind(kind)
    if name is not None:
        assert indicator.name == name


def test_stretch_target_is_one_indicator():
    (indicator,) = extract_indicators("区级一般公共预算收入增长2%，力争3%。")
    assert (indicator.value, indicator.stretch_value, indicator.unit) == (2, 3, "%")
    assert indicator.kind is Kind.GROWTH
    assert indicator.text == "区级一般公共预算收入增长2%，力争3%"


@pytest.mark.parametrize(
    "text",
    [
        "申报与实施“十四五”教育领域重大科研项目。",
        "深化“一轴三带”发展战略。",
        "进一步发挥“12345”市民服务热线的平台作用。",
        "完善社区15分钟生活圈功能。",
        "做好上海市第十七届运动会参赛工作,深化实施区第八轮环保三年行动计划。",
        "为70岁以上老人提供服务。",
        "于2022年3月8日前完成,市北园区22号地块配套小学实现开工。",
        "推进第3批试点。",
    ],
)
def test_numbers_that_are_not_goals(text):
    assert extract_indicators(text) == []


def test_two_targets_in_one_clause_share_the_noun():
    first, second = extract_indicators("新建4条、翻建3条市民健身步道。")
    assert (first.value, second.value) == (4, 3)
    assert first.name == "新建市民健身步道"
    assert second.name == "翻建市民健身步道"


OTHER_PLAN = """\
XX区人民政府
2023年2月1日
2023年区政府重点工作安排
一、稳增长
（一）招商引资
１．全年新增注册企业１２，０００家以上，
引进总部企业20家。
2、推进重大项目,完成投资1.5万亿元左右,
项目开工面积不少于80万平方米;新增公共绿地5公顷。
（二）消费
3.社会消费品零售总额增长5%,力争6%。
十一、第十一章
34.最后一项,无量化指标。
"""


def test_other_plan_layouts():
    result = parse_plan(OTHER_PLAN)
    plan = result.plan
    assert (plan.title, plan.year, plan.issuer, plan.issued_on) == (
        "2023年区政府重点工作安排",
        2023,
        "XX区人民政府",
        date(2023, 2, 1),
    )
    assert [c.numeral for c in plan.chapters] == ["一", "十一"]
    first, second, third = plan.chapters[0].items
    assert first.section == "招商引资" and third.section == "消费"
    # Full-width digits, a full-width comma as thousands separator and a wrapped line.
    assert first.text == "全年新增注册企业１２，０００家以上，引进总部企业20家。"
    assert [(i.value, i.unit) for i in first.indicators] == [(12000, "家"), (20, "家")]
    assert [(i.value, i.unit, i.comparator.value) for i in second.indicators] == [
        (1.5, "万亿元", "~"),
        (80, "万平方米", ">="),
        (5, "公顷", ">="),
    ]
    assert [(i.value, i.stretch_value) for i in third.indicators] == [(5, 6)]
    assert plan.chapters[1].items[0].number == 34
    assert result.ignored == []


def test_crlf_and_blank_lines(seed_text):
    result = parse_plan("\r\n\r\n" + seed_text.replace("\n", "\r\n\r\n"))
    assert len(result.plan.items()) == 34
    assert len(result.plan.indicators()) == SEED_INDICATOR_COUNT


def test_gb18030_file(tmp_path, seed_text):
    path = tmp_path / "plan-gbk.txt"
    path.write_bytes(seed_text.encode("gb18030"))
    result = read_plan_file(path)
    assert result.plan.title == "2022年区政府重点工作安排"
    assert len(result.plan.indicators()) == SEED_INDICATOR_COUNT


def test_utf8_bom_and_utf16(seed_text):
    assert decode_plan_bytes(b"\xef\xbb\xbf" + seed_text.encode()) == seed_text
    assert decode_plan_bytes(seed_text.encode("utf-16")) == seed_text


def _docx(paragraphs: list[str]) -> bytes:
    import docx

    document = docx.Document()
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_docx(tmp_path, seed_text):
    path = tmp_path / "plan.docx"
    path.write_bytes(_docx(seed_text.splitlines()))
    result = read_plan_file(path)
    assert len(result.plan.items()) == 34
    assert len(result.plan.indicators()) == SEED_INDICATOR_COUNT


@pytest.mark.parametrize("data", [b"\x00\x01\x02\xff" * 50, b"PK\x03\x04broken zip"])
def test_undecodable_bytes(data):
    with pytest.raises(PlanDecodeError):
        decode_plan_bytes(data, "x")


def test_json_shape(seed):
    # The documented shape (README) holds; fields are only ever added.
    data = plan_to_dict(seed)
    assert set(data) >= {"title", "year", "issuer", "issued_on", "chapters", "ignored_lines"}
    assert data["issued_on"] == "2022-03-08"
    chapter = data["chapters"][0]
    assert set(chapter) >= {"numeral", "title", "items"}
    item = chapter["items"][1]
    assert set(item) >= {"number", "title", "text", "indicators"}
    indicator = {
        key: value
        for key, value in item["indicators"][0].items()
        if key in ("text", "name", "value", "unit", "comparator", "kind", "stretch_value")
    }
    assert indicator == {
        "text": "全年新增注册企业10000家以上",
        "name": "新增注册企业",
        "value": 10000,
        "unit": "家",
        "comparator": ">=",
        "kind": "quantity",
        "stretch_value": None,
    }


plan_like_text = st.lists(
    st.one_of(
        st.text(max_size=60),
        st.sampled_from(
            ["一、", "二、", "（一）", "1.", "2、", "10.", "１．", "十二、", "2022年3月8日"]
        ).flatmap(lambda prefix: st.text(max_size=40).map(lambda rest: prefix + rest)),
        st.from_regex(
            r"[新增完成]{0,2}\d{1,6}(,\d{3})?(\.\d+)?[万亿]?[家个%吨名户]?(以上|以内|左右)?",
            fullmatch=True,
        ),
    ),
    max_size=30,
).map("\n".join)


@settings(max_examples=300, deadline=None)
@given(plan_like_text)
def test_parser_never_crashes_and_keeps_spans(text):
    result = parse_plan(text)
    for item in result.plan.items():
        for indicator in item.indicators:
            start, end = indicator.span
            assert 0 <= start <= end <= len(item.text)
            assert item.text[start:end] == indicator.text
    plan_to_dict(result)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400))
def test_decoding_arbitrary_bytes_never_crashes_unexpectedly(data):
    try:
        text = decode_plan_bytes(data)
    except PlanDecodeError:
        return
    parse_plan(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("新增两家社区长者食堂", [(2, "家", ">=")]),
        ("建成三个社区养育托管点", [(3, "个", ">=")]),
        ("新建一批口袋公园", []),
        ("打造一个中心", []),
        ("用3个月时间开展专项整治", []),
        ("聚焦12条细分产业链", []),
        ("围绕6个方面推出举措", []),
        ("完成旧区改造签约1200户", [(1200, "户", ">=")]),
        ("PM2.5年均浓度小于28微克/立方米", [(28, "微克/立方米", "<=")]),
        ("技术合同成交额突破100亿元", [(100, "亿元", ">=")]),
        ("实际使用外资3.5億美元", [(3.5, "亿美元", ">=")]),
        ("筹措保障性租赁住房5000套（间）", [(5000, "套(间)", ">=")]),
        ("完成检测30批次", [(30, "批次", ">=")]),
        ("开工、竣工各100万平方米", [(100, "万平方米", ">="), (100, "万平方米", ">=")]),
        ("人均预期寿命达到83岁", [(83, "岁", ">=")]),
    ],
)
def test_targets_as_districts_write_them(text, expected):
    assert [(i.value, i.unit, i.comparator.value) for i in extract_indicators(text)] == expected


@pytest.mark.parametrize(
    ("text", "value", "stretch", "unit"),
    [("引进企业4-5家", 4, 5, "家"), ("增长5%—6%", 5, 6, "%"), ("削减5-6%", 5, 6, "%")],
)
def test_a_range_is_one_target_with_a_stretch(text, value, stretch, unit):
    (indicator,) = extract_indicators(text)
    assert (indicator.value, indicator.stretch_value, indicator.unit) == (value, stretch, unit)


def test_traditional_text_is_matched_folded_and_kept_as_written():
    result = parse_plan("2025年XX區重點工作安排\n一、穩增長\n1.新增註冊企業1萬家以上。\n")
    (item,) = result.plan.items()
    assert result.title == "2025年XX區重點工作安排"
    assert item.text == "新增註冊企業1萬家以上。"
    (indicator,) = item.indicators
    assert (indicator.value, indicator.unit, indicator.text) == (1, "万家", "新增註冊企業1萬家以上")
