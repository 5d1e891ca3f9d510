"""Finding and showing rows: the search box and filters, the current row and the side panels
that follow it (详情, 预警, 修改记录, 图表), and bringing the tree up to date after a change or a
reload, keeping what was expanded and selected."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QItemSelectionModel, QModelIndex, QTimer
from PySide6.QtWidgets import QAbstractItemView

from ...storage.loading import no_cyclic_collection
from ...workspace import RowFilter, Workspace
from ..messages import show_error
from ..views.tree_model import PlanTreeModel
from .base import Controller

WARM_AFTER_MS = 300  # after the first paint of a freshly opened plan
WARM_ROWS = 3000  # search texts built at a time (~10 ms): the window is never held up


class NavigationController(Controller):
    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.row_filter: RowFilter | None = None
        self._expanded_before: list[str] | None = None
        # How the tree is opened, as last set here: "chapters" (the chapters only), "all" (every
        # shown row); None once the clerk opened or closed a row, or the tree was rebuilt.
        self._shape: str | None = None
        self._opening = False
        self._panels_row: tuple[str | None, str | None] | None = None  # the side panels' row
        self.filter_timer = QTimer(self, singleShot=True, interval=120)
        self.filter_timer.timeout.connect(self.apply_filter)
        self.warnings_timer = QTimer(self, singleShot=True, interval=300)
        self.warnings_timer.timeout.connect(self.fill_warnings)
        self.warm_timer = QTimer(self, singleShot=True, interval=WARM_AFTER_MS)
        self.warm_timer.timeout.connect(self.warm_search)

    def attach(self, workspace: Workspace) -> None:
        self.row_filter = RowFilter(workspace)
        self._panels_row = None
        # Search texts are built once the tree is shown (the app idle after opening), not on
        # the first keystroke, and not before the clerk sees the plan.
        self.warm_timer.start(WARM_AFTER_MS)
        self.fill_department_filter()

    def warm_search(self) -> None:
        """A slice of the search texts, then the next once the window has had its turn. (No
        garbage among what a slice makes: the cyclic collector, which on a big plan walks
        hundreds of thousands of objects, is not run by it.)"""
        if self.row_filter is None:
            return
        with no_cyclic_collection():
            done = self.row_filter.warm(WARM_ROWS)
        if not done:
            self.warm_timer.start(0)

    # -- the current row --

    def current_row(self) -> tuple[str | None, str | None]:
        """(row id, kind) of the tree's current row; (None, None) when there is none."""
        current = self.window.tree.currentIndex()
        if not current.isValid():
            return None, None
        return current.data(PlanTreeModel.RowIdRole), current.data(PlanTreeModel.KindRole)

    def current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        window = self.window
        row_id = current.data(PlanTreeModel.RowIdRole) if current.isValid() else None
        kind = current.data(PlanTreeModel.KindRole) if current.isValid() else None
        if row_id is not None and (row_id, kind) == self._panels_row:
            # The same row again (put back after a filter, another cell of it): the panels
            # show it already, and follow its changes themselves (refresh_side_panels).
            window.update_actions()
            return
        self._panels_row = (row_id, kind)
        window.detail.show_row(row_id, kind)
        if (history := window.history_page.made) is not None:
            history.show_row(self.workspace, row_id, kind)
        if kind == "indicator" and (charts := window.charts_page.made) is not None:
            charts.set_indicator(row_id)
        window.update_actions()

    def select_row(self, row_id: str) -> bool:
        window, model = self.window, self.window.model
        if model is None:
            return False
        index = model.index_of(row_id)
        if not index.isValid() and model.allowed is not None:
            # Hidden by the filter: clear it so the row can be shown.
            window.search_edit.clear()
            window.status_filter.setCurrentIndex(0)
            window.department_filter.setCurrentIndex(0)
            self.apply_filter()
            index = model.index_of(row_id)
        if not index.isValid():
            return False
        window.tree.scrollTo(index)
        window.tree.setCurrentIndex(index)
        window.tree.setFocus()
        return True

    # -- filtering --

    def filter_active(self) -> bool:
        window = self.window
        return bool(
            window.search_edit.text().strip()
            or window.department_filter.currentData()
            or window.status_filter.currentData()
        )

    def filter_soon(self) -> None:
        """Filter-as-you-type: once the typing pauses."""
        self.filter_timer.start()

    def apply_filter(self) -> None:
        window, model, tree = self.window, self.window.model, self.window.tree
        if self.row_filter is None or model is None:
            return
        if tree.state() == QAbstractItemView.State.EditingState:
            self.filter_timer.start()  # not under the cell being typed into: once it closes
            return
        allowed = self.row_filter.matching(
            window.search_edit.text(),
            window.department_filter.currentData() or "",
            window.status_filter.currentData() or "",
        )
        current = tree.currentIndex()
        keep = current.data(PlanTreeModel.RowIdRole) if current.isValid() else None
        column = current.column() if current.isValid() else 0
        if model.allowed is None and allowed is not None:
            self._expanded_before = self._expanded_ids()  # put back when the filter is cleared
        was_filtered = model.allowed is not None
        # Other rows reach the tree as a reset: the cells still shown are selected again, the
        # rows opened again below (the filter's shape, or what was open before it).
        selected = self._selected_cells() if model.would_change(allowed) else None
        changed = model.set_filter(allowed)
        if selected:
            self._select_again(selected)
        if allowed is None and was_filtered:
            self._restore_expansion()
        if allowed is not None:
            # Expanding thousands of rows costs more than the filtering itself; a broad
            # match opens the chapters only. The same rows opened the same way stay as they
            # are (typing on in a search that keeps its rows costs no layout).
            shape = "all" if len(allowed) <= 400 else "chapters"
            if changed or shape != self._shape:
                self.open_rows(shape)
            window.statusBar().showMessage(f"筛选结果：{len(allowed)} 条")
        if keep and keep != tree.currentIndex().data(PlanTreeModel.RowIdRole):
            index = model.index_of(keep, column)
            if index.isValid():
                tree.selectionModel().setCurrentIndex(
                    index, QItemSelectionModel.SelectionFlag.NoUpdate
                )

    def _selected_cells(self) -> list[tuple[list[str], int, int]]:
        """The cells selected, as blocks of row ids and columns (see PlanTreeModel.cells_of)."""
        return self.window.model.cells_of(self.window.tree.selectionModel().selection())

    def _select_again(self, blocks: list[tuple[list[str], int, int]]) -> None:
        """Select again those of the cells still shown, in one change of the selection."""
        selection = self.window.model.selection_of(blocks)
        if not selection.isEmpty():
            self.window.tree.selectionModel().select(
                selection, QItemSelectionModel.SelectionFlag.Select
            )

    def open_rows(self, shape: str = "chapters") -> None:
        """Open the chapters only ("chapters", as after opening a file) or every row shown
        ("all"), in one layout of the tree."""
        tree = self.window.tree
        self._opening = True
        try:
            if shape == "all":
                tree.expandAll()
            else:
                tree.expandToDepth(0)
        finally:
            self._opening = False
        self._shape = shape

    def expansion_touched(self, _index: QModelIndex) -> None:
        """A row was opened or closed (by the clerk, or a rebuild): the shape is no longer
        the one set here."""
        if not self._opening:
            self._shape = None

    def _restore_expansion(self) -> None:
        """The filter was cleared: the rows open before it are open again (and only those),
        and the count goes. The tree is laid out once, after all the opening and closing."""
        window, model, tree = self.window, self.window.model, self.window.tree
        before = set(self._expanded_before or [])
        now = {model.node(index).row_id: index for index in self._expanded_indexes()}
        to_close = [index for row_id, index in now.items() if row_id not in before]
        to_open = [model.index_of(row_id) for row_id in before if row_id not in now]
        self._opening = True
        try:
            if to_close or to_open:
                tree.scheduleDelayedItemsLayout()  # until then, opening a row only notes it
            for index in to_close:
                tree.collapse(index)
            for index in to_open:
                if index.isValid():
                    tree.expand(index)
        finally:
            self._opening = False
        chapters = {
            model.index(row, 0).data(PlanTreeModel.RowIdRole) for row in range(model.rowCount())
        }
        self._shape = "chapters" if before == chapters else None
        self._expanded_before = None
        if window.statusBar().currentMessage().startswith("筛选结果"):
            window.statusBar().clearMessage()

    def fill_department_filter(self) -> None:
        combo = self.window.department_filter
        current = combo.currentData()
        combo.clear()
        combo.addItem("全部单位", "")
        for name in self.department_names():
            combo.addItem(name, name)
        position = combo.findData(current)
        combo.setCurrentIndex(max(0, position))

    def department_names(self) -> list[str]:
        return [d.name for d in self.workspace.data.departments] if self.workspace else []

    def focus_search(self) -> None:
        self.window.search_edit.setFocus()
        self.window.search_edit.selectAll()

    # -- refreshing --

    def reload(self) -> None:
        """刷新: re-read the file and rebuild the tree."""
        window = self.window
        if self.workspace is None:
            return
        try:
            self.workspace.reload()
        except Exception as exc:
            show_error(window, exc)
            return
        if window.model is not None:
            window.model.rebuild()
            self.open_rows("chapters")
        self.refresh_after_change()

    def refresh_after_change(self) -> None:
        """Values changed anywhere (a quarter switched, a lock, a reload, a merge): show them,
        the charts included."""
        if self.window.model is not None:
            self.window.model.refresh_all()
        self.window.charts_changed()
        if self.row_filter is not None:
            self.row_filter.invalidate()
        self.refresh_side_panels()
        self.window.update_actions()

    def shown_new_file(self) -> None:
        """A file was just opened into a new tree: the side panels follow it, the 预警 list
        a moment after the tree is painted (it judges every row of a big plan)."""
        self.window.tabs.setTabText(1, "预警")
        self.refresh_side_panels(warnings_now=False)
        self.window.update_actions()

    def refresh_side_panels(self, warnings_now: bool = True) -> None:
        window = self.window
        if self.workspace is None:
            return
        row_id, kind = self.current_row()
        window.detail.show_row(row_id, kind)
        if warnings_now:
            self.fill_warnings()
        else:
            # After an edit the 预警 list follows a moment later, so typing figures into a big
            # plan never waits for thousands of warnings to be rebuilt.
            self.warnings_timer.start()
        if (history := window.history_page.made) is not None:
            history.show_row(self.workspace, row_id, kind)
        window.quarters.show_lock()
        if self.filter_active():
            # Deferred: this runs inside the view's own commit of an edit, where resetting
            # the model would pull the current row (and the editor) out from under it.
            self.filter_timer.start()

    def fill_warnings(self) -> None:
        if self.workspace is None:
            return
        count = self.window.warnings.fill(self.workspace)
        self.window.tabs.setTabText(1, f"预警 ({count})")

    def rebuild_tree(self, select: str | None = None) -> None:
        """Re-read the tree's rows, keeping what was expanded and selected."""
        model, tree = self.window.model, self.window.tree
        assert model is not None
        current = tree.currentIndex()
        # Kept as they were unless a row is to be selected (one just added): the current cell
        # (its column too) and the cells selected around it.
        column = current.column() if current.isValid() and not select else 0
        selected = [] if select else self._selected_cells()
        select = select or (current.data(PlanTreeModel.RowIdRole) if current.isValid() else None)
        expanded = self._expanded_ids()
        model.rebuild()
        self._shape = None
        for row_id in expanded:
            index = model.index_of(row_id)
            if index.isValid():
                tree.setExpanded(index, True)
        if select and model.has_row(select):  # (a row just removed is not looked for)
            self.select_row(select)
            if column:
                tree.setCurrentIndex(tree.currentIndex().siblingAtColumn(column))
            if selected:
                self._select_again(selected)

    def _expanded_ids(self) -> list[str]:
        """The rows open in the tree. The view keeps them as persistent indexes of the model,
        so they are looked for among those, not by walking every row shown."""
        model = self.window.model
        return list(dict.fromkeys(model.node(index).row_id for index in self._expanded_indexes()))

    def _expanded_indexes(self) -> list[QModelIndex]:
        model, tree = self.window.model, self.window.tree
        return [
            index
            for index in model.persistent_indexes()
            if index.isValid() and index.column() == 0 and tree.isExpanded(index)
        ]
