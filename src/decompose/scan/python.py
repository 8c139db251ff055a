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
from decompose.scan.facts import AtomicFact, ClassFact, Import, ModuleFacts, Use

_BUILTINS = frozenset(dir(builtins)) | {"__file__", "__name__", "__doc__", "__package__", "__spec__", "__path__"}
_DOTTED = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+\Z")


class ScanError(Exception):
    """The file cannot be analysed; ``reason`` says why (listed as skipped, never fatal)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def count_lines(source: bytes) -> int:
    if not source:
        return 0
    return source.count(b"\n") + (0 if source.endswith(b"\n") else 1)


def scan_source(module: str, source: bytes, *, is_package: bool = False, migration: bool = False) -> ModuleFacts:
    """Scan one file's bytes into :class:`ModuleFacts`; raise :class:`ScanError` if it cannot be read as Python 3."""
    if b"\0" in source:
        raise ScanError("contains NUL bytes (binary file?)")
    lines = count_lines(source)
    if migration:
        return django.scan_migration(module, source, is_package=is_package, lines=lines)
    parser = "ast"
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        reason = _syntax_reason(exc)
        if reason.startswith(("not valid", "unknown encoding", "cannot decode")):
            raise ScanError(reason) from None
        tree = _parse_newer_syntax(source)
        if tree is None:
            raise ScanError(reason) from None
        parser = "libcst"
    except (ValueError, MemoryError, RecursionError) as exc:
        raise ScanError(f"cannot parse: {exc}") from None
    try:
        return _Scanner(module, is_package).run(tree, lines, parser)
    except RecursionError:
        raise ScanError("expressions nested too deeply to analyse") from None


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


def _parse_newer_syntax(source: bytes) -> ast.Module | None:
    """Parse syntax newer than this interpreter with LibCST, downgrade it, and ``ast.parse`` the result."""
    try:
        import libcst as cst
    except ImportError:  # pragma: no cover - libcst is a runtime dependency
        return None
    try:
        module = cst.parse_module(source)
    except Exception:  # libcst raises ParserSyntaxError and friends
        return None
    try:
        code = module.visit(_downgrader(cst)).code
        return ast.parse(code)
    except Exception:
        return None


def _downgrader(cst: Any) -> Any:
    empty = cst.Module(body=[])

    def expr_code(node: Any) -> str:
        return empty.code_for_node(node)

    class Downgrade(cst.CSTTransformer):  # type: ignore[misc, name-defined]
        """``type X = v`` -> ``X = v``; drop PEP 695 type parameters; f-strings -> tuples of their expressions."""

        def leave_TypeAlias(self, original: Any, updated: Any) -> Any:
            return cst.Assign(targets=[cst.AssignTarget(target=updated.name)], value=updated.value)

        def leave_FunctionDef(self, original: Any, updated: Any) -> Any:
            return updated.with_changes(type_parameters=None) if updated.type_parameters else updated

        def leave_ClassDef(self, original: Any, updated: Any) -> Any:
            return updated.with_changes(type_parameters=None) if updated.type_parameters else updated

        def leave_FormattedString(self, original: Any, updated: Any) -> Any:
            exprs: list[str] = []

            def collect(parts: Any) -> None:
                for part in parts:
                    if isinstance(part, cst.FormattedStringExpression):
                        exprs.append(expr_code(part.expression))
                        if part.format_spec:
                            collect(part.format_spec)

            collect(updated.parts)
            missing = expr_code(original).count("\n") - sum(e.count("\n") for e in exprs)
            if missing > 0:
                exprs.append('"""' + "\n" * missing + '"""')
            return cst.parse_expression("(" + "".join(f"{e}, " for e in exprs) + ")")

    return Downgrade()


# -- the visitor -------------------------------------------------------------------


