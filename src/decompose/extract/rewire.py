"""Rewire the monolith to use an extracted service (branch by abstraction).

:func:`rewire` computes every change to the monolith as ``{relative path: new text}``
without writing anything: the client package (:mod:`decompose.extract.client`), the
call sites re-pointed to it, the settings switch, the URLconf switch, bridged signal
imports, foreign keys cut to id fields with their migration, and
``# TODO(decompose): ...`` comments where code cannot be rewritten. Each concern is
one LibCST codemod (``decompose.extract.codemods.*``).

Writing them is :mod:`decompose.extract.changeset`'s job (``apply_changes``: all or
none, journalled, an interrupted run recovered before anything is computed again).

Running it again on the rewired monolith (with the plan stored in
``<project>/services/<service>.plan.json``) changes nothing.
"""

from __future__ import annotations

import ast
import dataclasses
import difflib
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import libcst as cst
from libcst.codemod import Codemod, CodemodContext

from decompose.config import DEFAULT_MAX_FILE_BYTES
from decompose.errors import DecomposeError, InputError
from decompose.extract import migrations as mig
from decompose.extract.client import ClientLocation, client_files, client_location, client_module
from decompose.extract.client.exports import MovedName
from decompose.extract.client.kept import KeptBase, bases_module, kept_base, previous_moved_names
from decompose.extract.client.web import routes_package, web_files
from decompose.extract.codemods.call_sites import MovedModules, RetargetGetModel, RetargetImports
from decompose.extract.codemods.chain import ChainCommand
from decompose.extract.codemods.fk_to_id import ForeignKeyToIdField
from decompose.extract.codemods.installed_apps import ServiceSwitchSettings
from decompose.extract.codemods.migration_code import MovedMigrationDependencies
from decompose.extract.codemods.signal_bridge import BridgeSignalImports
from decompose.extract.codemods.todo_comments import AddTodoComments
from decompose.extract.codemods.urlconf import ServiceSwitchUrls
from decompose.extract.monolith_requirements import client_requirement_changes
from decompose.extract.plan import ExtractionPlan, service_identifier
from decompose.extract.settings_inline import inline_star_imports
from decompose.extract.urlconfs import MirroredUrlconf, permission_codes, read_urlconfs
from decompose.project import SettingsRead, import_root_of, read_settings
from decompose.scan.fallback import MAX_BRACKET_DEPTH, max_bracket_depth
from decompose.scan.source import read_text, walk_files

SKIP_DIRS = {"__pycache__", "node_modules", "venv", ".venv", "env", "build", "dist", "site-packages"}
REQUIREMENTS = ("httpx>=0.27", "pybreaker>=1.0", "stamina>=25.1", "PyJWT>=2.8")
MANAGER_METHODS = (
    "all",
    "filter",
    "exclude",
    "get",
    "count",
    "exists",
    "first",
    "last",
    "create",
    "add",
    "remove",
    "aggregate",
    "annotate",
    "values",
    "values_list",
    "order_by",
    "update",
    "delete",
)


@dataclass(frozen=True, slots=True)
class Todo:
    """Something left for a person: where, which pattern to apply, why."""

    path: str
    line: int
    pattern: str
    message: str

    def to_dict(self) -> dict[str, object]:
        return {"path": self.path, "line": self.line, "pattern": self.pattern, "message": self.message}


@dataclass(frozen=True, slots=True)
class Rewiring:
    """Every change to the monolith for one service, computed but not written."""

    root: Path
    service: str
    changes: dict[str, str]
    todos: tuple[Todo, ...] = ()
    #: FK cuts made: "app.Model.field → field_id (column c)"
    column_changes: tuple[str, ...] = ()
    rewritten_imports: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    staying_tests: dict[str, str] = field(default_factory=dict)
    #: where the client package went, and why
    client: ClientLocation | None = None
    #: remote mode's mirrors of the moved URLconfs the monolith includes (forwarded to the service)
    routes: tuple[MirroredUrlconf, ...] = ()
    #: permission codes the moved code checks (carried by the identity assertion)
    permissions: tuple[str, ...] = ()

    def diff(self) -> str:
        """Unified diff of the monolith, paths relative to its root (``a/...`` → ``b/...``)."""
        out: list[str] = []
        for rel in sorted(self.changes):
            path = self.root / rel
            old = path.read_text(encoding="utf-8") if path.is_file() else None
            new = self.changes[rel]
            if old == new:
                continue
            out.extend(
                difflib.unified_diff(
                    (old or "").splitlines(keepends=True),
                    new.splitlines(keepends=True),
                    fromfile=f"a/{rel}" if old is not None else "/dev/null",
                    tofile=f"b/{rel}",
                )
            )
        return "".join(out)

    def effective(self) -> dict[str, str]:
        """Only the files whose text actually changes."""
        out = {}
        for rel, text in self.changes.items():
            path = self.root / rel
            if not path.is_file() or path.read_text(encoding="utf-8") != text:
                out[rel] = text
        return dict(sorted(out.items()))


