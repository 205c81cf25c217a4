"""Delivery events from providers: the integration they name, their dedupe record, and their effect.

A message's status only moves forward: ``sent`` → ``delivered`` → ``opened`` → ``clicked``, and a
negative outcome (``undelivered``, ``bounced``, ``complained``) outranks every positive one, so
events that arrive out of order (an open before its delivery) never step a status back.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from store.base import utcnow
from store.bulk import insert_ignoring_conflicts
from store.models import ExecutionDetail, Integration, Message, ProviderEvent

RANK = {"sent": 0, "delivered": 1, "opened": 2, "clicked": 3, "undelivered": 4, "bounced": 5, "complained": 6}
_DETAIL_STATUS = {"delivered": "success", "opened": "success", "clicked": "success", "undelivered": "failed",
                  "bounced": "failed", "complained": "warning"}
_WORDS = {"delivered": "Delivered", "opened": "Opened", "clicked": "Clicked", "undelivered": "Undelivered",
          "bounced": "Bounced", "complained": "Marked as spam"}


async def integration(*, session: AsyncSession, integration_id: str) -> Integration | None:
    """The integration a provider webhook URL names (its ``_id``; the URL carries no environment)."""
    try:
        key = uuid.UUID(integration_id)
    except ValueError:
        return None
    return await session.get(Integration, key)


async def message_for(
    *, session: AsyncSession, environment_id: uuid.UUID, provider_message_ids: Sequence[str]
) -> Message | None:
    """The message the provider's id belongs to, trying its stored forms in order."""
    rows = (await session.scalars(select(Message).where(
        Message.environment_id == environment_id, Message.provider_message_id.in_(list(provider_message_ids))
    ))).all()
    by_id = {m.provider_message_id: m for m in rows}
    return next((by_id[i] for i in provider_message_ids if i in by_id), None)


async def record(*, session: AsyncSession, values: dict[str, Any]) -> bool:
    """Insert one provider event row; False when ``(integration, provider_event_id)`` was seen already."""
    if values.get("integration_id") is None and values.get("provider_event_id"):
        # Clarion's own open/click tracking belongs to no integration, and NULLs never collide in
        # the unique index: look the event up instead.
        seen = await session.scalar(select(ProviderEvent.id).where(
            ProviderEvent.environment_id == values.get("environment_id"), ProviderEvent.integration_id.is_(None),
            ProviderEvent.provider_event_id == values["provider_event_id"]).limit(1))
        if seen is not None:
            return False
    statement = insert_ignoring_conflicts(session, ProviderEvent).values(
        id=uuid.uuid4(), created_at=utcnow(), **values
    ).returning(ProviderEvent.id)
    return (await session.execute(statement)).scalar() is not None


async def seen_message(*, session: AsyncSession, integration_id: uuid.UUID, provider_event_id: str) -> uuid.UUID | None:
    """The message an already recorded event was applied to (so a redelivery can finish its work)."""
    return await session.scalar(select(ProviderEvent.message_id).where(
        ProviderEvent.integration_id == integration_id, ProviderEvent.provider_event_id == provider_event_id
    ))


def advance(message: Message, event: str) -> bool:
    """Move the message's status to ``event`` when that is forward; True when it moved."""
    if RANK.get(event, -1) <= RANK.get(message.status, 0):
        return False
    message.status = event
    message.updated_at = utcnow()
    return True


async def apply(
    *, session: AsyncSession, message: Message, event: str, provider_id: str, occurred_at: datetime,
    raw: dict[str, Any],
) -> bool:
    """Apply one event: the status moves forward if it can, and the feed gets its execution detail."""
    moved = advance(message, event)
    session.add(detail_for(message, event=event, provider_id=provider_id, occurred_at=occurred_at, raw=raw))
    return moved


def detail_for(
    message: Message, *, event: str, provider_id: str, occurred_at: datetime, raw: dict[str, Any]
) -> ExecutionDetail:
    """The execution detail the activity feed shows for one provider event."""
    words = _WORDS.get(event, event)
    extra = f" ({raw['bounceType']} bounce)" if raw.get("bounceType") else ""
    reason = f": {raw['reason']}" if raw.get("reason") else ""
    return ExecutionDetail(
        id=uuid.uuid4(), environment_id=message.environment_id, notification_id=message.notification_id,
        job_id=message.job_id, subscriber_id=message.subscriber_id, transaction_id=message.transaction_id,
        step_id=message.step_id, channel=message.channel, status=_DETAIL_STATUS.get(event, "success"),
        detail=f"{words}{extra}, reported by {provider_id}{reason}", source="webhook", provider_id=provider_id,
        raw={**raw, "event": event, "occurredAt": occurred_at.isoformat()}, created_at=utcnow(),
    )


async def recent(*, session: AsyncSession, environment_id: uuid.UUID, limit: int = 50) -> list[ProviderEvent]:
    rows = await session.scalars(select(ProviderEvent).where(ProviderEvent.environment_id == environment_id)
                                 .order_by(ProviderEvent.created_at.desc()).limit(limit))
    return list(rows)
