"""The rows of the plan tree and the ones a filter shows, handed to the views as a C++ tree.

:class:`TreeShape` keeps a light index of the plan's rows (kind, id, parent, children) and, for
the rows shown, builds a QStandardItemModel that holds nothing but their shape: an empty item
for each chapter and item, bare rows for the indicators, eight columns everywhere. The plan
tree's model (tree_model.py) is a QIdentityProxyModel over it, so the views lay out thousands
of rows without calling into Python. An index's internal id is the C++ pointer of its parent
item: :meth:`TreeShape.node_at` turns it back into the row. The unfiltered tree is built once
and kept, so clearing a search costs no building.
"""

from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass, field
from operator import attrgetter

from PySide6.QtGui import QStandardItem, QStandardItemModel
from shiboken6 import getCppPointer

from ...workspace import Workspace

COLUMNS = 8


@dataclass(eq=False, slots=True)
class Node:
    kind: str  # "root", "chapter", "item", "indicator"
    row_id: str
    parent: Node | None
    row: int  # the row among the siblings shown by a filter (see PlanTreeModel._row)
    children: list[Node] = field(default_factory=list)
    shown: list[Node] = field(default_factory=list)  # the children the filter lets through
    position: int = 0  # the place among all siblings (for numbering)
    # A chapter's or item's (or the root's) item in the C++ tree shown: the internal id of
    # its children's indexes.
    ptr: int = 0
    full_ptr: int = 0  # its item in the unfiltered C++ tree (kept: see TreeShape.source)


_PARENT = attrgetter("parent")


_PARENT = attrgetter("parent")
Run = tuple[int, int, int, int, int]  # parent pointer, first row, last row, first and last column


