"""Changesets: the only module of decompose that writes into a project or an output folder.

Three things happen here: a unified diff of what would be written (:class:`Changeset`,
:func:`diff_tree`), a journalled all-or-nothing write (:func:`apply_changes` edits files of
the monolith in place; :func:`write_tree` writes a generated service folder, replacing an
existing one with ``force``), and :func:`recover`, which finishes or undoes a write that was
interrupted (killed, power cut) from the journal it left behind.

The journal protocol (one transaction per *base* folder; the journal is ``base/`` +
:data:`JOURNAL`, always written to a temporary file, fsynced and renamed into place):

1. journal ``staging``: every entry (target, staged path, backup path, whether the target
   existed) and every folder that will be created;
2. create the folders; stage every new text next to its target (``.<name>.decompose-new``;
   a folder: the whole new tree in ``.<name>.decompose-new/``); copy every existing target
   file to ``.<name>.decompose-bak``; fsync all of them and their folders;
3. journal ``committed`` -- **the commit point**;
4. rename every staged file over its target (a folder: the old one to its backup name, then
   the new one into place), fsync the folders;
5. journal ``done``; remove the backups; remove the journal.

:func:`recover` decides by the journal's state alone. ``staging`` (or only the journal's
temporary file): no target was touched yet, so staged files, backups and created folders
are removed -- the tree is exactly as before ("rolled back"). ``committed`` or ``done``:
every staged file still present is renamed over its target, then the backups go -- the
tree is exactly the completed apply ("completed"). ``rolling-back`` (an error, not a kill,
stopped step 4): targets are restored from their backups, new files removed ("rolled
back"). Every recovery step is idempotent, so a recovery that is itself killed is simply
run again. Nothing computes changes while a journal is pending: both writers refuse, and
``decompose extract`` recovers first.

Fault injection: with ``DECOMPOSE_FAULT_AFTER_STEP=N`` in the environment the process
kills itself (SIGKILL, no cleanup) right after the N-th file system step of the process
(recovery steps count too, in order); ``0`` lists every step on stderr and stops nowhere.

Example::

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp()) / "svc"
    >>> write_tree(d, {"a.txt": "1\\n", "pkg/b.py": "x = 1\\n"})
    True
    >>> sorted(p.relative_to(d).as_posix() for p in d.rglob("*") if p.is_file())
    ['a.txt', 'pkg/b.py']
    >>> apply_changes(d, {"a.txt": "2\\n", "pkg/b.py": None, "c.txt": "3\\n"}, force=True)
    ['a.txt', 'c.txt', 'pkg/b.py']
    >>> sorted(p.relative_to(d).as_posix() for p in d.rglob("*"))
    ['a.txt', 'c.txt', 'pkg']
"""

from __future__ import annotations

import difflib
import json
import os
import shutil
import signal
import subprocess
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from decompose.errors import InputError, UnsafeOperationError

#: The journal's name inside the folder a transaction writes into.
JOURNAL = ".decompose-journal.json"
#: Environment variable of the fault-injection hook (see the module docstring).
FAULT_ENV = "DECOMPOSE_FAULT_AFTER_STEP"
EXECUTABLE = ("manage.py",)
_STAGED = ".decompose-new"
_BACKUP = ".decompose-bak"
_SKIP = ("__pycache__",)

#: What a file of a changeset holds: text (written as UTF-8, newlines as given) or bytes (written as they are).
Content = str | bytes


@dataclass(frozen=True, slots=True)
class Changeset:
    """Files to write under ``target``: ``{relative POSIX path: text or bytes}`` (bytes: copied byte for byte)."""

    target: Path
    files: Mapping[str, Content] = field(default_factory=dict)

    def paths(self) -> list[str]:
        return sorted(self.files)

    def diff(self) -> str:
        return diff_tree(self.target, self.files)


@dataclass(frozen=True, slots=True)
class Recovery:
    """What :func:`recover` did in ``base``: ``"rolled back"`` or ``"completed"``, and how many files."""

    base: Path
    action: str
    files: int

    def message(self) -> str:
        return f"{self.action} an interrupted apply ({self.files} files) in {self.base}"


