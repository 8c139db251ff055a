"""A chain of codemods is itself a codemod.

:class:`ChainCommand` runs its transforms in order on one tree with one
:class:`~libcst.codemod.CodemodContext`, the way LibCST's
``MagicArgsCodemodCommand.get_transforms`` does: each transform is a
:class:`~libcst.codemod.Codemod` whose ``transform_module`` resolves its own
metadata on the tree the previous one returned, and the imports a step asks for
(``AddImportsVisitor.add_needed_import`` / ``RemoveImportsVisitor.remove_unused_import``
on the shared context) are placed by LibCST once, when that step ends, not by hand. Unlike
``MagicArgsCodemodCommand`` the transforms are instances, built by the caller with
typed parameters (and read back afterwards for what they did), not classes
instantiated from ``context.scratch``.

:func:`module_context` is the context for one module of a project: it carries the
module's dotted name so ``FullyQualifiedNameProvider`` resolves relative imports.

Example::

    >>> import libcst as cst
    >>> from libcst.codemod.commands.noop import NOOPCommand
    >>> ctx = module_context("shop.views")
    >>> ChainCommand(ctx, [NOOPCommand(ctx)]).transform_module(cst.parse_module("x = 1\\n")).code
    'x = 1\\n'
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import libcst as cst
from libcst.codemod import Codemod, CodemodCommand, CodemodContext
from libcst.codemod.visitors import AddImportsVisitor, RemoveImportsVisitor
from libcst.metadata import FullRepoManager, FullyQualifiedNameProvider


def module_context(module: str, *, package: bool = False) -> CodemodContext:
    """A context for the module ``module`` (``package``: it is a package's ``__init__``).

    The metadata manager maps a path derived from the dotted name back to it, so
    ``FullyQualifiedNameProvider`` knows the module whatever the project layout
    (``src/`` or not): nothing is read from disk.
    """
    path = module.replace(".", "/") + ("/__init__.py" if package else ".py")
    manager = FullRepoManager("", [path], [FullyQualifiedNameProvider])
    return CodemodContext(
        filename=path,
        full_module_name=module,
        full_package_name=module if package else module.rpartition(".")[0],
        metadata_manager=manager,
    )


class ChainCommand(CodemodCommand):
    """Run ``transforms`` in order on one tree with this command's context.

    Every transform must have been built with the same context (its ``scratch``
    holds the imports the steps ask for); a transform built with another one is a
    programming error (:class:`ValueError`).
    """

    DESCRIPTION = "Run codemods in order on one tree with one context."

    def __init__(self, context: CodemodContext, transforms: Sequence[Codemod]) -> None:
        super().__init__(context)
        for t in transforms:
            if t.context.scratch is not context.scratch:
                raise ValueError(f"{type(t).__name__} was built with another context than the chain")
        self.transforms = tuple(transforms)

    def get_transforms(self) -> Iterator[Codemod]:
        """The transforms, in the order they run."""
        yield from self.transforms

    def transform_module_impl(self, tree: cst.Module) -> cst.Module:
        for transform in self.get_transforms():
            tree = transform.transform_module(tree)
            if isinstance(transform, CodemodCommand):
                # it placed the imports it (and the steps before it) asked for: later steps need not again
                for key in (AddImportsVisitor.CONTEXT_KEY, RemoveImportsVisitor.CONTEXT_KEY):
                    self.context.scratch.pop(key, None)
        return tree
