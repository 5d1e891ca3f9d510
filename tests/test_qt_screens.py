"""Every office screen: the window fits the screen it opens on, the 详情 panel scrolls, columns,
splitter and quarter are remembered, cut cells have tooltips, 预警 icons are drawn, filters
come and go without losing the tree's state, and the 详情 text highlights only its phrase."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication, QMainWindow, QScrollArea

from jingan_desktop.qt.application import settings
from jingan_desktop.qt.main_window import MainWindow
from jingan_desktop.qt.views.tree_model import PlanTreeModel
from tests.test_qt_ledger import show_item

NAME = PlanTreeModel.COL_NAME


def fits(window) -> bool:
    room = window.screen().availableGeometry()
    frame = window.frameGeometry()
    return frame.width() <= room.width() and frame.height() <= room.height()


def test_a_saved_geometry_larger_than_the_screen_is_clamped(qtbot, window, plan_file):
    room = window.screen().availableGeometry()
    window.close()
    big = QMainWindow()
    big.resize(room.width() * 2, room.height() * 2)  # as saved at 100 %, reopened at 150 %
    big.move(room.width(), room.height())
    store = settings()
    store.setValue("window/geometry", big.saveGeometry())
    store.sync()
    again = MainWindow(settings())
    qtbot.addWidget(again)
    assert again.open_path(plan_file)
    again.show()
    qtbot.waitExposed(again)
    assert fits(again)
    assert room.contains(again.frameGeometry().topLeft())


def test_selecting_an_indicator_does_not_grow_the_window_the_detail_scrolls(qtbot, window):
    room = window.screen().availableGeometry()
    window.resize(min(1024, room.width() - 40), min(560, room.height() - 40))
    QApplication.processEvents()
    before = window.size()
    ids = show_item(window, 19)
    assert window.select_row(ids[7])
    QApplication.processEvents()
    assert window.size() == before and fits(window)
    scroll = window.tabs.widget(0)
    assert isinstance(scroll, QScrollArea) and scroll.widget() is window.detail


def test_on_first_start_the_status_column_is_in_sight(qtbot, window):
    """名称 is sized to its content but leaves 完成率 and 状态 visible without scrolling."""
    from jingan_desktop.qt.views.tree_model import PlanTreeModel

    window.resize(1280, 800)
    window.window_layout.fit_name_column()
    tree = window.tree
    status = PlanTreeModel.COL_STATUS
    right = tree.header().sectionViewportPosition(status) + tree.columnWidth(status)
    assert right <= tree.viewport().width()
    assert tree.columnWidth(NAME) >= 160


def test_the_name_column_fits_its_content_and_widths_splitter_quarter_are_remembered(
    qtbot, window, plan_file
):
    assert window.tree.columnWidth(NAME) >= 160  # 85 px cut every name
    window.tree.setColumnWidth(NAME, 333)
    window.splitter.setSizes([500, 300])
    sizes = window.splitter.sizes()
    window.quarters.set_quarter(3)
    window.close()
    again = MainWindow(settings())
    qtbot.addWidget(again)
    assert again.open_path(plan_file)  # no quarter asked for: the one last used
    again.show()
    qtbot.waitExposed(again)
    assert again.workspace.quarter == 3
    assert again.tree.columnWidth(NAME) == 333
    assert again.splitter.sizes() == sizes


def test_a_cut_name_has_its_full_text_as_tooltip(qtbot, window):
    ids = show_item(window, 19)
    index = window.model.index_of(ids[5], NAME)
    full = window.workspace.indicators[ids[5]].name
    window.tree.setColumnWidth(NAME, 60)
    assert window.tree.tooltip_for(index).startswith(full)
    window.tree.setColumnWidth(NAME, 2000)
    tip = window.tree.tooltip_for(index) or ""
    assert not tip.startswith(full + "\n")  # not cut: only the model's own tooltip


def test_warning_icons_are_drawn_not_emoji(qtbot, window):
    ids = show_item(window, 2)
    window.model.setData(window.model.index_of(ids[0], PlanTreeModel.COL_ACTUAL), "10")
    window.navigation.fill_warnings()
    entries = [window.warnings.item(r) for r in range(window.warnings.count())]
    assert entries
    for entry in entries:
        assert not entry.icon().isNull()
        assert all(ord(ch) < 0x2300 or 0x3000 <= ord(ch) < 0xFFFF for ch in entry.text())


def test_clearing_the_filter_keeps_expansion_and_clears_the_count(qtbot, window):
    item2 = next(i for i in window.workspace.items.values() if i.number == 2)
    show_item(window, 2)
    window.search_edit.setText("新增注册企业")
    window.apply_filter()
    assert window.statusBar().currentMessage().startswith("筛选结果")
    window.search_edit.clear()
    window.apply_filter()
    assert window.tree.isExpanded(window.model.index_of(item2.id))
    item3 = next(i for i in window.workspace.items.values() if i.number == 3)
    assert not window.tree.isExpanded(window.model.index_of(item3.id))  # as it was
    assert not window.statusBar().currentMessage().startswith("筛选结果")


def test_a_department_typed_into_the_lead_column_is_in_the_filter_at_once(qtbot, window, plan_file):
    item = next(i for i in window.workspace.items.values() if i.number == 4)
    index = window.model.index_of(item.id, PlanTreeModel.COL_LEAD)
    assert window.model.setData(index, "区新设办公室")
    assert window.department_filter.findData("区新设办公室") >= 0
    with sqlite3.connect(plan_file) as conn:
        assert conn.execute("SELECT 1 FROM department WHERE name = '区新设办公室'").fetchone()


def test_only_the_source_phrase_is_highlighted(qtbot, window):
    ids2, ids19 = show_item(window, 2), show_item(window, 19)
    for row_id in (ids2[0], ids19[3], ids2[1]):
        window.select_row(row_id)
        indicator = window.workspace.indicators[row_id]
        document = window.detail.text_view.document()
        bold = []
        block = document.begin()
        while block.isValid():
            fragments = block.begin()
            while not fragments.atEnd():
                fragment = fragments.fragment()
                if fragment.charFormat().fontWeight() >= QFont.Weight.Bold:
                    bold.append(fragment.text())
                fragments += 1
            block = block.next()
        assert "".join(bold) == indicator.text, (row_id, bold)


def test_the_side_tabs_leave_the_tree_room_on_a_1024_screen(qtbot, window):
    """The 图表 tab's three charts no longer hold the side panel at 536 px."""
    assert window.tabs.minimumSizeHint().width() <= 320
    assert window.minimumSizeHint().width() <= 640


