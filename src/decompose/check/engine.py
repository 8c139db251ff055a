"""Contracts x graph -> violations: each one a ``path:line`` with its edge kind, symbol and chain.

The engine reads the graph in its JSON form (:data:`decompose.graph.SCHEMA`): the analysis keeps
that text in its cache, so a warm ``check`` parses one JSON document and never builds networkx.

Evidence counts for a contract when its *kind* is one the contract checks: the edge's kind, or
``migration`` for evidence in a migration (so ``fk`` rules are not tripped by the migrations that
follow every foreign key, unless ``migration`` is asked for). Test modules are left out unless
``include_tests``; files matching ``exclude`` never make a violation; ``ignore`` entries drop the
evidence they match (and say when they match nothing).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from decompose.check.contracts import ANY, CheckConfig, Contract, Ignore, Resolver
from decompose.errors import ConfigError, GraphFormatError
from decompose.graph import OUTSIDE_APPS, SCHEMA, SCHEMA_VERSION
from decompose.project import glob_regex

#: one piece of evidence: (path, line, symbol, kind) -- kind already "migration" for migration evidence
Ev = tuple[str, int, str, str]


@dataclass(frozen=True, slots=True)
class GraphView:
    """The part of a graph ``check`` reads: module -> app, test flags, and module->module evidence."""

    root: str
    app_labels: tuple[str, ...]
    app_names: dict[str, str]  # dotted name -> label
    module_app: dict[str, str | None]
    tests: frozenset[str]
    #: (source, target, kind, evidence as in the JSON), internal modules only; evidence is read when needed
    raw_edges: tuple[tuple[str, str, str, list[dict[str, Any]]], ...]
    import_root: str = "."  # the folder module names are relative to, from the project root

    def edges(self) -> list[tuple[str, str, list[Ev]]]:
        """Every (source, target, evidence) with the evidence read (``check --init`` reads them all)."""
        return [(u, v, evidence(kind, raw)) for u, v, kind, raw in self.raw_edges]

    @classmethod
    def from_dict(cls, data: Any) -> GraphView:
        if not isinstance(data, dict) or data.get("schema") != SCHEMA:
            raise GraphFormatError('not a decompose graph file (missing "schema": "decompose.graph")')
        if data.get("version") != SCHEMA_VERSION:
            raise GraphFormatError(
                f"graph file has schema version {data.get('version')!r}; this decompose reads version {SCHEMA_VERSION}",
                hint="re-run `decompose analyze --output graph.json`",
            )
        try:
            module_app: dict[str, str | None] = {}
            tests = set()
            import_root = None
            for n in data["nodes"]:
                if n.get("type") == "module":
                    module_app[n["id"]] = n.get("app")
                    if (
                        import_root is None
                        and not n.get("package")
                        and n.get("path", "").endswith(n["id"].replace(".", "/") + ".py")
                    ):
                        import_root = n["path"][: -len(n["id"]) - 3].rstrip("/") or "."
                    if n.get("test"):
                        tests.add(n["id"])
            edges = []
            for e in data["edges"]:
                u, v = e["source"], e["target"]
                if u in module_app and v in module_app and u != v:
                    edges.append((u, v, e["kind"], e["evidence"]))
            apps = data.get("apps", [])
            return cls(
                root=str(data.get("root", "")),
                app_labels=tuple(sorted(a["label"] for a in apps)),
                app_names={a["name"]: a["label"] for a in apps},
                module_app=module_app,
                tests=frozenset(tests),
                raw_edges=tuple(edges),
                import_root=import_root or ".",
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise GraphFormatError(f"malformed graph file: {exc!r}") from None


def evidence(kind: str, raw: list[dict[str, Any]]) -> list[Ev]:
    """An edge's evidence as :data:`Ev` tuples (``migration`` for evidence flagged so)."""
    try:
        return [
            (x["path"], int(x["line"]), x.get("symbol", ""), "migration" if "migration" in x.get("flags", ()) else kind)
            for x in raw
        ]
    except (KeyError, TypeError, ValueError) as exc:
        raise GraphFormatError(f"malformed graph file: {exc!r}") from None


