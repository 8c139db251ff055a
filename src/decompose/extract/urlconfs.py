"""The moved apps' URLconfs and permission checks, read statically for the monolith's remote mode.

In remote mode the monolith keeps every moved URL name reversible to the same path and sends the
requests for those paths to the service (a proxy view; see the client package's ``routes``). This
module reads, as text (``ast``; nothing of the project is imported), what those routes are:

- ``path()`` / ``re_path()`` / ``url()`` with a literal route and name;
- ``include()`` of another URLconf of the moved apps (its ``app_name`` and the ``namespace``/
  ``(module, app_name)`` given), of a literal list, of a DRF router's ``urls``;
- DRF routers' ``register()``: ``<basename>-list`` / ``<basename>-detail`` and the viewset's
  ``@action`` routes, as DRF's ``SimpleRouter``/``DefaultRouter`` spell them (root view and format
  suffixes included), when the basename is literal or the viewset's ``queryset`` names its model.

What cannot be read is listed in :attr:`MirroredUrlconf.unread` (``path:line: why``): the mirror
then ends with a catch-all that forwards every other path under its prefix to the service.

:func:`permission_codes` collects the ``"app_label.codename"`` permissions the moved code checks
(``has_perm``/``has_perms``, ``permission_required``, ``PermissionRequiredMixin.permission_required``,
literal codes in DRF permission classes): the identity assertion carries the user's among them.

Example::

    >>> src = {"pay.urls": ('from django.urls import path\\nfrom pay import views\\napp_name = "pay"\\n'
    ...        'urlpatterns = [path("<int:pk>/", views.detail, name="detail")]\\n', False)}
    >>> conf = read_urlconfs(("pay.urls",), src.get, ("pay",))[0]
    >>> conf.app_name, conf.routes[0].route, conf.routes[0].name
    ('pay', '<int:pk>/', 'detail')
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from decompose.scan.source import absolute_module

#: ``(text, is a package)`` of a module by dotted name, or None when it is not in the project
Source = Callable[[str], "tuple[str, bool] | None"]

#: converters Django registers itself; a route using another one is read with ``str`` (and noted)
BUILTIN_CONVERTERS = frozenset({"str", "int", "slug", "uuid", "path"})
_CONVERTER = re.compile(r"<(?:(?P<conv>[^>:]+):)?(?P<name>[^>]+)>")

_ROUTERS = {"SimpleRouter", "DefaultRouter"}
#: the viewset methods DRF's known bases give (what decides whether list/detail routes exist)
_DRF_BASES: dict[str, frozenset[str]] = {
    "ModelViewSet": frozenset({"list", "create", "retrieve", "update", "partial_update", "destroy"}),
    "ReadOnlyModelViewSet": frozenset({"list", "retrieve"}),
    "GenericViewSet": frozenset(),
    "ViewSet": frozenset(),
    "ViewSetMixin": frozenset(),
    "ListModelMixin": frozenset({"list"}),
    "CreateModelMixin": frozenset({"create"}),
    "RetrieveModelMixin": frozenset({"retrieve"}),
    "UpdateModelMixin": frozenset({"update", "partial_update"}),
    "DestroyModelMixin": frozenset({"destroy"}),
}
_LIST_METHODS = frozenset({"list", "create"})
_DETAIL_METHODS = frozenset({"retrieve", "update", "partial_update", "destroy"})


@dataclass(frozen=True, slots=True)
class Route:
    """One URL pattern of a mirrored URLconf.

    ``kind`` is ``path`` or ``re_path``. A pattern is a view (forwarded to the service), or an
    ``include`` of another mirrored URLconf (``include``: the moved module it mirrors) or of a list
    of patterns (``children``), with the ``app_name`` of a ``(patterns, app_name)`` include and the
    ``namespace`` given to ``include()``.

    ``csrf`` says how the monolith checks CSRF for a view, as the moved view did: ``check`` (Django's
    default), ``exempt`` (``csrf_exempt``) or ``drf`` (a DRF view: checked only for a user signed in by
    session, as DRF's SessionAuthentication does).
    """

    kind: str
    route: str
    name: str | None = None
    include: str | None = None
    children: tuple[Route, ...] | None = None
    app_name: str | None = None
    namespace: str | None = None
    csrf: str = "check"


@dataclass(frozen=True, slots=True)
class MirroredUrlconf:
    """What the remote-mode mirror of one moved URLconf module serves: its ``app_name`` and routes."""

    module: str
    path: str
    app_name: str | None
    routes: tuple[Route, ...]
    #: ``path:line: why`` of each pattern that could not be read (the mirror ends with a catch-all)
    unread: tuple[str, ...] = ()
    #: routes read with a changed converter, ``path:line: why`` (reverse() may format their values differently)
    notes: tuple[str, ...] = ()


def _literal(node: ast.AST | None) -> object:
    if node is None:
        return None
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None


def _str(node: ast.AST | None) -> str | None:
    value = _literal(node)
    return value if isinstance(value, str) else None


def _last(func: ast.AST) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _dotted(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        head = _dotted(node.value)
        return f"{head}.{node.attr}" if head else None
    return None


def _kw(call: ast.Call, name: str, position: int | None = None) -> ast.AST | None:
    for kw in call.keywords:
        if kw.arg == name:
            return kw.value
    if (
        position is not None
        and len(call.args) > position
        and not any(isinstance(a, ast.Starred) for a in call.args[: position + 1])
    ):
        return call.args[position]
    return None


@dataclass(frozen=True, slots=True)
class _Module:
    name: str
    path: str
    tree: ast.Module
    package: str
    #: local name → dotted name it was imported as (``views`` → ``pay.views``, ``Detail`` → ``pay.views.Detail``)
    imports: dict[str, str]


class _Reader:
    def __init__(self, source: Source, moved: Sequence[str]) -> None:
        self.source = source
        self.moved = tuple(moved)
        self._modules: dict[str, _Module | None] = {}

    def is_moved(self, dotted: str) -> bool:
        return any(dotted == m or dotted.startswith(m + ".") for m in self.moved)

    def module(self, name: str) -> _Module | None:
        if name not in self._modules:
            self._modules[name] = None
            found = self.source(name)
            if found is not None:
                text, is_package = found
                try:
                    tree = ast.parse(text)
                except (SyntaxError, ValueError, MemoryError, RecursionError):
                    tree = None
                if tree is not None:
                    package = name if is_package else name.rpartition(".")[0]
                    imports: dict[str, str] = {}
                    for node in tree.body:
                        if isinstance(node, ast.Import):
                            for a in node.names:
                                if a.asname:
                                    imports[a.asname] = a.name
                                else:
                                    imports[a.name.split(".")[0]] = a.name.split(".")[0]
                        elif isinstance(node, ast.ImportFrom):
                            base = absolute_module(package, node.module, node.level)
                            for a in node.names:
                                if a.name != "*":
                                    imports[a.asname or a.name] = f"{base}.{a.name}" if base else a.name
                    rel = name.replace(".", "/") + ("/__init__.py" if is_package else ".py")
                    self._modules[name] = _Module(name, rel, tree, package, imports)
        return self._modules[name]

    def resolve(self, mod: _Module, node: ast.AST) -> str | None:
        """The dotted name an expression refers to through the module's imports (``views.X`` → ``pay.views.X``)."""
        dotted = _dotted(node)
        if dotted is None:
            return None
        head, _, rest = dotted.partition(".")
        if head in mod.imports:
            base = mod.imports[head]
            return f"{base}.{rest}" if rest else base
        return f"{mod.name}.{dotted}"

    def find_class(self, dotted: str, depth: int = 0) -> tuple[_Module, ast.ClassDef] | None:
        """The class a dotted name names, following one module's re-exports at a time (a few hops)."""
        if depth > 5:
            return None
        module, _, name = dotted.rpartition(".")
        mod = self.module(module) if module else None
        if mod is None:
            return None
        for node in mod.tree.body:
            if isinstance(node, ast.ClassDef) and node.name == name:
                return mod, node
        if name in mod.imports and mod.imports[name] != dotted:
            return self.find_class(mod.imports[name], depth + 1)
        return None


@dataclass(frozen=True, slots=True)
class _Viewset:
    methods: frozenset[str]
    unknown_base: bool
    #: (detail, methods, url_path, url_name) of each @action, sorted by function name as DRF lists them
    actions: tuple[tuple[bool, str, str], ...]
    attrs: dict[str, str]
    model: str | None


def _viewset(reader: _Reader, mod: _Module, cls: ast.ClassDef, depth: int = 0) -> _Viewset:
    methods: set[str] = set()
    actions: dict[str, tuple[bool, str, str]] = {}
    attrs: dict[str, str] = {}
    model: str | None = None
    unknown = False
    for base in cls.bases:
        name = _last(base)
        if name in _DRF_BASES:
            methods |= _DRF_BASES[name]
            continue
        target = reader.resolve(mod, base)
        found = reader.find_class(target) if target and depth < 8 else None
        if found is None:
            unknown = unknown or name not in ("object", "APIView", "GenericAPIView")
            continue
        inherited = _viewset(reader, found[0], found[1], depth + 1)
        methods |= inherited.methods
        unknown = unknown or inherited.unknown_base
        actions.update({a[1]: a for a in inherited.actions})
        attrs.update(inherited.attrs)
        model = inherited.model or model
    for node in cls.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            methods.add(node.name)
            for dec in node.decorator_list:
                if isinstance(dec, ast.Call) and _last(dec.func) == "action":
                    detail = _literal(_kw(dec, "detail"))
                    url_path = _str(_kw(dec, "url_path")) or node.name
                    url_name = _str(_kw(dec, "url_name")) or node.name.replace("_", "-")
                    actions[node.name] = (bool(detail), url_path, url_name)
        elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            key = node.targets[0].id
            if key in ("lookup_field", "lookup_url_kwarg", "lookup_value_regex"):
                value = _str(node.value)
                if value is not None:
                    attrs[key] = value
            elif key == "queryset":
                inner: ast.AST = node.value
                while isinstance(inner, (ast.Call, ast.Attribute)):
                    inner = inner.func if isinstance(inner, ast.Call) else inner.value
                if isinstance(inner, ast.Name):
                    model = inner.id
    ordered = tuple(actions[k] for k in sorted(actions))
    return _Viewset(frozenset(methods), unknown, ordered, attrs, model)


def _router_routes(
    reader: _Reader, mod: _Module, kind: str, kwargs: dict[str, object], registry: list[ast.Call]
) -> tuple[list[Route], list[str]]:
    """The patterns ``router.urls`` gives, as DRF builds them; and what could not be read."""
    unread: list[str] = []
    slash = kwargs.get("trailing_slash", True)
    trailing = slash if isinstance(slash, str) else ("/" if slash else "")
    routes: list[Route] = []
    for call in registry:
        where = f"{mod.path}:{call.lineno}"
        prefix = _str(_kw(call, "prefix", 0))
        view = _kw(call, "viewset", 1)
        basename = _str(_kw(call, "basename", 2)) or _str(_kw(call, "base_name"))
        if prefix is None or view is None:
            unread.append(f"{where}: router.register() without a literal prefix")
            continue
        target = reader.resolve(mod, view)
        found = reader.find_class(target) if target else None
        info = _viewset(reader, *found) if found else None
        if basename is None and info is not None and info.model:
            basename = info.model.lower()
        if basename is None:
            unread.append(
                f"{where}: router.register({prefix!r}, ...) without a literal basename"
                " (nor a queryset naming the model)"
            )
            continue
        attrs = info.attrs if info else {}
        field = attrs.get("lookup_url_kwarg") or attrs.get("lookup_field", "pk")
        lookup = f"(?P<{field}>{attrs.get('lookup_value_regex', '[^/.]+')})"
        if info is None:
            unread.append(
                f"{where}: viewset {_dotted(view) or '?'} not found in the moved code: its @action routes are not known"
            )
        methods = info.methods if info else frozenset(_LIST_METHODS | _DETAIL_METHODS)
        every = info is None or info.unknown_base
        actions = info.actions if info else ()
        rows: list[tuple[str, str]] = []
        if every or methods & _LIST_METHODS:
            rows.append((f"^{prefix}{trailing}$", f"{basename}-list"))
        rows += [(f"^{prefix}/{p}{trailing}$", f"{basename}-{n}") for d, p, n in actions if not d]
        if every or methods & _DETAIL_METHODS:
            rows.append((f"^{prefix}/{lookup}{trailing}$", f"{basename}-detail"))
        rows += [(f"^{prefix}/{lookup}/{p}{trailing}$", f"{basename}-{n}") for d, p, n in actions if d]
        for regex, name in rows:
            if not prefix and regex[:2] == "^/":
                regex = "^" + regex[2:]
            routes.append(Route("re_path", regex, name, csrf="drf"))
    if kind == "DefaultRouter":
        if kwargs.get("include_root_view", True) is not False:
            routes.insert(0, Route("re_path", "^$", str(kwargs.get("root_view_name", "api-root")), csrf="drf"))
        if kwargs.get("include_format_suffixes", True) is not False:
            suffixed: list[Route] = []
            for r in routes:
                suffixed.append(r)
                stem = r.route.rstrip("$").rstrip("/")
                suffixed.append(Route("re_path", stem + r"\.(?P<format>[a-z0-9]+)/?$", r.name, csrf="drf"))
            routes = suffixed
    return routes, unread


class _UrlconfReader:
    def __init__(self, reader: _Reader, mod: _Module) -> None:
        self.reader = reader
        self.mod = mod
        self.unread: list[str] = []
        self.notes: list[str] = []
        self.includes: list[str] = []
        self.routers: dict[str, tuple[str, dict[str, object], list[ast.Call]]] = {}

    def where(self, node: ast.AST) -> str:
        return f"{self.mod.path}:{getattr(node, 'lineno', 0)}"

    def read(self) -> tuple[str | None, list[Route]]:
        app_name: str | None = None
        routes: list[Route] = []
        for stmt in self.mod.tree.body:
            if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
                target, value = stmt.targets[0].id, stmt.value
                if target == "app_name":
                    app_name = _str(value)
                    if app_name is None:
                        self.unread.append(f"{self.where(stmt)}: app_name is not a string literal")
                elif target == "urlpatterns":
                    routes = self.value(value)
                elif isinstance(value, ast.Call) and _last(value.func) in _ROUTERS:
                    kwargs = {kw.arg: _literal(kw.value) for kw in value.keywords if kw.arg}
                    self.routers[target] = (_last(value.func), kwargs, [])
            elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.value is not None:
                if stmt.target.id == "urlpatterns":
                    routes = self.value(stmt.value)
                elif stmt.target.id == "app_name":
                    app_name = _str(stmt.value)
            elif (
                isinstance(stmt, ast.AugAssign)
                and isinstance(stmt.target, ast.Name)
                and stmt.target.id == "urlpatterns"
            ):
                routes = routes + self.value(stmt.value)
            elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
                call = stmt.value
                func = call.func
                if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
                    owner = func.value.id
                    if owner in self.routers and func.attr == "register":
                        self.routers[owner][2].append(call)
                    elif owner == "urlpatterns" and func.attr == "append" and len(call.args) == 1:
                        routes = routes + self.element(call.args[0])
                    elif owner == "urlpatterns" and func.attr == "extend" and len(call.args) == 1:
                        routes = routes + self.value(call.args[0])
                    elif owner == "urlpatterns":
                        self.unread.append(f"{self.where(stmt)}: urlpatterns.{func.attr}(...)")
            elif "urlpatterns" in {n.id for n in ast.walk(stmt) if isinstance(n, ast.Name)} and not isinstance(
                stmt, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
            ):
                self.unread.append(f"{self.where(stmt)}: urlpatterns written under a {type(stmt).__name__.lower()}")
        return app_name, routes

    def value(self, node: ast.AST) -> list[Route]:
        """The routes of an expression assigned to ``urlpatterns``."""
        if isinstance(node, (ast.List, ast.Tuple)):
            out: list[Route] = []
            for el in node.elts:
                out += self.element(el)
            return out
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            return self.value(node.left) + self.value(node.right)
        if isinstance(node, ast.Call) and _last(node.func) == "format_suffix_patterns" and node.args:
            self.notes.append(
                f"{self.where(node)}: format_suffix_patterns(...): the suffixed variants are not mirrored"
            )
            return self.value(node.args[0])
        router = self.router_urls(node)
        if router is not None:
            return router
        self.unread.append(f"{self.where(node)}: urlpatterns built by `{ast.unparse(node)[:60]}`")
        return []

    def router_urls(self, node: ast.AST) -> list[Route] | None:
        if isinstance(node, ast.Attribute) and node.attr == "urls" and isinstance(node.value, ast.Name):
            found = self.routers.get(node.value.id)
            if found is not None:
                routes, unread = _router_routes(self.reader, self.mod, *found)
                self.unread += unread
                return routes
        return None

    def element(self, node: ast.AST) -> list[Route]:
        if isinstance(node, ast.Starred):
            return self.value(node.value)
        if not (isinstance(node, ast.Call) and _last(node.func) in ("path", "re_path", "url")):
            self.unread.append(f"{self.where(node)}: a pattern written as `{ast.unparse(node)[:60]}`")
            return []
        kind = "path" if _last(node.func) == "path" else "re_path"
        route = _str(_kw(node, "route", 0) if kind == "path" else _kw(node, "route", 0) or _kw(node, "regex"))
        view = _kw(node, "view", 1)
        name_node = _kw(node, "name", 3)
        name = _str(name_node)
        if route is None or view is None or (name_node is not None and name is None):
            self.unread.append(f"{self.where(node)}: `{ast.unparse(node)[:60]}` has no literal route or name")
            return []
        if kind == "path":
            route = self.converters(route, node)
        if isinstance(view, ast.Call) and _last(view.func) == "include":
            return self.include(kind, route, view)
        return [Route(kind, route, name, csrf=self.csrf_of(view))]

    def csrf_of(self, view: ast.AST) -> str:
        """How the moved view is CSRF-checked (see :class:`Route`), read from its definition."""
        node = view
        while isinstance(node, ast.Call):
            if _last(node.func) == "csrf_exempt":
                return "exempt"
            if isinstance(node.func, ast.Attribute) and node.func.attr == "as_view":
                node = node.func.value
            elif node.args:
                node = node.args[0]
            else:
                return "check"
        target = self.reader.resolve(self.mod, node)
        module, _, name = (target or "").rpartition(".")
        mod = self.reader.module(module) if module else None
        for _ in range(5):  # a view re-exported by another module of the moved code
            if mod is None or any(getattr(d, "name", None) == name for d in mod.tree.body) or name not in mod.imports:
                break
            module, _, name = mod.imports[name].rpartition(".")
            mod = self.reader.module(module) if module else None
        if mod is None:
            return "check"
        for stmt in mod.tree.body:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) and stmt.name == name:
                names = {_last(d.func if isinstance(d, ast.Call) else d) for d in stmt.decorator_list}
                return "exempt" if "csrf_exempt" in names else "drf" if "api_view" in names else "check"
            if isinstance(stmt, ast.ClassDef) and stmt.name == name:
                return _class_csrf(self.reader, mod, stmt)
        return "check"

    def converters(self, route: str, node: ast.AST) -> str:
        def sub(match: re.Match[str]) -> str:
            conv = match.group("conv")
            if conv is None or conv in BUILTIN_CONVERTERS:
                return match.group(0)
            self.notes.append(f"{self.where(node)}: converter {conv!r} of {route!r} mirrored as str")
            return f"<str:{match.group('name')}>"

        return _CONVERTER.sub(sub, route)

    def include(self, kind: str, route: str, call: ast.Call) -> list[Route]:
        namespace_node = _kw(call, "namespace")
        namespace = _str(namespace_node)
        arg = call.args[0] if call.args else _kw(call, "arg")
        app_name: str | None = None
        if isinstance(arg, ast.Tuple) and len(arg.elts) == 2:
            app_name = _str(arg.elts[1])
            arg = arg.elts[0]
        if arg is None or (namespace_node is not None and namespace is None):
            self.unread.append(f"{self.where(call)}: `{ast.unparse(call)[:60]}`")
            return []
        module = _str(arg)
        if module is None and isinstance(arg, (ast.Name, ast.Attribute)):
            router = self.router_urls(arg)
            if router is not None:
                return [Route(kind, route, children=tuple(router), app_name=app_name, namespace=namespace)]
            module = self.reader.resolve(self.mod, arg)
        if isinstance(arg, (ast.List, ast.Tuple)) and module is None:
            return [Route(kind, route, children=tuple(self.value(arg)), app_name=app_name, namespace=namespace)]
        if module is None or not self.reader.is_moved(module) or self.reader.module(module) is None:
            self.unread.append(
                f"{self.where(call)}: include of {module or ast.unparse(arg)[:40]}, not a URLconf of the moved apps"
            )
            return []
        self.includes.append(module)
        return [Route(kind, route, include=module, app_name=app_name, namespace=namespace)]


