"""Lifecycle events recorded in the transaction that made the change, sent once it commits.

A store write that is an event (a subscriber created, an inbox flag turned on, a preference
changed) calls ``record`` in its own transaction: the event becomes a published event (unique per
environment and id, so the same change recorded twice is one event) and waits in the session until
the commit. Whoever owns the session (an API request, an activity) then takes the committed ones
with ``take_committed`` and starts their publish workflows; a rollback drops them.

Each kept event also gets an ``unstarted_events`` row in the same transaction, deleted (``forget``)
once its start succeeded: a process dying between the commit and the start, or a Temporal server
down at that moment, leaves the row, and the worker's sweep starts it (``due``).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, event, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from store import publishing
from store.base import utcnow
from store.bulk import insert_many_ignoring_conflicts
from store.engine import Sessions
from store.models import PublishedEvent, UnstartedEvent, WebhookSubscription

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
        now = utcnow()
        await insert_many_ignoring_conflicts(session=session, model=UnstartedEvent, rows=[
            {"environment_id": environment_id, "event_id": e.event_id, "created_at": now} for e in kept])
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


async def forget(*, sessions: Sessions, events: Sequence[LifecycleEvent]) -> None:
    """The events' publish workflows are started: one DELETE of their rows, in a short transaction."""
    if not events:
        return
    by_env: dict[str, set[str]] = defaultdict(set)
    for e in events:
        by_env[e.environment_id].add(e.event_id)
    async with sessions() as session, session.begin():
        await session.execute(delete(UnstartedEvent).where(or_(*(
            and_(UnstartedEvent.environment_id == uuid.UUID(env), UnstartedEvent.event_id.in_(ids))
            for env, ids in by_env.items()))))


async def due(*, session: AsyncSession, before: datetime, limit: int) -> list[LifecycleEvent]:
    """Up to ``limit`` unstarted events recorded before ``before``, oldest first. A row whose published
    event is gone (purged after the replay horizon) has nothing left to send: it is deleted here."""
    rows = (await session.execute(
        select(UnstartedEvent.environment_id, UnstartedEvent.event_id, PublishedEvent)
        .outerjoin(PublishedEvent, and_(PublishedEvent.environment_id == UnstartedEvent.environment_id,
                                        PublishedEvent.event_id == UnstartedEvent.event_id))
        .where(UnstartedEvent.created_at < before).order_by(UnstartedEvent.created_at).limit(limit))).all()
    orphans = [(env, event_id) for env, event_id, published in rows if published is None]
    for env, event_id in orphans:
        await session.execute(delete(UnstartedEvent).where(UnstartedEvent.environment_id == env,
                                                           UnstartedEvent.event_id == event_id))
    return [LifecycleEvent(str(env), event_id, published.type, dict(published.data))
            for env, event_id, published in rows if published is not None]
