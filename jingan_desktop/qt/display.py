"""Stored values as the window shows them (修改记录, the conflict dialog)."""

from __future__ import annotations

from typing import Any

from ..storage.change_words import local_time

__all__ = ["local_time", "show_value"]


def show_value(value: Any) -> str:
    if value is None:
        return "（空）"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dict):
        return "、".join(f"{k}={v}" for k, v in value.items() if k not in ("id",))[:80]
    return str(value)
