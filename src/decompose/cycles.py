"""App cycles: the one definition ``analyze``, ``graph`` and the HTML page share.

Two apps are in a cycle when each depends on the other, directly or through other apps, by any
kind of coupling (import, call, foreign key, ORM, inheritance, signal, string reference, URL
include). Code in no app (``(project)``) is not an app and closes no cycle; callers leave out
what they do not show (``analyze`` and ``graph`` by default: test modules, migrations and
evidence flagged ``migration``). From the app pairs with their weights, :func:`app_cycles` gives

- ``groups``: the strongly connected components of more than one app;
- ``cycles``: the simple cycles of up to ``bound`` apps, shortest first (at most ``max_cycles``);
- ``cut``: the app dependencies to cut to break every cycle, a minimal-weight feedback arc set
  (:func:`feedback_arcs`; a pair's cost is its weight, ties cut the weaker kind of coupling).

Example::

    >>> from decompose.graph import Evidence
    >>> c = app_cycles([("a", "b", "fk", 5, [Evidence("a/m.py", 1)]), ("b", "a", "import", 1, [Evidence("b/m.py", 2)])])
    >>> c.groups, c.cycles, [(h.source, h.target) for h in c.cut]
    ((('a', 'b'),), (('a', 'b'),), [('b', 'a')])
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from decompose.graph import OUTSIDE_APPS, Evidence

if TYPE_CHECKING:
    import networkx as nx

#: Edge kinds from the strongest coupling (hardest to cut when splitting services) to the weakest.
KIND_STRENGTH: tuple[str, ...] = ("fk", "orm", "inherit", "signal", "call", "import", "string_ref", "url")
#: Strongly connected components up to this many apps get an exact minimum feedback arc set.
EXACT_FAS_UP_TO = 14
#: Evidence kept per hop (the first in path:line order).
EVIDENCE_PER_HOP = 3


@dataclass(frozen=True, slots=True)
class Hop:
    """One app pair ``source -> target``: its weight, its strongest kind and its first evidence."""

    source: str
    target: str
    weight: int
    kind: str
    evidence: tuple[str, ...]  # "path:line symbol", at most EVIDENCE_PER_HOP


@dataclass(frozen=True, slots=True)
class AppCycles:
    """The app cycles of a graph (see the module docstring)."""

    groups: tuple[tuple[str, ...], ...]
    cycles: tuple[tuple[str, ...], ...]
    cut: tuple[Hop, ...]
    #: every simple cycle of up to ``bound`` apps is in ``cycles`` (none left out by ``max_cycles``)
    complete: bool = True
    hops: tuple[Hop, ...] = ()  # every app pair inside a group, sorted

    @property
    def cut_pairs(self) -> tuple[tuple[str, str], ...]:
        return tuple((h.source, h.target) for h in self.cut)

    def hop(self, source: str, target: str) -> Hop:
        for h in self.hops:
            if (h.source, h.target) == (source, target):
                return h
        raise KeyError((source, target))

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (``graph --format json``, the HTML page)."""

        def hop(h: Hop) -> dict[str, Any]:
            return {"source": h.source, "target": h.target, "weight": h.weight, "kind": h.kind,
                    "evidence": list(h.evidence)}  # fmt: skip

        return {
            "groups": [list(g) for g in self.groups],
            "cycles": [list(c) for c in self.cycles],
            "complete": self.complete,
            "cut": [hop(h) for h in self.cut],
            "hops": [hop(h) for h in self.hops],
        }


def _ev(e: Evidence | str) -> str:
    return e if isinstance(e, str) else f"{e} {e.symbol}".strip()


