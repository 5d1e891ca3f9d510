"""Filter-as-you-type on the real window: a text that grows narrows the last result and ends
where a fresh search does, the rows still shown keep their selection and their open state, the
tree hears of a change once (and not at all when the rows stay the same), full-width letters
and digits find plain ones, and clearing the box puts back what was open."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt
from PySide6.QtWidgets import QApplication, QToolButton

from jingan_desktop.qt.views.tree_model import PlanTreeModel
from jingan_desktop.workspace import RowFilter, Workspace
from tests.test_qt_ledger import show_item
from tests.test_qt_main_window import type_text

ACTUAL = PlanTreeModel.COL_ACTUAL


def after_debounce(window) -> None:
    """What the debounce timer does when the typing pauses (run now, not waited for)."""
    assert window.navigation.filter_timer.isActive()
    window.navigation.filter_timer.stop()
    window.apply_filter()
    QApplication.processEvents()


def shown_ids(model: PlanTreeModel) -> set[str]:
    """Every row the tree can show, walked through the model as a view does."""
    found: set[str] = set()
    pending = [QModelIndex()]
    while pending:
        parent = pending.pop()
        for row in range(model.rowCount(parent)):
            index = model.index(row, 0, parent)
            found.add(index.data(PlanTreeModel.RowIdRole))
            pending.append(index)
    return found


def with_ancestors(window, ids) -> set[str]:
    ws = window.workspace
    out = set(ids)
    for row_id in ids:
        item = ws.item_of(row_id)
        if item is not None and item.id != row_id:
            out.add(item.id)
        if item is not None:
            out.update(c for c, ch in ws.chapters.items() if item in ch.items)
    return out


def test_typing_on_narrows_to_what_a_fresh_search_finds(qtbot, window):
    edit = window.search_edit
    edit.setFocus()
    for typed in ("大", "力", "推", "进"):
        type_text(edit, typed)
        after_debounce(window)
        fresh = RowFilter(window.workspace).matching(edit.text())
        assert window.model.allowed == fresh
        assert shown_ids(window.model) == with_ancestors(window, fresh)
    assert window.statusBar().currentMessage() == f"筛选结果：{len(fresh)} 条"
    # Back one character (a wider search), then a department on top of the text.
    edit.backspace()
    after_debounce(window)
    assert window.model.allowed == RowFilter(window.workspace).matching("大力推")
    item = next(i for i in window.workspace.items.values() if i.number == 2)
    window.workspace.apply(window.workspace.make_edit("departments", item.id, "lead", "区商务委"))
    window.navigation.refresh_after_change()
    window.navigation.fill_department_filter()
    window.department_filter.setCurrentIndex(window.department_filter.findData("区商务委"))
    window.apply_filter()
    assert window.model.allowed == {item.id, *(n.id for n in item.indicators)}


def test_a_renamed_row_is_found_by_its_new_name_while_filtering(qtbot, window):
    edit = window.search_edit
    item = next(i for i in window.workspace.items.values() if i.number == 14)
    type_text(edit, "智慧")
    after_debounce(window)
    type_text(edit, "化")
    after_debounce(window)
    assert item.id not in window.model.allowed
    # Renamed (through the tree, as the clerk does): the filter follows the new name.
    edit.clear()
    after_debounce(window)
    name = window.model.index_of(item.id, PlanTreeModel.COL_NAME)
    assert window.model.setData(name, "推进城区智慧化转型")
    type_text(edit, "智慧")
    after_debounce(window)
    type_text(edit, "化")
    after_debounce(window)
    assert item.id in window.model.allowed
    assert window.model.index_of(item.id).isValid()


def test_full_width_digits_and_letters_find_plain_ones(qtbot, window):
    item = next(i for i in window.workspace.items.values() if i.number == 22)
    type_text(window.search_edit, "１５分钟")  # typed with a Chinese input method's digits
    after_debounce(window)
    assert item.id in window.model.allowed
    assert window.model.index_of(item.id).isValid()


def test_rows_still_shown_keep_their_selection_and_open_state(qtbot, window):
    ids = show_item(window, 2)
    tree = window.tree
    first, second = window.model.index_of(ids[0], ACTUAL), window.model.index_of(ids[1], ACTUAL)
    tree.setCurrentIndex(first)
    tree.selectionModel().select(second, QItemSelectionModel.SelectionFlag.Select)
    type_text(window.search_edit, "新增")
    after_debounce(window)
    assert window.model.index_of(ids[1]).isValid()
    selected = {i.data(PlanTreeModel.RowIdRole) for i in tree.selectionModel().selectedIndexes()}
    assert selected == {ids[0], ids[1]}
    assert tree.currentIndex().data(PlanTreeModel.RowIdRole) == ids[0]
    assert window.detail.row_id == ids[0]


def test_the_tree_hears_of_a_change_once_and_not_at_all_for_the_same_rows(qtbot, window):
    model = window.model
    heard: list[str] = []
    model.layoutChanged.connect(lambda *_a: heard.append("layout"))
    model.modelReset.connect(lambda: heard.append("reset"))
    type_text(window.search_edit, "大力推进")  # items 2 to 6 (debounced: one filter)
    after_debounce(window)
    assert heard == ["reset"]
    before = shown_ids(model)
    type_text(window.search_edit, "招")  # item 2 only
    after_debounce(window)
    assert heard == ["reset", "reset"]
    assert shown_ids(model) < before
    type_text(window.search_edit, "商")  # the same rows
    after_debounce(window)
    assert heard == ["reset", "reset"]
    window.search_edit.clear()
    after_debounce(window)
    assert heard == ["reset", "reset", "reset"]
    assert shown_ids(model) == {*window.workspace.chapters, *window.workspace.items,
                                *window.workspace.indicators}  # fmt: skip


def test_clearing_closes_what_the_filter_opened_and_reopens_what_was_open(qtbot, window):
    tree, model = window.tree, window.model
    item2 = next(i for i in window.workspace.items.values() if i.number == 2)
    item19 = next(i for i in window.workspace.items.values() if i.number == 19)
    show_item(window, 2)
    type_text(window.search_edit, "创业")
    after_debounce(window)
    assert tree.isExpanded(model.index_of(item19.id))  # a narrow match opens every row
    tree.collapse(model.index_of(item19.id))  # the clerk closes one …
    window.search_edit.clear()
    after_debounce(window)
    assert tree.isExpanded(model.index_of(item2.id))
    assert not tree.isExpanded(model.index_of(item19.id))
    chapters = [model.index(r, 0) for r in range(model.rowCount())]
    assert all(tree.isExpanded(c) for c in chapters)
    assert not window.statusBar().currentMessage().startswith("筛选结果")


def test_the_model_stays_consistent_while_narrowing_and_widening(qtmodeltester, window):
    for text in ("推", "推进", "推进城区", "推", ""):
        window.search_edit.setText(text)
        after_debounce(window)
        qtmodeltester.check(window.model)


def test_narrowing_ends_where_a_fresh_search_does(seed_store):
    """Any order of searches (texts growing, shrinking, departments, statuses, an edit in
    between) gives what a filter that never searched before gives."""
    ws = Workspace(seed_store, quarter=2)
    item = next(i for i in ws.items.values() if i.number == 20)
    ws.apply(ws.make_edit("departments", item.id, "lead", "区民政局"))
    steps = [
        ("养", "", ""), ("养老", "", ""), ("养老服", "", ""), ("养", "区民政局", ""),
        ("", "区民政局", "grey"), ("推进", "", ""), ("推进", "", "amber"), ("推", "", ""),
        ("ｘ", "", ""), ("", "", "red"), ("社区", "", ""), ("社区１５", "", ""),
    ]  # fmt: skip
    row_filter = RowFilter(ws)
    row_filter.warm()
    for text, department, status in steps:
        assert row_filter.matching(text, department, status) == RowFilter(ws).matching(
            text, department, status
        ), (text, department, status)
    indicator = item.indicators[0]
    ws.apply(ws.make_edit("indicator", indicator.id, "name", "助餐点供餐"))
    row_filter.invalidate([indicator.id, item.id])
    assert indicator.id in row_filter.matching("助餐点")
    assert row_filter.matching("养老服") == RowFilter(ws).matching("养老服")


def test_search_texts_built_a_slice_at_a_time_find_what_a_fresh_filter_finds(seed_store):
    """After opening, the search texts are built a slice at a time (the window is never
    held up); a search typed before the last slice finds what a filter built at once finds."""
    ws = Workspace(seed_store, quarter=2)
    rows = len(ws.chapters) + len(ws.items) + len(ws.indicators)
    row_filter = RowFilter(ws)
    slices = 1
    while not row_filter.warm(rows // 4):
        slices += 1
    assert slices == 4 or slices == 5  # a quarter of the rows each time, nothing twice
    assert row_filter.warm(10)  # nothing left
    halfway = RowFilter(ws)
    assert not halfway.warm(rows // 2)
    for text in ("养老", "推进", "区民政局", "亿元"):
        assert halfway.matching(text) == RowFilter(ws).matching(text), text
    assert halfway.warm(1)  # the search built the rest


def test_the_window_builds_the_search_texts_after_the_tree_in_slices(qtbot, window, monkeypatch):
    from jingan_desktop.qt.controllers import navigation as module

    monkeypatch.setattr(module, "WARM_ROWS", 40)
    nav, ws = window.navigation, window.workspace
    nav.attach(ws)  # as when a file is opened
    slices: list[bool] = []
    warm = nav.row_filter.warm
    monkeypatch.setattr(
        nav.row_filter, "warm", lambda rows=None: slices.append(warm(rows)) or slices[-1]
    )
    assert nav.warm_timer.isActive() and not slices  # not before the tree is shown
    qtbot.waitUntil(lambda: not nav.warm_timer.isActive(), timeout=5000)
    rows = len(ws.chapters) + len(ws.items) + len(ws.indicators)
    # one slice lays out the rows (a small plan: at once), then 40 search texts a slice
    assert len(slices) == 1 + -(-rows // 40) and slices[-1] and not any(slices[:-1])


def test_a_filter_due_while_a_cell_is_being_typed_into_waits_for_the_editor(qtbot, window):
    """The rows a filter shows are handed to the tree anew (a reset): never under an open
    editor, whose typing would be lost; it is applied once the editor closes."""
    from PySide6.QtWidgets import QAbstractItemDelegate, QAbstractItemView, QLineEdit

    tree, model = window.tree, window.model
    ids = show_item(window, 2)
    target = model.index_of(ids[0], ACTUAL)
    tree.setCurrentIndex(target)
    assert tree.edit(target)
    editor = tree.focusWidget()
    assert isinstance(editor, QLineEdit)
    editor.setText("123")
    window.search_edit.setText("招商")  # (as if typed before the clerk went to the cell)
    window.navigation.filter_timer.stop()
    window.apply_filter()
    assert tree.state() == QAbstractItemView.State.EditingState
    assert model.allowed is None and editor.text() == "123"  # nothing pulled from under it
    assert window.navigation.filter_timer.isActive()  # … but due again
    tree.closeEditor(editor, QAbstractItemDelegate.EndEditHint.NoHint)
    qtbot.waitUntil(lambda: model.allowed is not None, timeout=2000)
    assert model.allowed == RowFilter(window.workspace).matching("招商")


def test_a_filter_that_changes_the_rows_keeps_a_big_selection_as_few_ranges(qtbot, window):
    """Every cell selected stays selected as the rows shown change, in as few ranges as
    before (one per parent), not one range per cell; 详情 is not filled again for the same
    current row."""
    tree = window.tree
    tree.expandAll()
    tree.setCurrentIndex(window.model.index_of(next(iter(window.workspace.indicators)), ACTUAL))
    shown: list[str] = []
    window.detail.show_row = lambda row_id, kind: shown.append(row_id)
    tree.selectAll()
    ranges = len(tree.selectionModel().selection())
    type_text(window.search_edit, "区")
    after_debounce(window)
    kept = window.model.allowed
    assert kept is not None and len(tree.selectionModel().selection()) <= ranges
    selected = {i.data(PlanTreeModel.RowIdRole) for i in tree.selectionModel().selectedIndexes()}
    assert selected == shown_ids(window.model)
    window.search_edit.clear()
    after_debounce(window)
    assert len(tree.selectionModel().selection()) <= ranges
    assert shown == []  # the same current row all along


def test_removing_a_row_while_filtered_keeps_the_search(qtbot, window, messages):
    type_text(window.search_edit, "招商")
    after_debounce(window)
    shown = [i for i in window.workspace.indicators if window.model.index_of(i).isValid()]
    window.tree.setCurrentIndex(window.model.index_of(shown[0], ACTUAL))
    window.structure.remove_selected()
    QApplication.processEvents()
    assert shown[0] not in window.workspace.indicators
    assert window.search_edit.text() == "招商" and window.model.allowed is not None


def test_the_search_box_clear_button_and_esc_empty_the_box_and_end_the_filter(qtbot, window):
    edit = window.search_edit
    (button,) = [
        b for b in edit.findChildren(QToolButton) if b.defaultAction() is edit.clear_action
    ]
    assert not button.isVisibleTo(edit)  # nothing to clear
    edit.setFocus()
    type_text(edit, "创业")
    after_debounce(window)
    assert window.model.allowed is not None and button.isVisibleTo(edit)
    edited: list[str] = []
    edit.textEdited.connect(edited.append)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert edit.text() == "" and edited == [""] and not button.isVisibleTo(edit)
    after_debounce(window)
    assert window.model.allowed is None
    type_text(edit, "创业")
    after_debounce(window)
    qtbot.keyClick(edit, Qt.Key.Key_Escape)
    assert edit.text() == "" and not button.isVisibleTo(edit)
    after_debounce(window)
    assert window.model.allowed is None
    qtbot.keyClick(edit, Qt.Key.Key_Escape)  # an empty box: Esc goes on to the window
    assert not window.navigation.filter_timer.isActive()


def test_any_order_of_filters_and_clearing_leaves_every_row_where_it_belongs(window):
    """Filters narrowed, widened and cleared in any order: every row shown is reached through
    its parent, answers with its own id, and its index leads back to its parent (the C++ tree
    of each filter, and the unfiltered one kept, point at the right rows)."""
    model = window.model
    every = sorted(shown_ids(model))
    parent_of = {}
    for row_id in every:
        parent = model.index_of(row_id).parent()
        parent_of[row_id] = parent.data(PlanTreeModel.RowIdRole) if parent.isValid() else None
    subsets = st.one_of(st.none(), st.sets(st.sampled_from(every), max_size=12).map(frozenset))

    @settings(
        max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
    )
    @given(st.lists(subsets, min_size=1, max_size=6))
    def check(filters):
        for allowed in filters:
            model.set_filter(allowed)
            shown = shown_ids(model)
            if allowed is None:
                assert shown == set(every)
            else:
                expected = set(allowed)
                for row_id in allowed:
                    while parent_of[row_id] is not None:
                        row_id = parent_of[row_id]
                        expected.add(row_id)
                assert shown == expected or (shown == set(every) and expected == set(every))
            for row_id in shown:
                index = model.index_of(row_id, ACTUAL)
                assert index.data(PlanTreeModel.RowIdRole) == row_id
                parent = index.parent()
                assert (parent.data(PlanTreeModel.RowIdRole) if parent.isValid() else None) == (
                    parent_of[row_id]
                )
        model.set_filter(None)

    check()
    assert shown_ids(model) == set(every)
