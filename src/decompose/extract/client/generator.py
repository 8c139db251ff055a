"""Generate ``<project>/services/``: the runtime, one client module per service, inbound views."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from string import Template

from decompose.errors import InputError
from decompose.extract.api_spec import Endpoint, endpoints, wire_type
from decompose.extract.client.exports import UNSET, MovedName, exports_block, unset_params
from decompose.extract.plan import ExtractionPlan, InterfaceFunction, Param, SignalBridge, service_identifier
from decompose.extract.service.generator import query_core_text, wire_text


def project_package(plan: ExtractionPlan) -> str:
    """The monolith's project package (``shop`` for settings ``shop.settings``)."""
    if not plan.settings_module or "." not in plan.settings_module:
        raise InputError(
            "the monolith's settings module is unknown: cannot place the client package (give a project with settings)"
        )
    return plan.settings_module.rsplit(".", 1)[0]


@dataclass(frozen=True, slots=True)
class ClientLocation:
    """Where the monolith's client package goes: dotted name, folder (POSIX, relative to the project root), why."""

    package: str
    folder: str
    reason: str


def client_location(plan: ExtractionPlan, root: Path, configured: str | None = None) -> ClientLocation:
    """The package of the project that receives the generated clients.

    ``configured`` (else ``[tool.decompose.extract] client_package``) when set; else ``services`` in
    the project package next to the settings module (``shop.services`` for ``shop.settings``; a
    settings package is skipped: ``proj.services`` for ``proj.settings.dev``), else in the first
    enclosing package, else at the import root: the first of those that is a real package and that
    git does not ignore (``git check-ignore``), so committing the rewiring keeps it.
    """
    from decompose.config import extract_client_package, load_config
    from decompose.project import import_root_of

    root = Path(root)
    rel = import_root_of(root).relative_to(root).as_posix()
    prefix = "" if rel in ("", ".") else rel + "/"
    if configured is None:
        config = load_config(root)
        configured = extract_client_package(config)
        why = f"client_package in {config.name}"
    else:
        why = "--client-package"
    if configured:
        folder = prefix + configured.replace(".", "/")
        if _git_ignored(root, folder):
            raise InputError(f"{why}: {configured} ({folder}/) is ignored by git; choose a package that is committed")
        return ClientLocation(configured, folder, why)
    parts = project_package(plan).split(".")
    if len(parts) > 1 and parts[-1] == "settings":
        parts = parts[:-1]  # a settings package (proj/settings/dev.py): its parent is the project package
    tried: list[str] = []
    for i in range(len(parts), -1, -1):
        package = ".".join([*parts[:i], "services"])
        parent = prefix + "/".join(parts[:i])
        folder = prefix + package.replace(".", "/")
        if i and not (root / parent / "__init__.py").is_file():
            tried.append(f"{package} ({parent}/ is not a package)")
            continue
        if _git_ignored(root, folder):
            tried.append(f"{package} (ignored by git)")
            continue
        reason = (
            "next to the settings module"
            if i == len(parts)
            else "in an enclosing package"
            if i
            else "at the import root"
        )
        return ClientLocation(package, folder, reason + (f"; not {', '.join(tried)}" if tried else ""))
    raise InputError(
        f"no place for the client package: {', '.join(tried)}; set [tool.decompose.extract] client_package"
    )


