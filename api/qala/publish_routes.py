"""Qala Q-Flow publish routes (shared/event-apis.md §1.2-1.3): validate every event, then publish each.

Validation is all or nothing: one bad event makes the request a 400 and nothing is published.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from api.deps import PrincipalDep, SessionDep, TemporalDep
from api.errors import NotFound, PayloadTooLarge
from api.json_body import JsonBodyError, parse_json
from api.operations.publishing import Prepared, Publisher, PublishRefused, Routing
from api.qala.http import AUDIENCE, MISSING, both, problem, problems, read_json, require
from store import topics as topic_store
from store.publishing import accepts

router = APIRouter(tags=["qala"])
TYPE = re.compile(r"^(?:[A-Za-z0-9.,_\-&()\[\]<>]{1,100})$")
MAX_EVENTS = 100
MAX_DATA_BYTES = 512 * 1024
MAX_AUDIENCES = 20


@dataclass
class Event:
    type: str
    id: str | None
    audiences: list[str] | None
    data: Any
    decoded: Any


def _events(body: Any) -> list[Any]:
    if isinstance(body, dict) and "events" in body:
        body = body["events"]
    elif isinstance(body, dict) and body:
        body = [body]  # one event object
    if body is MISSING or body is None or body == [] or body == {}:
        raise problem("events", "The Events field is required.", "INVALID_MANDATORY_PROPERTY")
    if not isinstance(body, list):
        raise problem("events", "The Events field must be an array of events.")
    if len(body) > MAX_EVENTS:
        raise problem("events", f"At most {MAX_EVENTS} events may be published at once.", "TOO_MANY_EVENTS")
    return body


def _event(index: int, raw: Any, errors: list[tuple[str, str, str]]) -> Event | None:
    """Check one event's fields, appending ``(name, reason, code)`` for each problem."""
    at = f"events[{index}]"
    if not isinstance(raw, dict):
        errors.append((at, "An event must be a JSON object.", "INVALID_FORMAT"))
        return None
    before = len(errors)
    kind = raw.get("type")
    if kind is None or kind == "":
        errors.append((f"{at}.type", "The Type field is required.", "INVALID_MANDATORY_PROPERTY"))
    elif not isinstance(kind, str) or not TYPE.match(kind):
        errors.append((f"{at}.type", "The Type field must match ^(?:[A-Za-z0-9.,_\\-&()\\[\\]<>]{1,100})$.",
                       "INVALID_FORMAT"))
    event_id = raw.get("id")
    if isinstance(event_id, int | float) and not isinstance(event_id, bool):
        event_id = str(event_id)
    if event_id is not None and (
        not isinstance(event_id, str) or not 1 <= len(event_id) <= 255 or any(ord(c) < 32 or ord(c) == 127
                                                                               for c in event_id)
    ):
        errors.append((f"{at}.id", "The Id field must be 1 to 255 characters without control characters.",
                       "INVALID_FORMAT"))
    audiences = raw.get("audiences")
    if isinstance(audiences, str):
        audiences = [audiences]
    if audiences is not None:
        if (not isinstance(audiences, list) or len(audiences) > MAX_AUDIENCES
                or not all(isinstance(a, str) and AUDIENCE.match(a) for a in audiences)):
            errors.append((f"{at}.audiences", "Audiences must be at most 20 strings matching "
                           "^[A-Za-z0-9._:\\-]{1,100}$.", "INVALID_FORMAT"))
        else:
            audiences = list(dict.fromkeys(audiences))
    data = raw.get("data")
    if data is None or data == "":
        errors.append((f"{at}.data", "The Data field is required.", "INVALID_MANDATORY_PROPERTY"))
    elif len(json.dumps(data, separators=(",", ":")).encode()) > MAX_DATA_BYTES:
        raise problem(f"{at}.data", "The event's data is larger than 512 KiB.", "PAYLOAD_TOO_LARGE", PayloadTooLarge)
    if len(errors) > before:
        return None
    decoded = data
    if isinstance(data, str):
        try:
            parsed = parse_json(data)
        except JsonBodyError:
            parsed = None
        if isinstance(parsed, dict | list):
            decoded = parsed  # validated and triggered decoded; webhooks carry the string as sent
    return Event(str(kind), str(event_id) if event_id is not None else None, audiences, data, decoded)


async def _publish(request: Request, principal: PrincipalDep, session: SessionDep, temporal: TemporalDep,
                   topic_name: str | None) -> JSONResponse:
    require(principal, "event:trigger")
    body = await read_json(request)
    env = principal.environment_id
    routing: Routing = "routed"
    topic = None
    if topic_name is not None:
        topic = await topic_store.get(session=session, environment_id=env, key=topic_name)
        if topic is None:
            raise problem("topicName", "The topic was not found.", "NOT_FOUND", NotFound)
        routing = [topic.key]
    raw_events = _events(body)
    errors: list[tuple[str, str, str]] = []
    events = [_event(i, raw, errors) for i, raw in enumerate(raw_events)]
    if errors:
        raise problems(errors)
    publisher: Publisher = request.app.state.publisher
    prepared: list[Prepared] = []
    for i, event in enumerate(events):
        assert event is not None
        at = f"events[{i}]"
        # The spec's order of checks: an unknown event type before the topic's list of types.
        unknown = topic is not None and await publisher.cache.get(session, env, event.type) is None
        if topic is not None and not unknown and not accepts(topic, event.type):
            errors.append((f"{at}.type", f"The event type '{event.type}' is not accepted by topic '{topic.key}'.",
                           "EVENT_TYPE_NOT_ON_TOPIC"))
            continue
        try:
            prepared.append(await publisher.prepare(
                session, environment_id=env, event_type=event.type, event_id=event.id or str(uuid.uuid4()),
                data=event.data, decoded=event.decoded, audiences=event.audiences, topics=routing,
            ))
        except PublishRefused as refused:
            errors += [(f"{at}.{issue.name}", issue.reason, issue.code) for issue in refused.issues]
    if errors:
        raise problems(errors)
    results = []
    for index, item in enumerate(prepared):
        outcome = await publisher.publish(session, temporal, item)
        result: dict[str, Any] = {"index": index, "id": outcome.id, "type": outcome.type, "status": outcome.status,
                                  "transactionId": outcome.id, "topics": outcome.topics}
        if outcome.workflow_status is not None:
            result["workflowStatus"] = outcome.workflow_status
        results.append(result)
    accepted = sum(1 for r in results if r["status"] == "accepted")
    return JSONResponse({"accepted": accepted, "duplicates": len(results) - accepted, "events": results})


@both(router, "POST", "/v1/events/publish")
async def publish_routed(request: Request, principal: PrincipalDep, session: SessionDep,
                         temporal: TemporalDep) -> JSONResponse:
    """Publish events to every topic whose event types list theirs."""
    return await _publish(request, principal, session, temporal, None)


@both(router, "POST", "/v1/topics/{topic_name}/events/publish")
async def publish_to_topic(topic_name: str, request: Request, principal: PrincipalDep, session: SessionDep,
                           temporal: TemporalDep) -> JSONResponse:
    """Publish events to one topic."""
    return await _publish(request, principal, session, temporal, topic_name)
