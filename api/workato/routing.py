"""A stream topic's ``event_type`` route: stored messages also go through the shared publish operation.

Each message becomes event ``stream:{topic_id}:{message_id}`` of type ``event_type``, routed to the
topics listing that type, without the event type's schema check (the stream schema already ran).
Failures only warn: the message is already in the stream, and routing is a side effect (§2.3).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI

from api.operations.publishing import Publisher, publish_event
from api.resources import Services
from store.models import StreamTopic

log = logging.getLogger("clarion.api.streams")


async def route_messages(app: FastAPI, services: Services, topic: StreamTopic, messages: list[tuple[str, Any]]) -> int:
    """Publish each ``(message_id, payload)`` as the topic's event type; how many were accepted."""
    publisher: Publisher | None = getattr(app.state, "publisher", None)
    if publisher is None or not topic.event_type:
        return 0
    accepted = 0
    for message_id, payload in messages:
        event_id = f"stream:{topic.id}:{message_id}"
        try:
            async with services.sessions() as session:
                outcome = await publish_event(
                    publisher=publisher, session=session, temporal=services.temporal,
                    environment_id=topic.environment_id, event_type=topic.event_type, event_id=event_id,
                    data=payload, topics="routed", validate_schema=False,
                )
            accepted += outcome.status == "accepted"
        except Exception as exc:  # a refused or failed route skips this message's route, nothing else
            log.warning("stream message %s not routed as %r: %s", event_id, topic.event_type, exc)
    return accepted
