"""Codemod for STAYING models: a foreign key to a moved model becomes a relation to a service.

``invoice = models.ForeignKey("billing.Invoice", on_delete=models.CASCADE, null=True)`` becomes
``invoice = ServiceForeignKey("billing.Invoice", on_delete=models.CASCADE, null=True, service="billing")``
from the client package's ``fields`` module: in local mode the same relation without its database
constraint (joins, ``select_related``, reverse accessors work as before), in remote mode the id on the
same column (``invoice_id``) with ``obj.invoice`` read from the service. ``OneToOneField`` becomes
``ServiceOneToOneField``, ``ManyToManyField`` ``ServiceManyToManyField`` (its join table stays in the
monolith; one with its own ``through`` model is left alone: that model's foreign key is cut instead).
The import of the target model is removed when no longer used. The matching migration is written by
:mod:`decompose.extract.migrations`.

Example::

    >>> import libcst as cst
    >>> from libcst.codemod import CodemodContext
    >>> src = (
    ...     "from django.db import models\\n"
    ...     "class Line(models.Model):\\n"
    ...     '    invoice = models.ForeignKey("billing.Invoice", on_delete=models.CASCADE)\\n'
    ... )
    >>> fk = ForeignKeyToIdField(CodemodContext(), {("Line", "invoice"): "billing.Invoice"}, service="billing",
    ...                          fields_module="shop.services.fields")
    >>> print(fk.transform_module(cst.parse_module(src)).code, end="")
    from django.db import models
    from shop.services.fields import ServiceForeignKey
    <BLANKLINE>
    class Line(models.Model):
        invoice = ServiceForeignKey("billing.Invoice", on_delete=models.CASCADE, service="billing")
"""

from __future__ import annotations

from collections.abc import Mapping

import libcst as cst
from libcst.codemod import CodemodContext, VisitorBasedCodemodCommand
from libcst.codemod.visitors import AddImportsVisitor, RemoveImportsVisitor
from libcst.metadata import QualifiedNameProvider

FK_TYPES = ("ForeignKey", "OneToOneField", "ManyToManyField")
#: where Django defines (and re-exports) its field classes
DJANGO_MODELS = "django.db.models"
#: the field each relation type becomes (the client package's ``fields`` module)
SERVICE_FIELDS = {
    "ForeignKey": "ServiceForeignKey",
    "OneToOneField": "ServiceOneToOneField",
    "ManyToManyField": "ServiceManyToManyField",
}
#: Django's ``on_delete`` handlers a migration can name as ``models.<name>``
ON_DELETE = frozenset({"CASCADE", "PROTECT", "RESTRICT", "SET_NULL", "SET_DEFAULT", "DO_NOTHING"})
#: gettext functions whose one literal argument a migration writes as the plain string (Django does too)
_GETTEXT = frozenset({"_", "gettext", "gettext_lazy", "ugettext_lazy", "pgettext_lazy"})


def migration_value(node: cst.BaseExpression) -> str | None:
    """The source of ``node`` as a migration can write it (literals, ``models.CASCADE``, a translated
    literal as the literal), else None (the keyword is left out of the migration).

    >>> migration_value(cst.parse_expression('_("Invoice")')), migration_value(cst.parse_expression("CASCADE"))
    ("'Invoice'", 'models.CASCADE')
    """
    empty = cst.Module([])
    if isinstance(node, (cst.SimpleString, cst.Integer, cst.Float, cst.ConcatenatedString)):
        return empty.code_for_node(node)
    if isinstance(node, cst.Name) and node.value in ("True", "False", "None"):
        return node.value
    name = node.value if isinstance(node, cst.Name) else node.attr.value if isinstance(node, cst.Attribute) else None
    if name in ON_DELETE:
        return f"models.{name}"
    if (
        isinstance(node, cst.Call)
        and isinstance(node.func, cst.Name)
        and node.func.value in _GETTEXT
        and node.args
        and isinstance(node.args[-1].value, cst.SimpleString)
    ):
        value = node.args[-1].value.evaluated_value
        return repr(value) if isinstance(value, str) else None
    return None


