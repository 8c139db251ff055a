"""The staying models' behaviour in the service: copied into their reference classes (issue 14, the other direction).

In the service a model that stays in the monolith is a reference class of ``<pkg>/monolith.py`` (``RemoteRef``): its
fields are the ones the monolith sent, its ``objects`` and related rows are read through the monolith. The moved
code also reads the staying model's own behaviour on a reference: properties, cached properties, methods, inner
classes (pretalx's ``event.cache``, ``event.wip_schedule``, ``event.urls``). This part copies those members, as
source text, into the reference's class, with the machinery of :mod:`decompose.extract.plan.behaviour` (which
does the same for the moved models' stand-ins in the monolith): the same reading of the class chain, the same
copy of a member with its function-local imports re-pointed and the names its body reads imported at the top of
that body. Only the name resolution is this direction's:

- builtins, the stdlib and third-party code: imported as they are;
- the moved code (real in the service): imported as it is;
- code the service vendors or copies (the shared kernel, vendored modules, slices) and any other staying module
  that is pure (no model, nothing registered at import, no staying data read): imported as it is (a pure module
  not vendored yet is vendored for it);
- other staying models: their reference classes (``_ref_class(label)``); a staying model the copies query (its
  ``objects``, a reverse accessor ``self.sponsors`` of a staying foreign key) is read through the monolith (it
  joins ``plan.monolith_models``);
- staying functions the service calls back: the call back of ``<pkg>.monolith``;
- a top-level helper of the staying model's module (or of another module that cannot be copied): copied too.

What a class statement needs when it is made (decorators, inner classes' bases) is imported at the top of the
generated section of ``monolith.py``, which the moved models import: project code there must not import the moved
code back (an import cycle), or the member is not copied.

Which members: only those the moved code can reach: every attribute name the moved modules read (``x.cache``,
``getattr(x, "cache")``, ``del x.wip_schedule``), closed over the names the copied members read in turn, on every
staying model the service holds references of. The persistence API, fields, managers and dunder methods are never
copied. A member that cannot be copied is a :class:`~decompose.extract.plan.values.NotCopied` with its reason, a
manual step, and raises ``RemoteBehaviourMissing`` (naming model, member and reason) on the reference when used.

Nothing of the project is imported or executed: the classes are read from their syntax trees.
"""

from __future__ import annotations

import ast
import re
import string
from collections.abc import Iterable
from dataclasses import dataclass, replace
from importlib import resources
from typing import Any

from decompose.extract.plan import index as F
from decompose.extract.plan.behaviour import RUNS_IN_SERVICE, BehaviourPart, _Binding, _Unresolved, import_text
from decompose.extract.plan.state import PlannerState
from decompose.extract.plan.values import (
    ForeignKeyCut,
    InterfaceFunction,
    InterfaceModel,
    ManualStep,
    ModelBehaviour,
    ReferenceClasses,
    RemoteClasses,
    ServiceRewrites,
    service_package,
)

_PATTERN = "service: monolith model behaviour"


def format_attributes(text: str) -> set[str]:
    """The attribute names a ``str.format`` template reads (``"{self.event.orga_urls.mail}{self.pk}/"``: urlman's
    URLs, formatted with the instance): ``event``, ``orga_urls``, ``mail``, ``pk``; none for text that is no such
    template."""
    out: set[str] = set()
    if "{" not in text:
        return out
    try:
        fields = [f for _lit, f, _spec, _conv in string.Formatter().parse(text) if f]
    except ValueError:
        return out
    for name in fields:
        out.update(p for p in re.split(r"\.|\[[^\]]*\]", name)[1:] if p.isidentifier())
    return out


def attribute_names(trees: Iterable[ast.AST]) -> set[str]:
    """Every attribute name the code reads, deletes or asks for by a literal (``getattr(x, "name")``), or formats
    (``"{self.event.orga_urls.mail}"``: :func:`format_attributes`)."""
    out: set[str] = set()
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and not isinstance(node.ctx, ast.Store):
                out.add(node.attr)
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                out |= format_attributes(node.value)
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ("getattr", "hasattr", "delattr")
                and len(node.args) >= 2
                and isinstance(node.args[1], ast.Constant)
                and isinstance(node.args[1].value, str)
            ):
                out.add(node.args[1].value)
    return out


