"""Clustering algorithms: plain functions ``(graph, ...) -> partition``.

``graph`` is a weighted undirected ``networkx.Graph`` (edge attribute
``weight``; self-loops allowed), as :func:`decompose.cluster.coupling.build_coupling`
derives it. A *partition* is a list of clusters, each a sorted tuple of nodes,
the list sorted by its first node: the same input and seed give the same
partition.

Every algorithm honours :class:`Constraints` the same way:

* ``together`` groups, and members pinned to the same service, are contracted
  into one super-node before clustering, so no algorithm can separate them;
* ``apart`` groups, and members pinned to different services, are
  *cannot-link* pairs. The agglomerative and hill-climbing algorithms refuse
  such merges and moves natively; for Louvain, Leiden and label propagation,
  whose internals are a library's, :func:`repair` moves the weaker of each
  conflicting pair to the cluster it is most tied to among those it may join
  (or to a cluster of its own) afterwards.

Every algorithm then goes through the same :func:`fit`: with ``n_clusters``
the count becomes exactly that, with ``between=(low, high)`` it is brought
into that range — average-linkage merging of the most similar clusters (never
a cannot-link pair, never above the size cap while another merge exists) when
there are too many; when there are too few, the algorithm's own finer mode
first (Louvain and Leiden at a raised resolution, agglomerative clustering
cut at that count), then bisection of the largest cluster by the algorithm's
core run on it alone (:func:`bisect`). With
``max_share`` no cluster keeps more than that share of the members (or
1.5 / count) while a split can help. With ``judge`` (the coupling to judge
by, when the clustered graph carries extra ties), a cluster of one node that
holds none of ``judge``'s weight is first dissolved into the cluster it is
most tied to (:func:`dissolve_bins`).

Example::

    >>> g = nx.Graph()
    >>> g.add_weighted_edges_from([("a", "b", 5), ("b", "c", 5), ("c", "d", 0.1), ("d", "e", 5), ("e", "f", 5)])
    >>> louvain(g, seed=1)
    [('a', 'b', 'c'), ('d', 'e', 'f')]
    >>> louvain(g, Constraints(apart=(("a", "b"),)), seed=1)
    [('a',), ('b', 'c'), ('d', 'e', 'f')]
"""

from __future__ import annotations

import heapq
import random
import weakref
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

import networkx as nx

from decompose.errors import ConfigError, UnknownNameError

Partition = list[tuple[str, ...]]


@dataclass(frozen=True, slots=True)
class Constraints:
    """The architect's constraints on a partition.

    ``pin`` maps a member to a service name; ``together`` and ``apart`` are
    groups of members (every pair of an ``apart`` group must be separated).
    """

    pin: dict[str, str] = field(default_factory=dict)
    together: tuple[tuple[str, ...], ...] = ()
    apart: tuple[tuple[str, ...], ...] = ()

    def members(self) -> set[str]:
        out = set(self.pin)
        for g in (*self.together, *self.apart):
            out.update(g)
        return out

    def check(self, nodes: Iterable[str], *, kernel: Iterable[str] = ()) -> None:
        """Raise a one-line error for unknown members or contradictions."""
        known = set(nodes)
        shared = set(kernel)
        for m in sorted(self.members()):
            if m in shared:
                raise ConfigError(f"[propose] constraint on {m!r}, which is in the shared kernel (no service holds it)")
            if m not in known:
                raise UnknownNameError(f"[propose] constraint names {m!r}, which is not a member of the graph")
        sup = _supernodes(sorted(known), self)
        for group in self.apart:
            ids = [sup[m] for m in group]
            if len(set(ids)) != len(ids):
                raise ConfigError(f"[propose] `apart` group {list(group)} contradicts `together` or `pin`")
        pins: dict[str, str] = {}
        for m, s in sorted(self.pin.items()):
            if sup[m] in pins and pins[sup[m]] != s:
                raise ConfigError(
                    f"[propose] {m!r} is kept together with a member pinned to {pins[sup[m]]!r}, but pinned to {s!r}"
                )
            pins[sup[m]] = s

    def cannot_link(self, sup: Mapping[str, str]) -> set[frozenset[str]]:
        """Pairs of super-nodes that must end in different clusters."""
        out: set[frozenset[str]] = set()
        for group in self.apart:
            ids = sorted({sup[m] for m in group})
            for i, a in enumerate(ids):
                for b in ids[i + 1 :]:
                    out.add(frozenset((a, b)))
        pinned: dict[str, str] = {sup[m]: s for m, s in self.pin.items()}
        keys = sorted(pinned)
        for i, a in enumerate(keys):
            for b in keys[i + 1 :]:
                if pinned[a] != pinned[b]:
                    out.add(frozenset((a, b)))
        return out


