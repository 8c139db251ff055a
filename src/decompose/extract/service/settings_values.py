"""The monolith's settings as the service copies them: each name's value text when it is static.

The settings module is read like Python would run it, top to bottom, statement by statement
(source text only, nothing is imported): ``from .base import *`` (relative or absolute, any depth,
of a module of the project) binds every upper-case name the other module ends with, a later
assignment replaces an earlier one. A value is **static** when it is a literal
(``ast.literal_eval`` accepts it), possibly naming settings that are static at that point (those are
copied with it: :attr:`SettingValue.needs`); anything else --
a call (``os.environ.get``; a lazy translation of a literal, ``_("English")``, is static and brings its
import), ``BASE_DIR / "x"``, ``+=``, an assignment under ``if``
or ``try`` -- is recorded as not static, with where and what it was, so the service's settings can
say so in a TODO instead of guessing.

A setting a later statement changes in place (``X["k"] = v``, ``X += [v]``, ``X.update(...)``,
``.append/.extend/.insert/.setdefault``..., a ``for`` or ``if`` doing only that, directly or through a
loop variable: ``for code, language in X.items(): language["code"] = code``) is **completed**: its
literal is :attr:`SettingValue.literal` and each such statement a :class:`Completion`, carried with it
when everything it reads is static (the setting itself, static settings, its own loop variables, pure
builtins, lazy translations of literals), else kept with the reason (``reads translation_percentages``)
so the service's settings name it in a TODO. A change the reader cannot follow (inside ``try``,
``with``, ``while``; mixed with other work) is such a reason too: never silently dropped.

Example::

    >>> sources = {"s": ("s.py", "A = 1\\nB = A\\nC = f()\\n", False)}
    >>> values = settings_values(sources.get, "s")
    >>> values["B"].text, values["C"].text, values["C"].where
    ('1', None, 's.py:3')
    >>> sources = {"s": ("s.py", "L = {'en': {}}\\nfor k, v in L.items():\\n    v['code'] = k\\n", False)}
    >>> v = settings_values(sources.get, "s")["L"]
    >>> v.text, v.literal, [c.statement for c in v.completions], v.carried
    (None, "{'en': {}}", ["for k, v in L.items():\\n    v['code'] = k"], True)
"""

from __future__ import annotations

import ast
import copy
from collections.abc import Callable
from dataclasses import dataclass, replace

from decompose.scan.source import ScanError, absolute_module, parse_tree

#: module name → (path, source text, is a package), or None when it is not a module of the project
Loader = Callable[[str], "tuple[str, str, bool] | None"]
#: Translations a settings module may use at import time (lazy, or marking only): ``_("English")`` is static.
LAZY_TRANSLATIONS = frozenset({"gettext_lazy", "gettext_noop", "pgettext_lazy", "ugettext_lazy", "ugettext_noop"})
#: How deep ``from x import *`` chains are followed (a loop stops at the first repeat anyway).
MAX_DEPTH = 8
#: Methods that change a list, dict or set in place (a statement calling one on a setting completes it).
MUTATING_METHODS = frozenset(
    {
        "append",
        "extend",
        "insert",
        "update",
        "setdefault",
        "add",
        "discard",
        "remove",
        "pop",
        "popitem",
        "clear",
        "sort",
        "reverse",
    }
)
#: Builtins a carried completion may call: pure functions of what they are given.
PURE_BUILTINS = frozenset(
    {
        "abs",
        "all",
        "any",
        "bool",
        "dict",
        "enumerate",
        "float",
        "frozenset",
        "int",
        "len",
        "list",
        "max",
        "min",
        "range",
        "reversed",
        "round",
        "set",
        "sorted",
        "str",
        "sum",
        "tuple",
        "zip",
    }
)
#: Builtins whose result iterates (over) their first argument: a loop over ``sorted(X.items())`` walks X.
_ITERATING = frozenset({"enumerate", "list", "reversed", "sorted", "tuple"})


