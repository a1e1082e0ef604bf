"""The packages of ``app`` import each other without cycles, and ``app.core`` imports none.

Every module is parsed (not imported) and every import counts, those inside functions too:
an import moved into a function to dodge a cycle is still a dependency. A node is a package
of ``app`` (``app.tips``) or a top-level module (``app.main``)."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

APP = Path(__file__).resolve().parents[1] / "app"

# Modules left out of the graph, each with its reason (none today).
NOT_YET: frozenset[str] = frozenset()

Edges = dict[str, dict[str, list[str]]]


def _module_name(path: Path) -> list[str]:
    parts = list(path.relative_to(APP.parent).with_suffix("").parts)
    return parts[:-1] if parts[-1] == "__init__" else parts


def _imported(node: ast.AST, module: list[str], is_package: bool) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if not isinstance(node, ast.ImportFrom):
        return []
    if node.level:
        base = module if is_package else module[:-1]
        base = base[: len(base) - node.level + 1]
        target = ".".join([*base, *([node.module] if node.module else [])])
    else:
        target = node.module or ""
    if target == "app":  # from app import tips
        return [f"app.{alias.name}" for alias in node.names]
    return [target]


def _node(dotted: list[str]) -> str:
    return ".".join(dotted[:2])


def import_edges() -> Edges:
    """package -> imported package -> ["path:line module", ...]"""
    edges: Edges = defaultdict(lambda: defaultdict(list))
    for path in sorted(APP.rglob("*.py")):
        relative = path.relative_to(APP.parent).as_posix()
        if relative in NOT_YET:
            continue
        module = _module_name(path)
        source = _node(module)
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=relative)
        for node in ast.walk(tree):
            for target in _imported(node, module, path.name == "__init__.py"):
                parts = target.split(".")
                if parts[0] != "app" or len(parts) < 2:
                    continue
                imported = _node(parts)
                if imported != source and imported != "app":
                    edges[source][imported].append(f"{relative}:{node.lineno} {target}")
    return edges


def cycles(edges: Edges) -> list[list[str]]:
    """The strongly connected components with more than one package (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, {}):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def _explain(edges: Edges, component: list[str]) -> str:
    lines = [" <-> ".join(component)]
    for a in component:
        for b in component:
            for where in edges.get(a, {}).get(b, [])[:3]:
                lines.append(f"  {a} -> {b}: {where}")
    return "\n".join(lines)


def test_no_cycle_between_packages() -> None:
    edges = import_edges()
    found = cycles(edges)
    assert not found, "import cycles between packages:\n" + "\n".join(
        _explain(edges, c) for c in found
    )


def test_core_is_below_everything() -> None:
    """app.core is what every package shares; it imports none of them."""
    upward = dict(import_edges().get("app.core", {}))
    assert not upward, f"app.core imports {upward}"


def test_the_graph_sees_function_level_and_relative_imports(tmp_path: Path) -> None:
    """The parser finds what a cycle could hide behind."""
    source = (
        "from . import sibling\n"
        "from ..tips import models\n"
        "def f():\n"
        "    import app.triage.queue\n"
        "    from app import privacy\n"
    )
    tree = ast.parse(source)
    module = ["app", "audit", "service"]
    found = [t for node in ast.walk(tree) for t in _imported(node, module, False)]
    assert sorted(found) == [
        "app.audit",
        "app.privacy",
        "app.tips",
        "app.triage.queue",
    ]
    assert cycles({"a": {"b": ["x"]}, "b": {"c": ["y"]}, "c": {"a": ["z"]}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b": ["x"]}, "b": {}}) == []