def _supernodes(nodes: list[str], c: Constraints) -> dict[str, str]:
    """node → representative (smallest name) of its together/same-pin group."""
    parent = {n: n for n in nodes}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(a: str, b: str) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            lo, hi = sorted((ra, rb))
            parent[hi] = lo

    for group in c.together:
        for m in group[1:]:
            if m in parent and group[0] in parent:
                union(group[0], m)
    by_service: dict[str, list[str]] = defaultdict(list)
    for m, s in sorted(c.pin.items()):
        if m in parent:
            by_service[s].append(m)
    for ms in by_service.values():
        for m in ms[1:]:
            union(ms[0], m)
    return {n: find(n) for n in nodes}


@dataclass(frozen=True, slots=True, eq=False)
class _Contracted:
    graph: nx.Graph  # super-nodes; weight; self-loops hold inner weight
    members: dict[str, tuple[str, ...]]  # super-node → members
    size: dict[str, int]
    cannot: set[frozenset[str]]


#: the last contraction of each graph (with the Constraints object it was made for): ``propose`` runs
#: five algorithms on one graph and one set of constraints, and nothing mutates a contraction
_CONTRACTED: weakref.WeakKeyDictionary[nx.Graph, tuple[Constraints, int, _Contracted]] = weakref.WeakKeyDictionary()


def _contract(g: nx.Graph, c: Constraints) -> _Contracted:
    hit = _CONTRACTED.get(g)
    if hit is not None and hit[0] is c and hit[1] == g.number_of_edges():
        return hit[2]
    con = _contract_now(g, c)
    _CONTRACTED[g] = (c, g.number_of_edges(), con)
    return con


def _contract_now(g: nx.Graph, c: Constraints) -> _Contracted:
    nodes = sorted(g.nodes)
    sup = _supernodes(nodes, c)
    h: nx.Graph = nx.Graph()
    members: dict[str, list[str]] = defaultdict(list)
    for n in nodes:
        members[sup[n]].append(n)
    for s in sorted(members):
        h.add_node(s)
    for u, v, d in sorted(g.edges(data=True), key=lambda e: (min(e[0], e[1]), max(e[0], e[1]))):
        a, b = sup[u], sup[v]
        w = float(d.get("weight", 1.0))
        if h.has_edge(a, b):
            h[a][b]["weight"] += w
        else:
            h.add_edge(a, b, weight=w)
    return _Contracted(
        h, {k: tuple(v) for k, v in members.items()}, {k: len(v) for k, v in members.items()}, c.cannot_link(sup)
    )


def _expand(clusters: Iterable[Iterable[str]], con: _Contracted) -> Partition:
    out = []
    for cl in clusters:
        ms: list[str] = []
        for s in cl:
            ms.extend(con.members[s])
        if ms:
            out.append(tuple(sorted(ms)))
    return sorted(out)


def _normalise(clusters: Iterable[Iterable[str]]) -> list[list[str]]:
    return sorted((sorted(c) for c in clusters if c), key=lambda c: c[0])


def _conflicts(node: str, cluster: Iterable[str], cannot: set[frozenset[str]]) -> bool:
    return any(frozenset((node, o)) in cannot for o in cluster if o != node)


def repair(h: nx.Graph, clusters: list[list[str]], cannot: set[frozenset[str]]) -> list[list[str]]:
    """Separate every cannot-link pair that shares a cluster (greedy, deterministic).

    In each cluster the nodes most tied to it stay; a node that conflicts with
    one already kept moves to the allowed cluster it has the most weight to,
    or to a new cluster when none is allowed or tied.
    """
    if not cannot:
        return _normalise(clusters)
    clusters = [list(c) for c in _normalise(clusters)]
    changed = True
    while changed:
        changed = False
        where = {n: i for i, c in enumerate(clusters) for n in c}
        for i, cl in enumerate(clusters):
            if not any(frozenset((a, b)) in cannot for a in cl for b in cl if a < b):
                continue
            inner = set(cl)
            ranked = sorted(cl, key=lambda n: (-sum(d["weight"] for m, d in h[n].items() if m in inner and m != n), n))
            kept: list[str] = []
            for n in ranked:
                if not _conflicts(n, kept, cannot):
                    kept.append(n)
                    continue
                pull: dict[int, float] = defaultdict(float)
                for m, d in h[n].items():
                    j = where[m]
                    if j != i and m != n:
                        pull[j] += d["weight"]
                options = sorted(
                    (j for j in pull if pull[j] > 0 and not _conflicts(n, clusters[j], cannot)),
                    key=lambda j: (-pull[j], j),
                )
                if options:
                    clusters[options[0]].append(n)
                    where[n] = options[0]
                else:
                    clusters.append([n])
                    where[n] = len(clusters) - 1
            clusters[i] = kept
            changed = True
            break
    return _normalise(clusters)


