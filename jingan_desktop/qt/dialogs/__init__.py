"""The dialogs, one module each: departments (单位管理, from the Designer form in ui/), merge
preview (合并副本), restore backup (从备份恢复), conflict (数据已被他人修改), excel import (导入
Excel preview), share conflicts (与共享文件的修改冲突).

A dialog takes what it shows in its constructor and answers after ``exec()`` (``chosen()``,
``resolutions()``, ``overwrite_chosen()``); the controller that opens it does the writing.
单位管理 is the exception: it edits the department list itself, and says ``changed``.
A new dialog: a module here, opened by the controller of its concern.
"""
