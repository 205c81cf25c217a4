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
    # The text in both `error` and `message`, and a machine code string (event-apis.md §2.1).
    code = (exc.extra.get("code") if exc else None) or _WORKATO_CODES.get(status, "invalid_request")
    body: dict[str, Any] = {"error": message, "message": message, "code": code}
    if fields:
        body["details"] = [{"field": f, "message": m} for f, m in list(fields.items())[:50]]
    if exc is not None:
        body.update({k: v for k, v in exc.extra.items() if k != "code"})
    return JSONResponse(body, status_code=status)


_WORKATO_CODES = {
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


def _parallels(
    request: Request, status: int, message: str, fields: dict[str, str], exc: ApiError | None
) -> JSONResponse:
    stack = [{"code": status, "description": _reason(status), "error": message, "path": request.url.path}]
    return JSONResponse({"code": status, "message": message, "stack": stack}, status_code=status)


def _bitcaster(
    request: Request, status: int, message: str, fields: dict[str, str], exc: ApiError | None
) -> JSONResponse:
    # DRF nests field errors ({"options": {"channels": [...]}}); such bodies travel whole on the error.
    body: dict[str, Any] = {f: [m] for f, m in fields.items()} if fields else {"detail": message}
    if exc is not None and "bitcaster_body" in exc.extra:
        body = exc.extra["bitcaster_body"]
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
