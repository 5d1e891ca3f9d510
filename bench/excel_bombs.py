"""Hostile and awkward workbooks for ``import-excel``, and the figures for them.

Each builder takes a real workbook (an export) and writes a copy with one part changed, small
on disk: a row of millions of cells, a shared-strings part that unpacks to hundreds of
megabytes, a sheet whose ``<dimension>`` says it is small, millions of rows of which a few
thousand are used, and a legitimate workbook with many empty formatted rows after its data.
The tests build small ones of these; ``python -m bench.excel_bombs`` builds the big ones,
previews the import of each in a process of its own (memory capped at 2 GB) and prints
what happened, how long it took and how much memory it took.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

SHEET = "xl/worksheets/sheet1.xml"
STRINGS = "xl/sharedStrings.xml"
CHUNK = 1 << 20


Content = Callable[[bytes], Iterable[bytes]]


def rewrite(src: Path, dst: Path, changes: dict[str, Content]) -> Path:
    """Copy the workbook ``src`` to ``dst`` with each part named in ``changes`` replaced by
    ``changes[part](old part)`` (added if missing), written as a stream: a new part is never
    whole in memory."""
    with (
        zipfile.ZipFile(src) as old,
        zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as new,
    ):
        names = old.namelist()
        for name in [*names, *(n for n in changes if n not in names)]:
            if name in changes:
                with new.open(name, "w", force_zip64=True) as out:
                    for piece in changes[name](old.read(name) if name in names else b""):
                        out.write(piece)
            else:
                new.writestr(old.getinfo(name), old.read(name))
    return dst


def _last_row(sheet: bytes) -> int:
    numbers = [int(n) for n in re.findall(rb'<row r="(\d+)"', sheet)]
    return max(numbers, default=0)


def _before_end_of_data(sheet: bytes, rows: Iterable[bytes]) -> Iterator[bytes]:
    head, end, tail = sheet.partition(b"</sheetData>")
    yield head
    buffer: list[bytes] = []
    size = 0
    for row in rows:
        buffer.append(row)
        size += len(row)
        if size >= CHUNK:
            yield b"".join(buffer)
            buffer, size = [], 0
    yield b"".join(buffer)
    yield end + tail


def wide_row(src: Path, dst: Path, cells: int) -> Path:
    """A row after the data holding ``cells`` cells (``<c><v>1</v></c>``, no references: the
    issue's 890 KB workbook of one 8-million-cell row)."""

    def content(sheet: bytes) -> Iterator[bytes]:
        number = _last_row(sheet) + 1
        one = b"<c><v>1</v></c>"
        per_chunk = CHUNK // len(one)

        def row() -> Iterator[bytes]:
            yield f'<row r="{number}">'.encode()
            left = cells
            while left > 0:
                n = min(per_chunk, left)
                yield one * n
                left -= n
            yield b"</row>"

        return _before_end_of_data(sheet, row())

    return rewrite(src, dst, {SHEET: content})


def lying_dimension(src: Path, dst: Path, cells: int, claimed: str = "A1:M20") -> Path:
    """The sheet says it spans ``claimed`` and then holds a row of ``cells`` distinct cells
    (they do not pack well: no zip-bomb ratio gives it away)."""

    def content(sheet: bytes) -> Iterator[bytes]:
        sheet = re.sub(
            rb'<dimension ref="[^"]*"\s*/>', f'<dimension ref="{claimed}"/>'.encode(), sheet
        )
        number = _last_row(sheet) + 1
        row = (
            f'<row r="{number}">'.encode(),
            *(f"<c><v>{i * 7919 % 1000003}</v></c>".encode() for i in range(cells)),
            b"</row>",
        )
        return _before_end_of_data(sheet, row)

    return rewrite(src, dst, {SHEET: content})


def many_cells(src: Path, dst: Path, rows: int, columns: int, values: bool = True) -> Path:
    """``rows`` rows of ``columns`` numbers each (or, without ``values``, of formatted empty
    cells) after the data: every row within Excel's limits, the sheet far more than a plan
    workbook holds."""

    def cell(n: int, c: int) -> bytes:
        return f"<c><v>{n * c}</v></c>".encode() if values else b'<c s="1"/>'

    def content(sheet: bytes) -> Iterator[bytes]:
        first = _last_row(sheet) + 1
        body = (
            f'<row r="{n}">'.encode() + b"".join(cell(n, c) for c in range(columns)) + b"</row>"
            for n in range(first, first + rows)
        )
        return _before_end_of_data(sheet, body)

    return rewrite(src, dst, {SHEET: content})


def trailing_rows(
    src: Path, dst: Path, rows: int, value_at: int | None = None, dimension: bool = True
) -> Path:
    """``rows`` empty formatted rows after the data, as Excel writes them when a clerk formats
    rows far down the sheet; with ``value_at``, that row (after the data) holds a number;
    without ``dimension``, the sheet does not say its size (as some other programs write it)."""

    def content(sheet: bytes) -> Iterator[bytes]:
        first = _last_row(sheet) + 1
        if not dimension:
            sheet = re.sub(rb"<dimension [^>]*/>", b"", sheet)

        def body() -> Iterator[bytes]:
            for n in range(first, first + rows):
                if n == value_at:
                    yield f'<row r="{n}"><c r="H{n}"><v>42</v></c></row>'.encode()
                else:
                    yield f'<row r="{n}" spans="1:13" s="1" customFormat="1"/>'.encode()

        return _before_end_of_data(sheet, body())

    return rewrite(src, dst, {SHEET: content})


def strings_bomb(src: Path, dst: Path, megabytes: int) -> Path:
    """A shared-strings part (added where the workbook has none) holding one string of
    ``megabytes`` MB of spaces: a zip-bomb member, hundreds of megabytes from a few hundred
    kilobytes."""
    main = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    kind = b"application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"

    def content(strings: bytes) -> Iterator[bytes]:
        head, end, tail = strings.rpartition(b"</sst>")
        if not end:
            head, end = b'<sst xmlns="' + main + b'">', b"</sst>"
        yield head + b'<si><t xml:space="preserve">'
        for _ in range(megabytes):
            yield b" " * CHUNK
        yield b"</t></si>" + end + tail

    def manifest(types: bytes) -> Iterator[bytes]:
        if b"/xl/sharedStrings.xml" not in types:
            override = b'<Override PartName="/xl/sharedStrings.xml" ContentType="' + kind + b'"/>'
            types = types.replace(b"</Types>", override + b"</Types>")
        yield types

    return rewrite(src, dst, {STRINGS: content, "[Content_Types].xml": manifest})


# --- the figures -------------------------------------------------------------------------------


def _limit_memory() -> None:
    if sys.platform == "win32":  # no RLIMIT_AS on Windows: the import runs uncapped there
        return
    import resource

    two_gb = 2 * 1024**3
    resource.setrlimit(resource.RLIMIT_AS, (two_gb, two_gb))


def _peak_mb() -> float:
    """The process's peak memory in MB (NaN on Windows, which has no getrusage)."""
    if sys.platform == "win32":
        return float("nan")
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(db: Path, workbook: Path) -> dict[str, object]:
    """In this process: the import preview of ``workbook`` — what it answered, its seconds,
    the process's peak memory and what the process held before it (both in MB)."""
    from jingan_desktop.outputs.excel import ExcelError, preview_import
    from jingan_desktop.storage.store import Store

    store = Store.open(db, readonly=True)
    store.load()
    before = _peak_mb()
    started = time.perf_counter()
    try:
        preview = preview_import(store, None, 2, workbook)
        answer = f"read {preview.rows_read} rows, {len(preview.problems)} problems"
    except ExcelError as exc:
        answer = f"refused: {exc.reason}"
    seconds = time.perf_counter() - started
    store.close()
    peak = _peak_mb()
    return {"answer": answer, "seconds": seconds, "peak_mb": peak, "before_mb": before}


def run_measure(db: Path, workbook: Path, timeout: float = 120.0) -> dict[str, object]:
    """:func:`measure` in a process of its own (memory capped at 2 GB)."""
    command = [sys.executable, "-m", "bench.excel_bombs", "--measure", str(db), str(workbook)]
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout, preexec_fn=_limit_memory
        )
    except subprocess.TimeoutExpired:
        return {"answer": f"still running after {timeout:.0f} s (stopped)"}
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or [""])[-1]
        return {"answer": f"failed (exit {done.returncode}): {last}"}
    return json.loads(done.stdout)