@dataclass(frozen=True, slots=True)
class _Entry:
    """One target of a transaction, paths relative to the base folder."""

    kind: str  # "file" or "tree"
    target: str
    staged: str
    backup: str | None  # None: a file that did not exist (nothing to back up)
    existed: bool
    delete: bool = False
    files: int = 1

    def to_dict(self) -> dict[str, object]:
        return {"kind": self.kind, "target": self.target, "staged": self.staged, "backup": self.backup,
                "existed": self.existed, "delete": self.delete, "files": self.files}

    @staticmethod
    def from_dict(d: Mapping[str, object]) -> _Entry:
        kind, target, staged, backup = d["kind"], d["target"], d["staged"], d.get("backup")
        if kind not in ("file", "tree") or not isinstance(target, str) or not isinstance(staged, str):
            raise ValueError("bad entry")
        if backup is not None and not isinstance(backup, str):
            raise ValueError("bad entry")
        for rel in (target, staged, backup):
            if rel is not None:
                _check_rel(rel)
        files = d.get("files", 1)
        return _Entry(str(kind), target, staged, backup, bool(d["existed"]), bool(d.get("delete", False)),
                      files if isinstance(files, int) else 1)


# -- fault injection -------------------------------------------------------------------

_steps = [0]


def _fault_setting() -> int | None:
    spec = os.environ.get(FAULT_ENV)
    if spec is None or not spec.strip():
        return None
    try:
        n = int(spec)
    except ValueError:
        raise InputError(f"{FAULT_ENV}={spec!r}: not a step number") from None
    if n < 0:
        raise InputError(f"{FAULT_ENV}={spec!r}: not a step number")
    return n


def _step(label: str) -> None:
    """Count one file system step; the fault hook stops the process here when asked to."""
    stop = _fault_setting()
    if stop is None:
        return
    _steps[0] += 1
    n = _steps[0]
    if stop == 0:
        os.write(2, f"decompose: step {n}: {label}\n".encode())
    elif n == stop:
        os.write(2, f"decompose: fault injected after step {n}: {label}\n".encode())
        if hasattr(signal, "SIGKILL"):
            os.kill(os.getpid(), signal.SIGKILL)
        os._exit(137)  # pragma: no cover - platforms without SIGKILL


# -- file system helpers ---------------------------------------------------------------


def _check_rel(rel: str) -> None:
    p = Path(rel)
    if not rel or p.is_absolute() or ".." in p.parts or p.as_posix() in (".", ""):
        raise InputError(f"refusing to write outside the target folder: {rel!r}")


def _check_no_symlink(base: Path, rel: str) -> None:
    """Refuse to write through a symlink (it could point out of the tree) or over a non-file."""
    path = base
    for part in Path(rel).parts:
        path = path / part
        if path.is_symlink():
            raise InputError(f"refusing to write through a symlink: {rel!r} ({path} is a link)")
    if path.exists() and not path.is_file():
        raise InputError(f"refusing to replace {rel!r}: not a regular file")


def _fsync_dir(path: Path) -> None:
    if os.name == "nt":  # pragma: no cover - directories cannot be opened on Windows
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _encoded(content: Content) -> bytes:
    """The bytes a file holding ``content`` has on disk."""
    return content if isinstance(content, bytes) else content.encode("utf-8")


def _write_file(path: Path, content: Content) -> None:
    with open(path, "wb") as fh:
        fh.write(_encoded(content))
        fh.flush()
        os.fsync(fh.fileno())


