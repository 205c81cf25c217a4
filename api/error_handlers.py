"""The one place where errors become responses, each in the format of the face that owns the path."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.errors import ApiError
from api.faces import FaceTable
from api.outages import RETRY_AFTER_SECONDS, is_database_outage

log = logging.getLogger("clarion.api")

def render_error(
    request: Request,
    status: int,
    message: str,
    fields: dict[str, str] | None = None,
    exc: ApiError | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """Render an error in the format of the face that owns the request's path (``api.faces``)."""
    faces: FaceTable = request.app.state.faces
    response = faces.for_path(request.url.path).render_error(request, status, message, fields or {}, exc)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _field_name(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


async def _api_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return render_error(request, exc.status_code, exc.message, exc.field_errors, exc, exc.headers)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    if any(e.get("type") == "json_invalid" for e in errors):
        return render_error(request, 400, "Malformed JSON in the request body", {"body": "is not valid JSON"})
    fields: dict[str, str] = {}
    for e in errors:
        fields.setdefault(_field_name(tuple(e.get("loc", ()))), str(e.get("msg", "is invalid")))
    message = "; ".join(f"{f}: {m}" for f, m in fields.items())
    # Novu answers DTO validation failures with 422 and the errors keyed by field.
    return render_error(request, 422, message or "Validation failed", fields)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    message = str(exc.detail)
    if exc.status_code == 404 and message == "Not Found":
        message = f"Cannot {request.method} {request.url.path}"
    return render_error(request, exc.status_code, message, headers=dict(exc.headers or {}))


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    if request.scope["type"] != "http":
        raise exc  # a WebSocket route closes its socket itself (see api/novu/inbox/plain_socket.py)
    if is_database_outage(exc):
        log.warning("database unavailable on %s %s: %s", request.method, request.url.path, exc)
        return render_error(request, 503, "The database is unavailable; retry shortly",
                            headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return render_error(request, 500, "Internal server error")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
    # The same handler by type: Starlette answers these in its exception middleware and is done, where
    # a handler of ``Exception`` answers and then re-raises, so a database restart filled the log with
    # "Exception in ASGI application" tracebacks for requests that were answered 503.
    for outage_type in (SQLAlchemyError, OSError):
        app.add_exception_handler(outage_type, _unexpected)
