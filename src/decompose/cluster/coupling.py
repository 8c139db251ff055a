"""From a :class:`~decompose.graph.DependencyGraph` to the weighted graph the algorithms cluster.

The derivation (documented in docs/metrics.md):

1. **Members.** At ``level="app"`` a member is a Django app label; every module
   of the app maps to it. At ``level="module"`` a member is one module.
   External packages are dropped. By default code outside any app (settings,
   root urls, wsgi: the monolith's shell), test modules, and at module level
   migration modules (they follow their app) are left out.
2. **Edge weight.** Each piece of evidence of a ``kind`` edge from module ``a``
   to module ``b`` contributes ``weights[kind] × Π flag_weights[f]`` over its
   flags (``type_checking``, ``local``, ``migration``). Both directions add up
   on the one undirected edge ``{member(a), member(b)}``. Couplings inside one
   member are dropped: a member is never split, so they say nothing about
   where to cut (they would only make every app look self-contained).
3. **Transactions.** Each ``transaction.atomic()`` block owned by a module in
   member ``m`` that uses names from member ``n ≠ m`` adds ``weights["atomic"]``
   between ``m`` and ``n``: splitting them would need a distributed transaction.

Alongside the undirected graph the value keeps what the data-aware metrics
need: the directed weights and symbols, the foreign keys, which member owns
which table and which members read or write it, and the atomic blocks.

Example::

    >>> from decompose.graph import DependencyGraph, Evidence
    >>> g = DependencyGraph.empty()
    >>> g.add_module("a.models", app="a", path="a/models.py")
    >>> g.add_module("b.models", app="b", path="b/models.py")
    >>> g.add_evidence("a.models", "b.models", "fk", Evidence("a/models.py", 3, "b.Thing"))
    >>> build_coupling(g).graph["a"]["b"]["weight"]
    5.0
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from decompose.errors import ConfigError
from decompose.graph import EDGE_KINDS, FLAGS, OUTSIDE_APPS, DependencyGraph

#: Default weight of one occurrence of each coupling kind (see README "Edge weights").
DEFAULT_WEIGHTS: dict[str, float] = {
    "fk": 5.0,
    "orm": 4.0,
    "inherit": 4.0,
    "signal": 2.0,
    "call": 2.0,
    "string_ref": 2.0,
    "import": 1.0,
    "url": 0.5,
    "atomic": 3.0,
}
#: Default multipliers for flagged evidence.
DEFAULT_FLAG_WEIGHTS: dict[str, float] = {"type_checking": 0.1, "local": 0.5, "migration": 0.1}

#: Kinds that touch another member's tables.
DATA_KINDS: tuple[str, ...] = ("fk", "orm")


@dataclass(frozen=True, slots=True)
class Weights:
    """Per-kind weights and per-flag multipliers."""

    kinds: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    flags: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_FLAG_WEIGHTS))

    @classmethod
    def from_config(cls, weights: Any = None, flag_weights: Any = None) -> Weights:
        kinds = dict(DEFAULT_WEIGHTS)
        flags = dict(DEFAULT_FLAG_WEIGHTS)
        for table, known, target, name in (
            (weights, (*EDGE_KINDS, "atomic"), kinds, "weights"),
            (flag_weights, FLAGS, flags, "flag_weights"),
        ):
            if table is None:
                continue
            if not isinstance(table, Mapping):
                raise ConfigError(f"[propose] `{name}` must be a table such as {{ fk = 5 }}")
            for k, v in table.items():
                if k not in known:
                    raise ConfigError(f"[propose] `{name}`: unknown key {k!r}; known: {', '.join(known)}")
                if isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0:
                    raise ConfigError(f"[propose] `{name}.{k}` must be a number ≥ 0")
                target[k] = float(v)
        return cls(kinds, flags)

    def of(self, kind: str, flags: tuple[str, ...]) -> float:
        w = self.kinds.get(kind, 0.0)
        for f in flags:
            w *= self.flags.get(f, 1.0)
        return w


@dataclass(frozen=True, slots=True, eq=False)
class CouplingGraph:
    """The weighted, undirected member graph plus the facts data-aware metrics read."""

    level: str
    graph: nx.Graph  # members; edge attr "weight" (float); no self-loops
    directed: nx.DiGraph  # member → member (no self-loops); attrs weight, symbols (set), kinds (dict)
    sizes: dict[str, int]  # modules per member
    table_owner: dict[str, str]  # table → member defining it
    table_users: dict[str, frozenset[str]]  # table → members defining or reading/writing it (fk/orm)
    fks: tuple[tuple[str, str, int], ...]  # (from member, to member, occurrences), cross-member only
    atomic_blocks: tuple[frozenset[str], ...]  # members touched by each transaction.atomic() block
    weights: Weights
    edge_list: tuple[tuple[str, str, float], ...] = field(init=False, default=())

    def __post_init__(self) -> None:
        # the metrics walk the edges many times: a plain tuple is ~10x faster than a networkx view
        object.__setattr__(
            self, "edge_list", tuple((u, v, float(d["weight"])) for u, v, d in self.graph.edges(data=True))
        )

    def members(self) -> list[str]:
        return sorted(self.graph.nodes)

    def strength(self, member: str) -> float:
        """Total weight to other members (self-loop excluded)."""
        return sum(d["weight"] for n, d in self.graph[member].items() if n != member)

    def subgraph(self, members: set[str]) -> CouplingGraph:
        """The same value restricted to ``members`` (used to set the shared kernel aside)."""
        keep = set(members)
        return CouplingGraph(
            level=self.level,
            graph=self.graph.subgraph(sorted(keep)).copy(),
            directed=self.directed.subgraph(sorted(keep)).copy(),
            sizes={m: s for m, s in self.sizes.items() if m in keep},
            table_owner={t: o for t, o in self.table_owner.items() if o in keep},
            table_users={t: frozenset(u & keep) for t, u in self.table_users.items()},
            fks=tuple(f for f in self.fks if f[0] in keep and f[1] in keep),
            atomic_blocks=tuple(frozenset(b & keep) for b in self.atomic_blocks),
            weights=self.weights,
        )


def _member_map(graph: DependencyGraph, level: str, include_tests: bool, include_outside: bool) -> dict[str, str]:
    out: dict[str, str] = {}
    for name in graph.modules():
        d = graph.graph.nodes[name]
        if d.get("test") and not include_tests:
            continue
        app = d.get("app")
        if app is None and not include_outside:
            continue
        if level == "app":
            out[name] = app if app is not None else OUTSIDE_APPS
        else:
            if d.get("migration"):
                continue
            out[name] = name
    return out


_SPLIT = re.compile(r"[^A-Za-z0-9_]+")


def _tables_touched(symbol: str, models: list[dict[str, Any]]) -> list[str]:
    concrete = [m for m in models if m.get("table") and not m.get("abstract")]
    if not concrete:
        return []
    parts = set(_SPLIT.split(symbol))
    hit = [m["table"] for m in concrete if m.get("name") in parts]
    if hit:
        return hit
    return [concrete[0]["table"]] if len(concrete) == 1 else []


def build_coupling(
    graph: DependencyGraph,
    level: str = "app",
    *,
    weights: Weights | None = None,
    include_tests: bool = False,
    include_outside: bool = False,
) -> CouplingGraph:
    """Derive the weighted member graph of ``graph`` (see the module docstring)."""
    if level not in ("app", "module"):
        raise ConfigError(f"level must be 'app' or 'module', not {level!r}")
    w = weights or Weights()
    member = _member_map(graph, level, include_tests, include_outside)
    ug: nx.Graph = nx.Graph()
    dg: nx.DiGraph = nx.DiGraph()
    sizes: dict[str, int] = defaultdict(int)
    for mod in sorted(member):
        m = member[mod]
        sizes[m] += 1
    for m in sorted(sizes):
        ug.add_node(m)
        dg.add_node(m)

    def add(a: str, b: str, weight: float) -> None:
        if weight <= 0 or a == b:
            return
        if ug.has_edge(a, b):
            ug[a][b]["weight"] += weight
        else:
            ug.add_edge(a, b, weight=weight)

    table_owner: dict[str, str] = {}
    users: dict[str, set[str]] = defaultdict(set)
    for mod in sorted(member):
        for model in graph.graph.nodes[mod].get("models", []) or []:
            table = model.get("table")
            if table and not model.get("abstract"):
                table_owner.setdefault(table, member[mod])
                users[table].add(member[mod])

    fk_count: dict[tuple[str, str], int] = defaultdict(int)
    for u, v, data in sorted(graph.edges(), key=lambda e: (e[0], e[1], e[2]["kind"])):
        if u not in member or v not in member:
            continue
        a, b = member[u], member[v]
        kind = data["kind"]
        total = 0.0
        for ev in data["evidence"]:
            total += w.of(kind, ev.flags)
            if kind in DATA_KINDS and "migration" not in ev.flags:
                for table in _tables_touched(ev.symbol, graph.graph.nodes[v].get("models", []) or []):
                    users[table].add(a)
        add(a, b, total)
        if a != b:
            if kind == "fk":
                n = sum(1 for ev in data["evidence"] if "migration" not in ev.flags)
                if n:
                    fk_count[(a, b)] += n
            if total > 0:
                if dg.has_edge(a, b):
                    e = dg[a][b]
                    e["weight"] += total
                else:
                    dg.add_edge(a, b, weight=total, symbols=set(), kinds={})
                    e = dg[a][b]
                e["kinds"][kind] = e["kinds"].get(kind, 0) + len(data["evidence"])
                for ev in data["evidence"]:
                    e["symbols"].add(ev.symbol or f"{v}:{kind}")

    blocks: list[frozenset[str]] = []
    for mod in sorted(member):
        owner = member[mod]
        for block in graph.graph.nodes[mod].get("atomic_blocks", []) or []:
            touched = {owner} | {member[x] for x in block.get("modules", []) if x in member}
            blocks.append(frozenset(touched))
            for other in sorted(touched - {owner}):
                add(owner, other, w.kinds.get("atomic", 0.0))
    return CouplingGraph(
        level=level,
        graph=ug,
        directed=dg,
        sizes=dict(sizes),
        table_owner=dict(sorted(table_owner.items())),
        table_users={t: frozenset(u) for t, u in sorted(users.items())},
        fks=tuple((a, b, n) for (a, b), n in sorted(fk_count.items())),
        atomic_blocks=tuple(blocks),
        weights=w,
    )
