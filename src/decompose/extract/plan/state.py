"""The planner's shared state and the questions every part asks: which side a name is on, what it is."""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from decompose.extract.plan import index as F
from decompose.extract.plan.values import ManualStep

#: Django's app registry lookup of an app's configuration, as code names it
_GET_APP_CONFIG = frozenset({"django.apps.apps.get_app_config", "django.apps.registry.apps.get_app_config"})


class PlannerState:
    """What every part of the planner reads and the manual steps they add to."""

    def __init__(self, index: F.CodeIndex, service: str, apps: tuple[str, ...]) -> None:
        self.p = index
        self.root: Path = index.root
        self.service = service
        self.apps = apps
        self.app_paths = index.app_paths
        self.moved = {n for n, m in self.p.modules.items() if m.app in apps}
        self.manual: list[ManualStep] = []
        self.kernel_apps: set[str] = set()
        self.used_kernel_apps: set[str] = set()
        self.module_deps: dict[str, set[tuple[str, str]]] = {}
        #: test modules outside the moved apps that test them (they move or stay whole, never use an API)
        self.outside_test_modules: set[str] = set()

    def is_moved(self, dotted: str | None) -> bool:
        if not dotted:
            return False
        mod = self.p.module_of(dotted)
        return mod is not None and mod in self.moved

    def is_internal(self, dotted: str | None) -> bool:
        return bool(dotted) and self.p.module_of(dotted) is not None  # type: ignore[arg-type]

    def model_side(self, mf: F.ModelFacts) -> str:
        return "service" if mf.module in self.moved else "monolith"

    if TYPE_CHECKING:  # each part of the planner uses the others' questions

        def scan_uses(self, m: F.Module, want: str) -> list[tuple[str, ast.AST, int]]: ...

        def _kernel_ok(self, mod: str, seen: dict[str, bool]) -> bool: ...

        def _admin_site(self, qual: str) -> str | None: ...

    def staying_app_config(self, m: F.Module, call: ast.Call) -> str | None:
        """The label of the staying app whose configuration ``call`` (in module ``m``) looks up:
        ``apps.get_app_config("common")`` with the literal label of a project app that neither moves nor comes
        along as a kernel app; else None. That ``AppConfig`` is the monolith's, with what its ``ready()`` set up
        (django-crm's notification mail sender, ``apps.get_app_config('common').nes``): the service does not
        install the app, so code that looks it up runs in the monolith only."""
        if not (call.args and isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str)):
            return None
        if (self.p.resolve(m, call.func) or "") not in _GET_APP_CONFIG:
            return None
        label = call.args[0].value
        staying = {a.label for a in self.p.apps} - set(self.apps) - self.kernel_apps - self.used_kernel_apps
        return label if label in staying else None

    def function_reads_staying_app(self, mod: str, name: str) -> str | None:
        """The label of a staying app whose configuration the module-level function ``mod.name`` looks up
        (:meth:`staying_app_config`), else None."""
        m = self.p.modules.get(mod)
        node = m.defs.get(name) if m is not None else None
        if m is None or not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            return None
        for n in ast.walk(node):
            label = self.staying_app_config(m, n) if isinstance(n, ast.Call) else None
            if label is not None:
                return label
        return None

    def import_closure(self, mods: Iterable[str], follow: Callable[[str], bool]) -> set[str]:
        """``mods`` that stay, their parent packages and, transitively, the staying modules they import
        that ``follow`` accepts (the shared kernel, what the pages need)."""
        out: set[str] = set()
        stack = list(mods)
        while stack:
            mod = stack.pop()
            if mod in out or mod in self.moved or mod not in self.p.modules:
                continue
            out.add(mod)
            parts = mod.split(".")
            stack += [pkg for pkg in (".".join(parts[:i]) for i in range(1, len(parts))) if pkg in self.p.modules]
            for target in self.p.modules[mod].import_targets:
                dep = self.p.module_of(target)
                if dep is not None and follow(dep):
                    stack.append(dep)
        return out

    def canonical(self, dotted: str) -> tuple[str, str, str] | None:
        """(kind, qualname, rest) for a reference: kind is function|model|signal|module|other."""
        s = self.p.split_symbol(dotted)
        if s is None:
            return ("module", dotted, "") if dotted in self.p.modules else None
        mod, rest = s
        head, _, tail = rest.partition(".")
        tm = self.p.modules[mod]
        if head in tm.exports and not tm.defines(head):  # re-export
            target = tm.exports.get(head, "")
            if target != dotted and self.is_internal(target):
                return self.canonical(target + (f".{tail}" if tail else ""))
        qual = f"{mod}.{head}"
        if qual in self.p.models:
            return "model", qual, tail
        if qual in self.p.signals:
            return "signal", qual, tail
        node = tm.defs.get(head)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return "function", qual, tail
        if f"{mod}.{head}" in self.p.modules:
            return "module", f"{mod}.{head}", tail
        return "other", qual, tail

    def _label_moved(self, label: str) -> bool:
        mf = self.p.model_by_label(label)
        return mf is not None and mf.module in self.moved
