"""Source facts the extraction plan needs and the graph does not carry.

Signatures, model fields, lookups, signal senders and receivers are read from
the project's files *as text* with :mod:`ast`; nothing is imported or run.
Everything here is a pure function of the files under ``root``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from decompose.errors import InputError

SKIP_DIRS = {".git", ".venv", "venv", "node_modules", "__pycache__", ".tox", ".mypy_cache", ".pytest_cache", "build", "dist"}
FIELD_SUFFIXES = ("Field", "ForeignKey")
RELATION_TYPES = ("ForeignKey", "OneToOneField", "ManyToManyField")
SIGNAL_CLASSES = {"django.dispatch.Signal", "django.dispatch.dispatcher.Signal"}
MODEL_BASES = {
    "django.db.models.Model", "django.db.models.base.Model",
    "django.contrib.auth.models.AbstractUser", "django.contrib.auth.models.AbstractBaseUser",
    "django.contrib.auth.base_user.AbstractBaseUser", "django.contrib.auth.models.PermissionsMixin",
}  # fmt: skip
ATOMIC = {"django.db.transaction.atomic"}
BUILTIN_SIGNALS = {
    f"django.db.models.signals.{n}"
    for n in ("pre_save", "post_save", "pre_delete", "post_delete", "m2m_changed", "pre_init", "post_init")
}
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

    @property
    def is_relation(self) -> bool:
        return self.type in RELATION_TYPES

    @property
    def attname(self) -> str:
        return f"{self.name}_id" if self.type in ("ForeignKey", "OneToOneField") else self.name

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
        return [f for f in self.fields if f.type != "ManyToManyField"]


@dataclass(slots=True)
class Module:
    name: str
    path: str  # POSIX, relative to root
    app: str | None
    test: bool
    migration: bool
    tree: ast.Module
    source: str
    imports: dict[str, str] = field(default_factory=dict)  # local name → dotted target
    defs: dict[str, ast.AST] = field(default_factory=dict)  # top-level name → def/class/assign node

    @property
    def package(self) -> str:
        if self.path.endswith("__init__.py"):
            return self.name
        return self.name.rpartition(".")[0]


def iter_python_files(root: Path) -> Iterator[Path]:
    for p in sorted(root.rglob("*.py")):
        rel = p.relative_to(root).parts
        if any(part in SKIP_DIRS or part.startswith(".") for part in rel[:-1]):
            continue
        yield p


def module_name(rel: str) -> str:
    parts = rel[:-3].split("/")
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


class Project:
    """Every parsable module under ``root`` with its imports and top-level definitions."""

    def __init__(self, root: Path, app_paths: dict[str, str]) -> None:
        self.root = root
        self.modules: dict[str, Module] = {}
        self.app_paths = app_paths
        prefixes = sorted(((p.rstrip("/") + "/", a) for a, p in app_paths.items()), key=lambda x: -len(x[0]))
        for p in iter_python_files(root):
            rel = p.relative_to(root).as_posix()
            try:
                source = p.read_text(encoding="utf-8")
                tree = ast.parse(source, filename=rel)
            except (UnicodeDecodeError, SyntaxError, ValueError):
                continue
            app = next((a for pre, a in prefixes if rel.startswith(pre)), None)
            parts = rel.split("/")
            name = module_name(rel)
            if not name:
                continue
            m = Module(
                name=name,
                path=rel,
                app=app,
                test="tests" in parts[:-1] or parts[-1].startswith("test_") or parts[-1] in ("tests.py", "conftest.py"),
                migration="migrations" in parts[:-1],
                tree=tree,
                source=source,
            )
            self._index(m)
            self.modules[name] = m
        self.auth_user_model = "auth.User"
        for m in self.modules.values():
            if m.name.endswith("settings") or ".settings." in f".{m.name}.":
                node = m.defs.get("AUTH_USER_MODEL")
                if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
                    self.auth_user_model = node.value.value
                    break
        self.models: dict[str, ModelFacts] = {}  # qualname → facts
        self._find_models()
        self.signals: set[str] = set()
        self._find_signals()

    # -- names ---------------------------------------------------------------
    def _index(self, m: Module) -> None:
        for node in ast.walk(m.tree):
            if isinstance(node, ast.Import):
                for a in node.names:
                    if a.asname:
                        m.imports[a.asname] = a.name
                    else:
                        top = a.name.split(".")[0]
                        m.imports.setdefault(top, top)
            elif isinstance(node, ast.ImportFrom):
                base = self._absolute(m, node.module, node.level)
                for a in node.names:
                    if a.name == "*":
                        continue
                    m.imports[a.asname or a.name] = f"{base}.{a.name}" if base else a.name
        for node in m.tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                m.defs[node.name] = node
            elif isinstance(node, ast.Assign):
                for t in node.targets:
                    if isinstance(t, ast.Name):
                        m.defs[t.id] = node
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                m.defs[node.target.id] = node

    @staticmethod
    def _absolute(m: Module, module: str | None, level: int) -> str:
        if not level:
            return module or ""
        pkg = m.package.split(".") if m.package else []
        base = pkg[: len(pkg) - (level - 1)] if level > 1 else pkg
        return ".".join([*base, module] if module else base)

    def resolve(self, m: Module, node: ast.AST) -> str | None:
        """The dotted name an expression refers to (``Name``/``Attribute`` chains), or None."""
        if isinstance(node, ast.Name):
            if node.id in m.imports:
                return m.imports[node.id]
            if node.id in m.defs:
                return f"{m.name}.{node.id}"
            return None
        if isinstance(node, ast.Attribute):
            base = self.resolve(m, node.value)
            return f"{base}.{node.attr}" if base else None
        return None

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

    def model_by_name(self, dotted: str) -> ModelFacts | None:
        """A model by its qualname, following one level of re-export."""
        if dotted in self.models:
            return self.models[dotted]
        s = self.split_symbol(dotted)
        if s and "." not in s[1]:
            target = self.modules[s[0]].imports.get(s[1])
            if target and target in self.models:
                return self.models[target]
        return None

    def model_by_label(self, label: str) -> ModelFacts | None:
        for mf in self.models.values():
            if mf.label == label:
                return mf
        return None

    # -- models --------------------------------------------------------------
    def _find_models(self) -> None:
        classes: list[tuple[Module, ast.ClassDef, list[str]]] = []
        for m in self.modules.values():
            if m.migration:
                continue
            for node in m.tree.body:
                if isinstance(node, ast.ClassDef):
                    bases = [b for b in (self.resolve(m, b) for b in node.bases) if b]
                    classes.append((m, node, bases))
        known: dict[str, tuple[Module, ast.ClassDef, list[str]]] = {}
        changed = True
        while changed:
            changed = False
            for m, node, bases in classes:
                q = f"{m.name}.{node.name}"
                if q in known:
                    continue
                if any(b in MODEL_BASES or b in known or self._reexport(b, known) for b in bases):
                    known[q] = (m, node, bases)
                    changed = True
        for q in sorted(known):
            m, node, bases = known[q]
            meta = self._meta(node)
            app = meta.get("app_label") or m.app or m.name.split(".")[0]
            abstract = meta.get("abstract") is True
            table = meta.get("db_table") if isinstance(meta.get("db_table"), str) else f"{app}_{node.name.lower()}"
            mf = ModelFacts(f"{app}.{node.name}", q, m.name, node.lineno, abstract, str(table))
            self.models[q] = mf
        for q in sorted(known):
            m, node, bases = known[q]
            mf = self.models[q]
            inherited: list[ModelField] = []
            for b in bases:
                parent = self.model_by_name(b)
                if parent is not None and parent.abstract:
                    inherited.extend(self._fields(self.modules[parent.module], known[parent.qualname][1], parent))
            own = self._fields(m, node, mf)
            names = {f.name for f in own}
            mf.fields = [f for f in inherited if f.name not in names] + own

    def _reexport(self, dotted: str, known: dict[str, object]) -> bool:
        s = self.split_symbol(dotted)
        if not s or "." in s[1]:
            return False
        return self.modules[s[0]].imports.get(s[1]) in known

    @staticmethod
    def _meta(node: ast.ClassDef) -> dict[str, object]:
        out: dict[str, object] = {}
        for item in node.body:
            if isinstance(item, ast.ClassDef) and item.name == "Meta":
                for st in item.body:
                    if isinstance(st, ast.Assign) and isinstance(st.value, ast.Constant):
                        for t in st.targets:
                            if isinstance(t, ast.Name):
                                out[t.id] = st.value.value
        return out

    def _fields(self, m: Module, node: ast.ClassDef, owner: ModelFacts) -> list[ModelField]:
        out: list[ModelField] = []
        owner_app = owner.label.split(".")[0]
        for st in node.body:
            if not (isinstance(st, ast.Assign) and len(st.targets) == 1 and isinstance(st.targets[0], ast.Name)):
                continue
            call = st.value
            if not isinstance(call, ast.Call):
                continue
            fn = call.func.attr if isinstance(call.func, ast.Attribute) else call.func.id if isinstance(call.func, ast.Name) else ""
            if not fn.endswith(FIELD_SUFFIXES):
                continue
            kw = {k.arg: k.value for k in call.keywords if k.arg}
            f = ModelField(st.targets[0].id, st.lineno, fn)
            f.nullable = isinstance(kw.get("null"), ast.Constant) and kw["null"].value is True
            if "db_column" in kw and isinstance(kw["db_column"], ast.Constant):
                f.db_column = str(kw["db_column"].value)
            for opt in ("max_length", "max_digits", "decimal_places"):
                v = kw.get(opt)
                if isinstance(v, ast.Constant) and isinstance(v.value, int) and not isinstance(v.value, bool):
                    f.options[opt] = v.value
            if fn in RELATION_TYPES:
                to = call.args[0] if call.args else kw.get("to")
                f.target = self._relation_target(m, to, owner_app, owner.label)
                if "on_delete" in kw:
                    f.on_delete = ast.unparse(kw["on_delete"])
                elif len(call.args) > 1:
                    f.on_delete = ast.unparse(call.args[1])
            out.append(f)
        return out

    def _relation_target(self, m: Module, to: ast.AST | None, app: str, own_label: str) -> str | None:
        if isinstance(to, ast.Constant) and isinstance(to.value, str):
            v = to.value
            if v == "self":
                return own_label
            return v if "." in v else f"{app}.{v}"
        if to is None:
            return None
        dotted = self.resolve(m, to)
        if dotted is None:
            return None
        if dotted.endswith("AUTH_USER_MODEL"):
            return self.auth_user_model
        mf = self.model_by_name(dotted)
        return mf.label if mf else None

    # -- signals ---------------------------------------------------------------
    def _find_signals(self) -> None:
        for m in self.modules.values():
            for name, node in m.defs.items():
                if isinstance(node, (ast.Assign, ast.AnnAssign)) and isinstance(node.value, ast.Call):
                    fn = self.resolve(m, node.value.func)
                    if fn in SIGNAL_CLASSES or (fn or "").endswith(".Signal"):
                        self.signals.add(f"{m.name}.{name}")

    def signal_of(self, m: Module, node: ast.AST) -> str | None:
        dotted = self.resolve(m, node)
        if dotted is None:
            return None
        if dotted in self.signals or dotted in BUILTIN_SIGNALS:
            return dotted
        s = self.split_symbol(dotted)
        if s and "." not in s[1]:
            target = self.modules[s[0]].imports.get(s[1])
            if target in self.signals:
                return target
        return None


def parent_map(tree: ast.AST) -> dict[ast.AST, ast.AST]:
    out: dict[ast.AST, ast.AST] = {}
    for node in ast.walk(tree):
        for child in ast.iter_child_nodes(node):
            out[child] = node
    return out


def require_dir(root: Path) -> Path:
    if not root.is_dir():
        raise InputError(f"{root}: not a directory")
    return root


def _literal_strings(node: ast.AST) -> list[str]:
    if isinstance(node, (ast.List, ast.Tuple)):
        return [e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _literal_strings(node.left) + _literal_strings(node.right)
    return []


def discover(root: Path) -> tuple[str | None, list[tuple[str, str, str]]]:
    """The settings module and ``(label, dotted name, folder)`` of every local Django app, statically.

    Used when no graph from the analyser is at hand: INSTALLED_APPS is read from
    the first settings file defining it; entries that are folders under
    ``root`` are the project's apps (``x.apps.XConfig`` entries name their
    package). Without settings, every package holding an ``apps.py`` is an app.
    """
    require_dir(root)
    settings_module: str | None = None
    entries: list[str] = []
    for p in iter_python_files(root):
        rel = p.relative_to(root).as_posix()
        if not (p.name == "settings.py" or "/settings/" in f"/{rel}"):
            continue
        try:
            tree = ast.parse(p.read_text(encoding="utf-8"))
        except (SyntaxError, UnicodeDecodeError, ValueError):
            continue
        for st in tree.body:
            if isinstance(st, (ast.Assign, ast.AugAssign)):
                targets = st.targets if isinstance(st, ast.Assign) else [st.target]
                if any(isinstance(t, ast.Name) and t.id == "INSTALLED_APPS" for t in targets):
                    entries += _literal_strings(st.value)
                    settings_module = settings_module or module_name(rel)
        if entries:
            break
    apps: list[tuple[str, str, str]] = []
    candidates: list[str] = []
    if entries:
        for e in entries:
            parts = e.split(".")
            if len(parts) >= 3 and parts[-2] == "apps" and parts[-1][:1].isupper():
                parts = parts[:-2]
            candidates.append(".".join(parts))
    else:
        candidates = sorted(module_name(p.relative_to(root).as_posix()) for p in iter_python_files(root) if p.name == "apps.py")
        candidates = [c.rsplit(".", 1)[0] for c in candidates]
    for name in candidates:
        folder = root / name.replace(".", "/")
        if not folder.is_dir():
            continue
        label = name.rsplit(".", 1)[-1]
        apps_py = folder / "apps.py"
        if apps_py.is_file():
            try:
                for n in ast.walk(ast.parse(apps_py.read_text(encoding="utf-8"))):
                    if isinstance(n, ast.Assign) and isinstance(n.value, ast.Constant) and isinstance(n.value.value, str):
                        if any(isinstance(t, ast.Name) and t.id == "label" for t in n.targets):
                            label = n.value.value
            except (SyntaxError, UnicodeDecodeError, ValueError):
                pass
        apps.append((label, name, name.replace(".", "/")))
    return settings_module, sorted(set(apps))
