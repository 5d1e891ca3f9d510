"""The window's commands: every action with its shortcut and status tip, the menu bar, and
when each command is enabled.

The actions are attributes of the window (``window.act_undo``, ``window.quarter_actions`` …),
as menus, toolbar, tests and the benchmark use them; each one's slot is a controller's method.
A new command: its action in :func:`build_actions`, its menu entry in :func:`build_menus`,
its rule in :func:`update_actions`, and the work in the controller of its concern.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence


def _action(window: Any, text: str, shortcut: Any, slot: Any, tip: str = "") -> QAction:
    action = QAction(text, window)
    if shortcut:
        action.setShortcut(QKeySequence(shortcut))
    action.setStatusTip(tip or text)
    action.triggered.connect(slot)
    window.addAction(action)
    return action


def build_actions(window: Any) -> None:
    """Create the actions (before the widgets: the toolbar shows some of them)."""
    _file_actions(window)
    _edit_actions(window)
    _shared_file_actions(window)
    _output_actions(window)
    quarters = window.quarters
    window.quarter_actions = [
        _action(
            window,
            f"第{'一二三四'[q - 1]}季度",
            f"Ctrl+{q}",
            lambda _c=False, q=q: quarters.set_quarter(q),
        )
        for q in range(1, 5)
    ]


def _file_actions(window: Any) -> None:
    files = window.files
    window.act_new = _action(
        window,
        "新建(&N)…",
        QKeySequence.StandardKey.New,
        files.new_from_text,
        "从计划文本新建计划数据文件",
    )
    window.act_open = _action(
        window, "打开(&O)…", QKeySequence.StandardKey.Open, files.choose_and_open
    )
    window.act_save_as = _action(
        window, "另存为(&A)…", "Ctrl+Shift+S", files.save_as, "以新文件名保存，并继续编辑新文件"
    )
    window.act_save_copy = _action(
        window,
        "导出副本(&C)…",
        "Ctrl+Alt+S",
        files.save_copy,
        "另存一份副本（如拷到U盘），继续编辑本文件",
    )
    window.act_import = _action(window, "导入计划文本(&I)…", "Ctrl+I", files.import_plan_text)
    window.act_quit = _action(window, "退出(&X)", "Ctrl+Q", window.close)


def _edit_actions(window: Any) -> None:
    """Undo and redo, finding and moving around, the quarter's lock, the plan's rows."""
    editing, navigation, structure = window.editing, window.navigation, window.structure
    window.act_undo = _action(window, "撤销", QKeySequence.StandardKey.Undo, editing.do_undo)
    window.act_redo = _action(window, "重做", "Ctrl+Shift+Z", editing.do_redo)
    window.act_redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
    window.act_find = _action(
        window, "查找(&F)", QKeySequence.StandardKey.Find, navigation.focus_search
    )
    window.act_lock = _action(window, "锁定本季度(&L)", "Ctrl+L", window.quarters.toggle_lock)
    window.act_reload = _action(
        window, "刷新(&R)", QKeySequence.StandardKey.Refresh, navigation.reload
    )
    window.act_expand = _action(window, "全部展开", "Ctrl+E", lambda: window.tree.expandAll())
    window.act_collapse = _action(
        window, "全部折叠", "Ctrl+Shift+E", lambda: window.tree.collapseAll()
    )
    window.act_help = _action(
        window, "使用说明(&H)", QKeySequence.StandardKey.HelpContents, window.help.show_guide
    )
    window.act_about = _action(window, "关于(&A)", "Shift+F1", window.help.about)
    window.act_focus_tree = _action(window, "转到计划树", "Ctrl+T", lambda: window.tree.setFocus())
    window.tab_actions = [
        _action(
            window,
            f"转到{name}",
            f"Alt+{n}",
            lambda _c=False, n=n: window.tabs.setCurrentIndex(n - 1),
        )
        for n, name in enumerate(("详情", "预警", "修改记录", "图表"), start=1)
    ]
    window.act_add_item = _action(
        window, "添加事项", "Ctrl+Shift+N", structure.add_item, "在所选事项之后添加新事项"
    )
    window.act_add_indicator = _action(
        window, "添加指标", "Ctrl+Shift+I", structure.add_indicator, "为所选事项添加指标"
    )
    window.act_remove = _action(window, "删除所选", "Ctrl+Delete", structure.remove_selected)
    window.act_move_up = _action(window, "上移", "Alt+Up", lambda: structure.move_selected(-1))
    window.act_move_down = _action(window, "下移", "Alt+Down", lambda: structure.move_selected(1))
    window.act_departments = _action(
        window, "单位管理(&D)…", "Ctrl+Shift+D", structure.manage_departments
    )


def _shared_file_actions(window: Any) -> None:
    shared = window.shared_file
    window.act_merge = _action(
        window,
        "合并副本(&M)…",
        "Ctrl+M",
        shared.merge_copy,
        "把U盘或部门交回的副本中的修改合并到本文件",
    )
    window.act_export_department = _action(
        window, "导出部门填报文件…", "Ctrl+Shift+U", shared.export_department_file
    )
    window.act_restore = _action(window, "从备份恢复…", "Ctrl+Shift+B", shared.restore_backup)
    window.act_backup = _action(window, "立即备份", "Ctrl+B", shared.backup_now)
    window.act_retry = _action(window, "重试保存", "Ctrl+Shift+R", window.editing.retry_pending)


def _output_actions(window: Any) -> None:
    outputs = window.outputs
    window.act_report = _action(
        window,
        "生成季度报告(&P)…",
        "Ctrl+Shift+P",
        outputs.generate_report,
        "生成本季度的 PDF 工作进展报告",
    )
    window.act_print = _action(
        window,
        "打印(&P)…",
        QKeySequence.StandardKey.Print,
        outputs.print_,
        "打印当前计划树（按筛选）或季度报告，先预览",
    )
    window.act_export_excel = _action(window, "导出 Excel…", "Ctrl+Shift+X", outputs.export_excel)
    window.act_import_excel = _action(
        window,
        "导入 Excel…",
        "Ctrl+Shift+L",
        outputs.import_excel,
        "导入各单位填好的 Excel 表（先预览）",
    )


def build_tree_actions(window: Any) -> None:
    """复制, 粘贴, 清除: keys of the tree only (the search box and the 详情 texts keep their
    own Ctrl+C/Ctrl+V/Delete); the work is in qt/controllers/ledger.py."""
    ledger, tree = window.ledger, window.tree
    entries = (
        ("act_copy", "复制(&C)", QKeySequence.StandardKey.Copy, ledger.copy),
        ("act_paste", "粘贴(&V)", QKeySequence.StandardKey.Paste, ledger.paste),
        ("act_clear", "清除所选数字", QKeySequence.StandardKey.Delete, ledger.clear),
    )
    for name, text, shortcut, slot in entries:
        action = QAction(text, tree)
        action.setShortcut(QKeySequence(shortcut))
        action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        action.setStatusTip(text.replace("(&C)", "").replace("(&V)", ""))
        action.triggered.connect(slot)
        tree.addAction(action)
        setattr(window, name, action)


def build_menus(window: Any) -> None:
    """The menu bar: 文件, 编辑, 视图, 季度, 帮助."""
    bar = window.menuBar()
    menu = bar.addMenu("文件(&F)")
    menu.addActions([window.act_new, window.act_open])
    window.recent_menu = menu.addMenu("最近打开(&R)")
    for group in (
        [window.act_save_as, window.act_save_copy, window.act_import],
        [window.act_report, window.act_print, window.act_export_excel, window.act_import_excel],
        [window.act_merge, window.act_export_department],
        [window.act_backup, window.act_restore, window.act_retry],
    ):
        menu.addSeparator()
        menu.addActions(group)
    menu.addSeparator()
    menu.addAction(window.act_quit)
    edit = bar.addMenu("编辑(&E)")
    edit.addActions([window.act_undo, window.act_redo])
    edit.addSeparator()
    edit.addActions([window.act_copy, window.act_paste, window.act_clear])
    edit.addSeparator()
    edit.addActions(
        [
            window.act_add_item,
            window.act_add_indicator,
            window.act_remove,
            window.act_move_up,
            window.act_move_down,
        ]
    )
    edit.addSeparator()
    edit.addAction(window.act_departments)
    edit.addSeparator()
    edit.addAction(window.act_find)
    view = bar.addMenu("视图(&V)")
    view.addActions([*window.quarter_actions])
    view.addSeparator()
    view.addActions([window.act_expand, window.act_collapse, window.act_reload])
    view.addSeparator()
    view.addActions([window.act_focus_tree, *window.tab_actions])
    quarter = bar.addMenu("季度(&Q)")
    quarter.addAction(window.act_lock)
    help_menu = bar.addMenu("帮助(&H)")
    help_menu.addActions([window.act_help, window.act_about])


def update_actions(window: Any) -> None:
    """Enable what the open file allows: writing needs a writable file, row commands a row."""
    ws = window.workspace
    has = ws is not None
    writable = has and not ws.readonly
    for action in (
        window.act_save_as,
        window.act_save_copy,
        window.act_find,
        window.act_reload,
        window.act_expand,
        window.act_collapse,
    ):
        action.setEnabled(has)
    window.act_import.setEnabled(writable or not has)
    row_id, kind = window.navigation.current_row() if has else (None, None)
    for action in (
        window.act_add_item,
        window.act_remove,
        window.act_move_up,
        window.act_move_down,
    ):
        action.setEnabled(writable and row_id is not None)
    window.act_add_indicator.setEnabled(writable and kind in ("item", "indicator"))
    window.act_departments.setEnabled(has)
    for action in (window.act_report, window.act_print, window.act_export_excel):
        action.setEnabled(has)
    for action in (
        window.act_merge,
        window.act_restore,
        window.act_retry,
        window.act_import_excel,
    ):
        action.setEnabled(writable)
    for action in (window.act_export_department, window.act_backup):
        action.setEnabled(has)
    window.act_lock.setEnabled(writable)
    if has:
        window.act_lock.setText("解锁本季度(&L)" if ws.locked() else "锁定本季度(&L)")
    _update_undo(window, writable)


def _update_undo(window: Any, writable: bool) -> None:
    """撤销/重做 name what they would undo or redo (“撤销 修改实际值”)."""
    undo = window.editing.undo
    stack = undo.stack if undo else None
    can_undo = bool(stack and stack.canUndo()) and writable
    can_redo = bool(stack and stack.canRedo()) and writable
    window.act_undo.setEnabled(can_undo)
    window.act_redo.setEnabled(can_redo)
    window.act_undo.setText(f"撤销 {stack.undoText()}" if can_undo and stack else "撤销")
    window.act_redo.setText(f"重做 {stack.redoText()}" if can_redo and stack else "重做")
