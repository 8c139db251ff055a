"""The values of an extraction plan: what moves, the interface staying code uses, the data cut.

Every value here is a frozen dataclass with ``to_dict`` / ``from_dict`` so the
plan can be written as ``extraction-plan.json`` and read back byte-for-byte.
Both the service generator (part 1) and the monolith rewiring (part 2) read it.

Example::

    >>> p = Param("amount", "Decimal", None, "positional", None)
    >>> Param.from_dict(p.to_dict()) == p
    True
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from decompose.graph import Evidence

PLAN_SCHEMA = "decompose.extraction-plan"
PLAN_SCHEMA_VERSION = 1

#: Classes of what the moving code needs from the code that stays.
DEPENDENCY_CLASSES: tuple[str, ...] = ("shared_kernel", "callback", "cut", "bridge", "contract")


def _ev_list(items: tuple[Evidence, ...]) -> list[dict[str, Any]]:
    return [e.to_dict() for e in items]


def _ev_tuple(items: Any) -> tuple[Evidence, ...]:
    return tuple(Evidence.from_dict(x) for x in (items or ()))


@dataclass(frozen=True, slots=True)
class Param:
    """One parameter of an interface function.

    ``kind`` is ``"positional"`` (positional-or-keyword), ``"positional_only"``,
    ``"keyword_only"``, ``"var_positional"`` or ``"var_keyword"``. ``model`` is
    ``"app_label.Model"`` when the argument is a model instance (it crosses the
    wire as its id).
    """

    name: str
    annotation: str | None
    default: str | None
    kind: str
    model: str | None = None
    #: for a model that STAYS in the monolith: the fields the moved function reads
    #: from it. The caller then sends a DTO ``{"id": ..., <fields>}`` instead of
    #: the bare id, so the service needs no call back to read them.
    fields: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "annotation": self.annotation,
            "default": self.default,
            "kind": self.kind,
            "model": self.model,
            "fields": list(self.fields),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Param:
        return cls(
            d["name"],
            d.get("annotation"),
            d.get("default"),
            d.get("kind", "positional"),
            d.get("model"),
            tuple(d.get("fields", ())),
        )


@dataclass(frozen=True, slots=True)
class CeleryTask:
    """What makes an interface function a Celery task: its registered name, whether it is bound, why.

    A task is called through its task API (``delay``, ``apply_async``, ``apply``, ``s``), not like a
    function: the client keeps that API (the task object itself when local, a remote task that asks
    the service to queue it when remote), and a bound task's ``self`` never crosses the wire.
    """

    #: the name Celery registers it under (``name=`` of the decorator, else ``<module>.<function>``)
    name: str
    #: ``bind=True``: its first parameter is the task itself (not in the interface function's params)
    bound: bool
    #: the decorator that makes it a task, as written, and what it resolves to
    why: str

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "bound": self.bound, "why": self.why}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> CeleryTask:
        return cls(d["name"], bool(d.get("bound", False)), d.get("why", ""))


@dataclass(frozen=True, slots=True)
class InterfaceFunction:
    """A function of the moving code that staying code calls (or a Celery task: :attr:`task`)."""

    module: str
    name: str
    params: tuple[Param, ...]
    returns: str | None
    returns_model: str | None
    idempotent: bool
    call_sites: tuple[Evidence, ...]
    #: exception classes (dotted) the function raises itself: mapped to 409/422.
    raises: tuple[str, ...] = ()
    line: int = 0
    #: the project class it returns (not a model), dotted: the client rebuilds it from the JSON
    returns_class: str | None = None
    #: set when the function is a Celery task (``params`` then leave out a bound task's ``self``)
    task: CeleryTask | None = None

    @property
    def qualname(self) -> str:
        return f"{self.module}.{self.name}"

    @property
    def kind(self) -> str:
        """``"task"`` for a Celery task, else ``"function"``."""
        return "task" if self.task is not None else "function"

    def to_dict(self) -> dict[str, Any]:
        return {
            "module": self.module,
            "name": self.name,
            "line": self.line,
            "params": [p.to_dict() for p in self.params],
            "returns": self.returns,
            "returns_model": self.returns_model,
            "returns_class": self.returns_class,
            "idempotent": self.idempotent,
            "raises": list(self.raises),
            "call_sites": _ev_list(self.call_sites),
            **({"kind": "task", "task": self.task.to_dict()} if self.task is not None else {}),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> InterfaceFunction:
        return cls(
            module=d["module"],
            name=d["name"],
            params=tuple(Param.from_dict(p) for p in d.get("params", ())),
            returns=d.get("returns"),
            returns_model=d.get("returns_model"),
            idempotent=bool(d.get("idempotent", False)),
            call_sites=_ev_tuple(d.get("call_sites")),
            raises=tuple(d.get("raises", ())),
            line=int(d.get("line", 0)),
            returns_class=d.get("returns_class"),
            task=CeleryTask.from_dict(d["task"]) if d.get("task") else None,
        )


@dataclass(frozen=True, slots=True)
class InterfaceModel:
    """A model of the moving code that staying code reads (or writes)."""

    label: str
    module: str
    table: str
    fields_read: tuple[str, ...]
    lookups: tuple[str, ...]
    call_sites: tuple[Evidence, ...]
    #: every concrete field of the model (name, as its attname: ``order_id`` for a FK ``order``)
    fields: tuple[str, ...] = ()
    #: attname → Django field class name in the service ("BigAutoField", "DecimalField", ...)
    field_types: dict[str, str] = field(default_factory=dict)
    #: the code that uses it writes it (create, update, delete...): the other side's command endpoint serves it
    writes: bool = False
    #: served read-only (a staying model the service holds references of, which its moved code neither queries nor
    #: writes): its references load their fields through the query endpoint; the command endpoint refuses it
    read_only: bool = False
    #: where the staying code the service copies (vendored modules, slices, members copied into reference classes)
    #: writes it: why the command endpoint serves it (plan/copied_writes.py: the monolith writes its own rows, once)
    copied_writes: tuple[Evidence, ...] = ()

    @property
    def app_label(self) -> str:
        return self.label.split(".", 1)[0]

    @property
    def name(self) -> str:
        return self.label.split(".", 1)[1]

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "module": self.module,
            "table": self.table,
            "fields": list(self.fields),
            "field_types": {k: self.field_types[k] for k in self.fields if k in self.field_types},
            "fields_read": list(self.fields_read),
            "lookups": list(self.lookups),
            "call_sites": _ev_list(self.call_sites),
            **({"writes": True} if self.writes else {}),
            **({"read_only": True} if self.read_only else {}),
            **({"copied_writes": _ev_list(self.copied_writes)} if self.copied_writes else {}),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> InterfaceModel:
        return cls(
            label=d["label"],
            module=d["module"],
            table=d["table"],
            fields_read=tuple(d.get("fields_read", ())),
            lookups=tuple(d.get("lookups", ())),
            call_sites=_ev_tuple(d.get("call_sites")),
            fields=tuple(d.get("fields", ())),
            field_types=dict(d.get("field_types", {})),
            writes=bool(d.get("writes", False)),
            read_only=bool(d.get("read_only", False)),
            copied_writes=_ev_tuple(d.get("copied_writes")),
        )


@dataclass(frozen=True, slots=True)
class ForeignKeyCut:
    """A foreign key that crosses the boundary.

    ``direction`` is ``"to_moved"`` (a staying model points at a moved model)
    or ``"from_moved"`` (a moved model points at a staying model).
    """

    direction: str
    model: str
    field: str
    target: str
    column: str
    nullable: bool
    evidence: Evidence
    #: "ForeignKey" | "OneToOneField" | "ManyToManyField"
    field_type: str = "ForeignKey"
    on_delete: str | None = None
    #: the relation's ``related_name`` as written (the reverse accessor staying code may use)
    related_name: str | None = None
    #: a many-to-many cut from a moved model: the join table Django made for it (``<table>_<field>``), which the
    #: service carries with the staying side as an id column; "" when the relation has a ``through=`` model
    join_table: str = ""

    @property
    def reverse_name(self) -> str | None:
        """The accessor the target model gets (``order.payments``), None when hidden (``related_name="+"``)."""
        if self.related_name:
            return None if self.related_name.endswith("+") else self.related_name
        model = self.model.split(".", 1)[1].lower()
        return model if self.field_type == "OneToOneField" else f"{model}_set"

    @property
    def reverse_query_name(self) -> str | None:
        """The name lookups on the target model join through (``User.objects.filter(membership__team=...)``)."""
        if self.related_name:
            return None if self.related_name.endswith("+") else self.related_name
        return self.model.split(".", 1)[1].lower()

    def to_dict(self) -> dict[str, Any]:
        return {
            "direction": self.direction,
            "model": self.model,
            "field": self.field,
            "field_type": self.field_type,
            "target": self.target,
            "column": self.column,
            "nullable": self.nullable,
            "on_delete": self.on_delete,
            "related_name": self.related_name,
            "evidence": self.evidence.to_dict(),
        } | ({"join_table": self.join_table} if self.join_table else {})

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ForeignKeyCut:
        return cls(
            direction=d["direction"],
            model=d["model"],
            field=d["field"],
            target=d["target"],
            column=d["column"],
            nullable=bool(d.get("nullable", False)),
            evidence=Evidence.from_dict(d["evidence"]),
            field_type=d.get("field_type", "ForeignKey"),
            on_delete=d.get("on_delete"),
            related_name=d.get("related_name"),
            join_table=d.get("join_table", ""),
        )


@dataclass(frozen=True, slots=True)
class SignalBridge:
    """A signal whose sender and receivers end up on different sides.

    ``sender_side`` is where ``send()`` is called: ``"monolith"`` or ``"service"``.
    ``arguments`` are the keyword arguments the senders pass (besides ``sender``).
    """

    signal: str
    sender_side: str
    receivers: tuple[str, ...]
    evidence: tuple[Evidence, ...]
    arguments: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.signal.rsplit(".", 1)[-1]

    def to_dict(self) -> dict[str, Any]:
        return {
            "signal": self.signal,
            "sender_side": self.sender_side,
            "receivers": list(self.receivers),
            "arguments": list(self.arguments),
            "evidence": _ev_list(self.evidence),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SignalBridge:
        return cls(
            signal=d["signal"],
            sender_side=d["sender_side"],
            receivers=tuple(d.get("receivers", ())),
            evidence=_ev_tuple(d.get("evidence")),
            arguments=tuple(d.get("arguments", ())),
        )


@dataclass(frozen=True, slots=True)
class ManualStep:
    """Something that cannot be rewritten automatically, and the pattern to apply."""

    path: str
    line: int
    pattern: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "line": self.line, "pattern": self.pattern, "message": self.message}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ManualStep:
        return cls(d["path"], int(d["line"]), d["pattern"], d["message"])


@dataclass(frozen=True, slots=True)
class Dependency:
    """Something the moving code uses from the code that stays, classified.

    ``classification`` is one of :data:`DEPENDENCY_CLASSES`: ``shared_kernel``
    (copied into the service: a self-contained app whose data the moved code
    does not use, a module with no models, or an abstract base model),
    ``callback`` (called back over HTTP; the reason says when the code should
    rather move with the service; only module-level functions are called back), ``cut`` (a model
    used as relation target, annotation or sender: a reference by id), ``bridge`` (a signal) or
    ``contract`` (a class, constant or module that cannot be vendored: a TODO to copy it as a
    shared contract or move it, never an HTTP call).
    """

    module: str
    symbol: str
    classification: str
    reason: str
    evidence: tuple[Evidence, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "module": self.module,
            "symbol": self.symbol,
            "classification": self.classification,
            "reason": self.reason,
            "evidence": _ev_list(self.evidence),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Dependency:
        return cls(
            d["module"], d.get("symbol", ""), d["classification"], d.get("reason", ""), _ev_tuple(d.get("evidence"))
        )


def service_package(service: str) -> str:
    """The generated service's project package for a service name: ``payments`` → ``payments_service``."""
    return f"{service.replace('-', '_')}_service"