def _git_ignored(root: Path, folder: str) -> bool:
    """``git check-ignore`` says a file in ``folder`` would be ignored (False outside a git work tree)."""
    import subprocess

    try:
        done = subprocess.run(
            ["git", "-C", str(root), "check-ignore", "-q", f"{folder}/__init__.py"],
            capture_output=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0


def services_package(plan: ExtractionPlan, location: ClientLocation | None = None) -> str:
    """The client package's dotted name: ``location``'s, else ``<project>.services``."""
    return location.package if location is not None else f"{project_package(plan)}.services"


def client_module(plan: ExtractionPlan, location: ClientLocation | None = None) -> str:
    """Dotted name of the service's client module, e.g. ``shop.services.payments``."""
    return f"{services_package(plan, location)}.{service_identifier(plan.service)}"


def client_template(name: str) -> str:
    """The text of the client package's template ``name`` (the service renders runtime.py and orm.py from them too)."""
    return _template(name)


def _template(name: str) -> str:
    return resources.files("decompose.extract.client").joinpath("templates", name).read_text(encoding="utf-8")


def _signature(params: tuple[Param, ...]) -> str:
    """The parameter list of a function, as in its source (annotations kept as text)."""
    parts: list[str] = []
    kinds = [p.kind for p in params]
    star_done = "var_positional" in kinds
    for i, p in enumerate(params):
        if p.kind == "keyword_only" and not star_done:
            parts.append("*")
            star_done = True
        prefix = {"var_positional": "*", "var_keyword": "**"}.get(p.kind, "")
        text = prefix + p.name
        if p.annotation:
            text += f": {p.annotation}"
        if p.default is not None:
            text += f" = {p.default}" if p.annotation else f"={p.default}"
        parts.append(text)
        if p.kind == "positional_only" and (i + 1 == len(params) or params[i + 1].kind != "positional_only"):
            parts.append("/")
    return ", ".join(parts)


def _call_args(params: tuple[Param, ...], unset: frozenset[str] = frozenset()) -> str:
    """Arguments passing every parameter on to the local function unchanged (those in ``unset`` only
    when the caller gave them: ``**exports.given({...})``)."""
    out: list[str] = []
    left: list[str] = []
    for p in params:
        if p.kind == "positional_only":
            out.append(p.name)
        elif p.kind == "var_positional":
            out.append(f"*{p.name}")
        elif p.kind == "var_keyword":
            out.append(f"**{p.name}")
        elif p.name in unset:
            left.append(f"{p.name!r}: {p.name}")
        else:
            out.append(f"{p.name}={p.name}")
    if left:
        out.append("**exports.given({" + ", ".join(left) + "})")
    return ", ".join(out)


#: declared parameter types whose JSON form is a string the service's serializer parses (runtime.plain)
_PLAIN_SCALARS = frozenset({"Decimal", "decimal.Decimal", "date", "datetime.date", "datetime", "datetime.datetime",
                            "UUID", "uuid.UUID"})  # fmt: skip


def _payload(params: tuple[Param, ...], unset: frozenset[str] = frozenset()) -> str:
    if unset:
        return f"exports.given({_payload(params)})"
    items: list[str] = []
    extra = ""
    for p in params:
        if p.kind == "var_positional":
            continue  # not expressible as JSON fields; reported by the plan
        if p.kind == "var_keyword":
            extra = f", **{p.name}"
            continue
        value = p.name
        if p.model:
            value = f"runtime.ref({p.name}, {tuple(p.fields)!r})" if p.fields else f"runtime.ref({p.name})"
        elif wire_type(p)[0] in _PLAIN_SCALARS:
            value = f"runtime.plain({p.name})"  # as the document declares it; the rest travels typed
        items.append(f"{p.name!r}: {value}")
    return "{" + ", ".join(items) + "}" if not extra else "{" + ", ".join(items) + extra + "}"


class _Gen:
    def __init__(self, plan: ExtractionPlan, return_types: dict[str, str] | None = None) -> None:
        self.plan = plan
        self.return_types = dict(return_types or {})
        self.eps = {e.target: e for e in endpoints(plan) if e.kind == "function"}
        self.types = {m.label: dict(sorted(m.field_types.items())) for m in plan.interface_models}
        rel: dict[str, dict[str, tuple[str, str]]] = {}
        for c in plan.fk_cuts:
            if c.direction == "from_moved" and c.field_type != "ManyToManyField":
                rel.setdefault(c.model, {})[c.field] = (c.target, c.column)
        self.relations = {k: dict(sorted(v.items())) for k, v in sorted(rel.items())}

    def model_label_for(self, name: str) -> str | None:
        """The moved model an event argument names (``payment`` → ``payments.Payment``)."""
        for label in sorted(set(self.types) | set(self.relations)):
            if label.split(".", 1)[1].lower() == name.lower():
                return label
        return None

    def remote_expr(self, label: str | None, expr: str) -> str:
        if not label:
            return expr
        types = f"TYPES.get({label!r})"
        rels = f"RELATIONS.get({label!r})"
        return f"runtime.remote({label!r}, {expr}, {types}, {rels})"

    def function(self, f: InterfaceFunction) -> str:
        ep: Endpoint = self.eps[f.qualname]
        unset = unset_params(f.params)  # defaults the client cannot carry: left to the called code
        sig = _signature(tuple(dataclasses.replace(p, default=UNSET) if p.name in unset else p for p in f.params))
        ret = f" -> {f.returns}" if f.returns else ""
        raises = {r.rsplit(".", 1)[-1]: r for r in f.raises}
        lines = [
            f"def {f.name}({sig}){ret}:",
            f'    """{ep.method} {ep.path} when remote; ``{f.qualname}`` in-process when local."""',
            "    if runtime.is_local(SERVICE):",
            f"        from {f.module} import {f.name} as local",
            "",
            f"        return local({_call_args(f.params, unset)})",
            "    result = runtime.call_function(",
            f"        SERVICE, {ep.path!r}, {_payload(f.params, unset)},",
            f"        idempotent={f.idempotent!r}, raises={dict(sorted(raises.items()))!r},",
            "    )",
            f"    return {self.remote_expr(f.returns_model, 'result')}"
            if f.returns_model in self.types
            else f"    return runtime.rebuild({self.return_types[f.qualname]!r}, runtime.result(SERVICE, result))"
            if f.qualname in self.return_types and not f.returns_model
            else "    return runtime.result(SERVICE, result)",
        ]
        return "\n".join(lines) + "\n"

    def bridges(self) -> tuple[list[str], list[str]]:
        """(outgoing forwarders monolith → service, incoming signals service → monolith)."""
        out: list[str] = []
        inc: list[str] = []
        for b in sorted(self.plan.signal_bridges, key=lambda s: s.signal):
            (out if b.sender_side == "monolith" else inc).append(b.signal)
        return out, inc

    def events_in(self, bridges: list[SignalBridge]) -> dict[str, object]:
        table: dict[str, object] = {}
        for b in bridges:
            labels = {a: self.model_label_for(a) for a in b.arguments}
            table[b.name] = (b.signal.rsplit(".", 1)[-1], {k: v for k, v in sorted(labels.items()) if v})
        return table


def _service_module(
    plan: ExtractionPlan,
    return_types: dict[str, str] | None = None,
    pkg: str = "",
    moved_only: Sequence[MovedName] = (),
) -> str:
    g = _Gen(plan, return_types)
    pkg = pkg or services_package(plan)
    out_signals, in_signals = g.bridges()
    in_bridges = [b for b in plan.signal_bridges if b.sender_side != "monolith"]
    in_bridges.sort(key=lambda b: b.signal)
    callbacks = sorted(
        {
            f"{d.module}.{d.symbol}" if d.symbol else d.module
            for d in plan.dependencies
            if d.classification == "callback"
        }
    )
    head = [
        f'"""Client of the {plan.service} service (generated by decompose; regenerate, do not edit).',
        "",
        f"Same names and signatures as the code that moved into the service ({', '.join(plan.apps)}):",
        "call sites only changed their import. ``local`` mode calls that code in-process,",
        f"``remote`` mode calls the service over HTTP (see {pkg}.runtime for the switch,",
        "timeouts, retries and the circuit breaker). Model instances passed in travel as ids",
        "(or DTOs with the fields the service reads); model instances returned are read-only",
        "``runtime.Remote`` DTOs.",
        '"""',
        "",
        "from __future__ import annotations",
        "",
        "from collections.abc import Callable, Mapping",
        "from typing import Any",
        "",
        "from django.dispatch import Signal",
        "",
        f"from {pkg} import exports, runtime",
        "",
        f"SERVICE = {plan.service!r}",
        f"APPS = {tuple(plan.apps)!r}",
        "",
        "#: Django field types of the models the service returns, to type DTO values back.",
        f"TYPES: dict[str, dict[str, str]] = {_nested(g.types)}",
        "#: Foreign keys of moved models to models of this monolith: readable as objects on DTOs.",
        f"RELATIONS: dict[str, dict[str, tuple[str, str]]] = {_nested(g.relations)}",
        "#: Moved modules imported when this client is ready in remote mode: the moved apps' ready() imports them",
        "#: to register into this monolith's code (a registry filled by subclassing); they import no moved model.",
        f"STARTUP: tuple[str, ...] = {_tuple(list(plan.remote_startup))}",
        "#: Functions of this monolith the service may call back (POST /api/v1/callbacks/<name>).",
        f"CALLBACKS: tuple[str, ...] = {_tuple(callbacks)}",
        "#: Models of this monolith the service's moved code queries or writes: served to it at",
        "#: POST /api/v1/query|command/<app_label>/<Model> (inbound.py, query_core.py), these and no other.",
        f"MONOLITH_MODELS: tuple[str, ...] = {_tuple([m.label for m in plan.monolith_models])}",
        "#: Those of them served read-only: the service holds references of them, which load their fields (queries,",
        "#: never commands).",
        f"MONOLITH_READ_ONLY: tuple[str, ...] = {_tuple([m.label for m in plan.monolith_models if m.read_only])}",
        "#: Signals the service sends and this monolith receives: name → (signal, {argument: model label}).",
        f"EVENTS_IN: dict[str, tuple[str, dict[str, str]]] = {_nested(g.events_in(in_bridges))}",
        "#: Signals this monolith sends and the service receives (forwarded when remote).",
        f"EVENTS_OUT: tuple[str, ...] = {_tuple(out_signals)}",
        "",
        "",
    ]
    # signals, models and Celery tasks: looked up on first use, never imported with the client module
    body: list[str] = exports_block(plan, [b.signal for b in in_bridges], moved_only)
    funcs = sorted((f for f in plan.interface_functions if f.task is None), key=lambda f: f.name)
    names = [f.name for f in funcs]
    if len(set(names)) != len(names):
        raise InputError(
            f"service {plan.service}: two interface functions share a name; the client module needs unique names"
        )
    for f in funcs:
        body.append("")
        body.append(g.function(f))
    body.append("")
    body.append("def _forwarder(name: str) -> Any:")
    body.append("    def forward(sender: Any, **kwargs: Any) -> None:")
    body.append('        kwargs.pop("signal", None)')
    body.append("        runtime.post_event(SERVICE, name, kwargs)")
    body.append("")
    body.append("    return forward")
    body.append("")
    body.append("")
    body.append("def connect_bridges() -> None:")
    body.append('    """Forward EVENTS_OUT to the service (called at start-up when the service is remote)."""')
    body.append("    from django.utils.module_loading import import_string")
    body.append("")
    body.append("    for dotted in EVENTS_OUT:")
    body.append('        name = dotted.rsplit(".", 1)[-1]')
    body.append(
        "        import_string(dotted).connect("
        '_forwarder(name), weak=False, dispatch_uid=f"decompose.{SERVICE}.{name}")'
    )
    body.append("")
    text = "\n".join(head) + "\n".join(body)
    return re.sub(r"\n{3,}(?=\S)", "\n\n\n", text).rstrip("\n") + "\n"


def _tuple(items: list[str]) -> str:
    if not items:
        return "()"
    return "(\n" + "".join(f"    {i!r},\n" for i in items) + ")"


def _nested(d: Mapping[str, object]) -> str:
    if not d:
        return "{}"
    out = ["{"]
    for k in sorted(d):
        out.append(f"    {k!r}: {d[k]!r},")
    out.append("}")
    return "\n".join(out)


def client_files(
    plan: ExtractionPlan,
    project: str | None = None,
    return_types: dict[str, str] | None = None,
    location: ClientLocation | None = None,
    moved_only: Sequence[MovedName] = (),
) -> dict[str, str]:
    """The files of ``<project>/services/`` (or ``location``'s package) for ``plan``:
    ``{path relative to the project root: text}``.

    The runtime, app config, start-up checks and inbound views are the same for every
    service; the client module ``<project>/services/<service>.py`` is the service's own.
    ``return_types`` maps interface functions (qualname) to the dotted class their
    result is rebuilt into (e.g. ``core.money.Money``); see :func:`return_types`. ``moved_only``: moved
    names staying code imports from modules that load the moved models (the rewire finds them).
    """
    if location is not None:
        package, base = location.package, location.folder
        project = package.rsplit(".", 1)[0] if "." in package else package
    else:
        project = project or project_package(plan)
        package, base = f"{project}.services", project.replace(".", "/") + "/services"
    subst = {"project": project, "package": package}
    files = {
        f"{base}/__init__.py": Template(_template("init.py.tmpl")).substitute(subst),
        f"{base}/runtime.py": Template(_template("runtime.py.tmpl")).substitute(subst),
        f"{base}/wire.py": wire_text(),
        f"{base}/orm.py": Template(_template("orm.py.tmpl")).substitute(subst),
        f"{base}/exports.py": Template(_template("exports.py.tmpl")).substitute(subst),
        f"{base}/fields.py": Template(_template("fields.py.tmpl")).substitute(subst),
        f"{base}/apps.py": Template(_template("apps.py.tmpl")).substitute(subst),
        f"{base}/checks.py": Template(_template("checks.py.tmpl")).substitute(subst),
        f"{base}/inbound.py": Template(_template("inbound.py.tmpl")).substitute(subst),
        f"{base}/query_core.py": query_core_text(
            apps=(), joins="{}", served_by="this monolith", jsonable_import=f"from {package}.runtime import jsonable"
        ),
        f"{base}/urls.py": Template(_template("urls.py.tmpl")).substitute(subst),
        f"{base}/models.py": _template("models.py.tmpl"),
        f"{base}/migrations/__init__.py": "",
        f"{base}/migrations/0001_initial.py": _template("migration_0001.py.tmpl"),
        f"{base}/management/__init__.py": "",
        f"{base}/management/commands/__init__.py": "",
        f"{base}/management/commands/relay_service_events.py": Template(
            _template("relay_service_events.py.tmpl")
        ).substitute(subst),
        f"{base}/management/commands/prune_decompose.py": Template(_template("prune_decompose.py.tmpl")).substitute(
            subst
        ),
        f"{base}/{service_identifier(plan.service)}.py": _service_module(plan, return_types, package, moved_only),
    }
    from decompose.extract.client.classes import kept_module, models_module  # stand-ins, kept copies

    classes = models_module(plan, package, f"{package}.{service_identifier(plan.service)}")
    if classes is not None:
        files[f"{base}/{service_identifier(plan.service)}_models.py"] = classes
    kept = kept_module(plan, package, f"{package}.{service_identifier(plan.service)}")
    if kept is not None:
        files[f"{base}/{service_identifier(plan.service)}_kept.py"] = kept
    return files
