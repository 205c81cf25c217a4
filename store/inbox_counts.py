"""Unseen and unread in-app counts of several subscribers in one statement (for live count events)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from store.message_filters import not_snoozed_now
from store.models import Message, NotificationWorkflow

IN_APP = "in_app"


async def unseen_unread(
    *, session: AsyncSession, environment_id: uuid.UUID, subscriber_pks: Sequence[uuid.UUID]
) -> dict[uuid.UUID, tuple[int, int]]:
    """subscriber pk → (unseen, unread), counted as the feed counts them (in-app, not deleted, not snoozed)."""
    if not subscriber_pks:
        return {}
    rows = await session.execute(
        select(
            Message.subscriber_pk,
            func.sum(case((Message.seen.is_(False), 1), else_=0)),
            func.sum(case((Message.read.is_(False), 1), else_=0)),
        )
        .where(
            Message.environment_id == environment_id, Message.subscriber_pk.in_(list(subscriber_pks)),
            Message.channel == IN_APP, Message.deleted.is_(False), not_snoozed_now(),
        )
        .group_by(Message.subscriber_pk)
    )
    found = {pk: (int(unseen or 0), int(unread or 0)) for pk, unseen, unread in rows if pk is not None}
    return {pk: found.get(pk, (0, 0)) for pk in subscriber_pks}


async def unread_by_severity(
    *, session: AsyncSession, environment_id: uuid.UUID, subscriber_pk: uuid.UUID
) -> dict[str, int]:
    """The Inbox bell's count: unread, unarchived, awake in-app messages by their workflow's severity."""
    severity = func.coalesce(NotificationWorkflow.severity, "none")
    rows = await session.execute(
        select(severity, func.count())
        .select_from(Message)
        .outerjoin(NotificationWorkflow, NotificationWorkflow.id == Message.workflow_id)
        .where(
            Message.environment_id == environment_id, Message.subscriber_pk == subscriber_pk,
            Message.channel == IN_APP, Message.deleted.is_(False), Message.read.is_(False),
            Message.archived.is_(False), not_snoozed_now(),
        )
        .group_by(severity)
    )
    counts = {"high": 0, "medium": 0, "low": 0, "none": 0}
    for name, count in rows:
        counts[name if name in counts else "none"] += int(count)
    return counts
