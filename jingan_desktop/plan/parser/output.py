"""The JSON shape of ``jingan-desktop parse --json`` (other tools rely on it: fields are only
ever added, never removed or renamed)."""

from __future__ import annotations

from .result import ParseResult


def plan_to_dict(result: ParseResult) -> dict[str, object]:
    plan = result.plan
    return {
        "title": result.title,
        "year": plan.year,
        "issuer": plan.issuer,
        "issued_on": plan.issued_on.isoformat() if plan.issued_on else None,
        "chapters": [
            {
                "numeral": chapter.numeral,
                "title": chapter.title,
                "line": chapter.line,
                "items": [
                    {
                        "number": item.number,
                        "title": item.title,
                        "text": item.text,
                        "key": item.key,
                        "line": item.line,
                        "source_span": list(item.source_span) if item.source_span else None,
                        "section": item.section,
                        "lead_department": item.lead_department,
                        "co_departments": list(item.co_departments),
                        "due_date": item.due_date.isoformat() if item.due_date else None,
                        "indicators": [
                            {
                                "text": ind.text,
                                "name": ind.name,
                                "value": _json_number(ind.value),
                                "unit": ind.unit,
                                "comparator": ind.comparator.value,
                                "kind": ind.kind.value,
                                "stretch_value": _json_number(ind.stretch_value),
                                "span": list(ind.span) if ind.span else None,
                                "source_span": list(ind.source_span) if ind.source_span else None,
                            }
                            for ind in item.indicators
                        ],
                    }
                    for item in chapter.items
                ],
            }
            for chapter in plan.chapters
        ],
        "ignored_lines": result.ignored_lines,
        "unplaced": [
            {"line": entry.line, "text": entry.text, "reason": entry.reason}
            for entry in result.ignored
        ],
        "warnings": [
            {"line": warning.line, "message": warning.message} for warning in result.warnings
        ],
        "summary": summary(result),
    }


def summary(result: ParseResult) -> dict[str, int]:
    plan = result.plan
    items = plan.items()
    return {
        "chapters": len(plan.chapters),
        "items": len(items),
        "targets": sum(len(item.indicators) for item in items),
        "unplaced_lines": len(result.ignored),
        "warnings": len(result.warnings),
    }


def _json_number(value: float | None) -> float | int | None:
    if value is None:
        return None
    return int(value) if float(value).is_integer() else value