@dataclass(frozen=True, slots=True)
class CallBack:
    """A staying function the service calls back over HTTP: ``<pkg>.monolith.<name>`` has its signature."""

    qualname: str
    name: str
    params: tuple[Param, ...]
    #: label of the model it returns (the service gets a reference by id), if any
    returns_model: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"qualname": self.qualname, "name": self.name, "params": [p.to_dict() for p in self.params],
                "returns_model": self.returns_model}  # fmt: skip

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> CallBack:
        return cls(
            d["qualname"], d["name"], tuple(Param.from_dict(p) for p in d.get("params", ())), d.get("returns_model")
        )


@dataclass(frozen=True, slots=True)
class ServiceRewrites:
    """How the moved code's uses of staying names are rewritten in the service (decided by the planner).

    ``retarget``: staying dotted name → the service module that provides it (``<pkg>.bases``,
    ``<pkg>.signals``, ``<pkg>.monolith``); ``todo``: staying dotted name → the comment left where the
    moved code uses it; ``remote_models``: staying model label → its reference class in
    ``<pkg>.monolith``; ``callbacks``: staying functions called back; ``signal_copies``: staying signals
    the service defines a copy of; ``abstract_bases``: staying abstract models copied into
    ``<pkg>.bases``; ``module_aliases``: staying modules imported whole whose every use is a call back
    or a reference → the module that replaces them; ``vendored``: staying modules copied whole into
    the service at their own dotted path (pure: no models, nothing registered at import), so the
    imports of them do not change; ``packages``: ``__init__.py`` paths of parent packages the service
    writes empty (the monolith's is not pure, or it is a namespace package), so every copied module
    sits in a regular package; ``slices``: staying modules that cannot be copied whole (they read
    staying data or register something at import) → the definitions copied of them at their own path
    (what the moved code imports and what that uses of its module; no model, no staying model used);
    ``admin_sites``: staying Django admin sites the moved admin registers with → the name of the admin
    site the service defines in their place (in ``<pkg>.monolith``); ``stand_ins``: staying names that
    can be neither copied nor called back → why (``<pkg>.monolith`` defines an object that raises, with
    that reason, when used).
    """

    retarget: dict[str, str] = field(default_factory=dict)
    todo: dict[str, str] = field(default_factory=dict)
    remote_models: dict[str, str] = field(default_factory=dict)
    callbacks: tuple[CallBack, ...] = ()
    signal_copies: tuple[str, ...] = ()
    abstract_bases: tuple[str, ...] = ()
    module_aliases: dict[str, str] = field(default_factory=dict)
    vendored: tuple[str, ...] = ()
    packages: tuple[str, ...] = ()
    stand_ins: dict[str, str] = field(default_factory=dict)
    slices: dict[str, tuple[str, ...]] = field(default_factory=dict)
    admin_sites: dict[str, str] = field(default_factory=dict)
    #: staying ``django.dispatch.Signal`` subclasses the moved code instantiates → why they cannot be copied
    #: (the service defines a plain ``Signal`` subclass of the same name in ``<pkg>.monolith``)
    signal_classes: dict[str, str] = field(default_factory=dict)
    #: Django's migration commands a staying app of the monolith overrides (pretalx's ``makemigrations``
    #: ignores verbose names and help texts) → the staying module, copied whole: the service's own app
    #: re-exports its ``Command``, so the service judges its copied migrations as the monolith does
    commands: dict[str, str] = field(default_factory=dict)
    #: staying modules a staying app's ``ready()`` imports to register into code the service copies (a
    #: registry filled by subclassing): copied whole, imported by the service's own app when it is ready
    startup: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "retarget": dict(self.retarget),
            "todo": dict(self.todo),
            "remote_models": dict(self.remote_models),
            "callbacks": [c.to_dict() for c in self.callbacks],
            "signal_copies": list(self.signal_copies),
            "abstract_bases": list(self.abstract_bases),
            "module_aliases": dict(self.module_aliases),
            "vendored": list(self.vendored),
            "packages": list(self.packages),
            "stand_ins": dict(self.stand_ins),
            "slices": {k: list(v) for k, v in self.slices.items()},
            "admin_sites": dict(self.admin_sites),
            "signal_classes": dict(self.signal_classes),
            "commands": dict(self.commands),
            "startup": list(self.startup),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ServiceRewrites:
        return cls(
            retarget=dict(d.get("retarget", {})),
            todo=dict(d.get("todo", {})),
            remote_models=dict(d.get("remote_models", {})),
            callbacks=tuple(CallBack.from_dict(c) for c in d.get("callbacks", ())),
            signal_copies=tuple(d.get("signal_copies", ())),
            abstract_bases=tuple(d.get("abstract_bases", ())),
            module_aliases=dict(d.get("module_aliases", {})),
            vendored=tuple(d.get("vendored", ())),
            packages=tuple(d.get("packages", ())),
            stand_ins=dict(d.get("stand_ins", {})),
            slices={k: tuple(v) for k, v in d.get("slices", {}).items()},
            admin_sites=dict(d.get("admin_sites", {})),
            signal_classes=dict(d.get("signal_classes", {})),
            commands=dict(d.get("commands", {})),
            startup=tuple(d.get("startup", ())),
        )