@dataclass(frozen=True, slots=True, order=True)
class Violation:
    """One place that breaks a contract."""

    path: str
    line: int
    kind: str
    source: str  # module
    target: str  # module
    symbol: str = ""
    chain: tuple[str, ...] = ()  # indirect and cycle violations: the modules (or units) in order
    why: str = ""

    @property
    def key(self) -> tuple[str, str, str, str, str]:
        """What the baseline counts (no line: lines move when code above them changes)."""
        return (self.kind, self.source, self.target, self.path, self.symbol)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "path": self.path,
            "line": self.line,
            "kind": self.kind,
            "source": self.source,
            "target": self.target,
            "symbol": self.symbol,
            "why": self.why,
        }
        if self.chain:
            d["chain"] = list(self.chain)
        return d


@dataclass(frozen=True, slots=True)
class ContractResult:
    """A contract's outcome: the new violations, and what the baseline and ignore entries took."""

    contract: Contract
    violations: tuple[Violation, ...]
    baselined: int = 0  # violations the baseline tolerates
    ignored: int = 0  # pieces of evidence ignore entries dropped
    unused_ignores: tuple[Ignore, ...] = ()
    fixed: tuple[tuple[tuple[str, str, str, str, str], int], ...] = ()  # baseline keys now gone: (key, count)
    over: tuple[tuple[tuple[str, str, str, str, str], int, int], ...] = ()  # (key, now, tolerated)


@dataclass(frozen=True, slots=True)
class CheckResult:
    root: str
    config_source: str
    results: tuple[ContractResult, ...]
    baseline: str | None = None  # the baseline file read, if any
    stale: tuple[str, ...] = ()  # contracts the baseline names that the configuration no longer has

    @property
    def violation_count(self) -> int:
        return sum(len(r.violations) for r in self.results)

    @property
    def broken(self) -> tuple[ContractResult, ...]:
        return tuple(r for r in self.results if r.violations)


# -- helpers ----------------------------------------------------------------------------------------


def _units(resolver: Resolver, names: Iterable[str], where: str, into: dict[str, str] | None = None) -> dict[str, str]:
    """module -> unit name for ``names``; two names sharing a module is an error."""
    out: dict[str, str] = {} if into is None else into
    for name in names:
        for m in resolver.resolve(name, where):
            other = out.get(m)
            if other is not None and other != name:
                raise ConfigError(f"{where}: {other!r} and {name!r} overlap (both hold {m})")
            out[m] = name
    return out


class _Filter:
    """Which evidence of a contract counts: kinds, tests, exclude globs, ignore entries."""

    def __init__(
        self, contract: Contract, config: CheckConfig, view: GraphView, resolver: Resolver, where: str
    ) -> None:
        self.kinds = frozenset(contract.kinds)
        self.tests = frozenset() if config.include_tests else view.tests
        self.exclude = [glob_regex(p) for p in config.exclude]
        self.ignores = [
            (
                i,
                resolver.resolve(i.source, f"{where} ignore"),
                resolver.resolve(i.target, f"{where} ignore"),
                frozenset(i.kinds) if i.kinds else None,
                glob_regex(i.path) if i.path else None,
            )
            for i in contract.ignore
        ]
        self.used: set[int] = set()
        self.ignored = 0

    def evidence(self, u: str, v: str, kind: str, raw: list[dict[str, Any]]) -> list[Ev]:
        if u in self.tests or v in self.tests or (kind not in self.kinds and "migration" not in self.kinds):
            return []
        out = [e for e in evidence(kind, raw) if e[3] in self.kinds]
        if out and self.exclude:
            out = [e for e in out if not any(p.match(e[0]) for p in self.exclude)]
        if out and self.ignores:
            kept = []
            for e in out:
                hit = False
                for n, (_i, srcs, dsts, kinds, path) in enumerate(self.ignores):
                    if (
                        u in srcs
                        and v in dsts
                        and (kinds is None or e[3] in kinds)
                        and (path is None or path.match(e[0]))
                    ):
                        self.used.add(n)
                        hit = True
                        break
                if hit:
                    self.ignored += 1
                else:
                    kept.append(e)
            out = kept
        return out

    def unused(self) -> tuple[Ignore, ...]:
        return tuple(i for n, (i, *_rest) in enumerate(self.ignores) if n not in self.used)


