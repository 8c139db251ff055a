"""The OpenAPI 3.0 document of a generated service, built from ``api_spec.endpoints()``.

Pure data → JSON (sorted keys): it does not import or run the service, so
extraction stays deterministic and needs no Django. The service serves this
file at ``/api/v1/openapi.json``; drf-spectacular serves the live schema of
the same views at ``/api/v1/schema/``, and the service's own tests check that
both list the same operations and that this document is valid. The remote ORM's
two operations (``/api/v1/query|command/{app_label}/{model_name}``, query.py) are
in it too. decompose's own suite checks every answer of the live services against
it (tests/openapi_contract.py: status code, content type, body schema), so what
it declares is what the service answers: a null result or column is declared
nullable, a failed call back's 503 is declared.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from decompose.extract.api_spec import API_PREFIX, HEALTH_PATH, TYPED_VALUES, Endpoint, param_schema
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
            422: "the moved code refused the input (or the Idempotency-Key was used for another request)",
            503: "a call back to the monolith (or the database) failed: retry later"}  # fmt: skip
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


def or_null(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` or JSON null, in OpenAPI 3.0.3: ``nullable`` only acts beside a ``type`` in the same
    schema object, so a ``$ref`` (or ``allOf: [$ref]``) with ``nullable: true`` still refuses null."""
    if not schema:
        return schema  # any value, null included
    if "type" in schema and "$ref" not in schema:
        return {**schema, "nullable": True}
    return {"oneOf": [schema, {"type": "object", "nullable": True, "enum": [None]}]}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


#: what a rejected remote ORM query or command answers, and the answer's shape (generated query.py)
_ORM_NODE: dict[str, Any] = {
    "type": "object",
    "description": 'a condition: {"and"|"or"|"xor": [NODE...]}, {"not": NODE} or {"lookup": "field__lookup", '
    '"value": v} ("expr": EXPR instead of a value)',
}
_ORM_AGGREGATE: dict[str, Any] = {
    "type": "object",
    "properties": {
        "fn": {"type": "string", "enum": ["Avg", "Count", "Max", "Min", "Sum"]},
        "field": {"type": "string", "description": 'a field path, or "*" for Count'},
        "distinct": {"type": "boolean"},
        "filter": _ORM_NODE,
    },
    "required": ["fn", "field"],
}
_ORM_CHAIN: dict[str, Any] = {
    "type": "array",
    "maxItems": 64,
    "description": "queryset steps in order, each an object of one key: filter, exclude (NODE), order_by, "
    "values (field names), annotate ({alias: AGGREGATE}), select_related (relations), distinct, reverse (true)",
    "items": {"type": "object", "minProperties": 1, "maxProperties": 1},
}
_ORM_QUERY: dict[str, Any] = {
    "type": "object",
    "properties": {
        "chain": _ORM_CHAIN,
        "slice": {"type": "array", "minItems": 2, "maxItems": 2, "items": {"type": "integer", "nullable": True},
                  "description": "[offset, stop or null]"},
        "op": {"type": "string", "enum": ["aggregate", "count", "exists", "first", "get", "last", "rows"]},
        "aggregate": {"type": "object", "additionalProperties": _ref("OrmAggregate")},
    },
    "additionalProperties": False,
}  # fmt: skip
_ORM_COMMAND: dict[str, Any] = {
    "type": "object",
    "properties": {
        "command": {"type": "string", "enum": ["bulk_create", "create", "delete", "get_or_create", "save", "update",
                                               "update_or_create"]},
        "values": {"type": "object", "description": "field values, typed by their fields"},
        "pk": {"description": "save: the row's primary key"},
        "update_fields": {"type": "array", "items": {"type": "string"}},
        "chain": _ORM_CHAIN,
        "expressions": {"type": "object", "description": "update: {field: EXPR}"},
        "lookups": {"type": "object"},
        "defaults": {"type": "object", "nullable": True},
        "create_defaults": {"type": "object", "nullable": True},
        "rows": {"type": "array", "maxItems": 1000, "items": {"type": "object"}},
        "batch_size": {"type": "integer", "minimum": 1, "nullable": True},
        "ignore_conflicts": {"type": "boolean"},
    },
    "required": ["command"],
    "additionalProperties": False,
}  # fmt: skip
_TYPES = {"type": "object", "additionalProperties": {"type": "string"}, "description": "column: Django field type"}
_ORM_ANSWER: dict[str, Any] = {
    "type": "object",
    "properties": {
        "result": {"description": "rows (DTOs or values objects), one row or null, a count, a flag or aggregates"},
        "types": _TYPES,
        "related": {"description": "select_related: the related rows of each row, as DTOs"},
        "related_models": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "properties": {"label": {"type": "string"}, "types": _TYPES},
                "required": ["label", "types"],
            },
        },
    },
    "required": ["result"],
}


