"""Codemod for STAYING code: imports of moved symbols → the service's client module.

``from payments.services import capture_payment, payment_as_dict`` where
``capture_payment`` is an interface function becomes
``from shop.services.payments import capture_payment`` (and the names the client
does not provide keep their original import, flagged by the TODO pass). The client
functions have the same names and signatures, so call sites change only their
import; model instances passed across are turned into ids (or DTOs) by the client,
as the API defines. Function-local imports are rewritten where they stand.

Example::

    >>> import libcst as cst
    >>> from libcst.codemod import CodemodContext
    >>> mod = cst.parse_module("from payments.services import charge as c\\n")
    >>> cmd = RetargetImports(CodemodContext(), {"payments.services": {"charge": "shop.services.payments"}})
    >>> cmd.transform_module(mod).code
    'from shop.services.payments import charge as c\\n'
"""

from __future__ import annotations

import ast
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import NoReturn

import libcst as cst
from libcst.codemod import CodemodContext, VisitorBasedCodemodCommand
from libcst.codemod.visitors import AddImportsVisitor
from libcst.helpers import get_absolute_module_from_package_for_import, get_full_name_for_node
from libcst.metadata import PositionProvider

from decompose.errors import InputError
from decompose.extract.client.exports import MovedName
from decompose.scan.source import absolute_module


