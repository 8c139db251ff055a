"""The exact maximum modularity Q of a project's app-level coupling graph, over every partition of its apps.

Usage: ``.venv/bin/python benchmarks/max_modularity.py PROJECT [PROJECT ...]`` (a project folder; read as
text, nothing imported). Enumerates all set partitions (Bell(n): 115,975 for 10 apps; refuses above 12),
scores each with networkx's weighted modularity on the graph ``propose --level app`` clusters, and prints
the best. It tells whether a Q target is reachable at all at app level.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

import networkx as nx

from decompose.analysis import analyze
from decompose.cluster.pipeline import ProposeSettings, _coupling


def partitions(items: list[str]) -> Iterator[list[list[str]]]:
    """Every set partition of ``items`` (each exactly once)."""
    if not items:
        yield []
        return
    first, rest = items[0], items[1:]
    for p in partitions(rest):
        for i in range(len(p)):
            yield [*p[:i], [first, *p[i]], *p[i + 1 :]]
        yield [[first], *p]


def main(paths: list[str]) -> int:
    for path in paths:
        cg = _coupling(analyze(path, use_cache=False), ProposeSettings(level="app"))
        nodes = sorted(cg.graph.nodes)
        if len(nodes) > 12:
            print(f"{path}: {len(nodes)} apps, too many to enumerate")
            continue
        best, count, arg = -1.0, 0, None
        for p in partitions(nodes):
            count += 1
            q = nx.community.modularity(cg.graph, p, weight="weight")
            if q > best:
                best, arg = q, p
        print(f"{path}: {len(nodes)} apps, {count} partitions, max Q = {best:.4f}: {arg}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
