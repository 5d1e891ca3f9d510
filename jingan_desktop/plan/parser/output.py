"""The JSON shape of ``jingan-desktop parse --json``."""

from __future__ import annotations

from .result import ParseResult


def plan_to_dict(result: ParseResult) -> dict[str, object]:
    """The JSON shape of ``jingan-desktop parse --json`` (other tools rely on it)."""
    plan = result.plan
    return {
        "title": plan.title,
        "year": plan.year,
        "issuer": plan.issuer,
        "issued_on": plan.issued_on.isoformat() if plan.issued_on else None,
        "chapters": [
            {
                "numeral": chapter.numeral,
                "title": chapter.title,
                "items": [
                    {
                        "number": item.number,
                        "title": item.title,
                        "text": item.text,
                        "indicators": [
                            {
                                "text": ind.text,
                                "name": ind.name,
                                "value": _json_number(ind.value),
                                "unit": ind.unit,
                                "comparator": ind.comparator.value,
                                "kind": ind.kind.value,
                                "stretch_value": _json_number(ind.stretch_value),
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
    }


def _json_number(value: float | None) -> float | int | None:
    if value is None:
        return None
    return int(value) if float(value).is_integer() else value