class ForeignKeyToIdField(VisitorBasedCodemodCommand):
    """Replace the ``(ModelClass, field)`` foreign keys of ``cuts`` (→ the moved model's label) by the
    client package's ``ServiceForeignKey`` / ``ServiceOneToOneField`` of ``service``.

    The field is found by its qualified name (``ModelClass.field``, from LibCST's
    ``QualifiedNameProvider``) and is converted only when its class is Django's
    ``ForeignKey``/``OneToOneField``, however it was imported.
    """

    DESCRIPTION = "Foreign keys to moved models become relations to the service (ids when remote)."
    METADATA_DEPENDENCIES = (QualifiedNameProvider,)

    def __init__(
        self, context: CodemodContext, cuts: Mapping[tuple[str, str], str], *, service: str, fields_module: str
    ) -> None:
        super().__init__(context)
        self.targets = dict(cuts)
        self.cuts = {f"{model}.{name}": (model, name) for model, name in cuts}
        self.service = service
        self.fields_module = fields_module
        self.replaced: list[tuple[str, str]] = []
        #: (class, field) → (Django's field class, the field's source in a migration)
        self.details: dict[tuple[str, str], tuple[str, str]] = {}

    def _kind(self, func: cst.BaseExpression) -> str | None:
        for q in sorted(self.get_metadata(QualifiedNameProvider, func, set()), key=lambda q: q.name):
            module, _, kind = q.name.rpartition(".")
            if kind in FK_TYPES and (module == DJANGO_MODELS or module.startswith(DJANGO_MODELS + ".")):
                return kind
        return None

    def leave_Assign(self, original_node: cst.Assign, updated_node: cst.Assign) -> cst.Assign:
        if len(original_node.targets) != 1 or not isinstance(original_node.targets[0].target, cst.Name):
            return updated_node
        names = self.get_metadata(QualifiedNameProvider, original_node.targets[0].target, set())
        keys = sorted(self.cuts[q.name] for q in names if q.name in self.cuts)
        call = original_node.value
        if not keys or not isinstance(call, cst.Call):
            return updated_node
        kind = self._kind(call.func)
        if kind is None or (
            kind == "ManyToManyField" and any(a.keyword and a.keyword.value == "through" for a in call.args)
        ):
            return updated_node
        key = keys[0]
        target = self.targets[key]
        field = SERVICE_FIELDS[kind]
        AddImportsVisitor.add_needed_import(self.context, self.fields_module, field)
        args = list(call.args)
        if args and args[0].keyword is None:
            if isinstance(args[0].value, (cst.Name, cst.Attribute)):
                RemoveImportsVisitor.remove_unused_import_by_node(self.context, args[0].value)
            args = args[1:]
        args = [a for a in args if a.keyword is None or a.keyword.value not in ("to", "db_constraint")]
        empty = cst.Module([])
        given = [empty.code_for_node(a.with_changes(comma=cst.MaybeSentinel.DEFAULT)).strip() for a in args]
        text = ", ".join([f'"{target}"', *given, f'service="{self.service}"'])
        new_call = cst.parse_expression(f"{field}({text})")
        self.replaced.append(key)
        migration = [f'to="{target.lower()}"']
        positional = [a for a in args if a.keyword is None]
        if kind != "ManyToManyField" and positional and (value := migration_value(positional[0].value)) is not None:
            migration.append(f"on_delete={value}")  # Django's second positional argument
        for a in args:
            if a.keyword is not None and (value := migration_value(a.value)) is not None:
                migration.append(f"{a.keyword.value}={value}")
        migration.append(f'service="{self.service}"')
        self.details[key] = (kind, f"{self.fields_module}.{field}({', '.join(migration)})")
        return updated_node.with_changes(value=new_call)
