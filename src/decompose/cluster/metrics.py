"""Metrics: plain functions ``(graph, partition) -> float``.

``graph`` is a :class:`~decompose.cluster.coupling.CouplingGraph`;
``partition`` maps a member to its service (a ``dict``), or is a list of
clusters (each an iterable of members). Members the partition does not
mention (the shared kernel, the monolith's shell) are left out of every
metric. Formulas are in docs/metrics.md. Higher is better for ``modularity``,
``mq``, ``turbomq``, ``sm``, ``ned`` and ``score``; lower is better for the
rest.

Example::

    >>> from decompose.cluster.coupling import build_coupling
    >>> from decompose.graph import DependencyGraph, Evidence
    >>> g = DependencyGraph.empty()
    >>> for m in ("a.x", "a.y", "b.x"):
    ...     g.add_module(m, app=m[0], path=m.replace(".", "/") + ".py")
    >>> g.add_evidence("a.x", "a.y", "import", Evidence("a/x.py", 1, "a.y.f"))
    >>> g.add_evidence("a.y", "b.x", "import", Evidence("a/y.py", 1, "b.x.g"))
    >>> cg = build_coupling(g, "module")
    >>> icp(cg, [("a.x", "a.y"), ("b.x",)])
    0.5
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Mapping

from decompose.cluster.coupling import CouplingGraph

PartitionLike = Mapping[str, Hashable] | Iterable[Iterable[str]]


def assignment(partition: PartitionLike) -> dict[str, Hashable]:
    """member → cluster label, from either partition form."""
    if isinstance(partition, Mapping):
        return dict(partition)
    out: dict[str, Hashable] = {}
    for i, cluster in enumerate(partition):
        for m in cluster:
            out[m] = i
    return out


def _clusters(a: Mapping[str, Hashable]) -> dict[Hashable, list[str]]:
    out: dict[Hashable, list[str]] = defaultdict(list)
    for m in sorted(a):
        out[a[m]].append(m)
    return out


def _prep(cg: CouplingGraph, partition: PartitionLike) -> dict[str, Hashable]:
    return {m: c for m, c in assignment(partition).items() if m in cg.graph}


def modularity(cg: CouplingGraph, partition: PartitionLike) -> float:
    """Newman's weighted modularity Q of the services (kernel left out).

    ``Σ_c [L_c/m − (d_c/2m)²]``; equal to ``networkx.community.modularity``
    (resolution 1) on the graph restricted to the partition's members.
    """
    a = _prep(cg, partition)
    m = 0.0
    inner: dict[Hashable, float] = defaultdict(float)
    degree: dict[Hashable, float] = defaultdict(float)
    for u, v, w in cg.edge_list:
        if u not in a or v not in a:
            continue
        m += w
        degree[a[u]] += w
        degree[a[v]] += w
        if a[u] == a[v]:
            inner[a[u]] += w
    if m == 0:
        return 0.0
    return sum(inner[c] / m - (degree[c] / (2 * m)) ** 2 for c in _clusters(a))


def _directed_counts(
    cg: CouplingGraph, a: Mapping[str, Hashable]
) -> tuple[dict[Hashable, int], dict[tuple[Hashable, Hashable], int]]:
    inner: dict[Hashable, int] = defaultdict(int)
    between: dict[tuple[Hashable, Hashable], int] = defaultdict(int)
    for u, v in cg.directed.edges():
        if u in a and v in a:
            if a[u] == a[v]:
                inner[a[u]] += 1
            else:
                key = tuple(sorted((a[u], a[v]), key=str))
                between[key] += 1  # type: ignore[index]
    return inner, between


def _mq_form(
    sizes: Mapping[Hashable, int], inner: Mapping[Hashable, int], between: Mapping[tuple[Hashable, Hashable], int]
) -> float:
    k = len(sizes)
    if k == 0:
        return 0.0
    intra = sum(inner.get(c, 0) / (n * n) for c, n in sizes.items()) / k
    if k == 1:
        return intra
    inter = sum(e / (2 * sizes[i] * sizes[j]) for (i, j), e in between.items()) / (k * (k - 1) / 2)
    return intra - inter


def mq(cg: CouplingGraph, partition: PartitionLike) -> float:
    """Bunch's basic MQ over distinct directed dependencies (unweighted)."""
    a = _prep(cg, partition)
    sizes = {c: len(ms) for c, ms in _clusters(a).items()}
    inner, between = _directed_counts(cg, a)
    return _mq_form(sizes, inner, between)


