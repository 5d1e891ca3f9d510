"""The layers point one way (docs/ARCHITECTURE.md):

    qt → cli → workspace / outputs → storage → plan → paths

Checked on the source (every import statement, at module level or inside a function) and on a
real interpreter (importing everything outside ``qt/`` never loads PySide6).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "jingan_desktop"

# What each part of the package may import from the package (besides itself).
ALLOWED: dict[str, set[str]] = {
    "paths": set(),
    "plan": {"paths"},
    "storage": {"plan", "paths"},
    "workspace": {"storage", "plan", "paths"},
    "outputs": {"workspace", "storage", "plan", "paths"},
    "cli": {"outputs", "workspace", "storage", "plan", "paths", "qt", "__init__"},
    "__main__": {"cli"},
    "__init__": set(),
    "qt": {"outputs", "workspace", "storage", "plan", "paths", "__init__"},
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {
        module_name(p): p
        for p in PACKAGE.rglob("*.py")
        if "forms" not in p.relative_to(PACKAGE).parts
    }


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """The package's modules that ``path`` imports, anywhere in it."""
    package = name if path.stem == "__init__" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            targets = [base] + [f"{base}.{alias.name}" for alias in node.names]
        for target in targets:
            # the module itself, or the nearest enclosing package that is a module of ours
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name and target.startswith("jingan_desktop"):
                found.add(target)
    return found


def part_of(name: str) -> str:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


GRAPH = {name: imports_of(name, path, set(modules())) for name, path in modules().items()}


def test_every_part_of_the_package_has_a_rule():
    assert {part_of(name) for name in GRAPH} <= set(ALLOWED)
    assert {"plan", "storage", "outputs", "workspace", "qt", "cli"} <= {part_of(n) for n in GRAPH}


@pytest.mark.parametrize("part", sorted(ALLOWED))
def test_dependencies_point_one_way(part: str):
    offenders = sorted(
        f"{name} imports {target}"
        for name, targets in GRAPH.items()
        if part_of(name) == part
        for target in targets
        if part_of(target) != part and part_of(target) not in ALLOWED[part]
    )
    assert offenders == []


def test_only_the_ui_the_cli_entry_and_main_import_qt():
    importers = {
        name
        for name, targets in GRAPH.items()
        if part_of(name) != "qt" and any(part_of(t) == "qt" for t in targets)
    }
    assert importers <= {"jingan_desktop.cli"}


