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

import json
from collections.abc import Mapping

import libcst as cst
from libcst.codemod import CodemodContext, VisitorBasedCodemodCommand
from libcst.codemod.visitors import AddImportsVisitor
from libcst.helpers import get_full_name_for_node


class RetargetImports(VisitorBasedCodemodCommand):
    """Re-point ``from <module> import <name>`` to a new module, per name.

    ``mapping``: old module → {name → new module}. Names not in the mapping stay
    in the original import; mapped names go to one import per new module, placed
    right after it (same block, so function-local imports stay local).
    """

    DESCRIPTION = "Import moved symbols from the service's client module."

    def __init__(self, context: CodemodContext, mapping: Mapping[str, Mapping[str, str]]) -> None:
        super().__init__(context)
        self.mapping = {k: dict(v) for k, v in mapping.items()}
        self.rewritten: list[str] = []

    def _split(self, node: cst.ImportFrom) -> list[cst.ImportFrom] | None:
        if node.relative or isinstance(node.names, cst.ImportStar) or node.module is None:
            return None
        module = get_full_name_for_node(node.module)
        table = self.mapping.get(module or "")
        if not table:
            return None
        keep: list[cst.ImportAlias] = []
        moved: dict[str, list[cst.ImportAlias]] = {}
        for alias in node.names:
            name = get_full_name_for_node(alias.name) or ""
            if name in table:
                moved.setdefault(table[name], []).append(alias)
                self.rewritten.append(name)
            else:
                keep.append(alias)
        if not moved:
            return None

        def clean(aliases: list[cst.ImportAlias]) -> list[cst.ImportAlias]:
            out = [a.with_changes(comma=cst.MaybeSentinel.DEFAULT) for a in aliases]
            return out

        result: list[cst.ImportFrom] = []
        if keep:
            result.append(node.with_changes(names=clean(keep), lpar=None, rpar=None))
        for target in sorted(moved):
            new_module = cst.parse_expression(target)
            assert isinstance(new_module, (cst.Name, cst.Attribute))
            if not keep and len(moved) == 1:
                result.append(node.with_changes(module=new_module))
            else:
                result.append(cst.ImportFrom(module=new_module, names=clean(moved[target])))
        return result

    def leave_SimpleStatementLine(
        self, original_node: cst.SimpleStatementLine, updated_node: cst.SimpleStatementLine
    ) -> cst.BaseStatement | cst.FlattenSentinel[cst.BaseStatement]:
        if len(updated_node.body) != 1 or not isinstance(updated_node.body[0], cst.ImportFrom):
            return updated_node
        parts = self._split(updated_node.body[0])
        if parts is None:
            return updated_node
        lines: list[cst.BaseStatement] = [updated_node.with_changes(body=[parts[0]])]
        for extra in parts[1:]:
            lines.append(cst.SimpleStatementLine(body=[extra]))
        return cst.FlattenSentinel(lines) if len(lines) > 1 else lines[0]


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
