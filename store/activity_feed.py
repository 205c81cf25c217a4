"""Read-only queries behind the activity feed: notifications with their jobs and execution details.

A page is loaded with one query for the notifications, one count, and one ``IN`` query each for
jobs, execution details, subscribers and workflows, so its cost does not grow with its length.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from sqlalchemy import ColumnElement, func, literal, or_, select, type_coerce
from sqlalchemy.dialects.postgresql import JSONB, array
from sqlalchemy.ext.asyncio import AsyncSession

from core.run_identity import trigger_workflow_id
from store.models import ExecutionDetail, Job, Notification, NotificationWorkflow, Subscriber, TransactionClaim

_Row = TypeVar("_Row", Subscriber, NotificationWorkflow)


@dataclass(frozen=True)
class NotificationFilter:
    """Filters of the feed; empty sequences and ``None`` mean "any"."""

    channels: Sequence[str] = ()
    # Workflow ids or trigger identifiers, mixed freely.
    templates: Sequence[str] = ()
    subscriber_ids: Sequence[str] = ()
    emails: Sequence[str] = ()
    transaction_id: str | None = None
    search: str | None = None


@dataclass
class JobView:
    job: Job
    details: list[ExecutionDetail] = field(default_factory=list)


@dataclass
class NotificationView:
    """A notification with what the feed shows next to it; the related rows may have been deleted."""

    notification: Notification
    subscriber: Subscriber | None
    workflow: NotificationWorkflow | None
    jobs: list[JobView]
    # The Temporal run that carried it: a batched run's id for an event it claimed (its run key,
    # ``trigger:<env>:<tx>``, then names no workflow), else the run key itself.
    run_id: str


@dataclass
class NotificationPage:
    items: list[NotificationView]
    total: int


def _as_uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def _channels_clause(dialect: str, channels: Sequence[str]) -> ColumnElement[bool]:
    # ``channels`` is a JSON array: JSONB's ``?|`` on PostgreSQL (GIN-indexable), json_each elsewhere.
    if dialect == "postgresql":
        clause: ColumnElement[bool] = type_coerce(Notification.channels, JSONB).has_any(array(list(channels)))
        return clause
    each = func.json_each(Notification.channels).table_valued("value")
    return select(literal(1)).select_from(each).where(each.c.value.in_(list(channels))).exists()


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _conditions(*, dialect: str, environment_id: uuid.UUID, filters: NotificationFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [Notification.environment_id == environment_id]
    if filters.channels:
        conditions.append(_channels_clause(dialect, filters.channels))
    if filters.templates:
        ids = [u for u in map(_as_uuid, filters.templates) if u is not None]
        conditions.append(
            or_(Notification.workflow_id.in_(ids), Notification.workflow_identifier.in_(list(filters.templates)))
        )
    if filters.subscriber_ids:
        conditions.append(Notification.subscriber_id.in_(list(filters.subscriber_ids)))
    if filters.emails:
        with_email = select(Subscriber.id).where(
            Subscriber.environment_id == environment_id, Subscriber.email.in_(list(filters.emails))
        )
        conditions.append(Notification.subscriber_pk.in_(with_email))
    if filters.transaction_id:
        conditions.append(Notification.transaction_id == filters.transaction_id)
    if filters.search:
        pattern = f"%{_escape_like(filters.search)}%"
        conditions.append(
            or_(
                Notification.transaction_id.ilike(pattern, escape="\\"),
                Notification.subscriber_id.ilike(pattern, escape="\\"),
                Notification.workflow_identifier.ilike(pattern, escape="\\"),
            )
        )
    return conditions


async def _by_id(
    session: AsyncSession, model: type[_Row], environment_id: uuid.UUID, ids: set[uuid.UUID | None]
) -> dict[uuid.UUID, _Row]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    rows = await session.scalars(select(model).where(model.environment_id == environment_id, model.id.in_(wanted)))
    return {row.id: row for row in rows}


async def _views(
    *, session: AsyncSession, environment_id: uuid.UUID, notifications: Sequence[Notification]
) -> list[NotificationView]:
    """Attach jobs, details, subscribers and workflows to ``notifications`` with one query each."""
    if not notifications:
        return []
    ids = [n.id for n in notifications]
    jobs = (
        await session.scalars(
            select(Job)
            .where(Job.environment_id == environment_id, Job.notification_id.in_(ids))
            .order_by(Job.created_at, Job.id)
        )
    ).all()
    details = (
        await session.scalars(
            select(ExecutionDetail)
            .where(ExecutionDetail.environment_id == environment_id, ExecutionDetail.notification_id.in_(ids))
            .order_by(ExecutionDetail.created_at, ExecutionDetail.id)
        )
    ).all()
    subscribers = await _by_id(session, Subscriber, environment_id, {n.subscriber_pk for n in notifications})
    workflows = await _by_id(session, NotificationWorkflow, environment_id, {n.workflow_id for n in notifications})
    claims = await session.execute(select(TransactionClaim.transaction_id, TransactionClaim.owner).where(
        TransactionClaim.environment_id == environment_id,
        TransactionClaim.transaction_id.in_({n.transaction_id for n in notifications}),
    ))
    owners: dict[str, str] = dict(claims.all())
    job_views: dict[uuid.UUID, JobView] = {j.id: JobView(job=j) for j in jobs}
    for detail in details:
        if detail.job_id is not None and detail.job_id in job_views:
            job_views[detail.job_id].details.append(detail)
    by_notification: dict[uuid.UUID, list[JobView]] = {i: [] for i in ids}
    for view in job_views.values():
        by_notification[view.job.notification_id].append(view)
    return [
        NotificationView(
            notification=n,
            subscriber=subscribers.get(n.subscriber_pk) if n.subscriber_pk else None,
            workflow=workflows.get(n.workflow_id) if n.workflow_id else None,
            jobs=by_notification[n.id],
            run_id=owners.get(n.transaction_id, n.temporal_workflow_id)
            if n.temporal_workflow_id == trigger_workflow_id(str(environment_id), n.transaction_id)
            else n.temporal_workflow_id,
        )
        for n in notifications
    ]


async def list_notifications(
    *, session: AsyncSession, environment_id: uuid.UUID, filters: NotificationFilter, page: int, limit: int
) -> NotificationPage:
    """One page of the environment's notifications, newest first, and how many match in all."""
    dialect = session.get_bind().dialect.name
    conditions = _conditions(dialect=dialect, environment_id=environment_id, filters=filters)
    total = await session.scalar(select(func.count()).select_from(Notification).where(*conditions))
    rows = (
        await session.scalars(
            select(Notification)
            .where(*conditions)
            .order_by(Notification.created_at.desc(), Notification.id.desc())
            .offset(page * limit)
            .limit(limit)
        )
    ).all()
    items = await _views(session=session, environment_id=environment_id, notifications=rows)
    return NotificationPage(items=items, total=int(total or 0))


async def get_notification(
    *, session: AsyncSession, environment_id: uuid.UUID, notification_id: uuid.UUID
) -> NotificationView | None:
    row = await session.scalar(
        select(Notification).where(Notification.environment_id == environment_id, Notification.id == notification_id)
    )
    if row is None:
        return None
    return (await _views(session=session, environment_id=environment_id, notifications=[row]))[0]


async def execution_details(
    *, session: AsyncSession, environment_id: uuid.UUID, notification_id: uuid.UUID, subscriber_id: str
) -> tuple[Notification | None, Sequence[ExecutionDetail]]:
    """A notification's details for one subscriber, named by subscriberId or by its internal id."""
    notification = await session.scalar(
        select(Notification).where(Notification.environment_id == environment_id, Notification.id == notification_id)
    )
    if notification is None:
        return None, []
    # A notification belongs to one subscriber, so the subscriber either owns all its details or none.
    if subscriber_id not in (notification.subscriber_id, str(notification.subscriber_pk)):
        return notification, []
    details = (
        await session.scalars(
            select(ExecutionDetail)
            .where(ExecutionDetail.notification_id == notification.id)
            .order_by(ExecutionDetail.created_at, ExecutionDetail.id)
        )
    ).all()
    return notification, details
