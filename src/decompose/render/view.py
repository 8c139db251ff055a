"""What a picture shows: a filtered, grouped view of a :class:`DependencyGraph`.

Both renderers (DOT in :mod:`decompose.render.dot`, HTML in
:mod:`decompose.render.html`) draw a :class:`View`, so the options
``--level``, ``--kinds``, ``--focus/--depth``, ``--external``, ``--tests``,
``--migrations``, ``--edges``, ``--min-weight`` and ``--proposal`` mean the
same thing in every format.

A view keeps two forms of its edges: ``edges``, one per (source, target,
kind) with its evidence, and ``links``, one per (source, target) pair with
the kinds merged (what is drawn by default). Test modules and migrations are
left out by default (they are not the architecture). Apps that depend on each
other in a circle form a strongly connected component (``cycles``); of its
pairs, a minimal-weight set whose removal leaves no cycle (a feedback arc
set, :func:`feedback_arcs`) is flagged ``feedback``: those are the
dependencies to cut, and the only ones drawn red.

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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Literal, Protocol

from decompose.cycles import EXACT_FAS_UP_TO, KIND_STRENGTH, AppCycles, app_cycles, feedback_arcs  # noqa: F401 (re-exported)
from decompose.errors import InputError, UnknownNameError
from decompose.graph import EDGE_KINDS, OUTSIDE_APPS, DependencyGraph, Evidence, app_graph

Level = Literal["app", "module"]
EdgeMode = Literal["merged", "per-kind"]
ExternalMode = Literal["auto", "nodes", "fold", "hide"]

#: External packages every app of a Django project uses; not listed on folded app nodes.
FRAMEWORK_PACKAGES: frozenset[str] = frozenset({"django"})

#: Group of proposal members listed in ``Proposal.shared_kernel``.
SHARED_KERNEL = "(shared kernel)"
#: Group of members a proposal does not mention.
UNASSIGNED = "(unassigned)"
#: Group of external packages.
EXTERNAL = "(external)"


class ProposalLike(Protocol):
    """The part of ``decompose.cluster.proposal.Proposal`` the renderers use (read-only, as in the frozen value)."""

    @property
    def level(self) -> str: ...

    @property
    def services(self) -> Mapping[str, tuple[str, ...]]: ...

    @property
    def shared_kernel(self) -> tuple[str, ...]: ...

    def service_of(self, member: str) -> str | None: ...


@dataclass(frozen=True, slots=True)
class ViewOptions:
    """What to show. ``kinds=None`` means every edge kind."""

    level: Level = "app"
    kinds: tuple[str, ...] | None = None
    focus: str | None = None
    depth: int = 1
    hide_external: bool = False  # same as external="hide"
    min_weight: int = 1  # per edge kind, before kinds are merged
    hide_tests: bool = True
    hide_migrations: bool = True
    edges: EdgeMode = "merged"
    #: ``nodes``: external packages as nodes; ``fold``: listed on the app (or module) that uses them
    #: (third-party only, not :data:`FRAMEWORK_PACKAGES`); ``hide``; ``auto``: fold at app level, nodes at module level.
    external: ExternalMode = "auto"

    @property
    def external_mode(self) -> Literal["nodes", "fold", "hide"]:
        if self.hide_external or self.external == "hide":
            return "hide"
        if self.external == "auto":
            return "fold" if self.level == "app" else "nodes"
        return self.external


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
    externals: tuple[str, ...] = ()  # third-party packages it uses, when externals are folded
    cycle: int | None = None  # index in View.cycles of the app cycle it belongs to


@dataclass(frozen=True, slots=True)
class ViewEdge:
    source: str
    target: str
    kind: str
    weight: int
    evidence: tuple[Evidence, ...]
    cycle: bool  # both ends lie in one strongly connected component of the app graph
    feedback: bool = False  # its app pair is in the feedback arc set: cutting it breaks an app cycle


@dataclass(frozen=True, slots=True)
class ViewLink:
    """All shown edges of one (source, target) pair, kinds merged."""

    source: str
    target: str
    edges: tuple[ViewEdge, ...]  # strongest kind first (see KIND_STRENGTH)
    cycle: bool
    feedback: bool

    @property
    def kind(self) -> str:
        """The strongest kind: the one the merged edge is drawn as."""
        return self.edges[0].kind

    @property
    def kinds(self) -> tuple[str, ...]:
        return tuple(e.kind for e in self.edges)

    @property
    def weight(self) -> int:
        return sum(e.weight for e in self.edges)

    def label(self) -> str:
        """``"fk 3 · call 5 · import 7"``, strongest kind first."""
        return " · ".join(f"{e.kind} {e.weight}" for e in self.edges)


@dataclass(frozen=True, slots=True)
class View:
    level: Level
    nodes: tuple[ViewNode, ...]
    edges: tuple[ViewEdge, ...]
    grouped_by: Literal["app", "service"]
    cycles: tuple[tuple[str, ...], ...]  # app-level strongly connected components (size > 1)
    links: tuple[ViewLink, ...] = ()
    edge_mode: EdgeMode = "merged"
    #: App pairs to cut to break every app cycle (a minimal-weight feedback arc set), sorted.
    feedback: tuple[tuple[str, str], ...] = field(default=())
    #: the app cycles of the edges shown (decompose.cycles: the definition `analyze` uses too)
    app_cycles: AppCycles = field(default=AppCycles((), (), ()))

    def node(self, node_id: str) -> ViewNode:
        for n in self.nodes:
            if n.id == node_id:
                return n
        raise KeyError(node_id)

    def to_dict(self) -> dict[str, object]:
        """The view for machines (``graph --format json``, docs/view-schema.md): nodes, edges with evidence, app cycles.

        Stable: sorted as the view is; evidence as ``[path, line, symbol]``.
        """
        return {
            "schema": "decompose.view",
            "version": 1,
            "level": self.level,
            "grouped_by": self.grouped_by,
            "nodes": [
                {
                    "id": n.id,
                    "type": n.type,
                    "app": n.app,
                    "group": n.group,
                    "service": n.service,
                    "modules": n.modules,
                    "lines": n.lines,
                    "path": n.path,
                    "externals": list(n.externals),
                    "cycle": n.cycle,
                }
                for n in self.nodes
            ],  # fmt: skip
            "edges": [
                {
                    "source": e.source,
                    "target": e.target,
                    "kind": e.kind,
                    "weight": e.weight,
                    "cycle": e.cycle,
                    "cut": e.feedback,
                    "evidence": [[x.path, x.line, x.symbol] for x in e.evidence],
                }
                for e in self.edges
            ],  # fmt: skip
            "app_cycles": self.app_cycles.to_dict(),
        }


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
    counts = Counter(_service(proposal, m) for m in graph.modules() if (graph.app_of(m) or OUTSIDE_APPS) == app)
    if not counts:
        return UNASSIGNED
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]


def service_of_module(proposal: ProposalLike | None, graph: DependencyGraph, module: str) -> str | None:
    if proposal is None:
        return None
    if proposal.level == "app":
        return _service(proposal, graph.app_of(module) or OUTSIDE_APPS)
    return _service(proposal, module)


@dataclass(frozen=True, slots=True)
class ProposalDiff:
    """Who moves where between two proposals, over the nodes of a view (apps or modules)."""

    moves: tuple[tuple[str, str, str], ...]  # (node, its service in the first, in the second), sorted
    flows: tuple[tuple[str, str, int], ...]  # (service in the first, service in the second, how many), largest first
    same: int  # nodes in the same-named service in both

    def to_dict(self) -> dict[str, object]:
        return {"moves": [list(m) for m in self.moves], "flows": [list(f) for f in self.flows], "same": self.same}


def proposal_diff(view: View, graph: DependencyGraph, first: ProposalLike, second: ProposalLike) -> ProposalDiff:
    """For each app (or module) of ``view``, its service in ``first`` and in ``second``; those that differ move.

    Example::

        >>> from decompose.cluster.proposal import Proposal
        >>> g = DependencyGraph.empty()
        >>> for app in ("a", "b", "c"):
        ...     g.add_module(f"{app}.m", app=app, path=f"{app}/m.py")
        >>> one = Proposal(level="app", services={"x": ("a", "b"), "y": ("c",)})
        >>> two = Proposal(level="app", services={"x": ("a",), "y": ("b", "c")})
        >>> proposal_diff(build_view(g), g, one, two).moves
        (('b', 'x', 'y'),)
    """
    moves = []
    same = 0
    for n in view.nodes:
        if n.type == "external":
            continue
        if view.level == "app":
            a, b = service_of_app(first, graph, n.id), service_of_app(second, graph, n.id)
        else:
            a, b = service_of_module(first, graph, n.id), service_of_module(second, graph, n.id)
        if a == b:
            same += 1
        else:
            moves.append((n.id, str(a), str(b)))
    flows = Counter((a, b) for _n, a, b in moves)
    return ProposalDiff(
        tuple(sorted(moves)),
        tuple(sorted(((a, b, k) for (a, b), k in flows.items()), key=lambda f: (-f[2], f[0], f[1]))),
        same,
    )


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
    if options.edges not in ("merged", "per-kind"):
        raise InputError(f"unknown edge mode {options.edges!r}", hint="choose merged or per-kind")
    if options.external not in ("auto", "nodes", "fold", "hide"):
        raise InputError(f"unknown external mode {options.external!r}", hint="choose nodes, fold or hide")
    ext_mode = options.external_mode
    graph = filtered_graph(graph, options)
    nodes: dict[str, ViewNode] = {}
    raw: list[tuple[str, str, str, int, tuple[Evidence, ...]]] = []
    folded = _folded_externals(graph, options) if ext_mode == "fold" else {}
    if options.level == "app":
        ag = app_graph(
            graph,
            kinds=options.kinds,
            include_external=ext_mode == "nodes",
            exclude_flags=("migration",) if options.hide_migrations else (),
        )
        for n, d in ag.nodes(data=True):
            ext = d.get("type") == "external"
            service = None if ext else service_of_app(proposal, graph, n)
            nodes[n] = ViewNode(
                id=n,
                label=n,
                type="external" if ext else "app",
                app=None if ext else n,
                group=EXTERNAL if ext else (service if service is not None else n),
                service=service,
                modules=int(d.get("modules", 0)),
                lines=int(d.get("lines", 0)),
                externals=folded.get(n, ()),
            )
        for u, v, _k, d in ag.edges(keys=True, data=True):
            raw.append((u, v, d["kind"], int(d["weight"]), tuple(d["evidence"])))
    elif options.level == "module":
        g = graph.graph
        for n, d in g.nodes(data=True):
            if d.get("type") == "external":
                if ext_mode != "nodes":
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
                externals=folded.get(n, ()),
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

    # App-level cycles and the pairs that close them, computed from the edges shown.
    def app_key(node_id: str) -> str | None:
        n = nodes[node_id]
        return None if n.type == "external" else n.app

    found = app_cycles((app_key(u), app_key(v), kind, weight, ev) for u, v, kind, weight, ev in raw)
    sccs = list(found.groups)
    comp = {a: i for i, c in enumerate(sccs) for a in c}
    feedback = set(found.cut_pairs)

    edges = []
    for u, v, kind, weight, ev in sorted(raw, key=lambda r: (r[0], r[1], r[2])):
        au, av = app_key(u), app_key(v)
        cycle = au is not None and av is not None and au != av and au in comp and comp.get(av) == comp[au]
        edges.append(ViewEdge(u, v, kind, weight, ev, cycle, cycle and (au, av) in feedback))
    links = []
    by_pair: dict[tuple[str, str], list[ViewEdge]] = {}
    for e in edges:
        by_pair.setdefault((e.source, e.target), []).append(e)
    for (u, v), group in sorted(by_pair.items()):
        group.sort(key=lambda e: KIND_STRENGTH.index(e.kind))
        links.append(ViewLink(u, v, tuple(group), group[0].cycle, group[0].feedback))
    if comp:
        nodes = {
            k: (replace(n, cycle=comp[n.app]) if n.type != "external" and n.app in comp else n)
            for k, n in nodes.items()
        }
    return View(
        level=options.level,
        nodes=tuple(nodes[k] for k in sorted(nodes)),
        edges=tuple(edges),
        grouped_by="service" if proposal is not None else "app",
        cycles=tuple(sccs),
        links=tuple(links),
        edge_mode=options.edges,
        feedback=found.cut_pairs,
        app_cycles=found,
    )


def _folded_externals(graph: DependencyGraph, options: ViewOptions) -> dict[str, tuple[str, ...]]:
    """App (or module) → third-party packages it uses (not the stdlib, not :data:`FRAMEWORK_PACKAGES`)."""
    g = graph.graph
    out: dict[str, set[str]] = {}
    for u, v, _d in graph.edges(options.kinds):
        dv = g.nodes[v]
        if dv.get("type") != "external" or dv.get("stdlib") or v in FRAMEWORK_PACKAGES:
            continue
        if g.nodes[u].get("type") != "module":
            continue
        key = u if options.level == "module" else (g.nodes[u].get("app") or OUTSIDE_APPS)
        out.setdefault(key, set()).add(v)
    return {k: tuple(sorted(v)) for k, v in out.items()}


def filtered_graph(graph: DependencyGraph, options: ViewOptions) -> DependencyGraph:
    """``graph`` without test modules and/or migrations (and their edges), as ``options`` say."""
    if not (options.hide_tests or options.hide_migrations):
        return graph
    g = graph.graph
    drop = {
        n
        for n, d in g.nodes(data=True)
        if (options.hide_tests and d.get("test")) or (options.hide_migrations and d.get("migration"))
    }
    if not drop:
        return graph
    # external packages only those modules used go with them
    drop |= {
        n
        for n, d in g.nodes(data=True)
        if d.get("type") == "external" and g.in_degree(n) and all(u in drop for u in g.predecessors(n))
    }
    return DependencyGraph(
        g.subgraph([n for n in g.nodes if n not in drop]).copy(),
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
