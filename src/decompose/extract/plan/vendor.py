"""What the service copies of the staying code, so that every import of the moved code resolves.

The moved modules (models, migrations, views, tests), the shared kernel and every module copied for
them import staying code. Each such import is followed, transitively, over the analysis's import facts:

- a staying name the plan already replaces (a reference by id, a call back, a copied signal or
  abstract base) is left to that rewrite;
- a staying *concrete model* becomes a reference by id in ``<pkg>.monolith`` (cut);
- a staying module that is *pure* (it defines no concrete model and no URLconf, and does nothing at
  import that reaches staying code: no registration, no receiver of a Django or project signal, no
  call of staying code) is vendored: copied whole at its own dotted path, so the import does not
  change, and its own imports are followed in turn;
- anything else becomes a stand-in in ``<pkg>.monolith`` that raises, with the reason, when it is
  used, plus a ``# TODO(decompose)`` where it is imported and a manual step in the plan.

Parent packages of every copied module are regular packages in the service: the monolith's
``__init__.py`` when something imports a name of it (vendored like any module), else an empty one (a
package ``__init__`` often imports its whole package, models included). A namespace parent would let an
installed monolith's package shadow the service's copy.

Nothing of the project is imported or executed: modules are judged from their scan facts and syntax tree.
"""

from __future__ import annotations

import ast
import dataclasses
from collections.abc import Iterable

from decompose.extract.plan import index as F
from decompose.extract.plan.state import PlannerState
from decompose.extract.plan.values import Dependency, ManualStep, ServiceRewrites, service_package

#: Django's admin site class, as code names it
_ADMIN_SITES = frozenset({"django.contrib.admin.AdminSite", "django.contrib.admin.sites.AdminSite"})
#: Django's signal class, as code names it
_SIGNALS = frozenset({"django.dispatch.Signal", "django.dispatch.dispatcher.Signal"})
#: Django signal plumbing: a receiver connected at import of a staying module would run in the service
_CONNECTS = ("receiver", "connect")
#: Django's management commands that judge or apply the migrations the service copies from the monolith
MIGRATION_COMMANDS = ("makemigrations", "migrate")
#: Django's query expressions by name (``django.db.models.Q``, ``Prefetch``, ``F``...): what a query builder returns
_EXPRESSIONS = frozenset(
    {
        "Prefetch", "Q", "F", "Value", "Case", "When", "Exists", "Subquery", "OuterRef", "Func", "ExpressionWrapper",
        "Window", "RawSQL", "FilteredRelation", "Aggregate", "Count", "Sum", "Min", "Max", "Avg", "StdDev",
        "Variance",
    }
)  # fmt: skip
#: modules whose every class is a query expression (database functions, aggregates)
_EXPRESSION_MODULES = (
    "django.db.models.functions.", "django.db.models.aggregates.", "django.db.models.expressions.",
    "django.contrib.postgres.aggregates.", "django.contrib.postgres.search.",
)  # fmt: skip
#: QuerySet methods that return a new queryset without running one
_QUERYSET_BUILDING = frozenset(
    {
        "all", "filter", "exclude", "annotate", "alias", "order_by", "select_related", "prefetch_related", "distinct",
        "only", "defer", "values", "values_list", "none", "union", "intersection", "difference", "reverse", "using",
        "complex_filter", "extra", "select_for_update",
    }
)  # fmt: skip
#: QuerySet methods that run a query or write rows: a function calling them reads data, it builds no query
_QUERYSET_RUNNING = frozenset(
    {
        "get", "first", "last", "exists", "count", "aggregate", "iterator", "in_bulk", "earliest", "latest",
        "contains", "explain", "create", "get_or_create", "update_or_create", "bulk_create", "bulk_update", "update",
        "delete", "save", "raw",
    }
)  # fmt: skip


