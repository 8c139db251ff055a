"""The moved models' behaviour in remote mode: copied into their stand-ins in the monolith (issue 14).

In remote mode staying code sees each moved model as a stand-in class of the client (``orm.RemoteInstance``):
its fields come from the service. Staying code also uses the model's own behaviour: properties and methods
(``slot.duration``), inner classes (``room.urls``), what its mixins give it (``Room.get_perm`` of django-rules'
``RulesModelMixin``), its custom queryset methods (``Room.objects.visible()``), reverse relations between moved
models (``schedule.talks``) and ``prefetch_related`` over them. This part reads each concrete moved model's class
(and its abstract bases' and moved mixins' bodies) as text and decides, member by member:

- copied, as source text, into the stand-in class of the client's generated ``<service>_models.py``, when every
  name it uses resolves in the monolith: builtins, the stdlib and third-party code, staying code, other moved
  models (their stand-ins, defined in the same module), interface functions (the client's), moved modules the
  monolith can still import (no model, no import of one), and top-level helpers of the moved modules (copied too).
  A function's names are imported at the top of its body, when it runs, as the original's module-level imports
  were resolved by then (the stand-in is made while staying modules are still importing); what a class statement
  needs when it is made (bases, decorators, class attributes) is imported at the top of the generated module.
  Function-local imports are re-pointed the same way. The copy runs in the monolith against remote data: its
  ``self.talks.filter(...)`` are querysets of the service, one request per evaluation.
- plain mixins of staying or third-party code (``LogMixin``, ``RulesModelMixin``) become base classes of the
  stand-in, after ``RemoteInstance`` (whose persistence API wins); the metaclass of the model's bases
  (``RulesModelBase``) is combined with the stand-in's, so what it does for ``Meta`` (rules' permissions) happens.
- the persistence API (``save``, ``delete``...) is not copied: it runs in the service when the command arrives.
- what cannot be copied is a :class:`~decompose.extract.plan.values.NotCopied` with its reason, listed as a manual
  step; on the stand-in it raises ``RemoteBehaviourMissing`` naming the model, the member and the reason.

The methods of the model's default manager and its QuerySet (``Manager.from_queryset(QS)``, ``QS.as_manager()``,
a ``_manager_class=``) are copied into a ``RemoteQuerySet`` subclass the same way. ``Meta`` options that are
literals (ordering, unique_together, verbose names, permissions...) become the stand-in's ``_meta``.

Nothing of the project is imported or executed: the classes are read from their syntax trees.
"""

from __future__ import annotations

import ast
import builtins
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import libcst as cst

from decompose.extract.plan import index as F
from decompose.extract.plan.kept_calls import KeptCall, KeptCallsPart
from decompose.extract.plan.values import (
    CopiedCode,
    InterfaceFunction,
    ManualStep,
    ModelBehaviour,
    NotCopied,
    RemoteClasses,
)
from decompose.scan.source import absolute_module

#: names any code may use without an import (``__class__`` is what zero-argument ``super()`` reads)
BUILTINS = frozenset(dir(builtins)) | {"__class__", "__name__", "__doc__", "__file__", "__qualname__", "__module__"}
#: a model's persistence API: the stand-in's own (a moved model's override runs in the service with the command),
#: and the names of the stand-in's own machinery
RUNS_IN_SERVICE = frozenset({
    "save", "delete", "save_base", "__init__", "from_db", "refresh_from_db", "full_clean", "clean_fields",
    "validate_unique", "validate_constraints", "__reduce__", "__getstate__", "__setstate__", "__eq__", "__hash__",
    "get_deferred_fields", "serializable_value", "_do_insert", "_do_update", "_save_table", "_save_parents",
    "_perform_unique_checks", "_perform_date_checks", "prepare_database_save", "get_constraints",
    # the stand-in's own machinery (orm.RemoteInstance): a member of the model by that name would break it
    "__getattr__", "__getattribute__", "__setattr__", "__delattr__", "__new__", "__init_subclass__", "pk",
    "objects", "_meta", "_state", "_default_manager", "_base_manager", "DoesNotExist", "MultipleObjectsReturned",
    "_data", "_related", "_label", "_relations", "_set", "_adding", "_types", "_staying", "_service",
    "_model_label", "_pk_name", "_many", "_queryset_class", "_forward", "_load", "_attach", "_attname",
    "_from_row", "_write_values",
})  # fmt: skip
#: ``orm.RemoteQuerySet``'s own machinery: a custom QuerySet's method by that name is Django's internals, not copied
QUERYSET_MACHINERY = frozenset({
    "_clone", "_fetch", "_fetch_all", "_result", "_result_cache", "_query", "_send", "_body", "_steps", "_compiler",
    "_one", "_command", "_values", "_decode_rows", "_error", "_protocol", "_lookups", "_pair", "_write_chain",
    "_not_sliced", "_columns", "_decorrelate", "_subquery_shape", "_subquery_groups", "_set_operation",
    "_prefetch_related_objects", "_prefetch_related_lookups", "_chain", "_filter_or_exclude",
    "_filter_or_exclude_inplace", "_iterable_class", "_clone_for", "_next_is_sticky", "_merge_sanity_check",
})  # fmt: skip
#: ``Meta`` options the stand-in's ``_meta`` answers when the plan can read them as literals
META_OPTIONS = ("ordering", "unique_together", "index_together", "verbose_name", "verbose_name_plural",
                "permissions", "default_permissions", "get_latest_by", "default_related_name")  # fmt: skip
#: translation functions whose argument is the text (``verbose_name = _("Rooms")``)
_GETTEXT = frozenset({"_", "gettext", "gettext_lazy", "ugettext", "ugettext_lazy", "pgettext", "pgettext_lazy",
                      "gettext_noop", "_lazy"})  # fmt: skip
_MODEL_CLASSES = frozenset({"django.db.models.Model", "django.db.models.base.Model"})
_PATTERN = "remote mode: model behaviour"
#: Django's field classes whose value on a new instance without a ``default=`` is "" (``empty_strings_allowed``,
#: unless ``null=True``); a third-party field class named after one (``I18nTextField``) is taken as it
_BLANK_STRING_FIELDS = ("CharField", "TextField", "SlugField", "EmailField", "URLField", "FilePathField", "FileField",
                        "ImageField")  # fmt: skip