@dataclass(frozen=True, slots=True)
class Completion:
    """A statement after a setting's literal that changes it in place, as written (top level of its module)."""

    where: str  # "proj/settings.py:431"
    statement: str
    #: why the service cannot carry it ("reads translation_percentages, which is not a static setting"); ""
    #: when it can
    why: str = ""
    #: the static settings it reads (copied before the setting), the imports it needs
    needs: tuple[str, ...] = ()
    imports: tuple[str, ...] = ()
    #: the module-level names it binds besides settings (loop variables): they must not clash with the
    #: service's own
    binds: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SettingValue:
    """One setting: its value's source text when static (else None), where it was last set and how."""

    name: str
    text: str | None
    where: str  # "proj/settings/base.py:12"
    #: the statement that set it last, as written (for a TODO when it is not static); "" when it was set
    #: inside a compound statement, named by ``block`` ("if", "try", "for", "functiondef", ...)
    statement: str
    block: str = ""
    #: the settings a static value names (``{"key": SECRET}``): they are copied with it, before it
    needs: tuple[str, ...] = ()
    #: import statements a static value needs (``from django.utils.translation import gettext_lazy as _``)
    imports: tuple[str, ...] = ()
    #: a completed setting (``text`` is then None): the literal it starts with, and the statements after it
    #: that change it in place, in order (see the module's docstring)
    literal: str | None = None
    completions: tuple[Completion, ...] = ()

    @property
    def carried(self) -> bool:
        """Whether the service can set it as the monolith does: a static value, or a literal with every
        completion carried."""
        if self.text is not None:
            return True
        return self.literal is not None and all(not c.why for c in self.completions)


def _static(
    value: ast.AST, text: str, env: dict[str, SettingValue], lazy: dict[str, str]
) -> tuple[str | None, tuple[str, ...], tuple[str, ...]]:
    """(``text``, the settings it names, the imports it needs) when ``value`` is a literal once the static
    settings it names are replaced by their values and lazy translations of literals by the literal;
    (None, (), ()) otherwise."""
    calls = [n for n in ast.walk(value) if isinstance(n, ast.Call)]
    translated = [
        c
        for c in calls
        if isinstance(c.func, ast.Name)
        and c.func.id in lazy
        and not c.keywords
        and c.args
        and all(isinstance(a, ast.Constant) for a in c.args)
    ]
    if len(translated) != len(calls):
        return None, (), ()
    funcs = {c.func.id for c in translated if isinstance(c.func, ast.Name)}
    names = sorted({n.id for n in ast.walk(value) if isinstance(n, ast.Name)} - funcs)
    if any(env.get(n) is None or env[n].text is None for n in names):
        return None, (), ()

    class Inline(ast.NodeTransformer):
        def visit_Name(self, node: ast.Name) -> ast.AST:
            return ast.parse(env[node.id].text or "None", mode="eval").body

        def visit_Call(self, node: ast.Call) -> ast.AST:
            return node.args[-1]  # a lazy translation of a literal: the literal

    try:
        ast.literal_eval(Inline().visit(copy.deepcopy(value)) if names or funcs else value)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None, (), ()
    needs = {d for n in names for d in env[n].needs} | set(names)
    imports = {i for n in names for i in env[n].imports}
    imports |= {f"from django.utils.translation import {lazy[f]}" + (f" as {f}" if f != lazy[f] else "") for f in funcs}
    return text, tuple(sorted(needs)), tuple(sorted(imports))


def _stored_names(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}


def _root(expr: ast.AST) -> str | None:
    """The name an expression reads its object from: ``X["a"].b``, ``X.items()``, ``sorted(X)`` → ``X``."""
    while True:
        if isinstance(expr, (ast.Subscript, ast.Attribute, ast.Starred)):
            expr = expr.value
        elif isinstance(expr, ast.Call):
            if isinstance(expr.func, ast.Attribute):
                expr = expr.func.value
            elif isinstance(expr.func, ast.Name) and expr.func.id in _ITERATING and expr.args:
                expr = expr.args[0]
            else:
                return None
        elif isinstance(expr, ast.Name):
            return expr.id
        else:
            return None


