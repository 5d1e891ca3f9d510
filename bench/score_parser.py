"""Score the parser on the project's corpus of plans (tests/data/plans/ and the seed).

    .venv/bin/python bench/score_parser.py [FILE.txt …]

Each plan has a hand-checked expectations file beside it (NAME.expected.json: chapters, items
in order, and each item's targets as [value, unit, comparator(, stretch)]). Printed per
document and in total: target precision and recall (a target counts when value, unit and
comparator match, inside the matching item), and the share of items found in order (longest
common subsequence of item number + title). The seed plan is scored from
tests/data/seed_targets.tsv. No timing here; nothing asserts.
"""

from __future__ import annotations

import csv
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from jingan_desktop.plan.parser import read_plan_file  # noqa: E402

CORPUS = ROOT / "tests" / "data" / "plans"
SEED = ROOT / "db" / "seed" / "jingan-2022-key-work-plan.txt"
SEED_TABLE = ROOT / "tests" / "data" / "seed_targets.tsv"


def expectations(path: Path) -> dict:
    if path.resolve() == SEED.resolve():
        items: dict[int, list] = {}
        with SEED_TABLE.open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle, delimiter="\t"):
                items.setdefault(int(row["item"]), []).append(
                    [float(row["value"]), row["unit"], row["comparator"]]
                )
        return {
            "items": [
                {"number": n, "title": None, "targets": items.get(n, [])} for n in range(1, 35)
            ]
        }
    return json.loads(path.with_suffix(".expected.json").read_text(encoding="utf-8"))


def _norm(title: str | None) -> str | None:
    if title is None:
        return None
    return "".join(title.split())[:12]


def _same_item(expected: dict, found) -> bool:
    if expected["number"] != found.number:
        return False
    return expected["title"] is None or _norm(expected["title"]) == _norm(found.title)


def _lcs(expected: list[dict], found: list) -> list[tuple[int, int]]:
    rows, cols = len(expected), len(found)
    table = [[0] * (cols + 1) for _ in range(rows + 1)]
    for i in range(rows - 1, -1, -1):
        for j in range(cols - 1, -1, -1):
            if _same_item(expected[i], found[j]):
                table[i][j] = table[i + 1][j + 1] + 1
            else:
                table[i][j] = max(table[i + 1][j], table[i][j + 1])
    pairs, i, j = [], 0, 0
    while i < rows and j < cols:
        if _same_item(expected[i], found[j]):
            pairs.append((i, j))
            i, j = i + 1, j + 1
        elif table[i + 1][j] >= table[i][j + 1]:
            i += 1
        else:
            j += 1
    return pairs


def _target_key(target) -> tuple:
    return (round(float(target[0]), 6), target[1], target[2])


def score(path: Path) -> dict[str, float]:
    expected = expectations(path)["items"]
    result = read_plan_file(path)
    found = result.plan.items()
    pairs = _lcs(expected, found)
    matched_found = {j for _, j in pairs}
    tp = fp = fn = 0
    for i, j in pairs:
        want = Counter(_target_key(t) for t in expected[i]["targets"])
        got = Counter(
            _target_key((ind.value, ind.unit, ind.comparator.value)) for ind in found[j].indicators
        )
        hit = sum((want & got).values())
        tp += hit
        fp += sum(got.values()) - hit
        fn += sum(want.values()) - hit
    matched_expected = {i for i, _ in pairs}
    fn += sum(len(e["targets"]) for i, e in enumerate(expected) if i not in matched_expected)
    fp += sum(len(f.indicators) for j, f in enumerate(found) if j not in matched_found)
    return {
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "items_expected": len(expected),
        "items_in_order": len(pairs),
        "items_found": len(found),
        "warnings": len(result.warnings),
        "unplaced": len(result.ignored),
    }


def _ratio(a: float, b: float) -> float:
    return a / b if b else 1.0


def main(argv: list[str] | None = None) -> int:
    paths = [Path(p) for p in (argv if argv is not None else sys.argv[1:])]
    if not paths:
        paths = [SEED, *sorted(CORPUS.glob("*.txt"))]
    totals: Counter[str] = Counter()
    print(
        f"{'document':28} {'precision':>9} {'recall':>7} {'in order':>9} {'targets':>8}  warn  unplaced"
    )
    for path in paths:
        figures = score(path)
        totals.update(figures)
        print(
            f"{path.stem[:28]:28} {_ratio(figures['tp'], figures['tp'] + figures['fp']):>9.3f} "
            f"{_ratio(figures['tp'], figures['tp'] + figures['fn']):>7.3f} "
            f"{_ratio(figures['items_in_order'], figures['items_expected']):>9.3f} "
            f"{figures['tp'] + figures['fn']:>8}  {figures['warnings']:>4}  {figures['unplaced']:>8}"
        )
    print(
        f"{'TOTAL':28} {_ratio(totals['tp'], totals['tp'] + totals['fp']):>9.3f} "
        f"{_ratio(totals['tp'], totals['tp'] + totals['fn']):>7.3f} "
        f"{_ratio(totals['items_in_order'], totals['items_expected']):>9.3f} "
        f"{totals['tp'] + totals['fn']:>8}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
