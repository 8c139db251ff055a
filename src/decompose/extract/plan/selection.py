"""Which apps move: the selection checked against the analysed apps, or taken from a proposal, and
every file of the moved apps (read through the analysis's filters)."""

from __future__ import annotations

import keyword
import re
from collections import defaultdict
from collections.abc import Sequence
from typing import Protocol

from decompose.errors import InputError, UnknownNameError
from decompose.graph import AppInfo, DependencyGraph

#: the rule for service names (a Python package and a DNS label are derived from it)
SERVICE_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")


def service_identifier(service: str) -> str:
    """The Python identifier of a service name, for its client module and route mirrors (``order-api`` →
    ``order_api``; a keyword gets a trailing ``_``). The generated client's ``runtime.module_name`` is the
    same rule.

    >>> service_identifier("order-api"), service_identifier("import")
    ('order_api', 'import_')
    """
    out = re.sub(r"\W", "_", service)
    return out + "_" if keyword.iskeyword(out) else out


def service_env(service: str) -> str:
    """The prefix of a service's environment variables, a name every shell can export
    (``order-api`` → ``DECOMPOSE_ORDER_API``; ``_MODE``, ``_URL``, ``_TOKEN``… follow). The generated
    client's ``runtime.env_prefix`` is the same rule.

    >>> service_env("order-api")
    'DECOMPOSE_ORDER_API'
    """
    return "DECOMPOSE_" + re.sub(r"\W", "_", service).upper()


class HasApps(Protocol):
    """Anything that knows the project's apps: the graph, the plain graph, the planner's index."""

    @property
    def apps(self) -> tuple[AppInfo, ...]: ...


def _app_paths(graph: HasApps) -> dict[str, str]:
    return {a.label: a.path.rstrip("/") for a in graph.apps}


def validate_service_name(service: str) -> str:
    """The service name, checked (a usage error before any analysis)."""
    if not SERVICE_NAME.match(service or ""):
        shown = service if len(service or "") <= 70 else service[:60] + f"... ({len(service)} characters)"
        raise InputError(
            f"invalid service name {shown!r}: use lowercase letters, digits, '-' and '_', "
            "starting with a letter, at most 63 characters"
        )
    return service


def validate_selection(graph: HasApps, service: str, apps: Sequence[str]) -> tuple[str, ...]:
    """Check the service name and app selection; return the sorted, unique app labels."""
    validate_service_name(service)
    selected = sorted({a.strip() for a in apps if a.strip()})
    if not selected:
        raise InputError("empty selection: name at least one app with --apps or a service of --proposal")
    known = _app_paths(graph)
    for a in selected:
        if a in known:
            continue
        owner = next((lbl for lbl in sorted(known) if a.startswith(lbl + ".")), None)
        if owner is not None:
            raise InputError(f"{a!r} is part of app {owner!r}: only whole apps can be extracted")
        raise UnknownNameError(f"unknown app {a!r}; apps are: {', '.join(sorted(known)) or '(none)'}")
    if set(selected) == set(known):
        raise InputError("the selection holds every app: nothing would stay in the monolith")
    return tuple(selected)


def apps_from_proposal(data: object, service: str, graph: DependencyGraph) -> tuple[str, ...]:
    """The apps of ``service`` in a proposal JSON value (``decompose propose`` output).

    Accepts ``{"services": {name: [members]}}`` or ``{"services": [{"name", "members"|"apps"|"modules"}]}``;
    members may be app labels or modules, and modules must make up whole apps.
    """
    services: dict[str, list[str]] = {}
    raw = data.get("services") if isinstance(data, dict) else None
    if isinstance(raw, dict):
        services = {str(k): list(v) for k, v in raw.items() if isinstance(v, list)}
    elif isinstance(raw, list):
        for s in raw:
            if isinstance(s, dict) and "name" in s:
                members = s.get("apps") or s.get("members") or s.get("modules") or []
                services[str(s["name"])] = [m if isinstance(m, str) else str(m.get("name", "")) for m in members]
    else:
        raise InputError('not a proposal file (expected a "services" key)')
    if service not in services:
        raise UnknownNameError(
            f"unknown service {service!r}; the proposal has: {', '.join(sorted(services)) or '(none)'}"
        )
    members = services[service]
    known = _app_paths(graph)
    apps: set[str] = set()
    modules_by_app: dict[str, set[str]] = defaultdict(set)
    for m in members:
        if m in known:
            apps.add(m)
        elif m in graph.graph and graph.graph.nodes[m].get("app"):
            modules_by_app[graph.graph.nodes[m]["app"]].add(m)
        else:
            raise UnknownNameError(
                f"proposal member {m!r} of service {service!r} is neither an app nor a module of an app"
            )
    for app, mods in sorted(modules_by_app.items()):
        whole = {n for n in graph.modules() if graph.graph.nodes[n].get("app") == app}
        missing = sorted(whole - mods)
        if missing and app not in apps:
            raise InputError(
                f"service {service!r} holds part of app {app!r} (missing {missing[0]}"
                f"{f' and {len(missing) - 1} more' if len(missing) > 1 else ''}): only whole apps can be extracted"
            )
        apps.add(app)
    return tuple(sorted(apps))