@dataclass(frozen=True, slots=True)
class WebMount:
    """One ``path()``/``re_path()`` of a staying URLconf a moved route is mounted through."""

    function: str  # "path" | "re_path"
    route: str
    #: the instance namespace this level adds (``include(..., namespace=)`` or the URLconf's ``app_name``)
    namespace: str | None = None
    #: the application namespace (``app_name``) when it differs from the instance namespace
    app_name: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"function": self.function, "route": self.route, "namespace": self.namespace, "app_name": self.app_name}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> WebMount:
        return cls(d["function"], d["route"], d.get("namespace"), d.get("app_name"))


@dataclass(frozen=True, slots=True)
class AdminModel:
    """A moved model registered with an admin site: ``site`` the site as the monolith's code names it
    (``django.contrib.admin.sites.site`` for Django's default), ``site_name`` its ``name`` (the URL
    namespace), ``label`` the model's app label, ``object_name`` its class name, ``admin_class`` the
    ModelAdmin registered for it (the service's codemods follow its options wherever it is defined)."""

    site: str
    site_name: str
    label: str
    object_name: str
    evidence: Evidence
    #: the model class and the ModelAdmin class registered for it (dotted, as defined; "" for the default admin)
    model: str = ""
    admin_class: str = ""

    @property
    def model_name(self) -> str:
        return self.object_name.lower()

    def to_dict(self) -> dict[str, Any]:
        return {
            "site": self.site,
            "site_name": self.site_name,
            "label": self.label,
            "object_name": self.object_name,
            "evidence": self.evidence.to_dict(),
            "model": self.model,
            "admin_class": self.admin_class,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> AdminModel:
        return cls(
            d["site"],
            d["site_name"],
            d["label"],
            d["object_name"],
            Evidence.from_dict(d["evidence"]),
            d.get("model", ""),
            d.get("admin_class", ""),
        )


@dataclass(frozen=True, slots=True)
class ModelPermissions:
    """A moved model's content type and permissions, as Django creates them for an installed app: in remote
    mode the monolith keeps them (groups and users hold them; fixtures name them by natural key) though
    the app is no longer installed there. ``permissions``: ``(codename, name)`` pairs."""

    label: str
    model_name: str
    permissions: tuple[tuple[str, str], ...]

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "model_name": self.model_name, "permissions": [list(p) for p in self.permissions]}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ModelPermissions:
        return cls(d["label"], d["model_name"], tuple((str(a), str(b)) for a, b in d.get("permissions", ())))


