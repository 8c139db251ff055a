"""Comparing a partition with a reference: MoJo and MoJoFM.

MoJo (Tzerpos & Holt 1999) is the least number of *Move* (one object to
another cluster, or to a new one) and *Join* (two clusters into one)
operations that turn partition A into partition B. ``mno(A, B)`` is computed
with the optimal algorithm of Wen & Tzerpos ("An optimal algorithm for MoJo
distance", IWPC 2003):

1. tag every object of A with the B cluster it belongs to; for each A cluster
   ``A_i`` let ``v_ij`` be the number of its objects tagged ``B_j``;
2. in a bipartite graph join ``A_i`` to every ``B_j`` where ``v_ij`` is
   maximal for ``A_i``; let ``g`` be the size of a maximum matching;
3. ``mno(A, B) = (n − Σ_i max_j v_ij) + (l − g)``: the moves of objects
   not in their cluster's group, plus joins of the ``l`` A clusters into ``g``
   non-empty groups.

``MoJo(A, B) = min(mno(A, B), mno(B, A))``. MoJoFM (Wen & Tzerpos 2004) is
``(1 − mno(A, B) / max_A mno(A, B)) × 100`` where the farthest any A can be
from B is ``n − g_max(B)``, ``g_max(B)`` being the largest number of
non-empty groups: with B's cluster sizes sorted ascending, count how many
sizes exceed the running count. Only objects present in both partitions are
compared.

Example::

    >>> mno([{1, 2, 3}, {4, 5, 6}], [{1, 2}, {3, 4, 5, 6}])
    1
    >>> mojofm([{1, 2, 3}, {4, 5, 6}], [{1, 2, 3}, {4, 5, 6}])
    100.0
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping

import networkx as nx

Clusters = Iterable[Iterable[Hashable]] | Mapping[Hashable, Hashable]


def _as_clusters(p: Clusters) -> list[set[Hashable]]:
    if isinstance(p, Mapping):
        groups: dict[Hashable, set[Hashable]] = defaultdict(set)
        for obj, c in p.items():
            groups[c].add(obj)
        return [g for _, g in sorted(groups.items(), key=lambda kv: str(kv[0]))]
    return [set(c) for c in p]


def _common(a: Clusters, b: Clusters) -> tuple[list[set[Hashable]], list[set[Hashable]]]:
    ca, cb = _as_clusters(a), _as_clusters(b)
    shared = set().union(*ca) & set().union(*cb) if ca and cb else set()
    ca = [c & shared for c in ca if c & shared]
    cb = [c & shared for c in cb if c & shared]
    return ca, cb


def mno(a: Clusters, b: Clusters) -> int:
    """Moves and joins turning ``a`` into ``b`` (one-way MoJo, Wen & Tzerpos's optimal algorithm)."""
    ca, cb = _common(a, b)
    where_b = {obj: j for j, c in enumerate(cb) for obj in c}
    n = sum(len(c) for c in ca)
    bip: nx.Graph = nx.Graph()
    kept = 0
    for i, cluster in enumerate(ca):
        tags: dict[int, int] = defaultdict(int)
        for obj in cluster:
            tags[where_b[obj]] += 1
        top = max(tags.values())
        kept += top
        bip.add_node(("A", i))
        for j, v in tags.items():
            if v == top:
                bip.add_edge(("A", i), ("B", j))
    left = [x for x in bip if x[0] == "A"]
    matching = nx.bipartite.hopcroft_karp_matching(bip, top_nodes=left) if bip.number_of_edges() else {}
    g = sum(1 for x in matching if x[0] == "A")
    return (n - kept) + (len(ca) - g)


def mojo(a: Clusters, b: Clusters) -> int:
    """MoJo distance: ``min(mno(a, b), mno(b, a))``."""
    return min(mno(a, b), mno(b, a))


def max_mno(b: Clusters, n: int | None = None) -> int:
    """The largest ``mno(A, b)`` over all partitions A of the same objects."""
    cb = _as_clusters(b)
    objects = sum(len(c) for c in cb) if n is None else n
    groups = 0
    for size in sorted(len(c) for c in cb):
        if groups < size:
            groups += 1
    return objects - groups


def mojofm(a: Clusters, b: Clusters) -> float:
    """MoJoFM of ``a`` against reference ``b``, in percent (100 = identical)."""
    ca, cb = _common(a, b)
    if not ca:
        return 0.0
    worst = max_mno(cb)
    if worst == 0:
        return 100.0
    return round((1 - mno(ca, cb) / worst) * 100, 2)
