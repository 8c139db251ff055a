"""Every clustering algorithm: finds obvious structure, is deterministic, honours constraints."""

from __future__ import annotations

import networkx as nx
import pytest

from decompose.cluster.algorithms import ALGORITHMS, Constraints
from decompose.errors import ConfigError, UnknownNameError


def two_groups() -> nx.Graph:
    """Two dense groups {a,b,c,d} and {e,f,g,h} joined by one thin edge."""
    g = nx.Graph()
    for group in ("abcd", "efgh"):
        for i, u in enumerate(group):
            for v in group[i + 1 :]:
                g.add_edge(u, v, weight=4.0)
    g.add_edge("d", "e", weight=0.5)
    return g


def where(partition: list[tuple[str, ...]]) -> dict[str, int]:
    return {m: i for i, c in enumerate(partition) for m in c}


NAMES = sorted(ALGORITHMS)


@pytest.mark.parametrize("name", NAMES)
def test_finds_the_two_groups(name: str) -> None:
    part = ALGORITHMS[name](two_groups(), seed=3)
    assert part == [("a", "b", "c", "d"), ("e", "f", "g", "h")]


@pytest.mark.parametrize("name", NAMES)
def test_same_seed_same_partition(name: str) -> None:
    g = nx.barabasi_albert_graph(60, 2, seed=5)
    g = nx.relabel_nodes(g, {n: f"m{n:02d}" for n in g})
    nx.set_edge_attributes(g, 1.0, "weight")
    assert ALGORITHMS[name](g, seed=11) == ALGORITHMS[name](g, seed=11)


@pytest.mark.parametrize("name", NAMES)
def test_apart_is_honoured(name: str) -> None:
    part = ALGORITHMS[name](two_groups(), Constraints(apart=(("a", "b", "c"),)), seed=1)
    w = where(part)
    assert len({w["a"], w["b"], w["c"]}) == 3
    assert sorted(m for c in part for m in c) == list("abcdefgh")


@pytest.mark.parametrize("name", NAMES)
def test_together_is_honoured(name: str) -> None:
    part = ALGORITHMS[name](two_groups(), Constraints(together=(("a", "h"),)), seed=1)
    w = where(part)
    assert w["a"] == w["h"]


@pytest.mark.parametrize("name", NAMES)
def test_pins_are_honoured(name: str) -> None:
    # same service → same cluster, different services → different clusters
    c = Constraints(pin={"a": "x", "e": "x", "b": "y", "c": "z"})
    w = where(ALGORITHMS[name](two_groups(), c, seed=1))
    assert w["a"] == w["e"]
    assert len({w["a"], w["b"], w["c"]}) == 3


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("n", [1, 2, 3, 5])
def test_n_clusters_is_met(name: str, n: int) -> None:
    part = ALGORITHMS[name](two_groups(), seed=1, n_clusters=n)
    assert len(part) == n
    assert sorted(m for c in part for m in c) == list("abcdefgh")


@pytest.mark.parametrize("name", NAMES)
def test_n_clusters_never_merges_apart_members(name: str) -> None:
    part = ALGORITHMS[name](two_groups(), Constraints(apart=(("a", "e"),)), seed=1, n_clusters=1)
    w = where(part)
    assert w["a"] != w["e"]  # cannot reach one cluster: the constraint wins


def test_contradictions_and_unknown_members_are_one_line_errors() -> None:
    g = two_groups()
    with pytest.raises(ConfigError):
        ALGORITHMS["louvain"](g, Constraints(together=(("a", "b"),), apart=(("a", "b"),)))
    with pytest.raises(ConfigError):
        ALGORITHMS["louvain"](g, Constraints(pin={"a": "x", "b": "y"}, together=(("a", "b"),)))
    with pytest.raises(UnknownNameError):
        ALGORITHMS["louvain"](g, Constraints(pin={"nope": "x"}))


def test_empty_graph_gives_empty_partition() -> None:
    for name in NAMES:
        assert ALGORITHMS[name](nx.Graph()) == []
