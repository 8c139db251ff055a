"""What a dry run tells: every file the real run would write (new, changed, unchanged) and each
check the real run would fail, with the way out, so ``--dry-run`` never promises a run that then
refuses. Reads the file system; writes nothing.

The checks are the ones :mod:`decompose.extract.changeset` makes when it writes: an existing
service folder with other content needs ``--force`` (``write_tree``), a path that exists as a
file cannot become the folder, and ``--apply`` refuses a dirty git work tree unless ``--force``
(``ensure_clean``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from decompose.extract.changeset import Content, git_dirty

#: folders a service tree never compares (what changeset's tree comparison skips)
_SKIP = ("__pycache__",)


@dataclass(frozen=True, slots=True)
class FilePlan:
    """One file of the real run: its path as shown and ``new``, ``changed``, ``unchanged`` or ``removed``."""

    path: str
    status: str
    empty: bool = False  # an empty file: a unified diff has no line to show for it


@dataclass(frozen=True, slots=True)
class DryRun:
    """The files of the real run (service folder, then the monolith's) and what it would refuse."""

    service: tuple[FilePlan, ...]
    monolith: tuple[FilePlan, ...]
    blockers: tuple[str, ...]

    def lines(self) -> list[str]:
        """For people: one line per file to write (``would write PATH (new)``) and a count of the unchanged."""
        out: list[str] = []
        for label, plans in (("", self.service), (" in the monolith", self.monolith)):
            same = 0
            for f in plans:
                if f.status == "unchanged":
                    same += 1
                elif f.status == "removed":
                    out.append(f"would remove {f.path}{label}")
                else:
                    out.append(f"would write {f.path} ({f.status}{', empty' if f.empty else ''}){label}")
            if same:
                out.append(f"{same} file(s){label} already as they would be written")
        return out


def _bytes(content: Content) -> bytes:
    return content if isinstance(content, bytes) else content.encode("utf-8")


def _status(path: Path, content: Content | None) -> str:
    exists = path.is_file()
    if content is None:
        return "removed" if exists else "unchanged"
    if not exists:
        return "new"
    return "unchanged" if path.read_bytes() == _bytes(content) else "changed"


def dry_run(
    target: Path,
    files: Mapping[str, Content],
    root: Path,
    monolith: Mapping[str, Content | None] | None = None,
    *,
    apply: bool = False,
    force: bool = False,
) -> DryRun:
    """The real run of ``extract`` writing ``files`` as folder ``target`` (and ``monolith`` into ``root``).

    ``monolith``: the rewired monolith's files (None with ``--no-rewire``); ``apply``: the real run
    writes them in place; ``force``: as ``--force``.
    """
    target = Path(target)
    service = tuple(
        FilePlan(str(target / rel), _status(target / rel, files[rel]), not files[rel]) for rel in sorted(files)
    )
    blockers: list[str] = []
    if target.is_symlink() or (target.exists() and not target.is_dir()):
        blockers.append(f"{target} exists and is not a folder")
    elif target.is_dir() and not force:
        extra = sorted(
            p.relative_to(target).as_posix()
            for p in target.rglob("*")
            if p.is_file() and not any(s in p.parts for s in _SKIP) and p.relative_to(target).as_posix() not in files
        )
        if extra or any(f.status != "unchanged" for f in service):
            blockers.append(f"{target} already exists with other content (use --force to replace it)")
    plans: tuple[FilePlan, ...] = ()
    if monolith is not None:
        plans = tuple(
            FilePlan(str(Path(root) / rel), _status(Path(root) / rel, monolith[rel]), monolith[rel] == "")
            for rel in sorted(monolith)
        )
        changes = [f for f in plans if f.status != "unchanged"]
        if apply and not force and changes:
            dirty = git_dirty(Path(root))
            if dirty:
                shown = ", ".join(sorted(dirty)[:3]) + (", ..." if len(dirty) > 3 else "")
                blockers.append(
                    f"--apply: the git work tree of {root} has uncommitted changes ({shown});"
                    " commit or stash them first, or use --force"
                )
    return DryRun(service, plans, tuple(blockers))
