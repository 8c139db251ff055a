"""Abstract model bases of the moved code that staying models inherit from, kept for remote mode.

A staying model may inherit an abstract base of a moved app (``class Order(TimeStampedModel)`` with
``core.models.TimeStampedModel`` moved). Its import goes through the client (``from <pkg>.<service> import
TimeStampedModel``): when the service is local that is the original class, as before. When it is remote the
moved app is not installed and its models module cannot be imported, so the client gives a *copy* of the
class, kept in ``<pkg>/<service>_bases.py``: the class's source, the definitions of its module it uses (a
mixin, a choices class, a helper function) and the imports they use (relative ones made absolute).

An abstract base leaves nothing in migrations (Django flattens it into each concrete model's fields), so the
copy changes no migration and no table. A base is kept only when its copy stands alone: it declares
``class Meta: abstract = True``, declares no relation (a relation to a moved model would need cutting in
every model inheriting it), uses no concrete model of its module, and imports nothing from a moved module
whose import loads the moved models. Otherwise the client keeps its refusing stand-in (``MovedOnly``) and the
TODO at the import says why.

The moved module's source is read as text and parsed, never imported.

>>> src = (
...     "from django.db import models\\n"
...     "from .utils import now\\n"
...     "class Stamped(models.Model):\\n"
...     "    at = models.DateTimeField(default=now)\\n"
...     "    class Meta:\\n"
...     "        abstract = True\\n"
... )
>>> copy = kept_base(src, "core.models", "Stamped", package=False, loading=frozenset())
>>> copy.imports, copy.why
(('from core.utils import now', 'from django.db import models'), '')
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass

#: Django's relation fields: a kept base declaring one is not copied (its target may have moved)
_RELATIONS = frozenset({"ForeignKey", "OneToOneField", "ManyToManyField", "ForeignObject", "GenericRelation"})


@dataclass(frozen=True, slots=True)
class KeptBase:
    """The copy of one abstract base: its definitions' source (in source order), the import lines they need,
    and ``why`` it cannot be kept (empty when it can)."""

    module: str
    name: str
    definitions: tuple[str, ...] = ()
    imports: tuple[str, ...] = ()
    why: str = ""


def _absolute(module: str, package: bool, node: ast.ImportFrom) -> str | None:
    if not node.level:
        return node.module
    parts = module.split(".") if package else module.split(".")[:-1]
    if node.level - 1 > len(parts) or (node.level - 1 == len(parts) and not node.module):
        return None
    base = parts[: len(parts) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])]) or None


def _is_abstract(cls: ast.ClassDef) -> bool:
    for node in cls.body:
        if isinstance(node, ast.ClassDef) and node.name == "Meta":
            for stmt in node.body:
                if (
                    isinstance(stmt, ast.Assign)
                    and any(isinstance(t, ast.Name) and t.id == "abstract" for t in stmt.targets)
                    and isinstance(stmt.value, ast.Constant)
                    and stmt.value.value is True
                ):
                    return True
    return False


def _model_like(cls: ast.ClassDef, classes: dict[str, ast.ClassDef], seen: frozenset[str] = frozenset()) -> bool:
    """Whether ``cls`` derives from a model class: ``models.Model``/``Model`` or a model class of its module."""
    for base in cls.bases:
        name = base.attr if isinstance(base, ast.Attribute) else base.id if isinstance(base, ast.Name) else ""
        if name == "Model" or name.endswith("Model") and name not in classes:
            return True
        if name in classes and name not in seen and _model_like(classes[name], classes, seen | {cls.name}):
            return True
    return False


def kept_base(source: str, module: str, name: str, *, package: bool, loading: Iterable[str]) -> KeptBase:
    """The copy of class ``name`` of moved module ``module`` (its text ``source``; ``package``: the module is a
    package ``__init__``), or the reason it cannot be kept; ``loading``: the moved modules whose import loads
    the moved models (a copy must not import them)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return KeptBase(module, name, why=f"{module} does not parse")
    defs: dict[str, ast.stmt] = {}
    imported: dict[str, str] = {}  # bound name → the import line that binds it (absolute)
    for node in tree.body:
        if isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            defs[node.name] = node
        elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            defs[node.targets[0].id] = node
        elif isinstance(node, ast.ImportFrom):
            origin = _absolute(module, package, node)
            for alias in node.names:
                if origin is not None and alias.name != "*":
                    bound = alias.asname or alias.name
                    text = alias.name if alias.asname is None else f"{alias.name} as {alias.asname}"
                    imported[bound] = f"{origin}\0from {origin} import {text}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                bound = alias.asname or alias.name.split(".")[0]
                text = alias.name if alias.asname is None else f"{alias.name} as {alias.asname}"
                imported[bound] = f"{alias.name}\0import {text}"
    cls = defs.get(name)
    if not isinstance(cls, ast.ClassDef) or not _is_abstract(cls):
        return KeptBase(module, name, why=f"{module}.{name} is not an abstract model (class Meta: abstract = True)")
    classes = {n: d for n, d in defs.items() if isinstance(d, ast.ClassDef)}
    found: list[str] = []
    stack = [name]
    needed: set[str] = set()
    while stack:
        current = stack.pop()
        if current in found:
            continue
        found.append(current)
        for n in ast.walk(defs[current]):
            if isinstance(n, ast.Name):
                if n.id in defs and n.id not in imported:
                    stack.append(n.id)
                elif n.id in imported:
                    needed.add(n.id)
            if isinstance(n, ast.Call):
                called = n.func.attr if isinstance(n.func, ast.Attribute) else getattr(n.func, "id", "")
                if called in _RELATIONS:
                    return KeptBase(module, name, why=f"{module}.{name} declares a relation ({called})")
    for used in found:
        d = defs[used]
        if isinstance(d, ast.ClassDef) and _model_like(d, classes) and not _is_abstract(d):
            return KeptBase(module, name, why=f"{module}.{name} uses {used}, a model of the moved app")
    loads = set(loading)
    lines: set[str] = set()
    for bound in needed:
        origin, line = imported[bound].split("\0")
        if any(origin == m or origin.startswith(m + ".") for m in loads):
            return KeptBase(
                module, name, why=f"{module}.{name} uses {bound} from {origin}, which loads the moved models"
            )
        lines.add(line)
    order = {n: i for i, n in enumerate(defs)}
    segments = []
    for used in sorted(found, key=order.__getitem__):
        d = defs[used]
        start = min([d.lineno, *(x.lineno for x in getattr(d, "decorator_list", []))])
        text = "\n".join(source.splitlines()[start - 1 : d.end_lineno])
        segments.append(text)
    return KeptBase(module, name, tuple(segments), tuple(sorted(lines)))


