"""Queries over subscribers' preference rows (global and per workflow)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from store.models import SubscriberPreference

PreferencePair = tuple[SubscriberPreference | None, SubscriberPreference | None]


async def for_subscribers(
    *, session: AsyncSession, environment_id: uuid.UUID, subscriber_pks: Sequence[uuid.UUID], workflow_id: uuid.UUID
) -> dict[uuid.UUID, PreferencePair]:
    """Each subscriber's (global, this workflow's) preference rows, ``None`` where absent."""
    if not subscriber_pks:
        return {}
    rows = await session.scalars(
        select(SubscriberPreference).where(
            SubscriberPreference.environment_id == environment_id,
            SubscriberPreference.subscriber_pk.in_(subscriber_pks),
            or_(SubscriberPreference.workflow_id.is_(None), SubscriberPreference.workflow_id == workflow_id),
        )
    )
    found: dict[uuid.UUID, PreferencePair] = {}
    for row in rows:
        global_row, workflow_row = found.get(row.subscriber_pk, (None, None))
        if row.workflow_id is None:
            global_row = row
        else:
            workflow_row = row
        found[row.subscriber_pk] = (global_row, workflow_row)
    return found
