"""How well ``decompose propose`` finds boundaries on real Django projects, against a plain baseline.

Usage (from the repository root)::

    .venv/bin/python benchmarks/boundaries.py                      # every project, markdown tables
    .venv/bin/python benchmarks/boundaries.py --project pretalx --json out.json

For each project the graph is built statically (``decompose.analysis.analyze``,
nothing imported or run; the facts cache goes to the benchmark cache folder,
never into the project). Then, at **module level** with tests and migrations
left out (the members ``propose --level module`` clusters), the reference is
each module's Django app, and three partitions are scored against it with
MoJoFM (Wen & Tzerpos 2004; the shared kernel counts as one more cluster):

* ``baseline``: ``networkx.community.louvain_communities`` (seed 0,
  resolution 1) on the undirected, unweighted graph of ``import`` edges between
  the members alone;
* ``default``: ``propose(level="module")``, every setting at its default;
* ``--services K``: the same with K = the number of apps among the members.

Each row also gives the service count, the largest service's share of the
members and the cross-service foreign keys, next to the app partition's own
cross-service foreign keys. A second table runs ``propose`` at **app level**:
the chosen algorithm, its modularity Q, how many distinct partitions the five
algorithms returned, the kernel's share of the modules and the hub apps.

The projects: django-oscar and wagtail (PyPI wheels, fetched and unpacked
outside the repository as ``real_projects.py`` does) and the snapshots in
``../shared/realworld/`` (analysed read-only, in place).
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import networkx as nx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from real_projects import PROJECTS, FetchError, cache_root, fetch

from decompose.analysis import analyze
from decompose.cluster.algorithms import ALGORITHMS
from decompose.cluster.coupling import build_coupling
from decompose.cluster.evaluate import mojofm
from decompose.cluster.metrics import cross_service_fks, modularity
from decompose.cluster.pipeline import ProposeSettings, propose
from decompose.graph import DependencyGraph

HERE = Path(__file__).resolve().parent
REALWORLD = HERE.parent.parent / "shared" / "realworld"


@dataclass(frozen=True, slots=True)
class Target:
    """A project to measure: where its source root is (fetched or in place)."""

    name: str
    source: str  # "pypi" or "realworld"
    path: str = ""  # source root inside the realworld snapshot


TARGETS: tuple[Target, ...] = (
    Target("django-oscar", "pypi"),
    Target("wagtail", "pypi"),
    Target("pretalx", "realworld", "pretalx/src"),
    Target("django-crm", "realworld", "django-crm"),
)


def root_of(t: Target, realworld: Path) -> Path:
    if t.source == "pypi":
        return fetch(PROJECTS[t.name], cache_root())
    return realworld / t.path


def _clusters(p: Any) -> list[tuple[str, ...]]:
    out = [tuple(ms) for _, ms in sorted(p.services.items())]
    if p.shared_kernel:
        out.append(tuple(p.shared_kernel))
    return out


def baseline(graph: DependencyGraph, members: list[str]) -> list[tuple[str, ...]]:
    """networkx Louvain (seed 0, resolution 1) on the undirected import graph of ``members``."""
    keep = set(members)
    g = nx.Graph()
    g.add_nodes_from(sorted(keep))
    for u, v, _d in graph.edges(kinds=("import",)):
        if u in keep and v in keep and u != v:
            g.add_edge(u, v)
    return sorted(tuple(sorted(c)) for c in nx.community.louvain_communities(g, seed=0, resolution=1))


def _row(
    label: str, clusters: list[tuple[str, ...]], reference: dict[str, str], cg: Any, seconds: float
) -> dict[str, Any]:
    members = [m for c in clusters for m in c]
    where = {m: i for i, c in enumerate(clusters) for m in c}
    sizes = sorted((len(c) for c in clusters), reverse=True)
    return {
        "partition": label,
        "mojofm": mojofm(clusters, reference),
        "services": len(clusters),
        "largest_share": round(sizes[0] / len(members), 3) if members else 0.0,
        "cross_fks": int(cross_service_fks(cg, where)),
        "seconds": round(seconds, 2),
    }


def measure(graph: DependencyGraph) -> dict[str, Any]:
    """Every figure of both tables for one project's graph."""
    cg = build_coupling(graph, "module")
    members = cg.members()
    reference = {m: graph.app_of(m) or "" for m in members}
    apps = sorted(set(reference.values()))
    out: dict[str, Any] = {"modules": len(members), "apps": len(apps)}
    out["app_partition_fks"] = int(cross_service_fks(cg, reference))
    rows = []
    t = time.perf_counter()
    rows.append(_row("baseline (Louvain, imports)", baseline(graph, members), reference, cg, time.perf_counter() - t))
    for label, services in (("default", None), (f"--services {len(apps)}", len(apps))):
        t = time.perf_counter()
        p = propose(graph, ProposeSettings(level="module", services=services))
        row = _row(label, _clusters(p), reference, cg, time.perf_counter() - t)
        row["kernel"] = len(p.shared_kernel)
        row["algorithm"] = p.algorithm
        rows.append(row)
    out["module_rows"] = rows
    t = time.perf_counter()
    ap = propose(graph, ProposeSettings(level="app"))
    acg = build_coupling(graph, "app")
    total = sum(acg.sizes.values()) or 1
    parts = set()
    for name in ALGORITHMS:
        one = propose(graph, ProposeSettings(level="app", algorithm=name))
        parts.add(json.dumps(sorted(_clusters(one))))
    out["app"] = {
        "algorithm": ap.algorithm,
        "services": len(ap.services),
        "modularity": round(ap.metrics.get("modularity", 0.0), 3),
        "kernel": list(ap.shared_kernel),
        "kernel_share": round(sum(acg.sizes.get(m, 0) for m in ap.shared_kernel) / total, 3),
        "distinct_partitions": len(parts),
        "candidates": [(c.algorithm, round(c.metrics.get("modularity", 0.0), 3), c.services) for c in ap.candidates],
        "hubs": list(ap.hubs),
        "q_ceiling": q_ceiling(acg),
        "seconds": round(time.perf_counter() - t, 2),
    }
    return out


