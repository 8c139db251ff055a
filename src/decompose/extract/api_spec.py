"""The ONE place that names a service's endpoints.

The service generator and the monolith's client generator both derive from
:func:`endpoints`, so the two sides can never disagree about a path, a method
or a field.

Conventions (see the extraction contract):

- interface function → ``POST /api/v1/<module-last-part>/<function_name>``;
  the JSON body holds the parameters by name; model instances travel as ids;
  the response is ``{"result": ...}`` (a DTO dict when the function returns a
  model instance).
- interface model → ``GET /api/v1/<app_label>/<model_name_lower>s/`` (list,
  filtered by the lookups staying code uses, as query parameters) and
  ``GET .../<id>/`` (retrieve). Responses are DTO dicts of the model's fields.
- signal bridged into the service → ``POST /api/v1/events/<signal_name>``
  whose body holds the signal's keyword arguments.
- ``GET /healthz`` needs no token; everything else needs
  ``Authorization: Bearer <DECOMPOSE_SERVICE_TOKEN>``.

Example::

    >>> from decompose.extract.plan import InterfaceFunction
    >>> f = InterfaceFunction("payments.services", "charge", (), None, None, False, ())
    >>> function_endpoint(f).path
    '/api/v1/services/charge'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from decompose.extract.plan import ExtractionPlan, InterfaceFunction, InterfaceModel, Param, SignalBridge

API_PREFIX = "/api/v1"
HEALTH_PATH = "/healthz"
TOKEN_ENV = "DECOMPOSE_SERVICE_TOKEN"
ENDPOINT_KINDS: tuple[str, ...] = ("function", "list", "retrieve", "event")


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One HTTP endpoint of a generated service.

    ``path`` may contain ``{id}`` (retrieve endpoints). ``params`` are the
    JSON body fields (function and event endpoints); ``filters`` the query
    parameters a list endpoint accepts; ``fields`` the DTO fields a model
    endpoint returns.
    """

    name: str
    method: str
    path: str
    kind: str
    target: str
    params: tuple[Param, ...] = ()
    filters: tuple[str, ...] = ()
    fields: tuple[str, ...] = ()
    returns_model: str | None = None
    idempotent: bool = False
    raises: tuple[str, ...] = ()

    @property
    def django_route(self) -> str:
        """The path as a Django ``path()`` route, without the leading slash."""
        return self.path.lstrip("/").replace("{id}", "<int:pk>")

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "method": self.method,
            "path": self.path,
            "kind": self.kind,
            "target": self.target,
            "params": [p.to_dict() for p in self.params],
            "filters": list(self.filters),
            "fields": list(self.fields),
            "returns_model": self.returns_model,
            "idempotent": self.idempotent,
            "raises": list(self.raises),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Endpoint:
        return cls(
            name=d["name"],
            method=d["method"],
            path=d["path"],
            kind=d["kind"],
            target=d["target"],
            params=tuple(Param.from_dict(p) for p in d.get("params", ())),
            filters=tuple(d.get("filters", ())),
            fields=tuple(d.get("fields", ())),
            returns_model=d.get("returns_model"),
            idempotent=bool(d.get("idempotent", False)),
            raises=tuple(d.get("raises", ())),
        )


def function_endpoint(f: InterfaceFunction) -> Endpoint:
    last = f.module.rsplit(".", 1)[-1]
    return Endpoint(
        name=f"{last}_{f.name}",
        method="POST",
        path=f"{API_PREFIX}/{last}/{f.name}",
        kind="function",
        target=f.qualname,
        params=f.params,
        returns_model=f.returns_model,
        idempotent=f.idempotent,
        raises=f.raises,
    )


def model_endpoints(m: InterfaceModel) -> tuple[Endpoint, Endpoint]:
    base = f"{API_PREFIX}/{m.app_label}/{m.name.lower()}s/"
    stem = f"{m.app_label}_{m.name.lower()}"
    fields = m.fields or m.fields_read
    return (
        Endpoint(
            name=f"{stem}_list",
            method="GET",
            path=base,
            kind="list",
            target=m.label,
            filters=m.lookups,
            fields=fields,
            returns_model=m.label,
            idempotent=True,
        ),
        Endpoint(
            name=f"{stem}_retrieve",
            method="GET",
            path=base + "{id}/",
            kind="retrieve",
            target=m.label,
            fields=fields,
            returns_model=m.label,
            idempotent=True,
        ),
    )


def event_endpoint(s: SignalBridge) -> Endpoint:
    params = tuple(Param(a, None, None, "keyword_only", None) for a in s.arguments)
    return Endpoint(
        name=f"event_{s.name}",
        method="POST",
        path=f"{API_PREFIX}/events/{s.name}",
        kind="event",
        target=s.signal,
        params=params,
    )


def endpoints(plan: ExtractionPlan) -> tuple[Endpoint, ...]:
    """All endpoints of the service ``plan`` describes, sorted by path then method.

    Signal bridges whose sender is in the monolith and whose receivers moved
    become event endpoints of the service; bridges the other way round are
    served by the monolith and are not part of the service's API.
    """
    out: list[Endpoint] = [function_endpoint(f) for f in plan.interface_functions]
    for m in plan.interface_models:
        out.extend(model_endpoints(m))
    out.extend(event_endpoint(s) for s in plan.signal_bridges if s.sender_side == "monolith")
    out.sort(key=lambda e: (e.path, e.method))
    seen: set[str] = set()
    for e in out:
        key = f"{e.method} {e.path}"
        if key in seen:
            from decompose.errors import InputError

            raise InputError(f"two interface symbols map to the same endpoint {key}; rename one of them")
        seen.add(key)
    return tuple(out)
