"""The service's side of the Celery tasks that moved: one endpoint per task, ``<pkg>/task_calls.py``.

The monolith's client (a ``RemoteTask``) posts ``{"args", "kwargs", "options", "apply"}`` to
``POST /api/v1/tasks/<name>`` (:func:`decompose.extract.api_spec.task_endpoint`); the view calls
the task's own ``apply_async`` (or ``apply``) through ``task_calls.run``: the service's broker and
worker run it, a bound task's ``self`` is the service's task object.
"""

from __future__ import annotations

from decompose.extract.api_spec import Endpoint

#: the generated module with the shared request serializer and ``run``
MODULE = "task_calls"


def has_tasks(eps: tuple[Endpoint, ...]) -> bool:
    return any(e.kind == "task" for e in eps)


def task_view(e: Endpoint) -> tuple[str, list[str]]:
    """(the module the view imports, the body lines of the view class of the task endpoint ``e``)."""
    mod, fn = e.target.rsplit(".", 1)
    lines = [
        f'    @extend_schema(operation_id="{e.name}", request={MODULE}.TaskRequest, '
        f"parameters=rest.IDEMPOTENCY_PARAMETERS, responses={{202: {MODULE}.TaskAccepted, **rest.IDEMPOTENCY_ERRORS}})",
        "    @rest.idempotent",
        "    def post(self, request: Request) -> Response:",
        f"        data = rest.validate({MODULE}.TaskRequest, request)",
        "        with rest.domain_call():",
        f"            answer = {MODULE}.run({mod}.{fn}, data)",
        '        return Response({"result": answer}, status=202)',
    ]
    return mod, lines


def openapi_operation(e: Endpoint, idempotency_key: dict[str, object], errors: dict[str, object]) -> dict[str, object]:
    """The OpenAPI operation of a task endpoint (request body and 202 answer)."""
    body = {
        "type": "object",
        "properties": {
            "args": {"type": "array", "items": {}, "description": "positional arguments of the task"},
            "kwargs": {"type": "object", "description": "keyword arguments of the task"},
            "options": {"type": "object", "description": "apply_async options: countdown, eta, expires, queue..."},
            "apply": {"type": "boolean", "description": "run the task now in the service (Task.apply)"},
        },
        "additionalProperties": False,
    }
    answer = {
        "type": "object",
        "properties": {
            "id": {"type": "string", "nullable": True},
            "state": {"type": "string"},
            "result": {"nullable": True},
            "error": {"type": "string"},
            "type": {"type": "string"},
        },
        "required": ["id", "state"],
    }
    return {
        "requestBody": {"required": True, "content": {"application/json": {"schema": body}}},
        "parameters": [idempotency_key],
        "responses": {
            "202": {
                "description": "queued (or run, with apply)",
                "content": {
                    "application/json": {
                        "schema": {"type": "object", "properties": {"result": answer}, "required": ["result"]}
                    }
                },
            },
            **errors,
        },
    }