def _remove(path: Path, label: str) -> None:
    """Remove a file or a folder if it is there (a step when it was)."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()
    else:
        return
    _step(label)


def _tree_files(folder: Path) -> dict[str, Path]:
    return {p.relative_to(folder).as_posix(): p for p in sorted(folder.rglob("*"))
            if p.is_file() and not any(s in p.parts for s in _SKIP)}


def _same_tree(folder: Path, files: Mapping[str, Content]) -> bool:
    have = _tree_files(folder)
    if set(have) != set(files):
        return False
    return all(have[rel].read_bytes() == _encoded(files[rel]) for rel in files)


def _same_file(path: Path, content: Content | None) -> bool:
    if content is None:
        return not path.exists() and not path.is_symlink()
    return path.is_file() and path.read_bytes() == _encoded(content)


def _sibling(rel: str, suffix: str) -> str:
    p = Path(rel)
    return p.with_name(f".{p.name}{suffix}").as_posix()


# -- the journal -------------------------------------------------------------------------


def _write_journal(base: Path, state: str, entries: list[_Entry], dirs: list[str]) -> None:
    tmp = base / (JOURNAL + ".tmp")
    data = {"version": 1, "state": state, "dirs": dirs, "entries": [e.to_dict() for e in entries]}
    _write_file(tmp, json.dumps(data, indent=1, sort_keys=True) + "\n")
    _step(f"{base}: journal {state} written to its temporary file")
    os.replace(tmp, base / JOURNAL)
    _fsync_dir(base)
    _step(f"{base}: journal {state}")


def _read_journal(base: Path) -> tuple[str, list[_Entry], list[str]]:
    path = base / JOURNAL
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        state = data["state"]
        entries = [_Entry.from_dict(e) for e in data["entries"]]
        dirs = [str(d) for d in data.get("dirs", [])]
        for d in dirs:
            _check_rel(d)
        if state not in ("staging", "committed", "rolling-back", "done"):
            raise ValueError(state)
    except (OSError, ValueError, KeyError, TypeError, AttributeError, InputError) as exc:
        raise UnsafeOperationError(
            f"{path}: the journal of an interrupted apply cannot be read ({type(exc).__name__})",
            hint="restore the folder from version control, then delete the journal and its .decompose-* files",
        ) from None
    return str(state), entries, dirs


def pending(base: Path) -> bool:
    """True if ``base`` holds the journal of an interrupted apply (see :func:`recover`)."""
    base = Path(base)
    return (base / JOURNAL).is_file() or (base / (JOURNAL + ".tmp")).is_file()


@contextmanager
def _locked(base: Path) -> Iterator[None]:
    """Hold an exclusive lock on folder ``base`` (released by the kernel even when the process is killed),
    so a second decompose never takes a live transaction's journal for an interrupted one."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no advisory locks on folders
        yield
        return
    fd = os.open(base, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise UnsafeOperationError(f"{base}: another decompose process is writing there",
                                       hint="wait for it to finish, then run again") from None
        yield
    finally:
        os.close(fd)  # releases the lock


def _refuse_pending(base: Path) -> None:
    if pending(base):
        raise UnsafeOperationError(
            f"{base}: an interrupted apply is pending (its journal {JOURNAL} is there)",
            hint="run `decompose extract` again, which recovers it first, or call changeset.recover()",
        )


# -- the transaction's phases ---------------------------------------------------------------


def _stage(base: Path, e: _Entry, content: Content | Mapping[str, Content] | None) -> None:
    target, staged = base / e.target, base / e.staged
    if e.kind == "tree":
        assert isinstance(content, Mapping)
        _remove(staged, f"{base}: removed a stale {e.staged}")
        staged.mkdir()
        for rel in sorted(content):
            dest = staged / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            _write_file(dest, content[rel])
            if dest.name in EXECUTABLE:
                dest.chmod(0o755)
            _step(f"{base}: staged {e.target}/{rel}")
        for folder in sorted({staged, *(p for p in staged.rglob("*") if p.is_dir())}, reverse=True):
            _fsync_dir(folder)
        return
    if not e.delete:
        assert isinstance(content, (str, bytes))
        _write_file(staged, content)
        if e.existed:
            shutil.copymode(target, staged)
        _step(f"{base}: staged {e.target}")
    if e.backup is not None:
        backup = base / e.backup
        shutil.copy2(target, backup)
        with open(backup, "rb+") as fh:
            os.fsync(fh.fileno())
        _step(f"{base}: backed up {e.target}")


def _commit(base: Path, e: _Entry) -> None:
    """Step 4 for one entry; also the roll-forward of recovery (idempotent)."""
    target, staged = base / e.target, base / e.staged
    if e.kind == "tree":
        if not staged.is_dir():
            return  # renamed into place already
        if e.existed and e.backup is not None and target.exists() and not (base / e.backup).exists():
            os.rename(target, base / e.backup)
            _step(f"{base}: moved the old {e.target} aside")
        os.rename(staged, target)
        _step(f"{base}: renamed the new {e.target} into place")
    elif e.delete:
        if target.exists() or target.is_symlink():
            target.unlink()
            _step(f"{base}: deleted {e.target}")
    elif staged.is_file():
        os.replace(staged, target)
        _step(f"{base}: renamed {e.target}")


def _rollback(base: Path, entries: Iterable[_Entry], dirs: list[str], *, restore: bool) -> None:
    """Undo a transaction; ``restore``: targets may have been replaced already (state rolling-back)."""
    for e in entries:
        target = base / e.target
        backup = base / e.backup if e.backup else None
        if restore and e.kind == "tree":
            if e.existed and backup is not None and backup.is_dir():
                _remove(target, f"{base}: removed the new {e.target}")
                os.rename(backup, target)
                _step(f"{base}: restored {e.target}")
            elif not e.existed:
                _remove(target, f"{base}: removed the new {e.target}")
        elif restore:
            if backup is not None and backup.is_file():
                os.replace(backup, target)
                _step(f"{base}: restored {e.target}")
            elif not e.existed:
                _remove(target, f"{base}: removed the new {e.target}")
        _remove(base / e.staged, f"{base}: removed the staged {e.target}")
        if backup is not None:
            _remove(backup, f"{base}: removed the backup of {e.target}")
    for d in sorted(dirs, key=lambda d: (-len(Path(d).parts), d)):
        folder = base / d
        if folder.is_dir() and not folder.is_symlink() and not any(folder.iterdir()):
            folder.rmdir()
            _step(f"{base}: removed the created folder {d}")
    _fsync_dir(base)


def _cleanup(base: Path, entries: Iterable[_Entry]) -> None:
    for e in entries:
        if e.backup is not None:
            _remove(base / e.backup, f"{base}: removed the backup of {e.target}")


def _parents(paths: Iterable[Path]) -> set[Path]:
    return {p.parent for p in paths}


def _transaction(base: Path, entries: list[_Entry], dirs: list[str],
                 contents: Mapping[str, Content | Mapping[str, Content] | None]) -> None:
    _fault_setting()  # a bad value is an input error before anything is written
    with _locked(base):
        _refuse_pending(base)
        _run_transaction(base, entries, dirs, contents)


def _run_transaction(base: Path, entries: list[_Entry], dirs: list[str],
                     contents: Mapping[str, Content | Mapping[str, Content] | None]) -> None:
    try:
        _write_journal(base, "staging", entries, dirs)
        for d in dirs:
            (base / d).mkdir()
            _step(f"{base}: created the folder {d}")
        for e in entries:
            _stage(base, e, contents[e.target])
        for folder in sorted(_parents(base / p for e in entries for p in (e.staged, e.backup) if p)):
            _fsync_dir(folder)
        _write_journal(base, "committed", entries, dirs)  # the commit point
    except BaseException:
        if (base / JOURNAL).is_file() and _read_journal(base)[0] == "committed":
            raise  # committed, but its folder could not be synced: the next run completes it
        _rollback(base, entries, dirs, restore=False)  # no target was touched yet
        _drop_journal(base)
        raise
    try:
        for e in entries:
            _commit(base, e)
        for folder in sorted(_parents(base / e.target for e in entries)):
            _fsync_dir(folder)
    except BaseException:
        _write_journal(base, "rolling-back", entries, dirs)  # if this fails, the next run completes
        _rollback(base, entries, dirs, restore=True)
        _drop_journal(base)
        raise
    _write_journal(base, "done", entries, dirs)
    _cleanup(base, entries)
    _drop_journal(base)


def _drop_journal(base: Path) -> None:
    """The last step of a transaction or a recovery: the journal (and its temporary file) go."""
    (base / (JOURNAL + ".tmp")).unlink(missing_ok=True)
    if (base / JOURNAL).is_file():
        (base / JOURNAL).unlink()
        _fsync_dir(base)
        _step(f"{base}: journal removed")


# -- public writers ------------------------------------------------------------------------


def recover(base: Path) -> Recovery | None:
    """Finish or undo an interrupted apply in ``base`` from its journal; None if there is none.

    The journal's state decides: before the commit point the tree goes back exactly to
    what it was ("rolled back"), after it the apply is completed exactly ("completed").
    """
    base = Path(base)
    if not pending(base):
        return None
    with _locked(base):
        return _recover(base)


def _recover(base: Path) -> Recovery | None:
    journal, tmp = base / JOURNAL, base / (JOURNAL + ".tmp")
    if not journal.is_file():
        if not tmp.is_file():
            return None
        try:  # killed while the first journal was written: nothing else was touched yet
            count = sum(int(e.get("files", 1)) for e in json.loads(tmp.read_text(encoding="utf-8"))["entries"])
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            count = 0
        tmp.unlink()
        _fsync_dir(base)
        _step(f"{base}: removed the journal's temporary file")
        return Recovery(base, "rolled back", count)
    state, entries, dirs = _read_journal(base)
    _remove(tmp, f"{base}: removed the journal's temporary file")
    if state in ("committed", "done"):
        for e in entries:
            _commit(base, e)
        for folder in sorted(_parents(base / e.target for e in entries)):
            if folder.is_dir():
                _fsync_dir(folder)
        _cleanup(base, entries)
        action = "completed"
    else:
        _rollback(base, entries, dirs, restore=state == "rolling-back")
        action = "rolled back"
    _drop_journal(base)
    return Recovery(base, action, sum(e.files for e in entries))


def git_dirty(root: Path) -> list[str] | None:
    """Uncommitted paths of the git work tree holding ``root`` (None when not in git)."""
    try:
        out = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=normal", "--", "."],
            capture_output=True, text=True, check=False, timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if out.returncode != 0:
        return None
    return [ln[3:] for ln in out.stdout.splitlines() if ln.strip()]


def ensure_clean(root: Path) -> None:
    """Raise :class:`UnsafeOperationError` if ``root`` is in a git work tree with uncommitted changes."""
    dirty = git_dirty(root)
    if dirty:
        raise UnsafeOperationError(
            f"{root}: the git work tree has uncommitted changes ({', '.join(sorted(dirty)[:3])}"
            f"{', ...' if len(dirty) > 3 else ''})",
            hint="commit or stash them first, or use --force",
        )


def apply_changes(root: Path, changes: Mapping[str, Content | None], *, force: bool = False) -> list[str]:
    """Write (text or bytes) or delete (``None``) files under ``root``, all or nothing; the paths changed.

    Refuses a dirty git work tree unless ``force`` (so the change can be reviewed and
    reverted with git), and a folder whose interrupted apply was not recovered (the changes
    would have been computed from a half-written tree). Unchanged files are not touched.
    """
    root = Path(root)
    _refuse_pending(root)
    for rel in changes:
        _check_rel(rel)
        _check_no_symlink(root, rel)
    todo = {Path(rel).as_posix(): text for rel, text in sorted(changes.items()) if not _same_file(root / rel, text)}
    if not todo:
        return []
    if not force:
        ensure_clean(root)
    entries: list[_Entry] = []
    dirs: set[str] = set()
    for rel, text in todo.items():
        existed = (root / rel).is_file()
        entries.append(_Entry("file", rel, _sibling(rel, _STAGED), _sibling(rel, _BACKUP) if existed else None,
                              existed, delete=text is None))
        parent = Path(rel).parent
        while parent.parts and not (root / parent).exists():
            dirs.add(parent.as_posix())
            parent = parent.parent
    _transaction(root, entries, sorted(dirs, key=lambda d: (len(Path(d).parts), d)), todo)
    return list(todo)


def write_tree(target: Path, files: Mapping[str, Content], *, force: bool = False,
               beside: Mapping[str, Content] | None = None) -> bool:
    """Write ``files`` as the complete content of folder ``target``, all or nothing.

    ``beside``: more files next to ``target`` (relative to its parent, e.g. the monolith's
    diff), written in the same transaction. An existing folder with other content is only
    replaced with ``force``; one with exactly this content is left alone. False when
    nothing had to be written.
    """
    target = Path(target)
    base = target.parent
    for rel in files:
        _check_rel(rel)
    beside = dict(beside or {})
    for rel in beside:
        _check_rel(rel)
        if Path(rel).parts[0] == target.name:
            raise InputError(f"refusing to write {rel!r} beside {target.name}: it is inside the folder")
        _check_no_symlink(base, rel)
    _refuse_pending(base)
    entries: list[_Entry] = []
    contents: dict[str, Content | Mapping[str, Content] | None] = {}
    if target.is_symlink() or (target.exists() and not target.is_dir()):
        raise UnsafeOperationError(f"{target} exists and is not a folder")
    existed = target.is_dir()
    if not (existed and _same_tree(target, files)):
        if existed and not force:
            raise UnsafeOperationError(f"{target} already exists", hint="use --force to replace it")
        entries.append(_Entry("tree", target.name, _sibling(target.name, _STAGED), _sibling(target.name, _BACKUP),
                              existed, files=len(files)))
        contents[target.name] = dict(files)
    dirs: set[str] = set()
    for rel, text in sorted(beside.items()):
        if _same_file(base / rel, text):
            continue
        was = (base / rel).is_file()
        backup = _sibling(rel, _BACKUP) if was else None
        entries.append(_Entry("file", Path(rel).as_posix(), _sibling(rel, _STAGED), backup, was))
        contents[Path(rel).as_posix()] = text
        parent = Path(rel).parent
        while parent.parts and not (base / parent).exists():
            dirs.add(parent.as_posix())
            parent = parent.parent
    if not entries:
        return False
    base.mkdir(parents=True, exist_ok=True)
    _transaction(base, entries, sorted(dirs, key=lambda d: (len(Path(d).parts), d)), contents)
    return True


def _as_text(data: bytes) -> str | None:
    """``data`` as text for a diff, or None when it is binary (not UTF-8, or holding NUL bytes)."""
    if b"\0" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def diff_tree(target: Path, files: Mapping[str, Content]) -> str:
    """Unified diff from what is in ``target`` now to ``files`` (a full replacement of the folder).

    A binary file (bytes that are not UTF-8 text, on either side) is one line, like git's:
    ``Binary file b/x.png (1,234 bytes) would be written``, ``Binary file x.png (1,234 -> 1,240 bytes) differs``,
    ``Binary file a/x.png (1,234 bytes) would be removed``. Bytes given for a file are always shown so.
    """
    target = Path(target)
    existing: set[str] = set()
    if target.is_dir():
        existing = set(_tree_files(target))
    out: list[str] = []
    for rel in sorted(existing | set(files)):
        old_bytes = (target / rel).read_bytes() if rel in existing else b""
        new_bytes = _encoded(files[rel]) if rel in files else b""
        if rel in existing and rel in files and old_bytes == new_bytes:
            continue
        old, new = _as_text(old_bytes), _as_text(new_bytes)
        if old is None or new is None or isinstance(files.get(rel), bytes):
            if rel not in files:
                out.append(f"Binary file a/{rel} ({len(old_bytes):,} bytes) would be removed\n")
            elif rel not in existing:
                out.append(f"Binary file b/{rel} ({len(new_bytes):,} bytes) would be written\n")
            else:
                out.append(f"Binary file {rel} ({len(old_bytes):,} -> {len(new_bytes):,} bytes) differs\n")
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


__all__ = [
    "FAULT_ENV", "JOURNAL", "Changeset", "Recovery", "apply_changes", "diff_tree", "ensure_clean", "git_dirty",
    "pending", "recover", "write_tree",
]