def _top_level(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """The statements a module runs at import: its body and what ``if``/``try``/``with`` hold (not functions,
    classes or ``if TYPE_CHECKING:``)."""
    for st in body:
        yield st
        if isinstance(st, ast.If):
            test = st.test
            name = test.attr if isinstance(test, ast.Attribute) else test.id if isinstance(test, ast.Name) else ""
            if name != "TYPE_CHECKING":
                yield from _top_level(st.body)
            yield from _top_level(st.orelse)
        elif isinstance(st, ast.Try):
            for part in (st.body, *(h.body for h in st.handlers), st.orelse, st.finalbody):
                yield from _top_level(part)
        elif isinstance(st, ast.With):
            yield from _top_level(st.body)


@dataclass(frozen=True, slots=True)
class MovedModules:
    """What the staying code may import the moved names through: each moved module's top-level imports.

    ``table``: a name as a moved module exposes it → the dotted name it imported
    (``pretalx.mail.models.QueuedMail`` → ``pretalx.mail.models.queued_mail.QueuedMail``, from
    ``from .queued_mail import QueuedMail`` in the package's ``__init__``); ``stars``: a moved module → the
    modules it star-imports; ``modules``: every moved module (to tell a module bound by an import from a name).
    """

    table: Mapping[str, str] = field(default_factory=dict)
    stars: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    modules: frozenset[str] = frozenset()
    #: a moved module → the modules its top-level imports load (``from x import y``: x, and x.y when a module)
    imports: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def read(cls, modules: Iterable[str], source: Callable[[str], tuple[str, bool] | None]) -> MovedModules:
        """Read ``modules`` (``source``: module → (its text, whether it is a package), None when unreadable);
        a module that does not parse re-exports nothing."""
        table: dict[str, str] = {}
        stars: dict[str, tuple[str, ...]] = {}
        loads: dict[str, tuple[str, ...]] = {}
        names = sorted(set(modules))
        for mod in names:
            found = source(mod)
            if found is None:
                continue
            text, is_package = found
            try:
                tree = ast.parse(text)
            except (SyntaxError, ValueError, MemoryError, RecursionError):
                continue
            package = mod if is_package else mod.rpartition(".")[0]
            starred: list[str] = []
            loaded: set[str] = set()
            for st in _top_level(tree.body):
                if isinstance(st, ast.ImportFrom):
                    base = absolute_module(package, st.module, st.level)
                    for a in st.names if base else ():
                        loaded |= {base, f"{base}.{a.name}"}
                        if a.name == "*":
                            starred.append(base)
                        else:
                            table[f"{mod}.{a.asname or a.name}"] = f"{base}.{a.name}"
                elif isinstance(st, ast.Import):
                    for a in st.names:
                        loaded.add(a.name)
                        if a.asname:
                            table[f"{mod}.{a.asname}"] = a.name
            if starred:
                stars[mod] = tuple(starred)
            loads[mod] = tuple(sorted(loaded))
        return cls(table, stars, frozenset(names), loads)

    def loading(self, base: Iterable[str]) -> frozenset[str]:
        """The moved modules whose import loads one of ``base`` (themselves included): through their
        top-level imports and their packages' ``__init__`` modules, which Python runs first."""

        def parents(name: str) -> list[str]:
            parts = name.split(".")
            return [".".join(parts[:i]) for i in range(1, len(parts) + 1)]

        out = set(base)
        grew = True
        while grew:
            grew = False
            for mod in sorted(self.modules - out):
                reached = {p for m in (*self.imports.get(mod, ()), mod) for p in parents(m)} - {mod}
                if reached & out:
                    out.add(mod)
                    grew = True
        return frozenset(out)

    def canonical(self, dotted: str) -> str:
        """``dotted`` followed through the explicit re-exports to where it is defined (as far as they go)."""
        seen: set[str] = set()
        while dotted in self.table and dotted not in seen:
            seen.add(dotted)
            dotted = self.table[dotted]
        return dotted

    def resolve(self, dotted: str, exported: Mapping[str, str]) -> str:
        """``dotted`` followed through the re-exports to a name of ``exported`` when it leads to one."""
        seen: set[str] = set()
        todo = [dotted]
        while todo:
            name = todo.pop()
            if name in exported:
                return name
            if name in seen:
                continue
            seen.add(name)
            if name in self.table:
                todo.append(self.table[name])
            mod, _, attr = name.rpartition(".")
            todo.extend(f"{other}.{attr}" for other in reversed(self.stars.get(mod, ())))
        return dotted


@dataclass(frozen=True, slots=True)
class _Binding:
    """An import binding a moved module (that loads exported names) as a module."""

    client: str  # the client module bound instead
    module: str  # the moved module
    form: str  # the import as written (normalised)
    line: int


class RetargetImports(VisitorBasedCodemodCommand):
    """Re-point every import of a moved name the client exports (models, tasks, signals, functions) to the client.

    ``mapping``: defining module → {name → client module}. The name is found through the moved modules'
    re-exports (``moved``: ``from pretalx.mail.models import QueuedMail``, re-exported by the package's
    ``__init__``), relative imports (``module``: the dotted name of the file rewritten) and aliases.
    Names the client does not export stay in the original import; the moved ones go to one import per
    client module, placed right after it (same block, so function-local imports stay local).

    A moved module that defines or re-exports exported names, bound as a module (``from pretalx.mail import
    models as m``, ``import pretalx.mail.models as m``, ``import pretalx.mail.models``), binds the client
    module instead when every use through it is an exported name (``m.QueuedMail``; ``pretalx.mail.models.X``
    becomes ``<client>.X``). Used otherwise, or star-imported, it would load the moved models in remote mode,
    where their app is not installed: the rewiring stops (:class:`~decompose.errors.InputError` naming the
    file, line and form), never leaves it half-done.
    """

    DESCRIPTION = "Import moved symbols from the service's client module."
    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(
        self,
        context: CodemodContext,
        mapping: Mapping[str, Mapping[str, str]],
        moved: MovedModules | None = None,
        module: str = "",
        *,
        package: bool = False,
        leave: Iterable[str] = (),
    ) -> None:
        super().__init__(context)
        #: moved modules (and their submodules) whose imports another codemod handles here: the URL switch
        #: wraps a URLconf's imports of the moved apps' views and URLconfs in ``if service_is_local(...)``
        self.leave = tuple(leave)
        self.mapping = {k: dict(v) for k, v in mapping.items()}
        self.moved = moved or MovedModules()
        self.module_name = module
        self.package = module if package else module.rpartition(".")[0]
        #: dotted name (as defined) → the client module exporting it
        self.exported = {f"{mod}.{n}": client for mod, table in self.mapping.items() for n, client in table.items()}
        self.exporting = self._exporting()
        #: the moved modules whose import loads an exporting one (remote mode could not import them)
        self.loading = self.moved.loading(self.exporting)
        clients = sorted(set(self.exported.values()))
        self.client = clients[0] if len(clients) == 1 else None
        #: names of moved code with no remote form imported through the client (see MovedName), by name
        self.moved_only: dict[str, MovedName] = {}
        self.rewritten: list[str] = []
        #: bound name → the moved module it binds as a module
        self._bound: dict[str, _Binding] = {}

    def _exporting(self) -> frozenset[str]:
        """The moved modules whose import defines or re-exports a name the client exports."""
        out = {name.rpartition(".")[0] for name in self.exported}
        for key in self.moved.table:
            if self.moved.resolve(key, self.exported) in self.exported:
                out.add(key.rpartition(".")[0])
        grew = True
        while grew:
            grew = False
            for mod, others in self.moved.stars.items():
                if mod not in out and any(o in out for o in others):
                    out.add(mod)
                    grew = True
        return frozenset(out)

    def left(self, module: str) -> bool:
        """Whether imports of ``module`` are left to another codemod (``leave``)."""
        return any(module == p or module.startswith(p + ".") for p in self.leave)

    def client_of(self, dotted: str) -> tuple[str, str] | None:
        """(client module, exported name) for a moved name, through re-exports; None when not exported."""
        full = self.moved.resolve(dotted, self.exported)
        client = self.exported.get(full)
        return None if client is None else (client, full.rpartition(".")[2])

    def moved_only_name(self, module: str, name: str) -> MovedName | None:
        """The client's export of ``module.name`` when it is a name (not a module) of a moved module whose
        import loads the moved models, not exported otherwise: remote mode gets a stand-in refusing use."""
        full = f"{module}.{name}"
        if self.client is None or full in self.moved.modules or module not in self.loading & self.moved.modules:
            return None
        defining, _, attr = self.moved.canonical(full).rpartition(".")
        if defining not in self.moved.modules:
            defining, attr = module, name
        return MovedName(attr, defining, attr)

    def _use_moved_only(self, line: int, form: str, found: MovedName) -> None:
        known = self.moved_only.get(found.name)
        if known is not None and known != found:
            self.stop(
                line,
                form,
                f"imports {found.module}.{found.attribute} while the file imports {known.module}.{known.attribute} "
                "too: the client exports one name for both; rename one",
            )
        self.moved_only[found.name] = found

    def absolute(self, node: cst.ImportFrom) -> str | None:
        """The module ``node`` imports from, relative imports resolved (None above the top package)."""
        if node.relative:
            try:
                return get_absolute_module_from_package_for_import(self.package or None, node)
            except ValueError:
                return None
        return get_full_name_for_node(node.module) if node.module is not None else None

    def stop(self, line: int, form: str, why: str) -> NoReturn:
        where = f"{self.context.filename or self.module_name or '<module>'}:{line}"
        raise InputError(f"cannot rewire: {where}: `{form}` {why}")

    def visit_Module(self, node: cst.Module) -> bool:
        """Find the imports binding moved modules first, and what the file uses through them."""
        binder = _ModuleBindings(self)
        node.visit(binder)
        self._bound = binder.bound
        uses: dict[str, set[str | None]] = {b: set() for b in self._bound}
        node.visit(_BindingUses(uses))
        clients = {b.client for b in self._bound.values()}
        for bound, b in self._bound.items():
            bad: list[str] = []
            for n in sorted(uses[bound], key=lambda x: x or ""):
                found = self.moved_only_name(b.module, n) if n is not None else None
                if n is None or (self.client_of(f"{b.module}.{n}") is None and found is None):
                    bad.append(n or "the module itself")
                elif found is not None and self.client_of(f"{b.module}.{n}") is None:
                    self._use_moved_only(b.line, b.form, found)
            if bad:
                self.stop(
                    b.line,
                    b.form,
                    f"binds {b.module}, a moved module that loads the moved models, and uses {', '.join(bad[:5])} "
                    "through it, which the client cannot give (a module, or the module as a value): remote mode "
                    "could not load it; import the names from the client",
                )
            top = bound.split(".", 1)[0]
            if "." in bound and any(c.split(".", 1)[0] != top for c in clients):
                self.stop(b.line, b.form, f"binds {top}, which the client module {b.client} does not start with")
        return True

    # -- from x import y ----------------------------------------------------------------------------

    def _split(self, node: cst.ImportFrom) -> list[cst.ImportFrom] | None:
        module = self.absolute(node)
        if module is None or isinstance(node.names, cst.ImportStar) or self.left(module):
            return None
        keep: list[cst.ImportAlias] = []
        moved: dict[str, list[cst.ImportAlias]] = {}
        for alias in node.names:
            name = get_full_name_for_node(alias.name) or ""
            bound = alias.evaluated_alias or name
            binding = self._bound.get(bound)
            if binding is not None and binding.module == f"{module}.{name}":
                pkg, _, leaf = binding.client.rpartition(".")
                moved.setdefault(pkg, []).append(_renamed(alias, leaf, bound))
                self.rewritten.append(f"{binding.module} (as the client module {binding.client})")
                continue
            target = self.client_of(f"{module}.{name}")
            found = self.moved_only_name(module, name) if target is None else None
            if found is not None and self.client is not None:
                line = self.get_metadata(PositionProvider, node, None)
                self._use_moved_only(line.start.line if line is not None else 0, f"from {module} import {name}", found)
                target = (self.client, found.name)
            if target is None:
                keep.append(alias)
                continue
            client, exported = target
            moved.setdefault(client, []).append(_renamed(alias, exported, bound))
            self.rewritten.append(name)
        if not moved:
            return None

        def clean(aliases: list[cst.ImportAlias]) -> list[cst.ImportAlias]:
            return [a.with_changes(comma=cst.MaybeSentinel.DEFAULT) for a in aliases]

        result: list[cst.ImportFrom] = []
        if keep:
            result.append(node.with_changes(names=clean(keep), lpar=None, rpar=None))
        for into in sorted(moved):
            new_module = cst.parse_expression(into)
            assert isinstance(new_module, (cst.Name, cst.Attribute))
            if not keep and len(moved) == 1:
                result.append(node.with_changes(module=new_module, relative=[], names=clean(moved[into])))
            else:
                result.append(cst.ImportFrom(module=new_module, names=clean(moved[into])))
        return result

    def leave_SimpleStatementLine(
        self, original_node: cst.SimpleStatementLine, updated_node: cst.SimpleStatementLine
    ) -> cst.BaseStatement | cst.FlattenSentinel[cst.BaseStatement]:
        if len(updated_node.body) != 1:
            return updated_node
        stmt = updated_node.body[0]
        if isinstance(stmt, cst.Import):
            new = self._import(stmt)
            return updated_node if new is None else updated_node.with_changes(body=[new])
        if not isinstance(stmt, cst.ImportFrom):
            return updated_node
        parts = self._split(stmt)
        if parts is None:
            return updated_node
        lines: list[cst.BaseStatement] = [updated_node.with_changes(body=[parts[0]])]
        for extra in parts[1:]:
            lines.append(cst.SimpleStatementLine(body=[extra]))
        return cst.FlattenSentinel(lines) if len(lines) > 1 else lines[0]

    # -- import x.y [as z] ----------------------------------------------------------------------------

    def _import(self, node: cst.Import) -> cst.Import | None:
        changed = False
        names: list[cst.ImportAlias] = []
        for alias in node.names:
            dotted = get_full_name_for_node(alias.name) or ""
            binding = self._bound.get(alias.evaluated_alias or dotted)
            if binding is None or binding.module != dotted:
                names.append(alias)
                continue
            client = cst.parse_expression(binding.client)
            assert isinstance(client, (cst.Name, cst.Attribute))
            names.append(alias.with_changes(name=client))
            self.rewritten.append(f"{dotted} (as the client module {binding.client})")
            changed = True
        return node.with_changes(names=names) if changed else None

    def leave_Attribute(self, original_node: cst.Attribute, updated_node: cst.Attribute) -> cst.BaseExpression:
        """``pretalx.mail.models.QueuedMail`` (after ``import pretalx.mail.models``) → ``<client>.QueuedMail``."""
        dotted = get_full_name_for_node(original_node)
        head, _, attr = (dotted or "").rpartition(".")
        binding = self._bound.get(head)
        if binding is None or "." not in head:
            return updated_node  # an alias (`m.QueuedMail`) keeps its name: the import binds the client
        client = cst.parse_expression(binding.client)
        return updated_node.with_changes(value=client, attr=cst.Name(attr))


def _renamed(alias: cst.ImportAlias, name: str, bound: str) -> cst.ImportAlias:
    """``alias`` importing ``name`` and still binding ``bound``."""
    if (get_full_name_for_node(alias.name) or "") == name:
        return alias
    return alias.with_changes(name=cst.Name(name), asname=None if bound == name else cst.AsName(cst.Name(bound)))


class _ModuleBindings(cst.CSTVisitor):
    """The imports binding, as a module, a moved module that defines or re-exports exported names; a star
    import of one stops the rewiring (see :class:`RetargetImports`)."""

    def __init__(self, owner: RetargetImports) -> None:
        super().__init__()
        self.owner = owner
        self.bound: dict[str, _Binding] = {}

    def _line(self, node: cst.CSTNode) -> int:
        return self.owner.get_metadata(PositionProvider, node).start.line

    def _bind(self, node: cst.CSTNode, bound: str, module: str, form: str) -> None:
        if self.owner.left(module):
            return
        clients = sorted(set(self.owner.exported.values()))
        if len(clients) != 1:
            self.owner.stop(
                self._line(node),
                form,
                f"binds {module}, a moved module, while {len(clients)} client modules export "
                "the moved names; import the names one by one",
            )
        self.bound[bound] = _Binding(clients[0], module, form, self._line(node))

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        module = self.owner.absolute(node)
        if module is None:
            return False
        if isinstance(node.names, cst.ImportStar):
            if module in self.owner.exporting and not self.owner.left(module):
                self.owner.stop(
                    self._line(node),
                    f"from {module} import *",
                    "star-imports a moved module that defines or re-exports what the client exports: remote mode "
                    "could not load it; import the names from the client",
                )
            return False
        for alias in node.names:
            name = get_full_name_for_node(alias.name) or ""
            full = f"{module}.{name}"
            if full in self.owner.loading and full in self.owner.moved.modules and self.owner.client_of(full) is None:
                bound = alias.evaluated_alias or name
                self._bind(
                    node, bound, full, f"from {module} import {name}" + (f" as {bound}" if bound != name else "")
                )
        return False

    def visit_Import(self, node: cst.Import) -> bool:
        for alias in node.names:
            dotted = get_full_name_for_node(alias.name) or ""
            if dotted in self.owner.loading and dotted in self.owner.moved.modules:
                bound = alias.evaluated_alias or dotted
                self._bind(node, bound, dotted, f"import {dotted}" + (f" as {bound}" if bound != dotted else ""))
        return False


class _BindingUses(cst.CSTVisitor):
    """What a file uses through each bound module: ``m.QueuedMail`` → ``QueuedMail``; ``m`` alone → None."""

    def __init__(self, uses: dict[str, set[str | None]]) -> None:
        super().__init__()
        self.uses = uses

    def visit_Import(self, node: cst.Import) -> bool:
        return False

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        return False

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        dotted = get_full_name_for_node(node)
        for bound, names in self.uses.items() if dotted is not None else ():
            if dotted == bound:
                names.add(None)  # the module itself (its chain alone, not followed by a name)
                return False
            if dotted is not None and dotted.startswith(bound + "."):
                names.add(dotted[len(bound) + 1 :].split(".", 1)[0])
                return False
        node.value.visit(self)  # `obj.models`: the attribute's own name is not the bound one
        return False

    def visit_Arg(self, node: cst.Arg) -> bool:
        node.value.visit(self)  # `f(models=...)`: a keyword is not a use
        return False

    def visit_Name(self, node: cst.Name) -> bool:
        if node.value in self.uses:
            self.uses[node.value].add(None)
        return False


class RetargetGetModel(VisitorBasedCodemodCommand):
    """``apps.get_model("payments", "Payment")`` → ``service_model("payments", "payments.Payment")``.

    ``service_model`` (in the client runtime) returns the model itself when the service
    is local and the read-only stand-in over the service's API when it is remote.
    ``labels``: app label → service, for the apps that moved.
    """

    DESCRIPTION = "Resolve moved models through the service's client."

    def __init__(self, context: CodemodContext, labels: Mapping[str, str], runtime_module: str) -> None:
        super().__init__(context)
        self.labels = dict(labels)
        self.runtime = runtime_module
        self.rewritten: list[str] = []

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        func = updated_node.func
        name = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else ""
        if name != "get_model" or any(a.keyword is not None for a in updated_node.args):
            return updated_node
        strs = [
            v
            for a in updated_node.args
            if isinstance(a.value, cst.SimpleString) and isinstance(v := a.value.evaluated_value, str)
        ]
        if len(strs) != len(updated_node.args) or not strs or len(strs) > 2:
            return updated_node
        label = ".".join(strs) if len(strs) == 2 else str(strs[0])
        app = label.split(".", 1)[0]
        if app not in self.labels or "." not in label:
            return updated_node
        self.rewritten.append(label)
        AddImportsVisitor.add_needed_import(self.context, self.runtime, "service_model")
        return cst.parse_expression(f"service_model({json.dumps(self.labels[app])}, {json.dumps(label)})")
