"""Build: every file's :class:`ModuleFacts` + the discovered project -> one :class:`DependencyGraph`.

:func:`build_graph` gives the networkx graph, :func:`build_plain` the same in plain dicts.
Direction of every edge: from the module whose code writes the coupling to the module that *defines* the thing
used. Uses are followed through re-exports (``from .models import Order`` in a
package ``__init__``) and star imports to the defining module; ``import`` edges
stay exactly as written, as grimp reports them.

Lazy model references (``"app_label.Model"``) resolve by app *label* to the
module defining the model (else the app's ``models`` module);
``settings.AUTH_USER_MODEL`` through the settings read at discovery.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from decompose.graph import DependencyGraph, Evidence, external_node, graph_json, module_node
from decompose.project import AppInfo, Project, Skipped
from decompose.scan.django import MODEL_BASES
from decompose.scan.facts import ANALYSER_VERSION, ClassFact, ModuleFacts, Use

_STDLIB = frozenset(sys.stdlib_module_names)


@dataclass(slots=True)
class PlainGraph:
    """A built graph in plain dicts: what ``decompose analyze`` prints and writes, without networkx.

    :meth:`to_graph` gives the :class:`DependencyGraph` (the same graph :func:`build_graph` returns);
    :meth:`to_json` its JSON text without building it. ``nodes`` keep the graph's node order,
    ``edges`` map ``(source, target, kind)`` to sorted evidence, in sorted order.
    """

    root: str
    apps: tuple[AppInfo, ...]
    settings_module: str | None
    skipped: tuple[Skipped, ...]
    meta: dict[str, Any]
    nodes: dict[str, dict[str, Any]] = field(default_factory=dict)
    edges: dict[tuple[str, str, str], list[Evidence]] = field(default_factory=dict)

    def app_labels(self) -> list[str]:
        return sorted(a.label for a in self.apps)

    def iter_nodes(self) -> Iterator[tuple[str, dict[str, Any]]]:
        return iter(self.nodes.items())

    def iter_edges(self, kinds: tuple[str, ...] | None = None) -> Iterator[tuple[str, str, str, list[Evidence]]]:
        """``(source, target, kind, evidence)`` of every edge (of ``kinds``)."""
        for (u, v, k), ev in self.edges.items():
            if kinds is None or k in kinds:
                yield u, v, k, ev

    def without_externals(self) -> PlainGraph:
        nodes = {n: d for n, d in self.nodes.items() if d.get("type") != "external"}
        edges = {key: ev for key, ev in self.edges.items() if key[0] in nodes and key[1] in nodes}
        return PlainGraph(self.root, self.apps, self.settings_module, self.skipped, dict(self.meta), nodes, edges)

    def to_graph(self) -> DependencyGraph:
        graph = DependencyGraph.empty(
            root=self.root,
            apps=self.apps,
            settings_module=self.settings_module,
            skipped=self.skipped,
            meta=dict(self.meta),
        )
        g = graph.graph
        for n, attrs in self.nodes.items():
            g.add_node(n, **attrs)
        for (u, v, kind), ev in self.edges.items():
            g.add_edge(u, v, key=kind, kind=kind, weight=len(ev), evidence=list(ev))
        return graph

    def to_json(self) -> str:
        return graph_json(
            self.root,
            self.settings_module,
            self.apps,
            self.skipped,
            self.meta,
            ((n, self.nodes[n]) for n in sorted(self.nodes)),
            ((u, v, k, len(ev), ev) for (u, v, k), ev in self.edges.items()),
        )


class _Resolver:
    def __init__(self, project: Project, facts: Mapping[str, ModuleFacts]) -> None:
        self.facts = facts
        self.modules = frozenset(facts)
        self.toplevel = frozenset(m.split(".", 1)[0] for m in facts)
        self.exports = {m: dict(f.exports) for m, f in facts.items()}
        self.stars = {
            m: [i.module for i in f.imports if i.name == "*" and i.module in self.modules] for m, f in facts.items()
        }
        self.apps_by_label: dict[str, AppInfo] = {a.label: a for a in project.apps}
        names = sorted(((a.name, a.label) for a in project.apps), key=lambda x: -len(x[0]))
        self.app_of: dict[str, str | None] = {}
        for m in facts:
            label = None
            for name, lab in names:
                if m == name or m.startswith(name + "."):
                    label = lab
                    break
            self.app_of[m] = label
        self.settings = project.settings
        self._chains: dict[str, tuple[str, str] | None] = {}
        self.models: dict[str, dict[str, tuple[str, str]]] = {}  # label -> lower name -> (module, Name)
        #: model qualname -> {attribute: model reached}: forward relation fields and reverse accessors
        self.rel_attrs: dict[str, dict[str, tuple[str, str]]] = {}
        #: model qualname -> {lookup name: model reached}: what ``filter(a__b=...)`` follows
        self.rel_lookups: dict[str, dict[str, tuple[str, str]]] = {}

    # -- chains ----------------------------------------------------------------
    def locate(self, chain: str) -> tuple[str, list[str]] | None:
        """The longest prefix of ``chain`` that is a module of the project, and the rest."""
        if chain.partition(".")[0] not in self.toplevel:
            return None
        m = chain
        while True:
            if m in self.modules:
                rest = chain[len(m) + 1 :]
                return m, rest.split(".") if rest else []
            m, dot, _ = m.rpartition(".")
            if not dot:
                return None

    def provides(self, module: str, name: str, depth: int = 0) -> bool:
        f = self.facts[module]
        if name in f.defs or name in self.exports[module]:
            return True
        if depth < 5:
            return any(self.provides(s, name, depth + 1) for s in self.stars[module])
        return False

    def follow(self, module: str, rest: list[str], depth: int = 0) -> tuple[str, list[str]]:
        """Through re-exports to the module that defines ``rest[0]``."""
        if not rest or depth > 10:
            return module, rest
        name = rest[0]
        f = self.facts[module]
        if name in f.defs:
            return module, rest
        if name in self.exports[module]:
            loc = self.locate(self.exports[module][name])
            if loc is None:
                return module, rest
            return self.follow(loc[0], loc[1] + rest[1:], depth + 1)
        if f"{module}.{name}" in self.modules:
            return self.follow(f"{module}.{name}", rest[1:], depth + 1)
        for s in self.stars[module]:
            if self.provides(s, name):
                return self.follow(s, rest, depth + 1)
        return module, rest

    def resolve_chain(self, chain: str) -> tuple[str, str] | None:
        """(module, symbol) defining what ``chain`` names, or None if it is not in the project."""
        try:
            return self._chains[chain]
        except KeyError:
            pass
        loc = self.locate(chain)
        if loc is None:
            hit = None
        else:
            module, rest = self.follow(*loc)
            hit = (module, rest[0] if rest else "")
        self._chains[chain] = hit
        return hit

    def resolve_star(self, source: str, dotted: str) -> tuple[str, str] | None:
        name = dotted.split(".", 1)[0]
        for s in self.stars.get(source, ()):
            if self.provides(s, name):
                return self.resolve_chain(f"{s}.{dotted}")
        return None

    def resolve_label(self, label_model: str, source: str | None = None) -> tuple[str, str] | None:
        if "." in label_model:
            label, _, model = label_model.rpartition(".")
        else:
            label, model = (self.app_of.get(source) if source else None) or "", label_model
        app = self.apps_by_label.get(label)
        if app is None:
            return None
        hit = self.models.get(label, {}).get(model.lower())
        if hit is not None:
            return hit
        for m in (f"{app.name}.models", app.name):
            if m in self.modules:
                return m, model
        return None

    def resolve_class_loader(self, target: str) -> tuple[str, str] | None:
        """``prefix|label.module|Class`` (oscar's ``get_class``): the module of the app labelled ``label``
        (a forked app, which the loader prefers) else ``prefix.label.module``; then through re-exports."""
        prefix, label_module, name = target.split("|")
        label, _, rest = label_module.partition(".")
        app = self.apps_by_label.get(label)
        for module in (f"{app.name}.{rest}" if app is not None else "", f"{prefix}.{label_module}"):
            if module in self.modules:
                return self.resolve_chain(f"{module}.{name}") or (module, name)
        return None

    def resolve_setting(self, name: str) -> tuple[str, str] | None:
        value = self.settings.get(name)
        if isinstance(value, str) and "." in value:
            return self.resolve_label(value)
        return None

    def resolve_use(self, source: str, use: Use) -> tuple[str, str, str] | None:
        """(kind, target module, symbol) for one use, or None when it leaves the project."""
        ref, target, kind = use.ref, use.target, use.kind
        if ref in ("chain", "signal"):
            if target.startswith("django.conf.settings."):
                hit = self.resolve_setting(target.rsplit(".", 1)[-1]) if kind in ("fk", "signal") else None
            else:
                hit = self.resolve_chain(target)
            if hit is not None and ref == "signal":
                mod, sym = hit
                if sym not in self.facts[mod].signals:
                    kind = "call"
        elif ref == "model":
            hit = self.resolve_model_name(target)
        elif ref == "star":
            hit = self.resolve_star(source, target)
        elif ref in ("label", "bare"):
            hit = self.resolve_label(target, source)
        elif ref == "dotted":
            hit = self.resolve_chain(target)
        elif ref == "migration":
            label, _, name = target.partition(":")
            app = self.apps_by_label.get(label)
            hit = None
            if app is not None:
                for m in (f"{app.name}.migrations.{name}", f"{app.name}.migrations"):
                    if m in self.modules:
                        hit = (m, f"{label}.{name}")
                        break
        elif ref == "class":
            hit = self.resolve_class_loader(target)
        elif ref == "setting_dep":
            value = self.settings.get(target)
            app = self.apps_by_label.get(value.rpartition(".")[0]) if isinstance(value, str) else None
            hit = None
            if app is not None:
                for m in (f"{app.name}.migrations", f"{app.name}.models", app.name):
                    if m in self.modules:
                        hit = (m, str(value))
                        break
        else:
            hit = None
        if hit is None:
            return None
        return kind, hit[0], hit[1]

    # -- models ----------------------------------------------------------------
    def find_models(self) -> dict[str, list[dict[str, object]]]:
        classes = {f"{m}.{c.name}": (m, c) for m, f in self.facts.items() for c in f.classes}
        memo: dict[str, bool] = {}

        def base_qualname(module: str, base: str) -> str | None:
            if base.startswith("*"):
                hit = self.resolve_star(module, base[1:])
            else:
                hit = self.resolve_chain(base)
            if hit is None:
                return base  # external: keep the dotted name
            return f"{hit[0]}.{hit[1]}" if hit[1] else hit[0]

        def is_model(q: str, depth: int = 0) -> bool:
            if q in memo:
                return memo[q]
            memo[q] = False
            if q in MODEL_BASES:
                result = True
            elif q in classes and depth < 20:
                module, c = classes[q]
                # a base outside the project may be a model base we cannot see (treebeard's MP_Node):
                # relation fields or a model's Meta (abstract / app_label / db_table) tell it then
                meta = dict(c.meta)
                result = any(is_model(b, depth + 1) for b in (base_qualname(module, b) for b in c.bases) if b) or (
                    bool(c.bases)
                    and (
                        bool(c.fields)
                        or meta.get("abstract") is True
                        or isinstance(meta.get("app_label"), str)
                        or isinstance(meta.get("db_table"), str)
                    )
                )
            else:
                last = q.rsplit(".", 1)[-1]
                outside = q.split(".", 1)[0] not in self.toplevel
                result = ".models" in q and outside and last.endswith(("Model", "User", "Page"))
            memo[q] = result
            return result

        out: dict[str, list[dict[str, object]]] = {}
        tables: dict[str, str | None] = {}
        found: list[tuple[str, str, ClassFact]] = []
        for q in sorted(classes):
            module, c = classes[q]
            if q in MODEL_BASES or not is_model(q):
                continue
            found.append((q, module, c))
        # tables: proxies take their concrete parent's, so resolve parents first
        for _ in range(3):
            for q, module, c in found:
                meta = dict(c.meta)
                label = meta.get("app_label") or self.app_of.get(module)
                if meta.get("abstract") is True:
                    tables[q] = None
                elif isinstance(db_table := meta.get("db_table"), str):
                    tables[q] = db_table
                elif meta.get("proxy") is True:
                    parents = [base_qualname(module, b) for b in c.bases]
                    tables[q] = next((tables[p] for p in parents if p and tables.get(p)), None)
                else:
                    tables[q] = f"{label}_{c.name.lower()}" if label else None
        for q, module, c in found:
            meta = dict(c.meta)
            label = meta.get("app_label") or self.app_of.get(module)
            out.setdefault(module, []).append(
                {"name": c.name, "line": c.line, "table": tables.get(q), "abstract": meta.get("abstract") is True}
            )
            if isinstance(label, str):
                self.models.setdefault(label, {}).setdefault(c.name.lower(), (module, c.name))
        self._relations(found, base_qualname)
        return out

    def _relations(
        self, found: list[tuple[str, str, ClassFact]], base_qualname: Callable[[str, str], str | None]
    ) -> None:
        """Forward and reverse relations of every model, abstract bases' fields included, MTI parents' inherited."""
        info = {q: (module, c) for q, module, c in found}
        bases: dict[str, list[str]] = {}
        for q, module, c in found:
            bs = (base_qualname(module, b) for b in c.bases)
            bases[q] = [b for b in bs if b in info]

        def abstract(q: str) -> bool:
            return dict(info[q][1].meta).get("abstract") is True

        def own_fields(q: str, depth: int = 0) -> list[tuple[str, tuple[str, str, str, str, str]]]:
            """(defining module, field) of ``q`` and of its abstract bases."""
            module, c = info[q]
            out = [(module, f) for f in c.fields]
            if depth < 10:
                for b in bases[q]:
                    if abstract(b):
                        out.extend(own_fields(b, depth + 1))
            return out

        def target_of(module: str, q: str, spec: str) -> tuple[str, str] | None:
            if spec.startswith("="):
                s = spec[1:]
                hit = (info[q][0], q.rpartition(".")[2]) if s == "self" else self.resolve_label(s, module)
            elif spec.startswith("*"):
                hit = self.resolve_star(module, spec[1:])
            elif spec.startswith("django.conf.settings."):
                hit = self.resolve_setting(spec.rpartition(".")[2])
            else:
                hit = self.resolve_chain(spec)
            return hit if hit is not None and f"{hit[0]}.{hit[1]}" in info else None

        attrs: dict[str, dict[str, tuple[str, str]]] = {q: {} for q in info}
        looks: dict[str, dict[str, tuple[str, str]]] = {q: {} for q in info}
        for q in sorted(info):
            if abstract(q):
                continue
            module, c = info[q]
            name = c.name
            me = (module, name)
            label = dict(c.meta).get("app_label") or self.app_of.get(module) or ""
            for fmodule, (fname, fkind, spec, rn, rqn) in own_fields(q):
                t = target_of(fmodule, q, spec)
                if t is None:
                    continue
                attrs[q].setdefault(fname, t)
                looks[q].setdefault(fname, t)
                rn = rn.replace("%(class)s", name.lower()).replace("%(app_label)s", str(label))
                rqn = rqn.replace("%(class)s", name.lower()).replace("%(app_label)s", str(label))
                if rn.endswith("+"):
                    continue
                tq = f"{t[0]}.{t[1]}"
                accessor = rn or (name.lower() if fkind == "o2o" else name.lower() + "_set")
                attrs[tq].setdefault(accessor, me)
                looks[tq].setdefault(rqn or rn or name.lower(), me)

        def inherit(q: str, table: dict[str, dict[str, tuple[str, str]]], depth: int = 0) -> dict[str, tuple[str, str]]:
            merged = dict(table[q])
            if depth < 10:
                for b in bases[q]:
                    for k, v in inherit(b, table, depth + 1).items():
                        merged.setdefault(k, v)
            return merged

        self.rel_attrs = {q: m for q in info if (m := inherit(q, attrs))}
        self.rel_lookups = {q: m for q in info if (m := inherit(q, looks))}

    def resolve_model_name(self, target: str) -> tuple[str, str] | None:
        """``"@app.Model"`` or ``"@@SETTING"`` (a ``model`` use) -> (module, Model)."""
        if target.startswith("@@"):
            return self.resolve_setting(target[2:])
        return self.resolve_label(target[1:])

    def resolve_related(self, target: str) -> list[tuple[str, str]]:
        """The models reached by a ``related`` use: ``"<model chain>:<attr>...[|a__b]"`` (see ``Use``)."""
        path, _, lookup = target.partition("|")
        chain, *hops = path.split(":")
        hit = self.resolve_model_name(chain) if chain.startswith("@") else self.resolve_chain(chain)
        if hit is None:
            return []
        out: list[tuple[str, str]] = []
        model = hit
        for table, names in ((self.rel_attrs, hops), (self.rel_lookups, lookup.split("__") if lookup else ())):
            for h in names:
                settled = h.startswith("~")
                nxt = table.get(f"{model[0]}.{model[1]}", {}).get(h[1:] if settled else h)
                if nxt is None:
                    return out
                if not settled:
                    out.append(nxt)
                model = nxt
        return out


def build_graph(
    project: Project,
    facts: Mapping[str, ModuleFacts],
    *,
    skipped: tuple[Skipped, ...] = (),
    warnings: tuple[str, ...] = (),
) -> DependencyGraph:
    """The module graph of ``project`` from the facts of its files, as a :class:`DependencyGraph` (networkx)."""
    return build_plain(project, facts, skipped=skipped, warnings=warnings).to_graph()


def build_plain(
    project: Project,
    facts: Mapping[str, ModuleFacts],
    *,
    skipped: tuple[Skipped, ...] = (),
    warnings: tuple[str, ...] = (),
) -> PlainGraph:
    """:func:`build_graph` in plain dicts (no networkx)."""
    r = _Resolver(project, facts)
    files = {f.module: f for f in project.files}
    graph = PlainGraph(
        root=project.root.name,
        apps=tuple(sorted(project.apps)),
        settings_module=project.settings_module,
        skipped=tuple(sorted(set(project.skipped) | set(skipped))),
        meta={
            "analyser_version": ANALYSER_VERSION,
            "warnings": sorted(set(project.warnings) | set(warnings)),
            "config": project.config.name,
            "settings_reason": project.settings_reason,
        },
    )
    nodes = graph.nodes
    models = r.find_models()
    for m in sorted(facts):
        f, sf = facts[m], files[m]
        nodes[m] = module_node(
            r.app_of[m],
            sf.path,
            lines=f.lines,
            package=sf.is_package,
            migration=sf.migration,
            test=sf.test,
            models=models.get(m, []),
        )
    # evidence by (source, target, kind), added to the graph at the end (sorted, de-duplicated)
    edges: defaultdict[tuple[str, str, str], set[Evidence]] = defaultdict(set)

    sorted_flags: dict[tuple[tuple[str, ...], tuple[str, ...]], tuple[str, ...]] = {}

    def merged(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[str, ...]:
        try:
            return sorted_flags[a, b]
        except KeyError:
            v = sorted_flags[a, b] = tuple(sorted(set(a) | set(b)))
            return v

    settings_modules = set(project.settings_modules)
    for m in sorted(facts):
        f, sf = facts[m], files[m]
        path = sf.path
        extra = ("migration",) if sf.migration else ()
        for imp in f.imports:
            flags = merged(imp.flags, extra)
            top = imp.module.partition(".")[0]
            if top not in r.toplevel:
                if top not in nodes:
                    nodes[top] = external_node(top in _STDLIB)
                sym = f"{imp.module}.{imp.name}" if imp.name and imp.name != "*" else imp.module
                edges[m, top, "import"].add(Evidence(path, imp.line, sym, flags))
                continue
            if imp.name and imp.name != "*" and f"{imp.module}.{imp.name}" in r.modules:
                target, sym = f"{imp.module}.{imp.name}", ""
            else:
                loc = r.locate(imp.module)
                if loc is None:
                    continue
                target = loc[0]
                sym = imp.name if not loc[1] else loc[1][0]
            if target != m:
                edges[m, target, "import"].add(Evidence(path, imp.line, sym, flags))
        related: set[tuple[str, Evidence]] = set()
        for use in f.uses:
            if use.ref == "related":
                flags = merged(use.flags, extra)
                for mod, sym in r.resolve_related(use.target):
                    if mod != m:
                        related.add((mod, Evidence(path, use.line, sym, flags)))
                continue
            hit = r.resolve_use(m, use)
            if hit is None:
                continue
            kind, target, sym = hit
            if target != m:
                edges[m, target, kind].add(Evidence(path, use.line, sym, merged(use.flags, extra)))
        for target, ev in related:
            edges[m, target, "orm"].add(ev)
        if m in settings_modules:
            for value, line in f.dotted_strings:
                label, _, model = value.partition(".")
                found = r.models.get(label, {}).get(model.lower()) if "." not in model else None
                found = found or r.resolve_chain(value)
                if found is not None and found[0] != m:
                    edges[m, found[0], "string_ref"].add(Evidence(path, line, found[1]))
        blocks = []
        for block in f.atomic_blocks:
            mods = set()
            for chain in block.chains:
                defined = r.resolve_star(m, chain[1:]) if chain.startswith("*") else r.resolve_chain(chain)
                if defined is not None and defined[0] != m:
                    mods.add(defined[0])
            blocks.append({"line": block.line, "modules": sorted(mods)})
        if blocks:
            nodes[m]["atomic_blocks"] = blocks
    graph.edges = {key: sorted(evs) for key, evs in sorted(edges.items())}
    return graph
