"""预警 after edits: the list updated row by row shows exactly what a fresh list would."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication

from jingan_desktop.qt.application import create_application, settings
from jingan_desktop.qt.main_window import MainWindow
from jingan_desktop.qt.views.tree_model import PlanTreeModel
from jingan_desktop.qt.views.warnings_list import KIND_ROLE


def shown(window: MainWindow) -> list[str]:
    items = [window.warnings.item(n) for n in range(window.warnings.count())]
    return [f"{item.data(KIND_ROLE)} {item.text()}" for item in items]


def expected(window: MainWindow) -> list[str]:
    return [f"{w.kind} {w.message}" for w in window.workspace.warnings()]


def test_warnings_follow_edits_in_the_tree(qtbot, plan_file):
    create_application()
    window = MainWindow(settings())
    qtbot.addWidget(window)
    assert window.open_path(plan_file, quarter=2)
    window.show()
    assert window.tabs.tabText(1) == "预警"  # judged a moment after the tree is painted
    qtbot.waitUntil(lambda: shown(window) == expected(window), timeout=5000)
    assert window.tabs.tabText(1) == f"预警 ({len(expected(window))})"
    ws = window.workspace
    indicators = [i for i in ws.indicators.values() if i.value][:3]
    model = window.model
    # Far behind pace (a new 🔴), then on pace again, then a progress text for one item.
    # (Twice the year's target: more than 10× would ask "确定吗？" first.)
    ahead = f"{indicators[0].value * 2:g}"
    for indicator, value in ((indicators[0], "0"), (indicators[1], "0"), (indicators[0], ahead)):
        assert model.setData(model.index_of(indicator.id, PlanTreeModel.COL_ACTUAL), value)
        qtbot.waitUntil(lambda: shown(window) == expected(window), timeout=5000)
    lagging = [t for t in shown(window) if t.startswith("lagging")]
    assert any(indicators[1].name in t for t in lagging)
    assert not any(indicators[0].name in t for t in lagging)
    item = ws.item_of(indicators[2].id)
    ws.apply(ws.make_edit("progress", item.id, "text", "第二季度已完成。"))
    window.navigation.fill_warnings()
    assert shown(window) == expected(window)
    assert not any(t.startswith(f"no_progress {item.number}. ") for t in shown(window))
    # Another quarter: everything is judged again.
    window.quarters.set_quarter(3)
    QApplication.processEvents()
    window.navigation.fill_warnings()
    assert window.workspace.quarter == 3 and shown(window) == expected(window)
