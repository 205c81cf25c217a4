"""What the store recorded about one transaction, read for an explanation in a fixed number of queries.

One query each for the notifications, their jobs, execution details and messages, and the
workflow, so explaining a transaction of 1 000 recipients costs the same round trips as explaining
one. The children are found through the notifications' (environment, transaction) key rather than
a list of 1 000 bound ids, and come keyed by the recipient's subscriber id (unique in a transaction).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Select, func, select
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

# Only the columns an explanation shows: no ORM identity map, no JSON columns it does not show
# (payloads, contents), and as few UUID and timestamp conversions as possible, which are most of the
# cost at 1 000 recipients. Rows become plain named tuples: a SQLAlchemy ``Row`` reads an attribute
# some ten times slower, and an explanation reads about forty per recipient.


class NotificationRecord(NamedTuple):
    id: uuid.UUID
    subscriber_id: str
    workflow_identifier: str
    temporal_workflow_id: str
    created_at: datetime


class JobRecord(NamedTuple):
    subscriber_id: str
    step_id: str
    step_type: str
    status: str


class DetailRecord(NamedTuple):
    subscriber_id: str
    created_at: datetime
    step_id: str | None
    channel: str | None
    status: str
    detail: str
    source: str
    provider_id: str | None
    duration_ms: int | None
    raw: dict[str, Any] | None


class MessageRecord(NamedTuple):
    subscriber_id: str
    id: uuid.UUID
    channel: str
    status: str
    provider_id: str | None
    error_text: str | None


class WorkflowName(NamedTuple):
    id: uuid.UUID
    identifier: str


NOTIFICATION_COLUMNS = (Notification.id, Notification.subscriber_id, Notification.workflow_identifier,
                        Notification.temporal_workflow_id, Notification.created_at)
JOB_COLUMNS = (Notification.subscriber_id, Job.step_id, Job.step_type, Job.status)
DETAIL_COLUMNS = (Notification.subscriber_id, ExecutionDetail.created_at, ExecutionDetail.step_id,
                  ExecutionDetail.channel, ExecutionDetail.status, ExecutionDetail.detail, ExecutionDetail.source,
                  ExecutionDetail.provider_id, ExecutionDetail.duration_ms, ExecutionDetail.raw)
MESSAGE_COLUMNS = (Notification.subscriber_id, Message.id, Message.channel, Message.status, Message.provider_id,
                   Message.error_text)


@dataclass
class TransactionRecord:
    """A transaction's notifications (one per recipient) and everything recorded about them, with the
    columns above, keyed by subscriber id."""

    transaction_id: str
    notifications: list[NotificationRecord]
    workflow: WorkflowName | None = None  # the workflow the notifications name
    jobs: dict[str, list[JobRecord]] = field(default_factory=lambda: defaultdict(list))
    details: dict[str, list[DetailRecord]] = field(default_factory=lambda: defaultdict(list))
    messages: dict[str, list[MessageRecord]] = field(default_factory=lambda: defaultdict(list))


async def notification_transaction(
    *, session: AsyncSession, environment_id: uuid.UUID, notification_id: uuid.UUID
) -> Notification | None:
    return await session.scalar(
        select(Notification).where(Notification.environment_id == environment_id, Notification.id == notification_id)
    )


def _of_transaction(
    environment_id: uuid.UUID, transaction_id: str, subscriber_id: str | None
) -> list[ColumnElement[bool]]:
    where = [Notification.environment_id == environment_id, Notification.transaction_id == transaction_id]
    if subscriber_id is not None:
        where.append(Notification.subscriber_id == subscriber_id)
    return where


async def transaction_notifications(
    *, session: AsyncSession, environment_id: uuid.UUID, transaction_id: str, subscriber_id: str | None = None
) -> TransactionRecord:
    """The transaction's notifications (only ``subscriber_id``'s when given), without their records."""
    where = _of_transaction(environment_id, transaction_id, subscriber_id)
    rows = await session.execute(select(*NOTIFICATION_COLUMNS).where(*where).order_by(Notification.subscriber_id))
    return TransactionRecord(transaction_id=transaction_id, notifications=list(map(NotificationRecord._make, rows)))


async def read_records(
    *, session: AsyncSession, record: TransactionRecord, environment_id: uuid.UUID, subscriber_id: str | None = None
) -> None:
    """Fill ``record`` with its workflow and its notifications' jobs, execution details and messages."""
    if not record.notifications:
        return
    where = _of_transaction(environment_id, record.transaction_id, subscriber_id)
    named = select(Notification.workflow_id).where(*where, Notification.workflow_id.is_not(None)).limit(1)
    workflow = (await session.execute(
        select(NotificationWorkflow.id, NotificationWorkflow.identifier)
        .where(NotificationWorkflow.id == named.scalar_subquery())
    )).first()
    record.workflow = WorkflowName._make(workflow) if workflow is not None else None

    def children(columns: tuple[Any, ...], key: Any) -> Select[Any]:
        return select(*columns).join(Notification, Notification.id == key).where(*where)

    jobs = children(JOB_COLUMNS, Job.notification_id).order_by(Job.created_at, Job.id)
    for job in map(JobRecord._make, await session.execute(jobs)):
        record.jobs[job.subscriber_id].append(job)
    details = children(DETAIL_COLUMNS, ExecutionDetail.notification_id)
    for detail in map(DetailRecord._make,
                      await session.execute(details.order_by(ExecutionDetail.created_at, ExecutionDetail.id))):
        record.details[detail.subscriber_id].append(detail)
    messages = children(MESSAGE_COLUMNS, Message.notification_id).order_by(Message.created_at, Message.id)
    if subscriber_id is None:  # a whole transaction's messages come by its (environment, transaction) index
        messages = messages.where(Message.environment_id == environment_id,
                                  Message.transaction_id == record.transaction_id)
    for message in map(MessageRecord._make, await session.execute(messages)):
        record.messages[message.subscriber_id].append(message)


