"""Synthetic plans and sample figures, for the benchmark, large-plan tests and screenshots.

Deterministic for a given seed, so runs can be compared.
"""

from __future__ import annotations

import random
from datetime import date

from jingan_desktop.plan.model import Chapter, Comparator, Indicator, Item, ItemStatus, Kind, Plan
from jingan_desktop.storage.store import Store, pair_id

_NUMERALS = "一二三四五六七八九十"
_UNITS = ("家", "个", "万平方米", "亿元", "人", "户", "条", "%")
_TOPICS = (
    "招商引资",
    "城市更新",
    "民生保障",
    "生态环境",
    "数字化转型",
    "营商环境",
    "公共服务",
    "社会治理",
)
DEPARTMENTS = (
    "区发展改革委",
    "区商务委",
    "区财政局",
    "区科委",
    "区规划资源局",
    "区住房城乡建设管理委",
    "区生态环境局",
    "区民政局",
    "区人力资源社会保障局",
    "区卫生健康委",
    "区教育局",
    "区文化旅游局",
    "区市场监管局",
    "区城管执法局",
    "区数据局",
    "各街道",
)


def chapter_numeral(index: int) -> str:
    """1 → 一, 10 → 十, 11 → 十一, 23 → 二十三."""
    if index <= 10:
        return _NUMERALS[index - 1]
    tens, units = divmod(index, 10)
    return (
        ("" if tens == 1 else _NUMERALS[tens - 1]) + "十" + (_NUMERALS[units - 1] if units else "")
    )


def synthetic_plan(
    items: int = 2000, indicators: int = 10000, chapters: int = 20, seed: int = 0
) -> Plan:
    """A plan of the given size, shaped like the real one (chapters → items → indicators,
    lead and co-departments)."""
    rng = random.Random(seed)
    plan = Plan(
        title=f"{2022}年区政府重点工作安排（测试规模）",
        year=2022,
        issuer="测试区人民政府",
        issued_on=date(2022, 3, 8),
    )
    per_chapter = max(1, items // chapters)
    number = 0
    remaining_indicators = indicators
    for c in range(1, chapters + 1):
        chapter = Chapter(chapter_numeral(c), f"第{c}章 {_TOPICS[c % len(_TOPICS)]}重点任务")
        count = per_chapter if c < chapters else items - number
        for _ in range(count):
            number += 1
            share = remaining_indicators // max(1, items - number + 1)
            remaining_indicators -= share
            item_indicators = []
            for k in range(share):
                unit = rng.choice(_UNITS)
                kind = Kind.GROWTH if unit == "%" else Kind.QUANTITY
                value = float(rng.choice((5, 8, 20, 120, 500, 1600, 10000)))
                name = f"{_TOPICS[(number + k) % len(_TOPICS)]}指标{number}-{k + 1}"
                item_indicators.append(
                    Indicator(
                        name, value, unit, Comparator.AT_LEAST, kind, text=f"{name}{value:g}{unit}"
                    )
                )
            text = f"推进第{number}项重点工作。" + "，".join(i.text for i in item_indicators) + "。"
            # Departments as in the real plan: a lead for most items, co-departments for some.
            lead = rng.choice(DEPARTMENTS) if rng.random() < 0.9 else None
            co = rng.sample(DEPARTMENTS, rng.choice((0, 0, 1, 2)))
            chapter.items.append(
                Item(
                    number,
                    f"推进第{number}项重点工作",
                    text,
                    item_indicators,
                    lead_department=lead,
                    co_departments=[d for d in co if d != lead],
                )
            )
        plan.chapters.append(chapter)
    return plan


def fill_sample_figures(
    store: Store, plan_id: str, quarters: tuple[int, ...] = (1, 2), seed: int = 0
) -> int:
    """Write plausible figures and progress notes for the given quarters; returns rows written.

    Most indicators run roughly on pace, some behind, a few far behind, as in a real quarter.
    """
    rng = random.Random(seed)
    data = store.load(plan_id)
    written = 0
    with store.write("填入示例数据", "import") as w:
        for item in data.plan.items():
            for quarter in quarters:
                status = rng.choices(list(ItemStatus), weights=(1, 8, 2, 1))[0]
                w.insert(
                    "progress",
                    {
                        "id": pair_id(item.id or "", quarter),
                        "item_id": item.id,
                        "quarter": quarter,
                        "status": status.value,
                        "text": f"第{quarter}季度：按计划推进，已完成阶段性任务。",
                    },
                )
                written += 1
            for indicator in item.indicators:
                pace_factor = rng.choices((1.1, 0.9, 0.5), weights=(6, 3, 1))[0]
                for quarter in quarters:
                    expected = indicator.effective_pace()[quarter - 1] / 100.0
                    value = (
                        (indicator.value or 0) * expected * pace_factor * rng.uniform(0.95, 1.05)
                    )
                    # Counts are whole numbers; amounts in 万/亿 and rates keep decimals.
                    whole = indicator.unit in (
                        "家",
                        "个",
                        "人",
                        "名",
                        "户",
                        "条",
                        "张",
                        "所",
                        "台",
                        "套",
                        "幅",
                        "次",
                        "场",
                        "处",
                    )
                    value = float(round(value)) if whole else round(value, 2)
                    w.insert(
                        "actual",
                        {
                            "id": pair_id(indicator.id or "", quarter),
                            "indicator_id": indicator.id,
                            "quarter": quarter,
                            "value": value,
                            "note": "",
                        },
                    )
                    written += 1
    return written