def _violations(u: str, v: str, evs: list[Ev], why: str, chain: tuple[str, ...] = ()) -> list[Violation]:
    return [Violation(p, line, kind, u, v, sym, chain, why) for p, line, sym, kind in evs]


def _chains(
    adjacency: dict[str, list[tuple[str, Ev]]],
    starts: Iterable[str],
    targets: Callable[[str], str | None],
    passable: Callable[[str], bool],
) -> list[tuple[tuple[str, ...], Ev, str]]:
    """Shortest chains (at least two hops) from ``starts`` through ``passable`` modules to targets.

    One chain per target module reached, found by one breadth-first search from all starts at
    once (sorted, so the same graph gives the same chains). Each: (modules, first hop's evidence,
    the target's unit).
    """
    parent: dict[str, tuple[str | None, Ev | None]] = {}
    queue: deque[str] = deque()
    for s in sorted(starts):
        parent[s] = (None, None)
        queue.append(s)
    found = []
    while queue:
        m = queue.popleft()
        for w, ev in adjacency.get(m, ()):
            if w in parent:
                continue
            parent[w] = (m, ev)
            unit = targets(w)
            if unit is not None:
                path = [w]
                node: str | None = m
                while node is not None:
                    path.append(node)
                    node = parent[node][0]
                path.reverse()
                first = parent[path[1]][1]
                if len(path) > 2 and first is not None:
                    found.append((tuple(path), first, unit))
            elif passable(w):
                queue.append(w)
    return found


# -- the contract types -----------------------------------------------------------------------------


