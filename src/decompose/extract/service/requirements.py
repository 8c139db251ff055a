"""The service's third-party requirements: the monolith's own pins for what the moved code imports.

Two questions, both answered from files read as text (nothing of the project is imported or run):

1. **What does the monolith pin?** :func:`monolith_pins` reads whichever of these exist in the
   project's :func:`dependency_root` (the given folder, or the nearest one above it that declares
   dependencies, up to the git repository's root): ``uv.lock``, ``poetry.lock``, ``Pipfile.lock``
   (exact versions: what the monolith really runs), ``requirements*.txt`` and ``requirements/*.txt``, ``pyproject.toml``
   (``[project.dependencies]``, ``[project.optional-dependencies]``, ``[tool.poetry.dependencies]``).
   A declared requirement keeps its extras and markers; a lock file's version replaces its
   specifier (``Django[argon2]~=6.0.0`` + ``django 6.0.3`` in ``uv.lock`` → ``Django[argon2]==6.0.3``).
   Requirement strings are parsed with ``packaging`` (PEP 508).
2. **Which distribution provides an import?** :func:`distribution_for` tries, in order: the
   installed distributions' ``top_level.txt`` (or ``RECORD``) when a virtualenv lives *inside*
   the analysed project; the normalized import name among the pins (``openpyxl``,
   ``django_countries`` → ``django-countries``); :data:`ALIASES`; and the pins named
   ``django-<name>``, ``python-<name>``, ``py<name>`` or ``<name>-binary``. What none of them
   answers is returned as unknown: the service's README lists it as a TODO.

Example::

    >>> pins = {"pillow": Pin("pillow==12.3.0", "requirements.txt")}
    >>> distribution_for("PIL", pins, {})
    'pillow'
    >>> distribution_for("no_such_thing", pins, {}) is None
    True
"""

from __future__ import annotations

import json
import os
import re
import sys
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from decompose.scan.source import read_text

#: Import names whose distribution is not the normalized import name (import name → candidate
#: distributions, the first the monolith pins wins, else the first). Extend it when a popular
#: package is missing: an import it cannot map is listed as a TODO in the service's README.
ALIASES: dict[str, tuple[str, ...]] = {
    "rest_framework": ("djangorestframework",),
    "rest_framework_simplejwt": ("djangorestframework-simplejwt",),
    "django_filters": ("django-filter",),
    "yaml": ("PyYAML",),
    "PIL": ("Pillow",),
    "dateutil": ("python-dateutil",),
    "dotenv": ("python-dotenv",),
    "magic": ("python-magic",),
    "slugify": ("python-slugify",),
    "docx": ("python-docx",),
    "pptx": ("python-pptx",),
    "jose": ("python-jose",),
    "jwt": ("PyJWT",),
    "bs4": ("beautifulsoup4",),
    "cv2": ("opencv-python", "opencv-python-headless"),
    "sklearn": ("scikit-learn",),
    "attr": ("attrs",),
    "dns": ("dnspython",),
    "git": ("GitPython",),
    "OpenSSL": ("pyOpenSSL",),
    "Crypto": ("pycryptodome",),
    "MySQLdb": ("mysqlclient",),
    "psycopg2": ("psycopg2", "psycopg2-binary"),
    "psycopg": ("psycopg", "psycopg-binary"),
    "corsheaders": ("django-cors-headers",),
    "debug_toolbar": ("django-debug-toolbar",),
    "environ": ("django-environ",),
    "dj_database_url": ("dj-database-url",),
    "crispy_forms": ("django-crispy-forms",),
    "allauth": ("django-allauth",),
    "storages": ("django-storages",),
    "polymorphic": ("django-polymorphic",),
    "taggit": ("django-taggit",),
    "mptt": ("django-mptt",),
    "guardian": ("django-guardian",),
    "reversion": ("django-reversion",),
    "import_export": ("django-import-export",),
    "compressor": ("django-compressor",),
    "csp": ("django-csp",),
    "hijack": ("django-hijack",),
    "formtools": ("django-formtools",),
    "phonenumber_field": ("django-phonenumber-field",),
    "django_celery_beat": ("django-celery-beat",),
    "drf_spectacular": ("drf-spectacular",),
    "markdown": ("Markdown",),
    "factory": ("factory-boy",),
    "serial": ("pyserial",),
    "usb": ("pyusb",),
    "win32api": ("pywin32",),
    "zmq": ("pyzmq",),
}
#: Pins tried (only when the monolith pins them) for an import name ``n``: ``django-n``, ``python-n``...
_PREFIXES = ("django-", "python-", "py")
_SUFFIXES = ("-binary",)
_LOCKS = ("uv.lock", "poetry.lock", "Pipfile.lock")


