"""The Bitcaster face: its events API under ``/api/o/…`` and ``/api/system/…``, errors as DRF writes them."""

from __future__ import annotations

import re
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

from api.bitcaster.routes import router
from api.errors import ApiError
from api.faces import Face


def render_error(
    request: Request, status: int, message: str, fields: dict[str, str], exc: ApiError | None
) -> JSONResponse:
    # DRF nests field errors ({"options": {"channels": [...]}}); such bodies travel whole on the error.
    body: dict[str, Any] = {f: [m] for f, m in fields.items()} if fields else {"detail": message}
    if exc is not None and "bitcaster_body" in exc.extra:
        body = exc.extra["bitcaster_body"]
    return JSONResponse(body, status_code=status)


FACE = Face(
    name="bitcaster", owns=(re.compile(r"^/api/(o|system)(/|$)"),), routers=(router,), render_error=render_error
)
