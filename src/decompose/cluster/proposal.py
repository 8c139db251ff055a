"""A proposal: which members (apps or modules) go to which service.

A :class:`Proposal` is what ``decompose propose`` writes and what ``graph
--proposal``, ``extract --proposal`` and ``propose --evaluate/--reference``
read. Two file formats are accepted by :func:`load_proposal`:

* the proposal JSON written by :func:`dump_proposal` (``"schema":
  "decompose.proposal"``, versioned; see docs/proposal-schema.md), which also
  carries the algorithm, its seed, the metrics and one explanation per member;
* an architect's TOML file such as ``sample_monolith/decomposition.toml``::

      [shared_kernel]
      apps = ["core"]
      reason = "..."

      [services.payments]
      apps = ["payments"]
      reason = "..."

  (``modules = [...]`` instead of ``apps`` makes it a module-level proposal).

Example::

    >>> p = Proposal(level="app", services={"shop": ("catalog", "orders")}, shared_kernel=("core",))
    >>> p.service_of("orders"), p.service_of("core")
    ('shop', None)
    >>> Proposal.from_dict(p.to_dict()) == p
    True
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from decompose.errors import GraphFormatError, InputError

PROPOSAL_SCHEMA = "decompose.proposal"
PROPOSAL_SCHEMA_VERSION = 1
LEVELS: tuple[str, ...] = ("app", "module")


@dataclass(frozen=True, slots=True)
class Tie:
    """A weighted coupling of a member with another member (or a service)."""

    name: str
    weight: float

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "weight": round(self.weight, 6)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Tie:
        return cls(str(d["name"]), float(d["weight"]))


@dataclass(frozen=True, slots=True)
class Explanation:
    """Why ``member`` sits in ``service``.

    ``cohesion`` is the member's coupling weight to the rest of its service,
    ``pull`` the largest coupling weight to any single other service
    (``pull_service``). ``ties`` are its strongest ties inside its service,
    ``rivals`` its strongest ties to members elsewhere. ``weak`` is set when the
    pull is at least ``cohesion`` times the weak-placement ratio (or the member
    has no tie at all inside its service); ``reason`` says why in words.
    """

    member: str
    service: str
    cohesion: float
    pull: float
    pull_service: str | None
    ties: tuple[Tie, ...] = ()
    rivals: tuple[Tie, ...] = ()
    weak: bool = False
    constraint: str | None = None
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "member": self.member,
            "service": self.service,
            "cohesion": round(self.cohesion, 6),
            "pull": round(self.pull, 6),
            "pull_service": self.pull_service,
            "ties": [t.to_dict() for t in self.ties],
            "rivals": [t.to_dict() for t in self.rivals],
            "weak": self.weak,
            "constraint": self.constraint,
            "reason": self.reason,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Explanation:
        return cls(
            member=str(d["member"]),
            service=str(d["service"]),
            cohesion=float(d.get("cohesion", 0.0)),
            pull=float(d.get("pull", 0.0)),
            pull_service=d.get("pull_service"),
            ties=tuple(Tie.from_dict(t) for t in d.get("ties", ())),
            rivals=tuple(Tie.from_dict(t) for t in d.get("rivals", ())),
            weak=bool(d.get("weak", False)),
            constraint=d.get("constraint"),
            reason=str(d.get("reason", "")),
        )


@dataclass(frozen=True, slots=True)
class Candidate:
    """One algorithm's result in an ``auto`` run (the winner and the runners-up)."""

    algorithm: str
    score: float
    services: int
    metrics: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "algorithm": self.algorithm,
            "score": round(self.score, 6),
            "services": self.services,
            "metrics": {k: _num(self.metrics[k]) for k in sorted(self.metrics)},
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Candidate:
        return cls(
            str(d["algorithm"]),
            float(d["score"]),
            int(d["services"]),
            {str(k): float(v) for k, v in d.get("metrics", {}).items()},
        )


