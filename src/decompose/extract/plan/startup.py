"""What a moved app registers into staying code when it is ready, kept in the monolith in remote mode.

A Django app's ``AppConfig.ready()`` often imports a module of its own only for what importing it does:
pretalx's ``ScheduleConfig.ready()`` imports ``pretalx.schedule.phrases``, whose
``class SchedulePhrases(Phrases, app="schedule")`` the staying ``Phrases`` metaclass puts in the
phrase book staying code reads as ``phrases.schedule``. In remote mode the moved app is not
installed, its ``ready()`` does not run, and staying code fails at import
(``'NoneType' object has no attribute 'speakers'``). Such a module can still be imported by the
monolith when it defines no model and imports no other moved code: the client package imports it
when it is ready (``STARTUP`` of the client module). One that does import moved code is named in a
manual step instead.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from decompose.extract.plan import index as F
from decompose.extract.plan.state import PlannerState
from decompose.extract.plan.values import ManualStep
from decompose.scan.source import absolute_module


def _module_level_imports(tree: ast.Module, package: str) -> Iterator[tuple[str, int]]:
    """(dotted name, line) of every import a module runs when it is imported (not inside functions)."""
    stack: list[ast.stmt] = list(tree.body)
    while stack:
        node = stack.pop(0)
        if isinstance(node, ast.Import):
            yield from ((a.name, node.lineno) for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = absolute_module(package, node.module, node.level) or ""
            yield base, node.lineno
            yield from ((f"{base}.{a.name}", node.lineno) for a in node.names if a.name != "*")
        elif isinstance(node, (ast.If, ast.Try, ast.With)):
            for field in ("body", "orelse", "handlers", "finalbody"):
                for child in getattr(node, field, ()):
                    stack.extend(child.body if isinstance(child, ast.ExceptHandler) else [child])


class StartupPart(PlannerState):
    """The moved modules the monolith still imports at start-up in remote mode (see the module docstring)."""

    def remote_startup(self) -> tuple[str, ...]:
        out: set[str] = set()
        for app in self.p.apps:
            if app.label not in self.apps:
                continue
            m = self.p.modules.get(f"{app.name}.apps")
            if m is None:
                continue
            for mod, line in self._ready_imports(m):
                if not self._registers_into_staying(mod):
                    continue
                blocker = self._moved_import(mod)
                if blocker is None:
                    out.add(mod)
                else:
                    self.manual.append(
                        ManualStep(
                            m.path,
                            line,
                            "remote mode: start-up",
                            f"{app.label}'s ready() imports {mod}, which registers into staying code by subclassing "
                            f"a staying class, but it imports {blocker}, which moves: in remote mode the monolith "
                            "cannot import it, so what it registers is missing there. Move the registration into a "
                            "module that imports only staying code",
                        )
                    )
        return tuple(sorted(out))

    def _ready_imports(self, m: F.Module) -> Iterator[tuple[str, int]]:
        """(moved module, line) that an AppConfig's ``ready()`` in ``m`` imports."""
        for dotted, line in m.ready_imports():
            mod = self.p.module_of(dotted)
            if mod is not None and mod in self.moved:
                yield mod, line

    def _registers_into_staying(self, mod: str) -> bool:
        """Whether moved module ``mod`` defines a class with a base class of staying code."""
        m = self.p.modules[mod]
        if m.test or m.migration or any(mf.module == mod for mf in self.p.models.values()):
            return False
        return any(dep not in self.moved for dep in self.p.base_modules(m))

    def _moved_import(self, mod: str) -> str | None:
        """The first moved module (other than its own packages) that importing ``mod`` imports, else None."""
        parts = mod.split(".")
        chain = [".".join(parts[:i]) for i in range(1, len(parts) + 1)]
        own = set(chain)
        for name in chain:
            m = self.p.modules.get(name)
            if m is None:
                continue
            for dotted, _line in _module_level_imports(m.tree, m.package):
                dep = self.p.module_of(dotted)
                if dep is not None and dep in self.moved and dep not in own:
                    return dep
        return None
