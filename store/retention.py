"""The activity retention sweep's queries: old activity and read inbox messages, in bounded batches.

A notification goes with its jobs, execution details and delivery records once it is older than its
environment's activity retention, its run has closed (``status`` set when the trigger workflow
ends), and none of its in-app messages is still kept (unread, or read more recently than the read
retention). Runs still open are never touched; ``stale_open_runs`` lists old rows still marked
open so the sweep can ask Temporal whether their run really is.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, delete, exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.retention import RetentionPolicy
from store.models import Environment, ExecutionDetail, Job, Message, Notification, ProviderEvent

OPEN = "processing"
CLOSED = ("completed", "failed", "cancelled")


@dataclass
class Purged:
    notifications: int = 0
    jobs: int = 0
    details: int = 0
    messages: int = 0

    @property
    def total(self) -> int:
        return self.notifications + self.jobs + self.details + self.messages


def _count(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


async def policies(*, session: AsyncSession) -> list[tuple[uuid.UUID, RetentionPolicy]]:
    rows = await session.execute(select(Environment.id, Environment.settings))
    return [(env_id, RetentionPolicy.of(settings)) for env_id, settings in rows]


async def close_transactions(*, session: AsyncSession, environment_id: uuid.UUID, outcomes: Mapping[str, str]) -> None:
    """Mark triggers' notifications closed (``outcomes``: transaction id -> how its workflow ended): from
    now on they may age out. One UPDATE per outcome, however many transactions a batched run closed."""
    by_outcome: dict[str, list[str]] = defaultdict(list)
    for transaction_id, outcome in outcomes.items():
        by_outcome[outcome].append(transaction_id)
    for outcome, transaction_ids in by_outcome.items():
        await session.execute(
            update(Notification)
            .where(Notification.environment_id == environment_id, Notification.transaction_id.in_(transaction_ids),
                   Notification.status == OPEN)
            .values(status=outcome)
            # Nothing in the session holds these rows: evaluating the criteria on its objects is wasted work.
            .execution_options(synchronize_session=False)
        )


async def purge_read_messages(
    *, session: AsyncSession, environment_id: uuid.UUID, now: datetime, policy: RetentionPolicy, limit: int
) -> int:
    """Delete up to ``limit`` in-app messages read before the read retention (of closed runs only)."""
    closed = exists().where(Notification.id == Message.notification_id, Notification.status.in_(CLOSED))
    ids = select(Message.id).where(
        Message.environment_id == environment_id, Message.channel == "in_app", Message.read.is_(True),
        Message.read_at < now - policy.read_messages, closed,
    ).limit(limit)
    return _count(await session.execute(delete(Message).where(Message.id.in_(ids.scalar_subquery()))))


async def purge_activity(
    *, session: AsyncSession, environment_id: uuid.UUID, now: datetime, policy: RetentionPolicy, limit: int
) -> Purged:
    """Delete up to ``limit`` closed, old notifications with everything recorded under them."""
    kept_in_inbox = exists().where(
        Message.notification_id == Notification.id, Message.channel == "in_app",
        or_(Message.read.is_(False), Message.read_at.is_(None), Message.read_at >= now - policy.read_messages),
    )
    ids = list(await session.scalars(
        select(Notification.id).where(
            Notification.environment_id == environment_id, Notification.created_at < now - policy.activity_feed,
            Notification.status.in_(CLOSED), ~kept_in_inbox,
        ).limit(limit)
    ))
    if not ids:
        return Purged()
    purged = Purged()
    purged.details = _count(await session.execute(
        delete(ExecutionDetail).where(ExecutionDetail.notification_id.in_(ids))
    ))
    purged.messages = _count(await session.execute(delete(Message).where(Message.notification_id.in_(ids))))
    purged.jobs = _count(await session.execute(delete(Job).where(Job.notification_id.in_(ids))))
    purged.notifications = _count(await session.execute(delete(Notification).where(Notification.id.in_(ids))))
    return purged


async def stale_open_runs(
    *, session: AsyncSession, environment_id: uuid.UUID, now: datetime, policy: RetentionPolicy, limit: int
) -> list[str]:
    """Temporal workflow ids of old notifications still marked open (runs from before the status was
    kept, or whose closing update was lost), for the sweep to check with Temporal."""
    rows = await session.scalars(
        select(Notification.temporal_workflow_id).where(
            Notification.environment_id == environment_id, Notification.created_at < now - policy.activity_feed,
            Notification.status == OPEN,
        ).distinct().limit(limit)
    )
    return list(rows)


async def close_runs(*, session: AsyncSession, environment_id: uuid.UUID, workflow_ids: Sequence[str]) -> int:
    """Mark notifications closed whose runs Temporal reports closed (or no longer knows)."""
    if not workflow_ids:
        return 0
    result = await session.execute(
        update(Notification)
        .where(and_(Notification.environment_id == environment_id, Notification.status == OPEN,
                    Notification.temporal_workflow_id.in_(list(workflow_ids))))
        .values(status="completed")
    )
    return _count(result)


async def purge_provider_events(*, session: AsyncSession, environment_id: uuid.UUID | None, before: datetime,
                                limit: int) -> int:
    """Delete up to ``limit`` inbound provider events recorded before ``before`` (``environment_id``
    None: the refused requests of unknown integrations, which name no environment).

    They go with the activity they describe: a provider redelivers an event for days, not weeks, so
    dropping the row that recognised a duplicate after the activity retention re-applies nothing.
    """
    where = ProviderEvent.environment_id.is_(None) if environment_id is None \
        else ProviderEvent.environment_id == environment_id
    ids = select(ProviderEvent.id).where(where, ProviderEvent.created_at < before).limit(limit)
    return _count(await session.execute(delete(ProviderEvent).where(ProviderEvent.id.in_(ids.scalar_subquery()))))
