"""Filter-as-you-type, timed as the clerk has it: a character typed into the search box (a key
event), the debounce, the filtering, the tree laid out and painted; then clearing the box.

* the debounce is waited out in an event loop, as the app waits in ``app.exec()`` (idle, so it
  costs no CPU), not by polling, whose own cost would land in the figure;
* CPU time is the UI thread's (``thread_time``) from the key to the tree painted; wall time
  includes the debounce;
* each round types afresh: the filter's memory of earlier searches is dropped before it;
* every keystroke is counted, those that leave the tree as it was too; the keystrokes that
  changed the tree (it was painted again) are also given on their own, and beside them the
  floor that any filter pays for them: one relayout of the unfiltered tree and one repaint.
"""

from __future__ import annotations

import time
from typing import Any

from bench.measure import spread

TYPED = "指标12"  # "指" and "指标" match every row of a synthetic plan; "指标12" a few hundred


def forget_searches(navigation: Any) -> None:
    """Each round searches afresh: what the filter keeps of earlier searches (to narrow from,
    or to hand back the same rows) is dropped, and the rows' haystacks built again before the
    round, as after opening a file."""
    row_filter = getattr(navigation, "row_filter", None)
    if row_filter is not None:
        row_filter.invalidate()
        row_filter.warm()


def filter_figures(app: Any, window: Any, items: int, repeat: int) -> dict[str, Any]:
    """Type TYPED one character at a time, then clear the box; ``repeat`` rounds."""
    from PySide6.QtCore import QEvent, QEventLoop, QObject, Qt
    from PySide6.QtGui import QKeyEvent
    from PySide6.QtWidgets import QApplication

    navigation, edit, tree = window.navigation, window.search_edit, window.tree

    class PaintCounter(QObject):
        paints = 0

        def eventFilter(self, _watched: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Paint:
                self.paints += 1
            return False

    counter = PaintCounter()
    tree.viewport().installEventFilter(counter)

    def settle() -> None:
        """Wait out the debounce idly, then let the view lay out and paint."""
        if navigation.filter_timer.isActive():
            loop = QEventLoop()
            navigation.filter_timer.timeout.connect(loop.quit)  # after the filter's own slot
            loop.exec()
            navigation.filter_timer.timeout.disconnect(loop.quit)
        for _ in range(3):  # the delayed layout, then the repaint it asks for
            app.processEvents()

    def timed(action: Any) -> tuple[float, float, bool]:
        paints = counter.paints
        wall, cpu = time.perf_counter(), time.thread_time()
        action()
        settle()
        return time.perf_counter() - wall, time.thread_time() - cpu, counter.paints > paints

    def type_character(character: str) -> None:
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            QApplication.sendEvent(
                edit, QKeyEvent(kind, 0, Qt.KeyboardModifier.NoModifier, character)
            )

    edit.setFocus()
    keys, clears = [], []
    for _ in range(repeat + 1):  # the first round warms up and is not counted
        forget_searches(navigation)
        typed = [timed(lambda c=c: type_character(c)) for c in TYPED]
        cleared = timed(edit.clear)
        if edit.text():
            raise RuntimeError(f"the search box holds {edit.text()!r} after clearing")
        keys.append(typed)
        clears.append(cleared)
    keys, clears = keys[1:], clears[1:]
    flat = [k for round_ in keys for k in round_]
    changed = [k for k in flat if k[2]]

    def floor(action: Any) -> float:
        started = time.thread_time()
        action()
        return time.thread_time() - started

    relayout = [floor(tree.doItemsLayout) for _ in range(max(3, repeat))]
    repaint = [floor(tree.viewport().repaint) for _ in range(max(3, repeat))]
    tree.viewport().removeEventFilter(counter)
    key = f"_{items}"
    figures = {
        f"filter_key_ms{key}": spread([k[1] * 1000 for k in flat]),
        f"filter_key_wall_ms{key}": spread([k[0] * 1000 for k in flat]),
        f"filter_clear_ms{key}": spread([c[1] * 1000 for c in clears]),
        f"filter_relayout_ms{key}": spread([r * 1000 for r in relayout]),
        f"filter_repaint_ms{key}": spread([r * 1000 for r in repaint]),
    }
    if changed:
        figures[f"filter_key_changed_ms{key}"] = spread([k[1] * 1000 for k in changed])
    for position in range(len(TYPED)):
        figures[f"filter_key_ms{key}_{position + 1}"] = spread(
            [round_[position][1] * 1000 for round_ in keys]
        )
    return figures


def filter_rows(n: int) -> list[tuple[str, str, Any]]:
    """The benchmark table's rows for the filter at ``n`` items (key, label, goal)."""
    return [
        (f"filter_key_ms_{n}", "  filter keystroke, CPU ms", (lambda v: v <= 16, "≤ 16")),
        (f"filter_key_wall_ms_{n}", "    the same, wall incl. 120 ms debounce", None),
        *[
            (f"filter_key_ms_{n}_{p}", f"    typed “{TYPED[:p]}”, CPU ms", None)
            for p in range(1, len(TYPED) + 1)
        ],
        (f"filter_key_changed_ms_{n}", "    the keystrokes that changed the tree, CPU ms",
         None),
        (f"filter_clear_ms_{n}", "    clearing the box, CPU ms", (lambda v: v <= 16, "≤ 16")),
        (f"filter_relayout_ms_{n}", "    floor: one relayout of the unfiltered tree, ms",
         None),
        (f"filter_repaint_ms_{n}", "    floor: one repaint of the tree, ms", None),
    ]  # fmt: skip
