"""The interface: moved functions staying code calls (signatures, writes, raises) and how it uses moved models."""

from __future__ import annotations

import ast
import dataclasses
from collections import defaultdict

from decompose.extract.plan import index as F
from decompose.extract.plan.celery import celery_task
from decompose.extract.plan.state import PlannerState
from decompose.extract.plan.values import InterfaceFunction, ManualStep, Param
from decompose.graph import Evidence

#: return annotations the client passes through as JSON (no class to rebuild)
PLAIN_TYPES = frozenset(
    {"int", "str", "bool", "float", "dict", "list", "tuple", "set", "None", "Any", "Decimal", "date", "datetime"}
)
_QUERY_METHODS = {"filter", "get", "exclude", "get_or_create", "update_or_create", "first", "last", "all"}
_FIELD_LIST_METHODS = {"values", "values_list", "only", "order_by", "defer"}


class InterfacePart(PlannerState):
    def annotation_model(self, m: F.Module, ann: ast.AST | None, pname: str | None = None) -> str | None:
        if ann is not None:
            nodes = [ann]
            if isinstance(ann, ast.Constant) and isinstance(ann.value, str):
                try:
                    nodes = [ast.parse(ann.value, mode="eval").body]
                except SyntaxError:
                    nodes = []
            for top in nodes:
                for n in ast.walk(top):
                    if isinstance(n, (ast.Name, ast.Attribute)):
                        d = self.p.resolve(m, n)
                        mf = self.p.model_by_name(d) if d else None
                        if mf is not None and not mf.abstract:
                            return mf.label
            return None
        if pname:
            cands = [mf for mf in self.p.models.values() if not mf.abstract and mf.label.split(".")[1].lower() == pname]
            if len(cands) == 1:
                return cands[0].label
        return None

    # -- interface functions -------------------------------------------------
    def signature(self, m: F.Module, fn: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[Param, ...]:
        a = fn.args
        out: list[Param] = []
        positional = [*a.posonlyargs, *a.args]
        defaults: list[ast.expr | None] = [None] * (len(positional) - len(a.defaults)) + list(a.defaults)
        for i, arg in enumerate(positional):
            kind = "positional_only" if i < len(a.posonlyargs) else "positional"
            out.append(self._param(m, arg, defaults[i], kind))
        if a.vararg:
            out.append(self._param(m, a.vararg, None, "var_positional"))
        for arg, d in zip(a.kwonlyargs, a.kw_defaults, strict=True):
            out.append(self._param(m, arg, d, "keyword_only"))
        if a.kwarg:
            out.append(self._param(m, a.kwarg, None, "var_keyword"))
        return tuple(out)

    def _param(self, m: F.Module, arg: ast.arg, default: ast.expr | None, kind: str) -> Param:
        ann = ast.unparse(arg.annotation) if arg.annotation is not None else None
        model = None
        if kind not in ("var_positional", "var_keyword"):
            model = self.annotation_model(m, arg.annotation, arg.arg)
        return Param(arg.arg, ann, ast.unparse(default) if default is not None else None, kind, model)

    def moved_reverse_accessors(self) -> dict[str, frozenset[str]]:
        """Staying model label → the accessors it has for the moved models' foreign keys to it (``related_name``,
        else ``<model>_set``; ``event.mail_templates``): never fields a caller sends with the instance, since the
        rows are the service's (its reference of the model answers them with its own table)."""
        out: dict[str, set[str]] = defaultdict(set)
        for mf in self.p.models.values():
            if mf.abstract or mf.module not in self.moved:
                continue
            for fl in mf.fields:
                if fl.type == "ForeignKey" and fl.target:
                    name = fl.related_name or f"{mf.label.split('.', 1)[1].lower()}_set"
                    if not name.endswith("+"):
                        out[fl.target].add(name)
        return {label: frozenset(names) for label, names in out.items()}

    def function_facts(self, qual: str, sites: list[Evidence]) -> InterfaceFunction:
        mod, name = qual.rsplit(".", 1)
        m = self.p.modules[mod]
        fn = m.defs[name]
        assert isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef))
        params = self.signature(m, fn)
        task = celery_task(self.p, m, fn)
        if task is not None and task.bound and params:
            params = params[1:]  # the task itself: bound on the side that runs it, never an argument
        staying = {p.name: p.model for p in params if p.model and not self._label_moved(p.model)}
        reverse = self.moved_reverse_accessors()
        reads: dict[str, set[str]] = defaultdict(set)
        for n in ast.walk(fn):
            if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id in staying:
                # a moved model's relation to it (event.mail_templates) is a query of the service's own table there
                if n.attr not in ("id", "pk") and n.attr not in reverse.get(staying[n.value.id] or "", ()):
                    reads[n.value.id].add(n.attr)
        params = tuple(
            dataclasses.replace(p, fields=tuple(sorted(reads[p.name]))) if reads.get(p.name) else p for p in params
        )
        returns = ast.unparse(fn.returns) if fn.returns is not None else None
        returns_model = self.annotation_model(m, fn.returns) if fn.returns is not None else None
        returns_class = None
        ann = (returns or "").strip().strip("'\"")
        if not returns_model and ann.isidentifier() and ann not in PLAIN_TYPES:
            target = m.imports.get(ann)
            returns_class = target if target and "." in target else None
        writes = self.writes(qual, set())
        raises = self.raises(qual, set())
        return InterfaceFunction(
            module=mod,
            name=name,
            params=params,
            returns=returns,
            returns_model=returns_model,
            returns_class=returns_class,
            # a task is run by a worker, retried by Celery and sends mail, files, requests: never "safe to
            # repeat" from what the planner can prove (it reads ORM writes only)
            idempotent=not writes and task is None,
            call_sites=tuple(sorted(set(sites))),
            raises=tuple(sorted(raises)),
            line=fn.lineno,
            task=task,
        )

    def is_web_function(self, qual: str) -> bool:
        """A function of the web face (a view or view helper: its first parameter is ``request``), not an
        interface function the service can expose as an API call."""
        mod, _, name = qual.rpartition(".")
        fn = self.p.modules[mod].defs.get(name) if mod in self.p.modules else None
        if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return False
        params = [a.arg for a in (*fn.args.posonlyargs, *fn.args.args)]
        return bool(params) and (
            params[0] == "request" or (params[0] in ("self", "cls") and params[1:2] == ["request"])
        )

    def writes(self, qual: str, seen: set[str]) -> bool:
        """Whether a moved function writes (ORM writes, signal sends), itself or through moved functions it calls."""
        if qual in seen:
            return False
        seen.add(qual)
        mod, _, name = qual.rpartition(".")
        m = self.p.modules.get(mod)
        fn = m.defs.get(name) if m else None
        if m is None or not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return False
        for n in ast.walk(fn):
            if isinstance(n, ast.Call):
                if isinstance(n.func, ast.Attribute) and n.func.attr in F.WRITE_METHODS:
                    return True
                d = self.p.resolve(m, n.func)
                if d and self.is_moved(d):
                    c = self.canonical(d)
                    if c and c[0] == "function" and self.writes(c[1], seen):
                        return True
        return False

    def raises(self, qual: str, seen: set[str]) -> set[str]:
        """Exception classes (dotted, where defined) a moved function raises, itself or through moved calls."""
        if qual in seen:
            return set()
        seen.add(qual)
        mod, _, name = qual.rpartition(".")
        m = self.p.modules.get(mod)
        fn = m.defs.get(name) if m else None
        if m is None or not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return set()
        out: set[str] = set()
        for n in ast.walk(fn):
            if isinstance(n, ast.Raise) and n.exc is not None:
                target = n.exc.func if isinstance(n.exc, ast.Call) else n.exc
                d = self.p.resolve(m, target)
                c = self.canonical(d) if d else None
                if c and c[0] == "other" and (self.is_moved(c[1]) or self._kernel_ok(self.p.module_of(c[1]) or "", {})):
                    out.add(c[1])
            elif isinstance(n, ast.Call):
                d = self.p.resolve(m, n.func)
                if d and self.is_moved(d):
                    c = self.canonical(d)
                    if c and c[0] == "function":
                        out |= self.raises(c[1], seen)
        return out

    # -- scanning uses of the other side --------------------------------------
    def scan_uses(self, m: F.Module, want: str) -> list[tuple[str, ast.AST, int]]:
        """References in ``m`` to symbols of the side ``want`` ("moved"|"staying"): (dotted, node, line)."""
        out: list[tuple[str, ast.AST, int]] = []

        def visit(node: ast.AST) -> None:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                return
            if isinstance(node, (ast.Name, ast.Attribute)):
                d = self.p.resolve(m, node)
                if d and self.is_internal(d) and self.p.module_of(d) != m.name:
                    moved = self.is_moved(d)
                    if (want == "moved") == moved and (moved or self.p.module_of(d) not in self.moved):
                        out.append((d, node, getattr(node, "lineno", 0)))
                        return
            for child in ast.iter_child_nodes(node):
                visit(child)

        visit(m.tree)
        return out

    def model_usage(
        self, m: F.Module, node: ast.AST, parents: dict[ast.AST, ast.AST]
    ) -> tuple[set[str], set[str], bool, ast.AST]:
        """Lookups, field names and whether it writes, for a chain starting at a model reference."""
        lookups: set[str] = set()
        fields: set[str] = set()
        writes = False
        cur = node
        while True:
            par = parents.get(cur)
            if isinstance(par, ast.Attribute) and par.value is cur:
                if par.attr in F.WRITE_METHODS - {"send", "send_robust", "add", "remove", "clear", "set"}:
                    writes = True
                cur = par
                continue
            if isinstance(par, ast.Call) and par.func is cur:
                meth = cur.attr if isinstance(cur, ast.Attribute) else ""
                if meth in _QUERY_METHODS or meth in ("update", "delete", "count", "exists"):
                    lookups.update(k.arg for k in par.keywords if k.arg)
                if meth in _FIELD_LIST_METHODS:
                    fields.update(
                        a.value.lstrip("-")
                        for a in par.args
                        if isinstance(a, ast.Constant) and isinstance(a.value, str)
                    )
                cur = par
                continue
            if isinstance(par, ast.Call) and cur in par.args:  # get_object_or_404(Model, pk=...)
                lookups.update(k.arg for k in par.keywords if k.arg)
                cur = par
            break
        return lookups, fields, writes, cur

    # -- the plan ------------------------------------------------------------------
    def service_field_types(self, mf: F.ModelFacts) -> dict[str, str]:
        """attname → field class in the service (a cut relation becomes BigIntegerField), the primary key's first:
        the implicit ``id``, else the field declared ``primary_key=True`` (``user_id`` of a one-to-one)."""
        pk = mf.pk
        out = {"id": "BigAutoField"} if pk is None else {pk.attname: "BigIntegerField" if pk.is_relation else pk.type}
        for fl in mf.concrete_fields:
            if fl.is_relation:
                out[fl.attname] = "BigIntegerField"
            elif fl.name == "id" or fl.type.endswith("AutoField"):
                out[fl.attname] = fl.type
            else:
                out[fl.attname] = fl.type
        return out

    @staticmethod
    def _track_assign(node: ast.AST, parents: dict[ast.AST, ast.AST], tracked: dict[str, str], label: str) -> None:
        cur = node
        while isinstance(parents.get(cur), (ast.Attribute, ast.Call)):
            cur = parents[cur]
        par = parents.get(cur)
        if isinstance(par, ast.Assign):
            for t in par.targets:
                if isinstance(t, ast.Name):
                    tracked[t.id] = label
        elif isinstance(par, (ast.For, ast.comprehension)) and par.iter is cur and isinstance(par.target, ast.Name):
            tracked[par.target.id] = label

    @staticmethod
    def _in_annotation(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
        cur = node
        while cur in parents:
            par = parents[cur]
            if isinstance(par, ast.arg) and par.annotation is cur:
                return True
            if isinstance(par, (ast.FunctionDef, ast.AsyncFunctionDef)) and par.returns is cur:
                return True
            if isinstance(par, ast.AnnAssign) and par.annotation is cur:
                return True
            if isinstance(par, (ast.stmt,)):
                return False
            cur = par
        return False

    @staticmethod
    def _is_field_call(call: ast.Call) -> bool:
        fn = (
            call.func.attr
            if isinstance(call.func, ast.Attribute)
            else call.func.id
            if isinstance(call.func, ast.Name)
            else ""
        )
        return fn in F.RELATION_TYPES

    def param_reads(self, f: InterfaceFunction) -> None:
        """Reads THROUGH a staying-model parameter (``order.user.email``): the DTO cannot carry them."""
        m = self.p.modules[f.module]
        fn = m.defs[f.name]
        staying = {p.name: p.model for p in f.params if p.model and not self._label_moved(p.model)}
        if not staying:
            return
        parents = F.parent_map(fn)
        for n in ast.walk(fn):
            if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id in staying:
                if n.attr not in ("id", "pk") and isinstance(parents.get(n), ast.Attribute):
                    self.manual.append(
                        ManualStep(
                            m.path,
                            n.lineno,
                            "API composition",
                            f"{f.qualname} reads {n.value.id}.{n.attr}.{parents[n].attr} through "  # type: ignore[attr-defined]
                            f"{staying[n.value.id]}, which stays in the monolith: pass the value as a "
                            "parameter or fetch it from the monolith's API",
                        )
                    )
