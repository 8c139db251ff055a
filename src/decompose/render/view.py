"""What a picture shows: a filtered, grouped view of a :class:`DependencyGraph`.

Both renderers (DOT in :mod:`decompose.render.dot`, HTML in
:mod:`decompose.render.html`) draw a :class:`View`, so the options
``--level``, ``--kinds``, ``--focus/--depth``, ``--hide-external``,
``--min-weight`` and ``--proposal`` mean the same thing in every format.

Example::

    >>> from decompose.graph import DependencyGraph, Evidence
    >>> g = DependencyGraph.empty()
    >>> g.add_module("a.m", app="a", path="a/m.py")
    >>> g.add_module("b.m", app="b", path="b/m.py")
    >>> g.add_evidence("a.m", "b.m", "import", Evidence("a/m.py", 1))
    >>> [(e.source, e.target, e.kind, e.weight) for e in build_view(g).edges]
    [('a', 'b', 'import', 1)]
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, Protocol

import networkx as nx

from decompose.errors import InputError, UnknownNameError
from decompose.graph import EDGE_KINDS, OUTSIDE_APPS, DependencyGraph, Evidence, app_graph

Level = Literal["app", "module"]

#: Group of proposal members listed in ``Proposal.shared_kernel``.
SHARED_KERNEL = "(shared kernel)"
#: Group of members a proposal does not mention.
UNASSIGNED = "(unassigned)"
#: Group of external packages.
EXTERNAL = "(external)"


class ProposalLike(Protocol):
    """The part of ``decompose.cluster.proposal.Proposal`` the renderers use."""

    level: str
    services: dict[str, tuple[str, ...]]
    shared_kernel: tuple[str, ...]

    def service_of(self, member: str) -> str | None: ...


@dataclass(frozen=True, slots=True)
class ViewOptions:
    """What to show. ``kinds=None`` means every edge kind."""

    level: Level = "app"
    kinds: tuple[str, ...] | None = None
    focus: str | None = None
    depth: int = 1
    hide_external: bool = False
    min_weight: int = 1
    hide_tests: bool = False
    hide_migrations: bool = False


@dataclass(frozen=True, slots=True)
class ViewNode:
    id: str
    label: str
    type: str  # "app", "module" or "external"
    app: str | None
    group: str  # the app (or the proposed service, with a proposal)
    service: str | None
    modules: int = 0
    lines: int = 0
    path: str = ""


@dataclass(frozen=True, slots=True)
class ViewEdge:
    source: str
    target: str
    kind: str
    weight: int
    evidence: tuple[Evidence, ...]
    cycle: bool  # both ends lie in one strongly connected component of the app graph


@dataclass(frozen=True, slots=True)
class View:
    level: Level
    nodes: tuple[ViewNode, ...]
    edges: tuple[ViewEdge, ...]
    grouped_by: Literal["app", "service"]
    cycles: tuple[tuple[str, ...], ...]  # app-level strongly connected components (size > 1)

    def node(self, node_id: str) -> ViewNode:
        for n in self.nodes:
            if n.id == node_id:
                return n
        raise KeyError(node_id)


def parse_kinds(text: str | None) -> tuple[str, ...] | None:
    """``"import,fk"`` → ``("fk", "import")``; unknown kinds are an :class:`InputError`."""
    if text is None or not text.strip():
        return None
    kinds = sorted({k.strip() for k in text.split(",") if k.strip()})
    unknown = [k for k in kinds if k not in EDGE_KINDS]
    if unknown:
        raise InputError(
            f"unknown edge kind(s) {', '.join(unknown)}",
            hint=f"choose from {', '.join(EDGE_KINDS)}",
        )
    return tuple(kinds)


def service_of_app(proposal: ProposalLike | None, graph: DependencyGraph, app: str) -> str | None:
    """The proposed service an app belongs to (for a module-level proposal: most of its modules')."""
    if proposal is None:
        return None
    if proposal.level == "app":
        return _service(proposal, app)
    counts = Counter(
        _service(proposal, m) for m in graph.modules() if (graph.app_of(m) or OUTSIDE_APPS) == app
    )
    if not counts:
        return UNASSIGNED
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]


def service_of_module(proposal: ProposalLike | None, graph: DependencyGraph, module: str) -> str | None:
    if proposal is None:
        return None
    if proposal.level == "app":
        return _service(proposal, graph.app_of(module) or OUTSIDE_APPS)
    return _service(proposal, module)


def _service(proposal: ProposalLike, member: str) -> str:
    s = proposal.service_of(member)
    if s is not None:
        return s
    return SHARED_KERNEL if member in proposal.shared_kernel else UNASSIGNED


