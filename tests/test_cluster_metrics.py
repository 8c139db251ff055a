"""Metrics on a hand-computed case, and the combined score's shape."""

from __future__ import annotations

import pytest

from decompose.cluster import metrics as M
from decompose.cluster.coupling import Weights, build_coupling
from decompose.cluster.synthetic import synthetic_graph
from decompose.graph import DependencyGraph, Evidence


def small() -> DependencyGraph:
    g = DependencyGraph.empty()
    g.add_module("a.m", app="a", path="a/m.py", models=[{"name": "T", "line": 1, "table": "a_t", "abstract": False}])
    g.add_module("a.s", app="a", path="a/s.py", atomic_blocks=[{"line": 9, "modules": ["a.m", "b.m"]}])
    g.add_module("b.m", app="b", path="b/m.py", models=[{"name": "U", "line": 1, "table": "b_u", "abstract": False}])
    g.add_module("b.s", app="b", path="b/s.py")
    g.add_module("b.tests", app="b", path="b/tests.py", test=True)
    g.add_evidence("a.s", "a.m", "orm", Evidence("a/s.py", 3, "T.objects"))
    g.add_evidence("b.s", "b.m", "orm", Evidence("b/s.py", 3, "U.objects"))
    g.add_evidence("b.m", "a.m", "fk", Evidence("b/m.py", 5, "a.T"))
    g.add_evidence("b.s", "a.s", "call", Evidence("b/s.py", 7, "a.s.f"))
    g.add_evidence("b.tests", "a.s", "call", Evidence("b/tests.py", 2, "a.s.f"))  # tests are left out
    return g


BY_APP = [("a.m", "a.s"), ("b.m", "b.s")]


def test_derived_weights() -> None:
    cg = build_coupling(small(), "module")
    w = {tuple(sorted((u, v))): d["weight"] for u, v, d in cg.graph.edges(data=True)}
    # orm 4, fk 5, call 2, atomic 3 (a.s's block uses a.m and b.m)
    assert w == {("a.m", "a.s"): 7, ("b.m", "b.s"): 4, ("a.m", "b.m"): 5, ("a.s", "b.s"): 2, ("a.s", "b.m"): 3}
    assert "b.tests" not in cg.graph


def test_flags_scale_weights() -> None:
    g = small()
    g.add_evidence("b.s", "a.m", "import", Evidence("b/s.py", 1, "a.m", ("type_checking",)))
    cg = build_coupling(g, "module", weights=Weights.from_config({"import": 2}, {"type_checking": 0.25}))
    assert cg.graph["b.s"]["a.m"]["weight"] == 0.5


def test_app_level_aggregates() -> None:
    cg = build_coupling(small(), "app")
    assert cg.members() == ["a", "b"]
    assert cg.graph["a"]["b"]["weight"] == 10  # fk 5 + call 2 + atomic 3
    assert cg.sizes == {"a": 2, "b": 2}


def test_hand_computed_values() -> None:
    cg = build_coupling(small(), "module")
    assert M.icp(cg, BY_APP) == pytest.approx(10 / 21)
    assert M.modularity(cg, BY_APP) == pytest.approx((7 / 21 - (24 / 42) ** 2) + (4 / 21 - (18 / 42) ** 2))
    assert M.turbomq(cg, BY_APP) == pytest.approx(14 / 24 + 8 / 18)
    assert M.mq(cg, BY_APP) == pytest.approx(0.0)  # (1/4 + 1/4)/2 − 2/(2·2·2)
    assert M.sm(cg, BY_APP) == pytest.approx(0.25 - 3 / 8)
    assert M.ifn(cg, BY_APP) == 1.0  # {a.T, a.s.f} into a, nothing into b
    assert M.cross_service_fks(cg, BY_APP) == 1
    assert M.shared_tables(cg, BY_APP) == 1  # a_t is read by b through the FK
    assert M.spanning_atomic_blocks(cg, BY_APP) == 1
    assert M.data_cut(cg, BY_APP) == pytest.approx(3 / 4)
    assert M.ned(cg, BY_APP) == 1.0
    assert M.gini(cg, BY_APP) == 0.0
    assert M.largest_share(cg, BY_APP) == 0.5


def test_one_service_cuts_nothing() -> None:
    cg = build_coupling(small(), "module")
    one = [("a.m", "a.s", "b.m", "b.s")]
    assert M.icp(cg, one) == 0 and M.cross_service_fks(cg, one) == 0
    assert M.shared_tables(cg, one) == 0 and M.spanning_atomic_blocks(cg, one) == 0
    assert M.largest_share(cg, one) == 1.0


def test_gini_of_unequal_sizes() -> None:
    cg = build_coupling(small(), "module")
    assert M.gini(cg, [("a.m", "a.s", "b.m"), ("b.s",)]) == pytest.approx(0.25)


def test_score_punishes_one_giant_and_all_singletons() -> None:
    g, planted = synthetic_graph(300, seed=2)
    cg = build_coupling(g, "app").subgraph(set(build_coupling(g, "app").members()) - {"core"})
    sensible = [tuple(ms) for name, ms in planted.items() if name != "core"]
    members = cg.members()
    giant = [tuple(members)]
    singletons = [(m,) for m in members]
    lopsided = [tuple(members[:-1]), (members[-1],)]
    s = M.score(cg, sensible)
    assert s > M.score(cg, giant)
    assert s > M.score(cg, singletons)
    assert s > M.score(cg, lopsided)
    # coupling alone would favour the giant: nothing crosses a boundary
    assert M.icp(cg, giant) < M.icp(cg, sensible)


def test_all_metrics_names() -> None:
    cg = build_coupling(small(), "module")
    out = M.all_metrics(cg, BY_APP)
    assert list(out) == list(M.METRICS)


def test_modularity_matches_networkx() -> None:
    import networkx as nx

    g, _ = synthetic_graph(300, seed=6)
    cg = build_coupling(g, "module")
    part = [tuple(sorted(c)) for c in nx.community.louvain_communities(cg.graph, seed=1)]
    assert M.modularity(cg, part) == pytest.approx(nx.community.modularity(cg.graph, part, weight="weight"))