def sm(cg: CouplingGraph, partition: PartitionLike) -> float:
    """Structural modularity (Mono2Micro): MQ's form over distinct undirected edges."""
    a = _prep(cg, partition)
    sizes = {c: len(ms) for c, ms in _clusters(a).items()}
    inner: dict[Hashable, int] = defaultdict(int)
    between: dict[tuple[Hashable, Hashable], int] = defaultdict(int)
    for u, v, _w in cg.edge_list:
        if u == v or u not in a or v not in a:
            continue
        if a[u] == a[v]:
            inner[a[u]] += 1
        else:
            between[tuple(sorted((a[u], a[v]), key=str))] += 1  # type: ignore[index]
    return _mq_form(sizes, inner, between)


def _mu_eps(cg: CouplingGraph, a: Mapping[str, Hashable]) -> tuple[dict[Hashable, float], dict[Hashable, float]]:
    mu: dict[Hashable, float] = defaultdict(float)
    eps: dict[Hashable, float] = defaultdict(float)
    for u, v, w in cg.edge_list:
        if u not in a or v not in a:
            continue
        if a[u] == a[v]:
            mu[a[u]] += w
        else:
            eps[a[u]] += w
            eps[a[v]] += w
    return mu, eps


def turbomq(cg: CouplingGraph, partition: PartitionLike) -> float:
    """Bunch's TurboMQ: Σ CF_i, CF_i = 2μ_i / (2μ_i + ε_i) on weights."""
    a = _prep(cg, partition)
    mu, eps = _mu_eps(cg, a)
    return sum((2 * mu[c] / (2 * mu[c] + eps[c])) if mu[c] > 0 else 0.0 for c in _clusters(a))


def icp(cg: CouplingGraph, partition: PartitionLike) -> float:
    """Share of coupling weight that crosses a service boundary (0 = none)."""
    a = _prep(cg, partition)
    mu, eps = _mu_eps(cg, a)
    cross = sum(eps.values()) / 2
    total = sum(mu.values()) + cross
    return cross / total if total else 0.0


def ifn(cg: CouplingGraph, partition: PartitionLike) -> float:
    """Mean number of distinct symbols other services use of each service."""
    a = _prep(cg, partition)
    clusters = _clusters(a)
    if not clusters:
        return 0.0
    used: dict[Hashable, set[str]] = defaultdict(set)
    for u, v, d in cg.directed.edges(data=True):
        if u in a and v in a and a[u] != a[v]:
            used[a[v]].update(d["symbols"])
    return sum(len(used[c]) for c in clusters) / len(clusters)


def ned_bounds(cg: CouplingGraph, partition: PartitionLike) -> tuple[int, int]:
    """Default non-extreme size range: [1, ⌈2N/3⌉] members at app level, [2, ⌈2N/3⌉] at module level."""
    n = len(_prep(cg, partition))
    return (1 if cg.level == "app" else 2), max(2, math.ceil(2 * n / 3))


def ned(cg: CouplingGraph, partition: PartitionLike, *, bounds: tuple[int, int] | None = None) -> float:
    """Share of members in services whose size is within the non-extreme range."""
    a = _prep(cg, partition)
    if not a:
        return 0.0
    lo, hi = bounds or ned_bounds(cg, a)
    ok = sum(len(ms) for ms in _clusters(a).values() if lo <= len(ms) <= hi)
    return ok / len(a)


def cross_service_fks(cg: CouplingGraph, partition: PartitionLike) -> float:
    """Foreign keys from a model of one service to a model of another."""
    a = _prep(cg, partition)
    return float(sum(n for u, v, n in cg.fks if u in a and v in a and a[u] != a[v]))


def shared_tables(cg: CouplingGraph, partition: PartitionLike) -> float:
    """Tables defined or read/written (fk, ORM) by more than one service."""
    a = _prep(cg, partition)
    return float(sum(1 for users in cg.table_users.values() if len({a[u] for u in users if u in a}) > 1))


def spanning_atomic_blocks(cg: CouplingGraph, partition: PartitionLike) -> float:
    """``transaction.atomic()`` blocks whose code uses more than one service."""
    a = _prep(cg, partition)
    return float(sum(1 for b in cg.atomic_blocks if len({a[m] for m in b if m in a}) > 1))


