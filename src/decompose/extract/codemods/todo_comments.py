"""Codemod: ``# TODO(decompose): ...`` comments at what cannot be rewritten.

Given ``{line: [message, ...]}`` for one file, each message becomes a comment line
just above the innermost statement that contains that line (a comment cannot sit
inside an expression). A comment already there is not added again, so a second run
changes nothing.

Example::

    >>> import libcst as cst
    >>> from libcst.codemod import CodemodContext
    >>> m = cst.parse_module("x = 1\\ny = 2\\n")
    >>> print(AddTodoComments(CodemodContext(), {2: ["saga: split the transaction"]}).transform_module(m).code, end="")
    x = 1
    # TODO(decompose): saga: split the transaction
    y = 2
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import libcst as cst
from libcst.codemod import CodemodContext, VisitorBasedCodemodCommand
from libcst.metadata import PositionProvider

PREFIX = "# TODO(decompose): "


class AddTodoComments(VisitorBasedCodemodCommand):
    DESCRIPTION = "Mark what cannot be rewritten automatically with TODO(decompose) comments."
    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, context: CodemodContext, todos: Mapping[int, Sequence[str]]) -> None:
        super().__init__(context)
        self.todos = {line: list(dict.fromkeys(msgs)) for line, msgs in todos.items() if msgs}
        self.best: dict[int, tuple[int, int, cst.CSTNode]] = {}
        #: lines whose message found no statement (reported by the caller)
        self.placed: set[int] = set()

    def _consider(self, node: cst.CSTNode) -> None:
        pos = self.get_metadata(PositionProvider, node)
        start, end = pos.start.line, pos.end.line
        for line in self.todos:
            if start <= line <= end:
                current = self.best.get(line)
                key = (start, -(end - start))
                if current is None or key > (current[0], current[1]):
                    self.best[line] = (start, -(end - start), node)

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
        self._consider(node)

    def visit_If(self, node: cst.If) -> None:
        self._consider(node)

    def visit_For(self, node: cst.For) -> None:
        self._consider(node)

    def visit_While(self, node: cst.While) -> None:
        self._consider(node)

    def visit_With(self, node: cst.With) -> None:
        self._consider(node)

    def visit_Try(self, node: cst.Try) -> None:
        self._consider(node)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._consider(node)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._consider(node)

    def _annotate(self, original: cst.CSTNode, updated: cst.CSTNode) -> cst.CSTNode:
        messages = [m for line, (_s, _e, n) in sorted(self.best.items()) if n is original for m in self.todos[line]]
        if not messages:
            return updated
        leading = list(getattr(updated, "leading_lines", ()))
        have = {ln.comment.value for ln in leading if ln.comment is not None}
        if any(h.startswith(PREFIX) for h in have):
            return updated  # marked by an earlier run: a second run changes nothing
        # decorators come first in a def/class: the comment goes above them
        for line, (_s, _e, n) in self.best.items():
            if n is original:
                self.placed.add(line)
        new = [cst.EmptyLine(comment=cst.Comment(PREFIX + m)) for m in messages if PREFIX + m not in have]
        if not new:
            return updated
        return updated.with_changes(leading_lines=[*leading, *new])

    def leave_SimpleStatementLine(
        self, original_node: cst.SimpleStatementLine, updated_node: cst.SimpleStatementLine
    ) -> cst.SimpleStatementLine:
        return self._annotate(original_node, updated_node)  # type: ignore[return-value]

    def leave_If(self, original_node: cst.If, updated_node: cst.If) -> cst.If:
        return self._annotate(original_node, updated_node)  # type: ignore[return-value]

    def leave_For(self, original_node: cst.For, updated_node: cst.For) -> cst.For:
        return self._annotate(original_node, updated_node)  # type: ignore[return-value]

    def leave_While(self, original_node: cst.While, updated_node: cst.While) -> cst.While:
        return self._annotate(original_node, updated_node)  # type: ignore[return-value]

    def leave_With(self, original_node: cst.With, updated_node: cst.With) -> cst.With:
        return self._annotate(original_node, updated_node)  # type: ignore[return-value]

    def leave_Try(self, original_node: cst.Try, updated_node: cst.Try) -> cst.Try:
        return self._annotate(original_node, updated_node)  # type: ignore[return-value]

    def leave_FunctionDef(self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef) -> cst.FunctionDef:
        return self._annotate(original_node, updated_node)  # type: ignore[return-value]

    def leave_ClassDef(self, original_node: cst.ClassDef, updated_node: cst.ClassDef) -> cst.ClassDef:
        return self._annotate(original_node, updated_node)  # type: ignore[return-value]