def _modularity_delta_merge(w_ij: float, tot_i: float, tot_j: float, m2: float) -> float:
    return 2 * w_ij / m2 - 2 * tot_i * tot_j / (m2 * m2)


def _merge_to(
    h: nx.Graph,
    clusters: list[list[str]],
    size: Mapping[str, int],
    cannot: set[frozenset[str]],
    n_clusters: int | None,
    cap: float | None = None,
) -> list[list[str]]:
    """Average-linkage merging of ``clusters`` (never across a cannot-link pair).

    With ``n_clusters`` it merges until that many clusters remain (merging
    unconnected clusters, smallest first, if it must). Without, it follows the
    merge order and stops at the step of highest modularity. No merge makes a
    cluster larger than ``cap`` members while another merge is possible.
    """
    cl: dict[int, list[str]] = {i: list(c) for i, c in enumerate(_normalise(clusters))}
    if n_clusters is not None and len(cl) <= n_clusters:
        return _normalise(cl.values())
    where = {n: i for i, c in cl.items() for n in c}
    csize = {i: sum(size[n] for n in c) for i, c in cl.items()}
    deg = {n: sum(d["weight"] * (2 if m == n else 1) for m, d in h[n].items()) for n in h}
    tot = {i: sum(deg[n] for n in c) for i, c in cl.items()}
    m2 = sum(deg.values()) or 1.0
    links: dict[int, dict[int, float]] = defaultdict(lambda: defaultdict(float))
    for u, v, d in h.edges(data=True):
        a, b = where[u], where[v]
        if a != b:
            links[a][b] += d["weight"]
            links[b][a] += d["weight"]
    forbid: dict[int, set[int]] = defaultdict(set)
    for pair in cannot:
        na, nb = sorted(pair)
        ca, cb = where[na], where[nb]
        forbid[ca].add(cb)
        forbid[cb].add(ca)
    version = dict.fromkeys(cl, 0)
    heap: list[tuple[float, int, int, int, int]] = []

    limit = cap if cap is not None else float("inf")

    def push(a: int, b: int) -> None:
        if b in forbid[a] or csize[a] + csize[b] > limit:
            return
        lo, hi = min(a, b), max(a, b)
        sim = links[a][b] / (csize[a] * csize[b])
        heapq.heappush(heap, (-sim, lo, hi, version[lo], version[hi]))

    for a in sorted(links):
        for b in sorted(links[a]):
            if a < b:
                push(a, b)
    history: list[tuple[int, int]] = []
    q_gain = 0.0
    best_gain, best_step = 0.0, 0
    next_id = max(cl) + 1 if cl else 0

    def merge(a: int, b: int) -> None:
        nonlocal next_id, q_gain
        q_gain += _modularity_delta_merge(links[a].get(b, 0.0), tot[a], tot[b], m2)
        k = next_id
        next_id += 1
        cl[k] = cl.pop(a) + cl.pop(b)
        csize[k] = csize.pop(a) + csize.pop(b)
        tot[k] = tot.pop(a) + tot.pop(b)
        version[k] = 0
        version.pop(a)
        version.pop(b)
        merged: dict[int, float] = defaultdict(float)
        for src in (a, b):
            for x, wx in links.pop(src, {}).items():
                if x not in (a, b):
                    merged[x] += wx
                    links[x].pop(src, None)
        links[k] = merged
        for x, wx in merged.items():
            links[x][k] = wx
        f = (forbid.pop(a, set()) | forbid.pop(b, set())) - {a, b}
        forbid[k] = f
        for x in f:
            forbid[x].discard(a)
            forbid[x].discard(b)
            forbid[x].add(k)
        for x in sorted(merged):
            push(k, x)
        history.append((a, b))

    target = n_clusters if n_clusters is not None else 1
    while len(cl) > target and heap:
        negsim, lo, hi, vlo, vhi = heapq.heappop(heap)
        if lo not in cl or hi not in cl or version[lo] != vlo or version[hi] != vhi:
            continue
        merge(lo, hi)
        if n_clusters is None and q_gain > best_gain + 1e-12:
            best_gain, best_step = q_gain, len(history)
        if n_clusters is None and -negsim <= 0:
            break
    if n_clusters is None:
        # replay up to the best step
        return _replay(clusters, history[:best_step])
    while len(cl) > n_clusters:
        # the smallest pair within the cap, else the most tied pair, else the smallest pair
        ids = sorted(cl, key=lambda i: (csize[i], min(cl[i])))
        chosen: tuple[int, int] | None = None
        for x, ci in enumerate(ids):
            if chosen is not None or csize[ci] * 2 > limit:
                break
            for cj in ids[x + 1 :]:
                if cj in forbid[ci]:
                    continue
                if csize[ci] + csize[cj] > limit:
                    break
                chosen = (ci, cj)
                break
        if chosen is None:
            tied = [
                (links[ci][cj] / (csize[ci] * csize[cj]), -ci, -cj)
                for ci in cl
                for cj in links[ci]
                if ci < cj and cj not in forbid[ci]
            ]
            if tied:
                _, ni, nj = max(tied)
                chosen = (-ni, -nj)
        if chosen is None:
            chosen = next(((ci, cj) for x, ci in enumerate(ids) for cj in ids[x + 1 :] if cj not in forbid[ci]), None)
        if chosen is None:
            break
        merge(min(chosen), max(chosen))
    return _normalise(cl.values())


