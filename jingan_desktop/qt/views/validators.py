"""Input validation as typed: numbers with 万/亿 or thousands separators; letters refused."""

from __future__ import annotations

import re

from PySide6.QtCore import Signal
from PySide6.QtGui import QValidator

from ...plan.numbers import NumberFormatError, fold_width, parse_number

_PARTIAL = re.compile(r"^[+-]?[\d,]*\.?\d*[万亿千]?$")
REFUSED = "只能输入数字（可带“万”“亿”或千位分隔符），“{text}”无效"


class NumberValidator(QValidator):
    """Accepts what :func:`parse_number` accepts; refuses anything else with a reason."""

    rejected = Signal(str)

    def validate(self, text: str, pos: int) -> QValidator.State:
        folded = fold_width(text).strip()
        if folded == "":
            return QValidator.State.Acceptable  # clears the value
        try:
            parse_number(folded)
            return QValidator.State.Acceptable
        except NumberFormatError:
            pass
        if _PARTIAL.match(folded):
            return QValidator.State.Intermediate
        self.rejected.emit(REFUSED.format(text=text))
        return QValidator.State.Invalid
