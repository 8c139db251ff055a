"""The planner: one pass over the analysed modules, each part adding what it finds.

:func:`build_plan` takes one analysis (discovery, the scan facts, the graph) and the apps to move. The
graph and the facts answer most questions; the few modules whose code must be read in detail (the
moved modules, staying modules that use them) are parsed through the analysis's source port. Nothing
of the analysed project is imported or executed.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path

from decompose.errors import InputError
from decompose.extract.plan import index as F
from decompose.extract.plan.behaviour import BehaviourPart
from decompose.extract.plan.copied_writes import copied_writes
from decompose.extract.plan.data import DataPart
from decompose.extract.plan.django_models import DJANGO_MODELS, DJANGO_NAMES
from decompose.extract.plan.django_models import reached as django_reached
from decompose.extract.plan.kernel import KernelPart
from decompose.extract.plan.lookup_paths import lookup_paths, path_models, relations
from decompose.extract.plan.omissions import plan_omissions
from decompose.extract.plan.reference_behaviour import ReferenceBehaviourPart
from decompose.extract.plan.remote import RemotePart
from decompose.extract.plan.sagas import plan_sagas
from decompose.extract.plan.selection import validate_selection
from decompose.extract.plan.service import ServicePart
from decompose.extract.plan.signals import SignalsPart
from decompose.extract.plan.startup import StartupPart
from decompose.extract.plan.tests import TestsPart
from decompose.extract.plan.values import (
    ExtractionPlan,
    ForeignKeyCut,
    InterfaceModel,
    ManualStep,
    ReferenceClasses,
    ServiceRewrites,
    service_package,
)
from decompose.extract.plan.vendor import VendorPart
from decompose.extract.plan.web import WebPart
from decompose.extract.service.requirements import dependency_files
from decompose.graph import Evidence
from decompose.scan.source import walk_files


class _Planner(
    ServicePart, RemotePart, DataPart, SignalsPart, KernelPart, TestsPart, WebPart, VendorPart, StartupPart,
    BehaviourPart, ReferenceBehaviourPart,
):  # fmt: skip
    def __init__(self, index: F.CodeIndex, service: str, apps: tuple[str, ...]) -> None:
        super().__init__(index, service, apps)
        self._find_kernel_apps()

    def boundary_signals(self) -> set[str]:
        """Project signals the moved code defines, sends or receives (a staying module matters only if it
        sends or receives one of them, or uses a moved model as a sender)."""
        out: set[str] = set()
        for name in self.moved:
            m = self.p.modules[name]
            out |= {f"{name}.{s}" for s in m.facts.signals}
            for u in m.facts.uses:
                if u.kind == "signal" and u.target not in F.BUILTIN_SIGNALS:
                    out.add(u.target)
                    target = self.p.reexport(u.target)
                    if target:
                        out.add(target)
        return out

    def signal_module(self, m: F.Module, side: str, crossing: set[str]) -> bool:
        """Whether ``m``'s signal sends and receivers can cross the boundary (read from its facts)."""
        uses = [u for u in m.facts.uses if u.kind == "signal"]
        if side == "service":
            return bool(uses or m.facts.signals)
        return any(
            u.target in crossing or self.p.reexport(u.target) in crossing or self.p.module_of(u.target) in self.moved
            for u in uses
        )

    def moved_files(self) -> tuple[tuple[str, ...], dict[str, str]]:
        """Every file of the moved apps (through discovery's filters) and the ones skipped, with why."""
        files: list[str] = []
        skipped: dict[str, str] = {}
        max_bytes = self.p.project.config.max_file_bytes
        for a in self.apps:
            found, skip = walk_files(self.root, self.app_paths[a], max_bytes)
            files += found
            skipped.update(skip)
        return tuple(sorted(set(files))), {k: skipped[k] for k in sorted(skipped)}

    def used_models(
        self,
        sites: Mapping[str, list[Evidence]],
        lookups: Mapping[str, set[str]],
        fields: Mapping[str, set[str]],
        writes: frozenset[str] | set[str] = frozenset(),
    ) -> tuple[InterfaceModel, ...]:
        """The models one side's code uses of the other's (by label, sorted): the fields and lookups it names."""
        out = []
        for label in sorted(sites):
            mf = self.p.model_by_label(label)
            if mf is None and label in DJANGO_MODELS:  # Django's own (contenttypes, auth): its schema is known
                dm = DJANGO_MODELS[label]
                out.append(
                    InterfaceModel(
                        label=label,
                        module=dm.module,
                        table=dm.table,
                        fields_read=tuple(sorted(x for x in fields[label] if x in dm.field_types)),
                        lookups=tuple(sorted(lookups[label])),
                        call_sites=tuple(sorted(set(sites[label]))),
                        fields=dm.fields,
                        field_types=dict(dm.field_types),
                        writes=label in writes,
                    )
                )
                continue
            assert mf is not None
            attnames = [fl.attname for fl in mf.concrete_fields]
            names = {fl.name: fl.attname for fl in mf.concrete_fields}
            fields_read = sorted(
                {names.get(x, x) for x in fields[label] if x in names or x in attnames or x in ("id", "pk")}
            )
            out.append(
                InterfaceModel(
                    label=label,
                    module=mf.module,
                    table=mf.table,
                    fields_read=tuple(fields_read),
                    lookups=tuple(sorted(lookups[label])),
                    call_sites=tuple(sorted(set(sites[label]))),
                    fields=(mf.pk_attname, *[a for a in attnames if a != mf.pk_attname]),
                    field_types=self.service_field_types(mf),
                    writes=label in writes,
                )
            )
        return tuple(out)

    def held_models(
        self,
        rewrites: ServiceRewrites,
        fk_cuts: tuple[ForeignKeyCut, ...],
        served: tuple[InterfaceModel, ...],
        reached: Iterable[str] = (),
    ) -> tuple[InterfaceModel, ...]:
        """``served`` (the staying models the moved code queries or writes) and, read-only, the other staying models
        the service holds references of: the targets of the cut foreign keys, the models of the interface's
        parameters and those the moved code names (``rewrites.remote_models``), the call backs' results, those
        ``reached`` through a held one's foreign key the code reads. A model decompose does not see (a third
        party's) or an abstract one is not served; sorted by label."""
        labels = set(rewrites.remote_models) | set(reached)
        labels |= {c.target for c in fk_cuts if c.direction == "from_moved"}
        labels |= {cb.returns_model for cb in rewrites.callbacks if cb.returns_model}
        # Django's own models held (a content type, the user model) and those their relations reach are the
        # monolith's too: a content type id or a user id crossing the boundary names the monolith's row
        labels |= set(django_reached(x for x in labels if self.p.model_by_label(x) is None))
        known = {m.label for m in served}
        held = []
        for label in sorted(labels - known):
            mf = self.p.model_by_label(label)
            if mf is None and label in DJANGO_MODELS:
                held.append(label)
                continue
            if mf is None or mf.abstract or self._label_moved(label):
                continue
            held.append(label)
        if not held:
            return served
        found = self.used_models({x: [] for x in held}, {x: set() for x in held}, {x: set() for x in held})
        found = tuple(replace(m, read_only=True) for m in found)
        return tuple(sorted((*served, *found), key=lambda m: m.label))

    def django_uses(self, rewrites: ServiceRewrites) -> dict[str, str]:
        """Django's names of its own models the code the service runs imports (the moved modules and the staying
        ones copied into it; tests and migrations aside): dotted name → model label. ``get_user_model`` names the
        ``AUTH_USER_MODEL`` when an app that stays defines it (a moved one: the service has the model itself)."""
        names = {n: label for label, dotted in DJANGO_NAMES.items() for n in dotted}
        user = self.p.auth_user_model
        if not self._label_moved(user):
            names["django.contrib.auth.get_user_model"] = user
            if user != "auth.User":
                names.pop("django.contrib.auth.models.User")  # not the user model: a table nobody uses
        modules = sorted({*self.moved, *rewrites.vendored, *rewrites.slices})
        found: dict[str, str] = {}
        for name in modules:
            m = self.p.modules.get(name)
            if m is None or m.test or m.migration:
                continue
            for n in ast.walk(m.tree):
                if isinstance(n, ast.ImportFrom) and n.module and not n.level:
                    for alias in n.names:
                        dotted = f"{n.module}.{alias.name}"
                        if dotted in names:
                            found[dotted] = names[dotted]
        return dict(sorted(found.items()))

    def django_rewrites(
        self, rewrites: ServiceRewrites, uses: Mapping[str, str], served: tuple[InterfaceModel, ...]
    ) -> ServiceRewrites:
        """``rewrites`` with Django's names of the models the monolith serves (``uses``) imported from the service's
        ``monolith`` module: ``ContentType``, ``User`` there are the references of the monolith's models (the
        service's own contenttypes and auth apps keep their tables for its admin, sessions and permissions, whose
        ids mean nothing to the monolith), ``get_user_model()`` there answers the user model's."""
        labels = {m.label for m in served}
        uses = {d: label for d, label in uses.items() if label in labels}
        if not uses:
            return rewrites
        monolith_mod = f"{service_package(self.service)}.monolith"
        retarget = {**rewrites.retarget, **dict.fromkeys(uses, monolith_mod)}
        remote_models = dict(rewrites.remote_models)
        for dotted, label in uses.items():
            if not dotted.endswith(".get_user_model"):
                remote_models.setdefault(label, dotted.rsplit(".", 1)[1])
            else:  # the user model's reference, which get_user_model() answers
                remote_models.setdefault(label, label.split(".", 1)[1])
        return replace(
            rewrites, retarget=dict(sorted(retarget.items())), remote_models=dict(sorted(remote_models.items()))
        )

    def written_by_copies(
        self, served: tuple[InterfaceModel, ...], writes: Mapping[str, tuple[Evidence, ...]]
    ) -> tuple[InterfaceModel, ...]:
        """``served`` with the staying models the code the service copies writes (``writes``: label → sites, see
        :mod:`decompose.extract.plan.copied_writes`) served for writes, those sites kept as the reason; a written
        model not served yet is added; sorted by label."""
        if not writes:
            return served
        out = [
            replace(m, writes=True, read_only=False, copied_writes=writes[m.label]) if m.label in writes else m
            for m in served
        ]
        extra = sorted(label for label in writes if label not in {m.label for m in served})
        if extra:
            found = self.used_models({x: list(writes[x]) for x in extra}, {x: set() for x in extra},
                                     {x: set() for x in extra}, set(extra))  # fmt: skip
            out += [replace(m, copied_writes=writes[m.label]) for m in found]
        return tuple(sorted(out, key=lambda m: m.label))

    def path_served(
        self, served: tuple[InterfaceModel, ...], reference_classes: ReferenceClasses
    ) -> tuple[InterfaceModel, ...]:
        """``served`` and, read-only, the staying models the lookups of the code the service runs (the moved code,
        the staying members copied into its reference classes) go through from a served one (see
        :mod:`decompose.extract.plan.lookup_paths`); sorted by label."""
        trees: list[ast.AST] = [self.p.modules[n].tree for n in sorted(self.moved) if not self.p.modules[n].test]
        classes = reference_classes.classes
        for code in (*classes.helpers, *(c for b in classes.models for c in (*b.members, *b.queryset))):
            try:
                trees.append(ast.parse(code.text))
            except SyntaxError:
                continue  # a copy is the project's own text; one that does not parse names no lookup
        staying = {mf.label for mf in self.p.models.values() if not mf.abstract and not self._label_moved(mf.label)}
        extra = path_models((m.label for m in served), lookup_paths(trees), relations(self.p.models.values()), staying)
        if not extra:
            return served
        found = self.used_models({x: [] for x in extra}, {x: set() for x in extra}, {x: set() for x in extra})
        found = tuple(replace(m, read_only=True) for m in found)
        return tuple(sorted((*served, *found), key=lambda m: m.label))

    def build(self) -> ExtractionPlan:
        p = self.p
        fn_sites: dict[str, list[Evidence]] = defaultdict(list)
        model_sites: dict[str, list[Evidence]] = defaultdict(list)
        model_lookups: dict[str, set[str]] = defaultdict(set)
        model_fields: dict[str, set[str]] = defaultdict(set)
        other_sites: dict[str, list[Evidence]] = defaultdict(list)
        # moved functions staying code applies as decorators (code run at import, never an endpoint), and view
        # helpers it calls with its request (``get_send_mail_exceptions(request)``): kept as copies
        decorator_sites: dict[str, list[Evidence]] = defaultdict(list)
        # the moved code's queries of staying models (the service's through the monolith)
        back_sites: dict[str, list[Evidence]] = defaultdict(list)
        back_lookups: dict[str, set[str]] = defaultdict(set)
        back_fields: dict[str, set[str]] = defaultdict(set)
        back_writes: set[str] = set()
        sig_sends: dict[str, list[tuple[str, Evidence, tuple[str, ...]]]] = defaultdict(list)
        sig_receivers: dict[str, list[tuple[str, str, Evidence]]] = defaultdict(list)
        touched: dict[str, set[str]] = {"service": set(), "monolith": set()}
        web_sites: dict[str, Evidence] = {}
        deps: dict[tuple[str, str], list[Evidence]] = defaultdict(list)
        dep_kinds: dict[tuple[str, str], set[str]] = defaultdict(set)
        self.module_deps = defaultdict(set)

        # staying modules are read in detail only when the graph says they use moved code
        using_moved = {u for v in self.moved for u in p.predecessors(v) if u not in self.moved}
        # the moved apps' tests kept outside them move with them or stay whole: never callers of an API
        outside = self.outside_tests()
        using_moved -= set(outside)
        self.outside_test_modules = set(outside)
        crossing = self.boundary_signals()
        for name in sorted(p.modules):
            m = p.modules[name]
            side = "service" if name in self.moved else "monolith"
            if self.signal_module(m, side, crossing):
                self.signals_in(m, side, sig_sends, sig_receivers)
            if m.migration or name in outside:
                continue
            if side == "monolith" and name not in using_moved:
                self.raw_sql(m)
            elif side == "monolith":
                parents = F.parent_map(m.tree)
                tracked: dict[str, str] = {}
                for d, node, line in self.scan_uses(m, "moved"):
                    c = self.canonical(d)
                    if c is None:
                        continue
                    kind, qual, rest = c
                    ev = Evidence(m.path, line, qual)
                    if kind == "function" and self.is_web_function(qual):
                        web_sites.setdefault(qual, ev)
                        called = parents.get(node)
                        if isinstance(called, ast.Call) and called.func is node:
                            # a view helper staying code calls with its request: code run here, kept as a copy
                            decorator_sites[qual].append(ev)
                    elif kind == "function" and _decorates(node, parents):
                        decorator_sites[qual].append(ev)
                    elif kind == "function":
                        fn_sites[qual].append(ev)
                        f_node = p.modules[qual.rsplit(".", 1)[0]].defs[qual.rsplit(".", 1)[1]]
                        rm = self.annotation_model(p.modules[qual.rsplit(".", 1)[0]], getattr(f_node, "returns", None))
                        if rm:
                            self._track_assign(node, parents, tracked, rm)
                    elif kind == "model":
                        mf = p.models[qual]
                        if mf.abstract:
                            other_sites[qual].append(ev)
                            continue
                        model_sites[mf.label].append(ev)
                        touched["monolith"].add(mf.table)
                        lk, fl, writes, top = self.model_usage(m, node, parents)
                        model_lookups[mf.label].update(lk)
                        model_fields[mf.label].update(fl)
                        self._track_assign(top, parents, tracked, mf.label)
                        if writes:
                            self.manual.append(
                                ManualStep(
                                    m.path,
                                    line,
                                    "command endpoint",
                                    f"staying code writes {mf.label} of service {self.service!r}: "
                                    "add an interface function for the write and call it instead",
                                )
                            )
                    elif kind in ("other", "module", "signal"):
                        other_sites[qual].append(ev)
                # attribute reads on variables holding moved model instances (or querysets of them)
                for n in ast.walk(m.tree):
                    if isinstance(n, (ast.For, ast.comprehension)) and isinstance(n.iter, ast.Name):
                        if n.iter.id in tracked and isinstance(n.target, ast.Name):
                            tracked[n.target.id] = tracked[n.iter.id]
                for n in ast.walk(m.tree):
                    if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id in tracked:
                        model_fields[tracked[n.value.id]].add(n.attr)
                self.raw_sql(m)
            else:
                parents = F.parent_map(m.tree)
                for d, node, line in self.scan_uses(m, "staying"):
                    c = self.canonical(d)
                    if c is None:
                        continue
                    kind, qual, rest = c
                    ev = Evidence(m.path, line, qual)
                    mod, _, sym = qual.rpartition(".")
                    if kind == "module":
                        mod, sym = qual, ""
                    role = "ref"
                    if kind == "model":
                        mf = p.models[qual]
                        par = parents.get(node)
                        in_ann = self._in_annotation(node, parents)
                        is_fk_target = isinstance(par, ast.Call) and node in par.args and self._is_field_call(par)
                        is_sender = isinstance(par, ast.keyword) and par.arg == "sender"
                        role = (
                            "abstract" if mf.abstract else "cut" if (in_ann or is_fk_target or is_sender) else "query"
                        )
                        if role == "query":
                            touched["service"].add(mf.table)
                            if not m.test:  # read and written through the monolith (plan.monolith_models)
                                lk, fl, writes, _top = self.model_usage(m, node, parents)
                                # the reference may hold the method already (``Log.objects.create``)
                                writes = writes or any(part in F.WRITE_METHODS for part in rest.split("."))
                                back_sites[mf.label].append(ev)
                                back_lookups[mf.label].update(lk)
                                back_fields[mf.label].update(fl)
                                if writes:
                                    back_writes.add(mf.label)
                    elif kind == "signal":
                        role = "signal"
                    deps[(mod, sym)].append(ev)
                    dep_kinds[(mod, sym)].add(role)
                    self.module_deps[m.name].add((mod, sym))
            if m.facts.atomic_blocks:
                self.atomic_spans(m, side)
            if side == "service" and not m.test:
                self.dynamic_refs(m)

        for qual, ev in sorted(web_sites.items()):
            self.manual.append(
                ManualStep(
                    ev.path,
                    ev.line,
                    "API gateway",
                    f"staying code calls {qual}, a function of the moved app's web face (it takes the request): "
                    "it is not an API call; route the page to the service, or keep a copy of the helper here",
                )
            )
        # tables of each side's own models
        for mf in p.models.values():
            if not mf.abstract:
                touched[self.model_side(mf)].add(mf.table)

        for qual in decorator_sites:  # a decorator is code: kept as a copy in remote mode, never an endpoint
            fn_sites.pop(qual, None)
        interface_functions = tuple(self.function_facts(q, s) for q, s in sorted(fn_sites.items()))
        for f in interface_functions:
            if f.returns_model and self._label_moved(f.returns_model):
                model_sites.setdefault(f.returns_model, [])
            self.param_reads(f)
        interface_models = self.used_models(model_sites, model_lookups, model_fields)
        monolith_models = self.used_models(back_sites, back_lookups, back_fields, back_writes)
        bridged_signals = {b.signal for b in self.bridges(sig_sends, sig_receivers)}
        contract_steps: dict[str, ManualStep] = {}
        for qual, sites in sorted(other_sites.items()):
            if qual in bridged_signals:
                continue
            for ev in sorted(set(sites))[:1]:
                contract_steps[qual] = ManualStep(
                    ev.path,
                    ev.line,
                    "shared contract",
                    f"staying code uses {qual} of the moved code ({len(set(sites))} site(s)): "
                    "copy it to the monolith (e.g. exception or constant) or expose it through the API",
                )

        fk_cuts = self.fk_cuts()
        bridges = self.bridges(sig_sends, sig_receivers)
        namespaces = self.url_namespaces()
        tables = {k: tuple(sorted(v)) for k, v in sorted(touched.items())}
        # the tables that move (the moved models' own): what the data plan copies, what raw SQL must not name
        owned = tuple(sorted({mf.table for mf in p.models.values() if mf.module in self.moved and not mf.abstract}))
        joins = tuple(sorted(set(self.join_tables()) - set(owned)))  # their rows move too (the data plan)
        placed = {(s.path, s.line, s.pattern) for s in self.manual}
        for step in self.remote_breaks(
            interface_functions, tuple(interface_models), bridges, fk_cuts, owned, namespaces, using_moved
        ):
            if (step.path, step.line, step.pattern) not in placed:
                self.manual.append(step)
        dependencies, kernel = self.classify(deps, dep_kinds)
        staying_tests = self.staying_tests(dependencies)
        moved_files, skipped_files = self.moved_files()
        moved_files = tuple(sorted({*moved_files, *self.outside_test_files(outside, staying_tests)}))
        rewrites = self.service_rewrites(
            service_package(self.service), dependencies, bridges, fk_cuts, interface_functions, kernel
        )
        before_vendoring = rewrites
        rewrites = self.vendoring(rewrites, kernel)
        # the staying models' members the moved code uses, copied into the service's reference classes; the pure
        # modules they import are vendored too
        found = self.reference_classes(rewrites, kernel, fk_cuts, monolith_models)
        reference_classes = found.classes
        if found.vendor:
            rewrites = self.vendoring(before_vendoring, kernel, found.vendor)
        # the staying models the copied members query are read through the monolith too
        extra = sorted(set(found.queried) - {m.label for m in monolith_models})
        if extra:
            served = self.used_models({x: [] for x in extra}, {x: set() for x in extra}, {x: set() for x in extra})
            monolith_models = tuple(sorted((*monolith_models, *served), key=lambda m: m.label))
        # the staying models the service holds references of (cut foreign keys' targets, interface parameters,
        # references the moved code names, call backs' results) are served to it read-only: a reference loads the
        # fields nobody sent with it from the monolith, once
        django_uses = self.django_uses(rewrites)
        monolith_models = self.held_models(rewrites, fk_cuts, monolith_models, (*found.reached, *django_uses.values()))
        monolith_models = self.path_served(monolith_models, reference_classes)
        monolith_models = self.written_by_copies(monolith_models, copied_writes(self, rewrites, reference_classes))
        rewrites = self.django_rewrites(rewrites, django_uses, monolith_models)
        dependencies = self.reclassified(dependencies)
        web = self.web_face(moved_files)
        self.manual.extend(plan_omissions(self, web, fk_cuts, moved_files))
        self.manual.extend(plan_sagas(self, dependencies))
        # a staying instance sent to the service carries the fields its copied members read, not their values
        interface_functions = tuple(self.with_member_reads(f, reference_classes) for f in interface_functions)
        startup = self.remote_startup()
        # the moved names staying code uses that are code (decorators, classes, constants): kept as copies
        kept = sorted({*decorator_sites, *(q for q in other_sites if q not in p.models and q not in p.signals)})
        remote_classes = self.remote_classes(interface_functions, kept)
        # a function whose result has no wire form is run by the monolith (plan/kept_calls.py): no endpoint
        interface_functions = tuple(f for f in interface_functions if f.qualname not in remote_classes.kept_reasons)
        startup = tuple(sorted({*startup, *self.kept_receivers(remote_classes.kept_reasons)}))
        for qual, step in sorted(contract_steps.items()):
            if qual not in remote_classes.kept_names:
                self.manual.append(step)
        # what the monolith keeps a copy of needs no endpoint, nor a route to the service
        kept_steps = {
            "API composition": tuple(
                f"{q} moved into the {self.service} service and has no endpoint" for q in remote_classes.kept_names
            ),
            "API gateway": tuple(f"staying code calls {q}, a function of" for q in remote_classes.kept_names),
        }
        self.manual = [s for s in self.manual if not s.message.startswith(kept_steps.get(s.pattern, ("\0",)))]
        user_model = self.user_model()
        manual = tuple(sorted(set(self.manual), key=lambda s: (s.path, s.line, s.pattern, s.message)))
        return ExtractionPlan(
            service=self.service,
            apps=self.apps,
            moved_modules=tuple(sorted(self.moved)),
            interface_functions=interface_functions,
            interface_models=tuple(interface_models),
            dependencies=dependencies,
            fk_cuts=fk_cuts,
            tables=tables,
            signal_bridges=bridges,
            manual_steps=manual,
            # the moved apps, and the staying apps whose models' foreign keys to them are cut (their migration)
            app_paths={
                a: self.app_paths[a]
                for a in sorted({*self.apps, *(c.model.split(".", 1)[0] for c in fk_cuts if c.direction == "to_moved")})
                if a in self.app_paths
            },
            app_modules={a.label: a.name for a in p.apps if a.label in self.apps},
            moved_files=tuple(f for f in moved_files if f not in staying_tests),
            skipped_files=skipped_files,
            shared_kernel=kernel,
            settings_module=self.p.settings_module,
            kernel_apps=tuple(sorted(self.used_kernel_apps)),
            staying_tests=staying_tests,
            service_rewrites=rewrites,
            url_namespaces=namespaces,
            table_order=self.table_order(owned + joins),
            web=web,
            dependency_files=dependency_files(self.root),
            remote_startup=startup,
            remote_classes=remote_classes,
            monolith_models=monolith_models,
            reference_classes=reference_classes,
            user_model=user_model,
        )

    def user_model(self) -> str | None:
        """The ``AUTH_USER_MODEL`` when a moved app defines it, with its manual step: remote mode cannot start without
        it (Django's auth, sessions and admin, and every staying foreign key to it, need the user table in the process
        where users log in), so the rewire's switch refuses remote mode for this service until the user model is
        kept by an app that stays."""
        label = self.p.auth_user_model
        if label.split(".", 1)[0] not in self.apps:
            return None
        mf = next((x for x in self.p.models.values() if x.label == label), None)
        module = self.p.modules.get(mf.module) if mf is not None else None
        path, line = (self.app_paths.get(label.split(".", 1)[0], ""), 0)
        if module is not None and mf is not None:
            path, line = module.path, mf.line
        self.manual.append(
            ManualStep(
                path,
                line,
                "keep the user model",
                f"{label} is AUTH_USER_MODEL and moves with the {self.service!r} service: remote mode refuses to "
                "start (the monolith's logins, sessions, admin and staying foreign keys need the user table where "
                "users log in; the service gets users from the identity assertion). Move the user model to an app "
                "that stays (Django's custom user model migration), then extract the rest; local mode works as is",
            )
        )
        return label


