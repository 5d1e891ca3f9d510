"""Read a plan document (the text of an annual key-work plan) into the plan model.

The document is a header (addressees, cover note, issuer, date, title), then chapters
("一、…"), numbered items ("1.…") and, inside the items' prose, quantitative targets
("全年新增注册企业10000家以上"). Anything the parser cannot place is reported with its line
number instead of being guessed at; the parser never raises on odd text, only on bytes
that are no text at all.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from xml.etree import ElementTree

from .model import Chapter, Comparator, Indicator, Item, Kind, Plan
from .numbers import NUMBER_PATTERN, fold_width


class PlanDecodeError(ValueError):
    """The file is neither UTF-8 nor GB18030 text, nor a readable .docx."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


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


# --- document structure --------------------------------------------------------------------

_CN_DIGITS = "零一二三四五六七八九"
_CHAPTER_RE = re.compile(r"^([一二三四五六七八九十]{1,3})\s*[、.]\s*(\S.*)$")
_SECTION_RE = re.compile(r"^\(\s*([一二三四五六七八九十]{1,3})\s*\)\s*(\S.*)$")
_ITEM_RE = re.compile(r"^(\d{1,3})\s*(?:[.、](?!\d)|\s)\s*(\S.*)$")
_DATE_RE = re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日$")
_CN_DATE_RE = re.compile(
    r"^([〇零一二三四五六七八九]{4})年([一二三四五六七八九十]{1,2})月([一二三四五六七八九十]{1,3})日$"
)
_TITLE_RE = re.compile(r"^(\d{4})\s*年.{2,40}(?:安排|计划|要点|任务|方案|清单)$")
_QUOTED_TITLE_RE = re.compile(r"《((\d{4})\s*年[^》]{2,40})》")
_ISSUER_RE = re.compile(r"^[^\s,，。;；:：]{2,30}(?:人民政府|办公室|委员会|管理委员会|政府)$")
_SENTENCE_END = "。!?！？"
_TERMINAL = "。;!?；！？”\"'」』)）"
_PROSE_PUNCT = re.compile(r"[,，。;；:：、]")


def chinese_numeral_value(text: str) -> int:
    """一 → 1, 十 → 10, 十二 → 12, 二十一 → 21 (enough for chapter numerals)."""
    if "十" not in text:
        value = 0
        for ch in text:
            value = value * 10 + _CN_DIGITS.index(ch)
        return value
    tens, _, units = text.partition("十")
    return (_CN_DIGITS.index(tens) if tens else 1) * 10 + (_CN_DIGITS.index(units) if units else 0)


def _cn_date(match: re.Match[str]) -> date | None:
    year = int(
        "".join(str("〇一二三四五六七八九".index(c) if c != "零" else 0) for c in match.group(1))
    )
    try:
        return date(
            year, chinese_numeral_value(match.group(2)), chinese_numeral_value(match.group(3))
        )
    except ValueError:
        return None


def decode_plan_bytes(data: bytes, name: str = "<plan>") -> str:
    """Decode a plan's bytes: a .docx, UTF-8 (with or without BOM), UTF-16 with BOM, or GB18030."""
    if data.startswith(b"PK\x03\x04"):
        return _docx_text(data, name)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise PlanDecodeError(name, "not valid UTF-16 text") from exc
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            break
        return text
    raise PlanDecodeError(name, "not a text file (expected UTF-8 or GB18030 text, or .docx)")


def _docx_text(data: bytes, name: str) -> str:
    """The paragraphs of a .docx, one per line (WordprocessingML read with the standard library)."""
    import io

    ns = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            root = ElementTree.fromstring(archive.read("word/document.xml"))
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError, OSError) as exc:
        raise PlanDecodeError(name, "not a readable .docx document") from exc
    lines = []
    for paragraph in root.iter(f"{ns}p"):
        parts = []
        for node in paragraph.iter():
            if node.tag == f"{ns}t" and node.text:
                parts.append(node.text)
            elif node.tag == f"{ns}tab":
                parts.append("\t")
            elif node.tag in (f"{ns}br", f"{ns}cr"):
                parts.append("\n")
        lines.append("".join(parts))
    return "\n".join(lines)


def read_plan_file(path: str | Path) -> ParseResult:
    path = Path(path)
    return parse_plan(decode_plan_bytes(path.read_bytes(), str(path)))


