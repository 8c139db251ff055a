"""decompose's own layering, as decompose's analysis of its src/ sees it.

DESIGN.md: data flows one way (discover -> scan -> build -> the graph value) and a stage imports only
the stages upstream of it. Every import counts here, ``TYPE_CHECKING``-only and function-local ones
too: they are the circle a reader has to follow.
"""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import pytest

from decompose.analysis import analyze

SRC = Path(__file__).resolve().parents[1] / "src"


@pytest.fixture(scope="module")
def imports() -> nx.DiGraph[str]:
    graph = analyze(SRC, use_cache=False, jobs=1)
    g: nx.DiGraph[str] = nx.DiGraph()
    for u, v, _d in graph.edges(["import"]):
        if u.startswith("decompose.") and v.startswith("decompose."):
            g.add_edge(u, v)
    return g


@pytest.mark.parametrize("module", ["decompose.graph", "decompose.builder", "decompose.project"])
def test_core_modules_are_in_no_import_cycle(imports: nx.DiGraph[str], module: str) -> None:
    assert module in imports
    cycle = next((c for c in nx.strongly_connected_components(imports) if module in c and len(c) > 1), set())
    assert not cycle, f"{module} is in an import cycle with {sorted(cycle - {module})}"


def test_discover_build_and_graph_import_only_upstream(imports: nx.DiGraph[str]) -> None:
    # project (discover) owns AppInfo and Skipped; the graph value re-exports them and never builds
    assert not nx.has_path(imports, "decompose.project", "decompose.graph")
    assert not nx.has_path(imports, "decompose.project", "decompose.builder")
    assert not nx.has_path(imports, "decompose.graph", "decompose.builder")
    assert imports.has_edge("decompose.builder", "decompose.project")
    assert imports.has_edge("decompose.builder", "decompose.graph")


def test_the_plan_and_api_spec_are_in_no_import_cycle(imports: nx.DiGraph[str]) -> None:
    # api_spec names the endpoints from the plan's values; the planner may quote those paths, never the reverse
    plan = {m for m in imports if m == "decompose.extract.plan" or m.startswith("decompose.extract.plan.")}
    assert "decompose.extract.api_spec" in imports and plan
    for scc in nx.strongly_connected_components(imports):
        if "decompose.extract.api_spec" in scc:
            assert not scc & plan, f"api_spec is in an import cycle with {sorted(scc & plan)}"
    assert not nx.has_path(imports, "decompose.extract.api_spec", "decompose.extract.plan.planner")
