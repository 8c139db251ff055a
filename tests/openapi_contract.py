"""Every answer of a live generated service checked against the service's own openapi.json (issue 17).

openapi-core does the checking: the document itself is validated when it is loaded
(openapi-spec-validator), and each response must have a status code the operation declares, a
content type it declares for that status, and a body valid against that media type's schema
(OpenAPI 3.0 dialect: ``nullable``, ``format``...). A failure is a *violation*, kept with the request
that caused it; tests assert there are none.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx
from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse


def _reason(exc: BaseException) -> str:
    parts = [f"{type(exc).__name__}: {exc}"]
    cause = exc.__cause__ or exc.__context__
    for inner in getattr(exc, "schema_errors", None) or getattr(cause, "schema_errors", None) or ():
        parts.append(f"  at {'/'.join(map(str, inner.absolute_path)) or '(body)'}: {inner.message[:300]}")
    if cause is not None and len(parts) == 1:
        parts.append(f"  {type(cause).__name__}: {str(cause)[:300]}")
    return "\n".join(parts)


@dataclass
class Contract:
    """The checker of one service: ``check`` each response, then read ``violations`` and the counts."""

    document: dict[str, Any]
    checked: Counter[tuple[str, str, int]] = field(default_factory=Counter)  # (METHOD, path template, status)
    violations: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.openapi = OpenAPI.from_dict(self.document)  # raises if the document itself is not valid OpenAPI

    def operations(self) -> set[tuple[str, str]]:
        return {(m.upper(), p) for p, ops in self.document["paths"].items() for m in ops if m != "parameters"}

    def check(self, template: str, response: httpx.Response) -> list[str]:
        """Validate ``response`` (to a request made on the operation at ``template``); its violations."""
        request = response.request
        headers = dict(request.headers)
        wire = MockRequest(
            f"{request.url.scheme}://{request.url.netloc.decode()}",
            request.method.lower(),
            request.url.path,
            path_pattern=template,
            args=dict(request.url.params),
            headers=headers,
            data=request.content or None,
            content_type=headers.get("content-type", ""),
        )
        answer = MockResponse(
            response.content,
            status_code=response.status_code,
            headers=dict(response.headers),
            content_type=response.headers.get("content-type", ""),
        )
        self.checked[(request.method, template, response.status_code)] += 1
        found = []
        try:
            self.openapi.validate_response(wire, answer)
        except Exception as exc:  # every failure of the check is a violation to report
            found.append(
                f"{request.method} {request.url.path}?{request.url.query.decode()[:200]} -> {response.status_code} "
                f"{response.headers.get('content-type', '')}: {_reason(exc)}\n  body: {response.text[:300]!r}\n"
                f"  request: {request.content[:300]!r}"
            )
        self.violations += found
        return found

    def summary(self) -> str:
        ops = {(m, p) for m, p, _s in self.checked}
        return (
            f"{sum(self.checked.values())} responses on {len(ops)} of {len(self.operations())} operations, "
            f"{len(self.violations)} violations"
        )