#: Django's field classes whose value on a new instance without a ``default=`` is None
_BLANK_NONE_FIELDS = frozenset({
    "AutoField", "BigAutoField", "SmallAutoField", "IntegerField", "BigIntegerField", "SmallIntegerField",
    "PositiveIntegerField", "PositiveBigIntegerField", "PositiveSmallIntegerField", "BooleanField",
    "NullBooleanField", "DateField", "DateTimeField", "TimeField", "DurationField", "DecimalField", "FloatField",
    "UUIDField", "JSONField", "GenericIPAddressField", "IPAddressField",
})  # fmt: skip
#: the builtins a field's default may name (``default=dict``): called for each new instance
_BUILTIN_DEFAULTS = frozenset({"dict", "list", "set", "tuple", "str", "int", "float", "bool", "frozenset"})


class _Unresolved(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class _Binding:
    """How a name of the copied code is bound in the generated module: ``kind`` import | client | standin | helper;
    ``text`` the statement binding it ("" when the name already is the module's: a stand-in, a copied helper)."""

    kind: str
    text: str


class _Names(ast.NodeVisitor):
    """The names a statement reads and does not bind itself (annotations left out: the generated module has
    ``from __future__ import annotations``), and those it declares ``global``."""

    def __init__(self, root: ast.AST) -> None:
        self.root = root
        self.loaded: set[str] = set()
        self.bound: set[str] = set()
        self.globals: set[str] = set()

    @classmethod
    def of(cls, *nodes: ast.AST, root: ast.AST | None = None) -> tuple[set[str], set[str]]:
        v = cls(root if root is not None else (nodes[0] if nodes else ast.Pass()))
        for n in nodes:
            v.visit(n)
        return (v.loaded - v.bound - BUILTINS) | v.globals, set(v.globals)

    def visit_Name(self, node: ast.Name) -> None:
        (self.loaded if isinstance(node.ctx, ast.Load) else self.bound).add(node.id)

    def visit_arg(self, node: ast.arg) -> None:
        self.bound.add(node.arg)

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        if node is not self.root:
            self.bound.add(node.name)
        for d in node.decorator_list:
            self.visit(d)
        self.visit(node.args)
        for s in node.body:
            self.visit(s)

    visit_FunctionDef = visit_AsyncFunctionDef = _function

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        if node is not self.root:
            self.bound.add(node.name)
        for x in [*node.decorator_list, *node.bases, *(k.value for k in node.keywords)]:
            self.visit(x)
        for s in node.body:
            self.visit(s)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self.visit(node.target)
        if node.value is not None:
            self.visit(node.value)

    def visit_Import(self, node: ast.Import) -> None:
        self.bound.update(a.asname or a.name.split(".")[0] for a in node.names)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        self.bound.update(a.asname or a.name for a in node.names)

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        if node.name:
            self.bound.add(node.name)
        self.generic_visit(node)

    def visit_Global(self, node: ast.Global) -> None:
        self.globals.update(node.names)


def import_text(name: str, dotted: str) -> str:
    """The statement binding ``name`` to ``dotted`` (a module or a module's attribute)."""
    head, _, tail = dotted.rpartition(".")
    if not head:
        return f"import {dotted}" if name == dotted else f"import {dotted} as {name}"
    return f"from {head} import {tail}" if name == tail else f"from {head} import {tail} as {name}"


def _segment(source: str, node: ast.stmt) -> str:
    """The statement's text (decorators included) moved to column 0; lines inside a string keep their text."""
    lines = source.splitlines()
    first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", ()))])
    end = node.end_lineno or node.lineno
    indent = node.col_offset
    out = []
    for line in lines[first - 1 : end]:
        out.append(line[indent:] if line[:indent].strip() == "" else line)
    return "\n".join(out) + "\n"


def _literal(node: ast.expr) -> object:
    """A ``Meta`` option's value as a literal; a translated text as its text; else ValueError."""
    if isinstance(node, ast.Call):
        func = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
        texts = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
        if func in _GETTEXT and texts:
            return texts[-1]
        raise ValueError("not a literal")
    value = ast.literal_eval(node)
    return _jsonable(value)


#: the options of a field the stand-in's ``_meta`` builds it with (literals only): what a form field of a kept
#: ModelForm reads (``blank``: required or not) and what sizes and validates the value
FIELD_OPTIONS = frozenset({"blank", "null", "max_length", "unique", "editable", "max_digits", "decimal_places"})


def field_default(p: F.CodeIndex, m: F.Module, call: ast.Call) -> tuple[str, Any] | None:
    """The ``default=`` of the field made by ``call`` (a field class called in ``m``) as the stand-in applies it:
    ``("value", literal)`` for a constant, ``("call", dotted)`` for a builtin (``dict``) or a function of the stdlib
    or a third-party package (``django.utils.timezone.now``), called for each new instance; None when the field has
    no ``default=``, or one that is neither (project code, an expression): it is left unset."""
    node = next((k.value for k in call.keywords if k.arg == "default"), None)
    if node is None:
        return None
    try:
        value = ast.literal_eval(node)
        return ("value", {k: _jsonable(v) for k, v in value.items()} if isinstance(value, dict) else _jsonable(value))
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError, AttributeError):
        pass
    if isinstance(node, ast.Name) and node.id in _BUILTIN_DEFAULTS and p.resolve(m, node) is None:
        return ("call", f"builtins.{node.id}")
    dotted = p.resolve(m, node) if isinstance(node, (ast.Name, ast.Attribute)) else None
    if dotted is not None and "." in dotted and p.module_of(dotted) is None:  # not the project's code
        return ("call", dotted)
    return None


_EMPTY_CONTAINERS = frozenset({"dict", "list", "set", "tuple", "frozenset"})


