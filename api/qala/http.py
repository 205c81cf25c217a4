"""Helpers shared by the Qala publish routes and the management API (shared/event-apis.md §1.1, §1.5).

Bodies are read raw and parsed whatever the Content-Type says; every route answers with and
without a trailing slash, directly; errors carry Qala codes in ``extra["errors"]``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import APIRouter, Request

from api.auth import Principal
from api.errors import ApiError, BadRequest, Forbidden
from api.json_body import JsonBodyError, parse_json

F = TypeVar("F", bound=Callable[..., Any])
AUDIENCE = re.compile(r"^[A-Za-z0-9._:\-]{1,100}$")
MISSING = object()


def problem(name: str, reason: str, code: str = "INVALID_FORMAT", error: type[ApiError] = BadRequest) -> ApiError:
    entry = {"name": name, "reason": reason, "code": code}
    return error(reason, field_errors={name: reason}, extra={"errors": [entry]})


def problems(entries: list[tuple[str, str, str]]) -> BadRequest:
    """One 400 with several ``(name, reason, code)`` entries (at most 50, as Qala sends)."""
    entries = entries[:50]
    return BadRequest(
        "; ".join(f"{n}: {r}" for n, r, _ in entries), field_errors={n: r for n, r, _ in entries},
        extra={"errors": [{"name": n, "reason": r, "code": c} for n, r, c in entries]},
    )


async def read_json(request: Request, *, required: bool = False) -> Any:
    """The body as JSON (``MISSING`` when empty); a body that is not JSON is a 400 named ``$``."""
    raw = await request.body()
    if not raw.strip():
        if required:
            raise problem("$", "A request body is required.", "INVALID_MANDATORY_PROPERTY")
        return MISSING
    try:
        return parse_json(raw)
    except JsonBodyError as exc:
        if exc.structural:
            raise problem("$", f"The request body {exc.reason}.") from None
        raise problem("$", "The request body is not valid JSON.") from None


def read_object(body: Any) -> dict[str, Any]:
    """A JSON object body (an empty body counts as ``{}``)."""
    if body is MISSING:
        return {}
    if not isinstance(body, dict):
        raise problem("$", "The request body must be a JSON object.")
    return body


def both(router: APIRouter, method: str, path: str, **kwargs: Any) -> Callable[[F], F]:
    """Register ``path`` and ``path/`` for ``method``, so neither is answered with a redirect."""

    def register(func: F) -> F:
        router.add_api_route(path, func, methods=[method], **kwargs)
        router.add_api_route(path.rstrip("/") + "/", func, methods=[method], include_in_schema=False, **kwargs)
        return func

    return register


def require(principal: Principal, scope: str) -> None:
    """API keys need ``scope``; session tokens hold no scopes and pass only where a route lets them."""
    if principal.kind != "key" or not principal.allows(scope):
        raise Forbidden(f"This credential lacks the '{scope}' scope")


def optional_str(body: dict[str, Any], name: str, *, max_length: int = 1000) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > max_length:
        raise problem(name, f"The {name} field must be a string of at most {max_length} characters.")
    return value


def required_str(body: dict[str, Any], name: str, *, max_length: int = 255, pattern: re.Pattern[str] | None = None
                 ) -> str:
    value = body.get(name)
    if value is None or value == "":
        raise problem(name, f"The {name} field is required.", "INVALID_MANDATORY_PROPERTY")
    if not isinstance(value, str) or len(value) > max_length or (pattern and not pattern.match(value)):
        raise problem(name, f"The {name} field has an invalid format.")
    return value
