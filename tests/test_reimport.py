"""A corrected plan text imported again for the same year keeps the ids of the items that did
not change, so their figures, progress texts and history stay attached (checked on disk)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from jingan_desktop.plan.parser import parse_plan
from jingan_desktop.storage.store import Store


def rows(path: Path, sql: str, params=()):
    with sqlite3.connect(path) as conn:
        return conn.execute(sql, params).fetchall()


def test_figures_survive_a_reimport_with_an_item_inserted_before_them(tmp_path, seed_text):
    path = tmp_path / "plan.sqlite"
    store = Store.create(path, parse_plan(seed_text).plan)
    plan = store.load().plan
    third = plan.chapters[0].items[2]
    indicator = third.indicators[0]
    store.set_actual(indicator.id, 2, 1234)
    store.close()

    lines = seed_text.split("\n")
    at = next(i for i, line in enumerate(lines) if line.startswith("2."))
    changed = "\n".join([*lines[:at], "2.新增的一项工作，新建口袋公园5座。", *lines[at:]])
    store = Store.open(path)
    store.import_plan(parse_plan(changed).plan, replace=True)
    store.close()

    assert rows(path, "SELECT count(*) FROM plan") == [(1,)]
    assert rows(path, "SELECT count(*) FROM item") == [(35,)]
    found = rows(
        path,
        "SELECT i.id, i.number, i.position, a.value FROM actual a"
        " JOIN indicator n ON n.id = a.indicator_id JOIN item i ON i.id = n.item_id"
        " WHERE a.quarter = 2",
    )
    assert found == [(third.id, 3, 3, 1234)]  # the same item, one place further down
    new = rows(path, "SELECT id FROM item WHERE text LIKE '新增的一项工作%'")
    assert len(new) == 1 and new[0][0] != third.id
    sources = rows(path, "SELECT DISTINCT source FROM change_log WHERE summary = '导入2022年计划'")
    assert sources == [("import",)]
    history = rows(
        path, "SELECT count(*) FROM change_log WHERE row_id = ? AND op = 'delete'", (third.id,)
    )
    assert history == [(0,)]


def test_a_reimport_removes_what_is_gone_and_updates_a_corrected_target(tmp_path):
    text = "2025年重点工作安排\n一、发展\n1.新增企业10家。\n2.新建公园3座。\n"
    path = tmp_path / "plan.sqlite"
    store = Store.create(path, parse_plan(text).plan)
    first = store.load().plan.items()[0]
    store.set_actual(first.indicators[0].id, 1, 4)
    corrected = "2025年重点工作安排\n一、发展\n1.新增企业12家。\n"
    store.import_plan(parse_plan(corrected).plan, replace=True)
    store.close()
    assert rows(path, "SELECT id, value FROM indicator") == [(first.indicators[0].id, 12.0)]
    assert rows(path, "SELECT value FROM actual") == [(4.0,)]
    assert rows(path, "SELECT count(*) FROM item") == [(1,)]