def main() -> int:
    from bench.synthetic import fill_sample_figures
    from jingan_desktop.outputs.excel import export_excel
    from jingan_desktop.plan.parser import read_plan_file
    from jingan_desktop.storage.store import Store
    from jingan_desktop.workspace import Workspace

    seed = Path(__file__).resolve().parents[1] / "db" / "seed" / "jingan-2022-key-work-plan.txt"
    with tempfile.TemporaryDirectory() as folder:
        here = Path(folder)
        db = here / "plan.sqlite"
        store = Store.create(db, read_plan_file(seed).plan)
        try:
            fill_sample_figures(store, store.plan_id_for_year(2022), (1, 2))
            base = export_excel(Workspace(store, quarter=2), here / "export.xlsx").path
        finally:
            store.close()
        cases = [
            ("the export itself", base),
            ("one row of 8,000,000 cells", wide_row(base, here / "wide.xlsx", 8_000_000)),
            ("shared strings unpacking to 500 MB", strings_bomb(base, here / "strings.xlsx", 500)),
            (
                "dimension says A1:M20, row of 20,000 cells",
                lying_dimension(base, here / "dim.xlsx", 20_000),
            ),
            ("5,000 rows of 30 numbers", many_cells(base, here / "cells.xlsx", 5_000, 30)),
            (
                "5,000 rows of 100 formatted empty cells",
                many_cells(base, here / "empty.xlsx", 5_000, 100, values=False),
            ),
            ("3,000,000 rows, the export's used", trailing_rows(base, here / "3m.xlsx", 3_000_000)),
            (
                "1,000,000 rows, the export's used, no <dimension>",
                trailing_rows(base, here / "1m.xlsx", 1_000_000, dimension=False),
            ),
            (
                "200,000 empty formatted rows after the data",
                trailing_rows(base, here / "tail.xlsx", 200_000),
            ),
        ]
        print("import-excel preview of each workbook, in a process of its own (2 GB cap)")
        print(f"{'workbook':46} {'on disk':>9} {'seconds':>8} {'+MB':>6}  answer")
        for name, path in cases:
            got = run_measure(db, path)
            size = f"{path.stat().st_size / 1024:7.0f} KB"
            if "seconds" in got:
                grown = float(got["peak_mb"]) - float(got["before_mb"])  # type: ignore[arg-type]
                figures = f"{got['seconds']:8.2f} {grown:6.0f}"
            else:
                figures = f"{'-':>8} {'-':>6}"
            print(f"{name:46} {size} {figures}  {str(got['answer'])[:120]}")
        print(
            "seconds: the preview alone; +MB: the process's peak memory above what it held before"
        )
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--measure"]:
        print(json.dumps(measure(Path(sys.argv[2]), Path(sys.argv[3]))))
        raise SystemExit(0)
    raise SystemExit(main())