def _class_csrf(reader: _Reader, mod: _Module, cls: ast.ClassDef, depth: int = 0) -> str:
    """``exempt`` for a class view whose dispatch is csrf_exempt, ``drf`` for a DRF view, else ``check``."""
    decorated = [*cls.decorator_list]
    for item in cls.body:
        if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and item.name == "dispatch":
            decorated += item.decorator_list
    if any("csrf_exempt" in ast.unparse(d) for d in decorated):
        return "exempt"
    for base in cls.bases:
        name = _last(base)
        if name.endswith(("APIView", "ViewSet", "ViewSetMixin")):
            return "drf"
        target = reader.resolve(mod, base)
        found = reader.find_class(target) if target and depth < 8 else None
        if found is not None:
            inherited = _class_csrf(reader, found[0], found[1], depth + 1)
            if inherited != "check":
                return inherited
    return "check"


def read_urlconfs(modules: Iterable[str], source: Source, moved: Sequence[str]) -> tuple[MirroredUrlconf, ...]:
    """The mirrors of ``modules`` (moved URLconfs the staying URLconfs include) and of every moved
    URLconf they include in turn, sorted by module. ``moved``: the moved apps' dotted modules."""
    reader = _Reader(source, moved)
    todo = sorted(set(modules))
    out: dict[str, MirroredUrlconf] = {}
    while todo:
        name = todo.pop(0)
        if name in out:
            continue
        mod = reader.module(name)
        if mod is None:
            rel = name.replace(".", "/") + ".py"
            out[name] = MirroredUrlconf(name, rel, None, (), (f"{rel}: not found or not parsed",))
            continue
        r = _UrlconfReader(reader, mod)
        app_name, routes = r.read()
        out[name] = MirroredUrlconf(name, mod.path, app_name, tuple(routes), tuple(r.unread), tuple(r.notes))
        todo += sorted(set(r.includes) - set(out))
    return tuple(out[k] for k in sorted(out))


_PERM = re.compile(r"^[\w-]+\.[\w-]+$")


def permission_codes(texts: Iterable[tuple[str, str]]) -> tuple[str, ...]:
    """The ``app_label.codename`` permissions the code in ``texts`` (``(path, source)``) checks, sorted.

    >>> permission_codes([("v.py", 'def f(u):\\n    return u.has_perm("pay.refund")\\n')])
    ('pay.refund',)
    """
    found: set[str] = set()

    def add(node: ast.AST | None) -> None:
        value = _literal(node)
        values = [value] if isinstance(value, str) else list(value) if isinstance(value, (list, tuple, set)) else []
        found.update(v for v in values if isinstance(v, str) and _PERM.match(v))

    for _path, text in texts:
        if "perm" not in text:
            continue
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError, MemoryError, RecursionError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _last(node.func) in ("has_perm", "has_perms", "permission_required"):
                add(node.args[0] if node.args else _kw(node, "perm"))
            elif isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id in ("permission_required", "required_permission", "perms")
                for t in node.targets
            ):
                add(node.value)
    return tuple(sorted(found))
