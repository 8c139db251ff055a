"""The project as the planner sees it: the analysis's facts, indexed by module, model and signal.

Built from one analysis (:class:`decompose.analysis.Analysis`): which files exist, their modules and
apps come from discovery; imports, definitions, model classes with their fields, signals and settings
reads from the scan facts; which classes are models, their tables and labels from the graph. Nothing
here walks the file system or decides what a model is a second time.

The planner also reads a few modules in detail (a moved function's body, a staying module that uses
moved code): :meth:`Module.tree` parses that module's text, read through :mod:`decompose.scan.source`
with discovery's filters, once per run and only when asked.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from decompose.graph import DependencyGraph
from decompose.scan.source import ScanError, SourceError, absolute_module, parse_source, read_source

if TYPE_CHECKING:  # pragma: no cover
    from decompose.builder import PlainGraph
    from decompose.project import Project, SourceFile
    from decompose.scan.facts import ClassFact, ModuleFacts

RELATION_TYPES = ("ForeignKey", "OneToOneField", "ManyToManyField", "ParentalKey", "ParentalManyToManyField")
SIGNAL_CLASSES = {"django.dispatch.Signal", "django.dispatch.dispatcher.Signal"}
ATOMIC = {"django.db.transaction.atomic"}
BUILTIN_SIGNALS = {
    f"django.db.models.signals.{n}"
    for n in ("pre_save", "post_save", "pre_delete", "post_delete", "m2m_changed", "pre_init", "post_init")
}
#: method names that write: ORM writes and signal sends
WRITE_METHODS = {
    "save", "create", "update", "delete", "bulk_create", "bulk_update", "get_or_create",
    "update_or_create", "send", "send_robust", "add", "remove", "clear", "set",
}  # fmt: skip


@dataclass(slots=True)
class ModelField:
    name: str
    line: int
    type: str  # the field class' last name, e.g. "ForeignKey"
    target: str | None = None  # "app.Model" for relations
    nullable: bool = False
    on_delete: str | None = None
    db_column: str | None = None
    #: literal size options: max_length, max_digits, decimal_places
    options: dict[str, int] = field(default_factory=dict)
    related_name: str | None = None
    primary_key: bool = False  # ``primary_key=True`` written on it

    @property
    def is_relation(self) -> bool:
        return self.type in RELATION_TYPES

    @property
    def attname(self) -> str:
        return f"{self.name}_id" if self.type in ("ForeignKey", "OneToOneField", "ParentalKey") else self.name

    @property
    def column(self) -> str:
        return self.db_column or self.attname


@dataclass(slots=True)
class ModelFacts:
    label: str  # "app.Model"
    qualname: str  # "app.models.Model"
    module: str
    line: int
    abstract: bool
    table: str
    fields: list[ModelField] = field(default_factory=list)

    @property
    def concrete_fields(self) -> list[ModelField]:
        return [f for f in self.fields if "ManyToMany" not in f.type]

    @property
    def pk(self) -> ModelField | None:
        """The field declared the primary key (``primary_key=True``), else None: the implicit ``id``. A one-to-one
        primary key's column is ``<name>_id``."""
        return next((f for f in self.concrete_fields if f.primary_key), None)

    @property
    def pk_attname(self) -> str:
        """The primary key's column (attname): ``id``, an explicit primary key's (``code``, ``user_id``)."""
        pk = self.pk
        return "id" if pk is None else pk.attname

    def reverse_accessor(self, f: ModelField) -> str | None:
        """The accessor foreign key or one-to-one ``f`` of this model gives its target (``event.cfp`` for
        ``CfP.event``, ``event.talk_set`` for ``Talk.event``), as Django names it: the ``related_name`` (its
        ``%(class)s`` / ``%(model_name)s`` / ``%(app_label)s`` filled in), else the model's name in lower case, with
        ``_set`` for a foreign key; None when hidden (``+``) or ``f`` is no such relation."""
        if f.type not in ("ForeignKey", "OneToOneField"):
            return None
        app_label, _, name = self.label.partition(".")
        if f.related_name:
            accessor = f.related_name
            for key, value in (("class", name.lower()), ("model_name", name.lower()), ("app_label", app_label)):
                accessor = accessor.replace(f"%({key})s", value)
            return None if accessor.endswith("+") else accessor
        return name.lower() if f.type == "OneToOneField" else f"{name.lower()}_set"


