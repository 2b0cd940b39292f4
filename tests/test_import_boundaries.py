"""Imports point only down the layers: agent → graph → tools → knowledge. tools/ and
knowledge/ never import LangGraph, and graph nodes never import a platform's own modules."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
LAYERS = ("agent", "graph", "tools", "knowledge")
#: What each layer must not import (its own and lower layers are fine).
FORBIDDEN = {
    "agent": set(),
    "graph": {"agent"},
    "tools": {"agent", "graph", "langgraph"},
    "knowledge": {"agent", "graph", "tools", "langgraph"},
}


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


@pytest.mark.parametrize("layer", LAYERS)
def test_imports_point_down(layer: str) -> None:
    wrong = [f"{path.relative_to(REPO)}:{line} imports {name}"
             for path in sorted((REPO / layer).rglob("*.py"))
             for line, name in _imports(path) if name.split(".")[0] in FORBIDDEN[layer]]
    assert not wrong, "\n".join(wrong)


def test_graph_nodes_never_import_a_platform_module() -> None:
    wrong = [f"{path.relative_to(REPO)}:{line} imports {name}"
             for path in sorted((REPO / "graph").rglob("*.py"))
             for line, name in _imports(path) if name.startswith(("tools.vertex", "tools.local"))]
    assert not wrong, "\n".join(wrong)


def test_graph_never_branches_on_the_platform_name() -> None:
    for path in sorted((REPO / "graph").rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        for probe in ('== "local"', '!= "local"', '== "vertex"', '!= "vertex"', "hasattr("):
            assert probe not in text, f"{path.relative_to(REPO)} contains {probe}"
