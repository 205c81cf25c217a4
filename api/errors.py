"""Domain errors raised by routes and services, rendered in one place per dialect.

    ApiError                      any error with an HTTP status
     ├── BadRequest (400)         with per-field ``errors`` [{field, message}]
     ├── Unauthorized (401)
     ├── Forbidden (403)
     ├── NotFound (404)
     ├── Conflict (409)           optional ``retry_after``
     ├── PayloadTooLarge (413)
     ├── Unprocessable (422)      with ``errors`` {field: {messages: [...]}}
     └── ServiceUnavailable (503)

Services never raise ``HTTPException``; the handlers in ``api.error_handlers`` translate.
"""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    status_code = 500
    type_name = "InternalServerErrorException"

    def __init__(
        self,
        message: str,
        *,
        field_errors: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field_errors = field_errors or {}
        self.headers = headers or {}
        self.extra = extra or {}


class BadRequest(ApiError):
    status_code = 400
    type_name = "BadRequestException"


class Unauthorized(ApiError):
    status_code = 401
    type_name = "UnauthorizedException"


class Forbidden(ApiError):
    status_code = 403
    type_name = "ForbiddenException"


class NotFound(ApiError):
    status_code = 404
    type_name = "NotFoundException"


class Conflict(ApiError):
    status_code = 409
    type_name = "ConflictException"


class PayloadTooLarge(ApiError):
    status_code = 413
    type_name = "PayloadTooLargeException"


class Unprocessable(ApiError):
    status_code = 422
    type_name = "UnprocessableEntityException"


class ServiceUnavailable(ApiError):
    status_code = 503
    type_name = "ServiceUnavailableException"
