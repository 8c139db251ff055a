"""Codemod for STAYING models: a foreign key to a moved model becomes a plain id field.

``invoice = models.ForeignKey("billing.Invoice", on_delete=models.CASCADE, null=True)``
becomes ``invoice_id = models.BigIntegerField(null=True, blank=True, db_index=True)``:
the same database column (``invoice_id``, or the FK's ``db_column``), no relation to
a table that leaves. ``OneToOneField`` keeps its uniqueness (``unique=True``).
``ManyToManyField`` cannot become one column (its join table would have to move):
it is left alone and reported. The import of the target model is removed when no
longer used. The matching migration is written by :mod:`decompose.extract.migrations`.

Example::

    >>> import libcst as cst
    >>> from libcst.codemod import CodemodContext
    >>> src = (
    ...     "from django.db import models\\n"
    ...     "class Line(models.Model):\\n"
    ...     '    invoice = models.ForeignKey("billing.Invoice", on_delete=models.CASCADE)\\n'
    ... )
    >>> fk = ForeignKeyToIdField(CodemodContext(), {("Line", "invoice")})
    >>> print(fk.transform_module(cst.parse_module(src)).code, end="")
    from django.db import models
    class Line(models.Model):
        invoice_id = models.BigIntegerField(db_index=True)
"""

from __future__ import annotations

from collections.abc import Iterable

import libcst as cst
from libcst.codemod import CodemodContext, VisitorBasedCodemodCommand
from libcst.codemod.visitors import AddImportsVisitor, RemoveImportsVisitor
from libcst.metadata import QualifiedNameProvider

FK_TYPES = ("ForeignKey", "OneToOneField")
#: where Django defines (and re-exports) its field classes
DJANGO_MODELS = "django.db.models"
KEPT_KWARGS = ("null", "blank", "db_column", "verbose_name", "help_text", "editable")


def id_field_kwargs(call: cst.Call, field_type: str) -> list[tuple[str, str]]:
    """``(keyword, source)`` pairs of the id field replacing the FK ``call``."""
    out: list[tuple[str, str]] = []
    empty = cst.Module([])
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value in KEPT_KWARGS:
            out.append((arg.keyword.value, empty.code_for_node(arg.value)))
    if field_type == "OneToOneField" or any(a.keyword is not None and a.keyword.value == "unique" for a in call.args):
        out.append(("unique", "True"))
    else:
        out.append(("db_index", "True"))
    return out


class ForeignKeyToIdField(VisitorBasedCodemodCommand):
    """Replace ``(ModelClass, field)`` foreign keys by ``<field>_id`` integer fields.

    The field is found by its qualified name (``ModelClass.field``, from LibCST's
    ``QualifiedNameProvider``) and is converted only when its class is Django's
    ``ForeignKey``/``OneToOneField``, however it was imported.
    """

    DESCRIPTION = "Foreign keys to moved models become plain id fields on the same column."
    METADATA_DEPENDENCIES = (QualifiedNameProvider,)

    def __init__(self, context: CodemodContext, cuts: Iterable[tuple[str, str]]) -> None:
        super().__init__(context)
        self.cuts = {f"{model}.{name}": (model, name) for model, name in cuts}
        self.replaced: list[tuple[str, str]] = []
        #: (class, field) → (field class, id-field kwargs, FK kwargs kept for the migration)
        self.details: dict[tuple[str, str], tuple[str, list[tuple[str, str]], list[tuple[str, str]]]] = {}

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
        if kind is None:
            return updated_node
        key = keys[0]
        if isinstance(call.func, cst.Attribute):  # models.ForeignKey → models.BigIntegerField
            prefix = f"{cst.Module([]).code_for_node(call.func.value)}."
        else:  # ForeignKey / an alias of it → BigIntegerField, imported from Django
            prefix = ""
            AddImportsVisitor.add_needed_import(self.context, DJANGO_MODELS, "BigIntegerField")
        if call.args and call.args[0].keyword is None and isinstance(call.args[0].value, (cst.Name, cst.Attribute)):
            RemoveImportsVisitor.remove_unused_import_by_node(self.context, call.args[0].value)
        kwargs = ", ".join(f"{k}={v}" for k, v in id_field_kwargs(call, kind))
        new_call = cst.parse_expression(f"{prefix}BigIntegerField({kwargs})")
        self.replaced.append(key)
        kept = ("null", "blank", "db_column", "related_name", "related_query_name", "to_field")
        fk_kwargs = [
            (a.keyword.value, cst.Module([]).code_for_node(a.value))
            for a in call.args
            if a.keyword is not None and a.keyword.value in kept
        ]
        self.details[key] = (kind, id_field_kwargs(call, kind), fk_kwargs)
        return updated_node.with_changes(
            targets=[updated_node.targets[0].with_changes(target=cst.Name(f"{key[1]}_id"))], value=new_call
        )
