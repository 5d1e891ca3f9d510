"""What leaves the app: the PDF quarterly report and Excel sheets, and Excel coming back.

Each function runs one output with its dialogs (scope, file name, progress, preview) for a
``parent`` window; :class:`OutputsController` puts them behind the window's commands."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QFileDialog,
    QInputDialog,
    QMessageBox,
    QProgressDialog,
    QWidget,
)

from ...storage.files import no_viewer_reason, open_with_default_app
from ...workspace import Workspace
from ..messages import show_error
from .base import Controller

ALL_DEPARTMENTS = "（全部单位）"


def choose_department(parent: QWidget, workspace: Workspace, title: str) -> tuple[bool, str | None]:
    names = [d.name for d in workspace.data.departments]
    if not names:
        return True, None
    name, ok = QInputDialog.getItem(parent, title, "范围：", [ALL_DEPARTMENTS, *names], 0, False)
    return ok, (None if name == ALL_DEPARTMENTS else name)


def generate_report(
    parent: QWidget,
    workspace: Workspace,
    target: Path | None = None,
    department: str | None = None,
    open_after: bool = True,
) -> Path | None:
    """生成季度报告: a PDF with a progress dialog that can cancel; opened for printing after."""
    from ...outputs.report import ReportCancelled, build_report

    if target is None:
        ok, department = choose_department(parent, workspace, "生成季度报告")
        if not ok:
            return None
        scope = f"-{department}" if department else ""
        suggestion = workspace.store.path.with_name(
            f"{workspace.plan.year}年{workspace.quarter_label[5:]}工作进展报告{scope}.pdf"
        )
        chosen, _ = QFileDialog.getSaveFileName(
            parent, "保存季度报告", str(suggestion), "PDF 文件 (*.pdf)"
        )
        if not chosen:
            return None
        target = Path(chosen if chosen.lower().endswith(".pdf") else chosen + ".pdf")
    dialog = QProgressDialog("正在生成季度报告…", "取消", 0, 100, parent)
    dialog.setWindowTitle("生成季度报告")
    dialog.setWindowModality(Qt.WindowModality.WindowModal)
    dialog.setMinimumDuration(300)

    def progress(done: int, total: int) -> bool:
        dialog.setMaximum(max(total, 1))
        dialog.setValue(done)
        QApplication.processEvents()
        return not dialog.wasCanceled()

    try:
        build_report(workspace, target, department=department, progress=progress)
    except ReportCancelled:
        dialog.close()
        return None
    except Exception as exc:
        dialog.close()
        show_error(parent, exc)
        return None
    dialog.close()
    if open_after:
        open_in_viewer(parent, target)
    return target


def open_in_viewer(parent: QWidget, target: Path) -> bool:
    """Show a saved file in the clerk's default viewer; say plainly when there is none."""
    opened = QDesktopServices.openUrl(QUrl.fromLocalFile(str(target)))
    reason = "no program is registered to open this kind of file"
    if not opened:
        # Windows: ShellExecute itself, which also says why (and works where Qt's platform
        # plugin offers no desktop services, as the offscreen one).
        try:
            opened = open_with_default_app(target)
        except OSError as exc:
            reason = no_viewer_reason(exc)
    if not opened:
        QMessageBox.information(
            parent,
            "无法打开文件",
            f"文件已保存到“{target}”，但无法自动打开：本机没有可打开该类文件的程序"
            f"（如 PDF 阅读器）。请安装后在文件夹中双击打开。（技术信息：{reason}）",
        )
    return opened


def export_to_excel(parent: QWidget, workspace: Workspace) -> Path | None:
    from ...outputs.excel import export_excel  # openpyxl loads when first needed, not at start-up

    ok, department = choose_department(parent, workspace, "导出 Excel")
    if not ok:
        return None
    layouts = {"一个工作表（全部事项）": "flat", "每章一个工作表": "chapters"}
    layout, ok = QInputDialog.getItem(parent, "导出 Excel", "格式：", list(layouts), 0, False)
    if not ok:
        return None
    scope = f"-{department}" if department else ""
    suggestion = workspace.store.path.with_name(
        f"{workspace.plan.year}年{workspace.quarter_label[5:]}填报表{scope}.xlsx"
    )
    chosen, _ = QFileDialog.getSaveFileName(
        parent, "导出 Excel", str(suggestion), "Excel 工作簿 (*.xlsx)"
    )
    if not chosen:
        return None
    target = Path(chosen if chosen.lower().endswith(".xlsx") else chosen + ".xlsx")
    try:
        export_excel(workspace, target, layout=layouts[layout], department=department)  # type: ignore[arg-type]
    except Exception as exc:
        show_error(parent, exc)
        return None
    return target


def import_from_excel(
    parent: QWidget,
    workspace: Workspace,
    path: Path | None = None,
    write: Callable[[Any], int | None] | None = None,
) -> int | None:
    """导入 Excel: preview first, then write the changes in one transaction (through
    ``write(preview)`` when given: the window's undo stack)."""
    from ...outputs.excel import apply_import, preview_import

    if path is None:
        chosen, _ = QFileDialog.getOpenFileName(
            parent, "导入 Excel", str(workspace.store.path.parent), "Excel 工作簿 (*.xlsx)"
        )
        if not chosen:
            return None
        path = Path(chosen)
    try:
        preview = preview_import(workspace.store, workspace.plan.id, workspace.quarter, path)
    except Exception as exc:
        show_error(parent, exc)
        return None
    if not preview.changes and not preview.problems:
        QMessageBox.information(parent, "导入 Excel", "工作簿中没有与本文件不同的数据，无需导入。")
        return 0
    from ..dialogs.excel_import import ImportPreviewDialog

    if ImportPreviewDialog(preview, parent).exec() != QDialog.DialogCode.Accepted:
        return None
    try:
        return apply_import(workspace.store, preview) if write is None else write(preview)
    except Exception as exc:
        show_error(parent, exc)
        return None


class OutputsController(Controller):
    """The commands: 生成季度报告, 导出 Excel, 导入 Excel, with the window's messages after."""

    def generate_report(self) -> None:
        if self.workspace is not None:
            path = generate_report(self.window, self.workspace)
            if path is not None:
                self.show_message(f"季度报告已生成：{path}")

    def export_excel(self) -> None:
        if self.workspace is not None:
            path = export_to_excel(self.window, self.workspace)
            if path is not None:
                self.show_message(f"已导出 Excel：{path}")

    def import_excel(self) -> None:
        if self.workspace is None or self.workspace.readonly:
            return
        count = import_from_excel(self.window, self.workspace, write=self._import_undoably)
        if count:
            self.show_message(f"已从 Excel 导入 {count} 项（Ctrl+Z 可整体撤销）")

    def _import_undoably(self, preview: Any) -> int | None:
        """The import as ONE step of the undo stack, like a paste."""
        from ...outputs.excel import SOURCE, SUMMARY, apply_import

        ws, undo = self.workspace, self.window.editing.undo
        assert ws is not None and undo is not None
        counted: list[int] = []

        def action() -> list:
            with ws.store.write(SUMMARY, SOURCE) as w:
                counted.append(apply_import(ws.store, preview))
                changes = list(w.changes)
            ws.reload()
            return changes

        if not undo.submit_structure("导入 Excel", action):
            return None
        return counted[0]
