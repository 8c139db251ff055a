"""LibCST codemod commands applied to the code that MOVES into the service.

One :class:`~libcst.codemod.VisitorBasedCodemodCommand` per concern, chained for one
file by :func:`moved_module_command` and :func:`migration_command` (a
:class:`~decompose.extract.codemods.chain.ChainCommand`). Never string surgery:
every change is a change of the syntax tree, so formatting and comments elsewhere
survive byte-for-byte.

Names are matched by what they are, not by how they are spelled: every command asks
LibCST's ``FullyQualifiedNameProvider`` (so ``import a.b as c``, ``from pkg import x``
and relative imports resolve to the same dotted name) and maps that name through
:class:`ReExports` (so ``from orders.models import Order``, re-exported by
``orders/models/__init__.py``, is ``orders.models.order.Order``). Imports the commands
need are asked for with ``AddImportsVisitor.add_needed_import`` and the ones they make
useless with ``RemoveImportsVisitor``: LibCST places and removes them.

- :class:`RetargetImports` — ``from orders.signals import order_placed`` →
  ``from payments_service.signals import order_placed`` (bridged signals);
  ``from orders.models import Order`` / ``from orders.services import mark_paid``
  → ``from payments_service.monolith import ...`` (references by id, HTTP call
  backs), with a ``# TODO(decompose): ...`` comment where a call back is needed;
  ``services.mark_paid()`` through a module import → ``payments_service.monolith.mark_paid()``.
- :class:`ForeignKeyToId` — ``order = models.ForeignKey("orders.Order", ...)``
  → ``order_id = models.BigIntegerField(db_index=True)``: same column, no FK,
  plus an ``order`` property returning a reference by id (and a setter), so
  ``Payment(order=o)`` and ``payment.order.pk`` keep working.
- :class:`RenameCutLookups` — ``Payment.objects.filter(order=...)`` →
  ``order_id=...`` (also ``order__id`` / ``order__pk``), and cut names dropped
  from ``select_related(...)``.
- :class:`DropStayingSender` — ``@receiver(order_placed, sender=Order)`` loses
  ``sender=`` for bridged signals (the bridge sends with ``sender=None``).
- :class:`DropDefinitions` — top-level tests that stay with the monolith, and the
  imports only they used.
- :class:`MigrationCuts` — the same FK → id change inside migrations, and
  dependencies on staying apps dropped.
- :class:`TidyImports` — a parenthesized import that lost names keeps one name a line.

Parameters are values: :class:`SymbolMove`, :class:`ModuleStandIn`, :class:`ModelCut`
(the plan's :class:`~decompose.extract.plan.ForeignKeyCut` with its model class),
:class:`ReExports`, and :class:`MovedModuleEdits` for one module.

Example::

    >>> import libcst as cst
    >>> from decompose.extract.codemods.chain import module_context
    >>> src = "from orders.signals import order_placed\\n"
    >>> move = SymbolMove("orders.signals.order_placed", "svc.signals")
    >>> cmd = RetargetImports(module_context("pay.receivers"), [move])
    >>> cmd.transform_module(cst.parse_module(src)).code
    'from svc.signals import order_placed\\n'
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import libcst as cst
from libcst.codemod import Codemod, CodemodContext, VisitorBasedCodemodCommand
from libcst.codemod.visitors import AddImportsVisitor, RemoveImportsVisitor
from libcst.helpers import get_absolute_module_from_package_for_import
from libcst.metadata import FullyQualifiedNameProvider

from decompose.extract.codemods.chain import ChainCommand
from decompose.extract.codemods.migration_code import CutLookups, models_read
from decompose.extract.plan import ForeignKeyCut

TODO = "# TODO(decompose): "
#: where Django's ``receiver`` decorator is defined and re-exported
RECEIVERS = frozenset({"django.dispatch.receiver", "django.dispatch.dispatcher.receiver"})
MIGRATIONS = "django.db.migrations."


# -- parameters -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReExports:
    """Names a module binds by importing them: ``orders.models.Order`` → ``orders.models.order.Order``.

    ``table`` maps a dotted name as a module exposes it to the name it imported;
    :meth:`canonical` follows it (longest prefix first, through chains, never looping).
    """

    table: Mapping[str, str] = field(default_factory=dict)
    #: canonical name → last parts of the names re-exporting it (computed once)
    _aliases: Mapping[str, frozenset[str]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        aliases: dict[str, set[str]] = {}
        for key in self.table:
            aliases.setdefault(self.canonical(key), set()).add(key.rsplit(".", 1)[-1])
        object.__setattr__(self, "_aliases", {k: frozenset(v) for k, v in aliases.items()})

    def spellings(self, name: str) -> set[str]:
        """The words a reference to ``name`` spells somewhere in a file: its last part, or that of a
        name re-exporting it (``Order`` for ``orders.models.order.Order``)."""
        canon = self.canonical(name)
        return {name.rsplit(".", 1)[-1], canon.rsplit(".", 1)[-1], *self._aliases.get(canon, ())}

    def canonical(self, name: str) -> str:
        seen: set[str] = set()
        while name not in seen:
            seen.add(name)
            parts = name.split(".")
            for i in range(len(parts), 0, -1):
                head = ".".join(parts[:i])
                if head in self.table and self.table[head] != head:
                    name = ".".join([self.table[head], *parts[i:]])
                    break
            else:
                return name
        return name


@dataclass(frozen=True, slots=True)
class SymbolMove:
    """A staying symbol the moved code uses: where the service imports it from instead.

    ``module`` None: it has no stand-in; the import stays and gets the ``todo`` comment.
    """

    name: str
    module: str | None
    todo: str = ""


@dataclass(frozen=True, slots=True)
class ModuleStandIn:
    """A staying module the moved code imports as a module, replaced by one of the service's."""

    module: str
    stand_in: str

    @property
    def todo(self) -> str:
        return f"{self.module} stays in the monolith: its functions are called back over HTTP ({self.stand_in})"


@dataclass(frozen=True, slots=True)
class ModelCut:
    """A relation of a moved model to a staying one (the plan's cut), with the model class's dotted name."""

    cut: ForeignKeyCut
    model_class: str

    @property
    def many(self) -> bool:
        return self.cut.field_type == "ManyToManyField"

    @property
    def unique(self) -> bool:
        return self.cut.field_type == "OneToOneField"

    @property
    def attname(self) -> str:
        return f"{self.cut.field}_id"

    @property
    def model_name(self) -> str:
        """``payments.Payment`` → ``payment`` (how migrations name the model)."""
        return self.cut.model.split(".", 1)[1].lower()


# -- shared helpers ---------------------------------------------------------------------


class _Names(VisitorBasedCodemodCommand):
    """Fully qualified names (through re-exports), and comments above the innermost statement."""

    METADATA_DEPENDENCIES = (FullyQualifiedNameProvider,)

    def __init__(self, context: CodemodContext, reexports: ReExports | None = None) -> None:
        super().__init__(context)
        self.reexports = reexports or ReExports()
        self._statements: list[cst.CSTNode] = []
        self._notes: dict[cst.CSTNode, list[str]] = {}

    def names(self, node: cst.CSTNode) -> set[str]:
        found = self.get_metadata(FullyQualifiedNameProvider, node, set())
        return {self.reexports.canonical(q.name) for q in found}

    def note(self, comment: str) -> None:
        """Put ``comment`` (a whole comment line) above the statement being visited, once."""
        if comment and self._statements:
            notes = self._notes.setdefault(self._statements[-1], [])
            if comment not in notes:
                notes.append(comment)

    def on_visit(self, node: cst.CSTNode) -> bool:
        if isinstance(node, (cst.SimpleStatementLine, cst.BaseCompoundStatement)):
            self._statements.append(node)
        return super().on_visit(node)

    def on_leave(self, original_node: Any, updated_node: Any) -> Any:
        result = super().on_leave(original_node, updated_node)
        if isinstance(original_node, (cst.SimpleStatementLine, cst.BaseCompoundStatement)):
            self._statements.pop()
            notes = self._notes.pop(original_node, [])
            if notes and isinstance(result, (cst.SimpleStatementLine, cst.BaseCompoundStatement)):
                lines = list(result.leading_lines)
                if self.module.body and original_node is self.module.body[0]:
                    lines += self.module.header  # comments above the first statement belong to the module
                have = {ln.comment.value for ln in lines if ln.comment is not None}
                new = [cst.EmptyLine(comment=cst.Comment(c)) for c in notes if c not in have]
                if new:
                    result = result.with_changes(leading_lines=[*result.leading_lines, *new])
        return result


