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
    >>> src = 'class Line(models.Model):\\n    invoice = models.ForeignKey("billing.Invoice", on_delete=models.CASCADE)\\n'
    >>> print(ForeignKeyToIdField(CodemodContext(), {("Line", "invoice")}).transform_module(cst.parse_module(src)).code, end="")
    class Line(models.Model):
        invoice_id = models.BigIntegerField(db_index=True)
"""

from __future__ import annotations

from collections.abc import Iterable

import libcst as cst
import libcst.matchers as m
from libcst.codemod import CodemodContext, VisitorBasedCodemodCommand
from libcst.codemod.visitors import RemoveImportsVisitor
from libcst.helpers import get_full_name_for_node

FK_TYPES = ("ForeignKey", "OneToOneField")
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
    """Replace ``(ModelClass, field)`` foreign keys by ``<field>_id`` integer fields."""

    DESCRIPTION = "Foreign keys to moved models become plain id fields on the same column."

    def __init__(self, context: CodemodContext, cuts: Iterable[tuple[str, str]]) -> None:
        super().__init__(context)
        self.cuts = set(cuts)
        self.class_stack: list[str] = []
        self.replaced: list[tuple[str, str]] = []
        self.targets: set[str] = set()
        #: (class, field) → (field class, id-field kwargs, FK kwargs kept for the migration)
        self.details: dict[tuple[str, str], tuple[str, list[tuple[str, str]], list[tuple[str, str]]]] = {}

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.class_stack.append(node.name.value)

    def leave_ClassDef(self, original_node: cst.ClassDef, updated_node: cst.ClassDef) -> cst.ClassDef:
        self.class_stack.pop()
        return updated_node

    def leave_Assign(self, original_node: cst.Assign, updated_node: cst.Assign) -> cst.Assign:
        if not self.class_stack or len(updated_node.targets) != 1:
            return updated_node
        target = updated_node.targets[0].target
        if not isinstance(target, cst.Name) or (self.class_stack[-1], target.value) not in self.cuts:
            return updated_node
        call = updated_node.value
        if not isinstance(call, cst.Call):
            return updated_node
        fname = get_full_name_for_node(call.func) or ""
        kind = fname.rsplit(".", 1)[-1]
        if kind not in FK_TYPES:
            return updated_node
        prefix = fname[: -len(kind)]
        if call.args and call.args[0].keyword is None and isinstance(call.args[0].value, cst.Name):
            self.targets.add(call.args[0].value.value)
        kwargs = ", ".join(f"{k}={v}" for k, v in id_field_kwargs(call, kind))
        new_call = cst.parse_expression(f"{prefix}BigIntegerField({kwargs})")
        self.replaced.append((self.class_stack[-1], target.value))
        fk_kwargs = [
            (a.keyword.value, cst.Module([]).code_for_node(a.value))
            for a in call.args
            if a.keyword is not None and a.keyword.value in ("null", "blank", "db_column", "related_name", "related_query_name", "to_field")
        ]
        self.details[(self.class_stack[-1], target.value)] = (kind, id_field_kwargs(call, kind), fk_kwargs)
        return updated_node.with_changes(
            targets=[updated_node.targets[0].with_changes(target=cst.Name(f"{target.value}_id"))], value=new_call
        )

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        for name in sorted(self.targets):
            for imp in m.findall(updated_node, m.ImportFrom()):
                assert isinstance(imp, cst.ImportFrom)
                if isinstance(imp.names, cst.ImportStar) or imp.module is None:
                    continue
                for alias in imp.names:
                    if (get_full_name_for_node(alias.name) or "") == name and alias.asname is None:
                        RemoveImportsVisitor.remove_unused_import(self.context, get_full_name_for_node(imp.module) or "", name)
        return updated_node