def _decorates(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    """Whether the reference ``node`` is a decorator (``@login_required_json``), a decorator factory
    (``@cache_for(60)``) or what one applies (``@method_decorator(login_required_json, name="dispatch")``) of a
    function or class: applied when the decorated definition is made."""
    target = node
    parent = parents.get(node)
    if isinstance(parent, ast.Call) and (parent.func is node or any(a is node for a in parent.args)):
        target, parent = parent, parents.get(parent)  # a factory, or what one applies (``method_decorator(x)``)
    return isinstance(parent, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and any(
        d is target for d in parent.decorator_list
    )


def build_plan(source: F.CodeIndex | str | Path, service: str, apps: Sequence[str]) -> ExtractionPlan:
    """Plan the extraction of ``apps`` (whole Django apps) into the service ``service``.

    ``source`` is the analysed project (:func:`decompose.extract.plan.index.index_project`) or its folder.
    """
    index = source if isinstance(source, F.CodeIndex) else F.index_project(source)
    selected = validate_selection(index, service, apps)
    try:
        return _Planner(index, service, selected).build()
    except F.ModuleUnreadable as exc:
        raise InputError(
            f"{exc.path}: changed since it was analysed and cannot be read now ({exc.reason})",
            hint="run the extraction again",
        ) from None
