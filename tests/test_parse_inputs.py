"""Plan files as clerks receive them: encodings, Word, Excel and PDF, through ``parse``."""

from __future__ import annotations

from pathlib import Path

import pytest

from jingan_desktop import cli
from jingan_desktop.plan.parser import PlanDecodeError, read_plan_file


def run(capsys, *args):
    code = cli.main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("gb_first", [False, True], ids=["utf8-then-gb18030", "gb18030-then-utf8"])
def test_a_gb18030_section_in_utf8_names_its_line(capsys, tmp_path: Path, seed_text, gb_first):
    lines = seed_text.split("\n")
    head, tail = "\n".join(lines[:20]), "\n".join(lines[20:])
    first, second = ("gb18030", "utf-8") if gb_first else ("utf-8", "gb18030")
    path = tmp_path / "mixed.txt"
    path.write_bytes(head.encode(first) + b"\n" + tail.encode(second))
    changes_at = 21 + next(i for i, line in enumerate(lines[20:]) if not line.isascii())
    with pytest.raises(PlanDecodeError) as caught:
        read_plan_file(path)
    assert caught.value.line == changes_at
    code, out, err = run(capsys, "parse", path)
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        f"jingan-desktop: error: {path}: line {changes_at}: the text changes from "
        f"{'GB18030' if gb_first else 'UTF-8'} to {'UTF-8' if gb_first else 'GB18030'} here "
        "(not a text file in one encoding); save the whole file as UTF-8"
    ]