# -- source helpers --------------------------------------------------------------


def _source_prefixes(root: Path) -> tuple[str, ...]:
    """Where module names start, relative to ``root``: ``""``, and the import root (``src/``) when it differs."""
    rel = import_root_of(root).relative_to(root).as_posix()
    return ("",) if rel in ("", ".") else ("", rel + "/")


def _module_path(root: Path, dotted: str) -> str | None:
    base = dotted.replace(".", "/")
    for prefix in _source_prefixes(root):
        for cand in (f"{prefix}{base}.py", f"{prefix}{base}/__init__.py"):
            if (root / cand).is_file():
                return cand
    return None


def _module_source(root: Path, dotted: str) -> tuple[str, bool] | None:
    """A module's text and whether it is a package, None when it is not a readable file of the project."""
    rel = _module_path(root, dotted)
    text = read_text(root, rel) if rel is not None else None
    return None if rel is None or text is None else (text, rel.endswith("/__init__.py"))


def _module_name(root: Path, rel: str) -> tuple[str, bool]:
    """The dotted name of the file ``rel`` (below the import root) and whether it is a package's ``__init__``."""
    for prefix in sorted(_source_prefixes(root), key=len, reverse=True):
        if rel.startswith(prefix):
            rel = rel[len(prefix) :]
            break
    package = rel.endswith("/__init__.py") or rel == "__init__.py"
    base = rel[: -len("/__init__.py")] if package else rel.removesuffix(".py")
    return base.replace("/", "."), package


def _read_monolith_settings(root: Path, module: str) -> SettingsRead:
    """The settings ``module`` read statically through its star-import chain (files read through scan.source)."""

    def source(name: str) -> tuple[bytes, bool, str] | None:
        rel = _module_path(root, name)
        text = read_text(root, rel) if rel is not None else None
        if rel is None or text is None:
            return None
        return text.encode("utf-8"), rel.endswith("/__init__.py"), rel

    return read_settings(module, source)


def _app_modules(root: Path, plan: ExtractionPlan) -> tuple[str, ...]:
    """Dotted names of the moved apps as INSTALLED_APPS and ``include()`` spell them (``src/`` stripped)."""
    if plan.app_modules:
        return tuple(dict.fromkeys(plan.app_module(a) for a in plan.apps))
    out: list[str] = []
    for a in plan.apps:
        path = plan.app_paths.get(a, a).rstrip("/")
        for prefix in _source_prefixes(root):
            if path.startswith(prefix):
                out.append(path[len(prefix) :].replace("/", "."))
    return tuple(dict.fromkeys(out))


def _python_files(root: Path) -> list[str]:
    found: list[str] = []
    for entry in sorted(os.listdir(root)):
        if entry.startswith(".") or entry in SKIP_DIRS:
            continue
        if entry.endswith(".py"):
            found.append(entry)
        elif os.path.isdir(os.path.join(root, entry)):
            found += [f for f in walk_files(root, entry, DEFAULT_MAX_FILE_BYTES)[0] if f.endswith(".py")]
    return found


def _staying_files(root: Path, plan: ExtractionPlan, location: ClientLocation) -> list[str]:
    """The staying Python files (not the moved apps, the client package or migrations), found with the
    analysis's filters: regular files, the size cap, no symlink out of the project."""
    moved = [plan.app_paths.get(a, a.replace(".", "/")).rstrip("/") for a in plan.apps]
    services = location.folder
    out = []
    for rel in _python_files(root):
        parts = rel.split("/")
        if not rel.endswith(".py") or any(x in SKIP_DIRS or x.startswith(".") for x in parts[:-1]):
            continue
        if any(rel == m or rel.startswith(m + "/") for m in moved) or rel.startswith(services + "/"):
            continue
        if "migrations" in parts[:-1]:
            continue
        if rel in plan.moved_files:
            continue
        if rel in plan.staying_tests and not is_test_support(rel, read_text(root, rel)):
            continue  # the moved apps' tests kept with the monolith test the moved code in-process: left alone
        out.append(rel)
    return out


