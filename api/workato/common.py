"""What every Workato route shares: both slash forms, raw JSON bodies, scopes, topic look-up, shapes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from fastapi import APIRouter, Request
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import Principal
from api.errors import BadRequest, Forbidden, NotFound
from api.json_body import JsonBodyError, parse_request_json
from store import streams
from store.models import StreamTopic

MAX_MESSAGE_BYTES = 1024 * 1024
MAX_BATCH_BODY_BYTES = 10 * 1024 * 1024
MAX_BATCH_ITEMS = 100

F = TypeVar("F", bound=Callable[..., Any])


def route(router: APIRouter, methods: list[str], path: str) -> Callable[[F], F]:
    """Register ``path`` with and without a trailing slash: answered directly, never redirected."""

    def register(endpoint: F) -> F:
        # Aliases and slash variants stay out of the OpenAPI document (one operation id each).
        canonical = path.startswith(("/api/v1/", "/api/event_streams/")) or not path.startswith("/api/")
        for method in methods:
            # One route per method, so each documented operation gets its own operation id.
            name = endpoint.__name__ if len(methods) == 1 else f"{endpoint.__name__}_{method.lower()}"
            router.add_api_route(path, endpoint, methods=[method], name=name, include_in_schema=canonical)
            router.add_api_route(path + "/", endpoint, methods=[method], name=name, include_in_schema=False)
        return endpoint

    return register


def invalid(message: str, code: str = "invalid_request", **fields: str) -> BadRequest:
    return BadRequest(message, field_errors=fields or None, extra={"code": code})


def require(principal: Principal, scope: str) -> None:
    if not principal.allows(scope):
        raise Forbidden(f"This key lacks the '{scope}' scope")


async def json_body(request: Request, *, empty: Any = None) -> Any:
    """The body parsed as JSON whatever its Content-Type; ``empty`` for no body; 400 when malformed."""
    raw = await request.body()
    if not raw.strip():
        return empty
    try:
        return parse_request_json(request.scope, raw)
    except JsonBodyError as exc:
        raise invalid(f"Malformed JSON in the request body: it {exc.reason}", body=exc.reason) from None


def topic_number(topic_id: str) -> int:
    """A path id that is not an integer names no topic: 404, never FastAPI's 422."""
    try:
        number = int(topic_id)
    except ValueError:
        raise NotFound("Topic not found in this workspace") from None
    if not 0 < number < 2**31:
        raise NotFound("Topic not found in this workspace")
    return number


async def topic_or_404(session: AsyncSession, principal: Principal, topic_id: str) -> StreamTopic:
    topic = await streams.get_topic(
        session=session, environment_id=principal.environment_id, topic_id=topic_number(topic_id)
    )
    if topic is None:  # another environment's topic answers alike, so existence is not revealed
        raise NotFound("Topic not found in this workspace")
    return topic


def stamp(moment: datetime) -> str:
    """ISO 8601 with milliseconds and an offset: ``2024-09-25T16:47:54.089+00:00``."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


def topic_view(topic: StreamTopic, *, with_schema: bool = True) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": topic.id,
        "name": topic.name,
        "created_at": stamp(topic.created_at),
        "updated_at": stamp(topic.updated_at),
        "retention": topic.retention,
    }
    if with_schema:
        view["schema"] = topic.fields
    view["description"] = topic.description
    view["event_type"] = topic.event_type
    return view


def integer(value: Any, name: str) -> int:
    """An integer from JSON or a query string (``"60"``, ``60.0``); 400 otherwise."""
    if isinstance(value, bool):
        raise invalid(f"{name} must be an integer", **{name: "must be an integer"})
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    raise invalid(f"{name} must be an integer", **{name: "must be an integer"})