def bases_module(service: str, kept: Iterable[KeptBase]) -> str:
    """The text of ``<pkg>/<service>_bases.py``: every kept base of ``service`` (one copy of a definition two
    bases share), with the imports they need."""
    kept = sorted(kept, key=lambda k: (k.module, k.name))
    imports = sorted({line for k in kept for line in k.imports}, key=lambda x: (not x.startswith("import "), x))
    bodies: list[str] = []
    seen: set[tuple[str, str]] = set()
    for k in kept:
        for segment in k.definitions:
            if (k.module, segment) in seen:
                continue
            seen.add((k.module, segment))
            bodies.append(f"# copied from {k.module} (kept for {k.module}.{k.name})\n{segment}")
    head = [
        f'"""Abstract model bases of the {service} service that staying models inherit from (generated by decompose).',
        "",
        f"Copies, used only when {service} is remote (its apps are not installed here); when it is local the client",
        "gives the original classes. Abstract bases leave nothing in migrations: keep these in step with the service",
        'or move them into a staying module."""',
        "",
    ]
    return "\n".join([*head, *imports, "", "", "\n\n\n".join(bodies)]) + "\n"


def previous_moved_names(client_source: str) -> list[tuple[str, str, str]]:
    """``(name, defining module, attribute)`` of the moved names an earlier run's client module exports with a
    stand-in or a kept copy (``exports.MovedOnly`` / ``exports.copied`` in its ``_REMOTE``): a second run reads
    staying imports already pointing at the client, so it would not find them again, and dropping them would
    break the imports in both modes.

    >>> previous_moved_names(
    ...     "_LOCAL = {'Stamped': ('lib.models', 'Stamped'), 'Book': ('lib.models', 'Book')}\\n"
    ...     "_REMOTE = {'Stamped': lambda: exports.copied('p.lib_bases', 'Stamped'), 'Book': lambda: runtime.X()}\\n"
    ... )
    [('Stamped', 'lib.models', 'Stamped')]
    """
    try:
        tree = ast.parse(client_source)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return []
    tables: dict[str, ast.Dict] = {}
    for node in tree.body:
        target: ast.expr | None = None
        value: ast.expr | None = None
        if isinstance(node, ast.AnnAssign):
            target, value = node.target, node.value
        elif isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        if isinstance(target, ast.Name) and target.id in ("_LOCAL", "_REMOTE") and isinstance(value, ast.Dict):
            tables[target.id] = value
    if len(tables) != 2:
        return []
    local: dict[str, tuple[str, str]] = {}
    for k, v in zip(tables["_LOCAL"].keys, tables["_LOCAL"].values, strict=True):
        try:
            key, pair = ast.literal_eval(k) if k is not None else None, ast.literal_eval(v)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            continue
        if isinstance(key, str) and isinstance(pair, tuple) and len(pair) == 2:
            local[key] = (str(pair[0]), str(pair[1]))
    out = []
    for k, v in zip(tables["_REMOTE"].keys, tables["_REMOTE"].values, strict=True):
        key = k.value if isinstance(k, ast.Constant) else None
        body = v.body if isinstance(v, ast.Lambda) else None
        func = body.func if isinstance(body, ast.Call) else None
        if (
            isinstance(key, str)
            and key in local
            and isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and func.value.id == "exports"
            and func.attr in ("MovedOnly", "copied")
        ):
            out.append((key, *local[key]))
    return sorted(out)