@dataclass(frozen=True, slots=True)
class Proposal:
    """Services (name → sorted members), the shared kernel, and how they were found.

    ``level`` says whether members are app labels (``"app"``) or dotted module
    names (``"module"``). Members of ``shared_kernel`` belong to no service.
    ``reasons`` holds a free-text reason per service (and ``"shared_kernel"``),
    as an architect writes them in TOML. ``metrics``, ``explanations``,
    ``candidates``, ``algorithm``, ``seed`` and ``settings`` are filled in by
    ``decompose propose``; a hand-written proposal leaves them empty. ``hubs``
    are members nearly everything uses that were too large for the shared
    kernel (each is in a service); ``notes`` say in words how the service
    count was chosen, which members follow their package, and which foreign
    keys the proposal cuts and why.
    """

    level: str
    services: dict[str, tuple[str, ...]]
    shared_kernel: tuple[str, ...] = ()
    algorithm: str = "manual"
    seed: int | None = None
    metrics: dict[str, float] = field(default_factory=dict)
    explanations: tuple[Explanation, ...] = ()
    candidates: tuple[Candidate, ...] = ()
    reasons: dict[str, str] = field(default_factory=dict)
    unassigned: tuple[str, ...] = ()
    settings: dict[str, Any] = field(default_factory=dict)
    hubs: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.level not in LEVELS:
            raise InputError(f"proposal level must be 'app' or 'module', not {self.level!r}")
        seen: dict[str, str] = {}
        for name, members in self.services.items():
            for m in members:
                if m in seen:
                    raise InputError(f"proposal puts {m!r} in two services: {seen[m]!r} and {name!r}")
                seen[m] = name
        for m in self.shared_kernel:
            if m in seen:
                raise InputError(f"proposal puts {m!r} both in service {seen[m]!r} and in the shared kernel")

    # -- queries -------------------------------------------------------------
    def service_of(self, member: str) -> str | None:
        """The service holding ``member``; ``None`` for shared-kernel or unknown members."""
        for name, members in self.services.items():
            if member in members:
                return name
        return None

    def is_shared(self, member: str) -> bool:
        return member in self.shared_kernel

    def members(self) -> list[str]:
        """Every member in a service or the shared kernel, sorted."""
        out = set(self.shared_kernel)
        for ms in self.services.values():
            out.update(ms)
        return sorted(out)

    def partition(self) -> dict[str, str]:
        """member → service for every member in a service."""
        return {m: name for name, ms in self.services.items() for m in ms}

    def explanation(self, member: str) -> Explanation | None:
        for e in self.explanations:
            if e.member == member:
                return e
        return None

    # -- (de)serialisation -----------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": PROPOSAL_SCHEMA,
            "version": PROPOSAL_SCHEMA_VERSION,
            "level": self.level,
            "algorithm": self.algorithm,
            "seed": self.seed,
            "services": {name: sorted(self.services[name]) for name in sorted(self.services)},
            "shared_kernel": sorted(self.shared_kernel),
            "unassigned": sorted(self.unassigned),
            "reasons": {k: self.reasons[k] for k in sorted(self.reasons)},
            "metrics": {k: _num(self.metrics[k]) for k in sorted(self.metrics)},
            "explanations": [e.to_dict() for e in sorted(self.explanations, key=lambda e: e.member)],
            "candidates": [c.to_dict() for c in self.candidates],
            "settings": _sorted_json(self.settings),
            "hubs": sorted(self.hubs),
            "notes": list(self.notes),
        }

    @classmethod
    def from_dict(cls, data: Any) -> Proposal:
        if not isinstance(data, dict) or data.get("schema") != PROPOSAL_SCHEMA:
            raise GraphFormatError('not a decompose proposal file (missing "schema": "decompose.proposal")')
        if data.get("version") != PROPOSAL_SCHEMA_VERSION:
            raise GraphFormatError(
                f"proposal file has schema version {data.get('version')!r}; "
                f"this decompose reads version {PROPOSAL_SCHEMA_VERSION}",
                hint="re-run `decompose propose --output proposal.json`",
            )
        try:
            services = data["services"]
            if not isinstance(services, dict) or not all(isinstance(v, list) for v in services.values()):
                raise TypeError('"services" must map a service name to a list of members')
            return cls(
                level=str(data.get("level", "app")),
                services={str(k): tuple(sorted(str(m) for m in v)) for k, v in services.items()},
                shared_kernel=tuple(sorted(str(m) for m in data.get("shared_kernel", ()))),
                algorithm=str(data.get("algorithm", "manual")),
                seed=data.get("seed"),
                metrics={str(k): float(v) for k, v in data.get("metrics", {}).items()},
                explanations=tuple(Explanation.from_dict(e) for e in data.get("explanations", ())),
                candidates=tuple(Candidate.from_dict(c) for c in data.get("candidates", ())),
                reasons={str(k): str(v) for k, v in data.get("reasons", {}).items()},
                unassigned=tuple(sorted(str(m) for m in data.get("unassigned", ()))),
                settings=dict(data.get("settings", {})),
                hubs=tuple(sorted(str(m) for m in data.get("hubs", ()))),
                notes=tuple(str(n) for n in data.get("notes", ())),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise GraphFormatError(f"malformed proposal file: {exc}") from None

    @classmethod
    def from_toml(cls, data: dict[str, Any], source: str = "decomposition.toml") -> Proposal:
        """The architect's format: ``[shared_kernel]`` and ``[services.NAME]`` tables."""
        if not isinstance(data, dict):
            raise GraphFormatError(f"{source}: not a decomposition table")
        services_t = data.get("services")
        if not isinstance(services_t, dict) or not services_t:
            raise GraphFormatError(f"{source}: no [services.NAME] tables")
        levels: set[str] = set()
        reasons: dict[str, str] = {}

        def members_of(table: Any, where: str) -> tuple[str, ...]:
            if not isinstance(table, dict):
                raise GraphFormatError(f"{source}: [{where}] must be a table")
            found = [k for k in ("apps", "modules") if k in table]
            if len(found) != 1:
                raise GraphFormatError(f"{source}: [{where}] needs exactly one of `apps` or `modules`")
            value = table[found[0]]
            if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
                raise GraphFormatError(f"{source}: [{where}] `{found[0]}` must be a list of names")
            levels.add("app" if found[0] == "apps" else "module")
            if "reason" in table:
                reasons[where.removeprefix("services.")] = str(table["reason"])
            return tuple(sorted(value))

        services = {str(name): members_of(t, f"services.{name}") for name, t in services_t.items()}
        kernel: tuple[str, ...] = ()
        if "shared_kernel" in data:
            kernel = members_of(data["shared_kernel"], "shared_kernel")
        if len(levels) > 1:
            raise GraphFormatError(f"{source}: mixes `apps` and `modules`; use one level throughout")
        try:
            return cls(level=levels.pop(), services=services, shared_kernel=kernel, reasons=reasons)
        except InputError as exc:
            raise GraphFormatError(f"{source}: {exc.message}") from None

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1, ensure_ascii=False) + "\n"


