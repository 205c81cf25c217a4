"""Workato's public API: publish, batch publish and (long-poll) consume (event-apis.md §2.4 to 2.6)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from api.deps import PrincipalDep, ServicesDep, SessionDep
from api.errors import BadRequest, NotFound, PayloadTooLarge, ServiceUnavailable
from api.resources import Services
from api.workato.appends import appends_of
from api.workato.common import (
    MAX_BATCH_ITEMS,
    MAX_MESSAGE_BYTES,
    integer,
    invalid,
    json_body,
    require,
    route,
    stamp,
    topic_or_404,
)
from api.workato.long_poll import STREAM_EVENT, waiters_of
from api.workato.routing import route_messages
from core.stream_schema import SchemaError, check_message
from store import streams
from store.base import utcnow
from store.models import StreamTopic
from store.realtime import event_id_for

log = logging.getLogger("clarion.api.streams")
router = APIRouter(tags=["workato"])
MAX_BATCH_SIZE = 50
MAX_TIMEOUT_SECONDS = 60
POLL_SECONDS = 1.0  # waiters re-read the database this often, whatever the bus does


@route(router, ["POST"], "/api/v1/topics/{topic_id}/publish")
@route(router, ["POST"], "/api/pubsub/topics/{topic_id}/publish")
async def publish(
    topic_id: str, request: Request, principal: PrincipalDep, session: SessionDep, services: ServicesDep
) -> dict[str, Any]:
    require(principal, "topic:publish")
    raw = await request.body()
    if len(raw) > MAX_MESSAGE_BYTES:
        raise PayloadTooLarge(f"The message is larger than {MAX_MESSAGE_BYTES} bytes")
    message = await json_body(request)
    topic = await topic_or_404(session, principal, topic_id)
    try:
        checked = check_message(topic.fields, message)
    except SchemaError as exc:
        raise invalid(str(exc), "schema_violation", **exc.details) from None
    await session.commit()  # end the read, so the append's first statement takes the topic's lock
    ids = await _store(request, services, topic, [checked], shared_size=len(raw))
    return {"message_id": ids[0]}


@route(router, ["POST"], "/api/v1/batch/topics/{topic_id}/publish")
@route(router, ["POST"], "/api/pubsub/batch/topics/{topic_id}/publish")
async def publish_batch(
    topic_id: str, request: Request, principal: PrincipalDep, session: SessionDep, services: ServicesDep
) -> dict[str, Any]:
    require(principal, "topic:publish")
    body = await json_body(request)
    items = body.get("payloads") if isinstance(body, dict) else body
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_BATCH_ITEMS:
        raise invalid(f"payloads must be an array of 1 to {MAX_BATCH_ITEMS} messages",
                      payloads=f"must hold 1 to {MAX_BATCH_ITEMS} messages")
    topic = await topic_or_404(session, principal, topic_id)
    results: dict[str, dict[str, Any]] = {}
    valid: list[tuple[int, dict[str, Any]]] = []
    # Re-serialising expands a parsed item at most 4.5 times (\u escapes, 1E15 -> 1000000000000000.0):
    # no item of a body under an eighth of the limit can pass it, so only larger bodies are measured.
    measure = len(await request.body()) > MAX_MESSAGE_BYTES // 8
    for index, item in enumerate(items):
        if measure and len(json.dumps(item, separators=(",", ":")).encode()) > MAX_MESSAGE_BYTES:
            results[str(index)] = {"result": "error", "error": f"The message is larger than {MAX_MESSAGE_BYTES} bytes"}
            continue
        try:
            valid.append((index, check_message(topic.fields, item)))
        except SchemaError as exc:
            details = [{"field": f, "message": m} for f, m in exc.details.items()]
            results[str(index)] = {"result": "error", "error": str(exc), "details": details}
    await session.commit()
    if valid:
        ids = await _store(request, services, topic, [payload for _, payload in valid])
        for (index, _), message_id in zip(valid, ids, strict=True):
            results[str(index)] = {"message_id": message_id, "result": "success"}
    ordered = {str(i): results[str(i)] for i in range(len(items))}
    return {"is_partial_error": len(valid) < len(items), "message_ids": ordered}


async def _store(
    request: Request, services: Services, topic: StreamTopic, payloads: list[dict[str, Any]], *,
    shared_size: int | None = None,
) -> list[str]:
    """Append in one transaction, then wake consumers, emit the bus events and run the event_type route.

    A single publish (``shared_size``: its body's bytes) shares its transaction with the publishes to
    the topic that arrive while another append of it is in flight (``appends.StreamAppends``)."""
    try:
        if shared_size is not None:
            one = await appends_of(request.app, services.sessions).append(
                (topic.environment_id, topic.id), payloads[0], shared_size)
            appended = None if one is None else [one]
        else:
            appended = await streams.append_committed(
                sessions=services.sessions, environment_id=topic.environment_id, topic_id=topic.id,
                payloads=payloads, now=utcnow())
    except SQLAlchemyError:
        log.warning("stream append to topic %s failed", topic.id, exc_info=True)
        raise ServiceUnavailable("The stream store is unavailable; retry later") from None
    if appended is None:
        raise NotFound("Topic not found in this workspace")  # deleted since we read it
    waiters_of(request.app).wake(topic.id)
    ids = [streams.encode_id(a.seq) for a in appended]
    time = stamp(appended[0].time)  # one append, one time
    await services.bus.publish_many(topic.environment_id, STREAM_EVENT, [
        (event_id_for(f"stream:{topic.id}:{message_id}"),
         {"topic_id": topic.id, "topic_name": topic.name, "message_id": message_id, "time": time, "payload": payload})
        for message_id, payload in zip(ids, payloads, strict=True)
    ], message="STREAM_MESSAGE_PUBLISHED")
    if topic.event_type:
        await route_messages(request.app, services, topic, list(zip(ids, payloads, strict=True)))
    return ids


def _since(value: Any) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(str(value).replace("z", "Z"))
    except ValueError:
        raise invalid("since_time must be an RFC 3339 date-time", since_time="is not a date-time") from None
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
    return min(moment, utcnow())  # a future time is treated as now


def _bounded(params: dict[str, Any], name: str, default: int, low: int, high: int) -> int:
    value = params.get(name)
    number = default if value is None else integer(value, name)
    if number < low:
        raise invalid(f"{name} must be at least {low}", **{name: f"must be at least {low}"})
    return min(number, high)  # larger values are clamped, not refused


def _views(rows: list[streams.MessageRow]) -> dict[str, Any]:
    return {"messages": [{"message_id": streams.encode_id(r.seq), "payload": r.payload, "time": stamp(r.time)}
                         for r in rows]}


@route(router, ["POST"], "/api/v1/topics/{topic_id}/consume")
@route(router, ["POST"], "/api/pubsub/topics/{topic_id}/consume")
async def consume(
    topic_id: str, request: Request, principal: PrincipalDep, session: SessionDep, services: ServicesDep
) -> dict[str, Any]:
    require(principal, "topic:consume")
    body = await json_body(request, empty={})
    if not isinstance(body, dict):
        raise invalid("The request body must be a JSON object", body="must be a JSON object")
    params = {**dict(request.query_params), **body}
    after = params.get("after_message_id")
    after = None if after is None else str(after)
    since = None if after is not None else _since(params.get("since_time"))  # the cursor wins
    limit = _bounded(params, "batch_size", MAX_BATCH_SIZE, 1, MAX_BATCH_SIZE)
    timeout = _bounded(params, "timeout_secs", 0, 0, MAX_TIMEOUT_SECONDS)
    topic = await topic_or_404(session, principal, topic_id)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    with waiters_of(request.app).waiting(topic.id) as woken:  # before the first read: no wake-up is missed
        rows = await _read(session, topic, after, since, limit)
        await session.commit()  # no connection is held while waiting
        while not rows and (remaining := deadline - loop.time()) > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(woken.wait(), min(POLL_SECONDS, remaining))
            woken.clear()
            async with services.sessions() as fresh:
                current = await streams.get_topic(session=fresh, environment_id=topic.environment_id, topic_id=topic.id)
                if current is None:
                    return {"messages": []}  # deleted while waiting; the next call gets 404
                rows = await _read(fresh, current, after, since, limit)
    return _views(rows)


async def _read(session: AsyncSession, topic: StreamTopic, after: str | None, since: datetime | None, limit: int
                ) -> list[streams.MessageRow]:
    try:
        return await streams.read(session=session, topic=topic, after=after, since=since, limit=limit, now=utcnow())
    except streams.CursorNotFound:
        raise invalid(f"after_message_id {after!r} is not a message of this topic", "cursor_not_found",
                      after_message_id="not found") from None
    except streams.CursorExpired as exc:
        oldest = exc.oldest
        raise BadRequest(
            "The cursor has expired: messages after it were removed by retention or a purge",
            extra={"code": "cursor_expired",
                   "oldest_message_id": streams.encode_id(oldest.seq) if oldest else None,
                   "oldest_time": stamp(oldest.time) if oldest else None},
        ) from None