def _orm_operations(prefix: str, served: Mapping[str, tuple[str, ...]]) -> dict[str, Any]:
    """The remote ORM's two operations (generated query.py): one read, one write, on a moved model."""
    names = sorted({m for models in served.values() for m in models})
    parameters = [
        {"name": "app_label", "in": "path", "required": True, "schema": {"type": "string", "enum": sorted(served)}},
        {"name": "model_name", "in": "path", "required": True,
         "schema": {"type": "string", "enum": names} if names else {"type": "string"}},
    ]  # fmt: skip
    query = {
        "operationId": "orm_query",
        "summary": "remote ORM: one queryset evaluation on a moved model",
        "parameters": parameters,
        "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("OrmQuery")}}},
        "responses": {"200": _json(_ORM_ANSWER), **_error_responses(400, 401, 404, 422, 503)},
    }
    written = {"type": "object", "properties": {"result": {"description": "DTOs, counts"}}, "required": ["result"]}
    command = {
        "operationId": "orm_command",
        "summary": "remote ORM: one write on a moved model, in one transaction",
        "parameters": [*parameters, _IDEMPOTENCY_KEY],
        "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("OrmCommand")}}},
        "responses": {"200": _json(written), **_error_responses(400, 401, 404, 409, 422, 503)},
    }
    return {
        f"{prefix}/query/{{app_label}}/{{model_name}}": {"post": query},
        f"{prefix}/command/{{app_label}}/{{model_name}}": {"post": command},
    }


def document(
    plan: ExtractionPlan,
    endpoints: tuple[Endpoint, ...],
    nullable: Mapping[str, frozenset[str]] | None = None,
    served: Mapping[str, tuple[str, ...]] | None = None,
) -> dict[str, Any]:
    """The document; ``nullable``: the fields of each model that may be null (label → attnames);
    ``served``: the models the remote ORM serves (app label → model names; default: the apps, no names)."""
    models = {m.label: m for m in plan.interface_models}
    nullable = nullable or {}
    schemas: dict[str, Any] = {
        "Error": {
            "type": "object",
            "properties": {
                "error": {"type": "string"},
                "details": {"type": "object"},
                "type": {"type": "string"},
                "validation": {
                    "type": "object",
                    "description": "a Django ValidationError: message, code, params | list | fields",
                },
            },
            "required": ["error"],
        },
        "OrmQuery": _ORM_QUERY,
        "OrmCommand": _ORM_COMMAND,
        "OrmAggregate": _ORM_AGGREGATE,
    }
    for label, m in models.items():
        null = nullable.get(label, frozenset())
        schemas[dto_name(label)] = {
            "type": "object",
            "description": f"{label} (table {m.table}) as plain data; relations as ids",
            "properties": {
                f: or_null(django_field_schema(m.field_types.get(f, ""))) if f in null
                else django_field_schema(m.field_types.get(f, ""))
                for f in m.fields
            },
            "required": list(m.fields),
        }  # fmt: skip

    def model_ref(label: str | None) -> dict[str, Any]:
        return {"$ref": f"#/components/schemas/{dto_name(label)}"} if label in models else {}

    health = {
        "type": "object",
        "properties": {"status": {"type": "string", "enum": ["ok", "unavailable"]}, "service": {"type": "string"}},
        "required": ["status", "service"],
    }
    paths: dict[str, Any] = {
        HEALTH_PATH: {
            "get": {
                "operationId": "healthz",
                "summary": "Liveness and database reachability (no token needed)",
                "security": [],
                "responses": {
                    "200": _json(health),
                    "503": _json(health, "database unreachable"),
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
                result = model_ref(e.returns_model) or {"description": TYPED_VALUES}
                if "$ref" in result and e.result_nullable:
                    result = or_null(result)
                op["responses"] = {
                    "200": _json({"type": "object", "properties": {"result": result}, "required": ["result"]}),
                    **_error_responses(400, 401, 404, 409, 422, 503),
                }
            else:
                op["responses"] = {
                    "202": _json(
                        {"type": "object", "properties": {"receivers": {"type": "integer"}}, "required": ["receivers"]},
                        "accepted",
                    ),
                    **_error_responses(400, 401, 409, 422, 503),
                }
        elif e.kind == "task":
            op.update(openapi_operation(e, _IDEMPOTENCY_KEY, _error_responses(400, 401, 404, 409, 422, 503)))
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
    paths.update(_orm_operations(API_PREFIX, served if served is not None else dict.fromkeys(plan.apps, ())))
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


def document_json(
    plan: ExtractionPlan,
    endpoints: tuple[Endpoint, ...],
    nullable: Mapping[str, frozenset[str]] | None = None,
    served: Mapping[str, tuple[str, ...]] | None = None,
) -> str:
    text = json.dumps(document(plan, endpoints, nullable, served), indent=2, sort_keys=True, ensure_ascii=False)
    return text + "\n"