class _Builder:
    """Accumulates lines into the plan while remembering where each piece came from."""

    def __init__(self) -> None:
        self.chapters: list[Chapter] = []
        self.ignored: list[IgnoredLine] = []
        self.section: str | None = None
        self.item: Item | None = None
        self.item_parts: list[str] = []
        self.header: list[tuple[int, str]] = []

    def close_item(self) -> None:
        if self.item is not None:
            self.item.text = "\n".join(self.item_parts)
            self.item.title = first_sentence(self.item.text)
            self.item.indicators = extract_indicators(self.item.text)
        self.item, self.item_parts = None, []

    def add_line(self, number: int, raw: str) -> None:
        line = raw.strip()
        folded = fold_width(line)
        if not line:
            return
        if match := _CHAPTER_RE.match(folded):
            self.close_item()
            self.section = None
            title = line[match.start(2) :].strip()
            self.chapters.append(Chapter(match.group(1), title, line=number))
            return
        if not self.chapters:
            self.header.append((number, line))
            return
        chapter = self.chapters[-1]
        if match := _SECTION_RE.match(folded):
            self.close_item()
            self.section = line[match.start(2) :].strip()
            return
        if (match := _ITEM_RE.match(folded)) and not folded[match.start(2)].isdigit():
            self.close_item()
            self.item = Item(int(match.group(1)), "", "", section=self.section, line=number)
            self.item_parts = [line[match.start(2) :].strip()]
            chapter.items.append(self.item)
            return
        if self.item is None:
            if _PROSE_PUNCT.search(line):
                chapter.intro = f"{chapter.intro}\n{line}".strip()
            else:
                self.ignored.append(IgnoredLine(number, line, "not inside any item"))
            return
        last = self.item_parts[-1]
        if last and last[-1] not in _TERMINAL:
            # The item's sentence runs on: the line was wrapped.
            joiner = " " if last[-1].isascii() and last[-1].isalnum() and line[0].isascii() else ""
            self.item_parts[-1] = last + joiner + line
        elif _PROSE_PUNCT.search(line) and len(line) >= 8:
            self.item_parts.append(line)  # a further paragraph of the same item
        else:
            self.ignored.append(IgnoredLine(number, line, "not part of any item"))


def first_sentence(text: str) -> str:
    for index, ch in enumerate(text):
        if ch in _SENTENCE_END:
            return text[:index].strip()
    return text.strip()


def parse_plan(text: str) -> ParseResult:
    """Parse a plan document's text. Never raises: what cannot be placed is reported."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    builder = _Builder()
    for number, raw in enumerate(text.split("\n"), start=1):
        builder.add_line(number, raw)
    builder.close_item()

    title, year, issuer, issued_on, preamble = _read_header(builder.header)
    if year is None:
        year = _guess_year(text, issued_on)
    plan = Plan(
        title=title or (f"{year}年重点工作安排" if year else "重点工作安排"),
        year=year or date.today().year,
        issuer=issuer,
        issued_on=issued_on,
        source_text=text,
        chapters=builder.chapters,
        preamble="\n".join(preamble),
    )
    return ParseResult(plan, builder.ignored)


def _read_header(
    lines: list[tuple[int, str]],
) -> tuple[str | None, int | None, str | None, date | None, list[str]]:
    title: str | None = None
    year: int | None = None
    issuer: str | None = None
    issued_on: date | None = None
    quoted: tuple[str, int] | None = None
    preamble: list[str] = []
    for _number, line in lines:
        folded = fold_width(line)
        if issued_on is None and (match := _DATE_RE.match(folded)):
            try:
                issued_on = date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
                continue
            except ValueError:
                pass
        if issued_on is None and (match := _CN_DATE_RE.match(folded)):
            issued_on = _cn_date(match)
            if issued_on is not None:
                continue
        if title is None and (match := _TITLE_RE.match(folded)):
            title, year = line, int(match.group(1))
            continue
        if issuer is None and _ISSUER_RE.match(folded):
            issuer = line
            continue
        if quoted is None and (match := _QUOTED_TITLE_RE.search(folded)):
            quoted = (line[match.start(1) : match.end(1)], int(match.group(2)))
        preamble.append(line)
    if title is None and quoted is not None:
        title, year = quoted
    return title, year, issuer, issued_on, preamble


def _guess_year(text: str, issued_on: date | None) -> int | None:
    if issued_on is not None:
        return issued_on.year
    match = re.search(r"(20\d{2})\s*年", fold_width(text))
    return int(match.group(1)) if match else None


# --- indicators ----------------------------------------------------------------------------

# Measure words a goal is counted in, longest first so "万平方米" wins over "平方米" over "米".
UNITS = sorted(
    """
    平方公里 平方米 立方米 公顷 公里 千米 千瓦 兆瓦 亿元 万元 元 人次 户次 家次 个百分点 百分点
    个工作日 工作日 % ‰ 家 个 人 名 户 条 张 所 台 套 幅 次 场 处 吨 客 项 座 辆 间 栋 幢 米 亩 批
    件 份 本 部 支 只 株 棵 班 节 门 床 倍 天 艘 架 万 亿
    """.split(),
    key=len,
    reverse=True,
)
_UNIT_ALT = "|".join(re.escape(unit) for unit in UNITS)
_TARGET_RE = re.compile(
    rf"(?<![\d.A-Za-z第])(?P<num>{NUMBER_PATTERN})(?![\d])\s*(?P<mult>[万亿千](?=(?:{_UNIT_ALT})))?"
    rf"(?P<unit>{_UNIT_ALT})(?P<post>及以上|以上|以内|以下|左右|多)?"
)
_LEFT_RE = re.compile(
    r"(?P<growth>增长率|增长|增幅|增速|提高|提升|上升|下降率|下降|降低|减少|压减)?"
    r"(?P<link>达到|保持在|保持|实现|为|在|到)?"
    r"(?P<pre>不低于|不少于|不高于|不超过|超过|至少|控制在|低于|少于|大约|约|近)?\s*$"
)
_STRETCH_RE = re.compile(
    rf"\s*[,;、]?\s*(?:力争|争取)(?:达到|实现|增长)?\s*(?P<num>{NUMBER_PATTERN})\s*(?P<unit>{_UNIT_ALT})?"
)
# Clauses end at sentence punctuation and commas, except a thousands separator ("12,000")
# and the comma before a stretch goal ("增长2%,力争3%"), which belongs to the same target.
_CLAUSE_SPLIT_RE = re.compile(r"[;。!?:\n]|,(?!\d{3}(?!\d))(?!\s*(?:力争|争取))")
_CONNECTORS = ("以及", "其中", "、", "及", "和", "与", "并")
_LEADING_FILLER = re.compile(
    r"^(?:以及|其中|全年|同时|力争|确保|累计|实现|并且|并|及|和|与|、|为|\s)+"
)
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


def extract_indicators(text: str) -> list[Indicator]:
    """Find the quantitative targets in an item's text."""
    folded = fold_width(text)
    indicators: list[Indicator] = []
    start = 0
    for split in [*_CLAUSE_SPLIT_RE.finditer(folded), None]:
        end = split.start() if split else len(folded)
        hits = _clause_hits(folded, start, end)
        indicators.extend(_name_hits(text, folded, start, end, hits))
        start = split.end() if split else end
    return indicators


