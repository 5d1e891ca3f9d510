"""The main window's controllers: one concern each, no widgets of their own.

    files.py        打开, 新建, 导入计划文本, 另存为, 最近打开, drag and drop
    shared_file.py  other clerks (presence, their commits), daily backups and 从备份恢复,
                    合并副本 and 部门填报文件, a file that goes away
    editing.py      edits through the undo stack, unsaved edits and their retry, conflicts
    structure.py    添加/删除/移动 rows, 单位管理
    quarters.py     the chosen quarter and its lock
    navigation.py   search and filters, the current row and the side panels, refreshing
    outputs.py      the PDF report, Excel out and in
    share_sync.py   a file on a network share: this PC's replica, its syncs and the
                    status bar's 网络共享 indicator, conflicts asked of the clerk

A controller subclasses :class:`.base.Controller`, is created in ``MainWindow.__init__`` (as
``window.<concern>``), and, if it keeps per-file state, is in the ``attach`` loop of
``MainWindow.set_workspace``. Its commands go in ``qt/commands.py``.
"""
