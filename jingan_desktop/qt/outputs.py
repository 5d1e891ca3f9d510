"""What leaves the app: the PDF quarterly report and Excel sheets, and Excel coming back."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QInputDialog,
    QLabel,
    QMessageBox,
    QProgressDialog,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..workspace import Workspace
from .messages import show_error

if TYPE_CHECKING:
    from ..outputs.excel import ImportPreview

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
    from ..outputs.report import ReportCancelled, build_report

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
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(target)))
    return target


def export_to_excel(parent: QWidget, workspace: Workspace) -> Path | None:
    from ..outputs.excel import export_excel  # openpyxl loads when first needed, not at start-up

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


class ImportPreviewDialog(QDialog):
    """What an Excel import would change, and what cannot be imported, before anything is written."""

    def __init__(self, preview: ImportPreview, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"导入 Excel — {preview.path.name}")
        self.resize(860, 520)
        layout = QVBoxLayout(self)
        text = f"读取了 {preview.rows_read} 行，将修改 {len(preview.changes)} 项。"
        if preview.problems:
            text += f"有 {len(preview.problems)} 处无法导入（见下方），这些单元格将被跳过。"
        if preview.locked:
            text += "该季度已锁定，无法导入，请先解锁。"
        summary = QLabel(text)
        summary.setWordWrap(True)
        layout.addWidget(summary)
        self.changes = QTableWidget(len(preview.changes), 5)
        self.changes.setObjectName("import-changes")
        self.changes.setHorizontalHeaderLabels(["编号", "名称", "内容", "原值", "新值"])
        for row, change in enumerate(preview.changes):
            for column, value in enumerate(
                (change.number, change.name, change.label, _show(change.old), _show(change.new))
            ):
                item = QTableWidgetItem(value)
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                self.changes.setItem(row, column, item)
        self.changes.horizontalHeader().setStretchLastSection(True)
        layout.addWidget(self.changes, 2)
        if preview.problems:
            layout.addWidget(QLabel("无法导入："))
            self.problems = QTableWidget(len(preview.problems), 1)
            self.problems.setHorizontalHeaderLabels(["说明"])
            for row, problem in enumerate(preview.problems):
                self.problems.setItem(row, 0, QTableWidgetItem(str(problem)))
            self.problems.horizontalHeader().setStretchLastSection(True)
            layout.addWidget(self.problems, 1)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok_button.setText("导入")
        ok_button.setEnabled(bool(preview.changes) and not preview.locked)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)


def import_from_excel(
    parent: QWidget, workspace: Workspace, path: Path | None = None
) -> int | None:
    """导入 Excel: preview first, then write the changes in one transaction."""
    from ..outputs.excel import apply_import, preview_import

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
    if ImportPreviewDialog(preview, parent).exec() != QDialog.DialogCode.Accepted:
        return None
    try:
        return apply_import(workspace.store, preview)
    except Exception as exc:
        show_error(parent, exc)
        return None


def _show(value: object) -> str:
    if value is None:
        return "（空）"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