@dataclass(frozen=True, slots=True)
class Pin:
    """One requirement of the monolith as it would appear in a requirements file, and where it was read."""

    line: str
    source: str


def _parse(text: str) -> Requirement | None:
    try:
        return Requirement(text.strip())
    except InvalidRequirement:
        return None


def _requirements_txt(text: str) -> Iterable[tuple[str, Requirement]]:
    """The requirements of a pip requirements file (options, includes, URLs and hashes left out)."""
    joined = re.sub(r"\\\r?\n", " ", text)
    for raw in joined.splitlines():
        line = re.sub(r"(^|\s)#.*$", "", raw).strip()
        if not line or line.startswith("-"):
            continue
        line = re.split(r"\s--?\w", line, maxsplit=1)[0].strip()  # per-requirement options (--hash=...)
        req = _parse(line)
        if req is not None and req.url is None:
            yield line, req


def _poetry_spec(name: str, spec: object) -> str | None:
    """A ``[tool.poetry.dependencies]`` entry as a PEP 508 requirement (``^1.2`` → ``>=1.2,<2``)."""
    extras: list[str] = []
    if isinstance(spec, dict):
        extras = [str(e) for e in spec.get("extras", [])]
        spec = spec.get("version", "*")
    if not isinstance(spec, str):
        return None
    parts = []
    for clause in (c.strip() for c in spec.split(",")):
        if not clause or clause == "*":
            continue
        if clause[0] in "^~" and not clause.startswith("~="):
            caret = clause[0] == "^"
            version = clause[1:].strip()
            nums = [int(x) for x in re.findall(r"\d+", version)[:3]] or [0]
            if caret:
                i = next((k for k, v in enumerate(nums) if v), len(nums) - 1)
            else:
                i = min(1, len(nums) - 1) if len(nums) > 1 else 0
            upper = [*nums[:i], nums[i] + 1]
            parts.append(f">={version},<{'.'.join(map(str, upper))}")
        elif clause[0].isdigit():
            parts.append(f"=={clause}")
        else:
            parts.append(clause)
    extra = f"[{','.join(extras)}]" if extras else ""
    text = f"{name}{extra}{','.join(parts)}"
    return text if _parse(text) is not None else None


def _locked(rel: str, text: str) -> dict[str, str]:
    """Canonical name → the exact version a lock file records."""
    out: dict[str, str] = {}
    if rel == "Pipfile.lock":
        try:
            data = json.loads(text)
        except ValueError:
            return out
        for group in ("default", "develop"):
            for name, entry in sorted((data.get(group) or {}).items()) if isinstance(data, dict) else ():
                version = entry.get("version") if isinstance(entry, dict) else None
                if isinstance(version, str) and version.startswith("=="):
                    out.setdefault(canonicalize_name(name), version[2:])
        return out
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return out
    for pkg in data.get("package", []):
        if not isinstance(pkg, dict) or not isinstance(pkg.get("name"), str) or not isinstance(pkg.get("version"), str):
            continue
        source = pkg.get("source")
        if isinstance(source, dict) and ("editable" in source or "virtual" in source):
            continue  # the project itself
        out.setdefault(canonicalize_name(pkg["name"]), pkg["version"])
    return out


