"""Facts from one Python file, read as text: imports, definitions, uses of imported names.

:func:`scan_source` is a pure function of ``(module, source, is_package,
migration)``. It parses with the standard :mod:`ast` (fast, C); when the syntax
is newer than the running interpreter (``type X = int``, PEP 695 generics,
PEP 701 nested f-strings) it parses with LibCST instead, rewrites those
constructs into older equivalent syntax that keeps every name and line, and
scans the result with the same single-pass visitor. Nothing is imported or run.

Example::

    >>> f = scan_source("shop.views", b"from orders.models import Order\\nOrder.objects.all()\\n")
    >>> f.imports[0].module, f.imports[0].name
    ('orders.models', 'Order')
    >>> [(u.kind, u.target) for u in f.uses]
    [('orm', 'orders.models.Order.objects.all')]
"""

from __future__ import annotations

import ast
import builtins
import re
from typing import Any

from decompose.scan import django
from decompose.scan.facts import AtomicFact, ClassFact, FieldFact, Import, ModuleFacts, Use

_BUILTINS = frozenset(dir(builtins)) | {"__file__", "__name__", "__doc__", "__package__", "__spec__", "__path__"}
_DOTTED = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+\Z")
_NAME_PATH = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*\Z")

#: A static type, as far as it is knowable: ``(is_class, root, rest, hops, settled)``. ``root.rest``
#: names a class (maybe a model) in the module's terms; ``is_class`` False means an instance, queryset
#: or manager of it, reached through the relation attributes ``hops``, of which the first ``settled``
#: were written where a variable got its value (their evidence is there, not at each use).
Type = tuple[bool, str, tuple[str, ...], tuple[str, ...], int]
#: function-scope markers: the name resolves through the module's bindings (a local import, ``global``)
_MODULE = (True, "", (), (), 0)
_GLOBAL = (True, " global", (), (), 0)


def _settle(t: Type | None) -> Type | None:
    """The type as a variable holds it: its hops are evidenced where it was assigned."""
    if t is None or t[0] or t[4] == len(t[3]):
        return t
    return (False, t[1], t[2], t[3], len(t[3]))
_MISSING = object()
_SHORTCUTS = frozenset({"get_object_or_404", "get_list_or_404"})
#: top-level packages a related-use chain never resolves into (saves facts on annotated code)
_NOT_PROJECT = frozenset(__import__("sys").stdlib_module_names) | {"django", "typing_extensions", "rest_framework"}


#: operator and context fields hold no names: the visitor never descends into them
_SKIP_FIELDS = frozenset({"op", "ops", "ctx", "type_comment"})
#: ASDL field types that are plain values, never nodes
_PLAIN_TYPES = frozenset({"identifier", "string", "int", "constant", "bytes", "object", "singleton"})
_SIGNATURE = re.compile(r"\w+\((.*)\)\Z", re.S)

#: How the visitor descends into a child held in a single-node field: the commonest leaves (a name
#: read, a constant) are handled inline, anything else goes through the dispatch table ``D``.
_CHILD = """\
    v = node.{f}
    c = v.__class__
    if c is _Name:
        if v.ctx.__class__ is not _Load:
            self.v_name(v)
        elif self.collectors:
            self.touch([v.id])
    elif c is _Constant:
        if not self.local and not self.cls:
            self.v_constant(v)
    elif v is not None:
        D[c](self, v)
"""
_CHILDREN = """\
    v = node.{f}
    if v:
        self.visit_all(v)
"""
_ANY = """\
    v = node.{f}
    if v.__class__ is list:
        self.visit_all(v)
    elif isinstance(v, _AST):
        self.visit(v)
"""


def _node_fields(cls: type) -> list[tuple[str, str]]:
    """``(field, "one" | "many" | "any")`` for the fields of ``cls`` that may hold nodes.

    Read from the ASDL signature in the class's docstring (``Compare(expr left, cmpop* ops, ...)``);
    a class without one gets "any" (decided at run time) for every field.
    """
    fields = [f for f in cls._fields if f not in _SKIP_FIELDS]  # type: ignore[attr-defined]
    m = _SIGNATURE.match((cls.__doc__ or "").strip())
    if m is None:
        return [(f, "any") for f in fields]
    types: dict[str, str] = {}
    for part in m.group(1).split(","):
        bits = part.split()
        if len(bits) == 2:
            types[bits[1]] = bits[0]
    out = []
    for f in fields:
        t = types.get(f)
        if t is None:
            out.append((f, "any"))
        elif t.rstrip("*?") in _PLAIN_TYPES:
            continue
        else:
            out.append((f, "many" if t.endswith("*") else "one"))
    return out


class _Dispatch(dict):
    """AST class -> ``visit(scanner, node)``: the scanner's ``v_*`` handlers, and for every other class a
    function generated on first sight that visits exactly its node-holding fields (no per-node loop
    over field names, no ``getattr``)."""

    def __missing__(self, cls: type) -> Any:
        body = "".join({"one": _CHILD, "many": _CHILDREN, "any": _ANY}[k].format(f=f) for f, k in _node_fields(cls))
        src = f"def visit(self, node):\n{body or '    pass'}\n"
        env = {"_Name": _Name, "_Constant": _Constant, "_Load": _Load, "_AST": ast.AST, "D": self}
        exec(compile(src, f"<decompose visitor for {cls.__name__}>", "exec"), env)  # our own template
        fn = self[cls] = env["visit"]
        return fn


