"""Errors the service layer raises for business-rule violations.

Views turn a ServiceError into a 400 JSON answer or a flash message; every
app subclasses it for its own failures.
"""


class ServiceError(Exception):
    code = "service_error"
    status = 400

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    def as_dict(self) -> dict[str, str]:
        return {"error": self.code, "message": self.message}


class NotFound(ServiceError):
    code = "not_found"
    status = 404


class PermissionDenied(ServiceError):
    code = "forbidden"
    status = 403