def _root(node: cst.BaseExpression) -> cst.BaseExpression:
    """The expression a call/attribute chain starts from: ``Payment.objects.filter(x).get`` → ``Payment``."""
    while True:
        if isinstance(node, cst.Attribute):
            node = node.value
        elif isinstance(node, cst.Call):
            node = node.func
        else:
            return node


def _chain(node: cst.BaseExpression) -> list[cst.BaseExpression]:
    """Every expression along a call/attribute chain, outermost first: ``pm.Payment.objects.get`` →
    ``[pm.Payment.objects.get, pm.Payment.objects, pm.Payment, pm]``."""
    out = []
    while True:
        if isinstance(node, cst.Call):
            node = node.func
            continue
        out.append(node)
        if not isinstance(node, cst.Attribute):
            return out
        node = node.value


def _dotted(name: str) -> cst.Attribute | cst.Name:
    node = cst.parse_expression(name)
    assert isinstance(node, (cst.Attribute, cst.Name))
    return node


def _without_last_comma(aliases: Sequence[cst.ImportAlias], parenthesized: bool) -> list[cst.ImportAlias]:
    out = list(aliases)
    if out and not parenthesized and isinstance(out[-1].comma, cst.Comma):
        out[-1] = out[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
    return out


# -- imports ----------------------------------------------------------------------------


class RetargetImports(_Names):
    """Import staying symbols from the service's stand-ins; flag what has none.

    ``moves``: staying symbols and where they come from instead (or only a TODO);
    ``stand_ins``: staying modules imported as modules, replaced by a service module.
    An import whose names all go to one module is renamed where it stands (comments
    and function-local position kept); names split off an import are asked for from
    ``AddImportsVisitor``. Uses through a module (``services.mark_paid()``) become the
    stand-in's dotted name, and the module import is removed once unused.
    """

    DESCRIPTION = "Import staying symbols from the service's stand-ins for them."

    def __init__(
        self,
        context: CodemodContext,
        moves: Iterable[SymbolMove] = (),
        stand_ins: Iterable[ModuleStandIn] = (),
        reexports: ReExports | None = None,
    ) -> None:
        super().__init__(context, reexports)
        self.moves = {self.reexports.canonical(m.name): m for m in moves}
        self.stand_ins = {self.reexports.canonical(s.module): s for s in stand_ins}

    def _alias(self, alias: cst.ImportAlias, obj: str, bound: str) -> cst.ImportAlias:
        if alias.evaluated_name == obj:
            return alias
        asname = alias.asname if alias.asname is not None else cst.AsName(cst.Name(bound))
        return alias.with_changes(name=cst.Name(obj), asname=None if bound == obj else asname)

    def leave_ImportFrom(self, original_node: cst.ImportFrom, updated_node: cst.ImportFrom) -> cst.ImportFrom:
        if isinstance(updated_node.names, cst.ImportStar):
            return updated_node
        module = get_absolute_module_from_package_for_import(self.context.full_package_name, updated_node)
        if module is None:
            return updated_node
        keep: list[cst.ImportAlias] = []
        moved: dict[str, list[tuple[cst.ImportAlias, str, str]]] = {}
        for alias in updated_node.names:
            name = alias.evaluated_name
            bound = alias.evaluated_alias or name
            full = self.reexports.canonical(f"{module}.{name}")
            if full in self.stand_ins:
                stand_in = self.stand_ins[full]
                self.note(TODO + stand_in.todo)
                target, _, obj = stand_in.stand_in.rpartition(".")
                moved.setdefault(target, []).append((alias, obj, bound))
            elif full in self.moves:
                move = self.moves[full]
                if move.todo:
                    self.note(TODO + move.todo)
                if move.module is None:
                    keep.append(alias)
                else:
                    moved.setdefault(move.module, []).append((alias, full.rsplit(".", 1)[1], bound))
            else:
                keep.append(alias)
        if not moved:
            return updated_node
        in_place = None if keep else next(iter(moved))
        for target, aliases in moved.items():
            if target != in_place:
                for _alias, obj, bound in aliases:
                    AddImportsVisitor.add_needed_import(self.context, target, obj, None if bound == obj else bound)
        parenthesized = updated_node.rpar is not None
        if in_place is None:
            return updated_node.with_changes(names=_without_last_comma(keep, parenthesized))
        names = [self._alias(a, obj, bound) for a, obj, bound in moved[in_place]]
        return updated_node.with_changes(
            module=_dotted(in_place), relative=[], names=_without_last_comma(names, parenthesized)
        )

    def leave_Import(
        self, original_node: cst.Import, updated_node: cst.Import
    ) -> cst.Import | cst.ImportFrom | cst.RemovalSentinel:
        keep: list[cst.ImportAlias] = []
        for alias in updated_node.names:
            full = self.reexports.canonical(alias.evaluated_name)
            bound = alias.evaluated_alias
            if bound is None or full not in self.stand_ins:
                keep.append(alias)
                continue
            stand_in = self.stand_ins[full]
            self.note(TODO + stand_in.todo)
            target, _, obj = stand_in.stand_in.rpartition(".")
            if len(updated_node.names) == 1:
                return cst.ImportFrom(
                    module=_dotted(target),
                    names=[self._alias(alias, obj, bound).with_changes(comma=cst.MaybeSentinel.DEFAULT)],
                )
            AddImportsVisitor.add_needed_import(self.context, target, obj, None if bound == obj else bound)
        if len(keep) == len(updated_node.names):
            return updated_node
        return updated_node.with_changes(names=_without_last_comma(keep, False))

    def leave_Attribute(self, original_node: cst.Attribute, updated_node: cst.Attribute) -> cst.BaseExpression:
        for name in sorted(self.names(original_node)):
            move = self.moves.get(name)
            if move is None or move.module is None:
                continue
            root = _root(original_node)
            if isinstance(root, cst.Name) and any(
                n in self.stand_ins and n.split(".", 1)[0] != root.value for n in self.names(root)
            ):
                return updated_node  # the module import itself becomes the stand-in
            if move.todo:
                self.note(TODO + move.todo)
            AddImportsVisitor.add_needed_import(self.context, move.module)
            RemoveImportsVisitor.remove_unused_import_by_node(self.context, original_node)
            return _dotted(f"{move.module}.{name.rsplit('.', 1)[1]}")
        return updated_node


# -- models -----------------------------------------------------------------------------


def _id_field(func: cst.BaseExpression, *, unique: bool, nullable: bool, db_column: str | None) -> cst.Call:
    prefix = func.value if isinstance(func, cst.Attribute) else None
    new_func: cst.BaseExpression = (
        cst.Attribute(prefix, cst.Name("BigIntegerField")) if prefix is not None else cst.Name("BigIntegerField")
    )
    args = [cst.Arg(cst.Name("True"), keyword=cst.Name("unique" if unique else "db_index"))]
    if nullable:
        args += [
            cst.Arg(cst.Name("True"), keyword=cst.Name("null")),
            cst.Arg(cst.Name("True"), keyword=cst.Name("blank")),
        ]
    if db_column:
        args.append(cst.Arg(cst.SimpleString(repr(db_column)), keyword=cst.Name("db_column")))
    eq = cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace(""))
    args = [a.with_changes(equal=eq) for a in args]
    comma = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
    return cst.Call(new_func, args=[a.with_changes(comma=comma) for a in args[:-1]] + args[-1:])


