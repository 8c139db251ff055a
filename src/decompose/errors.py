"""One exception family for every mistake a user can act on.

The CLI turns a ``DecomposeError`` into one line on stderr and its ``exit_code``;
anything else is a bug in decompose and keeps its traceback.
"""

from __future__ import annotations


class DecomposeError(Exception):
    """A problem the user can fix: bad input, missing tool, unknown name."""

    exit_code: int = 2

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class InputError(DecomposeError):
    """A path, file or argument that cannot be used."""


class ConfigError(DecomposeError):
    """Invalid [tool.decompose] / decompose.toml configuration."""


class GraphFormatError(DecomposeError):
    """A graph or proposal JSON file that is not in a supported schema."""


class ToolMissingError(DecomposeError):
    """An external program (Graphviz, git...) is needed but not installed."""


class UnknownNameError(DecomposeError):
    """A service, app or module name that does not exist."""


class UnsafeOperationError(DecomposeError):
    """An operation refused to protect user code or data (dirty tree, existing output)."""


class FindingsError(DecomposeError):
    """Not a usage error: the command ran and found problems (e.g. check violations)."""

    exit_code = 1