@dataclass(frozen=True, slots=True)
class WebRoute:
    """Where the monolith's URLconfs serve moved web code: a moved URLconf included, or a moved view.

    ``parents`` are the staying URLconf levels above it (outermost first); ``mount`` is the ``path()`` /
    ``re_path()`` that includes the moved URLconf (``kind="include"``, ``target`` its module) or routes
    to the moved view (``kind="view"``, ``target`` its dotted name, ``name`` the URL name, ``call`` the
    ``.as_view(...)`` suffix as written, ``kwargs`` the literal extra keyword arguments), or mounts an
    admin site the moved models register with (``kind="admin"``, ``target`` the site as the monolith's
    code names it, ``name`` the site's ``name``).
    """

    kind: str
    target: str
    parents: tuple[WebMount, ...]
    mount: WebMount
    evidence: Evidence
    name: str | None = None
    call: str = ""
    kwargs: str | None = None

    @property
    def path(self) -> str:
        """The routes joined as written (a display path: ``api/payments/``)."""
        return "".join(m.route for m in (*self.parents, self.mount))

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "target": self.target,
            "path": self.path,
            "parents": [m.to_dict() for m in self.parents],
            "mount": self.mount.to_dict(),
            "name": self.name,
            "call": self.call,
            "kwargs": self.kwargs,
            "evidence": self.evidence.to_dict(),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> WebRoute:
        return cls(
            kind=d["kind"],
            target=d["target"],
            parents=tuple(WebMount.from_dict(m) for m in d.get("parents", ())),
            mount=WebMount.from_dict(d["mount"]),
            evidence=Evidence.from_dict(d["evidence"]),
            name=d.get("name"),
            call=d.get("call", ""),
            kwargs=d.get("kwargs"),
        )