def monolith_module_globals() -> frozenset[str]:
    """The names the service's ``monolith.py`` template binds at its top level (copied code must not clash)."""
    text = resources.files("decompose.extract.service").joinpath("templates", "monolith.py.tmpl").read_text("utf-8")
    tree = ast.parse(text.replace("$$", "$"))
    out: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            out.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            out.update(t.id for t in targets if isinstance(t, ast.Name))
    return frozenset(out)


@dataclass(frozen=True, slots=True)
class _Found:
    """What the part decided: the reference classes; the pure staying modules their copies import that the
    service does not vendor yet (to vendor); the staying models the copies query (the service reads them through
    the monolith: they join ``plan.monolith_models``); the staying models reached through held ones."""

    classes: ReferenceClasses
    vendor: tuple[str, ...]
    queried: tuple[str, ...]
    #: the staying models the service reaches through a foreign key of another's reference that the code reads
    #: (``submission.submission_type``): held too (served read-only), with their reference classes
    reached: tuple[str, ...] = ()


def _self_reads(node: ast.stmt) -> set[str]:
    """The attribute names a member reads on its instance (``self.slug``: the first parameter of its methods)."""
    out: set[str] = set()
    for fn in ast.walk(node):
        if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)) or not fn.args.args:
            continue
        me = fn.args.args[0].arg
        for n in ast.walk(fn):
            if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id == me:
                out.add(n.attr)
    return out


