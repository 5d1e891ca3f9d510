"""使用说明 (F1): the short Chinese guide bundled in resources/help/, with its screenshots."""

from __future__ import annotations

from PySide6.QtCore import QUrl
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout, QWidget

from ...paths import resource_path

GUIDE = resource_path("resources/help/guide.html")


class HelpDialog(QDialog):
    """The guide in a QTextBrowser; its pictures and anchors resolve inside resources/help/."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("help")
        self.setWindowTitle("使用说明")
        self.resize(760, 640)
        self.browser = QTextBrowser(self)
        self.browser.setOpenExternalLinks(False)
        self.browser.setSearchPaths([str(GUIDE.parent)])
        self.browser.setSource(QUrl.fromLocalFile(str(GUIDE)))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.browser)
        layout.addWidget(buttons)
