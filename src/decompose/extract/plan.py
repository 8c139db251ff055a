"""The extraction plan: what moves, the interface staying code uses, the data cut.

:func:`build_plan` reads the dependency graph (for modules, apps and the
evidence of every coupling) and, where the graph does not carry enough detail
(signatures, fields read, lookups), the project's source *as text* with
``ast``. Nothing of the analysed project is imported or executed.

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
DEPENDENCY_CLASSES: tuple[str, ...] = ("shared_kernel", "callback", "cut", "bridge")


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
            d["name"], d.get("annotation"), d.get("default"), d.get("kind", "positional"), d.get("model"),
            tuple(d.get("fields", ())),
        )


@dataclass(frozen=True, slots=True)
class InterfaceFunction:
    """A function of the moving code that staying code calls."""

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

    @property
    def qualname(self) -> str:
        return f"{self.module}.{self.name}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "module": self.module,
            "name": self.name,
            "line": self.line,
            "params": [p.to_dict() for p in self.params],
            "returns": self.returns,
            "returns_model": self.returns_model,
            "idempotent": self.idempotent,
            "raises": list(self.raises),
            "call_sites": _ev_list(self.call_sites),
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
            "evidence": self.evidence.to_dict(),
        }

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
    rather move with the service), ``cut`` (a model used as relation target,
    annotation or sender: a reference by id) or ``bridge`` (a signal).
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
        return cls(d["module"], d.get("symbol", ""), d["classification"], d.get("reason", ""), _ev_tuple(d.get("evidence")))


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
    #: app label → folder (POSIX, relative to the project root).
    app_paths: dict[str, str] = field(default_factory=dict)
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

    @property
    def package(self) -> str:
        """The generated service's project package, e.g. ``payments_service``."""
        return f"{self.service.replace('-', '_')}_service"

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
            "settings_module": self.settings_module,
            "moved_modules": list(self.moved_modules),
            "moved_files": list(self.moved_files),
            "shared_kernel": list(self.shared_kernel),
            "kernel_apps": list(self.kernel_apps),
            "staying_tests": {k: self.staying_tests[k] for k in sorted(self.staying_tests)},
            "interface_functions": [f.to_dict() for f in self.interface_functions],
            "interface_models": [m.to_dict() for m in self.interface_models],
            "dependencies": [d.to_dict() for d in self.dependencies],
            "fk_cuts": [c.to_dict() for c in self.fk_cuts],
            "tables": {k: list(self.tables[k]) for k in sorted(self.tables)},
            "signal_bridges": [s.to_dict() for s in self.signal_bridges],
            "manual_steps": [m.to_dict() for m in self.manual_steps],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ExtractionPlan:
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
                moved_files=tuple(d.get("moved_files", ())),
                shared_kernel=tuple(d.get("shared_kernel", ())),
                settings_module=d.get("settings_module"),
                kernel_apps=tuple(d.get("kernel_apps", ())),
                staying_tests=dict(d.get("staying_tests", {})),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise GraphFormatError(f"malformed extraction plan: {exc!r}") from None

    def to_json(self) -> str:
        import json

        return json.dumps(self.to_dict(), indent=1, ensure_ascii=False) + "\n"


# ---------------------------------------------------------------------------
# building the plan
# ---------------------------------------------------------------------------

import ast  # noqa: E402
import dataclasses  # noqa: E402
import re  # noqa: E402
from collections import defaultdict  # noqa: E402
from collections.abc import Iterable, Sequence  # noqa: E402
from pathlib import Path  # noqa: E402

from decompose.errors import InputError, UnknownNameError  # noqa: E402
from decompose.extract import facts as F  # noqa: E402
from decompose.graph import DependencyGraph  # noqa: E402

_SERVICE_NAME = re.compile(r"^[a-z][a-z0-9_-]*$")
_FILE_SKIP_SUFFIXES = (".pyc", ".pyo", ".sqlite3")
_QUERY_METHODS = {"filter", "get", "exclude", "get_or_create", "update_or_create", "first", "last", "all"}
_FIELD_LIST_METHODS = {"values", "values_list", "only", "order_by", "defer"}


def _app_paths(graph: DependencyGraph) -> dict[str, str]:
    return {a.label: a.path.rstrip("/") for a in graph.apps}


def validate_selection(graph: DependencyGraph, service: str, apps: Sequence[str]) -> tuple[str, ...]:
    """Check the service name and app selection; return the sorted, unique app labels."""
    if not _SERVICE_NAME.match(service or ""):
        raise InputError(f"invalid service name {service!r}: use lowercase letters, digits, '-' and '_'")
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
        raise UnknownNameError(f"unknown service {service!r}; the proposal has: {', '.join(sorted(services)) or '(none)'}")
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
            raise UnknownNameError(f"proposal member {m!r} of service {service!r} is neither an app nor a module of an app")
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


def _moved_files(root: Path, app_paths: dict[str, str], apps: Sequence[str]) -> tuple[str, ...]:
    out: list[str] = []
    for a in apps:
        base = root / app_paths[a]
        for p in sorted(base.rglob("*")):
            rel = p.relative_to(root)
            if not p.is_file() or any(part in F.SKIP_DIRS or part.startswith(".") for part in rel.parts[:-1]):
                continue
            if p.name.endswith(_FILE_SKIP_SUFFIXES):
                continue
            out.append(rel.as_posix())
    return tuple(sorted(out))


