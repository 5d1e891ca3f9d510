"""The quarterly figures: an indicator's actual value and note, an item's status and progress
text, one row per (indicator or item, quarter).

Each write carries the value the user saw (``expected_…``); if the file holds something else
by then, someone else changed it meanwhile and :class:`ConflictError` says so instead of
overwriting it. A locked quarter refuses the write (:class:`QuarterLockedError`).
"""

from __future__ import annotations

from typing import Any

from ..plan.model import ItemStatus
from .errors import ConflictError
from .fields import MISSING, finite_number, pair_id, status_value
from .locks import Locks


class Figures(Locks):
    """Writing actuals and progress for a quarter."""

    def set_actual(
        self,
        indicator_id: str,
        quarter: int,
        value: float | Any | None = MISSING,
        *,
        note: str | Any = MISSING,
        expected_value: float | Any | None = MISSING,
        expected_note: str | Any = MISSING,
        source: str = "edit",
    ) -> None:
        """Record an indicator's figure (and/or note) for a quarter."""
        changes = {k: v for k, v in (("value", value), ("note", note)) if v is not MISSING}
        if changes.get("value") is not None:
            changes["value"] = finite_number("value", changes["value"])
        summary = "修改实际值" if "value" in changes else "修改备注"
        with self.write(summary, source) as w:
            self._check_unlocked("indicator", indicator_id, quarter)
            row_id = pair_id(indicator_id, quarter)
            if self.row("actual", row_id) is None:
                if expected_value not in (MISSING, None):
                    raise ConflictError("actual", row_id, "value", expected_value, None)
                if expected_note not in (MISSING, None, ""):
                    raise ConflictError("actual", row_id, "note", expected_note, None)
                w.insert(
                    "actual",
                    {
                        "id": row_id,
                        "indicator_id": indicator_id,
                        "quarter": quarter,
                        "value": changes.get("value"),
                        "note": changes.get("note", ""),
                    },
                )
            else:
                w.update(
                    "actual", row_id, changes, {"value": expected_value, "note": expected_note}
                )

    def set_progress(
        self,
        item_id: str,
        quarter: int,
        *,
        status: ItemStatus | Any | None = MISSING,
        text: str | Any = MISSING,
        expected_status: ItemStatus | Any | None = MISSING,
        expected_text: str | Any = MISSING,
        source: str = "edit",
    ) -> None:
        """Record an item's status and/or progress text for a quarter."""
        changes: dict[str, Any] = {}
        if status is not MISSING:
            changes["status"] = status_value(status)
        if text is not MISSING:
            changes["text"] = text
        expected = {
            "status": expected_status
            if expected_status is MISSING
            else status_value(expected_status),
            "text": expected_text,
        }
        with self.write("修改进展情况" if "text" in changes else "修改状态", source) as w:
            self._check_unlocked("item", item_id, quarter)
            row_id = pair_id(item_id, quarter)
            if self.row("progress", row_id) is None:
                for field, value in expected.items():
                    if value not in (MISSING, None, ""):
                        raise ConflictError("progress", row_id, field, value, None)
                w.insert(
                    "progress",
                    {
                        "id": row_id,
                        "item_id": item_id,
                        "quarter": quarter,
                        "status": changes.get("status"),
                        "text": changes.get("text", ""),
                    },
                )
            else:
                w.update("progress", row_id, changes, expected)
