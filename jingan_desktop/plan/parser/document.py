"""The parser core: a plan's text → ``ParseResult``. Every input (text, Word, Excel, PDF)
arrives here as text, tables as ``|``-separated rows."""

from __future__ import annotations

import hashlib
import re
from datetime import date

from ..model import Item, Plan
from .folding import fold
from .header import read_header
from .lines import ROW, split_lines
from .result import IgnoredLine, ParseResult, ParseWarning
from .rows import parse_due, prose_departments
from .structure import OVERALL_TITLE, Builder, find_body
from .tables import find_tables
from .targets import Fragments, extract_fragments, extract_indicators

_YEAR_RE = re.compile(r"(20\d{2})\s*年")
# A figure followed by a word: what a reader would take for a number in the text (dates,
# ordinals and 十四五-style names excluded) — used only to warn, never to invent a target.
_PLAIN_NUMBER_RE = re.compile(
    r"(?<![\d.第])\d+(?:\.\d+)?\s*(?!年|月|日|号|季度|届|轮|期|版|周年|岁|点|时|分|批|次会议)"
    r"(?:%|[\u4e00-\u9fff])"
)
_GOAL_CUE_RE = re.compile(r"预期目标|主要目标|目标是|总体目标|发展目标|主要指标|目标任务是")


def parse_plan(text: str) -> ParseResult:
    """Parse a plan document's text. Never raises: what cannot be placed is reported."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = split_lines(text, fold(text))
    lines = find_tables(lines)
    body = find_body(lines)
    ignored: list[IgnoredLine] = []
    warnings: list[ParseWarning] = []
    builder = Builder(body.levels, ignored, max((len(line.text) for line in lines), default=0))
    for line in body.lines:
        builder.add(line)
    builder.finish(warnings)
    header = read_header(body.header + builder.lead_in, body.trailer)
    for line in body.trailer:
        ignored.append(IgnoredLine(line.number, line.text, "after the plan"))
    chapters = builder.chapters
    _place_header_targets(header.preamble, chapters)
    year = header.year or (header.issued_on.year if header.issued_on else None)
    if year is None and (match := _YEAR_RE.search(fold(text[:5000]))):
        year = int(match.group(1))
        warnings.append(
            ParseWarning(None, f"no title with a year: year {year} taken from the text")
        )
    if year is None:
        year = date.today().year
        warnings.append(ParseWarning(None, f"no year found in the plan: assumed {year}"))
    plan = Plan(
        title=header.title or "",
        year=year,
        issuer=header.issuer,
        issued_on=header.issued_on,
        source_text=text,
        chapters=chapters,
        preamble="\n".join(line.text for line in header.preamble),
    )
    for item in plan.items():
        due_text = builder.due_texts.get(id(item))
        prose_due = prose_departments(item)
        due_text = due_text or prose_due
        if due_text and item.due_date is None:
            item.due_date = parse_due(due_text, year)
    assign_keys(plan)
    result = ParseResult(plan, sorted(ignored, key=lambda e: e.line), warnings, bool(header.title))
    _warn(result, lines, header.preamble)
    return result


def _place_header_targets(preamble, chapters) -> None:
    """Targets in the header's goal paragraph ("主要预期目标是：…") go into an overall item."""
    goal_lines = [line for line in preamble if _GOAL_CUE_RE.search(line.folded)]
    if not goal_lines or not chapters:
        return
    pieces: list[tuple[str, str, int]] = []
    for line in goal_lines:
        if pieces:
            pieces.append(("\n", "\n", -1))
        pieces.append((line.text, line.folded, line.start))
    fragments = Fragments(pieces)
    indicators = extract_fragments(fragments)
    if not indicators:
        return
    item = Item(0, OVERALL_TITLE, fragments.text, indicators=indicators, line=goal_lines[0].number)
    item.source_span = fragments.source_span()
    chapters[0].items.insert(0, item)
    for line in goal_lines:
        preamble.remove(line)


def _warn(result: ParseResult, lines, preamble) -> None:
    plan = result.plan
    warnings = result.warnings
    if not result.title_found:
        warnings.insert(0, ParseWarning(None, "no title found: type the plan's title"))
    items = plan.items()
    if not items:
        hint = "expected numbered items such as '1.', '1、', '（一）' or a task table"
        warnings.append(ParseWarning(None, f"no items found ({hint})"))
        if any(_PLAIN_NUMBER_RE.search(line.folded) for line in lines if line.kind != ROW):
            warnings.append(ParseWarning(None, "numbers are present but no item holds them"))
        return
    outside = [(line.number, line.text) for line in preamble]
    outside += [(entry.line, entry.text) for entry in result.ignored]
    for number, text in sorted(outside):
        found = extract_indicators(text)
        if found:
            warnings.append(
                ParseWarning(
                    number,
                    f"figures outside the plan's items were not read as targets "
                    f"('{found[0].text}'): place the line in an item if it belongs to the plan",
                )
            )
    for item in items:
        if item.indicators:
            continue
        match = _PLAIN_NUMBER_RE.search(fold(item.text))
        if match:
            label = f"item {item.number}" if item.title != OVERALL_TITLE else OVERALL_TITLE
            warnings.append(
                ParseWarning(
                    item.line,
                    f"{label} ({item.title[:20]}): numbers present ('{match.group().strip()}') "
                    "but no target recognised",
                )
            )


_KEY_NOISE = re.compile(r"[\s,.;:!?、，。；：！？\"'“”‘’()（）《》]")


def assign_keys(plan: Plan) -> None:
    """Stable keys: the same item text under the same chapter title gives the same key in a
    re-import whatever its number or position, so unchanged items can keep their ids."""
    seen: dict[str, int] = {}
    for chapter in plan.chapters:
        chapter_words = _KEY_NOISE.sub("", fold(chapter.title))
        for item in chapter.items:
            words = _KEY_NOISE.sub("", fold(item.text))
            digest = hashlib.sha1(f"{chapter_words}\x1f{words}".encode()).hexdigest()[:16]
            seen[digest] = seen.get(digest, 0) + 1
            item.key = digest if seen[digest] == 1 else f"{digest}-{seen[digest]}"