def loose_share(cg: CouplingGraph, partition: PartitionLike) -> float:
    """Share of members in *bins*: services of two or more members that share no coupling weight."""
    a = _prep(cg, partition)
    if not a:
        return 0.0
    mu, _eps = _mu_eps(cg, a)
    return sum(len(ms) for c, ms in _clusters(a).items() if len(ms) > 1 and mu[c] <= 0) / len(a)


def services(cg: CouplingGraph, partition: PartitionLike) -> float:
    return float(len(_clusters(_prep(cg, partition))))


def largest_share(cg: CouplingGraph, partition: PartitionLike) -> float:
    """Members in the largest service divided by all members."""
    a = _prep(cg, partition)
    if not a:
        return 0.0
    return max(len(ms) for ms in _clusters(a).values()) / len(a)


def gini(cg: CouplingGraph, partition: PartitionLike) -> float:
    """Gini coefficient of service sizes (0 = all equal)."""
    sizes = sorted(len(ms) for ms in _clusters(_prep(cg, partition)).values())
    n = len(sizes)
    if n < 2:
        return 0.0
    total = sum(sizes)
    cum = sum((i + 1) * s for i, s in enumerate(sizes))
    return (2 * cum) / (n * total) - (n + 1) / n


def data_cut(cg: CouplingGraph, partition: PartitionLike) -> float:
    """Share of data couplings cut: (cross FKs + shared tables + spanning blocks) / their maxima."""
    a = _prep(cg, partition)
    fk_total = sum(n for u, v, n in cg.fks if u in a and v in a)
    table_total = sum(1 for users in cg.table_users.values() if len({u for u in users if u in a}) > 1)
    block_total = sum(1 for b in cg.atomic_blocks if len({m for m in b if m in a}) > 1)
    total = fk_total + table_total + block_total
    if total == 0:
        return 0.0
    cut = cross_service_fks(cg, a) + shared_tables(cg, a) + spanning_atomic_blocks(cg, a)
    return cut / total


def _combine(q: float, ned_: float, icp_: float, cut: float, largest: float, k: float, loose: float) -> float:
    fair = min(0.5, 2 / k) if k else 0.5
    return 0.4 * q + 0.2 * ned_ + 0.2 * (1 - icp_) + 0.2 * (1 - cut) - 0.4 * max(0.0, largest - fair) - 0.2 * loose


def score(cg: CouplingGraph, partition: PartitionLike) -> float:
    """The combined score ``propose`` ranks partitions by (see docs/metrics.md).

    ``0.4·Q + 0.2·NED + 0.2·(1 − ICP) + 0.2·(1 − data_cut)
    − 0.4·max(0, largest_share − min(0.5, 2/k)) − 0.2·loose_share``
    for ``k`` services: a service may hold twice its fair share (at most half)
    before the score counts it against the partition, and members in services
    that share no coupling (bins) count against it too.
    """
    a = _prep(cg, partition)
    if not a:
        return 0.0
    return _combine(
        modularity(cg, a),
        ned(cg, a),
        icp(cg, a),
        data_cut(cg, a),
        largest_share(cg, a),
        services(cg, a),
        loose_share(cg, a),
    )


#: Every metric by name, in the order reports show them.
METRICS: dict[str, Callable[[CouplingGraph, PartitionLike], float]] = {
    "score": score,
    "services": services,
    "modularity": modularity,
    "mq": mq,
    "turbomq": turbomq,
    "sm": sm,
    "icp": icp,
    "ifn": ifn,
    "ned": ned,
    "cross_service_fks": cross_service_fks,
    "shared_tables": shared_tables,
    "spanning_atomic_blocks": spanning_atomic_blocks,
    "data_cut": data_cut,
    "largest_share": largest_share,
    "gini": gini,
    "loose_share": loose_share,
}


def all_metrics(cg: CouplingGraph, partition: PartitionLike) -> dict[str, float]:
    """Every metric of :data:`METRICS`, each computed once."""
    a = _prep(cg, partition)
    out = {name: float(f(cg, a)) for name, f in METRICS.items() if name != "score"}
    out["score"] = (
        _combine(
            out["modularity"],
            out["ned"],
            out["icp"],
            out["data_cut"],
            out["largest_share"],
            out["services"],
            out["loose_share"],
        )
        if a
        else 0.0
    )
    return {name: out[name] for name in METRICS}
