# Generated from ui/departments.ui by build_scripts/compile_forms.py: do not edit.
# ruff: noqa
# -*- coding: utf-8 -*-

################################################################################
## Form generated from reading UI file 'departments.ui'
##
##
## WARNING! All changes made in this file will be lost when recompiling UI file!
################################################################################

from PySide6.QtCore import (QCoreApplication, QDate, QDateTime, QLocale,
    QMetaObject, QObject, QPoint, QRect,
    QSize, QTime, QUrl, Qt)
from PySide6.QtGui import (QBrush, QColor, QConicalGradient, QCursor,
    QFont, QFontDatabase, QGradient, QIcon,
    QImage, QKeySequence, QLinearGradient, QPainter,
    QPalette, QPixmap, QRadialGradient, QTransform)
from PySide6.QtWidgets import (QAbstractButton, QApplication, QDialog, QDialogButtonBox,
    QHBoxLayout, QLabel, QLineEdit, QListWidget,
    QListWidgetItem, QPushButton, QSizePolicy, QSpacerItem,
    QVBoxLayout, QWidget)

class Ui_DepartmentsDialog(object):
    def setupUi(self, DepartmentsDialog):
        if not DepartmentsDialog.objectName():
            DepartmentsDialog.setObjectName(u"DepartmentsDialog")
        DepartmentsDialog.resize(420, 420)
        self.layout = QVBoxLayout(DepartmentsDialog)
        self.layout.setObjectName(u"layout")
        self.hint = QLabel(DepartmentsDialog)
        self.hint.setObjectName(u"hint")
        self.hint.setWordWrap(True)

        self.layout.addWidget(self.hint)

        self.list = QListWidget(DepartmentsDialog)
        self.list.setObjectName(u"list")

        self.layout.addWidget(self.list)

        self.addRow = QHBoxLayout()
        self.addRow.setObjectName(u"addRow")
        self.nameEdit = QLineEdit(DepartmentsDialog)
        self.nameEdit.setObjectName(u"nameEdit")

        self.addRow.addWidget(self.nameEdit)

        self.addButton = QPushButton(DepartmentsDialog)
        self.addButton.setObjectName(u"addButton")

        self.addRow.addWidget(self.addButton)


        self.layout.addLayout(self.addRow)

        self.buttonsRow = QHBoxLayout()
        self.buttonsRow.setObjectName(u"buttonsRow")
        self.renameButton = QPushButton(DepartmentsDialog)
        self.renameButton.setObjectName(u"renameButton")

        self.buttonsRow.addWidget(self.renameButton)

        self.removeButton = QPushButton(DepartmentsDialog)
        self.removeButton.setObjectName(u"removeButton")

        self.buttonsRow.addWidget(self.removeButton)

        self.spacer = QSpacerItem(0, 0, QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Minimum)

        self.buttonsRow.addItem(self.spacer)

        self.buttonBox = QDialogButtonBox(DepartmentsDialog)
        self.buttonBox.setObjectName(u"buttonBox")
        self.buttonBox.setStandardButtons(QDialogButtonBox.StandardButton.Close)

        self.buttonsRow.addWidget(self.buttonBox)


        self.layout.addLayout(self.buttonsRow)


        self.retranslateUi(DepartmentsDialog)
        self.buttonBox.rejected.connect(DepartmentsDialog.reject)

        QMetaObject.connectSlotsByName(DepartmentsDialog)
    # setupUi

    def retranslateUi(self, DepartmentsDialog):
        DepartmentsDialog.setWindowTitle(QCoreApplication.translate("DepartmentsDialog", u"\u5355\u4f4d\u7ba1\u7406", None))
        self.hint.setText(QCoreApplication.translate("DepartmentsDialog", u"\u7275\u5934\u5355\u4f4d\u548c\u914d\u5408\u5355\u4f4d\u4ece\u6b64\u5217\u8868\u4e2d\u9009\u62e9\u3002\u53cc\u51fb\u53ef\u91cd\u547d\u540d\uff1b\u5220\u9664\u5355\u4f4d\u540e\uff0c\u76f8\u5173\u4e8b\u9879\u7684\u5355\u4f4d\u5c06\u88ab\u6e05\u7a7a\u3002", None))
        self.nameEdit.setPlaceholderText(QCoreApplication.translate("DepartmentsDialog", u"\u5355\u4f4d\u540d\u79f0\uff0c\u4f8b\u5982 \u533a\u53d1\u6539\u59d4", None))
        self.addButton.setText(QCoreApplication.translate("DepartmentsDialog", u"\u6dfb\u52a0(&A)", None))
        self.renameButton.setText(QCoreApplication.translate("DepartmentsDialog", u"\u91cd\u547d\u540d(&R)", None))
        self.removeButton.setText(QCoreApplication.translate("DepartmentsDialog", u"\u5220\u9664(&D)", None))
    # retranslateUi