async def transaction_record(
    *, session: AsyncSession, environment_id: uuid.UUID, transaction_id: str, subscriber_id: str | None = None
) -> TransactionRecord:
    """The transaction's notifications (only ``subscriber_id``'s when given) with their records."""
    record = await transaction_notifications(session=session, environment_id=environment_id,
                                             transaction_id=transaction_id, subscriber_id=subscriber_id)
    await read_records(session=session, record=record, environment_id=environment_id, subscriber_id=subscriber_id)
    return record


async def subscriber_exists(*, session: AsyncSession, environment_id: uuid.UUID, subscriber_id: str) -> bool:
    found = await session.scalar(
        select(Subscriber.id).where(Subscriber.environment_id == environment_id,
                                    Subscriber.subscriber_id == subscriber_id)
    )
    return found is not None


async def topics_of(
    *, session: AsyncSession, environment_id: uuid.UUID, transaction_id: str, topic_keys: list[str],
    subscriber_id: str | None = None,
) -> dict[str, list[str]]:
    """Which of ``topic_keys`` each recipient of the transaction belongs to now (one query), by subscriber id."""
    if not topic_keys:
        return {}
    rows = await session.execute(
        select(Notification.subscriber_id, Topic.key)
        .join(TopicSubscriber, TopicSubscriber.subscriber_pk == Notification.subscriber_pk)
        .join(Topic, Topic.id == TopicSubscriber.topic_id)
        .where(*_of_transaction(environment_id, transaction_id, subscriber_id),
               Topic.environment_id == environment_id, Topic.key.in_(topic_keys))
        .order_by(Topic.key)
    )
    found: dict[str, list[str]] = defaultdict(list)
    for subscriber, key in rows:
        found[subscriber].append(key)
    return found


async def replays_of(*, session: AsyncSession, environment_id: uuid.UUID, transaction_id: str) -> list[str]:
    """The transactions that replay ``transaction_id``, oldest first."""
    rows = await session.execute(
        select(Notification.transaction_id, func.min(Notification.created_at))
        .where(Notification.environment_id == environment_id, Notification.replay_of == transaction_id)
        .group_by(Notification.transaction_id).order_by(func.min(Notification.created_at))
    )
    return [tx for tx, _ in rows]
