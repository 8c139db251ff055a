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

Example::

    >>> sources = {"s": ("s.py", "A = 1\\nB = A\\nC = f()\\n", False)}
    >>> values = settings_values(sources.get, "s")
    >>> values["B"].text, values["C"].text, values["C"].where
    ('1', None, 's.py:3')
"""

from __future__ import annotations

import ast
import copy
from collections.abc import Callable
from dataclasses import dataclass

from decompose.scan.source import ScanError, absolute_module, parse_tree

#: module name → (path, source text, is a package), or None when it is not a module of the project
Loader = Callable[[str], "tuple[str, str, bool] | None"]
#: Translations a settings module may use at import time (lazy, or marking only): ``_("English")`` is static.
LAZY_TRANSLATIONS = frozenset({"gettext_lazy", "gettext_noop", "pgettext_lazy", "ugettext_lazy", "ugettext_noop"})
#: How deep ``from x import *`` chains are followed (a loop stops at the first repeat anyway).
MAX_DEPTH = 8


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


def _static(
    value: ast.AST, text: str, env: dict[str, SettingValue], lazy: dict[str, str]
) -> tuple[str | None, tuple[str, ...], tuple[str, ...]]:
    """(``text``, the settings it names, the imports it needs) when ``value`` is a literal once the static
    settings it names are replaced by their values and lazy translations of literals by the literal;
    (None, (), ()) otherwise."""
    calls = [n for n in ast.walk(value) if isinstance(n, ast.Call)]
    translated = [c for c in calls if isinstance(c.func, ast.Name) and c.func.id in lazy
                  and not c.keywords and c.args and all(isinstance(a, ast.Constant) for a in c.args)]
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
            for t in targets:
                assert isinstance(t, ast.Name)
                if t.id.isupper():
                    env[t.id] = SettingValue(t.id, static, f"{path}:{st.lineno}", whole, needs=needs, imports=imports)
            continue
        # +=, unpacking, a def, or set under if/try/with/for: not static
        simple = isinstance(st, (ast.AugAssign, ast.Assign, ast.AnnAssign))
        statement = (ast.get_source_segment(text, st) or ast.unparse(st)) if simple else ""
        block = "" if simple else type(st).__name__.lower()
        names = _stored_names(st)
        if isinstance(st, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names = {st.name}
        for name in sorted(n for n in names if n.isupper()):
            env[name] = SettingValue(name, None, f"{path}:{st.lineno}", statement, block)
    return env


__all__ = ["LAZY_TRANSLATIONS", "MAX_DEPTH", "Loader", "SettingValue", "settings_values"]
