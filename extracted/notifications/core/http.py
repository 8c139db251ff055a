"""JSON helpers shared by every app's endpoints."""
import json
from collections.abc import Callable
from functools import wraps

from django.http import HttpRequest, JsonResponse

from core.exceptions import ServiceError


def json_error(message: str, *, code: str = "bad_request", status: int = 400) -> JsonResponse:
    return JsonResponse({"error": code, "message": message}, status=status)


def read_json(request: HttpRequest) -> dict:
    """The JSON object in the request body, or form data when the body is not JSON."""
    if request.content_type == "application/json":
        try:
            payload = json.loads(request.body or b"{}")
        except json.JSONDecodeError as exc:
            raise ServiceError(f"invalid JSON: {exc.msg}", code="invalid_json") from exc
        if not isinstance(payload, dict):
            raise ServiceError("expected a JSON object", code="invalid_json")
        return payload
    return request.POST.dict()


def service_errors_as_json(view: Callable) -> Callable:
    """Decorator: turn ServiceError and ValueError raised by a view into JSON errors."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except ServiceError as exc:
            return JsonResponse(exc.as_dict(), status=exc.status)
        except ValueError as exc:
            return json_error(str(exc))

    return wrapper


def login_required_json(view: Callable) -> Callable:
    """Like login_required, but answers 401 JSON instead of redirecting."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        if not request.user.is_authenticated:
            return json_error("authentication required", code="unauthenticated", status=401)
        return view(request, *args, **kwargs)

    return wrapper
