"""The planner's shared state and the questions every part asks: which side a name is on, what it is."""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from decompose.extract.plan import index as F
from decompose.extract.plan.values import ManualStep


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