def init_state(p: F.CodeIndex, inits: Iterable[tuple[F.Module, ast.FunctionDef | ast.AsyncFunctionDef]],
               skip: Iterable[str]) -> dict[str, str]:  # fmt: skip
    """attribute → the source of what the model's ``__init__`` (``inits``: the class's own first, then its bases')
    sets it to on each new instance (``self.speaker_cache = {}``), when the generated code can rebuild it per
    instance: a literal (``{}``, ``[]``, ``None``, ``0``, ``"x"``) or an empty builtin container (``set()``,
    ``dict()``). Only the assignments at the top of the body count; one to anything else (an argument, a call of
    other code) leaves the attribute unset, as does one inside a branch or a loop; ``skip`` (the fields, the
    copied members) is never set. The class's own ``__init__`` wins over a base's."""
    out: dict[str, str] = {}
    for m, fn in reversed(list(inits)):  # the furthest base first: a nearer class overrides it
        if not fn.args.args:
            continue
        me = fn.args.args[0].arg
        for stmt in fn.body:
            if isinstance(stmt, ast.Assign):
                targets, value = stmt.targets, stmt.value
            elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
                targets, value = [stmt.target], stmt.value
            else:
                continue
            for t in targets:
                if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and t.value.id == me:
                    if _rebuildable(p, m, value):
                        out[t.attr] = ast.unparse(value)
                    else:
                        out.pop(t.attr, None)
    skipped = set(skip)
    return {k: out[k] for k in sorted(out) if k not in skipped}


def _rebuildable(p: F.CodeIndex, m: F.Module, node: ast.expr) -> bool:
    """Whether ``node`` is a literal or an empty builtin container the generated code evaluates again per instance."""
    if isinstance(node, ast.Call):
        return (
            isinstance(node.func, ast.Name) and node.func.id in _EMPTY_CONTAINERS and not node.args
            and not node.keywords and p.resolve(m, node.func) is None
        )  # fmt: skip
    try:
        ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False
    return True


def blank_default(f: F.ModelField) -> tuple[str, Any] | None:
    """What Django gives field ``f`` of a new instance without a ``default=`` (``Field.get_default``): None when it
    is nullable or of a class that allows no empty string, "" for a string field, None for a relation's id; None
    (left unset) for a third-party class the plan cannot tell."""
    if f.nullable or f.type in _BLANK_NONE_FIELDS or f.type in ("ForeignKey", "OneToOneField"):
        return ("value", None)
    if f.type.endswith(_BLANK_STRING_FIELDS):
        return ("value", "")
    return None


def _jsonable(value: object) -> object:
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    raise ValueError("not a JSON literal")


def _flag(stmt: ast.stmt) -> tuple[str, str] | None:
    """``(member, attribute)`` of a class-level ``member.attribute = <literal>`` (Django's ``alters_data``,
    ``short_description``, ``boolean``...), else None."""
    if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.value, ast.Constant)):
        return None
    target = stmt.targets[0]
    if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name):
        return target.value.id, target.attr
    return None


def _is_manager_or_field(node: ast.expr | None) -> bool:
    """A class attribute that is a manager or a field (``objects = RoomManager()``, ``ScopedManager(...)``,
    ``QS.as_manager()``, ``Manager.from_queryset(QS)()``, ``GenericRelation(...)``): the stand-in has its own."""
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    if isinstance(func, ast.Call):
        return True  # Manager.from_queryset(QS)()
    last = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
    return last.endswith(("Manager", "Field", "ForeignKey", "Relation")) or last in ("as_manager", "from_queryset")


class _Rewrite(cst.CSTTransformer):
    """A copied statement: its function-local imports re-pointed (``replace``), ``inject`` put at the top of the
    copied function's body (after its docstring)."""

    def __init__(self, replace: Callable[[cst.Import | cst.ImportFrom], list[str]], inject: list[str],
                 renames: dict[str, str] | None = None) -> None:  # fmt: skip
        super().__init__()
        self.replace = replace
        self.inject = inject
        self.renames = renames or {}
        self.depth = 0

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        if not self.renames:
            return updated_node
        body: list[Any] = list(updated_node.body)
        stmt = body[0]
        rename = _Rename(self.renames)
        if isinstance(stmt, cst.FunctionDef):  # what is evaluated when the function is made
            params = stmt.params
            fixed = {}
            for group in ("params", "kwonly_params", "posonly_params"):
                fixed[group] = [
                    p.with_changes(default=p.default.visit(rename)) if p.default is not None else p
                    for p in getattr(params, group)
                ]
            body[0] = stmt.with_changes(
                decorators=[d.visit(rename) for d in stmt.decorators], params=params.with_changes(**fixed)
            )
        else:
            body[0] = stmt.visit(rename)
        return updated_node.with_changes(body=body)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        self.depth += 1
        return True

    def leave_SimpleStatementLine(
        self, original_node: cst.SimpleStatementLine, updated_node: cst.SimpleStatementLine
    ) -> cst.BaseStatement | cst.FlattenSentinel[cst.BaseStatement]:
        if not any(isinstance(s, (cst.Import, cst.ImportFrom)) for s in updated_node.body):
            return updated_node
        out: list[cst.BaseStatement] = []
        for small in updated_node.body:
            if isinstance(small, (cst.Import, cst.ImportFrom)):
                out.extend(cst.parse_statement(t) for t in self.replace(small))
            else:
                out.append(cst.SimpleStatementLine(body=[small.with_changes(semicolon=cst.MaybeSentinel.DEFAULT)]))
        return cst.FlattenSentinel(out or [cst.parse_statement("pass")])

    def leave_FunctionDef(self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef) -> cst.FunctionDef:
        self.depth -= 1
        if self.depth or not self.inject:
            return updated_node
        body = updated_node.body
        if isinstance(body, cst.SimpleStatementSuite):
            stmts: list[cst.BaseStatement] = [cst.SimpleStatementLine(body=[s]) for s in body.body]
        else:
            stmts = [s for s in body.body if isinstance(s, cst.BaseStatement)]
        at = 0
        if stmts and isinstance(stmts[0], cst.SimpleStatementLine) and len(stmts[0].body) == 1:
            first = stmts[0].body[0]
            if isinstance(first, cst.Expr) and isinstance(first.value, (cst.SimpleString, cst.ConcatenatedString)):
                at = 1  # the docstring stays first
        new = [cst.parse_statement(t) for t in self.inject]
        return updated_node.with_changes(body=cst.IndentedBlock(body=[*stmts[:at], *new, *stmts[at:]]))