class Module:
    """One module of the project: facts always, source text and tree on demand."""

    __slots__ = (
        "name",
        "path",
        "app",
        "test",
        "migration",
        "facts",
        "_file",
        "_max",
        "_source",
        "_tree",
        "_imports",
        "_defs",
    )

    def __init__(self, file: SourceFile, app: str | None, facts: ModuleFacts, max_bytes: int) -> None:
        self.name = file.module
        self.path = file.path
        self.app = app
        self.test = file.test
        self.migration = file.migration
        self.facts = facts
        self._file = file
        self._max = max_bytes
        self._source: str | None = None
        self._tree: ast.Module | None = None
        self._imports: dict[str, str] | None = None
        self._defs: dict[str, ast.AST] | None = None

    @property
    def package(self) -> str:
        return self.name if self._file.is_package else self.name.rpartition(".")[0]

    @property
    def import_targets(self) -> set[str]:
        """Every dotted name the module imports (``a.b`` / ``a.b.name``), local imports included."""
        return {f"{i.module}.{i.name}" if i.name and i.name != "*" else i.module for i in self.facts.imports}

    @property
    def exports(self) -> dict[str, str]:
        """Module-level names bound by imports → what they name (re-exports), and the names a client
        module generated by decompose hands out on first use (its ``_LOCAL`` table read as a literal: the
        staying code of a monolith with a service already rewired imports moved names from it)."""
        out = dict(self.facts.exports)
        if "_LOCAL" in self.facts.defs and "__getattr__" in self.facts.defs:
            node = self.defs.get("_LOCAL")
            value = node.value if isinstance(node, ast.AnnAssign | ast.Assign) else None
            try:
                table = ast.literal_eval(value) if value is not None else {}
            except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
                table = {}
            if isinstance(table, dict):
                for name, target in table.items():
                    if isinstance(name, str) and isinstance(target, tuple) and len(target) == 2:
                        out.setdefault(name, f"{target[0]}.{target[1]}")
        return out

    @property
    def source(self) -> str:
        """The module's text, read through :mod:`decompose.scan.source` (not parsed)."""
        if self._source is None:
            try:
                data = read_source(self._file.abspath, self._max)
            except SourceError as exc:
                raise ModuleUnreadable(self.path, exc.reason) from None
            self._source = data.decode("utf-8", errors="replace")
        return self._source

    @property
    def tree(self) -> ast.Module:
        """The module's syntax tree, parsed as scanning parses it (once)."""
        if self._tree is None:
            try:
                self._tree = parse_source(self.source.encode("utf-8"))
            except ScanError as exc:
                raise ModuleUnreadable(self.path, exc.reason) from None
        return self._tree

    @property
    def imports(self) -> dict[str, str]:
        """Local name → dotted target, for every import statement of the module (function-local ones too)."""
        if self._imports is None:
            out: dict[str, str] = {}
            for node in ast.walk(self.tree):
                if isinstance(node, ast.Import):
                    for a in node.names:
                        if a.asname:
                            out[a.asname] = a.name
                        else:
                            top = a.name.split(".")[0]
                            out.setdefault(top, top)
                elif isinstance(node, ast.ImportFrom):
                    base = absolute_module(self.package, node.module, node.level)
                    for a in node.names:
                        if a.name != "*":
                            out[a.asname or a.name] = f"{base}.{a.name}" if base else a.name
            self._imports = out
        return self._imports

    @property
    def defs(self) -> dict[str, ast.AST]:
        """Top-level name → its def/class/assignment node."""
        if self._defs is None:
            out: dict[str, ast.AST] = {}
            for node in self.tree.body:
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    out[node.name] = node
                elif isinstance(node, ast.Assign):
                    for t in node.targets:
                        if isinstance(t, ast.Name):
                            out[t.id] = node
                elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                    out[node.target.id] = node
            self._defs = out
        return self._defs

    def defines(self, name: str) -> bool:
        return name in self.facts.defs

    def ready_imports(self) -> list[tuple[str, int]]:
        """(dotted name, line) of every import inside an ``AppConfig.ready()`` of this module, relative
        imports made absolute: what an app imports when it is ready, for what importing does (signal
        receivers connected, classes put in a registry by subclassing)."""
        out: list[tuple[str, int]] = []
        for cls in self.tree.body:
            for fn in cls.body if isinstance(cls, ast.ClassDef) else ():
                if not (isinstance(fn, ast.FunctionDef) and fn.name == "ready"):
                    continue
                for node in ast.walk(fn):
                    if isinstance(node, ast.ImportFrom):
                        base = absolute_module(self.package, node.module, node.level) or ""
                        out.extend((f"{base}.{a.name}" if base else a.name, node.lineno) for a in node.names)
                    elif isinstance(node, ast.Import):
                        out.extend((a.name, node.lineno) for a in node.names)
        return out


