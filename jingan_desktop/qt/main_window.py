"""The main window: the plan tree, the quarter, the detail panel, warnings and history."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import QModelIndex, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QFileDialog,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTabWidget,
    QToolBar,
    QTreeView,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..plan.model import Quarter
from ..plan.parser import read_plan_file
from ..storage.backup import (
    backup_file,
    daily_backup_due,
    full_check,
    newest_good_backup,
    restore,
    restore_damaged,
    take_backup,
)
from ..storage.database import (
    BusyError,
    CorruptError,
    FileMissingError,
    StoreError,
    TruncatedError,
    WriteFailedError,
)
from ..storage.merge import apply_merge, export_department_file, plan_merge
from ..storage.store import ConflictError, PlanExistsError, Store, pair_id
from ..workspace import Edit, RowFilter, Workspace
from .charts_tab import ChartsTab
from .delegates import PlanItemDelegate
from .departments_dialog import DepartmentsDialog
from .detail_panel import DetailPanel
from .messages import describe, show_error
from .outputs import export_to_excel, generate_report, import_from_excel
from .shared_file import FileWatcher, MergeDialog, RestoreDialog
from .tree_model import PlanTreeModel, pending_key
from .undo import UndoController

MAX_RECENT = 8
PLAN_FILE_FILTER = "计划数据文件 (*.sqlite *.db);;所有文件 (*)"
PLAN_TEXT_FILTER = "计划文本 (*.txt *.docx);;所有文件 (*)"


class MainWindow(QMainWindow):
    file_opened = Signal(str)

    def __init__(self, settings: QSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.workspace: Workspace | None = None
        self.model: PlanTreeModel | None = None
        self.undo: UndoController | None = None
        self.row_filter: RowFilter | None = None
        self.setAcceptDrops(True)
        self.watcher: FileWatcher | None = None
        # Edits the file did not take (locked by someone saving, disk full, stick pulled):
        # shown in the tree as typed and kept until a retry commits them.
        self.pending: dict[tuple, Edit] = {}
        self.resize(1280, 800)
        self._build_actions()
        self._build_ui()
        self._build_menus()
        self._filter_timer = QTimer(self, singleShot=True, interval=120)
        self._filter_timer.timeout.connect(self.apply_filter)
        self._warnings_timer = QTimer(self, singleShot=True, interval=300)
        self._warnings_timer.timeout.connect(self._fill_warnings)
        self._update_title()
        self._update_actions()
        geometry = settings.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)

    # -- construction --

    def _action(self, text: str, shortcut: Any, slot: Any, tip: str = "") -> QAction:
        action = QAction(text, self)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        action.setStatusTip(tip or text)
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        self.act_new = self._action(
            "新建(&N)…",
            QKeySequence.StandardKey.New,
            self.new_from_text,
            "从计划文本新建计划数据文件",
        )
        self.act_open = self._action(
            "打开(&O)…", QKeySequence.StandardKey.Open, self.choose_and_open
        )
        self.act_save_copy = self._action("另存为/备份副本(&A)…", "Ctrl+Shift+S", self.save_copy)
        self.act_import = self._action("导入计划文本(&I)…", "Ctrl+I", self.import_plan_text)
        self.act_quit = self._action("退出(&X)", "Ctrl+Q", self.close)
        self.act_undo = self._action("撤销", QKeySequence.StandardKey.Undo, self.do_undo)
        self.act_redo = self._action("重做", "Ctrl+Shift+Z", self.do_redo)
        self.act_redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        self.act_find = self._action("查找(&F)", QKeySequence.StandardKey.Find, self.focus_search)
        self.act_lock = self._action("锁定本季度(&L)", "Ctrl+L", self.toggle_lock)
        self.act_reload = self._action("刷新(&R)", QKeySequence.StandardKey.Refresh, self.reload)
        self.act_expand = self._action("全部展开", "Ctrl+E", lambda: self.tree.expandAll())
        self.act_collapse = self._action(
            "全部折叠", "Ctrl+Shift+E", lambda: self.tree.collapseAll()
        )
        self.act_about = self._action("关于(&A)", QKeySequence.StandardKey.HelpContents, self.about)
        self.act_focus_tree = self._action("转到计划树", "Ctrl+T", lambda: self.tree.setFocus())
        self.tab_actions = [
            self._action(
                f"转到{name}", f"Alt+{n}", lambda _c=False, n=n: self.tabs.setCurrentIndex(n - 1)
            )
            for n, name in enumerate(("详情", "预警", "修改记录", "图表"), start=1)
        ]
        self.act_add_item = self._action(
            "添加事项", "Ctrl+Shift+N", self.add_item, "在所选事项之后添加新事项"
        )
        self.act_add_indicator = self._action(
            "添加指标", "Ctrl+Shift+I", self.add_indicator, "为所选事项添加指标"
        )
        self.act_remove = self._action("删除所选", "Ctrl+Delete", self.remove_selected)
        self.act_move_up = self._action("上移", "Alt+Up", lambda: self.move_selected(-1))
        self.act_move_down = self._action("下移", "Alt+Down", lambda: self.move_selected(1))
        self.act_departments = self._action(
            "单位管理(&D)…", "Ctrl+Shift+D", self.manage_departments
        )
        self.act_merge = self._action(
            "合并副本(&M)…", "Ctrl+M", self.merge_copy, "把U盘或部门交回的副本中的修改合并到本文件"
        )
        self.act_export_department = self._action(
            "导出部门填报文件…", "Ctrl+Shift+E", self.export_department_file
        )
        self.act_restore = self._action("从备份恢复…", "Ctrl+Shift+B", self.restore_backup)
        self.act_backup = self._action("立即备份", "Ctrl+B", self.backup_now)
        self.act_retry = self._action("重试保存", "Ctrl+Shift+R", self.retry_pending)
        self.act_report = self._action(
            "生成季度报告(&P)…", "Ctrl+P", self.generate_report, "生成本季度的 PDF 工作进展报告"
        )
        self.act_export_excel = self._action("导出 Excel…", "Ctrl+Shift+X", self.export_excel)
        self.act_import_excel = self._action(
            "导入 Excel…", "Ctrl+Shift+L", self.import_excel, "导入各单位填好的 Excel 表（先预览）"
        )
        self.quarter_actions = [
            self._action(
                f"第{'一二三四'[q - 1]}季度", f"Ctrl+{q}", lambda _c=False, q=q: self.set_quarter(q)
            )
            for q in range(1, 5)
        ]

    def _build_menus(self) -> None:
        menu = self.menuBar().addMenu("文件(&F)")
        menu.addActions([self.act_new, self.act_open])
        self.recent_menu = menu.addMenu("最近打开(&R)")
        menu.addSeparator()
        menu.addActions([self.act_save_copy, self.act_import])
        menu.addSeparator()
        menu.addActions([self.act_report, self.act_export_excel, self.act_import_excel])
        menu.addSeparator()
        menu.addActions([self.act_merge, self.act_export_department])
        menu.addSeparator()
        menu.addActions([self.act_backup, self.act_restore, self.act_retry])
        menu.addSeparator()
        menu.addAction(self.act_quit)
        self._fill_recent_menu()
        edit = self.menuBar().addMenu("编辑(&E)")
        edit.addActions([self.act_undo, self.act_redo])
        edit.addSeparator()
        edit.addActions(
            [
                self.act_add_item,
                self.act_add_indicator,
                self.act_remove,
                self.act_move_up,
                self.act_move_down,
            ]
        )
        edit.addSeparator()
        edit.addAction(self.act_departments)
        edit.addSeparator()
        edit.addAction(self.act_find)
        view = self.menuBar().addMenu("视图(&V)")
        view.addActions([*self.quarter_actions])
        view.addSeparator()
        view.addActions([self.act_expand, self.act_collapse, self.act_reload])
        view.addSeparator()
        view.addActions([self.act_focus_tree, *self.tab_actions])
        quarter = self.menuBar().addMenu("季度(&Q)")
        quarter.addAction(self.act_lock)
        help_menu = self.menuBar().addMenu("帮助(&H)")
        help_menu.addAction(self.act_about)

    def _build_ui(self) -> None:
        toolbar = QToolBar("工具栏", self)
        toolbar.setObjectName("main-toolbar")
        self.addToolBar(toolbar)
        toolbar.addWidget(QLabel(" 季度："))
        self.quarter_combo = QComboBox()
        self.quarter_combo.setObjectName("quarter-combo")
        self.quarter_combo.activated.connect(lambda i: self.set_quarter(i + 1))
        toolbar.addWidget(self.quarter_combo)
        toolbar.addAction(self.act_lock)
        toolbar.addAction(self.act_report)
        toolbar.addSeparator()
        self.search_edit = QLineEdit(placeholderText="搜索事项、指标、进展 (Ctrl+F)")
        self.search_edit.setObjectName("search")
        self.search_edit.setClearButtonEnabled(True)
        self.search_edit.setMinimumWidth(240)
        self.search_edit.setMaximumWidth(420)
        self.search_edit.textChanged.connect(lambda _t: self._filter_timer.start())
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

        self.readonly_banner = QLabel()
        self.readonly_banner.setObjectName("readonly-banner")
        self.readonly_banner.setStyleSheet(
            "background:#fff3b0; color:#6b4e00; padding:6px; font-weight:bold;"
        )
        self.readonly_banner.setVisible(False)
        self.lock_banner = QLabel()
        self.lock_banner.setStyleSheet("background:#e8eefc; color:#1d3c78; padding:4px;")
        self.lock_banner.setVisible(False)

        self.tree = QTreeView()
        self.tree.setObjectName("plan-tree")
        self.tree.setAlternatingRowColors(False)
        self.tree.setUniformRowHeights(True)
        self.tree.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.tree.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.AnyKeyPressed
        )
        self.delegate = PlanItemDelegate(self._department_names, self.tree)
        self.delegate.message.connect(self.show_message)
        self.tree.setItemDelegate(self.delegate)

        self.detail = DetailPanel()
        self.detail.message.connect(self.show_message)
        self.warnings = QListWidget()
        self.warnings.setObjectName("warnings")
        self.warnings.itemActivated.connect(self._warning_activated)
        self.warnings.itemClicked.connect(self._warning_activated)
        self.history = QTreeWidget()
        self.history.setObjectName("history")
        self.history.setHeaderLabels(["时间", "用户", "操作", "字段", "原值", "新值", "方式"])
        self.history.setRootIsDecorated(False)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.detail, "详情")
        self.tabs.addTab(self.warnings, "预警")
        self.tabs.addTab(self.history, "修改记录")
        self.charts = ChartsTab()
        self.charts.chapter_clicked.connect(self.select_row)
        self.tabs.addTab(self.charts, "图表")

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
        layout.addWidget(self.readonly_banner)
        self.scope_banner = QLabel()
        self.scope_banner.setStyleSheet("background:#e6f4ea; color:#1e5b2a; padding:4px;")
        self.scope_banner.setVisible(False)
        layout.addWidget(self.lock_banner)
        layout.addWidget(self.scope_banner)
        layout.addWidget(splitter)
        self.setCentralWidget(central)
        self.statusBar().showMessage("就绪")
        self.presence_label = QLabel()
        self.presence_label.setObjectName("presence")
        self.presence_label.setVisible(False)
        self.statusBar().addPermanentWidget(self.presence_label)
        self.pending_button = QPushButton()
        self.pending_button.setObjectName("pending")
        self.pending_button.setStyleSheet("color:#b3261e; font-weight:bold;")
        self.pending_button.setVisible(False)
        self.pending_button.clicked.connect(self.retry_pending)
        self.statusBar().addPermanentWidget(self.pending_button)
        # Banners carry user text (department, user and file names): never read it as HTML.
        for label in (
            self.readonly_banner,
            self.lock_banner,
            self.scope_banner,
            self.presence_label,
        ):
            label.setTextFormat(Qt.TextFormat.PlainText)

    # -- files --

    def open_path(self, path: str | Path, quarter: int | None = None) -> bool:
        """Open a plan file; on any problem show why and keep what was open."""
        path = Path(path)
        try:
            store = Store.open(path, before_migrate=lambda p: backup_file(p, "migration"))
        except (CorruptError, TruncatedError) as exc:
            return self._offer_restore(path, exc)
        except (StoreError, OSError) as exc:
            show_error(self, exc)
            return False
        if not store.readonly and daily_backup_due(path):
            # After the window has drawn the plan: a big file's copy should not delay it.
            QTimer.singleShot(1500, self, lambda s=store: self._daily_backup(s))
        try:
            workspace = Workspace(store, quarter=quarter)
        except StoreError as exc:
            store.close()
            show_error(self, exc)
            return False
        self.set_workspace(workspace)
        self._remember_recent(path)
        self.file_opened.emit(str(path))
        return True

    def _daily_backup(self, store: Store) -> None:
        if self.workspace is None or self.workspace.store is not store:
            return  # another file was opened meanwhile
        try:
            copy = take_backup(store.database, "daily")
            problems = full_check(copy)
        except (StoreError, OSError) as exc:
            self.show_message(f"自动备份失败：{describe(exc)[1]}")
            return
        if problems:
            QMessageBox.warning(
                self,
                "文件可能已损坏",
                "每日检查发现此文件的内部结构有错误（例如索引损坏）。建议尽快用“从备份恢复”恢复到较早的备份，"
                f"并联系信息管理人员。\n\n技术信息：{'; '.join(problems[:3])}",
            )

    def _offer_restore(self, path: Path, exc: StoreError) -> bool:
        """A damaged file: say so, and offer the newest good backup (never write the file)."""
        title, text = describe(exc)
        backup = newest_good_backup(path)
        if backup is None:
            show_error(self, exc)
            return False
        answer = QMessageBox.question(
            self,
            title,
            f"{text}\n\n找到可用的备份：{backup.label}\n是否用该备份恢复？（损坏的文件会被改名保留，不会删除）",
        )
        if answer != QMessageBox.StandardButton.Yes:
            return False
        try:
            aside = restore_damaged(path, backup.path)
        except (StoreError, OSError) as restore_error:
            show_error(self, restore_error)
            return False
        self.show_message(f"已从备份恢复；损坏的文件保存为 {aside.name}")
        return self.open_path(path)

    def set_workspace(self, workspace: Workspace) -> None:
        if self.watcher is not None:
            self.watcher.stop()
            self.watcher.deleteLater()
            self.watcher = None
        if self.workspace is not None and self.workspace.store is not workspace.store:
            self.workspace.store.close()
        self.pending.clear()
        self.workspace = workspace
        self.row_filter = RowFilter(workspace)
        # Search texts are built when the app is idle after opening, not on the first keystroke.
        QTimer.singleShot(0, self, self.row_filter.warm)
        self.model = PlanTreeModel(workspace, self)
        self.model.pending = self.pending
        self.detail.pending = self.pending
        self.watcher = FileWatcher(workspace.store, self)
        self.watcher.changed_elsewhere.connect(self.reload_from_elsewhere)
        self.watcher.others_changed.connect(self._show_others)
        self.watcher.lost.connect(self._file_lost)
        self.watcher.start()
        if self.undo is not None:
            self.undo.stack.deleteLater()
        self.undo = UndoController(workspace, self._edit_applied, self._edit_failed, self)
        self.undo.stack.indexChanged.connect(self._update_actions)
        self.model.submit_edit = self.undo.submit
        self.tree.setModel(self.model)
        self.tree.selectionModel().currentChanged.connect(self._current_changed)
        header = self.tree.header()
        header.setSectionResizeMode(PlanTreeModel.COL_NAME, QHeaderView.ResizeMode.Stretch)
        header.setStretchLastSection(False)
        for column, width in ((0, 120), (2, 110), (3, 70), (4, 80), (5, 60), (6, 100), (7, 100)):
            self.tree.setColumnWidth(column, width)
        self.tree.expandToDepth(0)
        self.detail.set_workspace(workspace)
        self.detail.submit = self.undo.submit
        self.charts.set_workspace(workspace)
        self.quarter_combo.clear()
        for q in range(1, 5):
            self.quarter_combo.addItem(Quarter(workspace.plan.year, q).label, q)
        self.quarter_combo.setCurrentIndex(workspace.quarter - 1)
        self._fill_department_filter()
        self.readonly_banner.setText(
            "只读模式：文件所在位置不可写入（写保护U盘或只读共享目录），所有修改都不会保存。"
        )
        self.readonly_banner.setVisible(workspace.readonly)
        scope = workspace.store.meta().get("scope", "")
        self.scope_banner.setText(
            f"部门填报文件：{scope.removeprefix('department:')}。填报后请交回规划办，用“合并副本”并入主文件。"
        )
        self.scope_banner.setVisible(scope.startswith("department:"))
        self._refresh_after_change()
        self._update_title()
        self._update_actions()

    def choose_and_open(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "打开计划数据文件", self._last_dir(), PLAN_FILE_FILTER
        )
        if path:
            self.open_any(Path(path))

    def open_any(self, path: Path) -> None:
        """Open a plan file, or start a new one from a plan text (.txt/.docx)."""
        if path.suffix.lower() in (".txt", ".docx"):
            self.new_from_text(path)
        else:
            self.open_path(path)

    def new_from_text(self, text_path: Path | None = None) -> None:
        if not isinstance(text_path, Path):
            chosen, _ = QFileDialog.getOpenFileName(
                self, "选择计划文本", self._last_dir(), PLAN_TEXT_FILTER
            )
            if not chosen:
                return
            text_path = Path(chosen)
        try:
            result = read_plan_file(text_path)
        except Exception as exc:
            show_error(self, exc)
            return
        if not result.plan.chapters:
            QMessageBox.warning(
                self,
                "无法识别",
                f"在“{text_path.name}”中没有找到“一、……”形式的章节标题，未创建文件。",
            )
            return
        target, _ = QFileDialog.getSaveFileName(
            self, "保存新的计划数据文件", str(text_path.with_suffix(".sqlite")), PLAN_FILE_FILTER
        )
        if not target:
            return
        target_path = Path(target)
        if target_path.exists():
            QMessageBox.warning(
                self,
                "文件已存在",
                f"“{target_path}”已存在。请另选文件名，或用“导入计划文本”加入已有文件。",
            )
            return
        try:
            Store.create(target_path, result.plan).close()
        except Exception as exc:
            show_error(self, exc)
            return
        self.open_path(target_path)
        self._report_ignored(result)

    def import_plan_text(self) -> None:
        if self.workspace is None:
            self.new_from_text()
            return
        chosen, _ = QFileDialog.getOpenFileName(
            self, "导入计划文本", self._last_dir(), PLAN_TEXT_FILTER
        )
        if not chosen:
            return
        try:
            result = read_plan_file(chosen)
            take_backup(self.workspace.store.database, "import")
            try:
                self.workspace.store.import_plan(result.plan)
            except PlanExistsError:
                answer = QMessageBox.question(
                    self,
                    "计划已存在",
                    f"文件中已有 {result.plan.year} 年的计划。是否用新文本替换？（原计划及其填报数据将被删除，可在修改记录中追溯）",
                )
                if answer != QMessageBox.StandardButton.Yes:
                    return
                self.workspace.store.import_plan(result.plan, replace=True)
        except Exception as exc:
            show_error(self, exc)
            return
        store = self.workspace.store
        self.set_workspace(Workspace(store, plan_id=result.plan.id, quarter=self.workspace.quarter))
        self._report_ignored(result)

    def _report_ignored(self, result: Any) -> None:
        if result.ignored:
            lines = "\n".join(f"第 {e.line} 行：{e.text}" for e in result.ignored[:20])
            QMessageBox.information(
                self, "部分内容未识别", f"以下内容无法归入任何事项，已忽略：\n{lines}"
            )

    def save_copy(self) -> None:
        if self.workspace is None:
            return
        current = self.workspace.store.path
        suggestion = current.with_name(f"{current.stem}-副本-{datetime.now():%Y%m%d}.sqlite")
        target, _ = QFileDialog.getSaveFileName(
            self, "另存为/备份副本", str(suggestion), PLAN_FILE_FILTER
        )
        if not target:
            return
        if Path(target).resolve() == current.resolve():
            QMessageBox.warning(self, "无法保存", "副本不能覆盖当前打开的文件。")
            return
        try:
            self.workspace.store.database.backup_to(target)
        except Exception as exc:
            show_error(self, exc)
            return
        self.show_message(f"副本已保存到 {target}")

    def _last_dir(self) -> str:
        recent = self.recent_files()
        return str(Path(recent[0]).parent) if recent else str(Path.home())

    def recent_files(self) -> list[str]:
        value = self.settings.value("recent/files", [])
        if isinstance(value, str):
            value = [value]
        return [str(v) for v in value or []]

    def _remember_recent(self, path: Path) -> None:
        entry = str(path.resolve())
        files = [f for f in self.recent_files() if f != entry]
        self.settings.setValue("recent/files", [entry, *files][:MAX_RECENT])
        self._fill_recent_menu()

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        files = self.recent_files()
        for number, name in enumerate(files, start=1):
            action = self.recent_menu.addAction(f"&{number} {name}")
            action.triggered.connect(lambda _c=False, n=name: self.open_path(n))
        self.recent_menu.setEnabled(bool(files))

    # -- drag and drop --

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls() and any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        for url in event.mimeData().urls():
            if url.isLocalFile():
                self.open_any(Path(url.toLocalFile()))
                event.acceptProposedAction()
                return

    # -- quarters --

    def set_quarter(self, quarter: int) -> None:
        if self.workspace is None or not 1 <= quarter <= 4:
            return
        self.detail.flush()  # a text typed for this quarter belongs to this quarter
        self.workspace.set_quarter(quarter)
        self.quarter_combo.setCurrentIndex(quarter - 1)
        self._refresh_after_change()
        self.charts.mark_dirty()

    def toggle_lock(self) -> None:
        ws = self.workspace
        if ws is None:
            return
        self.detail.flush()
        label = ws.quarter_label
        try:
            if ws.locked():
                answer = QMessageBox.question(
                    self,
                    "解锁季度",
                    f"{label}已锁定（报告已印发）。确定要解锁并允许修改吗？此操作将被记录。",
                )
                if answer != QMessageBox.StandardButton.Yes:
                    return
                ws.unlock_quarter()
                self.show_message(f"{label}已解锁")
            else:
                answer = QMessageBox.question(
                    self,
                    "锁定季度",
                    f"锁定{label}后，该季度的实际值和进展将被冻结并保存快照。确定锁定吗？",
                )
                if answer != QMessageBox.StandardButton.Yes:
                    return
                ws.lock_quarter()
                self.show_message(f"{label}已锁定")
        except Exception as exc:
            show_error(self, exc)
        self._refresh_after_change()

    # -- edits --

    def _edit_applied(self, edit: Edit | None) -> None:
        """An edit committed (None: a structural change, which rebuilds the tree)."""
        assert self.model is not None and self.workspace is not None
        if edit is not None and self.pending.pop(pending_key(edit), None) is not None:
            self._update_pending()
        if self.row_filter:
            item = self.workspace.item_of(edit.row_id) if edit is not None else None
            self.row_filter.invalidate(
                None if edit is None else [edit.row_id, *([item.id] if item and item.id else [])]
            )
        if edit is None:
            self._rebuild_tree()
            label = self.undo.stack.undoText() if self.undo else ""
        else:
            self.model.refresh_rows([edit.row_id])
            label = edit.label
        self._refresh_side_panels(warnings_now=False)
        self.charts.mark_dirty()
        self.show_message(f"已保存：{label}（{datetime.now():%H:%M:%S}）")
        self._update_actions()

    def _rebuild_tree(self, select: str | None = None) -> None:
        """Re-read the tree's rows, keeping what was expanded and selected."""
        assert self.model is not None
        current = self.tree.currentIndex()
        select = select or (current.data(PlanTreeModel.RowIdRole) if current.isValid() else None)
        expanded = self._expanded_ids()
        self.model.rebuild()
        for row_id in expanded:
            index = self.model.index_of(row_id)
            if index.isValid():
                self.tree.setExpanded(index, True)
        if select:
            self.select_row(select)

    def _expanded_ids(self) -> list[str]:
        found = []
        pending = [QModelIndex()]
        while pending:
            parent = pending.pop()
            for row in range(self.model.rowCount(parent)):
                index = self.model.index(row, 0, parent)
                if self.tree.isExpanded(index):
                    found.append(index.data(PlanTreeModel.RowIdRole))
                    pending.append(index)
        return found

    def _edit_failed(self, exc: BaseException, edit: Edit | None) -> None:
        self.statusBar().showMessage(f"未保存：{edit.label if edit else '结构调整'}", 10000)
        if edit is not None and isinstance(exc, (BusyError, WriteFailedError, FileMissingError)):
            self.pending[pending_key(edit)] = edit
            self._update_pending()
        # Edits fail inside the view's commit (setData): report once that call has returned,
        # so no dialog loop or model reload runs underneath the item view.
        QTimer.singleShot(0, self, lambda: self._report_failure(exc, edit))

    def _report_failure(self, exc: BaseException, edit: Edit | None) -> None:
        if isinstance(exc, ConflictError) and self.workspace is not None and edit is not None:
            self._resolve_conflict(exc, edit)
            return
        show_error(self, exc)

    def _resolve_conflict(self, exc: ConflictError, edit: Edit) -> None:
        """Someone else changed the value meanwhile: show both and let the user choose."""
        assert self.workspace is not None and self.undo is not None
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle("数据已被他人修改")
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setText(
            f"“{edit.label}”：在您读取之后，其他用户已修改了该数据。\n\n"
            f"您读取时的值：{_show(edit.old)}\n其他用户改为：{_show(exc.actual)}\n您要保存的值：{_show(edit.new)}"
        )
        box.addButton("保留其他用户的值", QMessageBox.ButtonRole.RejectRole)
        overwrite = box.addButton("用我的值覆盖", QMessageBox.ButtonRole.AcceptRole)
        box.exec()
        if self.pending.pop(pending_key(edit), None) is not None:
            self._update_pending()
        self.workspace.reload()
        if box.clickedButton() is overwrite:
            fresh = self.workspace.make_edit(
                edit.target, edit.row_id, edit.field, edit.new, edit.quarter
            )
            self.undo.submit(fresh)
        self._refresh_after_change()

    def do_undo(self) -> None:
        if self.undo is not None:
            self.undo.undo()

    def do_redo(self) -> None:
        if self.undo is not None:
            self.undo.redo()

    # -- the shared file --

    def retry_pending(self) -> None:
        """Try again to save the edits the file did not take."""
        if self.undo is None:
            return
        for edit in list(self.pending.values()):
            # The original edit expects the value the clerk saw: if someone else has changed
            # it since, the retry shows both values instead of overwriting theirs.
            if not self.undo.submit(edit):
                break
        self._update_pending()

    def _update_pending(self) -> None:
        count = len(self.pending)
        self.pending_button.setVisible(count > 0)
        self.pending_button.setText(f"⚠ {count} 项修改未保存，点击重试")
        if self.model is not None:
            self.model.refresh_all()

    def reload_from_elsewhere(self) -> None:
        """Another clerk committed: re-read, keeping selection, expansion and scroll position."""
        if self.workspace is None or self.model is None:
            return
        if self.tree.state() == QAbstractItemView.State.EditingState:
            QTimer.singleShot(1000, self.reload_from_elsewhere)  # after the user's own edit
            return
        self.detail.flush()
        before = self.model.structure()
        scroll = self.tree.verticalScrollBar().value()
        try:
            self.workspace.reload()
        except StoreError as exc:
            self._file_lost(exc)
            return
        if self.row_filter is not None:
            self.row_filter.invalidate()
        if self.model.structure_of(self.workspace) != before:
            self._rebuild_tree()
        else:
            self.model.refresh_all()
        self._fill_department_filter()
        self._refresh_side_panels()
        self.charts.mark_dirty()
        self.tree.verticalScrollBar().setValue(scroll)
        self.show_message(f"已载入其他用户保存的修改（{datetime.now():%H:%M:%S}）")

    def _show_others(self, others: list) -> None:
        if others:
            names = "、".join(p.label for p in others)
            self.presence_label.setText(f"👥 同时打开：{names}")
            self.presence_label.setToolTip(
                "这些用户也打开了此文件。您的每次修改都会立即保存，并能看到他们保存的修改。"
            )
        self.presence_label.setVisible(bool(others))

    def _file_lost(self, exc: BaseException) -> None:
        self.readonly_banner.setText(f"无法访问文件：{describe(exc)[1]} 修改将不会保存。")
        self.readonly_banner.setVisible(True)
        if self.watcher is not None:
            self.watcher.poll_timer.stop()

    def merge_copy(self) -> None:
        ws = self.workspace
        if ws is None or ws.readonly:
            return
        chosen, _ = QFileDialog.getOpenFileName(
            self, "选择要合并的副本", self._last_dir(), PLAN_FILE_FILTER
        )
        if not chosen:
            return
        self.merge_from(Path(chosen))

    def merge_from(self, copy_path: Path) -> bool:
        ws = self.workspace
        if ws is None:
            return False
        try:
            preview = plan_merge(ws.store, copy_path)
        except (StoreError, OSError) as exc:
            show_error(self, exc)
            return False
        if preview.nothing_to_do:
            QMessageBox.information(self, "合并副本", "副本中没有新的修改，无需合并。")
            return True
        dialog = MergeDialog(preview, self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return False
        try:
            count = apply_merge(ws.store, preview, resolutions=dialog.resolutions())
        except (StoreError, OSError) as exc:
            show_error(self, exc)
            return False
        self.reload()
        self.undo.clear() if self.undo else None
        self.show_message(f"合并完成：{count} 项修改已写入（合并前已自动备份）")
        return True

    def export_department_file(self) -> None:
        ws = self.workspace
        if ws is None:
            return
        names = [d.name for d in ws.data.departments]
        if not names:
            QMessageBox.information(
                self, "导出部门填报文件", "还没有单位。请先在“单位管理”中添加单位并指定牵头单位。"
            )
            return
        name, ok = QInputDialog.getItem(self, "导出部门填报文件", "单位：", names, 0, False)
        if not ok:
            return
        suggestion = ws.store.path.with_name(f"{ws.store.path.stem}-{name}-填报.sqlite")
        target, _ = QFileDialog.getSaveFileName(
            self, "保存部门填报文件", str(suggestion), PLAN_FILE_FILTER
        )
        if not target:
            return
        try:
            export_department_file(ws.store, name, target)
        except (StoreError, OSError) as exc:
            show_error(self, exc)
            return
        self.show_message(f"已导出 {name} 的填报文件：{target}")

    def restore_backup(self) -> None:
        ws = self.workspace
        if ws is None or ws.readonly:
            return
        dialog = RestoreDialog(ws.store.path, self)
        if dialog.exec() != QDialog.DialogCode.Accepted or dialog.chosen() is None:
            return
        try:
            restore(ws.store.database, dialog.chosen())  # type: ignore[arg-type]
        except (StoreError, OSError) as exc:
            show_error(self, exc)
            return
        self.reload()
        if self.undo:
            self.undo.clear()
        self.show_message("已从备份恢复（恢复前的内容已另行备份）")

    def generate_report(self) -> None:
        if self.workspace is not None:
            path = generate_report(self, self.workspace)
            if path is not None:
                self.show_message(f"季度报告已生成：{path}")

    def export_excel(self) -> None:
        if self.workspace is not None:
            path = export_to_excel(self, self.workspace)
            if path is not None:
                self.show_message(f"已导出 Excel：{path}")

    def import_excel(self) -> None:
        if self.workspace is None or self.workspace.readonly:
            return
        count = import_from_excel(self, self.workspace)
        if count:
            self.reload()
            self.show_message(f"已从 Excel 导入 {count} 项（可在修改记录中查看）")

    def backup_now(self) -> None:
        if self.workspace is None:
            return
        try:
            path = take_backup(self.workspace.store.database, "manual")
        except (StoreError, OSError) as exc:
            show_error(self, exc)
            return
        self.show_message(f"已备份到 {path}")

    # -- structure --

    def _selected(self) -> tuple[str | None, str | None]:
        current = self.tree.currentIndex()
        if not current.isValid():
            return None, None
        return current.data(PlanTreeModel.RowIdRole), current.data(PlanTreeModel.KindRole)

    def add_item(self) -> None:
        ws = self.workspace
        row_id, kind = self._selected()
        if ws is None or self.undo is None or row_id is None:
            self.show_message("请先选择一个章节或事项")
            return
        chapter_id = row_id if kind == "chapter" else ws.parent.get(ws.item_of(row_id).id or "")  # type: ignore[union-attr]
        after = ws.item_of(row_id).id if kind != "chapter" else None  # type: ignore[union-attr]
        created: list[str] = []

        def action() -> list:
            new_id, changes = ws.add_item(chapter_id, after)
            created.append(new_id)
            return changes

        if self.undo.submit_structure("添加事项", action) and created:
            self._rebuild_tree(select=created[0])

    def add_indicator(self) -> None:
        ws = self.workspace
        row_id, kind = self._selected()
        if ws is None or self.undo is None or row_id is None or kind == "chapter":
            self.show_message("请先选择一个事项或指标")
            return
        item = ws.item_of(row_id)
        assert item is not None and item.id is not None
        after = row_id if kind == "indicator" else None
        created: list[str] = []

        def action() -> list:
            new_id, changes = ws.add_indicator(item.id or "", after)
            created.append(new_id)
            return changes

        if self.undo.submit_structure("添加指标", action) and created:
            self._rebuild_tree(select=created[0])

    def remove_selected(self) -> None:
        ws = self.workspace
        row_id, kind = self._selected()
        if ws is None or self.undo is None or row_id is None:
            return
        names = {"chapter": "章节", "item": "事项", "indicator": "指标"}
        answer = QMessageBox.question(
            self,
            f"删除{names[kind or 'item']}",
            f"确定删除所选{names[kind or 'item']}及其下属内容和填报数据吗？可以用“撤销”恢复。",
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        self.undo.submit_structure(f"删除{names[kind or 'item']}", lambda: ws.remove(row_id))

    def move_selected(self, delta: int) -> None:
        ws = self.workspace
        row_id, _kind = self._selected()
        if ws is None or self.undo is None or row_id is None:
            return
        if self.undo.submit_structure("调整顺序", lambda: ws.move(row_id, delta)):
            self._rebuild_tree(select=row_id)

    def manage_departments(self) -> None:
        if self.workspace is None:
            return
        dialog = DepartmentsDialog(self.workspace, self)
        dialog.exec()
        if dialog.changed:
            self.workspace.reload()
            self._fill_department_filter()
            self._refresh_after_change()

    # -- refreshing --

    def reload(self) -> None:
        if self.workspace is None:
            return
        try:
            self.workspace.reload()
        except Exception as exc:
            show_error(self, exc)
            return
        if self.model is not None:
            self.model.rebuild()
            self.tree.expandToDepth(0)
        self._refresh_after_change()

    def _refresh_after_change(self) -> None:
        if self.model is not None:
            self.model.refresh_all()
        if self.row_filter is not None:
            self.row_filter.invalidate()
        self._refresh_side_panels()
        self._update_actions()

    def _refresh_side_panels(self, warnings_now: bool = True) -> None:
        ws = self.workspace
        if ws is None:
            return
        current = self.tree.currentIndex()
        row_id = current.data(PlanTreeModel.RowIdRole) if current.isValid() else None
        kind = current.data(PlanTreeModel.KindRole) if current.isValid() else None
        self.detail.show_row(row_id, kind)
        if warnings_now:
            self._fill_warnings()
        else:
            # After an edit the 预警 list follows a moment later, so typing figures into a big
            # plan never waits for thousands of warnings to be rebuilt.
            self._warnings_timer.start()
        self._fill_history(row_id, kind)
        locked = ws.locked()
        self.lock_banner.setVisible(locked)
        if locked:
            lock = ws.data.locks[ws.quarter]
            self.lock_banner.setText(
                f"{ws.quarter_label}已锁定（{lock.locked_by}，{lock.locked_at}）：数据已冻结，如需修改请先解锁。"
            )
        if self.filter_active():
            # Deferred: this runs inside the view's own commit of an edit, where resetting
            # the model would pull the current row (and the editor) out from under it.
            self._filter_timer.start()

    def _fill_warnings(self) -> None:
        if self.workspace is None:
            return
        self.warnings.clear()
        icons = {"lagging": "🔴", "overdue": "⏰", "due_soon": "⏳", "no_progress": "📝"}
        found = self.workspace.warnings()
        for warning in found:
            entry = QListWidgetItem(f"{icons.get(warning.kind, '')} {warning.message}")
            entry.setData(Qt.ItemDataRole.UserRole, warning.row_id)
            self.warnings.addItem(entry)
        self.tabs.setTabText(1, f"预警 ({len(found)})")

    def _fill_history(self, row_id: str | None, kind: str | None) -> None:
        self.history.clear()
        ws = self.workspace
        if ws is None or row_id is None or kind is None:
            return
        item = ws.item_of(row_id) if kind != "chapter" else None
        ids = [row_id]
        if item is not None and item.id:
            ids = [item.id, *[pair_id(item.id, q) for q in range(1, 5)]]
            for indicator in item.indicators:
                if indicator.id:
                    ids.extend([indicator.id, *[pair_id(indicator.id, q) for q in range(1, 5)]])
        try:
            changes = ws.store.history(ids, limit=500)
        except StoreError:
            return
        for change in changes:
            entry = QTreeWidgetItem(
                [
                    change.ts[:19].replace("T", " "),
                    f"{change.user}@{change.machine}",
                    change.summary,
                    change.field or change.op,
                    _show(change.old),
                    _show(change.new),
                    change.source,
                ]
            )
            self.history.addTopLevelItem(entry)

    # -- filtering --

    def filter_active(self) -> bool:
        return bool(
            self.search_edit.text().strip()
            or self.department_filter.currentData()
            or self.status_filter.currentData()
        )

    def apply_filter(self) -> None:
        if self.row_filter is None or self.model is None:
            return
        allowed = self.row_filter.matching(
            self.search_edit.text(),
            self.department_filter.currentData() or "",
            self.status_filter.currentData() or "",
        )
        current = self.tree.currentIndex()
        keep = current.data(PlanTreeModel.RowIdRole) if current.isValid() else None
        column = current.column() if current.isValid() else 0
        self.model.set_filter(allowed)
        if allowed is not None:
            # Expanding thousands of rows costs more than the filtering itself; a broad
            # match opens the chapters only.
            if len(allowed) <= 400:
                self.tree.expandAll()
            else:
                self.tree.expandToDepth(0)
            self.statusBar().showMessage(f"筛选结果：{len(allowed)} 条")
        if keep:
            index = self.model.index_of(keep, column)
            if index.isValid():
                self.tree.setCurrentIndex(index)

    def _fill_department_filter(self) -> None:
        current = self.department_filter.currentData()
        self.department_filter.clear()
        self.department_filter.addItem("全部单位", "")
        for name in self._department_names():
            self.department_filter.addItem(name, name)
        position = self.department_filter.findData(current)
        self.department_filter.setCurrentIndex(max(0, position))

    def _department_names(self) -> list[str]:
        return [d.name for d in self.workspace.data.departments] if self.workspace else []

    def focus_search(self) -> None:
        self.search_edit.setFocus()
        self.search_edit.selectAll()

    # -- selection --

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        row_id = current.data(PlanTreeModel.RowIdRole) if current.isValid() else None
        kind = current.data(PlanTreeModel.KindRole) if current.isValid() else None
        self.detail.show_row(row_id, kind)
        self._fill_history(row_id, kind)
        if kind == "indicator":
            self.charts.set_indicator(row_id)
        self._update_actions()

    def select_row(self, row_id: str) -> bool:
        if self.model is None:
            return False
        index = self.model.index_of(row_id)
        if not index.isValid() and self.model.allowed is not None:
            # Hidden by the filter: clear it so the row can be shown.
            self.search_edit.clear()
            self.status_filter.setCurrentIndex(0)
            self.department_filter.setCurrentIndex(0)
            self.apply_filter()
            index = self.model.index_of(row_id)
        if not index.isValid():
            return False
        self.tree.scrollTo(index)
        self.tree.setCurrentIndex(index)
        self.tree.setFocus()
        return True

    def _warning_activated(self, entry: QListWidgetItem) -> None:
        row_id = entry.data(Qt.ItemDataRole.UserRole)
        if row_id:
            self.select_row(row_id)

    # -- chrome --

    def show_message(self, text: str) -> None:
        self.statusBar().showMessage(text, 8000)

    def _update_title(self) -> None:
        if self.workspace is None:
            self.setWindowTitle("静安区政府重点工作跟踪")
            return
        suffix = "（只读）" if self.workspace.readonly else ""
        self.setWindowTitle(
            f"{self.workspace.store.path.name}{suffix} — {self.workspace.plan.title} — 静安区政府重点工作跟踪"
        )
        self.setWindowFilePath(str(self.workspace.store.path))

    def _update_actions(self, *_args: object) -> None:
        has = self.workspace is not None
        writable = has and not self.workspace.readonly  # type: ignore[union-attr]
        for action in (
            self.act_save_copy,
            self.act_find,
            self.act_reload,
            self.act_expand,
            self.act_collapse,
        ):
            action.setEnabled(has)
        self.act_import.setEnabled(writable or not has)
        row_id, kind = self._selected() if has else (None, None)
        for action in (self.act_add_item, self.act_remove, self.act_move_up, self.act_move_down):
            action.setEnabled(writable and row_id is not None)
        self.act_add_indicator.setEnabled(writable and kind in ("item", "indicator"))
        self.act_departments.setEnabled(has)
        for action in (self.act_report, self.act_export_excel):
            action.setEnabled(has)
        for action in (self.act_merge, self.act_restore, self.act_retry, self.act_import_excel):
            action.setEnabled(writable)
        for action in (self.act_export_department, self.act_backup):
            action.setEnabled(has)
        self.act_lock.setEnabled(writable)
        if has and self.workspace is not None:
            self.act_lock.setText("解锁本季度(&L)" if self.workspace.locked() else "锁定本季度(&L)")
        stack = self.undo.stack if self.undo else None
        can_undo = bool(stack and stack.canUndo()) and writable
        can_redo = bool(stack and stack.canRedo()) and writable
        self.act_undo.setEnabled(can_undo)
        self.act_redo.setEnabled(can_redo)
        self.act_undo.setText(f"撤销 {stack.undoText()}" if can_undo and stack else "撤销")
        self.act_redo.setText(f"重做 {stack.redoText()}" if can_redo and stack else "重做")

    def about(self) -> None:
        from .. import __version__

        QMessageBox.about(
            self,
            "关于",
            f"静安区政府重点工作跟踪 {__version__}\n\n离线使用：计划、季度实际值、进展和修改记录保存在一个 SQLite 文件中。\n"
            "内置字体：文泉驿微米黑（Apache-2.0）。",
        )

    def closeEvent(self, event: QCloseEvent) -> None:
        # A progress text being typed is saved when the editor loses focus; make sure it does.
        focus = self.focusWidget()
        if focus is not None:
            focus.clearFocus()
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.sync()
        if self.pending:
            answer = QMessageBox.question(
                self,
                "有修改未保存",
                f"还有 {len(self.pending)} 项修改没有保存到文件。是否再试一次保存？",
            )
            if answer == QMessageBox.StandardButton.Yes:
                self.retry_pending()
        if self.watcher is not None:
            self.watcher.stop()
        if self.workspace is not None:
            self.workspace.store.close()
            self.workspace = None
        super().closeEvent(event)


def _show(value: Any) -> str:
    if value is None:
        return "（空）"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dict):
        return "、".join(f"{k}={v}" for k, v in value.items() if k not in ("id",))[:80]
    return str(value)


__all__ = ["MainWindow", "describe"]