def chapter_bar_height(window, chapter_id: str) -> float:
    chart = window.charts.chapters.chart
    return next(artist.get_width() for artist, row in chart.targets.items() if row == chapter_id)


def test_charts_follow_a_reload_after_another_writer(qtbot, window, plan_file):
    from jingan_desktop.storage.store import Store

    window.tabs.setCurrentWidget(window.charts_page)
    chapter_id = window.workspace.plan.chapters[0].id
    assert chapter_bar_height(window, chapter_id) == 0
    item = next(i for i in window.workspace.items.values() if i.number == 2)
    other = Store.open(plan_file)  # another clerk's copy of the app writes a figure
    other.set_actual(item.indicators[0].id, 2, 10000.0)
    other.close()
    window.act_reload.trigger()  # F5
    assert chapter_bar_height(window, chapter_id) > 0


# -- 16. file dialogs, 另存为 and 导出副本 --


def answer_save_dialog(monkeypatch, target, seen: list | None = None):
    from PySide6.QtWidgets import QFileDialog

    def answer(_parent, _title, start, *_a, **_k):
        if seen is not None:
            seen.append(start)
        return str(target), ""

    monkeypatch.setattr(QFileDialog, "getSaveFileName", answer)


def test_save_as_switches_to_the_new_file_export_copy_stays(qtbot, window, plan_file, monkeypatch):
    from tests.test_qt_main_window import stored_actual

    ids = show_item(window, 2)
    copy = plan_file.parent / "副本.sqlite"
    answer_save_dialog(monkeypatch, copy)
    window.act_save_copy.trigger()
    assert copy.exists() and window.workspace.store.path == plan_file
    renamed = plan_file.parent / "另存.sqlite"
    answer_save_dialog(monkeypatch, renamed)
    window.act_save_as.trigger()
    assert window.workspace.store.path == renamed
    assert window.workspace.quarter == 2
    window.model.setData(window.model.index_of(ids[0], PlanTreeModel.COL_ACTUAL), "42")
    assert stored_actual(renamed, ids[0]) == 42
    assert stored_actual(plan_file, ids[0]) is None  # the old file is left as it was


