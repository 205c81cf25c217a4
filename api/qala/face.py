"""The Qala face: typed event publishing and the ``/management/v1`` API, errors as RFC 7807 problems."""

from __future__ import annotations

import re

from fastapi import Request
from fastapi.responses import JSONResponse

from api.errors import ApiError
from api.faces import Face, reason_phrase
from api.qala.management import ROUTERS as MANAGEMENT_ROUTERS
from api.qala.publish_routes import router as publish_router

_CODES = {
    401: "INVALID_AUTH_TOKEN",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    409: "CONFLICT",
    413: "PAYLOAD_TOO_LARGE",
    429: "RATE_LIMITED",
    503: "SERVICE_UNAVAILABLE",
}


def render_error(
    request: Request, status: int, message: str, fields: dict[str, str], exc: ApiError | None
) -> JSONResponse:
    code = (exc.extra.get("code") if exc else None) or _CODES.get(status, "INVALID_FORMAT")
    # Qala routes give each entry its own code; errors raised elsewhere (auth) get one by status,
    # and a header reported "required" is a missing mandatory property.
    entries = exc.extra.get("errors") if exc else None
    errors = [{**e, "severity": None} for e in entries[:50]] if isinstance(entries, list) and entries else [
        {"name": f, "reason": f"The {f} field is required." if m == "required" else m, "severity": None,
         "code": "INVALID_MANDATORY_PROPERTY" if status == 400 and m == "required" else code}
        for f, m in fields.items()
    ]
    body = {
        "type": f"https://tools.ietf.org/html/rfc9110#section-15.{5 if status < 500 else 6}.{status % 100 + 1}",
        "title": reason_phrase(status),
        "status": status,
        "detail": "One or more validation errors occurred." if status == 400 else message,
        "instance": request.url.path,
        "traceId": getattr(request.state, "request_id", ""),
        "errors": errors or [{"name": "$", "reason": message, "code": code, "severity": None}],
    }
    return JSONResponse(body, status_code=status, media_type="application/problem+json")


FACE = Face(
    name="qala",
    owns=(re.compile(r"^/v1/(topics/[^/]+/)?events/publish/?$"), re.compile(r"^/management/v1(/|$)")),
    routers=(publish_router, *MANAGEMENT_ROUTERS),
    render_error=render_error,
)