def _replay(clusters: list[list[str]], history: list[tuple[int, int]]) -> list[list[str]]:
    cl: dict[int, list[str]] = {i: list(c) for i, c in enumerate(_normalise(clusters))}
    next_id = len(cl)
    for a, b in history:
        cl[next_id] = cl.pop(a) + cl.pop(b)
        next_id += 1
    return _normalise(cl.values())


# -- the algorithms ------------------------------------------------------------


def _run(
    g: nx.Graph,
    constraints: Constraints | None,
    n_clusters: int | None,
    core: Callable[[_Contracted], list[list[str]]],
    *,
    native: bool = False,
    between: tuple[int, int] | None = None,
    max_share: float | None = None,
    seed: int = 0,
    judge: nx.Graph | None = None,
    grow: Callable[[_Contracted, int], list[list[str]]] | None = None,
) -> Partition:
    c = constraints or Constraints()
    c.check(g.nodes)
    if n_clusters is not None and n_clusters < 1:
        raise ConfigError("the number of services must be at least 1")
    if between is not None and not 1 <= between[0] <= between[1]:
        raise ConfigError(f"the service range must be 1 ≤ low ≤ high, not {between[0]}..{between[1]}")
    if g.number_of_nodes() == 0:
        return []
    con = _contract(g, c)
    clusters = core(con)
    target = n_clusters if n_clusters is not None else between[0] if between is not None else None
    if grow is not None and target is not None and len(clusters) < target:
        # too few: the algorithm's own finer mode first (a higher resolution), before any bisection
        finer = grow(con, target)
        if len(finer) > len(clusters):
            clusters = finer
    if not native:
        clusters = repair(con.graph, clusters, con.cannot)
    if judge is not None:
        total = sum(con.size.values())
        cap = max(max_share, 1.5 / max(len(clusters), 1)) * total if max_share is not None else None
        clusters = dissolve_bins(_contract(judge, c).graph, clusters, con.size, con.cannot, cap)
    fitted = fit(
        con.graph,
        clusters,
        con.size,
        con.cannot,
        n_clusters=n_clusters,
        between=between,
        max_share=max_share,
        seed=seed,
        core=core,
    )
    return _expand(fitted, con)


