"""The layers, enforced: who may import whom, and no import cycle anywhere.

The layers, lowest first (``docs/ARCHITECTURE.md`` draws them):

- ``bus``, ``topology``: the message bus and the dependency graph; nothing of the others.
- ``actors.domain``: pure logic (SLO math, canary scoring, triage, the world model).
- ``scenarios``: the schema, reading files, the loader, the cross-checks, the cost estimate, the importers.
- ``actors.report``: the readers of a trace (digest, gate, invariants, postmortem).
- ``actors.engine``: the actor base, the timers, the runtime.
- the actors (``actors.monitor``, ...): one module each; none imports another.
- ``actors.console``: the rich view of a trace.
- ``actors.pipeline``: the wiring; ``actors.run``, ``actors.sweep``, ``actors.outputs``: the
  command line and the files it writes.

Every import counts, wherever it is written (a function body, ``if TYPE_CHECKING:``).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

import networkx as nx
import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("actors", "bus", "topology", "scenarios")

#: layer -> the layers it may import (itself included)
ALLOWED: dict[str, set[str]] = {
    "bus": {"bus"},
    "topology": {"topology"},
    "domain": {"domain", "bus", "topology"},
    "scenarios": {"scenarios", "domain", "bus", "topology"},
    "report": {"report", "scenarios", "domain", "bus", "topology"},
    "engine": {"engine", "bus"},
    "actor": {"engine", "report", "scenarios", "domain", "bus", "topology"},
    "console": {"console", "report", "scenarios", "domain", "bus", "topology"},
    "wiring": {"wiring", "actor", "engine", "report", "scenarios", "domain", "bus", "topology"},
    "cli": {
        "cli",
        "wiring",
        "console",
        "actor",
        "engine",
        "report",
        "scenarios",
        "domain",
        "bus",
        "topology",
        "package",
    },
    "package": set(),
}
#: third-party libraries a layer must not import (rendering stays out of the simulation)
FORBIDDEN_LIBRARIES: dict[str, set[str]] = {
    "bus": {"rich"},
    "topology": {"rich", "anyio", "pydantic"},
    "domain": {"rich", "anyio"},
    "scenarios": {"rich", "anyio"},
    "report": {"rich", "anyio"},
    "engine": {"rich"},
    "actor": {"rich"},
    "wiring": {"rich"},
}


def layer_of(module: str) -> str:
    parts = module.split(".")
    if parts[0] in ("bus", "topology", "scenarios"):
        return parts[0]
    assert parts[0] == "actors", module
    if len(parts) == 1:
        return "package"
    sub = parts[1]
    if sub in ("domain", "report", "engine", "console"):
        return sub
    if sub == "pipeline":
        return "wiring"
    if sub in ("run", "sweep", "outputs", "routes", "oncall"):
        return "cli"
    return "actor"


def project_modules() -> dict[str, Path]:
    out = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            out[".".join(parts)] = path
    return out


def imports_of(source: str, modules: Iterable[str]) -> tuple[set[str], set[str]]:
    """(project modules, third-party top-level names) that *source* imports, anywhere in it."""
    known = set(modules)
    project, libraries = set(), set()

    def add(name: str) -> None:
        top = name.split(".", maxsplit=1)[0]
        if top in PACKAGES:
            # the deepest project module the name reaches
            while name not in known and "." in name:
                name = name.rsplit(".", 1)[0]
            project.add(name)
        else:
            libraries.add(top)

    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                add(alias.name)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                add(full if full in known else node.module)
    return project, libraries


def import_graph() -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    modules = project_modules()
    graph, libraries = {}, {}
    for name, path in modules.items():
        graph[name], libraries[name] = imports_of(path.read_text(encoding="utf-8"), modules)
        graph[name].discard(name)
    return graph, libraries


def layer_violations(graph: Mapping[str, set[str]], libraries: Mapping[str, set[str]] | None = None) -> list[str]:
    """Every import a layer may not make, as ``module -> imported (why)``."""
    out = []
    for module, imported in sorted(graph.items()):
        layer = layer_of(module)
        for target in sorted(imported):
            other = layer_of(target)
            if other == "package":
                continue  # a package's __init__ holds no code of its layer
            if layer == other == "actor":
                out.append(f"{module} -> {target} (an actor imports no other actor: they talk by messages)")
            elif other not in ALLOWED[layer]:
                out.append(f"{module} -> {target} ({layer} may not import {other})")
        forbidden = (libraries or {}).get(module, set()) & FORBIDDEN_LIBRARIES.get(layer, set())
        out += [f"{module} -> {library} ({layer} may not import {library})" for library in sorted(forbidden)]
    return out


def import_cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    g = nx.DiGraph()
    for module, imported in graph.items():
        g.add_node(module)
        g.add_edges_from((module, target) for target in imported if target in graph)
    return [sorted(c) for c in nx.strongly_connected_components(g) if len(c) > 1]


def test_every_import_respects_the_layers() -> None:
    graph, libraries = import_graph()
    assert layer_violations(graph, libraries) == []


def test_there_is_no_import_cycle() -> None:
    graph, _ = import_graph()
    assert import_cycles(graph) == []


def test_the_graph_sees_the_imports_it_must() -> None:
    """The walk finds imports in function bodies and TYPE_CHECKING blocks, and resolves
    ``from package import module``: a checker that saw nothing would pass everything."""
    graph, libraries = import_graph()
    assert "actors.engine.actor" in graph["actors.monitor"]
    assert "bus.vtime" in graph["bus.clock"]  # imported inside a function
    assert "actors.report.digest" in graph["actors.report.gate"]
    assert "rich" in libraries["actors.console.view"]
    assert len(graph) >= 40


@pytest.mark.parametrize(
    ("module", "source", "why"),
    [
        ("actors.domain.slo", "from actors.monitor import Monitor", "domain may not import actor"),
        ("bus.bus", "import actors.engine.actor", "bus may not import engine"),
        ("topology.graph", "def f():\n    from bus.trace import Trace", "topology may not import bus"),
        ("scenarios.loader", "from actors.engine.runtime import Runtime", "scenarios may not import engine"),
        ("actors.report.gate", "from actors.pager import Pager", "report may not import actor"),
        ("actors.report.gate", "from actors.console.view import TraceView", "report may not import console"),
        ("actors.pager", "from actors.correlator import Correlator", "an actor imports no other actor"),
        ("actors.engine.runtime", "from rich.console import Console", "engine may not import rich"),
        (
            "actors.domain.world",
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from actors.engine.actor import Actor",
            "domain may not import engine",
        ),
    ],
)
def test_a_forbidden_import_is_caught(module: str, source: str, why: str) -> None:
    graph, libraries = import_graph()
    extra, extra_libraries = imports_of(source, graph)
    graph[module] = graph[module] | extra
    libraries[module] = libraries[module] | extra_libraries
    found = layer_violations(graph, libraries)
    assert any(why in line for line in found), found


def test_a_cycle_is_caught() -> None:
    graph, _ = import_graph()
    graph["bus.vtime"] = graph["bus.vtime"] | {"bus.clock"}  # bus.clock imports bus.vtime
    assert ["bus.clock", "bus.vtime"] in import_cycles(graph)