class _Run:
    def __init__(
        self,
        contract: Contract,
        config: CheckConfig,
        view: GraphView,
        resolver: Resolver,
        shared: dict[Any, dict[str, list[tuple[str, Ev]]]] | None = None,
    ) -> None:
        self.c = contract
        self.shared = {} if shared is None else shared
        self.view = view
        self.resolver = resolver
        self.where = f"{config.source} contract {contract.name!r}"
        self.filter = _Filter(contract, config, view, resolver, self.where)
        self.out: list[Violation] = []
        self._adj: dict[str, list[tuple[str, Ev]]] | None = None

    def edges(self, wanted: Callable[[str, str], bool]) -> Iterable[tuple[str, str, list[Ev]]]:
        """The edges ``wanted`` by (source module, target module), with their counting evidence."""
        ev = self.filter.evidence
        for u, v, kind, raw in self.view.raw_edges:
            if wanted(u, v):
                kept = ev(u, v, kind, raw)
                if kept:
                    yield u, v, kept

    def adjacency(self) -> dict[str, list[tuple[str, Ev]]]:
        """module -> [(module it uses, the first counting evidence)], every edge of the checked kinds.

        Contracts without ignore entries share it (per kinds), and an edge's evidence is read only
        when its first piece might not count (a migration, an excluded file, an ignore entry).
        """
        f = self.filter
        key = (f.kinds, len(f.tests))
        if not f.ignores and key in self.shared:
            return self.shared[key]
        adj: dict[str, list[tuple[str, Ev]]] = {}
        counted = f.ignored  # the direct pass counts ignored evidence, not this one
        fast = not f.ignores and not f.exclude
        tests, kinds = f.tests, f.kinds
        for u, v, kind, raw in self.view.raw_edges:
            if u in tests or v in tests:
                continue
            if fast and kind in kinds and raw:
                flags = raw[0].get("flags")
                if not flags or "migration" not in flags:
                    adj.setdefault(u, []).append((v, evidence(kind, raw[:1])[0]))
                    continue
            kept = f.evidence(u, v, kind, raw)
            if kept:
                adj.setdefault(u, []).append((v, min(kept)))
        f.ignored = counted
        for targets in adj.values():
            targets.sort()
        if not f.ignores:
            self.shared[key] = adj
        return adj

    def indirect(
        self,
        starts: Iterable[str],
        targets: Callable[[str], str | None],
        named: dict[str, str],
        why: Callable[[str], str],
    ) -> None:
        adj = self._adj if self._adj is not None else self.adjacency()
        self._adj = adj
        seen: set[tuple[str, str, str]] = set()
        for chain, first, unit in _chains(adj, starts, targets, lambda m: m not in named):
            if (chain[0], chain[1], unit) in seen:  # one chain per first hop and unit reached
                continue
            seen.add((chain[0], chain[1], unit))
            p, line, sym, kind = first
            self.out.append(Violation(p, line, kind, chain[0], chain[-1], sym, chain, why(unit)))

    # each returns nothing: violations go to self.out
    def forbidden(self) -> None:
        c, r = self.c, self.resolver
        to = _units(r, c.targets, self.where)
        allowed: set[str] = set()
        for name in c.allow:
            allowed |= r.resolve(name, self.where)
        if ANY in c.sources:
            if len(c.sources) > 1:
                raise ConfigError(f'{self.where}: `from = ["*"]` stands alone')
            frm = {m: OUTSIDE_APPS if a is None else a for m, a in self.view.module_app.items() if m not in to}
            shown = "everything else"
        else:
            frm = _units(r, c.sources, self.where)
            shown = ", ".join(c.sources)
            both = sorted(set(frm) & set(to))
            if both:
                raise ConfigError(f"{self.where}: `from` and `to` overlap (both hold {both[0]})")
        for m in allowed:
            frm.pop(m, None)
        for u, v, kept in self.edges(lambda u, v: u in frm and v in to):
            self.out += _violations(u, v, kept, f"{frm[u]} must not use {to[v]}")
        if c.indirect:
            named = {**frm, **to, **dict.fromkeys(allowed, "allow")}
            self.indirect(frm, to.get, named, lambda unit: f"{shown} must not use {unit}, even through other modules")

    def independent(self) -> None:
        units = _units(self.resolver, self.c.units, self.where)
        for u, v, kept in self.edges(lambda u, v: u in units and v in units and units[u] != units[v]):
            self.out += _violations(u, v, kept, f"{units[u]} and {units[v]} must be independent")
        if self.c.indirect:
            for name in self.c.units:
                starts = [m for m, n in units.items() if n == name]
                self.indirect(starts, _other_unit(units, name), units, _independent_why(name))

    def layers(self) -> None:
        c = self.c
        units: dict[str, str] = {}
        level: dict[str, int] = {}
        independent: dict[int, bool] = {}
        for i, layer in enumerate(c.layers):
            _units(self.resolver, layer.units, self.where, into=units)
            for name in layer.units:
                if name in level:
                    raise ConfigError(f"{self.where}: {name!r} is in two layers")
                level[name] = i
            independent[i] = layer.independent

        def rule(u: str, v: str) -> str | None:
            a, b = units.get(u), units.get(v)
            if a is None or b is None or a == b:
                return None
            la, lb = level[a], level[b]
            if la > lb:
                return f"{a} (layer {la + 1}) must not use {b}, a higher layer (layer {lb + 1})"
            if la == lb:
                return f"{a} and {b} share layer {la + 1} and must be independent" if independent[la] else None
            if c.closed and lb > la + 1:
                return f"closed layers: {a} (layer {la + 1}) may use only layer {la + 2}, not {b} (layer {lb + 1})"
            return None

        for u, v, kept in self.edges(lambda u, v: u in units and v in units):
            why = rule(u, v)
            if why:
                self.out += _violations(u, v, kept, why)
        if c.indirect:
            for i in range(1, len(c.layers)):
                starts = [m for m, n in units.items() if level[n] == i]
                self.indirect(starts, _higher_unit(units, level, i), units, _layer_why(i))

    def public_api(self) -> None:
        c, r = self.c, self.resolver
        inside = r.resolve(c.app, self.where)
        api: set[str] = set()
        for name in c.api:
            mods = r.resolve(name, self.where)
            if mods == inside and name in self.view.module_app:
                mods = frozenset((name,))  # the app's own package: its __init__, not the whole app
            if not mods <= inside:
                raise ConfigError(f"{self.where}: public module {name!r} is not part of {c.app!r}")
            api |= mods
        users: set[str] | None = None
        if ANY not in c.sources:
            users = set()
            for name in c.sources:
                users |= r.resolve(name, self.where)
        shown = ", ".join(c.api)
        for u, v, kept in self.edges(
            lambda u, v: v in inside and v not in api and u not in inside and (users is None or u in users)
        ):
            self.out += _violations(u, v, kept, f"{c.app} is used only through {shown}")

    def acyclic(self) -> None:
        c, r = self.c, self.resolver
        names = c.units or tuple(a for a in self.view.app_labels if a in r._by_app)  # every app with modules
        units = _units(r, names, self.where)
        # unit graph: (a, b) -> the violations its evidence would make
        hops: dict[tuple[str, str], list[tuple[str, str, Ev]]] = {}
        for u, v, kept in self.edges(lambda u, v: u in units and v in units and units[u] != units[v]):
            hops.setdefault((units[u], units[v]), []).extend((u, v, e) for e in kept)
        succ: dict[str, set[str]] = {}
        for a, b in hops:
            succ.setdefault(a, set()).add(b)
        while True:
            cycle = _shortest_cycle(succ)
            if cycle is None:
                break
            pairs = list(zip(cycle, cycle[1:] + cycle[:1], strict=True))
            a, b = min(pairs, key=lambda p: (len(hops[p]), p))  # the lightest hop: the one to cut
            shown = (*cycle, cycle[0])
            for u, v, e in hops[(a, b)]:
                self.out.append(
                    Violation(e[0], e[1], e[3], u, v, e[2], shown, f"{a} -> {b} closes the cycle {' -> '.join(shown)}")
                )
            succ[a].discard(b)