@dataclass(frozen=True, slots=True)
class WebFace:
    """What the service needs to serve the moved apps' pages as the monolith served them.

    ``routes``: the mounts of moved web code in the monolith's URLconfs; ``collisions``: why a mount is
    shadowed by the service's own routes (/healthz, /api/v1/); ``templates``: staying template name →
    its file, vendored because a moved template extends or includes it (transitively);
    ``template_libraries``: ``{% load %}`` library name → the staying module defining it, vendored;
    ``context_processors``: the monolith's context processors the service runs (Django's and vendorable
    project ones); ``skipped_context_processors``: project ones it cannot run → why;
    ``middleware``: the monolith's middleware the moved views need (sessions, messages, locale...);
    ``login_url``: the monolith's LOGIN_URL as a path (reversed statically when it is a URL name);
    ``admin_apps``: moved apps that register models with the admin (the service serves ``admin/``);
    ``admin``: where the monolith mounts the admin sites the moved models register with (``kind="admin"``
    routes: the service serves its admin at the same paths); ``admin_models``: those registrations;
    ``static``: "whitenoise" when the monolith serves static files with it, else "staticfiles";
    ``modules``: staying modules copied under their own names for the libraries and context processors.
    """

    routes: tuple[WebRoute, ...] = ()
    #: staying named routes the pages reverse (``kind="monolith"``): mounted in the service for ``reverse()`` only
    reversible: tuple[WebRoute, ...] = ()
    collisions: tuple[str, ...] = ()
    templates: dict[str, str] = field(default_factory=dict)
    template_libraries: dict[str, str] = field(default_factory=dict)
    context_processors: tuple[str, ...] = ()
    skipped_context_processors: dict[str, str] = field(default_factory=dict)
    middleware: tuple[str, ...] = ()
    login_url: str | None = None
    admin_apps: tuple[str, ...] = ()
    admin: tuple[WebRoute, ...] = ()
    admin_models: tuple[AdminModel, ...] = ()
    #: the moved models' content types and permissions (the monolith keeps them in remote mode)
    model_permissions: tuple[ModelPermissions, ...] = ()
    #: moved templates the monolith still renders (staying templates include them, staying code names them):
    #: name → the moved file; the client package keeps copies for remote mode
    shared_templates: dict[str, str] = field(default_factory=dict)
    static: str = "staticfiles"
    modules: tuple[str, ...] = ()
    #: Django's contrib apps whose template tag libraries the pages load (``humanize``), to install
    apps: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "routes": [r.to_dict() for r in self.routes],
            "reversible": [r.to_dict() for r in self.reversible],
            "collisions": list(self.collisions),
            "templates": {k: self.templates[k] for k in sorted(self.templates)},
            "template_libraries": {k: self.template_libraries[k] for k in sorted(self.template_libraries)},
            "context_processors": list(self.context_processors),
            "skipped_context_processors": {
                k: self.skipped_context_processors[k] for k in sorted(self.skipped_context_processors)
            },
            "middleware": list(self.middleware),
            "login_url": self.login_url,
            "admin_apps": list(self.admin_apps),
            "admin": [r.to_dict() for r in self.admin],
            "admin_models": [a.to_dict() for a in self.admin_models],
            "model_permissions": [m.to_dict() for m in self.model_permissions],
            "shared_templates": {k: self.shared_templates[k] for k in sorted(self.shared_templates)},
            "static": self.static,
            "modules": list(self.modules),
            "apps": list(self.apps),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> WebFace:
        return cls(
            routes=tuple(WebRoute.from_dict(r) for r in d.get("routes", ())),
            reversible=tuple(WebRoute.from_dict(r) for r in d.get("reversible", ())),
            collisions=tuple(d.get("collisions", ())),
            templates=dict(d.get("templates", {})),
            template_libraries=dict(d.get("template_libraries", {})),
            context_processors=tuple(d.get("context_processors", ())),
            skipped_context_processors=dict(d.get("skipped_context_processors", {})),
            middleware=tuple(d.get("middleware", ())),
            login_url=d.get("login_url"),
            admin_apps=tuple(d.get("admin_apps", ())),
            admin=tuple(WebRoute.from_dict(r) for r in d.get("admin", ())),
            admin_models=tuple(AdminModel.from_dict(a) for a in d.get("admin_models", ())),
            model_permissions=tuple(ModelPermissions.from_dict(m) for m in d.get("model_permissions", ())),
            shared_templates=dict(d.get("shared_templates", {})),
            static=d.get("static", "staticfiles"),
            modules=tuple(d.get("modules", ())),
            apps=tuple(d.get("apps", ())),
        )


@dataclass(frozen=True, slots=True)
class CopiedCode:
    """A statement of the moved code (a method, property, inner class, class attribute, helper) copied into the
    monolith's client for remote mode, as it is written there: its text at column 0, the names its function body
    reads from imports imported at the top of that body (see plan/behaviour.py)."""

    name: str
    path: str
    line: int
    text: str

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "path": self.path, "line": self.line, "text": self.text}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> CopiedCode:
        return cls(d["name"], d["path"], int(d["line"]), d["text"])


@dataclass(frozen=True, slots=True)
class NotCopied:
    """A member of a moved model (or of its queryset) that is not copied into its stand-in, and why: in remote
    mode using it raises an error naming the model, the member and this reason."""

    name: str
    path: str
    line: int
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "path": self.path, "line": self.line, "reason": self.reason}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> NotCopied:
        return cls(d["name"], d["path"], int(d["line"]), d["reason"])


