"""The I/O of a published event: its webhook deliveries and its real-time announcement (§0.6 step 3)."""

from __future__ import annotations

import logging
import uuid

from temporalio import activity

from core.publishing_payloads import DeliveryStart, FanOutInput
from store import lifecycle_endpoints, publishing, webhooks
from store.engine import Sessions
from store.realtime import RealtimeBus, event_id_for

log = logging.getLogger("clarion.publishing")

# Hub names that an event type may not take (event-apis.md §3.3).
RESERVED_PREFIXES = ("notification.", "message.", "inbox.", "workflow.", "webhook.", "stream.")
RESERVED_NAMES = frozenset({"global", "health", "system", "*"})


def is_reserved(event_type: str) -> bool:
    return event_type in RESERVED_NAMES or event_type.startswith(RESERVED_PREFIXES)


class PublishingActivities:
    def __init__(self, *, sessions: Sessions, bus: RealtimeBus) -> None:
        self._sessions = sessions
        self._bus = bus

    @activity.defn
    async def fan_out_event(self, inp: FanOutInput) -> list[DeliveryStart]:
        """Create one delivery per matching subscription (``skipped`` when disabled), then announce the event.

        Idempotent: deliveries are unique per (subscription, event), and the real-time event's id is
        derived from the event, so a retried activity repeats rather than adds.
        """
        env = uuid.UUID(inp.environment_id)
        starts: list[DeliveryStart] = []
        async with self._sessions() as session, session.begin():
            if inp.lifecycle:
                endpoints = await lifecycle_endpoints.wanting(session=session, environment_id=env, event_type=inp.type)
                matches = [(lifecycle_endpoints.TOPIC, sub) for sub in endpoints]
            else:
                matches = [(topic.key, sub) for topic, sub in await publishing.matching_subscriptions(
                    session=session, environment_id=env, topic_keys=inp.topics, event_type=inp.type,
                    audiences=inp.audiences,
                )]
            for topic_key, sub in matches:
                workflow_id = f"wh:{sub.id}:{inp.event_id}"
                row = await webhooks.create_delivery(
                    session=session, environment_id=env, subscription=sub, event_id=inp.event_id,
                    event_type=inp.type, topic=topic_key, status="pending" if sub.enabled else "skipped",
                    workflow_id=workflow_id if sub.enabled else None,
                )
                if row.status == "pending" and row.replays == 0:
                    starts.append(DeliveryStart(delivery_id=str(row.id), subscription_id=str(sub.id),
                                                workflow_id=workflow_id, max_attempts=row.max_attempts))
        if inp.lifecycle:
            return starts  # Clarion's own events reach the hub through their own channels
        if is_reserved(inp.type):
            log.warning("event type %r collides with a reserved hub name: not sent on the hub", inp.type)
        else:
            body = {"id": inp.event_id, "type": inp.type, "topics": inp.topics, "audiences": inp.audiences,
                    "data": inp.data}
            await self._bus.publish(env, inp.type, body, message="EVENT_PUBLISHED",
                                    event_id=event_id_for(f"publish:{env}:{inp.event_id}"))
        return starts
