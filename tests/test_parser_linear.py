"""The parser's work grows linearly with the text (issue: a run-on plan took minutes).

No clock here: every regular expression the parser runs is wrapped to count the characters
it is handed to scan (from where a search starts to where it matched or gave up). A linear
parser scans about four times as much for four times the targets; the quadratic one scanned
sixteen times as much.
"""

from __future__ import annotations

import re
import sys

import pytest

from jingan_desktop.plan.parser import lines, parse_plan, structure, targets


class _CountingPattern:
    def __init__(self, pattern: re.Pattern[str], counter: list[int]) -> None:
        self._pattern = pattern
        self._counter = counter

    def _count(self, string: str, pos: int, endpos: int, match: re.Match[str] | None) -> None:
        stop = match.end() if match else min(endpos, len(string))
        self._counter[0] += max(stop - pos, 0) + 1

    def search(self, string, pos=0, endpos=sys.maxsize):
        found = self._pattern.search(string, pos, endpos)
        self._count(string, pos, endpos, found)
        return found

    def match(self, string, pos=0, endpos=sys.maxsize):
        found = self._pattern.match(string, pos, endpos)
        self._counter[0] += (found.end() - pos if found else 0) + 1
        return found

    def fullmatch(self, string, pos=0, endpos=sys.maxsize):
        self._counter[0] += min(endpos, len(string)) - pos + 1
        return self._pattern.fullmatch(string, pos, endpos)

    def finditer(self, string, pos=0, endpos=sys.maxsize):
        self._counter[0] += min(endpos, len(string)) - pos + 1
        return self._pattern.finditer(string, pos, endpos)

    def findall(self, string, pos=0, endpos=sys.maxsize):
        self._counter[0] += min(endpos, len(string)) - pos + 1
        return self._pattern.findall(string, pos, endpos)

    def sub(self, repl, string, count=0):
        self._counter[0] += len(string) + 1
        return self._pattern.sub(repl, string, count)

    def __getattr__(self, name):
        return getattr(self._pattern, name)


@pytest.fixture
def scanned(monkeypatch):
    counter = [0]
    for module in (lines, structure, targets):
        for name, value in vars(module).items():
            if isinstance(value, re.Pattern):
                monkeypatch.setattr(module, name, _CountingPattern(value, counter))
    return counter


def _run_on(count: int, separator: str) -> str:
    body = separator.join(f"新增示范企业{i % 97 + 1}家" for i in range(count))
    return f"2023年重点工作安排\n一、发展\n1.推进工作{separator}{body}\n"


def _work(scanned, text: str, expected_targets: int) -> int:
    scanned[0] = 0
    result = parse_plan(text)
    assert len(result.plan.indicators()) == expected_targets
    return scanned[0]


@pytest.mark.parametrize("separator", ["", "\n"], ids=["one-line", "wrapped-lines"])
def test_run_on_targets_cost_linear_work(scanned, separator):
    small = _work(scanned, _run_on(500, separator), 500)
    large = _work(scanned, _run_on(4000, separator), 4000)
    assert small > 0
    # 8× the targets: linear is 8×, quadratic was 64×; allow a little for fixed costs.
    assert large <= 9 * small, (small, large)


def test_many_items_cost_linear_work(scanned):
    def plan(items: int) -> str:
        body = "\n".join(
            f"{n}.完成改造{n % 50 + 1}万平方米，新增企业{n % 9 + 1}家。"
            for n in range(1, items + 1)
        )
        return f"一、发展\n{body}\n"

    small = _work(scanned, plan(200), 400)
    large = _work(scanned, plan(1600), 3200)
    assert large <= 9 * small, (small, large)
