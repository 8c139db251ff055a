"""Changesets: the files an extraction would write, as a diff or an atomic write.

Two ways to write, both all-or-nothing:

- :func:`write_tree` replaces a whole folder (a generated service): every file
  is written into a temporary sibling folder first, which is then renamed into
  place; an existing folder is swapped out and removed only after the rename
  succeeded. An interruption leaves either the old folder or the new one.
- :func:`apply_files` edits files in place (the monolith): every new content is
  first staged next to its target; only when all are staged are they renamed
  over their targets (each rename is atomic), and on a failure the renames
  already done are rolled back from backups.

Example::

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp()) / "svc"
    >>> write_tree(d, {"a.txt": "1\\n", "pkg/b.py": "x = 1\\n"})
    >>> sorted(p.relative_to(d).as_posix() for p in d.rglob("*") if p.is_file())
    ['a.txt', 'pkg/b.py']
"""

from __future__ import annotations

import difflib
import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from decompose.errors import InputError, UnsafeOperationError

EXECUTABLE = ("manage.py",)


@dataclass(frozen=True, slots=True)
class Changeset:
    """Files to write under ``target``: ``{relative POSIX path: text}``."""

    target: Path
    files: Mapping[str, str] = field(default_factory=dict)

    def paths(self) -> list[str]:
        return sorted(self.files)

    def diff(self) -> str:
        return diff_tree(self.target, self.files)


def _check_rel(rel: str) -> None:
    p = Path(rel)
    if p.is_absolute() or ".." in p.parts or not rel:
        raise InputError(f"refusing to write outside the target folder: {rel!r}")


def _write(base: Path, files: Mapping[str, str]) -> None:
    for rel in sorted(files):
        _check_rel(rel)
        dest = base / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        with open(dest, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(files[rel])
        if dest.name in EXECUTABLE:
            dest.chmod(0o755)


def write_tree(target: Path, files: Mapping[str, str], *, force: bool = False) -> None:
    """Write ``files`` as the complete content of folder ``target``, atomically."""
    target = Path(target)
    if target.exists() and not target.is_dir():
        raise UnsafeOperationError(f"{target} exists and is not a folder")
    if target.exists() and not force:
        raise UnsafeOperationError(f"{target} already exists", hint="use --force to replace it")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.parent / f".{target.name}.decompose-tmp-{os.getpid()}"
    old = target.parent / f".{target.name}.decompose-old-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        tmp.mkdir()
        _write(tmp, files)
        if target.exists():
            os.replace(target, old)
            try:
                os.replace(tmp, target)
            except BaseException:
                os.replace(old, target)
                raise
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def apply_files(root: Path, changes: Mapping[str, str | None]) -> None:
    """Write (text) or delete (``None``) files under ``root``: all or nothing."""
    root = Path(root)
    staged: list[tuple[Path, Path | None]] = []  # (target, staged file or None for delete)
    try:
        for rel in sorted(changes):
            _check_rel(rel)
            dest = root / rel
            text = changes[rel]
            if text is None:
                staged.append((dest, None))
                continue
            dest.parent.mkdir(parents=True, exist_ok=True)
            tmp = dest.with_name(f".{dest.name}.decompose-new")
            with open(tmp, "w", encoding="utf-8", newline="\n") as fh:
                fh.write(text)
            if dest.exists():
                shutil.copymode(dest, tmp)
            staged.append((dest, tmp))
    except BaseException:
        for _, tmp in staged:
            if tmp is not None:
                tmp.unlink(missing_ok=True)
        raise
    done: list[tuple[Path, Path | None]] = []  # (target, backup or None if it did not exist)
    try:
        for dest, tmp in staged:
            backup = dest.with_name(f".{dest.name}.decompose-bak") if dest.exists() else None
            if backup is not None:
                shutil.copy2(dest, backup)
            try:
                if tmp is None:
                    dest.unlink(missing_ok=True)
                else:
                    os.replace(tmp, dest)
            except BaseException:
                if backup is not None:
                    backup.unlink(missing_ok=True)
                raise
            done.append((dest, backup))
    except BaseException:
        for dest, backup in reversed(done):
            if backup is not None:
                os.replace(backup, dest)
            else:
                dest.unlink(missing_ok=True)
        for _, tmp in staged:
            if tmp is not None:
                tmp.unlink(missing_ok=True)
        raise
    for _, backup in done:
        if backup is not None:
            backup.unlink(missing_ok=True)


def diff_tree(target: Path, files: Mapping[str, str]) -> str:
    """Unified diff from what is in ``target`` now to ``files`` (a full replacement of the folder)."""
    target = Path(target)
    existing: set[str] = set()
    if target.is_dir():
        existing = {p.relative_to(target).as_posix() for p in target.rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    out: list[str] = []
    for rel in sorted(existing | set(files)):
        old = (target / rel).read_text(encoding="utf-8", errors="replace") if rel in existing else ""
        new = files.get(rel, "")
        if rel in existing and old == new:
            continue
        out.extend(
            difflib.unified_diff(
                old.splitlines(keepends=True),
                new.splitlines(keepends=True),
                fromfile=f"a/{rel}" if rel in existing else "/dev/null",
                tofile=f"b/{rel}" if rel in files else "/dev/null",
            )
        )
    text = "".join(out)
    return text if not text or text.endswith("\n") else text + "\n"