def build_view(
    graph: DependencyGraph,
    options: ViewOptions = ViewOptions(),
    proposal: ProposalLike | None = None,
) -> View:
    """Filter and group ``graph`` as ``options`` say. Nodes and edges come out sorted."""
    if options.depth < 0:
        raise InputError("--depth must be 0 or more")
    if options.min_weight < 1:
        raise InputError("--min-weight must be 1 or more")
    graph = filtered_graph(graph, options)
    nodes: dict[str, ViewNode] = {}
    raw: list[tuple[str, str, str, int, tuple[Evidence, ...]]] = []
    if options.level == "app":
        ag = app_graph(graph, kinds=options.kinds, include_external=not options.hide_external)
        for n, d in ag.nodes(data=True):
            ext = d.get("type") == "external"
            service = None if ext else service_of_app(proposal, graph, n)
            nodes[n] = ViewNode(
                id=n,
                label=n,
                type="external" if ext else "app",
                app=None if ext else n,
                group=EXTERNAL if ext else (service if proposal is not None else n),  # type: ignore[arg-type]
                service=service,
                modules=int(d.get("modules", 0)),
                lines=int(d.get("lines", 0)),
            )
        for u, v, _k, d in ag.edges(keys=True, data=True):
            raw.append((u, v, d["kind"], int(d["weight"]), tuple(d["evidence"])))
    elif options.level == "module":
        g = graph.graph
        for n, d in g.nodes(data=True):
            if d.get("type") == "external":
                if options.hide_external:
                    continue
                nodes[n] = ViewNode(n, n, "external", None, EXTERNAL, None)
                continue
            app = d.get("app") or OUTSIDE_APPS
            service = service_of_module(proposal, graph, n)
            nodes[n] = ViewNode(
                id=n,
                label=n,
                type="module",
                app=app,
                group=service if service is not None else app,
                service=service,
                modules=1,
                lines=int(d.get("lines", 0)),
                path=str(d.get("path", "")),
            )
        for u, v, d in graph.edges(options.kinds):
            if u in nodes and v in nodes:
                raw.append((u, v, d["kind"], int(d["weight"]), tuple(sorted(d["evidence"]))))
    else:
        raise InputError(f"unknown level {options.level!r}", hint="choose app or module")

    raw = [r for r in raw if r[3] >= options.min_weight]

    if options.focus is not None:
        keep = _neighbourhood(options, nodes, raw)
        nodes = {k: v for k, v in nodes.items() if k in keep}
        raw = [r for r in raw if r[0] in keep and r[1] in keep]

    # App-level cycles, computed from the edges shown.
    def app_key(node_id: str) -> str | None:
        n = nodes[node_id]
        return None if n.type == "external" else n.app

    ag2 = nx.DiGraph()
    for u, v, *_ in raw:
        au, av = app_key(u), app_key(v)
        if au is not None and av is not None and au != av:
            ag2.add_edge(au, av)
    sccs = sorted(tuple(sorted(c)) for c in nx.strongly_connected_components(ag2) if len(c) > 1)
    comp = {a: i for i, c in enumerate(sccs) for a in c}

    edges = []
    for u, v, kind, weight, ev in sorted(raw, key=lambda r: (r[0], r[1], r[2])):
        au, av = app_key(u), app_key(v)
        cycle = au is not None and av is not None and au != av and au in comp and comp.get(av) == comp[au]
        edges.append(ViewEdge(u, v, kind, weight, ev, cycle))
    return View(
        level=options.level,
        nodes=tuple(nodes[k] for k in sorted(nodes)),
        edges=tuple(edges),
        grouped_by="service" if proposal is not None else "app",
        cycles=tuple(sccs),
    )


def filtered_graph(graph: DependencyGraph, options: ViewOptions) -> DependencyGraph:
    """``graph`` without test modules and/or migrations (and their edges), as ``options`` say."""
    if not (options.hide_tests or options.hide_migrations):
        return graph
    keep = [
        n
        for n, d in graph.graph.nodes(data=True)
        if not (options.hide_tests and d.get("test")) and not (options.hide_migrations and d.get("migration"))
    ]
    return DependencyGraph(
        graph.graph.subgraph(keep).copy(),
        root=graph.root,
        apps=graph.apps,
        settings_module=graph.settings_module,
        skipped=graph.skipped,
        meta=dict(graph.meta),
    )


def _neighbourhood(
    options: ViewOptions,
    nodes: dict[str, ViewNode],
    raw: Iterable[tuple[str, str, str, int, tuple[Evidence, ...]]],
) -> set[str]:
    focus = options.focus or ""
    if focus in nodes:
        seeds = {focus}
    else:
        seeds = {k for k, n in nodes.items() if n.app == focus}
    if not seeds:
        what = "app" if options.level == "app" else "app or module"
        known = sorted({n.app for n in nodes.values() if n.app})
        raise UnknownNameError(
            f"--focus {focus!r}: no such {what} in the graph",
            hint=f"apps: {', '.join(known[:20])}{'...' if len(known) > 20 else ''}",
        )
    adj: dict[str, set[str]] = {}
    for u, v, *_ in raw:
        adj.setdefault(u, set()).add(v)
        adj.setdefault(v, set()).add(u)
    seen = set(seeds)
    queue = deque((s, 0) for s in sorted(seeds))
    while queue:
        n, d = queue.popleft()
        if d >= options.depth:
            continue
        for m in sorted(adj.get(n, ())):
            if m not in seen:
                seen.add(m)
                queue.append((m, d + 1))
    return seen