@dataclass(frozen=True, slots=True)
class ModelBehaviour:
    """What a moved model's stand-in carries in remote mode besides its fields (plan/behaviour.py)."""

    label: str
    #: attname → Django field class in the service (as :attr:`InterfaceModel.field_types`)
    types: dict[str, str] = field(default_factory=dict)
    #: names of the generated module (bound by its imports) that are base classes of the stand-in: the model's
    #: plain mixins of staying or third-party code (``LogMixin``, ``RulesModelMixin``)
    mixins: tuple[str, ...] = ()
    #: names of the generated module that are metaclasses of the model or its bases (``RulesModelBase``)
    metaclasses: tuple[str, ...] = ()
    members: tuple[CopiedCode, ...] = ()
    not_copied: tuple[NotCopied, ...] = ()
    #: the methods of the model's custom default manager and its QuerySet
    queryset: tuple[CopiedCode, ...] = ()
    queryset_not_copied: tuple[NotCopied, ...] = ()
    #: ``Meta`` options read as literals (ordering, unique_together, verbose names, permissions, ...)
    meta: dict[str, Any] = field(default_factory=dict)
    #: accessor → (moved model label, field name): the reverse side of a relation between moved models
    reverse: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: field name → moved model label: a foreign key (or one-to-one) between moved models
    forward: dict[str, str] = field(default_factory=dict)
    #: attname → what a new stand-in holds before it is set, as Django's ``Model.__init__``: ``("value", literal)``
    #: or ``("call", dotted callable)`` (plan/behaviour.py: ``field_defaults``); a field left out stays unset
    defaults: dict[str, tuple[str, Any]] = field(default_factory=dict)
    #: field name → the source of its ``choices=`` (``MailTemplateRoles.choices``, a literal list) over names of the
    #: generated module (plan/behaviour.py: ``field_choices``): the stand-in's ``get_<field>_display()``
    choices: dict[str, str] = field(default_factory=dict)
    #: field name → (dotted class of the field, or "" when the monolith cannot import it; its literal options such
    #: as ``blank``, ``max_length``) (plan/behaviour.py: ``field_classes``): the stand-in's ``_meta`` field
    fields: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)
    #: attribute → the source of what the model's ``__init__`` sets it to on each new instance, rebuilt per instance
    #: by the generated code (``{"speaker_cache": "{}"}``; plan/behaviour.py: ``init_state``)
    init_state: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "types": {k: self.types[k] for k in sorted(self.types)},
            "mixins": list(self.mixins),
            "metaclasses": list(self.metaclasses),
            "members": [m.to_dict() for m in self.members],
            "not_copied": [n.to_dict() for n in self.not_copied],
            "queryset": [m.to_dict() for m in self.queryset],
            "queryset_not_copied": [n.to_dict() for n in self.queryset_not_copied],
            "meta": {k: self.meta[k] for k in sorted(self.meta)},
            "reverse": {k: list(self.reverse[k]) for k in sorted(self.reverse)},
            "forward": {k: self.forward[k] for k in sorted(self.forward)},
            **({"defaults": {k: list(self.defaults[k]) for k in sorted(self.defaults)}} if self.defaults else {}),
            **({"choices": {k: self.choices[k] for k in sorted(self.choices)}} if self.choices else {}),
            **({"fields": self._fields_dict()} if self.fields else {}),
            **({"init_state": {k: self.init_state[k] for k in sorted(self.init_state)}} if self.init_state else {}),
        }

    def _fields_dict(self) -> dict[str, list[Any]]:
        return {k: [self.fields[k][0], dict(sorted(self.fields[k][1].items()))] for k in sorted(self.fields)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ModelBehaviour:
        return cls(
            label=d["label"],
            types=dict(d.get("types", {})),
            mixins=tuple(d.get("mixins", ())),
            metaclasses=tuple(d.get("metaclasses", ())),
            members=tuple(CopiedCode.from_dict(x) for x in d.get("members", ())),
            not_copied=tuple(NotCopied.from_dict(x) for x in d.get("not_copied", ())),
            queryset=tuple(CopiedCode.from_dict(x) for x in d.get("queryset", ())),
            queryset_not_copied=tuple(NotCopied.from_dict(x) for x in d.get("queryset_not_copied", ())),
            meta=dict(d.get("meta", {})),
            reverse={k: (v[0], v[1]) for k, v in d.get("reverse", {}).items()},
            forward=dict(d.get("forward", {})),
            defaults={k: (v[0], v[1]) for k, v in d.get("defaults", {}).items()},
            choices=dict(d.get("choices", {})),
            fields={k: (v[0], dict(v[1])) for k, v in d.get("fields", {}).items()},
            init_state=dict(d.get("init_state", {})),
        )


@dataclass(frozen=True, slots=True)
class RemoteClasses:
    """The moved models' stand-in classes with their behaviour, for the client's ``<service>_models.py``: the
    imports the classes need when they are made, helpers of the moved modules their code uses, one
    :class:`ModelBehaviour` per concrete moved model (sorted by label)."""

    imports: tuple[str, ...] = ()
    helpers: tuple[CopiedCode, ...] = ()
    models: tuple[ModelBehaviour, ...] = ()
    #: copies of the moved code staying code imports (decorators, forms, constants, the helpers they use) that
    #: need the stand-ins: after the models in the generated module
    kept: tuple[CopiedCode, ...] = ()
    #: dotted name (where it is defined) of each moved name staying code imports that the generated module keeps
    #: a copy of (in ``helpers`` or ``kept``) → its name there; what remote mode's client gives for it
    kept_names: dict[str, str] = field(default_factory=dict)
    #: the imports the kept copies need when their module is imported
    kept_imports: tuple[str, ...] = ()
    #: dotted → why, for each kept moved function staying code calls that is no endpoint because its result has no
    #: wire form (plan/kept_calls.py): the monolith runs it
    kept_reasons: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "imports": list(self.imports),
            "helpers": [h.to_dict() for h in self.helpers],
            "models": [m.to_dict() for m in self.models],
        }
        if self.kept or self.kept_names:
            out["kept"] = [k.to_dict() for k in self.kept]
            out["kept_names"] = dict(sorted(self.kept_names.items()))
            out["kept_imports"] = list(self.kept_imports)
        if self.kept_reasons:
            out["kept_reasons"] = dict(sorted(self.kept_reasons.items()))
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RemoteClasses:
        return cls(
            imports=tuple(d.get("imports", ())),
            helpers=tuple(CopiedCode.from_dict(x) for x in d.get("helpers", ())),
            models=tuple(ModelBehaviour.from_dict(x) for x in d.get("models", ())),
            kept=tuple(CopiedCode.from_dict(x) for x in d.get("kept", ())),
            kept_names=dict(d.get("kept_names", {})),
            kept_imports=tuple(d.get("kept_imports", ())),
            kept_reasons=dict(d.get("kept_reasons", {})),
        )


