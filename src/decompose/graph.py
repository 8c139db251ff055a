"""The dependency graph: the value every stage after ``scan`` reads.

A :class:`DependencyGraph` wraps one ``networkx.MultiDiGraph`` whose nodes are
dotted module names (plus external top-level packages) and whose edges are
keyed by *kind* (one edge per ``(source, target, kind)``). Every edge carries:

``kind``
    one of :data:`EDGE_KINDS`.
``weight``
    the number of occurrences, i.e. ``len(evidence)``.
``evidence``
    a sorted list of :class:`Evidence`: ``path:line`` where the coupling is
    written, the symbol it uses and flags (``type_checking``, ``local``,
    ``migration``) that let weights tell weaker couplings apart.

Module nodes carry ``type="module"``, ``app`` (the Django app label, or
``None`` for code outside any app), ``path`` (POSIX, relative to the project
root), ``lines``, ``package``, ``migration``, ``test``, and Django facts:
``models`` (list of ``{"name", "line", "table", "abstract"}``) and
``atomic_blocks`` (list of ``{"line", "modules"}``: the modules whose names are
used inside each ``transaction.atomic()`` block). External nodes carry
``type="external"`` and ``stdlib``.

The app-level view is an aggregation of the module graph (:func:`app_graph`),
never a second scan. The JSON form (:func:`to_dict` / :func:`from_dict`) is
versioned by :data:`SCHEMA` / :data:`SCHEMA_VERSION`; see docs/graph-schema.md.

Example::

    >>> g = DependencyGraph.empty(root="shop")
    >>> g.add_module("orders.models", app="orders", path="orders/models.py")
    >>> g.add_module("catalog.models", app="catalog", path="catalog/models.py")
    >>> g.add_evidence("orders.models", "catalog.models", "fk",
    ...                Evidence("orders/models.py", 12, "catalog.Product"))
    >>> app_graph(g)["orders"]["catalog"]["fk"]["weight"]
    1
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from decompose.errors import GraphFormatError
from decompose.project import AppInfo, Skipped  # discovery's values, re-exported: a graph file carries them


class _LazyNetworkx:
    """``networkx`` imported on first use: reading a cached analysis (the warm CLI path) never needs it."""

    def __getattr__(self, name: str) -> Any:
        import networkx

        globals()["nx"] = networkx
        return getattr(networkx, name)


nx: Any = _LazyNetworkx()

SCHEMA = "decompose.graph"
SCHEMA_VERSION = 1

EDGE_KINDS: tuple[str, ...] = (
    "import",
    "call",
    "fk",
    "inherit",
    "orm",
    "signal",
    "url",
    "string_ref",
)
FLAGS: tuple[str, ...] = ("type_checking", "local", "migration")

#: App-level bucket for modules that belong to no Django app.
OUTSIDE_APPS = "(project)"


class Evidence(NamedTuple):
    """Where one coupling is written.

    A named tuple (not a dataclass): a big graph holds tens of thousands, and a tuple is built,
    hashed, compared and pickled in C. Its order is ``(path, line, symbol, flags)``.
    """

    path: str
    line: int
    symbol: str = ""
    flags: tuple[str, ...] = ()

    def __str__(self) -> str:
        return f"{self.path}:{self.line}"

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"path": self.path, "line": self.line}
        if self.symbol:
            d["symbol"] = self.symbol
        if self.flags:
            d["flags"] = list(self.flags)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Evidence:
        return cls(d["path"], int(d["line"]), d.get("symbol", ""), tuple(d.get("flags", ())))


def module_node(app: str | None, path: str, **attrs: Any) -> dict[str, Any]:
    """The attributes of a module node (the graph file's schema), defaults filled in."""
    node: dict[str, Any] = {
        "type": "module",
        "app": app,
        "path": path,
        "lines": 0,
        "package": False,
        "migration": False,
        "test": False,
        "models": [],
        "atomic_blocks": [],
    }
    node.update(attrs)
    return node


def external_node(stdlib: bool) -> dict[str, Any]:
    """The attributes of an external package's node."""
    return {"type": "external", "stdlib": stdlib}


@dataclass(frozen=True, slots=True, eq=False)
class DependencyGraph:
    """The module graph of one project, with what discovery found about it."""

    graph: nx.MultiDiGraph
    root: str = ""
    apps: tuple[AppInfo, ...] = ()
    settings_module: str | None = None
    skipped: tuple[Skipped, ...] = ()
    meta: dict[str, Any] = field(default_factory=dict)

    # -- construction -----------------------------------------------------
    @classmethod
    def empty(cls, root: str = "", **kwargs: Any) -> DependencyGraph:
        return cls(nx.MultiDiGraph(), root=root, **kwargs)

    def add_module(self, name: str, *, app: str | None, path: str, **attrs: Any) -> None:
        self.graph.add_node(name, **module_node(app, path, **attrs))

    def add_external(self, name: str, *, stdlib: bool) -> None:
        if name not in self.graph:
            self.graph.add_node(name, **external_node(stdlib))

    def add_evidence(self, source: str, target: str, kind: str, evidence: Evidence) -> None:
        """Record one occurrence of a ``kind`` coupling from ``source`` to ``target``."""
        if kind not in EDGE_KINDS:
            raise ValueError(f"unknown edge kind {kind!r}")
        g = self.graph
        if g.has_edge(source, target, key=kind):
            data = g.edges[source, target, kind]
            data["evidence"].append(evidence)
            data["weight"] += 1
        else:
            g.add_edge(source, target, key=kind, kind=kind, weight=1, evidence=[evidence])

    def finalize(self) -> None:
        """Sort and de-duplicate evidence so output is deterministic."""
        for _, _, data in self.graph.edges(data=True):
            ev = sorted(set(data["evidence"]))
            data["evidence"] = ev
            data["weight"] = len(ev)

    # -- queries -------------------------------------------------------------
    def modules(self) -> list[str]:
        """Internal module names, sorted."""
        return sorted(n for n, d in self.graph.nodes(data=True) if d.get("type") == "module")

    def externals(self) -> list[str]:
        return sorted(n for n, d in self.graph.nodes(data=True) if d.get("type") == "external")

    def app_of(self, module: str) -> str | None:
        return self.graph.nodes[module].get("app")

    def app_labels(self) -> list[str]:
        return sorted(a.label for a in self.apps)

    def edges(self, kinds: Iterable[str] | None = None) -> Iterator[tuple[str, str, dict[str, Any]]]:
        """Yield ``(source, target, data)`` for every edge, optionally of some kinds."""
        wanted = set(kinds) if kinds is not None else None
        for u, v, _k, d in self.graph.edges(keys=True, data=True):
            if wanted is None or d["kind"] in wanted:
                yield u, v, d

    # -- (de)serialisation -------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        nodes = []
        for name in sorted(self.graph.nodes):
            attrs = dict(self.graph.nodes[name])
            nodes.append({"id": name, **{k: attrs[k] for k in sorted(attrs)}})
        edges = []
        for u, v, k in sorted(self.graph.edges(keys=True)):
            d = self.graph.edges[u, v, k]
            edges.append(
                {
                    "source": u,
                    "target": v,
                    "kind": d["kind"],
                    "weight": d["weight"],
                    "evidence": [e.to_dict() for e in sorted(d["evidence"])],
                }
            )
        return {
            "schema": SCHEMA,
            "version": SCHEMA_VERSION,
            "root": self.root,
            "settings_module": self.settings_module,
            "apps": [a.to_dict() for a in sorted(self.apps)],
            "skipped": [s.to_dict() for s in sorted(self.skipped)],
            "meta": {k: self.meta[k] for k in sorted(self.meta)},
            "nodes": nodes,
            "edges": edges,
        }

    @classmethod
    def from_dict(cls, data: object) -> DependencyGraph:
        if not isinstance(data, dict) or data.get("schema") != SCHEMA:
            raise GraphFormatError('not a decompose graph file (missing "schema": "decompose.graph")')
        if data.get("version") != SCHEMA_VERSION:
            raise GraphFormatError(
                f"graph file has schema version {data.get('version')!r}; this decompose reads version {SCHEMA_VERSION}",
                hint="re-run `decompose analyze --output graph.json`",
            )
        try:
            g = nx.MultiDiGraph()
            for n in data["nodes"]:
                attrs = dict(n)
                g.add_node(attrs.pop("id"), **attrs)
            for e in data["edges"]:
                ev = [Evidence.from_dict(x) for x in e["evidence"]]
                kind = e["kind"]
                g.add_edge(e["source"], e["target"], key=kind, kind=kind, weight=int(e["weight"]), evidence=ev)
            return cls(
                g,
                root=data.get("root", ""),
                apps=tuple(AppInfo(**a) for a in data.get("apps", [])),
                settings_module=data.get("settings_module"),
                skipped=tuple(Skipped(**s) for s in data.get("skipped", [])),
                meta=dict(data.get("meta", {})),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise GraphFormatError(f"malformed graph file: {exc!r}") from None

    def to_json(self) -> str:
        """The JSON text of :meth:`to_dict`: one line per top-level key, node and edge (diffable)."""
        g = self.graph
        return graph_json(
            self.root,
            self.settings_module,
            self.apps,
            self.skipped,
            self.meta,
            ((name, g.nodes[name]) for name in sorted(g.nodes)),
            (
                (u, v, k, d["weight"], d["evidence"])
                for u, v, k in sorted(g.edges(keys=True))
                for d in (g.edges[u, v, k],)
            ),
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, DependencyGraph):
            return NotImplemented
        return self.to_dict() == other.to_dict()

    # unhashable, as a class defining __eq__ without __hash__ is (a mutable networkx graph inside)


def graph_json(
    root: str,
    settings_module: str | None,
    apps: Iterable[AppInfo],
    skipped: Iterable[Skipped],
    meta: dict[str, Any],
    nodes: Iterable[tuple[str, dict[str, Any]]],
    edges: Iterable[tuple[str, str, str, int, list[Evidence]]],
) -> str:
    """The JSON text of a graph (:meth:`DependencyGraph.to_json`) from its parts.

    ``nodes`` sorted by name, ``edges`` as ``(source, target, kind, weight, evidence)`` sorted by
    ``(source, target, kind)``. Edges, the bulk of a big graph, are written by hand (strings through
    the C escaper), the rest by the C encoder: each line's text equals ``json.dumps`` of its value.
    """
    import json  # imported on use: a run that prints only the summary never needs it

    enc = json.JSONEncoder(ensure_ascii=False).encode
    s = json.encoder.encode_basestring
    node_lines = ["  " + enc({"id": name, **{k: attrs[k] for k in sorted(attrs)}}) for name, attrs in nodes]
    edge_lines = []
    # the same paths, symbols and flag sets recur across thousands of evidence entries: escape each once
    paths: dict[str, str] = {}
    tails: dict[tuple[str, tuple[str, ...]], str] = {}
    for u, v, k, weight, evidence in edges:
        evs = []
        for e in sorted(evidence):
            head_ = paths.get(e.path)
            if head_ is None:
                head_ = paths[e.path] = f'{{"path": {s(e.path)}, "line": '
            tail = tails.get((e.symbol, e.flags))
            if tail is None:
                tail = (
                    (f', "symbol": {s(e.symbol)}' if e.symbol else "")
                    + (', "flags": [' + ", ".join(s(f) for f in e.flags) + "]" if e.flags else "")
                    + "}"
                )
                tails[e.symbol, e.flags] = tail
            evs.append(f"{head_}{int(e.line)}{tail}")
        edge_lines.append(
            f'  {{"source": {s(u)}, "target": {s(v)}, "kind": {s(k)}, "weight": {int(weight)}, '
            f'"evidence": [{", ".join(evs)}]}}'
        )
    head = {
        "schema": SCHEMA,
        "version": SCHEMA_VERSION,
        "root": root,
        "settings_module": settings_module,
        "apps": [a.to_dict() for a in sorted(apps)],
        "skipped": [x.to_dict() for x in sorted(skipped)],
        "meta": {k: meta[k] for k in sorted(meta)},
    }
    out = []
    for key, value in head.items():
        if isinstance(value, list) and value:
            out.append(f" {enc(key)}: [\n" + ",\n".join("  " + enc(x) for x in value) + "\n ]")
        else:
            out.append(f" {enc(key)}: {enc(value)}")
    for key, lines in (("nodes", node_lines), ("edges", edge_lines)):
        out.append(f' "{key}": [\n' + ",\n".join(lines) + "\n ]" if lines else f' "{key}": []')
    return "{\n" + ",\n".join(out) + "\n}\n"


def dump(graph: DependencyGraph, path: str | Path) -> None:
    Path(path).write_text(graph.to_json(), encoding="utf-8")


#: how deep the input JSON files decompose reads (graph, proposal, plan) may nest; theirs is under 10
MAX_JSON_DEPTH = 32


def loads_json(text: str, what: str) -> Any:
    """``text`` parsed as JSON nested at most :data:`MAX_JSON_DEPTH` deep; :class:`GraphFormatError` otherwise.

    ``what`` names the input in the message (``"graph.json: ..."``). A file nested deeper than the
    decoder's recursion limit is the same one-line error, never a traceback.

    >>> loads_json('{"a": [1]}', "x")
    {'a': [1]}
    """
    import json

    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise GraphFormatError(f"{what}: not valid JSON ({exc})") from None
    except RecursionError:
        raise GraphFormatError(f"{what}: JSON nested too deeply (more than {MAX_JSON_DEPTH} levels)") from None
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:  # iterative: the depth check must not recurse itself
        value, depth = stack.pop()
        children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
        for child in children:
            if isinstance(child, (dict, list)):
                if depth + 1 > MAX_JSON_DEPTH:
                    raise GraphFormatError(f"{what}: JSON nested too deeply (more than {MAX_JSON_DEPTH} levels)")
                stack.append((child, depth + 1))
    return data


def load(path: str | Path) -> DependencyGraph:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise GraphFormatError(f"{p}: no such file") from None
    except IsADirectoryError:
        raise GraphFormatError(f"{p}: is a folder, not a graph file") from None
    except UnicodeDecodeError as exc:
        raise GraphFormatError(f"{p}: not a JSON graph file ({exc})") from None
    except OSError as exc:
        raise GraphFormatError(f"{p}: cannot read ({exc.strerror or exc})") from None
    data = loads_json(text, str(p))
    try:
        return DependencyGraph.from_dict(data)
    except GraphFormatError as exc:
        raise GraphFormatError(f"{p}: {exc.message}", hint=exc.hint) from None


def app_graph(
    graph: DependencyGraph,
    *,
    kinds: Iterable[str] | None = None,
    exclude_flags: Iterable[str] = (),
    include_external: bool = False,
    include_outside: bool = True,
) -> nx.MultiDiGraph:
    """Aggregate the module graph to apps.

    Nodes are app labels (plus :data:`OUTSIDE_APPS` for code in no app, and
    external packages when ``include_external``); node attributes ``modules``
    and ``lines`` sum their members. Edges are keyed by kind, as in the module
    graph, with summed weights and concatenated evidence; edges inside one app
    are dropped. Evidence carrying any of ``exclude_flags`` is left out.
    """
    g = graph.graph
    out = nx.MultiDiGraph()
    for app in graph.app_labels():
        out.add_node(app, type="app", modules=0, lines=0)
    excluded = set(exclude_flags)

    def bucket(node: str) -> str | None:
        d = g.nodes[node]
        if d.get("type") == "external":
            return node if include_external else None
        app = d.get("app")
        if app is None:
            return OUTSIDE_APPS if include_outside else None
        return app

    for n, d in g.nodes(data=True):
        b = bucket(n)
        if b is None:
            continue
        if b not in out:
            out.add_node(b, type="external" if d.get("type") == "external" else "app", modules=0, lines=0)
        if d.get("type") == "module":
            out.nodes[b]["modules"] += 1
            out.nodes[b]["lines"] += int(d.get("lines", 0))
    wanted = set(kinds) if kinds is not None else None
    for u, v, d in graph.edges(wanted):
        bu, bv = bucket(u), bucket(v)
        if bu is None or bv is None or bu == bv:
            continue
        ev = [e for e in d["evidence"] if not excluded.intersection(e.flags)]
        if not ev:
            continue
        if out.has_edge(bu, bv, key=d["kind"]):
            data = out.edges[bu, bv, d["kind"]]
            data["evidence"].extend(ev)
            data["weight"] += len(ev)
        else:
            out.add_edge(bu, bv, key=d["kind"], kind=d["kind"], weight=len(ev), evidence=list(ev))
    for _, _, data in out.edges(data=True):
        data["evidence"].sort()
    return out


def without_externals(graph: DependencyGraph) -> DependencyGraph:
    """A copy of ``graph`` without external (third-party and stdlib) nodes and their edges."""
    g = graph.graph.copy()
    g.remove_nodes_from([n for n, d in graph.graph.nodes(data=True) if d.get("type") == "external"])
    return DependencyGraph(
        g,
        root=graph.root,
        apps=graph.apps,
        settings_module=graph.settings_module,
        skipped=graph.skipped,
        meta=dict(graph.meta),
    )
