"""The report's figures for the benchmark: our PDF against the reportlab floor and against
LibreOffice printing the same ledger (see bench/run.py for how it stays honest)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.measure import child_env, run_child, spread

Goal = tuple[Callable[[float], bool], str] | None


def floor_report(workspace: Any, target: Path) -> None:
    """reportlab at its plainest with what the report must carry anyway: the embedded CJK
    font and one table row per item and indicator, names and progress texts wrapped."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Table

    from jingan_desktop.outputs.report.styles import ensure_pdf_font

    font = ensure_pdf_font()
    style = ParagraphStyle("cell", fontName=font, fontSize=9, leading=12, wordWrap="CJK")
    cell = lambda text: Paragraph(text, style)  # noqa: E731
    rows = [[cell(t) for t in ("编号", "名称", "目标", "实际", "完成率", "进展")]]
    for item in workspace.items.values():
        progress = workspace.progress_of(item.id)
        rows.append([cell(str(item.number)), cell(item.title), "", "", "",
                     cell(progress.text if progress else "")])  # fmt: skip
        for indicator in item.indicators:
            actual = workspace.actual(indicator.id)
            rows.append([
                "", cell(indicator.name), cell(f"{indicator.value or ''}{indicator.unit}"),
                cell("" if actual is None or actual.value is None else f"{actual.value:g}"),
                "", "",
            ])  # fmt: skip
    widths = [12 * mm, 60 * mm, 25 * mm, 20 * mm, 15 * mm, 48 * mm]
    SimpleDocTemplate(str(target), pagesize=A4).build([Table(rows, widths, repeatRows=1)])


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def libreoffice_pdf(xlsx: Path, out: Path, profile: Path) -> None:
    command = [soffice() or "soffice", f"-env:UserInstallation={profile.as_uri()}",
               "--headless", "--convert-to", "pdf", "--outdir", str(out), str(xlsx)]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, timeout=900)
    if result.returncode != 0 or not (out / f"{xlsx.stem}.pdf").exists():
        raise RuntimeError(f"LibreOffice failed: {result.stderr[-400:]}")


def report_command(path: Path, year: int, out: Path) -> list[str]:
    """The clerk's report: ``jingan-desktop report`` in a fresh process, imports included."""
    return [sys.executable, "-m", "jingan_desktop", "report", "--db", str(path),
            "--quarter", f"{year}Q2", "-o", str(out)]  # fmt: skip


def reports(name: str, path: Path, folder: Path, repeat: int) -> dict[str, Any]:
    """Our report, the reportlab floor and LibreOffice, interleaved.

    Against LibreOffice (a fresh process printing the ledger) ours is a fresh process too:
    the ``report`` command, wall clock, imports and opening the file included, as the
    clerk's click on a cold start pays them. Its very first run, before the bytecode and the
    bundled font's parse are cached (a fresh install's first report), is printed on its own. Against the floor (reportlab in
    this process) ours is ``build_report`` in this process."""
    from jingan_desktop.outputs.excel import export_excel
    from jingan_desktop.outputs.report import build_report
    from jingan_desktop.storage.store import Store
    from jingan_desktop.workspace import Workspace

    store = Store.open(path, readonly=True)
    workspace = Workspace(store, quarter=2)
    xlsx = folder / f"ledger-{name}.xlsx"
    export_excel(workspace, xlsx)
    office = soffice()
    profile = folder / "lo-profile"
    if office and not profile.exists():
        libreoffice_pdf(xlsx, folder / "lo-warm", profile)  # LibreOffice's first start
    env = child_env(folder)
    command = report_command(path, workspace.plan.year, folder / f"cold-{name}.pdf")
    first = run_child(command, env)  # the first report here: bytecode and font not cached
    cold, cold_cpu, ours, ours_cpu, floors, office_s = [], [], [], [], [], []
    for _ in range(repeat):
        wall, cpu, _out = run_child(command, env)
        cold.append(wall)
        cold_cpu.append(cpu)
        wall, cpu = time.perf_counter(), time.process_time()
        build_report(workspace, folder / f"report-{name}.pdf")
        ours.append(time.perf_counter() - wall)
        ours_cpu.append(time.process_time() - cpu)
        wall = time.perf_counter()
        floor_report(workspace, folder / f"floor-{name}.pdf")
        floors.append(time.perf_counter() - wall)
        if office:
            wall = time.perf_counter()
            libreoffice_pdf(xlsx, folder / f"lo-{name}", profile)
            office_s.append(time.perf_counter() - wall)
    store.close()
    figures: dict[str, Any] = {
        f"report_cold_s_{name}": spread(cold),
        f"report_cold_cpu_s_{name}": spread(cold_cpu),
        f"report_first_s_{name}": first[0],
        f"report_s_{name}": spread(ours),
        f"report_cpu_s_{name}": spread(ours_cpu),
        f"report_floor_s_{name}": spread(floors),
        f"report_floor_ratio_{name}": spread([a / b for a, b in zip(ours, floors, strict=True)]),
    }
    if office_s:
        figures[f"report_libreoffice_s_{name}"] = spread(office_s)
        figures[f"report_libreoffice_ratio_{name}"] = spread(
            [a / b for a, b in zip(cold, office_s, strict=True)]
        )
    return figures


def report_rows(names: list[str]) -> list[tuple[str, str, Goal]]:
    rows: list[tuple[str, str, Goal]] = []
    for name in names:
        goal = 0.5 if name == "seed" else 1.0
        rows += [
            (f"report_cold_s_{name}", f"PDF report, {name} plan: `report` in a fresh process, s",
             None),
            (f"report_libreoffice_ratio_{name}", "  ÷ LibreOffice printing the Excel export",
             (lambda v, g=goal: v <= g, f"≤ {goal}×")),
            (f"report_libreoffice_s_{name}", "    LibreOffice, s", None),
            (f"report_cold_cpu_s_{name}", "    ours, CPU s", None),
            (f"report_first_s_{name}", "    the first run (bytecode compiled, font parsed: nothing cached), s", None),
            (f"report_s_{name}", "  build_report in a warm process, s", None),
            (f"report_floor_ratio_{name}", "    ÷ reportlab floor (CJK font, wrapped rows)", None),
        ]  # fmt: skip
    return rows
