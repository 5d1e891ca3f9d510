"""Stored values as the window shows them (修改记录, the conflict dialog)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any


def show_value(value: Any) -> str:
    if value is None:
        return "（空）"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dict):
        return "、".join(f"{k}={v}" for k, v in value.items() if k not in ("id",))[:80]
    return str(value)


def local_time(stamp: str | None) -> str:
    """A stored UTC stamp ("2022-06-30T08:05:00.123+00:00") in the clerk's local time,
    to the minute: "2022-06-30 16:05". Text that is no stamp is shown as it is."""
    if not stamp:
        return ""
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return stamp
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return f"{moment.astimezone():%Y-%m-%d %H:%M}"
