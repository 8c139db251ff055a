"""Reading a project's files safely: the one place later stages get source text or a file tree from.

Scanning reads every Python file once (:mod:`decompose.scan.parallel`); extraction needs the text
and syntax tree of a few modules again (to copy them, to place a comment at a line) and the other
files of the apps it moves (templates, static files). Both go through here, with the filters
discovery applies: regular files only (never a FIFO, a device or a folder named ``x.py``), the
size cap, no symlink that leads out of the project or round in a loop. Nothing is imported or run.

Example::

    >>> import tempfile, pathlib
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> (root / "a.py").write_text("x = 1\\n")
    6
    >>> read_source(str(root / "a.py"), 1000)
    b'x = 1\\n'
"""

from __future__ import annotations

import ast
import os
import stat
from pathlib import Path

from decompose.scan.python import ScanError, parse_source

__all__ = ["ScanError", "SourceError", "absolute_module", "parse_source", "read_source", "read_text", "walk_files"]

#: folders never walked when copying an app's files (tool caches, environments, VCS)
SKIP_DIRS = frozenset({"__pycache__", "node_modules", ".git", ".venv", "venv", ".tox", ".mypy_cache", ".pytest_cache"})
#: files never copied: byte code and local databases
SKIP_SUFFIXES = (".pyc", ".pyo", ".sqlite3")


class SourceError(Exception):
    """A file that cannot be read as source; ``reason`` says why (the caller lists it as skipped)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def read_source(path: str, max_bytes: int) -> bytes:
    """The bytes of the regular file at ``path``, at most ``max_bytes`` long; :class:`SourceError` otherwise.

    Opened without blocking (a FIFO put where a module was cannot hang the run) and checked on the
    open descriptor, so a file swapped for something else after discovery is refused too.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise SourceError(_reason(exc)) from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise SourceError("not a regular file")
        if st.st_size > max_bytes:
            raise SourceError(f"too large ({st.st_size:,} bytes > max_file_bytes {max_bytes:,})")
        chunks = []
        left = max_bytes + 1
        while left > 0:
            block = os.read(fd, min(left, 1 << 20))
            if not block:
                break
            chunks.append(block)
            left -= len(block)
        data = b"".join(chunks)
        if len(data) > max_bytes:
            raise SourceError(f"too large (> max_file_bytes {max_bytes:,}; it grew while read)")
        return data
    except OSError as exc:
        raise SourceError(_reason(exc)) from None
    finally:
        os.close(fd)


def read_text(root: str | Path, rel: str, max_bytes: int | None = None) -> str | None:
    """The text of ``root/rel`` when it is a readable regular file within the size cap, else None.

    For the files a later stage looks at again (the settings module, a URLconf, ``requirements.txt``):
    what cannot be read is treated as absent, never waited on.
    """
    from decompose.config import DEFAULT_MAX_FILE_BYTES

    try:
        data = read_source(os.path.join(root, rel), max_bytes or DEFAULT_MAX_FILE_BYTES)
    except SourceError:
        return None
    return data.decode("utf-8", errors="replace")


def parse_tree(source: bytes) -> ast.Module:
    """The syntax tree of ``source`` as scanning parses it (:class:`ScanError` when it cannot)."""
    return parse_source(source)


def walk_files(root: Path, folder: str, max_bytes: int) -> tuple[list[str], list[tuple[str, str]]]:
    """Every file under ``root/folder`` to copy, as POSIX paths relative to ``root``, and what was skipped.

    Skipped, with the reason: anything not a regular file, files over ``max_bytes``, symlinks that
    resolve outside ``root``, symlink loops, unreadable folders. Hidden folders, tool caches, byte
    code and SQLite files are left out silently (they are never part of an app). Sorted.
    """
    files: list[str] = []
    skipped: list[tuple[str, str]] = []
    real_root = os.path.realpath(root)
    seen: set[tuple[int, int]] = set()

    def inside(real: str) -> bool:
        return real == real_root or real.startswith(real_root + os.sep)

    def walk(abspath: str, rel: str) -> None:
        try:
            st = os.stat(abspath)
        except OSError as exc:
            skipped.append((rel, f"cannot read folder: {_reason(exc)}"))
            return
        if (st.st_dev, st.st_ino) in seen:
            skipped.append((rel, "symlink loop (folder already visited)"))
            return
        seen.add((st.st_dev, st.st_ino))
        try:
            entries = sorted(os.scandir(abspath), key=lambda e: e.name)
        except OSError as exc:
            skipped.append((rel, f"cannot read folder: {_reason(exc)}"))
            return
        for entry in entries:
            name = entry.name
            relpath = f"{rel}/{name}"
            if not name.isascii() and name != name.encode("utf-8", "surrogateescape").decode("utf-8", "replace"):
                # not valid UTF-8 (os.fsdecode kept the bytes as surrogates): no report or diff can name it
                escaped = os.fsencode(relpath).decode("utf-8", "backslashreplace")
                skipped.append((escaped, "name is not valid UTF-8 (copy it by hand)"))
                continue
            try:
                link = entry.is_symlink()
                if link and not inside(os.path.realpath(entry.path)):
                    skipped.append((relpath, "symlink to outside the project (not followed)"))
                    continue
                st = os.stat(entry.path)
            except OSError as exc:
                skipped.append((relpath, _reason(exc)))
                continue
            if stat.S_ISDIR(st.st_mode):
                if name.startswith(".") or name in SKIP_DIRS:
                    continue
                walk(entry.path, relpath)
            elif not stat.S_ISREG(st.st_mode):
                skipped.append((relpath, "not a regular file"))
            elif name.endswith(SKIP_SUFFIXES):
                continue
            elif st.st_size > max_bytes:
                skipped.append((relpath, f"too large ({st.st_size:,} bytes > max_file_bytes {max_bytes:,})"))
            else:
                files.append(relpath)

    base = os.path.join(root, folder)
    if not inside(os.path.realpath(base)):
        return [], [(folder, "folder outside the project (not followed)")]
    walk(base, folder.rstrip("/"))
    return sorted(files), sorted(skipped)


def absolute_module(package: str, module: str | None, level: int) -> str:
    """The module ``from <level dots><module> import ...`` names inside ``package`` ("" when above the top).

    >>> absolute_module("shop.orders", "models", 1), absolute_module("shop.orders", None, 2)
    ('shop.orders.models', 'shop')
    """
    if not level:
        return module or ""
    parts = package.split(".") if package else []
    base = parts[: len(parts) - (level - 1)] if level > 1 else parts
    return ".".join([*base, module] if module else base)


def _reason(exc: OSError) -> str:
    import errno

    if exc.errno == errno.ELOOP:
        return "symlink loop"
    if exc.errno == errno.EISDIR:
        return "is a folder"
    if exc.errno == errno.ENOENT and os.path.islink(exc.filename or ""):
        return "dangling symlink"
    return f"cannot read: {exc.strerror or exc}"
