"""What a report covers: the whole plan, or a department's items with their figures re-combined."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from ...plan.model import Chapter, Indicator, Item, Plan
from ...plan.progress import PlanProgress, Rag, combine
from ...workspace import Workspace


def involves(item: Item, department: str) -> bool:
    """Whether ``department`` leads the item or helps with it."""
    return item.lead_department == department or department in item.co_departments


@dataclass
class ReportScope:
    """The chapters and items a report covers, evaluated for the workspace's quarter.

    Quacks like the parts of a :class:`Workspace` the chart builders read (``plan``,
    ``progress``, ``quarter_label``), so ``charts.status_counts`` and
    ``charts.chapter_completion`` draw a department's report from its own items."""

    plan: Plan  # a copy holding only the covered chapters and items
    progress: PlanProgress  # evaluations of the covered rows; chapters and plan re-combined
    quarter_label: str
    quarter: int
    department: str | None = None
    item_counts: dict[Rag, int] = field(default_factory=dict)

    @property
    def items(self) -> list[Item]:
        return self.plan.items()

    @property
    def indicators(self) -> list[Indicator]:
        return self.plan.indicators()

    def lagging(self) -> list[tuple[Chapter, Item]]:
        return [
            (chapter, item)
            for chapter in self.plan.chapters
            for item in chapter.items
            if self.progress.items[item.id or ""].status is Rag.RED
        ]


def report_scope(workspace: Workspace, department: str | None = None) -> ReportScope:
    """The whole plan, or only the items ``department`` leads or co-leads (with the chapter
    and overall figures computed over those items, the way the plan's are)."""
    source = workspace.progress
    if not department:
        plan, progress = workspace.plan, source
    else:
        chapters = []
        for chapter in workspace.plan.chapters:
            items = [i for i in chapter.items if involves(i, department)]
            if items:
                chapters.append(replace(chapter, items=items))
        plan = replace(workspace.plan, chapters=chapters)
        items_ev = {i.id or "": source.items[i.id or ""] for i in plan.items()}
        indicators_ev = {n.id or "": source.indicators[n.id or ""] for n in plan.indicators()}
        chapters_ev = {
            c.id or "": combine((items_ev[i.id or ""], i.weight) for i in c.items)
            for c in plan.chapters
        }
        overall = combine((chapters_ev[c.id or ""], 1.0) for c in plan.chapters)
        progress = PlanProgress(source.quarter, indicators_ev, items_ev, chapters_ev, overall)
    item_counts = dict.fromkeys(Rag, 0)
    for item in plan.items():
        item_counts[progress.items[item.id or ""].status] += 1
    return ReportScope(
        plan,
        progress,
        workspace.quarter_label,
        workspace.quarter,
        department or None,
        item_counts,
    )
