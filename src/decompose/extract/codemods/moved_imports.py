"""LibCST codemods applied to the code that MOVES into the service.

One transformer per concern; :func:`rewrite_moved_module` and
:func:`rewrite_migration` chain them for one file. Never string surgery: every
change is a change of the syntax tree, so formatting and comments elsewhere
survive byte-for-byte.

- :class:`RetargetImports` — ``from orders.signals import order_placed`` →
  ``from payments_service.signals import order_placed`` (bridged signals);
  ``from orders.models import Order`` / ``from orders.services import mark_paid``
  → ``from payments_service.monolith import ...`` (references by id, HTTP call
  backs), with a ``# TODO(decompose): ...`` comment where a call back is needed.
- :class:`ForeignKeyToId` — ``order = models.ForeignKey("orders.Order", ...)``
  → ``order_id = models.BigIntegerField(db_index=True)``: same column, no FK,
  plus an ``order`` property returning a reference by id (and a setter), so
  ``Payment(order=o)`` and ``payment.order.pk`` keep working.
- :class:`RenameCutLookups` — ``Payment.objects.filter(order=...)`` →
  ``order_id=...`` (also ``order__id`` / ``order__pk``), and cut names dropped
  from ``select_related(...)``.
- :class:`DropStayingSender` — ``@receiver(order_placed, sender=Order)`` loses
  ``sender=`` for bridged signals (the bridge sends with ``sender=None``).
- :class:`MigrationCuts` — the same FK → id change inside migrations, and
  dependencies on staying apps dropped.

Example::

    >>> import libcst as cst
    >>> src = "from orders.signals import order_placed\\n"
    >>> cst.parse_module(src).visit(RetargetImports({"orders.signals.order_placed": "svc.signals"})).code
    'from svc.signals import order_placed\\n'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import libcst as cst

TODO = "# TODO(decompose): "


def _dotted(node: cst.BaseExpression | None) -> str | None:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr.value}" if base else None
    return None


def _root_name(node: cst.BaseExpression) -> str | None:
    """The name a call/attribute chain starts from: ``Payment.objects.filter(x).get`` → ``Payment``."""
    while True:
        if isinstance(node, cst.Name):
            return node.value
        if isinstance(node, cst.Attribute):
            node = node.value
        elif isinstance(node, cst.Call):
            node = node.func
        else:
            return None


def _alias_name(a: cst.ImportAlias) -> str:
    return _dotted(a.name) or ""


def _bound_name(a: cst.ImportAlias) -> str:
    if a.asname is not None and isinstance(a.asname.name, cst.Name):
        return a.asname.name.value
    return _alias_name(a)


class RetargetImports(cst.CSTTransformer):
    """Point imports of some symbols at another module, drop some, flag others.

    ``mapping``: dotted symbol → new module (``None`` drops the name).
    ``todo``: dotted symbol → message for a ``# TODO(decompose):`` comment.
    Relative imports are left alone (they stay inside the moved app).
    """

    def __init__(
        self,
        mapping: Mapping[str, str | None],
        todo: Mapping[str, str] | None = None,
        modules: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__()
        self.mapping = dict(mapping)
        self.todo = dict(todo or {})
        #: staying module → module that stands in for it (``from payments import services as ps``
        #: → ``from svc import monolith as ps``)
        self.modules = dict(modules or {})

    def _module_alias(self, full: str, bound: str) -> cst.SimpleStatementLine:
        pkg, _, mod = self.modules[full].rpartition(".")
        line = cst.parse_statement(f"from {pkg} import {mod}" + (f" as {bound}" if bound != mod else ""))
        note = f"{full} stays in the monolith: its functions are called back over HTTP ({self.modules[full]})"
        return line.with_changes(leading_lines=[cst.EmptyLine(comment=cst.Comment(TODO + note))])  # type: ignore[return-value]

    def leave_SimpleStatementLine(
        self, original_node: cst.SimpleStatementLine, updated_node: cst.SimpleStatementLine
    ) -> cst.BaseStatement | cst.FlattenSentinel[cst.BaseStatement] | cst.RemovalSentinel:
        if len(updated_node.body) != 1:
            return updated_node
        if isinstance(updated_node.body[0], cst.Import) and self.modules:
            plain = updated_node.body[0]
            if len(plain.names) == 1 and plain.names[0].asname is not None:
                full = _alias_name(plain.names[0])
                if full in self.modules:
                    line = self._module_alias(full, _bound_name(plain.names[0]))
                    return line.with_changes(leading_lines=[*updated_node.leading_lines, *line.leading_lines])
            return updated_node
        if not isinstance(updated_node.body[0], cst.ImportFrom):
            return updated_node
        imp = updated_node.body[0]
        if imp.relative or imp.module is None or isinstance(imp.names, cst.ImportStar):
            return updated_node
        module = _dotted(imp.module) or ""
        groups: dict[str | None, list[cst.ImportAlias]] = {}
        order: list[str | None] = []
        todos: list[str] = []
        dropped = False
        extra: list[cst.SimpleStatementLine] = []
        for alias in imp.names:
            full = f"{module}.{_alias_name(alias)}"
            if full in self.modules:
                extra.append(self._module_alias(full, _bound_name(alias)))
                dropped = True
                continue
            if full in self.todo:
                todos.append(self.todo[full])
            if full in self.mapping:
                target = self.mapping[full]
                if target is None:
                    dropped = True
                    continue
            else:
                target = module
            if target not in groups:
                groups[target] = []
                order.append(target)
            groups[target].append(alias)
        if not dropped and order == [module] and not todos:
            return updated_node
        if not order and not extra:
            return cst.RemoveFromParent()
        out: list[cst.BaseStatement] = []
        for i, target in enumerate(order):
            aliases = groups[target]
            aliases = [a.with_changes(comma=cst.MaybeSentinel.DEFAULT) for a in aliases]
            new_imp = imp.with_changes(
                module=cst.parse_expression(target),  # type: ignore[arg-type]
                names=aliases,
                lpar=None if len(aliases) == 1 else imp.lpar,
                rpar=None if len(aliases) == 1 else imp.rpar,
            )
            if new_imp.lpar is None and new_imp.rpar is not None or new_imp.rpar is None and new_imp.lpar is not None:
                new_imp = new_imp.with_changes(lpar=None, rpar=None)
            line = updated_node.with_changes(body=[new_imp])
            if i == 0 and todos:
                comments = [cst.EmptyLine(comment=cst.Comment(TODO + t)) for t in sorted(set(todos))]
                line = line.with_changes(leading_lines=[*updated_node.leading_lines, *comments])
            elif i > 0:
                line = line.with_changes(leading_lines=[])
            out.append(line)
        for i, line in enumerate(extra):
            if not out and i == 0:
                line = line.with_changes(leading_lines=[*updated_node.leading_lines, *line.leading_lines])
            out.append(line)
        return cst.FlattenSentinel(out) if len(out) > 1 else out[0]


def _id_field(func: cst.BaseExpression, *, unique: bool, nullable: bool, db_column: str | None) -> cst.Call:
    prefix = func.value if isinstance(func, cst.Attribute) else None
    new_func: cst.BaseExpression = (
        cst.Attribute(prefix, cst.Name("BigIntegerField")) if prefix is not None else cst.Name("BigIntegerField")
    )
    args = [cst.Arg(cst.Name("True"), keyword=cst.Name("unique" if unique else "db_index"))]
    if nullable:
        args += [cst.Arg(cst.Name("True"), keyword=cst.Name("null")), cst.Arg(cst.Name("True"), keyword=cst.Name("blank"))]
    if db_column:
        args.append(cst.Arg(cst.SimpleString(repr(db_column)), keyword=cst.Name("db_column")))
    eq = cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace(""))
    args = [a.with_changes(equal=eq) for a in args]
    return cst.Call(new_func, args=[a.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))) for a in args[:-1]] + args[-1:])


class ForeignKeyToId(cst.CSTTransformer):
    """``field = ForeignKey(...)`` → ``field_id = BigIntegerField(...)`` for the given (class, field) pairs.

    ``cuts`` maps ``(ClassName, field)`` → ``(target label, column, nullable, unique)``.
    """

    def __init__(
        self,
        cuts: Mapping[tuple[str, str], tuple[str, str, bool, bool]],
        refs_module: str | None = None,
        drop: Mapping[tuple[str, str], str] | None = None,
    ) -> None:
        super().__init__()
        self.cuts = dict(cuts)
        #: (class, field) → target of a many-to-many relation to a staying model: removed
        self.drop = dict(drop or {})
        self.classes: list[str] = []
        self.refs_module = refs_module
        self.changed = False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        self.classes.append(node.name.value)
        return True

    def leave_ClassDef(self, original_node: cst.ClassDef, updated_node: cst.ClassDef) -> cst.ClassDef:
        cls = self.classes.pop()
        if not isinstance(updated_node.body, cst.IndentedBlock):
            return updated_node
        cut_names = {f for (c, f) in self.cuts if c == cls}
        if cut_names:
            updated_node = updated_node.with_changes(
                body=updated_node.body.with_changes(
                    body=[
                        st.visit(RenameFieldStrings(cut_names))
                        if isinstance(st, cst.ClassDef) and st.name.value == "Meta" else st
                        for st in updated_node.body.body
                    ]
                )
            )
        if self.refs_module is None:
            return updated_node
        body: list[cst.BaseStatement] = list(updated_node.body.body)
        for st in updated_node.body.body:
            if isinstance(st, cst.SimpleStatementLine) and isinstance(st.body[0], cst.Assign):
                t = st.body[0].targets[0].target
                if isinstance(t, cst.Name) and t.value.endswith("_id") and (cls, t.value[:-3]) in self.cuts:
                    name = t.value[:-3]
                    target = self.cuts[(cls, name)][0]
                    alias = self.refs_module.rsplit(".", 1)[-1]
                    code = (
                        f"@property\n"
                        f"def {name}(self):\n"
                        f'    """{target} stays in the monolith: a reference by id (decompose)."""\n'
                        f'    return {alias}.ref("{target}", self.{name}_id)\n'
                    )
                    setter = f"@{name}.setter\ndef {name}(self, value):\n    self.{name}_id = {alias}.ref_id(value)\n"
                    body.append(cst.parse_statement(code).with_changes(leading_lines=[cst.EmptyLine(indent=False)]))
                    body.append(cst.parse_statement(setter).with_changes(leading_lines=[cst.EmptyLine(indent=False)]))
        return updated_node.with_changes(body=updated_node.body.with_changes(body=body))

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        if not self.changed or self.refs_module is None:
            return updated_node
        pkg, _, mod = self.refs_module.rpartition(".")
        imp = cst.parse_statement(f"from {pkg} import {mod}")
        body = list(updated_node.body)
        # after the last top-level import
        idx = 0
        for i, st in enumerate(body):
            if isinstance(st, cst.SimpleStatementLine) and isinstance(st.body[0], (cst.Import, cst.ImportFrom)):
                idx = i + 1
        body.insert(idx, imp)
        return updated_node.with_changes(body=body)

    def leave_SimpleStatementLine(
        self, original_node: cst.SimpleStatementLine, updated_node: cst.SimpleStatementLine
    ) -> cst.SimpleStatementLine:
        if not self.classes or len(updated_node.body) != 1:
            return updated_node
        st = updated_node.body[0]
        if not (isinstance(st, cst.Assign) and len(st.targets) == 1 and isinstance(st.targets[0].target, cst.Name)):
            return updated_node
        name = st.targets[0].target.value
        key = (self.classes[-1], name)
        if key in self.drop:
            note = cst.EmptyLine(
                comment=cst.Comment(
                    f"# TODO(decompose): {name} was a many-to-many relation to {self.drop[key]}, which stays in the "
                    "monolith; its join table stays there too (keep ids here if the service needs them)"
                )
            )
            return updated_node.with_changes(
                body=[cst.Pass()], leading_lines=[*updated_node.leading_lines, note]
            )
        if key not in self.cuts or not isinstance(st.value, cst.Call):
            return updated_node
        target, column, nullable, unique = self.cuts[key]
        attname = f"{name}_id"
        call = _id_field(st.value.func, unique=unique, nullable=nullable, db_column=None if column == attname else column)
        new = st.with_changes(targets=[st.targets[0].with_changes(target=cst.Name(attname))], value=call)
        self.changed = True
        note = cst.EmptyLine(
            comment=cst.Comment(f"# decompose: was a relation to {target}, which stays in the monolith; same column {column}")
        )
        return updated_node.with_changes(body=[new], leading_lines=[*updated_node.leading_lines, note])


class RenameFieldStrings(cst.CSTTransformer):
    """Inside Meta / migration options: ``"user"`` → ``"user_id"`` in ``fields=[...]``, ``ordering``,
    ``unique_together``, ``index_together`` (also ``"-user"``)."""

    KEYS = frozenset({"fields", "ordering", "unique_together", "index_together"})

    def __init__(self, names: set[str]) -> None:
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
        return node.key.evaluated_value if isinstance(node.key, cst.SimpleString) else None  # type: ignore[return-value]

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


def _rename_lookup(key: str, renames: Mapping[str, str]) -> str:
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


class RenameCutLookups(cst.CSTTransformer):
    """Keyword ``order=`` / ``order__id=`` → ``order_id=`` in calls rooted at the given model names."""

    def __init__(self, renames: Mapping[str, Mapping[str, str]]) -> None:
        super().__init__()
        self.renames = {k: dict(v) for k, v in renames.items()}

    QUERY_METHODS = frozenset({"filter", "exclude", "get", "get_or_create", "update_or_create", "update", "order_by"})

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        root = _root_name(updated_node.func)
        if root not in self.renames or not isinstance(updated_node.func, cst.Attribute):
            return updated_node
        table = self.renames[root]
        method = updated_node.func.attr.value
        if method in ("select_related", "prefetch_related"):
            kept = [
                a for a in updated_node.args
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
                new = _rename_lookup(a.keyword.value, table)
                if new != a.keyword.value:
                    a = a.with_changes(keyword=cst.Name(new))
                    changed = True
            args.append(a)
        return updated_node.with_changes(args=args) if changed else updated_node


class DropStayingSender(cst.CSTTransformer):
    """Remove ``sender=`` from ``@receiver(sig, ...)`` decorators whose signal is one of ``signals`` (local names)."""

    def __init__(self, signals: set[str]) -> None:
        super().__init__()
        self.signals = set(signals)

    def leave_Decorator(self, original_node: cst.Decorator, updated_node: cst.Decorator) -> cst.Decorator:
        call = updated_node.decorator
        if not isinstance(call, cst.Call) or not (_dotted(call.func) or "").endswith("receiver") or not call.args:
            return updated_node
        if _dotted(call.args[0].value) not in self.signals:
            return updated_node
        args = [a for a in call.args if not (a.keyword is not None and a.keyword.value == "sender")]
        if len(args) == len(call.args):
            return updated_node
        args[-1] = args[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
        return updated_node.with_changes(decorator=call.with_changes(args=args))


class MigrationCuts(cst.CSTTransformer):
    """FK → id inside migrations, and no dependencies on apps that stay in the monolith.

    ``cuts`` maps ``(model_name_lower, field)`` → ``(column, nullable, unique)``.
    """

    def __init__(
        self,
        cuts: Mapping[tuple[str, str], tuple[str, bool, bool]],
        staying_apps: Sequence[str],
        drop: set[tuple[str, str]] | None = None,
    ) -> None:
        super().__init__()
        self.cuts = dict(cuts)
        self.staying = set(staying_apps)
        self.drop = set(drop or ())

    def leave_Element(
        self, original_node: cst.Element, updated_node: cst.Element
    ) -> cst.Element | cst.RemovalSentinel:
        call = updated_node.value
        if isinstance(call, cst.Call) and (_dotted(call.func) or "").rsplit(".", 1)[-1] in ("AddField", "AlterField", "RemoveField"):
            model, name = self._str_kw(call, "model_name"), self._str_kw(call, "name")
            if model is not None and (model.lower(), name) in self.drop:
                return cst.RemoveFromParent()
        return updated_node

    def _field(self, model: str, name: str, call: cst.BaseExpression) -> cst.BaseExpression | None:
        spec = self.cuts.get((model.lower(), name))
        if spec is None or not isinstance(call, cst.Call):
            return None
        column, nullable, unique = spec
        attname = f"{name}_id"
        return _id_field(call.func, unique=unique, nullable=nullable, db_column=None if column == attname else column)

    @staticmethod
    def _str_kw(call: cst.Call, kw: str) -> str | None:
        for a in call.args:
            if a.keyword is not None and a.keyword.value == kw and isinstance(a.value, cst.SimpleString):
                v = a.value.evaluated_value
                return v if isinstance(v, str) else None
        return None

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.Call:
        fn = (_dotted(updated_node.func) or "").rsplit(".", 1)[-1]
        if fn == "CreateModel":
            model = self._str_kw(updated_node, "name")
            if model is None and updated_node.args and isinstance(updated_node.args[0].value, cst.SimpleString):
                model = str(updated_node.args[0].value.evaluated_value)
            if model is None:
                return updated_node
            names = {f for (mdl, f) in self.cuts if mdl == model.lower()}
            args = []
            for a in updated_node.args:
                if a.keyword is not None and a.keyword.value == "options" and names:
                    a = a.with_changes(value=a.value.visit(RenameFieldStrings(names)))
                if a.keyword is not None and a.keyword.value == "fields" and isinstance(a.value, cst.List):
                    elements = []
                    for el in a.value.elements:
                        t = el.value
                        if (
                            isinstance(t, cst.Tuple) and t.elements and isinstance(t.elements[0].value, cst.SimpleString)
                            and (model.lower(), t.elements[0].value.evaluated_value) in self.drop
                        ):
                            continue
                        if isinstance(t, cst.Tuple) and len(t.elements) >= 2 and isinstance(t.elements[0].value, cst.SimpleString):
                            fname = str(t.elements[0].value.evaluated_value)
                            new = self._field(model, fname, t.elements[1].value)
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
            return updated_node.with_changes(args=args)
        if fn in ("AddIndex", "AddConstraint", "AlterUniqueTogether", "AlterIndexTogether", "AlterModelOptions",
                  "RemoveIndex", "RemoveConstraint"):
            model = self._str_kw(updated_node, "model_name") or self._str_kw(updated_node, "name")
            names = {f for (mdl, f) in self.cuts if model is not None and mdl == model.lower()}
            if names:
                return updated_node.with_changes(
                    args=[a if a.keyword is not None and a.keyword.value in ("model_name", "name") else
                          a.with_changes(value=a.value.visit(RenameFieldStrings(names))) for a in updated_node.args]
                )
            return updated_node
        if fn in ("AddField", "AlterField", "RemoveField"):
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


class DropDefinitions(cst.CSTTransformer):
    """Remove top-level functions/classes by name (tests that stay with the monolith)."""

    def __init__(self, names: set[str]) -> None:
        super().__init__()
        self.names = set(names)

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        body = [
            st for st in updated_node.body
            if not (isinstance(st, (cst.FunctionDef, cst.ClassDef)) and st.name.value in self.names)
        ]
        return updated_node.with_changes(body=body)


def rewrite_moved_module(
    source: str,
    *,
    imports: Mapping[str, str | None],
    todo: Mapping[str, str],
    fk_cuts: Mapping[tuple[str, str], tuple[str, str, bool, bool]],
    lookup_renames: Mapping[str, Mapping[str, str]],
    bridged_signals: set[str],
    refs_module: str | None = None,
    drop: set[str] | None = None,
    m2m_drop: Mapping[tuple[str, str], str] | None = None,
    module_aliases: Mapping[str, str] | None = None,
) -> str:
    """Apply every moved-code transformer to one module's source."""
    tree = cst.parse_module(source)
    for t in (
        DropDefinitions(drop or set()),
        DropStayingSender(bridged_signals),
        ForeignKeyToId(fk_cuts, refs_module, m2m_drop),
        RenameCutLookups(lookup_renames),
        RetargetImports(imports, todo, module_aliases),
    ):
        tree = tree.visit(t)
    return tree.code


def rewrite_migration(
    source: str,
    *,
    cuts: Mapping[tuple[str, str], tuple[str, bool, bool]],
    staying_apps: Sequence[str],
    drop: set[tuple[str, str]] | None = None,
) -> str:
    return cst.parse_module(source).visit(MigrationCuts(cuts, staying_apps, drop)).code
