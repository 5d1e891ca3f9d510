"""The main window: builds the widgets and connects the parts.

    toolbar     季度, 锁定本季度, 生成季度报告, search, department and status filters
    banners     read-only file, quarter locked, department file
    splitter    the plan tree (views/tree_model, views/delegates) | tabs: 详情 预警 修改记录 图表
    status bar  messages, who else has the file open, unsaved edits

What the window does lives in its controllers (qt/controllers/, one concern each, reached as
``window.files``, ``window.shared_file``, ``window.editing``, ``window.structure``,
``window.quarters``, ``window.navigation``, ``window.outputs``); the commands, menus and their
enabling rules in qt/commands.py; widgets in qt/views/; dialogs in qt/dialogs/.

The window holds the open file (``workspace``) and its tree model (``model``) and hands a newly
opened file to every part (:meth:`set_workspace`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6 import QtWidgets
from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent, QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QLabel,
    QMainWindow,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from ..workspace import RowFilter, Workspace
from . import commands
from .controllers.editing import EditingController
from .controllers.files import FilesController
from .controllers.help import HelpController
from .controllers.layout import LayoutController
from .controllers.ledger import LedgerController
from .controllers.navigation import NavigationController
from .controllers.outputs import OutputsController
from .controllers.quarters import QuartersController
from .controllers.share_sync import ShareSyncController
from .controllers.shared_file import SharedFileController
from .controllers.structure import StructureController
from .views.delegates import install_delegates
from .views.detail_panel import DetailPanel
from .views.later import LaterPage
from .views.plan_tree import PlanTreeView
from .views.search_box import SearchBox
from .views.tree_model import PlanTreeModel

if TYPE_CHECKING:
    from .views.charts_tab import ChartsTab
    from .views.history_view import HistoryView
    from .views.warnings_list import WarningsList


class MainWindow(QMainWindow):
    file_opened = Signal(str)

    def __init__(self, settings: QSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.workspace: Workspace | None = None
        self.model: PlanTreeModel | None = None
        self.setAcceptDrops(True)
        self.window_layout = LayoutController(self)
        self.files = FilesController(self)
        self.shared_file = SharedFileController(self)
        self.editing = EditingController(self)
        self.ledger = LedgerController(self)
        self.structure = StructureController(self)
        self.quarters = QuartersController(self)
        self.navigation = NavigationController(self)
        self.outputs = OutputsController(self)
        self.share_sync = ShareSyncController(self)  # a file on a network share
        self.help = HelpController(self)
        commands.build_actions(self)
        self._build_toolbar()
        self._build_central()
        self._build_status_bar()
        commands.build_tree_actions(self)
        commands.build_menus(self)
        self.files.fill_recent_menu()
        self._update_title()
        self.update_actions()
        self.window_layout.restore_window()

    # -- construction --

    def _build_toolbar(self) -> None:
        toolbar = QToolBar("工具栏", self)
        toolbar.setObjectName("main-toolbar")
        self.addToolBar(toolbar)
        toolbar.addWidget(QLabel(" 季度："))
        self.quarter_combo = QComboBox()
        self.quarter_combo.setObjectName("quarter-combo")
        self.quarter_combo.activated.connect(lambda i: self.quarters.set_quarter(i + 1))
        toolbar.addWidget(self.quarter_combo)
        toolbar.addAction(self.act_lock)
        toolbar.addAction(self.act_report)
        toolbar.addSeparator()
        self.search_edit = SearchBox("搜索事项、指标、进展 (Ctrl+F)")
        self.search_edit.setObjectName("search")
        self.search_edit.setMinimumWidth(240)
        self.search_edit.setMaximumWidth(420)
        self.search_edit.textChanged.connect(lambda _t: self.navigation.filter_soon())
        toolbar.addWidget(self.search_edit)
        self.department_filter = QComboBox()
        self.department_filter.setObjectName("department-filter")
        self.department_filter.activated.connect(lambda _i: self.apply_filter())
        toolbar.addWidget(self.department_filter)
        self.status_filter = QComboBox()
        self.status_filter.setObjectName("status-filter")
        for key, label in RowFilter.STATUS_FILTERS.items():
            self.status_filter.addItem(label, key)
        self.status_filter.activated.connect(lambda _i: self.apply_filter())
        toolbar.addWidget(self.status_filter)

    def _build_central(self) -> None:
        """The banners over the splitter of the tree and the side tabs."""
        self.readonly_banner = _banner(
            "background:#fff3b0; color:#6b4e00; padding:6px; font-weight:bold;"
        )
        self.readonly_banner.setObjectName("readonly-banner")
        self.lock_banner = _banner("background:#e8eefc; color:#1d3c78; padding:4px;")
        self.scope_banner = _banner("background:#e6f4ea; color:#1e5b2a; padding:4px;")
        self._build_tree()
        self._build_tabs()
        splitter = QSplitter()
        splitter.addWidget(self.tree)
        splitter.addWidget(self.tabs)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([840, 560])  # the tree gets the larger share, whatever the tabs hold
        self.splitter = splitter
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        for widget in (self.readonly_banner, self.lock_banner, self.scope_banner, splitter):
            layout.addWidget(widget)
        self.setCentralWidget(central)

    def _build_tree(self) -> None:
        self.tree = PlanTreeView()
        self.tree.refused.connect(self.ledger.typed_refused)
        self.tree.expanded.connect(self.navigation.expansion_touched)
        self.tree.collapsed.connect(self.navigation.expansion_touched)
        self.delegate = install_delegates(
            self.tree, self.navigation.department_names, self.show_message
        )

    def _build_tabs(self) -> None:
        """详情, 预警, 修改记录, 图表 (Alt+1…4). A new panel: a widget in views/, a tab here.
        Only 详情 is made now; the others when first shown or asked for (views/later.py)."""
        self.detail = DetailPanel()
        self.detail.message.connect(self.show_message)
        self.warnings_page: LaterPage[WarningsList] = LaterPage(self._make_warnings)
        self.history_page: LaterPage[HistoryView] = LaterPage(self._make_history)
        self.charts_page: LaterPage[ChartsTab] = LaterPage(self._make_charts)
        self.tabs = QTabWidget()
        # 详情 scrolls and 图表 shrinks rather than growing the window on a small screen.
        self.tabs.addTab(_scrolling(self.detail, "detail-scroll"), "详情")
        self.tabs.addTab(self.warnings_page, "预警")
        self.tabs.addTab(self.history_page, "修改记录")
        self.charts_page.setMinimumWidth(280)
        self.tabs.addTab(self.charts_page, "图表")

    @property
    def warnings(self) -> WarningsList:
        return self.warnings_page.widget()

    @property
    def history(self) -> HistoryView:
        return self.history_page.widget()

    @property
    def charts(self) -> ChartsTab:
        return self.charts_page.widget()

    def charts_changed(self) -> None:
        """The figures changed: the charts, once made, are drawn again (when next shown)."""
        if (charts := self.charts_page.made) is not None:
            charts.mark_dirty()

    def _make_warnings(self) -> WarningsList:
        from .views.warnings_list import WarningsList

        warnings = WarningsList()
        warnings.row_chosen.connect(self.select_row)
        return warnings  # filled by navigation.fill_warnings, which is what first asks for it

    def _make_history(self) -> HistoryView:
        from .views.history_view import HistoryView

        history = HistoryView()
        history.show_row(self.workspace, *self.navigation.current_row())
        return history

    def _make_charts(self) -> ChartsTab:
        from .views.charts_tab import ChartsTab

        charts = ChartsTab()
        charts.chapter_clicked.connect(self.select_row)
        charts.set_workspace(self.workspace)
        row_id, kind = self.navigation.current_row()
        if kind == "indicator":
            charts.set_indicator(row_id)
        return charts

    def _build_status_bar(self) -> None:
        self.statusBar().showMessage("就绪")
        self.presence_label = _banner("")
        self.presence_label.setObjectName("presence")
        self.statusBar().addPermanentWidget(self.presence_label)
        self.pending_button = QPushButton()
        self.pending_button.setObjectName("pending")
        self.pending_button.setStyleSheet("color:#b3261e; font-weight:bold;")
        self.pending_button.setVisible(False)
        self.pending_button.clicked.connect(self.editing.retry_pending)
        self.statusBar().addPermanentWidget(self.pending_button)
        # 网络共享：本机副本，N 项待同步 … (shown only for a file on a network share)
        self.share_status = QLabel()
        self.share_status.setObjectName("share-status")
        self.share_status.setTextFormat(Qt.TextFormat.PlainText)
        self.share_status.setVisible(False)
        self.statusBar().addPermanentWidget(self.share_status)

    # -- the open file --

    def open_path(self, path: str | Path, quarter: int | None = None) -> bool:
        """Open a plan file; on any problem show why and keep what was open."""
        return self.files.open_path(path, quarter)

    def set_workspace(self, workspace: Workspace) -> None:
        """Show an opened file: a new tree model, and every part handed the workspace."""
        self.shared_file.stop_watching()
        self.share_sync.leave(workspace)  # its last sync, before its replica is closed
        if self.workspace is not None and self.workspace.store is not workspace.store:
            self.workspace.store.close()
        self.workspace = workspace
        retired, self.model = self.model, PlanTreeModel(workspace, self)
        for controller in (
            self.navigation,
            self.shared_file,
            self.editing,
            self.ledger,
            self.quarters,
            self.share_sync,  # after editing: it follows the new undo stack
        ):
            controller.attach(workspace)
        self.tree.setModel(self.model)
        self.tree.selectionModel().currentChanged.connect(self.navigation.current_changed)
        if retired is not None:
            retired.deleteLater()  # the last file's rows (and their C++ trees) go with it
        self.navigation.open_rows("chapters")
        self.window_layout.attach(workspace)
        self.detail.set_workspace(workspace)
        if (charts := self.charts_page.made) is not None:
            charts.set_workspace(workspace)
        self.navigation.shown_new_file()
        self._update_title()
        self.update_actions()

    # -- what the bench, the start-up code and the tests call --

    def select_row(self, row_id: str) -> bool:
        """Make the row current (clearing a filter that hides it); False if it does not exist."""
        return self.navigation.select_row(row_id)

    def apply_filter(self) -> None:
        self.navigation.apply_filter()

    def update_actions(self, *_args: object) -> None:
        commands.update_actions(self)

    def show_message(self, text: str) -> None:
        self.statusBar().showMessage(text, 8000)

    # -- chrome --

    def _update_title(self) -> None:
        if self.workspace is None:
            self.setWindowTitle("静安区政府重点工作跟踪")
            return
        suffix = "（只读）" if self.workspace.readonly else ""
        name = self.workspace.store.path.name
        if self.share_sync.session is not None:
            name, suffix = self.share_sync.session.master.name, "（网络共享 · 本机副本）"
        self.setWindowTitle(
            f"{name}{suffix} — {self.workspace.plan.title} — 静安区政府重点工作跟踪"
        )
        self.setWindowFilePath(str(self.workspace.store.path))

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.window_layout.shown()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        self.files.drag_entered(event)

    def dropEvent(self, event: QDropEvent) -> None:
        self.files.dropped(event)

    def closeEvent(self, event: QCloseEvent) -> None:
        # A progress text being typed is saved when the editor loses focus; make sure it does.
        focus = self.focusWidget()
        if focus is not None:
            focus.clearFocus()
        self.window_layout.save()
        self.settings.sync()
        pending = self.editing.pending
        if pending:
            answer = QtWidgets.QMessageBox.question(
                self,
                "有修改未保存",
                f"还有 {len(pending)} 项修改没有保存到文件。是否再试一次保存？",
            )
            if answer == QtWidgets.QMessageBox.StandardButton.Yes:
                self.editing.retry_pending()
        if self.shared_file.watcher is not None:
            self.shared_file.watcher.stop()
        self.share_sync.close()  # the last sync of a file on a share
        if self.workspace is not None:
            self.workspace.store.close()
            self.workspace = None
        super().closeEvent(event)


def _scrolling(widget: QWidget, name: str) -> QScrollArea:
    scroll = QScrollArea()
    scroll.setObjectName(name)
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QScrollArea.Shape.NoFrame)
    scroll.setWidget(widget)
    return scroll


def _banner(style: str) -> QLabel:
    """A line of text over the tree (or in the status bar), hidden until there is news.
    Banners carry user text (department, user and file names): never read as HTML."""
    label = QLabel()
    if style:
        label.setStyleSheet(style)
    label.setVisible(False)
    label.setTextFormat(Qt.TextFormat.PlainText)
    return label
