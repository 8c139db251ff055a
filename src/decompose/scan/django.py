"""Django constructs the scanner recognises, by their shape in the source.

Nothing here imports Django: a ``ForeignKey`` is any call whose name ends in
``ForeignKey``, a receiver any ``receiver(...)`` call, a transaction block any
``with ...atomic(...)``. The shapes produce :class:`~decompose.scan.facts.Use`
records; which module they point to is decided by the build step.

Migrations are scanned cheaply: only their ``dependencies`` list is read (by
locating it in the text and parsing that slice), never the whole file.
"""

from __future__ import annotations

import ast
import re
from typing import TYPE_CHECKING, Any

from decompose.scan.facts import Import, ModuleFacts, Use

if TYPE_CHECKING:  # pragma: no cover
    from decompose.scan.python import _Scanner

#: Attributes of a model class whose use is an ORM coupling (``Order.objects.filter``).
MANAGER_ATTRS = frozenset({"objects", "_default_manager", "_base_manager", "DoesNotExist", "MultipleObjectsReturned"})
FK_FIELDS = frozenset({"ForeignKey", "OneToOneField", "ManyToManyField", "ParentalKey", "ParentalManyToManyField"})
#: relation field -> kind (the default reverse accessor of "o2o" is ``<model>``, else ``<model>_set``)
FK_KINDS = {
    "ForeignKey": "fk",
    "ParentalKey": "fk",
    "OneToOneField": "o2o",
    "ManyToManyField": "m2m",
    "ParentalManyToManyField": "m2m",
}
#: attributes of a model class that give a manager of it
MANAGERS = frozenset({"objects", "_default_manager", "_base_manager"})
#: queryset/manager methods whose result is (instances of) the same model
QS_SAME = frozenset(
    {
        "all", "filter", "exclude", "get", "first", "last", "earliest", "latest", "create", "order_by",
        "select_related", "prefetch_related", "distinct", "only", "defer", "annotate", "alias", "using",
        "select_for_update", "none", "reverse", "iterator", "get_queryset", "union", "intersection",
        "difference", "complex_filter", "aget", "afirst", "alast", "acreate",
    }
)  # fmt: skip
#: methods whose keyword arguments (and Q objects) are lookups: ``filter(order__customer__email=...)``
LOOKUP_KW = frozenset({"filter", "exclude", "get", "get_or_create", "update_or_create", "aget"})
#: methods whose string arguments are relation paths, every segment a relation
LOOKUP_PATHS = frozenset({"select_related", "prefetch_related"})
#: methods whose string arguments are field paths (the last segment is a field)
LOOKUP_FIELDS = frozenset({"values", "values_list", "order_by", "only", "defer"})
#: names after which a chain of attributes on an instance stops being relations
NOT_RELATIONS = QS_SAME | {
    "pk", "id", "save", "delete", "objects", "count", "exists", "update", "values", "values_list",
    "aggregate", "refresh_from_db", "full_clean", "clean", "get_absolute_url", "DoesNotExist",
    "bulk_create", "bulk_update", "in_bulk", "add", "remove", "set", "clear", "asave", "adelete",
}  # fmt: skip
LOOKUP_ANY = LOOKUP_KW | LOOKUP_PATHS | LOOKUP_FIELDS
SIGNAL_CLASSES = frozenset({"Signal", "ModelSignal"})


def is_signal_class(name: str) -> bool:
    """Whether a class called ``name`` makes signals: Django's, or a project's subclass named by convention
    (``EventPluginSignal``, ``GlobalSignal``: a capitalised name ending in ``Signal``)."""
    return name in SIGNAL_CLASSES or (name[:1].isupper() and name.endswith("Signal"))
SIGNAL_METHODS = frozenset({"send", "send_robust", "connect", "disconnect", "asend", "asend_robust"})
#: Bases that make a class a Django model: ``Model`` and Django's own abstract models a project's models
#: subclass (a custom user model on ``AbstractBaseUser`` with no relation field was not seen as a model).
MODEL_BASES = frozenset({
    "django.db.models.Model", "django.db.models.base.Model", "django.contrib.gis.db.models.Model",
    "django.contrib.auth.base_user.AbstractBaseUser", "django.contrib.auth.models.AbstractBaseUser",
    "django.contrib.auth.models.AbstractUser", "django.contrib.auth.models.PermissionsMixin",
    "django.contrib.sessions.base_session.AbstractBaseSession",
})  # fmt: skip
APPCONFIG_BASES = frozenset({"django.apps.AppConfig", "django.apps.config.AppConfig"})


