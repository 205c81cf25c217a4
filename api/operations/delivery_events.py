"""Applying one delivery event to its message: the path every ``opened``/``clicked``/``delivered``...
report takes, whether a provider posted it (``/v1/webhooks/providers``) or Clarion's own open and
click tracking saw it (``/v1/t``): dedupe record, forward-only status, feed detail, lifecycle event.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from api.operations import lifecycle
from channels.delivery_events import DeliveryEvent
from core.lifecycle_events import message_data, message_event_id
from store import provider_events
from store.models import Message


def payload(message: Message, event: DeliveryEvent, provider_id: str) -> dict[str, Any]:
    """The ``data`` of the ``message.<event>`` lifecycle event."""
    return {**message_data(message, status=event.event, occurred_at=event.occurred_at), "providerId": provider_id,
            "bounceType": event.bounce_type, "reason": event.reason, "url": event.url}


async def apply_event(
    session: AsyncSession, *, message: Message, event: DeliveryEvent, environment_id: uuid.UUID,
    integration_id: uuid.UUID | None, provider_id: str,
) -> tuple[bool, lifecycle.LifecycleEvent]:
    """Record and apply ``event`` once (False when it was seen before) and the lifecycle event it emits."""
    fresh = await provider_events.record(session=session, values={
        "environment_id": environment_id, "integration_id": integration_id, "provider_id": provider_id,
        "provider_message_id": event.message_ids[0], "event": event.event, "occurred_at": event.occurred_at,
        "raw": event.raw, "provider_event_id": event.event_id[:255], "message_id": message.id, "outcome": "applied",
    })
    if fresh:
        await provider_events.apply(
            session=session, message=message, event=event.event, provider_id=provider_id,
            occurred_at=event.occurred_at,
            raw={"bounceType": event.bounce_type, "reason": event.reason, "url": event.url,
                 "providerEventId": event.event_id},
        )
    # A duplicate's lifecycle event is started again by the caller; that start is idempotent.
    return fresh, lifecycle.event(
        environment_id, message_event_id(str(message.id), event.event), f"message.{event.event}",
        payload(message, event, provider_id),
    )