def fit(
    h: nx.Graph,
    clusters: list[list[str]],
    size: Mapping[str, int],
    cannot: set[frozenset[str]] = frozenset(),  # type: ignore[assignment]
    *,
    n_clusters: int | None = None,
    between: tuple[int, int] | None = None,
    max_share: float | None = None,
    seed: int = 0,
    core: Callable[[_Contracted], list[list[str]]] | None = None,
) -> list[list[str]]:
    """Bring ``clusters`` of ``h`` to a count and a size limit.

    The count becomes exactly ``n_clusters``, or falls within ``between``
    (low, high): clusters are merged by average linkage (:func:`_merge_to`)
    when there are too many and the largest is split in two (:func:`bisect`)
    when there are too few (by ``core``, the algorithm itself, run on that
    cluster alone, so algorithms keep disagreeing where the structure is
    ambiguous). With ``max_share``, a cluster holding more than
    that share of all members (and more than 1.5 / count, so two services may
    split 75/25) is split and the most similar pair merged back, as long as
    that helps; super-nodes (members kept together) are never split.
    """
    total = sum(size[n] for c in clusters for n in c)
    lo, hi = (n_clusters, n_clusters) if n_clusters is not None else between or (0, 0)
    out = _normalise(clusters)

    def cap_for(k: int) -> float | None:
        if max_share is None:
            return None
        return max(max_share, 1.5 / max(k, 1)) * total

    if hi and len(out) > hi:
        out = _merge_to(h, out, size, cannot, hi, cap_for(hi))
    while lo and len(out) < lo:
        grown = _split_largest(h, out, size, cannot, seed, core=core)
        if grown is None:
            break
        out = grown
    cap = cap_for(len(out))
    if cap is None:
        return out
    for _ in range(2 * len(out) + 2):
        big = next((c for c in out if sum(size[n] for n in c) > cap and len(c) > 1), None)
        if big is None:
            break
        grown = _split_largest(h, out, size, cannot, seed, only=big, core=core)
        if grown is None:
            break
        if n_clusters is not None or (hi and len(grown) > hi):
            grown = _merge_to(h, grown, size, cannot, n_clusters or hi, cap)
        if _largest(grown, size) >= _largest(out, size):
            break
        out = grown
    return out


def _finer(run: Callable[[float], list[list[str]]], resolution: float, target: int) -> list[list[str]]:
    """A modularity algorithm's own finer partition: the resolution raised until ``target`` communities exist.

    Resolutions ×1.5, ×2, ×3, ×4, ×6, ×8 are tried in turn; the first with at
    least ``target`` communities is returned, else the finest found.
    """
    best: list[list[str]] = []
    for factor in (1.5, 2.0, 3.0, 4.0, 6.0, 8.0):
        parts = run(resolution * factor)
        if len(parts) > len(best):
            best = parts
        if len(parts) >= target:
            break
    return best


def _largest(clusters: list[list[str]], size: Mapping[str, int]) -> int:
    return max((sum(size[n] for n in c) for c in clusters), default=0)


def _split_largest(
    h: nx.Graph,
    clusters: list[list[str]],
    size: Mapping[str, int],
    cannot: set[frozenset[str]],
    seed: int,
    only: list[str] | None = None,
    core: Callable[[_Contracted], list[list[str]]] | None = None,
) -> list[list[str]] | None:
    """``clusters`` with the largest splittable one (or ``only``) bisected; None if none can be."""
    splittable = [c for c in clusters if len(c) > 1] if only is None else [only]
    if not splittable:
        return None
    big = max(splittable, key=lambda c: (sum(size[n] for n in c), [-ord(ch) for ch in c[0]]))
    halves = bisect(h.subgraph(big), size, {p for p in cannot if p <= set(big)}, seed=seed, core=core)
    return _normalise([c for c in clusters if c is not big] + halves)


def bisect(
    h: nx.Graph,
    size: Mapping[str, int],
    cannot: set[frozenset[str]] = frozenset(),  # type: ignore[assignment]
    *,
    seed: int = 0,
    core: Callable[[_Contracted], list[list[str]]] | None = None,
) -> list[list[str]]:
    """Split the nodes of ``h`` in two along its weakest seam.

    ``core`` (a clustering algorithm's core) finds the communities inside;
    when it finds one, Louvain does, raising the resolution until there are at
    least two. Average linkage merges them into two, neither above two thirds
    of the members while another merge exists. A graph without any community
    structure is split in balanced halves (Kernighan–Lin).
    """
    nodes = sorted(h.nodes)
    if len(nodes) < 2:
        return [nodes]
    total = sum(size[n] for n in nodes)
    sub = h.subgraph(nodes).copy()
    parts: list[list[str]] = [nodes]
    if core is not None:
        parts = _normalise(core(_Contracted(sub, {n: (n,) for n in nodes}, {n: size[n] for n in nodes}, set(cannot))))
    for resolution in (1.0, 2.0, 4.0, 8.0):
        if len(parts) >= 2:
            break
        parts = _normalise(nx.community.louvain_communities(sub, weight="weight", resolution=resolution, seed=seed))
    if len(parts) < 2:
        a, b = nx.community.kernighan_lin_bisection(sub, weight="weight", seed=seed)
        parts = _normalise([a, b])
    parts = repair(sub, parts, cannot)
    return _merge_to(sub, parts, size, cannot, 2, 2 * total / 3)