@dataclass(frozen=True, slots=True)
class ReferenceClasses:
    """The staying models' reference classes in the service's ``monolith.py`` with the members of the monolith's
    classes the moved code uses, copied (plan/reference_behaviour.py): ``classes`` as :class:`RemoteClasses` (the
    imports the classes need when they are made, copied helpers, one :class:`ModelBehaviour` per staying model
    with members or members that could not be copied); ``names``: label → the class's name in ``monolith.py``."""

    classes: RemoteClasses = field(default_factory=RemoteClasses)
    names: dict[str, str] = field(default_factory=dict)
    #: label → the model's fields the copied members read on the instance (``self.slug``): what a caller sends
    #: with an instance of it instead of the members' values
    reads: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "classes": self.classes.to_dict(),
            "names": {k: self.names[k] for k in sorted(self.names)},
            "reads": {k: list(self.reads[k]) for k in sorted(self.reads)},
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ReferenceClasses:
        return cls(
            RemoteClasses.from_dict(d.get("classes", {})),
            dict(d.get("names", {})),
            {k: tuple(v) for k, v in d.get("reads", {}).items()},
        )

    def copied(self, label: str) -> frozenset[str]:
        """The members copied into ``label``'s reference class."""
        return frozenset(c.name for b in self.classes.models if b.label == label for c in b.members)


