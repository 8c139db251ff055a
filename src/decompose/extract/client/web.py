"""Generate the monolith's remote-mode web face of a service: route mirrors, the proxy view, the identity.

In remote mode the root URLconf mounts, in place of each moved URLconf it included, a generated
mirror (``<package>.routes.<service>.<module with __ for dots>``) with the same routes, names and
``app_name``, every route pointing at :func:`<package>.proxy.proxy_view`, which forwards the request
to the service with the user as a signed assertion (``<package>.identity``). The admin sites the moved
models register with forward their pages too, and list them in their index (``<package>.remote_admin``).
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib import resources
from string import Template

from decompose.extract.plan.selection import service_identifier
from decompose.extract.plan.values import ForeignKeyCut, WebFace
from decompose.extract.urlconfs import MirroredUrlconf, Route


def routes_package(package: str, service: str) -> str:
    """The package of ``service``'s route mirrors: ``shop.services.routes.payments``."""
    return f"{package}.routes.{service_identifier(service)}"


def mirror_module(package: str, service: str, module: str) -> str:
    """The mirror of the moved URLconf ``module`` (``payments.urls`` → ``...routes.payments.payments__urls``)."""
    return f"{routes_package(package, service)}.{module.replace('.', '__')}"


def _template(name: str) -> str:
    return resources.files("decompose.extract.client").joinpath("templates", name).read_text(encoding="utf-8")


def _q(text: str) -> str:
    """A string literal, double-quoted when it can be (as the rest of the generated code)."""
    out = repr(text)
    if out.startswith("'") and '"' not in text:
        out = '"' + out[1:-1].replace("\\'", "'") + '"'
    return out


#: the mirror's view for each way the moved view checked CSRF (see Route.csrf)
_VIEWS = {"check": "view", "exempt": "view_csrf_exempt", "drf": "view_drf"}


def _pattern(route: Route, package: str, service: str, indent: str) -> str:
    args = [_q(route.route)]
    if route.include is not None or route.children is not None:
        if route.children is not None:
            inner = "".join(f"{indent}    {_pattern(c, package, service, indent + '    ')},\n" for c in route.children)
            target = f"[\n{inner}{indent}]" if route.children else "[]"
        else:
            target = _q(mirror_module(package, service, route.include or ""))
        if route.app_name is not None:
            target = f"({target}, {_q(route.app_name)})"
        ns = f", namespace={_q(route.namespace)}" if route.namespace is not None else ""
        args.append(f"include({target}{ns})")
    else:
        args.append(_VIEWS[route.csrf])
    if route.name is not None:
        args.append(f"name={_q(route.name)}")
    return f"{route.kind}({', '.join(args)})"


def _mirror_text(conf: MirroredUrlconf, package: str, service: str) -> str:
    lines = [f"    {_pattern(r, package, service, '    ')}," for r in conf.routes]
    if conf.unread:
        lines.append("    # catch-all: what could not be read statically goes to the service too")
        lines += [f"    # - {u}" for u in conf.unread]
        lines.append('    re_path(r"", view),')
    notes = "".join(f"# - {n}\n" for n in conf.notes)
    return Template(_template("routes.py.tmpl")).substitute(
        package=package,
        service=service,
        module=conf.module,
        path=conf.path,
        notes=("# Read with changes:\n" + notes + "\n") if notes else "",
        app_name=f"app_name = {_q(conf.app_name)}\n\n" if conf.app_name is not None else "",
        patterns="\n".join(lines) + ("\n" if lines else ""),
    )


#: the permissions Django's admin checks on each registered model
ADMIN_ACTIONS = ("add", "change", "delete", "view")


def _admin_spec(web: WebFace) -> str:
    """``ADMIN``: each admin site the moved models register with and the monolith mounts → its ``name``
    and the moved models' ``(app_label, object_name)``."""
    mounted = {r.target for r in web.admin}
    sites: dict[str, tuple[str, list[tuple[str, str]]]] = {}
    for a in web.admin_models:
        if a.site in mounted:
            sites.setdefault(a.site, (a.site_name, []))[1].append((a.label, a.object_name))
    if not sites:
        return "()"
    lines = ["("]
    for site, (name, models) in sorted(sites.items()):
        listed = "".join(f"({_q(label)}, {_q(obj)}), " for label, obj in sorted(models))
        lines.append(f"    ({_q(site)}, {_q(name)}, ({listed.rstrip(' ')})),")
    return "\n".join(lines) + "\n)"


def _models_spec(web: WebFace) -> str:
    """``MODELS``: each moved model's ``(app_label, model_name, ((codename, name), ...))``."""
    if not web.model_permissions:
        return "()"
    lines = ["("]
    for m in web.model_permissions:
        perms = "".join(f"({_q(c)}, {_q(n)}), " for c, n in m.permissions).rstrip(" ")
        lines.append(f"    ({_q(m.label)}, {_q(m.model_name)}, ({perms})),")
    return "\n".join(lines) + "\n)"


def _reverse_spec(fk_cuts: Sequence[ForeignKeyCut]) -> str:
    """``REVERSE``: the reverse accessors staying models had for moved models' relations to them:
    ``(staying model label, accessor, moved model label, field, field class)``."""
    rows = sorted(
        {(c.target, c.reverse_name, c.model, c.field, c.field_type) for c in fk_cuts
         if c.direction == "from_moved" and c.reverse_name}
    )  # fmt: skip
    if not rows:
        return "()"
    return "(\n" + "".join(f"    ({', '.join(_q(str(x)) for x in row)}),\n" for row in rows) + ")"


def web_files(
    package: str,
    folder: str,
    service: str,
    mirrors: Sequence[MirroredUrlconf],
    permissions: Sequence[str],
    web: WebFace | None = None,
    fk_cuts: Sequence[ForeignKeyCut] = (),
) -> dict[str, str]:
    """``{path: text}`` of the proxy, the identity, the remote admin and ``service``'s route mirrors in the
    client package ``package`` (at ``folder``, relative to the project root); ``web`` is the plan's web face
    (the admin sites the moved models register with)."""
    web = web if web is not None else WebFace()
    subst = {"package": package}
    base = f"{folder}/routes/{service_identifier(service)}"
    admin_perms = {f"{a.label}.{action}_{a.model_name}" for a in web.admin_models for action in ADMIN_ACTIONS}
    perms = "".join(f"    {_q(p)},\n" for p in sorted(set(permissions) | admin_perms))
    mirrored = "".join(f"    {_q(m.module)}: {_q(mirror_module(package, service, m.module))},\n" for m in mirrors)
    files = {
        f"{folder}/proxy.py": Template(_template("proxy.py.tmpl")).substitute(subst),
        f"{folder}/identity.py": Template(_template("identity.py.tmpl")).substitute(subst),
        f"{folder}/remote_admin.py": Template(_template("remote_admin.py.tmpl")).substitute(subst),
        f"{folder}/testing.py": Template(_template("testing.py.tmpl")).substitute(subst),
        f"{folder}/routes/__init__.py": Template(_template("routes_init.py.tmpl")).substitute(subst),
        f"{base}/__init__.py": Template(_template("routes_service.py.tmpl")).substitute(
            package=package,
            service=service,
            service_repr=_q(service),
            permissions=f"(\n{perms})" if perms else "()",
            mirrors=f"{{\n{mirrored}}}" if mirrored else "{}",
            admin=_admin_spec(web),
            models=_models_spec(web),
            reverse=_reverse_spec(fk_cuts),
        ),
    }
    for conf in mirrors:
        files[f"{base}/{conf.module.replace('.', '__')}.py"] = _mirror_text(conf, package, service)
    return files