def test_no_import_circles():
    """Tarjan's strongly connected components over every import, lazy ones included."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in GRAPH.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for name in sorted(GRAPH):
        if name not in index:
            visit(name)
    assert circles == []


def test_nothing_outside_qt_loads_qt():
    names = sorted(n for n in GRAPH if part_of(n) != "qt" and n != "jingan_desktop.__main__")
    code = (
        "import sys\n"
        + "".join(f"import {m}\n" for m in names)
        + "bad = sorted(m for m in sys.modules if m.startswith(('PySide6', 'shiboken6')))\n"
        + "assert not bad, bad\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert len(names) >= 15


def test_no_qt_import_statements_outside_the_qt_package():
    offenders = [
        name
        for name, path in modules().items()
        if part_of(name) != "qt"
        and (
            "import PySide6" in path.read_text(encoding="utf-8")
            or "from PySide6" in path.read_text(encoding="utf-8")
        )
    ]
    assert offenders == []


def test_the_rules_catch_a_wrong_import(tmp_path: Path):
    """The checker itself: a plan module importing storage is found."""
    fake = tmp_path / "jingan_desktop" / "plan" / "bad.py"
    fake.parent.mkdir(parents=True)
    fake.write_text("from ..storage.store import Store\nfrom . import model\n", encoding="utf-8")
    known = {"jingan_desktop.plan.bad", "jingan_desktop.storage.store", "jingan_desktop.plan.model"}
    found = imports_of("jingan_desktop.plan.bad", fake, known)
    assert found == {"jingan_desktop.storage.store", "jingan_desktop.plan.model"}
    assert part_of("jingan_desktop.storage.store") not in ALLOWED["plan"]


def test_generated_forms_match_their_designer_files():
    result = subprocess.run(
        [sys.executable, str(ROOT / "build_scripts" / "compile_forms.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr


# Inside qt/: what each room may import from qt/ (besides itself). Views and dialogs know
# nothing of the window; controllers know views and dialogs but not the window that holds
# them (they reach it as ``self.window``); only the start-up code imports the window.
QT_ALLOWED: dict[str, set[str]] = {
    "views": {"messages", "display"},
    "dialogs": {"forms", "messages", "display"},
    "controllers": {"views", "dialogs", "messages", "display", "undo"},
    "commands": set(),
    "main_window": {"commands", "controllers", "views"},
    "app": {"application", "main_window", "messages", "self_check"},
    "self_check": {"application", "fonts", "main_window", "messages", "self_check_outputs"},
    "self_check_outputs": {"dialogs", "views"},
    "application": {"fonts"},
    "undo": set(),
    "messages": set(),
    "display": set(),
    "fonts": set(),
    "forms": set(),
}


def qt_room(name: str) -> str | None:
    parts = name.split(".")
    return parts[2] if len(parts) > 2 and parts[1] == "qt" else None


def test_qt_parts_point_one_way():
    rooms = {qt_room(name) for name in GRAPH} - {None}
    assert rooms <= set(QT_ALLOWED), rooms - set(QT_ALLOWED)
    assert {"views", "dialogs", "controllers", "main_window"} <= rooms
    offenders = sorted(
        f"{name} imports {target}"
        for name, targets in GRAPH.items()
        if (room := qt_room(name)) is not None
        for target in targets
        if (other := qt_room(target)) is not None
        and other != room
        and other not in QT_ALLOWED[room]
    )
    assert offenders == []


# Packages with steps inside: what each of their modules may import from the package (besides
# itself); nothing below a package's door imports the door. The rest of the app imports only
# the merge's door (the CLI reaches into sync/ for detect.py, which is fine: it is a leaf).
# storage/merge/: the values (model) and the tables (rows) at the bottom; applying re-plans
# through planning.
# storage/sync/: the session drives fetching, publishing, the replica and the lock file.
STEPS: dict[str, dict[str, set[str]]] = {
    "jingan_desktop.storage.merge": {
        "rows": set(),
        "model": set(),
        "reading": {"model", "rows"},
        "reconcile": {"model", "reading", "rows"},
        "comparison": {"model", "rows"},
        "renumber": {"comparison", "model"},
        "names": {"comparison", "model"},
        "planning": {"comparison", "model", "names", "reading", "reconcile", "renumber", "rows"},
        "applying": {"model", "planning", "rows"},
        "department_file": {"model", "rows"},
    },
    "jingan_desktop.storage.sync": {
        "detect": set(),
        "lock": set(),
        "fetch": set(),
        "replica": set(),
        "pending": {"fetch", "replica"},
        "publish": {"fetch", "lock"},
        "session": {"fetch", "lock", "pending", "publish", "replica"},
    },
}


DOOR_ONLY = {"jingan_desktop.storage.merge"}


def step_of(package: str, name: str) -> str | None:
    return name.removeprefix(package + ".") if name.startswith(package + ".") else None


@pytest.mark.parametrize("package", sorted(STEPS))
def test_steps_inside_a_package_point_one_way(package: str):
    allowed = STEPS[package]
    steps = {step_of(package, name) for name in GRAPH} - {None}
    assert steps == set(allowed), steps ^ set(allowed)
    offenders = sorted(
        f"{name} imports {target}"
        for name, targets in GRAPH.items()
        if (step := step_of(package, name)) is not None
        for target in targets
        if (target == package or step_of(package, target) is not None)
        and step_of(package, target) not in allowed[step]
    )
    assert offenders == []
    if package not in DOOR_ONLY:
        return
    reached_inside = sorted(
        f"{name} imports {target}"
        for name, targets in GRAPH.items()
        if name != package and step_of(package, name) is None
        for target in targets
        if step_of(package, target) is not None
    )
    assert reached_inside == []
