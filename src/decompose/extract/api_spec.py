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
- Celery task → ``POST /api/v1/tasks/<function_name>`` (:func:`task_endpoint`):
  the service queues the task with its own broker (or runs it), 202.
- ``GET /healthz`` needs no token; everything else needs
  ``Authorization: Bearer <DECOMPOSE_SERVICE_TOKEN>``.

Response shapes (all JSON):

- function: 200 ``{"result": <value>}``; a model instance becomes its DTO
  (``{attname: value}`` of its concrete fields, Decimal as string, datetimes in
  ISO 8601); a list/tuple/queryset becomes a list of those.
- list: 200 ``{"count": n, "results": [<DTO>, ...]}`` ordered by id.
- retrieve: 200 ``<DTO>``; 404 ``{"error": ...}`` for an unknown id.
- event: 202 ``{"receivers": n}``.
- errors: 400 ``{"error": msg, "details": {...}}`` (malformed JSON, wrong
  types, unknown filter), 401 (no or wrong token), 404, and 422
  ``{"error": str(exc), "type": ExceptionClassName}`` when the moved code
  raises (one of ``Endpoint.raises``, or ValueError/TypeError/ValidationError).

Example::

    >>> from decompose.extract.plan import InterfaceFunction
    >>> f = InterfaceFunction("payments.services", "charge", (), None, None, False, ())
    >>> function_endpoint(f).path
    '/api/v1/services/charge'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from decompose.extract.plan.values import ExtractionPlan, InterfaceFunction, InterfaceModel, Param, SignalBridge

API_PREFIX = "/api/v1"
HEALTH_PATH = "/healthz"
TOKEN_ENV = "DECOMPOSE_SERVICE_TOKEN"
ENDPOINT_KINDS: tuple[str, ...] = ("function", "list", "retrieve", "event", "task")


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
    #: the function's return annotation, as written (function endpoints)
    returns: str | None = None

    @property
    def result_nullable(self) -> bool:
        """Whether a function endpoint's ``result`` may be null (``X | None``, ``Optional[X]``, no annotation)."""
        r = self.returns or ""
        return not r or "None" in r or "Optional" in r

    @property
    def django_route(self) -> str:
        """The path as a Django ``path()`` route, without the leading slash."""
        return self.path.lstrip("/").replace("{id}", "<int:id>")

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
            "returns": self.returns,
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
            returns=d.get("returns"),
        )


def function_endpoint(f: InterfaceFunction) -> Endpoint:
    if f.task is not None:
        return task_endpoint(f)
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
        returns=f.returns,
    )


def task_endpoint(f: InterfaceFunction) -> Endpoint:
    """A Celery task → ``POST /api/v1/tasks/<function name>``: the service queues it (``apply_async``) or
    runs it (``apply``) itself; the body is ``{"args": [...], "kwargs": {...}, "options": {...}, "apply": bool}``
    and the answer 202 ``{"result": {"id", "state", ...}}``. Never idempotent: the key makes a repeat safe."""
    return Endpoint(
        name=f"task_{f.name}",
        method="POST",
        path=f"{API_PREFIX}/tasks/{f.name}",
        kind="task",
        target=f.qualname,
        params=f.params,
        idempotent=False,
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
    params = tuple(
        Param(a, "int" if a == "id" or a.endswith("_id") else None, None, "keyword_only", None) for a in s.arguments
    )
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


_SCALARS: dict[str, dict[str, Any]] = {
    "int": {"type": "integer", "format": "int64"},
    "str": {"type": "string"},
    "bool": {"type": "boolean"},
    "float": {"type": "number"},
    "Decimal": {"type": "string", "format": "decimal"},
    "decimal.Decimal": {"type": "string", "format": "decimal"},
    "date": {"type": "string", "format": "date"},
    "datetime.date": {"type": "string", "format": "date"},
    "datetime": {"type": "string", "format": "date-time"},
    "datetime.datetime": {"type": "string", "format": "date-time"},
    "dict": {"type": "object"},
    "list": {"type": "array", "items": {}},
    "tuple": {"type": "array", "items": {}},
    "UUID": {"type": "string", "format": "uuid"},
    "uuid.UUID": {"type": "string", "format": "uuid"},
}


def wire_type(p: Param) -> tuple[str, bool]:
    """``(scalar type name, nullable)`` of a parameter on the wire.

    Model instances travel as ids (``"int"``), except a model that stays in
    the monolith whose fields the moved function reads (``p.fields``): it
    travels as a DTO object ``{"id": ..., <fields>}`` (``"ref"``).
    ``X | None`` / ``Optional[X]`` are nullable; generics reduce to their
    origin (``list[int]`` → ``list``); anything unknown is ``"any"``.
    """
    ann = (p.annotation or "").strip().strip("'\"")
    if p.model:
        return ("ref" if p.fields else "int"), p.default == "None" or "None" in ann or "Optional" in ann
    nullable = False
    if ann.startswith(("Optional[", "typing.Optional[")) and ann.endswith("]"):
        ann, nullable = ann[ann.index("[") + 1 : -1].strip(), True
    parts = [x.strip() for x in ann.split("|")] if "|" in ann and "[" not in ann else [ann]
    if "None" in parts:
        nullable = True
        parts = [x for x in parts if x != "None"]
    ann = parts[0] if len(parts) == 1 else ""
    base = ann.split("[", 1)[0].replace("typing.", "")
    base = {"Dict": "dict", "List": "list", "Tuple": "tuple", "Mapping": "dict", "Sequence": "list"}.get(base, base)
    return (base if base in _SCALARS else "any"), nullable or p.default == "None"


#: how a value of no declared scalar type travels (client runtime.encode, service monolith.encode)
TYPED_VALUES = (
    'typed JSON: a model instance is {"__decompose__": "model", "label": "app.Model", "pk", "fields"} '
    "(the real row on the side its model lives on, a reference elsewhere); a SafeString, Decimal, datetime, date, "
    'time, UUID is {"__decompose__": "safe"|"decimal"|"datetime"|"date"|"time"|"uuid", '
    '"value": <string>}, a timedelta {"__decompose__": "timedelta", "value": [days, seconds, '
    'microseconds]}, a dict with the key __decompose__ {"__decompose__": "dict", "value": {...}}; '
    "other values are plain JSON"
)


def param_schema(p: Param) -> dict[str, Any]:
    """The OpenAPI 3.0 schema of one parameter."""
    t, nullable = wire_type(p)
    schema = dict(_SCALARS.get(t, {}))
    if t in ("any", "dict", "list", "tuple"):
        schema["description"] = TYPED_VALUES
    elif t == "str":
        schema["description"] = 'a string; a SafeString may be {"__decompose__": "safe", "value": <string>}'
    if t == "ref":
        schema = {
            "type": "object",
            "properties": {"id": {"type": "integer", "format": "int64"}, **{f: {} for f in p.fields}},
            "required": ["id", *p.fields],
            "description": f"{p.model} as a DTO: its id and the fields the service reads",
        }
    elif p.model:
        schema["description"] = f"id of {p.model}"
    if nullable:
        schema["nullable"] = True
    return schema
