"""The client's packages in the monolith's own dependency files, in the monolith's own style.

The generated client (``services/runtime.py``) imports packages the monolith may not declare yet.
:func:`client_requirement_changes` adds the missing ones where the monolith declares its dependencies
(:func:`~decompose.extract.service.requirements.dependency_root`):

- ``requirements.txt``: lines appended, indented like the file's last requirement;
- else ``pyproject.toml``: ``[project] dependencies`` or ``[tool.poetry.dependencies]``, edited with
  tomlkit so comments, order and layout of the rest of the file are kept (LibCST is for Python; the
  standard library's ``tomllib`` only reads TOML).

Each package is written the way the project writes its own: ``name==X.Y.Z`` when every declared
requirement is pinned with ``==``, ``name~=X.Y.Z`` when most use ``~=``, a lower bound otherwise
(for poetry: an exact version, a caret, or ``>=``). Exact versions are :data:`CLIENT_VERSIONS`, the
ones decompose's own suites run the client with. A dependency file above the rewired folder (``extract src``
with ``pyproject.toml`` beside ``src/``) is not written (the rewire writes only below its folder): a note
names the file and the lines to add.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Sequence
from pathlib import Path

import tomlkit
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from decompose.extract.service.requirements import dependency_root
from decompose.scan.source import read_text

#: The versions of the client's packages decompose's suites run with: what an ``==`` or ``~=`` style gets.
CLIENT_VERSIONS: dict[str, str] = {
    "httpx": "0.29.0",
    "pybreaker": "1.4.1",
    "stamina": "26.1.0",
    "pyjwt": "2.15.1",
}


def _parse(text: str) -> Requirement | None:
    try:
        return Requirement(text.strip())
    except InvalidRequirement:
        return None


def _style(requirements: Sequence[Requirement]) -> str:
    """``==`` when every requirement is pinned exactly, ``~=`` when most versioned ones use it, else ``>=``.

    >>> _style([Requirement("a==1"), Requirement("b==2.0")])
    '=='
    >>> _style([Requirement("a~=1.2.0"), Requirement("b"), Requirement("c~=2.0")])
    '~='
    >>> _style([Requirement("a>=1"), Requirement("b==2")])
    '>='
    """
    ops = [[s.operator for s in r.specifier] for r in requirements]
    if ops and all(o == ["=="] for o in ops):
        return "=="
    versioned = [o for o in ops if o]
    if versioned and sum(o == ["~="] for o in versioned) * 2 > len(versioned):
        return "~="
    return ">="


def _spelled(requirement: str, style: str) -> str:
    """``httpx>=0.27`` in ``style``: ``httpx==0.29.0``, ``httpx~=0.29.0`` or as given."""
    req = Requirement(requirement)
    version = CLIENT_VERSIONS.get(canonicalize_name(req.name))
    if style in ("==", "~=") and version is not None:
        return f"{req.name}{style}{version}"
    return requirement


def _poetry_style(specs: Sequence[object]) -> str:
    """``exact`` when every poetry version is a bare version, ``caret`` when most are ``^``, else ``>=``."""
    versions = [s.get("version") if isinstance(s, dict) else s for s in specs]
    strings = [v for v in versions if isinstance(v, str) and v.strip() not in ("", "*")]
    if strings and len(strings) == len(versions) and all(re.fullmatch(r"=?=?\s*\d[\w.]*", v) for v in strings):
        return "exact"
    if strings and sum(v.startswith("^") for v in strings) * 2 > len(strings):
        return "caret"
    return ">="


def _poetry_spelled(requirement: str, style: str) -> tuple[str, str]:
    """(name, version constraint) of a requirement for ``[tool.poetry.dependencies]``."""
    req = Requirement(requirement)
    version = CLIENT_VERSIONS.get(canonicalize_name(req.name))
    if style == "exact" and version is not None:
        return req.name, version
    if style == "caret" and version is not None:
        return req.name, f"^{version}"
    return req.name, str(req.specifier) or "*"


def _requirements_txt(text: str, wanted: Sequence[str]) -> str | None:
    """``requirements.txt`` with the missing ``wanted`` requirements appended, or None when none is missing."""
    lines = re.sub(r"\\\r?\n", " ", text).splitlines()
    declared: list[Requirement] = []
    indent = ""
    for raw in lines:
        line = re.sub(r"(^|\s)#.*$", "", raw).strip()
        if not line or line.startswith("-"):
            continue
        req = _parse(re.split(r"\s--?\w", line, maxsplit=1)[0])
        if req is not None:
            declared.append(req)
            indent = raw[: len(raw) - len(raw.lstrip())]
    names = {canonicalize_name(r.name) for r in declared}
    style = _style(declared)
    missing = [_spelled(r, style) for r in wanted if canonicalize_name(Requirement(r).name) not in names]
    if not missing:
        return None
    return text + ("" if text.endswith("\n") or not text else "\n") + "".join(f"{indent}{r}\n" for r in missing)


def _pyproject(text: str, wanted: Sequence[str]) -> str | None:
    """``pyproject.toml`` with the missing ``wanted`` requirements in its ``[project] dependencies`` (or
    ``[tool.poetry.dependencies]``), or None when it declares neither or nothing is missing."""
    try:
        data = tomllib.loads(text)
        doc = tomlkit.parse(text)
    except (tomllib.TOMLDecodeError, tomlkit.exceptions.ParseError):
        return None
    project = data.get("project")
    deps = project.get("dependencies") if isinstance(project, dict) else None
    if isinstance(deps, list):
        declared = [r for r in (_parse(s) for s in deps if isinstance(s, str)) if r is not None]
        names = {canonicalize_name(r.name) for r in declared}
        style = _style(declared)
        missing = [_spelled(r, style) for r in wanted if canonicalize_name(Requirement(r).name) not in names]
        if not missing:
            return None
        array = doc["project"]["dependencies"]
        for r in missing:
            array.append(r)
        return tomlkit.dumps(doc)
    tool = data.get("tool")
    poetry = tool.get("poetry") if isinstance(tool, dict) else None
    table = poetry.get("dependencies") if isinstance(poetry, dict) else None
    if not isinstance(table, dict):
        return None
    names = {canonicalize_name(n) for n in table}
    style = _poetry_style([v for n, v in table.items() if canonicalize_name(n) != "python"])
    entries = [_poetry_spelled(r, style) for r in wanted if canonicalize_name(Requirement(r).name) not in names]
    if not entries:
        return None
    target = doc["tool"]["poetry"]["dependencies"]
    for name, version in entries:
        target[name] = version
    return tomlkit.dumps(doc)


def client_requirement_changes(root: Path, wanted: Sequence[str]) -> tuple[dict[str, str], list[str]]:
    """(changes: path relative to ``root`` → new text, notes for MIGRATION.md) that declare the ``wanted``
    requirements (lower bounds such as ``httpx>=0.27``) where the monolith at ``root`` declares its own:
    its ``requirements.txt`` when it has one, else its ``pyproject.toml``."""
    root = Path(root).absolute()
    folder = dependency_root(root)
    for rel, edit in (("requirements.txt", _requirements_txt), ("pyproject.toml", _pyproject)):
        text = read_text(folder, rel)
        if text is None:
            continue
        new = edit(text, wanted)
        if new is None:
            return {}, []
        if folder == root:
            return {rel: new}, []
        old = set(text.splitlines())
        added = [ln.strip().rstrip(",").strip("\"'") for ln in new.splitlines() if ln not in old]
        where = Path(os.path.relpath(folder / rel, root)).as_posix()
        return {}, [
            f"the monolith declares its dependencies in {where}, above the rewired folder (the rewire writes "
            f"only below it): add the client's packages there: {'; '.join(added)}"
        ]
    return {}, []


__all__ = ["CLIENT_VERSIONS", "client_requirement_changes"]
