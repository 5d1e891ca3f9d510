"""Targets: the quantitative goals inside an item's prose ("全年新增注册企业10000家以上")."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from ..model import Comparator, Indicator, Kind
from ..numbers import NUMBER_PATTERN
from .folding import fold

UNITS = sorted(
    """
    平方公里 平方米 立方米 微克/立方米 公顷 公里 千米 千瓦时 千瓦 兆瓦 亿元 万元 美元 元 人次 户次
    家次 批次 场次 件次 个百分点 百分点 个工作日 工作日 % ‰ 家 个 人 名 户 条 张 所 台 套 幅 次 场
    处 吨 客 项 座 辆 间 栋 幢 米 亩 批 件 份 本 部 支 只 株 棵 班 节 门 床 倍 天 艘 架 万 亿 岁
    """.split(),
    key=len,
    reverse=True,
)
_UNIT_ALT = "|".join(re.escape(unit) for unit in UNITS)
# A Chinese numeral counts only right after a verb of doing ("新增两家", "建成三个"): elsewhere
# "一个", "两个" are idiom ("一个中心", "两个维护").
_CN_VERBS = (
    "新增 新建 建成 建设 完成 开工 竣工 引进 培育 打造 创建 改造 新开 开设 增加 举办 开展 设立 "
    "组建 推出 落地 形成 建立 提供 新设 认定 创成 命名 评选 实施 新培育 新引进 新打造"
).split()
_CN_NUMBER = "[一二两三四五六七八九十百千]{1,6}"
_AFTER_VERB = "|".join(f"(?<={verb})" for verb in _CN_VERBS)
_TARGET_RE = re.compile(
    # (the leading class test lets most positions of a long text fail at once)
    rf"(?=[\d一二两三四五六七八九十百千])"
    rf"(?:(?<![\d.A-Za-z第])(?P<num>{NUMBER_PATTERN})(?![\d])|(?:{_AFTER_VERB})(?P<cn>{_CN_NUMBER}))"
    # a range: "4-5家", "5%—6%", "5-6%", "3至5个" (one indicator: the low value, the high stretch)
    rf"(?:\s*%?\s*(?:-|—|–|~|至|到)\s*(?P<high>{NUMBER_PATTERN})(?![\d]))?"
    rf"\s*(?P<mult>[万亿千](?=(?:{_UNIT_ALT})))?"
    rf"(?P<unit>{_UNIT_ALT})(?P<alt>\((?:间|套|个|次|处|户|座|家|台|项)\))?"
    rf"(?P<post>及以上|以上|以内|以下|左右|多)?"
)
_CN_VALUES = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"两": 2}
_CN_SCALES = {"十": 10, "百": 100, "千": 1000}
_LEFT_RE = re.compile(
    r"(?P<growth>增长率|增长|增幅|增速|提高|提升|上升|下降率|下降|降低|减少|压减)?"
    r"(?P<link>达到|保持在|保持|实现|为|在|到|达)?"
    r"(?P<pre>不低于|不少于|不小于|不高于|不超过|不大于|超过|至少|控制在|低于|少于|小于|高于|大于|突破|"
    r"超|大约|约|近)?\s*$"
)
# The last characters of those words: a figure after any other character has none before it.
_LEFT_LAST_CHARS = frozenset("率长幅速高升降低少减到在持现为于过约近达破超")
# Counts that describe the plan itself, not a goal: "聚焦12条细分产业链", "包括以下3个方面".
_NOT_A_GOAL_BEFORE = re.compile(
    r"(?:聚焦|聚焦于|围绕|涵盖|包括|包含|分为|涉及|共计|共有|以下|下列|从|紧扣|着眼|立足|梳理出?|列出)\s*$"
)
_CLASS_NOUNS = ("项目", "企业", "的", "规模", "重大", "产业", "工业", "大项目")
_NOT_A_GOAL_LAST = frozenset("焦于绕盖括含为及计有下列从扣眼足理出")
_NOT_A_GOAL_AFTER = re.compile(r"(?:方面|领域|板块|维度|环节|大类|重点任务|重点工作|部分)")
# "开工、竣工各100万平方米": one figure, one target for each of the listed words.
_EACH_RE = re.compile(r"((?:[\u4e00-\u9fff]{1,6}、)+[\u4e00-\u9fff]{1,6})各\s*$")
_STRETCH_RE = re.compile(
    rf"\s*[,;、]?\s*(?:力争|争取)(?:达到|实现|增长)?\s*(?P<num>{NUMBER_PATTERN})\s*(?P<unit>{_UNIT_ALT})?"
)
# Clauses end at sentence punctuation and commas, except a thousands separator ("12,000")
# and the comma before a stretch goal; table cells ("a | b") are clauses of their own ("增长2%,力争3%"), which belongs to the same target.
_CLAUSE_SPLIT_RE = re.compile(r"[;。!?:\n|]|,(?!\d{3}(?!\d))(?!\s*(?:力争|争取))")
_CONNECTORS = ("以及", "其中", "、", "及", "和", "与", "并")
_LEADING_FILLER = re.compile(
    r"^(?:以及|其中|全年|同时|力争|确保|累计|实现|并且|并|及|和|与|、|为|\s)+"
)
_FIGURE_RE = re.compile(r"[\d一二两三四五六七八九十]")  # a clause without one holds no target
_LEFT_WINDOW = 24  # longer than any growth word + link + comparator before a figure
_LEVEL_WORDS = re.compile(r"日均|月均|年均|平均|能力|每日|每天|日供|占比|比例|比重|覆盖率|率")
_GROWTH_UP = {"增长率", "增长", "增幅", "增速", "提高", "提升", "上升"}
_PERCENT_UNITS = {"%", "个百分点", "百分点", "‰"}
_POST_COMPARATOR = {
    "以上": Comparator.AT_LEAST,
    "及以上": Comparator.AT_LEAST,
    "多": Comparator.AT_LEAST,
    "以内": Comparator.AT_MOST,
    "以下": Comparator.AT_MOST,
    "左右": Comparator.ABOUT,
}
_PRE_COMPARATOR = {
    "不低于": Comparator.AT_LEAST,
    "不少于": Comparator.AT_LEAST,
    "超过": Comparator.AT_LEAST,
    "至少": Comparator.AT_LEAST,
    "不小于": Comparator.AT_LEAST,
    "高于": Comparator.AT_LEAST,
    "大于": Comparator.AT_LEAST,
    "突破": Comparator.AT_LEAST,
    "超": Comparator.AT_LEAST,
    "小于": Comparator.AT_MOST,
    "不大于": Comparator.AT_MOST,
    "不高于": Comparator.AT_MOST,
    "不超过": Comparator.AT_MOST,
    "控制在": Comparator.AT_MOST,
    "低于": Comparator.AT_MOST,
    "少于": Comparator.AT_MOST,
    "约": Comparator.ABOUT,
    "大约": Comparator.ABOUT,
    "近": Comparator.ABOUT,
}


@dataclass
class _Hit:
    start: int  # where the target phrase starts (growth word, comparator or number)
    end: int  # after unit and trailing comparator
    value: float
    unit: str
    comparator: Comparator
    kind: Kind
    stretch: float | None = None
    labels: list[str] | None = None  # the words a shared figure belongs to ("开工、竣工各…")


def extract_indicators(text: str, folded: str | None = None) -> list[Indicator]:
    """Find the quantitative targets in an item's text (``folded``: ``fold(text)`` if known)."""
    if folded is None:
        folded = fold(text)
    indicators: list[Indicator] = []
    start = 0
    for split in [*_CLAUSE_SPLIT_RE.finditer(folded), None]:
        end = split.start() if split else len(folded)
        if _FIGURE_RE.search(folded, start, end):
            hits = _clause_hits(folded, start, end)
            if hits:
                indicators.extend(_name_hits(text, folded, start, end, hits))
        start = split.end() if split else end
    return indicators