class ScanError(Exception):
    """The file cannot be analysed; ``reason`` says why (listed as skipped, never fatal)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


_MIGRATION_CLASS = re.compile(rb"^class\s+Migration\b", re.M)


def count_lines(source: bytes) -> int:
    if not source:
        return 0
    return source.count(b"\n") + (0 if source.endswith(b"\n") else 1)


def scan_source(module: str, source: bytes, *, is_package: bool = False, migration: bool = False) -> ModuleFacts:
    """Scan one file's bytes into :class:`ModuleFacts`; raise :class:`ScanError` if it cannot be read as Python 3."""
    if b"\0" in source:
        raise ScanError("contains NUL bytes (binary file?)")
    lines = count_lines(source)
    # a module in a migrations/ folder without a Migration class is a helper (wagtail's
    # blocks/migrations/operations.py), not a Django migration: scan it in full
    if migration and _MIGRATION_CLASS.search(source):
        return django.scan_migration(module, source, is_package=is_package, lines=lines)
    tree, parser = _parse(source)
    try:
        return _Scanner(module, is_package).run(tree, lines, parser)
    except RecursionError:
        raise ScanError("expressions nested too deeply to analyse") from None


def parse_source(source: bytes) -> ast.Module:
    """The syntax tree scanning reads (newer syntax rewritten as :func:`scan_source` does); :class:`ScanError`
    when the bytes are not Python 3 this analyser can read."""
    if b"\0" in source:
        raise ScanError("contains NUL bytes (binary file?)")
    return _parse(source)[0]


def _parse(source: bytes) -> tuple[ast.Module, str]:
    try:
        return ast.parse(source), "ast"
    except SyntaxError as exc:
        reason = _syntax_reason(exc)
        if reason.startswith(("not valid", "unknown encoding", "cannot decode")):
            raise ScanError(reason) from None
        if "too many nested" in reason or "too many levels" in reason or "too complex" in reason:
            raise ScanError(reason) from None  # CPython's own nesting limits: no parser does better
        try:
            return _parse_newer_syntax(source), "libcst"
        except ScanError as fallback:
            if fallback.reason.startswith("LibCST cannot parse"):
                raise ScanError(reason) from None
            raise ScanError(f"{reason}; {fallback.reason}") from None
    except (MemoryError, RecursionError):
        raise ScanError("expressions nested too deeply to parse") from None
    except ValueError as exc:
        raise ScanError(f"cannot parse: {exc}") from None


def _syntax_reason(exc: SyntaxError) -> str:
    msg = str(exc.msg or exc)
    if "unicode error" in msg or "codec can't decode" in msg:
        return f"not valid in its declared encoding (UTF-8 unless declared): {msg.replace('(unicode error) ', '')}"
    if "unknown encoding" in msg:
        return msg
    where = f" at line {exc.lineno}" if exc.lineno else ""
    hint = " (Python 2 code?)" if re.search(r"print|exec|Missing parentheses|invalid token|leading zeros", msg) else ""
    return f"syntax error{where}: {msg}{hint}"


# -- LibCST fallback ---------------------------------------------------------------


def _parse_newer_syntax(source: bytes) -> ast.Module:
    """Parse syntax newer than this interpreter with LibCST, downgraded, then ``ast.parse`` the result.

    LibCST runs in a helper process (:mod:`decompose.scan.fallback`): its native parser crashes or
    spins on hostile input, which must cost one file, never the analysis. Raises :class:`ScanError`
    with the reason when the file cannot be read.
    """
    from decompose.scan.fallback import FallbackError, fallback_parser

    try:
        code = fallback_parser().downgrade(source)
    except FallbackError as exc:
        raise ScanError(exc.reason) from None
    try:
        return ast.parse(code)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        raise ScanError("LibCST read it, but its rewrite is not valid Python") from None


# -- the visitor -------------------------------------------------------------------


_Attribute = ast.Attribute
_Name = ast.Name
_Load = ast.Load
_Constant = ast.Constant
_Expr = ast.Expr
_Call = ast.Call
_CALL_NAMES = django.CALL_NAMES
_MANAGER_ATTRS = django.MANAGER_ATTRS
_LOOKUP_ANY = django.LOOKUP_ANY


def _parts(node: ast.AST) -> list[str] | None:
    """``a.b.c`` -> ``["a", "b", "c"]``; None if the expression is not a plain dotted name."""
    cls = node.__class__
    if cls is _Name:
        return [node.id]  # type: ignore[attr-defined]
    out: list[str] = []
    while cls is _Attribute:
        out.append(node.attr)  # type: ignore[attr-defined]
        node = node.value  # type: ignore[attr-defined]
        cls = node.__class__
    if cls is _Name:
        out.append(node.id)  # type: ignore[attr-defined]
        out.reverse()
        return out
    return None