class _ServiceSide(BehaviourPart):
    """:class:`BehaviourPart` with the service's name resolution (see the module docstring). It shares the
    planner's analysis; its manual steps are handed back to the planner."""

    def __init__(self, planner: PlannerState, rewrites: ServiceRewrites, kernel: Iterable[str]) -> None:
        # the planner's state, not a second planner: the same index, moved modules and the vendoring's answers
        self.p = planner.p
        self.root = planner.root
        self.service = planner.service
        self.apps = planner.apps
        self.app_paths = planner.app_paths
        self.moved = planner.moved
        self.manual = []
        self._planner = planner
        self._rewrites = rewrites
        self._package = service_package(planner.service)
        self._service_code = set(kernel) | set(rewrites.vendored)
        self._callbacks = {cb.qualname: cb.name for cb in rewrites.callbacks}
        self._vendor: set[str] = set()
        self._safe: dict[str, bool] = {}
        self._wanted: set[str] = set()
        #: staying models the copied members query (``Model.objects``, a reverse accessor ``self.sponsors``)
        self._queried: set[str] = set()

    def service_field_types(self, mf: F.ModelFacts) -> dict[str, str]:
        return {}  # a reference's fields are what the monolith sends

    def field_defaults(self, mf: F.ModelFacts, calls: dict[str, tuple[F.Module, ast.Call]]) -> dict[str, Any]:
        return {}  # a reference is never a new instance

    # -- what BehaviourPart asks, answered for the service -----------------------------

    def _member_name(self, stmt: ast.stmt) -> str | None:  # type: ignore[override]
        name = BehaviourPart._member_name(stmt)
        return name if name in self._wanted else None

    def _class_time_expr(self, m: F.Module, node: ast.expr, out: list[str], not_copied: dict[str, Any],
                         what: str) -> None:  # fmt: skip
        """A reference class's bases are the reference's own: the model's mixins and metaclass are not taken."""

    def _queryset(self, managers: list[tuple[F.Module, ast.expr]]) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
        return (), ()  # a reference's ``objects`` is the monolith's remote ORM

    def _binding(self, m: F.Module, name: str) -> _Binding:
        target = self._top_imports(m).get(name)
        if target is not None:
            return self._target(name, target)
        if name in m.defs:
            return self._target(name, f"{m.name}.{name}")
        raise _Unresolved(f"{name} is not defined at the top of {m.path}")

    def _target(self, name: str, dotted: str) -> _Binding:
        mod = self.p.module_of(dotted)
        if mod is None or mod in self.moved:
            return _Binding("import", import_text(name, dotted))  # the stdlib, third-party or the moved code
        mf = self.p.model_by_name(dotted)
        if mf is not None and not mf.abstract:
            return self._model(name, mf)
        fn = self._callbacks.get(dotted) or self._callbacks.get(self.p.reexport(dotted) or "")
        if fn is not None:
            return _Binding(
                "client", f"from {self._package}.monolith import {fn}" + ("" if fn == name else f" as {name}")
            )
        s = self.p.split_symbol(dotted)
        sliced = s is not None and s[1].split(".")[0] in self._rewrites.slices.get(s[0], ())
        if mod in self._service_code or sliced:
            return _Binding("import", import_text(name, dotted))
        if self._planner.vendor_reason(mod) is None and self._planner.data_reason(mod) is None:  # type: ignore[attr-defined]
            self._vendor.add(mod)
            return _Binding("import", import_text(name, dotted))
        if s is not None and "." not in s[1] and s[1] == name and s[1] in self.p.modules[s[0]].defs:
            return self._helper(self.p.modules[s[0]], name)
        reason = self._planner.vendor_reason(mod) or self._planner.data_reason(mod)  # type: ignore[attr-defined]
        raise _Unresolved(f"it uses {dotted}, code of the monolith the service cannot import ({reason})")

    def _model(self, name: str, mf: F.ModelFacts) -> _Binding:
        cls = self._rc_standins.get(mf.label)
        if cls is not None:
            self._queried.add(mf.label)
            return _Binding("standin", "" if cls == name else f"{name} = {cls}")
        if mf.module in self.moved:
            return _Binding("import", import_text(name, mf.qualname))
        self._queried.add(mf.label)  # its ``objects`` is read through the monolith
        return _Binding("standin", f"{name} = _ref_class({mf.label!r})")

    def _module_level(self, m: F.Module, name: str, *, top: bool = False) -> str:
        """As :meth:`BehaviourPart._module_level`, refusing what is not there yet while ``monolith.py`` is being
        imported by the moved models: a call back (defined below the classes), project code that imports the
        moved code back (an import cycle)."""
        b = self._binding(m, name)
        if b.kind == "client":
            raise _Unresolved(f"it needs the call back {name} when the class is made")
        if b.kind == "import":
            target = self._top_imports(m).get(name) or f"{m.name}.{name}"
            mod = self.p.module_of(target)
            if mod is not None and not self._safe_at_import(mod):
                raise _Unresolved(
                    f"it needs {target} when the class is made, and importing it from the service's monolith.py "
                    "would import the service's own models back (an import cycle)"
                )
        return super()._module_level(m, name, top=top)

    def _safe_at_import(self, mod: str) -> bool:
        """Whether ``monolith.py`` can import ``mod`` while the moved models import it: ``mod`` and what it imports
        at its top (transitively) are staying code the service copies, or moved code that defines no model and
        imports none (:meth:`BehaviourPart._importable`), never a module importing references from it."""
        if mod in self._safe:
            return self._safe[mod]
        self._safe[mod] = True  # optimistic inside an import cycle
        if mod in self.moved:
            ok = self._importable(mod)
        else:
            ok = mod in self._service_code or (
                self._planner.vendor_reason(mod) is None and self._planner.data_reason(mod) is None  # type: ignore[attr-defined]
            )
        if ok:
            for target in sorted(self._top_imports(self.p.modules[mod]).values()):
                dep = self.p.module_of(target)
                if dep is not None and dep != mod and not self._safe_at_import(dep):
                    ok = False
                    break
        self._safe[mod] = ok
        return ok

    # -- the members the moved code uses ------------------------------------------------

    def _members(self, mf: F.ModelFacts) -> dict[str, ast.stmt]:
        """The staying model's members that could be copied (not fields, managers, the persistence API, dunders)."""
        m = self.p.modules[mf.module]
        cls = m.defs.get(mf.qualname.rsplit(".", 1)[1])
        if not isinstance(cls, ast.ClassDef):
            return {}
        fields = {f.name for f in mf.fields} | {f.attname for f in mf.fields}
        out: dict[str, ast.stmt] = {}
        for _owner, node in self._class_chain(m, cls, [], [], {}):
            for stmt in node.body:
                if isinstance(stmt, ast.ClassDef) and stmt.name == "Meta":
                    continue
                name = BehaviourPart._member_name(stmt)
                if name is None or name in out or name in fields or name in RUNS_IN_SERVICE:
                    continue
                if name.startswith("__") and name.endswith("__"):
                    continue
                value = getattr(stmt, "value", None)
                if isinstance(stmt, (ast.Assign, ast.AnnAssign)) and isinstance(value, ast.Call):
                    func = value.func
                    last = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
                    if isinstance(func, ast.Call) or last.endswith(("Manager", "Field", "ForeignKey", "Relation")):
                        continue
                out[name] = stmt
        return out

    def reference_classes(self, labels: Iterable[str]) -> _Found:
        self._rc_functions = {}
        self._rc_globals: dict[str, str] = dict.fromkeys(monolith_module_globals(), "generated")
        self._rc_globals.update(dict.fromkeys(self._callbacks.values(), "call back"))
        rw = self._rewrites  # what monolith.py defines below the classes for staying names it cannot copy
        for dotted in sorted({*rw.stand_ins, *rw.signal_classes, *rw.admin_sites}):
            self._rc_globals.setdefault(dotted.rpartition(".")[2], f"stand-in {dotted}")
        self._rc_imports: set[str] = set()
        self._rc_helpers: dict[tuple[str, str], str | None] = {}
        self._rc_helper_code = []
        self._rc_importable: dict[str, bool] = {}
        given = set(labels)
        held = set(given)
        moved_used = attribute_names(self.p.modules[n].tree for n in sorted(self.moved))
        staying = sorted(
            (mf for mf in self.p.models.values() if not mf.abstract and mf.module not in self.moved),
            key=lambda mf: mf.label,
        )
        while True:  # the staying models reached, their members the code reads; then the models those reach
            models = sorted(
                {mf.label: mf for mf in (self.p.model_by_label(label) for label in held)
                 if mf is not None and not mf.abstract and mf.module not in self.moved}.items()
            )  # fmt: skip
            members = {label: self._members(mf) for label, mf in models}
            used = set(moved_used)
            wanted: dict[str, set[str]] = {label: set() for label, _ in models}
            while True:  # the members the moved code reads, and those the members read in turn
                grown = False
                for label, _ in models:
                    for name in sorted(set(members[label]) & used - wanted[label]):
                        wanted[label].add(name)
                        used |= attribute_names([members[label][name]])
                        grown = True
                if not grown:
                    break
            # a foreign key of a held model to another staying model, read by name (``submission.submission_type``):
            # the reference loaded from the monolith holds a reference of its target, which the service reads too
            reached = {
                f.target
                for _label, mf in models
                for f in mf.fields
                if f.type in ("ForeignKey", "OneToOneField") and f.target and f.name in used
                and not self._moved_label(f.target)
            } - held  # fmt: skip
            # the accessor another staying model's foreign key or one-to-one gives a held model, read by name
            # (``event.cfp``, CfP's one-to-one to Event): the reference loads that row (or rows) from the monolith
            reached |= {
                mf.label
                for mf in staying
                for f in mf.fields
                if f.target in held and mf.reverse_accessor(f) in used
            } - held  # fmt: skip
            reached = {t for t in reached if (mf := self.p.model_by_label(t)) is not None and not mf.abstract}
            if not reached:
                break
            held |= reached
        self._rc_standins: dict[str, str] = {}
        for label, _mf in models:
            local = self._rewrites.remote_models.get(label) or label.split(".", 1)[1]
            if self._rc_globals.get(local, f"reference {label}") != f"reference {label}":
                local = f"_Ref_{label.replace('.', '_')}"
            self._rc_standins[label] = local
            self._rc_globals[local] = f"reference {label}"
        accessors: dict[str, dict[str, str]] = {}  # staying label → its accessors of staying foreign keys → source
        for mf in sorted(self.p.models.values(), key=lambda mf: mf.label):
            if mf.abstract or mf.module in self.moved:
                continue
            for f in mf.fields:
                if f.type == "ForeignKey" and f.target and not self._moved_label(f.target):
                    accessor = f.related_name or f"{mf.label.split('.', 1)[1].lower()}_set"
                    if not accessor.endswith("+"):
                        accessors.setdefault(f.target, {}).setdefault(accessor, mf.label)
        out: list[ModelBehaviour] = []
        reads: dict[str, tuple[str, ...]] = {}
        for label, mf in models:
            if not wanted[label]:
                continue
            self._wanted = wanted[label]
            b = self._behaviour(mf)
            fields = {f.name for f in mf.concrete_fields} | {f.attname for f in mf.concrete_fields}
            copied = {c.name for c in b.members}
            read = set().union(*(_self_reads(members[label][name]) for name in sorted(copied)))
            if read & fields:
                reads[label] = tuple(sorted(read & fields))
            self._queried |= {accessors[label][a] for a in read & set(accessors.get(label, {}))}
            not_copied = tuple(n for n in b.not_copied if n.name in self._wanted)
            out.append(ModelBehaviour(label, members=b.members, not_copied=not_copied, init_state=b.init_state))
            for n in not_copied:
                self.manual.append(
                    ManualStep(
                        n.path,
                        n.line,
                        _PATTERN,
                        f"{label}.{n.name} (the moved code reads it on the service's reference of {label}) is not "
                        f"copied into the reference class: {n.reason}. In the service using it raises "
                        "RemoteBehaviourMissing naming it: send what it computes with the call, call the monolith "
                        "back for it, or make it use only the model's fields, relations and code the service has",
                    )
                )
        self._wanted = set()
        classes = RemoteClasses(tuple(sorted(self._rc_imports)), tuple(self._rc_helper_code), tuple(out))
        names = {b.label: self._rc_standins[b.label] for b in out}
        return _Found(
            ReferenceClasses(classes, names, reads),
            tuple(sorted(self._vendor - self._service_code)),
            tuple(sorted(self._queried)),
            tuple(sorted(held - given)),
        )