class ModuleUnreadable(Exception):
    """A module the analysis read can no longer be read (changed, removed or replaced since)."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class CodeIndex:
    """Every analysed module with its imports, definitions, models and signals (the planner's view)."""

    def __init__(self, project: Project, facts: dict[str, ModuleFacts], graph: PlainGraph | DependencyGraph) -> None:
        self.root: Path = project.root
        self.project = project
        #: the graph as built (plain dicts: planning needs no networkx); :attr:`graph` is the networkx value
        self._source = graph
        self._graph = graph if isinstance(graph, DependencyGraph) else None
        self.apps = graph.apps
        self.settings_module = graph.settings_module
        self.nodes: dict[str, dict[str, Any]] = (
            dict(graph.graph.nodes(data=True)) if isinstance(graph, DependencyGraph) else graph.nodes
        )
        self._predecessors: dict[str, set[str]] | None = None
        self.app_paths = {a.label: a.path.rstrip("/") for a in graph.apps}
        app_of = {n: d.get("app") for n, d in self.nodes.items() if d.get("type") == "module"}
        self.modules: dict[str, Module] = {}
        max_bytes = project.config.max_file_bytes
        for f in project.files:
            mf = facts.get(f.module)
            if mf is not None:
                self.modules[f.module] = Module(f, app_of.get(f.module), mf, max_bytes)
        user = project.settings.get("AUTH_USER_MODEL")
        self.auth_user_model = user if isinstance(user, str) and "." in user else "auth.User"
        self.signals: set[str] = {f"{m.name}.{s}" for m in self.modules.values() for s in m.facts.signals}
        self.models: dict[str, ModelFacts] = {}
        self._by_label: dict[str, ModelFacts] = {}
        self._find_models()

    @property
    def graph(self) -> DependencyGraph:
        """The dependency graph (networkx), built from the plain graph on first use."""
        if self._graph is None:
            assert not isinstance(self._source, DependencyGraph)
            self._graph = self._source.to_graph()
        return self._graph

    def predecessors(self, name: str) -> set[str]:
        """Modules with an edge (of any kind) to ``name``."""
        if self._predecessors is None:
            preds: dict[str, set[str]] = {}
            if self._graph is not None:
                for u, v in self._graph.graph.edges():
                    preds.setdefault(v, set()).add(u)
            else:
                assert not isinstance(self._source, DependencyGraph)
                for u, v, _k in self._source.edges:
                    preds.setdefault(v, set()).add(u)
            self._predecessors = preds
        return self._predecessors.get(name, set())

    # -- names -----------------------------------------------------------------------
    def split_symbol(self, dotted: str) -> tuple[str, str] | None:
        """``"payments.services.charge.x"`` → ``("payments.services", "charge.x")`` for internal modules."""
        parts = dotted.split(".")
        for i in range(len(parts) - 1, 0, -1):
            mod = ".".join(parts[:i])
            if mod in self.modules:
                return mod, ".".join(parts[i:])
        return None

    def module_of(self, dotted: str) -> str | None:
        if dotted in self.modules:
            return dotted
        s = self.split_symbol(dotted)
        return s[0] if s else None

    def reexport(self, dotted: str) -> str | None:
        """What ``pkg.Name`` names when ``pkg`` only re-exports it (``from .models import Name`` in ``__init__``)."""
        s = self.split_symbol(dotted)
        if s is None or "." in s[1]:
            return None
        return self.modules[s[0]].exports.get(s[1])

    def resolve(self, m: Module, node: ast.AST) -> str | None:
        """The dotted name an expression refers to (``Name``/``Attribute`` chains), or None."""
        if isinstance(node, ast.Name):
            if node.id in m.imports:
                return m.imports[node.id]
            if m.defines(node.id):
                return f"{m.name}.{node.id}"
            return None
        if isinstance(node, ast.Attribute):
            base = self.resolve(m, node.value)
            return f"{base}.{node.attr}" if base else None
        return None

    def base_modules(self, m: Module) -> set[str]:
        """The project modules defining a base class of a top-level class of ``m`` (``m`` itself left out)."""
        out: set[str] = set()
        for cls in m.tree.body:
            for b in cls.bases if isinstance(cls, ast.ClassDef) else ():
                dotted = self.resolve(m, b)
                dep = self.module_of(dotted) if dotted else None
                if dep is not None and dep != m.name:
                    out.add(dep)
        return out

    def model_by_name(self, dotted: str) -> ModelFacts | None:
        """A model by its qualname, following re-exports."""
        seen = 0
        while dotted not in self.models and seen < 10:
            nxt = self.reexport(dotted)
            if nxt is None or nxt == dotted:
                return None
            dotted, seen = nxt, seen + 1
        return self.models.get(dotted)

    def model_by_label(self, label: str) -> ModelFacts | None:
        return self._by_label.get(label)

    def signal_of(self, m: Module, node: ast.AST) -> str | None:
        dotted = self.resolve(m, node)
        if dotted is None:
            return None
        if dotted in self.signals or dotted in BUILTIN_SIGNALS:
            return dotted
        target = self.reexport(dotted)
        return target if target in self.signals else None

    # -- models ----------------------------------------------------------------------
    def _find_models(self) -> None:
        classes: dict[str, tuple[Module, ClassFact]] = {}
        for name, data in sorted(self.nodes.items()):
            m = self.modules.get(name)
            if m is None or m.migration or not data.get("models"):
                continue
            by_name = {c.name: c for c in m.facts.classes}
            for info in data["models"]:
                c = by_name.get(info["name"])
                if c is None:
                    continue
                meta = dict(c.meta)
                app = meta.get("app_label") or m.app or name.split(".")[0]
                table = info.get("table") or f"{app}_{c.name.lower()}"
                mf = ModelFacts(
                    f"{app}.{c.name}", f"{name}.{c.name}", name, c.line, bool(info.get("abstract")), str(table)
                )
                self.models[mf.qualname] = mf
                self._by_label.setdefault(mf.label, mf)
                classes[mf.qualname] = (m, c)
        for q in sorted(classes):
            m, c = classes[q]
            mf = self.models[q]
            inherited: list[ModelField] = []
            for b in c.bases:
                parent = self.model_by_name(b)
                if parent is not None and parent.abstract and parent.qualname in classes:
                    pm, pc = classes[parent.qualname]
                    inherited.extend(self._fields(pm, pc, mf))
            own = self._fields(m, c, mf)
            names = {f.name for f in own}
            mf.fields = [f for f in inherited if f.name not in names] + own

    def _fields(self, m: Module, c: ClassFact, owner: ModelFacts) -> list[ModelField]:
        out = []
        app = owner.label.split(".")[0]
        for f in c.model_fields:
            target = self._relation_target(f.target, app, owner.label) if f.type in RELATION_TYPES else None
            out.append(
                ModelField(
                    f.name,
                    f.line,
                    f.type,
                    target,
                    f.null,
                    f.on_delete or None,
                    f.db_column or None,
                    dict(f.options),
                    f.related_name or None,
                    f.primary_key,
                )
            )
        return out

    def _relation_target(self, spec: str, app: str, own_label: str) -> str | None:
        if not spec:
            return None
        if spec.startswith("="):
            v = spec[1:]
            if v == "self":
                return own_label
            return v if "." in v else f"{app}.{v}"
        if spec.endswith("AUTH_USER_MODEL"):
            return self.auth_user_model
        mf = self.model_by_name(spec.lstrip("*"))
        if mf is not None:
            return mf.label
        return external_model_label(spec.lstrip("*"), self.auth_user_model)


#: models of django.contrib (and a few of their aliases) by the dotted name code imports them with
CONTRIB_MODELS = {
    "django.contrib.auth.models.User": "auth.User",
    "django.contrib.auth.models.Group": "auth.Group",
    "django.contrib.auth.models.Permission": "auth.Permission",
    "django.contrib.contenttypes.models.ContentType": "contenttypes.ContentType",
    "django.contrib.sites.models.Site": "sites.Site",
    "django.contrib.redirects.models.Redirect": "redirects.Redirect",
    "django.contrib.flatpages.models.FlatPage": "flatpages.FlatPage",
    "django.contrib.admin.models.LogEntry": "admin.LogEntry",
    "django.contrib.sessions.models.Session": "sessions.Session",
}


def external_model_label(dotted: str, auth_user_model: str) -> str | None:
    """The label of a model outside the project named by its import path: contrib models by name,
    ``get_user_model`` as the user model, a third-party app's ``<pkg>.models.<Model>`` as ``<pkg>.<Model>``.

    >>> external_model_label("django.contrib.auth.models.User", "auth.User")
    'auth.User'
    >>> external_model_label("taggit.models.Tag", "auth.User")
    'taggit.Tag'
    >>> external_model_label("decimal.Decimal", "auth.User") is None
    True
    """
    if dotted in CONTRIB_MODELS:
        return CONTRIB_MODELS[dotted]
    if dotted.endswith("get_user_model"):
        return auth_user_model
    parts = dotted.split(".")
    if len(parts) >= 3 and parts[-2] == "models" and parts[-1][:1].isupper():
        return f"{parts[-3]}.{parts[-1]}"
    return None


def parent_map(tree: ast.AST) -> dict[ast.AST, ast.AST]:
    """Child node → parent node, for every node under ``tree``."""
    out: dict[ast.AST, ast.AST] = {}
    for node in ast.walk(tree):
        for child in ast.iter_child_nodes(node):
            out[child] = node
    return out


def index_project(path: str | Path, *, use_cache: bool = True, settings: str | None = None) -> CodeIndex:
    """Analyse the project at ``path`` and index it for planning.

    The analysis cache (``analyze``'s) is used when present and never written: extraction writes nothing
    into the project but what ``--apply`` rewires.
    """
    from decompose.analysis import run_analysis

    analysis = run_analysis(path, settings=settings, use_cache=use_cache, read_only=True)
    return CodeIndex(analysis.project, analysis.facts(), analysis.plain_graph())