def dissolve_bins(
    judge: nx.Graph,
    clusters: list[list[str]],
    size: Mapping[str, int],
    cannot: set[frozenset[str]],
    cap: float | None = None,
) -> list[list[str]]:
    """Dissolve the clusters of one node that hold none of ``judge``'s weight: bins, not services.

    Such a node (a member, or a kept-together group whose members share no
    weight) moves to the cluster it is most tied to in ``judge`` (never next to
    a cannot-link partner, never above ``cap`` members while another cluster
    would do); a node tied to nothing stays where it is. One pass, smallest
    name first.
    """
    out = [list(c) for c in _normalise(clusters)]
    limit = cap if cap is not None else float("inf")
    where = {n: i for i, cl in enumerate(out) for n in cl}
    sizes = [sum(size[n] for n in cl) for cl in out]
    for i in range(len(out)):
        if len(out[i]) != 1:
            continue
        n = out[i][0]
        if judge.has_edge(n, n) and judge[n][n]["weight"] > 0:
            continue
        pull: dict[int, float] = defaultdict(float)
        for v, d in judge[n].items():
            if v != n and where[v] != i:
                pull[where[v]] += d["weight"]
        options = sorted(
            (j for j in pull if pull[j] > 0 and not _conflicts(n, out[j], cannot)),
            key=lambda j: (sizes[j] + size[n] > limit, -pull[j], j),
        )
        if not options:
            continue
        j = options[0]
        out[j].append(n)
        out[i] = []
        sizes[j] += size[n]
        sizes[i] = 0
        where[n] = j
    return _normalise(cl for cl in out if cl)


def louvain(
    g: nx.Graph,
    constraints: Constraints | None = None,
    *,
    seed: int = 0,
    n_clusters: int | None = None,
    resolution: float = 1.0,
    between: tuple[int, int] | None = None,
    max_share: float | None = None,
    judge: nx.Graph | None = None,
) -> Partition:
    """Louvain modularity optimisation (``networkx.community.louvain_communities``)."""

    def core(con: _Contracted, res: float = resolution) -> list[list[str]]:
        comms = nx.community.louvain_communities(con.graph, weight="weight", resolution=res, seed=seed)
        return _normalise(comms)

    def grow(con: _Contracted, target: int) -> list[list[str]]:
        return _finer(lambda r: core(con, r), resolution, target)

    return _run(
        g, constraints, n_clusters, core, between=between, max_share=max_share, seed=seed, judge=judge, grow=grow
    )


def leiden(
    g: nx.Graph,
    constraints: Constraints | None = None,
    *,
    seed: int = 0,
    n_clusters: int | None = None,
    resolution: float = 1.0,
    between: tuple[int, int] | None = None,
    max_share: float | None = None,
    judge: nx.Graph | None = None,
) -> Partition:
    """Leiden modularity optimisation (``leidenalg`` on ``igraph``, Traag et al. 2019).

    networkx 3.x only declares ``leiden_communities`` for external backends,
    so this uses the reference implementation by the algorithm's author.
    """
    import igraph as ig
    import leidenalg

    def core(con: _Contracted, res: float = resolution) -> list[list[str]]:
        nodes = sorted(con.graph.nodes)
        index = {n: i for i, n in enumerate(nodes)}
        edges = sorted(
            (min(index[u], index[v]), max(index[u], index[v]), d["weight"]) for u, v, d in con.graph.edges(data=True)
        )
        ig_graph = ig.Graph(n=len(nodes), edges=[(a, b) for a, b, _ in edges])
        weights = [w for _, _, w in edges]
        part = leidenalg.find_partition(
            ig_graph,
            leidenalg.RBConfigurationVertexPartition,
            weights=weights,
            resolution_parameter=res,
            n_iterations=-1,
            seed=seed,
        )
        return _normalise([[nodes[i] for i in comm] for comm in part])

    def grow(con: _Contracted, target: int) -> list[list[str]]:
        return _finer(lambda r: core(con, r), resolution, target)

    return _run(
        g, constraints, n_clusters, core, between=between, max_share=max_share, seed=seed, judge=judge, grow=grow
    )