def _clause_hits(folded: str, start: int, end: int) -> list[_Hit]:
    hits: list[_Hit] = []
    pos = start
    # Where the clause's first level word ("日均", "能力" …) ends: a target after it is a level.
    level = _LEVEL_WORDS.search(folded, start, end)
    level_end = level.end() if level else end + 1
    while (match := _TARGET_RE.search(folded, pos, end)) is not None:
        pos = match.end()
        if hits and hits[-1].start <= match.start() < hits[-1].end:
            continue  # hits are in order: only the last one can reach this far
        unit = (match.group("mult") or "") + match.group("unit") + (match.group("alt") or "")
        if unit in ("万", "亿") and match.group("post") is None and _looks_like_name(folded, match):
            continue
        if _not_a_goal(folded, start, match):
            continue
        if unit == "岁" and "寿命" not in folded[max(start, match.start() - 12) : match.start()]:
            continue  # "70岁以上老人" is whom a service is for; "预期寿命83岁" is a goal
        # The words before a figure ("增长", "保持在", "不低于") are short: looking at a bounded
        # window, not the whole clause, keeps a long run-on clause linear.
        before = folded[max(start, match.start() - _LEFT_WINDOW) : match.start()].rstrip()
        left = None
        if before and before[-1] in _LEFT_LAST_CHARS:
            left = _LEFT_RE.search(folded, max(start, match.start() - _LEFT_WINDOW), match.start())
        if left and left.group("pre") and _in_a_word(folded, left.start("pre"), left.end("pre")):
            left = None  # "签约1200户", "节约3吨", "最近5年": the character belongs to a word
        growth = left.group("growth") if left else None
        pre = left.group("pre") if left else None
        comparator = Comparator.AT_LEAST
        if pre:
            comparator = _PRE_COMPARATOR[pre]
        if match.group("post"):
            comparator = _POST_COMPARATOR[match.group("post")]
        kind = Kind.QUANTITY
        phrase_start = match.start()
        if unit in _PERCENT_UNITS:
            if growth:
                kind = Kind.GROWTH if growth in _GROWTH_UP else Kind.DECLINE
                phrase_start = left.start("growth")
            else:
                kind = Kind.RATIO
        elif level_end <= match.start():
            kind = Kind.LEVEL
        if pre and phrase_start == match.start():
            phrase_start = left.start("pre")
        if match.group("num"):
            value = float(match.group("num").replace(",", ""))
        else:
            value = float(cn_number(match.group("cn")))
        hit = _Hit(phrase_start, match.end(), value, unit, comparator, kind)
        if match.group("high"):
            hit.stretch = float(match.group("high").replace(",", ""))
        stretch = _STRETCH_RE.match(folded, match.end())
        if stretch and (stretch.group("unit") in (None, unit)):
            hit.stretch = float(stretch.group("num").replace(",", ""))
            hit.end = stretch.end()
            pos = max(pos, stretch.end())
        hits.extend(_each(folded, start, hit))
    return hits


