"""What leaves the app: the PDF quarterly report and Excel sheets, and Excel coming back.

Each function runs one output with its dialogs (scope, file name, progress, preview) for a
``parent`` window; :class:`OutputsController` puts them behind the window's commands."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6 import QtCore, QtWidgets
from PySide6.QtCore import Qt
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QApplication, QProgressDialog, QWidget

from ...storage.files import no_viewer_reason, open_with_default_app
from ...workspace import Workspace
from ..messages import show_error
from .base import Controller

if TYPE_CHECKING:
    from ..dialogs.print_preview import PrintPreview

ALL_DEPARTMENTS = "（全部单位）"
# The report's layouts, as 生成季度报告 offers them (the first is the default).
REPORT_LAYOUTS = {
    "简报版式（封面、图表、彩色状态，内部跟踪用）": "brief",
    "公文版式（发文机关、标题、正文、落款日期，表格作附件）": "gongwen",
}


def start_folder(parent: QWidget, workspace: Workspace) -> Path:
    """Where an output's file dialog starts: the window's last folder (文档 at first), never
    the hidden data folder the default file lives in."""
    files = getattr(parent, "files", None)
    return Path(files.last_dir()) if files is not None else workspace.store.path.parent


def choose_department(parent: QWidget, workspace: Workspace, title: str) -> tuple[bool, str | None]:
    names = [d.name for d in workspace.data.departments]
    if not names:
        return True, None
    name, ok = QtWidgets.QInputDialog.getItem(
        parent, title, "范围：", [ALL_DEPARTMENTS, *names], 0, False
    )
    return ok, (None if name == ALL_DEPARTMENTS else name)


def generate_report(
    parent: QWidget,
    workspace: Workspace,
    target: Path | None = None,
    department: str | None = None,
    open_after: bool = True,
    style: str = "brief",
) -> Path | None:
    """生成季度报告: a PDF with a progress dialog that can cancel; opened for printing after.
    Without a ``target``, the scope, the layout and the file name are asked for."""
    from ...outputs.report import ReportCancelled, build_report

    if target is None:
        ok, department = choose_department(parent, workspace, "生成季度报告")
        if not ok:
            return None
        layout, ok = QtWidgets.QInputDialog.getItem(
            parent, "生成季度报告", "版式：", list(REPORT_LAYOUTS), 0, False
        )
        if not ok:
            return None
        style = REPORT_LAYOUTS[layout]
        scope = f"-{department}" if department else ""
        suggestion = start_folder(parent, workspace) / (
            f"{workspace.plan.year}年{workspace.quarter_label[5:]}工作进展报告{scope}.pdf"
        )
        chosen, _ = QtWidgets.QFileDialog.getSaveFileName(
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
        build_report(workspace, target, department=department, progress=progress, style=style)
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
    """Show a saved file in the clerk's default viewer; when there is none, say where the file
    is and offer its folder."""
    opened = QDesktopServices.openUrl(QtCore.QUrl.fromLocalFile(str(target)))
    reason = "no program is registered to open this kind of file"
    if not opened:
        # Windows: ShellExecute itself, which also says why (and works where Qt's platform
        # plugin offers no desktop services, as the offscreen one).
        try:
            opened = open_with_default_app(target)
        except OSError as exc:
            reason = no_viewer_reason(exc)
    if not opened:
        offer_folder(parent, target, reason)
    return opened


def offer_folder(parent: QWidget, target: Path, reason: str) -> None:
    """No viewer opened the file: say where it is and offer its folder."""
    box = QtWidgets.QMessageBox(
        QtWidgets.QMessageBox.Icon.Information, "无法打开文件", "", parent=parent
    )
    box.setText(
        f"文件已保存，但无法自动打开：本机没有可打开该类文件的程序（如 PDF 阅读器）。\n\n"
        f"文件位置：\n{target}"
    )
    box.setDetailedText(f"技术信息：{reason}")
    folder = box.addButton("打开所在文件夹", QtWidgets.QMessageBox.ButtonRole.ActionRole)
    box.addButton(QtWidgets.QMessageBox.StandardButton.Close)
    box.exec()
    if box.clickedButton() is folder:
        QDesktopServices.openUrl(QtCore.QUrl.fromLocalFile(str(target.parent)))


def export_to_excel(parent: QWidget, workspace: Workspace) -> Path | None:
    from ...outputs.excel import export_excel  # openpyxl loads when first needed, not at start-up

    ok, department = choose_department(parent, workspace, "导出 Excel")
    if not ok:
        return None
    layouts = {"一个工作表（全部事项）": "flat", "每章一个工作表": "chapters"}
    layout, ok = QtWidgets.QInputDialog.getItem(
        parent, "导出 Excel", "格式：", list(layouts), 0, False
    )
    if not ok:
        return None
    scope = f"-{department}" if department else ""
    suggestion = start_folder(parent, workspace) / (
        f"{workspace.plan.year}年{workspace.quarter_label[5:]}填报表{scope}.xlsx"
    )
    chosen, _ = QtWidgets.QFileDialog.getSaveFileName(
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
        chosen, _ = QtWidgets.QFileDialog.getOpenFileName(
            parent, "导入 Excel", str(start_folder(parent, workspace)), "Excel 工作簿 (*.xlsx)"
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
        QtWidgets.QMessageBox.information(
            parent, "导入 Excel", "工作簿中没有与本文件不同的数据，无需导入。"
        )
        return 0
    from ..dialogs.excel_import import ImportPreviewDialog

    if ImportPreviewDialog(preview, parent).exec() != QtWidgets.QDialog.DialogCode.Accepted:
        return None
    try:
        return apply_import(workspace.store, preview) if write is None else write(preview)
    except Exception as exc:
        show_error(parent, exc)
        return None


PRINT_CHOICES = ("当前计划树（筛选和展开后显示的行与列）", "季度报告")


class OutputsController(Controller):
    """The commands: 生成季度报告, 打印, 导出 Excel, 导入 Excel, with the window's messages after."""

    def print_(self) -> None:
        """打印: the tree as shown, or the quarter's report, through Qt's print preview."""
        if self.workspace is None:
            return
        choice, ok = QtWidgets.QInputDialog.getItem(
            self.window, "打印", "打印内容：", list(PRINT_CHOICES), 0, False
        )
        if ok:
            self.print_preview(report=choice == PRINT_CHOICES[1])

    def print_preview(self, report: bool) -> PrintPreview | None:
        from ..dialogs.print_preview import PrintPreview  # Qt's print support: on first use
        from ..views.print_pages import report_html, tree_html

        ws = self.workspace
        if ws is None:
            return None
        if report:
            ok, department = choose_department(self.window, ws, "打印季度报告")
            if not ok:
                return None
            html, title = report_html(ws, department), f"{ws.quarter_label}工作进展报告"
        else:
            title = f"{ws.plan.title}（{ws.quarter_label}）"
            html = tree_html(self.window.tree, title, self._filter_words())
        dialog = PrintPreview(html, title, self.window)
        dialog.exec()
        return dialog

    def _filter_words(self) -> str:
        """ "筛选：…" as the toolbar's search and filters stand, or "全部事项"."""
        w = self.window
        words = [f"“{w.search_edit.text().strip()}”"] if w.search_edit.text().strip() else []
        words += [
            c.currentText() for c in (w.department_filter, w.status_filter) if c.currentData()
        ]
        return "筛选：" + "，".join(words) if words else "全部事项"

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
