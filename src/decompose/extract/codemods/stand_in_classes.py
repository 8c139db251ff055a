"""Codemod: moved classes the service cannot build become its stand-ins, imported where they were defined.

The plan names them (``ServiceRewrites.stand_ins`` keyed by a moved module's class: a ``ModelForm`` whose
``Meta.model`` stays in the monolith, whose metaclass reads the model's fields at import). Each top-level
class of that name is replaced, in place, by the import of the stand-in ``<pkg>.monolith`` defines, with a
TODO saying why; the rest of the module is unchanged, so what imports the name still does. A second run
changes nothing (the class is gone).

Example::

    >>> import libcst as cst
    >>> from libcst.codemod import CodemodContext
    >>> m = cst.parse_module("class F(ModelForm):\\n    class Meta:\\n        model = Event\\n")
    >>> out = StandInClasses(CodemodContext(), {"F": "built on event.Event"}, "svc.monolith").transform_module(m)
    >>> print(out.code, end="")
    # TODO(decompose): F is a stand-in here: built on event.Event
    from svc.monolith import F  # noqa: E402
"""

from __future__ import annotations

from collections.abc import Mapping

import libcst as cst
from libcst.codemod import CodemodContext, VisitorBasedCodemodCommand

from decompose.extract.codemods.todo_comments import PREFIX


class StandInClasses(VisitorBasedCodemodCommand):
    DESCRIPTION = "Replace moved classes the service cannot build with the stand-ins of <pkg>.monolith."

    def __init__(self, context: CodemodContext, classes: Mapping[str, str], refs_module: str) -> None:
        super().__init__(context)
        #: class name → why it is a stand-in
        self.classes = dict(classes)
        self.refs_module = refs_module
        self.depth = 0

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        self.depth += 1
        return True

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        self.depth += 1
        return True

    def leave_FunctionDef(self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef) -> cst.FunctionDef:
        self.depth -= 1
        return updated_node

    def leave_ClassDef(
        self, original_node: cst.ClassDef, updated_node: cst.ClassDef
    ) -> cst.ClassDef | cst.SimpleStatementLine:
        self.depth -= 1
        name = updated_node.name.value
        if self.depth or name not in self.classes:
            return updated_node
        statement = cst.parse_statement(f"from {self.refs_module} import {name}  # noqa: E402\n")
        assert isinstance(statement, cst.SimpleStatementLine)
        todo = cst.EmptyLine(comment=cst.Comment(f"{PREFIX}{name} is a stand-in here: {self.classes[name]}"))
        return statement.with_changes(leading_lines=[*updated_node.leading_lines, todo])