_TEST_MODULE = re.compile(r"(^test_.*|.*_tests?)\.py$")


def is_test_support(rel: str, source: str | None) -> bool:
    """Whether a test file is test *support* (factories, fixtures, helpers, ``conftest.py``), not tests: it is not
    named as a test module (``test_*.py``, ``*_test.py``) and defines no test at its top level (no ``test*``
    function, no ``Test*`` class). Staying test support that imports moved models is rewired through the client like
    other staying code: the monolith's suite loads it in remote mode too (pretalx's ``tests/factories/mail.py``).

    >>> is_test_support("tests/factories.py", "class F: ..."), is_test_support("tests/t.py", "def test_a(): 1")
    (True, False)
    """
    name = rel.rsplit("/", 1)[-1]
    if source is None or (name != "conftest.py" and _TEST_MODULE.match(name)):
        return False
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return False
    return not any(
        (isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name.startswith("test"))
        or (isinstance(n, ast.ClassDef) and n.name.startswith("Test"))
        for n in tree.body
    )


#: the client's forms of a staying migration's references to a moved app (fields.py)
_HELD_BY_CLIENT = frozenset(
    {
        "service_migration",
        "historical",
        "unless_remote",
        "ServiceForeignKey",
        "ServiceOneToOneField",
        "ServiceManyToManyField",
    }
)


