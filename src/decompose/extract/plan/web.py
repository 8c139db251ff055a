"""The moved apps' web face: where the monolith mounts their URLs, and what their pages need.

Read statically (nothing is imported): the monolith's root URLconf (``ROOT_URLCONF``) is followed through
every ``include()`` of a project URLconf; each ``path()``/``re_path()`` that includes a moved URLconf, or
routes to a moved view, is a :class:`WebRoute` with the staying levels above it, so the service can
mount the same code at the same path and namespace. Templates are read as text: the staying templates a
moved one extends or includes (transitively), the template tag libraries they load and the monolith's
context processors are vendored when they can run in the service; what cannot is said, with why.

Example: ``path("api/payments/", include("payments.urls"))`` in ``shop/urls.py`` with ``app_name =
"payments"`` in ``payments/urls.py`` gives ``WebRoute(kind="include", target="payments.urls",
mount=WebMount("path", "api/payments/", "payments"))``.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator
from functools import cached_property
from pathlib import PurePosixPath

from decompose.extract.api_spec import API_PREFIX, HEALTH_PATH
from decompose.extract.plan import index as F
from decompose.extract.plan.state import PlannerState
from decompose.extract.plan.values import AdminModel, ManualStep, ModelPermissions, WebFace, WebMount, WebRoute
from decompose.graph import Evidence
from decompose.scan.source import walk_files

#: the URL functions of Django, by what they are called as in the service
URL_FUNCTIONS = {
    "django.urls.path": "path",
    "django.urls.conf.path": "path",
    "django.urls.re_path": "re_path",
    "django.urls.conf.re_path": "re_path",
    "django.conf.urls.url": "re_path",
}
#: ``i18n_patterns(...)``: its routes get the active language's prefix (a ``WebMount("i18n", "", None,
#: "True"|"False")`` level above them, the last its ``prefix_default_language``)
I18N_PATTERNS = frozenset({"django.conf.urls.i18n.i18n_patterns"})
INCLUDES = frozenset({"django.urls.include", "django.urls.conf.include", "django.conf.urls.include"})
#: the monolith's middleware the moved views may need, carried in the monolith's order
CARRIED_MIDDLEWARE = (
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.gzip.GZipMiddleware",
    "django.middleware.http.ConditionalGetMiddleware",
)
#: Django's own template tag libraries → the contrib app that must be installed for it ("" when none)
CONTRIB_LIBRARIES = {
    "static": "", "i18n": "", "l10n": "", "tz": "", "cache": "",
    "humanize": "django.contrib.humanize", "flatpages": "django.contrib.flatpages",
    "admin_list": "django.contrib.admin", "admin_modify": "django.contrib.admin", "admin_urls": "django.contrib.admin",
    "log": "django.contrib.admin",
}  # fmt: skip
#: Django's default admin site, as code names it (the first is how the plan spells it)
DEFAULT_ADMIN_SITES = ("django.contrib.admin.sites.site", "django.contrib.admin.site")
ADMIN_REGISTER = frozenset({"django.contrib.admin.register", "django.contrib.admin.decorators.register"})
#: Django's default LOGIN_URL
DEFAULT_LOGIN_URL = "/accounts/login/"
#: how deep staying URLconfs are followed (a loop stops at the first repeat anyway)
MAX_URLCONF_DEPTH = 12

_TEMPLATE_REF = re.compile(r"""\{%-?\s*(?:extends|include)\s+(['"])([^'"]+)\1""")
_LOAD = re.compile(r"""\{%-?\s*load\s+([^%]+?)\s*-?%\}""")
#: a quoted template name in Python code (``render(request, "web/base.html")``)
_TEMPLATE_NAME = re.compile(r"""["']([\w./-]+\.(?:html|htm|txt|xml|email|jinja2?))["']""")
_QUOTED = re.compile(r"""["']([A-Za-z_][\w.-]*(?::[A-Za-z_][\w.-]*)*)["']""")
_CONVERTER = re.compile(r"<([^<>:]+):[^<>]+>")
BUILTIN_CONVERTERS = frozenset({"str", "int", "slug", "uuid", "path"})
_REGEX_META = re.compile(r"[\\^$.|?*+()\[\]{}<]")


def literal_prefix(mount: WebMount) -> str:
    """The literal start of a route: up to the first converter (``path``) or regex syntax (``re_path``)."""
    route = mount.route
    if mount.function == "re_path":
        route = route.removeprefix("^")
        cut = _REGEX_META.search(route)
    else:
        cut = re.search(r"<", route)
    return route[: cut.start()] if cut else route


def _camel_to_spaces(name: str) -> str:
    """Django's default ``verbose_name`` of a model class (``ChatMessage`` → ``chat message``)."""
    return re.sub(r"(((?<=[a-z])[A-Z])|([A-Z](?![A-Z]|$)))", r" \1", name).strip().lower()


def _string(node: ast.AST | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _kw(call: ast.Call, name: str) -> ast.AST | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def app_name_of(m: F.Module) -> str | None:
    """A URLconf's ``app_name = "..."`` (its application namespace)."""
    for node in m.tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "app_name" for t in node.targets):
            return _string(node.value)
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.target.id == "app_name":
            return _string(node.value)
    return None


def _full_name(route: WebRoute) -> str:
    """A route's name as ``reverse()`` spells it (``"ns:inner:name"``)."""
    return ":".join([*(m.namespace for m in route.parents if m.namespace), route.name or ""])


def _builtin_converters(route: WebRoute) -> bool:
    """Whether every ``path()`` converter on the way is one Django registers itself."""
    for m in (*route.parents, route.mount):
        if m.function == "path" and any(c not in BUILTIN_CONVERTERS for c in _CONVERTER.findall(m.route)):
            return False
    return True


def _tree(m: F.Module) -> ast.Module | None:
    """The module's tree, or None when it cannot be parsed now (its routes are then not read)."""
    try:
        return m.tree
    except F.ModuleUnreadable:
        return None


def _pattern_lists(tree: ast.Module) -> Iterator[ast.AST]:
    """The elements of ``urlpatterns = [...]`` (``+=``, ``+ [...]`` and ``.append``/``.extend`` too)."""

    def elements(value: ast.AST) -> Iterator[ast.AST]:
        if isinstance(value, (ast.List, ast.Tuple)):
            yield from value.elts
        elif isinstance(value, ast.BinOp) and isinstance(value.op, ast.Add):
            yield from elements(value.left)
            yield from elements(value.right)
        elif isinstance(value, ast.Call):  # i18n_patterns(...), static(...): the caller decides
            yield value

    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "urlpatterns" for t in node.targets
        ):
            yield from elements(node.value)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.target.id == "urlpatterns":
            if node.value is not None:
                yield from elements(node.value)
        elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name) and node.target.id == "urlpatterns":
            yield from elements(node.value)
        elif (
            isinstance(node, ast.Expr)
            and isinstance(node.value, ast.Call)
            and isinstance(node.value.func, ast.Attribute)
            and isinstance(node.value.func.value, ast.Name)
            and node.value.func.value.id == "urlpatterns"
        ):
            if node.value.func.attr == "append" and node.value.args:
                yield node.value.args[0]
            elif node.value.func.attr == "extend" and node.value.args:
                yield from elements(node.value.args[0])


