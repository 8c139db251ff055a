"""Output conventions every command follows.

- Results for machines go to stdout (``--format json``), stable and documented.
- Text for people goes to stderr: rich tables on a terminal; plain aligned text when stderr is a
  pipe or a log (no colour, no box drawing, every cell whole, so ``grep`` finds it).
  ``FORCE_COLOR`` or ``TTY_COMPATIBLE=1`` ask for the terminal form; ``NO_COLOR`` turns colour and
  every other escape code off while keeping the terminal's tables.
- The human format is called ``text`` everywhere (``propose`` still accepts its old name ``table``).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console

#: one table: (title, column headers, rows, indexes of right-aligned columns); a str is a line of text
Table = tuple[str, Sequence[str], Sequence[Sequence[str]], frozenset[int]]


def stderr_is_terminal() -> bool:
    """Whether text for people goes to a terminal (rich) rather than a pipe or a log (plain text)."""
    return sys.stderr.isatty() or bool(os.environ.get("FORCE_COLOR")) or os.environ.get("TTY_COMPATIBLE") == "1"


def err_console() -> Console:
    """rich's console on stderr; under ``NO_COLOR`` no escape codes at all (rich alone keeps bold and italic)."""
    from rich.console import Console

    if os.environ.get("NO_COLOR"):
        return Console(stderr=True, highlight=False, color_system=None)
    return Console(stderr=True, highlight=False)


def say(text: str) -> None:
    """One line for people on stderr, as it is (no markup, no wrapping)."""
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


def plain_tables(items: Iterable[Table | str]) -> str:
    """Tables as plain aligned text, every cell whole; lines of text as they are."""
    out: list[str] = []
    for item in items:
        if isinstance(item, str):
            out.append(item)
            continue
        title, header, rows, right = item
        widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(header)]

        def line(cells: Sequence[str], widths: list[int] = widths, right: frozenset[int] = right) -> str:
            pairs = enumerate(zip(cells, widths, strict=True))
            return "  ".join(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in pairs).rstrip()

        if title:
            out.append(title)
        out += [line(header), line(["-" * w for w in widths]), *(line(r) for r in rows), ""]
    return "\n".join(out).rstrip("\n") + "\n" if out else ""


def print_tables(items: Iterable[Table | str]) -> None:
    """Tables for people on stderr: rich on a terminal, :func:`plain_tables` otherwise."""
    if not stderr_is_terminal():
        sys.stderr.write(plain_tables(items))
        sys.stderr.flush()
        return
    from rich.table import Table as RichTable

    console = err_console()
    for item in items:
        if isinstance(item, str):
            console.print(item, markup=False)
            continue
        title, header, rows, right = item
        t = RichTable(title=title or None, title_justify="left")
        for i, col in enumerate(header):
            t.add_column(col, justify="right" if i in right else "left", overflow="fold")
        for row in rows:
            t.add_row(*row)
        console.print(t)