def _labels_left(text: str) -> set[str]:
    """The app labels a migration still names outside what the client holds (``service_migration(...)``,
    ``historical(...)``, the cut's fields): ``apps.get_model("app", ...)`` / ``("app.Model")``, a relation's
    ``to="app.model"``, a ``("app", "0001_x")`` pair; empty when it does not parse."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return set()

    def text_of(node: ast.AST) -> str | None:
        return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None

    skipped = {  # RunPython code run only when local
        a.id
        for n in ast.walk(tree)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "unless_remote"
        for a in n.args
        if isinstance(a, ast.Name)
    }
    out: set[str] = set()
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.FunctionDef) and node.name in skipped:
            continue
        if isinstance(node, ast.Call):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name in _HELD_BY_CLIENT:
                continue
            first = text_of(node.args[0]) if node.args else None
            if name == "get_model" and first:
                out.add(first.split(".", 1)[0])
            to = next((text_of(k.value) for k in node.keywords if k.arg == "to"), None)
            if to and "." in to:
                out.add(to.split(".", 1)[0])
        elif isinstance(node, ast.Tuple) and len(node.elts) == 2:
            pair = [text_of(e) for e in node.elts]
            if pair[0] and pair[1] and re.fullmatch(r"\d{4}_\w+|__first__|__latest__", pair[1]):
                out.add(pair[0])
        stack.extend(ast.iter_child_nodes(node))
    return out


def _history_notes(root: Path, plan: ExtractionPlan, changes: dict[str, str]) -> list[str]:
    """Staying migrations that still name a moved app after the rewire (its dependencies and relations are held
    through the client, ``_moved_migration_dependencies``): a ``RunPython`` reading the moved app's models, a
    form the rewire does not rewrite; remote mode cannot run them as they are."""
    moved_folders = [plan.app_paths.get(a, a).rstrip("/") for a in plan.apps]
    out: list[str] = []
    for rel in _python_files(root):
        parts = rel.split("/")
        if len(parts) < 2 or parts[-2] != "migrations" or any(rel.startswith(m + "/") for m in moved_folders):
            continue
        text = changes.get(rel) or read_text(root, rel)
        if text is None:
            continue
        named = _labels_left(text)
        for app in plan.apps:
            if app in named:
                out.append(
                    f"{rel} still names {app} (a model read in RunPython, or a form the rewire does not rewrite), "
                    f"which is not installed in remote mode: edit it before building a database in remote mode"
                )
                break
    return out


# -- the rewiring ---------------------------------------------------------------------


def _contract_config(
    root: Path, plan: ExtractionPlan, root_urlconf: str | None, package: str
) -> tuple[str, str | None]:
    """The project's decompose config with a ``check`` contract that keeps staying code off the moved apps
    except through the generated client, so re-coupling fails ``decompose check`` in CI (merged, never
    duplicated: a second rewiring changes nothing)."""
    from decompose.check import extraction_contract, merge_contracts

    rel = (
        "pyproject.toml"
        if read_text(root, "decompose.toml") is None and read_text(root, "pyproject.toml")
        else "decompose.toml"
    )
    text = read_text(root, rel) or ""
    contract = extraction_contract(
        plan.service,
        [plan.app_module(a) for a in plan.apps],
        package,
        settings_modules=(plan.settings_module,) if plan.settings_module else (),
        urlconf=root_urlconf,
    )
    try:
        merged = merge_contracts(text, [contract], pyproject=rel == "pyproject.toml")
    except DecomposeError as exc:
        raise InputError(f"{rel}: cannot add the extraction's check contract ({exc})") from None
    return rel, (merged if merged != text else None)


def stored_plan_path(plan_or_service: ExtractionPlan, location: ClientLocation) -> str:
    """Where the plan a monolith was rewired with is kept: in its client package."""
    return f"{location.folder}/{plan_or_service.service}.plan.json"


def load_stored_plan(root: Path, plan: ExtractionPlan, client_package: str | None = None) -> ExtractionPlan:
    """The plan the monolith was rewired with (if any), else ``plan``: a second run changes nothing."""
    if not plan.settings_module:
        return plan
    rel = stored_plan_path(plan, client_location(plan, root, client_package))
    text = read_text(root, rel)
    if text is not None:
        try:
            return ExtractionPlan.from_dict(json.loads(text))
        except ValueError:
            raise InputError(
                f"{root / rel}: not a readable extraction plan; delete it to rewire from scratch"
            ) from None
    return plan


def rewire(plan: ExtractionPlan, root: Path, client_package: str | None = None) -> Rewiring:
    """Every change to the monolith at ``root`` that makes it use ``plan.service``, unwritten.

    The client package goes where :func:`~decompose.extract.client.client_location` says:
    ``client_package`` when given, else the project's ``[tool.decompose.extract] client_package``,
    else a package next to the settings module that git does not ignore.
    """
    root = Path(root)
    if not plan.settings_module:
        raise InputError("cannot rewire: the monolith's settings module was not found")
    settings_rel = _module_path(root, plan.settings_module)
    if settings_rel is None:
        raise InputError(f"cannot rewire: settings module {plan.settings_module} not found under {root}")
    location = client_location(plan, root, client_package)
    client = client_module(plan, location)
    pkg = location.package
    changes: dict[str, str] = {}
    todos: list[Todo] = []
    rewritten: list[str] = []
    notes: list[str] = []
    column_changes: list[str] = []
    switch_modules = _app_modules(root, plan)

    mapping: dict[str, dict[str, str]] = {}
    for f in plan.interface_functions:
        mapping.setdefault(f.module, {})[f.name] = client
    for mdl in plan.interface_models:
        mapping.setdefault(mdl.module, {})[mdl.name] = client
    signal_modules = sorted({b.signal.rsplit(".", 1)[0] for b in plan.signal_bridges if b.sender_side == "service"})
    to_moved = [c for c in plan.fk_cuts if c.direction == "to_moved"]
    fk_by_file: dict[str, dict[tuple[str, str], str]] = {}  # file → (model class, field) → the moved model
    for c in to_moved:
        fk_by_file.setdefault(c.evidence.path, {})[(c.model.split(".", 1)[1], c.field)] = c.target
    manual_by_file: dict[str, list[Todo]] = {}
    # lines of a stored plan predate the first run's edits: its TODOs are already placed
    rewired_before = (root / stored_plan_path(plan, location)).is_file()
    for s in () if rewired_before else plan.manual_steps:
        manual_by_file.setdefault(s.path, []).append(Todo(s.path, s.line, s.pattern, s.message))

    if read_text(root, settings_rel) is None:
        raise InputError(f"cannot rewire: the settings module {settings_rel} cannot be read as a regular file")
    # INSTALLED_APPS and ROOT_URLCONF are edited where they are defined (the settings module or a module
    # it star-imports); a form the switches cannot handle stops the rewiring (never a silent no-op)
    settings = _read_monolith_settings(root, plan.settings_module)
    installed_in = settings.defined_in.get("INSTALLED_APPS")
    if installed_in is None:
        why = f" ({settings.warnings[0]})" if settings.warnings else ""
        raise InputError(
            f"cannot rewire: {settings_rel}: no INSTALLED_APPS found in it or the modules it star-imports{why}"
        )
    installed_rel = _module_path(root, installed_in)
    entries = settings.constants.get("INSTALLED_APPS")
    url_value = settings.constants.get("ROOT_URLCONF")
    root_urlconf = url_value if isinstance(url_value, str) else None
    if root_urlconf is None:
        where = settings.defined_in.get("ROOT_URLCONF")
        raise InputError(
            f"cannot rewire: {settings_rel}: ROOT_URLCONF "
            + (f"in {where} is not a string literal" if where else "is not set in it or the modules it star-imports")
            + ", so the moved apps' URLs cannot be switched"
        )
    urls_rel = _module_path(root, root_urlconf)
    if urls_rel is None:
        raise InputError(
            f"cannot rewire: ROOT_URLCONF {root_urlconf} (from {settings_rel}) is not a module of the project"
        )
    done: set[str] = set()
    fk_details: dict[str, list[mig.FieldCut]] = {}
    # how staying code may spell a moved name: the moved modules' re-exports (package __init__s)
    moved_modules = MovedModules.read(plan.moved_modules, lambda name: _module_source(root, name))
    retarget_all = RetargetImports(CodemodContext(), mapping, moved_modules)
    exporting = retarget_all.exporting
    # a relative import of one spells its last part only (`from ..mail.models import QueuedMail`)
    exporting_leaves = {m.rsplit(".", 1)[-1] for m in exporting}
    moved_only: dict[str, tuple[MovedName, str]] = {}  # names of moved code with no remote form, by name
    mirrors_package = routes_package(pkg, plan.service)
    mounted: set[str] = set()  # moved URLconfs the staying URLconfs include: mirrored for remote mode

    for rel in _staying_files(root, plan, location):
        source = read_text(root, rel)
        if source is None:
            notes.append(f"{rel}: cannot be read as a regular file; left unchanged")
            continue
        try:
            ast.parse(source)  # LibCST's parser is only given what the standard parser accepts
        except (SyntaxError, ValueError, MemoryError, RecursionError) as exc:
            notes.append(f"{rel}: not parsed ({type(exc).__name__}); left unchanged")
            continue
        # what remote mode breaks here was found by the planner (plan.manual_steps): comments at those lines
        file_todos = sorted(set(manual_by_file.get(rel, [])), key=lambda t: (t.line, t.message))
        if rel in fk_by_file and not rewired_before:
            for model, fname in sorted(fk_by_file[rel]):
                c = next(x for x in to_moved if x.evidence.path == rel and x.field == fname)
                file_todos.append(
                    Todo(
                        rel,
                        c.evidence.line,
                        "reference by id",
                        f"{model}.{fname} now holds the id of {c.target} (in the {plan.service} service): "
                        f"read the object through the service's API",
                    )
                )
        todos.extend(file_todos)
        # a URLconf below the root one that includes a moved app's URLs (or mounts its views) is switched too
        sub_urls = rel != urls_rel and "urlpatterns" in source and any(mod in source for mod in switch_modules)
        touches = (
            bool(file_todos)
            or sub_urls
            or rel in (installed_rel, urls_rel)
            or any(mod in source for mod in (*mapping, *signal_modules, *exporting))
            or ("from ." in source and any(leaf in source for leaf in exporting_leaves))
        )
        if not touches:
            continue  # nothing to rewrite here: skip the (slow) LibCST parse
        if max_bracket_depth(source.encode("utf-8", "surrogateescape")) > MAX_BRACKET_DEPTH:
            # LibCST's native parser overflows its stack on such input (it would kill this process)
            notes.append(f"{rel}: brackets nested too deeply for LibCST; left unchanged (rewrite it by hand)")
            continue
        try:
            module = cst.parse_module(source)
        except cst.ParserSyntaxError as exc:
            notes.append(f"{rel}: not parsed by LibCST ({exc.message}); left unchanged")
            continue
        by_line: dict[int, list[str]] = {}
        for t in file_todos:
            text = f"{t.pattern}: {t.message}"
            if f"# TODO(decompose): {text}" not in source:  # already marked by an earlier run
                by_line.setdefault(t.line, []).append(text)
        context = CodemodContext(filename=rel)
        steps: list[Codemod] = [AddTodoComments(context, by_line)] if by_line else []
        dotted, is_package = _module_name(root, rel)
        url_switched = rel == urls_rel or sub_urls  # the URL switch handles its imports of the moved apps
        imports = RetargetImports(
            context, mapping, moved_modules, dotted, package=is_package, leave=switch_modules if url_switched else ()
        )
        getmodel = RetargetGetModel(context, dict.fromkeys(plan.apps, plan.service), f"{pkg}.runtime")
        signals = BridgeSignalImports(context, plan.signal_bridges, client)
        fk = ForeignKeyToIdField(context, fk_by_file.get(rel, {}), service=plan.service, fields_module=f"{pkg}.fields")
        steps += [
            imports,
            *([getmodel] if "get_model" in source else []),
            signals,
            *([fk] if rel in fk_by_file else []),
        ]
        switch = urls = None
        if rel == installed_rel:
            switch = ServiceSwitchSettings(
                context,
                plan.service,
                switch_modules,
                pkg,
                entries=entries if isinstance(entries, tuple) else None,
                user_model=plan.user_model,
            )
            steps.append(switch)
        if url_switched:
            urls = ServiceSwitchUrls(
                context, plan.service, switch_modules, pkg, mount_inbound=rel == urls_rel, mirrors=mirrors_package
            )
            steps.append(urls)
        try:
            module = ChainCommand(context, steps).transform_module(module)
        except RecursionError:
            if rel in (installed_rel, urls_rel):
                raise InputError(f"cannot rewire: {rel} is nested too deeply for LibCST to rewrite") from None
            notes.append(f"{rel}: nested too deeply for LibCST's visitors; left unchanged (rewrite it by hand)")
            continue
        if switch is not None and not switch.switched:
            raise InputError(f"cannot rewire: {rel}: INSTALLED_APPS not switched: {switch.problem}")
        if urls is not None:
            for included, form in urls.unswitched:
                raise InputError(
                    f"cannot rewire: {rel}: include({included!r}) in `{form}`, a form the URL switch cannot handle "
                    "(build urlpatterns from a list, i18n_patterns(...), += or + static(...))"
                )
            if rel == urls_rel and not urls.has_urlpatterns:
                raise InputError(f"cannot rewire: {rel} (ROOT_URLCONF): no module-level urlpatterns assignment")
        done.update(r for r in (installed_rel, urls_rel) if r == rel)
        if urls is not None:
            mounted.update(urls.mounted)
        rewritten.extend(f"{rel}: {n}" for n in imports.rewritten)
        for name, moved_name in sorted(imports.moved_only.items()):
            known = moved_only.setdefault(name, (moved_name, rel))
            if known[0] != moved_name:
                raise InputError(
                    f"cannot rewire: {rel} imports {moved_name.module}.{moved_name.attribute} and {known[1]} imports "
                    f"{known[0].module}.{known[0].attribute}: the client exports one name {name} for both; rename one"
                )
        rewritten.extend(f"{rel}: apps.get_model({n!r}) (remote stand-in when remote)" for n in getmodel.rewritten)
        rewritten.extend(f"{rel}: {n} (bridged signal)" for n in signals.rewritten)
        for (model, fname), (kind, field_source) in sorted(fk.details.items()):
            c = next(
                x for x in to_moved if x.evidence.path == rel and x.field == fname and x.model.endswith("." + model)
            )
            app = c.model.split(".", 1)[0]
            fk_details.setdefault(app, []).append(mig.FieldCut(model, fname, c.target, kind, field_source))
            column_changes.append(
                f"{c.model}.{fname} ({kind} to {c.target}) → {field_source.split('(', 1)[0].rpartition('.')[2]} on "
                f"column {c.column}: the relation without its database constraint when {plan.service} is local, "
                "the id when remote"
            )
        if module.code != source:
            changes[rel] = module.code

    # the settings must not need moved code: a star import of a moved module becomes that module's values
    for rel in sorted({r for r in (settings_rel, installed_rel) if r}):
        current = changes.get(rel) or read_text(root, rel)
        if current is None or " import *" not in current:
            continue
        sources: dict[str, str] = {}
        for mod in plan.moved_modules:
            path = _module_path(root, mod) if f"from {mod} import *" in current else None
            found = read_text(root, path) if path else None
            if found is not None:
                sources[mod] = found
        inlined, inline_notes = inline_star_imports(current, sources, plan.service)
        notes.extend(f"{rel}: {n}" for n in inline_notes)
        if inlined != current:
            changes[rel] = inlined
    for what, target in (("INSTALLED_APPS", installed_rel or installed_in), ("ROOT_URLCONF", urls_rel)):
        if target not in done:
            raise InputError(
                f"cannot rewire: {target} ({what}) is not a staying, readable Python file the rewire can edit"
            )
    for app, cuts in sorted(fk_details.items()):
        if app not in plan.app_paths:  # a plan written before it named them: never a guessed folder
            raise InputError(
                f"cannot rewire: the plan does not say where app {app!r} is (its models' foreign keys to "
                f"{plan.service} are cut and need a migration there); plan the extraction again"
            )
        folder = root / plan.app_paths[app] / "migrations"
        if mig.existing_cut_migration(folder, plan.service):
            continue
        name = mig.migration_name(folder, plan.service)
        rel = (Path(plan.app_paths[app]) / "migrations" / f"{name}.py").as_posix()
        changes[rel] = mig.migration_source(app, mig.leaf_migrations(folder, app), cuts, plan.service)

    changes.update(_moved_migration_dependencies(root, plan, location, notes))
    notes.extend(_history_notes(root, plan, changes))
    routes, permissions = _web_face(root, plan, mounted, switch_modules)
    changes.update(web_files(pkg, location.folder, plan.service, routes, permissions, plan.web, plan.fk_cuts))
    for name, rel in sorted(plan.web.shared_templates.items()):  # the monolith still renders them in remote mode
        template = read_text(root, rel)
        if template is None:
            notes.append(f"remote mode: {rel} ({name}) is rendered by staying code but cannot be read: copy it by hand")
            continue
        changes[f"{location.folder}/templates/{name}"] = template
    if plan.web.shared_templates:
        notes.append(
            f"remote mode: staying templates and code render {len(plan.web.shared_templates)} of the moved templates "
            f"({', '.join(sorted(plan.web.shared_templates))}): {location.folder}/templates/ keeps copies for when the "
            "moved apps are not installed; keep them in sync, or move those templates out of the moved apps"
        )
    for conf in routes:
        notes.extend(
            f"remote mode: {u}; {conf.module}'s mirror forwards every other path under its prefix to the service"
            " (a catch-all), and names defined there are not reversible"
            for u in conf.unread
        )
        notes.extend(f"remote mode: {n}" for n in conf.notes)
    returns = {f.qualname: f.returns_class for f in plan.interface_functions if f.returns_class}
    client_rel = f"{location.folder}/{service_identifier(plan.service)}.py"
    for name, defining, attribute in previous_moved_names(read_text(root, client_rel) or ""):
        moved_only.setdefault(name, (MovedName(name, defining, attribute), client_rel))  # found by an earlier run
    kept_names, kept_files, kept_notes = _kept_bases(root, plan, location, moved_only, retarget_all.loading)
    changes.update(kept_files)
    notes.extend(kept_notes)
    changes.update(client_files(plan, return_types=returns, location=location, moved_only=kept_names))
    notes.append(f"the client package is {pkg} ({location.folder}/: {location.reason})")
    changes[stored_plan_path(plan, location)] = plan.to_json()
    config_rel, config_text = _contract_config(root, plan, root_urlconf, pkg)
    if config_text is not None:
        changes[config_rel] = config_text
    # the client's packages where the monolith declares its dependencies, in its style
    declared, declared_notes = client_requirement_changes(root, REQUIREMENTS)
    changes.update(declared)
    notes.extend(declared_notes)
    staying_tests = dict(plan.staying_tests)
    return Rewiring(
        root=root,
        service=plan.service,
        changes=dict(sorted(changes.items())),
        todos=tuple(sorted(set(todos), key=lambda t: (t.path, t.line, t.message))),
        column_changes=tuple(column_changes),
        rewritten_imports=tuple(rewritten),
        notes=tuple(notes),
        staying_tests=staying_tests,
        client=location,
        routes=routes,
        permissions=permissions,
    )


def _moved_migration_dependencies(
    root: Path, plan: ExtractionPlan, location: ClientLocation, notes: list[str]
) -> dict[str, str]:
    """The staying apps' migrations depending on the moved apps' migrations, their dependencies held through the
    client (``codemods.migration_code.MovedMigrationDependencies``): remote mode's graph has no node of a moved
    app. Operations are untouched; local mode's graph is the same."""
    labels = dict.fromkeys(plan.apps, plan.service)
    moved = [plan.app_paths.get(a, a.replace(".", "/")).rstrip("/") for a in plan.apps]
    quoted = tuple(f"{q}{a}{q}" for a in plan.apps for q in "\"'")
    out: dict[str, str] = {}
    for rel in _python_files(root):
        parts = rel.split("/")
        if len(parts) < 2 or parts[-2] != "migrations" or not re.match(r"\d{4}_\w+\.py$", parts[-1]):
            continue
        if any(rel.startswith(m + "/") for m in moved) or rel.startswith(location.folder + "/"):
            continue
        source = read_text(root, rel)
        if source is None or not any(q in source for q in quoted):
            continue
        try:
            module = cst.parse_module(source)
        except cst.ParserSyntaxError:
            notes.append(f"{rel}: not parsed by LibCST; its dependencies on {', '.join(plan.apps)} left unchanged")
            continue
        cm = MovedMigrationDependencies(CodemodContext(filename=rel), labels, f"{location.package}.fields")
        new = cm.transform_module(module).code
        if new != source:
            out[rel] = new
            if cm.rewritten:
                notes.append(
                    f"{rel}: its dependencies on {', '.join(sorted(set(cm.rewritten)))} hold only when {plan.service} "
                    "is local (remote mode does not load the moved apps' migrations)"
                )
            if cm.skipped:
                notes.append(
                    f"{rel}: its RunPython code reading moved models ({', '.join(sorted(set(cm.skipped)))}) runs only "
                    f"when {plan.service} is local (fields.unless_remote)"
                )
            if cm.relations:
                notes.append(
                    f"{rel}: its relations to moved models ({', '.join(sorted(set(cm.relations)))}) are what the cut "
                    f"makes of them when {plan.service} is remote (fields.historical: the moved models are not in "
                    "remote mode's migration state)"
                )
    return out