class TreeShape:
    """The plan's rows (as nodes), the ones shown, and the C++ tree of those."""

    def __init__(self, workspace: Workspace, allowed: Set[str] | None) -> None:
        self.root = Node("root", "", None, 0)
        self.nodes: list[Node] = []
        self.by_id: dict[str, Node] = {}
        self._parents: list[Node] = [self.root]  # the nodes that may have children, in order
        for c_row, chapter in enumerate(workspace.plan.chapters):
            c_node = self._add(Node("chapter", chapter.id or "", self.root, c_row))
            self._parents.append(c_node)
            for i_row, item in enumerate(chapter.items):
                i_node = self._add(Node("item", item.id or "", c_node, i_row))
                self._parents.append(i_node)
                for n_row, indicator in enumerate(item.indicators):
                    self._add(Node("indicator", indicator.id or "", i_node, n_row))
        # The rows no filter can show as an ancestor only: with all of them, every row shows.
        self._leaves = frozenset(
            n.row_id for n in self.nodes if n.kind != "chapter" or not n.children
        )
        self.shown_set: set[Node] | None = None  # every node the filter shows; None: all
        # What a filter changed since every row was last shown, so that showing every row
        # again puts back only those (not every one of 8,000 items): the parents given fewer
        # children, and the nodes given an item in a filtered C++ tree.
        self._narrowed: set[Node] = set()
        self._repointed: set[Node] = set()
        for parent in self._parents:
            parent.shown = parent.children
        # The nodes shown for the last few sets the filter handed over (it hands back the very
        # same set for a search it has seen), held with the set so that its id stays its own.
        self._memo: dict[int, tuple[Set[str], set[Node] | None]] = {}
        self._full: tuple[QStandardItemModel, dict[int, Node]] | None = None  # every row
        self.by_ptr: dict[int, Node] = {}
        self._source: QStandardItemModel | None = None
        self._retired: QStandardItemModel | None = None
        self.show(self.shown_nodes(allowed))

    def _add(self, node: Node) -> Node:
        assert node.parent is not None
        node.position = len(node.parent.children)
        node.parent.children.append(node)
        self.nodes.append(node)
        self.by_id[node.row_id] = node
        return node

    # -- which rows are shown --

    def shown_nodes(self, allowed: Set[str] | None) -> set[Node] | None:
        """The nodes allowed and their ancestors; None when that is every node."""
        if allowed is None:
            return None
        memo = self._memo.get(id(allowed))
        if memo is not None and memo[0] is allowed:  # a search typed again, a backspace
            return memo[1]
        if self._leaves <= allowed:  # a search every row matches ("指" in a plan of 指标…)
            return None
        shown = set(map(self.by_id.get, allowed))
        shown.discard(None)  # type: ignore[arg-type]
        above = set(map(_PARENT, shown)) - shown
        while above:
            above.discard(self.root)
            shown |= above
            above = set(map(_PARENT, above)) - shown
        result = None if len(shown) == len(self.nodes) else shown
        if len(self._memo) >= 8:
            self._memo.pop(next(iter(self._memo)))
        self._memo[id(allowed)] = (allowed, result)
        return result

    def show(self, shown: set[Node] | None) -> None:
        """Set each parent's shown children, and their rows among them (a row's place among
        all its siblings when every row is shown: see row)."""
        self.shown_set = shown
        if shown is None:
            for parent in self._narrowed:
                parent.shown = parent.children
            self._narrowed.clear()
            return
        for parent in self._parents:
            if parent in shown or parent is self.root:
                parent.shown = kept = [child for child in parent.children if child in shown]
                self._narrowed.add(parent)
                for row, child in enumerate(kept):
                    child.row = row

    def is_shown(self, node: Node) -> bool:
        return self.shown_set is None or node in self.shown_set

    def row(self, node: Node) -> int:
        """The node's row among the siblings shown."""
        return node.position if self.shown_set is None else node.row

    def node_at(self, parent_ptr: int, row: int) -> Node:
        """The row ``row`` under the C++ item ``parent_ptr`` of the tree shown (the root for
        a pointer of a tree shown before)."""
        parent = self.by_ptr.get(parent_ptr)
        if parent is None or row >= len(parent.shown):
            return self.root
        return parent.shown[row]

    # -- the C++ tree --

    def source(self) -> QStandardItemModel:
        """The rows shown as a C++ tree (the unfiltered one is built once and kept). The
        tree shown is kept alive, and the one it replaces until the next (an index of it
        that something still holds then reads a tree that exists)."""
        if self.shown_set is None and self._full is not None:
            source, by_ptr = self._full
            for node in self._repointed:
                node.ptr = node.full_ptr
            self._repointed.clear()
        else:
            source, by_ptr = self._build_source()
            if self.shown_set is None:
                self._full = (source, by_ptr)
                for node in by_ptr.values():
                    node.full_ptr = node.ptr
                self._repointed.clear()
            else:
                self._repointed.update(by_ptr.values())
        self.by_ptr = by_ptr
        self._retired, self._source = self._source, source
        return source

    def _build_source(self) -> tuple[QStandardItemModel, dict[int, Node]]:
        source = QStandardItemModel(0, COLUMNS)
        top = source.invisibleRootItem()
        self.root.ptr = getCppPointer(top)[0]
        by_ptr = {self.root.ptr: self.root}
        chapters = []
        for chapter in self.root.shown:
            items = []
            for item in chapter.shown:
                cell = QStandardItem(len(item.shown), COLUMNS)
                item.ptr = getCppPointer(cell)[0]
                by_ptr[item.ptr] = item
                items.append(cell)
            cell = QStandardItem(0, COLUMNS)
            cell.appendRows(items)  # the C++ items own them from here
            chapter.ptr = getCppPointer(cell)[0]
            by_ptr[chapter.ptr] = chapter
            chapters.append(cell)
        top.appendRows(chapters)
        return source, by_ptr

    # -- cells selected --

    def runs(self, blocks: list[tuple[list[str], int, int]]) -> list[Run]:
        """The blocks' cells (row ids, first and last column) that are shown, as few
        rectangles as they make: rows next to each other under one parent, with the same
        columns, are one."""
        columns_of: dict[Node, dict[int, set[int]]] = {}
        for row_ids, first, last in blocks:
            for row_id in row_ids:
                node = self.by_id.get(row_id)
                if node is None or node.parent is None or not self.is_shown(node):
                    continue
                rows = columns_of.setdefault(node.parent, {})
                rows.setdefault(self.row(node), set()).update(range(first, last + 1))
        runs: list[Run] = []
        for parent, rows in columns_of.items():
            ordered = sorted(rows)
            start = 0
            for end in range(1, len(ordered) + 1):
                if (
                    end < len(ordered)
                    and ordered[end] == ordered[end - 1] + 1
                    and rows[ordered[end]] == rows[ordered[start]]
                ):
                    continue
                top, bottom = ordered[start], ordered[end - 1]
                runs += [(parent.ptr, top, bottom, a, b) for a, b in _spans(rows[top])]
                start = end
        return runs


def _spans(columns: set[int]) -> list[tuple[int, int]]:
    """Runs of consecutive columns: {1, 2, 3, 5} → [(1, 3), (5, 5)]."""
    spans: list[tuple[int, int]] = []
    for column in sorted(columns):
        if spans and spans[-1][1] == column - 1:
            spans[-1] = (spans[-1][0], column)
        else:
            spans.append((column, column))
    return spans