def q_ceiling(cg: Any, *, budget: float = 0.2, pool: int = 8, seeds: int = 3) -> dict[str, Any]:
    """The best modularity Louvain finds on the app graph, whatever small kernel is set aside.

    Every set of up to three of the ``pool`` most depended-upon apps holding at
    most ``budget`` of the modules is tried as the kernel (and none), Louvain
    runs with ``seeds`` seeds on the rest: how high Q can go on this graph, to
    judge the proposal's Q by.
    """
    members = cg.members()
    total = sum(cg.sizes.values()) or 1
    ranked = sorted(members, key=lambda m: (-len(set(cg.directed.predecessors(m))), m))[:pool]
    best: tuple[float, tuple[str, ...]] = (float("-inf"), ())
    for k in range(4):
        for kernel in itertools.combinations(ranked, k):
            if sum(cg.sizes.get(m, 0) for m in kernel) > budget * total:
                continue
            sub = cg.subgraph(set(members) - set(kernel))
            if sub.graph.number_of_nodes() == 0:
                continue
            for seed in range(seeds):
                q = modularity(sub, nx.community.louvain_communities(sub.graph, weight="weight", seed=seed))
                if q > best[0] + 1e-12:
                    best = (q, kernel)
    return {"q": round(best[0], 3), "kernel": list(best[1])}


def run(targets: list[Target], realworld: Path) -> dict[str, Any]:
    results: dict[str, Any] = {}
    bench_cache = cache_root() / "boundaries-facts"
    for t in targets:
        try:
            root = root_of(t, realworld)
        except FetchError as exc:
            print(f"{t.name}: skipped ({exc})", file=sys.stderr)
            continue
        if not root.is_dir():
            print(f"{t.name}: skipped ({root} not found)", file=sys.stderr)
            continue
        start = time.perf_counter()
        graph = analyze(root, cache_dir=bench_cache / t.name)
        res = measure(graph)
        res["analyze_seconds"] = round(time.perf_counter() - start, 2)
        results[t.name] = res
        print(f"{t.name}: done", file=sys.stderr)
    return results


def _pct(x: float) -> str:
    return f"{100 * x:.0f} %"


def markdown(results: dict[str, Any]) -> str:
    lines = [
        "| project | modules / apps | partition | MoJoFM | vs baseline | services | largest share "
        "| cross-service FKs (apps: n) |",
        "|---|---|---|---:|---:|---:|---:|---:|",
    ]
    for name, r in results.items():
        base = r["module_rows"][0]["mojofm"]
        for i, row in enumerate(r["module_rows"]):
            head = f"{name} | {r['modules']} / {r['apps']}" if i == 0 else " | "
            delta = "—" if i == 0 else f"{row['mojofm'] - base:+.1f}"
            lines.append(
                f"| {head} | {row['partition']} | {row['mojofm']:.1f} | {delta} | {row['services']} "
                f"| {_pct(row['largest_share'])} "
                f"| {row['cross_fks']} ({r['app_partition_fks']}) |"
            )
    lines += [
        "",
        "| project (app level) | chosen | services | Q | Louvain's best Q, any kernel ≤ 20 % "
        "| distinct partitions of 5 | kernel (share of modules) | hub apps |",
        "|---|---|---:|---:|---:|---:|---|---|",
    ]
    for name, r in results.items():
        a = r["app"]
        kernel = ", ".join(a["kernel"]) or "—"
        lines.append(
            f"| {name} | {a['algorithm']} | {a['services']} | {a['modularity']:.3f} "
            f"| {a['q_ceiling']['q']:.3f} ({', '.join(a['q_ceiling']['kernel']) or 'no kernel'}) "
            f"| {a['distinct_partitions']} "
            f"| {kernel} ({_pct(a['kernel_share'])}) | {', '.join(a['hubs']) or '—'} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--project", action="append", choices=[t.name for t in TARGETS], help="only this project (repeatable)"
    )
    ap.add_argument("--realworld", type=Path, default=REALWORLD, help="folder of the realworld snapshots")
    ap.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = ap.parse_args(argv)
    targets = [t for t in TARGETS if not args.project or t.name in args.project]
    results = run(targets, args.realworld)
    print(markdown(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
