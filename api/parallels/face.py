"""The Parallels face: the Events Hub WebSocket and its REST companions."""

from __future__ import annotations

import re

from fastapi import Request
from fastapi.responses import JSONResponse

from api.errors import ApiError
from api.faces import Face, reason_phrase
from api.parallels.routes import router


def render_error(
    request: Request, status: int, message: str, fields: dict[str, str], exc: ApiError | None
) -> JSONResponse:
    stack = [{"code": status, "description": reason_phrase(status), "error": message, "path": request.url.path}]
    return JSONResponse({"code": status, "message": message, "stack": stack}, status_code=status)


FACE = Face(name="parallels", owns=(re.compile(r"^/api/v1/ws(/|$)"),), routers=(router,), render_error=render_error)