def _parts(node: ast.AST) -> list[str] | None:
    """``a.b.c`` -> ``["a", "b", "c"]``; None if the expression is not a plain dotted name."""
    out: list[str] = []
    while isinstance(node, ast.Attribute):
        out.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        out.append(node.id)
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
        # (kind, ref, root, rest, line, flags)
        self.cands: list[tuple[str, str, str, tuple[str, ...], int, tuple[str, ...]]] = []
        self.uses: list[Use] = []
        self.raw_classes: list[tuple[str, int, list[list[str]], dict[str, Any], dict[str, Any]]] = []
        self.atomic: list[tuple[int, set[tuple[str, ...]]]] = []
        self.collectors: list[set[tuple[str, ...]]] = []
        self.defs: set[str] = set()
        self.bound: set[str] = set()
        self.signals: set[str] = set()
        self.constants: dict[str, Any] = {}
        self.dotted: list[tuple[str, int]] = []
        self.all_names: tuple[str, ...] | None = None
        self.star = False
        self.tc = False
        self.local = 0
        self.cls = 0
        self.dispatch = {
            ast.Import: self.v_import,
            ast.ImportFrom: self.v_importfrom,
            ast.If: self.v_if,
            ast.FunctionDef: self.v_function,
            ast.AsyncFunctionDef: self.v_function,
            ast.ClassDef: self.v_class,
            ast.With: self.v_with,
            ast.AsyncWith: self.v_with,
            ast.Call: self.v_call,
            ast.Attribute: self.v_attribute,
            ast.Name: self.v_name,
            ast.Assign: self.v_assign,
            ast.AugAssign: self.v_augassign,
            ast.AnnAssign: self.v_annassign,
            ast.Constant: self.v_constant,
            ast.arg: self.v_arg,
            ast.ExceptHandler: self.v_except,
        }

    # -- driver --------------------------------------------------------------
    def visit(self, node: ast.AST) -> None:
        fn = self.dispatch.get(type(node))
        if fn is not None:
            fn(node)
        else:
            for child in ast.iter_child_nodes(node):
                self.visit(child)

    def visit_all(self, nodes: list[Any]) -> None:
        for n in nodes:
            if n is not None:
                self.visit(n)

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

    def cand(self, kind: str, parts: list[str], line: int, ref: str = "chain") -> None:
        self.cands.append((kind, ref, parts[0], tuple(parts[1:]), line, ()))

    def touch(self, parts: list[str]) -> None:
        if self.collectors:
            t = tuple(parts)
            for c in self.collectors:
                c.add(t)

    # -- imports -------------------------------------------------------------
    def bind(self, name: str, chain: str, flags: tuple[str, ...]) -> None:
        self.bound.add(name)
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
        for dec in node.decorator_list:
            if django.is_atomic(dec):
                atomic = True
            self.visit(dec)
        self.visit(node.args)
        if node.returns is not None:
            self.visit(node.returns)
        self.bound.add(node.name)
        if self.top:
            self.defs.add(node.name)
        if atomic:
            self.collectors.append(set())
        self.local += 1
        self.visit_all(node.body)
        self.local -= 1
        if atomic:
            self.atomic.append((node.lineno, self.collectors.pop()))

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
        if self.top:
            self.defs.add(node.name)
            attrs, meta = django.class_constants(node)
            self.raw_classes.append((node.name, node.lineno, bases, attrs, meta))
        self.cls += 1
        self.visit_all(node.body)
        self.cls -= 1

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
        for t in node.targets:
            self.visit(t)
        self.visit(node.value)
        if self.top:
            for t in node.targets:
                if isinstance(t, ast.Name):
                    self.defs.add(t.id)
                    self.module_assign(t.id, node.value)
                elif isinstance(t, (ast.Tuple, ast.List)):
                    for e in t.elts:
                        if isinstance(e, ast.Name):
                            self.defs.add(e.id)

    def module_assign(self, name: str, value: ast.AST) -> None:
        if isinstance(value, ast.Call):
            parts = _parts(value.func)
            if parts and parts[-1] in django.SIGNAL_CLASSES:
                self.signals.add(name)
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
        self.visit(node.target)
        self.visit(node.annotation)
        if node.value is not None:
            self.visit(node.value)
            if self.top and isinstance(node.target, ast.Name):
                self.defs.add(node.target.id)
                self.module_assign(node.target.id, node.value)
        elif self.top and isinstance(node.target, ast.Name):
            self.defs.add(node.target.id)

    def v_except(self, node: ast.ExceptHandler) -> None:
        if node.name:
            self.bound.add(node.name)
        if node.type is not None:
            self.visit(node.type)
        self.visit_all(node.body)

    def v_arg(self, node: ast.arg) -> None:
        self.bound.add(node.arg)
        if node.annotation is not None:
            self.visit(node.annotation)

    # -- expressions ---------------------------------------------------------
    def v_call(self, node: ast.Call) -> None:
        parts = _parts(node.func)
        if parts is None:
            self.visit(node.func)
        else:
            self.touch(parts)
            if not django.call_uses(self, node, parts):
                kind = "orm" if django.MANAGER_ATTRS.intersection(parts[1:]) else "call"
                self.cand(kind, parts, node.lineno)
        self.visit_all(node.args)
        for kw in node.keywords:
            self.visit(kw.value)

    def v_attribute(self, node: ast.Attribute) -> None:
        parts = _parts(node)
        if parts is None:
            self.visit(node.value)
            return
        if isinstance(node.ctx, ast.Load):
            self.touch(parts)
            if django.MANAGER_ATTRS.intersection(parts[1:]):
                self.cand("orm", parts, node.lineno)

    def v_name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Load):
            if self.collectors:
                self.touch([node.id])
        else:
            self.bound.add(node.id)

    def v_constant(self, node: ast.Constant) -> None:
        if self.local == 0 and self.cls == 0 and isinstance(node.value, str) and len(node.value) < 200:
            if _DOTTED.match(node.value):
                self.dotted.append((node.value, node.lineno))

    # -- results -------------------------------------------------------------
    def resolve(self, root: str, rest: tuple[str, ...]) -> tuple[str, str, tuple[str, ...]] | None:
        """(ref, target, binding flags) for a name rooted in ``root``, or None if it is local/builtin."""
        b = self.bindings.get(root)
        if b is not None:
            chain = b[0] + "".join("." + r for r in rest)
            return "chain", chain, b[1]
        if root in self.defs:
            return None
        if self.star and root not in self.bound and root not in _BUILTINS:
            return "star", ".".join((root, *rest)), ()
        return None

    def run(self, tree: ast.Module, lines: int, parser: str) -> ModuleFacts:
        self.visit_all(tree.body)
        uses = list(self.uses)
        for kind, ref, root, rest, line, flags in self.cands:
            r = self.resolve(root, rest)
            if r is None:
                continue
            rref, target, bflags = r
            if ref != "chain":  # e.g. "signal": keep the special ref, chain target
                rref = ref if rref == "chain" else rref
            allflags = tuple(sorted(set(flags) | set(bflags)))
            uses.append(Use(kind, rref, target, line, allflags))
        classes = []
        for name, line, bases, attrs, meta in self.raw_classes:
            resolved = []
            for parts in bases:
                r = self.resolve(parts[0], tuple(parts[1:]))
                if r is not None:
                    resolved.append(r[1] if r[0] == "chain" else "*" + r[1])
                elif parts[0] in self.defs:
                    resolved.append(".".join((self.module, *parts)))
                else:
                    resolved.append(".".join(parts))
            classes.append(
                ClassFact(name, line, tuple(resolved), tuple(sorted(attrs.items())), tuple(sorted(meta.items())))
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
            parser=parser,
        )