def _cut_id_field(cut: ModelCut, func: cst.BaseExpression) -> cst.Call:
    column = cut.cut.column
    return _id_field(
        func, unique=cut.unique, nullable=cut.cut.nullable, db_column=None if column == cut.attname else column
    )


class RenameFieldStrings(cst.CSTTransformer):
    """Inside Meta / migration options: ``"user"`` → ``"user_id"`` in ``fields=[...]``, ``ordering``,
    ``unique_together``, ``index_together`` (also ``"-user"``). Applied to a subtree by the commands."""

    KEYS = frozenset({"fields", "ordering", "unique_together", "index_together"})

    def __init__(self, names: Iterable[str]) -> None:
        super().__init__()
        self.names = set(names)
        self.depth = 0

    def _enter(self, key: str | None) -> None:
        if key in self.KEYS:
            self.depth += 1

    def _leave(self, key: str | None) -> None:
        if key in self.KEYS:
            self.depth -= 1

    def visit_Arg(self, node: cst.Arg) -> bool:
        self._enter(node.keyword.value if node.keyword else None)
        return True

    def leave_Arg(self, original_node: cst.Arg, updated_node: cst.Arg) -> cst.Arg:
        self._leave(original_node.keyword.value if original_node.keyword else None)
        return updated_node

    @staticmethod
    def _dict_key(node: cst.DictElement) -> str | None:
        key = node.key.evaluated_value if isinstance(node.key, cst.SimpleString) else None
        return key if isinstance(key, str) else None

    def visit_DictElement(self, node: cst.DictElement) -> bool:
        self._enter(self._dict_key(node))
        return True

    def leave_DictElement(self, original_node: cst.DictElement, updated_node: cst.DictElement) -> cst.DictElement:
        self._leave(self._dict_key(original_node))
        return updated_node

    @staticmethod
    def _assign_key(node: cst.Assign) -> str | None:
        t = node.targets[0].target if len(node.targets) == 1 else None
        return t.value if isinstance(t, cst.Name) else None

    def visit_Assign(self, node: cst.Assign) -> bool:
        self._enter(self._assign_key(node))
        return True

    def leave_Assign(self, original_node: cst.Assign, updated_node: cst.Assign) -> cst.Assign:
        self._leave(self._assign_key(original_node))
        return updated_node

    def leave_SimpleString(self, original_node: cst.SimpleString, updated_node: cst.SimpleString) -> cst.SimpleString:
        if not self.depth:
            return updated_node
        v = updated_node.evaluated_value
        if not isinstance(v, str):
            return updated_node
        sign, name = ("-", v[1:]) if v.startswith("-") else ("", v)
        if name in self.names:
            q = updated_node.quote
            return updated_node.with_changes(value=f"{updated_node.prefix}{q}{sign}{name}_id{q}")
        return updated_node


class ForeignKeyToId(_Names):
    """``field = ForeignKey(...)`` → ``field_id = BigIntegerField(...)`` for the given cuts.

    A field is the cut one when its fully qualified name is ``<model_class>.<field>``.
    With ``refs_module``, each converted field gets a property (and setter) returning a
    reference by id from that module, whose import is asked for. A many-to-many cut whose join table the
    service carries becomes, with ``refs_module``, a ``cut_relations.ManyToManyToMonolith`` field of the same name
    over it (the service's ``cut_relations.py``); any other is removed with a TODO.
    """

    DESCRIPTION = "Relations of moved models to staying ones become id columns."

    def __init__(
        self,
        context: CodemodContext,
        cuts: Iterable[ModelCut],
        refs_module: str | None = None,
        reexports: ReExports | None = None,
    ) -> None:
        super().__init__(context, reexports)
        self.cuts = {f"{c.model_class}.{c.cut.field}": c for c in cuts}
        self.models = {c.model_class for c in self.cuts.values() if not c.many}
        self.refs_module = refs_module
        #: model class → the cuts converted by this run, in source order
        self.converted: dict[str, list[ModelCut]] = {}

    def leave_Assign(self, original_node: cst.Assign, updated_node: cst.Assign) -> cst.Assign | cst.Pass:
        if len(original_node.targets) != 1 or not isinstance(original_node.targets[0].target, cst.Name):
            return updated_node
        found = [self.cuts[n] for n in sorted(self.names(original_node.targets[0].target)) if n in self.cuts]
        if not found:
            return updated_node
        cut = found[0]
        name = cut.cut.field
        if (
            cut.many
            and cut.cut.join_table
            and self.refs_module is not None
            and isinstance(updated_node.value, cst.Call)
        ):
            return self._many_to_monolith(cut, updated_node)
        if cut.many:
            self.note(
                f"{TODO}{name} was a many-to-many relation to {cut.cut.target}, which stays in the monolith; "
                + (
                    f"its join table {cut.cut.join_table} is the service's, with the ids of {cut.cut.target} "
                    f"(self.{name}_join.values_list(...))"
                    if cut.cut.join_table
                    else "its join table stays there too (keep ids here if the service needs them)"
                )
            )
            return cst.Pass()
        if not isinstance(updated_node.value, cst.Call):
            return updated_node
        self.note(
            f"# decompose: was a relation to {cut.cut.target}, which stays in the monolith; "
            f"same column {cut.cut.column}"
        )
        self.converted.setdefault(cut.model_class, []).append(cut)
        return updated_node.with_changes(
            targets=[updated_node.targets[0].with_changes(target=cst.Name(cut.attname))],
            value=_cut_id_field(cut, updated_node.value.func),
        )

    #: the keyword arguments of a many-to-many relation its cut keeps (what a ModelForm's field of it reads)
    MANY_KEPT = ("blank", "verbose_name", "help_text", "editable")

    def _many_to_monolith(self, cut: ModelCut, node: cst.Assign) -> cst.Assign:
        """``recipients = ManyToManyField(User, ...)`` → ``recipients = cut_relations.ManyToManyToMonolith("auth.User",
        ...)``: the relation's name on the moved model, over the service's join table (the service's
        ``cut_relations.py`` says how)."""
        package = self.refs_module.rpartition(".")[0] if self.refs_module else ""
        module = "cut_relations"
        AddImportsVisitor.add_needed_import(self.context, package, module)
        self.note(
            f"# decompose: was a many-to-many relation to {cut.cut.target}, which stays in the monolith; its join "
            f"table {cut.cut.join_table} is the service's ({cut.cut.field}_join rows, the ids of {cut.cut.target})"
        )
        call = node.value
        assert isinstance(call, cst.Call)
        kept = [a for a in call.args if a.keyword is not None and a.keyword.value in self.MANY_KEPT]
        target = cst.Arg(cst.SimpleString(json.dumps(cut.cut.target)))
        args = [target, *kept]
        args = [a.with_changes(comma=cst.MaybeSentinel.DEFAULT) for a in args]
        comma = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
        args = [a.with_changes(comma=comma) for a in args[:-1]] + args[-1:]
        func = cst.Attribute(value=cst.Name(module), attr=cst.Name("ManyToManyToMonolith"))
        return node.with_changes(value=cst.Call(func=func, args=args))

    def _properties(self, cut: ModelCut, alias: str) -> list[cst.BaseStatement]:
        name, target = cut.cut.field, json.dumps(cut.cut.target)
        getter = (
            f"@property\n"
            f"def {name}(self):\n"
            f'    """{cut.cut.target} stays in the monolith: a reference by id (decompose)."""\n'
            f"    return {alias}.held_ref(self, {json.dumps(name)}, {target}, self.{cut.attname})\n"
        )
        setter = f"@{name}.setter\ndef {name}(self, value):\n    self.{cut.attname} = {alias}.ref_id(value)\n"
        return [
            cst.parse_statement(code).with_changes(leading_lines=[cst.EmptyLine(indent=False)])
            for code in (getter, setter)
        ]

    def leave_ClassDef(self, original_node: cst.ClassDef, updated_node: cst.ClassDef) -> cst.ClassDef:
        if not isinstance(updated_node.body, cst.IndentedBlock):
            return updated_node
        for name in sorted(self.names(original_node)):
            owner, _, last = name.rpartition(".")
            if last == "Meta" and owner in self.models:
                fields = {c.cut.field for c in self.cuts.values() if c.model_class == owner and not c.many}
                return updated_node.visit(RenameFieldStrings(fields))  # type: ignore[return-value]
            converted = self.converted.pop(name, [])
            if converted and self.refs_module is not None:
                package, _, alias = self.refs_module.rpartition(".")
                AddImportsVisitor.add_needed_import(self.context, package, alias)
                body = [*updated_node.body.body, *(p for c in converted for p in self._properties(c, alias))]
                return updated_node.with_changes(body=updated_node.body.with_changes(body=body))
        return updated_node


