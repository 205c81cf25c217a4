"""Forget what is kept only for a while: published events and finished webhook deliveries
(14 days, the replay horizon), occurrences (30 days) and expired idempotency records."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from store.models import IdempotencyRecord
from store.models.publishing import Occurrence, PublishedEvent, WebhookDelivery

EVENTS_KEPT = timedelta(days=14)
OCCURRENCES_KEPT = timedelta(days=30)
FINISHED = ("succeeded", "deadlettered", "skipped")


@dataclass
class Purged:
    events: int = 0
    deliveries: int = 0
    occurrences: int = 0
    idempotency: int = 0


def _count(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


async def purge(*, session: AsyncSession, now: datetime) -> Purged:
    """Delete every expired row; deliveries still pending or retrying are never touched."""
    horizon = now - EVENTS_KEPT
    purged = Purged()
    purged.events = _count(await session.execute(delete(PublishedEvent).where(PublishedEvent.created_at < horizon)))
    purged.deliveries = _count(await session.execute(
        delete(WebhookDelivery).where(WebhookDelivery.updated_at < horizon, WebhookDelivery.status.in_(FINISHED))
    ))
    purged.occurrences = _count(await session.execute(
        delete(Occurrence).where(Occurrence.created_at < now - OCCURRENCES_KEPT)
    ))
    purged.idempotency = _count(await session.execute(
        delete(IdempotencyRecord).where(IdempotencyRecord.expires_at < now)
    ))
    return purged