def test_file_dialogs_never_start_in_the_hidden_data_folder(qtbot, window, monkeypatch, tmp_path):
    import shutil

    from jingan_desktop.paths import data_dir

    inside = data_dir() / "plan.sqlite"
    shutil.copyfile(window.workspace.store.path, inside)
    assert window.open_path(inside)
    start = window.files.last_dir()
    assert data_dir().resolve() not in [Path(start).resolve(), *Path(start).resolve().parents]
    seen: list[str] = []
    answer_save_dialog(monkeypatch, tmp_path / "elsewhere" / "x.sqlite", seen)
    (tmp_path / "elsewhere").mkdir()
    window.act_save_copy.trigger()
    assert Path(seen[0]).parent == Path(start)
    assert window.files.last_dir() == str((tmp_path / "elsewhere").resolve())


def test_qt_buttons_are_chinese(qtbot, window):
    from PySide6.QtWidgets import QDialogButtonBox, QPushButton

    box = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
    button = box.button(QDialogButtonBox.StandardButton.Cancel)
    assert isinstance(button, QPushButton) and button.text().replace("&", "") in ("取消", "取消(C)")


# -- 18. help --


def test_f1_opens_the_bundled_chinese_guide_with_its_screenshots(qtbot, window, monkeypatch):
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QTextDocument

    from jingan_desktop.qt.dialogs.help import HelpDialog

    shown: list[HelpDialog] = []
    monkeypatch.setattr(HelpDialog, "exec", lambda dialog: shown.append(dialog) or 0)
    window.tree.setFocus()
    qtbot.keyClick(window.tree, Qt.Key.Key_F1)
    assert len(shown) == 1
    document = shown[0].browser.document()
    text = document.toPlainText()
    for topic in ("填报一个季度", "Excel 回收", "合并副本", "网络盘共用", "锁定季度", "修改记录"):
        assert topic in text
    image = document.resource(QTextDocument.ResourceType.ImageResource, "paste.png")
    assert image is not None and not image.isNull()


def test_the_empty_detail_panel_says_where_to_type_figures(qtbot, window):
    window.tree.setCurrentIndex(window.model.index(0, 0).parent())
    text = window.detail.placeholder.text()
    assert "本期实际" in text and "单位管理" in text and "F1" in text


def test_the_placeholder_remembers_only_heights_qlabel_would_give(qtbot, window):
    """The placeholder keeps its height for each width: the same as a plain QLabel's, at
    every width, and forgotten when its font or text changes."""
    from PySide6.QtWidgets import QLabel

    placeholder = window.detail.placeholder
    plain = QLabel(placeholder.text())
    plain.setWordWrap(True)
    plain.setFont(placeholder.font())

    def same_heights() -> None:
        for width in (120, 281, 296, 508, 713, 281):
            assert placeholder.heightForWidth(width) == plain.heightForWidth(width), width

    same_heights()
    bigger = placeholder.font()
    bigger.setPointSizeF(bigger.pointSizeF() * 2)
    placeholder.setFont(bigger)
    plain.setFont(bigger)
    same_heights()
    placeholder.setText("短")
    plain.setText("短")
    same_heights()


def test_no_two_commands_share_a_shortcut(window):
    """Each key combination does one thing (全部折叠 and 导出部门填报文件 once shared Ctrl+Shift+E)."""
    from PySide6.QtGui import QAction, QKeySequence

    seen: dict[str, str] = {}
    for action in window.findChildren(QAction):
        for shortcut in action.shortcuts():
            key = shortcut.toString(QKeySequence.SequenceFormat.PortableText)
            assert key not in seen, f"{key}: {seen.get(key)} and {action.text()}"
            seen[key] = action.text()
    assert len(seen) > 20


def test_the_name_column_is_fitted_on_the_widest_name_shown(qtbot, window):
    """On a first start 名称 is fitted on the longest names alone (not every row measured):
    the width they ask for is the width Qt finds measuring every row the tree shows."""
    from jingan_desktop.qt.views.tree_model import PlanTreeModel

    tree, model = window.tree, window.model
    assert len(model.longest_names()) == 12
    wanted = max(tree.sizeHintForIndex(index).width() for index in model.longest_names())
    assert wanted == tree.sizeHintForColumn(PlanTreeModel.COL_NAME)
