"""A realistic synthetic Django-shaped module graph with a planted decomposition.

Used by the scale check (``python -m decompose.cluster.synthetic``), the
benchmarks and the tests. ``domains`` groups of apps form the planted services;
every app has ``modules_per_app`` modules (``models``, ``views``,
``services``, ``admin``, ``urls``, ``signals``... and numbered helpers).
Couplings:

* inside an app: views/services/admin import and use its models (``orm``,
  ``call``, ``import``), models FK each other;
* inside a domain: services call other apps' services, models FK other
  apps' models, ``transaction.atomic()`` blocks use two apps' models;
* across domains: a few imports, calls and signals (``cross`` controls how
  many per app), some under ``TYPE_CHECKING`` or function-local;
* a ``core`` app that every app imports (the omnipresent shared kernel).

Example::

    >>> g, planted = synthetic_graph(n_modules=60, seed=1)
    >>> len(g.modules()) >= 60, sorted(planted)[:2]
    (True, ['core', 'd00'])
"""

from __future__ import annotations

import random
import sys
import time

from decompose.graph import AppInfo, DependencyGraph, Evidence

ROLES = ("models", "views", "services", "admin", "urls", "signals", "forms", "serializers", "tasks", "selectors")


def synthetic_graph(
    n_modules: int = 5000,
    *,
    modules_per_app: int = 10,
    apps_per_domain: int = 4,
    cross: float = 1.5,
    seed: int = 0,
) -> tuple[DependencyGraph, dict[str, list[str]]]:
    """A graph of about ``n_modules`` modules and the planted app-level decomposition."""
    rng = random.Random(seed)
    n_apps = max(2, n_modules // modules_per_app)
    apps = [f"app{i:04d}" for i in range(n_apps)]
    domain_of = {a: f"d{i // apps_per_domain:02d}" for i, a in enumerate(apps)}
    g = DependencyGraph.empty(root="synthetic", apps=tuple(AppInfo(a, a, a) for a in ["core", *apps]))
    roles = list(ROLES) + [f"helpers{i}" for i in range(max(0, modules_per_app - len(ROLES)))]
    roles = roles[:modules_per_app]

    def mods(app: str) -> list[str]:
        return [f"{app}.{r}" for r in roles]

    for app in ["core", *apps]:
        for r in roles:
            models = []
            if r == "models":
                models = [
                    {"name": f"M{k}", "line": 10 * k + 1, "table": f"{app}_m{k}", "abstract": False} for k in range(3)
                ]
            g.add_module(f"{app}.{r}", app=app, path=f"{app}/{r}.py", lines=100, models=models)

    line = iter(range(1, 10**9))

    def ev(src: str, symbol: str, flags: tuple[str, ...] = ()) -> Evidence:
        return Evidence(src.replace(".", "/") + ".py", next(line), symbol, flags)

    by_domain: dict[str, list[str]] = {}
    for a in apps:
        by_domain.setdefault(domain_of[a], []).append(a)
    atomic: dict[str, list[dict[str, object]]] = {}
    for a in apps:
        m = f"{a}.models"
        for r in roles[1:]:
            src = f"{a}.{r}"
            g.add_evidence(src, m, "import", ev(src, f"{m}.M0"))
            if rng.random() < 0.7:
                g.add_evidence(src, m, "orm", ev(src, f"M{rng.randrange(3)}.objects"))
            if rng.random() < 0.5:
                other = f"{a}.{rng.choice(roles[1:])}"
                if other != src:
                    g.add_evidence(src, other, "call", ev(src, f"{other}.f"))
            g.add_evidence(
                src, "core.models" if rng.random() < 0.5 else "core.services", "import", ev(src, "core.utils.f")
            )
        g.add_evidence(m, "core.models", "inherit", ev(m, "core.models.TimeStamped"))
        peers = [p for p in by_domain[domain_of[a]] if p != a]
        for p in peers:
            if rng.random() < 0.8:
                g.add_evidence(m, f"{p}.models", "fk", ev(m, f"{p}.M{rng.randrange(3)}"))
            if rng.random() < 0.8:
                g.add_evidence(f"{a}.services", f"{p}.services", "call", ev(f"{a}.services", f"{p}.services.do"))
            if rng.random() < 0.5:
                g.add_evidence(f"{a}.views", f"{p}.models", "orm", ev(f"{a}.views", f"M{rng.randrange(3)}.objects"))
        if peers and rng.random() < 0.6:
            p = rng.choice(peers)
            atomic.setdefault(f"{a}.services", []).append({"line": next(line), "modules": [m, f"{p}.models"]})
        for _ in range(int(cross) + (1 if rng.random() < cross - int(cross) else 0)):
            p = rng.choice(apps)
            if domain_of[p] == domain_of[a]:
                continue
            kind = rng.choice(("import", "call", "signal"))
            flags: tuple[str, ...] = rng.choice(((), (), ("local",), ("type_checking",)))
            src = f"{a}.{rng.choice(roles[1:])}"
            g.add_evidence(src, f"{p}.{rng.choice(('services', 'models', 'signals'))}", kind, ev(src, f"{p}.x", flags))
    for mod, blocks in atomic.items():
        g.graph.nodes[mod]["atomic_blocks"] = blocks
    g.finalize()
    planted: dict[str, list[str]] = {"core": ["core"]}
    for d, members in sorted(by_domain.items()):
        planted[d] = sorted(members)
    return g, planted


def main(argv: list[str] | None = None) -> None:
    """Time clustering a synthetic module graph: ``python -m decompose.cluster.synthetic [N]``."""
    from decompose.cluster.algorithms import ALGORITHMS
    from decompose.cluster.coupling import build_coupling
    from decompose.cluster.metrics import all_metrics

    args = sys.argv[1:] if argv is None else argv
    n = int(args[0]) if args else 5000
    t0 = time.perf_counter()
    g, _ = synthetic_graph(n)
    t1 = time.perf_counter()
    cg = build_coupling(g, "module")
    t2 = time.perf_counter()
    print(
        f"{len(g.modules())} modules, {cg.graph.number_of_edges()} weighted edges; "
        f"generate {t1 - t0:.2f}s, derive {t2 - t1:.2f}s"
    )
    for name, algo in ALGORITHMS.items():
        t = time.perf_counter()
        part = algo(cg.graph, seed=0)
        t_algo = time.perf_counter() - t
        t = time.perf_counter()
        m = all_metrics(cg, part)
        t_metrics = time.perf_counter() - t
        print(
            f"{name:18s} {t_algo:6.2f}s  {int(m['services']):5d} services  "
            f"Q={m['modularity']:.3f}  metrics {t_metrics:.2f}s"
        )
    from decompose.cluster.pipeline import ProposeSettings, propose

    t = time.perf_counter()
    p = propose(g, ProposeSettings(level="module"))
    print(
        f"propose --level module (auto: all five, scored, explained) {time.perf_counter() - t:.2f}s "
        f"→ {p.algorithm}, {len(p.services)} services"
    )


if __name__ == "__main__":  # pragma: no cover
    main()
