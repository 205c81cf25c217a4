"""What the store recorded about one transaction, read for an explanation in a fixed number of queries.

One query each for the notifications, their jobs, execution details and messages, and the
workflow, so explaining a transaction of 1 000 recipients costs the same five round trips as
explaining one.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from store.models import (
    ExecutionDetail,
    Job,
    Message,
    Notification,
    NotificationWorkflow,
    Subscriber,
    Topic,
    TopicSubscriber,
)

# A ``Row`` of one of the column lists below (its type varies with the list, so it is not spelled).
RecordRow: TypeAlias = Any
# Only the columns an explanation reads, as plain rows: no ORM identity map, no JSON columns it
# does not show (payloads, contents), which is most of the cost at 1 000 recipients.
NOTIFICATION_COLUMNS = (Notification.id, Notification.subscriber_id, Notification.subscriber_pk,
                        Notification.workflow_id, Notification.workflow_identifier, Notification.transaction_id,
                        Notification.temporal_workflow_id, Notification.created_at,
                        Notification.replay_of)
JOB_COLUMNS = (Job.notification_id, Job.step_id, Job.step_type, Job.status)
DETAIL_COLUMNS = (ExecutionDetail.notification_id, ExecutionDetail.created_at, ExecutionDetail.step_id,
                  ExecutionDetail.channel, ExecutionDetail.status, ExecutionDetail.detail, ExecutionDetail.source,
                  ExecutionDetail.provider_id, ExecutionDetail.duration_ms, ExecutionDetail.raw)
MESSAGE_COLUMNS = (Message.id, Message.notification_id, Message.channel, Message.status, Message.provider_id,
                   Message.error_text, Message.created_at)


@dataclass
class TransactionRecord:
    """A transaction's notifications (one per recipient) and everything recorded about them, as rows
    with the columns above (attribute access, like the models)."""

    transaction_id: str
    notifications: list[RecordRow]
    workflow: NotificationWorkflow | None
    jobs: dict[uuid.UUID, list[RecordRow]] = field(default_factory=lambda: defaultdict(list))
    details: dict[uuid.UUID, list[RecordRow]] = field(default_factory=lambda: defaultdict(list))
    messages: dict[uuid.UUID, list[RecordRow]] = field(default_factory=lambda: defaultdict(list))


async def notification_transaction(
    *, session: AsyncSession, environment_id: uuid.UUID, notification_id: uuid.UUID
) -> Notification | None:
    return await session.scalar(
        select(Notification).where(Notification.environment_id == environment_id, Notification.id == notification_id)
    )


async def transaction_record(
    *, session: AsyncSession, environment_id: uuid.UUID, transaction_id: str, subscriber_id: str | None = None
) -> TransactionRecord:
    """The transaction's notifications (only ``subscriber_id``'s when given) with their records."""
    where = [Notification.environment_id == environment_id, Notification.transaction_id == transaction_id]
    if subscriber_id is not None:
        where.append(Notification.subscriber_id == subscriber_id)
    notifications = list(
        await session.execute(select(*NOTIFICATION_COLUMNS).where(*where).order_by(Notification.subscriber_id))
    )
    workflow_ids = {n.workflow_id for n in notifications if n.workflow_id is not None}
    workflow = await session.get(NotificationWorkflow, next(iter(workflow_ids))) if workflow_ids else None
    record = TransactionRecord(transaction_id=transaction_id, notifications=notifications, workflow=workflow)
    if not notifications:
        return record
    ids = [n.id for n in notifications]
    for job in await session.execute(
        select(*JOB_COLUMNS).where(Job.notification_id.in_(ids)).order_by(Job.created_at, Job.id)
    ):
        record.jobs[job.notification_id].append(job)
    for detail in await session.execute(
        select(*DETAIL_COLUMNS).where(ExecutionDetail.notification_id.in_(ids))
        .order_by(ExecutionDetail.created_at, ExecutionDetail.id)
    ):
        record.details[detail.notification_id].append(detail)
    # A whole transaction's messages come by its (environment, transaction) index; one subscriber's by id.
    messages = select(*MESSAGE_COLUMNS).order_by(Message.created_at, Message.id)
    messages = messages.where(Message.environment_id == environment_id, Message.transaction_id == transaction_id) \
        if subscriber_id is None else messages.where(Message.notification_id.in_(ids))
    for message in await session.execute(messages):
        record.messages[message.notification_id].append(message)
    return record


async def subscriber_exists(*, session: AsyncSession, environment_id: uuid.UUID, subscriber_id: str) -> bool:
    found = await session.scalar(
        select(Subscriber.id).where(Subscriber.environment_id == environment_id,
                                    Subscriber.subscriber_id == subscriber_id)
    )
    return found is not None


async def topics_of(
    *, session: AsyncSession, environment_id: uuid.UUID, topic_keys: list[str], subscriber_pks: list[uuid.UUID]
) -> dict[uuid.UUID, list[str]]:
    """Which of ``topic_keys`` each subscriber belongs to now (one query), by subscriber pk."""
    if not topic_keys or not subscriber_pks:
        return {}
    rows = await session.execute(
        select(TopicSubscriber.subscriber_pk, Topic.key)
        .join(Topic, Topic.id == TopicSubscriber.topic_id)
        .where(Topic.environment_id == environment_id, Topic.key.in_(topic_keys),
               TopicSubscriber.subscriber_pk.in_(subscriber_pks))
        .order_by(Topic.key)
    )
    found: dict[uuid.UUID, list[str]] = defaultdict(list)
    for pk, key in rows:
        found[pk].append(key)
    return found


async def replays_of(*, session: AsyncSession, environment_id: uuid.UUID, transaction_id: str) -> list[str]:
    """The transactions that replay ``transaction_id``, oldest first."""
    rows = await session.execute(
        select(Notification.transaction_id, func.min(Notification.created_at))
        .where(Notification.environment_id == environment_id, Notification.replay_of == transaction_id)
        .group_by(Notification.transaction_id).order_by(func.min(Notification.created_at))
    )
    return [tx for tx, _ in rows]