def app_cycles(
    edges: Iterable[tuple[str | None, str | None, str, int, Iterable[Evidence | str]]],
    *,
    max_cycles: int = 10,
    bound: int = 4,
) -> AppCycles:
    """The app cycles of ``edges``: ``(source app, target app, kind, weight, evidence)`` per edge.

    Edges inside one app, from or to no app (None) or to code in no app are ignored.
    Deterministic: the same edges in any order give the same value.
    """
    pairs: dict[tuple[str, str], list[Any]] = {}  # (a, b) -> [weight, strongest rank, evidence]
    for a, b, kind, weight, evidence in edges:
        if a is None or b is None or a == b or OUTSIDE_APPS in (a, b):
            continue
        rank = KIND_STRENGTH.index(kind) if kind in KIND_STRENGTH else len(KIND_STRENGTH)
        p = pairs.get((a, b))
        if p is None:
            pairs[(a, b)] = [weight, rank, list(evidence)]
        else:
            p[0] += weight
            p[1] = min(p[1], rank)
            p[2].extend(evidence)
    k = len(KIND_STRENGTH)
    # cost of cutting a pair: its weight; between equal weights, cut the weaker kind of coupling
    cost = {pair: weight * (k + 1) + (k - rank) for pair, (weight, rank, _e) in sorted(pairs.items())}
    adj: dict[str, dict[str, Any]] = {}
    for a, b in cost:
        adj.setdefault(a, {})[b] = None
        adj.setdefault(b, {})
    groups = sorted(tuple(sorted(c)) for c in _components(adj) if len(c) > 1)
    found: list[tuple[str, ...]] = []
    complete = True
    for comp in groups:
        loops = _short_cycles(adj, list(comp), bound, max_cycles * 20)
        if loops is None:  # very many: a sample is enough (listed shortest first, at most max_cycles)
            complete = False
            loops = _short_cycles(adj, list(comp), min(bound, 3), max_cycles * 20) or []
        found.extend(loops)
    ordered = sorted(set(found), key=lambda c: (len(c), c))
    complete = complete and len(ordered) <= max_cycles
    in_group = {a: i for i, c in enumerate(groups) for a in c}

    def hop(a: str, b: str) -> Hop:
        weight, rank, evidence = pairs[(a, b)]
        kind = KIND_STRENGTH[rank] if rank < k else "other"
        shown = tuple(_ev(e) for e in sorted(evidence, key=_ev)[:EVIDENCE_PER_HOP])
        return Hop(a, b, weight, kind, shown)

    inside = [(a, b) for (a, b) in sorted(pairs) if a in in_group and in_group.get(b) == in_group[a]]
    return AppCycles(
        groups=tuple(groups),
        cycles=tuple(ordered[:max_cycles]),
        cut=tuple(hop(a, b) for a, b in sorted(_feedback(cost))),
        complete=complete,
        hops=tuple(hop(a, b) for a, b in inside),
    )