class _Planner:
    def __init__(self, graph: DependencyGraph, root: Path, service: str, apps: tuple[str, ...]) -> None:
        self.graph = graph
        self.root = root
        self.service = service
        self.apps = apps
        self.app_paths = _app_paths(graph)
        self.p = F.Project(root, self.app_paths)
        self.moved = {n for n, m in self.p.modules.items() if m.app in apps}
        self.manual: list[ManualStep] = []
        self.kernel_apps: set[str] = set()
        self.used_kernel_apps: set[str] = set()
        self._find_kernel_apps()

    # -- helpers ---------------------------------------------------------------
    def is_moved(self, dotted: str | None) -> bool:
        if not dotted:
            return False
        mod = self.p.module_of(dotted)
        return mod is not None and mod in self.moved

    def is_internal(self, dotted: str | None) -> bool:
        return bool(dotted) and self.p.module_of(dotted) is not None  # type: ignore[arg-type]

    def model_side(self, mf: F.ModelFacts) -> str:
        return "service" if mf.module in self.moved else "monolith"

    def annotation_model(self, m: F.Module, ann: ast.AST | None, pname: str | None = None) -> str | None:
        if ann is not None:
            nodes = [ann]
            if isinstance(ann, ast.Constant) and isinstance(ann.value, str):
                try:
                    nodes = [ast.parse(ann.value, mode="eval").body]
                except SyntaxError:
                    nodes = []
            for top in nodes:
                for n in ast.walk(top):
                    if isinstance(n, (ast.Name, ast.Attribute)):
                        d = self.p.resolve(m, n)
                        mf = self.p.model_by_name(d) if d else None
                        if mf is not None and not mf.abstract:
                            return mf.label
            return None
        if pname:
            cands = [mf for mf in self.p.models.values() if not mf.abstract and mf.label.split(".")[1].lower() == pname]
            if len(cands) == 1:
                return cands[0].label
        return None

    # -- interface functions -------------------------------------------------
    def signature(self, m: F.Module, fn: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[Param, ...]:
        a = fn.args
        out: list[Param] = []
        positional = [*a.posonlyargs, *a.args]
        defaults: list[ast.expr | None] = [None] * (len(positional) - len(a.defaults)) + list(a.defaults)
        for i, arg in enumerate(positional):
            kind = "positional_only" if i < len(a.posonlyargs) else "positional"
            out.append(self._param(m, arg, defaults[i], kind))
        if a.vararg:
            out.append(self._param(m, a.vararg, None, "var_positional"))
        for arg, d in zip(a.kwonlyargs, a.kw_defaults, strict=True):
            out.append(self._param(m, arg, d, "keyword_only"))
        if a.kwarg:
            out.append(self._param(m, a.kwarg, None, "var_keyword"))
        return tuple(out)

    def _param(self, m: F.Module, arg: ast.arg, default: ast.expr | None, kind: str) -> Param:
        ann = ast.unparse(arg.annotation) if arg.annotation is not None else None
        model = None
        if kind not in ("var_positional", "var_keyword"):
            model = self.annotation_model(m, arg.annotation, arg.arg)
        return Param(arg.arg, ann, ast.unparse(default) if default is not None else None, kind, model)

    def function_facts(self, qual: str, sites: list[Evidence]) -> InterfaceFunction:
        mod, name = qual.rsplit(".", 1)
        m = self.p.modules[mod]
        fn = m.defs[name]
        assert isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef))
        params = self.signature(m, fn)
        staying = {p.name for p in params if p.model and not self._label_moved(p.model)}
        reads: dict[str, set[str]] = defaultdict(set)
        for n in ast.walk(fn):
            if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id in staying:
                if n.attr not in ("id", "pk"):
                    reads[n.value.id].add(n.attr)
        params = tuple(
            dataclasses.replace(p, fields=tuple(sorted(reads[p.name]))) if reads.get(p.name) else p for p in params
        )
        returns = ast.unparse(fn.returns) if fn.returns is not None else None
        returns_model = self.annotation_model(m, fn.returns) if fn.returns is not None else None
        writes = self.writes(qual, set())
        raises = self.raises(qual, set())
        return InterfaceFunction(
            module=mod,
            name=name,
            params=params,
            returns=returns,
            returns_model=returns_model,
            idempotent=not writes,
            call_sites=tuple(sorted(set(sites))),
            raises=tuple(sorted(raises)),
            line=fn.lineno,
        )

    def writes(self, qual: str, seen: set[str]) -> bool:
        """Whether a moved function writes (ORM writes, signal sends), itself or through moved functions it calls."""
        if qual in seen:
            return False
        seen.add(qual)
        mod, _, name = qual.rpartition(".")
        m = self.p.modules.get(mod)
        fn = m.defs.get(name) if m else None
        if m is None or not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return False
        for n in ast.walk(fn):
            if isinstance(n, ast.Call):
                if isinstance(n.func, ast.Attribute) and n.func.attr in F.WRITE_METHODS:
                    return True
                d = self.p.resolve(m, n.func)
                if d and self.is_moved(d):
                    c = self.canonical(d)
                    if c and c[0] == "function" and self.writes(c[1], seen):
                        return True
        return False

    def raises(self, qual: str, seen: set[str]) -> set[str]:
        """Exception classes (dotted, where defined) a moved function raises, itself or through moved calls."""
        if qual in seen:
            return set()
        seen.add(qual)
        mod, _, name = qual.rpartition(".")
        m = self.p.modules.get(mod)
        fn = m.defs.get(name) if m else None
        if m is None or not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return set()
        out: set[str] = set()
        for n in ast.walk(fn):
            if isinstance(n, ast.Raise) and n.exc is not None:
                target = n.exc.func if isinstance(n.exc, ast.Call) else n.exc
                d = self.p.resolve(m, target)
                c = self.canonical(d) if d else None
                if c and c[0] == "other" and (self.is_moved(c[1]) or self._kernel_ok(self.p.module_of(c[1]) or "", {})):
                    out.add(c[1])
            elif isinstance(n, ast.Call):
                d = self.p.resolve(m, n.func)
                if d and self.is_moved(d):
                    c = self.canonical(d)
                    if c and c[0] == "function":
                        out |= self.raises(c[1], seen)
        return out

    # -- scanning uses of the other side --------------------------------------
    def scan_uses(self, m: F.Module, want: str) -> list[tuple[str, ast.AST, int]]:
        """References in ``m`` to symbols of the side ``want`` ("moved"|"staying"): (dotted, node, line)."""
        out: list[tuple[str, ast.AST, int]] = []

        def visit(node: ast.AST) -> None:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                return
            if isinstance(node, (ast.Name, ast.Attribute)):
                d = self.p.resolve(m, node)
                if d and self.is_internal(d) and self.p.module_of(d) != m.name:
                    moved = self.is_moved(d)
                    if (want == "moved") == moved and (moved or self.p.module_of(d) not in self.moved):
                        out.append((d, node, getattr(node, "lineno", 0)))
                        return
            for child in ast.iter_child_nodes(node):
                visit(child)

        visit(m.tree)
        return out

    def canonical(self, dotted: str) -> tuple[str, str, str] | None:
        """(kind, qualname, rest) for a reference: kind is function|model|signal|module|other."""
        s = self.p.split_symbol(dotted)
        if s is None:
            return ("module", dotted, "") if dotted in self.p.modules else None
        mod, rest = s
        head, _, tail = rest.partition(".")
        tm = self.p.modules[mod]
        if head not in tm.defs and head in tm.imports:  # re-export
            target = tm.imports[head]
            if target != dotted and self.is_internal(target):
                return self.canonical(target + (f".{tail}" if tail else ""))
        qual = f"{mod}.{head}"
        if qual in self.p.models:
            return "model", qual, tail
        if qual in self.p.signals:
            return "signal", qual, tail
        node = tm.defs.get(head)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return "function", qual, tail
        if f"{mod}.{head}" in self.p.modules:
            return "module", f"{mod}.{head}", tail
        return "other", qual, tail

    def model_usage(
        self, m: F.Module, node: ast.AST, parents: dict[ast.AST, ast.AST]
    ) -> tuple[set[str], set[str], bool, ast.AST]:
        """Lookups, field names and whether it writes, for a chain starting at a model reference."""
        lookups: set[str] = set()
        fields: set[str] = set()
        writes = False
        cur = node
        while True:
            par = parents.get(cur)
            if isinstance(par, ast.Attribute) and par.value is cur:
                if par.attr in F.WRITE_METHODS - {"send", "send_robust", "add", "remove", "clear", "set"}:
                    writes = True
                cur = par
                continue
            if isinstance(par, ast.Call) and par.func is cur:
                meth = cur.attr if isinstance(cur, ast.Attribute) else ""
                if meth in _QUERY_METHODS or meth in ("update", "delete", "count", "exists"):
                    lookups.update(k.arg for k in par.keywords if k.arg)
                if meth in _FIELD_LIST_METHODS:
                    fields.update(
                        a.value.lstrip("-") for a in par.args if isinstance(a, ast.Constant) and isinstance(a.value, str)
                    )
                cur = par
                continue
            if isinstance(par, ast.Call) and cur in par.args:  # get_object_or_404(Model, pk=...)
                lookups.update(k.arg for k in par.keywords if k.arg)
                cur = par
            break
        return lookups, fields, writes, cur

    # -- the plan ------------------------------------------------------------------
    def build(self) -> ExtractionPlan:
        p = self.p
        fn_sites: dict[str, list[Evidence]] = defaultdict(list)
        model_sites: dict[str, list[Evidence]] = defaultdict(list)
        model_lookups: dict[str, set[str]] = defaultdict(set)
        model_fields: dict[str, set[str]] = defaultdict(set)
        other_sites: dict[str, list[Evidence]] = defaultdict(list)
        sig_sends: dict[str, list[tuple[str, Evidence, tuple[str, ...]]]] = defaultdict(list)
        sig_receivers: dict[str, list[tuple[str, str, Evidence]]] = defaultdict(list)
        touched: dict[str, set[str]] = {"service": set(), "monolith": set()}
        deps: dict[tuple[str, str], list[Evidence]] = defaultdict(list)
        dep_kinds: dict[tuple[str, str], set[str]] = defaultdict(set)
        self.module_deps: dict[str, set[tuple[str, str]]] = defaultdict(set)

        for name in sorted(p.modules):
            m = p.modules[name]
            side = "service" if name in self.moved else "monolith"
            self.signals_in(m, side, sig_sends, sig_receivers)
            if m.migration:
                continue
            parents = F.parent_map(m.tree)
            if side == "monolith":
                tracked: dict[str, str] = {}
                for d, node, line in self.scan_uses(m, "moved"):
                    c = self.canonical(d)
                    if c is None:
                        continue
                    kind, qual, rest = c
                    ev = Evidence(m.path, line, qual)
                    if kind == "function":
                        fn_sites[qual].append(ev)
                        f_node = p.modules[qual.rsplit(".", 1)[0]].defs[qual.rsplit(".", 1)[1]]
                        rm = self.annotation_model(p.modules[qual.rsplit(".", 1)[0]], getattr(f_node, "returns", None))
                        if rm:
                            self._track_assign(node, parents, tracked, rm)
                    elif kind == "model":
                        mf = p.models[qual]
                        if mf.abstract:
                            other_sites[qual].append(ev)
                            continue
                        model_sites[mf.label].append(ev)
                        touched["monolith"].add(mf.table)
                        lk, fl, writes, top = self.model_usage(m, node, parents)
                        model_lookups[mf.label].update(lk)
                        model_fields[mf.label].update(fl)
                        self._track_assign(top, parents, tracked, mf.label)
                        if writes:
                            self.manual.append(
                                ManualStep(m.path, line, "command endpoint",
                                           f"staying code writes {mf.label} of service {self.service!r}: "
                                           "add an interface function for the write and call it instead")
                            )
                    elif kind in ("other", "module", "signal"):
                        other_sites[qual].append(ev)
                # attribute reads on variables holding moved model instances (or querysets of them)
                for n in ast.walk(m.tree):
                    if isinstance(n, (ast.For, ast.comprehension)) and isinstance(n.iter, ast.Name):
                        if n.iter.id in tracked and isinstance(n.target, ast.Name):
                            tracked[n.target.id] = tracked[n.iter.id]
                for n in ast.walk(m.tree):
                    if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id in tracked:
                        model_fields[tracked[n.value.id]].add(n.attr)
                self.raw_sql(m)
            else:
                for d, node, line in self.scan_uses(m, "staying"):
                    c = self.canonical(d)
                    if c is None:
                        continue
                    kind, qual, rest = c
                    ev = Evidence(m.path, line, qual)
                    mod, _, sym = qual.rpartition(".")
                    if kind == "module":
                        mod, sym = qual, ""
                    role = "ref"
                    if kind == "model":
                        mf = p.models[qual]
                        par = parents.get(node)
                        in_ann = self._in_annotation(node, parents)
                        is_fk_target = isinstance(par, ast.Call) and node in par.args and self._is_field_call(par)
                        is_sender = isinstance(par, ast.keyword) and par.arg == "sender"
                        role = "abstract" if mf.abstract else "cut" if (in_ann or is_fk_target or is_sender) else "query"
                        if role == "query":
                            touched["service"].add(mf.table)
                    elif kind == "signal":
                        role = "signal"
                    deps[(mod, sym)].append(ev)
                    dep_kinds[(mod, sym)].add(role)
                    self.module_deps[m.name].add((mod, sym))
            self.atomic_spans(m, side)
            if side == "service" and not m.test:
                self.dynamic_refs(m)

        # tables of each side's own models
        for mf in p.models.values():
            if not mf.abstract:
                touched[self.model_side(mf)].add(mf.table)

        interface_functions = tuple(
            self.function_facts(q, s) for q, s in sorted(fn_sites.items())
        )
        for f in interface_functions:
            if f.returns_model and self._label_moved(f.returns_model):
                model_sites.setdefault(f.returns_model, [])
            self.param_reads(f)
        interface_models = []
        for label in sorted(model_sites):
            mf = p.model_by_label(label)
            assert mf is not None
            attnames = [fl.attname for fl in mf.concrete_fields]
            names = {fl.name: fl.attname for fl in mf.concrete_fields}
            fields_read = sorted({names.get(x, x) for x in model_fields[label] if x in names or x in attnames or x in ("id", "pk")})
            interface_models.append(
                InterfaceModel(
                    label=label,
                    module=mf.module,
                    table=mf.table,
                    fields_read=tuple(fields_read),
                    lookups=tuple(sorted(model_lookups[label])),
                    call_sites=tuple(sorted(set(model_sites[label]))),
                    fields=tuple(["id", *[a for a in attnames if a != "id"]]),
                    field_types=self.service_field_types(mf),
                )
            )
        bridged_signals = {b.signal for b in self.bridges(sig_sends, sig_receivers)}
        for qual, sites in sorted(other_sites.items()):
            if qual in bridged_signals:
                continue
            for ev in sorted(set(sites))[:1]:
                self.manual.append(
                    ManualStep(ev.path, ev.line, "shared contract",
                               f"staying code uses {qual} of the moved code ({len(set(sites))} site(s)): "
                               "copy it to the monolith (e.g. exception or constant) or expose it through the API")
                )

        fk_cuts = self.fk_cuts()
        bridges = self.bridges(sig_sends, sig_receivers)
        dependencies, kernel = self.classify(deps, dep_kinds)
        staying_tests = self.staying_tests(dependencies)
        manual = tuple(sorted(set(self.manual), key=lambda s: (s.path, s.line, s.pattern, s.message)))
        return ExtractionPlan(
            service=self.service,
            apps=self.apps,
            moved_modules=tuple(sorted(self.moved)),
            interface_functions=interface_functions,
            interface_models=tuple(interface_models),
            dependencies=dependencies,
            fk_cuts=fk_cuts,
            tables={k: tuple(sorted(v)) for k, v in sorted(touched.items())},
            signal_bridges=bridges,
            manual_steps=manual,
            app_paths={a: self.app_paths[a] for a in self.apps},
            moved_files=tuple(f for f in _moved_files(self.root, self.app_paths, self.apps) if f not in staying_tests),
            shared_kernel=kernel,
            settings_module=self.graph.settings_module,
            kernel_apps=tuple(sorted(self.used_kernel_apps)),
            staying_tests=staying_tests,
        )

    def service_field_types(self, mf: F.ModelFacts) -> dict[str, str]:
        """attname → field class in the service (a cut relation becomes BigIntegerField)."""
        out = {"id": "BigAutoField"}
        for fl in mf.concrete_fields:
            if fl.is_relation:
                out[fl.attname] = "BigIntegerField"
            elif fl.name == "id" or fl.type.endswith("AutoField"):
                out[fl.attname] = fl.type
            else:
                out[fl.attname] = fl.type
        return out

    @staticmethod
    def _track_assign(node: ast.AST, parents: dict[ast.AST, ast.AST], tracked: dict[str, str], label: str) -> None:
        cur = node
        while isinstance(parents.get(cur), (ast.Attribute, ast.Call)):
            cur = parents[cur]
        par = parents.get(cur)
        if isinstance(par, ast.Assign):
            for t in par.targets:
                if isinstance(t, ast.Name):
                    tracked[t.id] = label
        elif isinstance(par, (ast.For, ast.comprehension)) and par.iter is cur and isinstance(par.target, ast.Name):
            tracked[par.target.id] = label

    @staticmethod
    def _in_annotation(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
        cur = node
        while cur in parents:
            par = parents[cur]
            if isinstance(par, ast.arg) and par.annotation is cur:
                return True
            if isinstance(par, (ast.FunctionDef, ast.AsyncFunctionDef)) and par.returns is cur:
                return True
            if isinstance(par, ast.AnnAssign) and par.annotation is cur:
                return True
            if isinstance(par, (ast.stmt,)):
                return False
            cur = par
        return False

    @staticmethod
    def _is_field_call(call: ast.Call) -> bool:
        fn = call.func.attr if isinstance(call.func, ast.Attribute) else call.func.id if isinstance(call.func, ast.Name) else ""
        return fn in F.RELATION_TYPES

    def param_reads(self, f: InterfaceFunction) -> None:
        """Reads THROUGH a staying-model parameter (``order.user.email``): the DTO cannot carry them."""
        m = self.p.modules[f.module]
        fn = m.defs[f.name]
        staying = {p.name: p.model for p in f.params if p.model and not self._label_moved(p.model)}
        if not staying:
            return
        parents = F.parent_map(fn)
        for n in ast.walk(fn):
            if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id in staying:
                if n.attr not in ("id", "pk") and isinstance(parents.get(n), ast.Attribute):
                    self.manual.append(
                        ManualStep(m.path, n.lineno, "API composition",
                                   f"{f.qualname} reads {n.value.id}.{n.attr}.{parents[n].attr} through "  # type: ignore[attr-defined]
                                   f"{staying[n.value.id]}, which stays in the monolith: pass the value as a "
                                   "parameter or fetch it from the monolith's API")
                    )

    def _label_moved(self, label: str) -> bool:
        mf = self.p.model_by_label(label)
        return mf is not None and mf.module in self.moved

    def raw_sql(self, m: F.Module) -> None:
        tables = {mf.table for mf in self.p.models.values() if mf.module in self.moved and not mf.abstract}
        if not tables:
            return
        pat = re.compile(r"\b(" + "|".join(re.escape(t) for t in sorted(tables)) + r")\b")
        for n in ast.walk(m.tree):
            if isinstance(n, ast.Constant) and isinstance(n.value, str) and " " in n.value and pat.search(n.value):
                self.manual.append(
                    ManualStep(m.path, n.lineno, "API composition",
                               f"raw SQL names table {pat.search(n.value).group(1)} that moves to {self.service!r}: "  # type: ignore[union-attr]
                               "replace it with calls to the service's API")
                )

    def dynamic_refs(self, m: F.Module) -> None:
        """References the import graph cannot see: the user model and URL names of the monolith."""
        user_app = self.p.auth_user_model.split(".", 1)[0]
        url_namespaces = set(self.apps)
        for n in ast.walk(m.tree):
            if not isinstance(n, ast.Call):
                continue
            fn = self.p.resolve(m, n.func) or ""
            if fn == "django.contrib.auth.get_user_model" and user_app not in self.apps:
                self.manual.append(
                    ManualStep(m.path, n.lineno, "API composition",
                               f"get_user_model() is {self.p.auth_user_model}, which stays in the monolith: the service "
                               "has no users; send the user's data with the call (or event) or fetch it from the monolith")
                )
            elif fn in ("django.urls.reverse", "django.shortcuts.redirect", "django.urls.reverse_lazy") and n.args:
                first = n.args[0]
                if isinstance(first, ast.Constant) and isinstance(first.value, str) and ":" in first.value:
                    namespace = first.value.split(":", 1)[0]
                    if namespace not in url_namespaces:
                        self.manual.append(
                            ManualStep(m.path, n.lineno, "API composition",
                                       f"reverse({first.value!r}) names a URL of the monolith: the service cannot "
                                       "build it; receive the link (or the monolith's base URL) with the call or event")
                        )

    def atomic_spans(self, m: F.Module, side: str) -> None:
        for n in ast.walk(m.tree):
            bodies: list[ast.AST] = []
            if isinstance(n, (ast.With, ast.AsyncWith)):
                for item in n.items:
                    e = item.context_expr
                    e = e.func if isinstance(e, ast.Call) else e
                    if self.p.resolve(m, e) in F.ATOMIC:
                        bodies = list(n.body)
            elif isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for dec in n.decorator_list:
                    e = dec.func if isinstance(dec, ast.Call) else dec
                    if self.p.resolve(m, e) in F.ATOMIC:
                        bodies = list(n.body)
            if not bodies:
                continue
            sides: set[str] = {side}
            for b in bodies:
                for x in ast.walk(b):
                    if isinstance(x, (ast.Name, ast.Attribute)):
                        d = self.p.resolve(m, x)
                        if d and self.is_internal(d):
                            c = self.canonical(d)
                            if c and c[0] in ("model", "function"):
                                sides.add("service" if self.is_moved(d) else "monolith")
            if len(sides) > 1:
                self.manual.append(
                    ManualStep(m.path, n.lineno, "saga",
                               "transaction.atomic() spans the monolith and the service: one database transaction "
                               "cannot hold both; use a saga (compensating calls) or an outbox")
                )

    def signals_in(
        self,
        m: F.Module,
        side: str,
        sends: dict[str, list[tuple[str, Evidence, tuple[str, ...]]]],
        receivers: dict[str, list[tuple[str, str, Evidence]]],
    ) -> None:
        if m.migration:
            return
        for n in ast.walk(m.tree):
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in ("send", "send_robust"):
                sig = self.p.signal_of(m, n.func.value)
                if sig:
                    args = tuple(sorted(k.arg for k in n.keywords if k.arg and k.arg != "sender"))
                    sends[sig].append((side, Evidence(m.path, n.lineno, sig), args))
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "connect" and n.args:
                sig = self.p.signal_of(m, n.func.value)
                target = self.p.resolve(m, n.args[0])
                if sig and target:
                    receivers[sig].append((side, target, Evidence(m.path, n.lineno, sig)))
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for dec in n.decorator_list:
                    if isinstance(dec, ast.Call) and dec.args and (self.p.resolve(m, dec.func) or "").endswith("receiver"):
                        first = dec.args[0]
                        sigs = first.elts if isinstance(first, (ast.List, ast.Tuple)) else [first]
                        for s in sigs:
                            sig = self.p.signal_of(m, s)
                            if sig:
                                sender = next((k.value for k in dec.keywords if k.arg == "sender"), None)
                                sym = sig
                                if sig in F.BUILTIN_SIGNALS and sender is not None:
                                    sd = self.p.resolve(m, sender)
                                    mf = self.p.model_by_name(sd) if sd else None
                                    sym = f"{sig}:{mf.label if mf else ast.unparse(sender)}"
                                receivers[sig].append((side, f"{m.name}.{n.name}", Evidence(m.path, n.lineno, sym)))

    def bridges(
        self,
        sends: dict[str, list[tuple[str, Evidence, tuple[str, ...]]]],
        receivers: dict[str, list[tuple[str, str, Evidence]]],
    ) -> tuple[SignalBridge, ...]:
        out: list[SignalBridge] = []
        for sig in sorted(set(sends) | set(receivers)):
            if sig in F.BUILTIN_SIGNALS:
                for side, target, ev in receivers.get(sig, []):
                    label = ev.symbol.split(":", 1)[1] if ":" in ev.symbol else ""
                    mf = self.p.model_by_label(label) if label else None
                    if mf is not None and self.model_side(mf) != side:
                        self.manual.append(
                            ManualStep(ev.path, ev.line, "domain event / outbox",
                                       f"{target} receives {sig.rsplit('.', 1)[1]} of {label}, which is saved on the "
                                       "other side: send an explicit domain event (bridged signal) or use an outbox")
                        )
                continue
            send_sides = {s for s, _, _ in sends.get(sig, [])}
            recv = receivers.get(sig, [])
            for sender_side in sorted(send_sides):
                far = sorted({t for s, t, _ in recv if s != sender_side})
                if not far:
                    continue
                evs = [e for s, e, _ in sends[sig] if s == sender_side] + [e for s, _, e in recv if s != sender_side]
                args = sorted({a for s, _, aa in sends[sig] if s == sender_side for a in aa})
                out.append(SignalBridge(sig, sender_side, tuple(far), tuple(sorted(set(evs))), tuple(args)))
        return tuple(out)

    def fk_cuts(self) -> tuple[ForeignKeyCut, ...]:
        out: list[ForeignKeyCut] = []
        for q in sorted(self.p.models):
            mf = self.p.models[q]
            if mf.abstract:
                continue
            src_moved = mf.module in self.moved
            m = self.p.modules[mf.module]
            for fl in mf.fields:
                if not fl.is_relation or not fl.target:
                    continue
                tgt = self.p.model_by_label(fl.target)
                tgt_moved = tgt is not None and tgt.module in self.moved
                if src_moved == tgt_moved:
                    continue
                out.append(
                    ForeignKeyCut(
                        direction="from_moved" if src_moved else "to_moved",
                        model=mf.label,
                        field=fl.name,
                        target=fl.target,
                        column=fl.column,
                        nullable=fl.nullable,
                        evidence=Evidence(m.path, fl.line, fl.target),
                        field_type=fl.type,
                        on_delete=fl.on_delete,
                    )
                )
                if fl.type == "ManyToManyField":
                    self.manual.append(
                        ManualStep(m.path, fl.line, "API composition",
                                   f"{mf.label}.{fl.name} is a many-to-many relation across the boundary: "
                                   "its join table must become a table of ids on one side")
                    )
        return tuple(sorted(out, key=lambda c: (c.direction, c.model, c.field)))

    def _find_kernel_apps(self) -> None:
        """Staying apps whose code imports no other local app (except other such apps)."""
        settings_top = (self.graph.settings_module or "").split(".")[0]
        candidates = {a for a in self.app_paths if a not in self.apps}
        changed = True
        while changed:
            changed = False
            for app in sorted(candidates):
                ok = True
                for m in self.p.modules.values():
                    if m.app != app or m.test or m.migration:
                        continue
                    for target in m.imports.values():
                        dep = self.p.module_of(target)
                        if dep is None:
                            continue
                        dm = self.p.modules[dep]
                        if dm.app == app or (dm.app is None and not (settings_top and dep.split(".")[0] == settings_top)
                                             and self._plain_kernel(dep, {})):
                            continue
                        ok = False
                        break
                    if not ok:
                        break
                if not ok:
                    candidates.discard(app)
                    changed = True
        self.kernel_apps = candidates

    def _plain_kernel(self, mod: str, seen: dict[str, bool]) -> bool:
        """A module outside any app that imports only stdlib/third-party or other such modules."""
        if mod in seen:
            return seen[mod]
        seen[mod] = True
        m = self.p.modules.get(mod)
        ok = m is not None and m.app is None and not m.test and not any(
            mf.module == mod and not mf.abstract for mf in self.p.models.values()
        )
        if ok and m is not None:
            for target in m.imports.values():
                dep = self.p.module_of(target)
                if dep is not None and dep != mod and not self._plain_kernel(dep, seen):
                    ok = False
                    break
        seen[mod] = ok
        return ok

    def _kernel_ok(self, mod: str, seen: dict[str, bool]) -> bool:
        if mod in seen:
            return seen[mod]
        mm = self.p.modules.get(mod)
        if mm is not None and mm.app in self.kernel_apps:
            seen[mod] = True
            return True
        seen[mod] = True  # optimistic for cycles
        m = self.p.modules.get(mod)
        ok = m is not None and mod not in self.moved and not m.migration and not m.test
        if ok and self.graph.settings_module:
            top = self.graph.settings_module.split(".")[0]
            ok = mod != top and not mod.startswith(top + ".")
        if ok and m is not None:
            if any(mf.module == mod and not mf.abstract for mf in self.p.models.values()):
                ok = False
            elif any(s.startswith(mod + ".") and s.rsplit(".", 1)[0] == mod for s in self.p.signals):
                ok = False
            elif m.path.rsplit("/", 1)[-1] in ("views.py", "urls.py", "admin.py", "apps.py"):
                ok = False
            else:
                for target in sorted(set(m.imports.values())):
                    dep = self.p.module_of(target)
                    if dep is not None and dep != mod and not self._kernel_ok(dep, seen):
                        ok = False
                        break
        seen[mod] = ok
        return ok

    def _kernel_closure(self, mods: Iterable[str]) -> set[str]:
        out: set[str] = set()
        kernel_seen: dict[str, bool] = {}
        stack = list(mods)
        while stack:
            mod = stack.pop()
            if mod in out or mod in self.moved or mod not in self.p.modules:
                continue
            out.add(mod)
            parts = mod.split(".")
            for i in range(1, len(parts)):
                pkg = ".".join(parts[:i])
                if pkg in self.p.modules:
                    stack.append(pkg)
            for target in self.p.modules[mod].imports.values():
                dep = self.p.module_of(target)
                if dep is not None and self._kernel_ok(dep, kernel_seen):
                    stack.append(dep)
        return out

    def classify(
        self, deps: dict[tuple[str, str], list[Evidence]], kinds: dict[tuple[str, str], set[str]]
    ) -> tuple[tuple[Dependency, ...], tuple[str, ...]]:
        out: list[Dependency] = []
        seen: dict[str, bool] = {}
        kernel_roots: set[str] = set()
        importers: dict[str, set[str]] = defaultdict(set)
        for name, m in self.p.modules.items():
            for target in m.imports.values():
                dep = self.p.module_of(target)
                if dep and dep != name:
                    importers[dep].add(name)
        test_paths = {m.path for m in self.p.modules.values() if m.test}
        # an app whose DATA the moved code uses (its concrete models referenced, or targeted by a
        # moved model's relation) is not a shared kernel, however self-contained its code is
        data_apps: set[str] = set()
        for mod, sym in deps:
            mf = self.p.models.get(f"{mod}.{sym}")
            if mf is not None and not mf.abstract:
                data_apps.add(mf.label.split(".", 1)[0])
        for mf in self.p.models.values():
            if mf.module in self.moved:
                for fl in mf.fields:
                    if fl.is_relation and fl.target:
                        data_apps.add(fl.target.split(".", 1)[0])
        self.kernel_apps -= data_apps
        for (mod, sym), evs in sorted(deps.items()):
            k = kinds[(mod, sym)]
            what = f"{mod}.{sym}" if sym else mod
            app = self.p.modules[mod].app if mod in self.p.modules else None
            if app in self.kernel_apps:
                cls, reason = "shared_kernel", f"app {app!r} depends on no other local app: vendored whole into the service"
                self.used_kernel_apps.add(app)  # type: ignore[arg-type]
            elif "signal" in k:
                cls, reason = "bridge", "a signal defined in the monolith: the service keeps its own copy and the monolith posts the event"
            elif k == {"abstract"}:
                cls, reason = "shared_kernel", "an abstract base model: its definition is copied into the service (bases.py)"
            elif k <= {"cut", "abstract"} and "cut" in k:
                cls, reason = "cut", "a staying model used as a relation target, annotation or sender: a reference by id"
            elif "query" in k:
                cls, reason = "callback", "the moved code queries a model that stays: call the monolith's API (API composition)"
            elif self._kernel_ok(mod, seen):
                cls, reason = "shared_kernel", "no models, signals or views and depends only on other shared code: copied into the service"
                kernel_roots.add(mod)
            elif importers[mod] and importers[mod] <= self.moved:
                cls, reason = "callback", (
                    "used only by the moved code: it should move with the service (add its app to the "
                    "selection); until then it is called back over HTTP"
                )
            else:
                cls, reason = "callback", "staying code with its own data or dependencies: call it back over HTTP"
            out.append(Dependency(mod, sym, cls, reason, tuple(sorted(set(evs)))))
            code_evs = sorted(e for e in set(evs) if e.path not in test_paths)
            if cls == "callback" and code_evs:
                ev = code_evs[0]
                self.manual.append(
                    ManualStep(ev.path, ev.line, "API composition",
                               f"moved code uses {what}, which stays in the monolith: the service calls it back at "
                               f"POST /api/v1/callbacks/{what} on the monolith, which must expose it")
                )
        kernel = {m for m in self._kernel_closure(kernel_roots) if self.p.modules[m].app not in self.kernel_apps}
        # kernel apps the moved code or the vendored modules use, and what those use in turn
        used = set(self.used_kernel_apps)
        frontier = sorted(kernel) + sorted(n for n, mm in self.p.modules.items() if mm.app in used)
        visited: set[str] = set()
        while frontier:
            mod = frontier.pop()
            if mod in visited:
                continue
            visited.add(mod)
            for target in sorted(self.p.modules[mod].imports.values()):
                dep = self.p.module_of(target)
                if dep is None:
                    continue
                app = self.p.modules[dep].app
                if app in self.kernel_apps and app not in used:
                    used.add(app)  # type: ignore[arg-type]
                    frontier += sorted(n for n, mm in self.p.modules.items() if mm.app == app)
                elif app is None and dep not in kernel and self._plain_kernel(dep, {}):
                    kernel |= self._kernel_closure([dep])
                    frontier.append(dep)
        self.used_kernel_apps = used
        return tuple(out), tuple(sorted(kernel))

    _BUILTIN_FIXTURES = frozenset(
        "db transactional_db client admin_client admin_user django_user_model django_username_field rf settings "
        "live_server mailoutbox django_assert_num_queries django_assert_max_num_queries "
        "django_capture_on_commit_callbacks django_db_setup django_db_blocker async_client async_rf "
        "monkeypatch tmp_path tmp_path_factory tmpdir tmpdir_factory capsys capfd caplog request recwarn "
        "pytestconfig cache record_property doctest_namespace".split()
    )

    _WEB_FIXTURES = frozenset({"client", "admin_client", "async_client", "live_server"})

    def staying_tests(self, dependencies: tuple[Dependency, ...]) -> dict[str, str]:
        """Tests of the moved apps that need the monolith: they stay with it.

        Decided per top-level definition of each test module: a test (or
        fixture, or helper) needs the monolith when it uses staying code other
        than the shared kernel and bridged signals, a fixture nobody in the
        moved tests defines, or another definition that needs the monolith.
        Keys are ``path::name`` for single definitions, ``path`` when no test
        of the module can run in the service.
        """
        cls = {(d.module, d.symbol): d.classification for d in dependencies}
        tests = [self.p.modules[n] for n in sorted(self.moved) if self.p.modules[n].test]
        defs: dict[tuple[str, str], ast.AST] = {}
        fixture_names: set[str] = set()
        for m in tests:
            for node in m.tree.body:
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    defs[(m.name, node.name)] = node
                    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and any(
                        "fixture" in ast.unparse(d) for d in node.decorator_list
                    ):
                        fixture_names.add(node.name)
        reasons: dict[tuple[str, str], str] = {}
        refs: dict[tuple[str, str], set[tuple[str, str]]] = defaultdict(set)
        for m in tests:
            parents = F.parent_map(m.tree)

            def top(node: ast.AST) -> ast.AST | None:
                cur = node
                while parents.get(cur) is not None and parents[cur] is not m.tree:
                    cur = parents[cur]
                return cur if parents.get(cur) is m.tree else None

            for d, node, _line in self.scan_uses(m, "staying"):
                c = self.canonical(d)
                t = top(node)
                if c is None or not isinstance(t, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    continue
                kind, qual, _rest = c
                mod, _, sym = qual.rpartition(".")
                if kind == "module":
                    mod, sym = qual, ""
                if cls.get((mod, sym)) in ("shared_kernel", "bridge"):
                    continue
                reasons.setdefault((m.name, t.name), f"uses {qual}, which stays in the monolith")
            for (mod_name, name), node in defs.items():
                if mod_name != m.name:
                    continue
                funcs = [node] if not isinstance(node, ast.ClassDef) else [
                    f for f in node.body if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))
                ]
                for f in funcs:
                    for a in [*f.args.posonlyargs, *f.args.args, *f.args.kwonlyargs]:
                        if a.arg in self._WEB_FIXTURES:
                            reasons.setdefault(
                                (mod_name, name),
                                f"uses the {a.arg!r} fixture: the app's web views are not served by the service",
                            )
                            continue
                        if a.arg in ("self", "cls") or a.arg in self._BUILTIN_FIXTURES:
                            continue
                        if a.arg in fixture_names:
                            for key in defs:
                                if key[1] == a.arg:
                                    refs[(mod_name, name)].add(key)
                        elif f.name.startswith("test") or any("fixture" in ast.unparse(d) for d in f.decorator_list):
                            reasons.setdefault((mod_name, name), f"needs the fixture {a.arg!r} of the monolith")
                for n in ast.walk(node):
                    if isinstance(n, ast.Name) and (mod_name, n.id) in defs and n.id != name:
                        refs[(mod_name, name)].add((mod_name, n.id))
        changed = True
        while changed:
            changed = False
            for key, targets in sorted(refs.items()):
                if key in reasons:
                    continue
                for t in sorted(targets):
                    if t in reasons:
                        reasons[key] = f"uses {t[1]}, which needs the monolith"
                        changed = True
                        break
        out: dict[str, str] = {}
        for m in tests:
            mine = {name for (mod_name, name) in defs if mod_name == m.name}
            test_defs = {n for n in mine if n.startswith(("test", "Test"))}
            staying = {n for n in mine if (m.name, n) in reasons}
            if test_defs and test_defs <= staying:
                out[m.path] = "every test needs the monolith (" + reasons[(m.name, sorted(test_defs)[0])] + ")"
                continue
            for n in sorted(staying):
                out[f"{m.path}::{n}"] = reasons[(m.name, n)]
        return out


