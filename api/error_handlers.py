"""The one place where errors become responses, each in the dialect that owns the path."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.dialects import Dialect, dialect_for_path
from api.errors import ApiError

log = logging.getLogger("clarion.api")

Renderer = Callable[[Request, int, str, dict[str, str], ApiError | None], JSONResponse]


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _native(request: Request, status: int, message: str, fields: dict[str, str], exc: ApiError | None) -> JSONResponse:
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


def _qala(request: Request, status: int, message: str, fields: dict[str, str], exc: ApiError | None) -> JSONResponse:
    code = (exc.extra.get("code") if exc else None) or _QALA_CODES.get(status, "INVALID_FORMAT")
    errors = [{"name": f, "reason": m, "code": code, "severity": None} for f, m in fields.items()]
    body = {
        "type": f"https://tools.ietf.org/html/rfc9110#section-15.{5 if status < 500 else 6}.{status % 100 + 1}",
        "title": _reason(status),
        "status": status,
        "detail": "One or more validation errors occurred." if status == 400 else message,
        "instance": request.url.path,
        "traceId": getattr(request.state, "request_id", ""),
        "errors": errors or [{"name": "$", "reason": message, "code": code, "severity": None}],
    }
    return JSONResponse(body, status_code=status, media_type="application/problem+json")


_QALA_CODES = {
    401: "INVALID_AUTH_TOKEN",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    409: "CONFLICT",
    413: "PAYLOAD_TOO_LARGE",
    429: "RATE_LIMITED",
    503: "SERVICE_UNAVAILABLE",
}


def _workato(request: Request, status: int, message: str, fields: dict[str, str], exc: ApiError | None) -> JSONResponse:
    body: dict[str, Any] = {"error": _reason(status), "message": message, "code": status}
    if fields:
        body["details"] = [{"field": f, "message": m} for f, m in fields.items()]
    return JSONResponse(body, status_code=status)


def _parallels(
    request: Request, status: int, message: str, fields: dict[str, str], exc: ApiError | None
) -> JSONResponse:
    return JSONResponse({"code": status, "message": message, "stack": []}, status_code=status)


def _bitcaster(
    request: Request, status: int, message: str, fields: dict[str, str], exc: ApiError | None
) -> JSONResponse:
    body: dict[str, Any] = {f: [m] for f, m in fields.items()} if fields else {"detail": message}
    return JSONResponse(body, status_code=status)


RENDERERS: dict[Dialect, Renderer] = {
    Dialect.NATIVE: _native,
    Dialect.QALA: _qala,
    Dialect.WORKATO: _workato,
    Dialect.PARALLELS: _parallels,
    Dialect.BITCASTER: _bitcaster,
}


def render_error(
    request: Request,
    status: int,
    message: str,
    fields: dict[str, str] | None = None,
    exc: ApiError | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """Render an error in the dialect of the request's path."""
    response = RENDERERS[dialect_for_path(request.url.path)](request, status, message, fields or {}, exc)
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
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return render_error(request, 500, "Internal server error")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
