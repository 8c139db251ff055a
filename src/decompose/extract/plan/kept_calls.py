"""Moved functions staying code calls whose result has no wire form: the monolith runs them itself (issue 14).

The mirror of a query builder the service copies (:meth:`decompose.extract.plan.vendor.VendorPart._query_builder_slice`,
``fadb7ee``). pretalx's staying views call the moved ``get_available_placeholders(event, kwargs)``, which returns a dict
of ``BaseMailTextPlaceholder`` objects gathered from the receivers of the moved ``register_mail_placeholders`` signal,
each holding functions (``lambda event: event.cfp.urls.base.full()``); and ``queued_mail_filters(context)``, a list of
``MailStatusFilter`` objects whose methods query the moved ``QueuedMail``. Over HTTP such a result has no faithful form
(a function has none; the objects' methods are moved code), so they arrived as their text (``'str' object has no
attribute 'is_visible'``).

Such a function is no endpoint: the client keeps it (:meth:`decompose.extract.plan.behaviour.BehaviourPart._kept`)
and runs it in the monolith, where the moved models it reads are the stand-ins (the remote ORM) and the staying ones
are the monolith's own. A moved function staying code calls is kept when, read as text:

- a ``return`` gives an object of a class of the moved code that is no model, no exception and no enumeration
  (``Placeholder(...)``), or a container holding one: through the names it binds (``params[k] = p``,
  ``filters.append(...)``, a ``for`` over such a container), its module's constants, the moved functions it calls
  and the responses of a project signal it sends (its receivers' returns);
- nothing it runs writes: no ORM write, no Celery task, no mail, no signal but a project signal whose receivers are
  read the same way (itself, the moved functions and classes it names, transitively);
- each moved module connecting a receiver of a signal it sends can be imported by the monolith in remote mode (no
  model, no import of moved code that loads one): the client imports it when it is ready (``STARTUP``), so the
  receivers are connected as they are in local mode.

A function that fails one of these stays an interface function, as before.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from decompose.extract.plan import index as F
from decompose.extract.plan.state import PlannerState
from decompose.graph import Evidence

#: calls that write or have an effect outside the process, by the called attribute's name
_EFFECTS = frozenset(
    {
        *(F.WRITE_METHODS - {"send", "send_robust"}), "delay", "apply_async", "send_mail", "send_mass_mail",
        "mail_admins", "mail_managers", "send_messages",
    }
)  # fmt: skip
#: builtins whose result holds their first argument's items
_WRAPPING = frozenset({"sorted", "list", "tuple", "reversed", "enumerate", "iter", "set", "dict"})
#: a signal's sending methods
_SENDS = ("send", "send_robust")
#: container methods whose result is (part of) the container: what it holds, it gives
_CONTAINER_READS = frozenset({"get", "values", "items", "copy", "pop", "popitem", "setdefault", "__getitem__"})
#: container methods that put their arguments into the container they are called on
_CONTAINER_WRITES = frozenset({"append", "extend", "insert", "add", "update", "setdefault", "appendleft"})
#: base class names of classes whose instances are values with a wire form (or raised, never returned)
_VALUE_BASES = frozenset(
    {
        "Enum", "IntEnum", "StrEnum", "Flag", "IntFlag", "TextChoices", "IntegerChoices", "Choices", "NamedTuple",
        "TypedDict", "Exception", "BaseException", "Warning",
    }
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class KeptCall:
    """A moved function the monolith runs itself in remote mode: why, and the moved modules the kept module imports
    so that the receivers of the signals it sends are connected there."""

    qualname: str
    reason: str
    receivers: tuple[str, ...] = ()


class KeptCallsPart(PlannerState):
    """The moved functions staying code calls that are kept in the monolith (see the module docstring)."""

    if TYPE_CHECKING:

        def _importable(self, mod: str) -> bool: ...

        def signals_in(
            self,
            m: F.Module,
            side: str,
            sends: dict[str, list[tuple[str, Evidence, tuple[str, ...]]]],
            receivers: dict[str, list[tuple[str, str, Evidence]]],
        ) -> None: ...

    def kept_calls(self, quals: Iterable[str]) -> dict[str, KeptCall]:
        """qualname → :class:`KeptCall` for each moved function of ``quals`` (called by staying code) whose result
        has no wire form and that writes nothing."""
        self.__dict__.setdefault("_rc_importable", {})
        out: dict[str, KeptCall] = {}
        for qual in sorted(set(quals)):
            m, fn = self._kc_function(qual)
            if m is None or fn is None:
                continue
            returns = self._returns_objects(m, fn, set())
            takes = None if returns else self._takes_objects(m, fn, set())
            if not returns and takes is None:
                continue
            effect, receivers = self._effects(m, fn)
            if effect is not None:
                continue
            if returns:
                classes = sorted(self._object_classes(m, fn))
                more = ", ..." if len(classes) > 3 else ""
                what = f"it returns objects of the moved code ({', '.join(classes[:3])}{more})"
            else:
                what = f"it takes objects of the moved code (it calls their {takes}())"
            reason = (
                f"{what} that have no wire form, and writes nothing: the monolith runs it (the moved models it reads "
                "are the stand-ins), no endpoint"
            )
            if receivers:
                reason += f"; the receivers of the signals it sends are connected at start-up ({', '.join(receivers)})"
            out[qual] = KeptCall(qual, reason, receivers)
        return out

    def kept_receivers(self, kept: Iterable[str]) -> tuple[str, ...]:
        """The moved modules connecting receivers of the signals the kept calls ``kept`` send: the monolith imports
        them when its client is ready in remote mode (``STARTUP``), as the moved app's code connected them in local
        mode, so a kept call finds the same receivers."""
        wanted = set(kept)
        calls = self.kept_calls(wanted)
        return tuple(sorted({mod for q, c in calls.items() if q in wanted for mod in c.receivers}))

    # -- what it returns ----------------------------------------------------------------

    def _kc_function(self, qual: str) -> tuple[F.Module | None, ast.FunctionDef | ast.AsyncFunctionDef | None]:
        mod, _, name = qual.rpartition(".")
        m = self.p.modules.get(mod)
        node = m.defs.get(name) if m is not None else None
        if m is None or mod not in self.moved or not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            return None, None
        return m, node

    def _object_class(self, m: F.Module, func: ast.expr) -> str | None:
        """The dotted name of the moved plain class ``func`` (a call's callee in ``m``) names, else None."""
        dotted = self.p.resolve(m, func)
        c = self.canonical(dotted) if dotted else None
        if c is None or c[0] != "other" or c[2] or not self.is_moved(c[1]):
            return None
        mod, _, name = c[1].rpartition(".")
        node = self.p.modules[mod].defs.get(name)
        if not isinstance(node, ast.ClassDef) or c[1] in self.p.models:
            return None
        for base in node.bases:
            text = ast.unparse(base).rpartition(".")[2]
            if text in _VALUE_BASES or text.endswith(("Error", "Exception", "Warning", "Model")):
                return None
        return c[1]

    def _object_classes(self, m: F.Module, fn: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
        """The moved plain classes the code ``fn`` runs instantiates (for the plan's reason)."""
        out: set[str] = set()
        for om, node in self._reached(m, fn):
            for n in ast.walk(node):
                if isinstance(n, ast.Call):
                    found = self._object_class(om, n.func)
                    if found is not None:
                        out.add(found.rpartition(".")[2])
        return out

    def _returns_objects(self, m: F.Module, fn: ast.FunctionDef | ast.AsyncFunctionDef, seen: set[str]) -> bool:
        """Whether a ``return`` of ``fn`` may give an object of a moved plain class (or a container holding one)."""
        key = f"{m.name}.{fn.name}"
        if key in seen:
            return False
        seen.add(key)
        nodes = list(_own_nodes(fn))
        return any(
            isinstance(n, ast.Return) and n.value is not None and self._holds(m, nodes, n.value, seen, set())
            for n in nodes
        )

    def _holds(self, m: F.Module, nodes: list[ast.AST], expr: ast.expr, seen: set[str], names: set[str]) -> bool:
        """Whether ``expr`` (in a function whose nodes are ``nodes``, or at the top of ``m`` when ``nodes`` is the
        module's body) may be or hold an object of a moved plain class."""

        def holds(e: ast.expr | None) -> bool:
            return e is not None and self._holds(m, nodes, e, seen, names)

        if isinstance(expr, ast.Call):
            func = expr.func
            if self._object_class(m, func) is not None:
                return True
            if isinstance(func, ast.Attribute) and func.attr in _SENDS:
                sig = self.p.signal_of(m, func.value)
                return sig is not None and any(
                    self._returns_objects(rm, rfn, seen) for rm, rfn in self._receiver_functions(sig)
                )
            if isinstance(func, ast.Attribute) and func.attr in _CONTAINER_READS:
                return holds(func.value)
            dotted = self.p.resolve(m, func)
            c = self.canonical(dotted) if dotted else None
            if c is not None and c[0] == "function" and not c[2]:
                cm, cfn = self._kc_function(c[1])
                return cm is not None and cfn is not None and self._returns_objects(cm, cfn, seen)
            if isinstance(func, ast.Name) and func.id in ("list", "tuple", "set", "dict", "sorted", "reversed"):
                return any(holds(a) for a in expr.args)
            return False
        if isinstance(expr, ast.List | ast.Tuple | ast.Set):
            return any(holds(e) for e in expr.elts)
        if isinstance(expr, ast.Starred):
            return holds(expr.value)
        if isinstance(expr, ast.Dict):
            return any(holds(v) for v in expr.values)
        if isinstance(expr, ast.ListComp | ast.SetComp | ast.GeneratorExp):
            return holds(expr.elt)
        if isinstance(expr, ast.DictComp):
            return holds(expr.value)
        if isinstance(expr, ast.BinOp):
            return holds(expr.left) or holds(expr.right)
        if isinstance(expr, ast.BoolOp):
            return any(holds(v) for v in expr.values)
        if isinstance(expr, ast.IfExp):
            return holds(expr.body) or holds(expr.orelse)
        if isinstance(expr, ast.Subscript):
            return holds(expr.value)
        if isinstance(expr, ast.Name):
            if expr.id in names:
                return False  # judged by its other bindings
            names = names | {expr.id}
            return any(self._holds(m, nodes, v, seen, names) for v in _bound_values(nodes, expr.id)) or (
                not any(_binds(n, expr.id) for n in nodes) and self._module_constant(m, expr.id, seen, names)
            )
        return False

    def _module_constant(self, m: F.Module, name: str, seen: set[str], names: set[str]) -> bool:
        """Whether the module-level name ``name`` of ``m`` (assigned at its top, ``ROLE_EXTRA_PLACEHOLDERS = {...}``)
        holds an object of a moved plain class."""
        node = m.defs.get(name)
        if not isinstance(node, ast.Assign | ast.AnnAssign) or node.value is None:
            return False
        return self._holds(m, list(m.tree.body), node.value, seen, names)

    # -- what it takes -------------------------------------------------------------------

    def _takes_objects(self, m: F.Module, fn: ast.FunctionDef | ast.AsyncFunctionDef, seen: set[str]) -> str | None:
        """The method of a moved plain class ``fn`` calls on a parameter or on a value drawn from one (an item, a
        ``for`` over it or its ``items()``/``values()``), itself or through the moved function it passes such a
        value to (``build_preview_context(placeholders, event)`` calls ``placeholder.render_sample(event)``); None
        when it calls none. Its argument has no wire form then, as such a result has none."""
        key = f"{m.name}.{fn.name}"
        if key in seen:
            return None
        seen.add(key)
        nodes = list(_own_nodes(fn))
        drawn = {a.arg for a in (*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs)} - {"self", "cls"}
        grew = True
        while grew:
            grew = False
            for n in nodes:
                source: ast.expr | None = None
                targets: list[ast.expr] = []
                if isinstance(n, ast.For | ast.AsyncFor | ast.comprehension):
                    source, targets = n.iter, [n.target]
                elif isinstance(n, ast.Assign):
                    source, targets = n.value, list(n.targets)
                elif isinstance(n, ast.AnnAssign):
                    source, targets = n.value, [n.target]
                if source is None or not _drawn_from(source, drawn):
                    continue
                for t in targets:
                    for x in ast.walk(t):
                        if isinstance(x, ast.Name) and x.id not in drawn:
                            drawn.add(x.id)
                            grew = True
        methods = self._object_methods()
        for n in nodes:
            if not isinstance(n, ast.Call):
                continue
            func = n.func
            if isinstance(func, ast.Attribute) and func.attr in methods and _drawn_from(func.value, drawn):
                return func.attr
            if not any(_drawn_from(a, drawn) for a in (*n.args, *(k.value for k in n.keywords))):
                continue
            dotted = self.p.resolve(m, func)
            c = self.canonical(dotted) if dotted else None
            if c is not None and c[0] == "function" and not c[2]:
                cm, cfn = self._kc_function(c[1])
                found = self._takes_objects(cm, cfn, seen) if cm is not None and cfn is not None else None
                if found is not None:
                    return found
        return None

    def _object_methods(self) -> frozenset[str]:
        """The methods the moved plain classes define that no other class of the project defines (not dunders)."""
        cache: frozenset[str] | None = self.__dict__.get("_kc_methods")
        if cache is None:
            own: set[str] = set()
            other: set[str] = set()
            for name in sorted(self.p.modules):
                m = self.p.modules[name]
                if m.test or m.migration:
                    continue
                for node in m.tree.body:
                    if not isinstance(node, ast.ClassDef):
                        continue
                    plain = name in self.moved and self._object_class(m, ast.Name(id=node.name)) is not None
                    for stmt in node.body:
                        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef) and not stmt.name.startswith("__"):
                            (own if plain else other).add(stmt.name)
            cache = frozenset(own - other)
            self.__dict__["_kc_methods"] = cache
        return cache

    # -- what it runs -------------------------------------------------------------------

    def _receiver_functions(self, sig: str) -> Iterator[tuple[F.Module, ast.FunctionDef | ast.AsyncFunctionDef]]:
        """The moved functions connected to project signal ``sig``."""
        for target in self._moved_receivers().get(sig, ()):
            rm, rfn = self._kc_function(target)
            if rm is not None and rfn is not None:
                yield rm, rfn

    def _moved_receivers(self) -> dict[str, tuple[str, ...]]:
        """Project signal → the moved functions connected to it (``@receiver``, ``connect``), sorted."""
        cache: dict[str, tuple[str, ...]] | None = self.__dict__.get("_kc_receivers")
        if cache is None:
            found: dict[str, list[tuple[str, str, Evidence]]] = defaultdict(list)
            sends: dict[str, list[tuple[str, Evidence, tuple[str, ...]]]] = defaultdict(list)
            for name in sorted(self.moved):
                m = self.p.modules[name]
                if not m.test:
                    self.signals_in(m, "service", sends, found)
            cache = {sig: tuple(sorted({t for _s, t, _e in rs})) for sig, rs in found.items() if sig in self.p.signals}
            self.__dict__["_kc_receivers"] = cache
        return cache

    def _reached(
        self, m: F.Module, fn: ast.FunctionDef | ast.AsyncFunctionDef
    ) -> list[tuple[F.Module, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef]]:
        """``fn`` and the moved functions and classes it names (and the receivers of the project signals it sends),
        transitively, in the order found."""
        out: list[tuple[F.Module, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef]] = []
        seen: set[str] = set()
        stack: list[tuple[F.Module, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef]] = [(m, fn)]
        while stack:
            om, node = stack.pop(0)
            key = f"{om.name}.{node.name}"
            if key in seen:
                continue
            seen.add(key)
            out.append((om, node))
            for n in ast.walk(node):
                sends = isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in _SENDS
                if sends and isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute):
                    sig = self.p.signal_of(om, n.func.value)
                    stack += list(self._receiver_functions(sig)) if sig in self.p.signals else []
                if not isinstance(n, ast.Name | ast.Attribute):
                    continue
                dotted = self.p.resolve(om, n)
                c = self.canonical(dotted) if dotted else None
                if c is None or not self.is_moved(c[1]) or c[1] in self.p.models:
                    continue
                mod, _, name = c[1].rpartition(".")
                target = self.p.modules[mod].defs.get(name)
                if isinstance(target, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                    stack.append((self.p.modules[mod], target))
        return out

    def _effects(self, m: F.Module, fn: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[str | None, tuple[str, ...]]:
        """(what the code ``fn`` runs writes or sends, with its place, or None; the moved modules connecting the
        receivers of the project signals it sends, which the monolith must import)."""
        receivers: set[str] = set()
        for om, node in self._reached(m, fn):
            for n in ast.walk(node):
                if not isinstance(n, ast.Call):
                    continue
                attr = n.func.attr if isinstance(n.func, ast.Attribute) else None
                dotted = self.p.resolve(om, n.func) or ""
                if attr in _EFFECTS or dotted.rpartition(".")[2] in _EFFECTS and dotted.startswith("django."):
                    return f"{ast.unparse(n.func)} at {om.path}:{n.lineno}", ()
                if attr in _SENDS and isinstance(n.func, ast.Attribute):
                    sig = self.p.signal_of(om, n.func.value)
                    if sig is None or sig not in self.p.signals:
                        return f"{ast.unparse(n.func)} at {om.path}:{n.lineno}", ()
                    for target in self._moved_receivers().get(sig, ()):
                        mod = target.rpartition(".")[0]
                        if not self._importable(mod):
                            return f"the receiver {target} of {sig}, whose module the monolith cannot import", ()
                        receivers.add(mod)
        return None, tuple(sorted(receivers))


def _own_nodes(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> Iterator[ast.AST]:
    """The nodes of ``fn``'s body, not those of the functions, lambdas and classes it defines."""
    stack: list[ast.AST] = list(fn.body)
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef):
            stack += list(ast.iter_child_nodes(node))


def _drawn_from(expr: ast.expr, names: set[str]) -> bool:
    """Whether ``expr`` is one of ``names``, an item of one (``p[k]``), its ``items()``/``values()``, or one of those
    sorted or listed (``sorted(p.items())``)."""
    while True:
        if isinstance(expr, ast.Name):
            return expr.id in names
        if isinstance(expr, ast.Subscript):
            expr = expr.value
        elif isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name) and expr.func.id in _WRAPPING and expr.args:
            expr = expr.args[0]
        elif (
            isinstance(expr, ast.Call)
            and isinstance(expr.func, ast.Attribute)
            and expr.func.attr in ("items", "values")
            and not expr.args
        ):
            expr = expr.func.value
        else:
            return False


def _binds(node: ast.AST, name: str) -> bool:
    """Whether ``node`` binds ``name`` (an assignment, a ``for``/``with``/comprehension target, ``:=``)."""
    targets: list[ast.AST] = []
    if isinstance(node, ast.Assign):
        targets = list(node.targets)
    elif isinstance(node, ast.AugAssign | ast.AnnAssign | ast.For | ast.AsyncFor | ast.comprehension | ast.NamedExpr):
        targets = [node.target]
    elif isinstance(node, ast.With | ast.AsyncWith):
        targets = [i.optional_vars for i in node.items if i.optional_vars is not None]
    return any(isinstance(t, ast.Name) and t.id == name for target in targets for t in ast.walk(target))


def _bound_values(nodes: list[ast.AST], name: str) -> Iterator[ast.expr]:
    """What ``name`` is bound to or filled with in ``nodes``: assigned values, a ``for``'s iterable (its items), the
    values stored into it (``name[k] = v``) and put into it (``name.append(v)``)."""
    for n in nodes:
        if isinstance(n, ast.Assign | ast.AugAssign | ast.AnnAssign) and n.value is not None:
            targets = n.targets if isinstance(n, ast.Assign) else [n.target]
            for t in targets:
                if any(isinstance(x, ast.Name) and x.id == name for x in ast.walk(t)):
                    yield n.value
                elif isinstance(t, ast.Subscript) and isinstance(t.value, ast.Name) and t.value.id == name:
                    yield n.value
        elif isinstance(n, ast.For | ast.AsyncFor | ast.comprehension) and _binds(n, name):
            yield n.iter
        elif isinstance(n, ast.NamedExpr) and n.target.id == name:
            yield n.value
        elif (
            isinstance(n, ast.Call)
            and isinstance(n.func, ast.Attribute)
            and n.func.attr in _CONTAINER_WRITES
            and isinstance(n.func.value, ast.Name)
            and n.func.value.id == name
        ):
            yield from n.args
