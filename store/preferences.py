"""Queries over subscribers' preference rows (global and per workflow)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from store import preference_events
from store.base import utcnow
from store.bulk import insert_many_ignoring_conflicts
from store.models import NotificationWorkflow, SubscriberPreference

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


async def listed_workflows(*, session: AsyncSession, environment_id: uuid.UUID) -> list[NotificationWorkflow]:
    """The active workflows a subscriber has preferences for, oldest first (as Novu lists them)."""
    rows = await session.scalars(
        select(NotificationWorkflow)
        .where(NotificationWorkflow.environment_id == environment_id, NotificationWorkflow.active.is_(True))
        .order_by(NotificationWorkflow.created_at, NotificationWorkflow.id)
    )
    return list(rows)


async def for_subscriber(
    *, session: AsyncSession, environment_id: uuid.UUID, subscriber_pk: uuid.UUID
) -> tuple[SubscriberPreference | None, dict[uuid.UUID, SubscriberPreference]]:
    """One subscriber's global row and per-workflow rows (by workflow id)."""
    rows = await session.scalars(
        select(SubscriberPreference)
        .where(
            SubscriberPreference.environment_id == environment_id, SubscriberPreference.subscriber_pk == subscriber_pk
        )
        .order_by(SubscriberPreference.id)
    )
    global_row: SubscriberPreference | None = None
    per_workflow: dict[uuid.UUID, SubscriberPreference] = {}
    for row in rows:
        if row.workflow_id is None:
            global_row = global_row or row
        else:
            per_workflow[row.workflow_id] = row
    return global_row, per_workflow


async def upsert(
    *,
    session: AsyncSession,
    environment_id: uuid.UUID,
    subscriber_pk: uuid.UUID,
    workflow_id: uuid.UUID | None,
    enabled: bool | None = None,
    channels: Mapping[str, bool] | None = None,
) -> SubscriberPreference:
    """Change one preference row (``workflow_id`` None: the global one), creating it switched on."""
    where = [
        SubscriberPreference.environment_id == environment_id,
        SubscriberPreference.subscriber_pk == subscriber_pk,
        SubscriberPreference.workflow_id.is_(None) if workflow_id is None
        else SubscriberPreference.workflow_id == workflow_id,
    ]
    query = select(SubscriberPreference).where(*where).order_by(SubscriberPreference.id)
    found = list(await session.scalars(query))
    if not found:
        fresh: dict[str, Any] = {"id": uuid.uuid4(), "environment_id": environment_id, "subscriber_pk": subscriber_pk,
               "workflow_id": workflow_id, "enabled": True, "channels": {}, "updated_at": utcnow()}
        # A concurrent first write of the same workflow row loses to the unique constraint, not with an error.
        await insert_many_ignoring_conflicts(session=session, model=SubscriberPreference, rows=[fresh])
        found = list(await session.scalars(query))
    kept, *extra = found
    # NULL never conflicts, so two racing first writes can leave two global rows: fold them into one.
    for duplicate in extra:
        await session.delete(duplicate)
    before = preference_events.state(kept)
    if enabled is not None:
        kept.enabled = enabled
    if channels:
        kept.channels = {**(kept.channels or {}), **channels}  # a new dict, so the JSON column is marked dirty
    kept.updated_at = utcnow()
    await session.flush()
    await preference_events.record(session=session, row=kept, before=before)
    return kept
