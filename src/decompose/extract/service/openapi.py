"""The OpenAPI 3.0 document of a generated service, built from ``api_spec.endpoints()``.

Pure data → JSON (sorted keys): it does not import or run the service, so
extraction stays deterministic and needs no Django. The service serves this
file at ``/api/v1/openapi.json``; drf-spectacular serves the live schema of
the same views at ``/api/v1/schema/``, and the service's own tests check that
both list the same operations and that this document is valid.
"""

from __future__ import annotations

import json
from typing import Any

from decompose.extract.api_spec import HEALTH_PATH, Endpoint, param_schema
from decompose.extract.plan import ExtractionPlan
from decompose.extract.service.tasks import openapi_operation

_DJANGO_TYPES: dict[str, dict[str, Any]] = {
    "BooleanField": {"type": "boolean"},
    "NullBooleanField": {"type": "boolean", "nullable": True},
    "FloatField": {"type": "number"},
    "DurationField": {"type": "number"},
    "DecimalField": {"type": "string", "format": "decimal"},
    "DateField": {"type": "string", "format": "date"},
    "DateTimeField": {"type": "string", "format": "date-time"},
    "TimeField": {"type": "string", "format": "time"},
    "UUIDField": {"type": "string", "format": "uuid"},
    "JSONField": {},
}
_STRINGS = ("CharField", "TextField", "EmailField", "SlugField", "URLField", "GenericIPAddressField",
            "FilePathField", "FileField", "ImageField", "IPAddressField")  # fmt: skip


def django_field_schema(field_type: str) -> dict[str, Any]:
    if field_type in _DJANGO_TYPES:
        return dict(_DJANGO_TYPES[field_type])
    if field_type in _STRINGS:
        return {"type": "string"}
    if "Integer" in field_type or field_type.endswith("AutoField") or field_type in ("ForeignKey", "OneToOneField"):
        return {"type": "integer", "format": "int64"}
    return {}


def dto_name(label: str) -> str:
    app, model = label.split(".", 1)
    return "".join(p.capitalize() for p in app.split("_")) + model + "DTO"


def camel(name: str) -> str:
    return "".join(p[:1].upper() + p[1:] for p in name.replace("-", "_").split("_") if p)


_ERROR = {"$ref": "#/components/schemas/Error"}


def _error_responses(*codes: int) -> dict[str, Any]:
    text = {400: "malformed JSON, wrong types or unknown filter", 401: "missing or wrong service token",
            404: "unknown id or object", 409: "a request with this Idempotency-Key is still running",
            422: "the moved code refused the input (or the Idempotency-Key was used for another request)"}  # fmt: skip
    return {str(c): {"description": text[c], "content": {"application/json": {"schema": _ERROR}}} for c in codes}


#: every POST accepts it: the service runs a request once per key (generated rest.idempotent)
_IDEMPOTENCY_KEY: dict[str, Any] = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "a unique key per logical request: a repeat gets the first response and does not run again",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[A-Za-z0-9._:-]+$"},
}
#: every list endpoint pages (generated rest.listing; PAGE_SIZE 100, MAX_PAGE_SIZE 1000 in settings)
_PAGE_PARAMETERS: list[dict[str, Any]] = [
    {"name": "limit", "in": "query", "required": False, "description": "rows in the page (default 100)",
     "schema": {"type": "integer", "minimum": 0, "maximum": 1000}},
    {"name": "offset", "in": "query", "required": False, "description": "rows to skip (default 0)",
     "schema": {"type": "integer", "minimum": 0}},
]  # fmt: skip


def _json(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def document(plan: ExtractionPlan, endpoints: tuple[Endpoint, ...]) -> dict[str, Any]:
    models = {m.label: m for m in plan.interface_models}
    schemas: dict[str, Any] = {
        "Error": {
            "type": "object",
            "properties": {"error": {"type": "string"}, "details": {"type": "object"}, "type": {"type": "string"}},
            "required": ["error"],
        }
    }
    for label, m in models.items():
        schemas[dto_name(label)] = {
            "type": "object",
            "description": f"{label} (table {m.table}) as plain data; relations as ids",
            "properties": {f: django_field_schema(m.field_types.get(f, "")) for f in m.fields},
            "required": list(m.fields),
        }

    def model_ref(label: str | None) -> dict[str, Any]:
        return {"$ref": f"#/components/schemas/{dto_name(label)}"} if label in models else {}

    paths: dict[str, Any] = {
        HEALTH_PATH: {
            "get": {
                "operationId": "healthz",
                "summary": "Liveness and database reachability (no token needed)",
                "security": [],
                "responses": {
                    "200": _json({"type": "object", "properties": {"status": {"type": "string"}}}),
                    "503": {"description": "database unreachable"},
                },
            }
        }
    }
    for e in endpoints:
        op: dict[str, Any] = {"operationId": e.name, "summary": f"{e.kind}: {e.target}"}
        if e.kind in ("function", "event"):
            fields = [p for p in e.params if p.kind not in ("var_positional", "var_keyword")]
            body = {
                "type": "object",
                "properties": {p.name: param_schema(p) for p in fields},
                "additionalProperties": False,
            }
            required = [p.name for p in fields if p.default is None]
            if required:
                body["required"] = required
            op["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
            op["parameters"] = [_IDEMPOTENCY_KEY]
            if e.kind == "function":
                result = model_ref(e.returns_model) or {"nullable": True}
                if "$ref" in result and e.result_nullable:
                    result = {"allOf": [result], "nullable": True}
                op["responses"] = {
                    "200": _json({"type": "object", "properties": {"result": result}, "required": ["result"]}),
                    **_error_responses(400, 401, 404, 409, 422),
                }
            else:
                op["responses"] = {
                    "202": _json({"type": "object", "properties": {"receivers": {"type": "integer"}}}, "accepted"),
                    **_error_responses(400, 401, 409, 422),
                }
        elif e.kind == "task":
            op.update(openapi_operation(e, _IDEMPOTENCY_KEY, _error_responses(400, 401, 404, 409, 422)))
        elif e.kind == "list":
            op["parameters"] = [
                {"name": f, "in": "query", "required": False, "schema": {"type": "string"}} for f in e.filters
            ] + _PAGE_PARAMETERS
            op["responses"] = {
                "200": _json(
                    {
                        "type": "object",
                        "properties": {
                            "count": {"type": "integer", "description": "rows matching the filters, all pages"},
                            "limit": {"type": "integer"},
                            "offset": {"type": "integer"},
                            "results": {"type": "array", "items": model_ref(e.returns_model)},
                        },
                        "required": ["count", "limit", "offset", "results"],
                    }
                ),
                **_error_responses(400, 401),
            }
        else:  # retrieve
            op["parameters"] = [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}]
            op["responses"] = {"200": _json(model_ref(e.returns_model)), **_error_responses(401, 404)}
        paths.setdefault(e.path, {})[e.method.lower()] = op
    return {
        "openapi": "3.0.3",
        "info": {
            "title": f"{plan.service} service",
            "version": "1.0.0",
            "description": f"Extracted from the monolith by decompose: apps {', '.join(plan.apps)}.",
        },
        "servers": [{"url": "/"}],
        "security": [{"bearerAuth": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
            "schemas": schemas,
        },
    }


def document_json(plan: ExtractionPlan, endpoints: tuple[Endpoint, ...]) -> str:
    return json.dumps(document(plan, endpoints), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
