"""Contracts: what ``[tool.decompose.check]`` (or decompose.toml's ``[check]``) says, validated.

The section holds::

    baseline = "decompose-baseline.json"   # the ratchet file (default)
    include_tests = false                   # test modules are not checked unless true
    exclude = ["legacy/**"]                 # evidence in these files is never a violation
    groups = { ordering = ["cart", "orders"] }   # names for sets of apps/modules

    [[tool.decompose.check.contracts]]
    name = "payments is used through its services"
    type = "public_api"
    app = "payments"
    api = ["payments.services", "payments.signals"]
    kinds = ["import", "call", "fk", "orm"]          # default: every kind but migration
    ignore = [{ from = "reports", to = "payments.models", reason = "read model, tracked in #12" }]

Contract types: ``layers``, ``forbidden``, ``independent``, ``public_api``, ``acyclic``
(docs/check.md gives every key). A *name* in a contract is, in this order: a group, a Django app
label, an app's dotted name, ``(project)`` (code in no app), or a module / package of the
project (a package covers its submodules; ``=package`` is the package's own module alone). A
name that is none of these is an error, never a silent pass.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any

from decompose.errors import ConfigError, UnknownNameError
from decompose.graph import EDGE_KINDS, OUTSIDE_APPS

#: the kinds a contract may name: the graph's edge kinds plus ``migration`` (evidence in migrations)
KINDS: tuple[str, ...] = (*EDGE_KINDS, "migration")
#: what a contract checks when it names no kinds: every edge kind; migrations only when asked for
DEFAULT_KINDS: tuple[str, ...] = EDGE_KINDS
TYPES: tuple[str, ...] = ("layers", "forbidden", "independent", "public_api", "acyclic")
DEFAULT_BASELINE = "decompose-baseline.json"
ANY = "*"

_COMMON = {"name", "type", "kinds", "ignore", "description"}
_KEYS: dict[str, set[str]] = {
    "layers": _COMMON | {"layers", "closed", "indirect"},
    "forbidden": _COMMON | {"from", "to", "allow", "indirect"},
    "independent": _COMMON | {"units", "indirect"},
    "public_api": _COMMON | {"app", "api", "from"},
    "acyclic": _COMMON | {"units"},
}
_SECTION_KEYS = {"contracts", "groups", "baseline", "include_tests", "exclude"}


@dataclass(frozen=True, slots=True)
class Ignore:
    """An exception to a contract: evidence from ``source`` to ``target`` (names), with a reason."""

    source: str
    target: str
    reason: str
    kinds: tuple[str, ...] = ()  # empty: every kind the contract checks
    path: str = ""  # a glob on the evidence's file; empty: anywhere

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"from": self.source, "to": self.target}
        if self.kinds:
            d["kinds"] = list(self.kinds)
        if self.path:
            d["path"] = self.path
        d["reason"] = self.reason
        return d


@dataclass(frozen=True, slots=True)
class Layer:
    """One layer: its units, and whether they must stay independent of each other (``a | b``)."""

    units: tuple[str, ...]
    independent: bool = True

    def __str__(self) -> str:
        return (" | " if self.independent else " : ").join(self.units)


@dataclass(frozen=True, slots=True)
class Contract:
    """One rule. Which fields matter depends on ``type`` (see the module docstring)."""

    name: str
    type: str
    kinds: tuple[str, ...] = DEFAULT_KINDS
    ignore: tuple[Ignore, ...] = ()
    description: str = ""
    layers: tuple[Layer, ...] = ()  # layers, highest first
    closed: bool = False  # layers: a layer may use only the layer right below it
    sources: tuple[str, ...] = ()  # forbidden `from`, public_api `from` (ANY: everyone else)
    targets: tuple[str, ...] = ()  # forbidden `to`
    allow: tuple[str, ...] = ()  # forbidden: modules that may reach `to` all the same
    units: tuple[str, ...] = ()  # independent, acyclic (acyclic: empty = every app)
    app: str = ""  # public_api: the unit whose API it is
    api: tuple[str, ...] = ()  # public_api: the modules others may use
    indirect: bool = False  # also chains through modules the contract does not name

    def to_dict(self) -> dict[str, Any]:
        """The contract as written in the TOML file (keys in a stable order, defaults left out)."""
        d: dict[str, Any] = {"name": self.name, "type": self.type}
        if self.description:
            d["description"] = self.description
        if self.type == "layers":
            d["layers"] = [str(layer) for layer in self.layers]
            if self.closed:
                d["closed"] = True
        elif self.type == "forbidden":
            d["from"] = list(self.sources)
            d["to"] = list(self.targets)
            if self.allow:
                d["allow"] = list(self.allow)
        elif self.type == "independent":
            d["units"] = list(self.units)
        elif self.type == "public_api":
            d["app"] = self.app
            d["api"] = list(self.api)
            if self.sources and self.sources != (ANY,):
                d["from"] = list(self.sources)
        elif self.type == "acyclic" and self.units:
            d["units"] = list(self.units)
        if self.indirect:
            d["indirect"] = True
        if self.kinds != DEFAULT_KINDS:
            d["kinds"] = list(self.kinds)
        if self.ignore:
            d["ignore"] = [i.to_dict() for i in self.ignore]
        return d


@dataclass(frozen=True, slots=True)
class CheckConfig:
    """The whole ``[check]`` section."""

    contracts: tuple[Contract, ...]
    groups: tuple[tuple[str, tuple[str, ...]], ...] = ()
    baseline: str = DEFAULT_BASELINE
    include_tests: bool = False
    exclude: tuple[str, ...] = ()
    source: str = "[check]"  # where it came from, for messages

    def group(self, name: str) -> tuple[str, ...] | None:
        for g, members in self.groups:
            if g == name:
                return members
        return None


# -- parsing --------------------------------------------------------------------------------------


def _names(value: Any, where: str, key: str, *, allow_empty: bool = False) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ConfigError(f"{where}: `{key}` must be a name or a list of names")
    if not value and not allow_empty:
        raise ConfigError(f"{where}: `{key}` must not be empty")
    out = tuple(v.strip() for v in value)
    if len(set(out)) != len(out):
        raise ConfigError(f"{where}: `{key}` names the same unit twice")
    return out


def _bool(table: dict[str, Any], key: str, where: str) -> bool:
    value = table.get(key, False)
    if not isinstance(value, bool):
        raise ConfigError(f"{where}: `{key}` must be true or false")
    return value


def _kinds(value: Any, where: str) -> tuple[str, ...]:
    kinds = _names(value, where, "kinds")
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        raise ConfigError(f"{where}: unknown edge kind {unknown[0]!r}", hint=f"kinds are {', '.join(KINDS)}")
    return tuple(k for k in KINDS if k in kinds)  # canonical order


def _ignores(value: Any, where: str) -> tuple[Ignore, ...]:
    if not isinstance(value, list):
        raise ConfigError(f'{where}: `ignore` must be a list of tables like {{ from = "a", to = "b", reason = "..." }}')
    out = []
    for i, entry in enumerate(value, 1):
        w = f"{where} ignore entry {i}"
        if not isinstance(entry, dict):
            raise ConfigError(f'{w}: must be a table like {{ from = "a", to = "b", reason = "..." }}')
        extra = set(entry) - {"from", "to", "kinds", "path", "reason"}
        if extra:
            raise ConfigError(f"{w}: unknown key `{sorted(extra)[0]}`", hint="keys are from, to, kinds, path, reason")
        reason = entry.get("reason")
        if not isinstance(reason, str) or not reason.strip():
            raise ConfigError(f"{w}: needs a `reason` (why this exception is acceptable)")
        src, dst = entry.get("from"), entry.get("to")
        if not isinstance(src, str) or not src.strip() or not isinstance(dst, str) or not dst.strip():
            raise ConfigError(f"{w}: needs `from` and `to` (a name each)")
        kinds = _kinds(entry["kinds"], w) if "kinds" in entry else ()
        path = entry.get("path", "")
        if not isinstance(path, str):
            raise ConfigError(f"{w}: `path` must be a glob")
        out.append(Ignore(src.strip(), dst.strip(), reason.strip(), kinds, path))
    return tuple(out)


def _layer(value: Any, where: str) -> Layer:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f'{where}: each layer is a string: "web", "orders | cart" or "orders : cart"')
    if "|" in value and ":" in value:
        raise ConfigError(f"{where}: layer {value!r} mixes `|` (independent) and `:` (may depend on each other)")
    sep = "|" if "|" in value else ":"
    units = tuple(u.strip() for u in value.split(sep))
    if not all(units):
        raise ConfigError(f"{where}: layer {value!r} has an empty name")
    return Layer(units, independent=sep == "|")


def parse_contract(table: Any, index: int, source: str) -> Contract:
    """One ``[[contracts]]`` table -> a :class:`Contract` (names not resolved yet)."""
    where = f"{source} contract {index}"
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: must be a table")
    name = table.get("name", "")
    if not isinstance(name, str):
        raise ConfigError(f"{where}: `name` must be a string")
    if name.strip():
        where = f"{source} contract {name.strip()!r}"
    ctype = table.get("type")
    if ctype not in TYPES:
        raise ConfigError(f"{where}: `type` must be one of {', '.join(TYPES)} (got {ctype!r})")
    extra = set(table) - _KEYS[ctype]
    if extra:
        raise ConfigError(
            f"{where}: unknown key `{sorted(extra)[0]}` for a {ctype} contract",
            hint=f"keys: {', '.join(sorted(_KEYS[ctype]))}",
        )
    description = table.get("description", "")
    if not isinstance(description, str):
        raise ConfigError(f"{where}: `description` must be a string")
    kw: dict[str, Any] = {
        "name": name.strip() or f"{ctype} #{index}",
        "type": ctype,
        "kinds": _kinds(table["kinds"], where) if "kinds" in table else DEFAULT_KINDS,
        "ignore": _ignores(table["ignore"], where) if "ignore" in table else (),
        "description": description,
    }

    def need(key: str) -> Any:
        if key not in table:
            raise ConfigError(f"{where}: a {ctype} contract needs `{key}`")
        return table[key]

    if ctype == "layers":
        raw = need("layers")
        if not isinstance(raw, list) or len(raw) < 2:
            raise ConfigError(f"{where}: `layers` must list at least two layers, highest first")
        kw["layers"] = tuple(_layer(v, where) for v in raw)
        kw["closed"] = _bool(table, "closed", where)
        kw["indirect"] = _bool(table, "indirect", where)
    elif ctype == "forbidden":
        kw["sources"] = _names(need("from"), where, "from")
        kw["targets"] = _names(need("to"), where, "to")
        kw["allow"] = _names(table.get("allow", []), where, "allow", allow_empty=True)
        kw["indirect"] = _bool(table, "indirect", where)
        if ANY in kw["targets"]:
            raise ConfigError(f"{where}: `to` must name units (`*` is only for `from`)")
    elif ctype == "independent":
        kw["units"] = _names(need("units"), where, "units")
        if len(kw["units"]) < 2:
            raise ConfigError(f"{where}: `units` must name at least two units")
        kw["indirect"] = _bool(table, "indirect", where)
    elif ctype == "public_api":
        app = need("app")
        if not isinstance(app, str) or not app.strip():
            raise ConfigError(f"{where}: `app` must name one app (or group, or package)")
        kw["app"] = app.strip()
        kw["api"] = _names(need("api"), where, "api")
        kw["sources"] = _names(table.get("from", [ANY]), where, "from")
    else:  # acyclic
        kw["units"] = _names(table.get("units", []), where, "units", allow_empty=True)
        if len(kw["units"]) == 1:
            raise ConfigError(f"{where}: `units` must name at least two units (or none: every app)")
    return Contract(**kw)


def parse_section(section: dict[str, Any], source: str) -> CheckConfig:
    """The ``[check]`` table -> a :class:`CheckConfig` (names not resolved yet)."""
    extra = set(section) - _SECTION_KEYS
    if extra:
        raise ConfigError(
            f"{source}: unknown key `{sorted(extra)[0]}`", hint=f"keys: {', '.join(sorted(_SECTION_KEYS))}"
        )
    raw = section.get("contracts", [])
    if not isinstance(raw, list):
        raise ConfigError(f"{source}: `contracts` must be an array of tables ([[...contracts]])")
    contracts = tuple(parse_contract(t, i, source) for i, t in enumerate(raw, 1))
    seen: set[str] = set()
    for c in contracts:
        if c.name in seen:
            raise ConfigError(f"{source}: two contracts are named {c.name!r}")
        seen.add(c.name)
    groups_raw = section.get("groups", {})
    if not isinstance(groups_raw, dict):
        raise ConfigError(f"{source}: `groups` must be a table of name = [members]")
    groups = tuple((str(g), _names(m, f"{source} group {g!r}", "members")) for g, m in sorted(groups_raw.items()))
    baseline = section.get("baseline", DEFAULT_BASELINE)
    if not isinstance(baseline, str) or not baseline.strip():
        raise ConfigError(f"{source}: `baseline` must be a file path")
    exclude = _names(section.get("exclude", []), source, "exclude", allow_empty=True)
    return CheckConfig(
        contracts=contracts,
        groups=groups,
        baseline=baseline,
        include_tests=_bool(section, "include_tests", source),
        exclude=exclude,
        source=source,
    )


# -- names ----------------------------------------------------------------------------------------


@dataclass
class Resolver:
    """Turns names into sets of modules of one graph; unknown names are :class:`UnknownNameError`."""

    modules: dict[str, str | None]  # module -> app label (None: in no app)
    apps: dict[str, str]  # app dotted name -> label
    labels: frozenset[str]
    groups: dict[str, tuple[str, ...]] = field(default_factory=dict)
    source: str = "[check]"
    _cache: dict[str, frozenset[str]] = field(default_factory=dict)
    _by_app: dict[str | None, list[str]] = field(default_factory=dict)
    _sorted: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        for m, app in self.modules.items():
            self._by_app.setdefault(app, []).append(m)
        self._sorted = sorted(self.modules)
        for g in self.groups:
            if g in self.labels or g in self.modules or g == OUTSIDE_APPS:
                raise ConfigError(f"{self.source}: group {g!r} has the name of an app or module of the project")

    def kind_of(self, name: str) -> str:
        """What a name denotes: ``group``, ``app``, ``project`` or ``module``."""
        if name in self.groups:
            return "group"
        if name in self.labels or name in self.apps:
            return "app"
        if name == OUTSIDE_APPS:
            return "project"
        return "module"

    def resolve(self, name: str, where: str, _seen: tuple[str, ...] = ()) -> frozenset[str]:
        """The modules ``name`` stands for (never empty)."""
        found = self._cache.get(name)
        if found is not None:
            return found
        if name in self.groups:
            if name in _seen:
                raise ConfigError(f"{self.source}: group {name!r} contains itself")
            out: set[str] = set()
            for member in self.groups[name]:
                out |= self.resolve(member, f"{self.source} group {name!r}", (*_seen, name))
            found = frozenset(out)
        elif name in self.labels:
            found = frozenset(self._by_app.get(name, ()))
        elif name in self.apps:
            found = frozenset(self._by_app.get(self.apps[name], ()))
        elif name == OUTSIDE_APPS:
            found = frozenset(self._by_app.get(None, ()))
        elif name.startswith("=") and name[1:] in self.modules:
            found = frozenset((name[1:],))  # the module alone, without its submodules
        else:
            import bisect

            prefix = name + "."
            i = bisect.bisect_left(self._sorted, name)
            hits = []
            while i < len(self._sorted) and (self._sorted[i] == name or self._sorted[i].startswith(prefix)):
                hits.append(self._sorted[i])
                i += 1
            found = frozenset(hits)
        if not found:
            known = sorted(self.groups) + sorted(self.labels) + self._sorted
            close = difflib.get_close_matches(name, known, n=3)
            hint = (
                f"did you mean {', '.join(close)}?"
                if close
                else "names are groups, app labels, (project) or module names"
            )
            raise UnknownNameError(f"{where}: unknown app or module {name!r}", hint=hint)
        self._cache[name] = found
        return found