def rename_lookup(key: str, renames: Mapping[str, str]) -> str:
    """A queryset lookup after cuts: ``order__pk`` → ``order_id`` for ``renames = {"order": "order_id"}``.

    >>> rename_lookup("order__in", {"order": "order_id"}), rename_lookup("order__reference", {"order": "order_id"})
    ('order_id__in', 'order__reference')
    """
    head, sep, rest = key.partition("__")
    if head not in renames:
        return key
    att = renames[head]
    if not sep:
        return att
    first, sep2, more = rest.partition("__")
    if first in ("id", "pk"):
        return att + (f"__{more}" if sep2 else "")
    if first in ("in", "isnull", "exact", "gt", "gte", "lt", "lte"):
        return f"{att}__{rest}"
    return key


class RenameCutLookups(_Names):
    """Keyword ``order=`` / ``order__id=`` → ``order_id=`` in queries rooted at a model with cuts.

    The root of the call chain (``Payment`` in ``Payment.objects.filter(...)``) is matched
    by its fully qualified name, however it was imported.
    """

    DESCRIPTION = "Queries on moved models follow their cut relations."

    QUERY_METHODS = frozenset({"filter", "exclude", "get", "get_or_create", "update_or_create", "update", "order_by"})

    def __init__(self, context: CodemodContext, cuts: Iterable[ModelCut], reexports: ReExports | None = None) -> None:
        super().__init__(context, reexports)
        self.renames: dict[str, dict[str, str]] = {}
        for c in cuts:
            if not c.many:
                self.renames.setdefault(self.reexports.canonical(c.model_class), {})[c.cut.field] = c.attname

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        if not isinstance(updated_node.func, cst.Attribute):
            return updated_node
        tables = [
            self.renames[n]
            for node in _chain(original_node.func)
            for n in sorted(self.names(node))
            if n in self.renames
        ]
        if not tables:
            return updated_node
        table = tables[0]
        method = updated_node.func.attr.value
        if method in ("select_related", "prefetch_related"):
            kept = [
                a
                for a in updated_node.args
                if not (isinstance(a.value, cst.SimpleString) and str(a.value.evaluated_value).split("__")[0] in table)
            ]
            if len(kept) == len(updated_node.args):
                return updated_node
            if not kept:
                return updated_node.func.value
            kept[-1] = kept[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
            return updated_node.with_changes(args=kept)
        if method not in self.QUERY_METHODS:
            return updated_node
        args = []
        changed = False
        for a in updated_node.args:
            if a.keyword is not None:
                new = rename_lookup(a.keyword.value, table)
                if new != a.keyword.value:
                    a = a.with_changes(keyword=cst.Name(new))
                    changed = True
            args.append(a)
        return updated_node.with_changes(args=args) if changed else updated_node


class CutAdminOptions(_Names):
    """Admin options of moved models that name a cut relation (``raw_id_fields = ["order"]``).

    A ``ModelAdmin`` / inline whose model has cut relations (``@admin.register(M)``, ``model = M`` on
    inlines, or ``site.register(M, A)`` anywhere in the module): the field becomes its id column where a
    plain field is allowed (``list_display``, ``readonly_fields``, ``fields`` and the ``fields`` of
    ``fieldsets``, rows included, ``ordering``...; a ``list_filter`` entry ``("owner", SomeRelatedFilter)``
    becomes the plain column's filter), and is dropped with a comment where a relation is required
    (``raw_id_fields``, ``autocomplete_fields``, ``list_select_related``) or a lookup would join across the
    boundary (``order__reference``).
    """

    DESCRIPTION = "Admin options of moved models follow their cut relations."

    #: options whose entries must be relations, or are lookups: a cut relation's entry is dropped
    RELATION_ONLY = frozenset(
        {"raw_id_fields", "autocomplete_fields", "list_select_related", "filter_horizontal", "filter_vertical"}
    )
    #: a many-to-many relation to a staying model the service's model keeps as a field over its join table
    #: (``cut_relations.ManyToManyToMonolith``): the options of its form keep it, the others drop it
    MANY_FIELD = "<many-to-many field>"
    FORM_OPTIONS = frozenset({"fields", "readonly_fields", "exclude"})
    #: options whose entries are field names (or lookups, for search_fields/list_filter)
    FIELD_OPTIONS = frozenset(
        {
            "list_display", "list_display_links", "list_filter", "readonly_fields", "fields", "exclude",
            "search_fields", "ordering", "list_editable", "sortable_by", "fieldsets",
        }
    )  # fmt: skip

    def __init__(
        self,
        context: CodemodContext,
        cuts: Iterable[ModelCut],
        reexports: ReExports | None = None,
        admin_classes: Mapping[str, str] | None = None,
        many_kept: bool = False,
    ) -> None:
        super().__init__(context, reexports)
        #: model (dotted) → its cut relation → the id column ("" for a many-to-many relation: no column;
        #: :data:`MANY_FIELD` for one the service's model keeps as a field over its join table, ``many_kept``)
        self.renames: dict[str, dict[str, str]] = {}
        for c in cuts:
            self.renames.setdefault(self.reexports.canonical(c.model_class), {})[c.cut.field] = (
                (self.MANY_FIELD if many_kept and c.cut.join_table else "") if c.many else c.attname
            )
        #: ModelAdmin classes (dotted) → their model (dotted), from the plan's registrations anywhere
        self.admin_classes = dict(admin_classes or {})
        self._table: list[dict[str, str] | None] = []
        #: admin class name → its model's renames, from ``site.register(M, A)`` calls of the module
        self._registered: dict[str, dict[str, str]] = {}

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if not (isinstance(func, cst.Attribute) and func.attr.value == "register" and len(node.args) >= 2):
            return
        first, second = node.args[0].value, node.args[1].value
        models = [e.value for e in first.elements] if isinstance(first, (cst.List, cst.Tuple)) else [first]
        if not isinstance(second, cst.Name):
            return
        for model in models:
            for n in self.names(model):
                if n in self.renames:
                    self._registered.setdefault(second.value, {}).update(self.renames[n])

    def visit_Module(self, node: cst.Module) -> None:
        # ``site.register(M, A)`` usually comes after ``class A``: read the module's calls first
        for stmt in node.body:
            if isinstance(stmt, cst.SimpleStatementLine):
                for small in stmt.body:
                    if isinstance(small, cst.Expr) and isinstance(small.value, cst.Call):
                        self.visit_Call(small.value)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        table: dict[str, str] | None = None
        if not self._table:  # a top-level class: registered in this module, or by the plan's registrations
            model = self.admin_classes.get(f"{self.context.full_module_name}.{node.name.value}")
            table = self._registered.get(node.name.value) or (
                self.renames.get(self.reexports.canonical(model)) if model else None
            )
        for dec in node.decorators:
            call = dec.decorator
            if isinstance(call, cst.Call) and call.args:
                for n in self.names(call.args[0].value):
                    table = table or self.renames.get(n)
        for stmt in node.body.body if isinstance(node.body, cst.IndentedBlock) else ():
            if isinstance(stmt, cst.SimpleStatementLine):
                for small in stmt.body:
                    if (
                        isinstance(small, cst.Assign)
                        and len(small.targets) == 1
                        and isinstance(small.targets[0].target, cst.Name)
                        and small.targets[0].target.value == "model"
                    ):
                        for n in self.names(small.value):
                            table = table or self.renames.get(n)
        self._table.append(table)

    def leave_ClassDef(self, original_node: cst.ClassDef, updated_node: cst.ClassDef) -> cst.ClassDef:
        self._table.pop()
        return updated_node

    def leave_Assign(self, original_node: cst.Assign, updated_node: cst.Assign) -> cst.Assign:
        table = self._table[-1] if self._table else None
        if not table or len(updated_node.targets) != 1 or not isinstance(updated_node.targets[0].target, cst.Name):
            return updated_node
        option = updated_node.targets[0].target.value
        value = updated_node.value
        if option not in self.RELATION_ONLY | self.FIELD_OPTIONS or not isinstance(value, (cst.List, cst.Tuple)):
            return updated_node
        new = self._fieldsets(value, table) if option == "fieldsets" else self._entries(option, value, table)
        return updated_node if new is value else updated_node.with_changes(value=new)

    def _fieldsets(self, value: cst.List | cst.Tuple, table: dict[str, str]) -> cst.List | cst.Tuple:
        """``fieldsets``: each ``(name, {"fields": (...)})``'s fields, as the ``fields`` option."""
        elements: list[cst.BaseElement] = []
        for el in value.elements:
            item = el.value
            if isinstance(item, (cst.Tuple, cst.List)) and len(item.elements) == 2:
                options = item.elements[1].value
                if isinstance(options, cst.Dict):
                    entries: list[cst.BaseDictElement] = []
                    for entry in options.elements:
                        key = entry.key if isinstance(entry, cst.DictElement) else None
                        if (
                            isinstance(entry, cst.DictElement)
                            and isinstance(key, cst.SimpleString)
                            and key.evaluated_value == "fields"
                            and isinstance(entry.value, (cst.List, cst.Tuple))
                        ):
                            entry = entry.with_changes(value=self._entries("fields", entry.value, table))
                        entries.append(entry)
                    options = options.with_changes(elements=entries)
                    item = item.with_changes(elements=[item.elements[0], item.elements[1].with_changes(value=options)])
            elements.append(el.with_changes(value=item))
        if all(a.deep_equals(b) for a, b in zip(elements, value.elements, strict=True)):
            return value
        return value.with_changes(elements=elements)

    @staticmethod
    def _gone(option: str, entry: str, name: str) -> str:
        return (
            f"# TODO(decompose): {option} entry {entry!r} dropped: {name} was a many-to-many relation to a model of "
            f"another service; the service keeps its join table ({name}_join, the other side's ids)"
        )

    def _entries(self, option: str, value: cst.List | cst.Tuple, table: dict[str, str]) -> cst.List | cst.Tuple:
        kept: list[cst.BaseElement] = []
        for el in value.elements:
            item = el.value
            if isinstance(item, (cst.List, cst.Tuple)) and option == "fields":  # a row of fields
                kept.append(el.with_changes(value=self._entries(option, item, table)))
                continue
            if isinstance(item, cst.Tuple) and option == "list_filter" and item.elements:  # (field, FilterClass)
                head = item.elements[0].value
                field = head.evaluated_value if isinstance(head, cst.SimpleString) else None
                if isinstance(field, str) and field in table and table[field] in ("", self.MANY_FIELD):
                    self.note(self._gone(option, field, field))
                    continue
                if isinstance(field, str) and field in table:
                    self.note(
                        f"# TODO(decompose): list_filter entry ({field!r}, ...) is now the plain filter of "
                        f"{table[field]}: {field} is a reference by id to a model of another service"
                    )
                    quote = head.value[0] if isinstance(head, cst.SimpleString) else '"'
                    kept.append(el.with_changes(value=cst.SimpleString(f"{quote}{table[field]}{quote}")))
                    continue
                kept.append(el)
                continue
            text = item.evaluated_value if isinstance(item, cst.SimpleString) else None
            if not isinstance(text, str):
                kept.append(el)
                continue
            prefix = text[: len(text) - len(text.lstrip("^=@-"))]
            path = text[len(prefix) :]
            head_name, _, rest = path.partition("__")
            if head_name not in table:
                kept.append(el)
            elif table[head_name] == self.MANY_FIELD and option in self.FORM_OPTIONS and not rest and not prefix:
                kept.append(el)
            elif table[head_name] in ("", self.MANY_FIELD):
                self.note(self._gone(option, text, head_name))
            elif option in self.RELATION_ONLY or rest:
                self.note(
                    f"# TODO(decompose): {option} entry {text!r} dropped: {head_name} is now a reference by id "
                    f"({table[head_name]}) to a model of another service"
                )
            else:
                quote = item.value[0] if isinstance(item, cst.SimpleString) else '"'
                kept.append(el.with_changes(value=cst.SimpleString(f"{quote}{prefix}{table[head_name]}{quote}")))
        same = len(kept) == len(value.elements)
        if same and all(a.deep_equals(b) for a, b in zip(kept, value.elements, strict=True)):
            return value
        if kept:
            kept[-1] = kept[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
        if isinstance(value, cst.Tuple) and len(kept) == 1:
            kept[0] = kept[0].with_changes(comma=cst.Comma())
        return value.with_changes(elements=kept)


class CutGenericRelations(_Names):
    """Generic relations of moved models across the boundary.

    - ``files = GenericRelation("common.File")`` to a staying model: no column, and its rows are in the
      monolith's database; the field is removed with a TODO (like a cut many-to-many).
    - ``content_object = GenericForeignKey("content_type", "object_id")`` whose content type relation was cut
      to an id (contenttypes stays in the monolith; the ids are the monolith's content types): a read-only
      property giving a reference to the monolith's object (``monolith.generic_ref``), and a setter for a
      reference or instance that knows its content type id.
    """

    DESCRIPTION = "Generic relations of moved models across the boundary."

    def __init__(
        self,
        context: CodemodContext,
        cut_fields: Mapping[str, frozenset[str]],
        moved_labels: frozenset[str],
        moved_modules: frozenset[str],
        refs_module: str | None,
        reexports: ReExports | None = None,
    ) -> None:
        super().__init__(context, reexports)
        self.cut_fields = {self.reexports.canonical(k): v for k, v in cut_fields.items()}
        self.moved_labels = moved_labels
        self.moved_modules = moved_modules
        self.refs_module = refs_module
        self._classes: list[str] = []

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._classes.append(f"{self.context.full_module_name}.{node.name.value}")

    def leave_ClassDef(self, original_node: cst.ClassDef, updated_node: cst.ClassDef) -> cst.ClassDef:
        self._classes.pop()
        return updated_node

    def _staying_target(self, arg: cst.BaseExpression) -> str | None:
        if isinstance(arg, cst.SimpleString):
            label = arg.evaluated_value
            if isinstance(label, str) and "." in label and label.split(".", 1)[0] not in self.moved_labels:
                return label
            return None
        for n in self.names(arg):
            mod = n.rpartition(".")[0]
            if mod and mod not in self.moved_modules and not n.startswith(("django.", "builtins.")):
                return n
        return None

    @staticmethod
    def _arg(call: cst.Call, index: int, keyword: str, default: str) -> str | None:
        for i, a in enumerate(call.args):
            if (a.keyword is not None and a.keyword.value == keyword) or (a.keyword is None and i == index):
                value = a.value.evaluated_value if isinstance(a.value, cst.SimpleString) else None
                return value if isinstance(value, str) else None
        return default

    def leave_SimpleStatementLine(
        self, original_node: cst.SimpleStatementLine, updated_node: cst.SimpleStatementLine
    ) -> cst.BaseStatement | cst.FlattenSentinel[cst.BaseStatement]:
        if not self._classes or len(original_node.body) != 1:
            return updated_node
        stmt = original_node.body[0]
        if not (
            isinstance(stmt, cst.Assign)
            and len(stmt.targets) == 1
            and isinstance(stmt.targets[0].target, cst.Name)
            and isinstance(stmt.value, cst.Call)
        ):
            return updated_node
        name = stmt.targets[0].target.value
        kind = {n.rpartition(".")[2] for n in self.names(stmt.value.func)}
        if "GenericRelation" in kind and stmt.value.args:
            target = self._staying_target(stmt.value.args[0].value)
            if target is None:
                return updated_node
            comment = (
                f"{TODO}{name} was a GenericRelation to {target}, which stays in the monolith: its rows are in the "
                "monolith's database (query them through its API)"
            )
            return cst.SimpleStatementLine(
                [cst.Pass()], leading_lines=[*updated_node.leading_lines, cst.EmptyLine(comment=cst.Comment(comment))]
            )
        if "GenericForeignKey" not in kind or self.refs_module is None:
            return updated_node
        ct_field = self._arg(stmt.value, 0, "ct_field", "content_type")
        fk_field = self._arg(stmt.value, 1, "fk_field", "object_id")
        if ct_field is None or fk_field is None or ct_field not in self.cut_fields.get(self._classes[-1], frozenset()):
            return updated_node
        package, _, alias = self.refs_module.rpartition(".")
        AddImportsVisitor.add_needed_import(self.context, package, alias)
        code = (
            "@property\n"
            f"def {name}(self):\n"
            f'    """The object in the monolith ({ct_field}_id is its content type): a reference (decompose)."""\n'
            f"    return {alias}.generic_ref(self.{ct_field}_id, self.{fk_field})\n"
        )
        setter = (
            f"@{name}.setter\n"
            f"def {name}(self, value):\n"
            f"    self.{ct_field}_id, self.{fk_field} = {alias}.generic_ids(value)\n"
        )
        comment = (
            f"# decompose: was GenericForeignKey({ct_field!r}, {fk_field!r}); the content types are the monolith's"
        )
        first = cst.parse_statement(code)
        return cst.FlattenSentinel(
            [
                first.with_changes(
                    leading_lines=[*updated_node.leading_lines, cst.EmptyLine(comment=cst.Comment(comment))]
                ),
                cst.parse_statement(setter),
            ]
        )


class DropStandInInlines(_Names):
    """Admin inlines of the monolith's models in a moved ``ModelAdmin`` (``inlines = [FileInline]`` where
    ``FileInline`` edits a staying model): the service cannot show or save them (the name is a stand-in
    that fails when used), so the entry is dropped with a comment saying why, and its import when unused."""

    DESCRIPTION = "Inlines of staying models leave the service's admin."

    def __init__(
        self, context: CodemodContext, stand_ins: Mapping[str, str], reexports: ReExports | None = None
    ) -> None:
        super().__init__(context, reexports)
        self.stand_ins = {self.reexports.canonical(k): v for k, v in stand_ins.items()}

    def leave_Assign(self, original_node: cst.Assign, updated_node: cst.Assign) -> cst.Assign:
        target = original_node.targets[0].target if len(original_node.targets) == 1 else None
        value = original_node.value
        if (
            not isinstance(target, cst.Name)
            or target.value != "inlines"
            or not isinstance(value, (cst.List, cst.Tuple))
        ):
            return updated_node
        kept: list[cst.BaseElement] = []
        for el in value.elements:
            found = sorted(n for n in self.names(el.value) if n in self.stand_ins)
            if not found:
                kept.append(el)
                continue
            self.note(
                f"# TODO(decompose): inline {found[0]} dropped from the service's admin: it edits the monolith's "
                f"data ({self.stand_ins[found[0]]})"
            )
            RemoveImportsVisitor.remove_unused_import_by_node(self.context, el.value)
        if len(kept) == len(value.elements):
            return updated_node
        if kept:
            kept[-1] = kept[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
        if isinstance(value, cst.Tuple) and len(kept) == 1:
            kept[0] = kept[0].with_changes(comma=cst.Comma())
        return updated_node.with_changes(value=value.with_changes(elements=kept))


# -- signals and tests ------------------------------------------------------------------


class DropStayingSender(_Names):
    """Remove ``sender=`` from ``@receiver(sig, ...)`` when ``sig`` is one of ``signals`` (dotted names)."""

    DESCRIPTION = "Receivers of bridged signals accept the bridge's sender=None."

    def __init__(self, context: CodemodContext, signals: Iterable[str], reexports: ReExports | None = None) -> None:
        super().__init__(context, reexports)
        self.signals = {self.reexports.canonical(s) for s in signals}

    def leave_Decorator(self, original_node: cst.Decorator, updated_node: cst.Decorator) -> cst.Decorator:
        call, new = original_node.decorator, updated_node.decorator
        if not isinstance(call, cst.Call) or not isinstance(new, cst.Call) or not call.args:
            return updated_node
        if not self.names(call.func) & RECEIVERS or not self.names(call.args[0].value) & self.signals:
            return updated_node
        args = [a for a in new.args if not (a.keyword is not None and a.keyword.value == "sender")]
        if len(args) == len(new.args):
            return updated_node
        args[-1] = args[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
        return updated_node.with_changes(decorator=new.with_changes(args=args))


class DropDefinitions(VisitorBasedCodemodCommand):
    """Remove top-level functions/classes by name (tests that stay with the monolith), and the
    imports only they used."""

    DESCRIPTION = "Drop definitions that stay with the monolith."

    def __init__(self, context: CodemodContext, names: Iterable[str]) -> None:
        super().__init__(context)
        self.names = set(names)

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        if not self.names:
            return updated_node
        for st in original_node.body:
            if isinstance(st, (cst.FunctionDef, cst.ClassDef)) and st.name.value in self.names:
                RemoveImportsVisitor.remove_unused_import_by_node(self.context, st)
        body = [
            st
            for st in updated_node.body
            if not (isinstance(st, (cst.FunctionDef, cst.ClassDef)) and st.name.value in self.names)
        ]
        return updated_node.with_changes(body=body)


class TidyImports(VisitorBasedCodemodCommand):
    """A multi-line parenthesized import keeps its closing parenthesis on its own line.

    ``RemoveImportsVisitor`` drops the trailing comma when it removes the last names of
    ``from m import (\n    a,\n    b,\n)`` (leaving ``(\n    a)``, for a formatter to fix;
    LibCST PR #334): the last name gets its comma and line break back.
    """

    DESCRIPTION = "Keep parenthesized imports one name a line."

    def leave_ImportFrom(self, original_node: cst.ImportFrom, updated_node: cst.ImportFrom) -> cst.ImportFrom:
        lpar, rpar, names = updated_node.lpar, updated_node.rpar, updated_node.names
        if (
            lpar is None
            or rpar is None
            or isinstance(names, cst.ImportStar)
            or not names
            or not isinstance(lpar.whitespace_after, cst.ParenthesizedWhitespace)
            or isinstance(names[-1].comma, cst.Comma)
            or not isinstance(rpar.whitespace_before, cst.SimpleWhitespace)
            or rpar.whitespace_before.value
        ):
            return updated_node
        newline = cst.ParenthesizedWhitespace(indent=True, last_line=cst.SimpleWhitespace(""))
        last = names[-1].with_changes(comma=cst.Comma(whitespace_after=newline))
        return updated_node.with_changes(names=[*names[:-1], last])


# -- migrations -------------------------------------------------------------------------


class _GetModelReads(cst.CSTVisitor):
    """The app labels a function reads models of through ``apps.get_model("app", ...)`` / ``("app.Model")``."""

    def __init__(self) -> None:
        self.apps: list[str] = []

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value == "get_model" and node.args:
            first = node.args[0].value
            value = first.evaluated_value if isinstance(first, cst.SimpleString) else None
            if isinstance(value, str):
                self.apps.append(value.split(".", 1)[0])


class MigrationCuts(_Names):
    """FK → id inside migrations, and no dependencies on apps that stay in the monolith.

    Operations are recognised by their fully qualified name (``django.db.migrations.…``);
    ``cuts`` are the cuts of this migration's app.
    """

    DESCRIPTION = "Migrations of moved apps follow the cuts and forget staying apps."

    def __init__(self, context: CodemodContext, cuts: Iterable[ModelCut], staying_apps: Iterable[str]) -> None:
        super().__init__(context)
        cuts = tuple(cuts)
        self.cuts = {(c.model_name, c.cut.field): c for c in cuts if not c.many}
        self.drop = {(c.model_name, c.cut.field) for c in cuts if c.many}
        self.staying = set(staying_apps)

    def _operation(self, node: cst.BaseExpression) -> str | None:
        if not isinstance(node, cst.Call):
            return None
        for name in sorted(self.names(node.func)):
            if name.startswith(MIGRATIONS):
                return name.rsplit(".", 1)[1]
        return None

    @staticmethod
    def _str_kw(call: cst.Call, kw: str) -> str | None:
        for a in call.args:
            if a.keyword is not None and a.keyword.value == kw and isinstance(a.value, cst.SimpleString):
                v = a.value.evaluated_value
                return v if isinstance(v, str) else None
        return None

    def leave_Element(self, original_node: cst.Element, updated_node: cst.Element) -> cst.Element | cst.RemovalSentinel:
        call = original_node.value
        if self._operation(call) in ("AddField", "AlterField", "RemoveField"):
            assert isinstance(call, cst.Call)
            model, name = self._str_kw(call, "model_name"), self._str_kw(call, "name")
            if model is not None and (model.lower(), name) in self.drop:
                return cst.RemoveFromParent()
        return updated_node

    def _field(self, model: str, name: str, call: cst.BaseExpression) -> cst.BaseExpression | None:
        cut = self.cuts.get((model.lower(), name))
        if cut is None or not isinstance(call, cst.Call):
            return None
        return _cut_id_field(cut, call.func)

    def _names_of(self, model: str) -> set[str]:
        return {f for (mdl, f) in self.cuts if mdl == model.lower()}

    def _create_model(self, call: cst.Call) -> cst.Call:
        model = self._str_kw(call, "name")
        if model is None and call.args and isinstance(call.args[0].value, cst.SimpleString):
            model = str(call.args[0].value.evaluated_value)
        if model is None:
            return call
        names = self._names_of(model)
        args = []
        for a in call.args:
            if a.keyword is not None and a.keyword.value == "options" and names:
                a = a.with_changes(value=a.value.visit(RenameFieldStrings(names)))
            if a.keyword is not None and a.keyword.value == "fields" and isinstance(a.value, cst.List):
                elements = []
                for el in a.value.elements:
                    t = el.value
                    if not (
                        isinstance(t, cst.Tuple) and t.elements and isinstance(t.elements[0].value, cst.SimpleString)
                    ):
                        elements.append(el)
                        continue
                    fname = str(t.elements[0].value.evaluated_value)
                    if (model.lower(), fname) in self.drop:
                        continue
                    new = self._field(model, fname, t.elements[1].value) if len(t.elements) >= 2 else None
                    if new is not None:
                        q = t.elements[0].value.quote
                        t = t.with_changes(
                            elements=[
                                t.elements[0].with_changes(value=cst.SimpleString(f"{q}{fname}_id{q}")),
                                t.elements[1].with_changes(value=new),
                                *t.elements[2:],
                            ]
                        )
                        el = el.with_changes(value=t)
                    elements.append(el)
                a = a.with_changes(value=a.value.with_changes(elements=elements))
            args.append(a)
        return call.with_changes(args=args)

    def visit_Module(self, node: cst.Module) -> None:
        #: module-level functions of this migration that read a staying app's models (``apps.get_model("person",
        #: "User")``) → that app: a RunPython of theirs cannot run in the service
        self._staying_readers: dict[str, str] = {}
        #: module-level functions whose ORM lookups follow a cut relation into the staying model → that lookup
        self._cut_joins: dict[str, str] = {}
        for stmt in node.body:
            if isinstance(stmt, cst.FunctionDef):
                app = self._staying_app_read(stmt)
                if app is not None:
                    self._staying_readers[stmt.name.value] = app
                else:
                    lookups = CutLookups(self._cut_fields(stmt))
                    stmt.visit(lookups)
                    if lookups.joins:
                        self._cut_joins[stmt.name.value] = lookups.joins[0]

    def _cut_fields(self, fn: cst.FunctionDef) -> dict[str, frozenset[str]]:
        """The cut relations (model → field names) of the moved models ``fn`` reads with ``apps.get_model``."""
        read = {model for app, model in models_read(fn) if app not in self.staying}
        out: dict[str, set[str]] = {}
        for model, name in self.cuts:
            if model in read:
                out.setdefault(model, set()).add(name)
        return {model: frozenset(fields) for model, fields in sorted(out.items())}

    def leave_FunctionDef(self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef) -> cst.FunctionDef:
        """A data migration's lookups over cut relations name the id column (:class:`CutLookups`)."""
        name = original_node.name.value
        if name in getattr(self, "_staying_readers", {}) or name in getattr(self, "_cut_joins", {}):
            return updated_node
        cut = self._cut_fields(original_node)
        return cast(cst.FunctionDef, updated_node.visit(CutLookups(cut))) if cut else updated_node

    def _staying_app_read(self, fn: cst.FunctionDef) -> str | None:
        reads = _GetModelReads()
        fn.visit(reads)
        return next((app for app in reads.apps if app in self.staying), None)

    def _run_python(self, call: cst.Call) -> cst.Call:
        """``RunPython(f, g)`` whose code reads a staying app's models: both become ``RunPython.noop`` here."""
        readers = getattr(self, "_staying_readers", {})
        joins = getattr(self, "_cut_joins", {})
        named = [a.value.value for a in call.args if isinstance(a.value, cst.Name) and a.value.value in readers]
        joined = [a.value.value for a in call.args if isinstance(a.value, cst.Name) and a.value.value in joins]
        if not named and not joined:
            return call
        if named:
            self.note(
                f"# TODO(decompose): {', '.join(named)} read the models of {readers[named[0]]!r}, which stays in the "
                "monolith: this data migration ran in the monolith's history and is a no-op here (the service's "
                "rows come with the data move)"
            )
        if joined:
            self.note(
                f"# TODO(decompose): {', '.join(joined)} look up {joins[joined[0]]!r} across a relation cut to an "
                "id (its model stays in the monolith): this data migration ran in the monolith's history and is a "
                "no-op here (the service's rows come with the data move)"
            )
        readers = {**readers, **joins}
        noop = cst.parse_expression("migrations.RunPython.noop")
        args = [
            a.with_changes(value=noop)
            if (a.keyword is None or a.keyword.value in ("code", "reverse_code"))
            and isinstance(a.value, cst.Name)
            and a.value.value in readers
            else a
            for a in call.args
        ]
        return call.with_changes(args=args)

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.Call:
        op = self._operation(original_node)
        if op == "RunPython":
            return self._run_python(updated_node)
        if op == "CreateModel":
            return self._create_model(updated_node)
        if op in (
            "AddIndex",
            "AddConstraint",
            "AlterUniqueTogether",
            "AlterIndexTogether",
            "AlterModelOptions",
            "RemoveIndex",
            "RemoveConstraint",
        ):
            model = self._str_kw(updated_node, "model_name") or self._str_kw(updated_node, "name")
            names = self._names_of(model) if model is not None else set()
            if names:
                return updated_node.with_changes(
                    args=[
                        a
                        if a.keyword is not None and a.keyword.value in ("model_name", "name")
                        else cast(cst.Arg, a.visit(RenameFieldStrings(names)))  # from the Arg: its keyword counts
                        for a in updated_node.args
                    ]
                )
            return updated_node
        if op in ("AddField", "AlterField", "RemoveField"):
            model = self._str_kw(updated_node, "model_name")
            name = self._str_kw(updated_node, "name")
            if model is None or name is None or (model.lower(), name) not in self.cuts:
                return updated_node
            args = []
            for a in updated_node.args:
                if a.keyword is not None and a.keyword.value == "name" and isinstance(a.value, cst.SimpleString):
                    q = a.value.quote
                    a = a.with_changes(value=cst.SimpleString(f"{q}{name}_id{q}"))
                elif a.keyword is not None and a.keyword.value == "field":
                    new = self._field(model, name, a.value)
                    if new is not None:
                        a = a.with_changes(value=new)
                args.append(a)
            return updated_node.with_changes(args=args)
        return updated_node

    def leave_Assign(self, original_node: cst.Assign, updated_node: cst.Assign) -> cst.Assign:
        if not (
            len(updated_node.targets) == 1
            and isinstance(updated_node.targets[0].target, cst.Name)
            and updated_node.targets[0].target.value == "dependencies"
            and isinstance(updated_node.value, cst.List)
        ):
            return updated_node
        kept = []
        for el in updated_node.value.elements:
            t = el.value
            if (
                isinstance(t, cst.Tuple)
                and t.elements
                and isinstance(t.elements[0].value, cst.SimpleString)
                and t.elements[0].value.evaluated_value in self.staying
            ):
                continue
            kept.append(el)
        if len(kept) == len(updated_node.value.elements):
            return updated_node
        if kept:
            kept[-1] = kept[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT) if len(kept) == 1 else kept[-1]
            return updated_node.with_changes(value=updated_node.value.with_changes(elements=kept))
        return updated_node.with_changes(value=cst.List([]))


# -- chains -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MovedModuleEdits:
    """Everything the service changes in one moved module."""

    moves: tuple[SymbolMove, ...] = ()
    stand_ins: tuple[ModuleStandIn, ...] = ()
    cuts: tuple[ModelCut, ...] = ()
    #: dotted names of staying signals the service has a copy of
    bridged_signals: frozenset[str] = frozenset()
    #: module whose ``ref``/``ref_id`` stand for staying models (``<pkg>.monolith``)
    refs_module: str | None = None
    #: top-level definitions (staying tests) to drop
    drop: frozenset[str] = frozenset()
    reexports: ReExports = field(default_factory=ReExports)
    #: staying names the service has a failing stand-in for → why (the plan's ``service_rewrites.stand_ins``)
    stand_in_names: Mapping[str, str] = field(default_factory=dict)
    #: ModelAdmin classes (dotted) → the model they are registered for (the plan's admin registrations)
    admin_classes: Mapping[str, str] = field(default_factory=dict)
    #: the moved apps' labels and modules (what a generic relation may point at and stay in the service)
    moved_labels: frozenset[str] = frozenset()
    moved_modules: frozenset[str] = frozenset()


def moved_module_command(context: CodemodContext, edits: MovedModuleEdits, source: str) -> ChainCommand:
    """The codemods for one moved module (``source``, the module ``context`` names), in order.

    Imports are retargeted last: the other steps match the names as the monolith spells them.
    A step runs only when ``source`` spells one of the names it looks for (any reference to a
    name spells its last part, or the name it is re-exported under, somewhere in the file), so
    a module with nothing to change costs no metadata resolution.
    """

    def mentions(names: Iterable[str]) -> bool:
        words = {w for n in names for w in edits.reexports.spellings(n)}
        return bool(words) and re.search(rf"\b(?:{'|'.join(map(re.escape, sorted(words)))})\b", source) is not None

    lookups = [c for c in edits.cuts if not c.many]
    here = [c for c in edits.cuts if c.model_class.rpartition(".")[0] == context.full_module_name]
    steps: list[Codemod] = []
    if edits.drop:
        steps.append(DropDefinitions(context, edits.drop))
    if mentions(edits.bridged_signals):
        steps.append(DropStayingSender(context, edits.bridged_signals, edits.reexports))
    if "GenericRelation" in source or "GenericForeignKey" in source:
        cut_fields: dict[str, set[str]] = {}
        for c in lookups:
            cut_fields.setdefault(c.model_class, set()).add(c.cut.field)
        frozen = {k: frozenset(v) for k, v in cut_fields.items()}
        steps.append(
            CutGenericRelations(
                context, frozen, edits.moved_labels, edits.moved_modules, edits.refs_module, edits.reexports
            )
        )
    if here:
        steps.append(ForeignKeyToId(context, here, edits.refs_module, edits.reexports))
    mentioned = mentions(c.model_class for c in lookups)
    if mentioned:
        steps.append(RenameCutLookups(context, lookups, edits.reexports))
    defines_admin = any(a.rpartition(".")[0] == context.full_module_name for a in edits.admin_classes)
    admin_cuts = list(edits.cuts)  # a many-to-many relation left the model: admin options drop it
    if admin_cuts and (
        (mentions(c.model_class for c in admin_cuts) and re.search(r"\bAdmin\b|admin\.|Inline\b", source))
        or defines_admin
    ):
        steps.append(
            CutAdminOptions(
                context, admin_cuts, edits.reexports, edits.admin_classes, many_kept=edits.refs_module is not None
            )
        )
    if "inlines" in source and mentions(edits.stand_in_names):
        steps.append(DropStandInInlines(context, edits.stand_in_names, edits.reexports))
    if mentions([*(m.name for m in edits.moves), *(s.module for s in edits.stand_ins)]):
        steps.append(RetargetImports(context, edits.moves, edits.stand_ins, edits.reexports))
    if any(isinstance(s, (DropDefinitions, RetargetImports, DropStandInInlines)) for s in steps):  # removing imports
        steps.append(TidyImports(context))
    return ChainCommand(context, steps)


def migration_command(context: CodemodContext, cuts: Iterable[ModelCut], staying_apps: Iterable[str]) -> ChainCommand:
    """The codemods for one migration of a moved app (``cuts``: that app's)."""
    return ChainCommand(context, [MigrationCuts(context, cuts, staying_apps)])
