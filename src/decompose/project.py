"""Discover a project: its Python files and module names, Django apps, settings, config.

Discovery reads the file tree and, as text, the few files that describe the
project (``manage.py``, the settings module, ``apps.py``). It never imports or
runs any of them.

- **Import root**: the folder holding ``manage.py`` (the analysed folder, or the
  only ``manage.py`` two levels below it), else ``src/`` for a src layout, else
  the analysed folder. Module names are dotted paths relative to it (files
  outside it are named relative to the analysed folder).
- **Settings**: ``--settings``, else ``settings`` in the config, else the
  ``DJANGO_SETTINGS_MODULE`` default written in ``manage.py``/``wsgi.py``/``asgi.py``,
  else a module named ``settings`` (or ``settings/__init__``) that assigns
  ``INSTALLED_APPS``.
- **Apps**: the internal entries of ``INSTALLED_APPS`` (an app module, or the
  dotted path of an ``AppConfig``). Without settings: every package holding an
  ``apps.py`` with an ``AppConfig`` or a ``models`` module. The app label is
  ``AppConfig.label`` when set, else the last part of its name.

Example::

    >>> project = discover("sample_monolith")          # doctest: +SKIP
    >>> [a.label for a in project.apps][:3]             # doctest: +SKIP
    ['accounts', 'cart', 'catalog']
"""

from __future__ import annotations

import ast
import os
import re
import stat
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from operator import attrgetter
from pathlib import Path
from typing import Any

from decompose.config import Config, load_config
from decompose.errors import InputError
from decompose.scan.facts import ModuleFacts
from decompose.scan.python import ScanError, scan_source

_TEST_NAME = re.compile(r"(^test_.*|.*_tests?|^tests?|^conftest)\.py$")


@dataclass(frozen=True, slots=True, order=True)
class AppInfo:
    """A Django app: its label (``AppConfig.label``), dotted name and folder."""

    label: str
    name: str
    path: str

    def to_dict(self) -> dict[str, str]:
        return {"label": self.label, "name": self.name, "path": self.path}


@dataclass(frozen=True, slots=True, order=True)
class Skipped:
    """A file the analyser could not read or parse, and why."""

    path: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        return {"path": self.path, "reason": self.reason}


@dataclass(frozen=True, slots=True)
class SourceFile:
    """One Python file to scan."""

    module: str
    path: str  # POSIX, relative to the project root
    abspath: str
    is_package: bool
    migration: bool
    test: bool
    size: int
    mtime_ns: int


@dataclass(frozen=True, slots=True)
class Project:
    """What discovery found: the input of scan and build."""

    root: Path
    import_root: Path
    config: Config
    files: tuple[SourceFile, ...]
    apps: tuple[AppInfo, ...] = ()
    settings_module: str | None = None
    #: why that module: "DJANGO_SETTINGS_MODULE in manage.py", "--settings", ...
    settings_reason: str = ""
    #: the settings module and the internal modules it star-imports (settings split in files)
    settings_modules: tuple[str, ...] = ()
    #: settings constants read statically (``AUTH_USER_MODEL``, ``ROOT_URLCONF``...)
    settings: dict[str, object] = field(default_factory=dict)
    #: labels of INSTALLED_APPS entries that are not part of the project (``auth`` -> ``django.contrib.auth``)
    external_apps: dict[str, str] = field(default_factory=dict)
    skipped: tuple[Skipped, ...] = ()
    warnings: tuple[str, ...] = ()

    def file(self, module: str) -> SourceFile | None:
        for f in self.files:
            if f.module == module:
                return f
        return None


def glob_regex(pattern: str) -> re.Pattern[str]:
    """A path glob (``**`` crosses folders, ``*`` does not) as a regex (discovery's include/exclude, check's
    exclude and ignore paths)."""
    out = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out) + r"\Z")


def _globs_regex(patterns: tuple[str, ...]) -> re.Pattern[str] | None:
    """One regex matching any of ``patterns`` (one match per path instead of one per pattern)."""
    if not patterns:
        return None
    return re.compile("|".join(f"(?:{glob_regex(p).pattern})" for p in patterns))


_ENTRY_NAME = attrgetter("name")


def _is_test(parts: tuple[str, ...]) -> bool:
    return any(p in ("tests", "test") for p in parts[:-1]) or bool(_TEST_NAME.match(parts[-1]))


def _choose_import_root(root: Path) -> Path:
    if (root / "manage.py").is_file():
        return root
    found = sorted(root.glob("*/manage.py")) + sorted(root.glob("*/*/manage.py"))
    found = [
        f
        for f in found
        if not any(part.startswith(".") or part in ("venv", "node_modules") for part in f.relative_to(root).parts)
        and not (f.parent / "__init__.py").is_file()  # inside a package (e.g. a test project): not a root
    ]
    if len(found) == 1:
        return found[0].parent
    src = root / "src"
    if src.is_dir() and not any(p.is_dir() and (p / "__init__.py").is_file() for p in root.iterdir()):
        return src
    return root


def import_root_of(root: Path) -> Path:
    """Where the module names of the project at ``root`` start (the folder of ``manage.py``, ``src/``, or ``root``)."""
    return _choose_import_root(Path(root))