def _parts(node: ast.AST) -> list[str] | None:
    out: list[str] = []
    while isinstance(node, ast.Attribute):
        out.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        out.append(node.id)
        out.reverse()
        return out
    return None


def _str(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _kw(node: ast.Call, name: str) -> ast.AST | None:
    for kw in node.keywords:
        if kw.arg == name:
            return kw.value
    return None


def is_atomic(expr: ast.AST) -> bool:
    """``transaction.atomic``, ``atomic()``, ``transaction.atomic(using="x")``."""
    if isinstance(expr, ast.Call):
        expr = expr.func
    parts = _parts(expr)
    return bool(parts) and parts[-1] == "atomic"  # type: ignore[index]


def class_constants(node: ast.ClassDef) -> tuple[dict[str, Any], dict[str, Any]]:
    """Constant ``str``/``bool`` attributes of a class body and of its inner ``class Meta``."""
    attrs: dict[str, Any] = {}
    meta: dict[str, Any] = {}
    for stmt in node.body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            v = stmt.value
            if isinstance(v, ast.Constant) and isinstance(v.value, (str, bool)):
                attrs[stmt.targets[0].id] = v.value
        elif isinstance(stmt, ast.ClassDef) and stmt.name == "Meta":
            meta, _ = class_constants(stmt)
    return attrs, meta


def class_fields(node: ast.ClassDef) -> list[tuple[str, str, ast.AST, str, str]]:
    """Relation fields of a class body: (name, kind, target expression, related_name, related_query_name)."""
    out = []
    for stmt in node.body:
        if type(stmt) is ast.Assign and len(stmt.targets) == 1 and type(stmt.targets[0]) is ast.Name:
            v = stmt.value
            if type(v) is ast.Call:
                parts = _parts(v.func)
                kind = FK_KINDS.get(parts[-1]) if parts else None
                if kind is not None:
                    target = v.args[0] if v.args else _kw(v, "to")
                    if target is not None:
                        rn = _str(_kw(v, "related_name")) or ""
                        rqn = _str(_kw(v, "related_query_name")) or ""
                        out.append((stmt.targets[0].id, kind, target, rn, rqn))
    return out


#: literal options of a field kept in the facts (what a service needs to rebuild the field)
FIELD_OPTIONS = ("max_length", "max_digits", "decimal_places")


def model_fields(
    node: ast.ClassDef,
) -> list[tuple[str, int, str, ast.AST | None, bool, str, str, str, tuple[tuple[str, int], ...], bool]]:
    """Every field-like assignment of a class body, in order.

    ``(name, line, field class, relation target expression or None, null, db_column, on_delete text,
    related_name, literal options, primary_key=True written)``; a field is a call whose name ends in ``Field``
    or ``Key``.
    """
    out = []
    for stmt in node.body:
        if type(stmt) is not ast.Assign or len(stmt.targets) != 1 or type(stmt.targets[0]) is not ast.Name:
            continue
        v = stmt.value
        if type(v) is not ast.Call:
            continue
        parts = _parts(v.func)
        if not parts or not parts[-1].endswith(("Field", "Key")):
            continue
        ftype = parts[-1]
        target = None
        on_delete = ""
        if ftype in FK_KINDS:
            target = v.args[0] if v.args else _kw(v, "to")
            od = _kw(v, "on_delete") or (v.args[1] if len(v.args) > 1 else None)
            if od is not None:
                p = _parts(od)
                on_delete = ".".join(p) if p else ""
        null = _kw(v, "null")
        options = []
        for opt in FIELD_OPTIONS:
            o = _kw(v, opt)
            if type(o) is ast.Constant and type(o.value) is int:
                options.append((opt, o.value))
        out.append(
            (
                stmt.targets[0].id,
                stmt.lineno,
                ftype,
                target,
                type(null) is ast.Constant and null.value is True,
                _str(_kw(v, "db_column")) or "",
                on_delete,
                _str(_kw(v, "related_name")) or "",
                tuple(options),
                type(pk := _kw(v, "primary_key")) is ast.Constant and pk.value is True,
            )
        )
    return out


def is_model_like(node: ast.ClassDef, model_like: set[str]) -> bool:
    """A class whose body declares model fields (or whose base is such a class of the same module)."""
    for b in node.bases:
        if type(b) is ast.Name and b.id in model_like:
            return True
    for stmt in node.body:
        if type(stmt) is ast.Assign and type(stmt.value) is ast.Call:
            parts = _parts(stmt.value.func)
            if parts and (parts[-1].endswith(("Field", "Key")) or parts[-1] in FK_KINDS):
                return True
            if len(stmt.targets) == 1 and type(stmt.targets[0]) is ast.Name and stmt.targets[0].id == "objects":
                return True
    return False


def _model_ref(sc: _Scanner, kind: str, node: ast.AST | None, line: int) -> None:
    """A reference to a model: a name/attribute chain, or a lazy ``"app.Model"`` / ``"Model"`` string."""
    if node is None:
        return
    s = _str(node)
    if s is not None:
        if s == "self" or not s:
            return
        sc.uses.append(Use(kind, "label" if "." in s else "bare", s, line, sc.ctx_flags()))
        return
    parts = _parts(node)
    if parts:
        sc.cand(kind, parts, line)


#: calls that load a model by name
MODEL_LOADERS = frozenset({"get_model", "get_user_model"})


def loaded_model(node: ast.Call) -> str | None:
    """``get_model("app", "Model")`` / ``get_model("app.Model")`` -> "@app.Model";
    ``get_user_model()`` -> "@@AUTH_USER_MODEL"."""
    parts = _parts(node.func)
    if not parts or parts[-1] not in MODEL_LOADERS:
        return None
    if parts[-1] == "get_user_model":
        return None if node.args else "@@AUTH_USER_MODEL"
    strs = [_str(a) for a in node.args[:2]]
    if len(strs) == 2 and strs[0] and strs[1]:
        return f"@{strs[0]}.{strs[1]}"
    if len(strs) == 1 and strs[0] and "." in strs[0]:
        return f"@{strs[0]}"
    return None


#: dynamic class loaders naming a module by an app-relative label: django-oscar's
#: ``get_class("basket.forms", "AddToBasketForm")`` / ``get_classes("basket.forms", ["A", "B"])``,
#: which load ``<the app labelled basket>.forms`` (a forked app) else ``oscar.apps.basket.forms``
CLASS_LOADERS = frozenset({"get_class", "get_classes"})
CLASS_LOADER_PREFIX = "oscar.apps"

#: last names of the calls :func:`call_uses` looks at (any other call is a plain ``call``)
CALL_NAMES = FK_FIELDS | SIGNAL_METHODS | CLASS_LOADERS | {"include", "get_model", "import_string", "receiver"}


def call_uses(sc: _Scanner, node: ast.Call, parts: list[str]) -> bool:
    """Record the Django couplings a call expresses. True if the call needs no generic ``call`` use."""
    last = parts[-1]
    line = node.lineno
    args = node.args
    if last in FK_FIELDS:
        _model_ref(sc, "fk", args[0] if args else _kw(node, "to"), line)
        return False
    if last == "include" and (args or _kw(node, "arg")):
        target = args[0] if args else _kw(node, "arg")
        if isinstance(target, ast.Tuple) and target.elts:
            target = target.elts[0]
        s = _str(target)
        if s is not None:
            sc.uses.append(Use("url", "dotted", s, line, sc.ctx_flags()))
        elif target is not None and (p := _parts(target)):
            sc.cand("url", p, line)
        return False
    if last == "get_model" and args:
        strs = [_str(a) for a in args[:2]]
        if len(strs) == 2 and strs[0] and strs[1]:
            sc.uses.append(Use("string_ref", "label", f"{strs[0]}.{strs[1]}", line, sc.ctx_flags()))
        elif strs[0] and "." in strs[0]:
            sc.uses.append(Use("string_ref", "label", strs[0], line, sc.ctx_flags()))
        return False
    if last == "import_string" and args and (s := _str(args[0])):
        sc.uses.append(Use("string_ref", "dotted", s, line, sc.ctx_flags()))
        return False
    if last in CLASS_LOADERS:
        label = _str(args[0] if args else _kw(node, "module_label"))
        spec = args[1] if len(args) > 1 else _kw(node, "classname" if last == "get_class" else "classnames")
        if last == "get_classes" and isinstance(spec, (ast.List, ast.Tuple)):
            names = [_str(e) for e in spec.elts]
        else:
            names = [_str(spec)] if last == "get_class" and spec is not None else []
        prefix = _str(args[2] if len(args) > 2 else _kw(node, "module_prefix")) or CLASS_LOADER_PREFIX
        if label and "." in label and "|" not in label + prefix:
            for name in names:
                if name and name.isidentifier():
                    sc.uses.append(Use("string_ref", "class", f"{prefix}|{label}|{name}", line, sc.ctx_flags()))
        return False  # the loader itself is called too
    if last == "receiver" and args:
        sig = args[0]
        for el in sig.elts if isinstance(sig, (ast.List, ast.Tuple)) else [sig]:
            p = _parts(el)
            if p:
                sc.cand("signal", p, line)
        _model_ref(sc, "signal", _kw(node, "sender"), line)
        return False
    if last in SIGNAL_METHODS and len(parts) >= 2:
        sc.cand("signal", parts[:-1], line, ref="signal")
        sender = _kw(node, "sender")
        if last in ("connect", "disconnect"):
            _model_ref(sc, "signal", sender, line)
        elif sender is not None and (
            p := _parts(sender)
        ):  # send(sender=Model): not strings, those are e-mail senders too
            sc.cand("signal", p, line)
        return True
    return False


# -- migrations -------------------------------------------------------------------

_DEPS = re.compile(rb"^[ \t]*dependencies\s*=\s*[\[(]", re.M)


def _slice_brackets(source: bytes, start: int) -> bytes | None:
    """From ``start`` (an opening bracket), the text up to its matching bracket; strings are skipped."""
    depth = 0
    i = start
    n = len(source)
    quote: int | None = None
    while i < n:
        c = source[i]
        if quote is not None:
            if c == 0x5C:  # backslash
                i += 2
                continue
            if c == quote:
                quote = None
        elif c in (0x22, 0x27):
            quote = c
        elif c in (0x5B, 0x28, 0x7B):
            depth += 1
        elif c in (0x5D, 0x29, 0x7D):
            depth -= 1
            if depth == 0:
                return source[start : i + 1]
        i += 1
    return None


#: a top-level import statement (``import a.b``, ``from x import (y,\n z)``) at the start of a line
_IMPORT_LINE = re.compile(
    rb"^(?:from[ \t]+(\.*[\w.]*)[ \t]+import[ \t]+(\([^)]*\)|[^\n#]+)|import[ \t]+([^\n#]+))", re.M
)


def migration_imports(module: str, source: bytes, is_package: bool) -> list[Import]:
    """A migration's top-level imports, flagged ``migration`` (a helper it imports must exist where it runs).

    Found by their shape at the start of a line, without parsing the whole file (migrations are many
    and large); relative imports are resolved against the module's package.
    """
    out: list[Import] = []
    pkg = module if is_package else module.rpartition(".")[0]
    for m in _IMPORT_LINE.finditer(source):
        line = source.count(b"\n", 0, m.start()) + 1
        try:
            if m.group(3) is not None:
                for name in m.group(3).decode("utf-8").split(","):
                    name = name.split(" as ")[0].strip()
                    if name and _DOTTED_NAME.match(name):
                        out.append(Import(name, "", line, ("migration",)))
                continue
            raw_base = m.group(1).decode("utf-8")
            names = m.group(2).decode("utf-8").strip("() \t\r\n\\")
        except UnicodeDecodeError:
            continue
        level = len(raw_base) - len(raw_base.lstrip("."))
        base: str | None = raw_base[level:]
        if base == "__future__":
            continue
        if level:
            parts = pkg.split(".") if pkg else []
            if level - 1 >= len(parts):
                continue
            prefix = ".".join(parts[: len(parts) - (level - 1)])
            base = f"{prefix}.{base}" if base and prefix else (base or prefix)
        if not base or not _DOTTED_NAME.match(base):
            continue
        for name in names.replace("\n", ",").split(","):
            name = name.split(" as ")[0].strip().strip("\\").strip()
            if name and (name == "*" or name.isidentifier()):
                out.append(Import(base, name, line, ("migration",)))
    return out


_DOTTED_NAME = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*\Z")


def scan_migration(module: str, source: bytes, *, is_package: bool, lines: int) -> ModuleFacts:
    """A migration's ``dependencies`` (cross-app ordering) and its imports, flagged ``migration``."""
    uses: list[Use] = []
    m = _DEPS.search(source)
    if m is not None:
        body = _slice_brackets(source, m.end() - 1)
        first_line = source.count(b"\n", 0, m.start()) + 1
        try:
            node = ast.parse(b"(" + body + b")", mode="eval").body if body else None
        except (SyntaxError, ValueError):
            node = None
        elts = node.elts if isinstance(node, (ast.List, ast.Tuple)) else []
        for el in elts:
            line = first_line + el.lineno - 1
            if isinstance(el, ast.Tuple) and len(el.elts) == 2:
                app, name = _str(el.elts[0]), _str(el.elts[1])
                if app and name:
                    uses.append(Use("string_ref", "migration", f"{app}:{name}", line, ("migration",)))
            elif isinstance(el, ast.Call) and el.args:
                p = _parts(el.args[0])
                if p and p[0] == "settings":
                    uses.append(Use("string_ref", "setting_dep", p[-1], line, ("migration",)))
    return ModuleFacts(
        module=module,
        is_package=is_package,
        lines=lines,
        uses=tuple(sorted(set(uses))),
        imports=tuple(migration_imports(module, source, is_package)),
    )