class _Rename(cst.CSTTransformer):
    """Names read by a statement, renamed (attributes, keywords and parameters keep theirs)."""

    def __init__(self, renames: dict[str, str]) -> None:
        super().__init__()
        self.renames = renames

    def leave_Name(self, original_node: cst.Name, updated_node: cst.Name) -> cst.Name:
        return updated_node.with_changes(value=self.renames.get(updated_node.value, updated_node.value))

    def leave_Attribute(self, original_node: cst.Attribute, updated_node: cst.Attribute) -> cst.Attribute:
        return updated_node.with_changes(attr=original_node.attr)

    def leave_Arg(self, original_node: cst.Arg, updated_node: cst.Arg) -> cst.Arg:
        return updated_node.with_changes(keyword=original_node.keyword)

    def leave_Param(self, original_node: cst.Param, updated_node: cst.Param) -> cst.Param:
        return updated_node.with_changes(name=original_node.name)

    def leave_FunctionDef(self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef) -> cst.FunctionDef:
        return updated_node.with_changes(name=original_node.name)

    def leave_ClassDef(self, original_node: cst.ClassDef, updated_node: cst.ClassDef) -> cst.ClassDef:
        return updated_node.with_changes(name=original_node.name)


def _rebind(b: _Binding, name: str, alias: str) -> str:
    """An import binding's statement binding ``alias`` instead of ``name``."""
    if b.text.endswith(f" as {name}"):
        return b.text[: -len(name)] + alias
    return f"{b.text} as {alias}"