class WebPart(PlannerState):
    """The planner's part that finds the web face (see the module docstring)."""

    #: named routes of staying views found while walking the URLconfs (the service may reverse them)
    _staying_routes: list[WebRoute]
    #: Django contrib apps the pages' tag libraries need installed
    _contrib_apps: list[str]
    #: admin sites mounted in the monolith's URLconfs (``kind="admin"``), found while walking them
    _admin_mounts: list[WebRoute]

    def web_face(self, moved_files: Iterable[str]) -> WebFace:
        moved_files = tuple(moved_files)
        routes: list[WebRoute] = []
        names: dict[str, str] = {}
        self._staying_routes = []
        self._admin_mounts = []
        root = self.p.project.settings.get("ROOT_URLCONF")
        if isinstance(root, str) and root in self.p.modules:
            self._urlconf(root, (), routes, names, set())
        collisions = self._collisions(routes)
        templates, libraries = self._templates(moved_files)
        template_notes: list[tuple[str, str, str]] = []
        reversible = self._reversible(routes, moved_files, templates)
        vendored: set[str] = set()
        library_modules: dict[str, str] = {}
        skipped_cp: dict[str, str] = {}
        seen: dict[str, bool] = {}
        for lib, mod in sorted(libraries.items()):
            why = self._vendorable(mod, seen)
            if why is None:
                library_modules[lib] = mod
                vendored.add(mod)
            else:
                template_notes.append((lib, mod, why))
        processors = self._context_processors(seen, vendored, skipped_cp)
        middleware = self._middleware()
        for lib, mod, why in template_notes:
            self.manual.append(
                ManualStep(
                    self.p.modules[mod].path if mod in self.p.modules else mod,
                    1,
                    "web face",
                    f"the moved templates load the template tag library {lib!r} ({mod}), which the service cannot "
                    f"vendor: {why}; move it with the app or copy what it needs",
                )
            )
        for ev, message in collisions:
            self.manual.append(ManualStep(ev.path, ev.line, "web route collision", message))
        installed = self.p.project.settings.get("INSTALLED_APPS")
        whitenoise = "whitenoise.middleware.WhiteNoiseMiddleware" in middleware or (
            isinstance(installed, (list, tuple)) and "whitenoise.runserver_nostatic" in installed
        )
        admin_models = self._admin_models()
        sites = {a.site for a in admin_models}
        admin_mounts: dict[str, WebRoute] = {}
        for mount in self._admin_mounts:
            if mount.target in sites:
                admin_mounts.setdefault(mount.target, mount)  # the first mount: what reverse() gives
        for site in sorted(sites - set(admin_mounts)):
            first = next(a for a in admin_models if a.site == site)
            self.manual.append(
                ManualStep(
                    first.evidence.path,
                    first.evidence.line,
                    "web face",
                    f"the moved models register with the admin site {site}, which the monolith's URLconfs do not "
                    "mount where decompose can read it: the service serves it at admin/ and remote mode does not "
                    "forward its pages",
                )
            )
        return WebFace(
            routes=tuple(routes),
            reversible=reversible,
            collisions=tuple(f"{ev} {message}" for ev, message in collisions),
            templates=templates,
            template_libraries=library_modules,
            context_processors=processors,
            skipped_context_processors=skipped_cp,
            middleware=middleware,
            login_url=self._login_url(names),
            admin_apps=tuple(sorted({*self._admin_apps(), *(a.label for a in admin_models)})),
            admin=tuple(admin_mounts[k] for k in sorted(admin_mounts)),
            admin_models=admin_models,
            model_permissions=self._model_permissions(),
            shared_templates=self._shared_templates(moved_files),
            static="whitenoise" if whitenoise else "staticfiles",
            modules=tuple(sorted(self._closure(vendored, seen))),
            apps=tuple(self._contrib_apps),
        )

    # -- URLconfs ------------------------------------------------------------------------------
    def _urlconf(
        self,
        module: str,
        parents: tuple[WebMount, ...],
        routes: list[WebRoute],
        names: dict[str, str],
        seen: set[str],
        elements: Iterable[ast.AST] | None = None,
    ) -> None:
        if module not in self.p.modules or len(parents) > MAX_URLCONF_DEPTH:
            return
        if elements is None:  # ``seen``: the URLconfs above this one (an include loop stops at the repeat)
            if module in seen:
                return
            seen = seen | {module}
        m = self.p.modules[module]
        tree = _tree(m)
        if tree is None:
            return
        for node in _pattern_lists(tree) if elements is None else elements:
            if not isinstance(node, ast.Call):
                continue
            if not parents and self.p.resolve(m, node.func) in I18N_PATTERNS:  # only valid in the root URLconf
                prefix = _kw(node, "prefix_default_language")
                default = "False" if isinstance(prefix, ast.Constant) and prefix.value is False else "True"
                level = WebMount("i18n", "", None, default)
                self._urlconf(m.name, (level,), routes, names, seen, node.args)
                continue
            function = URL_FUNCTIONS.get(self.p.resolve(m, node.func) or "")
            if function is None:
                continue
            written = node.args[0] if node.args else _kw(node, "route")
            route = self._route(m, written)
            view = node.args[1] if len(node.args) > 1 else _kw(node, "view")
            if view is None:
                continue
            ev = Evidence(m.path, node.lineno)
            if route is None:
                if self._names_moved(m, view):
                    shown = ast.unparse(written) if written is not None else "?"
                    self.manual.append(
                        ManualStep(
                            ev.path,
                            ev.line,
                            "web face",
                            f"moved code is mounted at a route decompose cannot read ({shown}): "
                            "the service does not serve it; mount it in the service's web_urls.py at the same path",
                        )
                    )
                continue
            if isinstance(view, ast.Call) and self.p.resolve(m, view.func) in INCLUDES:
                self._include(m, function, route, view, parents, routes, names, seen, ev)
                continue
            if isinstance(view, ast.Attribute) and view.attr == "urls":  # an admin site's ``site.urls``
                site = self._site(self.p.resolve(m, view.value))
                if site is not None:
                    mount = WebMount(function, route)
                    self._admin_mounts.append(WebRoute("admin", site[0], parents, mount, ev, site[1]))
                    continue
            self._view(m, function, route, node, view, parents, routes, names, ev)

    def _include(
        self,
        m: F.Module,
        function: str,
        route: str,
        call: ast.Call,
        parents: tuple[WebMount, ...],
        routes: list[WebRoute],
        names: dict[str, str],
        seen: set[str],
        ev: Evidence,
    ) -> None:
        arg = call.args[0] if call.args else _kw(call, "arg")
        namespace = _string(_kw(call, "namespace")) or (_string(call.args[1]) if len(call.args) > 1 else None)
        app_name: str | None = None
        if isinstance(arg, ast.Tuple) and len(arg.elts) == 2:
            app_name = _string(arg.elts[1])
            arg = arg.elts[0]
        if isinstance(arg, (ast.List, ast.Tuple)):  # patterns written inline: the same module, one level down
            mount = WebMount(function, route, namespace or app_name, app_name if app_name != namespace else None)
            self._urlconf(m.name, (*parents, mount), routes, names, seen, arg.elts)
            return
        target = _string(arg) or (self.p.resolve(m, arg) if arg is not None else None)
        if target is None or target not in self.p.modules:
            return
        included = self.p.modules[target]
        app_name = app_name or (app_name_of(included) if _tree(included) is not None else None)
        instance = namespace or app_name
        mount = WebMount(function, route, instance, app_name if app_name != instance else None)
        if target in self.moved:
            routes.append(WebRoute("include", target, parents, mount, ev))
            return
        self._urlconf(target, (*parents, mount), routes, names, seen)

    def _view(
        self,
        m: F.Module,
        function: str,
        route: str,
        node: ast.Call,
        view: ast.AST,
        parents: tuple[WebMount, ...],
        routes: list[WebRoute],
        names: dict[str, str],
        ev: Evidence,
    ) -> None:
        name = _string(_kw(node, "name") or (node.args[3] if len(node.args) > 3 else None))
        if name is not None and function == "path" and "<" not in route:
            spaces = [p.namespace for p in parents if p.namespace]
            full = "/" + "".join(p.route for p in parents) + route
            if all(p.function == "path" and "<" not in p.route for p in parents):
                names.setdefault(":".join([*spaces, name]), full)
        call = ""
        ref = view
        if isinstance(view, ast.Call) and isinstance(view.func, ast.Attribute) and view.func.attr == "as_view":
            ref = view.func.value
            literal = True
            for value in [*view.args, *(k.value for k in view.keywords)]:
                try:
                    ast.literal_eval(value)
                except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
                    literal = False
            args = ", ".join([*(ast.unparse(a) for a in view.args), *(ast.unparse(k) for k in view.keywords)])
            call = f".as_view({args})" if literal else ".as_view()"
            if not literal:
                self.manual.append(
                    ManualStep(
                        ev.path,
                        ev.line,
                        "web face",
                        f"the arguments of {ast.unparse(view)} are not literal: the service mounts the view with "
                        "`.as_view()`; give it the same arguments there",
                    )
                )
        dotted = self.p.resolve(m, ref)
        if dotted is None or not self.is_moved(dotted):
            if name is not None:
                self._staying_routes.append(
                    WebRoute("monolith", dotted or "", parents, WebMount(function, route), ev, name)
                )
            return
        extra = node.args[2] if len(node.args) > 2 else _kw(node, "kwargs")
        kwargs = None
        if extra is not None:
            try:
                ast.literal_eval(extra)
                kwargs = ast.unparse(extra)
            except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
                self.manual.append(
                    ManualStep(ev.path, ev.line, "web face", "the extra keyword arguments of the route are not literal")
                )
        routes.append(WebRoute("view", dotted, parents, WebMount(function, route), ev, name, call, kwargs))

    def _reversible(
        self, routes: list[WebRoute], moved_files: tuple[str, ...], templates: dict[str, str]
    ) -> tuple[WebRoute, ...]:
        """The staying named routes the moved code or the pages reverse (a quoted ``"ns:name"`` in a moved
        module, a moved template or a vendored one): the service mounts them too, so ``reverse()`` and
        ``{% url %}`` give the monolith's paths (a request for one is the monolith's, never served here).
        Routes with a converter Django does not register itself are left out (the service lacks it)."""
        max_bytes = self.p.project.config.max_file_bytes
        quoted: set[str] = set()
        pages = [rel for rel in moved_files if "/templates/" in f"/{rel}"] + sorted(templates.values())
        texts = [self._read_text(rel, max_bytes) for rel in pages]
        for name in sorted(self.moved):
            m = self.p.modules[name]
            if not m.migration:
                try:
                    texts.append(m.source)
                except F.ModuleUnreadable:
                    continue
        for text in texts:
            quoted.update(_QUOTED.findall(text or ""))
        moved_names = {_full_name(r) for r in routes if r.kind == "view" and r.name}
        out: dict[str, WebRoute] = {}
        for r in self._staying_routes:
            full = _full_name(r)
            if full in quoted and full not in moved_names and full not in out and _builtin_converters(r):
                out[full] = r
        return tuple(out.values())

    def _route(self, m: F.Module, node: ast.AST | None) -> str | None:
        """A route as written: a literal, or ``settings.NAME`` when the monolith's settings set it literally."""
        text = _string(node)
        if text is not None or node is None:
            return text
        dotted = self.p.resolve(m, node) or ""
        if dotted.startswith("django.conf.settings."):
            value = self.p.project.settings.get(dotted.rsplit(".", 1)[1])
            return value if isinstance(value, str) else None
        return None

    def _names_moved(self, m: F.Module, view: ast.AST) -> bool:
        """Whether a route's view is moved code (an include of a moved URLconf, a moved view)."""
        for node in ast.walk(view):
            text = _string(node)
            if text is not None and text in self.moved:
                return True
            if isinstance(node, (ast.Name, ast.Attribute)) and self.is_moved(self.p.resolve(m, node)):
                return True
        return False

    def _collisions(self, routes: list[WebRoute]) -> list[tuple[Evidence, str]]:
        """Mounts the service's own routes (/healthz, /api/v1/) shadow: where, and what."""
        api = API_PREFIX.strip("/") + "/"
        health = HEALTH_PATH.strip("/")
        out: list[tuple[Evidence, str]] = []
        for r in routes:
            if any(x.function == "i18n" for x in r.parents):
                continue  # under a language prefix: never /api/v1/ or /healthz
            levels = (*r.parents, r.mount)
            prefix = "".join(literal_prefix(x) for x in levels)
            exact = all(x.function == "path" and "<" not in x.route for x in levels)
            own: list[str] = [prefix]
            if r.kind == "include" and r.target in self.p.modules:
                own = [prefix + literal_prefix(WebMount(f, rt)) for f, rt in self._own_routes(r.target)] or own
            for full in own:
                if full.startswith(api) or (full == health and (exact or r.kind == "include")):
                    own_route = "/" + api if full.startswith(api) else "/" + health
                    out.append(
                        (
                            r.evidence,
                            f"the moved route {full!r} ({r.target}) is shadowed by the service's own {own_route}: "
                            "move it to another path",
                        )
                    )
                    break
        return out

    def _own_routes(self, module: str) -> list[tuple[str, str]]:
        m = self.p.modules[module]
        out: list[tuple[str, str]] = []
        tree = _tree(m)
        for node in _pattern_lists(tree) if tree is not None else ():
            if isinstance(node, ast.Call):
                function = URL_FUNCTIONS.get(self.p.resolve(m, node.func) or "")
                route = _string(node.args[0] if node.args else _kw(node, "route"))
                if function and route is not None:
                    out.append((function, route))
        return out

    def _login_url(self, names: dict[str, str]) -> str | None:
        value = self.p.project.settings.get("LOGIN_URL", DEFAULT_LOGIN_URL)
        if not isinstance(value, str):
            return None
        if value.startswith(("/", "http://", "https://")):
            return value
        return names.get(value)

    def _admin_apps(self) -> tuple[str, ...]:
        out = set()
        for name in self.moved:
            m = self.p.modules[name]
            if m.test or m.migration or m.app is None:
                continue
            if any(t == "django.contrib.admin" or t.startswith("django.contrib.admin.") for t in m.import_targets):
                if "register" in m.source:
                    out.add(m.app)
        return tuple(sorted(out))

    def _site(self, dotted: str | None) -> tuple[str, str] | None:
        """``(site, name)`` when ``dotted`` is an admin site (Django's default one, or a project's)."""
        if not dotted:
            return None
        if dotted in DEFAULT_ADMIN_SITES:
            return DEFAULT_ADMIN_SITES[0], "admin"
        name = self._admin_site(dotted)
        return (dotted, name) if name is not None else None

    def _admin_models(self) -> tuple[AdminModel, ...]:
        """The moved models registered with an admin site by moved code: ``site.register(Model, ...)``
        (a model or a list of them) and ``@admin.register(Model, ..., site=site)``, read statically."""
        out: dict[tuple[str, str], AdminModel] = {}
        for name in sorted(self.moved):
            m = self.p.modules[name]
            if m.test or m.migration:
                continue
            try:
                if "register" not in m.source:
                    continue
                tree = m.tree
            except F.ModuleUnreadable:
                continue
            for node in ast.walk(tree):
                found: list[tuple[tuple[str, str] | None, list[ast.AST], str]] = []
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "register":
                    first = node.args[0] if node.args else _kw(node, "model_or_iterable")
                    second = node.args[1] if len(node.args) > 1 else _kw(node, "admin_class")
                    admin_class = (self.p.resolve(m, second) or "") if second is not None else ""
                    if first is not None:
                        listed: list[ast.AST] = [first]
                        if isinstance(first, (ast.List, ast.Tuple)):
                            listed = list(first.elts)
                        found.append((self._site(self.p.resolve(m, node.func.value)), listed, admin_class))
                if isinstance(node, (ast.ClassDef, ast.FunctionDef)):
                    for deco in node.decorator_list:
                        if isinstance(deco, ast.Call) and self.p.resolve(m, deco.func) in ADMIN_REGISTER:
                            site_expr = _kw(deco, "site")
                            site = (
                                self._site(self.p.resolve(m, site_expr))
                                if site_expr is not None
                                else (DEFAULT_ADMIN_SITES[0], "admin")
                            )
                            found.append((site, list(deco.args), f"{m.name}.{node.name}"))
                for site, models, admin_class in found:
                    if site is None:
                        continue
                    for expr in models:
                        dotted = self.p.resolve(m, expr)
                        c = self.canonical(dotted) if dotted else None
                        mf = self.p.models.get(c[1]) if c is not None and c[0] == "model" else None
                        if mf is None or mf.module not in self.moved or mf.abstract:
                            continue
                        label, _, obj = mf.label.partition(".")
                        key = (site[0], mf.label)
                        if key not in out:
                            line = getattr(node, "lineno", 1)
                            where = Evidence(m.path, line)
                            out[key] = AdminModel(site[0], site[1], label, obj, where, mf.qualname, admin_class)
        return tuple(out[k] for k in sorted(out))

    def _model_permissions(self) -> tuple[ModelPermissions, ...]:
        """Each moved model's permissions as Django creates them (``Meta.default_permissions``,
        ``Meta.permissions``, named with ``Meta.verbose_name``, each read when literal)."""
        out: list[ModelPermissions] = []
        for q in sorted(self.p.models):
            mf = self.p.models[q]
            if mf.abstract or mf.module not in self.moved:
                continue
            label, _, obj = mf.label.partition(".")
            meta: dict[str, ast.AST] = {}
            cls = self.p.modules[mf.module].defs.get(obj)
            for node in cls.body if isinstance(cls, ast.ClassDef) else ():
                if isinstance(node, ast.ClassDef) and node.name == "Meta":
                    for stmt in node.body:
                        if (
                            isinstance(stmt, ast.Assign)
                            and len(stmt.targets) == 1
                            and isinstance(stmt.targets[0], ast.Name)
                        ):
                            meta[stmt.targets[0].id] = stmt.value
            verbose = meta.get("verbose_name")
            if isinstance(verbose, ast.Call) and verbose.args:  # gettext_lazy("...")
                verbose = verbose.args[0]
            name = _string(verbose) or _camel_to_spaces(obj)
            try:
                actions = ast.literal_eval(meta["default_permissions"]) if "default_permissions" in meta else None
            except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
                actions = None
            if not isinstance(actions, (list, tuple)) or not all(isinstance(a, str) for a in actions):
                actions = ("add", "change", "delete", "view")
            perms = [(f"{a}_{obj.lower()}", f"Can {a} {name}") for a in actions]
            listed = meta.get("permissions")
            for pair in listed.elts if isinstance(listed, (ast.List, ast.Tuple)) else ():
                if isinstance(pair, (ast.Tuple, ast.List)) and len(pair.elts) == 2:
                    first, second = pair.elts
                    if isinstance(second, ast.Call) and second.args:
                        second = second.args[0]
                    code, text = _string(first), _string(second)
                    if code is not None:
                        perms.append((code, text or code))
            out.append(ModelPermissions(label, obj.lower(), tuple(perms)))
        return tuple(out)

    def _middleware(self) -> tuple[str, ...]:
        value = self.p.project.settings.get("MIDDLEWARE")
        if not isinstance(value, (list, tuple)):
            return ()
        return tuple(x for x in value if x in CARRIED_MIDDLEWARE)

    # -- templates -----------------------------------------------------------------------------
    def _setting(self, name: str) -> ast.AST | None:
        """The value node of the last top-level assignment of a setting (the settings module first, then
        the modules it star-imports)."""
        modules = [self.p.settings_module] if self.p.settings_module else []
        modules += [m for m in reversed(self.p.project.settings_modules) if m not in modules]
        for mod in modules:
            m = self.p.modules.get(mod or "")
            if m is None:
                continue
            found = None
            for node in m.tree.body:
                if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
                    found = node.value
            if found is not None:
                return found
        return None

    def _engine_option(self, key: str) -> list[ast.AST]:
        """The values of ``key`` in the TEMPLATES engines' dicts (``DIRS``) or their ``OPTIONS``."""
        node = self._setting("TEMPLATES")
        out: list[ast.AST] = []
        for d in (n for n in ast.walk(node) if isinstance(n, ast.Dict)) if node is not None else ():
            for k, v in zip(d.keys, d.values, strict=True):
                if _string(k) == key:
                    out.append(v)
        return out

    def _template_dirs(self) -> list[str]:
        """Folders (relative to the root) the monolith finds templates in: TEMPLATES DIRS, then app dirs."""
        out: list[str] = []
        for value in self._engine_option("DIRS"):
            for item in value.elts if isinstance(value, (ast.List, ast.Tuple)) else [value]:
                parts = [n.value for n in ast.walk(item) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
                rel = "/".join(p.strip("/") for p in parts if p.strip("/"))
                if rel and not PurePosixPath(rel).is_absolute() and ".." not in rel.split("/"):
                    out.append(rel)
        if (self.root / "templates").is_dir() and "templates" not in out:
            out.append("templates")  # the usual place, when DIRS is not literal
        for a in self.p.apps:
            if a.label not in self.apps and a.label in self.app_paths:
                out.append(f"{self.app_paths[a.label]}/templates")
        return out

    def _shared_templates(self, moved_files: Iterable[str]) -> dict[str, str]:
        """Moved templates the monolith still renders: a staying template extends or includes one, or staying
        code names one (``render(request, "chat/x.html")``), and what those extend or include in turn
        (name → the moved file). In remote mode the moved app is not installed, so the client keeps copies."""
        max_bytes = self.p.project.config.max_file_bytes
        moved: dict[str, str] = {}
        for rel in moved_files:
            if "/templates/" in f"/{rel}" and any(rel.startswith(self.app_paths[a] + "/") for a in self.apps):
                moved.setdefault(rel.split("/templates/", 1)[1], rel)
        if not moved:
            return {}
        names: set[str] = set()
        for _folder, rel in self._template_files:
            text = self._read_text(rel, max_bytes) or ""
            names.update(name for _q, name in _TEMPLATE_REF.findall(text) if name in moved)
        for name in sorted(self.p.modules):
            m = self.p.modules[name]
            if name in self.moved or m.migration:
                continue
            try:
                source = m.source
            except F.ModuleUnreadable:
                continue
            names.update(found for found in _TEMPLATE_NAME.findall(source) if found in moved)
        out: dict[str, str] = {}
        queue = sorted(names)
        while queue:
            name = queue.pop()
            if name in out:
                continue
            out[name] = moved[name]
            text = self._read_text(moved[name], max_bytes) or ""
            queue += [n for _q, n in _TEMPLATE_REF.findall(text) if n in moved and n not in out]
        return dict(sorted(out.items()))

    def _templates(self, moved_files: Iterable[str]) -> tuple[dict[str, str], dict[str, str]]:
        """(staying template name → its file, to vendor; ``{% load %}`` library → the staying module defining it)."""
        max_bytes = self.p.project.config.max_file_bytes
        staying: dict[str, str] = {}
        for folder, rel in self._template_files:
            staying.setdefault(rel[len(folder) + 1 :], rel)
        moved_names: set[str] = set()
        queue: list[str] = []
        for rel in moved_files:
            if "/templates/" in f"/{rel}" and any(rel.startswith(self.app_paths[a] + "/") for a in self.apps):
                moved_names.add(rel.split("/templates/", 1)[1])
                queue.append(rel)
        vendored: dict[str, str] = {}
        for name in sorted(self.moved):  # staying templates the moved code renders by name
            m = self.p.modules[name]
            if m.test or m.migration:
                continue
            try:
                source = m.source
            except F.ModuleUnreadable:
                continue
            for found in _TEMPLATE_NAME.findall(source):
                if found in staying and found not in moved_names and found not in vendored:
                    vendored[found] = staying[found]
                    queue.append(staying[found])
        loads: dict[str, str] = {}  # library → the first template that loads it
        done: set[str] = set()
        while queue:
            rel = queue.pop()
            if rel in done:
                continue
            done.add(rel)
            text = self._read_text(rel, max_bytes)
            if text is None:
                continue
            for _q, name in _TEMPLATE_REF.findall(text):
                if name in moved_names or name not in staying:
                    continue
                if name not in vendored:
                    vendored[name] = staying[name]
                    queue.append(staying[name])
            for spec in _LOAD.findall(text):
                words = spec.split()
                for lib in words[words.index("from") + 1 :] if "from" in words else words:
                    loads.setdefault(lib, rel)
        libraries: dict[str, str] = {}
        installed = self.p.project.settings.get("INSTALLED_APPS")
        installed = installed if isinstance(installed, (list, tuple)) else ()
        self._contrib_apps = []
        for lib in sorted(loads):
            mods = sorted(n for n in self.p.modules if n.endswith(f".templatetags.{lib}"))
            if mods and not any(mod in self.moved for mod in mods):
                libraries[lib] = mods[0]
            elif not mods and lib in CONTRIB_LIBRARIES:
                app = CONTRIB_LIBRARIES[lib]
                if (
                    app
                    and app not in self._contrib_apps
                    and any(e == app or e.startswith(app + ".") for e in installed)
                ):
                    self._contrib_apps.append(app)
            elif not mods:  # a third-party app's library: the service needs that app installed
                self.manual.append(
                    ManualStep(
                        loads[lib],
                        1,
                        "web face",
                        f"the moved templates load the template tag library {lib!r}, which no module of the project "
                        "defines: install the app that provides it in the service (INSTALLED_APPS, requirements.txt)",
                    )
                )
        return {k: vendored[k] for k in sorted(vendored)}, libraries

    @cached_property
    def _template_files(self) -> tuple[tuple[str, str], ...]:
        """(folder, file) of every file in the template folders of the monolith (:meth:`_template_dirs`, in
        their order), walked once per plan: both the shared templates and the vendored ones are found there."""
        max_bytes = self.p.project.config.max_file_bytes
        out: list[tuple[str, str]] = []
        for folder in self._template_dirs():
            if (self.root / folder).is_dir():
                found, _skipped = walk_files(self.root, folder, max_bytes)
                out += [(folder, rel) for rel in found]
        return tuple(out)

    @cached_property
    def _texts(self) -> dict[str, str | None]:
        """Files read by :meth:`_read_text` (each once per plan)."""
        return {}

    def _read_text(self, rel: str, max_bytes: int) -> str | None:
        """A file's text (None when unreadable or not UTF-8), read once per plan."""
        from decompose.scan.source import SourceError, read_source

        if rel not in self._texts:
            try:
                self._texts[rel] = read_source(str(self.root / rel), max_bytes).decode("utf-8")
            except (SourceError, UnicodeDecodeError):
                self._texts[rel] = None
        return self._texts[rel]

    # -- code the pages run --------------------------------------------------------------------
    def _copyable(self, mod: str, seen: dict[str, bool]) -> bool:
        """Whether a staying module (and every project module it imports) can be copied into the service
        under its own name: no concrete models, signals, views, URLconfs, admin or app config; a module of
        a kernel app the service installs anyway is fine."""
        if mod in seen:
            return seen[mod]
        m = self.p.modules.get(mod)
        if m is not None and m.app in self.used_kernel_apps:
            seen[mod] = True
            return True
        seen[mod] = True  # optimistic for import cycles
        ok = m is not None and self._why_not(mod) is None
        if ok and m is not None:  # its packages are imported with it
            parts = mod.split(".")
            packages = [".".join(parts[:i]) for i in range(1, len(parts))]
            ok = all(self._copyable(p, seen) for p in packages if p in self.p.modules and p not in self.moved)
        if ok and m is not None:
            for target in sorted(m.import_targets):
                dep = self.p.module_of(target)
                if dep is not None and dep != mod and dep not in self.moved and not self._copyable(dep, seen):
                    ok = False
                    break
        seen[mod] = ok
        return ok

    def _why_not(self, mod: str) -> str | None:
        """Why the module itself cannot be copied (its imports aside), or None."""
        m = self.p.modules.get(mod)
        if m is None:
            return "not a module of the project"
        if mod in self.moved or m.migration or m.test:
            return "a moved module, a migration or a test"
        settings = self.p.settings_module
        if settings and (mod == settings or mod.startswith(settings + ".")):
            return "it is the monolith's settings"
        if any(mf.module == mod and not mf.abstract for mf in self.p.models.values()):
            return "it defines models"
        if any(s.rsplit(".", 1)[0] == mod for s in self.p.signals):
            return "it defines signals"
        if m.path.rsplit("/", 1)[-1] in ("views.py", "urls.py", "admin.py", "apps.py"):
            return f"it is the app's {m.path.rsplit('/', 1)[-1]}"
        return None

    def _vendorable(self, mod: str, seen: dict[str, bool]) -> str | None:
        """None when the staying module can be copied into the service under its own name, else why not."""
        if self._copyable(mod, seen):
            return None
        why = self._why_not(mod)
        if why is not None:
            return why
        m = self.p.modules[mod]
        staying = sorted(
            {
                dep
                for t in m.import_targets
                if (dep := self.p.module_of(t)) is not None and dep != mod and dep not in self.moved
                if not self._copyable(dep, seen)
            }
        )
        return f"it uses staying code that cannot be copied ({', '.join(staying[:3]) or 'itself'})"

    def _context_processors(
        self, seen: dict[str, bool], vendored: set[str], skipped: dict[str, str]
    ) -> tuple[str, ...]:
        found: list[str] = []
        for value in self._engine_option("context_processors"):
            found += [c for n in getattr(value, "elts", ()) if (c := _string(n)) is not None]
        out: list[str] = []
        for cp in dict.fromkeys(found):
            mod = self.p.module_of(cp)
            if cp.startswith("django."):
                out.append(cp)
            elif mod is None:
                skipped[cp] = "not a module of the project (a third-party package): install it and add it"
            elif mod in self.moved:
                out.append(cp)
            else:
                why = self._vendorable(mod, seen)
                if why is None:
                    out.append(cp)
                    vendored.add(mod)
                else:
                    skipped[cp] = why
        return tuple(out)

    def _closure(self, mods: set[str], seen: dict[str, bool]) -> set[str]:
        """The vendored modules, the staying modules they import and their packages."""
        return self.import_closure(sorted(mods), lambda dep: self._copyable(dep, seen))
