"""Which stored rows a re-imported plan's chapters, items and indicators are.

A corrected plan text imported again for the same year must keep the ids of what did not
change, so the quarterly figures, progress texts and history stay attached. Items match by
the parser's stable key (same text under the same chapter title), then by title and number,
then by a title that is unique; indicators of a matched item by their source phrase, then
by name and unit, then by name. Whatever matches nothing is new (or gone).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import TypeVar

from ..plan.model import Chapter, Indicator, Item, Plan
from ..plan.parser.document import assign_keys
from ..plan.parser.folding import fold

T = TypeVar("T")


def _pair(
    old: Sequence[T],
    new: Sequence[T],
    keys: Sequence[Callable[[T], Hashable]],
    unique: Callable[[T], Hashable] | None = None,
) -> dict[int, T]:
    """new index → the old object it is, trying each key in turn (first come, first served)."""
    found: dict[int, T] = {}
    taken: set[int] = set()
    for key in keys:
        free: dict[Hashable, list[int]] = {}
        for index, obj in enumerate(old):
            if index not in taken and key(obj) is not None:
                free.setdefault(key(obj), []).append(index)
        for index, obj in enumerate(new):
            if index in found or key(obj) is None:
                continue
            candidates = free.get(key(obj))
            if candidates:
                chosen = candidates.pop(0)
                taken.add(chosen)
                found[index] = old[chosen]
    if unique is not None:
        rest_old = [i for i in range(len(old)) if i not in taken]
        rest_new = [i for i in range(len(new)) if i not in found]
        counts_old = _counts(unique(old[i]) for i in rest_old)
        counts_new = _counts(unique(new[i]) for i in rest_new)
        by_key = {unique(old[i]): old[i] for i in rest_old}
        for index in rest_new:
            value = unique(new[index])
            if counts_old.get(value) == 1 and counts_new.get(value) == 1:
                found[index] = by_key[value]
    return found


def _counts(values) -> dict[Hashable, int]:
    counted: dict[Hashable, int] = {}
    for value in values:
        counted[value] = counted.get(value, 0) + 1
    return counted


def _words(text: str) -> str:
    return "".join(fold(text or "").split())


def match_chapters(old: Plan, new: Plan) -> dict[int, Chapter]:
    return _pair(
        old.chapters,
        new.chapters,
        [lambda c: (_words(c.title), c.numeral), lambda c: _words(c.title)],
    )


def match_items(old: Plan, new: Plan) -> dict[int, Item]:
    """new item index (in ``new.items()``) → the stored item it is: by key, by title and
    number, by a title unique on both sides, by a number left over once in the same chapter."""
    assign_keys(old)  # the stored text gives the key the parser gave it
    if any(item.key is None for item in new.items()):
        assign_keys(new)
    chapter_of = {
        id(item): _words(chapter.title)
        for plan in (old, new)
        for chapter in plan.chapters
        for item in chapter.items
    }
    found = _pair(
        old.items(),
        new.items(),
        [lambda i: i.key, lambda i: (_words(i.title), i.number)],
        unique=lambda i: _words(i.title),
    )
    # An item whose words were corrected: the same number in the same chapter, if that
    # number is left over on both sides exactly once.
    taken = {id(item) for item in found.values()}
    rest_old = [item for item in old.items() if id(item) not in taken]
    rest_new = [(n, item) for n, item in enumerate(new.items()) if n not in found]
    place = {(chapter_of[id(i)], i.number) for i in rest_old}
    counts = _counts((chapter_of[id(i)], i.number) for i in rest_old)
    counts_new = _counts((chapter_of[id(i)], i.number) for _n, i in rest_new)
    by_place = {(chapter_of[id(i)], i.number): i for i in rest_old}
    for index, item in rest_new:
        key = (chapter_of[id(item)], item.number)
        if key in place and counts[key] == 1 and counts_new[key] == 1:
            found[index] = by_place[key]
    return found


def match_indicators(old: Sequence[Indicator], new: Sequence[Indicator]) -> dict[int, Indicator]:
    return _pair(
        old,
        new,
        [
            lambda n: _words(n.text) or None,
            lambda n: (_words(n.name), n.unit),
        ],
        unique=lambda n: _words(n.name),
    )
