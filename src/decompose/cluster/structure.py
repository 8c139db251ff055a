"""What the code's layout says before any clustering: markers, packages, model layers, hubs.

A module graph alone misleads clustering algorithms on Django projects in
three ways, and this module supplies the facts that correct them (the
pipeline applies them the same way for every algorithm):

* **Marker modules** carry no coupling of their own: an ``__init__`` without
  code, ``apps.py``, an ``admin.py`` stub, the ``management``/``commands``
  packages, a ``urls.py`` made only of ``include()`` lines, or any module with
  no coupling to another member. Clustered alone they become services of one
  file each. :func:`find_markers` names them and why; each is attached to a
  *host* in its own package (the member of the nearest enclosing package it is
  most tied to), and after clustering it joins the service that holds most of
  its package.
* **Package ties** (:func:`package_ties`): modules of one package are siblings
  a developer put side by side. Each module gets ``weight`` of tie in total,
  shared evenly with its siblings (a package ``__init__`` belongs to its own
  package and to its parent's), a prior as strong as ``weight`` imports that
  real coupling outweighs.
* **Model layers** (:func:`fk_groups`): model modules of one app joined by
  foreign keys are kept together (cutting them is a schema change); foreign
  keys between apps are left to the metrics, so a proposal never cuts more
  foreign keys than the app layout does.

At app level :func:`split_kernel` keeps only small omnipresent members as the
shared kernel; a large member everything uses is a *hub*: a service (or the
core of one), named in the output.

Example::

    >>> split_kernel(["core", "shop"], {"core": 3, "shop": 40, "blog": 57}, max_member=0.1, max_total=0.2)
    (['core'], ['shop'])
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from decompose.cluster.coupling import CouplingGraph
from decompose.graph import DependencyGraph

#: Largest ``__init__``/``admin`` stub still counted as a marker (lines of the file).
STUB_LINES = 15


@dataclass(frozen=True, slots=True)
class Marker:
    """A module clustered with its package, not on its own coupling."""

    module: str
    why: str
    host: str | None  # the member it is clustered with (None: no other member in its app)


def _parent(module: str) -> str:
    return module.rpartition(".")[0]


def _leaf(module: str) -> str:
    return module.rpartition(".")[2]


def _marker_reason(module: str, node: Mapping[str, object], cg: CouplingGraph) -> str | None:
    leaf = _leaf(module)
    lines = int(node.get("lines", 0) or 0)  # type: ignore[call-overload]
    models = node.get("models") or []
    if models:
        return None
    is_package = bool(node.get("package"))
    if leaf == "apps" and not is_package:
        return "apps.py (the app's configuration)"
    if is_package and leaf in ("management", "commands"):
        return f"`{leaf}` package"
    if is_package and lines <= STUB_LINES:
        return "package __init__ without code"
    if leaf == "admin" and lines <= STUB_LINES:
        return "admin.py stub"
    if leaf == "urls":
        targets = [v for v in cg.directed.successors(module) if v != module]
        if all(_leaf(v) == "urls" for v in targets):
            return "urls.py with only include()s"
    if cg.strength(module) == 0:
        return "no coupling to any other member"
    return None


def find_markers(graph: DependencyGraph, cg: CouplingGraph, *, protect: Iterable[str] = ()) -> dict[str, Marker]:
    """Marker modules of a module-level ``cg`` (members in ``protect`` never are), with their hosts."""
    if cg.level != "module":
        return {}
    keep = set(protect)
    why: dict[str, str] = {}
    for m in cg.members():
        if m in keep or m not in graph.graph:
            continue
        reason = _marker_reason(m, graph.graph.nodes[m], cg)
        if reason:
            why[m] = reason
    app = {m: graph.app_of(m) for m in cg.members() if m in graph.graph}
    by_package: dict[str, list[str]] = defaultdict(list)
    by_app: dict[str | None, list[str]] = defaultdict(list)
    for m in cg.members():
        if m not in why:
            by_package[_parent(m)].append(m)
            by_app[app.get(m)].append(m)
    out: dict[str, Marker] = {}
    for m, reason in why.items():
        out[m] = Marker(m, reason, _host(m, cg, graph, by_package, by_app.get(app.get(m), []), app))
    return out


def _host(
    m: str,
    cg: CouplingGraph,
    graph: DependencyGraph,
    by_package: Mapping[str, list[str]],
    same_app: list[str],
    app: Mapping[str, str | None],
) -> str | None:
    """The non-marker member of the nearest enclosing package (same app) most tied to ``m``."""
    own = app.get(m)
    levels = []
    if graph.graph.nodes[m].get("package"):
        levels.append(m)
    p = _parent(m)
    while p:
        levels.append(p)
        p = _parent(p)
    for pkg in levels:
        pool = [x for x in by_package.get(pkg, []) if app.get(x) == own]
        if pool:
            return _most_tied(m, pool, cg, graph)
    return _most_tied(m, same_app, cg, graph) if same_app else None


def _most_tied(m: str, pool: list[str], cg: CouplingGraph, graph: DependencyGraph) -> str:
    def key(x: str) -> tuple[float, int, str]:
        w = cg.graph[m][x]["weight"] if cg.graph.has_edge(m, x) else 0.0
        return (-w, -int(graph.graph.nodes[x].get("lines", 0) or 0), x)

    return min(pool, key=key)


def package_ties(
    members: Iterable[str],
    weight: float,
    *,
    package: Mapping[str, bool],
    app: Mapping[str, str | None] | None = None,
    strength: Mapping[str, float] | None = None,
) -> dict[tuple[str, str], float]:
    """Sibling ties: each member spreads its tie evenly over the other members of its package.

    A member's tie is ``weight`` × its coupling strength (``strength``, at
    least 1): the prior stays in proportion to the member's own coupling. A
    package's ``__init__`` (``package[m]`` true) counts in its own package and
    in its parent's. With ``app``, siblings of different apps are not tied.
    Returns ``{(a, b): weight}`` with ``a < b``.
    """
    if weight <= 0:
        return {}
    apps = app or {}
    groups: dict[tuple[str, str | None], list[str]] = defaultdict(list)
    for m in sorted(members):
        groups[(_parent(m), apps.get(m))].append(m)
        if package.get(m):
            groups[(m, apps.get(m))].append(m)
    ties: dict[tuple[str, str], float] = defaultdict(float)
    for _key, ms in sorted(groups.items(), key=lambda kv: (kv[0][0], str(kv[0][1]))):
        if len(ms) < 2:
            continue
        for a in ms:
            share = weight * max(1.0, (strength or {}).get(a, 0.0)) / (len(ms) - 1)
            for b in ms:
                if a != b:
                    ties[(min(a, b), max(a, b))] += share / 2
    return dict(ties)


def fk_groups(graph: DependencyGraph, cg: CouplingGraph, *, protect: Iterable[str] = ()) -> list[tuple[str, ...]]:
    """Model modules of one app joined by foreign keys (connected components), two or more each (module level)."""
    if cg.level != "module":
        return []
    keep = set(protect)
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b, _n in cg.fks:
        if a in keep or b in keep or a not in graph.graph or b not in graph.graph:
            continue
        if graph.app_of(a) is None or graph.app_of(a) != graph.app_of(b):
            continue
        ra, rb = find(a), find(b)
        if ra != rb:
            lo, hi = sorted((ra, rb))
            parent[hi] = lo
    comps: dict[str, list[str]] = defaultdict(list)
    for x in sorted(parent):
        comps[find(x)].append(x)
    return sorted(tuple(sorted(c)) for c in comps.values() if len(c) > 1)


def split_kernel(
    omnipresent: Iterable[str], sizes: Mapping[str, int], *, max_member: float, max_total: float
) -> tuple[list[str], list[str]]:
    """Split omnipresent members into a small shared kernel and hubs.

    Smallest first, a member joins the kernel while it holds at most
    ``max_member`` of all modules and the kernel at most ``max_total``; the
    rest are hubs (sorted by name).
    """
    total = sum(sizes.values()) or 1
    kernel: list[str] = []
    used = 0
    hubs: list[str] = []
    for m in sorted(omnipresent, key=lambda x: (sizes.get(x, 0), x)):
        s = sizes.get(m, 0)
        if s <= max_member * total and used + s <= max_total * total:
            kernel.append(m)
            used += s
        else:
            hubs.append(m)
    return sorted(kernel), sorted(hubs)