def _extra_roots(root: Path, import_root: Path) -> list[Path]:
    """``src/`` of a src layout, besides a project elsewhere (django-oscar: src/oscar + sandbox/manage.py).

    Its packages are importable by their own names (the project installs them), so they are named
    from ``src/``, not as ``src.*``; a ``src`` that is itself a package stays a package.
    """
    src = root / "src"
    if src == import_root or not src.is_dir() or (src / "__init__.py").is_file():
        return []
    try:
        if any(p.is_dir() and (p / "__init__.py").is_file() for p in src.iterdir()):
            return [src]
    except OSError:
        pass
    return []


_SYS_PATH_CALL = re.compile(rb"sys\.path\.(?:insert|append)\(([^\n]*)\)")
_STRING = re.compile(rb"""["']([\w][\w./-]*)["']""")
_LAUNCHERS = ("manage.py", "settings.py", "wsgi.py", "asgi.py")


def _sys_path_roots(root: Path, found: list[tuple[str, str, os.stat_result]]) -> list[Path]:
    """Folders that ``manage.py`` or a settings file puts on ``sys.path`` by a literal name.

    ``sys.path.insert(0, os.path.join(BASE_DIR, "apps"))`` makes the packages in
    ``apps/`` importable (and listed in ``INSTALLED_APPS``) by their own
    top-level names, so they are named from there. The name is looked up next
    to the file, one folder up (a settings package's ``BASE_DIR``) and in the
    analysed folder; only a folder inside the analysed folder that is not itself
    a package counts. Read as text, never run.
    """
    out: set[Path] = set()
    for rel, abspath, _st in found:
        if rel.rsplit("/", 1)[-1] not in _LAUNCHERS and "/settings/" not in f"/{rel}":
            continue
        try:
            text = Path(abspath).read_bytes()
        except OSError:
            continue
        if b"sys.path" not in text:
            continue
        for call in _SYS_PATH_CALL.finditer(text):
            names = _STRING.findall(call.group(1))
            if not names:
                continue
            folder = names[-1].decode()
            here = Path(abspath).parent
            for candidate in (here / folder, here.parent / folder, root / folder):
                candidate = candidate.resolve()
                if candidate != root and candidate.is_dir() and candidate.is_relative_to(root):
                    if not (candidate / "__init__.py").is_file():
                        out.add(candidate)
                    break
    return sorted(out)


_EP_GROUP = re.compile(rb"""(?:entry_points|iter_entry_points)\(\s*(?:group\s*=\s*)?["']([\w.:-]+)["']""")


def _entry_point_apps(
    roots: tuple[Path, ...], settings_modules: list[str], by_module: dict[str, SourceFile]
) -> list[str]:
    """Plugin apps: packages of the project declared under an entry-point group the settings load.

    Settings that do ``for ep in entry_points(group="pretalx.plugin"):
    INSTALLED_APPS.append(ep.module)`` install whatever the environment
    declares; the project's own declarations (``pyproject.toml``
    ``[project.entry-points."GROUP"]``, ``setup.cfg`` ``[options.entry_points]``,
    a wheel's ``*.dist-info/entry_points.txt``) are read as text, and the
    declared modules that are packages of the project become apps.
    """
    groups: set[str] = set()
    for module in settings_modules:
        try:
            groups.update(g.decode() for g in _EP_GROUP.findall(Path(by_module[module].abspath).read_bytes()))
        except OSError:
            continue
    if not groups:
        return []
    declared: list[str] = []
    for folder in dict.fromkeys(roots):
        declared.extend(_declared_entry_points(folder, groups))
    out = []
    for value in declared:
        module = value.split(":", 1)[0].strip()
        f = by_module.get(module)
        if f is not None and f.is_package and module not in out:
            out.append(module)
    return out


