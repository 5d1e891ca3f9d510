"""Progress while the report is made, and cancelling it."""

from __future__ import annotations

from collections.abc import Callable

from reportlab.platypus import Flowable

ProgressCallback = Callable[[int, int], bool]


class ReportCancelled(Exception):
    """The progress callback asked to stop; no file was written."""


class Checkpoint(Flowable):
    """Takes no room; reports progress (and may cancel) once the pages before it are laid out."""

    def __init__(self, step: Callable[[], None]) -> None:
        super().__init__()
        self._step = step
        self._done = False

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return (0, 0)

    def draw(self) -> None:
        if not self._done:
            self._done = True
            self._step()


class Progress:
    def __init__(self, callback: ProgressCallback | None, total: int) -> None:
        self.callback = callback
        self.total = total
        self.done = 0

    def step(self, n: int = 1) -> None:
        self.done = min(self.total, self.done + n)
        self.check()

    def check(self) -> None:
        if self.callback is not None:
            keep_going = self.callback(self.done, self.total)
            if keep_going is not None and not keep_going:
                raise ReportCancelled("the report was cancelled")
