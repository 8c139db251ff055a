"""End to end on sample_monolith/: every coupling its README lists is found, and imports agree with grimp."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from decompose.analysis import analyze
from decompose.graph import DependencyGraph

SAMPLE = Path(__file__).resolve().parent.parent / "sample_monolith"
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not (SAMPLE / "README.md").is_file(), reason="sample_monolith/ not present"),
]


def readme_couplings() -> list[tuple[str, str, str, str, str]]:
    text = (SAMPLE / "README.md").read_text(encoding="utf-8")
    m = re.search(r"<!-- couplings:start -->(.*?)<!-- couplings:end -->", text, re.S)
    assert m, "README.md has no couplings table"
    rows = []
    for line in m.group(1).strip().splitlines()[2:]:
        cells = tuple(c.strip() for c in line.strip().strip("|").split("|"))
        assert len(cells) == 5, line
        rows.append(cells)
    return rows


ROWS = readme_couplings() if (SAMPLE / "README.md").is_file() else []


@pytest.fixture(scope="module")
def graph() -> DependencyGraph:
    return analyze(SAMPLE, use_cache=False)


def expected_symbol(kind: str, written: str, g: DependencyGraph, target: str) -> set[str]:
    """The README writes symbols as in the source; Evidence.symbol is the defining module's name for it."""
    if written == "settings.AUTH_USER_MODEL":
        return {m["name"] for m in g.graph.nodes[target]["models"]}
    if kind == "url":
        return {""}  # the included URLconf is the module itself
    return {written.rsplit(".", 1)[-1]}


def test_readme_table_is_not_empty():
    kinds = {r[0] for r in ROWS}
    assert {"import", "call", "fk", "inherit", "orm", "signal", "url", "string_ref"} <= kinds


@pytest.mark.parametrize("kind,source,target,path,symbol", ROWS, ids=[f"{r[0]}:{r[1]}->{r[2]}:{r[4]}" for r in ROWS])
def test_readme_coupling_found(graph, kind, source, target, path, symbol):
    assert graph.graph.has_edge(source, target, key=kind), f"no {kind} edge {source} -> {target}"
    ev = graph.graph.edges[source, target, kind]["evidence"]
    in_file = [e for e in ev if e.path == path]
    assert in_file, f"no evidence in {path}: {[str(e) for e in ev]}"
    wanted = expected_symbol(kind, symbol, graph, target)
    assert wanted & {e.symbol for e in in_file}, (wanted, [(str(e), e.symbol) for e in in_file])


def test_label_differs_from_folder(graph):
    reporting = [a for a in graph.apps if a.name == "reporting"]
    assert [a.label for a in reporting] == ["reports"]
    assert graph.app_of("reporting.queries") == "reports"
    tables = {m["table"] for m in graph.graph.nodes["reporting.models"]["models"]}
    assert tables and all(t.startswith("reports_") for t in tables)


def test_import_edges_agree_with_grimp(graph):
    import grimp  # a test dependency: missing it is an error, never a skip

    packages = sorted(
        p.name for p in SAMPLE.iterdir() if p.is_dir() and (p / "__init__.py").is_file()
    )
    sys.path.insert(0, str(SAMPLE))
    try:
        gg = grimp.build_graph(*packages, cache_dir=None)
    finally:
        sys.path.remove(str(SAMPLE))
    # migrations are only scanned for their `dependencies`, by design: leave them out of both sides
    def keep(m: str) -> bool:
        return ".migrations" not in m and m.split(".")[0] in packages

    theirs = {(u, v) for u in gg.modules if keep(u) for v in gg.find_modules_directly_imported_by(u) if keep(v)}
    ours = {(u, v) for u, v, _ in graph.edges(["import"]) if keep(u) and keep(v)}
    assert len(theirs) > 100
    assert ours == theirs, {"only decompose": sorted(ours - theirs), "only grimp": sorted(theirs - ours)}
