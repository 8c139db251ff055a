"""Project configuration: ``[tool.decompose]`` in pyproject.toml, or decompose.toml.

``decompose.toml`` holds the same keys at its top level. When both exist,
``decompose.toml`` wins (it is the more specific file). Sections other stages
read are sub-tables, e.g. ``[tool.decompose.propose]``; :meth:`Config.section`
returns one as a plain dict.

Top-level keys read by discovery:

``include``  list of glob patterns (relative to the root) of files to scan;
             default: every ``**/*.py``.
``exclude``  list of glob patterns to skip (added to the built-in excludes:
             virtual environments, ``node_modules``, build folders, VCS folders).
             Folders named ``locale`` without an ``__init__.py`` (gettext catalogues) are
             never walked either.
``settings`` dotted name of the Django settings module (else found by search).
``max_file_bytes`` files larger than this are skipped as generated (default 2 MB).

``[extract]`` (``[tool.decompose.extract]``), read by ``decompose extract``:

``client_package`` dotted name of the package the monolith's generated clients go into
                   (default: ``services`` in the project package next to the settings module,
                   or the first enclosing package git does not ignore).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from keyword import iskeyword
from pathlib import Path
from typing import Any

from decompose.errors import ConfigError

DEFAULT_EXCLUDE: tuple[str, ...] = (
    ".git/**",
    ".hg/**",
    ".venv/**",
    "venv/**",
    "env/**",
    "**/.venv/**",
    "**/site-packages/**",
    "**/node_modules/**",
    "build/**",
    "dist/**",
    "**/__pycache__/**",
    ".tox/**",
    ".nox/**",
)
DEFAULT_MAX_FILE_BYTES = 2_000_000


@dataclass(frozen=True, slots=True)
class Config:
    """What the user configured; every field has a working default."""

    include: tuple[str, ...] = ("**/*.py",)
    exclude: tuple[str, ...] = DEFAULT_EXCLUDE
    settings: str | None = None
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    source: str | None = None  # the file it came from, for messages
    raw: dict[str, Any] = field(default_factory=dict)
    #: the same file named from the project root ("decompose.toml", "pyproject.toml [tool.decompose]"):
    #: what the graph records, so that it does not depend on where the project is checked out
    name: str | None = None

    def section(self, name: str) -> dict[str, Any]:
        """A sub-table such as ``propose`` or ``check`` (empty dict if absent)."""
        value = self.raw.get(name, {})
        if not isinstance(value, dict):
            raise ConfigError(f"{self.source}: [{name}] must be a table, not {type(value).__name__}")
        return value


def _read_toml(path: Path) -> dict[str, Any]:
    import tomllib  # here, not at the top: most projects have no config file, and every run starts here

    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML ({exc})") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror})") from None


def _str_list(table: dict[str, Any], key: str, source: str) -> tuple[str, ...] | None:
    if key not in table:
        return None
    value = table[key]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{source}: `{key}` must be a list of strings")
    return tuple(value)


def load_config(root: str | Path) -> Config:
    """Read the configuration of the project at ``root`` (defaults if none)."""
    root = Path(root)
    dedicated = root / "decompose.toml"
    pyproject = root / "pyproject.toml"
    if dedicated.is_file():
        return load_config_file(dedicated)
    if pyproject.is_file():
        return load_config_file(pyproject)
    return _config({}, None, None)


def load_config_file(path: str | Path) -> Config:
    """Read one configuration file: a ``pyproject.toml`` (its ``[tool.decompose]``) or a file in
    ``decompose.toml``'s form (the keys at its top level), whatever its name."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: no such configuration file")
    if path.name == "pyproject.toml":
        table = _read_toml(path).get("tool", {}).get("decompose", {})
        return _config(table, f"{path} [tool.decompose]", f"{path.name} [tool.decompose]")
    return _config(_read_toml(path), str(path), path.name)


def _config(table: Any, source: str | None, name: str | None) -> Config:
    if not isinstance(table, dict):
        raise ConfigError(f"{source}: must be a table")
    src = source or "config"
    include = _str_list(table, "include", src) or ("**/*.py",)
    exclude = DEFAULT_EXCLUDE + (_str_list(table, "exclude", src) or ())
    settings = table.get("settings")
    if settings is not None and not isinstance(settings, str):
        raise ConfigError(f"{src}: `settings` must be a dotted module name")
    max_bytes = table.get("max_file_bytes", DEFAULT_MAX_FILE_BYTES)
    if not isinstance(max_bytes, int) or max_bytes <= 0:
        raise ConfigError(f"{src}: `max_file_bytes` must be a positive integer")
    return Config(
        include=include,
        exclude=exclude,
        settings=settings,
        max_file_bytes=max_bytes,
        source=source,
        raw=table,
        name=name,
    )


def extract_client_package(config: Config) -> str | None:
    """``client_package`` of the ``[extract]`` table: a dotted module name, or None when not set."""
    value = config.section("extract").get("client_package")
    if value is None:
        return None
    src = config.source or "config"
    if not isinstance(value, str) or not all(p.isidentifier() and not iskeyword(p) for p in value.split(".")):
        raise ConfigError(f'{src}: [extract] `client_package` must be a dotted module name, e.g. "shop.clients"')
    return value
