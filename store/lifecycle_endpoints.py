"""Lifecycle webhook endpoints: webhook subscriptions with no topic, receiving Clarion's own events.

They share the table, secrets, deliveries and attempts of topic subscriptions (``store.webhooks``)
so the one delivery engine sends both; ``topic_id IS NULL`` is what makes one a lifecycle endpoint.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from store.models import WebhookDelivery, WebhookSubscription

TOPIC = "lifecycle"  # the ``topic`` a lifecycle delivery records and its envelope carries


async def list_all(*, session: AsyncSession, environment_id: uuid.UUID) -> list[WebhookSubscription]:
    rows = await session.scalars(
        select(WebhookSubscription)
        .where(WebhookSubscription.environment_id == environment_id, WebhookSubscription.topic_id.is_(None))
        .order_by(WebhookSubscription.created_at, WebhookSubscription.id)
    )
    return list(rows)


async def get(*, session: AsyncSession, environment_id: uuid.UUID, endpoint_id: str) -> WebhookSubscription | None:
    try:
        key = uuid.UUID(endpoint_id)
    except ValueError:
        return None
    return await session.scalar(select(WebhookSubscription).where(
        WebhookSubscription.environment_id == environment_id, WebhookSubscription.topic_id.is_(None),
        WebhookSubscription.id == key,
    ))


async def wanting(*, session: AsyncSession, environment_id: uuid.UUID, event_type: str) -> list[WebhookSubscription]:
    """Every endpoint (enabled or not) whose filter takes ``event_type`` (an empty filter takes all)."""
    return [e for e in await list_all(session=session, environment_id=environment_id)
            if not e.event_types or event_type in e.event_types]


async def delivery(
    *, session: AsyncSession, endpoint: WebhookSubscription, delivery_id: str
) -> WebhookDelivery | None:
    try:
        key = uuid.UUID(delivery_id)
    except ValueError:
        return None
    return await session.scalar(select(WebhookDelivery).where(
        WebhookDelivery.subscription_id == endpoint.id, WebhookDelivery.id == key
    ))
