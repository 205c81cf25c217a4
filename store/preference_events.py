"""``preference.updated``: a write that changed a preference row's ``enabled`` or ``channels``.

A write that leaves both as they were (a repeated PATCH, an unsubscribe of an already unsubscribed
workflow) is no event; a row the write created counts as changed from the defaults it is created
with (on, no channel switches). The event id carries the row's new ``updated_at``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.lifecycle_events import preference_data, preference_event_id
from store import lifecycle_outbox
from store.models import Subscriber, SubscriberPreference

TYPE = "preference.updated"


def state(row: SubscriberPreference) -> dict[str, Any]:
    return {"enabled": bool(row.enabled), "channels": dict(row.channels or {})}


async def record(*, session: AsyncSession, row: SubscriberPreference, before: dict[str, Any]) -> None:
    after = state(row)
    if after == before:
        return
    env = row.environment_id
    if not await lifecycle_outbox.wanted_types(session=session, environment_id=env, types={TYPE}):
        return
    subscriber_id = await session.scalar(select(Subscriber.subscriber_id).where(Subscriber.id == row.subscriber_pk))
    data = preference_data(subscriber_id=subscriber_id or "", workflow_id=str(row.workflow_id) if row.workflow_id
                           else None, enabled=after["enabled"], channels=after["channels"], previous=before,
                           updated_at=row.updated_at)
    event = lifecycle_outbox.LifecycleEvent(str(env), preference_event_id(str(row.id), row.updated_at), TYPE, data)
    await lifecycle_outbox.record(session=session, environment_id=env, events=[event], wanted={TYPE})
