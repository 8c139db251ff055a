"""What the service's code becomes: each staying name the moved code uses, and what replaces it there.

Decided here, once, from the dependencies the kernel part classified, so the service generator only
renders: a staying abstract base is copied (``<pkg>.bases``), a signal defined in staying code gets a
copy (``<pkg>.signals``), a staying model becomes a reference by id (``<pkg>.monolith.<Model>``), a
staying function a call back over HTTP (``<pkg>.monolith.<function>``), anything else a
``# TODO(decompose)`` comment with the reason.
"""

from __future__ import annotations

import ast
from collections import defaultdict

from decompose.extract.plan.interface import InterfacePart
from decompose.extract.plan.values import (
    CallBack,
    Dependency,
    ForeignKeyCut,
    InterfaceFunction,
    ServiceRewrites,
    SignalBridge,
)


class ServicePart(InterfacePart):
    def service_rewrites(
        self,
        package: str,
        dependencies: tuple[Dependency, ...],
        bridges: tuple[SignalBridge, ...],
        fk_cuts: tuple[ForeignKeyCut, ...],
        functions: tuple[InterfaceFunction, ...],
        shared_kernel: tuple[str, ...],
    ) -> ServiceRewrites:
        dep_class = {(d.module, d.symbol): d for d in dependencies}
        retarget: dict[str, str] = {}
        todo: dict[str, str] = {}
        remote_models: dict[str, str] = {}
        callbacks: list[CallBack] = []
        # the staying signals bridged to the service, and those the moved code uses that no code sends where it
        # can be seen (a periodic task's signal): the service defines a copy of each, its receivers connect to it
        signal_copies = sorted(
            {b.signal for b in bridges if self.p.module_of(b.signal) not in self.moved}
            | {
                f"{d.module}.{d.symbol}"
                for d in dependencies
                if d.classification == "bridge"
                and d.symbol
                and d.module not in self.moved
                and f"{d.module}.{d.symbol}" in self.p.signals
            }
        )
        monolith_mod = f"{package}.monolith"
        abstract_bases: list[str] = []
        for (mod, sym), d in sorted(dep_class.items()):
            dotted = f"{mod}.{sym}" if sym else mod
            mf_abs = self.p.models.get(dotted)
            if (
                d.classification == "shared_kernel"
                and mf_abs is not None
                and mf_abs.abstract
                and self.p.modules[mod].app not in self.used_kernel_apps
                and mod not in shared_kernel
            ):
                abstract_bases.append(dotted)
                retarget[dotted] = f"{package}.bases"
                continue
            if d.classification == "bridge" and dotted in signal_copies:
                retarget[dotted] = f"{package}.signals"
            elif d.classification in ("cut", "callback") and sym and "." not in sym:
                mf = self.p.models.get(dotted)
                node = self.p.modules[mod].defs.get(sym) if mod in self.p.modules else None
                if mf is not None:
                    remote_models[mf.label] = sym
                    retarget[dotted] = monolith_mod
                    if d.classification == "callback":
                        todo[dotted] = (
                            f"{mf.label} stays in the monolith; here it is a reference by id (monolith.{sym}), "
                            "its queries must become calls to the monolith's API"
                        )
                elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    callbacks.append(self.callback(mod, node))
                    retarget[dotted] = monolith_mod
                    todo[dotted] = f"{dotted} is called back over HTTP (monolith.{sym}); the monolith must expose it"
                else:
                    todo[dotted] = f"{dotted} stays in the monolith and cannot be imported here: rewrite this use"
            elif d.classification == "callback":
                todo[dotted] = f"{dotted} stays in the monolith and cannot be imported here: rewrite this use"
            elif d.classification == "contract":
                todo[dotted] = (
                    f"{dotted} stays in the monolith: copy it into the service (a shared contract) or move its module"
                )
        # staying modules imported as modules whose every use is a call back or a reference
        module_aliases: dict[str, str] = {}
        by_module: dict[str, set[str]] = defaultdict(set)
        for (mod, sym), d in dep_class.items():
            by_module[mod].add(d.classification if f"{mod}.{sym}" in retarget or not sym else "other")
        for mod, classes in by_module.items():
            if (
                classes
                and classes <= {"cut", "callback"}
                and all(retarget.get(f"{m}.{s}") == monolith_mod for (m, s) in dep_class if m == mod)
            ):
                module_aliases[mod] = monolith_mod
        for f in functions:
            for prm in f.params:
                if prm.model and not self._label_moved(prm.model) and prm.model not in remote_models:
                    remote_models[prm.model] = prm.model.split(".", 1)[1]
        for c in fk_cuts:
            if c.direction == "from_moved" and c.target not in remote_models:
                remote_models[c.target] = c.target.split(".", 1)[1]
        return ServiceRewrites(
            retarget=dict(sorted(retarget.items())),
            todo=dict(sorted(todo.items())),
            remote_models=dict(sorted(remote_models.items())),
            callbacks=tuple(sorted(callbacks, key=lambda c: c.qualname)),
            signal_copies=tuple(signal_copies),
            abstract_bases=tuple(abstract_bases),
            module_aliases=dict(sorted(module_aliases.items())),
        )

    def callback(self, mod: str, fn: ast.FunctionDef | ast.AsyncFunctionDef) -> CallBack:
        """A staying function the service calls back: its signature, and the model it returns if any."""
        m = self.p.modules[mod]
        returns = self.annotation_model(m, fn.returns) if fn.returns is not None else None
        return CallBack(f"{mod}.{fn.name}", fn.name, self.signature(m, fn), returns)
