"""The monolith's settings must not need the moved apps' code: a star import of a moved module is replaced
by that module's statements.

``from voip.settings import *`` in the monolith's settings reads the moved app's folder on every start;
once the folder is gone (the end of a cut-over) the monolith would not start. The module's body (the
same values, computed the same way, in local and remote mode alike) takes the import's place, between
two marker comments. It is left as it is, with a note, when the module cannot be inlined faithfully:
it defines ``__all__`` (the star import takes only those names), imports relatively, or imports
moved code itself.

Example::

    >>> text = "DEBUG = True\\nfrom voip.settings import *\\n"
    >>> new, notes = inline_star_imports(text, {"voip.settings": "VOIP = [1]\\n"}, "voip")
    >>> print(new, end="")
    DEBUG = True
    # decompose: the values of voip.settings (it moves to service voip), copied here
    VOIP = [1]
    # decompose: end of the values of voip.settings
    >>> notes
    ['voip.settings: star import replaced by its values']
"""

from __future__ import annotations

import ast
from collections.abc import Mapping


def _why_not(source: str, moved: Mapping[str, str]) -> str | None:
    """Why ``source`` cannot take its star import's place, or None when it can."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return "it does not parse"
    for stmt in tree.body:
        if isinstance(stmt, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            if any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets):
                return "it defines __all__"
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level:
            return "it imports relatively"
        names = [node.module or ""] if isinstance(node, ast.ImportFrom) else []
        names += [a.name for a in node.names] if isinstance(node, ast.Import) else []
        for name in names:
            if any(name == m or name.startswith(m + ".") for m in moved):
                return f"it imports {name}, which moves too"
    return None


def inline_star_imports(text: str, moved: Mapping[str, str], service: str) -> tuple[str, list[str]]:
    """``text`` (a staying settings module) with each top-level ``from <moved module> import *`` replaced by
    that module's source (``moved``: moved module → its source), and notes saying what was done or not."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return text, []
    lines = text.splitlines(keepends=True)
    notes: list[str] = []
    # bottom-up, so earlier line numbers stay valid
    stars = [
        n
        for n in tree.body
        if isinstance(n, ast.ImportFrom) and not n.level and n.module in moved and [a.name for a in n.names] == ["*"]
    ]
    for node in sorted(stars, key=lambda n: n.lineno, reverse=True):
        module = node.module or ""
        source = moved[module]
        why = _why_not(source, moved)
        if why is not None:
            notes.append(f"{module}: star import kept ({why}); copy the values the settings need by hand")
            continue
        body = source if source.endswith("\n") or not source else source + "\n"
        block = (
            f"# decompose: the values of {module} (it moves to service {service}), copied here\n"
            + body.strip("\n")
            + "\n"
            + f"# decompose: end of the values of {module}\n"
        )
        end = node.end_lineno or node.lineno
        lines[node.lineno - 1 : end] = [block]
        notes.append(f"{module}: star import replaced by its values")
    return "".join(lines), sorted(notes)


__all__ = ["inline_star_imports"]
