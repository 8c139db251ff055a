"""What the moved code needs from staying code: shared kernel (vendored), cut, bridge or call back, with the reason."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from decompose.extract.plan import index as F
from decompose.extract.plan.state import PlannerState
from decompose.extract.plan.values import Dependency, ManualStep
from decompose.extract.plan.vendor import external_models
from decompose.graph import Evidence


class KernelPart(PlannerState):
    def _moved_decorators(self) -> frozenset[str]:
        """Staying names the moved code applies as decorators (``@minimum_interval(15)``, ``@cached``):
        read from the moved modules' trees, once."""
        import ast

        found = getattr(self, "_decorators_found", None)
        if found is not None:
            return found
        out: set[str] = set()
        for name in sorted(self.moved):
            m = self.p.modules[name]
            if m.migration:
                continue
            try:
                if "@" not in m.source:
                    continue
                tree = m.tree
            except F.ModuleUnreadable:
                continue
            for node in ast.walk(tree):
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    for dec in node.decorator_list:
                        target = dec.func if isinstance(dec, ast.Call) else dec
                        dotted = self.p.resolve(m, target)
                        if dotted and not self.is_moved(dotted):
                            out.add(dotted)
        self._decorators_found = frozenset(out)
        return self._decorators_found

    def _is_function(self, mod: str, sym: str) -> bool:
        """Whether ``mod.sym`` is a function defined at module level (what a call back can be)."""
        import ast

        m = self.p.modules.get(mod)
        if m is None or not sym or "." in sym or not m.defines(sym):
            return False
        return isinstance(m.defs.get(sym), (ast.FunctionDef, ast.AsyncFunctionDef))

    def _find_kernel_apps(self) -> None:
        """Staying apps whose code imports no other local app (except other such apps)."""
        settings_top = (self.p.settings_module or "").split(".")[0]
        candidates = {a for a in self.app_paths if a not in self.apps}
        changed = True
        while changed:
            changed = False
            for app in sorted(candidates):
                ok = True
                for m in self.p.modules.values():
                    if m.app != app or m.test or m.migration:
                        continue
                    for target in m.import_targets:
                        dep = self.p.module_of(target)
                        if dep is None:
                            continue
                        dm = self.p.modules[dep]
                        if dm.app == app or (
                            dm.app is None
                            and not (settings_top and dep.split(".")[0] == settings_top)
                            and self._plain_kernel(dep, {})
                        ):
                            continue
                        ok = False
                        break
                    if not ok:
                        break
                if not ok:
                    candidates.discard(app)
                    changed = True
        self.kernel_apps = candidates

    def _plain_kernel(self, mod: str, seen: dict[str, bool]) -> bool:
        """A module outside any app that imports only stdlib/third-party or other such modules."""
        if mod in seen:
            return seen[mod]
        seen[mod] = True
        m = self.p.modules.get(mod)
        ok = (
            m is not None
            and m.app is None
            and not m.test
            and not any(mf.module == mod and not mf.abstract for mf in self.p.models.values())
        )
        if ok and m is not None:
            for target in m.import_targets:
                dep = self.p.module_of(target)
                if dep is not None and dep != mod and not self._plain_kernel(dep, seen):
                    ok = False
                    break
        seen[mod] = ok
        return ok

    def _kernel_ok(self, mod: str, seen: dict[str, bool]) -> bool:
        if mod in seen:
            return seen[mod]
        mm = self.p.modules.get(mod)
        if mm is not None and mm.app in self.kernel_apps:
            seen[mod] = True
            return True
        seen[mod] = True  # optimistic for cycles
        m = self.p.modules.get(mod)
        ok = m is not None and mod not in self.moved and not m.migration and not m.test
        if ok and self.p.settings_module:
            top = self.p.settings_module.split(".")[0]
            ok = mod != top and not mod.startswith(top + ".")
        if ok and m is not None:
            if any(mf.module == mod and not mf.abstract for mf in self.p.models.values()):
                ok = False
            elif external_models(self.p, m):  # classes of a third-party app's models
                ok = False
            elif any(s.startswith(mod + ".") and s.rsplit(".", 1)[0] == mod for s in self.p.signals):
                ok = False
            elif m.path.rsplit("/", 1)[-1] in ("views.py", "urls.py", "admin.py", "apps.py"):
                ok = False
            else:
                for target in sorted(set(m.import_targets)):
                    dep = self.p.module_of(target)
                    if dep is not None and dep != mod and not self._kernel_ok(dep, seen):
                        ok = False
                        break
        seen[mod] = ok
        return ok

    def _kernel_closure(self, mods: Iterable[str]) -> set[str]:
        kernel_seen: dict[str, bool] = {}
        return self.import_closure(mods, lambda dep: self._kernel_ok(dep, kernel_seen))

    def classify(
        self, deps: dict[tuple[str, str], list[Evidence]], kinds: dict[tuple[str, str], set[str]]
    ) -> tuple[tuple[Dependency, ...], tuple[str, ...]]:
        out: list[Dependency] = []
        seen: dict[str, bool] = {}
        kernel_roots: set[str] = set()
        importers: dict[str, set[str]] = defaultdict(set)
        for name, m in self.p.modules.items():
            for target in m.import_targets:
                dep = self.p.module_of(target)
                if dep and dep != name:
                    importers[dep].add(name)
        test_paths = {m.path for m in self.p.modules.values() if m.test}
        # an app whose DATA the moved code uses (its concrete models referenced, or targeted by a
        # moved model's relation) is not a shared kernel, however self-contained its code is
        data_apps: set[str] = set()
        for mod, sym in deps:
            mf = self.p.models.get(f"{mod}.{sym}")
            if mf is not None and not mf.abstract:
                data_apps.add(mf.label.split(".", 1)[0])
        for mf in self.p.models.values():
            if mf.module in self.moved:
                for fl in mf.fields:
                    if fl.is_relation and fl.target:
                        data_apps.add(fl.target.split(".", 1)[0])
        self.kernel_apps -= data_apps
        for (mod, sym), evs in sorted(deps.items()):
            k = kinds[(mod, sym)]
            what = f"{mod}.{sym}" if sym else mod
            app = self.p.modules[mod].app if mod in self.p.modules else None
            if app in self.kernel_apps:
                cls, reason = (
                    "shared_kernel",
                    f"app {app!r} depends on no other local app: vendored whole into the service",
                )
                self.used_kernel_apps.add(app)
            elif "signal" in k:
                cls, reason = (
                    "bridge",
                    "a signal defined in the monolith: the service keeps its own copy and the monolith posts the event",
                )
            elif k == {"abstract"}:
                cls, reason = (
                    "shared_kernel",
                    "an abstract base model: its definition is copied into the service (bases.py)",
                )
            elif k <= {"cut", "abstract"} and "cut" in k:
                cls, reason = (
                    "cut",
                    "a staying model used as a relation target, annotation or sender: a reference by id",
                )
            elif "query" in k:
                cls, reason = (
                    "callback",
                    "the moved code queries a model that stays: call the monolith's API (API composition)",
                )
            elif sym and f"{mod}.{sym}" in self._moved_decorators() and "query" not in k:
                cls, reason = (
                    "contract",
                    (
                        "a decorator the moved code applies at import: it cannot be called over HTTP (it must "
                        "return the decorated function); its definition is copied into the service when it "
                        "reads no staying data, else the service gets a stand-in naming it"
                    ),
                )
            elif sym and (app_read := self.function_reads_staying_app(mod, sym)) is not None:
                cls, reason = (
                    "callback",
                    (
                        f"it looks up the configuration of the staying app {app_read!r} (apps.get_app_config), "
                        "which only the monolith installs and sets up: call it back over HTTP"
                    ),
                )
            elif self._kernel_ok(mod, seen):
                cls, reason = (
                    "shared_kernel",
                    "no models, signals or views and depends only on other shared code: copied into the service",
                )
                kernel_roots.add(mod)
            elif not self._is_function(mod, sym):
                cls, reason = (
                    "contract",
                    (
                        "a class, constant or module of staying code (a form, mixin, exception, serializer...) that "
                        "depends on staying data or views: it cannot be called over HTTP; copy it into the service "
                        "as a shared contract, or move its module with the service"
                    ),
                )
            elif importers[mod] and importers[mod] <= self.moved:
                cls, reason = (
                    "callback",
                    (
                        "used only by the moved code: it should move with the service (add its app to the "
                        "selection); until then it is called back over HTTP"
                    ),
                )
            else:
                cls, reason = "callback", "staying code with its own data or dependencies: call it back over HTTP"
            out.append(Dependency(mod, sym, cls, reason, tuple(sorted(set(evs)))))
            code_evs = sorted(e for e in set(evs) if e.path not in test_paths)
            if cls == "callback" and code_evs:
                ev = code_evs[0]
                self.manual.append(
                    ManualStep(
                        ev.path,
                        ev.line,
                        "API composition",
                        f"moved code uses {what}, which stays in the monolith: the service calls it back at "
                        f"POST /api/v1/callbacks/{what} on the monolith, which must expose it",
                    )
                )
        kernel = {m for m in self._kernel_closure(kernel_roots) if self.p.modules[m].app not in self.kernel_apps}
        # kernel apps the moved code or the vendored modules use, and what those use in turn
        used = set(self.used_kernel_apps)
        frontier = sorted(kernel) + sorted(n for n, mm in self.p.modules.items() if mm.app in used)
        visited: set[str] = set()
        while frontier:
            mod = frontier.pop()
            if mod in visited:
                continue
            visited.add(mod)
            for target in sorted(self.p.modules[mod].import_targets):
                dep = self.p.module_of(target)
                if dep is None:
                    continue
                app = self.p.modules[dep].app
                if app in self.kernel_apps and app not in used:
                    used.add(app)
                    frontier += sorted(n for n, mm in self.p.modules.items() if mm.app == app)
                elif app is None and dep not in kernel and self._plain_kernel(dep, {}):
                    kernel |= self._kernel_closure([dep])
                    frontier.append(dep)
        self.used_kernel_apps = used
        return tuple(out), tuple(sorted(kernel))
