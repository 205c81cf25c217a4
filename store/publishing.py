"""Published events, routing by event type and audience matching (shared/event-apis.md §0.6, §1.4)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from store.base import utcnow
from store.bulk import insert_ignoring_conflicts
from store.models import PublishedEvent, Topic, WebhookSubscription


def audience_matches(event_audiences: Sequence[str] | None, receiver_audience: str | None) -> bool:
    """An unscoped receiver gets everything; a scoped one only events addressed to its audience."""
    return receiver_audience is None or receiver_audience in (event_audiences or ())


def accepts(topic: Topic, event_type: str) -> bool:
    """A topic with no event types accepts any type when named explicitly."""
    return not topic.event_types or event_type in topic.event_types


async def routing_topics(*, session: AsyncSession, environment_id: uuid.UUID, event_type: str) -> list[Topic]:
    """Topics whose ``eventTypes`` list ``event_type`` explicitly; empty lists are never routed to."""
    rows = await session.scalars(
        select(Topic).where(Topic.environment_id == environment_id).order_by(Topic.created_at, Topic.id)
    )
    return [topic for topic in rows if event_type in (topic.event_types or [])]


async def record(
    *, session: AsyncSession, environment_id: uuid.UUID, event_id: str, event_type: str, topics: list[str],
    audiences: list[str] | None, data: Any, options: dict[str, Any] | None = None,
) -> bool:
    """Insert the event; False when its id is already taken in the environment (a duplicate)."""
    statement = insert_ignoring_conflicts(session, PublishedEvent).values(
        id=uuid.uuid4(), environment_id=environment_id, event_id=event_id, type=event_type, topics=topics,
        audiences=audiences, data=data, options=options or {}, created_at=utcnow(),
    ).returning(PublishedEvent.id)
    return (await session.execute(statement)).scalar() is not None


async def get(*, session: AsyncSession, environment_id: uuid.UUID, event_id: str) -> PublishedEvent | None:
    return await session.scalar(
        select(PublishedEvent).where(PublishedEvent.environment_id == environment_id,
                                     PublishedEvent.event_id == event_id)
    )


async def matching_subscriptions(
    *, session: AsyncSession, environment_id: uuid.UUID, topic_keys: Sequence[str], event_type: str,
    audiences: Sequence[str] | None,
) -> list[tuple[Topic, WebhookSubscription]]:
    """Every subscription (enabled or not) of the routing topics that wants this type and audience."""
    rows = await session.execute(
        select(Topic, WebhookSubscription)
        .join(WebhookSubscription, WebhookSubscription.topic_id == Topic.id)
        .where(Topic.environment_id == environment_id, Topic.key.in_(list(topic_keys)))
        .order_by(WebhookSubscription.created_at, WebhookSubscription.id)
    )
    found: list[tuple[Topic, WebhookSubscription]] = []
    seen: set[uuid.UUID] = set()
    for topic, sub in rows.all():
        wanted = not sub.event_types or event_type in sub.event_types
        if wanted and sub.id not in seen and audience_matches(audiences, sub.audience):
            seen.add(sub.id)
            found.append((topic, sub))
    return found


async def purge(*, session: AsyncSession, before: datetime) -> None:
    """Forget events older than the replay horizon (14 days by default)."""
    await session.execute(delete(PublishedEvent).where(PublishedEvent.created_at < before))