class ReferenceBehaviourPart(PlannerState):
    """The planner's entry: which staying models' members the service's reference classes carry."""

    def reference_classes(
        self,
        rewrites: ServiceRewrites,
        kernel: Iterable[str],
        fk_cuts: Iterable[ForeignKeyCut],
        monolith_models: Iterable[InterfaceModel],
    ) -> _Found:
        """The staying models the service holds references of (referenced by the moved code, targets of its cut
        foreign keys, read through the monolith, returned by call backs), their members the moved code uses (see
        :class:`_Found`)."""
        labels = set(rewrites.remote_models)
        labels |= {c.target for c in fk_cuts if c.direction == "from_moved"}
        labels |= {m.label for m in monolith_models}
        labels |= {cb.returns_model for cb in rewrites.callbacks if cb.returns_model}
        side = _ServiceSide(self, rewrites, kernel)
        found = side.reference_classes(sorted(labels))
        self.manual.extend(side.manual)
        return found

    def with_member_reads(self, f: InterfaceFunction, found: ReferenceClasses) -> InterfaceFunction:
        """``f`` whose staying-model parameters carry the fields their copied members read (``event.cache`` reads
        ``self.slug``: the caller sends ``slug``), not the members themselves (the service computes them)."""
        params = []
        for p in f.params:
            copied = found.copied(p.model) if p.model and p.fields else frozenset()
            if copied & set(p.fields):
                fields = (set(p.fields) - copied) | set(found.reads.get(p.model or "", ()))
                p = replace(p, fields=tuple(sorted(fields)))
            params.append(p)
        return replace(f, params=tuple(params))