def label_propagation(
    g: nx.Graph,
    constraints: Constraints | None = None,
    *,
    seed: int = 0,
    n_clusters: int | None = None,
    between: tuple[int, int] | None = None,
    max_share: float | None = None,
    judge: nx.Graph | None = None,
) -> Partition:
    """Weighted asynchronous label propagation (``networkx.community.asyn_lpa_communities``), seeded."""

    def core(con: _Contracted) -> list[list[str]]:
        h = con.graph.copy()
        h.remove_edges_from(list(nx.selfloop_edges(h)))
        return _normalise(nx.community.asyn_lpa_communities(h, weight="weight", seed=seed))

    return _run(g, constraints, n_clusters, core, between=between, max_share=max_share, seed=seed, judge=judge)


def agglomerative(
    g: nx.Graph,
    constraints: Constraints | None = None,
    *,
    seed: int = 0,
    n_clusters: int | None = None,
    between: tuple[int, int] | None = None,
    max_share: float | None = None,
    judge: nx.Graph | None = None,
) -> Partition:
    """Average-linkage agglomerative clustering.

    Similarity of two clusters is the weight between them divided by the
    product of their sizes (in members). It merges the most similar pair
    (never a cannot-link pair) until ``n_clusters`` remain; without
    ``n_clusters`` it cuts the dendrogram where modularity peaks. ``seed`` is
    accepted for a uniform signature; the algorithm is deterministic.
    """

    def core(con: _Contracted, target: int | None = n_clusters) -> list[list[str]]:
        return _merge_to(con.graph, [[n] for n in sorted(con.graph.nodes)], con.size, con.cannot, target)

    return _run(
        g,
        constraints,
        n_clusters,
        core,
        native=True,
        between=between,
        max_share=max_share,
        seed=seed,
        judge=judge,
        grow=core,
    )


def hill_climbing(
    g: nx.Graph,
    constraints: Constraints | None = None,
    *,
    seed: int = 0,
    n_clusters: int | None = None,
    restarts: int | None = None,
    between: tuple[int, int] | None = None,
    max_share: float | None = None,
    judge: nx.Graph | None = None,
) -> Partition:
    """Bunch-style hill climbing on TurboMQ (Mitchell & Mancoridis).

    From a start partition (singletons first, then seeded random partitions
    for each restart) it visits nodes in a seeded random order and moves each
    to the neighbouring cluster (or a fresh one) that most increases TurboMQ,
    never next to a cannot-link partner, until a whole pass improves nothing.
    Then, as Louvain does for modularity, the clusters become nodes and the
    climb repeats one level up (so whole clusters move too), until a level
    changes nothing. The best result over the restarts wins (default: 3
    restarts, 1 above 2,000 nodes to keep large graphs within seconds).
    """

    def core(con: _Contracted) -> list[list[str]]:
        rng = random.Random(seed)
        nodes = sorted(con.graph.nodes)
        best: tuple[float, list[list[str]]] | None = None
        runs = restarts if restarts is not None else (3 if len(nodes) <= 2000 else 1)
        for r in range(max(1, runs)):
            if r == 0:
                start = {n: i for i, n in enumerate(nodes)}
            else:
                k = max(1, int(len(nodes) ** 0.5))
                start = {n: rng.randrange(k) for n in nodes}
                start = _split_conflicts(start, con.cannot, len(nodes) + k)
            score, cand = _multilevel_climb(con.graph, start, con.cannot, rng)
            if best is None or score > best[0] + 1e-12:
                best = (score, cand)
        assert best is not None
        return best[1]

    return _run(
        g, constraints, n_clusters, core, native=True, between=between, max_share=max_share, seed=seed, judge=judge
    )


def _multilevel_climb(
    h: nx.Graph, start: dict[str, int], cannot: set[frozenset[str]], rng: random.Random
) -> tuple[float, list[list[str]]]:
    owned: dict[str, list[str]] = {n: [n] for n in h.nodes}  # level node → original nodes
    level, assign, level_cannot = h, start, cannot
    while True:
        score, assign = _climb(level, assign, level_cannot, rng)
        groups: dict[int, list[str]] = defaultdict(list)
        for n in sorted(level.nodes):
            groups[assign[n]].append(n)
        if len(groups) == level.number_of_nodes():
            break
        # one level up: each cluster a node, inner weight a self-loop
        names = {c: min(ms) for c, ms in groups.items()}
        up: nx.Graph = nx.Graph()
        up.add_nodes_from(sorted(names.values()))
        for u, v, d in level.edges(data=True):
            a, b = names[assign[u]], names[assign[v]]
            if up.has_edge(a, b):
                up[a][b]["weight"] += d["weight"]
            else:
                up.add_edge(a, b, weight=d["weight"])
        owned = {names[c]: [x for m in ms for x in owned[m]] for c, ms in groups.items()}
        level_cannot = {frozenset((names[assign[a]], names[assign[b]])) for a, b in (sorted(p) for p in level_cannot)}
        level = up
        assign = {n: i for i, n in enumerate(sorted(up.nodes))}
    clusters: dict[int, list[str]] = defaultdict(list)
    for n in sorted(level.nodes):
        clusters[assign[n]].extend(owned[n])
    return score, _normalise(clusters.values())


