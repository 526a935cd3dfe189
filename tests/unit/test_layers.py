"""The architecture, checked: no import cycles, and each layer imports only the layers below it.

``nodes`` (the node library) < ``app.engine`` (pure: plans and runs graphs) < ``storage`` <
``app.services`` < ``app.api`` / ``app.demo`` / ``app.cli`` < ``app.main`` (the composition
root). Every import counts, at module level or inside a function: a lazy import hides a cycle
from the interpreter, not from the design.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("app", "nodes", "storage")


def _module(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path, modules: set[str]) -> set[str]:
    """The modules of ours that ``path`` imports (``from a.b import c`` counts a.b.c when c is a module)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        for name in names:
            if name in modules:
                found.add(name)
    return found


def import_graph() -> nx.DiGraph:
    files = {_module(p): p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")}
    graph = nx.DiGraph()
    graph.add_nodes_from(files)
    for name, path in files.items():
        for target in _imports(path, set(files)):
            # a package's __init__ is a parent of its modules, not a dependency worth a cycle
            if target != name and not name.startswith(target + ".") and not target.startswith(name + "."):
                graph.add_edge(name, target)
    return graph


GRAPH = import_graph()


def _importers(prefix: str) -> dict[str, list[str]]:
    return {m: sorted(t for t in GRAPH.successors(m) if t == prefix or t.startswith(prefix + ".")) for m in GRAPH}


def test_there_is_no_import_cycle():
    cycles = list(nx.simple_cycles(GRAPH))
    assert not cycles, f"import cycles: {cycles[:5]}"


def test_no_module_outside_the_routes_imports_a_route():
    bad = {m: t for m, t in _importers("app.api.routes").items()
           if t and not m.startswith("app.api.routes") and m != "app.main"}
    assert not bad, f"modules below the routes import routes: {bad}"


def test_only_the_entry_points_import_the_composition_root():
    bad = [m for m, t in _importers("app.main").items() if t and m != "app.cli.main"]
    assert not bad, f"app.main is the composition root; imported by {bad}"


def test_each_layer_imports_only_the_layers_below_it():
    above = {
        "nodes": ("app", "storage"),
        "app.engine": ("storage", "app.services", "app.api", "app.demo", "app.cli", "app.main"),
        "storage": ("app.services", "app.api", "app.demo", "app.cli", "app.main"),
        "app.services": ("app.api", "app.demo", "app.cli", "app.main"),
        "app.demo": ("app.api.routes", "app.cli", "app.main"),
    }
    bad = []
    for module in GRAPH:
        for layer, forbidden in above.items():
            if module == layer or module.startswith(layer + "."):
                for target in GRAPH.successors(module):
                    if any(target == f or target.startswith(f + ".") for f in forbidden):
                        bad.append(f"{module} -> {target}")
    assert not bad, "a layer imports one above it:\n" + "\n".join(bad)


def test_the_check_sees_imports_inside_functions():
    # the cycle the layout removed (app.main <-> the shares route) was a function-level import
    assert "app.api.routes.graphs" in set(GRAPH.successors("app.main")) or any(
        t.startswith("app.api.routes") for t in GRAPH.successors("app.main"))
    assert "app.services.bootstrap" in set(GRAPH.successors("app.cli.main"))  # imported inside cmd_import
