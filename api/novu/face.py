"""The native face: Novu's REST API (v1 and the v2 routes its SDKs call), and the default owner of paths."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

from api.errors import ApiError
from api.faces import Face
from api.novu.routes import ROUTERS


def render_error(
    request: Request, status: int, message: str, fields: dict[str, str], exc: ApiError | None
) -> JSONResponse:
    body: dict[str, Any] = {
        "statusCode": status,
        "timestamp": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        "path": request.url.path,
        "message": message,
    }
    if status == 400:
        body["type"] = exc.type_name if exc else "BadRequestException"
        body["errors"] = [{"field": f, "message": m} for f, m in fields.items()]
    elif status == 422:
        body["errors"] = {f: {"messages": [m]} for f, m in fields.items()}
    if exc is not None:
        body.update(exc.extra)
    return JSONResponse(body, status_code=status)


# Native routes are not counted by the event APIs' per-credential limit.
FACE = Face(name="novu", owns=(), routers=ROUTERS, render_error=render_error, rate_limited=False)
