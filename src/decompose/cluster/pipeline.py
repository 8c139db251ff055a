"""The ``propose`` stage: graph + settings → :class:`~decompose.cluster.proposal.Proposal`.

Steps: derive the weighted member graph (:mod:`.coupling`), set the shared
kernel aside (configured members plus small *omnipresent* utilities: used by
at least ``kernel_ratio`` of the other members, as ACDC and Bunch treat
omnipresent modules; larger ones are *hubs*, clustered and named), take
omnipresent clients out, apply what the layout says at module level
(:mod:`.structure`: markers follow their package, package ties, model layers
kept together), choose the service range (:func:`service_range`), run one
algorithm or all of them (``auto``: the best combined score wins, the others
are kept as runners-up), name the services, score them with every metric,
explain every placement and write the notes (how the count was chosen, the
markers, the model layers, the hubs, the foreign keys cut and why).

Settings come from ``[tool.decompose.propose]`` (or ``[propose]`` in
decompose.toml); the CLI options override them. See :class:`ProposeSettings`.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import networkx as nx

from decompose.cluster.algorithms import ALGORITHMS, Constraints, Partition
from decompose.cluster.coupling import CouplingGraph, Weights, build_coupling
from decompose.cluster.evaluate import mno, mojo, mojofm
from decompose.cluster.metrics import all_metrics
from decompose.cluster.proposal import Candidate, Explanation, Proposal, Tie
from decompose.cluster.structure import Marker, find_markers, fk_groups, package_ties, split_kernel
from decompose.errors import ConfigError, InputError, UnknownNameError
from decompose.graph import OUTSIDE_APPS, DependencyGraph

KNOWN_KEYS = (
    "level",
    "algorithm",
    "services",
    "seed",
    "weights",
    "flag_weights",
    "pin",
    "together",
    "apart",
    "shared_kernel",
    "kernel_ratio",
    "client_ratio",
    "weak_ratio",
    "include_tests",
    "include_outside",
    "resolution",
    "max_share",
    "kernel_share",
    "package_weight",
)


@dataclass(frozen=True, slots=True)
class ProposeSettings:
    """What ``propose`` does; every field has a working default.

    ``services`` is a number of services or ``None`` (the algorithm decides).
    ``shared_kernel`` lists members always kept out of services;
    ``kernel_ratio`` (``0`` disables detection) is the share of other members
    that must depend on a member for it to be omnipresent. ``client_ratio``
    (``0`` disables) is the share of other members a member must depend on to
    be an omnipresent *client* (a storefront, an admin site, a reporting app):
    it becomes a service of its own, outside clustering, as Bunch does. A placement is
    weak when its pull to another service reaches ``weak_ratio`` × its
    cohesion.

    ``max_share`` is the largest share of the members one service may hold
    (unless members kept together force more; the output says so).
    ``kernel_share`` bounds the detected shared kernel: an omnipresent member
    joins it only while it holds at most half of that share of the code and
    the kernel at most all of it; larger omnipresent members are *hubs*,
    clustered like any other and named in the output. ``package_weight`` is
    the tie (in imports' worth) each module gets to the other modules of its
    package at module level (0 disables).
    """

    level: str = "app"
    algorithm: str = "auto"
    services: int | None = None
    seed: int = 0
    weights: Weights = field(default_factory=Weights)
    constraints: Constraints = field(default_factory=Constraints)
    shared_kernel: tuple[str, ...] = ()
    kernel_ratio: float = 0.7
    client_ratio: float = 0.7
    weak_ratio: float = 0.8
    include_tests: bool = False
    include_outside: bool = False
    resolution: float = 1.0
    max_share: float = 0.5
    kernel_share: float = 0.2
    package_weight: float = 2.0

    @classmethod
    def from_config(cls, section: Mapping[str, Any], source: str = "[propose]") -> ProposeSettings:
        unknown = sorted(set(section) - set(KNOWN_KEYS))
        if unknown:
            raise ConfigError(f"{source}: unknown key {unknown[0]!r}; known keys: {', '.join(KNOWN_KEYS)}")
        s = section
        level = s.get("level", "app")
        if level not in ("app", "module"):
            raise ConfigError(f'{source}: `level` must be "app" or "module"')
        algorithm = s.get("algorithm", "auto")
        if algorithm != "auto" and algorithm not in ALGORITHMS:
            raise ConfigError(f"{source}: unknown `algorithm` {algorithm!r}; choose auto or {', '.join(ALGORITHMS)}")
        services = parse_services(s.get("services", "auto"), source)
        seed = s.get("seed", 0)
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise ConfigError(f"{source}: `seed` must be an integer")
        pin = s.get("pin", {})
        if not isinstance(pin, dict) or not all(
            isinstance(k, str) and isinstance(v, str) and v for k, v in pin.items()
        ):
            raise ConfigError(f'{source}: `pin` must be a table of member = "service"')
        groups: dict[str, tuple[tuple[str, ...], ...]] = {}
        for key in ("together", "apart"):
            value = s.get(key, [])
            if not isinstance(value, list) or not all(
                isinstance(g, list) and len(g) >= 2 and all(isinstance(m, str) for m in g) for g in value
            ):
                raise ConfigError(
                    f'{source}: `{key}` must be a list of lists of at least two members, e.g. [["orders", "cart"]]'
                )
            groups[key] = tuple(tuple(g) for g in value)
        kernel = s.get("shared_kernel", [])
        if not isinstance(kernel, list) or not all(isinstance(m, str) for m in kernel):
            raise ConfigError(f"{source}: `shared_kernel` must be a list of members")
        ratios: dict[str, float] = {}
        for key, default in (
            ("kernel_ratio", 0.7),
            ("client_ratio", 0.7),
            ("weak_ratio", 0.8),
            ("resolution", 1.0),
            ("max_share", 0.5),
            ("kernel_share", 0.2),
            ("package_weight", 2.0),
        ):
            value = s.get(key, default)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise ConfigError(f"{source}: `{key}` must be a number ≥ 0")
            ratios[key] = float(value)
        flags: dict[str, bool] = {}
        for key in ("include_tests", "include_outside"):
            value = s.get(key, False)
            if not isinstance(value, bool):
                raise ConfigError(f"{source}: `{key}` must be true or false")
            flags[key] = value
        return cls(
            level=level,
            algorithm=algorithm,
            services=services,
            seed=seed,
            weights=Weights.from_config(s.get("weights"), s.get("flag_weights")),
            constraints=Constraints(pin=dict(pin), together=groups["together"], apart=groups["apart"]),
            shared_kernel=tuple(sorted(kernel)),
            kernel_ratio=ratios["kernel_ratio"],
            client_ratio=ratios["client_ratio"],
            weak_ratio=ratios["weak_ratio"],
            include_tests=flags["include_tests"],
            include_outside=flags["include_outside"],
            resolution=ratios["resolution"],
            max_share=ratios["max_share"],
            kernel_share=ratios["kernel_share"],
            package_weight=ratios["package_weight"],
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "level": self.level,
            "algorithm": self.algorithm,
            "services": self.services if self.services is not None else "auto",
            "seed": self.seed,
            "weights": dict(sorted(self.weights.kinds.items())),
            "flag_weights": dict(sorted(self.weights.flags.items())),
            "pin": dict(sorted(self.constraints.pin.items())),
            "together": [list(g) for g in self.constraints.together],
            "apart": [list(g) for g in self.constraints.apart],
            "shared_kernel": list(self.shared_kernel),
            "kernel_ratio": self.kernel_ratio,
            "client_ratio": self.client_ratio,
            "weak_ratio": self.weak_ratio,
            "include_tests": self.include_tests,
            "include_outside": self.include_outside,
            "resolution": self.resolution,
            "max_share": self.max_share,
            "kernel_share": self.kernel_share,
            "package_weight": self.package_weight,
        }


def parse_services(value: Any, source: str = "--services") -> int | None:
    """``"auto"`` → ``None``; a positive integer (or its text) → itself."""
    if value is None or value == "auto":
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f'{source}: services must be a positive number or "auto", not {value!r}')
    return value


# -- shared kernel ---------------------------------------------------------------


def detect_kernel(cg: CouplingGraph, ratio: float, *, protect: set[str] = frozenset()) -> list[str]:  # type: ignore[assignment]
    """Omnipresent utilities: depended on by at least ``ratio`` of the other members.

    A utility depends on few others itself (at most ``1 − ratio`` of them): on
    a dense graph a member most others use that also uses most others is a
    hub, not a library. Needs at least four members (below that every member
    is "everywhere"). Members in ``protect`` (pinned or otherwise
    constrained) are never chosen.
    """
    members = cg.members()
    if ratio <= 0 or len(members) < 4:
        return []
    need = ratio * (len(members) - 1)
    most = (1 - ratio) * (len(members) - 1)
    out = []
    for m in members:
        if m in protect:
            continue
        dependents = {u for u in cg.directed.predecessors(m) if u != m}
        if len(dependents) >= need and len({v for v in cg.directed.successors(m) if v != m}) <= most:
            out.append(m)
    return out


def detect_hubs(cg: CouplingGraph, ratio: float, *, exclude: set[str] = frozenset()) -> list[str]:  # type: ignore[assignment]
    """Members at least ``ratio`` of the others depend on that are not in ``exclude`` (the kernel)."""
    members = cg.members()
    if ratio <= 0 or len(members) < 4:
        return []
    need = ratio * (len(members) - 1)
    return [m for m in members if m not in exclude and len({u for u in cg.directed.predecessors(m) if u != m}) >= need]


def detect_clients(cg: CouplingGraph, ratio: float, *, protect: set[str] = frozenset()) -> list[str]:  # type: ignore[assignment]
    """Omnipresent clients: members that depend on at least ``ratio`` of the other members.

    A client is a composition layer (a storefront, an admin site): few members
    depend on it, at most ``1 − ratio`` of them. On a dense graph, where most
    members use most others, a member that many others use too is a hub, not a
    client.
    """
    members = cg.members()
    if ratio <= 0 or len(members) < 4:
        return []
    need = ratio * (len(members) - 1)
    most = (1 - ratio) * (len(members) - 1)
    return [
        m
        for m in members
        if m not in protect
        and len({v for v in cg.directed.successors(m) if v != m}) >= need
        and len({u for u in cg.directed.predecessors(m) if u != m}) <= most
    ]


# -- naming, explanations --------------------------------------------------------------


def name_services(
    cg: CouplingGraph, partition: Partition, pin: Mapping[str, str], graph: DependencyGraph
) -> dict[str, tuple[str, ...]]:
    """A readable, unique, deterministic name per cluster.

    A cluster holding pinned members takes their service name. Otherwise at
    app level it is named after its most coupled app (the member with the
    most weight inside the cluster), at module level after the app most of
    its modules belong to. Clashes get ``-2``, ``-3``...
    """
    named: dict[str, tuple[str, ...]] = {}
    taken: set[str] = set()
    rest: list[tuple[str, ...]] = []
    for cluster in partition:
        pins = sorted({pin[m] for m in cluster if m in pin})
        if pins:
            named[pins[0]] = cluster
            taken.add(pins[0])
        else:
            rest.append(cluster)
    for cluster in sorted(rest, key=lambda c: (-len(c), c)):
        inner = set(cluster)
        if cg.level == "app":
            base = max(
                cluster,
                key=lambda m: (
                    sum(d["weight"] for n, d in cg.graph[m].items() if n in inner and n != m),
                    cg.sizes.get(m, 0),
                    [-ord(ch) for ch in m],
                ),
            )
        else:
            apps = Counter((graph.app_of(m) if m in graph.graph else None) or OUTSIDE_APPS for m in cluster)
            base = sorted(apps.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
        base = base.strip("()") or "service"
        name, k = base, 2
        while name in taken:
            name, k = f"{base}-{k}", k + 1
        taken.add(name)
        named[name] = cluster
    return {k: named[k] for k in sorted(named)}


def _kinds(cg: CouplingGraph, a: str, b: str) -> str:
    """What a tie is made of, both directions: ``"2 fk, 3 orm"``."""
    counts: Counter[str] = Counter()
    for u, v in ((a, b), (b, a)):
        if cg.directed.has_edge(u, v):
            counts.update(cg.directed[u][v]["kinds"])
    return ", ".join(f"{n} {k}" for k, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def explain(
    cg: CouplingGraph,
    services: Mapping[str, tuple[str, ...]],
    *,
    weak_ratio: float,
    constraints: Constraints = Constraints(),
    top: int = 3,
    ignore: frozenset[str] = frozenset(),
) -> tuple[Explanation, ...]:
    """One :class:`Explanation` per member in a service (see its docstring).

    Services in ``ignore`` (omnipresent clients) are shown as rivals but do
    not pull: a storefront using everything is no reason to move anything.
    """
    where = {m: s for s, ms in services.items() for m in ms}
    notes: dict[str, list[str]] = defaultdict(list)
    for m, s in constraints.pin.items():
        notes[m].append(f"pinned to {s}")
    for g in constraints.together:
        for m in g:
            notes[m].append("kept together with " + ", ".join(x for x in g if x != m))
    for g in constraints.apart:
        for m in g:
            notes[m].append("kept apart from " + ", ".join(x for x in g if x != m))
    out = []
    for m in sorted(where):
        s = where[m]
        ties: list[Tie] = []
        rivals: list[Tie] = []
        pulls: dict[str, float] = defaultdict(float)
        for n, d in cg.graph[m].items():
            if n == m or n not in where:
                continue
            if where[n] == s:
                ties.append(Tie(n, d["weight"]))
            else:
                rivals.append(Tie(n, d["weight"]))
                if where[n] not in ignore:
                    pulls[where[n]] += d["weight"]
        ties.sort(key=lambda t: (-t.weight, t.name))
        rivals.sort(key=lambda t: (-t.weight, t.name))
        cohesion = sum(t.weight for t in ties)
        pull_service, pull = (None, 0.0)
        if pulls:
            pull_service, pull = sorted(pulls.items(), key=lambda kv: (-kv[1], kv[0]))[0]
        alone = len(services[s]) == 1
        weak = not alone and pull > 0 and pull >= weak_ratio * cohesion
        rival = next((t for t in rivals if where[t.name] == pull_service), None)
        pulled = f"{pull:g} towards {pull_service} ({rival.name}: {_kinds(cg, m, rival.name)})" if rival else ""
        if alone:
            reason = "alone in its service" + (f"; strongest pull {pulled}" if pulled else "")
        elif cohesion == 0:
            reason = "no coupling to the rest of its service" + (f"; pulled {pulled}" if pulled else "")
            weak = True
        else:
            inside = f"{cohesion:g} inside (strongest {ties[0].name}: {_kinds(cg, m, ties[0].name)})"
            if weak:
                reason = f"weak: pull {pulled} vs {inside}"
            else:
                reason = inside + (f" vs {pulled}" if pulled else "; nothing pulls it elsewhere")
        constraint = "; ".join(notes[m]) if m in notes else None
        out.append(
            Explanation(
                m, s, cohesion, pull, pull_service, tuple(ties[:top]), tuple(rivals[:top]), weak, constraint, reason
            )
        )
    return tuple(out)


# -- the stage ---------------------------------------------------------------------------


def _coupling(graph: DependencyGraph, settings: ProposeSettings) -> CouplingGraph:
    cg = build_coupling(
        graph,
        settings.level,
        weights=settings.weights,
        include_tests=settings.include_tests,
        include_outside=settings.include_outside,
    )
    if cg.graph.number_of_nodes() == 0:
        raise InputError(f"the graph has no {'apps' if settings.level == 'app' else 'modules'} to cluster")
    return cg


def _kernel(cg: CouplingGraph, settings: ProposeSettings) -> tuple[list[str], list[str]]:
    """(shared kernel, hubs): configured members plus the small omnipresent ones; the large ones are hubs."""
    for m in settings.shared_kernel:
        if m not in cg.graph:
            raise UnknownNameError(f"[propose] shared_kernel names {m!r}, which is not a member of the graph")
    protect = settings.constraints.members()
    detected = detect_kernel(cg, settings.kernel_ratio, protect=protect)
    small, _large = split_kernel(
        detected, cg.sizes, max_member=settings.kernel_share / 2, max_total=settings.kernel_share
    )
    kernel = sorted(set(settings.shared_kernel) | set(small))
    return kernel, detect_hubs(cg, settings.kernel_ratio, exclude=set(kernel))


def service_range(cg: CouplingGraph, graph: DependencyGraph, units: int) -> tuple[int, int, str]:
    """The default number of services for ``cg`` (``units`` members or kept-together groups to cluster).

    App level: 3 to 12 services. Module level: half to twice the number of
    apps the modules belong to (at least 2 and 3). Never more than ``units``.
    Returns (low, high, the rule in words).
    """
    if cg.level == "app":
        lo, hi, why = 3, 12, "3–12 services"
    else:
        apps = {graph.app_of(m) for m in cg.members() if m in graph.graph}
        n = len(apps)
        lo, hi = max(2, math.ceil(n / 2)), max(3, 2 * n)
        why = f"0.5–2× the {n} app{'s' if n != 1 else ''} of the clustered modules"
    hi = max(1, min(hi, units))
    lo = max(1, min(lo, hi))
    return lo, hi, why


@dataclass(frozen=True, slots=True, eq=False)
class _Prepared:
    """What every algorithm clusters: the graph with package ties, and the structural groups."""

    graph: nx.Graph
    constraints: Constraints
    markers: dict[str, Marker]
    fk_groups: list[tuple[str, ...]]
    between: tuple[int, int]
    why: str


def _prepare(graph: DependencyGraph, cg: CouplingGraph, settings: ProposeSettings) -> _Prepared:
    user = settings.constraints
    protect = user.members()
    markers = find_markers(graph, cg, protect=protect)
    groups = fk_groups(graph, cg, protect=protect | set(markers))
    h = cg.graph.copy()
    if cg.level == "module":
        package = {m: bool(graph.graph.nodes[m].get("package")) for m in cg.members() if m in graph.graph}
        apps = {m: graph.app_of(m) for m in cg.members() if m in graph.graph}
        strength = {m: cg.strength(m) for m in cg.members()}
        ties = package_ties(cg.members(), settings.package_weight, package=package, app=apps, strength=strength)
        for (a, b), w in sorted(ties.items()):
            if h.has_edge(a, b):
                h[a][b]["weight"] += w
            else:
                h.add_edge(a, b, weight=w)
    together = (*user.together, *groups, *((m.module, m.host) for m in markers.values() if m.host is not None))
    constraints = Constraints(pin=user.pin, together=tuple(together), apart=user.apart)
    units = len(set(_units(cg.members(), together)))
    lo, hi, why = service_range(cg, graph, units)
    return _Prepared(h, constraints, markers, groups, (lo, hi), why)


def _units(members: list[str], groups: Any) -> list[str]:
    parent = {m: m for m in members}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for g in groups:
        for m in g[1:]:
            if m in parent and g[0] in parent:
                a, b = find(g[0]), find(m)
                if a != b:
                    parent[max(a, b)] = min(a, b)
    return [find(m) for m in members]


def run_algorithm(
    name: str, cg: CouplingGraph, settings: ProposeSettings, prepared: _Prepared | None = None
) -> Partition:
    """Run one named algorithm on the member graph ``cg`` (kernel already removed).

    With ``prepared`` (what :func:`propose` derives: package ties, markers
    attached to their package, model layers kept together, the service range)
    the algorithm clusters that; without, ``cg`` as it is.
    """
    if name not in ALGORITHMS:
        raise ConfigError(f"unknown algorithm {name!r}; choose auto or {', '.join(ALGORITHMS)}")
    kwargs: dict[str, Any] = {"seed": settings.seed, "n_clusters": settings.services}
    if name in ("louvain", "leiden"):
        kwargs["resolution"] = settings.resolution
    if prepared is None:
        return ALGORITHMS[name](cg.graph, settings.constraints, **kwargs)
    kwargs["max_share"] = settings.max_share if settings.max_share > 0 else None
    if settings.services is None:
        kwargs["between"] = prepared.between
    if cg.level == "module":
        # a service holding none of the code's own coupling (only package ties) is a bin: dissolved
        kwargs["judge"] = cg.graph
    return ALGORITHMS[name](prepared.graph, prepared.constraints, **kwargs)


def propose(graph: DependencyGraph, settings: ProposeSettings | None = None) -> Proposal:
    """Cluster ``graph`` into services (see the module docstring)."""
    settings = settings or ProposeSettings()
    full = _coupling(graph, settings)
    kernel, hubs = _kernel(full, settings)
    settings.constraints.check(full.graph.nodes, kernel=kernel)
    cg = full.subgraph(set(full.members()) - set(kernel))
    clients = detect_clients(cg, settings.client_ratio, protect=settings.constraints.members())
    inner = cg.subgraph(set(cg.members()) - set(clients))
    asked = settings.services
    if settings.services is not None and clients:
        settings = replace(settings, services=max(1, settings.services - len(clients)))
    prepared = _prepare(graph, inner, settings) if inner.graph.number_of_nodes() else None
    names = list(ALGORITHMS) if settings.algorithm == "auto" else [settings.algorithm]
    results: list[tuple[float, int, str, Partition, dict[str, float]]] = []
    for i, name in enumerate(names):
        part = run_algorithm(name, inner, settings, prepared) if prepared is not None else []
        part = sorted([*part, *((c,) for c in clients)])
        metrics = all_metrics(cg, part)
        results.append((metrics["score"], i, name, part, metrics))
    results.sort(key=lambda r: (-round(r[0], 9), r[1]))
    _, _, best_name, best_part, best_metrics = results[0]
    services = name_services(cg, best_part, settings.constraints.pin, graph)
    candidates = tuple(Candidate(name, sc, int(m["services"]), m) for sc, _, name, _, m in results)
    unassigned = _unassigned(graph, settings, full)
    explanations = explain(
        cg,
        services,
        weak_ratio=settings.weak_ratio,
        constraints=settings.constraints,
        ignore=frozenset(s for s, ms in services.items() if set(ms) <= set(clients)),
    )
    if prepared is not None:
        explanations = _mark_structure(explanations, prepared)
    notes = _notes(cg, services, best_metrics, prepared, asked, clients, hubs, full, settings)
    return Proposal(
        level=settings.level,
        services=services,
        shared_kernel=tuple(kernel),
        algorithm=best_name,
        seed=settings.seed,
        metrics=best_metrics,
        explanations=_mark_clients(explanations, clients, cg),
        candidates=candidates if len(candidates) > 1 else (),
        unassigned=unassigned,
        settings=replace(settings, services=asked).to_dict(),
        hubs=tuple(hubs),
        notes=tuple(notes),
    )


def _mark_structure(explanations: tuple[Explanation, ...], prepared: _Prepared) -> tuple[Explanation, ...]:
    group_of = {m: g for g in prepared.fk_groups for m in g}
    out = []
    for e in explanations:
        marker = prepared.markers.get(e.member)
        if marker is not None and marker.host is not None:
            e = replace(
                e, weak=False, reason=f"marker ({marker.why}): follows its package, clustered with {marker.host}"
            )
        elif e.member in group_of:
            others = [m for m in group_of[e.member] if m != e.member]
            shown = ", ".join(others[:3]) + (f" and {len(others) - 3} more" if len(others) > 3 else "")
            e = replace(e, reason=f"{e.reason}; model layer: kept with {shown} (foreign keys within its app)")
        out.append(e)
    return tuple(out)


def _notes(
    cg: CouplingGraph,
    services: Mapping[str, tuple[str, ...]],
    metrics: Mapping[str, float],
    prepared: _Prepared | None,
    asked: int | None,
    clients: list[str],
    hubs: list[str],
    full: CouplingGraph,
    settings: ProposeSettings,
) -> list[str]:
    notes: list[str] = []
    n = len(services)
    if prepared is not None:
        lo, hi = prepared.between
        if asked is not None and n == asked:
            notes.append(
                f"{n} services, as asked (--services {asked})"
                + (f"; {len(clients)} of them omnipresent clients" if clients else "")
            )
        elif asked is not None:
            notes.append(
                f"{n} services where {asked} were asked: members kept together (markers with their package, model "
                f"layers, pins and `together` groups) leave no more to split"
            )
        else:
            notes.append(
                f"{n} services: the service-count model keeps {lo}–{hi} ({prepared.why}); an algorithm that finds more "
                f"has its most similar services merged (average linkage), one that finds fewer runs in its finer "
                f"mode, then has its largest split in two"
            )
        attached = [m for m in prepared.markers.values() if m.host is not None]
        if attached:
            kinds = Counter(m.why for m in attached)
            notes.append(
                f"{len(attached)} marker modules follow their package instead of being clustered alone: "
                + ", ".join(f"{k} {w}" for w, k in sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0])))
            )
        if prepared.fk_groups:
            kept = sum(len(g) for g in prepared.fk_groups)
            notes.append(
                f"{kept} model modules in {len(prepared.fk_groups)} groups joined by foreign keys within their app "
                f"are kept together"
            )
    members = sum(len(ms) for ms in services.values())
    if members and settings.max_share > 0:
        name, ms = max(services.items(), key=lambda kv: (len(kv[1]), kv[0]))
        share = len(ms) / members
        if share > max(settings.max_share, 1.5 / max(n, 1)):
            why = "members kept together (pins, `together`, a model layer or markers) leave no smaller cut"
            notes.append(f"the largest service, {name}, holds {share:.0%} of the members: {why}")
    if hubs:
        total = sum(full.sizes.values()) or 1
        shown = ", ".join(f"{h} ({full.sizes.get(h, 0) / total:.0%} of the code)" for h in hubs)
        notes.append(
            f"hubs (used by ≥ {settings.kernel_ratio:.0%} of the others, but too large or too dependent for the "
            f"shared kernel;"
            f" each is a service or the core of one): {shown}"
        )
    notes.extend(_cut_fk_notes(cg, services))
    return notes


def _cut_fk_notes(cg: CouplingGraph, services: Mapping[str, tuple[str, ...]], top: int = 8) -> list[str]:
    """The foreign keys the proposal cuts, grouped by pair of services, with why cutting them is cheaper."""
    where = {m: s for s, ms in services.items() for m in ms}
    pairs: dict[tuple[str, str], list[tuple[str, str, int]]] = defaultdict(list)
    for a, b, k in cg.fks:
        if a in where and b in where and where[a] != where[b]:
            pairs[(where[a], where[b])].append((a, b, k))
    if not pairs:
        return ["no foreign key crosses a service boundary"] if cg.fks else []
    total = sum(k for fks in pairs.values() for _, _, k in fks)
    out = [f"{total} foreign keys cross service boundaries (each becomes an id plus an API call or a copy):"]
    ranked = sorted(pairs.items(), key=lambda kv: (-sum(k for *_, k in kv[1]), kv[0]))
    for (sa, sb), fks in ranked[:top]:
        a, b, _k = max(fks, key=lambda f: (f[2], f[0], f[1]))
        inside = sum(d["weight"] for x, d in cg.graph[a].items() if where.get(x) == sa and x != a)
        across = sum(d["weight"] for x, d in cg.graph[a].items() if where.get(x) == sb)
        n = sum(k for *_, k in fks)
        why = (
            f"{a} is tied {inside:g} to the rest of {sa} and {across:g} to {sb}: moving it would cut more than it keeps"
            if inside >= across
            else f"{a} is tied {inside:g} to the rest of {sa} and {across:g} to {sb}, but "
            + (
                "its package ties and model layer hold it in " + sa
                if cg.level == "module"
                else "the service count and size cap keep the two apart"
            )
        )
        out.append(
            f"  {sa} → {sb}: {n} ({', '.join(f'{x} → {y}' for x, y, _ in fks[:3])}"
            f"{', …' if len(fks) > 3 else ''}); {why}"
        )
    if len(ranked) > top:
        out.append(f"  … and {len(ranked) - top} more pairs of services")
    return out


def _mark_clients(
    explanations: tuple[Explanation, ...], clients: list[str], cg: CouplingGraph
) -> tuple[Explanation, ...]:
    out = []
    for e in explanations:
        if e.member in clients:
            used = len(set(cg.directed.successors(e.member)))
            e = replace(
                e,
                weak=False,
                reason=f"omnipresent client: uses {used} of the other {len(cg.members()) - 1} members; "
                "kept as its own service (a composition layer)",
            )
        out.append(e)
    return tuple(out)


def _unassigned(graph: DependencyGraph, settings: ProposeSettings, cg: CouplingGraph) -> tuple[str, ...]:
    """At app level, the app-less bucket when it exists but was left out."""
    if settings.level == "app" and not settings.include_outside:
        if any(graph.app_of(m) is None and not graph.graph.nodes[m].get("test") for m in graph.modules()):
            return (OUTSIDE_APPS,)
    return ()


def evaluate(graph: DependencyGraph, proposal: Proposal, settings: ProposeSettings | None = None) -> Proposal:
    """Score and explain a hand-written proposal with the same metrics (its partition is kept)."""
    settings = replace(settings or ProposeSettings(), level=proposal.level)
    full = _coupling(graph, settings)
    known = set(full.members())
    # members the graph has but clustering leaves out (tests, migrations, the app-less shell) are ignored
    present = set(graph.modules()) | set(graph.app_labels()) | {OUTSIDE_APPS}
    for m in proposal.members():
        if m not in known and m not in present:
            raise UnknownNameError(
                f"proposal member {m!r} is not a{'n app' if proposal.level == 'app' else ' module'} of the graph"
            )
    cg = full.subgraph(known - set(proposal.shared_kernel))
    metrics = all_metrics(cg, proposal.partition())
    missing = sorted(set(cg.members()) - set(proposal.partition()))
    return replace(
        proposal,
        metrics=metrics,
        explanations=explain(
            cg,
            {name: tuple(m for m in ms if m in cg.graph) for name, ms in proposal.services.items()},
            weak_ratio=settings.weak_ratio,
            constraints=settings.constraints,
        ),
        unassigned=tuple(sorted(set(proposal.unassigned) | set(missing))),
    )


@dataclass(frozen=True, slots=True)
class Comparison:
    """A proposal against a reference: MoJo, both one-way ``mno`` and MoJoFM (percent)."""

    mojo: int
    mno: int
    mno_reverse: int
    mojofm: float
    objects: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "mojo": self.mojo,
            "mno": self.mno,
            "mno_reverse": self.mno_reverse,
            "mojofm": self.mojofm,
            "objects": self.objects,
        }


def compare(proposal: Proposal, reference: Proposal) -> Comparison:
    """Compare two proposals of one level; the shared kernel counts as one more cluster."""
    if proposal.level != reference.level:
        raise InputError(f"cannot compare a {proposal.level}-level proposal with a {reference.level}-level reference")

    def clusters(p: Proposal) -> list[set[str]]:
        out = [set(ms) for _, ms in sorted(p.services.items())]
        if p.shared_kernel:
            out.append(set(p.shared_kernel))
        return out

    a, b = clusters(proposal), clusters(reference)
    common = set().union(*a) & set().union(*b) if a and b else set()
    return Comparison(mojo(a, b), mno(a, b), mno(b, a), mojofm(a, b), len(common))