class BehaviourPart(KeptCallsPart):
    """The moved models' stand-in classes with the behaviour the monolith can run (see the module docstring)."""

    if TYPE_CHECKING:

        def service_field_types(self, mf: F.ModelFacts) -> dict[str, str]: ...

    def remote_classes(self, functions: tuple[InterfaceFunction, ...], kept: Iterable[str] = ()) -> RemoteClasses:
        """The stand-ins with their behaviour, and copies of the moved names ``kept`` (dotted, where defined:
        what staying code imports that is code, not an endpoint: decorators, forms, constants) when every name
        they use resolves like a member's (see :meth:`_kept`), and of the interface ``functions`` whose result has
        no wire form (:mod:`decompose.extract.plan.kept_calls`): those the monolith keeps are in ``kept_reasons``
        (the planner drops them from the interface); one that cannot be kept stays an interface function."""
        calls = self.kept_calls(f.qualname for f in functions if f.task is None)
        mark = len(self.manual)
        found = self._remote_classes(functions, [*kept, *calls], calls)
        if any(q not in found.kept_names for q in calls):  # not kept: an endpoint again, as before
            calls = {q: c for q, c in calls.items() if q in found.kept_names}
            del self.manual[mark:]
            found = self._remote_classes(functions, [*kept, *calls], calls)
        return found

    def _remote_classes(
        self, functions: tuple[InterfaceFunction, ...], kept: Iterable[str], calls: dict[str, KeptCall]
    ) -> RemoteClasses:
        self._rc_late = False
        self._rc_kept_code: list[CopiedCode] = []
        self._rc_kept_imports: set[str] = set()
        self._rc_functions = {f.qualname: f.name for f in functions if f.task is None and f.qualname not in calls}
        self._rc_globals: dict[str, str] = {}  # module-level name of the generated module → what binds it
        self._rc_imports: set[str] = set()
        self._rc_helpers: dict[tuple[str, str], str | None] = {}  # (module, name) → None (copied) or why not
        self._rc_helper_code: list[CopiedCode] = []
        self._rc_importable: dict[str, bool] = {}
        concrete = sorted(
            (mf for mf in self.p.models.values() if mf.module in self.moved and not mf.abstract),
            key=lambda mf: mf.label,
        )
        self._rc_standins: dict[str, str] = {}
        for mf in concrete:
            name = mf.label.split(".", 1)[1]
            if name not in self._rc_globals:
                self._rc_standins[mf.label] = name
                self._rc_globals[name] = f"stand-in {mf.label}"
        for name in ("orm", "runtime", "SERVICE", "RELATIONS", "annotations"):
            self._rc_globals[name] = "generated"
        models = [self._behaviour(mf) for mf in concrete if mf.label in self._rc_standins]
        self._relations(models, concrete)
        models = [self._relations_done(b) for b in models]
        for b in models:
            for n in (*b.not_copied, *b.queryset_not_copied):
                where = f"{b.label}.{n.name}" if n in b.not_copied else f"{b.label}.objects.{n.name}"
                self.manual.append(
                    ManualStep(
                        n.path,
                        n.line,
                        _PATTERN,
                        f"{where} is not copied into the monolith's stand-in of {b.label}: {n.reason}. In remote "
                        "mode using it raises RemoteBehaviourMissing naming it: give the service an endpoint for "
                        "what it computes, or make it use only the model's fields, relations and staying code",
                    )
                )
        kept_names = self._kept(kept, calls)
        return RemoteClasses(
            tuple(sorted(self._rc_imports)),
            tuple(self._rc_helper_code),
            tuple(models),
            tuple(self._rc_kept_code),
            kept_names,
            tuple(sorted(self._rc_kept_imports)),
            {q: c.reason for q, c in sorted(calls.items()) if q in kept_names},
        )

    def _kept(self, kept: Iterable[str], calls: dict[str, KeptCall]) -> dict[str, str]:
        """Copy each moved name of ``kept`` into the generated module the way a member's helper is copied, after
        the stand-ins (a ModelForm's ``Meta.model`` is one when its class is made): dotted → its name there. A
        name that cannot be copied stays the client's refusing stand-in, its reason a manual step. A kept call
        (``calls``) is copied too, even from a module the monolith could import: in the copy the moved functions it
        calls are the client's (over HTTP, as staying code calls them) and the moved models the stand-ins, where
        the original module would run the moved code's own queries here."""
        self._rc_late = True
        out: dict[str, str] = {}
        try:
            for dotted in sorted(set(kept)):
                mod, _, name = dotted.rpartition(".")
                m = self.p.modules.get(mod)
                node = m.defs.get(name) if m is not None else None
                if m is None or node is None:
                    continue
                try:
                    self._helper(m, name)
                except _Unresolved as exc:
                    self.manual.append(
                        ManualStep(
                            m.path,
                            getattr(node, "lineno", 1),
                            "remote mode: moved code kept",
                            f"{dotted}, which staying code imports, is not kept as a copy in the monolith: "
                            f"{exc.reason}. In remote mode the client's stand-in for it refuses to be used",
                        )
                    )
                    continue
                out[dotted] = name
        finally:
            self._rc_late = False
        return out

    # -- one model --------------------------------------------------------------------

    def _behaviour(self, mf: F.ModelFacts) -> ModelBehaviour:
        m = self.p.modules[mf.module]
        cls = m.defs.get(mf.qualname.rsplit(".", 1)[1])
        if not isinstance(cls, ast.ClassDef):
            return ModelBehaviour(mf.label, self.service_field_types(mf))
        members: dict[str, tuple[F.Module, ast.stmt]] = {}
        meta: dict[str, object] = {}
        meta_node: tuple[F.Module, ast.ClassDef] | None = None  # the model's own Meta (what its metaclass reads)
        base_meta: ast.ClassDef | None = None  # an abstract base's: its options are inherited when there is none
        mixins: list[str] = []
        metaclasses: list[str] = []
        not_copied: dict[str, NotCopied] = {}
        managers: list[tuple[F.Module, ast.expr]] = []
        flags: dict[tuple[str, str], list[str]] = {}
        fields = {f.name for f in mf.fields} | {f.attname for f in mf.fields}
        field_calls: dict[str, tuple[F.Module, ast.Call]] = {}
        inits: list[tuple[F.Module, ast.FunctionDef | ast.AsyncFunctionDef]] = []
        for owner, node in self._class_chain(m, cls, mixins, metaclasses, not_copied):
            for stmt in node.body:
                if isinstance(stmt, ast.ClassDef) and stmt.name == "Meta":
                    if node is cls:
                        meta_node = (owner, stmt)
                    elif base_meta is None:
                        base_meta = stmt
                    continue
                if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) and stmt.name == "__init__":
                    inits.append((owner, stmt))  # not copied (it runs in the service); what it sets is read below
                flag = _flag(stmt)
                if flag is not None:  # ``mark_sent.alters_data = True``: kept with its member (node is one class)
                    flags.setdefault((owner.name, flag[0]), []).append(_segment(owner.source, stmt))
                    continue
                name = self._member_name(stmt)
                if name is None or name in members or name in not_copied:
                    continue
                value = getattr(stmt, "value", None)
                if isinstance(stmt, (ast.Assign, ast.AnnAssign)) and (name in fields or _is_manager_or_field(value)):
                    if _is_manager_or_field(value) and name not in fields and value is not None:
                        managers.append((owner, value))
                    if name in fields and isinstance(value, ast.Call):  # the class nearest the model's wins
                        field_calls.setdefault(name, (owner, value))
                    continue
                if name in RUNS_IN_SERVICE or name in fields:
                    continue
                members[name] = (owner, stmt)
        options = meta_node[1] if meta_node is not None else base_meta
        if options is not None:
            for stmt in options.body:
                if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
                    key = stmt.targets[0].id
                    if key in META_OPTIONS:
                        try:
                            meta[key] = _literal(stmt.value)
                        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
                            pass
        for f in mf.fields:
            if f.type in ("ManyToManyField", "ParentalManyToManyField") and f.target and self._moved_label(f.target):
                not_copied[f.name] = NotCopied(
                    f.name, m.path, f.line,
                    f"a many-to-many relation between moved models ({f.target}) is not readable on the stand-in",
                )  # fmt: skip
        copied: list[CopiedCode] = []
        class_names = set(members)
        for name, (owner, stmt) in members.items():
            try:
                text = self._copy(owner, stmt, class_names=class_names)
            except _Unresolved as exc:
                not_copied[name] = NotCopied(name, owner.path, stmt.lineno, exc.reason)
                continue
            text += "".join(flags.get((owner.name, name), ()))
            copied.append(CopiedCode(name, owner.path, stmt.lineno, text))
        if meta_node is not None and metaclasses:  # the metaclass reads Meta (rules' rules_permissions)
            owner, node = meta_node
            try:
                copied.insert(
                    0, CopiedCode("Meta", owner.path, node.lineno, self._copy(owner, node, class_names=set()))
                )
            except _Unresolved as exc:
                not_copied["Meta"] = NotCopied("Meta", owner.path, node.lineno, exc.reason)
        qs, qs_not = self._queryset(managers[:1])
        return ModelBehaviour(
            label=mf.label,
            types=self.service_field_types(mf),
            mixins=tuple(dict.fromkeys(mixins)),
            metaclasses=tuple(dict.fromkeys(metaclasses)),
            members=tuple(copied),
            not_copied=tuple(sorted(not_copied.values(), key=lambda n: n.name)),
            queryset=qs,
            queryset_not_copied=qs_not,
            meta=meta,
            defaults=self.field_defaults(mf, field_calls),
            choices=self.field_choices(mf, field_calls),
            fields=self.field_classes(mf, field_calls),
            init_state=init_state(self.p, inits, fields | set(members) | set(not_copied)),
        )

    def field_choices(self, mf: F.ModelFacts, calls: dict[str, tuple[F.Module, ast.Call]]) -> dict[str, str]:
        """field name → the source of the field's ``choices=`` (read from its ``calls``), its names bound at the
        generated module's top; a field whose choices name what the module cannot bind as themselves is left out
        (its stand-in has no ``get_<field>_display()``, as before)."""
        out: dict[str, str] = {}
        for f in mf.concrete_fields:
            call = calls.get(f.name)
            node = next((k.value for k in call[1].keywords if k.arg == "choices"), None) if call else None
            if call is None or node is None or f.type in ("ForeignKey", "OneToOneField", "ParentalKey"):
                continue
            try:
                if any(self._module_level(call[0], name) != name for name in sorted(_Names.of(node)[0])):
                    continue
            except _Unresolved:
                continue
            out[f.name] = ast.unparse(node)
        return dict(sorted(out.items()))

    def field_classes(
        self, mf: F.ModelFacts, calls: dict[str, tuple[F.Module, ast.Call]]
    ) -> dict[str, tuple[str, dict[str, Any]]]:
        """field name → (the dotted class of the field as its module imports it, its literal options of
        :data:`FIELD_OPTIONS`), for the stand-in's ``_meta`` to build the same field: a third-party field class
        (i18nfield's ``I18nCharField``) makes its own form field, ``blank=True`` an optional one. Relations are
        left out (the stand-in builds them); a class of a moved module (gone from the monolith) is ``""``."""
        out: dict[str, tuple[str, dict[str, Any]]] = {}
        for f in mf.concrete_fields:
            call = calls.get(f.name)
            if call is None or f.type in ("ForeignKey", "OneToOneField", "ParentalKey"):
                continue
            module, node = call
            dotted = self._dotted(module, node.func) or ""
            found = self.p.split_symbol(dotted) if dotted else None
            if found is not None and found[0] in self.moved:
                dotted = ""
            options: dict[str, Any] = {}
            for keyword in node.keywords:
                if keyword.arg in FIELD_OPTIONS:
                    try:
                        value = ast.literal_eval(keyword.value)
                    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
                        continue
                    if isinstance(value, (bool, int, str)) or value is None:
                        options[keyword.arg] = value
            if dotted or options:
                out[f.name] = (dotted, dict(sorted(options.items())))
        return dict(sorted(out.items()))

    def field_defaults(self, mf: F.ModelFacts, calls: dict[str, tuple[F.Module, ast.Call]]) -> dict[str, Any]:
        """attname → the default a new stand-in of ``mf`` holds, as Django's ``Model.__init__`` gives it (the
        field's ``default=`` read from its ``calls``, else Django's blank value; see :func:`field_default`,
        :func:`blank_default`); a field whose default the plan cannot tell is left out (unset, as before)."""
        out: dict[str, Any] = {}
        for f in mf.concrete_fields:
            if f.type in ("ForeignKey", "OneToOneField", "ParentalKey"):
                continue  # a new stand-in's relation id is None already (orm.RemoteInstance)
            call = calls.get(f.name)
            if call is not None and any(k.arg == "default" for k in call[1].keywords):
                found = field_default(self.p, *call)
            else:
                found = blank_default(f)
            if found is not None:
                out[f.attname] = found
        return dict(sorted(out.items()))

    @staticmethod
    def _member_name(stmt: ast.stmt) -> str | None:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            return stmt.name
        if isinstance(stmt, ast.Assign) and all(isinstance(t, ast.Name) for t in stmt.targets):
            first = stmt.targets[0]
            return first.id if isinstance(first, ast.Name) else None
        if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.value is not None:
            return stmt.target.id
        return None

    def _moved_label(self, label: str) -> bool:
        mf = self.p.model_by_label(label)
        return mf is not None and mf.module in self.moved

    def _class_chain(
        self, m: F.Module, cls: ast.ClassDef, mixins: list[str], metaclasses: list[str],
        not_copied: dict[str, NotCopied],
    ) -> Iterator[tuple[F.Module, ast.ClassDef]]:  # fmt: skip
        """The class and the bases whose bodies are copied into the stand-in (abstract models, moved mixins the
        monolith cannot import), in method resolution order; plain mixins of staying or third-party code go to
        ``mixins`` (as names of the generated module), metaclasses to ``metaclasses``."""
        yield m, cls
        for kw in cls.keywords:
            if kw.arg == "metaclass":
                self._class_time_expr(m, kw.value, metaclasses, not_copied, "metaclass")
        for base in cls.bases:
            dotted = self._dotted(m, base)
            if dotted in _MODEL_CLASSES or dotted is None and ast.unparse(base) in ("models.Model", "Model"):
                continue
            found = self._project_class(dotted) if dotted else None
            if found is not None:
                bm, bnode = found
                model = self.p.models.get(f"{bm.name}.{bnode.name}")
                if model is not None and not model.abstract:
                    continue  # a concrete parent (multi-table inheritance): its fields are the service's
                if model is not None or (bm.name in self.moved and not self._importable(bm.name)):
                    yield from self._class_chain(bm, bnode, mixins, metaclasses, not_copied)
                    continue
            self._class_time_expr(m, base, mixins, not_copied, "base class")

    def _class_time_expr(self, m: F.Module, node: ast.expr, out: list[str], not_copied: dict[str, NotCopied],
                         what: str) -> None:  # fmt: skip
        """A base class or metaclass expression: its names bound at the top of the generated module."""
        try:
            for name in sorted(_Names.of(node)[0]):
                self._module_level(m, name)
        except _Unresolved as exc:
            text = ast.unparse(node)
            not_copied[text] = NotCopied(text, m.path, node.lineno, f"the {what} {text}: {exc.reason}")
            return
        out.append(ast.unparse(node))

    def _dotted(self, m: F.Module, node: ast.expr) -> str | None:
        if isinstance(node, ast.Name):
            target = self._top_imports(m).get(node.id)
            if target is not None:
                return target
            return f"{m.name}.{node.id}" if node.id in m.defs else None
        if isinstance(node, ast.Attribute):
            base = self._dotted(m, node.value)
            return f"{base}.{node.attr}" if base else None
        return None

    def _project_class(self, dotted: str) -> tuple[F.Module, ast.ClassDef] | None:
        seen = 0
        while seen < 10:
            s = self.p.split_symbol(dotted)
            if s is None or "." in s[1]:
                return None
            mod = self.p.modules[s[0]]
            node = mod.defs.get(s[1])
            if isinstance(node, ast.ClassDef):
                return mod, node
            target = mod.exports.get(s[1]) or self._top_imports(mod).get(s[1])
            if not target or target == dotted:
                return None
            dotted, seen = target, seen + 1
        return None

    # -- the manager's queryset ------------------------------------------------------

    def _queryset(
        self, managers: list[tuple[F.Module, ast.expr]]
    ) -> tuple[tuple[CopiedCode, ...], tuple[NotCopied, ...]]:
        """The methods of the project classes a manager expression names (``RoomManager``, ``_manager_class=``,
        ``from_queryset(QS)``, ``QS.as_manager()``) and of their project bases; the manager's own win."""
        methods: dict[str, tuple[F.Module, ast.stmt]] = {}
        seen: set[tuple[str, str]] = set()
        stack: list[tuple[F.Module, ast.expr]] = list(managers)
        while stack:
            m, expr = stack.pop(0)
            for node in ast.walk(expr):
                if not isinstance(node, (ast.Name, ast.Attribute)):
                    continue
                dotted = self._dotted(m, node)
                found = self._project_class(dotted) if dotted else None
                if found is None or (found[0].name, found[1].name) in seen:
                    continue
                cm, cnode = found
                seen.add((cm.name, cnode.name))
                for stmt in cnode.body:
                    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) and not (
                        stmt.name.startswith("__") or stmt.name in methods or stmt.name in QUERYSET_MACHINERY
                    ):
                        methods[stmt.name] = (cm, stmt)
                stack.extend((cm, b) for b in cnode.bases)
        copied: list[CopiedCode] = []
        refused: list[NotCopied] = []
        for name in methods:
            m, stmt = methods[name]
            try:
                copied.append(CopiedCode(name, m.path, stmt.lineno, self._copy(m, stmt, class_names=set())))
            except _Unresolved as exc:
                refused.append(NotCopied(name, m.path, stmt.lineno, exc.reason))
        return tuple(copied), tuple(sorted(refused, key=lambda n: n.name))

    # -- relations between moved models ----------------------------------------------

    def _relations(self, models: list[ModelBehaviour], concrete: list[F.ModelFacts]) -> None:
        self._rc_reverse: dict[str, dict[str, tuple[str, str]]] = {}
        self._rc_forward: dict[str, dict[str, str]] = {}
        for mf in concrete:
            app, name = mf.label.split(".", 1)
            for f in mf.fields:
                if f.type not in ("ForeignKey", "OneToOneField", "ParentalKey") or not f.target:
                    continue
                if not self._moved_label(f.target):
                    continue
                self._rc_forward.setdefault(mf.label, {})[f.name] = f.target
                if f.type == "OneToOneField":
                    continue  # the reverse of a one-to-one is one row: not a queryset
                accessor = f.related_name or f"{name.lower()}_set"
                accessor = accessor.replace("%(class)s", name.lower()).replace("%(app_label)s", app)
                if accessor.endswith("+"):
                    continue
                self._rc_reverse.setdefault(f.target, {})[accessor] = (mf.label, f.name)

    def _relations_done(self, b: ModelBehaviour) -> ModelBehaviour:
        taken = {c.name for c in b.members} | {n.name for n in b.not_copied}
        reverse = {k: v for k, v in sorted(self._rc_reverse.get(b.label, {}).items()) if k not in taken}
        forward = {k: v for k, v in sorted(self._rc_forward.get(b.label, {}).items()) if k not in taken}
        return replace(b, reverse=reverse, forward=forward)

    # -- names -----------------------------------------------------------------------

    def _top_imports(self, m: F.Module) -> dict[str, str]:
        """Name → dotted target of the imports a module runs when it is imported (not those inside functions)."""
        cache: dict[str, dict[str, str]] = self.__dict__.setdefault("_rc_top_imports", {})
        if m.name not in cache:
            out: dict[str, str] = {}
            stack: list[ast.stmt] = list(m.tree.body)
            while stack:
                node = stack.pop(0)
                if isinstance(node, ast.Import):
                    for a in node.names:
                        if a.asname:
                            out[a.asname] = a.name
                        else:
                            out.setdefault(a.name.split(".")[0], a.name.split(".")[0])
                elif isinstance(node, ast.ImportFrom):
                    base = absolute_module(m.package, node.module, node.level)
                    for a in node.names:
                        if a.name != "*":
                            out[a.asname or a.name] = f"{base}.{a.name}" if base else a.name
                elif isinstance(node, (ast.If, ast.Try)):
                    for field in ("body", "orelse", "finalbody"):
                        stack.extend(getattr(node, field, ()))
                    for h in getattr(node, "handlers", ()):
                        stack.extend(h.body)
            cache[m.name] = out
        return cache[m.name]

    def _importable(self, mod: str) -> bool:
        """Whether the monolith can import moved module ``mod`` in remote mode: it and its packages define no
        concrete model and import (at module level, transitively) no moved module that does."""
        if mod in self._rc_importable:
            return self._rc_importable[mod]
        self._rc_importable[mod] = True  # optimistic inside an import cycle
        ok = True
        parts = mod.split(".")
        for name in [".".join(parts[:i]) for i in range(1, len(parts) + 1)]:
            m = self.p.modules.get(name)
            if m is None:
                continue
            if any(mf.module == name and not mf.abstract for mf in self.p.models.values()):
                ok = False
                break
            for target in self._top_imports(m).values():
                dep = self.p.module_of(target)
                if dep is not None and dep in self.moved and dep != name and not self._importable(dep):
                    ok = False
                    break
            if not ok:
                break
        self._rc_importable[mod] = ok
        return ok

    def _binding(self, m: F.Module, name: str) -> _Binding:
        """How ``name``, read by code of module ``m`` at its top level, is bound in the generated module."""
        target = self._top_imports(m).get(name)
        if target is not None:
            return self._target(name, target)
        if name in m.defs and m.name not in self.moved:
            return _Binding("import", import_text(name, f"{m.name}.{name}"))  # staying code: imported as it is
        if name in m.defs:
            mf = self.p.models.get(f"{m.name}.{name}")
            if mf is not None:
                return self._model(name, mf)
            return self._helper(m, name)
        raise _Unresolved(f"{name} is not defined at the top of {m.path}")

    def _target(self, name: str, dotted: str) -> _Binding:
        mod = self.p.module_of(dotted)
        if mod is None or mod not in self.moved:
            return _Binding("import", import_text(name, dotted))  # the stdlib, third-party or staying code
        mf = self.p.model_by_name(dotted)
        if mf is not None:
            return self._model(name, mf)
        fn = self._rc_functions.get(dotted) or self._rc_functions.get(self.p.reexport(dotted) or "")
        if fn is not None:
            return _Binding("client", f"{name} = runtime.client(SERVICE).{fn}")
        if self._importable(mod):
            return _Binding("import", import_text(name, dotted))
        s = self.p.split_symbol(dotted)
        if s is not None and "." not in s[1] and s[1] == name and s[1] in self.p.modules[s[0]].defs:
            return self._helper(self.p.modules[s[0]], name)
        raise _Unresolved(
            f"it uses {dotted}, code of the {self.service} service the monolith cannot import in remote mode"
        )

    def _model(self, name: str, mf: F.ModelFacts) -> _Binding:
        cls = self._rc_standins.get(mf.label)
        if cls is None:
            raise _Unresolved(f"it uses {mf.label}, which has no stand-in here")
        return _Binding("standin", "" if cls == name else f"{name} = {cls}")

    def _helper(self, m: F.Module, name: str) -> _Binding:
        key = (m.name, name)
        if key not in self._rc_helpers:
            owner = self._rc_globals.get(name)
            if owner is not None and owner != f"helper {m.name}":
                self._rc_helpers[key] = f"its helper {name} clashes with {owner} in the generated module"
            else:
                self._rc_globals[name] = f"helper {m.name}"
                self._rc_helpers[key] = None  # optimistic (recursion)
                node = m.defs[name]
                late = getattr(self, "_rc_late", False)  # a kept copy: after the stand-ins
                if late and isinstance(node, (ast.Assign, ast.AnnAssign)) and self._reads_standin(m, node):
                    why = f"its value {name} reads a moved model when the module is imported"
                    self._rc_helpers[key] = why
                    del self._rc_globals[name]
                    raise _Unresolved(why)
                try:
                    text = self._copy(m, node, class_names=set(), top=not late)  # type: ignore[arg-type]
                except _Unresolved as exc:
                    self._rc_helpers[key] = f"it uses {name} of {m.path}, and {exc.reason}"
                    del self._rc_globals[name]
                else:
                    code = self._rc_kept_code if late else self._rc_helper_code
                    code.append(CopiedCode(name, m.path, node.lineno, text))  # type: ignore[attr-defined]
        reason = self._rc_helpers[key]
        if reason is not None:
            raise _Unresolved(reason)
        return _Binding("helper", "")

    def _reads_standin(self, m: F.Module, node: ast.stmt) -> bool:
        """Whether a module-level statement reads a moved model (a query run at import)."""
        for name in _Names.of(node)[0]:
            try:
                if self._binding(m, name).kind == "standin":
                    return True
            except _Unresolved:
                return False  # _copy says why
        return False

    def _module_level(self, m: F.Module, name: str, *, top: bool = False) -> str:
        """Bind ``name`` (read by ``m``'s code when a class or the module is made) at the generated module's top;
        the name it is bound as there (``cached_property__2`` when another module's ``cached_property`` is
        another object)."""
        b = self._binding(m, name)
        if b.kind == "standin":
            if top or b.text:
                raise _Unresolved(f"it needs the stand-in {name} when the class is made")
            return name
        if b.kind == "helper" or not b.text:
            return name
        alias, n = name, 1
        while True:
            text = b.text if alias == name else _rebind(b, name, alias)
            owner = self._rc_globals.get(alias)
            if owner is None or owner == text:
                break
            if b.kind != "import":
                raise _Unresolved(f"{name} means {b.text!r} here and {owner!r} elsewhere in the generated module")
            n += 1
            alias = f"{name}__{n}"
        self._rc_globals[alias] = text
        # a kept copy's imports are its own module's (imported when staying code asks for it, never with the models)
        (self._rc_kept_imports if getattr(self, "_rc_late", False) else self._rc_imports).add(text)
        return alias

    def _copy(self, m: F.Module, node: ast.stmt, *, class_names: set[str], top: bool = False) -> str:
        """The text of ``node`` of module ``m`` as the generated module holds it (see the module docstring)."""
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            made = [*node.decorator_list, *node.args.defaults, *(d for d in node.args.kw_defaults if d is not None)]
            now = _Names.of(*made, root=node)[0] if made else set()
            body, globals_ = _Names.of(node)
            later = body - now
        else:
            now, globals_ = _Names.of(node)
            later = set()
        renames = {}
        for name in sorted(now - class_names):
            alias = self._module_level(m, name, top=top)
            if alias != name:
                renames[name] = alias
        inject: list[str] = []
        for name in sorted(later):
            b = self._binding(m, name)
            if name in globals_ and b.kind not in ("helper",):
                raise _Unresolved(f"it assigns the global {name}, which is not a helper of the moved module")
            if b.text:
                inject.append(b.text)

        def replace(stmt: cst.Import | cst.ImportFrom) -> list[str]:
            return self._local_import(m, stmt)

        text = _segment(m.source, node)
        try:
            tree = cst.parse_module(text)
        except cst.ParserSyntaxError as exc:
            raise _Unresolved(f"its text cannot be parsed on its own ({exc.message})") from None
        return tree.visit(_Rewrite(replace, inject, renames)).code

    def _local_import(self, m: F.Module, stmt: cst.Import | cst.ImportFrom) -> list[str]:
        """A function-local import of the copied code as statements of the generated module."""
        pairs: list[tuple[str, str]] = []
        if isinstance(stmt, cst.Import):
            for a in stmt.names:
                dotted = cst.helpers.get_full_name_for_node(a.name) or ""
                name = a.asname.name.value if a.asname and isinstance(a.asname.name, cst.Name) else dotted.split(".")[0]
                pairs.append((name, dotted if a.asname else dotted.split(".")[0]))
        else:
            module = cst.helpers.get_full_name_for_node(stmt.module) if stmt.module is not None else None
            base = absolute_module(m.package, module, len(stmt.relative)) or ""
            if isinstance(stmt.names, cst.ImportStar):
                raise _Unresolved(f"it star-imports {base}")
            for a in stmt.names:
                leaf = cst.helpers.get_full_name_for_node(a.name) or ""
                name = a.asname.name.value if a.asname and isinstance(a.asname.name, cst.Name) else leaf
                pairs.append((name, f"{base}.{leaf}" if base else leaf))
        out = []
        for name, dotted in pairs:
            b = self._target(name, dotted)
            if b.text:
                out.append(b.text)
        return out