_WORDS_ENDING_LIKE_A_COMPARATOR = frozenset(
    "签约 节约 制约 契约 公约 预约 条约 邀约 履约 违约 合约 特约 集约 简约 相约 附近 最近 邻近 临近 "
    "亲近 就近 赶超".split()
)


def _in_a_word(folded: str, start: int, end: int) -> bool:
    return end - start == 1 and folded[start - 1 : end] in _WORDS_ENDING_LIKE_A_COMPARATOR


def _not_a_goal(folded: str, start: int, match: re.Match[str]) -> bool:
    window = folded[max(start, match.start() - 8) : match.start()].rstrip()
    if window and window[-1] in _NOT_A_GOAL_LAST and _NOT_A_GOAL_BEFORE.search(window):
        return True
    if match.group("cn") and match.group("unit") in ("批", "些", "系列"):
        return True  # "新建一批": no figure to reach
    if match.group("cn") == "一" and match.group("unit") not in ("家", "所", "座", "处", "条"):
        return True  # "打造一个…": rhetoric more often than a count
    after = folded[match.end() : match.end() + 6]
    if match.group("post") in ("以上", "及以上") and after.startswith(_CLASS_NOUNS):
        return True  # "10亿元以上项目": a size class of projects, not a figure to reach
    if after.startswith("的") and match.group("post") is None:
        return True  # "总投资120亿元的十大工程": the figure describes what is named next
    if match.group("unit") == "个" and after.startswith(("月", "小时", "季度")):
        return True  # "用3个月时间": a duration, not a count
    return bool(_NOT_A_GOAL_AFTER.match(after)) and match.group("post") is None


def _each(folded: str, start: int, hit: _Hit) -> list[_Hit]:
    """ "开工、竣工各100万平方米" → a target of 100 for 开工 and one for 竣工."""
    window = folded[max(start, hit.start - 30) : hit.start].rstrip()
    match = _EACH_RE.search(window) if window.endswith("各") else None
    if match is None:
        return [hit]
    hit.labels = match.group(1).split("、")
    return [hit]


def cn_number(text: str) -> int:
    """Chinese numerals as targets write them: 两 → 2, 十二 → 12, 一百二十 → 120, 三千 → 3000."""
    total, digit = 0, 0
    for ch in text:
        if ch in _CN_SCALES:
            total += (digit or 1) * _CN_SCALES[ch]
            digit = 0
        else:
            digit = digit * 10 + _CN_VALUES[ch] if digit and not total else _CN_VALUES[ch]
    return total + digit


