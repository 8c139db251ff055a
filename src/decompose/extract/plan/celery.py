"""Celery tasks among the moved functions: read from the decorators (the source as text, never imported).

A moved function staying code calls is a Celery task when one of its decorators is

- ``shared_task`` / ``task`` / ``periodic_task`` of ``celery`` (``@shared_task``, ``@celery.shared_task(...)``);
- ``.task`` / ``.shared_task`` of a Celery application: a name the project binds to ``Celery(...)``
  (``app = Celery("proj")`` then ``@app.task(bind=True)``), or ``celery.current_app``.

Example::

    >>> import ast
    >>> fn = ast.parse("@shared_task(bind=True, name='x.y')\\ndef f(self, a): pass").body[0]
    >>> decorator_options(fn.decorator_list[0])
    ('x.y', True)
"""

from __future__ import annotations

import ast

from decompose.extract.plan import index as F
from decompose.extract.plan.values import CeleryTask

#: decorators of the celery package that make a function a task
CELERY_DECORATORS = frozenset(
    {
        "celery.shared_task",
        "celery.task",
        "celery.app.shared_task",
        "celery.decorators.task",
        "celery.decorators.periodic_task",
        "celery.task.task",
        "celery.task.periodic_task",
    }
)
#: what a Celery application is, dotted
CELERY_APPS = frozenset({"celery.Celery", "celery.app.Celery", "celery.app.base.Celery"})
#: the current application (``celery.current_app.task``)
CURRENT_APPS = frozenset({"celery.current_app", "celery.app.current_app"})


def decorator_options(dec: ast.expr) -> tuple[str | None, bool]:
    """``(name=, bind=)`` of a task decorator as written: the literal name (None when not a literal) and
    whether ``bind`` is literally true."""
    name: str | None = None
    bound = False
    if isinstance(dec, ast.Call):
        for kw in dec.keywords:
            if kw.arg == "name" and isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, str):
                name = kw.value.value
            elif kw.arg == "bind" and isinstance(kw.value, ast.Constant):
                bound = kw.value.value is True
    return name, bound


def celery_task(index: F.CodeIndex, m: F.Module, fn: ast.FunctionDef | ast.AsyncFunctionDef) -> CeleryTask | None:
    """The task facts of ``fn`` (a module-level function of ``m``), None when no decorator makes it a task."""
    for dec in fn.decorator_list:
        target = dec.func if isinstance(dec, ast.Call) else dec
        what = _task_decorator(index, m, target)
        if what is None:
            continue
        name, bound = decorator_options(dec)
        written = ast.unparse(dec)
        why = f"decorated with @{written}" + (f" ({what})" if what != written else "")
        return CeleryTask(name or f"{m.name}.{fn.name}", bound, why)
    return None


def _task_decorator(index: F.CodeIndex, m: F.Module, target: ast.expr) -> str | None:
    """What the decorator ``target`` resolves to when it makes a task (dotted), else None."""
    dotted = index.resolve(m, target)
    if dotted in CELERY_DECORATORS:
        return dotted
    if not isinstance(target, ast.Attribute) or target.attr not in ("task", "shared_task"):
        return None
    base = index.resolve(m, target.value)
    if base is None:
        return None
    if base in CURRENT_APPS or _is_celery_app(index, base, 0):
        return f"{base}.{target.attr}, a Celery application's task decorator"
    return None


def _is_celery_app(index: F.CodeIndex, dotted: str, depth: int) -> bool:
    """Whether the project binds ``dotted`` (``pkg.celery_app.app``) to ``Celery(...)`` at module level."""
    if depth > 5:
        return False
    split = index.split_symbol(dotted)
    if split is None:
        return False
    mod, rest = split
    if "." in rest:
        return False
    m = index.modules[mod]
    if not m.defines(rest):
        target = m.exports.get(rest)  # a re-export (``from .celery import app``)
        return target is not None and target != dotted and _is_celery_app(index, target, depth + 1)
    for node in m.tree.body:
        value: ast.expr | None = None
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == rest for t in node.targets):
            value = node.value
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.target.id == rest:
            value = node.value
        if isinstance(value, ast.Call) and index.resolve(m, value.func) in CELERY_APPS:
            return True
    return False