def _clause_hits(folded: str, start: int, end: int) -> list[_Hit]:
    hits: list[_Hit] = []
    pos = start
    while (match := _TARGET_RE.search(folded, pos, end)) is not None:
        pos = match.end()
        if any(hit.start <= match.start() < hit.end for hit in hits):
            continue
        unit = (match.group("mult") or "") + match.group("unit")
        if unit in ("万", "亿") and match.group("post") is None and _looks_like_name(folded, match):
            continue
        left = _LEFT_RE.search(folded, start, match.start())
        assert left is not None  # every group is optional
        growth, pre = left.group("growth"), left.group("pre")
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
        elif _LEVEL_WORDS.search(folded, start, match.start()):
            kind = Kind.LEVEL
        if pre and phrase_start == match.start():
            phrase_start = left.start("pre")
        value = float(match.group("num").replace(",", ""))
        hit = _Hit(phrase_start, match.end(), value, unit, comparator, kind)
        stretch = _STRETCH_RE.match(folded, match.end())
        if stretch and (stretch.group("unit") in (None, unit)):
            hit.stretch = float(stretch.group("num").replace(",", ""))
            hit.end = stretch.end()
            pos = max(pos, stretch.end())
        hits.append(hit)
    return hits


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
    name = re.sub(r"(?:的|及|和|与|、|,|\s)+$", "", name)
    return name.strip()


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
        indicators.append(
            Indicator(
                name=name or text[hit.start : hit.end],
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


def _strip_connectors(segment: str) -> str:
    return re.sub(r"^(?:以及|其中|、|及|和|与|并|\s)+", "", segment)


def plan_to_dict(result: ParseResult) -> dict[str, object]:
    """The JSON shape of ``jingan-desktop parse --json`` (other tools rely on it)."""
    plan = result.plan
    return {
        "title": plan.title,
        "year": plan.year,
        "issuer": plan.issuer,
        "issued_on": plan.issued_on.isoformat() if plan.issued_on else None,
        "chapters": [
            {
                "numeral": chapter.numeral,
                "title": chapter.title,
                "items": [
                    {
                        "number": item.number,
                        "title": item.title,
                        "text": item.text,
                        "indicators": [
                            {
                                "text": ind.text,
                                "name": ind.name,
                                "value": _json_number(ind.value),
                                "unit": ind.unit,
                                "comparator": ind.comparator.value,
                                "kind": ind.kind.value,
                                "stretch_value": _json_number(ind.stretch_value),
                            }
                            for ind in item.indicators
                        ],
                    }
                    for item in chapter.items
                ],
            }
            for chapter in plan.chapters
        ],
        "ignored_lines": result.ignored_lines,
    }


def _json_number(value: float | None) -> float | int | None:
    if value is None:
        return None
    return int(value) if float(value).is_integer() else value