def _looks_like_name(folded: str, match: re.Match[str]) -> bool:
    """A bare 万/亿 followed by more CJK text is usually part of a word, not a scale."""
    after = folded[match.end() : match.end() + 1]
    return bool(after) and "\u4e00" <= after <= "\u9fff"


def _split_between(folded: str, left: int, right: int) -> int:
    """Where the text between two targets divides: at the last connector, else after the first."""
    segment = folded[left:right]
    best = -1
    for connector in _CONNECTORS:
        best = max(best, segment.rfind(connector))
    return left + best if best >= 0 else left


def _clean_name(name: str) -> str:
    name = _LEADING_FILLER.sub("", name.strip())
    while (stripped := name.rstrip().rstrip("的及和与、,")) != name:
        name = stripped  # each pass shortens the name: linear, unlike a "(…)+$" pattern
    return name


def _name_hits(text: str, folded: str, start: int, end: int, hits: list[_Hit]) -> list[Indicator]:
    bounds = []
    for index, hit in enumerate(hits):
        left = start if index == 0 else _split_between(folded, hits[index - 1].end, hit.start)
        right = (
            end
            if index == len(hits) - 1
            else _split_between(folded, hit.end, hits[index + 1].start)
        )
        bounds.append((left, right))
    names = [
        _clean_name(text[left : hit.start] + text[hit.end : right])
        for hit, (left, right) in zip(hits, bounds, strict=True)
    ]
    indicators = []
    for index, (hit, (left, right)) in enumerate(zip(hits, bounds, strict=True)):
        name = names[index]
        if len(name) <= 2 and index + 1 < len(hits):
            # "新建4条、翻建3条市民健身步道": the noun is only written after the last figure.
            name = name + _clean_name(text[hits[index + 1].end : bounds[index + 1][1]])
        span_start = left + len(text[left:right]) - len(_strip_connectors(text[left:right]))
        span_end = right - (len(text[left:right]) - len(text[left:right].rstrip(" ,、及和与")))
        for label in hit.labels or [None]:
            indicators.append(
                Indicator(
                    name=label or name or text[hit.start : hit.end],
                    value=hit.value,
                    unit=hit.unit,
                    comparator=hit.comparator,
                    kind=hit.kind,
                    text=text[span_start:span_end],
                    span=(span_start, span_end),
                    stretch_value=hit.stretch,
                )
            )
    return indicators


class Fragments:
    """An item's text assembled from pieces of the source (wrapped lines joined, paragraphs
    separated by a newline), each piece knowing where it came from: offsets in the item's text
    map back to the source text, so a review can highlight what was read."""

    def __init__(self, pieces: list[tuple[str, str, int]]) -> None:
        self.text = "".join(piece[0] for piece in pieces)
        self.folded = "".join(piece[1] for piece in pieces)
        self._starts: list[int] = []  # offset of each real piece in self.text
        self._sources: list[int] = []  # and in the source
        self._lengths: list[int] = []
        offset = 0
        for text, _folded, source in pieces:
            if source >= 0:
                self._starts.append(offset)
                self._sources.append(source)
                self._lengths.append(len(text))
            offset += len(text)

    def source_offset(self, offset: int) -> int | None:
        index = bisect.bisect_right(self._starts, offset) - 1
        if index < 0:
            return None
        return self._sources[index] + min(offset - self._starts[index], self._lengths[index])

    def source_span(self) -> tuple[int, int] | None:
        if not self._starts:
            return None
        return self._sources[0], self._sources[-1] + self._lengths[-1]


def extract_fragments(fragments: Fragments) -> list[Indicator]:
    indicators = extract_indicators(fragments.text, fragments.folded)
    for indicator in indicators:
        if indicator.span is None:
            continue
        start, end = indicator.span
        first = fragments.source_offset(start)
        last = fragments.source_offset(max(end - 1, start))
        if first is not None and last is not None:
            indicator.source_span = (first, last + (1 if end > start else 0))
    return indicators


_LEADING_CONNECTORS = re.compile(r"^(?:以及|其中|、|及|和|与|并|\s)+")


def _strip_connectors(segment: str) -> str:
    return _LEADING_CONNECTORS.sub("", segment)
