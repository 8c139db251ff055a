"""The code of a moved app's data migrations (``RunPython`` functions) follows the relations cut to ids.

In the service a foreign key to a model that stays in the monolith is an id column (``submission`` →
``submission_id``), in the models and in every migration's state. A data migration's ORM calls still
name the relation: ``TalkSlot.objects.filter(submission__isnull=True)`` fails with ``FieldError:
Cannot resolve keyword 'submission'`` when ``migrate`` runs. :class:`CutLookups` rewrites, inside one
function, the lookups of the models it reads with ``apps.get_model(...)`` that have cut relations:

- ``submission=…``, ``submission__in=…``, ``submission__isnull=…`` (the relation itself, or a lookup
  on it) → ``submission_id=…``, ``submission_id__in=…``, ``submission_id__isnull=…``;
- ``submission__id…`` / ``submission__pk…`` → ``submission_id…``;
- the same in the field names given as strings to ``values``, ``values_list``, ``order_by``, ``only``,
  ``defer``, ``distinct`` (``"-submission"`` → ``"-submission_id"``).

A lookup that follows the relation into the staying model (``submission__state="x"``) joins a table
the service does not have: it is kept as it is and listed in :attr:`CutLookups.joins`, for the caller
to turn the migration into a no-op with a TODO (as one reading a staying app's models).

>>> import libcst as cst
>>> fn = cst.parse_module(
...     "def f(apps, schema_editor):\\n"
...     "    TalkSlot = apps.get_model('schedule', 'TalkSlot')\\n"
...     "    TalkSlot.objects.filter(submission__isnull=True).order_by('-submission').update(slot_type='break')\\n"
... )
>>> lookups = CutLookups({"talkslot": frozenset({"submission"})})
>>> print(fn.visit(lookups).code.splitlines()[2].strip())
TalkSlot.objects.filter(submission_id__isnull=True).order_by('-submission_id').update(slot_type='break')
>>> lookups.joins
[]
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import libcst as cst
from libcst.codemod import CodemodContext, VisitorBasedCodemodCommand
from libcst.codemod.visitors import AddImportsVisitor

#: Django's lookups on a relation or a field (not a field name of the related model)
LOOKUPS = frozenset(
    {
        "exact", "iexact", "in", "gt", "gte", "lt", "lte", "isnull", "range", "contains", "icontains",
        "startswith", "istartswith", "endswith", "iendswith", "regex", "iregex",
    }
)  # fmt: skip
#: Django's relation fields a staying migration may declare towards a moved model
_RELATIONS = frozenset({"ForeignKey", "OneToOneField", "ManyToManyField"})
#: queryset methods whose string arguments are field paths
_FIELD_METHODS = frozenset({"values", "values_list", "order_by", "only", "defer", "distinct"})


class _ModelsRead(cst.CSTVisitor):
    """The model names (lower case) a function reads through ``apps.get_model("app", "Model")`` or
    ``apps.get_model("app.Model")``, with their app labels."""

    def __init__(self) -> None:
        self.models: list[tuple[str, str]] = []

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if not (isinstance(func, cst.Attribute) and func.attr.value == "get_model" and node.args):
            return
        values = [a.value.evaluated_value if isinstance(a.value, cst.SimpleString) else None for a in node.args[:2]]
        if len(values) == 2 and isinstance(values[0], str) and isinstance(values[1], str):
            self.models.append((values[0], values[1].lower()))
        elif isinstance(values[0], str) and "." in values[0]:
            app, model = values[0].split(".", 1)
            self.models.append((app, model.lower()))


def models_read(fn: cst.FunctionDef) -> list[tuple[str, str]]:
    """``(app label, model name in lower case)`` of every ``apps.get_model(...)`` in ``fn``, in order."""
    found = _ModelsRead()
    fn.visit(found)
    return found.models


class CutLookups(cst.CSTTransformer):
    """Rename the lookups over ``cut`` relations (model name in lower case → its cut field names) in the
    calls of one function; see the module docstring. ``joins`` lists the lookups it could not rename."""

    def __init__(self, cut: Mapping[str, frozenset[str]]) -> None:
        self.fields = frozenset().union(*cut.values()) if cut else frozenset()
        self.joins: list[str] = []

    def _renamed(self, path: str) -> str | None:
        """The path over the id column (None: not over a cut relation, or a join recorded in ``joins``)."""
        sign, bare = ("-", path[1:]) if path.startswith("-") else ("", path)
        head, *rest = bare.split("__")
        if head not in self.fields:
            return None
        if rest and rest[0] in ("id", "pk"):
            rest = rest[1:]
        if rest and rest[0] not in LOOKUPS:
            self.joins.append(bare)
            return None
        return sign + "__".join([f"{head}_id", *rest])

    def leave_Arg(self, original_node: cst.Arg, updated_node: cst.Arg) -> cst.Arg:
        if updated_node.keyword is None:
            return updated_node
        new = self._renamed(updated_node.keyword.value)
        return updated_node if new is None else updated_node.with_changes(keyword=cst.Name(new))

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.Call:
        func = updated_node.func
        if not (isinstance(func, cst.Attribute) and func.attr.value in _FIELD_METHODS):
            return updated_node
        args = []
        for a in updated_node.args:
            value = a.value
            if a.keyword is None and isinstance(value, cst.SimpleString) and isinstance(value.evaluated_value, str):
                new = self._renamed(value.evaluated_value)
                if new is not None:
                    a = a.with_changes(value=cst.SimpleString(f"{value.prefix}{value.quote}{new}{value.quote}"))
            args.append(a)
        return updated_node.with_changes(args=args)


class MovedMigrationDependencies(VisitorBasedCodemodCommand):
    """A STAYING app's migration that depends on a migration of a moved app (``("catalog", "0001_initial")`` in
    ``dependencies`` or ``run_before``) gets that dependency through the client:
    ``*<client>.fields.service_migration("catalog", "catalog", "0001_initial")`` is the same dependency when the
    service is local, and none when it is remote, where the moved app is not installed and Django's migration
    graph has no node for it (``NodeNotFoundError`` stopped ``migrate``).

    A relation of the migration's models to a moved model (``models.ForeignKey(..., to="catalog.product")``,
    ``OneToOneField``, ``ManyToManyField``) is wrapped: ``<client>.fields.historical("catalog", <the field>)``
    is that field when the service is local, and when it is remote the field the cut migration makes of it
    (the id column; the join table's ids), since remote mode's migration state has no model of the moved app
    (a database built in remote mode, a test database, stopped at "Related model 'catalog.product' cannot be
    resolved"). A ``RunPython`` function of the file reading a moved app's models (``apps.get_model("catalog",
    ...)``) becomes ``<client>.fields.unless_remote("catalog", <function>)``: run when local, skipped when
    remote (a database built there has no rows to fix, one migrated in local mode applied it already). Local
    mode's graph and operations are unchanged, and running it again changes nothing.

    >>> import libcst as cst
    >>> from libcst.codemod import CodemodContext
    >>> src = (
    ...     "from django.db import migrations\\n"
    ...     "class Migration(migrations.Migration):\\n"
    ...     "    dependencies = [('catalog', '0001_initial'), ('orders', '0001_initial')]\\n"
    ...     "    operations = [migrations.AddField('line', 'product', models.ForeignKey(on_delete=models.CASCADE,"
    ...     " to='catalog.product'))]\\n"
    ... )
    >>> cm = MovedMigrationDependencies(CodemodContext(), {"catalog": "catalog"}, "shop.services.fields")
    >>> out = cm.transform_module(cst.parse_module(src)).code
    >>> print(out.splitlines()[1]); print(out.splitlines()[-2].strip()[:94])
    import shop.services.fields
    dependencies = [*shop.services.fields.service_migration("catalog", "catalog", "0001_initial"),
    >>> cm.rewritten, cm.relations
    (['catalog.0001_initial'], ['ForeignKey to catalog.product'])
    >>> 'shop.services.fields.historical("catalog", models.ForeignKey(' in out
    True
    """

    DESCRIPTION = "Dependencies on moved apps' migrations hold only when their service is local."

    def __init__(self, context: CodemodContext, services: Mapping[str, str], fields_module: str) -> None:
        super().__init__(context)
        #: moved app label → its service
        self.services = dict(services)
        self.fields_module = fields_module
        self.rewritten: list[str] = []
        #: the relations to moved models wrapped (``"ForeignKey to catalog.product"``)
        self.relations: list[str] = []
        #: module-level functions reading a moved app's models → that app (RunPython code run only when local)
        self.reading: dict[str, str] = {}
        #: the RunPython functions wrapped
        self.skipped: list[str] = []
        self._depth = 0

    def visit_Module(self, node: cst.Module) -> bool:
        """The module's functions whose code reads a moved app's models (``apps.get_model("catalog", ...)``)."""
        for stmt in node.body:
            if isinstance(stmt, cst.FunctionDef):
                found = _ModelsRead()
                stmt.visit(found)
                apps = sorted({app for app, _model in found.models if app in self.services})
                if apps:
                    self.reading[stmt.name.value] = apps[0]
        return True

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        self._depth += 1
        return self._depth == 1 and node.name.value == "Migration"

    def leave_ClassDef(self, original_node: cst.ClassDef, updated_node: cst.ClassDef) -> cst.ClassDef:
        self._depth -= 1
        return updated_node

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_Call(self, node: cst.Call) -> bool:
        func = node.func  # not into what an earlier run wrapped
        return not (isinstance(func, cst.Attribute) and func.attr.value in ("historical", "unless_remote"))

    def _run_python(self, call: cst.Call) -> cst.Call:
        """``RunPython(code, reverse_code)`` with each function reading a moved app's models run only when local."""
        args = []
        for i, a in enumerate(call.args):
            role = a.keyword.value if a.keyword is not None else ("code", "reverse_code")[i] if i < 2 else ""
            name = a.value.value if isinstance(a.value, cst.Name) else None
            if role in ("code", "reverse_code") and name in self.reading:
                app = self.reading[name]
                wrapped = cst.parse_expression(f'{self.fields_module}.unless_remote("{self.services[app]}", {name})')
                a = a.with_changes(value=wrapped)
                self.skipped.append(name)
                AddImportsVisitor.add_needed_import(self.context, self.fields_module)
            args.append(a)
        return call.with_changes(args=args)

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        func = updated_node.func
        kind = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else ""
        if self._depth == 1 and kind == "RunPython" and self.reading:
            return self._run_python(updated_node)
        if self._depth != 1 or kind not in _RELATIONS:
            return updated_node
        to = next((a.value for a in updated_node.args if a.keyword is not None and a.keyword.value == "to"), None)
        if to is None and updated_node.args and updated_node.args[0].keyword is None:
            to = updated_node.args[0].value
        value = to.evaluated_value if isinstance(to, cst.SimpleString) else None
        label = value if isinstance(value, str) else ""
        app = label.split(".", 1)[0] if "." in label else None
        if app not in self.services:
            return updated_node
        AddImportsVisitor.add_needed_import(self.context, self.fields_module)
        self.relations.append(f"{kind} to {label}")
        wrapper = cst.parse_expression(f'{self.fields_module}.historical("{self.services[app]}", None)')
        assert isinstance(wrapper, cst.Call)
        return wrapper.with_changes(args=[wrapper.args[0], cst.Arg(updated_node)])

    def leave_Assign(self, original_node: cst.Assign, updated_node: cst.Assign) -> cst.Assign:
        if (
            self._depth != 1
            or len(updated_node.targets) != 1
            or not isinstance(updated_node.targets[0].target, cst.Name)
            or updated_node.targets[0].target.value not in ("dependencies", "run_before")
            or not isinstance(updated_node.value, (cst.List, cst.Tuple))
        ):
            return updated_node
        elements = []
        for el in updated_node.value.elements:
            pair = _label_and_name(el.value) if isinstance(el, cst.Element) else None
            if pair is None or pair[0] not in self.services:
                elements.append(el)
                continue
            label, name = pair
            call = cst.parse_expression(
                f'{self.fields_module}.service_migration("{self.services[label]}", "{label}", "{name}")'
            )
            elements.append(cst.StarredElement(call, comma=el.comma))
            self.rewritten.append(f"{label}.{name}")
            AddImportsVisitor.add_needed_import(self.context, self.fields_module)
        return updated_node.with_changes(value=updated_node.value.with_changes(elements=elements))


def _label_and_name(node: cst.BaseExpression) -> tuple[str, str] | None:
    """``("app", "0001_x")`` as written in a migration's dependencies, else None."""
    if not isinstance(node, cst.Tuple) or len(node.elements) != 2:
        return None
    values = [e.value.evaluated_value if isinstance(e.value, cst.SimpleString) else None for e in node.elements]
    if not all(isinstance(v, str) and re.fullmatch(r"\w+", v) for v in values):
        return None
    return str(values[0]), str(values[1])