def _num(x: float) -> float | int:
    if isinstance(x, bool):
        return int(x)
    if isinstance(x, int):
        return x
    if float(x).is_integer():
        return int(x)
    return round(float(x), 6)


def _sorted_json(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _sorted_json(value[k]) for k in sorted(value, key=str)}
    if isinstance(value, (list, tuple)):
        return [_sorted_json(v) for v in value]
    if isinstance(value, float):
        return _num(value)
    return value


def dump_proposal(proposal: Proposal, path: str | Path) -> None:
    """Write the proposal JSON (byte-identical for equal proposals)."""
    try:
        Path(path).write_text(proposal.to_json(), encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{path}: cannot write ({exc.strerror})") from None


def load_proposal(path: str | Path) -> Proposal:
    """Read a proposal JSON file or an architect's decomposition TOML file."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{p}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{p}: is a folder, not a proposal file") from None
    except UnicodeDecodeError:
        raise GraphFormatError(f"{p}: not a text file") from None
    except OSError as exc:
        raise InputError(f"{p}: cannot read ({exc.strerror})") from None
    if p.suffix.lower() == ".toml" or not text.lstrip().startswith("{"):
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            if p.suffix.lower() == ".toml":
                raise GraphFormatError(f"{p}: invalid TOML ({exc})") from None
            raise GraphFormatError(f"{p}: neither a proposal JSON file nor a decomposition TOML file") from None
        return Proposal.from_toml(data, str(p))
    from decompose.graph import loads_json

    data = loads_json(text, str(p))
    try:
        return Proposal.from_dict(data)
    except GraphFormatError as exc:
        raise GraphFormatError(f"{p}: {exc.message}", hint=exc.hint) from None
    except InputError as exc:
        raise GraphFormatError(f"{p}: {exc.message}") from None
