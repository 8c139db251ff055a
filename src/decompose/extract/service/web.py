"""The service's web face: the moved apps' pages, behind the monolith's identity assertion.

Rendered from the plan's :class:`~decompose.extract.plan.values.WebFace` (nothing is decided here):

- ``<pkg>/web_urls.py``: the moved URLconfs and views at the paths and namespaces the monolith's URLconfs
  give them (the staying levels above them rebuilt as nested ``include()``), then the admin at ``admin/``;
  ``urls.py`` appends them after the generated API, which keeps priority;
- ``<pkg>/identity.py``: the middleware that turns ``X-Decompose-Identity`` into ``request.user``, and its
  tests (``<pkg>/tests/test_identity.py``);
- the settings the pages need (the monolith's middleware, context processors, template tag libraries,
  LOGIN_URL, static files) and the monolith's templates and modules they use, vendored.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping

from decompose.extract.api_spec import API_PREFIX
from decompose.extract.plan import ExtractionPlan
from decompose.extract.plan.values import WebMount, WebRoute
from decompose.extract.service.settings_values import SettingValue

#: PyJWT, for the identity assertion (the monolith's pin wins when it has one)
PYJWT = "PyJWT>=2.8,<3"
WHITENOISE = "whitenoise>=6,<7"
SECURITY = "django.middleware.security.SecurityMiddleware"
COMMON = "django.middleware.common.CommonMiddleware"
SESSIONS = "django.contrib.sessions.middleware.SessionMiddleware"
AUTH = "django.contrib.auth.middleware.AuthenticationMiddleware"
MESSAGES = "django.contrib.messages.middleware.MessageMiddleware"
WHITENOISE_MIDDLEWARE = "whitenoise.middleware.WhiteNoiseMiddleware"
#: the monolith's settings the pages depend on, copied when it sets them: the CSRF cookie {% csrf_token %}
#: reads, the language cookie and languages LocaleMiddleware reads
CARRIED_SETTINGS = ("CSRF_COOKIE_NAME", "CSRF_HEADER_NAME", "LANGUAGE_COOKIE_NAME", "LANGUAGES", "LOCALE_PATHS")
#: where the service answers the monolith's admin index with the moved models' entries (``<site>/apps``)
ADMIN_APPS_PATH = "_decompose/admin/"
#: context processors the admin needs (admin.E402, E404, W411)
ADMIN_PROCESSORS = (
    "django.template.context_processors.request",
    "django.contrib.auth.context_processors.auth",
    "django.contrib.messages.context_processors.messages",
)


def _q(text: str) -> str:
    """A Python string literal in double quotes (the generated code's style)."""
    return json.dumps(text, ensure_ascii=False)


def enabled(plan: ExtractionPlan) -> bool:
    """Whether the service has pages to serve (moved routes, or models registered with the admin)."""
    return bool(plan.web.routes or plan.web.admin_apps)


def renders_templates(plan: ExtractionPlan) -> bool:
    """Whether the moved templates need something of the monolith's (a staying template they extend or include,
    a staying tag library, a contrib app's library): the service has it even without pages, since the moved
    code renders them too (a mail body: ``render_to_string``)."""
    return bool(plan.web.templates or plan.web.template_libraries or plan.web.apps)


def _libraries(plan: ExtractionPlan) -> list[str]:
    """The staying tag libraries the templates ``{% load %}``, registered by name (their modules are vendored
    under their own names, not in an installed app)."""
    if not plan.web.template_libraries:
        return []
    return [
        'TEMPLATES[0]["OPTIONS"]["libraries"] = {',
        *(f"    {_q(k)}: {_q(v)}," for k, v in sorted(plan.web.template_libraries.items())),
        "}",
    ]


def templates_block(plan: ExtractionPlan) -> str:
    """The settings the moved templates need when the service has no pages (:func:`renders_templates`): the
    contrib apps of their tag libraries and the staying libraries, registered."""
    lines = ["", "# What the moved templates load: the monolith's template tag libraries (vendored) and apps."]
    if plan.web.apps:
        lines += ["INSTALLED_APPS += [", *(f"    {_q(a)}," for a in plan.web.apps), "]"]
        lines.append("INSTALLED_APPS = list(dict.fromkeys(INSTALLED_APPS))")
    lines += _libraries(plan)
    return "\n".join(lines) + "\n"


def _include(target: str, mount: WebMount) -> str:
    if mount.namespace is None:
        return f"include({target})"
    return f"include(({target}, {_q(mount.app_name or mount.namespace)}), namespace={_q(mount.namespace)})"


def _lines(routes: list[WebRoute], depth: int, indent: str) -> list[str]:
    """The patterns of one URLconf level: a staying level above routes becomes one nested ``include()`` holding
    every route below it (one namespace is mounted once, else Django reverses into only one of them)."""
    out: list[str] = []
    done: set[int] = set()
    for i, r in enumerate(routes):
        if i in done:
            continue
        if len(r.parents) > depth:  # a staying level above it: gather the routes below the same level
            level = r.parents[depth]
            group = [
                j for j in range(i, len(routes)) if len(routes[j].parents) > depth and routes[j].parents[depth] == level
            ]
            done.update(group)
            inner = _lines([routes[j] for j in group], depth + 1, indent + "    ")
            if level.function == "i18n":  # the language prefix, as the monolith's root URLconf has it
                out.append(f"{indent}*i18n_patterns(")
                out += inner
                out.append(f"{indent}    prefix_default_language={level.app_name or 'True'},")
                out.append(f"{indent}),")
                continue
            body = "[\n" + "\n".join(inner) + f"\n{indent}]"
            out.append(f"{indent}{level.function}({_q(level.route)}, {_include(body, level)}),")
        elif r.kind == "include":
            included = _include(_q(r.target), r.mount)
            out.append(f"{indent}{r.mount.function}({_q(r.mount.route)}, {included}),  # {r.evidence}")
        elif r.kind == "admin":  # an admin site the moved models register with, where the monolith mounts it
            default = r.name == "admin" and r.target.startswith("django.")
            site = "admin.site" if default else f"monolith.{r.target.rpartition('.')[2]}"
            f = r.mount.function
            login = _q(r.mount.route + "login/")
            out.append(f"{indent}{f}({login}, identity.monolith_login),  # its login is the monolith's")
            out.append(f"{indent}{f}({_q(r.mount.route)}, {site}.urls),  # {r.evidence}")
        elif r.kind == "monolith":  # reversible only: the monolith serves it
            name = f", name={_q(r.name)}" if r.name is not None else ""
            out.append(f"{indent}{r.mount.function}({_q(r.mount.route)}, identity.served_by_monolith{name}),")
        else:
            args = [_q(r.mount.route), f"{r.target}{r.call}"]
            if r.kwargs is not None:
                args.append(r.kwargs)
            if r.name is not None:
                args.append(f"name={_q(r.name)}")
            out.append(f"{indent}{r.mount.function}({', '.join(args)}),  # {r.evidence}")
    return out


def urls_module(plan: ExtractionPlan, admin: bool) -> str:
    """``<pkg>/web_urls.py``: the moved pages where the monolith served them, and the admin."""
    pkg = plan.package
    mounted = admin and bool(plan.web.admin)  # else the admin at admin/ (the monolith's mount is unknown)
    routes = [*plan.web.routes, *plan.web.reversible, *(plan.web.admin if mounted else ())]
    views = sorted({r.target.rsplit(".", 1)[0] for r in routes if r.kind == "view"})
    uses_identity = admin or bool(plan.web.reversible)
    custom_site = any(not r.target.startswith("django.") for r in routes if r.kind == "admin")
    functions = sorted({m.function for r in routes for m in (*r.parents, r.mount)} - {"i18n"} | {"path"})
    i18n = any(m.function == "i18n" for r in routes for m in r.parents)
    lines = [
        f'"""The moved apps\' pages in the {plan.service} service, at the paths and namespaces the monolith\'s',
        "URLconfs give them (generated by decompose from the plan's web routes).",
        "",
        "urls.py mounts them after the generated API (/healthz and /api/v1/ keep priority); every request here",
        f"needs the monolith's identity assertion ({pkg}/identity.py).",
        '"""',
        "",
    ]
    served = plan.web.static != "whitenoise"  # else WhiteNoiseMiddleware serves STATIC_ROOT
    if served:
        lines.append("from django.conf import settings")
    if i18n:
        lines.append("from django.conf.urls.i18n import i18n_patterns")
    if (admin and not mounted) or any(r.kind == "admin" and r.target.startswith("django.") for r in routes):
        lines.append("from django.contrib import admin")
    if served:
        lines.append("from django.contrib.staticfiles.urls import staticfiles_urlpatterns")
    lines.append(f"from django.urls import {', '.join(['include', *functions])}")
    lines.append("")
    lines += [f"import {v}" for v in views]  # the project's modules: one import block with the service's
    own = [m for m, used in (("admin_apps", admin), ("identity", uses_identity), ("monolith", custom_site)) if used]
    if own:
        lines.append(f"from {pkg} import {', '.join(own)}")
    if views or own:
        lines.append("")
    lines.append("urlpatterns = [")
    if admin:
        lines.append("    # the moved models' entries of the monolith's admin index (admin_apps.py)")
        lines.append(f'    path("{ADMIN_APPS_PATH}<str:site>/apps", admin_apps.app_list),')
    lines += _lines(routes, 0, "    ")
    if admin and not mounted:
        lines.append("    # the moved models' admin; its login is the monolith's (identity.monolith_login)")
        lines.append('    path("admin/login/", identity.monolith_login),')
        lines.append('    path("admin/", admin.site.urls),')
    lines.append("]")
    lines.append("")
    if served:
        lines.append("if settings.DEBUG:  # in production the edge serves STATIC_ROOT (manage.py collectstatic)")
        lines.append("    urlpatterns += staticfiles_urlpatterns()")
    lines += [
        "",
        "",
        "def api_only(endpoints):",
        '    """The drf-spectacular hook: the moved apps\' DRF views are pages, not the service\'s API."""',
        f'    return [e for e in endpoints if e[0].startswith("{API_PREFIX}/")]',
    ]
    return "\n".join(lines) + "\n"


def _merged_middleware(plan: ExtractionPlan) -> list[str]:
    """The service's middleware: the monolith's that the pages need, in its order, with Security and Common,
    sessions/auth/messages (the admin and the identity need them) and the identity right after auth."""
    out = list(plan.web.middleware)
    for name, after in ((SECURITY, None), (COMMON, SESSIONS), (SESSIONS, SECURITY), (AUTH, SESSIONS), (MESSAGES, AUTH)):
        if name in out:
            continue
        if after is None:
            out.insert(0, name)
        elif after in out:
            out.insert(out.index(after) + 1, name)
        else:
            out.append(name)
    if plan.web.static == "whitenoise" and WHITENOISE_MIDDLEWARE not in out:
        out.insert(out.index(SECURITY) + 1, WHITENOISE_MIDDLEWARE)
    out.insert(out.index(AUTH) + 1, f"{plan.package}.identity.IdentityMiddleware")
    out.insert(out.index(COMMON) + 1, f"{plan.package}.rest.unscoped_api")  # the API only
    return out


def settings_block(plan: ExtractionPlan, copied: str, values: Mapping[str, SettingValue]) -> str:
    """The settings the pages need, appended to the service's settings (after what was copied); ``values``
    are the monolith's settings (its STATIC_URL)."""
    pkg = plan.package
    static = values.get("STATIC_URL")
    static_url = static.text if static is not None and static.text is not None else None
    web = plan.web
    processors = list(web.context_processors)
    processors += [p for p in ADMIN_PROCESSORS if p not in processors]
    apps = ["django.contrib.sessions", "django.contrib.messages", "django.contrib.staticfiles", *web.apps]
    lines = [
        "",
        "# The moved apps' pages (web_urls.py), served as the monolith serves them: its middleware, context",
        "# processors and template tag libraries, behind the identity assertion (identity.py).",
        "INSTALLED_APPS += [",
        *(f"    {_q(a)}," for a in apps),
        "]",
        "INSTALLED_APPS = list(dict.fromkeys(INSTALLED_APPS))",
        "MIDDLEWARE = [",
        *(f"    {_q(m)}," for m in _merged_middleware(plan)),
        "]",
        'TEMPLATES[0]["OPTIONS"]["context_processors"] = [',
        *(f"    {_q(p)}," for p in processors),
        "]",
    ]
    for cp, why in sorted(web.skipped_context_processors.items()):
        lines.append(f"# TODO(decompose): the monolith's context processor {cp} is not run here: {why}")
    lines += _libraries(plan)
    lines += [
        "#: The key the monolith signs identity assertions with (X-Decompose-Identity): at least 32 characters.",
        'IDENTITY_KEY = env.str("DECOMPOSE_IDENTITY_KEY", default="")',
        "if len(IDENTITY_KEY) < 32 and not DEBUG:",
        "    raise ImproperlyConfigured(",
        f'        "DECOMPOSE_IDENTITY_KEY is not set or shorter than 32 characters: the {plan.service} service "',
        '        "does not start without the key the monolith signs identity assertions with "',
        '        "(or DJANGO_DEBUG=1 for development)"',
        "    )",
        "#: not the monolith's cookies: the service never reads or replaces the monolith's session or messages",
        f"SESSION_COOKIE_NAME = {_q(plan.service.replace('-', '_') + '_sessionid')}",
        'MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"',
    ]
    for name in CARRIED_SETTINGS:  # what {% csrf_token %} and the language of a page depend on
        v = values.get(name)
        if v is None or f"{name} =" in copied:
            continue
        if v.text is None:
            lines.append(f"# TODO(decompose): set {name} as the monolith does ({v.where}): it is not a static value")
        else:
            lines.append(f"{name} = {v.text}  # the monolith's ({v.where})")
    use_sessions = values.get("CSRF_USE_SESSIONS")
    if use_sessions is not None and use_sessions.text not in ("False", "0"):
        lines.append(
            "# TODO(decompose): the monolith keeps the CSRF secret in its session (CSRF_USE_SESSIONS): "
            "{% csrf_token %} on the service's pages does not match it; give the forms the monolith's token"
        )
    if web.login_url is not None:
        lines.append(f"LOGIN_URL = {_q(web.login_url)}  # the monolith's login page (reached through its proxy)")
    else:
        lines.append(
            "# TODO(decompose): the monolith's LOGIN_URL could not be read as a path: set LOGIN_URL to its login page"
        )
    if "STATIC_URL =" not in copied:
        lines.append(f"STATIC_URL = {static_url or _q('static/')}")
    lines.append('STATIC_ROOT = BASE_DIR / "staticfiles"')
    lines.extend(
        [
            'SPECTACULAR_SETTINGS["PREPROCESSING_HOOKS"] = [',
            '    *SPECTACULAR_SETTINGS.get("PREPROCESSING_HOOKS", []),',
            f'    "{pkg}.web_urls.api_only",',
            "]",
            'REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"] = [',
            '    *REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"],',
            f'    "{pkg}.identity.IdentityAuthentication",',
            "]",
        ]
    )
    return "\n".join(lines) + "\n"


def templates_files(plan: ExtractionPlan, read: Mapping[str, str | bytes]) -> dict[str, str | bytes]:
    """The monolith's templates the moved ones extend or include, under ``<pkg>/templates/`` (same names)."""
    return {f"{plan.package}/templates/{name}": read[rel] for name, rel in sorted(plan.web.templates.items())}


def admin_text(plan: ExtractionPlan) -> str:
    """What the README and EXTRACTION.md say about the moved models' admin."""
    web = plan.web
    if not web.admin:
        return (
            "**Admin**: the moved models' admin is at `/admin/` here, for staff users of the assertion; its login "
            "is the monolith's. decompose could not read where the monolith mounts the admin site they register "
            "with: in remote mode the monolith neither lists nor forwards "
            + ", ".join(f"`/admin/{a}/`" for a in web.admin_apps)
            + "; route them to this service."
        )
    paths = ", ".join(
        f"`/{r.path}{label}/`"
        + (" (under the language prefix)" if any(m.function == "i18n" for m in r.parents) else "")
        for r in web.admin
        for label in sorted({a.label for a in web.admin_models if a.site == r.target})
    )
    return (
        f"**Admin**: the moved models' admin is served here at the monolith's paths ({paths}), for staff users "
        "of the assertion; its login is the monolith's. In remote mode the monolith's admin forwards those "
        "paths here (their URL names still reverse) and lists the moved models in its index as this service's "
        f"admin builds them for the user (`GET /{ADMIN_APPS_PATH}<site>/apps`, once per admin page)."
    )


def readme_section(plan: ExtractionPlan, admin: bool) -> str:
    """What the README says about the pages: where they are, the identity, the admin, what is left to do."""
    web = plan.web
    rows = "\n".join(
        f"| `/{r.path}` | {r.kind} | `{r.target}` | "
        + (":".join(m.namespace for m in (*r.parents, r.mount) if m.namespace) or "-")
        + f" | `{r.evidence}` |"
        for r in web.routes
    )
    out = [
        "",
        "## Pages",
        "",
        "The moved apps' URLs are served at the paths (and namespaces) the monolith's URLconfs gave them",
        f"(`{plan.package}/web_urls.py`, after the API); the monolith forwards those requests here unchanged.",
        "",
        "| path | kind | serves | namespace | mounted at |",
        "|---|---|---|---|---|",
        rows or "| | | (none) | | |",
        "",
        "Every request outside `/healthz`, `/api/v1/` and the static files needs the monolith's identity",
        "assertion: `X-Decompose-Identity: <JWT>` (HS256, key `DECOMPOSE_IDENTITY_KEY`, at least 32",
        f'characters, the same as the monolith\'s `DECOMPOSE_SERVICES["{plan.service}"]["identity_key"]`;',
        f"audience `{plan.service}`, issuer `monolith`, at most 60 s, each `jti` once). `request.user` is built",
        "from it (no shared session database); CSRF is checked once, at the monolith. The `jti`s are",
        "remembered in Django's cache: give all workers one shared cache (`CACHES`) in production.",
    ]
    if web.static == "whitenoise":
        out += [
            "",
            "Static files: WhiteNoise serves `STATIC_ROOT` (run `manage.py collectstatic`), as in the monolith.",
        ]
    else:
        out += [
            "",
            "Static files: served by `django.contrib.staticfiles` with `DJANGO_DEBUG=1` only; in production run "
            "`manage.py collectstatic` and serve `STATIC_ROOT` at `STATIC_URL` from the edge (or add WhiteNoise).",
        ]
    if admin:
        out += ["", admin_text(plan)]
    if web.templates or web.template_libraries:
        out += [
            "",
            "Vendored from the monolith for the moved templates: "
            + ", ".join(
                [*(f"`{n}`" for n in web.templates), *(f"the tag library `{n}`" for n in web.template_libraries)]
            )
            + ". Keep them in sync with the monolith.",
        ]
    for cp, why in sorted(web.skipped_context_processors.items()):
        out.append(f"\nTODO: the monolith's context processor `{cp}` does not run here ({why}).")
    for c in web.collisions:
        out.append(f"\nTODO: {c}")
    return "\n".join(out) + "\n"


#: generated files whose imports are the service's own requirements (listed here, not discovered)
OWN_FILES = ("identity.py", "tests/test_identity.py")


def urls_imports(plan: ExtractionPlan) -> list[str]:
    """The import urls.py needs for the pages (none when there are none)."""
    return [f"from {plan.package} import web_urls"] if enabled(plan) else []


def urls_tail(plan: ExtractionPlan) -> list[str]:
    """urls.py's last patterns: the pages, after the generated API (which keeps priority)."""
    if not enabled(plan):
        return []
    return ["urlpatterns += web_urls.urlpatterns  # the moved apps' pages (web_urls.py), after the API", ""]


def files_for(
    plan: ExtractionPlan,
    read: Callable[[str], str | bytes],
    sources: Mapping[str, tuple[str, str]],
    admin: bool,
) -> dict[str, str | bytes]:
    """The service's files for the pages: web_urls.py, identity.py and its tests, the vendored templates
    and modules. ``read`` reads a project file; ``sources`` maps a vendored module to (path, text)."""
    pkg = plan.package
    if not enabled(plan):  # no pages: what the moved templates need, when they need something
        return _vendored_files(plan, read, sources) if renders_templates(plan) else {}
    out: dict[str, str | bytes] = {
        f"{pkg}/web_urls.py": urls_module(plan, admin),
        f"{pkg}/identity.py": _template("identity.py.tmpl", service=plan.service),
        **(
            {f"{pkg}/admin_apps.py": _template("admin_apps.py.tmpl", service=plan.service, moved_apps=repr(plan.apps))}
            if admin
            else {}
        ),
        f"{pkg}/tests/test_identity.py": _template(
            "test_identity.py.tmpl", service=plan.service, package=pkg, perm_app=plan.apps[0]
        ),
    }
    out.update(_vendored_files(plan, read, sources))
    return out


def _vendored_files(
    plan: ExtractionPlan, read: Callable[[str], str | bytes], sources: Mapping[str, tuple[str, str]]
) -> dict[str, str | bytes]:
    """The staying templates under ``<pkg>/templates/`` (same names) and the modules copied for the templates'
    tag libraries and the context processors."""
    out: dict[str, str | bytes] = {}
    for name, rel in sorted(plan.web.templates.items()):
        out[f"{plan.package}/templates/{name}"] = read(rel)
    for mod in plan.web.modules:
        if mod in sources:
            path, text = sources[mod]
            out[path] = text
    return out


def requirements_lines(plan: ExtractionPlan, listed: str, pins: Mapping[str, str]) -> str:
    """Requirement lines the pages add to ``listed`` (requirements.txt): PyJWT, whitenoise; the monolith's
    pins (canonical name → line) win."""
    if not enabled(plan):
        return ""
    names = {ln.split("#", 1)[0].strip().split(" ", 1)[0].lower() for ln in listed.splitlines()}
    out = []
    for name, default, why in (("pyjwt", PYJWT, "the identity assertion (identity.py)"),
                               ("whitenoise", WHITENOISE, "serves the static files, as in the monolith")):  # fmt: skip
        if name == "whitenoise" and plan.web.static != "whitenoise":
            continue
        if any(n.startswith(name) for n in names):
            continue
        pin = pins.get(name)
        out.append(f"{pin}  # {why} (the monolith's pin)" if pin else f"{default}  # {why}")
    return "".join(f"{ln}\n" for ln in out)


def _template(name: str, **values: str) -> str:
    from importlib import resources
    from string import Template

    text = resources.files("decompose.extract.service").joinpath("templates", name).read_text(encoding="utf-8")
    return Template(text).substitute(values)


#: the README template's decision line when there are no pages, and what it says when there are
_NOT_SERVED = "- **Moved apps' own URLs and admin** are not served: every route here is token-protected API."
_SERVED = (
    "- **Moved apps' own URLs and admin** are served at the monolith's paths, behind its identity assertion "
    "(see Pages); the JSON API stays under /api/v1/ with the service token."
)


def readme(plan: ExtractionPlan, text: str, admin: bool) -> str:
    """The service's README with the pages' section (unchanged when there are no pages)."""
    if not enabled(plan):
        return text
    return text.replace(_NOT_SERVED, _SERVED).rstrip("\n") + "\n" + readme_section(plan, admin)


def markdown(plan: ExtractionPlan) -> list[str]:
    """EXTRACTION.md's section on the pages: the mounts, the admin, what is shadowed or not carried."""
    web = plan.web
    if not enabled(plan):
        if not renders_templates(plan):
            return []
        return [
            "",
            "## Templates",
            "",
            "The service serves no pages, but the moved code renders the moved templates; vendored from the "
            "monolith for them: "
            + ", ".join(
                [
                    *(f"`{n}`" for n in web.templates),
                    *(f"the tag library `{n}` (`{m}`)" for n, m in sorted(web.template_libraries.items())),
                    *(f"the app `{a}` installed" for a in web.apps),
                ]
            )
            + ". Keep them in sync with the monolith.",
        ]
    out = ["", "## Pages (the moved apps' web face)", ""]
    out.append("Served by the service at the paths and namespaces the monolith's URLconfs give them:")
    out.append("")
    for r in web.routes:
        spaces = ":".join(m.namespace for m in (*r.parents, r.mount) if m.namespace)
        what = f"`{r.target}`" + (f" (name `{r.name}`)" if r.name else "")
        out.append(
            f"- `/{r.path}` — {r.kind} {what}"
            + (f", namespace `{spaces}`" if spaces else "")
            + f", mounted at `{r.evidence}`"
        )
    if web.admin_apps:
        out += ["", admin_text(plan)]
    if web.login_url:
        out += ["", f"Login: the service sends anonymous users to the monolith's `{web.login_url}`."]
    for c in web.collisions:
        out += ["", f"**Shadowed**: {c}"]
    for cp, why in sorted(web.skipped_context_processors.items()):
        out += ["", f"Context processor `{cp}` is not run by the service: {why}."]
    return out