class VendorPart(PlannerState):
    """The transitive closure of the service's imports into staying code (see the module docstring)."""

    def vendor_reason(self, mod: str) -> str | None:
        """Why staying module ``mod`` cannot be copied whole into the service, or None when it can."""
        cache: dict[str, str | None] = self.__dict__.setdefault("_vendor_reasons", {})
        if mod not in cache:
            cache[mod] = None  # optimistic while it is being judged (import cycles)
            cache[mod] = self._vendor_reason(mod)
        return cache[mod]

    def _vendor_reason(self, mod: str) -> str | None:
        m = self.p.modules.get(mod)
        if m is None:
            return "not analysed"
        if m.test:
            return "a test module"
        if m.migration:
            return "a migration of a staying app"
        settings = self.p.settings_module or ""
        parent = settings.rpartition(".")[0]
        if settings and (
            mod == settings or (parent.rpartition(".")[2] == "settings" and (mod + ".").startswith(parent + "."))
        ):
            return "the monolith's settings"
        concrete = sorted(mf.label for mf in self.p.models.values() if mf.module == mod and not mf.abstract)
        if concrete:
            return f"it defines models that stay ({', '.join(concrete)})"
        external = external_models(self.p, m)
        if external:
            return f"it defines classes of a third-party app's models ({', '.join(external)})"
        if "urlpatterns" in m.defs:
            return "a URLconf of the monolith"
        line = self._import_time_effect(m)
        if line is not None:
            return f"it registers or calls staying code at import ({m.path}:{line})"
        return None

    def data_reason(self, mod: str) -> str | None:
        """Why staying module ``mod`` is no pure helper: it imports models that stay, so its functions
        read or write the monolith's data (a migration may still import it: there only names resolve)."""
        m = self.p.modules.get(mod)
        used = self._staying_models_used(m) if m is not None else []
        if used:
            return f"it uses models that stay ({', '.join(used)}): its functions read or write the monolith's data"
        return None

    def _staying_models_used(self, m: F.Module) -> list[str]:
        """Labels of the staying concrete models ``m`` imports (a module of such models counts by its
        models): a module that queries the monolith's data is no pure helper, whatever it defines."""
        found: set[str] = set()
        for imp in m.facts.imports:
            if "type_checking" in imp.flags or imp.name == "*":
                continue
            target = f"{imp.module}.{imp.name}" if imp.name else imp.module
            c = self.canonical(target)
            if c is None:
                continue
            kind, qual = c[0], c[1]
            if kind == "model":
                mf = self.p.models.get(qual)
                if mf is not None and not mf.abstract and mf.module not in self.moved:
                    found.add(mf.label)
            elif kind == "module" and qual not in self.moved:
                found |= {mf.label for mf in self.p.models.values() if mf.module == qual and not mf.abstract}
        return sorted(found)

    def _import_time_effect(self, m: F.Module) -> int | None:
        """The line of a top-level statement that reaches staying code when the module is imported."""
        body = list(m.tree.body)
        while body:
            node = body.pop(0)
            if isinstance(node, ast.If | ast.Try | ast.With):
                for part in ("body", "orelse", "finalbody"):
                    body[:0] = getattr(node, part, [])
                for h in getattr(node, "handlers", []):
                    body[:0] = h.body
                continue
            calls: list[ast.expr] = []
            if isinstance(node, ast.Expr) and not isinstance(node.value, ast.Constant):
                calls.append(node.value)
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                calls += node.decorator_list
            for call in calls:
                if self._reaches_staying(m, call):
                    return getattr(call, "lineno", node.lineno)
        return None

    def _reaches_staying(self, m: F.Module, expr: ast.expr) -> bool:
        """Whether a call run at import connects a signal receiver (Django's or the project's) or names
        staying code (a function run, a model registered)."""
        func = expr.func if isinstance(expr, ast.Call) else expr
        callee = self.p.resolve(m, func) or ""
        last = callee.rpartition(".")[2] or (func.attr if isinstance(func, ast.Attribute) else "")
        if last in _CONNECTS and (callee.startswith("django.") or self.is_internal(callee) or not callee):
            return True
        for n in ast.walk(expr):
            if isinstance(n, ast.Name | ast.Attribute):
                dotted = self.p.resolve(m, n)
                dep = self.p.module_of(dotted) if dotted else None
                if (
                    dep is not None
                    and dep != m.name
                    and dep not in self.moved
                    and (self.vendor_reason(dep) is not None or self.data_reason(dep) is not None)
                ):  # staying code that cannot come along (a model registered, a function reading data)
                    return True
        return False

    def vendoring(self, rewrites: ServiceRewrites, kernel: Iterable[str], extra: Iterable[str] = ()) -> ServiceRewrites:
        """``rewrites`` completed so that every import of the service resolves: modules to copy whole,
        parent packages to write, staying models referenced by id, stand-ins (with manual steps). ``extra``: pure
        staying modules to vendor besides (what the members copied into the reference classes import)."""
        monolith = f"{service_package(self.service)}.monolith"
        retarget = dict(rewrites.retarget)
        todo = dict(rewrites.todo)
        remote_models = dict(rewrites.remote_models)
        abstract_bases = list(rewrites.abstract_bases)
        # an abstract base whose module can be copied whole is imported from that copy, not from bases.py
        for dotted in list(abstract_bases):
            mod = dotted.rpartition(".")[0]
            if self.vendor_reason(mod) is None:
                abstract_bases.remove(dotted)
                retarget.pop(dotted, None)
        service = set(self.moved) | set(kernel)
        service |= {n for n, mm in self.p.modules.items() if mm.app in self.used_kernel_apps}
        vendored: set[str] = set()
        #: modules that cannot be copied whole, of which only some definitions are (and what they use)
        slices: dict[str, set[str]] = {}
        stand_ins: dict[str, str] = {}
        admin_sites: dict[str, str] = {}
        signal_classes: dict[str, str] = {}
        sites: dict[str, tuple[str, int]] = {}
        queue = sorted(service)
        for dotted in abstract_bases:  # bases.py imports what the copied class uses
            queue.append(dotted.rpartition(".")[0])
        commands = self._migration_commands(service)
        startup: list[str] = []
        for mod in commands.values():  # copied whole like any pure module, its imports followed
            vendored.add(mod)
            queue.append(mod)
        for mod in sorted(set(extra) - service):
            vendored.add(mod)
            queue.append(mod)
        seen: set[str] = set()
        callbacks = list(rewrites.callbacks)
        while True:
            while queue:
                name = queue.pop(0)
                if name in seen or name not in self.p.modules:
                    continue
                seen.add(name)
                m = self.p.modules[name]
                partial = name not in service and name not in vendored  # only bases.py's names, or a slice's
                wanted = None
                if partial:
                    wanted = self._bases_names(name, abstract_bases) | self._names_used(m, slices.get(name, set()))
                for imp in m.facts.imports:
                    if "type_checking" in imp.flags or imp.name == "*":
                        continue
                    if wanted is not None and (imp.name or imp.module.rpartition(".")[2]) not in wanted:
                        continue
                    target = f"{imp.module}.{imp.name}" if imp.name else imp.module
                    dep = self.p.module_of(target)
                    if dep is None or dep in service or dep in vendored or dep in self.moved:
                        continue
                    c = self.canonical(target)
                    kind, qual = (c[0], c[1]) if c is not None else ("module", target)
                    if kind != "module" and self.p.module_of(qual) in self.moved:
                        continue  # re-exported from the moved code
                    if qual in retarget or (qual in rewrites.module_aliases and not m.migration):
                        continue  # rewritten where it is imported (migrations keep their imports as written)
                    mf = self.p.models.get(qual) if kind == "model" else None
                    if mf is not None and not mf.abstract:
                        local = qual.rpartition(".")[2]
                        remote_models.setdefault(mf.label, local)
                        retarget[qual] = monolith
                        todo.setdefault(
                            qual,
                            f"{mf.label} stays in the monolith; here it is a reference by id (monolith.{local}), "
                            "its queries must become calls to the monolith's API",
                        )
                        continue
                    vendor_mod = dep if kind != "module" else qual
                    reason = self.vendor_reason(vendor_mod) or (None if m.migration else self.data_reason(vendor_mod))
                    if reason is None:
                        vendored.add(vendor_mod)
                        seen.discard(vendor_mod)  # read for bases.py only so far: now all of it
                        queue.append(vendor_mod)
                        continue
                    if kind == "module":
                        # a whole module that cannot be copied: the import stays and says so
                        todo.setdefault(
                            qual, f"{qual} stays in the monolith and cannot be copied into the service: {reason}"
                        )
                        sites.setdefault(qual, (m.path, imp.line))
                        continue
                    part = self._slice(dep, qual.rpartition(".")[2])
                    if part is not None and dep not in vendored:
                        slices.setdefault(dep, set()).update(part)
                        seen.discard(dep)  # its imports are read again for the names the slice uses
                        queue.append(dep)
                        continue
                    if self._derives_from(qual, _SIGNALS):
                        signal_classes[qual] = reason
                        retarget[qual] = monolith
                        todo[qual] = (
                            f"{qual} is a Signal class of the monolith ({reason}): here it is a plain "
                            "django.dispatch.Signal subclass of the same name; what the monolith's class adds "
                            "to sending (filtering receivers, extra methods) does not run in the service"
                        )
                        sites.setdefault(qual, (m.path, imp.line))
                        continue
                    site = self._admin_site(qual)
                    if site is not None:
                        admin_sites[qual] = site
                        retarget[qual] = monolith
                        todo[qual] = (
                            f"{qual} is an admin site of the monolith ({reason}): here it is an admin site of "
                            f"the service named {site!r}, which the moved admin registers with; the monolith's "
                            "own admin pages stay there"
                        )
                        sites.setdefault(qual, (m.path, imp.line))
                        continue
                    stand_ins[qual] = f"{self.p.module_of(qual)} cannot be copied into the service: {reason}"
                    retarget[qual] = monolith
                    todo[qual] = (
                        f"{qual} stays in the monolith ({reason}): the service imports a stand-in that raises when "
                        "used; move it with the service, make its module pure, or call it back"
                    )
                    sites.setdefault(qual, (m.path, imp.line))
            # a function called back whose module can be copied, and which is pure (uses no staying data)
            # or decorated (its name binds what the decorator returns, not a function to call over
            # HTTP), is used from the copy: a validator or a permission predicate has no business
            # going over HTTP
            found = [cb for cb in callbacks if self._copyable_function(cb.qualname, service | vendored)]
            # a decorated one whose module cannot be copied whole is copied alone when it can be, and so is a
            # query builder (its result, a Prefetch, a Q or a queryset, has no wire form to come back in)
            parts = {cb.qualname: self._decorated_slice(cb.qualname) for cb in callbacks if cb not in found}
            for cb in callbacks:
                if cb not in found and not parts.get(cb.qualname):
                    parts[cb.qualname] = self._query_builder_slice(cb.qualname)
                    if parts[cb.qualname]:
                        self.query_builders.add(cb.qualname)
            found += [cb for cb in callbacks if parts.get(cb.qualname)]
            # what the staying apps register at start-up into code the service copies comes along
            registrations = [r for r in self._startup_registrations(service | vendored) if r not in vendored]
            for mod in registrations:
                startup.append(mod)
                vendored.add(mod)
                seen.discard(mod)
                queue.append(mod)
            if not found and not registrations:
                break
            for cb in found:
                callbacks.remove(cb)
                retarget.pop(cb.qualname, None)
                todo.pop(cb.qualname, None)
                self.vendored_functions.add(cb.qualname)
                owner = cb.qualname.rpartition(".")[0]  # a module: _copyable_function said so
                part = parts.get(cb.qualname)
                if part:
                    slices.setdefault(owner, set()).update(part)
                    seen.discard(owner)
                    queue.append(owner)
                elif owner not in service and owner not in vendored:
                    vendored.add(owner)
                    seen.discard(owner)
                    queue.append(owner)
        # the TODO of a name whose module is now copied is gone: it imports as it did
        for qual in list(todo):
            if qual not in retarget and self.p.module_of(qual) in vendored:
                del todo[qual]
        slices = {mod: names for mod, names in slices.items() if mod not in vendored and mod not in service}
        for qual in list(todo):  # a name copied in a slice imports as it did
            owner, _, last = qual.rpartition(".")
            if qual not in retarget and last in slices.get(owner, ()):
                del todo[qual]
        packages = self._stub_packages(service | vendored | set(slices))
        self.manual.extend(self._import_time_queries(set(remote_models)))
        stand_ins.update(self._classes_of_staying_models())
        for qual, (path, line) in sorted(sites.items()):
            self.manual.append(ManualStep(path, line, "vendor", todo.get(qual) or f"{qual} stays in the monolith"))
        return dataclasses.replace(
            rewrites,
            retarget=dict(sorted(retarget.items())),
            todo=dict(sorted(todo.items())),
            remote_models=dict(sorted(remote_models.items())),
            abstract_bases=tuple(abstract_bases),
            callbacks=tuple(callbacks),
            vendored=tuple(sorted(vendored)),
            slices={mod: tuple(definitions_used(self.p.modules[mod], sorted(n))) for mod, n in sorted(slices.items())},
            packages=packages,
            stand_ins=dict(sorted(stand_ins.items())),
            admin_sites=dict(sorted(admin_sites.items())),
            signal_classes=dict(sorted(signal_classes.items())),
            commands=commands,
            startup=tuple(sorted(startup)),
        )

    def _startup_registrations(self, copied: set[str]) -> list[str]:
        """Staying modules a staying app's ``AppConfig.ready()`` imports that subclass a class of ``copied``
        code and can be copied whole: a registry filled by subclassing (pretalx's ``class
        SchedulePhrases(Phrases, app="schedule")``, which its metaclass puts in the phrase book the moved
        code reads as ``phrases.schedule``). The service's own app imports them when it is ready."""
        out: set[str] = set()
        for app in self.p.apps:
            m = self.p.modules.get(f"{app.name}.apps")
            if m is None or app.label in self.apps or m.name in copied:
                continue
            for dotted, _line in m.ready_imports():
                mod = self.p.module_of(dotted)
                if mod is not None and mod not in copied and self._registers_into(mod, copied):
                    out.add(mod)
        return sorted(out)

    def _registers_into(self, mod: str, copied: set[str]) -> bool:
        """Whether staying module ``mod`` can be copied whole and defines a subclass of a class of ``copied``."""
        if mod in self.moved or self.vendor_reason(mod) is not None or self.data_reason(mod) is not None:
            return False
        return any(dep in copied for dep in self.p.base_modules(self.p.modules[mod]))

    def _classes_of_staying_models(self) -> dict[str, str]:
        """Moved classes built on a staying model by their ``Meta.model`` (a ``ModelForm``, a DRF
        ``ModelSerializer``, a ``FilterSet``, a ``Table``) → why the service has a stand-in for them: their
        metaclass reads the model's fields at import, which the service's reference class has not (pretalx's
        ``WidgetGenerationForm`` of ``event.Event``: "type object 'Event' has no attribute '_meta'")."""
        out: dict[str, str] = {}
        for name in sorted(self.moved):
            m = self.p.modules[name]
            if m.test or m.migration:
                continue
            for cls in m.tree.body:
                if not isinstance(cls, ast.ClassDef):
                    continue
                meta = next((n for n in cls.body if isinstance(n, ast.ClassDef) and n.name == "Meta"), None)
                for node in meta.body if meta is not None else []:
                    if not (
                        isinstance(node, ast.Assign)
                        and any(isinstance(t, ast.Name) and t.id == "model" for t in node.targets)
                    ):
                        continue
                    dotted = self.p.resolve(m, node.value)
                    mf = self.p.model_by_name(dotted) if dotted else None
                    if mf is None or mf.abstract or mf.module in self.moved:
                        continue
                    reason = (
                        f"a class built on {mf.label} (Meta.model), which stays in the monolith: its metaclass "
                        "reads the model's fields at import, which the service's reference class has not; it "
                        f"belongs with {mf.label}"
                    )
                    out[f"{name}.{cls.name}"] = reason
                    self.manual.append(
                        ManualStep(
                            m.path,
                            cls.lineno,
                            "shared contract",
                            f"{cls.name} is {reason}: the service has a stand-in that raises when used; move it "
                            "to the monolith (with its uses) or make it a plain class of the service",
                        )
                    )
        return out

    def _import_time_queries(self, references: set[str]) -> list[ManualStep]:
        """Where a moved module queries a staying model at import (a form field's
        ``queryset=Model.objects.none()``, a module-level queryset): the service's reference class answers
        with a lazy query, empty for ``none()``, that raises when anything else is evaluated."""
        out: list[ManualStep] = []
        for name in sorted(self.moved):
            m = self.p.modules[name]
            stack: list[ast.AST] = list(m.tree.body)
            while stack:
                node = stack.pop()
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    stack += [*node.decorator_list, *node.args.defaults]
                    stack += [d for d in node.args.kw_defaults if d is not None]
                    continue  # the body runs when called, not at import
                if isinstance(node, ast.Lambda):
                    continue
                stack += list(ast.iter_child_nodes(node))
                if not (isinstance(node, ast.Attribute) and node.attr == "objects"):
                    continue
                dotted = self.p.resolve(m, node.value)
                mf = self.p.model_by_name(dotted) if dotted else None
                if mf is None or mf.abstract or mf.module in self.moved or mf.label not in references:
                    continue
                out.append(
                    ManualStep(
                        m.path,
                        node.lineno,
                        "API composition",
                        f"the moved code queries {mf.label}, which stays in the monolith, at import "
                        f"({ast.unparse(node)}...): in the service it is a lazy query of the reference class "
                        "(none() is empty; evaluating anything else raises RemoteQueryUnsupported): make it a "
                        "call to the monolith's API",
                    )
                )
        return out

    def _migration_commands(self, service: set[str]) -> dict[str, str]:
        """Django's migration commands (:data:`MIGRATION_COMMANDS`) the monolith runs from a staying app's
        override → that module, when it can be copied whole; an override that cannot is a manual step.

        The override Django runs is the first installed app's that defines it (``get_commands()``); one of a
        moved app or of an app the service installs comes along already. The service runs the copied
        migrations, so it must judge them as the monolith does: pretalx's ``makemigrations`` ignores
        verbose names, help texts and choices, which its migrations therefore do not carry."""
        out: dict[str, str] = {}
        for command in MIGRATION_COMMANDS:
            mod = next(
                (
                    f"{a.name}.management.commands.{command}"
                    for a in self.p.apps
                    if f"{a.name}.management.commands.{command}" in self.p.modules
                ),
                None,
            )
            if mod is None or mod in service or mod in self.moved:
                continue
            reason = self.vendor_reason(mod) or self.data_reason(mod)
            if reason is None:
                out[command] = mod
                continue
            self.manual.append(
                ManualStep(
                    self.p.modules[mod].path,
                    1,
                    "vendor",
                    f"the monolith's {command} command is {mod}, which cannot be copied into the service "
                    f"({reason}): the service runs Django's own, which may judge the copied migrations "
                    "differently (makemigrations --check listing changes the monolith's command ignores)",
                )
            )
        return out

    def reclassified(self, dependencies: tuple[Dependency, ...]) -> tuple[Dependency, ...]:
        """``dependencies`` with the functions :meth:`vendoring` found pure in a copied module as shared
        kernel (no call back, no API-composition step for them)."""
        pure = self.vendored_functions
        if not pure:
            return dependencies
        self.manual[:] = [
            s
            for s in self.manual
            if not (s.pattern == "API composition" and any(f"uses {q}," in s.message for q in pure))
        ]
        reason = "a pure function of a staying module the service copies whole: used from that copy"
        builder = (
            "it builds a query without running it (a query expression, or the queryset it is given with more "
            "added), which has no wire form to come back in over HTTP: copied into the service, the staying "
            "models it names are references there"
        )
        return tuple(
            dataclasses.replace(
                d,
                classification="shared_kernel",
                reason=builder if f"{d.module}.{d.symbol}" in self.query_builders else reason,
            )
            if d.classification == "callback" and f"{d.module}.{d.symbol}" in pure
            else d
            for d in dependencies
        )

    def _slice(self, mod: str, name: str, *, references: bool = False) -> set[str] | None:
        """The definitions of ``mod`` a copy of ``name`` needs, when they define no model and use no staying
        model (the module as a whole reads staying data or registers something, the definition does not);
        else None. With ``references``, the staying models they use are allowed: in the copy they are the
        service's references (a query builder's, which runs no query of them)."""
        m = self.p.modules.get(mod)
        if m is None or m.test or m.migration or name not in m.defs:
            return None
        if self.vendor_reason(mod) in ("the monolith's settings", "a test module", "a migration of a staying app"):
            return None
        names = definitions_used(m, [name])
        external = set(external_models(self.p, m))
        for n in names:
            if f"{mod}.{n}" in self.p.models or f"{mod}.{n}" in self.p.signals or n in external:
                return None
            node = m.defs[n]
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and node.decorator_list:
                if any(self._reaches_staying(m, d) for d in node.decorator_list):
                    return None
        for local in () if references else self._names_used(m, set(names)):
            target = m.imports[local]
            c = self.canonical(target)
            if c is None:
                continue
            mf = self.p.models.get(c[1]) if c[0] == "model" else None
            if mf is not None and not mf.abstract and mf.module not in self.moved:
                return None  # it reads staying data
        return set(names)

    def _derives_from(self, qual: str, bases: frozenset[str]) -> bool:
        """Whether ``qual`` is a project class with one of ``bases`` among its bases (followed through the
        project's classes)."""
        frontier = [qual]
        seen: set[str] = set()
        for _ in range(8):
            nxt = []
            for dotted in frontier:
                if dotted in bases:
                    return True
                if dotted in seen:
                    continue
                seen.add(dotted)
                s = self.p.split_symbol(dotted)
                mod = self.p.modules.get(s[0]) if s else None
                cls = mod.defs.get(s[1]) if mod is not None and s else None
                if mod is not None and isinstance(cls, ast.ClassDef):
                    nxt += [b for b in (self.p.resolve(mod, base) for base in cls.bases) if b]
            frontier = nxt
        return False

    def _admin_site(self, qual: str) -> str | None:
        """The ``name`` of the Django admin site ``qual`` is (``x = SomeAdminSite(name="x")`` with
        ``AdminSite`` among the class's bases, followed through the project), or None."""
        mod, _, name = qual.rpartition(".")
        m = self.p.modules.get(mod)
        node = m.defs.get(name) if m is not None else None
        if m is None or not isinstance(node, ast.Assign) or not isinstance(node.value, ast.Call):
            return None
        call = node.value
        frontier = [(m, call.func)]
        for _ in range(8):
            nxt = []
            for owner, expr in frontier:
                dotted = self.p.resolve(owner, expr) or ""
                if dotted in _ADMIN_SITES:
                    site = next((k.value for k in call.keywords if k.arg == "name"), None)
                    if isinstance(site, ast.Constant) and isinstance(site.value, str):
                        return site.value
                    return "admin"
                s = self.p.split_symbol(dotted)
                cls_mod = self.p.modules.get(s[0]) if s else None
                cls = cls_mod.defs.get(s[1]) if cls_mod is not None and s else None
                if cls_mod is not None and isinstance(cls, ast.ClassDef):
                    nxt += [(cls_mod, b) for b in cls.bases]
            frontier = nxt
        return None

    def _decorated_slice(self, qualname: str) -> set[str] | None:
        """The slice of a decorated staying function (its name binds what the decorator returns, e.g. a
        permission predicate combined with ``&`` at import: no function to call over HTTP), or None."""
        mod, _, name = qualname.rpartition(".")
        m = self.p.modules.get(mod)
        node = m.defs.get(name) if m is not None else None
        if m is None or mod in self.moved or not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            return None
        return self._slice(mod, name) if node.decorator_list else None

    def _query_builder_slice(self, qualname: str) -> set[str] | None:
        """The slice of a staying function that builds a query without running it (it returns a Django query
        expression: a ``Prefetch``, a ``Q``, a ``Case``..., or the queryset it was given with filters or annotations
        added), or None. Its result has no wire form, so it cannot be called back over HTTP; a copy runs in the
        service, where the staying models it names are the references (their ``objects`` the monolith's remote
        ORM, evaluated only when the query is)."""
        mod, _, name = qualname.rpartition(".")
        m = self.p.modules.get(mod)
        node = m.defs.get(name) if m is not None else None
        if m is None or mod in self.moved or not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            return None
        if not self._builds_query(m, node, set()):
            return None
        return self._slice(mod, name, references=True)

    def _builds_query(self, m: F.Module, fn: ast.FunctionDef | ast.AsyncFunctionDef, seen: set[str]) -> bool:
        """Whether every ``return`` of ``fn`` is a query it builds (a query expression, a queryset of a parameter
        with building methods chained, the result of another such function of ``m``) or a parameter returned as
        it came, at least one the former, and ``fn`` runs no query (no ``get``, ``exists``, ``count``, ``save``...)."""
        if fn.name in seen:
            return True  # optimistic inside a recursion
        seen.add(fn.name)
        nodes = list(_own_nodes(fn))
        if any(isinstance(n, ast.Yield | ast.YieldFrom | ast.Await) for n in nodes):
            return False
        for n in nodes:
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in _QUERYSET_RUNNING:
                return False
        returns = [n for n in nodes if isinstance(n, ast.Return)]
        if not returns or any(r.value is None for r in returns):
            return False
        params = {a.arg for a in (*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs)}
        kinds = [self._query_value(m, fn, nodes, params, r.value, seen, set()) for r in returns if r.value is not None]
        return None not in kinds and "built" in kinds

    def _query_value(
        self,
        m: F.Module,
        fn: ast.FunctionDef | ast.AsyncFunctionDef,
        nodes: list[ast.AST],
        params: set[str],
        expr: ast.expr,
        seen: set[str],
        names: set[str],
    ) -> str | None:
        """What ``expr`` in ``fn`` is: ``"built"`` (a query it builds), ``"passed"`` (a parameter as it came) or None
        (anything else)."""

        def value(e: ast.expr) -> str | None:
            return self._query_value(m, fn, nodes, params, e, seen, names)

        if isinstance(expr, ast.Call):
            func = expr.func
            if isinstance(func, ast.Attribute) and func.attr in _QUERYSET_BUILDING:
                return "built" if value(func.value) is not None else None
            dotted = self.p.resolve(m, func) or ""
            if dotted.startswith("django.") and (
                dotted.rpartition(".")[2] in _EXPRESSIONS
                and dotted.startswith("django.db.models.")
                or dotted.startswith(_EXPRESSION_MODULES)
            ):
                return "built"
            local = m.defs.get(func.id) if isinstance(func, ast.Name) and func.id not in m.imports else None
            if isinstance(local, ast.FunctionDef | ast.AsyncFunctionDef) and self._builds_query(m, local, seen):
                return "built"
            return None
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.BitOr | ast.BitAnd | ast.BitXor):
            sides = (value(expr.left), value(expr.right))
            return "built" if None not in sides else None
        if isinstance(expr, ast.UnaryOp) and isinstance(expr.op, ast.Invert):
            return "built" if value(expr.operand) == "built" else None
        if isinstance(expr, ast.IfExp):
            sides = (value(expr.body), value(expr.orelse))
            return None if None in sides else "built" if "built" in sides else "passed"
        if isinstance(expr, ast.Name):
            if expr.id in names:
                return "passed"  # ``qs = qs.filter(...)``: what it was before is judged by its other assignments
            bound = [
                n.value
                for n in nodes
                if isinstance(n, ast.Assign | ast.AugAssign | ast.AnnAssign)
                and any(isinstance(t, ast.Name) and t.id == expr.id for t in _targets(n))
            ]
            rebound = any(
                isinstance(n, ast.For | ast.With | ast.comprehension | ast.NamedExpr)
                and any(isinstance(t, ast.Name) and t.id == expr.id for t in ast.walk(_bound_target(n)))
                for n in nodes
            )
            if rebound or (not bound and expr.id not in params):
                return None
            names = names | {expr.id}
            kinds = [self._query_value(m, fn, nodes, params, v, seen, names) for v in bound if v is not None]
            if None in kinds:
                return None
            return "built" if "built" in kinds else "passed"
        return None

    def _names_used(self, m: F.Module, names: set[str]) -> set[str]:
        """The import-bound names the definitions ``names`` of ``m`` use."""
        out: set[str] = set()
        for name in names:
            node = m.defs.get(name)
            if node is not None:
                out |= {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and n.id in m.imports}
        return out

    @property
    def vendored_functions(self) -> set[str]:
        """Staying functions the classification called back that the service uses from its copy."""
        found: set[str] = self.__dict__.setdefault("_vendored_functions", set())
        return found

    @property
    def query_builders(self) -> set[str]:
        """Staying functions the classification called back that build a query: copied into the service."""
        found: set[str] = self.__dict__.setdefault("_query_builders", set())
        return found

    def _copyable_function(self, qualname: str, copied: set[str]) -> bool:
        """Whether a staying function called back can be used from a copy of its module instead."""
        mod, _, name = qualname.rpartition(".")
        m = self.p.modules.get(mod)
        node = m.defs.get(name) if m is not None else None
        if m is None or mod in self.moved or not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            return False
        if mod not in copied and (self.vendor_reason(mod) is not None or self.data_reason(mod) is not None):
            return False  # a module that reads staying data is not copied for one of its functions
        return bool(node.decorator_list) or self._pure_function(qualname, copied, set())

    def _pure_function(self, qualname: str, copied: set[str], seen: set[str]) -> bool:
        """Whether a function of a copied module names only copied, moved or third-party code (no
        staying model, nothing that stays)."""
        if qualname in seen:
            return True
        seen.add(qualname)
        mod, _, name = qualname.rpartition(".")
        m = self.p.modules.get(mod)
        node = m.defs.get(name) if m is not None else None
        if m is None or not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            return False
        for n in ast.walk(node):
            if isinstance(n, ast.Call) and self.staying_app_config(m, n) is not None:
                return False  # it reads what a staying app set up at start-up: only the monolith has it
            if not isinstance(n, ast.Name | ast.Attribute):
                continue
            dotted = self.p.resolve(m, n)
            dep = self.p.module_of(dotted) if dotted else None
            if dotted is None or dep is None or dep in self.moved:
                continue
            mf = self.p.model_by_name(dotted)
            if mf is not None and not mf.abstract and mf.module not in self.moved:
                return False
            if dep not in copied and (self.vendor_reason(dep) is not None or self.data_reason(dep) is not None):
                return False
            if dep == mod and isinstance(m.defs.get(dotted.rpartition(".")[2]), ast.FunctionDef | ast.AsyncFunctionDef):
                if not self._pure_function(dotted, copied, seen):
                    return False
        return True

    def _bases_names(self, mod: str, abstract_bases: list[str]) -> set[str]:
        """Names the abstract bases copied from ``mod`` into bases.py use (what bases.py imports)."""
        m = self.p.modules[mod]
        out: set[str] = set()
        for dotted in abstract_bases:
            owner, _, cls = dotted.rpartition(".")
            node = m.defs.get(cls) if owner == mod else None
            if node is not None:
                for used in definitions_used(m, [cls]):
                    out |= {n.id for n in ast.walk(m.defs[used]) if isinstance(n, ast.Name)}
        return out

    def _stub_packages(self, copied: set[str]) -> tuple[str, ...]:
        """``__init__.py`` paths of the parent folders of copied modules that no copied module provides."""
        provided = {self.p.modules[n].path for n in copied if n in self.p.modules}
        provided |= {m.path for m in self.p.modules.values() if m.name in self.moved}
        out: set[str] = set()
        for name in copied:
            m = self.p.modules.get(name)
            if m is None:
                continue
            parts = name.split(".")
            dirs = m.path.split("/")[:-1]
            is_package = m.path.endswith("/__init__.py")
            offset = len(dirs) - (len(parts) - (0 if is_package else 1))
            for i in range(1, len(parts)):
                if offset + i <= 0 or offset + i > len(dirs):
                    continue
                init = "/".join(dirs[: offset + i]) + "/__init__.py"
                if init not in provided:
                    out.add(init)
        return tuple(sorted(out))