def _components(adj: dict[str, dict[str, Any]]) -> list[set[str]]:
    """Strongly connected components (Tarjan) of a small digraph given as {node: {successor: ...}}."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[set[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in adj.get(v, {}):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = set()
            while True:
                w = stack.pop()
                on.discard(w)
                comp.add(w)
                if w == v:
                    break
            out.append(comp)

    for v in sorted(adj):
        if v not in index:
            visit(v)
    return out


def _short_cycles(
    adj: dict[str, dict[str, Any]], comp: list[str], bound: int, cap: int
) -> list[tuple[str, ...]] | None:
    """Every simple cycle of at most ``bound`` nodes inside ``comp``, each from its smallest node; None past ``cap``."""
    members = set(comp)
    found: list[tuple[str, ...]] = []

    def extend(start: str, path: list[str]) -> bool:
        """Cycles back to ``start`` that continue ``path``; False once past ``cap``."""
        for w in adj.get(path[-1], {}):
            if w == start:
                found.append(tuple(path))
                if len(found) > cap:
                    return False
            elif w in members and w > start and w not in path and len(path) < bound:
                path.append(w)
                ok = extend(start, path)
                path.pop()
                if not ok:
                    return False
        return True

    for start in sorted(comp):
        if not extend(start, [start]):
            return None
    return found


def feedback_arcs(graph: nx.DiGraph[str], weight: str = "weight") -> set[tuple[str, str]]:
    """A minimal-weight set of arcs whose removal leaves ``graph`` without cycles.

    Per strongly connected component: the exact minimum (the cheapest linear order of its
    nodes, by dynamic programming over subsets) up to :data:`EXACT_FAS_UP_TO` nodes, and
    Eades–Lin–Smyth's greedy order above that; either way, arcs whose return would not close
    a cycle are then given back, so the set is also minimal. Deterministic: ties go to the
    first order in sorted node names.

    Example::

        >>> import networkx as nx
        >>> g = nx.DiGraph()
        >>> g.add_weighted_edges_from([("a", "b", 5), ("b", "a", 1), ("b", "c", 2), ("c", "b", 3)])
        >>> sorted(feedback_arcs(g))
        [('b', 'a'), ('b', 'c')]
    """
    return _feedback({(u, v): d.get(weight, 1) for u, v, d in graph.edges(data=True)})


def _feedback(weights: dict[tuple[str, str], float]) -> set[tuple[str, str]]:
    """:func:`feedback_arcs` of the digraph given as ``{(u, v): weight}`` (no networkx needed)."""
    adj: dict[str, dict[str, Any]] = {}
    for u, v in weights:
        adj.setdefault(u, {})[v] = None
        adj.setdefault(v, {})
    out: set[tuple[str, str]] = set()
    for comp in sorted(sorted(c) for c in _components(adj) if len(c) > 1):
        members = set(comp)
        w = {(u, v): x for (u, v), x in weights.items() if u in members and v in members and u != v}
        order = _exact_order(comp, w) if len(comp) <= EXACT_FAS_UP_TO else _greedy_order(comp, w)
        pos = {n: i for i, n in enumerate(order)}
        back = sorted((a for a in w if pos[a[0]] > pos[a[1]]), key=lambda a: (-w[a], a))
        kept: dict[str, set[str]] = {n: set() for n in comp}
        for a in sorted(w):
            if pos[a[0]] < pos[a[1]]:
                kept[a[0]].add(a[1])
        for a in back:  # heaviest first: give back every arc that closes no cycle
            if _reaches(kept, a[1], a[0]):
                out.add(a)
            else:
                kept[a[0]].add(a[1])
    return out


def _reaches(succ: dict[str, set[str]], start: str, goal: str) -> bool:
    seen, todo = {start}, [start]
    while todo:
        x = todo.pop()
        if x == goal:
            return True
        for y in succ[x]:
            if y not in seen:
                seen.add(y)
                todo.append(y)
    return False


def _exact_order(nodes: list[str], w: dict[tuple[str, str], float]) -> list[str]:
    """The order of ``nodes`` with the least total weight of arcs pointing backwards."""
    n = len(nodes)
    idx = {x: i for i, x in enumerate(nodes)}
    out_w = [[0.0] * n for _ in range(n)]
    for (a, b), x in w.items():
        out_w[idx[a]][idx[b]] = x
    full = (1 << n) - 1
    # into[v][S]: weight of v's arcs into the node set S (bit i = nodes[i]).
    into = []
    for v in range(n):
        row = out_w[v]
        t = [0.0] * (full + 1)
        for s in range(1, full + 1):
            low = s & -s
            t[s] = t[s ^ low] + row[low.bit_length() - 1]
        into.append(t)
    # cost[S]: the cheapest order of S placed first; putting v right after S\{v} costs v's arcs into S\{v}.
    cost = [0.0] + [float("inf")] * full
    last = [-1] * (full + 1)
    for s in range(1, full + 1):
        best, arg = float("inf"), -1
        bits = s
        while bits:
            low = bits & -bits
            bits ^= low
            v = low.bit_length() - 1
            c = cost[s ^ low] + into[v][s ^ low]
            if c < best:
                best, arg = c, v
        cost[s], last[s] = best, arg
    order = []
    s = full
    while s:
        v = last[s]
        order.append(nodes[v])
        s ^= 1 << v
    order.reverse()
    return order


def _greedy_order(nodes: list[str], w: dict[tuple[str, str], float]) -> list[str]:
    """Eades, Lin and Smyth's heuristic (1993), weighted: sinks to the back, sources to the front,
    else the node with the largest out-weight minus in-weight to the front."""
    succ: dict[str, dict[str, float]] = {x: {} for x in nodes}
    pred: dict[str, dict[str, float]] = {x: {} for x in nodes}
    for (u, v), weight in w.items():
        succ[u][v] = weight
        pred[v][u] = weight
    left: set[str] = set(nodes)
    front: list[str] = []
    back: list[str] = []

    def remove(x: str) -> None:
        left.discard(x)
        for y in succ.pop(x):
            pred[y].pop(x, None)
        for y in pred.pop(x):
            succ[y].pop(x, None)

    while left:
        changed = True
        while changed:
            changed = False
            for x in sorted(left):
                if not succ[x]:
                    back.append(x)
                    remove(x)
                    changed = True
                elif not pred[x]:
                    front.append(x)
                    remove(x)
                    changed = True
        if left:
            x = max(sorted(left), key=lambda y: sum(succ[y].values()) - sum(pred[y].values()))
            front.append(x)
            remove(x)
    return front + back[::-1]