def _declared(root: Path) -> list[tuple[str, str, Requirement]]:
    """(file, text as written, requirement) for every requirement the project declares, in the order read."""
    out: list[tuple[str, str, Requirement]] = []
    files = sorted(p.name for p in root.glob("requirements*.txt"))
    files.sort(key=lambda n: (n != "requirements.txt", n))
    req_dir = root / "requirements"
    if req_dir.is_dir() and not req_dir.is_symlink():
        files += sorted(f"requirements/{p.name}" for p in req_dir.glob("*.txt"))
    for rel in files:
        text = read_text(root, rel)
        if text is not None:
            out.extend((rel, line, r) for line, r in _requirements_txt(text))
    text = read_text(root, "pyproject.toml")
    if text is not None:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError:
            data = {}
        project = data.get("project")
        if not isinstance(project, dict):
            project = {}
        deps = project.get("dependencies")
        specs = [s for s in deps if isinstance(s, str)] if isinstance(deps, list) else []
        optional = project.get("optional-dependencies")
        if isinstance(optional, dict):
            specs += [
                s for g in sorted(optional) if isinstance(optional[g], list) for s in optional[g] if isinstance(s, str)
            ]
        for spec in specs:
            r = _parse(spec)
            if r is not None:
                out.append(("pyproject.toml", spec.strip(), r))
        poetry = data.get("tool", {}).get("poetry", {}) if isinstance(data.get("tool"), dict) else {}
        groups = [poetry.get("dependencies", {})]
        groups += [g.get("dependencies", {}) for _, g in sorted(poetry.get("group", {}).items()) if isinstance(g, dict)]
        for deps in groups:
            for name, spec in deps.items() if isinstance(deps, dict) else ():
                if canonicalize_name(name) == "python":
                    continue
                line = _poetry_spec(name, spec)
                r = _parse(line) if line is not None else None
                if line is not None and r is not None:
                    out.append(("pyproject.toml", line, r))
    return out


def _git_root(root: Path) -> Path | None:
    """The nearest folder at or above ``root`` that holds ``.git`` (a folder or a worktree's file)."""
    for folder in (root, *root.parents):
        if (folder / ".git").exists():
            return folder
    return None


def dependency_root(root: Path) -> Path:
    """The folder whose dependency files describe the project at ``root``.

    ``root`` itself when it declares dependencies (a requirements file, a lock file, a ``pyproject.toml``
    with dependencies), else the nearest folder above it that does, never above the enclosing git
    repository's root: ``extract src`` on a project that keeps ``pyproject.toml`` and ``uv.lock`` beside
    ``src/`` reads them there. Without an enclosing git repository only ``root`` is looked at (a folder
    above it is not the project's).
    """
    root = Path(root).absolute()
    top = _git_root(root)
    if top is None:
        return root
    for folder in (root, *root.parents):
        if _declared(folder) or any(read_text(folder, rel) is not None for rel in _LOCKS):
            return folder
        if folder == top:
            break
    return root


def _relative(root: Path, folder: Path, rel: str) -> str:
    """``rel`` (relative to ``folder``) as seen from ``root``: ``../pyproject.toml`` above it."""
    return Path(os.path.relpath(folder / rel, root)).as_posix()


def dependency_files(root: Path) -> tuple[str, ...]:
    """The dependency files :func:`monolith_pins` reads for the project at ``root``, relative to ``root``
    (``../pyproject.toml`` when they are above it), sorted."""
    root = Path(root).absolute()
    folder = dependency_root(root)
    names = {rel for rel in _LOCKS if read_text(folder, rel) is not None}
    names |= {rel for rel, _line, _req in _declared(folder)}
    return tuple(sorted(_relative(root, folder, rel) for rel in names))