def build_plan(graph: DependencyGraph, root: Path, service: str, apps: Sequence[str]) -> ExtractionPlan:
    """Plan the extraction of ``apps`` (whole Django apps) into the service ``service``.

    ``graph`` provides the apps (labels and folders) and the settings module;
    the details come from the source files under ``root``, read as text.
    """
    root = F.require_dir(Path(root))
    selected = validate_selection(graph, service, apps)
    return _Planner(graph, root, service, selected).build()


def plan_markdown(plan: ExtractionPlan) -> str:
    """The plan for people: ``EXTRACTION.md``, and what ``--plan`` prints."""
    from decompose.extract.api_spec import endpoints

    out: list[str] = [f"# Extraction plan: service `{plan.service}`", ""]
    out.append(f"Apps: {', '.join(f'`{a}`' for a in plan.apps)} → project package `{plan.package}`.")
    out += ["", "## What moves", ""]
    out.append(f"{len(plan.moved_modules)} modules, {len(plan.moved_files)} files (code, tests, migrations, templates, static):")
    out.append("")
    for f in plan.moved_files:
        out.append(f"- `{f}`")
    out += ["", "## The interface: what staying code uses", ""]
    if not plan.interface_functions and not plan.interface_models:
        out.append("Nothing: no staying code uses the moved code directly (signals aside).")
    for f in plan.interface_functions:
        sig = ", ".join(
            p.name + (f": {p.annotation}" if p.annotation else "") + (f" = {p.default}" if p.default else "")
            for p in f.params
        )
        out.append(f"### function `{f.qualname}({sig})" + (f" -> {f.returns}`" if f.returns else "`"))
        out.append("")
        notes = ["read-only (safe to retry)" if f.idempotent else "writes (not retried)"]
        if f.returns_model:
            notes.append(f"returns a `{f.returns_model}` (sent as a DTO)")
        models_in = [
            f"`{p.name}` is a `{p.model}` (sent as "
            + (f"a DTO with id, {', '.join(p.fields)})" if p.fields else "its id)")
            for p in f.params if p.model
        ]
        notes += models_in
        if f.raises:
            notes.append("raises " + ", ".join(f"`{r}`" for r in f.raises) + " (→ 422)")
        out.append("- " + "; ".join(notes))
        for ev in f.call_sites:
            out.append(f"- called at `{ev.path}:{ev.line}`")
        out.append("")
    for m in plan.interface_models:
        out.append(f"### model `{m.label}` (table `{m.table}`)")
        out.append("")
        out.append(f"- fields read: {', '.join(f'`{x}`' for x in m.fields_read) or '(none seen)'}")
        out.append(f"- lookups: {', '.join(f'`{x}`' for x in m.lookups) or '(none)'}")
        for ev in m.call_sites:
            out.append(f"- used at `{ev.path}:{ev.line}`")
        out.append("")
    out += ["## The API", "", "| method | path | kind | target |", "|---|---|---|---|"]
    for e in endpoints(plan):
        out.append(f"| `{e.method}` | `{e.path}` | {e.kind} | `{e.target}` |")
    out += ["", "## What the moving code needs from the code that stays", ""]
    if not plan.dependencies:
        out.append("Nothing.")
    for d in plan.dependencies:
        what = f"{d.module}.{d.symbol}" if d.symbol else d.module
        where = ", ".join(f"`{e.path}:{e.line}`" for e in d.evidence[:5])
        out.append(f"- `{what}` — **{d.classification}**: {d.reason} ({where})")
    if plan.kernel_apps:
        out += ["", "Kernel apps vendored whole (and installed) in the service: "
                + ", ".join(f"`{a}`" for a in plan.kernel_apps) + "."]
    if plan.shared_kernel:
        out += ["", "Shared-kernel modules copied into the service: " + ", ".join(f"`{m}`" for m in plan.shared_kernel) + "."]
    out += ["", "## Tests", ""]
    if plan.staying_tests:
        out.append("Tests of the moved apps that need the monolith stay with it (they are not copied):")
        out.append("")
        for key in sorted(plan.staying_tests):
            out.append(f"- `{key}` — {plan.staying_tests[key]}")
    else:
        out.append("Every test of the moved apps moves with them.")
    moved_tests = [f for f in plan.moved_files if "/tests/" in f"/{f}" and f.endswith(".py") and not f.endswith("__init__.py")]
    out += ["", f"Test modules that move: {', '.join(f'`{t}`' for t in moved_tests) or '(none)'}."]
    out += ["", "## Data", "", "### Foreign keys across the boundary", ""]
    if not plan.fk_cuts:
        out.append("None.")
    for c in plan.fk_cuts:
        arrow = "staying → moved" if c.direction == "to_moved" else "moved → staying"
        out.append(
            f"- `{c.model}.{c.field}` → `{c.target}` ({arrow}, {c.field_type}, column `{c.column}`"
            f"{', nullable' if c.nullable else ''}) at `{c.evidence.path}:{c.evidence.line}`: becomes a plain id"
        )
    out += ["", "### Tables each side touches", ""]
    for side in sorted(plan.tables):
        out.append(f"- {side}: {', '.join(f'`{t}`' for t in plan.tables[side]) or '(none)'}")
    out += ["", "### Signals whose sender and receivers are split", ""]
    if not plan.signal_bridges:
        out.append("None.")
    for b in plan.signal_bridges:
        out.append(
            f"- `{b.signal}` sent by the {b.sender_side}, received by {', '.join(f'`{r}`' for r in b.receivers)}"
            f" (arguments: {', '.join(b.arguments) or '-'}): bridged as an event"
        )
    out += ["", "## What cannot be automated", ""]
    if not plan.manual_steps:
        out.append("Nothing found.")
    for s in plan.manual_steps:
        out.append(f"- `{s.path}:{s.line}` — **{s.pattern}**: {s.message}")
    return "\n".join(out) + "\n"