def _const_str(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


class _Scanner:
    def __init__(self, module: str, is_package: bool) -> None:
        self.module = module
        self.pkg = module if is_package else module.rpartition(".")[0]
        self.imports: list[Import] = []
        self.bindings: dict[str, tuple[str, tuple[str, ...]]] = {}
        self.exports: dict[str, str] = {}
        # uses rooted in a bare name, resolved against the bindings at the end:
        # (kind, ref, root, rest, line, flags, suffix)
        self.cands: list[tuple[str, str, str, tuple[str, ...], int, tuple[str, ...], str]] = []
        self.uses: list[Use] = []
        self.raw_classes: list[
            tuple[str, int, list[list[str]], dict[str, Any], dict[str, Any], list[Any], list[Any]]
        ] = []
        self.atomic: list[tuple[int, set[tuple[str, ...]]]] = []
        self.collectors: list[set[tuple[str, ...]]] = []
        self.defs: set[str] = set()
        self.bound: set[str] = set()
        self.signals: set[str] = set()
        self.constants: dict[str, Any] = {}
        self.dotted: list[tuple[str, int]] = []
        #: ``settings.NAME`` reads: (root name, NAME, line); resolved against the bindings at the end
        self.setting_reads: list[tuple[str, str, int]] = []
        self.all_names: tuple[str, ...] | None = None
        #: module-level names bound to a model loaded by name: ``Product = get_model("catalogue", "Product")``
        #: -> "@catalogue.Product"; ``User = get_user_model()`` -> "@@AUTH_USER_MODEL"
        self.model_alias: dict[str, str] = {}
        self.star = False
        self.tc = False
        self.local = 0
        self.cls = 0
        #: function (and comprehension/lambda) scopes: name -> None (a local of unknown type), a Type, or a marker
        self.scopes: list[dict[str, Any]] = []
        #: the type of ``self`` for methods of the model-like class being visited
        self.self_type: Type | None = None
        self.model_like: set[str] = set()

    # -- driver --------------------------------------------------------------
    def visit(self, node: ast.AST) -> None:
        _DISPATCH[node.__class__](self, node)

    def visit_all(self, nodes: list[Any] | tuple[Any, ...]) -> None:
        """Visit ``nodes``; the commonest leaves (constants, names read) are handled inline."""
        D = _DISPATCH
        for n in nodes:
            c = n.__class__
            if c is _Constant:
                if not self.local and not self.cls:
                    self.v_constant(n)
            elif c is _Name:
                if n.ctx.__class__ is not _Load:
                    self.v_name(n)
                elif self.collectors:
                    self.touch([n.id])
            elif c is _Expr and n.value.__class__ is _Call:
                self.v_call(n.value)  # a call statement: the commonest statement after assignments
            elif n is not None and c is not str:
                D[c](self, n)

    @property
    def top(self) -> bool:
        return self.local == 0 and self.cls == 0

    def ctx_flags(self) -> tuple[str, ...]:
        if self.tc and self.local:
            return ("type_checking", "local")
        if self.tc:
            return ("type_checking",)
        if self.local:
            return ("local",)
        return ()

    # -- scopes ---------------------------------------------------------------
    def lookup(self, name: str) -> Any:
        """What ``name`` is in the enclosing function scopes: None / a Type / _MISSING (not local).

        Each scope dict starts as a copy of its parent's, so one look-up answers for the whole chain.
        """
        if not self.scopes:
            return _MISSING
        v = self.scopes[-1].get(name, _MISSING)
        return _MISSING if v is _MODULE or v is _GLOBAL else v

    def push(self, own: dict[str, Any]) -> None:
        """Enter a function, lambda or comprehension scope binding ``own``."""
        if self.scopes:
            merged = dict(self.scopes[-1])
            merged.update(own)
            self.scopes.append(merged)
        else:
            self.scopes.append(own)

    def store(self, name: str, value: Type | None = None) -> None:
        """``name`` is bound in the current function scope (a no-op at module and class level)."""
        if self.scopes:
            sc = self.scopes[-1]
            if sc.get(name) is not _GLOBAL:
                sc[name] = value

    def cand(self, kind: str, parts: list[str], line: int, ref: str = "chain") -> None:
        root = parts[0]
        if self.scopes:
            v = self.lookup(root)
            if v is not _MISSING:
                if v is None or not v[0]:
                    return  # a local value, not what the module imported
                # a local alias of a class or function (``model = Order``)
                self.cands.append((kind, ref, v[1], v[2] + tuple(parts[1:]), line, (), ""))
                return
        self.cands.append((kind, ref, root, tuple(parts[1:]), line, (), ""))

    def touch(self, parts: list[str]) -> None:
        if self.collectors:
            if self.scopes and self.lookup(parts[0]) is not _MISSING:
                return
            t = tuple(parts)
            for c in self.collectors:
                c.add(t)

    # -- static types of model instances -------------------------------------
    def annot_type(self, node: ast.AST) -> Type | None:
        """The instance type an annotation names: ``Order``, ``"Order"``, ``Order | None``, ``Optional[Order]``."""
        if isinstance(node, ast.Constant):
            if not isinstance(node.value, str) or not _NAME_PATH.match(node.value):
                return None
            parts = node.value.split(".")
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            if isinstance(node.right, ast.Constant) and node.right.value is None:
                return self.annot_type(node.left)
            if isinstance(node.left, ast.Constant) and node.left.value is None:
                return self.annot_type(node.right)
            return None
        elif isinstance(node, ast.Subscript):
            p = _parts(node.value)
            return self.annot_type(node.slice) if p and p[-1] == "Optional" else None
        else:
            parts = _parts(node)  # type: ignore[assignment]
            if not parts:
                return None
        root = parts[0]
        if root in _BUILTINS or (self.scopes and self.lookup(root) is not _MISSING):
            return None
        return (False, root, tuple(parts[1:]), (), 0)

    def expr_type(self, node: ast.AST) -> Type | None:
        """The static type of an expression, when it is a class reference or a model instance/queryset."""
        t = type(node)
        if t is ast.Name:
            name = node.id  # type: ignore[attr-defined]
            if self.scopes:
                v = self.lookup(name)
                if v is not _MISSING:
                    return v
            if name in _BUILTINS:
                return None
            return (True, name, (), (), 0)
        if t is ast.Attribute:
            base = self.expr_type(node.value)  # type: ignore[attr-defined]
            if base is None:
                return None
            attr = node.attr  # type: ignore[attr-defined]
            if base[0]:
                if attr in django.MANAGERS:
                    return (False, base[1], base[2], base[3], base[4])
                return (True, base[1], base[2] + (attr,), base[3], base[4])
            if attr in django.QS_SAME:
                return base
            return (False, base[1], base[2], base[3] + (attr,), base[4])
        if t is ast.Call:
            f = node.func  # type: ignore[attr-defined]
            ft = type(f)
            if ft is ast.Attribute:
                if f.attr in django.QS_SAME:
                    base = self.expr_type(f.value)
                    return base if base is not None and not base[0] else None
                name = f.attr
            elif ft is ast.Name:
                name = f.id
            else:
                return None
            if name in _SHORTCUTS and node.args:  # type: ignore[attr-defined]
                a = self.expr_type(node.args[0])  # type: ignore[attr-defined]
                return None if a is None else (False, a[1], a[2], a[3], a[4])
            if name in django.MODEL_LOADERS:
                model = django.loaded_model(node)  # type: ignore[arg-type]
                return None if model is None else (True, model, (), (), 0)
            return None
        if t is ast.Subscript or t is ast.Await:
            base = self.expr_type(node.value)  # type: ignore[attr-defined]
            return base if base is not None and not base[0] else None
        return None

    def related(self, t: Type, more: tuple[str, ...] | list[str], line: int, lookup: str = "") -> None:
        """A use of the relations reached from instance type ``t`` through ``more`` attributes (and a lookup)."""
        hops = t[3] + tuple(more) if more else t[3]
        for i, h in enumerate(hops):
            if h in django.NOT_RELATIONS or h.startswith("__"):
                if lookup:
                    return
                hops = hops[:i]
                break
        if len(hops) <= t[4] and not lookup:
            return
        suffix = "".join((":~" if i < t[4] else ":") + h for i, h in enumerate(hops)) + ("|" + lookup if lookup else "")
        self.cands.append(("orm", "related", t[1], t[2], line, (), suffix))

    def lookups(self, node: ast.Call, method: str, t: Type) -> None:
        """Lookups that traverse relations: ``filter(order__customer__email=x)``, ``select_related("a__b")``."""
        line = node.lineno
        if method in django.LOOKUP_KW:
            for kw in node.keywords:
                if kw.arg and "__" in kw.arg:
                    self.related(t, (), line, kw.arg.rpartition("__")[0])
            for a in node.args:
                self.q_lookups(a, t, line)
        elif method in django.LOOKUP_PATHS:
            for a in node.args:
                s = _const_str(a)
                if s:
                    self.related(t, (), line, s)
        else:
            for a in node.args:
                s = _const_str(a)
                if s and "__" in s:
                    self.related(t, (), line, s.lstrip("-").rpartition("__")[0])

    def q_lookups(self, node: ast.AST, t: Type, line: int) -> None:
        if type(node) is ast.Call:
            p = _parts(node.func)
            if p and p[-1] == "Q":
                for kw in node.keywords:
                    if kw.arg and "__" in kw.arg:
                        self.related(t, (), line, kw.arg.rpartition("__")[0])
                for a in node.args:
                    self.q_lookups(a, t, line)
        elif type(node) is ast.BinOp:
            self.q_lookups(node.left, t, line)
            self.q_lookups(node.right, t, line)
        elif type(node) is ast.UnaryOp:
            self.q_lookups(node.operand, t, line)

    # -- imports -------------------------------------------------------------
    def bind(self, name: str, chain: str, flags: tuple[str, ...]) -> None:
        self.bound.add(name)
        if self.scopes:
            self.scopes[-1][name] = _MODULE
        old = self.bindings.get(name)
        if old is None or (old[1] and not flags):
            self.bindings[name] = (chain, flags)
        if self.top and not self.tc:
            self.exports[name] = chain

    def v_import(self, node: ast.Import) -> None:
        flags = self.ctx_flags()
        for alias in node.names:
            self.imports.append(Import(alias.name, "", node.lineno, flags))
            if alias.asname:
                self.bind(alias.asname, alias.name, flags)
            else:
                root = alias.name.partition(".")[0]
                self.bind(root, root, flags)

    def resolve_relative(self, level: int, module: str | None) -> str | None:
        if level == 0:
            return module
        parts = self.pkg.split(".") if self.pkg else []
        if level - 1 >= len(parts):
            return None  # beyond the top-level package: Python refuses it too
        base = ".".join(parts[: len(parts) - (level - 1)])
        if module:
            base = f"{base}.{module}" if base else module
        return base or None

    def v_importfrom(self, node: ast.ImportFrom) -> None:
        if node.module == "__future__":
            return
        base = self.resolve_relative(node.level or 0, node.module)
        if base is None:
            return
        flags = self.ctx_flags()
        for alias in node.names:
            self.imports.append(Import(base, alias.name, node.lineno, flags))
            if alias.name == "*":
                self.star = True
            else:
                self.bind(alias.asname or alias.name, f"{base}.{alias.name}", flags)

    # -- statements ----------------------------------------------------------
    def v_if(self, node: ast.If) -> None:
        self.visit(node.test)
        parts = _parts(node.test)
        if parts and parts[-1] == "TYPE_CHECKING":
            old, self.tc = self.tc, True
            self.visit_all(node.body)
            self.tc = old
        else:
            self.visit_all(node.body)
        self.visit_all(node.orelse)

    def v_function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        atomic = False
        kind = ""
        for dec in node.decorator_list:
            if django.is_atomic(dec):
                atomic = True
            elif type(dec) is ast.Name and dec.id in ("staticmethod", "classmethod"):
                kind = dec.id
            self.visit(dec)
        a = node.args
        every = [*a.posonlyargs, *a.args, *a.kwonlyargs]
        if a.vararg is not None:
            every.append(a.vararg)
        if a.kwarg is not None:
            every.append(a.kwarg)
        self.visit_all(a.defaults)
        self.visit_all(a.kw_defaults)
        scope: dict[str, Any] = {}
        for arg in every:
            self.bound.add(arg.arg)
            if arg.annotation is not None:
                self.visit(arg.annotation)
                scope[arg.arg] = self.annot_type(arg.annotation)
            else:
                scope[arg.arg] = None
        own = self.self_type
        if own is not None and kind != "staticmethod":
            first = a.posonlyargs[0] if a.posonlyargs else a.args[0] if a.args else None
            if first is not None:
                scope[first.arg] = (True, own[1], own[2], (), 0) if kind == "classmethod" else own
        if node.returns is not None:
            self.visit(node.returns)
        self.bound.add(node.name)
        if self.top:
            self.defs.add(node.name)
        else:
            self.store(node.name)
        if atomic:
            self.collectors.append(set())
        self.local += 1
        self.self_type = None
        self.push(scope)
        self.visit_all(node.body)
        self.scopes.pop()
        self.self_type = own
        self.local -= 1
        if atomic:
            self.atomic.append((node.lineno, self.collectors.pop()))

    def v_lambda(self, node: ast.Lambda) -> None:
        a = node.args
        self.visit_all(a.defaults)
        self.visit_all(a.kw_defaults)
        scope: dict[str, Any] = {x.arg: None for x in (*a.posonlyargs, *a.args, *a.kwonlyargs)}
        for x in (a.vararg, a.kwarg):
            if x is not None:
                scope[x.arg] = None
        self.bound.update(scope)
        self.push(scope)
        self.visit(node.body)
        self.scopes.pop()

    def v_global(self, node: ast.Global) -> None:
        if self.scopes:
            for n in node.names:
                self.scopes[-1][n] = _GLOBAL

    def v_nonlocal(self, node: ast.Nonlocal) -> None:
        pass  # the enclosing function's binding is already visible in this scope's copy

    def v_for(self, node: ast.For | ast.AsyncFor) -> None:
        self.visit(node.iter)
        self.visit(node.target)
        if self.scopes and type(node.target) is ast.Name:
            t = self.expr_type(node.iter)
            if t is not None and not t[0]:
                self.scopes[-1][node.target.id] = _settle(t)
        self.visit_all(node.body)
        self.visit_all(node.orelse)

    def v_comp(self, node: ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp) -> None:
        gens = node.generators
        self.visit(gens[0].iter)
        self.push({})
        scope = self.scopes[-1]
        for i, g in enumerate(gens):
            if i:
                self.visit(g.iter)
            self.visit(g.target)
            if type(g.target) is ast.Name:
                t = self.expr_type(g.iter)
                if t is not None and not t[0]:
                    scope[g.target.id] = _settle(t)
            self.visit_all(g.ifs)
        if type(node) is ast.DictComp:
            self.visit(node.key)
            self.visit(node.value)
        else:
            self.visit(node.elt)  # type: ignore[union-attr]
        self.scopes.pop()

    def v_class(self, node: ast.ClassDef) -> None:
        for dec in node.decorator_list:
            self.visit(dec)
        bases: list[list[str]] = []
        for b in node.bases:
            parts = _parts(b)
            if parts:
                self.cand("inherit", parts, node.lineno)
                bases.append(parts)
                self.touch(parts)
            else:
                self.visit(b)
        for kw in node.keywords:
            self.visit(kw.value)
        self.bound.add(node.name)
        own = self.self_type
        if self.top:
            self.defs.add(node.name)
            attrs, meta = django.class_constants(node)
            fields = []
            for fname, fkind, target, rn, rqn in django.class_fields(node):
                s = _const_str(target)
                spec: str | list[str] | None = "=" + s if s else _parts(target)
                if spec:
                    fields.append((fname, fkind, spec, rn, rqn))
            mfields = []
            for fname, fline, ftype, ftarget, null, db_column, on_delete, rn, options, pk in django.model_fields(node):
                s = _const_str(ftarget) if ftarget is not None else None
                tspec: str | list[str] | None = ("=" + s if s else _parts(ftarget)) if ftarget is not None else ""
                mfields.append((fname, fline, ftype, tspec or "", null, db_column, on_delete, rn, options, pk))
            self.raw_classes.append((node.name, node.lineno, bases, attrs, meta, fields, mfields))
            if django.is_model_like(node, self.model_like):
                self.model_like.add(node.name)
                self.self_type = (False, node.name, (), (), 0)
        else:
            self.store(node.name)
            self.self_type = None
        self.cls += 1
        self.visit_all(node.body)
        self.cls -= 1
        self.self_type = own

    def v_with(self, node: ast.With | ast.AsyncWith) -> None:
        atomic = any(django.is_atomic(item.context_expr) for item in node.items)
        for item in node.items:
            self.visit(item.context_expr)
            if item.optional_vars is not None:
                self.visit(item.optional_vars)
        if atomic:
            self.collectors.append(set())
        self.visit_all(node.body)
        if atomic:
            self.atomic.append((node.lineno, self.collectors.pop()))

    def v_assign(self, node: ast.Assign) -> None:
        value = node.value
        c = value.__class__
        # self.visit(value) and self.visit(target), with the commonest leaves inlined (as _CHILD does)
        if c is _Name:
            if self.collectors:
                self.touch([value.id])  # type: ignore[attr-defined]
        elif c is _Constant:
            if not self.local and not self.cls:
                self.v_constant(value)  # type: ignore[arg-type]
        else:
            _DISPATCH[c](self, value)
        targets = node.targets
        for t in targets:
            if t.__class__ is _Name:
                self.bound.add(t.id)
                if self.scopes:
                    self.store(t.id)
            else:
                _DISPATCH[t.__class__](self, t)
        if self.scopes:
            if len(targets) == 1 and targets[0].__class__ is _Name:
                self.scopes[-1][targets[0].id] = _settle(self.expr_type(value))
        elif self.top:
            for t in targets:
                if isinstance(t, ast.Name):
                    self.defs.add(t.id)
                    self.module_assign(t.id, value)
                elif isinstance(t, (ast.Tuple, ast.List)):
                    for e in t.elts:
                        if isinstance(e, ast.Name):
                            self.defs.add(e.id)

    def module_assign(self, name: str, value: ast.AST) -> None:
        if isinstance(value, ast.Call):
            parts = _parts(value.func)
            if parts and django.is_signal_class(parts[-1]):
                self.signals.add(name)
            model = django.loaded_model(value)
            if model is not None:
                self.model_alias[name] = model
        if name == "__all__":
            vals = self.const_value(value)
            if isinstance(vals, tuple):
                self.all_names = vals
        elif name.isupper() or name.startswith("_") and name[1:].isupper():
            v = self.const_value(value)
            if v is not None:
                self.constants[name] = v

    def const_value(self, node: ast.AST) -> str | bool | tuple[str, ...] | None:
        if isinstance(node, ast.Constant) and isinstance(node.value, (str, bool)):
            return node.value
        if isinstance(node, ast.Name):
            v = self.constants.get(node.id)
            return v
        if isinstance(node, (ast.List, ast.Tuple)):
            out: list[str] = []
            for e in node.elts:
                if isinstance(e, ast.Starred):
                    inner = self.const_value(e.value)
                    if not isinstance(inner, tuple):
                        return None
                    out.extend(inner)
                else:
                    s = _const_str(e)
                    if s is None:
                        return None
                    out.append(s)
            return tuple(out)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            a, b = self.const_value(node.left), self.const_value(node.right)
            if isinstance(a, tuple) and isinstance(b, tuple):
                return a + b
        return None

    def v_augassign(self, node: ast.AugAssign) -> None:
        self.visit(node.target)
        self.visit(node.value)
        if self.top and isinstance(node.target, ast.Name) and isinstance(node.op, ast.Add):
            old = self.constants.get(node.target.id)
            new = self.const_value(node.value)
            if isinstance(old, tuple) and isinstance(new, tuple):
                self.constants[node.target.id] = old + new

    def v_annassign(self, node: ast.AnnAssign) -> None:
        self.visit(node.annotation)
        if node.value is not None:
            self.visit(node.value)
        self.visit(node.target)
        if self.scopes and type(node.target) is ast.Name:
            t = self.annot_type(node.annotation)
            if t is None and node.value is not None:
                t = self.expr_type(node.value)
            self.scopes[-1][node.target.id] = _settle(t)
        if node.value is not None:
            if self.top and isinstance(node.target, ast.Name):
                self.defs.add(node.target.id)
                self.module_assign(node.target.id, node.value)
        elif self.top and isinstance(node.target, ast.Name):
            self.defs.add(node.target.id)

    def v_except(self, node: ast.ExceptHandler) -> None:
        if node.name:
            self.bound.add(node.name)
            self.store(node.name)
        if node.type is not None:
            self.visit(node.type)
        self.visit_all(node.body)

    def v_arg(self, node: ast.arg) -> None:
        self.bound.add(node.arg)
        self.store(node.arg)
        if node.annotation is not None:
            self.visit(node.annotation)

    # -- expressions ---------------------------------------------------------
    def v_call(self, node: ast.Call) -> None:
        func = node.func
        # _parts(func), inlined: calls are the commonest node the visitor handles
        cls = func.__class__
        if cls is _Name:
            parts: list[str] | None = [func.id]  # type: ignore[attr-defined]
        else:
            parts = []
            n: Any = func
            while cls is _Attribute:
                parts.append(n.attr)
                n = n.value
                cls = n.__class__
            if cls is _Name:
                parts.append(n.id)
                parts.reverse()
            else:
                parts = None
        if parts is None:
            _DISPATCH[func.__class__](self, func)
        else:
            scopes = self.scopes
            local: Any = scopes[-1].get(parts[0], _MISSING) if scopes else _MISSING
            if local is _MODULE or local is _GLOBAL:
                local = _MISSING
            if local is not _MISSING and local is not None and not local[0]:
                self.related(local, parts[1:], node.lineno)  # order.lines.all()
            elif local is None:  # a call on a local value: only what its arguments name (sender=Model)
                if parts[-1] in _CALL_NAMES:
                    django.call_uses(self, node, parts)
            else:
                if self.collectors:
                    self.touch(parts)
                at = parts.index("settings") + 1 if "settings" in parts else 0
                if at and at < len(parts) - 1 and parts[at].isupper():  # settings.LANGUAGES.values()
                    self.setting_reads.append((parts[0], ".".join(parts[: at + 1]), node.lineno))
                if parts[-1] not in _CALL_NAMES or not django.call_uses(self, node, parts):
                    rest = tuple(parts[1:])
                    kind = "orm" if rest and not _MANAGER_ATTRS.isdisjoint(rest) else "call"
                    if local is _MISSING:
                        self.cands.append((kind, "chain", parts[0], rest, node.lineno, (), ""))
                    else:  # a local alias of a class or function (``model = Order``)
                        self.cands.append((kind, "chain", local[1], local[2] + rest, node.lineno, (), ""))
        if func.__class__ is _Attribute and func.attr in _LOOKUP_ANY:
            t = self.expr_type(func.value)
            if t is not None and not t[0]:
                self.lookups(node, func.attr, t)
        if node.args:
            self.visit_all(node.args)
        if node.keywords:
            self.visit_all([kw.value for kw in node.keywords])

    def v_attribute(self, node: ast.Attribute) -> None:
        # _parts(node), inlined
        parts: list[str] | None = []
        n: Any = node
        cls: type = _Attribute
        while cls is _Attribute:
            parts.append(n.attr)  # type: ignore[union-attr]
            n = n.value
            cls = n.__class__
        if cls is _Name:
            parts.append(n.id)  # type: ignore[union-attr]
            parts.reverse()  # type: ignore[union-attr]
        else:
            parts = None
        if parts is None:
            if node.ctx.__class__ is _Load:
                t = self.expr_type(node)
                if t is not None and not t[0] and t[3]:
                    self.related(t, (), node.lineno)  # Order.objects.get(...).customer
            _DISPATCH[node.value.__class__](self, node.value)
            return
        if node.ctx.__class__ is _Load:
            if self.scopes:
                local = self.lookup(parts[0])
                if local is not _MISSING and local is not None and not local[0]:
                    self.related(local, parts[1:], node.lineno)  # order.customer
                    return
            if self.collectors:
                self.touch(parts)
            i = parts.index("settings") + 1 if "settings" in parts else 0
            if i and i < len(parts) and parts[i].isupper():
                # a setting, also when a dict or list method follows (settings.LANGUAGES_INFORMATION.values())
                self.setting_reads.append((parts[0], ".".join(parts[: i + 1]), node.lineno))
            elif not _MANAGER_ATTRS.isdisjoint(parts[1:]):
                self.cand("orm", parts, node.lineno)

    def v_name(self, node: ast.Name) -> None:
        if node.ctx.__class__ is _Load:
            if self.collectors:
                self.touch([node.id])
        else:
            self.bound.add(node.id)
            if self.scopes:
                self.store(node.id)

    def v_constant(self, node: ast.Constant) -> None:
        if self.local == 0 and self.cls == 0 and isinstance(node.value, str) and len(node.value) < 200:
            if _DOTTED.match(node.value):
                self.dotted.append((node.value, node.lineno))

    # -- results -------------------------------------------------------------
    def resolve(self, root: str, rest: tuple[str, ...]) -> tuple[str, str, tuple[str, ...]] | None:
        """(ref, target, binding flags) for a name rooted in ``root``, or None if it is local/builtin."""
        b = self.bindings.get(root)
        if b is not None:
            return "chain", ".".join((b[0], *rest)) if rest else b[0], b[1]
        if root in self.defs:
            return None
        if self.star and root not in self.bound and root not in _BUILTINS:
            return "star", ".".join((root, *rest)), ()
        return None

    def resolved_setting_reads(self) -> tuple[tuple[str, int], ...]:
        out = set()
        for root, dotted, line in self.setting_reads:
            b = self.bindings.get(root)
            chain = b[0] + dotted[len(root):] if b is not None else dotted
            if chain.startswith("django.conf.settings.") and chain.count(".") == 3:
                out.add((chain.rpartition(".")[2], line))
        return tuple(sorted(out))

    def class_ref(self, parts: list[str]) -> str:
        """A class named by ``parts`` as a chain; ``*Name`` when it may come from a star import."""
        r = self.resolve(parts[0], tuple(parts[1:]))
        if r is not None:
            return r[1] if r[0] == "chain" else "*" + r[1]
        if parts[0] in self.defs:
            return ".".join((self.module, *parts))
        return ".".join(parts)

    def class_chain(self, root: str, rest: tuple[str, ...]) -> str | None:
        """The chain of a class named ``root.rest`` by imports or a module-level definition, else None."""
        b = self.bindings.get(root)
        if b is not None:
            return b[0] + "".join("." + r for r in rest)
        if root in self.defs:
            return ".".join((self.module, root, *rest))
        return None

    def run(self, tree: ast.Module, lines: int, parser: str) -> ModuleFacts:
        self.visit_all(tree.body)
        uses = list(self.uses)
        model_alias = self.model_alias
        sorted_flags: dict[tuple[str, ...], tuple[str, ...]] = {}
        for kind, ref, root, rest, line, flags, suffix in self.cands:
            if root[0] == "@" or (model_alias and root in model_alias and root not in self.bindings):
                # a model loaded by name (get_model / get_user_model): the use points at the model
                model = root if root[0] == "@" else self.model_alias[root]
                if ref == "related":
                    uses.append(Use(kind, ref, model + suffix, line, ()))
                elif kind in ("orm", "call", "inherit", "signal", "fk"):
                    uses.append(Use(kind, "model", model, line, ()))
                continue
            if ref == "related":
                chain = self.class_chain(root, rest)
                if chain is not None and chain.partition(".")[0] not in _NOT_PROJECT:
                    b = self.bindings.get(root)
                    uses.append(Use(kind, ref, chain + suffix, line, b[1] if b is not None else ()))
                continue
            r = self.resolve(root, rest)
            if r is None:
                continue
            rref, target, bflags = r
            if ref != "chain":  # e.g. "signal": keep the special ref, chain target
                rref = ref if rref == "chain" else rref
            if flags:
                allflags = tuple(sorted(set(flags) | set(bflags)))
            elif len(bflags) < 2:
                allflags = bflags
            else:
                allflags = sorted_flags.get(bflags) or sorted_flags.setdefault(bflags, tuple(sorted(bflags)))
            uses.append(Use(kind, rref, target, line, allflags))
        classes = []
        for name, line, bases, attrs, meta, raw_fields, raw_mfields in self.raw_classes:
            resolved = [self.class_ref(parts) for parts in bases]
            fields = []
            for fname, fkind, spec, rn, rqn in raw_fields:
                target = spec if isinstance(spec, str) else self.class_ref(spec)
                fields.append((fname, fkind, target, rn, rqn))
            mfields = tuple(
                FieldFact(f[0], f[1], f[2], f[3] if isinstance(f[3], str) else self.class_ref(f[3]), *f[4:])
                for f in raw_mfields
            )
            classes.append(
                ClassFact(
                    name,
                    line,
                    tuple(resolved),
                    tuple(sorted(attrs.items())),
                    tuple(sorted(meta.items())),
                    tuple(fields),
                    mfields,
                )
            )
        atomic = []
        for line, used in self.atomic:
            chains = set()
            for t in used:
                r = self.resolve(t[0], t[1:])
                if r is not None:
                    chains.add(r[1] if r[0] == "chain" else "*" + r[1])
            atomic.append(AtomicFact(line, tuple(sorted(chains))))
        return ModuleFacts(
            module=self.module,
            is_package=self.module == self.pkg,
            lines=lines,
            imports=tuple(self.imports),
            uses=tuple(sorted(set(uses))),
            classes=tuple(classes),
            atomic_blocks=tuple(sorted(atomic)),
            exports=tuple(sorted(self.exports.items())),
            defs=frozenset(self.defs),
            signals=frozenset(self.signals),
            all_names=self.all_names,
            constants=tuple(sorted(self.constants.items())),
            dotted_strings=tuple(self.dotted),
            settings_reads=self.resolved_setting_reads(),
            parser=parser,
        )


_DISPATCH = _Dispatch({
    ast.Import: _Scanner.v_import,
    ast.ImportFrom: _Scanner.v_importfrom,
    ast.If: _Scanner.v_if,
    ast.FunctionDef: _Scanner.v_function,
    ast.AsyncFunctionDef: _Scanner.v_function,
    ast.ClassDef: _Scanner.v_class,
    ast.With: _Scanner.v_with,
    ast.AsyncWith: _Scanner.v_with,
    ast.Call: _Scanner.v_call,
    ast.Attribute: _Scanner.v_attribute,
    ast.Name: _Scanner.v_name,
    ast.Assign: _Scanner.v_assign,
    ast.AugAssign: _Scanner.v_augassign,
    ast.AnnAssign: _Scanner.v_annassign,
    ast.Constant: _Scanner.v_constant,
    ast.arg: _Scanner.v_arg,
    ast.ExceptHandler: _Scanner.v_except,
    ast.For: _Scanner.v_for,
    ast.AsyncFor: _Scanner.v_for,
    ast.ListComp: _Scanner.v_comp,
    ast.SetComp: _Scanner.v_comp,
    ast.GeneratorExp: _Scanner.v_comp,
    ast.DictComp: _Scanner.v_comp,
    ast.Lambda: _Scanner.v_lambda,
    ast.Global: _Scanner.v_global,
    ast.Nonlocal: _Scanner.v_nonlocal,
})  # fmt: skip
