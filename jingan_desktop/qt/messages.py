"""Core errors as Chinese messages: the one place that turns exceptions into user text."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6 import QtWidgets
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from ..outputs.excel_errors import ExcelError, ExcelFormatError, ExcelTooLargeError
from ..storage import database as db
from ..storage.store import (
    ConflictError,
    InvalidValueError,
    PlanExistsError,
    QuarterLockedError,
    RowMissingError,
)

UNTOUCHED = "文件未作任何改动。"
NOT_SAVED = "本次修改未保存，已保留在界面中，可稍后重试。"
QUARTER_NAMES = ("", "第一季度", "第二季度", "第三季度", "第四季度")


def describe(exc: BaseException) -> tuple[str, str]:
    """(title, message) for an error, in Chinese."""
    # One flat list, the most specific error first (subclasses before their bases): it reads
    # better whole than split, and a new error is one more pair of lines in the right place.
    path = getattr(exc, "path", None) or ""
    if isinstance(exc, db.FileMissingError):
        return "找不到文件", f"文件“{path}”不存在或无法访问：可能已被移动、删除，或U盘已拔出。"
    if isinstance(exc, db.EmptyFileError):
        return "无法打开", f"文件“{path}”是空文件，不是计划数据文件。{UNTOUCHED}"
    if isinstance(exc, db.NotSQLiteError):
        return "无法打开", f"文件“{path}”不是计划数据文件（不是 SQLite 数据库）。{UNTOUCHED}"
    if isinstance(exc, db.NotOurFileError):
        return "无法打开", f"文件“{path}”是其他软件的数据库，不是本软件的计划数据文件。{UNTOUCHED}"
    if isinstance(exc, db.NewerSchemaError):
        return "需要升级软件", (
            f"文件“{path}”由更新版本的软件创建（数据格式第 {exc.found} 版，本软件支持到第 "
            f"{exc.supported} 版）。请升级软件后再打开。{UNTOUCHED}"
        )
    if isinstance(exc, db.TruncatedError):
        return "文件不完整", f"文件“{path}”不完整，可能复制时被中断。请重新复制该文件。{UNTOUCHED}"
    if isinstance(exc, db.CorruptError):
        return (
            "文件已损坏",
            f"文件“{path}”已损坏，请从备份恢复。{UNTOUCHED}（技术信息：{exc.detail}）",
        )
    if isinstance(exc, db.InterruptedSaveError):
        name = Path(str(path)).name
        return "上次保存被中断", (
            f"文件“{path}”上次保存时被中断（旁边还有“{name}-journal”文件），而该文件夹在本机"
            f"只读，无法恢复，所以暂时不能打开。请把这两个文件一起复制到可写的文件夹（如“文档”）"
            f"后再打开，软件会自动恢复到中断前的内容。{UNTOUCHED}"
        )
    if isinstance(exc, db.ReadOnlyError):
        return "只读文件", f"文件“{path}”为只读（写保护的U盘或只读共享目录）。{NOT_SAVED}"
    if isinstance(exc, db.JournalHeldError):
        return "文件正被占用", (
            f"文件“{path}”的日志文件（-journal）正被其他程序占用（备份、同步或杀毒软件？），"
            f"本次操作无法完成。数据没有丢失，请关闭该程序后重试。"
        )
    if isinstance(exc, db.BusyError):
        return "文件正被占用", f"另一位用户正在保存，文件暂时被锁定。{NOT_SAVED}"
    if isinstance(exc, db.WriteFailedError):
        return "保存失败", f"无法写入文件“{path}”（磁盘已满、没有写入权限或U盘已拔出）。{NOT_SAVED}"
    if isinstance(exc, QuarterLockedError):
        return "季度已锁定", f"{QUARTER_NAMES[exc.quarter]}的数据已锁定。如需修改，请先解锁本季度。"
    if isinstance(exc, ConflictError):
        return "数据已被他人修改", "该数据在您读取之后已被其他用户修改，本次修改未保存。"
    if isinstance(exc, RowMissingError):
        return "数据已不存在", "该条目已被删除（可能是其他用户所为），修改未保存。"
    if isinstance(exc, PlanExistsError):
        return "计划已存在", f"文件中已有 {exc.year} 年的计划。"
    if isinstance(exc, InvalidValueError):
        return "输入无效", f"输入的值无效：{exc.reason}。"
    if isinstance(exc, ExcelTooLargeError):
        return (
            "Excel 文件过大或异常",
            f"“{exc.path}”的内容远超计划表格应有的规模（可能是损坏或恶意构造的文件），"
            f"已停止读取，未导入任何数据。（技术信息：{exc.reason}）",
        )
    if isinstance(exc, ExcelFormatError):
        return (
            "无法读取 Excel",
            f"“{exc.path}”不是可读取的 Excel 工作簿（.xlsx），未导入任何数据。（技术信息：{exc.reason}）",
        )
    if isinstance(exc, ExcelError):
        return (
            "Excel 文件操作失败",
            f"无法处理“{exc.path}”：文件或文件夹不存在、没有权限，或文件正在 Excel 中打开。（技术信息：{exc.reason}）",
        )
    from ..plan.parser import PlanDecodeError  # loaded when a plan document was read

    if isinstance(exc, PlanDecodeError):
        return (
            "无法读取计划文本",
            f"“{exc.path}”不是可识别的计划文本（应为 UTF-8 或 GB18030 编码的文本，或 .docx 文档）。",
        )
    if isinstance(exc, IsADirectoryError):
        return "无法打开", f"“{exc.filename}”是文件夹，不是文件。"
    if isinstance(exc, PermissionError):
        return "没有权限", f"没有权限访问“{exc.filename}”。"
    if isinstance(exc, FileNotFoundError):
        return "找不到文件", f"文件“{exc.filename}”不存在。"
    if isinstance(exc, OSError):
        return "文件操作失败", f"文件操作失败：{exc.strerror or exc}"
    if isinstance(exc, db.StoreError):
        return "操作失败", f"操作失败：{exc}"
    return "程序错误", f"发生了意外错误：{type(exc).__name__}: {exc}"


# Set when the app runs without anyone to click a dialog (--screenshot, --self-check):
# errors then go to stderr instead of a modal box that would wait forever.
REPORT_TO_STDERR = False


def show_error(parent: QWidget | None, exc: BaseException) -> None:
    title, text = describe(exc)
    if REPORT_TO_STDERR:
        sys.stderr.write(f"{title}: {text}\n")
        return
    box = QtWidgets.QMessageBox(
        QtWidgets.QMessageBox.Icon.Warning,
        title,
        text,
        QtWidgets.QMessageBox.StandardButton.Ok,
        parent,
    )
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.exec()