@dataclass(frozen=True, slots=True)
class ExtractionPlan:
    """Everything ``decompose extract`` needs to build a service and rewire the monolith."""

    service: str
    apps: tuple[str, ...]
    moved_modules: tuple[str, ...]
    interface_functions: tuple[InterfaceFunction, ...]
    interface_models: tuple[InterfaceModel, ...]
    dependencies: tuple[Dependency, ...]
    fk_cuts: tuple[ForeignKeyCut, ...]
    #: side ("service" | "monolith") → tables that side's code touches.
    tables: dict[str, tuple[str, ...]]
    signal_bridges: tuple[SignalBridge, ...]
    manual_steps: tuple[ManualStep, ...]
    #: app label → folder (POSIX, relative to the project root): the moved apps, and the staying apps whose
    #: models' foreign keys to them are cut (the rewire writes their migration there).
    app_paths: dict[str, str] = field(default_factory=dict)
    #: app label → the app's module as INSTALLED_APPS and imports spell it (``src/`` layouts stripped)
    app_modules: dict[str, str] = field(default_factory=dict)
    #: every file that moves (modules, tests, migrations, templates, static), relative paths.
    moved_files: tuple[str, ...] = ()
    #: staying modules copied into the service as a library (the shared kernel).
    shared_kernel: tuple[str, ...] = ()
    #: the monolith's settings module, e.g. "shop.settings".
    settings_module: str | None = None
    #: staying apps that depend on no other local app: vendored whole (and installed) in the service.
    kernel_apps: tuple[str, ...] = ()
    #: test files of the moved apps that need the monolith (they stay with it): path → reason.
    staying_tests: dict[str, str] = field(default_factory=dict)
    #: files of the moved apps that are not copied: path → why (not a regular file, too large, a link out)
    skipped_files: dict[str, str] = field(default_factory=dict)
    #: how the moved code's uses of staying names become service code
    service_rewrites: ServiceRewrites = field(default_factory=ServiceRewrites)
    #: URL namespaces (``app_name``) of the moved apps' URLconfs
    url_namespaces: tuple[str, ...] = ()
    #: the tables that move (the moved models' own, never a table a staying app owns), in the order to copy
    #: their rows: a table after the tables it references
    table_order: tuple[str, ...] = ()
    #: the monolith's dependency files the service's pins were read from, relative to the project's folder
    #: (``../pyproject.toml`` when they sit above it)
    dependency_files: tuple[str, ...] = ()
    #: how the service serves the moved apps' web face (routes, templates, admin)
    web: WebFace = field(default_factory=WebFace)
    #: moved modules the monolith still imports when its client is ready in remote mode: a moved app's
    #: ``ready()`` imports them to register into staying code by subclassing (plan/startup.py)
    remote_startup: tuple[str, ...] = ()
    #: the moved models' stand-ins in remote mode, with the behaviour copied from the moved code (plan/behaviour.py)
    remote_classes: RemoteClasses = field(default_factory=RemoteClasses)
    #: staying models the moved code queries or writes: the service reads and writes them through the monolith
    #: (its query and command endpoints serve exactly these), by label
    monolith_models: tuple[InterfaceModel, ...] = ()
    #: the staying models' members the moved code uses, copied into their reference classes in the service
    reference_classes: ReferenceClasses = field(default_factory=ReferenceClasses)
    #: the monolith's ``AUTH_USER_MODEL`` when a moved app defines it: remote mode refuses to start (the user model
    #: stays where users log in), local mode is unaffected
    user_model: str | None = None

    @property
    def package(self) -> str:
        """The generated service's project package, e.g. ``payments_service``."""
        return service_package(self.service)

    def app_module(self, label: str) -> str:
        """The dotted module of a moved app (from its folder for a plan written before it was recorded)."""
        return self.app_modules.get(label) or self.app_paths.get(label, label).rstrip("/").replace("/", ".")

    def function(self, qualname: str) -> InterfaceFunction | None:
        for f in self.interface_functions:
            if f.qualname == qualname:
                return f
        return None

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": PLAN_SCHEMA,
            "version": PLAN_SCHEMA_VERSION,
            "service": self.service,
            "package": self.package,
            "apps": list(self.apps),
            "app_paths": {k: self.app_paths[k] for k in sorted(self.app_paths)},
            "app_modules": {k: self.app_modules[k] for k in sorted(self.app_modules)},
            "settings_module": self.settings_module,
            "moved_modules": list(self.moved_modules),
            "moved_files": list(self.moved_files),
            "shared_kernel": list(self.shared_kernel),
            "kernel_apps": list(self.kernel_apps),
            "staying_tests": {k: self.staying_tests[k] for k in sorted(self.staying_tests)},
            "skipped_files": {k: self.skipped_files[k] for k in sorted(self.skipped_files)},
            "service_rewrites": self.service_rewrites.to_dict(),
            "url_namespaces": list(self.url_namespaces),
            "table_order": list(self.table_order),
            "dependency_files": list(self.dependency_files),
            "web": self.web.to_dict(),
            "remote_startup": list(self.remote_startup),
            "remote_classes": self.remote_classes.to_dict(),
            "interface_functions": [f.to_dict() for f in self.interface_functions],
            "interface_models": [m.to_dict() for m in self.interface_models],
            "monolith_models": [m.to_dict() for m in self.monolith_models],
            "reference_classes": self.reference_classes.to_dict(),
            "user_model": self.user_model,
            "dependencies": [d.to_dict() for d in self.dependencies],
            "fk_cuts": [c.to_dict() for c in self.fk_cuts],
            "tables": {k: list(self.tables[k]) for k in sorted(self.tables)},
            "signal_bridges": [s.to_dict() for s in self.signal_bridges],
            "manual_steps": [m.to_dict() for m in self.manual_steps],
        }

    @classmethod
    def from_dict(cls, d: Any) -> ExtractionPlan:
        from decompose.errors import GraphFormatError

        if not isinstance(d, dict) or d.get("schema") != PLAN_SCHEMA:
            raise GraphFormatError(f'not an extraction plan (missing "schema": "{PLAN_SCHEMA}")')
        try:
            return cls(
                service=d["service"],
                apps=tuple(d["apps"]),
                moved_modules=tuple(d.get("moved_modules", ())),
                interface_functions=tuple(InterfaceFunction.from_dict(x) for x in d.get("interface_functions", ())),
                interface_models=tuple(InterfaceModel.from_dict(x) for x in d.get("interface_models", ())),
                dependencies=tuple(Dependency.from_dict(x) for x in d.get("dependencies", ())),
                fk_cuts=tuple(ForeignKeyCut.from_dict(x) for x in d.get("fk_cuts", ())),
                tables={k: tuple(v) for k, v in d.get("tables", {}).items()},
                signal_bridges=tuple(SignalBridge.from_dict(x) for x in d.get("signal_bridges", ())),
                manual_steps=tuple(ManualStep.from_dict(x) for x in d.get("manual_steps", ())),
                app_paths=dict(d.get("app_paths", {})),
                app_modules=dict(d.get("app_modules", {})),
                moved_files=tuple(d.get("moved_files", ())),
                shared_kernel=tuple(d.get("shared_kernel", ())),
                settings_module=d.get("settings_module"),
                kernel_apps=tuple(d.get("kernel_apps", ())),
                staying_tests=dict(d.get("staying_tests", {})),
                skipped_files=dict(d.get("skipped_files", {})),
                service_rewrites=ServiceRewrites.from_dict(d.get("service_rewrites", {})),
                url_namespaces=tuple(d.get("url_namespaces", ())),
                table_order=tuple(d.get("table_order", ())),
                dependency_files=tuple(d.get("dependency_files", ())),
                web=WebFace.from_dict(d.get("web", {})),
                remote_startup=tuple(d.get("remote_startup", ())),
                remote_classes=RemoteClasses.from_dict(d.get("remote_classes", {})),
                monolith_models=tuple(InterfaceModel.from_dict(x) for x in d.get("monolith_models", ())),
                reference_classes=ReferenceClasses.from_dict(d.get("reference_classes", {})),
                user_model=d.get("user_model"),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise GraphFormatError(f"malformed extraction plan: {exc!r}") from None

    def to_json(self) -> str:
        import json

        return json.dumps(self.to_dict(), indent=1, ensure_ascii=False) + "\n"