def _split_conflicts(assign: dict[str, int], cannot: set[frozenset[str]], fresh: int) -> dict[str, int]:
    out = dict(assign)
    for pair in sorted(cannot, key=sorted):
        a, b = sorted(pair)
        if out[a] == out[b]:
            out[b] = fresh
            fresh += 1
    return out


def _climb(
    h: nx.Graph, assign: dict[str, int], cannot: set[frozenset[str]], rng: random.Random
) -> tuple[float, dict[str, int]]:
    nodes = sorted(h.nodes)
    selfw = {n: (h[n][n]["weight"] if h.has_edge(n, n) else 0.0) for n in nodes}
    nbrs = {n: [(m, d["weight"]) for m, d in sorted(h[n].items()) if m != n] for n in nodes}
    k = {n: sum(w for _, w in nbrs[n]) for n in nodes}
    partner: dict[str, set[str]] = defaultdict(set)
    for pair in cannot:
        pa, pb = sorted(pair)
        partner[pa].add(pb)
        partner[pb].add(pa)
    assign = dict(assign)
    mu: dict[int, float] = defaultdict(float)
    eps: dict[int, float] = defaultdict(float)
    members: dict[int, set[str]] = defaultdict(set)
    for n in nodes:
        members[assign[n]].add(n)
        mu[assign[n]] += selfw[n]
    for u, v, d in h.edges(data=True):
        if u == v:
            continue
        if assign[u] == assign[v]:
            mu[assign[u]] += d["weight"]
        else:
            eps[assign[u]] += d["weight"]
            eps[assign[v]] += d["weight"]

    def cf(m: float, e: float) -> float:
        return 0.0 if m <= 0 else 2 * m / (2 * m + e)

    fresh = max(assign.values()) + 1 if assign else 0
    improved = True
    while improved:
        improved = False
        order = list(nodes)
        rng.shuffle(order)
        for v in order:
            a = assign[v]
            to: dict[int, float] = defaultdict(float)
            for m, w in nbrs[v]:
                to[assign[m]] += w
            w_a = to.get(a, 0.0)
            mu_a = mu[a] - w_a - selfw[v]
            eps_a = eps[a] + w_a - (k[v] - w_a)
            base = cf(mu[a], eps[a])
            left = cf(mu_a, eps_a)
            best_gain, best_c = 1e-12, None
            options = sorted(c for c in to if c != a)
            if len(members[a]) > 1:
                options.append(-1)  # a fresh cluster of its own
            for c in options:
                if c != -1 and partner[v] and partner[v] & members[c]:
                    continue
                w_c = to.get(c, 0.0) if c != -1 else 0.0
                mu_c, eps_c = (mu[c], eps[c]) if c != -1 else (0.0, 0.0)
                gain = (left + cf(mu_c + w_c + selfw[v], eps_c - w_c + (k[v] - w_c))) - (base + cf(mu_c, eps_c))
                if gain > best_gain:
                    best_gain, best_c = gain, c
            if best_c is None:
                continue
            if best_c == -1:
                best_c = fresh
                fresh += 1
            w_c = to.get(best_c, 0.0)
            mu[a], eps[a] = mu_a, eps_a
            mu[best_c] = mu[best_c] + w_c + selfw[v]
            eps[best_c] = eps[best_c] - w_c + (k[v] - w_c)
            members[a].discard(v)
            members[best_c].add(v)
            assign[v] = best_c
            improved = True
    score = sum(cf(mu[c], eps[c]) for c in members if members[c])
    return score, assign


#: The algorithms ``decompose propose`` knows, in the order it tries them.
ALGORITHMS: dict[str, Callable[..., Partition]] = {
    "louvain": louvain,
    "leiden": leiden,
    "label_propagation": label_propagation,
    "agglomerative": agglomerative,
    "hill_climbing": hill_climbing,
}
