"""The service's copies of staying code the plan vendored, its parent packages and its stand-ins.

Renders :class:`decompose.extract.plan.values.ServiceRewrites`' ``vendored``, ``packages`` and
``stand_ins`` (decided by :mod:`decompose.extract.plan.vendor`): vendored modules are copied at their own
path and rewritten like the moved modules (staying models they import become references by id),
parent packages get an ``__init__.py``, and each stand-in is an object of ``<pkg>.monolith`` that
raises :class:`StaysInMonolith` with the plan's reason as soon as it is used.
"""

from __future__ import annotations

import ast
from collections.abc import Callable

from decompose.extract.plan import ExtractionPlan
from decompose.extract.plan import index as F

#: appended to monolith.py when the plan has stand-ins (rendered with repr'd names and reasons)
STAND_IN_RUNTIME = '''

class StaysInMonolith(RuntimeError):
    """A name of the monolith that the service could neither copy nor call back was used."""


class _StandIn:
    """Stands for a name of the monolith that cannot be copied into the service (see EXTRACTION.md).

    Importing it works; using it (calling, reading an attribute, subclassing it) raises
    :class:`StaysInMonolith` with the reason, so a dangling use fails loudly where it happens.
    """

    __slots__ = ("_name", "_reason")

    def __init__(self, name: str, reason: str) -> None:
        object.__setattr__(self, "_name", name)
        object.__setattr__(self, "_reason", reason)

    def _fail(self) -> StaysInMonolith:
        return StaysInMonolith(f"{self._name} stays in the monolith: {self._reason}")

    def __getattr__(self, attr: str) -> Any:
        raise self._fail()

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise self._fail()

    def __mro_entries__(self, bases: tuple[Any, ...]) -> tuple[type, ...]:
        raise self._fail()

    def __iter__(self) -> Any:
        raise self._fail()

    def __repr__(self) -> str:
        return f"<{self._name}: stays in the monolith>"
'''


def stand_ins_text(plan: ExtractionPlan) -> str:
    """What monolith.py defines for the plan's stand-ins, admin sites and signal classes ("" when none)."""
    return _admin_sites_text(plan) + _signal_classes_text(plan) + _stand_ins_text(plan)


def _signal_classes_text(plan: ExtractionPlan) -> str:
    classes = plan.service_rewrites.signal_classes
    if not classes:
        return ""
    lines = [
        "",
        "",
        "# Signal classes of the monolith the moved code defines its signals with: plain Signal subclasses here.",
        "from django.dispatch import Signal as _Signal  # noqa: E402",
    ]
    for dotted, reason in sorted(classes.items()):
        name = dotted.rpartition(".")[2]
        lines += [
            "",
            "",
            f"class {name}(_Signal):",
            f'    """{dotted} in the monolith ({reason.replace(chr(34), chr(39))}): a plain Signal here;',
            "    what the monolith's class adds to sending (filtering receivers, extra methods) does not run here.",
            '    """',
        ]
    return "\n".join(lines) + "\n"


def _admin_sites_text(plan: ExtractionPlan) -> str:
    sites = plan.service_rewrites.admin_sites
    if not sites:
        return ""
    lines = [
        "",
        "",
        "# Admin sites of the monolith the moved admin registers with: the service's own, created on first use.",
        "from django.utils.functional import SimpleLazyObject as _Lazy  # noqa: E402",
        "",
        "",
        "def _admin_site(name: str) -> Any:",
        "    from django.contrib.admin import AdminSite",
        "",
        "    return AdminSite(name=name)",
        "",
        "",
    ]
    for dotted, name in sorted(sites.items()):
        lines.append(f"{dotted.rpartition('.')[2]} = _Lazy(lambda: _admin_site({name!r}))  # was {dotted}")
    return "\n".join(lines) + "\n"


def _stand_ins_text(plan: ExtractionPlan) -> str:
    stand_ins = plan.service_rewrites.stand_ins
    if not stand_ins:
        return ""
    lines = [
        STAND_IN_RUNTIME.rstrip("\n"),
        "",
        "",
        "# Names of the monolith that could not be copied into the service.",
    ]
    done: set[str] = set()
    for dotted, reason in sorted(stand_ins.items()):
        name = dotted.rpartition(".")[2]
        if name in done:
            continue
        done.add(name)
        lines.append(f"{name} = _StandIn({dotted!r}, {reason!r})")
    return "\n".join(lines) + "\n"


def definition_source(m: F.Module, node: ast.AST) -> str:
    """The source of a top-level definition as written, its decorators included."""
    decorators = getattr(node, "decorator_list", [])
    start = min([getattr(node, "lineno", 1), *(d.lineno for d in decorators)])
    end = getattr(node, "end_lineno", None) or start
    return "\n".join(m.source.splitlines()[start - 1 : end])


def imports_used(m: F.Module, node: ast.AST) -> set[str]:
    """The import lines of ``m`` that bind a name ``node`` uses, as ``m`` wrote them (aliases kept)."""
    out: set[str] = set()
    for local in sorted({n.id for n in ast.walk(node) if isinstance(n, ast.Name)} & set(m.imports)):
        target = m.imports[local]
        base, _, last = target.rpartition(".")
        if not base:
            out.add(f"import {target}" + (f" as {local}" if local != target else ""))
        else:
            out.add(f"from {base} import {last}" + (f" as {local}" if local != last else ""))
    return out


def slice_text(m: F.Module, names: tuple[str, ...]) -> str:
    """A module holding only the definitions ``names`` of ``m`` (in source order) and the imports they use."""
    imports: set[str] = set()
    bodies: list[str] = []
    done: set[int] = set()
    for name in names:
        node = m.defs[name]
        if id(node) in done:
            continue
        done.add(id(node))
        imports |= imports_used(m, node)
        line = getattr(node, "lineno", 0)
        bodies.append(f"# {m.path}:{line}\n{definition_source(m, node)}")
    head = [
        f'"""Part of {m.name} (the definitions the service uses; the rest stays in the monolith). Copied by',
        'decompose: the module as a whole reads the monolith\'s data or registers something at import."""',
        "",
    ]
    return "\n".join(head + sorted(imports) + ["", "", ""]) + "\n\n\n".join(bodies) + "\n"


def vendored_files(plan: ExtractionPlan, index: F.CodeIndex, rewrite: Callable[[str, str], str]) -> dict[str, str]:
    """The vendored modules (rewritten by ``rewrite(path, text)``) and the parent packages' ``__init__.py``."""
    out: dict[str, str] = {}
    for mod in plan.service_rewrites.vendored:
        m = index.modules.get(mod)
        if m is not None:
            out[m.path] = rewrite(m.path, m.source)
    for mod, names in plan.service_rewrites.slices.items():
        m = index.modules.get(mod)
        if m is not None and m.path not in out:
            out[m.path] = rewrite(m.path, slice_text(m, names))
    for path in plan.service_rewrites.packages:
        dotted = path.rpartition("/")[0].replace("/", ".")
        out.setdefault(
            path,
            f'"""{dotted}: a package of the monolith, here only to hold the code copied from it (decompose)."""\n',
        )
    return out