def _pyproject(folder: Path) -> dict[str, Any]:
    """``folder/pyproject.toml`` as a dict; empty when it cannot be read or parsed (discovery goes on)."""
    import tomllib

    try:
        data = tomllib.loads((folder / "pyproject.toml").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return {}
    return data


def _declared_entry_points(folder: Path, groups: set[str]) -> list[str]:
    import configparser

    values: list[str] = []
    if (folder / "pyproject.toml").is_file():
        data = _pyproject(folder)
        eps = data.get("project", {}).get("entry-points", {}) if isinstance(data.get("project"), dict) else {}
        for group in sorted(groups):
            table = eps.get(group) if isinstance(eps, dict) else None
            if isinstance(table, dict):
                values.extend(str(v) for _, v in sorted(table.items()))
    ini_files = [folder / "setup.cfg", *sorted(folder.glob("*.dist-info/entry_points.txt"))]
    for path in ini_files:
        if not path.is_file():
            continue
        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read_string(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, configparser.Error):
            continue
        if path.name == "setup.cfg":
            for group in sorted(groups):
                raw = parser.get("options.entry_points", group, fallback="")
                values.extend(line.split("=", 1)[1] for line in raw.splitlines() if "=" in line)
        else:
            for group in sorted(groups):
                if parser.has_section(group):
                    values.extend(v for _, v in sorted(parser.items(group)))
    return values


def _walk(
    root: Path, config: Config, skipped: list[Skipped], warnings: list[str]
) -> list[tuple[str, str, os.stat_result]]:
    """(relative POSIX path, absolute path, stat) of every .py file to scan; problems go to ``skipped``."""
    include_rx = _globs_regex(config.include)
    exclude_rx = _globs_regex(config.exclude)
    included = include_rx.match if include_rx is not None else (lambda _p: None)
    excluded = exclude_rx.match if exclude_rx is not None else (lambda _p: None)
    every_py = config.include == ("**/*.py",)
    out: list[tuple[str, str, os.stat_result]] = []
    seen_dirs: set[tuple[int, int]] = set()
    root_s = str(root)
    real_root = os.path.realpath(root_s)

    def walk(dirpath: str, rel: str) -> None:
        try:
            st = os.stat(dirpath)
        except OSError as exc:
            skipped.append(Skipped(rel or ".", f"cannot read folder: {_oserror(exc)}"))
            return
        key = (st.st_dev, st.st_ino)
        if key in seen_dirs:
            skipped.append(Skipped(rel, "symlink loop (folder already visited)"))
            return
        seen_dirs.add(key)
        try:
            entries = sorted(os.scandir(dirpath), key=_ENTRY_NAME)
        except OSError as exc:
            skipped.append(Skipped(rel or ".", f"cannot read folder: {_oserror(exc)}"))
            return
        for entry in entries:
            name = entry.name
            relpath = f"{rel}/{name}" if rel else name
            try:
                is_dir = entry.is_dir()  # follows symlinks
            except OSError:
                is_dir = False
            if (is_dir or name.endswith(".py")) and not _decodable(name):
                # bytes that are not UTF-8 (kept as surrogates by os.fsdecode): no module can have that
                # name, and no output could print it; listed with the bytes escaped
                what = "folder" if is_dir else "file"
                skipped.append(Skipped(printable(relpath), f"{what} name is not valid UTF-8 (not analysed)"))
                continue
            if is_dir and entry.is_symlink() and not _inside(os.path.realpath(entry.path), real_root):
                skipped.append(Skipped(relpath, "symlink to a folder outside the project (not followed)"))
                continue
            if is_dir:
                if name.startswith(".") or name == "__pycache__":
                    continue
                if name == "locale" and not os.path.isfile(f"{entry.path}/__init__.py"):
                    continue  # gettext catalogues (<lang>/LC_MESSAGES/*.po), not code: often thousands of folders
                if excluded(relpath + "/x.py"):
                    continue
                walk(entry.path, relpath)
                continue
            if not name.endswith(".py"):
                continue
            if excluded(relpath) or not (every_py or included(relpath)):
                continue
            try:
                st = os.stat(entry.path)
            except OSError as exc:
                skipped.append(Skipped(relpath, f"cannot read: {_oserror(exc)}"))
                continue
            if not stat.S_ISREG(st.st_mode):
                skipped.append(Skipped(relpath, "not a regular file"))
                continue
            if st.st_size > config.max_file_bytes:
                skipped.append(
                    Skipped(
                        relpath,
                        f"too large ({st.st_size:,} bytes > max_file_bytes {config.max_file_bytes:,}; generated?)",
                    )
                )
                continue
            out.append((relpath, entry.path, st))

    walk(root_s, "")
    return out


def _decodable(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def printable(path: str | os.PathLike[str]) -> str:
    """``path`` as text any output can carry: bytes that are not UTF-8 (surrogates from
    :func:`os.fsdecode`) shown escaped, ``printable("caf\udce9.py") == "caf\\xe9.py"``."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def _inside(real: str, real_root: str) -> bool:
    return real == real_root or real.startswith(real_root.rstrip(os.sep) + os.sep)


def _oserror(exc: OSError) -> str:
    import errno

    if exc.errno == errno.ELOOP:
        return "symlink loop"
    if exc.errno == errno.ENOENT and os.path.islink(exc.filename or ""):
        return "dangling symlink"
    return exc.strerror or str(exc)


def _module_name(rel_parts: tuple[str, ...]) -> tuple[str, bool] | None:
    stem = rel_parts[-1][:-3]
    if "." in stem:
        return None
    if stem == "__init__":
        parts = rel_parts[:-1]
        if not parts:
            return None
        return ".".join(parts), True
    return ".".join((*rel_parts[:-1], stem)), False


def _read_facts(path: Path, module: str, is_package: bool = False) -> ModuleFacts | None:
    try:
        return scan_source(module, path.read_bytes(), is_package=is_package)
    except (OSError, ScanError):
        return None


def discover(path: str | Path = ".", settings: str | None = None) -> Project:
    """Find the files, module names, Django apps and settings of the project at ``path``."""
    root = Path(path)
    if not root.exists():
        raise InputError(f"{path}: no such file or folder")
    if not root.is_dir():
        raise InputError(f"{path}: not a folder", hint="pass the folder that holds the project (where manage.py is)")
    root = root.resolve()
    if not _decodable(str(root)):
        raise InputError(
            f"{printable(root)}: the folder's path is not valid UTF-8",
            hint="rename it (or a folder above it) with a UTF-8 name",
        )
    config = load_config(root)
    import_root = _choose_import_root(root)
    skipped: list[Skipped] = []
    warnings: list[str] = []
    found = _walk(root, config, skipped, warnings)
    if not found and not skipped:
        raise InputError(f"{path}: no Python files found", hint="pass the folder that holds the project")

    files: list[SourceFile] = []
    namespace_dirs: set[str] = set()
    seen_modules: dict[str, str] = {}
    packages = {rel.rpartition("/")[0] for rel, _, _ in found if rel == "__init__.py" or rel.endswith("/__init__.py")}
    # folders whose files are named from there (deepest first): the import root, and a src/ layout
    extra_roots = (*_extra_roots(root, import_root), *_sys_path_roots(root, found))
    prefixes = sorted(
        {r.relative_to(root).as_posix() for r in (import_root, *extra_roots) if r != root},
        key=lambda p: (-p.count("/"), p),
    )
    checked: set[str] = set()
    for relpath, abspath, st in found:
        base = next((p for p in prefixes if relpath.startswith(p + "/")), "")
        rel_parts = tuple((relpath[len(base) + 1 :] if base else relpath).split("/"))
        named = _module_name(rel_parts)
        if named is None:
            skipped.append(Skipped(relpath, "file name is not a module name"))
            continue
        module, is_package = named
        if module in seen_modules:
            skipped.append(Skipped(relpath, f"same module name {module!r} as {seen_modules[module]}"))
            continue
        seen_modules[module] = relpath
        # a folder with .py files but no __init__.py below the import root: a namespace package
        for i in range(1, len(rel_parts)):
            d = "/".join(rel_parts[:i])
            d = f"{base}/{d}" if base else d
            if d not in checked:
                checked.add(d)
                if d not in packages:
                    namespace_dirs.add(d)
        files.append(
            SourceFile(
                module=module,
                path=relpath,
                abspath=abspath,
                is_package=is_package,
                migration="migrations" in rel_parts[:-1],
                test=_is_test(rel_parts),
                size=st.st_size,
                mtime_ns=st.st_mtime_ns,
            )
        )
    for d in sorted(namespace_dirs):
        warnings.append(f"{d}/: no __init__.py; its files are analysed as a namespace package")
    if not files:
        raise InputError(f"{path}: no Python files could be read", hint="see the skipped files above")
    by_module = {f.module: f for f in files}

    named_by = "--settings" if settings else f"`settings` in {config.name}"
    settings_module, settings_reason, read = _find_settings(
        root, import_root, settings or config.settings, named_by, by_module
    )
    settings_modules: list[str] = list(read.modules) if read is not None else []
    constants: dict[str, object] = dict(read.constants) if read is not None else {}
    if read is not None:
        warnings.extend(read.warnings)
    installed = constants.get("INSTALLED_APPS")
    plugins = _entry_point_apps((root, import_root), settings_modules, by_module)
    if plugins and isinstance(installed, tuple):
        installed = (*installed, *(p for p in plugins if p not in installed))
    apps, external_apps = _find_apps(root, by_module, installed)
    if apps and not isinstance(installed, tuple):
        where = (
            f"settings {settings_module} set no INSTALLED_APPS that can be read"
            if settings_module
            else (f"no settings module found: {settings_reason}")
        )
        warnings.append(
            f"{where}; the apps are guessed from apps.py/models.py (pass --settings with the module that lists them)"
        )
    return Project(
        root=root,
        import_root=import_root,
        config=config,
        files=tuple(files),
        apps=tuple(sorted(apps)),
        settings_module=settings_module,
        settings_reason=settings_reason,
        settings_modules=tuple(settings_modules),
        settings=constants,
        external_apps=external_apps,
        skipped=tuple(sorted(skipped)),
        warnings=tuple(warnings),
    )


def _find_settings(
    root: Path, import_root: Path, named: str | None, named_by: str, by_module: dict[str, SourceFile]
) -> tuple[str | None, str, SettingsRead | None]:
    """(settings module, why it was chosen, what reading it found).

    In order: ``named`` (``--settings`` or the config), the ``DJANGO_SETTINGS_MODULE`` default of a
    launcher (``manage.py``, ``wsgi.py``, ``asgi.py``), the test configuration (``pytest.ini``,
    ``pyproject.toml``, ``setup.cfg``, ``tox.ini``, CI workflows), then the modules named
    ``settings`` or in a ``settings`` package. A named module that installs no apps (an empty
    ``settings/__init__.py``) gives way to a later source that does, and the reason says so.
    """
    source = _settings_source(by_module)
    if named:
        if named not in by_module:
            raise InputError(
                f"settings module {named!r} not found under {root}", hint="pass --settings with a dotted module name"
            )
        return named, named_by, read_settings(named, source)
    passed: list[str] = []  # "manage.py names x (why it was not used)"
    first: tuple[str, str, SettingsRead] | None = None
    for module, origin in _named_settings(root, import_root, by_module):
        if module not in by_module:
            passed.append(f"{origin} names {module}, which is not a module of the project")
            continue
        read = read_settings(module, source)
        if _WATCHED in read.constants or _WATCHED in read.defined_in:
            reason = f"DJANGO_SETTINGS_MODULE in {origin}"
            return module, reason + (f" ({'; '.join(passed)})" if passed else ""), read
        passed.append(f"{origin} names {module}, which sets no INSTALLED_APPS")
        if first is None:
            first = (module, f"DJANGO_SETTINGS_MODULE in {origin}", read)
    candidates = sorted(
        (m for m in by_module if "settings" in m.split(".")[:-1] or m.rsplit(".", 1)[-1] == "settings"),
        key=lambda m: (m.count("."), m),
    )
    found: list[tuple[tuple[int, int, int, str], str, SettingsRead]] = []
    for candidate in candidates:
        if by_module[candidate].migration or by_module[candidate].test:
            continue
        read = read_settings(candidate, source)
        if _WATCHED not in read.defined_in:
            continue
        apps = read.constants.get(_WATCHED)
        parts = candidate.split(".")
        depth = parts.index("settings") if "settings" in parts else len(parts)
        # the shallowest settings; in a settings package the module reading the most files (dev.py
        # star-importing base.py), then the one installing the most apps
        found.append(
            ((depth, -len(read.modules), -(len(apps) if isinstance(apps, tuple) else 0), candidate), candidate, read)
        )
    if found:
        found.sort(key=lambda f: f[0])
        best = found[0]
        others = [c for _, c, _ in found[1:] if c.split(".")[: best[0][0] + 1] == best[1].split(".")[: best[0][0] + 1]]
        why = "the settings module that sets INSTALLED_APPS (no launcher or test configuration names one)"
        if others:
            why += f"; chosen over {', '.join(sorted(others))}: it reads the most settings files"
        return best[1], why + (f" ({'; '.join(passed)})" if passed else ""), best[2]
    if first is not None:
        return first[0], first[1] + " (it sets no INSTALLED_APPS)", first[2]
    return None, "; ".join(passed) if passed else "no settings module found", None


def _settings_source(by_module: dict[str, SourceFile]) -> SettingsSource:
    def source(module: str) -> tuple[bytes, bool, str] | None:
        f = by_module.get(module)
        if f is None:
            return None
        try:
            return Path(f.abspath).read_bytes(), f.is_package, f.path
        except OSError:
            return None

    return source


#: ``setdefault("DJANGO_SETTINGS_MODULE", "x")`` or ``environ["DJANGO_SETTINGS_MODULE"] = "x"``
_SETTINGS_ASSIGNED = re.compile(rb"""DJANGO_SETTINGS_MODULE["']\s*(?:,|\]\s*=)\s*["']([\w.]+)["']""")
_SETTINGS_IN_CONFIG = re.compile(r"""(?m)^\s*-?\s*DJANGO_SETTINGS_MODULE\s*[:=]\s*["']?([\w.]+)""")
_DS_OPTION = re.compile(r"""--ds[= ]["']?([\w.]+)""")


def _named_settings(root: Path, import_root: Path, by_module: dict[str, SourceFile]) -> list[tuple[str, str]]:
    """(module, where it is named) for every ``DJANGO_SETTINGS_MODULE`` the project writes down, in order
    of authority: launchers (the import root's first), then test and CI configuration. Read as text."""
    out: list[tuple[str, str]] = []
    launchers = sorted(
        (f for f in by_module.values() if f.path.rsplit("/", 1)[-1] in ("manage.py", "wsgi.py", "asgi.py")),
        key=lambda f: (("manage.py", "wsgi.py", "asgi.py").index(f.path.rsplit("/", 1)[-1]), f.path.count("/"), f.path),
    )
    for f in launchers:
        try:
            m = _SETTINGS_ASSIGNED.search(Path(f.abspath).read_bytes())
        except OSError:
            continue
        if m:
            out.append((m.group(1).decode(), f.path))
    folders = list(dict.fromkeys((import_root, root)))
    for folder in folders:
        rel = "" if folder == root else folder.relative_to(root).as_posix() + "/"
        for name, value in _test_config_settings(folder):
            out.append((value, rel + name))
    workflows = root / ".github" / "workflows"
    if workflows.is_dir():
        for path in sorted(workflows.glob("*.y*ml")):
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue
            for hit in _SETTINGS_IN_CONFIG.finditer(text):
                out.append((hit.group(1), path.relative_to(root).as_posix()))
    return list(dict.fromkeys(out))


def _test_config_settings(folder: Path) -> list[tuple[str, str]]:
    """(file [section], module) from pytest-django's and tox's configuration files in ``folder``."""
    import configparser

    out: list[tuple[str, str]] = []
    if (folder / "pyproject.toml").is_file():
        data = _pyproject(folder)
        tool: dict[str, Any] = data["tool"] if isinstance(data.get("tool"), dict) else {}
        pytest: dict[str, Any] = tool["pytest"] if isinstance(tool.get("pytest"), dict) else {}
        for table, label in ((pytest.get("ini_options"), "[tool.pytest.ini_options]"), (pytest, "[tool.pytest]")):
            if not isinstance(table, dict):
                continue
            value = table.get("DJANGO_SETTINGS_MODULE")
            if isinstance(value, str) and value:
                out.append((f"pyproject.toml {label}", value))
            addopts = table.get("addopts")
            text = " ".join(addopts) if isinstance(addopts, list) else addopts if isinstance(addopts, str) else ""
            if m := _DS_OPTION.search(text):
                out.append((f"pyproject.toml {label} addopts", m.group(1)))
    for name, sections in (
        ("pytest.ini", ("pytest",)),
        ("setup.cfg", ("tool:pytest",)),
        ("tox.ini", ("pytest", "testenv")),
    ):
        path = folder / name
        if not path.is_file():
            continue
        parser = configparser.ConfigParser(interpolation=None, strict=False)
        try:
            parser.read_string(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, configparser.Error):
            continue
        for section in sections:
            if not parser.has_section(section):
                continue
            value = parser.get(section, "DJANGO_SETTINGS_MODULE", fallback="").strip()
            if value:
                out.append((f"{name} [{section}]", value))
            if m := _DS_OPTION.search(parser.get(section, "addopts", fallback="")):
                out.append((f"{name} [{section}] addopts", m.group(1)))
            if m := _SETTINGS_IN_CONFIG.search(parser.get(section, "setenv", fallback="")):
                out.append((f"{name} [{section}] setenv", m.group(1)))
    return out


# -- settings, read statically ---------------------------------------------------------------

#: ``.append(x)`` / ``.extend(xs)`` / ``.insert(i, x)`` / ``.remove(x)`` on a list setting
_LIST_METHODS = frozenset({"append", "extend", "insert", "remove"})
_WATCHED = "INSTALLED_APPS"


@dataclass(frozen=True, slots=True)
class SettingsRead:
    """What reading a settings module as text found (nothing is imported or run).

    ``modules``: the module and the project modules it star-imports, in reading order;
    ``constants``: settings with a static value (str, bool, tuple of str) after the whole chain;
    ``defined_in``: setting → the module whose statement set or changed it last (where to edit it);
    ``writes``: setting → every (module, line) that sets or changes it, in execution order;
    ``warnings``: what could not be read (apps added by code decompose cannot evaluate).
    """

    modules: tuple[str, ...]
    constants: dict[str, object]
    defined_in: dict[str, str]
    writes: dict[str, tuple[tuple[str, int], ...]]
    warnings: tuple[str, ...]


#: a project module's (text, is_package, path for messages), or None when it is not the project's
SettingsSource = Callable[[str], "tuple[bytes, bool, str] | None"]


def read_settings(module: str, source: SettingsSource) -> SettingsRead:
    """Read the settings ``module`` statically, statement by statement, as Django would execute it.

    Follows ``from .base import *`` and ``from x.settings import NAME`` into project modules (their
    statements run at the import's place), and tracks list settings through ``=``, ``+``, ``+=``,
    ``list(...)``, ``.append/.extend/.insert/.remove``. Both branches of ``if``/``try``/``with`` are
    read. What cannot be evaluated (a call, a loop, a comprehension) is left out of the value, and a
    warning names its ``path:line`` when it changes ``INSTALLED_APPS``.

    Example::

        >>> src = {"s": (b"from .b import *\\nINSTALLED_APPS += ['x']\\n", True, "s/__init__.py"),
        ...        "s.b": (b"INSTALLED_APPS = ['a']\\n", False, "s/b.py")}
        >>> read_settings("s", src.get).constants["INSTALLED_APPS"]
        ('a', 'x')
    """
    reader = _SettingsReader(source)
    reader.module(module, 0)
    env, origin = reader.cache.get(module, ({}, {}))
    constants = {k: v for k, v in env.items() if k.isupper() or (k.startswith("_") and k[1:].isupper())}
    return SettingsRead(
        modules=tuple(reader.modules),
        constants=constants,
        defined_in=dict(origin),
        writes={k: tuple(v) for k, v in reader.writes.items()},
        warnings=tuple(dict.fromkeys(reader.warnings)),
    )


class _SettingsReader:
    def __init__(self, source: SettingsSource) -> None:
        self.source = source
        self.modules: list[str] = []
        self.warnings: list[str] = []
        self.cache: dict[str, tuple[dict[str, object], dict[str, str]]] = {}
        self.writes: dict[str, list[tuple[str, int]]] = {}
        self.active: set[str] = set()

    def module(self, name: str, depth: int) -> tuple[dict[str, object], dict[str, str]] | None:
        if name in self.cache:
            return self.cache[name]
        if name in self.active or depth > 10:
            return None
        got = self.source(name)
        if got is None:
            return None
        data, is_package, path = got
        from decompose.scan.source import parse_tree

        try:
            tree = parse_tree(data)
        except (ScanError, ValueError):
            self.warnings.append(f"{path}: settings module not parsed; its settings are unknown")
            return None
        self.modules.append(name)
        env: dict[str, object] = {}
        origin: dict[str, str] = {}
        self.active.add(name)
        self.block(tree.body, _Where(name, is_package, path, depth), env, origin)
        self.active.discard(name)
        self.cache[name] = (env, origin)
        return env, origin

    def block(self, body: list[ast.stmt], at: _Where, env: dict[str, object], origin: dict[str, str]) -> None:
        for stmt in body:
            self.statement(stmt, at, env, origin)

    def _wrote(self, name: str, at: _Where, line: int, origin: dict[str, str]) -> None:
        origin[name] = at.module
        self.writes.setdefault(name, []).append((at.module, line))

    def statement(self, stmt: ast.stmt, at: _Where, env: dict[str, object], origin: dict[str, str]) -> None:
        if isinstance(stmt, ast.ImportFrom):
            base = _resolve_from(at.module, at.is_package, stmt.module, stmt.level)
            if not base:
                return
            for alias in stmt.names:
                if alias.name == "*":
                    got = self.module(base, at.depth + 1)
                    if got is not None:
                        env.update(got[0])
                        origin.update(got[1])
                    continue
                got = self.module(base, at.depth + 1)
                local = alias.asname or alias.name
                if got is not None and alias.name in got[0]:
                    env[local] = got[0][alias.name]
                    origin[local] = got[1].get(alias.name, base)
            return
        if isinstance(stmt, (ast.Assign, ast.AnnAssign)):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            if stmt.value is None:
                return
            assigned, holes = self.value(stmt.value, env, at)
            for t in targets:
                if isinstance(t, ast.Name):
                    self._set(t.id, assigned, holes, at, stmt.lineno, env, origin, "=")
            return
        if isinstance(stmt, ast.AugAssign) and isinstance(stmt.target, ast.Name):
            name = stmt.target.id
            old = env.get(name)
            new, more = self.value(stmt.value, env, at)
            summed = (
                old + new
                if isinstance(stmt.op, ast.Add) and isinstance(old, tuple) and isinstance(new, tuple)
                else None
            )
            if summed is None and isinstance(old, tuple) and isinstance(stmt.op, ast.Add):
                summed, more = old, more or [f"{at.path}:{stmt.lineno}"]
            self._set(name, summed, more, at, stmt.lineno, env, origin, "+=")
            return
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
            call = stmt.value
            func = call.func
            if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.attr in _LIST_METHODS:
                name = func.value.id
                old = env.get(name)
                value: object = None
                gaps: list[str] = []
                if isinstance(old, tuple):
                    args = [self.value(a, env, at) for a in call.args]
                    vals = [a[0] for a in args]
                    if func.attr == "append" and len(vals) == 1 and isinstance(vals[0], str):
                        value = (*old, vals[0])
                    elif func.attr == "extend" and len(vals) == 1 and isinstance(vals[0], tuple):
                        value = old + vals[0]
                        gaps = args[0][1]
                    elif (
                        func.attr == "insert"
                        and len(vals) == 2
                        and isinstance(call.args[0], ast.Constant)
                        and isinstance(call.args[0].value, int)
                        and isinstance(vals[1], str)
                    ):
                        items = list(old)
                        items.insert(call.args[0].value, vals[1])
                        value = tuple(items)
                    elif func.attr == "remove" and len(vals) == 1 and isinstance(vals[0], str):
                        value = tuple(x for i, x in enumerate(old) if x != vals[0] or vals[0] in old[:i])
                    if value is None:
                        value, gaps = old, [f"{at.path}:{stmt.lineno}"]
                if name in env or name == _WATCHED:
                    self._set(name, value, gaps, at, stmt.lineno, env, origin, f".{func.attr}()")
            return
        if isinstance(stmt, ast.If):
            self.block(stmt.body, at, env, origin)
            self.block(stmt.orelse, at, env, origin)
            return
        if isinstance(stmt, (ast.Try, ast.TryStar)):
            self.block(stmt.body, at, env, origin)
            for handler in stmt.handlers:
                self.block(handler.body, at, env, origin)
            self.block(stmt.orelse, at, env, origin)
            self.block(stmt.finalbody, at, env, origin)
            return
        if isinstance(stmt, (ast.With, ast.AsyncWith)):
            self.block(stmt.body, at, env, origin)
            return
        # a loop, a function or a class: changes made there are not evaluated
        if _WATCHED in env or _WATCHED in origin:
            for node in ast.walk(stmt):
                if _changes(node, _WATCHED):
                    plugins = (
                        isinstance(stmt, (ast.For, ast.AsyncFor)) and b"entry_points" in ast.unparse(stmt.iter).encode()
                    )
                    self.warnings.append(
                        f"{at.path}:{getattr(node, 'lineno', stmt.lineno)}: INSTALLED_APPS is changed inside a "
                        f"{_kind(stmt)}, which cannot be read statically: "
                        + (
                            "plugins the project declares itself (its entry points) are found, installed ones are not"
                            if plugins
                            else "the apps it adds are not known"
                        )
                    )
                    self._wrote(_WATCHED, at, stmt.lineno, origin)
                    break

    def _set(
        self,
        name: str,
        value: object,
        gaps: list[str],
        at: _Where,
        line: int,
        env: dict[str, object],
        origin: dict[str, str],
        form: str,
    ) -> None:
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
        self._wrote(name, at, line, origin)
        if name == _WATCHED and (value is None or gaps):
            where = ", ".join(dict.fromkeys(gaps)) if gaps else f"{at.path}:{line}"
            what = "entries" if value is not None else "its value"
            self.warnings.append(
                f"INSTALLED_APPS ({form} at {at.path}:{line}): {what} from code that cannot be read statically "
                f"({where}); apps added there are not found (list them literally, or pass --settings)"
            )

    def value(self, node: ast.expr, env: dict[str, object], at: _Where) -> tuple[object, list[str]]:
        """The static value of ``node`` (str, bool, tuple of str or None) and the places it could not read."""
        if isinstance(node, ast.Constant):
            return (node.value if isinstance(node.value, (str, bool)) else None), []
        if isinstance(node, ast.Name):
            return env.get(node.id), []
        if isinstance(node, (ast.List, ast.Tuple)):
            out: list[str] = []
            gaps: list[str] = []
            for e in node.elts:
                inner, g = self.value(e.value if isinstance(e, ast.Starred) else e, env, at)
                gaps += g
                if isinstance(e, ast.Starred) and isinstance(inner, tuple):
                    out.extend(inner)
                elif not isinstance(e, ast.Starred) and isinstance(inner, str):
                    out.append(inner)
                else:
                    gaps.append(f"{at.path}:{getattr(e, 'lineno', node.lineno)}")
            return tuple(out), gaps
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            (a, ga), (b, gb) = self.value(node.left, env, at), self.value(node.right, env, at)
            if isinstance(a, tuple) and isinstance(b, tuple):
                return a + b, ga + gb
            if isinstance(a, str) and isinstance(b, str):
                return a + b, ga + gb
            if isinstance(a, tuple) or isinstance(b, tuple):  # one side is a list: keep what is known
                known = a if isinstance(a, tuple) else b
                return known, ga + gb + [f"{at.path}:{node.lineno}"]
            return None, ga + gb
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("list", "tuple")
            and len(node.args) == 1
            and not node.keywords
        ):
            inner, g = self.value(node.args[0], env, at)
            return (inner if isinstance(inner, tuple) else None), g
        if (
            isinstance(node, ast.ListComp)
            and len(node.generators) == 1
            and isinstance(node.elt, ast.Name)
            and isinstance(node.generators[0].target, ast.Name)
            and node.elt.id == node.generators[0].target.id
        ):
            # ``[app for app in INSTALLED_APPS if ...]`` (a filter, e.g. decompose's own service switch):
            # it can only remove entries, so the unfiltered list is the value (what may be installed)
            inner, g = self.value(node.generators[0].iter, env, at)
            return (inner if isinstance(inner, tuple) else None), g
        return None, []


@dataclass(frozen=True, slots=True)
class _Where:
    module: str
    is_package: bool
    path: str
    depth: int


def _kind(stmt: ast.stmt) -> str:
    if isinstance(stmt, (ast.For, ast.AsyncFor, ast.While)):
        return "loop"
    if isinstance(stmt, ast.ClassDef):
        return "class"
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return "function"
    return type(stmt).__name__.lower() + " statement"


def _changes(node: ast.AST, name: str) -> bool:
    """``node`` assigns, augments or calls a list method on ``name``."""
    if isinstance(node, ast.Name) and node.id == name and isinstance(node.ctx, ast.Store):
        return True
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in _LIST_METHODS:
        return isinstance(node.func.value, ast.Name) and node.func.value.id == name
    return False


def _resolve_from(module: str, is_package: bool, target: str | None, level: int) -> str:
    """The absolute module of ``from <level dots><target> import ...`` written in ``module``."""
    if not level:
        return target or ""
    parts = module.split(".") if is_package else module.split(".")[:-1]
    if level > 1:
        parts = parts[: len(parts) - (level - 1)] if level - 1 <= len(parts) else []
    if not parts and not target:
        return ""
    return ".".join([*parts, *([target] if target else [])])


def _app_configs(module: str, by_module: dict[str, SourceFile]) -> list[tuple[str, dict[str, object]]]:
    """(class name, constant attributes) of the AppConfig subclasses in ``module``."""
    f = by_module.get(module)
    if f is None:
        return []
    facts = _read_facts(Path(f.abspath), module, f.is_package)
    if facts is None:
        return []
    out: list[tuple[str, dict[str, object]]] = []
    for c in facts.classes:
        if any(b.rsplit(".", 1)[-1] == "AppConfig" for b in c.bases):
            out.append((c.name, dict(c.attrs)))
    return out


def _package_path(module: str, by_module: dict[str, SourceFile]) -> str:
    f = by_module.get(module)
    if f is None:
        return module.replace(".", "/")
    return f.path.rsplit("/", 1)[0] if f.is_package else f.path


def _find_apps(root: Path, by_module: dict[str, SourceFile], installed: object) -> tuple[list[AppInfo], dict[str, str]]:
    apps: dict[str, AppInfo] = {}
    external: dict[str, str] = {}
    tops: set[str] | None = None  # top-level packages of the project, computed on first need
    if isinstance(installed, tuple):
        for entry in installed:
            if entry in by_module and by_module[entry].is_package:
                configs = _app_configs(f"{entry}.apps", by_module)
                chosen = [c for c in configs if c[1].get("default") is True] or (configs if len(configs) == 1 else [])
                attrs = chosen[0][1] if chosen else {}
                name = str(attrs.get("name", entry))
                label = str(attrs.get("label") or name.rsplit(".", 1)[-1])
                apps[label] = AppInfo(label, name, _package_path(entry, by_module))
                continue
            mod, _, cls = entry.rpartition(".")
            if mod in by_module:
                attrs = dict(next((a for n, a in _app_configs(mod, by_module) if n == cls), {}))
                name = str(attrs.get("name", mod.rsplit(".apps", 1)[0] if mod.endswith(".apps") else mod))
                label = str(attrs.get("label") or name.rsplit(".", 1)[-1])
                apps[label] = AppInfo(label, name, _package_path(name, by_module))
                continue
            top = entry.split(".")[0]
            if tops is None:
                tops = {m.split(".")[0] for m in by_module}
            if top not in tops:
                parts = entry.split(".")
                if len(parts) > 2 and parts[-2] == "apps":
                    parts = parts[:-2]
                external[parts[-1]] = ".".join(parts)
        return list(apps.values()), external
    # no settings: packages with an AppConfig in apps.py, or with a models module
    for module, f in sorted(by_module.items()):
        if not f.is_package or f.migration or f.test:
            continue
        configs = _app_configs(f"{module}.apps", by_module) if f"{module}.apps" in by_module else []
        if configs or f"{module}.models" in by_module:
            attrs = configs[0][1] if len(configs) == 1 else {}
            name = str(attrs.get("name", module))
            label = str(attrs.get("label") or name.rsplit(".", 1)[-1])
            if label not in apps:
                apps[label] = AppInfo(label, name, f.path.rsplit("/", 1)[0])
    return list(apps.values()), external


def stdlib_names() -> frozenset[str]:
    return frozenset(sys.stdlib_module_names)