def monolith_pins(root: Path) -> dict[str, Pin]:
    """Canonical distribution name → the monolith's own requirement for it (see the module docstring), read
    from the files of :func:`dependency_root`; each pin's source is relative to ``root``."""
    root = Path(root).absolute()
    folder = dependency_root(root)
    locked: dict[str, tuple[str, str]] = {}
    for rel in _LOCKS:
        text = read_text(folder, rel)
        if text is not None:
            for name, version in _locked(rel, text).items():
                locked.setdefault(name, (version, _relative(root, folder, rel)))
    pins: dict[str, Pin] = {}
    for declared_in, line, req in _declared(folder):
        rel = _relative(root, folder, declared_in)
        key: str = canonicalize_name(req.name)
        if key in pins:
            continue
        if key in locked:
            version, lock = locked[key]
            extras = f"[{','.join(sorted(req.extras))}]" if req.extras else ""
            marker = f"; {req.marker}" if req.marker else ""
            pins[key] = Pin(f"{req.name}{extras}=={version}{marker}", f"{rel}, {lock}")
        else:
            pins[key] = Pin(line, rel)
    for key, (version, lock) in sorted(locked.items()):
        pins.setdefault(key, Pin(f"{key}=={version}", lock))
    return pins


def installed_top_levels(root: Path) -> dict[str, tuple[str, ...]]:
    """Import name → distributions providing it, from virtualenvs *inside* the project
    (``<root>/<env>/lib/python*/site-packages/*.dist-info``: ``top_level.txt``, else ``RECORD``)."""
    root = Path(root)
    found: dict[str, set[str]] = {}
    sites = sorted({*root.glob("*/lib/python*/site-packages"), *root.glob("*/Lib/site-packages")})
    for site in sites:
        if any(p.is_symlink() for p in (site, *site.parents) if root in p.parents):
            continue
        for info in sorted(site.glob("*.dist-info")):
            dist = info.name[: -len(".dist-info")].split("-", 1)[0]
            rel = info.relative_to(root).as_posix()
            text = read_text(root, f"{rel}/top_level.txt")
            if text is not None:
                names = {ln.strip().replace("/", ".") for ln in text.splitlines() if ln.strip()}
            else:
                record = read_text(root, f"{rel}/RECORD") or ""
                names = set()
                for ln in record.splitlines():
                    first = ln.split(",", 1)[0].split("/", 1)
                    top = first[0]
                    if top.endswith((".dist-info", ".data")) or top.startswith(("..", "__")) or not top:
                        continue
                    if len(first) == 1:
                        if not top.endswith(".py"):
                            continue
                        top = top[:-3]
                    names.add(top)
            for n in names:
                found.setdefault(n, set()).add(dist)
    return {n: tuple(sorted(d)) for n, d in sorted(found.items())}


def distribution_for(name: str, pins: Mapping[str, Pin], installed: Mapping[str, tuple[str, ...]]) -> str | None:
    """The distribution that provides top-level import ``name`` (its pinned spelling when the monolith
    pins it), or None when nothing says."""
    dists = installed.get(name, ())
    for d in dists:
        if canonicalize_name(d) in pins:
            return canonicalize_name(d)
    if dists:
        return dists[0]
    key = canonicalize_name(name)
    if key in pins:
        return key
    aliases = ALIASES.get(name, ())
    for d in aliases:
        if canonicalize_name(d) in pins:
            return canonicalize_name(d)
    if aliases:
        return aliases[0]
    for guess in (*(p + key for p in _PREFIXES), *(key + s for s in _SUFFIXES)):
        if guess in pins:
            return guess
    return None


def is_stdlib(name: str) -> bool:
    return name in sys.stdlib_module_names or name == "__future__"


__all__ = [
    "ALIASES",
    "Pin",
    "dependency_files",
    "dependency_root",
    "distribution_for",
    "installed_top_levels",
    "is_stdlib",
    "monolith_pins",
]
