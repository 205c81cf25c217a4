"""Lifecycle events recorded in the transaction that made the change, sent once it commits.

A store write that is an event (a subscriber created, an inbox flag turned on, a preference
changed) calls ``record`` in its own transaction: the event becomes a published event (unique per
environment and id, so the same change recorded twice is one event) and waits in the session until
the commit. Whoever owns the session (an API request, an activity) then takes the committed ones
with ``take_committed`` and starts their publish workflows; a rollback drops them.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from store import publishing
from store.models import PublishedEvent, WebhookSubscription

_PENDING = "clarion.lifecycle_pending"  # recorded in the open transaction
_COMMITTED = "clarion.lifecycle_committed"  # recorded in a committed one, not started yet
_WATCHED = "clarion.lifecycle_watched"


@dataclass(frozen=True)
class LifecycleEvent:
    environment_id: str
    event_id: str
    type: str
    data: dict[str, Any]


async def wanted_types(*, session: AsyncSession, environment_id: uuid.UUID, types: Collection[str]) -> set[str]:
    """Which of ``types`` some lifecycle endpoint of the environment takes (enabled or not, as fan-out
    counts disabled ones as skipped deliveries): one indexed query over the environment's endpoints."""
    rows = await session.execute(select(WebhookSubscription.event_types).where(
        WebhookSubscription.environment_id == environment_id, WebhookSubscription.topic_id.is_(None)))
    wanted: set[str] = set()
    for (filters,) in rows:
        wanted |= set(types) if not filters else set(types) & set(filters)
    return wanted


def _committed(sync: Session) -> None:
    sync.info.setdefault(_COMMITTED, []).extend(sync.info.pop(_PENDING, []))


def _rolled_back(sync: Session) -> None:
    sync.info.pop(_PENDING, None)


async def record(*, session: AsyncSession, environment_id: uuid.UUID, events: Sequence[LifecycleEvent],
                 wanted: Collection[str] | None = None) -> list[LifecycleEvent]:
    """Record the events some endpoint takes (``wanted``: the types already known to be taken)."""
    if not events:
        return []
    if wanted is None:
        wanted = await wanted_types(session=session, environment_id=environment_id, types={e.type for e in events})
    kept = [e for e in events if e.type in wanted]
    for e in kept:
        await publishing.record(session=session, environment_id=environment_id, event_id=e.event_id,
                                event_type=e.type, topics=[], audiences=None, data=e.data)
    if kept:
        sync = session.sync_session
        if not sync.info.get(_WATCHED):
            sync.info[_WATCHED] = True
            event.listen(sync, "after_commit", _committed)
            event.listen(sync, "after_rollback", _rolled_back)
        sync.info.setdefault(_PENDING, []).extend(kept)
    return kept


def take_committed(session: AsyncSession) -> list[LifecycleEvent]:
    """The events of this session's committed transactions that are still to be started."""
    taken: list[LifecycleEvent] = session.sync_session.info.pop(_COMMITTED, [])
    return taken


async def recorded(*, session: AsyncSession, environment_id: uuid.UUID, event_ids: Collection[str]) -> list[
        LifecycleEvent]:
    """The events among ``event_ids`` already recorded (by an earlier attempt whose start may have been lost)."""
    if not event_ids:
        return []
    rows = await session.scalars(select(PublishedEvent).where(
        PublishedEvent.environment_id == environment_id, PublishedEvent.event_id.in_(list(event_ids))))
    return [LifecycleEvent(str(environment_id), r.event_id, r.type, dict(r.data)) for r in rows]