def external_models(index: F.CodeIndex, m: F.Module) -> list[str]:
    """Classes of ``m`` built on a third-party app's model class (``<pkg>.models.<Base>``, outside
    Django's own ``django.db.models``): the analysis does not know them as models, but they may be
    (a settings store a library creates at import), so they are never copied."""
    out = []
    for c in m.facts.classes:
        if f"{m.name}.{c.name}" in index.models:
            continue  # a model the analysis knows (abstract ones are copied; a mixin base is no model)
        for b in c.bases:
            base = b.lstrip("*")
            parts = base.split(".")
            if (
                len(parts) >= 3
                and parts[-2] == "models"
                and not base.startswith("django.")
                and index.module_of(base) is None
            ):
                out.append(c.name)
                break
    return sorted(out)


def _own_nodes(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> Iterable[ast.AST]:
    """The nodes of ``fn``'s body, not those of the functions, lambdas and classes it defines."""
    stack: list[ast.AST] = list(fn.body)
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef):
            stack += list(ast.iter_child_nodes(node))


def _targets(node: ast.Assign | ast.AugAssign | ast.AnnAssign) -> list[ast.expr]:
    return list(node.targets) if isinstance(node, ast.Assign) else [node.target]


def _bound_target(node: ast.AST) -> ast.AST:
    """What a ``for``, ``with``, comprehension or ``:=`` binds."""
    if isinstance(node, ast.With):
        return ast.Tuple(elts=[i.optional_vars for i in node.items if i.optional_vars is not None], ctx=ast.Store())
    return node.target  # type: ignore[attr-defined]


def definitions_used(m: F.Module, names: Iterable[str]) -> list[str]:
    """``names`` and the top-level definitions of ``m`` they use, transitively, in source order: what a
    copy of ``names`` alone needs from its module (an abstract base's mixins defined beside it).

    Names bound by imports are not definitions (the copy imports them)."""
    order = {name: i for i, name in enumerate(m.defs)}
    found: set[str] = set()
    stack = list(names)
    while stack:
        name = stack.pop()
        if name in found or name not in m.defs:
            continue
        found.add(name)
        for n in ast.walk(m.defs[name]):
            if isinstance(n, ast.Name) and n.id in m.defs and n.id not in m.imports:
                stack.append(n.id)
    return sorted(found, key=order.__getitem__)


def _parents(name: str) -> list[str]:
    """``a.b.c`` → ``["a.b", "a"]``."""
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(len(parts) - 1, 0, -1)]
