"""单位管理: the department list that lead and co-departments are picked from."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QInputDialog, QListWidgetItem, QMessageBox, QWidget

from ...workspace import Workspace
from ..forms.ui_departments import Ui_DepartmentsDialog
from ..messages import show_error


class DepartmentsDialog(QDialog):
    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.ui = Ui_DepartmentsDialog()
        self.ui.setupUi(self)
        self.ui.addButton.clicked.connect(self.add)
        self.ui.nameEdit.returnPressed.connect(self.add)
        self.ui.renameButton.clicked.connect(self.rename)
        self.ui.list.itemDoubleClicked.connect(lambda _i: self.rename())
        self.ui.removeButton.clicked.connect(self.remove)
        editable = not workspace.readonly
        for widget in (
            self.ui.addButton,
            self.ui.nameEdit,
            self.ui.renameButton,
            self.ui.removeButton,
        ):
            widget.setEnabled(editable)
        self.changed = False
        self.refresh()

    def refresh(self) -> None:
        self.workspace.data.departments = self.workspace.store.departments()
        self.ui.list.clear()
        for department in self.workspace.data.departments:
            entry = QListWidgetItem(department.name)
            entry.setData(Qt.ItemDataRole.UserRole, department.id)
            self.ui.list.addItem(entry)

    def _selected(self) -> QListWidgetItem | None:
        items = self.ui.list.selectedItems()
        return items[0] if items else None

    def add(self) -> None:
        name = self.ui.nameEdit.text().strip()
        if not name:
            return
        if any(d.name == name for d in self.workspace.data.departments):
            QMessageBox.information(self, "单位已存在", f"“{name}”已在列表中。")
            return
        try:
            self.workspace.store.add_department(name)
        except Exception as exc:
            show_error(self, exc)
            return
        self.ui.nameEdit.clear()
        self.changed = True
        self.refresh()

    def rename(self) -> None:
        entry = self._selected()
        if entry is None:
            return
        name, ok = QInputDialog.getText(self, "重命名单位", "新名称：", text=entry.text())
        if not ok or not name.strip() or name.strip() == entry.text():
            return
        try:
            self.workspace.store.rename_department(entry.data(Qt.ItemDataRole.UserRole), name)
        except Exception as exc:
            show_error(self, exc)
            return
        self.changed = True
        self.refresh()

    def remove(self) -> None:
        entry = self._selected()
        if entry is None:
            return
        answer = QMessageBox.question(
            self, "删除单位", f"确定删除“{entry.text()}”吗？相关事项的该单位将被清空。"
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        try:
            self.workspace.store.remove_department(entry.data(Qt.ItemDataRole.UserRole))
        except Exception as exc:
            show_error(self, exc)
            return
        self.changed = True
        self.refresh()
