"""The Workato face: event streams (schema-checked retained topics, publish and consume)."""

from __future__ import annotations

import re
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

from api.errors import ApiError
from api.faces import Face
from api.workato.routes import router

_CODES = {
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
}


def render_error(
    request: Request, status: int, message: str, fields: dict[str, str], exc: ApiError | None
) -> JSONResponse:
    # The text in both `error` and `message`, and a machine code string (event-apis.md §2.1).
    code = (exc.extra.get("code") if exc else None) or _CODES.get(status, "invalid_request")
    body: dict[str, Any] = {"error": message, "message": message, "code": code}
    if fields:
        body["details"] = [{"field": f, "message": m} for f, m in list(fields.items())[:50]]
    if exc is not None:
        body.update({k: v for k, v in exc.extra.items() if k != "code"})
    return JSONResponse(body, status_code=status)


FACE = Face(
    name="workato",
    owns=(re.compile(r"^/api/(event_streams|v1/topics|v1/batch|pubsub)(/|$)"),),
    routers=(router,),
    render_error=render_error,
)