def _kept_bases(
    root: Path,
    plan: ExtractionPlan,
    location: ClientLocation,
    moved_only: dict[str, tuple[MovedName, str]],
    loading: frozenset[str],
) -> tuple[list[MovedName], dict[str, str], list[str]]:
    """The moved names staying code imports through the client, with the abstract model bases among them kept
    as copies for remote mode (``<client>/<service>_bases.py``, :mod:`decompose.extract.client.kept`), the
    file, and a note for each base kept or not."""
    module = f"{location.package}.{service_identifier(plan.service)}_bases"
    copies = f"{location.package}.{service_identifier(plan.service)}_kept"
    copied = plan.remote_classes.kept_names  # code the plan copied into the stand-ins' module
    names: list[MovedName] = []
    kept: list[KeptBase] = []
    notes: list[str] = []
    for moved, rel in sorted(moved_only.values(), key=lambda m: m[0].name):
        dotted = f"{moved.module}.{moved.attribute}"
        if copied.get(dotted) == moved.attribute:
            names.append(dataclasses.replace(moved, copy=copies))
            notes.append(
                f"remote mode: {dotted}, moved code staying code imports ({rel}), is kept as a copy in {copies}"
            )
            continue
        found = _module_source(root, moved.module)
        copy = (
            kept_base(found[0], moved.module, moved.attribute, package=found[1], loading=loading)
            if found is not None
            else None
        )
        if copy is not None and not copy.why:
            kept.append(copy)
            names.append(dataclasses.replace(moved, copy=module))
            notes.append(
                f"remote mode: {moved.module}.{moved.attribute}, an abstract model base staying models inherit "
                f"({rel}), is kept as a copy in {module}"
            )
            continue
        if copy is not None and "not an abstract model" not in copy.why:
            notes.append(f"remote mode: {moved.module}.{moved.attribute} is not kept for staying models: {copy.why}")
        names.append(moved)
    if not kept:
        return names, {}, notes
    return (
        names,
        {f"{location.folder}/{service_identifier(plan.service)}_bases.py": bases_module(plan.service, kept)},
        notes,
    )


def _web_face(
    root: Path, plan: ExtractionPlan, mounted: set[str], app_modules: tuple[str, ...]
) -> tuple[tuple[MirroredUrlconf, ...], tuple[str, ...]]:
    """The mirrors of the moved URLconfs ``mounted`` by staying URLconfs, and the permission codes the
    moved code checks, read as text (never imported)."""

    def source(name: str) -> tuple[str, bool] | None:
        rel = _module_path(root, name)
        text = read_text(root, rel) if rel is not None else None
        return None if rel is None or text is None else (text, rel.endswith("/__init__.py"))

    routes = read_urlconfs(sorted(mounted), source, app_modules)
    moved = [
        f for f in plan.moved_files if f.endswith(".py") and "/migrations/" not in f"/{f}" and "/tests/" not in f"/{f}"
    ]
    texts = [(f, t) for f in sorted(moved) if (t := read_text(root, f)) is not None]
    return routes, permission_codes(texts)