def _other_unit(units: dict[str, str], name: str) -> Callable[[str], str | None]:
    return lambda m: units[m] if m in units and units[m] != name else None


def _independent_why(name: str) -> Callable[[str], str]:
    return lambda unit: f"{name} and {unit} must be independent, even through other modules"


def _higher_unit(units: dict[str, str], level: dict[str, int], i: int) -> Callable[[str], str | None]:
    return lambda m: units[m] if m in units and level[units[m]] < i else None


def _layer_why(i: int) -> Callable[[str], str]:
    return lambda unit: f"layer {i + 1} must not use {unit}, a higher layer, even through other modules"


def _shortest_cycle(succ: dict[str, set[str]]) -> list[str] | None:
    """A shortest cycle of the graph (ties: the one from the smallest node), or None if acyclic."""
    best: list[str] | None = None
    for start in sorted(succ):
        parent: dict[str, str | None] = {start: None}
        queue: deque[str] = deque([start])
        found = None
        while queue and found is None:
            m = queue.popleft()
            for w in sorted(succ.get(m, ())):
                if w == start:
                    path = [m]
                    while parent[path[-1]] is not None:
                        path.append(parent[path[-1]])  # type: ignore[arg-type]
                    found = path[::-1]
                    break
                if w not in parent:
                    parent[w] = m
                    queue.append(w)
        if found is not None and (best is None or len(found) < len(best)):
            best = found
            if len(best) == 2:
                break
    return best


def resolver_for(view: GraphView, config: CheckConfig) -> Resolver:
    return Resolver(
        modules=view.module_app,
        apps=view.app_names,
        labels=frozenset(view.app_labels),
        groups=dict(config.groups),
        source=config.source,
    )


def evaluate(view: GraphView, config: CheckConfig) -> list[tuple[Contract, list[Violation], int, tuple[Ignore, ...]]]:
    """Every contract's violations (sorted), evidence ignored, and unused ignore entries.

    All names are resolved first, so an unknown name fails the run before anything is reported.
    """
    resolver = resolver_for(view, config)
    for c in config.contracts:
        where = f"{config.source} contract {c.name!r}"
        for name in (
            *c.sources,
            *c.targets,
            *c.allow,
            *c.units,
            *(u for layer in c.layers for u in layer.units),
            *c.api,
        ):
            if name != ANY:
                resolver.resolve(name, where)
        if c.app:
            resolver.resolve(c.app, where)
        for i in c.ignore:
            resolver.resolve(i.source, f"{where} ignore")
            resolver.resolve(i.target, f"{where} ignore")
    out = []
    shared: dict[Any, dict[str, list[tuple[str, Ev]]]] = {}
    for c in config.contracts:
        run = _Run(c, config, view, resolver, shared)
        getattr(run, c.type)()
        found = sorted(set(run.out))
        out.append((c, found, run.filter.ignored, run.filter.unused()))
    return out