def _changes(st: ast.stmt, alias: dict[str, str]) -> tuple[set[str], bool]:
    """(the names whose objects ``st`` changes in place, whether it does nothing else).

    ``alias``: a name → the name whose object (or part of it) it holds (a loop variable over ``X.items()``
    holds parts of X). Bodies of functions and classes do not run at import: they change nothing here.
    """
    roots: set[str] = set()

    def changed(target: ast.AST) -> bool:
        name = _root(target)
        if name is None:
            return False
        roots.add(alias.get(name, name))
        return True

    if isinstance(st, ast.Assign):
        only = True
        for t in st.targets:
            only = changed(t) and only if isinstance(t, (ast.Subscript, ast.Attribute)) else False
        return roots, only
    if isinstance(st, ast.AugAssign):
        return roots, changed(st.target)
    if isinstance(st, ast.Delete):
        only = all(isinstance(t, (ast.Subscript, ast.Attribute)) and changed(t) for t in st.targets)
        return roots, only
    if isinstance(st, ast.Expr):
        call = st.value
        if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr in MUTATING_METHODS:
            return roots, changed(call.func.value)
        return roots, False
    if isinstance(st, (ast.Pass, ast.Continue, ast.Break)):
        return roots, True
    if isinstance(st, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return roots, False
    inner = dict(alias)
    only = isinstance(st, (ast.For, ast.If))
    if isinstance(st, (ast.For, ast.AsyncFor)):
        source = _root(st.iter)
        for name in _stored_names(st.target):
            if source is not None:
                inner[name] = alias.get(source, source)
            else:
                inner.pop(name, None)
        only = only and not st.orelse and not any(n.isupper() for n in _stored_names(st.target))
    for field in ("body", "orelse", "finalbody", "handlers"):
        for child in getattr(st, field, ()):
            if isinstance(child, ast.ExceptHandler):
                child_stmts: list[ast.stmt] = list(child.body)
            else:
                child_stmts = [child]
            for c in child_stmts:
                found, c_only = _changes(c, inner)
                roots |= found
                only = only and c_only
    for case in getattr(st, "cases", ()):  # match
        for c in case.body:
            roots |= _changes(c, inner)[0]
    return roots, only and bool(roots)


def _why_not_carried(
    st: ast.stmt, setting: str, env: dict[str, SettingValue], lazy: dict[str, str]
) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    """(why the service cannot run ``st``, a completion of ``setting``, after its literal -- "" when it can;
    the static settings it reads; the imports it needs)."""
    bound = _stored_names(st)
    funcs: set[str] = set()
    for node in ast.walk(st):
        if isinstance(node, (ast.Lambda, ast.NamedExpr, ast.Await, ast.Yield, ast.YieldFrom, ast.Global)):
            return f"it uses `{type(node).__name__.lower()}`", (), ()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom)):
            return "it defines or imports names", (), ()
        if isinstance(node, ast.Call):
            f = node.func
            if isinstance(f, ast.Name) and f.id in lazy:
                if node.keywords or not node.args or not all(isinstance(a, ast.Constant) for a in node.args):
                    return f"it calls {f.id}() on something else than a literal", (), ()
                funcs.add(f.id)
            elif isinstance(f, ast.Name) and f.id not in PURE_BUILTINS:
                return f"it calls {f.id}()", (), ()
            elif not isinstance(f, (ast.Name, ast.Attribute)):
                return "it calls what an expression returns", (), ()
    read = sorted(
        {n.id for n in ast.walk(st) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
        - bound
        - funcs
        - PURE_BUILTINS
        - {setting}
    )
    needs: set[str] = set()
    imports: set[str] = set()
    for name in read:
        v = env.get(name)
        if not name.isupper() or v is None or v.text is None:
            return f"it reads {name}, which is not a static setting", (), ()
        needs |= {name, *v.needs}
        imports |= set(v.imports)
    imports |= {f"from django.utils.translation import {lazy[f]}" + (f" as {f}" if f != lazy[f] else "") for f in funcs}
    return "", tuple(sorted(needs)), tuple(sorted(imports))


def _completed(v: SettingValue, completion: Completion) -> SettingValue:
    """``v`` with one more completion (a static value becomes its literal)."""
    literal = v.text if v.text is not None else v.literal
    carried = not completion.why
    return replace(
        v,
        text=None,
        literal=literal,
        completions=(*v.completions, completion),
        needs=tuple(sorted({*v.needs, *completion.needs})) if carried else v.needs,
        imports=tuple(sorted({*v.imports, *completion.imports})) if carried else v.imports,
    )


def settings_values(load: Loader, module: str) -> dict[str, SettingValue]:
    """Upper-case name → :class:`SettingValue` at the end of ``module``.

    ``load``: module name → (path, source text, is a package) for a module of the project, None for
    any other (a star import of a module outside the project binds names that are not guessed).
    """
    return _run(load, module, (), 0)


def _run(load: Loader, module: str, stack: tuple[str, ...], depth: int) -> dict[str, SettingValue]:
    env: dict[str, SettingValue] = {}
    found = load(module) if module not in stack and depth <= MAX_DEPTH else None
    if found is None:
        return env
    path, text, is_package = found
    try:
        tree = parse_tree(text.encode("utf-8"))
    except ScanError:
        return env
    package = module if is_package else module.rpartition(".")[0]
    lazy: dict[str, str] = {}  # local name → lazy translation function of django.utils.translation
    alias: dict[str, str] = {}  # a lower-case name → the setting whose object (or a part of it) it holds

    for st in tree.body:
        if isinstance(st, ast.ImportFrom) and st.module == "django.utils.translation" and not st.level:
            for a in st.names:
                if a.name in LAZY_TRANSLATIONS:
                    lazy[a.asname or a.name] = a.name
        if isinstance(st, ast.ImportFrom) and any(a.name == "*" for a in st.names):
            other = absolute_module(package, st.module, st.level)
            env.update(_run(load, other, (*stack, module), depth + 1))
            continue
        value: ast.AST | None = None
        targets: list[ast.expr] = []
        if isinstance(st, ast.Assign):
            value, targets = st.value, list(st.targets)
        elif isinstance(st, ast.AnnAssign) and st.value is not None:
            value, targets = st.value, [st.target]
        if value is not None and all(isinstance(t, ast.Name) for t in targets):
            seg = ast.get_source_segment(text, value) or ast.unparse(value)
            whole = ast.get_source_segment(text, st) or ast.unparse(st)
            static: str | None = None
            needs: tuple[str, ...] = ()
            imports: tuple[str, ...] = ()
            if isinstance(value, ast.Name):
                ref = env.get(value.id)
                if ref is not None:
                    static, needs, imports = ref.text, ref.needs, ref.imports
            else:
                static, needs, imports = _static(value, seg, env, lazy)
            source = _root(value)
            for t in targets:
                assert isinstance(t, ast.Name)
                if t.id.isupper():
                    _set(env, SettingValue(t.id, static, f"{path}:{st.lineno}", whole, needs=needs, imports=imports))
                elif source is not None and alias.get(source, source).isupper():
                    alias[t.id] = alias.get(source, source)
                else:
                    alias.pop(t.id, None)
            continue
        where = f"{path}:{st.lineno}"
        roots, only = _changes(st, alias)
        changed = sorted(r for r in roots if r.isupper() and r in env)
        for name in changed:  # a statement that changes a setting in place: a completion of it
            v = env[name]
            if v.text is None and v.literal is None:
                continue  # not static already
            statement = ast.get_source_segment(text, st) or ast.unparse(st)
            others = sorted(roots - {name})
            why, needs, imports = _why_not_carried(st, name, env, lazy)
            if why:
                pass  # what it reads is the first reason
            elif not only and isinstance(st, (ast.For, ast.If, ast.Assign, ast.AugAssign, ast.Delete, ast.Expr)):
                why = "it does more than change settings in place"
            elif not only:
                why = f"it changes {name} inside a `{type(st).__name__.lower()}` statement"
            elif others:
                why = f"it changes {', '.join(others)} too"
            if why:
                needs, imports = (), ()
            binds = tuple(sorted(n for n in _stored_names(st) if not n.isupper()))
            env[name] = _completed(v, Completion(where, statement, why, needs, imports, binds))
        if isinstance(st, (ast.For, ast.AsyncFor)):  # its loop variables keep the last item after the loop
            source = _root(st.iter)
            for n in _stored_names(st.target):
                if source is not None and alias.get(source, source).isupper():
                    alias[n] = alias.get(source, source)
                else:
                    alias.pop(n, None)
        # +=, unpacking, a def, or set under if/try/with/for: not static
        simple = isinstance(st, (ast.AugAssign, ast.Assign, ast.AnnAssign))
        statement = (ast.get_source_segment(text, st) or ast.unparse(st)) if simple else ""
        block = "" if simple else type(st).__name__.lower()
        names = _stored_names(st)
        if isinstance(st, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names = {st.name}
        if isinstance(st, ast.AugAssign):
            names -= set(changed)  # `X += [...]`: completed above when X is static so far
        for name in sorted(n for n in names if n.isupper()):
            _set(env, SettingValue(name, None, where, statement, block))
        for name in sorted(n for n in names if not n.isupper() and not isinstance(st, (ast.For, ast.AsyncFor))):
            alias.pop(name, None)
    return env


def _set(env: dict[str, SettingValue], value: SettingValue) -> None:
    """Set a setting again; a carried completion of another that read it now reads a value the service
    would not give it (the service's settings hold each setting's last value): it is no longer carried."""
    env[value.name] = value
    for name, v in list(env.items()):
        if value.name in {n for c in v.completions if not c.why for n in c.needs}:
            redone = tuple(
                replace(c, why=f"it reads {value.name}, which is set again later ({value.where})", needs=(), imports=())
                if value.name in c.needs and not c.why
                else c
                for c in v.completions
            )
            env[name] = replace(v, completions=redone)


__all__ = [
    "LAZY_TRANSLATIONS",
    "MAX_DEPTH",
    "MUTATING_METHODS",
    "PURE_BUILTINS",
    "Completion",
    "Loader",
    "SettingValue",
    "settings_values",
]
