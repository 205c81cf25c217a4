"""The house rules of shared/DESIGN.md, checked on every run: walls between rooms, no SQL in the API,
no import circle, small modules, and an API process that never loads workflow or activity code."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ROOMS = ("core", "api", "workflows", "activities", "channels", "templates", "store", "clarion")
# room -> the rooms it may import at module level (DESIGN.md "Rooms")
WALLS: dict[str, set[str]] = {
    "core": set(),
    "channels": set(),
    "templates": {"core"},
    "store": {"core"},
    "activities": {"core", "store", "templates", "channels"},
    "workflows": {"core"},
    "api": {"core", "store", "templates", "channels"},
    "clarion": set(ROOMS),
}
# A workflow module reaches activity types and methods only inside imports_passed_through().
PASSED_THROUGH = {"activities", "core"}
# Generated migration history is never edited, so its length says nothing about the design.
SIZE_EXEMPT = ("store/migrations/versions/",)
MAX_LINES = 320
SQL_IN_API = re.compile(
    r"session\.(add|add_all|execute|scalars?|get|delete|flush)\(|(^|[^.\w])(select|insert|update|delete)\("
)


def _modules() -> Iterator[tuple[str, Path]]:
    for room in ROOMS:
        for path in sorted((ROOT / room).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            yield ".".join(parts), path


MODULES = dict(_modules())


def _passthrough_lines(tree: ast.AST) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.With) and any(
            "imports_passed_through" in ast.unparse(item.context_expr) for item in node.items
        ):
            lines |= {inner.lineno for inner in ast.walk(node) if isinstance(inner, ast.Import | ast.ImportFrom)}
    return lines


def _top_level_imports(tree: ast.Module, package: str) -> Iterator[tuple[int, str]]:
    """Imports that run when the module loads (not inside functions), as the modules they name."""

    def visit(nodes: list[ast.stmt]) -> Iterator[tuple[int, str]]:
        for node in nodes:
            if isinstance(node, ast.Import):
                yield from ((node.lineno, alias.name) for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    base = ".".join([*package.split(".")[: len(package.split(".")) - node.level + 1], base]).strip(".")
                for alias in node.names:
                    sub = f"{base}.{alias.name}"
                    yield node.lineno, sub if sub in MODULES else base
            elif isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                continue
            elif isinstance(node, ast.With | ast.If | ast.Try):
                yield from visit(node.body)
                for handler in getattr(node, "handlers", []):
                    yield from visit(handler.body)
                yield from visit(getattr(node, "orelse", []))
                yield from visit(getattr(node, "finalbody", []))

    yield from visit(tree.body)


def _package(module: str, path: Path) -> str:
    return module if path.name == "__init__.py" else module.rsplit(".", 1)[0]


def _parsed() -> Iterator[tuple[str, Path, ast.Module]]:
    for module, path in MODULES.items():
        yield module, path, ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def test_imports_respect_the_walls() -> None:
    crossings = []
    for module, path, tree in _parsed():
        room = module.split(".", 1)[0]
        through = _passthrough_lines(tree) if room == "workflows" else set()
        for lineno, target in _top_level_imports(tree, _package(module, path)):
            target_room = target.split(".", 1)[0]
            if target_room not in ROOMS or target_room == room or target_room in WALLS[room]:
                continue
            if lineno in through and target_room in PASSED_THROUGH:
                continue
            crossings.append(f"{path.relative_to(ROOT)}:{lineno}: {room}/ imports {target}")
    assert crossings == []


def test_no_query_is_written_in_the_api() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
        for module, path in MODULES.items()
        if module.startswith("api.")
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if SQL_IN_API.search(line) and not line.lstrip().startswith("#")
    ]
    assert found == [], "every query lives in store/ (DESIGN.md)"


def test_no_import_circle() -> None:
    graph: dict[str, set[str]] = {}
    for module, path, tree in _parsed():
        graph[module] = {t for _, t in _top_level_imports(tree, _package(module, path)) if t in MODULES and t != module}
    # Tarjan's strongly connected components: any component of two or more modules is a circle.
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                connect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for node in graph:
        if node not in index:
            connect(node)
    assert circles == []


def test_modules_stay_small() -> None:
    long = [
        f"{path.relative_to(ROOT)}: {count} lines"
        for path in MODULES.values()
        if not str(path.relative_to(ROOT)).startswith(SIZE_EXEMPT)
        and (count := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    ]
    assert long == []


@pytest.mark.parametrize("entry", ["api.app"])
def test_the_api_never_loads_workflow_or_activity_code(entry: str) -> None:
    # A fresh interpreter: this test process has long imported everything.
    probe = (
        f"import sys, {entry}; "
        "print('\\n'.join(sorted(m for m in sys.modules if m.split('.')[0] in ('activities', 'workflows'))))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True, timeout=60
    ).stdout.split()
    assert loaded == []
    # The probe itself can see these modules: an import of one would show up.
    seen = subprocess.run(
        [sys.executable, "-c", "import sys, clarion.worker; print('activities.dispatch' in sys.modules)"],
        cwd=ROOT, capture_output=True, text=True, check=True, timeout=60,
    ).stdout.strip()
    assert seen == "True"
