"""The names a client module re-exports (models, signals, Celery tasks), looked up on first use.

A client module used to import every moved model at module level. A staying *model* module whose
import is re-pointed at the client (``from shop.services.schedule import Availability``) then
imported every other moved model with it, an import cycle the original line did not have, and the
monolith did not start even in local mode. Here each name is looked up when asked for (PEP 562,
see the generated ``exports.py``): only its defining module is imported, as the original line did.

Celery tasks are exported the same way: the task object itself when local (its whole task API), a
``RemoteTask`` when remote (``delay``, ``apply_async``... as POSTs to the service's task endpoint).

Example::

    >>> portable_default("None"), portable_default("(1, 'a')"), portable_default("socket._GLOBAL_DEFAULT_TIMEOUT")
    (True, True, False)
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from dataclasses import dataclass

from decompose.extract.api_spec import model_endpoints, task_endpoint
from decompose.extract.plan import ExtractionPlan, Param

#: the sentinel of a default the client cannot carry (in the generated ``exports.py``)
UNSET = "exports.UNSET"


def portable_default(default: str | None) -> bool:
    """Whether a default, as written, means the same in the client module: a literal (``None``,
    ``3``, ``("a", 1)``, ``-1``). Any name (``socket._GLOBAL_DEFAULT_TIMEOUT``, ``settings.X``, an enum
    member) would need an import the client does not have, or one that imports the moved code."""
    if default is None:
        return True
    try:
        ast.literal_eval(default)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False
    return True


def unset_params(params: tuple[Param, ...]) -> frozenset[str]:
    """The parameters whose default the client leaves to the called code (:data:`UNSET` in the client)."""
    return frozenset(p.name for p in params if not portable_default(p.default))


@dataclass(frozen=True, slots=True)
class Export:
    """One name of a client module: where it is defined and the expression of its remote stand-in."""

    name: str
    module: str
    attribute: str
    remote: str


@dataclass(frozen=True, slots=True)
class MovedName:
    """A name of the moved code that staying code imports from a module whose import loads the moved models
    (a form, a helper of the moved app) and that has no remote form: exported by the client so remote mode
    starts (its stand-in, ``exports.MovedOnly``, refuses to be used, naming it)."""

    name: str
    module: str
    attribute: str
    #: the client's module keeping a copy of it for remote mode (an abstract model base staying models inherit,
    #: see :mod:`decompose.extract.client.kept`), or "" (remote mode refuses its use)
    copy: str = ""


def exports(plan: ExtractionPlan, signals: list[str], moved_only: Sequence[MovedName] = ()) -> list[Export]:
    """The re-exported names of ``plan``'s client: signals the service sends (``signals``: dotted, the
    monolith's receivers connect to them), models, Celery tasks, and the ``moved_only`` names staying code
    imports (see :class:`MovedName`); sorted by name."""
    out: list[Export] = []
    for moved in moved_only:
        dotted = f"{moved.module}.{moved.attribute}"
        remote = (
            f"lambda: exports.copied({moved.copy!r}, {moved.attribute!r})"
            if moved.copy
            else f"lambda: exports.MovedOnly(SERVICE, {dotted!r})"
        )
        out.append(Export(moved.name, moved.module, moved.attribute, remote))
    for dotted in signals:
        mod, name = dotted.rsplit(".", 1)
        out.append(Export(name, mod, name, "Signal"))
    for m in plan.interface_models:
        path = model_endpoints(m)[0].path
        out.append(
            Export(
                m.name,
                m.module,
                m.name,
                f"lambda: runtime.RemoteModel(SERVICE, {m.label!r}, {path!r}, "
                f"TYPES.get({m.label!r}), RELATIONS.get({m.label!r}))",
            )
        )
    for f in plan.interface_functions:
        if f.task is not None:
            out.append(
                Export(
                    f.name,
                    f.module,
                    f.name,
                    f"lambda: exports.RemoteTask(SERVICE, {f.task.name!r}, {task_endpoint(f).path!r})",
                )
            )
    names = [e.name for e in out]
    if len(set(names)) != len(names):
        from decompose.errors import InputError

        twice = sorted({n for n in names if names.count(n) > 1})
        raise InputError(
            f"service {plan.service}: {', '.join(twice)} named twice among the moved models, signals, tasks and "
            "moved names staying code imports that the client re-exports; the client module needs unique names"
        )
    return sorted(out, key=lambda e: e.name)


def _literal(head: str, items: list[str]) -> list[str]:
    return [head + " {}"] if not items else [head + " {", *(f"    {i}," for i in items), "}"]


def exports_block(plan: ExtractionPlan, signals: list[str], moved_only: Sequence[MovedName] = ()) -> list[str]:
    """The lines of the client module that export the names lazily, and ``MODELS`` over them."""
    found = exports(plan, signals, moved_only)
    models = sorted(plan.interface_models, key=lambda m: m.label)
    return [
        "# -- models, signals and Celery tasks of the service, looked up on first use (see exports.py):",
        "# the original objects when local (only their defining module is imported), stand-ins when remote",
        "#: exported name → (defining module, attribute)",
        *_literal(
            "_LOCAL: dict[str, tuple[str, str]] =", [f"{e.name!r}: ({e.module!r}, {e.attribute!r})" for e in found]
        ),
        "#: exported name → its remote stand-in (made once)",
        *_literal("_REMOTE: dict[str, Callable[[], Any]] =", [f"{e.name!r}: {e.remote}" for e in found]),
        "__getattr__ = exports.module_getattr(__name__, SERVICE, _LOCAL, _REMOTE)",
        "",
        "#: Models of the service by label, looked up on use (runtime.service_model resolves apps.get_model",
        "#: through it).",
        "MODELS: Mapping[str, Any] = exports.Exports(",
        "    {" + ", ".join(f"{m.label!r}: {m.name!r}" for m in models) + "},",
        "    __getattr__,",
        ")",
        "",
    ]
